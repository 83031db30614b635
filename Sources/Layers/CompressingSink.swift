import Foundation
import OCI

/// The back half of the layer pipeline: takes the tar stream in order, hashes it (diffID),
/// compresses chunks on every core, and writes the members in order to a file while hashing them
/// (digest). At most a few chunks are in flight, so memory stays flat whatever the layer size.
final class CompressingSink: @unchecked Sendable {
    private let fd: Int32
    private let path: String
    private let chunkSize: Int
    private let lock = NSCondition()
    private var chunk: [UInt8] = []
    private let diffHasher = SHA256()
    private var pending: [(Int, [UInt8])] = []
    private var done: [Int: [UInt8]] = [:]
    private var submitted = 0
    private var written = 0
    private var closed = false
    private var failure: String?
    private let maxInFlight: Int
    private let digestHasher = SHA256()
    private(set) var uncompressedSize: Int64 = 0
    private(set) var compressedSize: Int64 = 0
    private let threads = DispatchGroup()

    init(fd: Int32, path: String, compression: Compression, workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.fd = fd
        self.path = path
        chunkSize = ChunkCompressor.chunkSize(compression)
        let n = max(1, workers)
        maxInFlight = n * 2 + 1
        chunk.reserveCapacity(chunkSize)
        for _ in 0..<n {
            threads.enter()
            Thread.detachNewThread { [self] in
                compressLoop(ChunkCompressor(compression))
                threads.leave()
            }
        }
        threads.enter()
        Thread.detachNewThread { [self] in
            writeLoop()
            threads.leave()
        }
    }

    /// Called with the tar stream, in order, on one thread.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            let take = min(chunkSize - chunk.count, rest.count)
            chunk.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0..<take]))
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if chunk.count == chunkSize { try submit() }
        }
    }

    private func submit() throws {
        chunk.withUnsafeBytes { diffHasher.update($0) }
        uncompressedSize += Int64(chunk.count)
        let full = chunk
        chunk = []
        chunk.reserveCapacity(chunkSize)
        lock.lock()
        defer { lock.unlock() }
        while submitted - written >= maxInFlight, failure == nil { lock.wait() }
        if let failure { throw LayerError.io(path, failure) }
        pending.append((submitted, full))
        submitted += 1
        lock.broadcast()
    }

    private func compressLoop(_ compressor: ChunkCompressor) {
        while true {
            lock.lock()
            while pending.isEmpty, !closed { lock.wait() }
            if pending.isEmpty {
                lock.unlock()
                return
            }
            let (seq, input) = pending.removeFirst()
            lock.unlock()
            let out = input.withUnsafeBytes { compressor.compress($0) }
            lock.lock()
            done[seq] = out
            lock.broadcast()
            lock.unlock()
        }
    }

    private func writeLoop() {
        while true {
            lock.lock()
            while done[written] == nil, failure == nil, !(closed && written == submitted) { lock.wait() }
            guard failure == nil, let out = done.removeValue(forKey: written) else {
                lock.unlock()
                return
            }
            lock.unlock()
            var error: String?
            if out.isEmpty {
                error = "compression failed"
            } else {
                out.withUnsafeBytes { buf in
                    digestHasher.update(buf)
                    var off = 0
                    while off < buf.count {
                        let n = write(fd, buf.baseAddress! + off, buf.count - off)
                        if n < 0 {
                            if errno == EINTR { continue }
                            error = errno == ENOSPC ? "no space left on the device: free space where the store lives ($IMAGECTL_HOME) and build again" : errnoString()
                            return
                        }
                        off += n
                    }
                }
            }
            compressedSize += Int64(out.count)
            lock.lock()
            written += 1
            if let error, failure == nil { failure = error }
            lock.broadcast()
            lock.unlock()
        }
    }

    /// Flushes the last chunk, waits for every member to be written, and returns both digests.
    func finish() throws -> (diffID: Digest, digest: Digest) {
        if !chunk.isEmpty || submitted == 0 { try submit() }
        lock.lock()
        closed = true
        lock.broadcast()
        lock.unlock()
        threads.wait()
        if let failure { throw LayerError.io(path, failure) }
        return (diffHasher.finalize(), digestHasher.finalize())
    }

    /// Stops the threads after an error elsewhere in the pipeline.
    func abandon() {
        lock.lock()
        pending.removeAll()
        closed = true
        failure = failure ?? "abandoned"
        lock.broadcast()
        lock.unlock()
        threads.wait()
    }
}
