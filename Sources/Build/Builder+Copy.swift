import Foundation
import Layers
import Rootfs
import OCI
import Store

extension Builder {
    /// COPY and ADD: resolve the sources, make the entries, and add the layer.
    func copy(_ ins: Instruction, into stage: inout Stage, plan: StagePlan, built: [Int: Stage], platform: Platform) throws {
        let isAdd = ins.keyword == "ADD"
        let lookup = stage.lookup
        let words = plan.words
        if ins.flags["parents"] == "true" || ins.flags["checksum"] != nil {
            let flag = ins.flags["parents"] == "true" ? "parents" : "checksum"
            throw BuildError("\(ins.keyword) --\(flag) is not supported; drop the flag")
        }
        // --exclude patterns are not expanded (BuildKit passes them as written) and apply to what
        // lies inside each matched source, never to the source itself, as fsutil's copy does.
        let exclude = try DockerIgnore(patterns: ins.values(of: "exclude"), origin: "\(ins.keyword) --exclude")
        let chown = try ins.flags["chown"].map { try words.expand($0, lookup) }
        let chmod = try ins.flags["chmod"].map { try words.expand($0, lookup) }
        let owner = try chown.map { try self.owner($0, stage: stage) }
        let mode = try chmod.map(FileMode.init(parsing:))
        // Heredoc sources (`<<EOF`) keep their name as written; paths and the destination are expanded.
        var sources: [String] = []
        var documents: [Heredoc] = []
        for src in ins.args.dropLast() {
            if let marker = (try? Heredoc.marker(src)) ?? nil {
                let written = ins.heredocs.last { $0.name == marker.name }
                documents.append(Heredoc(name: marker.name, expand: marker.expand, chomp: marker.chomp, content: written?.content ?? ""))
            } else {
                sources.append(try words.expand(src, lookup))
            }
        }
        let rawDest = try words.expand(ins.args.last!, lookup)
        let destPath = Builder.joinPath(stage.workdir, rawDest)
        var destRel = PathBytes(String(destPath.dropFirst()))
        // An empty destination (`COPY f $unset`) is the working directory, as BuildKit has it.
        var destIsDir = rawDest.isEmpty || rawDest.hasSuffix("/") || rawDest == "." || rawDest.hasSuffix("/.") || rawDest == ".."
            || destRel.isEmpty || stage.files.entry(destRel)?.kind == .directory
        // On a base image the destination is looked up in the stage's filesystem, as BuildKit does:
        // links in it are followed inside the root, and an existing directory takes the sources
        // inside it (`COPY conf /etc` is /etc/conf, not a file replacing /etc).
        // A destination that says it is a directory (`/app/`), copied without --chown, needs no look:
        // the base's layers then stay in the registry, for a push there to mount. A stage's own
        // layers are known without reading them, so a stage from scratch always looks.
        var existing: StageFilesystem?
        if stage.fromScratch || !destIsDir || owner != nil {
            let fs = try rootfs.filesystem(stage.layers)
            let resolved = try fs.resolve(destRel)
            destRel = resolved.path
            if resolved.entry?.kind == .directory { destIsDir = true }
            existing = fs
        }

        let source: CopySource
        var stageFiles: StageFiles?
        if let from = ins.flags["from"] {
            let s = try copySource(from, ins: ins, plan: plan, built: built, platform: platform)
            stageFiles = StageFiles(layers: s.layers, dir: store.tempPath("from"))
            source = .stage(s, stageFiles!)
        } else {
            source = .context
        }
        var matches: [(String, [SourceNode])] = []
        for src in sources {
            if isAdd, src.contains("://") || src.hasPrefix("git@") {
                throw BuildError("ADD \(src): remote sources are not supported; download the file in your pipeline and COPY it")
            }
            let found = try resolve(src, in: source)
            matches.append((src, found))
        }
        matches += try documents.map { ("<<" + $0.name, [try heredocNode($0, lookup: lookup)]) }
        let total = matches.reduce(0) { $0 + $1.1.count }
        if total == 0 {
            let whereFrom = ins.flags["from"].map { "the files of \($0)" } ?? "the build context"
            throw BuildError("\(sources.first ?? ""): nothing in \(whereFrom) matches this pattern")
        }
        // Several sources need a directory; so do several files a wildcard matched. Directories and
        // archives ADD unpacks put their contents into the destination, so a wildcard may match
        // several of them, as in BuildKit.
        let unpack = isAdd && ins.flags["unpack"] != "false"
        func spreads(_ n: SourceNode) -> Bool {
            if n.isDirectory { return true }
            guard unpack, n.contextIndex != nil, case .file(let path, _) = n.kind else { return false }
            return ArchiveSplicer.isArchive(context.absolute(path))
        }
        let severalFiles = total > 1 && matches.contains { $0.1.contains { !spreads($0) } }
        if matches.count > 1 || severalFiles {
            guard destIsDir else {
                throw BuildError("\(ins.keyword) with several sources needs a directory destination ending in /, as in \(rawDest)/")
            }
        }
        if matches.allSatisfy({ $0.1.allSatisfy(\.isDirectory) }) || total > 1 { destIsDir = true }

        // Content digests for every file from the context: the stat cache, or one parallel hashing pass.
        if case .context = source {
            try context.hash(matches.flatMap { $0.1.flatMap { contextIndexes($0, exclude: exclude) } })
            // Matched single files take their digest now; directories' files read theirs as they are listed.
            matches = matches.map { ($0.0, $0.1.map { n in n.isDirectory ? n : n.contextIndex.map(contextNode) ?? n }) }
        }
        var entries: [LayerEntry] = []
        // Directories the copy creates (the destination and its missing parents) belong to the
        // --chown owner, 0755, as in BuildKit; existing ones are left as they are.
        // With --chmod they get that mode too. A copy that brings no files (every one excluded)
        // still makes its destination directory.
        func created() throws -> [LayerEntry] {
            let fs = try existing ?? rootfs.filesystem(stage.layers)
            var dir = destIsDir ? destRel : destRel.parent
            var made: [LayerEntry] = []
            while !dir.isEmpty, !fs.isDirectory(dir) {
                made.append(LayerEntry(path: dir, kind: .directory, mode: mode?.apply(to: 0o755, isDirectory: true) ?? 0o755,
                                       uid: owner?.0 ?? 0, gid: owner?.1 ?? 0))
                dir = dir.parent
            }
            return made.reversed()
        }
        if owner != nil || mode != nil { entries += try created() }
        var linkTargets: [[UInt64]: PathBytes] = [:]
        for (_, items) in matches {
            for item in items {
                let made = try layerEntries(for: item, in: source, destRel: destRel, destIsDir: destIsDir, unpack: unpack,
                                            owner: owner, mode: mode, exclude: exclude, links: &linkTargets)
                // Taken whole when first: appending to an empty list copied every entry once more.
                if entries.isEmpty { entries = made } else { entries += made }
            }
        }
        if entries.isEmpty, destIsDir { entries = try created() }
        // The last source wins when two put something at the same path, as when extracting in order.
        // One directory's entries arrive sorted and unique already: skip the dictionary then.
        let oneSource = matches.count == 1 && matches[0].1.count == 1
        let sortedUnique = oneSource || zip(entries, entries.dropFirst()).allSatisfy { $0.path < $1.path }
        if !sortedUnique || !linkTargets.isEmpty {
            // Archives unpack in the order given, after what else lands there; several may share a path.
            let archives = entries.filter { if case .archive = $0.kind { return true } else { return false } }
            var byPath: [PathBytes: LayerEntry] = [:]
            for e in entries { if case .archive = e.kind {} else { byPath[e.path] = e } }
            Builder.orderHardLinks(&byPath)
            entries = byPath.keys.sorted().map { byPath[$0]! }
            for a in archives {
                let at = entries.firstIndex { a.path < $0.path && !$0.path.hasPrefix(a.path) } ?? entries.endIndex
                entries.insert(a, at: at)
            }
        }
        // BuildKit's history text: flags that change the files, then the expanded sources and destination.
        var history = ins.keyword
        if let chown { history += " --chown=" + chown }
        if let chmod { history += " --chmod=" + chmod }
        history += sources.map { " " + $0 }.joined() + documents.map { " <<" + $0.name }.joined() + " " + rawDest + " # buildkit"
        try addLayer(entries, ins: ins, history: history, to: &stage, platform: platform, from: stageFiles)
    }

