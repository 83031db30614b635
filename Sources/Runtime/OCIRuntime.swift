import Foundation
import OCI
import Processes

/// An OCI runtime (runc, or crun) run as a child process for each step: no daemon, and nothing
/// left running once the step ends. Its state lives under `stateRoot`, so containers a killed
/// imagectl left behind can be found and removed by the next run.
public struct OCIRuntime: Sendable {
    public let name: String
    public let path: String
    public let stateRoot: String

    /// runc, else crun, from PATH; `IMAGECTL_RUNTIME` names another.
    public static func find(stateRoot: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> OCIRuntime {
        let names = environment["IMAGECTL_RUNTIME"].map { [$0] } ?? ["runc", "crun"]
        // The runtimes live in sbin, which a user's PATH may leave out.
        var search = environment
        search["PATH"] = (environment["PATH"].map { $0 + ":" } ?? "") + "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin"
        for name in names {
            let path = name.hasPrefix("/") ? name : ChildProcess.executable(name, environment: search)
            if let path, access(path, X_OK) == 0 {
                return OCIRuntime(name: (name as NSString).lastPathComponent, path: path, stateRoot: stateRoot)
            }
        }
        throw RuntimeError("RUN needs an OCI runtime: install runc (apt-get install runc) or crun, or name one with IMAGECTL_RUNTIME")
    }

    /// Runs `step` over the root filesystem mounted at `rootfs`, in `bundle` (a directory for the
    /// runtime's files, made here). Output, standard and error together, goes to `output` as it
    /// comes. Returns the step's exit status.
    public func run(_ step: StepSpec, rootfs: String, bundle: String, id: String,
                    output: @escaping @Sendable (Data) -> Void) throws -> Int32 {
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: stateRoot, withIntermediateDirectories: true)
        let hosts = bundle + "/hosts", resolv = bundle + "/resolv.conf"
        try Data(NetworkFiles.hosts(hostname: step.hostname).utf8).write(to: URL(fileURLWithPath: hosts))
        try Data(NetworkFiles.resolvConf(network: step.network).utf8).write(to: URL(fileURLWithPath: resolv))
        let spec = step.runtimeSpec(rootfs: rootfs, hosts: hosts, resolvConf: resolv, inUserNamespace: UserNamespace.isInside)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(spec).write(to: URL(fileURLWithPath: bundle + "/config.json"))
        let runtime = self
        let token = Interruption.register { runtime.delete(id) }
        defer { Interruption.unregister(token) }
        let child = try ChildProcess(path, [name, "--root", stateRoot, "run", "--bundle", bundle, id],
                                     environment: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                                     feedsInput: false, onOutput: output)
        // A step may take as long as it needs; imagectl's own end takes the runtime with it.
        let status = child.wait(timeout: .infinity) ?? 137
        // `run` removes its container when the process exits; one left behind is removed here.
        if access(stateRoot + "/" + id, F_OK) == 0 { delete(id) }
        return status
    }

    /// Removes the container `id` if the runtime still knows it.
    public func delete(_ id: String) {
        if let child = try? ChildProcess(path, [name, "--root", stateRoot, "delete", "--force", id], environment: [:], feedsInput: false) {
            _ = child.wait(timeout: 30)
        }
    }

    /// Removes the containers under this state root that `abandoned` says no live build owns:
    /// what an imagectl killed mid-step left. Another build's running step is left alone.
    public func removeStale(abandoned: (String) -> Bool) {
        guard let ids = try? FileManager.default.contentsOfDirectory(atPath: stateRoot) else { return }
        for id in ids where abandoned(id) { delete(id) }
    }
}

public struct RuntimeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
