import CCrypto
import Foundation

/// A content digest such as `sha256:9f86d0…`; only SHA-256 is produced, SHA-512 is read and verified.
///
/// A SHA-256 is held as its 32 bytes, inline: a build keeps one per context file and per layer
/// entry, and a heap string of 64 hex characters each was most of the memory of a large context.
/// Anything else (SHA-512, or text that is not 64 lowercase hex digits) keeps its text as given, so
/// equal text is always equal storage.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    private enum Storage: Hashable, Sendable {
        /// The bytes in order, big-endian words: comparing words compares the hex text.
        case sha256(UInt64, UInt64, UInt64, UInt64)
        case text(algorithm: String, hex: String)
    }

    private let storage: Storage

    public var algorithm: String {
        if case .text(let algorithm, _) = storage { return algorithm }
        return "sha256"
    }

    public var hex: String {
        switch storage {
        case .text(_, let hex): return hex
        case .sha256:
            return String(unsafeUninitializedCapacity: 64) { out in
                _ = withSHA256Hex { _ = out.initialize(fromContentsOf: $0) }
                return 64
            }
        }
    }

    public init(algorithm: String = "sha256", hex: String) {
        var hex = hex
        if algorithm == "sha256", let words = hex.withUTF8({ Digest.words(hex: UnsafeRawBufferPointer($0)) }) {
            storage = .sha256(words.0, words.1, words.2, words.3)
        } else {
            storage = .text(algorithm: algorithm, hex: hex)
        }
    }

    /// A SHA-256 from its 64 lowercase hex digits, without making a string; nil for anything else.
    public init?(sha256Hex text: UnsafeRawBufferPointer) {
        guard let words = Digest.words(hex: text) else { return nil }
        storage = .sha256(words.0, words.1, words.2, words.3)
    }

    /// A SHA-256 from the four big-endian words of its bytes, as `sha256Words` gives them.
    public init(sha256Words w: (UInt64, UInt64, UInt64, UInt64)) {
        storage = .sha256(w.0, w.1, w.2, w.3)
    }

    /// The four big-endian words of a SHA-256's bytes, for storage without the enum around them
    /// (a million context files); nil for any other digest.
    public var sha256Words: (UInt64, UInt64, UInt64, UInt64)? {
        guard case .sha256(let a, let b, let c, let d) = storage else { return nil }
        return (a, b, c, d)
    }

    /// A SHA-256 from its 32 bytes.
    public init(sha256Bytes bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32)
        func word(_ k: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(bytes[k * 8 + $1]) } }
        storage = .sha256(word(0), word(1), word(2), word(3))
    }

    /// Writes the 64 hex digits of a SHA-256 to `out` without making a string; false for any other digest.
    public func appendSHA256Hex(to out: inout [UInt8]) -> Bool {
        withSHA256Hex { out.append(contentsOf: $0) } != nil
    }

    /// The 64 hex digits of a SHA-256, in a buffer on the stack that lives for `body`; nil for any
    /// other digest.
    private func withSHA256Hex<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        guard case .sha256(let a, let b, let c, let d) = storage else { return nil }
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var words = (a, b, c, d)
        return Swift.withUnsafeMutableBytes(of: &text) { raw in
            let out = raw.bindMemory(to: UInt8.self)
            withUnsafeBytes(of: &words) { w in
                let ws = w.bindMemory(to: UInt64.self)
                for k in 0..<4 {
                    for i in 0..<16 {
                        let n = UInt8(truncatingIfNeeded: ws[k] >> UInt64(60 - 4 * i)) & 0xf
                        out[k * 16 + i] = n < 10 ? 48 + n : 87 + n
                    }
                }
            }
            return body(UnsafeBufferPointer(out))
        }
    }

    /// The four words of 64 lowercase hex digits, or nil. Eight digits at a time in one 64-bit
    /// word (a stat record's digest is decoded for every file of an unchanged rebuild).
    private static func words(hex: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt64, UInt64)? {
        guard hex.count == 64, let base = hex.baseAddress else { return nil }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        /// The high bit of each byte that lies in lo...hi (bytes below 0x80; no carry crosses a byte).
        func inRange(_ x: UInt64, _ lo: UInt64, _ hi: UInt64) -> UInt64 {
            (x &+ (0x80 &- lo) &* ones) & ~(x &+ (0x7f &- hi) &* ones) & high
        }
        /// Eight digits, the first in the lowest byte, as 32 bits with the first digit highest.
        func eight(_ at: Int) -> UInt64? {
            let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            guard x & high == 0, inRange(x, 0x30, 0x39) | inRange(x, 0x61, 0x66) == high else { return nil }
            // '0'...'9' is 0x30...0x39, 'a'...'f' is 0x61...0x66: the low nibble, plus 9 for a letter.
            let v = (x & (0x0f * ones)) &+ ((x >> 6) & ones) &* 9
            // Pairs of nibbles into bytes, then the four bytes in order.
            let pairs = ((v & 0x000f_000f_000f_000f) << 4) | ((v & 0x0f00_0f00_0f00_0f00) >> 8)
            return (pairs & 0xff) << 24 | (pairs >> 16 & 0xff) << 16 | (pairs >> 32 & 0xff) << 8 | (pairs >> 48 & 0xff)
        }
        guard let a0 = eight(0), let a1 = eight(8), let b0 = eight(16), let b1 = eight(24),
              let c0 = eight(32), let c1 = eight(40), let d0 = eight(48), let d1 = eight(56) else { return nil }
        return (a0 << 32 | a1, b0 << 32 | b1, c0 << 32 | c1, d0 << 32 | d1)
    }

    /// Parses `algorithm:hex`, rejecting anything a registry or a layout path could be fooled by.
    public init(parsing s: String) throws {
        guard let colon = s.firstIndex(of: ":") else { throw OCIError.invalidDigest(s) }
        let algorithm = String(s[..<colon])
        let hex = String(s[s.index(after: colon)...])
        let expected: Int
        switch algorithm {
        case "sha256": expected = 64
        case "sha512": expected = 128
        default: throw OCIError.invalidDigest(s)
        }
        guard hex.utf8.count == expected, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw OCIError.invalidDigest(s)
        }
        self.init(algorithm: algorithm, hex: hex)
    }

    public var description: String { "\(algorithm):\(hex)" }

    public static func < (a: Digest, b: Digest) -> Bool {
        if case .sha256(let a0, let a1, let a2, let a3) = a.storage, case .sha256(let b0, let b1, let b2, let b3) = b.storage {
            return (a0, a1, a2, a3) < (b0, b1, b2, b3)
        }
        return a.description < b.description
    }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: s)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public static func sha256(_ data: some DataProtocol) -> Digest {
        let h = SHA256()
        h.update(data)
        return h.finalize()
    }

    public static func sha256(_ string: String) -> Digest { sha256(Data(string.utf8)) }

    /// The digest of `data` under this digest's algorithm: what a pin is checked against.
    public func recomputed(_ data: some DataProtocol) -> Digest {
        let h = SHA256(algorithm: algorithm)
        h.update(data)
        return h.finalize()
    }

    /// Whether `data` is the content this digest names, whatever its algorithm.
    public func matches(_ data: some DataProtocol) -> Bool { recomputed(data) == self }
}

