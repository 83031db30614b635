import OCI

/// One thing a layer holds, in the order it goes into the tar.
public struct LayerEntry: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A regular file whose bytes come from `source` on disk (relative to the writer's source root).
        case file(source: PathBytes, size: Int64)
        case directory
        case symlink(target: PathBytes)
        /// A hard link to an earlier entry of the same layer.
        case hardlink(target: PathBytes)
        /// Every entry of a local tar archive (ADD), placed under `path`; with `chown` every entry
        /// takes the entry's uid and gid (ADD --chown), else keeps the archive's own.
        case archive(source: PathBytes, chown: Bool = false)
    }

    /// Path inside the image, relative to `/`, without a trailing slash ("app/main.py").
    public var path: PathBytes
    public var kind: Kind
    /// Permission bits (including setuid, setgid and sticky).
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    /// The SHA-256 of a file's or archive's bytes: what the layer cache key is made of.
    public var contentDigest: Digest?
    /// Extended attributes that go into the tar (security.capability of a file a RUN made).
    public var xattrs: [String: [UInt8]]?

    public init(path: PathBytes, kind: Kind, mode: UInt32, uid: Int = 0, gid: Int = 0, contentDigest: Digest? = nil) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.contentDigest = contentDigest
    }
}

/// The compressed form of layers.
public enum Compression: Hashable, Sendable, CustomStringConvertible {
    case gzip(level: Int)
    case zstd(level: Int)

    public static let `default` = Compression.gzip(level: 6)

    /// Parses `gzip`, `zstd`, `gzip,level=9` as buildx spells it.
    public init(parsing s: String) throws {
        let parts = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var level: Int?
        for p in parts.dropFirst() {
            guard p.hasPrefix("level="), let l = Int(p.dropFirst(6)) else {
                throw LayerError.badOption("--compression", s, "expected gzip|zstd[,level=N]")
            }
            level = l
        }
        switch parts.first {
        case "gzip":
            let l = level ?? 6
            guard (1...9).contains(l) else { throw LayerError.badOption("--compression", s, "gzip levels are 1 to 9") }
            self = .gzip(level: l)
        case "zstd":
            let l = level ?? 3
            guard (1...19).contains(l) else { throw LayerError.badOption("--compression", s, "zstd levels are 1 to 19") }
            self = .zstd(level: l)
        default:
            throw LayerError.badOption("--compression", s, "expected gzip or zstd")
        }
    }

    public var description: String {
        switch self {
        case .gzip(let l): return "gzip,level=\(l)"
        case .zstd(let l): return "zstd,level=\(l)"
        }
    }

    public var mediaType: String {
        switch self {
        case .gzip: return "application/vnd.oci.image.layer.v1.tar+gzip"
        case .zstd: return "application/vnd.oci.image.layer.v1.tar+zstd"
        }
    }
}
