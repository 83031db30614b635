import Foundation
import OCI
import Testing

@Suite struct DigestTests {
    @Test func hashesKnownVectors() {
        #expect(Digest.sha256("abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256("").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func incrementalEqualsOneShot() {
        let data = Data((0..<100_000).map { UInt8($0 % 251) })
        let h = SHA256()
        h.update(data.prefix(12345))
        h.update(data.dropFirst(12345))
        #expect(h.finalize() == Digest.sha256(data))
    }

    @Test(arguments: [
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ])
    func parsesValid(_ s: String) throws {
        #expect(try Digest(parsing: s).description == s)
    }

    @Test(arguments: [
        "", "sha256", "sha256:", "md5:abc", "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "sha256:ba78", "sha256:../../etc/passwd", "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015azz",
    ])
    func rejectsInvalid(_ s: String) {
        #expect(throws: OCIError.self) { try Digest(parsing: s) }
    }

    /// A SHA-256 is held as bytes; any other text is kept as it was given.
    @Test func digestsKeepTheirText() throws {
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        let d = Digest(hex: hex)
        #expect(d.hex == hex && d.algorithm == "sha256" && d.description == "sha256:" + hex)
        #expect(d == Digest.sha256("abc"))
        // Text that is not a SHA-256's 64 lowercase digits is kept as given, and differs from it.
        let upper = Digest(hex: hex.uppercased())
        #expect(upper.hex == hex.uppercased() && upper != d)
        #expect(Digest(hex: "short").hex == "short")
        #expect(Digest(algorithm: "sha512", hex: hex).description == "sha512:" + hex)
        #expect(Digest(hex: String(repeating: "0", count: 64)) < d && d < Digest(hex: String(repeating: "f", count: 64)))
        #expect(try JSONDecoder().decode([Digest].self, from: JSONEncoder().encode([d])) == [d])
    }
}
