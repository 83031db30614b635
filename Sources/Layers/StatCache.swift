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
    static let bufferSize = 1 << 16

    /// The record file, open for the walk's tasks to merge their runs of files into at once.
    final class File: @unchecked Sendable {
        let fd: Int32
        let size: Int

        /// Nil when there is no file to read: then nothing is trusted and every file is hashed.
        init?(path: String) {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            var st = stat()
            guard fd >= 0, fstat(fd, &st) == 0, st.st_size > 0 else {
                if fd >= 0 { close(fd) }
                return nil
            }
            size = Int(st.st_size)
        }

        deinit { close(fd) }
    }

    /// Fills `digest` of every file of a sorted run whose stat still matches its record. The run's
    /// first path is found by bisecting the file on line boundaries, and its lines are read from
    /// there until they pass the run's last path: each task of the walk merges its own subtree.
    /// A damaged line is skipped; a file out of order only misses records.
    static func merge(_ file: File, into files: inout ContextFiles) {
        guard !files.isEmpty else { return }
        let start = files.withPath(0) { seek(file, to: Array($0)) }
        files.withPathsAndRecords { paths, records in
            merge(file.fd, Part(offset: start, end: file.size, first: 0, limit: records.count), paths: paths, records: records)
        }
    }

    /// The start of a line whose record sorts before `first`, as late in the file as a few reads
    /// find (0 when none does): every record from `first` on comes after it.
    private static func seek(_ file: File, to first: [UInt8]) -> Int {
        var lo = 0
        var hi = file.size
        while hi - lo > 1 << 14 {
            let mid = lo + (hi - lo) / 2
            guard let (line, name) = firstLine(file.fd, from: mid, before: hi) else { break }
            let below = name.withUnsafeBytes { n in first.withUnsafeBytes { PathBytes.compare(n, $0) < 0 } }
            if below { lo = line } else { hi = mid }
        }
        return lo
    }

    /// A stretch of the file, and the files its records may match.
    struct Part {
        var offset: Int
        var end: Int
        var first: Int
        var limit: Int
    }

    /// The offset of the first whole line at or after `from`, and its record's path.
    private static func firstLine(_ fd: Int32, from: Int, before end: Int) -> (Int, [UInt8])? {
        var chunk = [UInt8](repeating: 0, count: 2 * Int(PATH_MAX) + 256)
        let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(from)) }
        guard n > 0, let nl = chunk[0..<n].firstIndex(of: 10), nl + 1 < n, from + nl + 1 < end,
              let next = chunk[(nl + 1)..<n].firstIndex(of: 10) else { return nil }
        return chunk.withUnsafeBytes { buf in
            parse(UnsafeRawBufferPointer(rebasing: buf[(nl + 1)..<next])).map { (from + nl + 1, Array($0.1)) }
        }
    }

    /// One stretch of lines against its files, read through a buffer of bounded size.
    private static func merge(_ fd: Int32, _ part: Part, paths: ContextFiles.Paths, records: UnsafeMutableBufferPointer<ContextFiles.Record>) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var cursor = part.first
        var offset = part.offset
        var filled = 0
        func apply(_ line: UnsafeRawBufferPointer) {
            guard let (record, name) = parse(line) else { return }
            var order = 1
            while cursor < part.limit {
                order = ContextFiles.compare(paths[cursor], name)
                if order >= 0 { break }
                cursor += 1
            }
            guard order == 0 else { return }
            let f = records[cursor]
            if f.type == .file, f.size == record.size, f.mtime == record.mtime, f.ctime == record.ctime, f.inode == record.inode {
                records[cursor].digest = record.digest
            }
        }
        while true {
            let n = pread(fd, buffer.baseAddress! + filled, min(buffer.count - filled, part.end - offset), off_t(offset))
            if n < 0, errno == EINTR { continue }
            let atEnd = n <= 0
            if !atEnd {
                filled += n
                offset += n
            }
            // Every complete line; at the end the last line may lack its newline.
            var start = 0
            let base = buffer.baseAddress!
            while start < filled, cursor < part.limit {
                guard let nl = memchr(base + start, 10, filled - start) else {
                    if atEnd { apply(UnsafeRawBufferPointer(start: base + start, count: filled - start)) }
                    break
                }
                let end = base.distance(to: UnsafeMutableRawPointer(nl))
                apply(UnsafeRawBufferPointer(start: base + start, count: end - start))
                start = end + 1
            }
            if atEnd || cursor >= part.limit { return }
            if start == 0, filled == buffer.count {
                // A line longer than the buffer is no record a build wrote (paths are at most
                // PATH_MAX): the rest of it is skipped with the buffer's contents.
                filled = 0
                var one: UInt8 = 0
                while offset < part.end, pread(fd, &one, 1, off_t(offset)) == 1 {
                    offset += 1
                    if one == 10 { break }
                }
                continue
            }
            if start < filled { memmove(buffer.baseAddress!, buffer.baseAddress! + start, filled - start) }
            filled -= min(start, filled)
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
        guard let p = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let count = line.count
        var fields: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
        var idx = 0
        for k in 0..<4 {
            var v: Int64 = 0
            let first = idx
            while idx < count, p[idx] != 32 {
                let d = p[idx] &- 48
                guard d <= 9 else { return nil }
                // A damaged number wraps to anything: it must fail to match, not trap.
                v = v &* 10 &+ Int64(d)
                idx += 1
            }
            guard idx > first, idx < count else { return nil }
            switch k {
            case 0: fields.0 = v
            case 1: fields.1 = v
            case 2: fields.2 = v
            default: fields.3 = v
            }
            idx += 1
        }
        guard count - idx > 65, p[idx + 64] == 32,
              let digest = Digest(sha256Hex: UnsafeRawBufferPointer(start: p + idx, count: 64)) else { return nil }
        let name = UnsafeRawBufferPointer(start: p + idx + 65, count: count - idx - 65)
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
