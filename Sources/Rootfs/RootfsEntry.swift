import Foundation
import Layers

/// One thing a layer holds, as a stage's filesystem sees it: no contents, only what COPY's
/// destination rules, `--chown` and WORKDIR consult.
public struct RootfsEntry: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case file = 0, directory, symlink, hardlink, other
    }

    /// Relative to `/`, cleaned ("etc/passwd"); the root itself is "".
    public var path: PathBytes
    public var kind: Kind
    /// Permission bits (setuid, setgid and sticky included).
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    public var size: Int64
    /// A symlink's target as written, or the path a hard link names.
    public var link: PathBytes?

    public init(path: PathBytes, kind: Kind, mode: UInt32, uid: Int = 0, gid: Int = 0, size: Int64 = 0, link: PathBytes? = nil) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.link = link
    }
}

/// What one layer does to the filesystem below it: entries it adds or replaces, paths it deletes
/// (`.wh.NAME`), and directories whose lower contents it hides (`.wh..wh..opq`).
public struct LayerListing: Hashable, Sendable {
    public var entries: [RootfsEntry] = []
    public var whiteouts: [PathBytes] = []
    public var opaque: [PathBytes] = []
    /// The bytes of the few small files a build reads from a base (/etc/passwd and /etc/group),
    /// kept when the layer is listed so that it is read once, not again for them.
    public var kept: [PathBytes: Data] = [:]

    public init(entries: [RootfsEntry] = [], whiteouts: [PathBytes] = [], opaque: [PathBytes] = []) {
        self.entries = entries
        self.whiteouts = whiteouts
        self.opaque = opaque
    }
}

public struct RootfsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
