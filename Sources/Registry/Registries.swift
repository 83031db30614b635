import Foundation
import OCI
import Store

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

    /// Makes every blob of an image present in the store, fetching what only has a remote source.
    public func fetchMissing(_ image: Descriptor, store: Store) throws -> Int {
        var fetched = 0
        for d in try store.closure(of: image) where !store.hasBlob(d.digest) {
            try fetch(d, store: store)
            fetched += 1
        }
        return fetched
    }

    /// Downloads one blob into the store from a recorded source, verified against its digest.
    public func fetch(_ d: Descriptor, store: Store) throws {
        let sources = store.sources(of: d.digest)
        guard !sources.isEmpty else { throw StoreError.missingBlob(d.digest) }
        var lastError: Error?
        for s in sources {
            let tmp = store.tempPath("pull")
            do {
                try client(s.registry).fetchBlob(s.repository, d, to: tmp)
                try store.commitBlob(tempPath: tmp, digest: d.digest)
                return
            } catch {
                unlink(tmp)
                lastError = error
            }
        }
        throw lastError!
    }
}
