import Foundation
import OCI

/// One client per registry host for a whole command, so connections and tokens are shared.
public final class Registries: @unchecked Sendable {
    public let options: RegistryOptions
    private let lock = NSLock()
    private var clients: [String: RegistryClient] = [:]

    public init(options: RegistryOptions) { self.options = options }

    /// The client for a registry host, however it is spelled (see `RegistryHost`).
    public func client(_ registry: String) -> RegistryClient {
        let host = RegistryHost.normalise(registry)
        lock.lock()
        defer { lock.unlock() }
        if let c = clients[host] { return c }
        let c = RegistryClient(registry: host, options: options)
        clients[host] = c
        return c
    }
}
