import Foundation
import Layers

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

    /// `lowers`: layer directories, bottom first.
    public init(lowers: [String], dir: String) throws {
        self.dir = dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try OverlayMount.mount(lowers: lowers.reversed(), upper: upper, work: dir + "/work", at: merged)
        mounted = true
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

    /// Makes the working directory when the root lacks it, as BuildKit does: it is part of the step's layer.
    public func ensureDirectory(_ path: String) throws {
        let full = merged + "/" + (CleanPath.relative(PathBytes(path), above: .clamp)?.description ?? "")
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: full, isDirectory: &isDir) {
            guard isDir.boolValue else { throw RootfsError("the working directory \(path) is not a directory") }
            return
        }
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
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
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { remove() }
}
