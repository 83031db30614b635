import Foundation
import Layers
import Rootfs
import OCI

extension Builder {
    /// WORKDIR makes its directory in a layer, as BuildKit's dispatchWorkdir does (a mkdir -p with
    /// the stage's USER as owner, 0755): directories that are missing are created, owned by the
    /// USER; one that exists is left alone and the layer is empty. `/` needs nothing.
    func workdir(_ ins: Instruction, in stage: inout Stage, platform: Platform) throws {
        let fs = try rootfs.filesystem(stage.layers)
        let shown = stage.workdir
        let resolved = try fs.resolve(PathBytes(String(shown.dropFirst())))
        var entries: [LayerEntry] = []
        if let there = resolved.entry {
            guard there.kind == .directory else {
                throw BuildError("WORKDIR \(shown): /\(resolved.path) exists and is not a directory")
            }
        } else {
            var missing: [PathBytes] = []
            var dir = resolved.path
            while !dir.isEmpty, fs.entry(at: dir) == nil {
                missing.append(dir)
                dir = dir.parent
            }
            if !dir.isEmpty, fs.entry(at: dir)?.kind != .directory {
                throw BuildError("WORKDIR \(shown): /\(dir) exists and is not a directory")
            }
            let user = stage.config.config.user ?? ""
            let (uid, gid) = user.isEmpty ? (0, 0) : try owner(user, stage: stage, flag: "USER")
            entries = missing.reversed().map { LayerEntry(path: $0, kind: .directory, mode: 0o755, uid: uid, gid: gid) }
        }
        // BuildKit's history line for it names no "# buildkit": the mkdir is not a command.
        try addLayer(entries, ins: ins, history: "WORKDIR " + shown, to: &stage, platform: platform)
    }
}
