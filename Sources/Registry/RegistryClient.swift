import Foundation
import OCI

/// How to reach registries: CA, which hosts may use plain HTTP, where credentials come from.
public struct RegistryOptions: Sendable {
    public var caFile: String?
    public var insecureHosts: Set<String>
    public var credentials: CredentialStore
    public var retry: RetryPolicy
    /// Credentials given for this run (login checks them before saving).
    public var explicit: Credential?
    /// Told every secret (passwords, tokens) before it is used, so a CI log can mask it.
    public var onSecret: (@Sendable (String) -> Void)?
    /// `--verbose`: every request, without secrets.
    public var trace: RequestTrace?
    /// Makes the transport each worker sends through: libcurl, or a fake in unit tests.
    public var transport: @Sendable (_ caFile: String?) -> HTTPTransport = { CurlSession(caFile: $0) }

    public init(caFile: String? = nil, insecureHosts: Set<String> = [], credentials: CredentialStore = CredentialStore(),
                retry: RetryPolicy = .default, explicit: Credential? = nil) {
        self.caFile = caFile
        self.insecureHosts = insecureHosts
        self.credentials = credentials
        self.retry = retry
        self.explicit = explicit
    }
}

/// A client for one registry host speaking the OCI distribution API: auth, retries and redirects
/// are handled in `send`, in one place, for every operation.
public final class RegistryClient: @unchecked Sendable {
    public let registry: String
    let options: RegistryOptions
    let host: String
    private let lock = NSLock()
    private var sessions: [HTTPTransport] = []
    private var base: String?
    let auth: Authenticator
    /// Repositories being pushed: every request for them asks for pull and push at once, so one
    /// token serves the whole push.
    private var pushing = Set<String>()

    public func willPush(_ repository: String) {
        lock.lock()
        pushing.insert(repository)
        lock.unlock()
    }

    func scope(_ repo: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        return pushing.contains(repo) ? RegistryClient.push(repo) : RegistryClient.pull(repo)
    }

    /// Counts for the summary and the tests: requests sent, retries made.
    public private(set) var requests = 0
    public private(set) var retries = 0

    public init(registry: String, options: RegistryOptions) {
        self.registry = registry
        self.options = options
        host = registry == "docker.io" ? "registry-1.docker.io" : registry
        auth = Authenticator(registry: registry, options: options)
    }

