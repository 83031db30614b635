import Foundation
import OCI

/// The content-addressed store that is also the layer cache.
///
/// Layout under the root: `blobs/sha256/<hex>` (immutable, named by digest), `cache/<key>.json`
/// (a layer cache key -> the layer it produced), `images/<hash>.json` (a name -> a manifest or index
/// descriptor), `contexts/` (per-context stat records), `sources/` (where absent blobs can be had),
/// `leases/` (what live handles use), `tmp/` (writes in progress) and `lock`.
/// Every write goes to `tmp/`, is fsynced, then renamed: a reader never sees half a file.
///
/// A `Store` value is one handle on the store, and holds a lease from its first use until `close()`,
/// its deinit or the death of its process: every blob it writes or finds stays until then, whatever
/// `cache prune` runs beside it. Directories are 0700 whatever the umask: a cache record or a stat
/// record another local user could write would put their files into this user's next image.
public final class Store: Sendable {
    public let root: String
    let lease: Lease

    public init(root: String) throws {
        self.root = root
        try Store.makePrivateDirectory(root, isRoot: true)
        for dir in ["blobs", "blobs/sha256", "blobs/sha512", "cache", "images", "contexts", "sources", "leases", "tmp"] {
            try Store.makePrivateDirectory("\(root)/\(dir)")
        }
        lease = Lease(root: root)
    }

    /// Ends this handle's lease: its temp files go, and prune may take what only it was using.
    public func close() { lease.end() }

    /// `$IMAGECTL_HOME`, else `$XDG_CACHE_HOME/imagectl`, else `~/.cache/imagectl`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["IMAGECTL_HOME"], !home.isEmpty { return home }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/imagectl" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/imagectl"
    }

    public var tmpDir: String { root + "/tmp" }

    public func blobPath(_ d: Digest) -> String { "\(root)/blobs/\(d.algorithm)/\(d.hex)" }

    /// Whether the blob is here; from this call on, this handle's lease keeps it here.
    public func hasBlob(_ d: Digest) -> Bool {
        lease.record(d)
        return blobExists(d)
    }

    func blobExists(_ d: Digest) -> Bool { access(blobPath(d), F_OK) == 0 }

    public func readBlob(_ d: Digest) throws -> Data {
        guard let data = FileManager.default.contents(atPath: blobPath(d)) else {
            throw StoreError.missingBlob(d)
        }
        return data
    }

    /// Stores bytes under their SHA-256 digest (a no-op when the blob is already there).
    @discardableResult
    public func putBlob(_ data: Data) throws -> Digest {
        let d = Digest.sha256(data)
        if !hasBlob(d) { try AtomicFile.write(data, to: blobPath(d), tempPath: tempPath("put")) }
        return d
    }

    /// Moves a finished temp file (fsynced by its writer) into place under its digest. Only a
    /// regular file is taken: a symlink copied from a layout would let its target change after
    /// it was hashed. It is made 0644 whatever mode its source had.
    public func commitBlob(tempPath: String, digest: Digest) throws {
        var st = stat()
        guard lstat(tempPath, &st) == 0 else { throw StoreError.io(tempPath, String(cString: strerror(errno))) }
        guard st.st_mode & S_IFMT == S_IFREG, chmod(tempPath, 0o644) == 0 else {
            unlink(tempPath)
            throw StoreError.corrupt("blob \(digest) came as a symlink or a special file and was not stored; resolve its links (cp -L) and try again")
        }
        lease.record(digest)
        try AtomicFile.commit(tempPath: tempPath, to: blobPath(digest))
    }

    /// A fresh path under `tmp/` for a writer; prune leaves it alone while this handle's lease lives.
    public func tempPath(_ hint: String = "blob") -> String { lease.tempPath(hint) }

    /// Writes a store file (a stat record, a name) all or nothing.
    public func writeAtomically(_ data: Data, to path: String) throws {
        try AtomicFile.write(data, to: path, tempPath: tempPath("w"))
    }

    /// The same for a file written in pieces through a descriptor (a context's stat records).
    public func writeAtomically(to path: String, _ fill: (Int32) throws -> Bool) throws {
        try AtomicFile.write(to: path, tempPath: tempPath("w"), fill)
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case missingBlob(Digest)
    case io(String, String)
    case noSuchImage(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .missingBlob(let d): return "store: blob \(d) is missing (run `imagectl cache verify`, then build again)"
        case .io(let p, let why): return "\(p): \(why)"
        case .noSuchImage(let n): return "no image named \"\(n)\" in the store (see `imagectl images`)"
        case .corrupt(let why): return "store: \(why)"
        }
    }
}
