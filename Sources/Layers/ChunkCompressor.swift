import CCompress

/// Compresses one chunk of a layer's tar stream into a self-contained gzip member or zstd frame.
///
/// A layer is cut into chunks that every core compresses at once; the members are concatenated,
/// which gzip (RFC 1952 section 2.2) and zstd both define as one stream of the joined contents.
/// One compressor per thread: neither library's state may be shared.
final class ChunkCompressor {
    private let compression: Compression
    private var deflater: OpaquePointer?
    private var zstd: OpaquePointer?

    init(_ compression: Compression) {
        self.compression = compression
        switch compression {
        case .gzip(let level): deflater = libdeflate_alloc_compressor(Int32(level))
        case .zstd: zstd = ZSTD_createCCtx()
        }
    }

    deinit {
        if let deflater { libdeflate_free_compressor(deflater) }
        if let zstd { ZSTD_freeCCtx(zstd) }
    }

    /// The uncompressed size of a chunk: large enough that cutting costs well under 1 % of the
    /// ratio, small enough that both cores stay busy on a layer of a few megabytes.
    static func chunkSize(_ c: Compression) -> Int {
        switch c {
        case .gzip: return 1 << 21
        case .zstd: return 1 << 22
        }
    }

    func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        switch compression {
        case .gzip:
            let bound = libdeflate_gzip_compress_bound(deflater, input.count)
            return [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                count = libdeflate_gzip_compress(deflater, input.baseAddress, input.count, out.baseAddress, bound)
            }
        case .zstd(let level):
            let bound = ZSTD_compressBound(input.count)
            return [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                let n = ZSTD_compressCCtx(zstd, out.baseAddress, bound, input.baseAddress, input.count, Int32(level))
                count = ZSTD_isError(n) != 0 ? 0 : n
            }
        }
    }
}
