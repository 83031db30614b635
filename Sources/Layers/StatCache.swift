import Foundation
import OCI

/// Remembers each context file's content digest against its stat (size, mtime, ctime, inode), so a
/// rebuild of an unchanged context reads no file contents.
///
/// One line per file, `size mtime ctime inode hex path` (the path's bytes as they are), in path
/// order so that loading is a merge with the sorted walk rather than a hash table. A file modified
/// within the second before the build started is not remembered: a second write in the same clock
/// tick would go unnoticed.
struct StatCache {
    struct Record {
        var size: Int64
        var mtime: Int64
        var ctime: Int64
        var inode: UInt64
        var digest: Digest
    }

    /// Reads and parses the records on a background thread.
    final class Loader: @unchecked Sendable {
        private var records: [(PathBytes, Record)] = []
        private let done = DispatchSemaphore(value: 0)

        init(path: String?) {
            guard let path else {
                done.signal()
                return
            }
            Thread.detachNewThread { [self] in
                records = StatCache.load(path)
                done.signal()
            }
        }

        func wait() -> [(PathBytes, Record)] {
            done.wait()
            return records
        }
    }

    static func load(_ path: String) -> [(PathBytes, Record)] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.withUnsafeBytes { buf in buf.split(separator: 10).compactMap(parse) }
    }

    /// Fills `digest` of every file whose stat still matches its record; both lists are in path order.
    static func merge(_ records: [(PathBytes, Record)], into files: inout [ContextFile]) {
        var i = 0
        for (name, record) in records {
            while i < files.count, files[i].path < name { i += 1 }
            guard i < files.count else { return }
            let f = files[i]
            if f.path == name, f.type == .file, f.size == record.size, f.mtime == record.mtime,
               f.ctime == record.ctime, f.inode == record.inode {
                files[i].digest = record.digest
            }
        }
    }

    private static func parse(_ line: Slice<UnsafeRawBufferPointer>) -> (PathBytes, Record)? {
        var fields: [Int64] = []
        var idx = line.startIndex
        for _ in 0..<4 {
            var v: Int64 = 0
            var any = false
            while idx < line.endIndex, line[idx] != 32 {
                let c = line[idx]
                guard c >= 48, c <= 57 else { return nil }
                v = v &* 10 &+ Int64(c - 48)
                any = true
                idx += 1
            }
            guard any, idx < line.endIndex else { return nil }
            fields.append(v)
            idx += 1
        }
        guard line.endIndex - idx > 65, line[idx + 64] == 32 else { return nil }
        let hex = String(decoding: UnsafeRawBufferPointer(rebasing: line[idx..<(idx + 64)]), as: UTF8.self)
        let name = PathBytes(Array(line[(idx + 65)...]))
        // A damaged number has wrapped to anything: it must fail to match, not trap.
        return (name, Record(size: fields[0], mtime: fields[1], ctime: fields[2], inode: UInt64(bitPattern: fields[3]), digest: Digest(hex: hex)))
    }

    /// The records of every hashed file that was not modified in the last second before `startedAt`.
    static func encode(_ files: [ContextFile], startedAt: Int64) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(files.count * 120)
        for f in files {
            guard let d = f.digest, f.mtime < startedAt - 1_000_000_000, f.ctime < startedAt - 1_000_000_000,
                  !f.path.bytes.contains(10) else { continue }
            out.append(contentsOf: "\(f.size) \(f.mtime) \(f.ctime) \(f.inode) \(d.hex) ".utf8)
            out.append(contentsOf: f.path.bytes)
            out.append(10)
        }
        return Data(out)
    }
}
