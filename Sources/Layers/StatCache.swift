import Foundation
import OCI

/// Remembers each context file's content digest against its stat (size, mtime, ctime, inode), so a
/// rebuild of an unchanged context reads no file contents.
///
/// One line per file: `size mtime ctime inode hex path`. A file modified within the last second
/// before it was hashed is not remembered: a write in the same clock tick would go unnoticed.
public final class StatCache: @unchecked Sendable {
    struct Record: Equatable {
        var size: Int64
        var mtime: Int64
        var ctime: Int64
        var inode: UInt64
        var digest: Digest
    }

    let path: String
    private var records: [String: Record] = [:]
    private let lock = NSLock()
    private var dirty = false
    let startedAt: Int64

    public init(path: String) {
        self.path = path
        startedAt = Int64(Date().timeIntervalSince1970 * 1e9)
        guard let data = FileManager.default.contents(atPath: path) else { return }
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            for line in buf.split(separator: 10) {
                let fields = line.split(separator: 32, maxSplits: 5)
                guard fields.count == 6,
                      let size = Int64(String(decoding: fields[0], as: UTF8.self)),
                      let mtime = Int64(String(decoding: fields[1], as: UTF8.self)),
                      let ctime = Int64(String(decoding: fields[2], as: UTF8.self)),
                      let inode = UInt64(String(decoding: fields[3], as: UTF8.self)),
                      fields[4].count == 64 else { continue }
                let name = String(decoding: fields[5], as: UTF8.self)
                records[name] = Record(size: size, mtime: mtime, ctime: ctime, inode: inode,
                                       digest: Digest(hex: String(decoding: fields[4], as: UTF8.self)))
            }
        }
    }

    func lookup(_ f: ContextFile) -> Digest? {
        lock.lock()
        defer { lock.unlock() }
        guard let r = records[f.path], r.size == f.size, r.mtime == f.mtime, r.ctime == f.ctime, r.inode == f.inode else { return nil }
        return r.digest
    }

    func remember(_ f: ContextFile, _ digest: Digest) {
        guard f.mtime < startedAt - 1_000_000_000, f.ctime < startedAt - 1_000_000_000 else { return }
        lock.lock()
        records[f.path] = Record(size: f.size, mtime: f.mtime, ctime: f.ctime, inode: f.inode, digest: digest)
        dirty = true
        lock.unlock()
    }

    /// Writes the records through `write(data, path)`, which must replace the file atomically.
    public func save(_ write: (Data, String) throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        guard dirty else { return }
        var out = ""
        out.reserveCapacity(records.count * 120)
        for (name, r) in records where !name.contains("\n") {
            out += "\(r.size) \(r.mtime) \(r.ctime) \(r.inode) \(r.digest.hex) \(name)\n"
        }
        try write(Data(out.utf8), path)
        dirty = false
    }
}
