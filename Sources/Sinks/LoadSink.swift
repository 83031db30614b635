import Foundation
import OCI
import Processes
import Store

/// `--load` (`type=docker` without dest): the docker-archive streamed into `docker load`, when a
/// docker CLI reaches a daemon, else into `podman load`; nothing is written to disk on the way.
public struct LoadSink: ImageSink {
    public let name: String?
    public let platform: Platform?
    /// Hears what the loader said it loaded.
    public let note: @Sendable (String) -> Void

    /// A daemon that does not answer `docker version` in this long is taken as not there.
    static let probeSeconds = 15.0
    /// A loader that reads nothing of the archive for this long is stopped.
    static let stallSeconds = 300.0
    /// How long a loader may take once it has the whole archive (Docker unpacks layers then).
    static let finishSeconds = 900.0

    public func write(_ image: Descriptor, from store: Store, names: [Reference]) throws {
        let environment = ProcessInfo.processInfo.environment
        let (tool, path) = try LoadSink.loader(environment: environment)
        let child = try ChildProcess(path, [tool, "load"], environment: environment, feedsInput: true)
        let writer = PipeWriter(fd: child.input, stall: LoadSink.stallSeconds)
        var failure: Error?
        do {
            let ref = name.flatMap { try? Reference(parsing: $0) } ?? names.first
            try ImageExport(store: store, image: image).writeDockerArchive(
                to: .pipe(writer, shown: "--load: \(tool) load"),
                repoTags: name.map { [$0] } ?? names.map(\.familiar), imageName: ref?.description, platform: platform)
        } catch {
            // Our side failed (no such platform, a blob unreadable) or the loader stopped reading:
            // it must not take what it got as an image, and our words say more than its.
            if writer.failure == nil || writer.stalled {
                child.kill()
                throw error
            }
            failure = error
        }
        let status = child.wait(timeout: LoadSink.finishSeconds)
        let said = child.outputLines
        guard let status else {
            throw ExportError.load("\(tool) load was still running after \(Int(LoadSink.finishSeconds)) s and was stopped")
        }
        // The loader's own words come first: a write that failed because it gave up says less.
        guard status == 0 else {
            let why = said.last.map { ": " + String($0.prefix(400)) } ?? ""
            throw ExportError.load("\(tool) load failed (exit status \(status))\(why)")
        }
        if let failure { throw failure }
        // "Loaded image: NAME" (or "Loaded image ID: …" for an unnamed one); the copying lines are noise.
        for line in said where line.hasPrefix("Loaded image") { note("\(tool): \(line)") }
    }

    /// docker when its CLI is on PATH and answers with a daemon's version, else podman.
    static func loader(environment: [String: String]) throws -> (String, String) {
        if let docker = ChildProcess.executable("docker", environment: environment),
           let probe = try? ChildProcess(docker, ["docker", "version", "--format", "{{.Server.Version}}"], environment: environment, feedsInput: false),
           probe.wait(timeout: probeSeconds) == 0 {
            return ("docker", docker)
        }
        if let podman = ChildProcess.executable("podman", environment: environment) { return ("podman", podman) }
        throw ExportError.load("neither a docker with a running daemon nor podman was found on PATH: start Docker, install podman, or write a tarball with -o type=docker,dest=FILE.tar")
    }
}
