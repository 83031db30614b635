import Foundation
import OCI
@testable import Registry
import Testing

/// The rules at the registry boundary, against a registry played by a fake transport: which URLs a
/// registry may send the client to, where credentials go, how many times anything is tried, and how
/// much of an answer is read.
@Suite struct RegistryBoundaryTests {
    static let blob = Descriptor(mediaType: MediaType.ociLayer, digest: Digest.sha256("layer"), size: 5)

    /// A registry at https://registry.test that asks for Basic credentials and answers `rest`.
    static func registry(_ rest: @escaping @Sendable (HTTPRequest) -> FakeTransport.Answer) -> FakeTransport {
        FakeTransport { r in
            if r.url.hasSuffix("/v2/") {
                return r.header("authorization") == nil ? .init(status: 401, headers: ["WWW-Authenticate": #"Basic realm="r""#]) : .apiRoot
            }
            return rest(r)
        }
    }

    @Test(arguments: ["file:///root/.ssh/authorized_keys", "gopher://127.0.0.1:6379/_FLUSHALL", "ftp://127.0.0.1/x", "dict://127.0.0.1:11211/"])
    func redirectsToOtherSchemesAreNeverFollowed(target: String) throws {
        let fake = RegistryBoundaryTests.registry { r in
            r.method == "POST" ? .init(status: 202, headers: ["Location": "/v2/ml/blobs/uploads/1"]) : .init(status: 307, headers: ["Location": target])
        }
        let file = NSTemporaryDirectory() + "boundary-\(UUID().uuidString)"
        try Data("layer".utf8).write(to: URL(fileURLWithPath: file))
        defer { unlink(file) }
        let client = fake.client(credential: Credential(username: "u", secret: "pw"))
        #expect(throws: RegistryError.self) { try client.upload("ml", RegistryBoundaryTests.blob, file: file) }
        #expect(throws: RegistryError.self) { try client.fetchBlob("ml", RegistryBoundaryTests.blob, to: file + ".out") }
        #expect(fake.seen.allSatisfy { $0.url.hasPrefix("https://registry.test/") }, "\(fake.seen.map(\.url))")
    }

    @Test func anUploadLocationOfAnotherSchemeIsRefusedBeforeAnyByteIsSent() throws {
        let fake = RegistryBoundaryTests.registry { r in
            r.method == "POST" ? .init(status: 202, headers: ["Location": "file:///tmp/owned"]) : .init(status: 500)
        }
        let client = fake.client(credential: Credential(username: "u", secret: "pw"))
        #expect { try client.upload("ml", RegistryBoundaryTests.blob, file: "/dev/null") } throws: { e in
            "\(e)".contains("the upload location points to a file:// URL")
        }
        #expect(fake.requests("PUT").isEmpty)
    }

    @Test func httpsNeverRedirectsDownToHTTPUnlessTheHostIsNamedInsecure() throws {
        let fake = RegistryBoundaryTests.registry { r in
            r.url.hasPrefix("http://storage.test/") ? .init(status: 200, body: Data("layer".utf8))
                : .init(status: 307, headers: ["Location": "http://storage.test/blob"])
        }
        let out = NSTemporaryDirectory() + "boundary-\(UUID().uuidString)"
        defer { unlink(out) }
        #expect { try fake.client(credential: Credential(username: "u", secret: "pw")).fetchBlob("ml", RegistryBoundaryTests.blob, to: out) } throws: { e in
            "\(e)".contains("goes from https to plain http (storage.test)")
        }
        #expect(fake.requests("GET", containing: "http://storage.test").isEmpty)
        try fake.client(insecure: ["storage.test"], credential: Credential(username: "u", secret: "pw")).fetchBlob("ml", RegistryBoundaryTests.blob, to: out)
        #expect(fake.requests("GET", containing: "http://storage.test").allSatisfy { $0.header("authorization") == nil })
    }

