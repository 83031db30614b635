import Foundation
import OCI
import TestSupport
import Testing

/// The example built for real and checked by tools that share no code with imagectl.
@Suite(.serialized) struct OutputsTests {
    @Test func multiPlatformLayoutReadsBackWithSkopeoAndUmoci() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("oci")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "--platform", "linux/amd64,linux/arm64", "-t", "hello:test",
                             "--output", "type=oci,dest=\(tmp)/layout", "--iidfile", "\(tmp)/iid",
                             "--metadata-file", "\(tmp)/meta.json", CLI.hello], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        let digest = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(digest.hasPrefix("sha256:"))
        #expect(try String(contentsOfFile: tmp + "/iid", encoding: .utf8) == digest)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp + "/meta.json"))) as? [String: Any]
        #expect(meta?["containerimage.digest"] as? String == digest)
        #expect((meta?["containerimage.descriptor"] as? [String: Any])?["mediaType"] as? String == MediaType.ociIndex)
        #expect(meta?["image.name"] as? String == "docker.io/library/hello:test")

        let raw = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "--raw", "oci:\(tmp)/layout:test"])) as? [String: Any]
        let platforms = (raw?["manifests"] as? [[String: Any]])?.compactMap { ($0["platform"] as? [String: String])?["architecture"] }
        #expect(platforms == ["amd64", "arm64"])
        // skopeo copy --all reads every blob of both platforms and checks each digest.
        try run(["skopeo", "copy", "--all", "-q", "oci:\(tmp)/layout:test", "oci:\(tmp)/copy:test"])
        try run(["skopeo", "copy", "-q", "--override-arch", "arm64", "oci:\(tmp)/layout:test", "oci:\(tmp)/arm:test"])
        try run(["oci-image-tool", "validate", "--type", "image", "--ref", "name=test", tmp + "/arm"])
        try run(["umoci", "unpack", "--image", "\(tmp)/arm:test", tmp + "/bundle"])
        let rootfs = tmp + "/bundle/rootfs"
        let elf = try Data(contentsOf: URL(fileURLWithPath: rootfs + "/bin/busybox"))
        #expect(elf.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]))
        #expect(elf[18] == 0xb7, "e_machine must be EM_AARCH64")
        let serve = try FileManager.default.attributesOfItem(atPath: rootfs + "/app/serve")
        #expect((serve[.posixPermissions] as? Int) == 0o755)
        #expect(FileManager.default.fileExists(atPath: rootfs + "/app/model/weights.txt"))
        let hi = String(decoding: try run(["qemu-aarch64-static", rootfs + "/bin/busybox", "echo", "hi from arm64"]), as: UTF8.self)
        #expect(hi == "hi from arm64\n")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp + "/bundle/config.json"))) as? [String: Any]
        let process = config?["process"] as? [String: Any]
        #expect(process?["args"] as? [String] == ["/bin/nc", "-ll", "-p", "8080", "-e", "/app/serve"])
        #expect(process?["cwd"] as? String == "/app")
    }

    @Test func ociTarIsReadBySkopeo() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("ocitar")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "--platform", "linux/arm64,linux/amd64", "-t", "hello:tar", "--progress", "quiet",
                             "--output", "type=oci,dest=\(tmp)/hello.tar", CLI.hello], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        try run(["skopeo", "copy", "--all", "-q", "oci-archive:\(tmp)/hello.tar:tar", "oci:\(tmp)/out:tar"])
        let inspect = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "--override-arch", "arm64", "oci:\(tmp)/out:tar"])) as? [String: Any]
        #expect(inspect?["Architecture"] as? String == "arm64")
    }

    @Test func dockerArchiveLoadsAndRunsInPodman() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("docker")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "--platform", "linux/amd64,linux/arm64", "-t", "hello:podman",
                             "--output", "type=docker,dest=\(tmp)/hello.tar,platform=linux/amd64", CLI.hello], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        let inspect = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "docker-archive:\(tmp)/hello.tar"])) as? [String: Any]
        #expect(inspect?["Architecture"] as? String == "amd64")
        // podman refuses a runroot longer than 50 characters: keep its directory short.
        let podman = Podman(root: try shortTempDir())
        defer { try? FileManager.default.removeItem(atPath: podman.root) }
        let loaded = String(decoding: try podman.run(["load", "-i", tmp + "/hello.tar"]), as: UTF8.self)
        #expect(loaded.contains("hello:podman"))
        let health = try podman.serve("hello:podman", request: "GET /health HTTP/1.0\r\n\r\n")
        #expect(health.hasPrefix("HTTP/1.0 200 OK"))
        #expect(health.hasSuffix(#"{"status":"ok"}"#))
        let body = #"{"features":[1.0,2.0,3.0]}"#
        let score = try podman.serve("hello:podman", request: "POST /predict HTTP/1.0\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(score.hasSuffix(#"{"score":0.4500}"#))
        let bad = #"{"features":["x"]}"#
        let rejected = try podman.serve("hello:podman", request: "POST /predict HTTP/1.0\r\nContent-Length: \(bad.utf8.count)\r\n\r\n\(bad)")
        #expect(rejected.hasPrefix("HTTP/1.0 400 Bad Request"))
        // The container runs as the Containerfile's USER.
        #expect(try podman.run(["run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                                "--entrypoint", "/bin/sh", "hello:podman", "-c", "echo $(id -u):$PORT"]) == Data("65534:8080\n".utf8))
    }
}

