import Foundation
import OCI

/// The store as a source for `ImageView`: a blob whose size is not its descriptor's is refused
/// (blobs are hashed on their way in, so the digest holds).
extension Store: BlobReader {
    public func data(_ d: Descriptor) throws -> Data {
        let data = try readBlob(d.digest)
        guard Int64(data.count) == d.size else {
            throw StoreError.corrupt("blob \(d.digest) has \(data.count) bytes, its descriptor says \(d.size) (run `imagectl cache verify`)")
        }
        return data
    }
}
