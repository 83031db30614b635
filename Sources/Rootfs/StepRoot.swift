import Foundation
import Layers
import OCI

/// The root filesystem one RUN step runs in, at `merged`: the stage's layers stacked by the
/// `Snapshotter` it got (overlayfs's lower directories under a writable upper directory, or one
/// copy of them all). Mount points the runtime will need and the root lacks are noted first, so
/// the diff can leave out what the runtime made.
public final class StepRoot {
    public let dir: String
    public var merged: String { dir + "/merged" }
    public let snapshotter: Snapshotter
    var upper: String { dir + "/upper" }
    private let lowers: [String]
    private var mounted = false
    private var copied: RootCopy?
    var stubs: Set<PathBytes> = []
    private var interruption: Int?

    /// `lowers`: layer directories, bottom first.
    public init(lowers: [String], dir: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.dir = dir
        self.lowers = lowers
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (upper, merged) = (dir + "/upper", dir + "/merged")
        var copied: RootCopy?
        // A root that could not be made leaves nothing (a half copy of the stage among it).
        do {
            snapshotter = try Snapshotter.choose(environment) { s in
                // What a failed attempt left goes before the next one starts afresh.
                for d in ["upper", "work", "work-empty", "merged", "copied"] { FileTree.removeTree(dir + "/" + d) }
                switch s {
                case .overlay:
                    try OverlayMount.mount(lowers: lowers.reversed(), upper: upper, work: dir + "/work", at: merged)
                case .fuseOverlayfs:
                    try FuseOverlayMount.mount(lowers: lowers.reversed(), upper: upper, work: dir + "/work", at: merged, environment: environment)
                case .copy:
                    try FileManager.default.createDirectory(atPath: merged, withIntermediateDirectories: true)
                    copied = try RootCopy.make(lowers: lowers, at: merged, stamp: dir + "/copied")
                }
            }
        } catch {
            FileTree.removeTree(dir)
            throw error
        }
        self.copied = copied
        mounted = snapshotter != .copy
        let kind = snapshotter
        interruption = Interruption.register {
            StepRoot.unmount(merged, kind)
            FileTree.removeTree(dir)
        }
    }

    /// Records which of `points` (absolute paths in the step) the root lacks, with their missing parents.
    public func noteMountPoints(_ points: [String]) {
        for p in points {
            var rel = PathBytes(CleanPath.relative(PathBytes(p), above: .clamp)?.bytes ?? [])
            while !rel.isEmpty {
                var st = stat()
                if PathBytes(merged).appending(rel).withCString({ lstat($0, &st) }) == 0 { break }
                stubs.insert(rel)
                rel = rel.parent
            }
        }
    }

    /// What the step changed, as layer entries (read once the filesystem is unmounted).
    public func changes(lower: StageFilesystem) throws -> [LayerEntry] {
        unmount()
        switch snapshotter {
        case .overlay:
            return try UpperDiff.entries(upper: upper, form: .kernel, stubs: stubs) { lower.entry(at: $0) }
        case .fuseOverlayfs:
            return try UpperDiff.entries(upper: upper, form: .fuse, stubs: stubs) { lower.entry(at: $0) }
        case .copy:
            guard let copied else { throw RootfsError("\(merged): the copy is gone") }
            return try TreeDiff.entries(tree: merged, lowers: lowers, copy: copied, stubs: stubs)
        }
    }

    public func unmount() {
        if mounted { StepRoot.unmount(merged, snapshotter) }
        mounted = false
    }

    static func unmount(_ target: String, _ snapshotter: Snapshotter) {
        switch snapshotter {
        case .overlay: OverlayMount.unmount(target)
        case .fuseOverlayfs: FuseOverlayMount.unmount(target)
        case .copy: break
        }
    }

    /// Unmounts and removes everything of the step.
    public func remove() {
        unmount()
        FileTree.removeTree(dir)
        if let interruption { Interruption.unregister(interruption) }
        interruption = nil
    }

    deinit { remove() }
}
