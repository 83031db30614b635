import Foundation
import OCI
import TestSupport
import Testing

/// `oci-mediatypes=false`: Docker's schema 2 types in a push and in tarballs, read back by
/// skopeo from the real registry and loaded by podman.
@Suite struct MediaTypesTests {
    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func raw(_ ref: String) throws -> (json: [String: Any], digest: String) {
        let data = try run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref])
        return (try json(data), Digest.sha256(data).description)
    }

    @Test func aPushWithDockerMediaTypesIsReadByDockerStyleClients() throws {
        let registry = try TestRegistry("plain")
        let tmp = try OutputsTests.archContext()
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let repo = registry.host + "/parity/docker"
        let r = try CLI.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", repo + ":docker", "--metadata-file", tmp + "/meta.json",
                             "-o", "type=registry,oci-mediatypes=false", tmp + "/ctx"], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        let list = try Self.raw(repo + ":docker")
        #expect(list.json["mediaType"] as? String == MediaType.dockerManifestList)
        // The digest printed, written to the metadata file and named in the store is the pushed one.
        #expect(r.stdout == list.digest + "\n")
        let meta = try Self.json(Data(contentsOf: URL(fileURLWithPath: tmp + "/meta.json")))
        #expect(meta["containerimage.digest"] as? String == list.digest)
        let images = try CLI.run(["images"], home: tmp + "/store")
        #expect(images.stdout.contains("\(repo):docker\t\(list.digest)\tindex"), "\(images.stdout)")
        let entries = try #require(list.json["manifests"] as? [[String: Any]])
        #expect(entries.map { $0["mediaType"] as? String } == [MediaType.dockerManifest, MediaType.dockerManifest])
        #expect(entries.allSatisfy { $0["annotations"] == nil })
        var configs: [String] = []
        for entry in entries {
            let manifest = try Self.raw(repo + "@" + (entry["digest"] as? String ?? "")).json
            #expect(manifest["mediaType"] as? String == MediaType.dockerManifest)
            #expect(manifest["annotations"] == nil)
            let config = try #require(manifest["config"] as? [String: Any])
            #expect(config["mediaType"] as? String == MediaType.dockerConfig)
            configs.append(config["digest"] as? String ?? "")
            let layers = try #require(manifest["layers"] as? [[String: Any]])
            #expect(layers.map { $0["mediaType"] as? String } == [MediaType.dockerLayerGzip])
        }

        // The same build pushed with OCI's types (the default): other manifests, the same config and layers.
        let oci = try CLI.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", repo + ":oci", "--push", tmp + "/ctx"], home: tmp + "/store")
        #expect(oci.status == 0, "\(oci.stderr)")
        let ociList = try Self.raw(repo + ":oci")
        #expect(ociList.json["mediaType"] as? String == MediaType.ociIndex)
        #expect(ociList.digest != list.digest)
        let ociFirst = try Self.raw(repo + "@" + ((ociList.json["manifests"] as? [[String: Any]])?.first?["digest"] as? String ?? "")).json
        #expect((ociFirst["config"] as? [String: Any])?["digest"] as? String == configs.first)

        // buildx's spelling for --push: a type=image output pushes, with its oci-mediatypes.
        let image = try CLI.run(["build", "-q", "--platform", "linux/arm64", "--push", "-o", "type=image,name=\(repo):image,oci-mediatypes=false",
                                 tmp + "/ctx"], home: tmp + "/store")
        #expect(image.status == 0, "\(image.stderr)")
        #expect(try Self.raw(repo + ":image").json["mediaType"] as? String == MediaType.dockerManifest)

        // Clients of Docker's types read it: skopeo copies every platform, podman pulls and reads the files.
        try run(["skopeo", "copy", "-q", "--all", "--src-tls-verify=false", "docker://\(repo):docker", "dir:\(tmp)/copy"])
        let copied = try Self.json(Data(contentsOf: URL(fileURLWithPath: tmp + "/copy/manifest.json")))
        #expect(copied["mediaType"] as? String == MediaType.dockerManifestList)
        let podman = Podman(root: try shortTempDir())
        defer { try? FileManager.default.removeItem(atPath: podman.root) }
        try podman.run(["pull", "-q", "--tls-verify=false", "--arch", "arm64", repo + ":docker"])
        #expect(String(decoding: try podman.run(["image", "inspect", "--format", "{{.Architecture}}", repo + ":docker"]), as: UTF8.self) == "arm64\n")
        let container = String(decoding: try podman.run(["create", repo + ":docker"]), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        try podman.run(["cp", container + ":/arch.txt", tmp + "/arch.txt"])
        #expect(try String(contentsOfFile: tmp + "/arch.txt", encoding: .utf8) == "arm64\n")
    }

    /// type=docker and type=oci tarballs with Docker's types: skopeo reads both, podman loads the first.
    @Test func tarballsWithDockerMediaTypes() throws {
        let tmp = try OutputsTests.archContext()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", "parity:tar",
                             "-o", "type=docker,dest=\(tmp)/docker.tar,oci-mediatypes=false", "-o", "type=oci,dest=\(tmp)/oci.tar,oci-mediatypes=false",
                             "-o", "type=oci,dest=\(tmp)/default.tar", tmp + "/ctx"], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        let list = try run(["skopeo", "inspect", "--raw", "oci-archive:\(tmp)/oci.tar"])
        #expect(try Self.json(list)["mediaType"] as? String == MediaType.dockerManifestList)
        #expect(r.stdout == Digest.sha256(list).description + "\n")
        // Outputs that leave oci-mediatypes alone keep OCI's types beside them.
        #expect(try Self.json(try run(["skopeo", "inspect", "--raw", "oci-archive:\(tmp)/default.tar"]))["mediaType"] as? String == MediaType.ociIndex)
        let index = try Self.json(try run(["tar", "-xOf", tmp + "/docker.tar", "index.json"]))
        #expect((index["manifests"] as? [[String: Any]])?.first?["mediaType"] as? String == MediaType.dockerManifestList)
        try run(["skopeo", "copy", "-q", "--all", "oci-archive:\(tmp)/oci.tar", "dir:\(tmp)/copy"])
        let podman = Podman(root: try shortTempDir())
        defer { try? FileManager.default.removeItem(atPath: podman.root) }
        let loaded = String(decoding: try podman.run(["load", "-i", tmp + "/docker.tar"]), as: UTF8.self)
        #expect(loaded.contains("parity:tar"), "\(loaded)")
        #expect(String(decoding: try podman.run(["image", "inspect", "--format", "{{.Architecture}}", "parity:tar"]), as: UTF8.self)
            == Platform.host.architecture + "\n")
    }
}