extension OutputsTests {
    /// A two-platform image of one COPY: a file that says which platform it was built for.
    static func archContext() throws -> String {
        let tmp = try makeTempDir("arch")
        try write("FROM scratch\nARG TARGETARCH\nCOPY ${TARGETARCH}.txt /arch.txt\nCMD [\"/nothing\"]\n", to: tmp + "/ctx/Containerfile")
        try write("amd64\n", to: tmp + "/ctx/amd64.txt")
        try write("arm64\n", to: tmp + "/ctx/arm64.txt")
        return tmp
    }

    /// A docker tarball of two platforms with platform=linux/arm64: podman (which reads the OCI
    /// index in it) and Docker (which reads manifest.json) both load the arm64 image; without
    /// platform=, this machine's.
    @Test func aDockerTarLoadsThePlatformItNames() throws {
        let tmp = try OutputsTests.archContext()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", "two:arm",
                             "-o", "type=docker,dest=\(tmp)/arm.tar,platform=linux/arm64", tmp + "/ctx"], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        let host = try CLI.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", "two:host",
                                "-o", "type=docker,dest=\(tmp)/host.tar", tmp + "/ctx"], home: tmp + "/store")
        #expect(host.status == 0, "\(host.stderr)")
        let podman = Podman(root: try shortTempDir())
        defer { try? FileManager.default.removeItem(atPath: podman.root) }
        for (file, name, arch) in [("arm.tar", "two:arm", "arm64"), ("host.tar", "two:host", Platform.host.architecture)] {
            try podman.run(["load", "-q", "-i", "\(tmp)/\(file)"])
            let inspected = try JSONSerialization.jsonObject(with: try podman.run(["image", "inspect", name])) as? [[String: Any]]
            let inspect = try #require(inspected?.first)
            #expect(inspect["Architecture"] as? String == arch, "\(file)")
            let manifest = try JSONSerialization.jsonObject(with: try run(["tar", "-xOf", "\(tmp)/\(file)", "manifest.json"])) as? [[String: Any]]
            #expect((manifest?.first?["Config"] as? String)?.hasSuffix(((inspect["Id"] as? String) ?? "-").replacingOccurrences(of: "sha256:", with: "")) == true,
                    "manifest.json names the config podman loaded (\(file))")
        }
    }

    /// An OCI tar names the image as buildx does, so podman load gives it that name.
    @Test func anOCITarLoadsUnderItsName() throws {
        let tmp = try OutputsTests.archContext()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "-q", "-t", "registry.example/team/named:7", "-o", "type=oci,dest=\(tmp)/named.tar", tmp + "/ctx"],
                            home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        let podman = Podman(root: try shortTempDir())
        defer { try? FileManager.default.removeItem(atPath: podman.root) }
        let loaded = String(decoding: try podman.run(["load", "-i", "\(tmp)/named.tar"]), as: UTF8.self)
        #expect(loaded.contains("Loaded image: registry.example/team/named:7"), "\(loaded)")
        try podman.run(["image", "exists", "registry.example/team/named:7"])
    }
}

/// podman with its own storage under a temp dir, set up as this machine needs (runc, cgroupfs, vfs).
struct Podman {
    let root: String
    /// Where its run-time state is (a rootless podman's is under $XDG_RUNTIME_DIR).
    var runroot: String?

    func run(_ args: [String], stdin: Data? = nil) throws -> Data {
        try OutputsTests.tool(["podman", "--root", root + "/storage", "--runroot", runroot ?? root + "/run", "--storage-driver", "vfs",
                               "--cgroup-manager", "cgroupfs", "--events-backend", "file"] + args, stdin: stdin)
    }

    /// Runs the app's request handler once with a request on stdin, as `nc -e` would.
    func serve(_ image: String, request: String) throws -> String {
        String(decoding: try run(["run", "--rm", "-i", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                                  "--entrypoint", "/app/serve", image], stdin: Data(request.utf8)), as: UTF8.self)
    }
}

func shortTempDir() throws -> String {
    var template = Array("/tmp/pm-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { throw ToolError(message: "mkdtemp failed") }
    return String(cString: p)
}

extension OutputsTests {
    static func tool(_ args: [String], stdin: Data?) throws -> Data { try runDetaching(args, stdin: stdin) }
}
