import Foundation
import OCI
import Registry
import Store

/// Blobs the store knows only by where they live in a registry, brought home.
extension Registries {
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