    /// Whether `host` (`name`, `name:port`, `[v6]:port`) is this machine: `localhost`, `::1` or a
    /// literal address in 127/8. A name that merely starts with "127." is someone else's.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.hasPrefix("[") ? String(host.dropFirst().prefix { $0 != "]" }) : String(host.split(separator: ":").first ?? "")
        if name.lowercased() == "localhost" || name == "::1" { return true }
        var addr = in_addr()
        return inet_pton(AF_INET, name, &addr) == 1 && UInt32(bigEndian: addr.s_addr) >> 24 == 127
    }

    func withSession<T>(_ body: (HTTPTransport) throws -> T) rethrows -> T {
        lock.lock()
        let s = sessions.popLast() ?? options.transport(options.caFile)
        lock.unlock()
        defer {
            lock.lock()
            sessions.append(s)
            lock.unlock()
        }
        return try body(s)
    }

    /// `https://host/v2/`; for loopback and --insecure-registry hosts, `http://` when the host
    /// answers plain HTTP as a registry (tried first there, which spares a TLS set-up on every run).
    func baseURL() throws -> String {
        lock.lock()
        if let base {
            lock.unlock()
            return base
        }
        lock.unlock()
        let plainAllowed = RegistryClient.isLoopback(host) || options.insecureHosts.contains(registry) || options.insecureHosts.contains(host)
        var chosen: String?
        var plainFailure: TransportError?
        if plainAllowed {
            do {
                let r = try probe("http://\(host)/v2/")
                if r.status == 200 || r.status == 401, r.header("docker-distribution-api-version") != nil {
                    auth.noteChallenge(r)
                    chosen = "http://\(host)/v2/"
                }
            } catch let e as TransportError where e.code != 7 {
                // It answered plain HTTP (not "connection refused") but the exchange broke.
                plainFailure = e
            } catch {}
        }
        if chosen == nil {
            let https = "https://\(host)/v2/"
            do {
                auth.noteChallenge(try probe(https))
                chosen = https
            } catch let e as TransportError {
                if e.isTLS && !e.isCertificateProblem {
                    if let plainFailure { throw RegistryError.transport(registry, plainFailure.message) }
                    // The host answers, but not with TLS: plain HTTP only when the user says so.
                    throw RegistryError.insecure(registry)
                }
                if e.isTLS { throw RegistryError.transport(registry, "TLS: \(e.message) (for a private CA pass --ca-file)") }
                throw RegistryError.transport(registry, e.message)
            }
        }
        lock.lock()
        base = chosen
        lock.unlock()
        return chosen!
    }

    /// GET /v2/ under the retry policy: a busy or flaky registry must not be mistaken for one that
    /// does not speak this scheme. Transport errors are thrown as they are, for the scheme choice.
    func probe(_ url: String) throws -> HTTPResponse {
        try options.retry.run(onRetry: countRetry) { _ in
            let start = Date()
            do {
                let r = try withSession { try $0.perform(HTTPRequest("GET", url, timeout: 30), sink: .memory(limit: ResponseSink.errorLimit), progress: nil) }
                countRequest()
                options.trace?.exchange("GET", url, authorization: nil, outcome: String(r.status), since: start)
                return RetryPolicy.isRetryable(status: r.status) ? .again(.success(r), retryAfter: r.header("retry-after")) : .done(r)
            } catch let e as TransportError {
                countRequest()
                options.trace?.exchange("GET", url, authorization: nil, outcome: "error: \(e.message)", since: start)
                if e.isTLS { throw e }
                return .again(.failure(e))
            }
        }
    }

    /// Sends a request with auth for `scope` under the retry policy (see `exchange`); the response
    /// of the last attempt is returned whatever its status.
    public func send(_ method: String, _ path: String, scope: String, headers: [(String, String)] = [],
                     body: HTTPRequest.Body = .none, sink: () -> ResponseSink = { .memory() }, timeout: Double = 30,
                     progress: ((Int64) -> Void)? = nil, operation: String) throws -> HTTPResponse {
        try options.retry.run(onRetry: countRetry) { attempt in
            do {
                let r = try exchange(method, path, scope: scope, headers: headers, body: body, sink: sink, timeout: timeout,
                                     progress: progress, operation: operation)
                return RetryPolicy.isRetryable(status: r.status) ? .again(.success(r), retryAfter: r.header("retry-after")) : .done(r)
            } catch let e as RetryableTransportError {
                return .again(.failure(RegistryError.transport(registry, "\(operation): \(e.error.message) after \(attempt) attempt\(attempt == 1 ? "" : "s")")))
            }
        }
    }

    /// A transport failure worth another attempt (not TLS: a certificate does not fix itself).
    struct RetryableTransportError: Error { let error: TransportError }

    /// One attempt of a request: auth for `scope`, the registry's redirects followed by the client
    /// itself under `URLRules` (`Authorization` only to the registry's own origin), and one new
    /// credential after a 401. No retries here: the caller's operation retries as a whole.
    func exchange(_ method: String, _ path: String, scope: String, headers: [(String, String)] = [],
                  body: HTTPRequest.Body = .none, sink: () -> ResponseSink = { .memory() }, timeout: Double = 30,
                  progress: ((Int64) -> Void)? = nil, operation: String) throws -> HTTPResponse {
        let root = try baseURL()
        let rules = URLRules(registry: registry, insecureHosts: options.insecureHosts)
        let home = Origin(root)
        // A URL the registry handed back (an upload location) is held to the rules; a path is ours.
        var url = URLComponents(string: path)?.scheme != nil ? try rules.follow(path, from: root, what: operation) : root + path
        var reauthorized = false
        var redirects = 0
        while true {
            let sameOrigin = home != nil && Origin(url) == home
            var h = headers
            let authorization = sameOrigin ? try auth.authorization(scope: scope) : nil
            if let authorization { h.append(("Authorization", authorization)) }
            let request = HTTPRequest(method, url, headers: h, body: body, timeout: timeout)
            let response: HTTPResponse
            let start = Date()
            do {
                response = try withSession { try $0.perform(request, sink: sink(), progress: progress) }
                countRequest()
                options.trace?.exchange(method, url, authorization: authorization, outcome: String(response.status), since: start)
            } catch let e as TransportError {
                countRequest()
                options.trace?.exchange(method, url, authorization: authorization, outcome: "error: \(e.message)", since: start)
                if e.isTLS { throw RegistryError.transport(registry, "TLS: \(e.message) (for a private CA pass --ca-file)") }
                if e.isDeadline { throw RegistryError.transport(registry, "\(operation): \(e.message)") }
                throw RetryableTransportError(error: e)
            }
            if [301, 302, 303, 307, 308].contains(response.status), let location = response.header("location") {
                redirects += 1
                guard redirects <= 5 else { throw RegistryError.invalid("\(registry): \(operation): more than 5 redirects") }
                url = try rules.follow(location, from: url, what: "a redirect of \(operation)")
                continue
            }
            if response.status == 401, sameOrigin, !reauthorized {
                reauthorized = true
                if try auth.handle401(response, scope: scope, used: authorization) { continue }
            }
            return response
        }
    }

    private func countRequest() {
        lock.lock()
        requests += 1
        lock.unlock()
    }

    func countRetry() {
        lock.lock()
        retries += 1
        lock.unlock()
    }

    /// Turns an unexpected response into one clear error.
    func failure(_ r: HTTPResponse, operation: String, repository: String) -> RegistryError {
        // A registry may echo what it was sent; the message must not carry a credential into a log.
        let detail = RegistryClient.errorDetail(r.body, redact: auth.redact)
        switch r.status {
        case 401: return .unauthorized(registry: registry, detail: detail)
        case 403: return .denied(registry: registry, repository: repository, detail: detail)
        default: return .status(registry: registry, operation: operation, status: r.status, detail: detail)
        }
    }

    /// The `code`s of the distribution spec's error body.
    static func errorCodes(_ body: Data) -> [String] {
        guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let errors = json["errors"] as? [[String: Any]] else { return [] }
        return errors.compactMap { $0["code"] as? String }
    }

    /// The distribution spec's `{"errors":[{"code","message"}]}`, as one short line.
    /// Secrets are redacted before the line is cut short, so no fragment of one survives the cut.
    static func errorDetail(_ body: Data, redact: (String) -> String = { $0 }) -> String {
        guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let errors = json["errors"] as? [[String: Any]] else { return "" }
        return redact(errors.prefix(3).map { e in
            [e["code"] as? String, e["message"] as? String].compactMap { $0 }.joined(separator: ": ")
        }.joined(separator: "; ")).prefix(300).description
    }
}

extension RegistryClient {
    /// Proves the credentials work: the registry's /v2/ with them (through a token for Bearer realms).
    public func checkLogin() throws {
        let r = try send("GET", "", scope: "", operation: "login")
        guard r.status == 200 else { throw failure(r, operation: "login", repository: "") }
    }
}
