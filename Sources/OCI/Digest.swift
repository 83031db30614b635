import CCrypto
import Foundation

/// A content digest such as `sha256:9f86d0…`; only SHA-256 is produced, SHA-512 is read and verified.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let algorithm: String
    public let hex: String

    public init(algorithm: String = "sha256", hex: String) {
        self.algorithm = algorithm
        self.hex = hex
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

    public static func < (a: Digest, b: Digest) -> Bool { a.description < b.description }

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
        return Digest(algorithm: algorithm == "sha512" ? "sha512" : "sha256", hex: hexString(Array(out.prefix(Int(len)))))
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

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