    /// Same host, another port or scheme, is another origin: the credentials stay home.
    @Test(arguments: ["https://registry.test:8443/blob", "https://storage.test/blob", "https://REGISTRY.test.evil/blob"])
    func authorizationGoesOnlyToTheRegistrysOwnOrigin(target: String) throws {
        let fake = RegistryBoundaryTests.registry { r in
            r.url.contains("/v2/ml/blobs/") ? .init(status: 307, headers: ["Location": target]) : .init(status: 200, body: Data("layer".utf8))
        }
        let out = NSTemporaryDirectory() + "boundary-\(UUID().uuidString)"
        defer { unlink(out) }
        try fake.client(credential: Credential(username: "u", secret: "pw")).fetchBlob("ml", RegistryBoundaryTests.blob, to: out)
        #expect(fake.requests("GET", containing: "/v2/ml/blobs/").allSatisfy { $0.header("authorization") != nil })
        let away = fake.seen.filter { $0.url == target }
        #expect(away.count == 1)
        #expect(away.allSatisfy { $0.header("authorization") == nil })
    }

    /// A 503 on every upload PUT: the POST+PUT pair is retried as one operation, five times in all.
    @Test func aFailingUploadIsTriedFiveTimesNotTwentyFive() throws {
        let fake = RegistryBoundaryTests.registry { r in
            switch r.method {
            case "POST": return .init(status: 202, headers: ["Location": "/v2/ml/blobs/uploads/1"])
            case "HEAD": return .init(status: 404)
            default: return .init(status: 503)
            }
        }
        let waits = WaitLog()
        #expect { try fake.client(credential: Credential(username: "u", secret: "pw"), waits: waits).upload("ml", RegistryBoundaryTests.blob, file: "/dev/null") } throws: { e in
            "\(e)".contains("upload of \(RegistryBoundaryTests.blob.digest.hex.prefix(12)) failed with HTTP 503")
        }
        #expect(fake.requests("PUT").count == 5)
        #expect(fake.requests("POST").count == 5)
        #expect(waits.waits.count == 4)
    }

    /// `Retry-After: 60` on every answer: the operation's time budget ends it, not the attempt count.
    @Test func retryAfterIsHonouredWithinTheOperationsBudget() throws {
        let fake = RegistryBoundaryTests.registry { _ in .init(status: 429, headers: ["Retry-After": "60"]) }
        let waits = WaitLog()
        let client = fake.client(credential: Credential(username: "u", secret: "pw"), waits: waits)
        #expect(throws: RegistryError.self) { try client.tags("ml") }
        #expect(waits.waits == [60, 60])
        #expect(fake.requests("GET", containing: "tags/list").count == 3)
    }

    @Test func tagListsFollowTheirNextPages() throws {
        let fake = RegistryBoundaryTests.registry { r in
            let page = r.url.contains("last=t49") ? 2 : 1
            let tags = page == 1 ? (0..<50).map { "t\($0)" } : (50..<81).map { "t\($0)" }
            let body = try! JSONSerialization.data(withJSONObject: ["name": "ml", "tags": tags])
            return .init(status: 200, headers: page == 1 ? ["Link": #"</v2/ml/tags/list?n=50&last=t49>; rel="next""#] : [:], body: body)
        }
        #expect(try fake.client(credential: Credential(username: "u", secret: "pw")).tags("ml").count == 81)
    }

    @Test func aNextPageOnAnotherHostIsRefused() throws {
        let fake = RegistryBoundaryTests.registry { _ in
            .init(status: 200, headers: ["Link": #"<https://elsewhere.test/v2/ml/tags/list?last=a>; rel="next""#], body: Data(#"{"tags":["a"]}"#.utf8))
        }
        #expect { try fake.client(credential: Credential(username: "u", secret: "pw")).tags("ml") } throws: { e in
            "\(e)".contains("the next page of tags is on another host")
        }
        #expect(fake.requests("GET", containing: "elsewhere.test").isEmpty)
    }

    @Test func aSha512PinIsVerifiedNotIgnored() throws {
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "a", count: 64))","size":2},"layers":[]}"#.utf8)
        let pin = Digest.sha256("x").recomputed(manifest)
        #expect(pin == Digest(algorithm: "sha256", hex: Digest.sha256(manifest).hex))
        let sha512 = SHA256(algorithm: "sha512")
        sha512.update(manifest)
        let good = sha512.finalize()
        #expect(good.algorithm == "sha512" && good.hex.count == 128)
        let fake = RegistryBoundaryTests.registry { _ in .init(status: 200, headers: ["Content-Type": MediaType.ociManifest], body: manifest) }
        let client = fake.client(credential: Credential(username: "u", secret: "pw"))
        #expect(try client.manifest("ml", good.description).data == manifest)
        let wrong = Digest(algorithm: "sha512", hex: String(repeating: "0", count: 128))
        #expect { try client.manifest("ml", wrong.description) } throws: { e in "\(e)".contains("content does not match its digest") }
    }

    @Test func aBlobIsNeverReadPastItsDescriptorsSize() throws {
        let fake = RegistryBoundaryTests.registry { _ in .init(status: 200, body: Data(repeating: 0x41, count: 1 << 20)) }
        let out = NSTemporaryDirectory() + "boundary-\(UUID().uuidString)"
        #expect { try fake.client(credential: Credential(username: "u", secret: "pw")).fetchBlob("ml", RegistryBoundaryTests.blob, to: out) } throws: { e in
            "\(e)".contains("more than the 5 bytes the descriptor names")
        }
        #expect(access(out, F_OK) != 0)
    }

    /// Two pushes of one image race: the registry may not see the other's blobs for a moment.
    @Test func manifestBlobUnknownIsRetriedOnceAfterTheBlobsCheckOut() throws {
        let puts = Counter()
        let fake = RegistryBoundaryTests.registry { r in
            if r.method == "HEAD" { return .init(status: 200, headers: ["Content-Length": "5"]) }
            return puts.next() == 1 ? .init(status: 400, body: Data(#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown"}]}"#.utf8))
                : .init(status: 201)
        }
        let client = fake.client(credential: Credential(username: "u", secret: "pw"))
        try client.putManifest("ml", "1", data: Data("{}".utf8), mediaType: MediaType.ociManifest, blobs: [RegistryBoundaryTests.blob])
        #expect(fake.requests("PUT").count == 2)
        #expect(fake.requests("HEAD").count == 1)
    }

    @Test func aBlobTheRegistryHoldsWithAnotherSizeIsAnError() throws {
        let fake = RegistryBoundaryTests.registry { _ in .init(status: 200, headers: ["Content-Length": "7"]) }
        #expect { try fake.client(credential: Credential(username: "u", secret: "pw")).blobExists("ml", RegistryBoundaryTests.blob) } throws: { e in
            "\(e)".contains("has 7 bytes there, but its descriptor says 5")
        }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        n += 1
        return n
    }
}

