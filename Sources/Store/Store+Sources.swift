import Foundation
import OCI

/// Where a blob that is not (yet) in the store can be had: base image layers are recorded here
/// instead of being downloaded, so a push to the same registry mounts them and nothing else
/// fetches them until an export needs their bytes.
public struct BlobSource: Codable, Hashable, Sendable {
    public var registry: String
    public var repository: String

    public init(registry: String, repository: String) {
        self.registry = registry
        self.repository = repository
    }
}

extension Store {
    func sourcePath(_ d: Digest) -> String { "\(root)/sources/\(d.hex).json" }

    /// Notes where a blob can be had. Only the first source of a blob the store lacks is needed
    /// (it is how that blob is ever fetched); any other saves an upload later at most, so failing
    /// to write it down (a full disk) does not fail the push or pull that learnt it.
    public func recordSource(_ d: Digest, _ source: BlobSource) throws {
        var all = sources(of: d)
        guard !all.contains(source) else { return }
        let needed = all.isEmpty && !blobExists(d)
        all.append(source)
        do {
            try writeAtomically(try CanonicalJSON.encode(all), to: sourcePath(d))
        } catch {
            if needed { throw error }
        }
    }

    public func sources(of d: Digest) -> [BlobSource] {
        guard let data = FileManager.default.contents(atPath: sourcePath(d)),
              let list = try? CanonicalJSON.decode([BlobSource].self, from: data) else { return [] }
        return list
    }
}