extension SHA256 {
    /// Keeps OpenSSL's state alive until the process is gone, so a thread hashing while another
    /// exits on an error cannot crash: called first thing by the command line.
    public static func keepCryptoUntilExit() { _ = imagectl_openssl_no_atexit() }
}

/// Incremental SHA-256 over OpenSSL's EVP, which uses the CPU's SHA extensions where present;
/// SHA-512 for the digests that name it (a pin is verified with its own algorithm, never skipped).
public final class SHA256 {
    private let ctx: OpaquePointer
    private let algorithm: String

    /// `algorithm` is one `Digest(parsing:)` accepts: "sha256" or "sha512".
    public init(algorithm: String = "sha256") {
        self.algorithm = algorithm
        ctx = EVP_MD_CTX_new()!
        EVP_DigestInit_ex(ctx, algorithm == "sha512" ? EVP_sha512() : EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        EVP_DigestUpdate(ctx, base, buffer.count)
    }

    public func update(_ data: some DataProtocol) {
        for region in data.regions {
            region.withUnsafeBytes { update($0) }
        }
    }

    /// Ends the hash; the hasher must not be used afterwards.
    public func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: 64)
        var len: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &len)
        if algorithm != "sha512", len == 32 { return out.withUnsafeBytes { Digest(sha256Bytes: UnsafeRawBufferPointer(rebasing: $0[0..<32])) } }
        return Digest(algorithm: algorithm == "sha512" ? "sha512" : "sha256", hex: hexString(Array(out.prefix(Int(len)))))
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

func hexString(_ bytes: [UInt8]) -> String {
    var chars = [UInt8]()
    chars.reserveCapacity(bytes.count * 2)
    for b in bytes {
        chars.append(hexDigits[Int(b >> 4)])
        chars.append(hexDigits[Int(b & 0xf)])
    }
    return String(decoding: chars, as: UTF8.self)
}

extension Digest {
    /// Hashes a file in one pass with a bounded buffer.
    public static func sha256(fileAt path: String, algorithm: String = "sha256") throws -> Digest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OCIError.io(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        let h = SHA256(algorithm: algorithm)
        let size = 1 << 20
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf.baseAddress, size)
            if n < 0 {
                if errno == EINTR { continue }
                throw OCIError.io(path, String(cString: strerror(errno)))
            }
            if n == 0 { break }
            h.update(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
        }
        return h.finalize()
    }
}