/// Fixes from an attacker's review of the boundary.
@Suite struct RegistryBoundaryReviewTests {
    /// URLComponents sees no host in `http:/evil.test/token`, libcurl does; a name that starts with
    /// "127." is not this machine. Neither may carry credentials over plain HTTP.
    @Test(arguments: ["http:/evil.test/token", "http://127.evil.test/token", "http:evil.test/token"])
    func aPlainHTTPRealmCannotHideItsHost(realm: String) throws {
        let fake = FakeTransport { r in
            r.url.hasPrefix("https://registry.test/") ? .init(status: 401, headers: ["WWW-Authenticate": #"Bearer realm="\#(realm)",service="s""#])
                : .init(status: 200, body: Data(#"{"token":"t"}"#.utf8))
        }
        #expect(throws: RegistryError.self) { try fake.client(credential: Credential(username: "u", secret: "pw")).tags("ml") }
        #expect(fake.seen.allSatisfy { $0.url.hasPrefix("https://registry.test/") }, "\(fake.seen.map(\.url))")
    }

    @Test(arguments: [("localhost:5000", true), ("127.0.0.1", true), ("127.1.2.3:80", true), ("[::1]:5000", true),
                      ("127.evil.test", false), ("127.0.0.1.evil.test", false), ("ghcr.io", false)])
    func loopbackIsAnAddressNotAPrefix(host: String, loopback: Bool) {
        #expect(RegistryClient.isLoopback(host) == loopback)
    }

    @Test func anUploadLocationInCapitalsIsFollowedNotAppended() throws {
        let fake = RegistryBoundaryTests.registry { r in
            switch r.method {
            case "POST": return .init(status: 202, headers: ["Location": "HTTPS://registry.test/v2/ml/blobs/uploads/7"])
            case "PUT": return .init(status: 201)
            default: return .init(status: 404)
            }
        }
        try fake.client(credential: Credential(username: "u", secret: "pw")).upload("ml", RegistryBoundaryTests.blob, file: "/dev/null")
        #expect(fake.requests("PUT").first.map { $0.url.lowercased().hasPrefix("https://registry.test/v2/ml/blobs/uploads/7?digest=") } == true)
    }

    @Test func tagPagesThatLeadBackAreRefused() throws {
        let fake = RegistryBoundaryTests.registry { _ in
            .init(status: 200, headers: ["Link": #"</v2/ml/tags/list?last=a>; rel="next""#], body: Data(#"{"tags":["a"]}"#.utf8))
        }
        #expect { try fake.client(credential: Credential(username: "u", secret: "pw")).tags("ml") } throws: { "\($0)".contains("lead back") }
        #expect(fake.requests("GET", containing: "tags/list").count == 2)
    }

    /// A manifest naming a 65 MB config: refused before a byte of it is asked for.
    @Test func documentsOverTheMemoryBudgetAreRefusedUnread() throws {
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "b", count: 64))","size":\#(65 << 20)},"layers":[]}"#.utf8)
        let fake = RegistryBoundaryTests.registry { _ in .init(status: 200, headers: ["Content-Type": MediaType.ociManifest], body: manifest) }
        let client = fake.client(credential: Credential(username: "u", secret: "pw"))
        let (data, top) = try client.manifest("ml", "1")
        let view = ImageView(top, source: RemoteBlobs(client: client, repository: "ml", known: [(top, data)]), name: "x")
        #expect { try view.images() } throws: { "\($0)".contains("weigh more than 64 MB") }
        #expect(fake.requests("GET", containing: "/blobs/").isEmpty)
    }
}

extension RegistryBoundaryReviewTests {
    /// The same race for an index: its manifests are looked at with a manifest HEAD, not a blob HEAD.
    @Test func anIndexRacingAnotherPushIsSentAgainOnceItsManifestsAreThere() throws {
        let child = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256("child"), size: 9)
        let puts = Counter()
        let fake = RegistryBoundaryTests.registry { r in
            if r.method == "HEAD" {
                return .init(status: 200, headers: ["Docker-Content-Digest": child.digest.description, "Content-Length": "9",
                                                    "Content-Type": MediaType.ociManifest])
            }
            return puts.next() == 1 ? .init(status: 400, body: Data(#"{"errors":[{"code":"DIGEST_INVALID"},{"code":"MANIFEST_BLOB_UNKNOWN"}]}"#.utf8))
                : .init(status: 201)
        }
        try fake.client(credential: Credential(username: "u", secret: "pw"))
            .putManifest("ml", "1", data: Data("{}".utf8), mediaType: MediaType.ociIndex, blobs: [child])
        #expect(fake.requests("HEAD", containing: "/manifests/").count == 1)
        #expect(fake.requests("PUT").count == 2)
    }
}
