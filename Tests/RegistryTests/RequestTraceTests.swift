import Foundation
@testable import Registry
import Testing

@Suite struct RequestTraceTests {
    /// Upload locations and storage redirects carry signed state; user info is a password.
    @Test func tracedURLsCarryNoSecrets() {
        let url = "https://user:hunter2@ghcr.io/v2/acme/model/blobs/uploads/abc?_state=eyJzZWNyZXQ&digest=sha256:00&X-Amz-Signature=f00d"
        let shown = RequestTrace.redact(url)
        #expect(!shown.contains("hunter2"))
        #expect(!shown.contains("eyJzZWNyZXQ"))
        #expect(!shown.contains("f00d"))
        #expect(shown.contains("digest=sha256:00"))
        #expect(RequestTrace.scheme(of: "Bearer abc.def") == "Bearer")
        #expect(RequestTrace.scheme(of: nil) == "anonymous")
    }
}
