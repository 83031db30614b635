import Foundation
import TestSupport
import Testing

/// The flags and --output forms a buildx user types first, checked with skopeo and tar.
@Suite struct BuildxFlagsTests {
    static func context() throws -> String {
        let tmp = try makeTempDir("buildx-flags")
        try write("hello\n", to: tmp + "/ctx/a.txt")
        try write("FROM scratch\nCOPY a.txt /a.txt\n", to: tmp + "/ctx/Containerfile")
        return tmp
    }

    /// `imagectl build -o type=oci,dest=- . > image.tar`: the tar alone on stdout, named as buildx names it.
    @Test(arguments: ["type=oci,dest=-", "type=docker,dest=-"])
    func aTarOnStandardOutputIsAloneThere(_ output: String) throws {
        let tmp = try Self.context()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        _ = try run(["sh", "-c", "IMAGECTL_HOME='\(tmp)/store' '\(CLI.binary)' build -q -t hello:7 -o \(output) '\(tmp)/ctx' > '\(tmp)/out.tar'"])
        let inspected = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "oci-archive:\(tmp)/out.tar"])) as? [String: Any]
        #expect(inspected?["Layers"] as? [String] != nil)
        let index = try JSONSerialization.jsonObject(with: try run(["tar", "-xOf", tmp + "/out.tar", "index.json"])) as? [String: Any]
        let annotations = (index?["manifests"] as? [[String: Any]])?.first?["annotations"] as? [String: String]
        #expect(annotations?["io.containerd.image.name"] == "docker.io/library/hello:7")
        #expect(annotations?["org.opencontainers.image.ref.name"] == "7")
    }

    @Test func quietLocalPlatformAndDeclinedAttestations() throws {
        let tmp = try Self.context()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "-q", "--platform", "local", "--pull", "--provenance=false", "--sbom=false", tmp + "/ctx"], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("sha256:") && r.stdout.split(separator: "\n").count == 1, "\(r.stdout)")
        let refused = try CLI.run(["build", "--provenance=true", tmp + "/ctx"], home: tmp + "/store")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--provenance=true: imagectl does not attach attestations yet"), "\(refused.stderr)")
    }

    /// `docker build -f - .`: the Containerfile from standard input, the files from the context
    /// (whose own Containerfile is not read), and errors naming <stdin> and its line.
    @Test func aContainerfileFromStandardInput() throws {
        let tmp = try Self.context()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("b\n", to: tmp + "/ctx/b.txt")
        try write("b.txt\n", to: tmp + "/ctx/.dockerignore")
        let r = try CLI.run(["build", "-q", "-f", "-", "-o", "type=local,dest=\(tmp)/root", tmp + "/ctx"], home: tmp + "/store",
                            stdin: "FROM scratch\nCOPY a.txt /from-stdin.txt\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: tmp + "/root/from-stdin.txt", encoding: .utf8) == "hello\n")
        #expect(!FileManager.default.fileExists(atPath: tmp + "/root/a.txt"))
        // The context's .dockerignore still applies.
        let ignored = try CLI.run(["build", "-q", "-f", "-", tmp + "/ctx"], home: tmp + "/store", stdin: "FROM scratch\nCOPY b.txt /b.txt\n")
        #expect(ignored.status == 1)
        #expect(ignored.stderr.hasPrefix("imagectl: error: <stdin>:2: "), "\(ignored.stderr)")
        let empty = try CLI.run(["build", "-q", "-f", "-", tmp + "/ctx"], home: tmp + "/store", stdin: "")
        #expect(empty.status == 1)
        #expect(empty.stderr.hasPrefix("imagectl: error: <stdin>"), "\(empty.stderr)")
    }

    @Test func compressionInTheOutputCompressesTheLayers() throws {
        let tmp = try Self.context()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "-q", "-t", "z:1", "-o", "type=oci,dest=\(tmp)/layout,compression=zstd,compression-level=3", tmp + "/ctx"], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "--raw", "oci:\(tmp)/layout:1"])) as? [String: Any]
        let layers = manifest?["layers"] as? [[String: Any]]
        #expect(layers?.first?["mediaType"] as? String == "application/vnd.oci.image.layer.v1.tar+zstd")
    }
}

@Suite struct RootfsOutputTests {
    /// `-o DIR` with two platforms: a directory each, as buildx splits them; `-o type=tar` the same
    /// files as one tar; `-o -` that tar on stdout.
    @Test func rootFilesystemsAsDirectoriesAndTars() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("rootfs-out")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let two = try CLI.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-o", tmp + "/out", CLI.hello], home: tmp + "/store")
        #expect(two.status == 0, "\(two.stderr)")
        for arch in ["amd64", "arm64"] {
            #expect(FileManager.default.isExecutableFile(atPath: "\(tmp)/out/linux_\(arch)/bin/busybox"), "\(arch)")
        }
        let one = try CLI.run(["build", "-q", "--platform", "linux/amd64", "-o", "type=tar,dest=\(tmp)/rootfs.tar", CLI.hello], home: tmp + "/store")
        #expect(one.status == 0, "\(one.stderr)")
        let listed = String(decoding: try run(["tar", "-tf", tmp + "/rootfs.tar"]), as: UTF8.self).split(separator: "\n")
        #expect(listed.contains("bin/busybox"), "\(listed.prefix(20))")
        _ = try run(["sh", "-c", "IMAGECTL_HOME='\(tmp)/store' '\(CLI.binary)' build -q --platform linux/amd64 -o - '\(CLI.hello)' > '\(tmp)/stdout.tar'"])
        let streamed = String(decoding: try run(["tar", "-tf", tmp + "/stdout.tar"]), as: UTF8.self).split(separator: "\n")
        #expect(streamed.sorted() == listed.sorted())
    }
}