    /// A heredoc becomes a file named after it, 0644 and owned by root before --chmod and --chown,
    /// holding its body (expanded unless the marker was quoted). The body goes into the store as a
    /// blob so the layer writer reads it as it reads any file.
    func heredocNode(_ doc: Heredoc, lookup: (String) -> String?) throws -> SourceNode {
        guard !doc.name.contains("/"), doc.name != ".", doc.name != ".." else {
            throw BuildError("<<\(doc.name) cannot name a file: a heredoc's name is its file name; copy it to the path instead")
        }
        var body = doc.body
        if doc.expand {
            var words = ShellWords(escape: "\\")
            words.skipQuotes = true
            body = try words.expand(body, lookup)
        }
        let data = Data(body.utf8)
        let digest = try store.putBlob(data)
        return SourceNode(path: PathBytes(doc.name), kind: .file(source: PathBytes(store.blobPath(digest)), size: Int64(data.count)),
                          mode: 0o644, contentDigest: digest)
    }

    func addLayer(_ entries: [LayerEntry], ins: Instruction, history: String, to stage: inout Stage, platform: Platform,
                  from files: StageFiles? = nil) throws {
        let started = Date()
        let key = try layers.key(entries)
        var outcome: LayerEvent.Outcome
        var record: LayerRecord
        if let files, !files.isEmpty {
            defer { files.remove() }
            (record, outcome) = try layers.layer(entries, key: key, prepare: { entries in
                try files.extract { try self.rootfs.blobPath($0) }
                return try entries.map(files.sized)
            }, fresh: ignoresCache(stage))
        } else {
            (record, outcome) = try layers.layer(entries, key: key, fresh: ignoresCache(stage))
        }
        stage.layers.append(record.descriptor)
        stage.config.rootfs.diffIDs.append(record.diffID)
        stage.config.history = (stage.config.history ?? []) + [
            ImageConfig.History(created: Builder.timestamp(options.created ?? options.epoch), createdBy: history, comment: Builder.historyComment),
        ]
        // Files read out of layers are gone once the layer is written: later copies read them again.
        stage.files.add(files.map { f in entries.map(f.forgotten) } ?? entries)
        rootfs.remember(entries, as: record.descriptor.digest)
        let event = LayerEvent(platform: platform, line: ins.line, instruction: ins.original, outcome: outcome,
                               digest: record.descriptor.digest, size: record.descriptor.size, files: entries.count,
                               seconds: Date().timeIntervalSince(started))
        events.append(event)
        report(event)
    }

