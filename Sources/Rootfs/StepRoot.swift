import Foundation
import Layers
import OCI

/// The root filesystem one RUN step runs in: the stage's layers as overlayfs lower directories,
/// a writable upper directory for what the step changes, mounted at `merged`. Mount points the
/// runtime will need and the root lacks are noted first, so the diff can leave out what the
/// runtime made.
public final class StepRoot {
    public let dir: String
    public var merged: String { dir + "/merged" }
    var upper: String { dir + "/upper" }
    private var mounted = false
    private var stubs: Set<PathBytes> = []
    private var interruption: Int?

    /// `lowers`: layer directories, bottom first.
    public init(lowers: [String], dir: String) throws {
        self.dir = dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try OverlayMount.mount(lowers: lowers.reversed(), upper: upper, work: dir + "/work", at: merged)
        mounted = true
        let (dir, merged) = (dir, merged)
        interruption = Interruption.register {
            OverlayMount.unmount(merged)
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
        return try UpperDiff.entries(upper: upper, stubs: stubs) { lower.entry(at: $0) }
    }

    public func unmount() {
        if mounted { OverlayMount.unmount(merged) }
        mounted = false
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
