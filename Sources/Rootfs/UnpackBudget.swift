import Foundation

/// Bounds what unpacking one layer may put on disk. A few megabytes of gzip can expand to
/// terabytes, and a layer is someone else's file: the entries are counted, and the bytes written
/// are checked against the filesystem's free space as they grow, so a hostile layer stops with
/// one line while the disk still has room for everything else.
struct UnpackBudget {
    /// Left free on the store's filesystem whatever a layer holds.
    static let reserveBytes: Int64 = 1 << 30
    /// How often (in bytes written) the free space is looked at again.
    static let checkEvery = 256 << 20

    let root: String
    let name: String
    private var entries = 0
    private var sinceCheck = Int.max

    init(root: String, name: String) {
        self.root = root
        self.name = name
    }

    mutating func entry() throws {
        entries += 1
        guard entries <= LayerReader.maxEntries else {
            throw RootfsError("\(name): more than \(LayerReader.maxEntries) entries; the layer is refused")
        }
    }

    mutating func write(_ bytes: Int) throws {
        if sinceCheck < UnpackBudget.checkEvery - bytes {
            sinceCheck += bytes
            return
        }
        sinceCheck = bytes
        var fs = statvfs()
        guard statvfs(root, &fs) == 0 else { return }
        let free = Int64(fs.f_bavail) * Int64(fs.f_frsize)
        guard free - Int64(bytes) >= UnpackBudget.reserveBytes else {
            throw RootfsError("\(name): unpacking stopped with less than \(UnpackBudget.reserveBytes >> 30) GiB free on the store's filesystem: free space (or `imagectl cache prune`), or the layer expands beyond any disk (a damaged or hostile image)")
        }
    }
}