    /// --no-cache, or --no-cache-filter naming this stage: its steps are made again.
    func ignoresCache(_ stage: Stage) -> Bool {
        options.noCache || stage.name.map { options.noCacheFilter.contains($0.lowercased()) } ?? false
    }

    /// A hard link must follow the file it names in the tar: the first path in sorted order of each
    /// group of links holds the bytes, and the others point at it.
    static func orderHardLinks(_ byPath: inout [PathBytes: LayerEntry]) {
        var groups: [PathBytes: [PathBytes]] = [:]
        for e in byPath.values { if case .hardlink(let t) = e.kind { groups[t, default: []].append(e.path) } }
        for (target, members) in groups {
            guard let file = byPath[target], case .file = file.kind else {
                for m in members { byPath[m] = nil }
                continue
            }
            let first = ([target] + members).min()!
            guard first != target else { continue }
            byPath[first]!.kind = file.kind
            byPath[target]!.kind = .hardlink(target: first)
            for m in members where m != first { byPath[m]!.kind = .hardlink(target: first) }
        }
    }

    /// `--chown=user[:group]`: numbers as they are, names from the stage's /etc/passwd and
    /// /etc/group (read only when a name is used).
    func owner(_ s: String, stage: Stage, flag: String = "--chown") throws -> (Int, Int) {
        if let numeric = try? Builder.owner(s) { return numeric }
        do {
            let ids = try rootfs.accounts(stage.layers).resolve(s)
            return (ids.uid, ids.gid)
        } catch let e as RootfsError {
            throw BuildError("\(flag)=\(e)")
        }
    }

    /// `uid[:gid]` in numbers (and `root`).
    static func owner(_ s: String) throws -> (Int, Int) {
        let parts = s.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        func id(_ p: String) throws -> Int {
            if p == "root" { return 0 }
            guard let v = Int(p), v >= 0, v <= 0x7fff_ffff else {
                throw BuildError("--chown=\(s): use numeric IDs (as in --chown=1000:1000); user and group names are not looked up")
            }
            return v
        }
        let uid = try id(parts[0])
        return (uid, parts.count == 2 ? try id(parts[1]) : uid)
    }
}

/// Where COPY reads from: the build context, or the filesystem of an earlier stage or an image.
enum CopySource {
    case context
    case stage(Stage, StageFiles)
}

/// One file, directory or symlink COPY can read, with the metadata that goes into the layer.
struct SourceNode {
    /// Relative to the source root ("" is the root itself).
    var path: PathBytes
    var kind: LayerEntry.Kind
    var mode: UInt32
    var uid = 0
    var gid = 0
    /// Device and inode of a file with several links, so hard links stay hard links.
    var linkID: [UInt64]?
    /// Known for files an earlier stage copied; context files are hashed later, all at once.
    var contentDigest: Digest?
    /// Where a context node sits in the context's sorted file list.
    var contextIndex: Int?

    var isDirectory: Bool { if case .directory = kind { return true } else { return false } }
}
