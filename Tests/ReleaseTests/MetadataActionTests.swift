import Foundation
import Release
import TestSupport
import Testing

/// docker/metadata-action's own cases: the rules of src/meta.ts and src/context.ts, and its event
/// fixtures (__tests__/fixtures/event_*.env and .json), run through imagectl's tags.
@Suite struct MetadataActionTests {
    /// DOCKER_METADATA_SHORT_SHA_LENGTH goes through JavaScript's Number(): what it reads, and the
    /// SHA part it gives (`substring(0, n)`; the whole SHA from its length on).
    @Test(arguments: [
        ("12", "0123456789ab"), (" 12 ", "0123456789ab"), ("1e1", "0123456789"), ("0x10", "0123456789abcdef"),
        ("0o10", "01234567"), ("0b11", "012"), ("12.9", "0123456789ab"), ("+8", "01234567"), (".5e1", "01234"),
        ("5.", "01234"), ("\u{a0}9\n", "012345678"), ("40", String(TagsTests.sha)), ("100", String(TagsTests.sha)),
        ("Infinity", String(TagsTests.sha)), ("0", ""), ("-3", ""), (" ", ""), ("-Infinity", ""),
    ])
    func shortShaLength(_ value: String, _ shaPart: String) throws {
        let n = try GitContext.shortShaLength(["DOCKER_METADATA_SHORT_SHA_LENGTH": value])
        let c = GitContext(branch: "dev", sha: TagsTests.sha, defaultBranch: "main", ref: "refs/heads/dev")
        #expect(c.tags(shortShaLength: n) == ["dev", "dev-" + shaPart])
    }

    @Test(arguments: ["x", "12px", "1_000", "0x", "1e", "--1", "0x-1", "+0x10", "Infinity1", "infinity", "1e+", ".", "0x1.8", "1\n2"])
    func shortShaLengthNaN(_ value: String) {
        #expect { try GitContext.shortShaLength(["DOCKER_METADATA_SHORT_SHA_LENGTH": value]) } throws: { error in
            "\(error)".hasPrefix("DOCKER_METADATA_SHORT_SHA_LENGTH=") && !"\(error)".contains("\n")
        }
    }
}
