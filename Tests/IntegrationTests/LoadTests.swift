import Foundation
import OCI
import TestSupport
import Testing

/// `--load` into the real podman (the docker CLI, where there is one, has no daemon to reach: the
/// tests point it at a socket that does not exist, so podman is the loader as on a CI runner
/// without Docker).
@Suite struct LoadTests {
    /// A podman whose storage imagectl's `podman load` and the test's own podman calls share.
    static func podman() throws -> (Podman, [String: String]) {
        let podman = Podman(root: try shortTempDir())
        try write("[storage]\ndriver = \"vfs\"\ngraphroot = \"\(podman.root)/storage\"\nrunroot = \"\(podman.root)/run\"\n",
                  to: podman.root + "/storage.conf")
        return (podman, ["CONTAINERS_STORAGE_CONF": podman.root + "/storage.conf",
                         "DOCKER_HOST": "unix://\(podman.root)/no-docker.sock"])
    }

    @Test func loadPutsTheImageInPodmanAndItRuns() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("load")
        let (podman, env) = try Self.podman()
        defer { try? FileManager.default.removeItem(atPath: tmp); try? FileManager.default.removeItem(atPath: podman.root) }
        let r = try CLI.run(["build", "--platform", "linux/amd64,linux/arm64", "-t", "hello:load", "--load", CLI.hello],
                            home: tmp + "/store", environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("podman: Loaded image: docker.io/library/hello:load"), "\(r.stderr)")
        try podman.run(["image", "exists", "hello:load"])
        // Two platforms: the one loaded is this machine's, and it runs.
        #expect(String(decoding: try podman.run(["image", "inspect", "--format", "{{.Architecture}}", "hello:load"]), as: UTF8.self)
            == Platform.host.architecture + "\n")
        let said = try podman.run(["run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                                   "--entrypoint", "/bin/sh", "hello:load", "-c", "echo loaded on $PORT"])
        #expect(String(decoding: said, as: UTF8.self) == "loaded on 8080\n")
        // buildx's own spelling of --load, with the platform to load.
        let arm = try CLI.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", "hello:arm", "-o", "type=docker,platform=linux/arm64",
                               CLI.hello], home: tmp + "/store", environment: env)
        #expect(arm.status == 0, "\(arm.stderr)")
        #expect(String(decoding: try podman.run(["image", "inspect", "--format", "{{.Architecture}}", "hello:arm"]), as: UTF8.self) == "arm64\n")
    }

    @Test func withoutALoaderOrWhenItFailsItIsOneLine() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("noload")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try FileManager.default.createDirectory(atPath: tmp + "/empty-bin", withIntermediateDirectories: true)
        let none = try CLI.run(["build", "-q", "-t", "hello:none", "--load", CLI.hello], home: tmp + "/store",
                               environment: ["PATH": tmp + "/empty-bin"])
        #expect(none.status == 1)
        #expect(none.stderr == "imagectl: error: --load: neither a docker with a running daemon nor podman was found on PATH: start Docker, install podman, or write a tarball with -o type=docker,dest=FILE.tar\n")
        #expect(none.stdout.isEmpty)
        // A real podman that cannot store anything: it gives up before reading the image (which is
        // larger than a pipe holds), and its own words are the error.
        try write("[storage]\ndriver = \"vfs\"\ngraphroot = \"/dev/null/storage\"\nrunroot = \"/dev/null/run\"\n", to: tmp + "/bad.conf")
        let failed = try CLI.run(["build", "-q", "-t", "hello:bad", "--load", CLI.hello], home: tmp + "/store",
                                 environment: ["CONTAINERS_STORAGE_CONF": tmp + "/bad.conf", "DOCKER_HOST": "unix://\(tmp)/no-docker.sock"])
        #expect(failed.status == 1)
        let lines = failed.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(failed.stderr)")
        #expect(failed.stderr.hasPrefix("imagectl: error: --load: podman load failed (exit status 125): "), "\(failed.stderr)")
        #expect(failed.stderr.contains("/dev/null"), "\(failed.stderr)")
        // A failure on our side is ours to tell, and the loader, stopped, loads nothing.
        let (podman, env) = try Self.podman()
        defer { try? FileManager.default.removeItem(atPath: podman.root) }
        let missing = try CLI.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", "hello:s390x", "-o", "type=docker,platform=linux/s390x",
                                   CLI.hello], home: tmp + "/store", environment: env)
        #expect(missing.status == 1)
        #expect(missing.stderr == "imagectl: error: --output type=docker: the image has no linux/s390x manifest (it has linux/amd64, linux/arm64); pick one with platform=…\n")
        #expect(String(decoding: try podman.run(["images", "-q"]), as: UTF8.self).isEmpty)
        let temps = (try? FileManager.default.subpathsOfDirectory(atPath: tmp + "/store/tmp")) ?? []
        #expect(temps.isEmpty, "\(temps)")
    }
}
