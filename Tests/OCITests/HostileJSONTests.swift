import Foundation
import OCI
import Testing

/// Registry and layout JSON is input from elsewhere: malformed or hostile documents are errors, never crashes.
@Suite struct HostileJSONTests {
    @Test(arguments: [
        String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
        String(repeating: #"{"a":"#, count: 50_000) + "1" + String(repeating: "}", count: 50_000),
        #"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:../../etc/passwd","size":1},"layers":[]}"#,
        #"{"schemaVersion":2,"config":{"mediaType":"x","digest":"md5:abc","size":1},"layers":[]}"#,
        #"{"schemaVersion":"two"}"#,
        "",
        "\u{0}\u{1}\u{2}",
    ])
    func malformedManifestsAreErrors(_ text: String) {
        #expect(throws: (any Error).self) { try CanonicalJSON.decode(ImageManifest.self, from: Data(text.utf8)) }
    }
}

/// Decoding failures read as one line that says what is wrong, not as Foundation's debug text.
@Suite struct JSONShapeErrorTests {
    @Test(arguments: [
        ("<html>", "not valid JSON"),
        (#"{"schemaVersion":2,"layers":[]}"#, #"no "config" field"#),
        (#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:\#(String(repeating: "a", count: 64))","size":"big"},"layers":[]}"#,
         #""config.size" is not a JSON number"#),
        ("[1]", "not a JSON object"),
    ])
    func messagesSayWhatIsWrong(_ text: String, _ says: String) {
        do {
            _ = try CanonicalJSON.decode(ImageManifest.self, from: Data(text.utf8))
            Issue.record("decoded \(text)")
        } catch {
            #expect("\(error)" == says)
        }
    }
}
