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
}
