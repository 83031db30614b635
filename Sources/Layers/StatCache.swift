import Foundation
import OCI

/// Remembers each context file's content digest against its stat (size, mtime, ctime, inode), so a
/// rebuild of an unchanged context reads no file contents.
///
/// One line per file, `size mtime ctime inode hex path` (the path's bytes as they are), in path
/// order so that loading is a merge with the sorted walk rather than a hash table. A file modified
/// within the second before the build started is not remembered: a second write in the same clock
/// tick would go unnoticed. Both ways the file streams through a buffer of bounded size: the
/// records of a million files are never held beside the walk's own.
enum StatCache {
    static let bufferSize = 1 << 18

    /// Fills `digest` of every file whose stat still matches its record; both are in path order.
    /// A file that cannot be read is no records; a damaged line is skipped.
    static func merge(_ path: String, into files: inout ContextFiles) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var cursor = 0
        var filled = 0
        while true {
            let n = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n < 0, errno == EINTR { continue }
            let atEnd = n <= 0
            if !atEnd { filled += n }
            // Every complete line; at the end of the file the last line may lack its newline.
            var start = 0
            while start < filled {
                let rest = UnsafeRawBufferPointer(rebasing: buffer[start..<filled])
                guard let nl = rest.firstIndex(of: 10) else {
                    if atEnd { apply(rest, to: &files, cursor: &cursor) }
                    break
                }
                apply(UnsafeRawBufferPointer(rebasing: rest[0..<nl]), to: &files, cursor: &cursor)
                start += nl + 1
            }
            if atEnd || cursor >= files.count { return }
            if start == 0, filled == buffer.count {
                // A line longer than the buffer is no record a build wrote (paths are at most
                // PATH_MAX): skip to its end.
                filled = 0
                skipLine(fd, buffer)
                continue
            }
            if start < filled { memmove(buffer.baseAddress!, buffer.baseAddress! + start, filled - start) }
            filled -= min(start, filled)
        }
    }

    private static func skipLine(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) {
        var one: UInt8 = 0
        while read(fd, &one, 1) == 1, one != 10 {}
    }

    /// One line against the files from `cursor` on.
    private static func apply(_ line: UnsafeRawBufferPointer, to files: inout ContextFiles, cursor: inout Int) {
        guard let (record, name) = parse(line) else { return }
        var i = cursor
        var order = 1
        files.bytes.withUnsafeBytes { all in
            files.starts.withUnsafeBufferPointer { s in
                while i < files.records.count {
                    order = ContextFiles.compare(UnsafeRawBufferPointer(rebasing: all[s[i]..<s[i + 1]]), name)
                    if order >= 0 { break }
                    i += 1
                }
            }
        }
        cursor = i
        guard order == 0 else { return }
        let f = files.records[i]
        if f.type == .file, f.size == record.size, f.mtime == record.mtime, f.ctime == record.ctime, f.inode == record.inode {
            files.records[i].digest = record.digest
        }
    }

    struct Record {
        var size: Int64
        var mtime: Int64
        var ctime: Int64
        var inode: UInt64
        var digest: Digest
    }

    /// A record and the bytes of its path, which stay in the line.
    static func parse(_ line: UnsafeRawBufferPointer) -> (Record, UnsafeRawBufferPointer)? {
        var fields: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
        var idx = 0
        for k in 0..<4 {
            var v: Int64 = 0
            var any = false
            while idx < line.count, line[idx] != 32 {
                let c = line[idx]
                guard c >= 48, c <= 57 else { return nil }
                // A damaged number wraps to anything: it must fail to match, not trap.
                v = v &* 10 &+ Int64(c - 48)
                any = true
                idx += 1
            }
            guard any, idx < line.count else { return nil }
            switch k {
            case 0: fields.0 = v
            case 1: fields.1 = v
            case 2: fields.2 = v
            default: fields.3 = v
            }
            idx += 1
        }
        guard line.count - idx > 65, line[idx + 64] == 32,
              let digest = Digest(sha256Hex: UnsafeRawBufferPointer(rebasing: line[idx..<(idx + 64)])) else { return nil }
        let name = UnsafeRawBufferPointer(rebasing: line[(idx + 65)...])
        return (Record(size: fields.0, mtime: fields.1, ctime: fields.2, inode: UInt64(bitPattern: fields.3), digest: digest), name)
    }

    /// Writes the records of every hashed file that was not modified in the last second before
    /// `startedAt` to `fd`, through a bounded buffer.
    static func write(_ files: ContextFiles, startedAt: Int64, to fd: Int32) -> Bool {
        var out: [UInt8] = []
        out.reserveCapacity(bufferSize)
        // As Swift prints them: a negative time gets its "-", which the reader refuses (the
        // file is hashed again), as it always did.
        func number(_ n: Int64) {
            if n < 0 { out.append(45) }
            out.appendDecimal(n.magnitude)
        }
        let recent = startedAt - 1_000_000_000
        for i in files.indices {
            let f = files.records[i]
            guard let d = f.digest, f.mtime < recent, f.ctime < recent else { continue }
            let fine = files.withPath(i) { p -> Bool in
                guard !p.contains(10) else { return false }
                number(f.size); out.append(32)
                number(f.mtime); out.append(32)
                number(f.ctime); out.append(32)
                out.appendDecimal(f.inode); out.append(32)
                if !d.appendSHA256Hex(to: &out) { out.append(contentsOf: d.hex.utf8) }
                out.append(32)
                out.append(contentsOf: p)
                out.append(10)
                return true
            }
            guard fine else { continue }
            if out.count >= bufferSize - 8192 {
                guard AtomicFile.writeAll(fd, out) else { return false }
                out.removeAll(keepingCapacity: true)
            }
        }
        return AtomicFile.writeAll(fd, out)
    }
}
