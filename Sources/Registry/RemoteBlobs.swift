import Foundation
import OCI

/// One repository of a registry as a `BlobReader`, for `ImageView`: manifests and indexes through
/// `manifest` (checked there), other blobs read into memory within their descriptor's size and
/// checked against their digest. Documents are kept for the view's lifetime, so a walk that names
/// one twice fetches it once.
public final class RemoteBlobs: BlobReader, @unchecked Sendable {
    let client: RegistryClient
    let repository: String
    private let lock = NSLock()
    private var fetched: [Digest: Data] = [:]
    private var order: [Digest] = []
    private var spent: Int64 = 0

    /// What one image's documents (indexes, manifests, configs) may weigh in all: a walk of
    /// thousands of 4 MB manifests must not fill the memory. Layers go to files (`fetchBlob`).
    public static let memoryLimit: Int64 = 64 << 20

    /// Every document read so far, in the order it was first read.
    public var documents: [Data] {
        lock.lock()
        defer { lock.unlock() }
        return order.compactMap { fetched[$0] }
    }

    public init(client: RegistryClient, repository: String, known: [(Descriptor, Data)] = []) {
        self.client = client
        self.repository = repository
        for (d, data) in known {
            fetched[d.digest] = data
            order.append(d.digest)
            spent += Int64(data.count)
        }
    }

    public func data(_ d: Descriptor) throws -> Data {
        lock.lock()
        let kept = fetched[d.digest]
        lock.unlock()
        if let kept { return kept }
        lock.lock()
        let overBudget = d.size > RemoteBlobs.memoryLimit - spent
        lock.unlock()
        if overBudget {
            throw RegistryError.invalid("\(client.registry)/\(repository): the image's manifests and configs weigh more than \(RemoteBlobs.memoryLimit >> 20) MB; refused")
        }
        let data: Data
        if MediaType.isIndex(d.mediaType) || MediaType.isManifest(d.mediaType) {
            data = try client.manifest(repository, d.digest.description).data
        } else {
            data = try client.blobData(repository, d, limit: RemoteBlobs.memoryLimit)
        }
        guard Int64(data.count) == d.size else {
            throw RegistryError.invalid("\(client.registry)/\(repository)@\(d.digest): \(data.count) bytes where the descriptor says \(d.size)")
        }
        lock.lock()
        if fetched[d.digest] == nil {
            fetched[d.digest] = data
            order.append(d.digest)
            spent += Int64(data.count)
        }
        lock.unlock()
        return data
    }
}

extension RegistryClient {
    /// A small blob (a config) in memory: never more than its descriptor's size, nor than `limit`,
    /// and checked against its digest.
    public func blobData(_ repo: String, _ d: Descriptor, limit: Int64) throws -> Data {
        guard d.size >= 0, d.size <= limit else {
            throw RegistryError.invalid("\(registry)/\(repo)@\(d.digest): a document of \(d.size) bytes; at most \(limit >> 20) MB is read into memory")
        }
        let r = try send("GET", "\(repo)/blobs/\(d.digest)", scope: scope(repo), sink: { .memory(limit: Int(d.size)) },
                         timeout: HTTPRequest.timeout(forBytes: d.size), operation: "GET blob \(d.digest.hex.prefix(12))")
        if r.status == 404 { throw RegistryError.notFound("\(registry)/\(repo)@\(d.digest)") }
        guard r.status == 200 else { throw failure(r, operation: "GET blob", repository: repo) }
        guard d.digest.matches(r.body), Int64(r.body.count) == d.size else {
            throw RegistryError.digestMismatch("\(registry)/\(repo)@\(d.digest)", expected: d.digest.description, got: d.digest.recomputed(r.body).description)
        }
        return r.body
    }
}
