import CArchive
import Foundation

// Layers from one input: entries with any name bytes, link targets, modes, owners and sizes (a
// file may lie about its size; an ADD archive is any bytes), written by LayerWriter through
// libarchive and the compressors. Writing may fail with an error but never crash, and a layer
// that was written reads back, through libarchive's reader, with every name, target, mode, owner,
// mtime and byte as given.
let root = (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()) + "/fuzz-layerwriter-\(getpid())"
// The scratch directory goes when the run ends (libFuzzer exits through exit()).
let cleanup: Void = { atexit { try? FileManager.default.removeItem(atPath: root) } }()
let epochs = [0, 1_700_000_000, Int(Int32.max) + 1, 253_402_300_800, Int.max]

struct Input {
    var bytes: UnsafeBufferPointer<UInt8>
    var at = 0
    mutating func byte() -> UInt8? {
        guard at < bytes.count else { return nil }
        defer { at += 1 }
        return bytes[at]
    }
    mutating func take(_ n: Int) -> [UInt8] {
        let end = min(bytes.count, at + n)
        defer { at = end }
        return Array(bytes[at..<end])
    }
}

/// A name as the context walk or a COPY destination makes one: non-empty components, no NUL, no "." or "..".
func canonical(_ raw: [UInt8]) -> PathBytes? {
    let parts = raw.split(separator: 0x2f).map { Array($0.filter { $0 != 0 }) }.filter { !$0.isEmpty && $0 != [0x2e] && $0 != [0x2e, 0x2e] }
    return parts.isEmpty ? nil : PathBytes(joining: parts.map { PathBytes($0) })
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = Input(bytes: UnsafeBufferPointer(start: data, count: size))
    _ = cleanup
    guard let flags = input.byte() else { return 0 }
    try? FileManager.default.removeItem(atPath: root)
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    var entries: [LayerEntry] = []
    var contents: [Int: [UInt8]] = [:]
    var spliced = false
    while entries.count < 64, let kind = input.byte(), let m0 = input.byte(), let m1 = input.byte(), let owner = input.byte(),
          let nameLength = input.byte(), let path = canonical(input.take(Int(nameLength))) {
        let mode = UInt32(m0) << 8 | UInt32(m1)
        let uid = Int(owner & 0x0f) * 1_000_003 % 0x7fff_ffff
        let gid = Int(owner >> 4) * 65_537
        switch kind % 5 {
        case 0:
            let content = input.take(Int(input.byte() ?? 0))
            let source = PathBytes("c\(entries.count)")
            _ = FileManager.default.createFile(atPath: root + "/" + source.description, contents: Data(content))
            let lie = kind & 0x80 != 0
            entries.append(LayerEntry(path: path, kind: .file(source: source, size: Int64(content.count) + (lie ? Int64(kind & 0x7) - 3 : 0)),
                                      mode: mode, uid: uid, gid: gid))
            contents[entries.count - 1] = content
        case 1:
            entries.append(LayerEntry(path: path, kind: .directory, mode: mode, uid: uid, gid: gid))
        case 2:
            let target = input.take(Int(input.byte() ?? 0)).filter { $0 != 0 }
            entries.append(LayerEntry(path: path, kind: .symlink(target: PathBytes(target.isEmpty ? [0x78] : target)), mode: mode, uid: uid, gid: gid))
        case 3:
            guard let earlier = entries.last(where: { if case .file = $0.kind { return true } else { return false } }) else { continue }
            entries.append(LayerEntry(path: path, kind: .hardlink(target: earlier.path), mode: mode, uid: uid, gid: gid))
        default:
            let length = Int(input.byte() ?? 0) << 8 | Int(input.byte() ?? 0)
            let source = PathBytes("a\(entries.count)")
            _ = FileManager.default.createFile(atPath: root + "/" + source.description, contents: Data(input.take(length)))
            entries.append(LayerEntry(path: path, kind: .archive(source: source), mode: 0o755))
            spliced = true
        }
    }
    guard !entries.isEmpty else { return 0 }
    let epoch = epochs[Int(flags >> 1) % epochs.count]
    let writer = LayerWriter(compression: flags & 1 == 0 ? .gzip(level: 1) : .zstd(level: 1), epoch: epoch)
    guard let written = try? writer.write(entries, sourceRoot: root, to: root + "/layer") else { return 0 }
    guard written.size > 0 else { fatalError("an empty layer") }
    if !spliced { readBack(entries, contents, epoch: epoch) }
    return 0
}

/// A layer that does not read back as written is a finding.
func check(_ ok: Bool, _ what: @autoclosure () -> String) {
    if !ok { fatalError("\(what()) does not round-trip") }
}

func readBack(_ entries: [LayerEntry], _ contents: [Int: [UInt8]], epoch: Int) {
    let previous = uselocale(TarStream.cLocale)
    defer { uselocale(previous) }
    let a = archive_read_new()
    defer { archive_read_free(a) }
    archive_read_support_filter_all(a)
    archive_read_support_format_tar(a)
    check(archive_read_open_filename(a, root + "/layer", 1 << 16) == ARCHIVE_OK, "the layer")
    var entry: OpaquePointer?
    for (i, e) in entries.enumerated() {
        let rc = archive_read_next_header(a, &entry)
        check(rc == ARCHIVE_OK || rc == ARCHIVE_WARN, "entry \(i) (\(archive_error_string(a).map { String(cString: $0) } ?? ""))")
        guard let entry else { return }
        var name = PathBytes(cString: archive_entry_pathname(entry))
        if case .directory = e.kind, name.bytes.last == 0x2f { name.bytes.removeLast() }
        check(name == e.path, "name \(e.path.bytes) (read \(name.bytes))")
        check(archive_entry_perm(entry) == mode_t(e.mode & 0o7777), "\(e.path): mode")
        check(archive_entry_uid(entry) == e.uid && archive_entry_gid(entry) == e.gid, "\(e.path): owner")
        check(archive_entry_mtime(entry) == epoch, "\(e.path): mtime \(epoch)")
        let type = UInt32(archive_entry_filetype(entry))
        switch e.kind {
        case .file:
            check(type == IMAGECTL_AE_IFREG && archive_entry_hardlink(entry) == nil, "\(e.path): type")
            var got: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buf.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                got += buf[0..<n]
            }
            check(got == contents[i], "\(e.path): content")
        case .directory:
            check(type == IMAGECTL_AE_IFDIR, "\(e.path): type")
        case .symlink(let target):
            check(type == IMAGECTL_AE_IFLNK, "\(e.path): type")
            check(archive_entry_symlink(entry).map { PathBytes(cString: $0) } == target, "\(e.path): symlink target")
        case .hardlink(let target):
            check(archive_entry_hardlink(entry).map { PathBytes(cString: $0) } == target, "\(e.path): hard link target")
        case .archive:
            break
        }
    }
    check(archive_read_next_header(a, &entry) == ARCHIVE_EOF, "the end of the layer")
}
