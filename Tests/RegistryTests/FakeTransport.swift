import Foundation
@testable import Registry

/// A registry played by a function, for the client's rules (redirects, auth, retries, bounds)
/// without a process or a socket. The real registry is exercised by the integration tests.
final class FakeTransport: HTTPTransport, @unchecked Sendable {
    struct Answer {
        var status: Int
        var headers: [String: String] = [:]
        var body = Data()
    }

    private let lock = NSLock()
    private(set) var seen: [HTTPRequest] = []
    let answer: @Sendable (HTTPRequest) -> Answer

    init(_ answer: @escaping @Sendable (HTTPRequest) -> Answer) { self.answer = answer }

    func perform(_ request: HTTPRequest, sink: ResponseSink, progress: ((Int64) -> Void)?) throws -> HTTPResponse {
        lock.lock()
        seen.append(request)
        lock.unlock()
        let a = answer(request)
        let accepted = a.body.withUnsafeBytes { sink.append($0, status: a.status) }
        let headers = Dictionary(uniqueKeysWithValues: a.headers.map { ($0.key.lowercased(), [$0.value]) })
        if !accepted && !sink.errorCut {
            if sink.overLimit, sink.fd == nil { throw RegistryError.tooLarge(url: request.url, limit: Int(sink.limit)) }
            throw TransportError(code: 23, message: sink.failure ?? "write error", url: request.url)
        }
        return HTTPResponse(status: a.status, headers: headers, body: (200..<300).contains(a.status) ? sink.data : sink.errorBody)
    }

    func requests(_ method: String, containing fragment: String = "") -> [HTTPRequest] {
        lock.lock()
        defer { lock.unlock() }
        return seen.filter { $0.method == method && (fragment.isEmpty || $0.url.contains(fragment)) }
    }

    /// A client for `registry` over this transport; waits between attempts are counted, not slept.
    func client(_ registry: String = "registry.test", insecure: Set<String> = [], credential: Credential? = nil,
                waits: WaitLog = WaitLog()) -> RegistryClient {
        var options = RegistryOptions(insecureHosts: insecure, credentials: CredentialStore(environment: ["DOCKER_CONFIG": "/nonexistent"]),
                                      explicit: credential)
        options.transport = { _ in self }
        options.retry.sleep = { waits.add($0) }
        return RegistryClient(registry: registry, options: options)
    }
}

final class WaitLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var waits: [Double] = []
    func add(_ s: Double) {
        lock.lock()
        waits.append(s)
        lock.unlock()
    }
}

extension FakeTransport.Answer {
    /// The answer of a registry's /v2/, which the client probes first.
    static let apiRoot = FakeTransport.Answer(status: 200, headers: ["Docker-Distribution-API-Version": "registry/2.0"])
}
