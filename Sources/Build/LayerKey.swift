import Foundation
import Layers
import OCI

/// A layer's cache key: a digest of every input of the layer (each entry's path, type, mode, owner
/// and content digest, plus the compression and epoch) and of nothing else. The text is one line
/// per entry; it is written out in blocks on every core and hashed in order a few blocks at a
/// time, so what is held stays bounded (a million entries would make over 100 MB of it) and a
/// large COPY's unchanged rebuild spends half the time on it.
enum LayerKey {
    static let block = 2048
    static let blocksAtOnce = 8

    static func digest(_ entries: [LayerEntry], compression: Compression, epoch: Int) throws -> Digest {
        let hash = SHA256()
        hash.update(Data("imagectl-layer-v1\n\(compression)\n\(epoch)\n".utf8))
        var next = 0
        while next < entries.count {
            let ranges = stride(from: next, to: min(entries.count, next + block * blocksAtOnce), by: block).map {
                $0..<min($0 + block, entries.count)
            }
            if ranges.count == 1 {
                try text(entries[ranges[0]]).withUnsafeBytes { hash.update($0) }
            } else {
                var texts = [Result<[UInt8], Error>?](repeating: nil, count: ranges.count)
                texts.withUnsafeMutableBufferPointer { out in
                    nonisolated(unsafe) let out = out
                    DispatchQueue.concurrentPerform(iterations: ranges.count) { k in
                        out[k] = Result { try text(entries[ranges[k]]) }
                    }
                }
                for t in texts { try t!.get().withUnsafeBytes { hash.update($0) } }
            }
            next = ranges.last!.upperBound
        }
        return hash.finalize()
    }

    /// The lines of some entries: `path NUL mode uid gid`, then ` f size hex`, ` d`, ` l target`,
    /// ` h target` or ` a hex` (` A hex` with --chown), and a newline.
    static func text(_ entries: ArraySlice<LayerEntry>) throws -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(entries.count * 140)
        func put(_ p: PathBytes) { text.append(contentsOf: p.bytes) }
        // A negative number (none is made) has always been written as nothing: keys stay as they were.
        func put(_ n: Int) { if n >= 0 { text.appendDecimal(UInt64(n)) } }
        func putDigest(_ e: LayerEntry) throws {
            guard let d = e.contentDigest else { throw BuildError("\(e.path): no content digest") }
            if !d.appendSHA256Hex(to: &text) { text.append(contentsOf: d.hex.utf8) }
        }
        func kind(_ letter: UInt8, _ more: Bool = true) {
            text.append(32)
            text.append(letter)
            if more { text.append(32) }
        }
        for e in entries {
            put(e.path)
            text.append(0)
            put(Int(e.mode))
            text.append(32)
            put(e.uid)
            text.append(32)
            put(e.gid)
            switch e.kind {
            case .file(_, let size):
                kind(102)
                put(Int(size))
                text.append(32)
                try putDigest(e)
            case .directory: kind(100, false)
            case .symlink(let target): kind(108); put(target)
            case .hardlink(let target): kind(104); put(target)
            case .archive(_, let chown): kind(chown ? 65 : 97); try putDigest(e)
            }
            text.append(10)
        }
        return text
    }
}
