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
    private var sessions: [CurlSession] = []
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

    static func isLoopback(_ host: String) -> Bool {
        let name = host.hasPrefix("[") ? String(host.dropFirst().prefix { $0 != "]" }) : String(host.split(separator: ":").first ?? "")
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }

    func withSession<T>(_ body: (CurlSession) throws -> T) rethrows -> T {
        lock.lock()
        let s = sessions.popLast() ?? CurlSession(caFile: options.caFile)
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
    /// does not speak this scheme.
    func probe(_ url: String) throws -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            let start = Date()
            do {
                let r = try withSession { try $0.perform(HTTPRequest("GET", url)) }
                countRequest()
                options.trace?.exchange("GET", url, authorization: nil, outcome: String(r.status), since: start)
                if RetryPolicy.isRetryable(status: r.status), attempt < options.retry.attempts {
                    countRetry()
                    Thread.sleep(forTimeInterval: options.retry.delay(after: attempt, retryAfter: r.header("retry-after")))
                    continue
                }
                return r
            } catch let e as TransportError {
                countRequest()
                options.trace?.exchange("GET", url, authorization: nil, outcome: "error: \(e.message)", since: start)
                if e.isTLS || attempt >= options.retry.attempts { throw e }
                countRetry()
                Thread.sleep(forTimeInterval: options.retry.delay(after: attempt, retryAfter: nil))
            }
        }
    }

    /// Sends a request with auth for `scope`, retrying what the policy allows and following
    /// redirects itself: `Authorization` goes only to the registry host.
    public func send(_ method: String, _ path: String, scope: String, headers: [(String, String)] = [],
                     body: HTTPRequest.Body = .none, sink: () -> ResponseSink = { .memory() },
                     progress: ((Int64) -> Void)? = nil, operation: String) throws -> HTTPResponse {
        let root = try baseURL()
        var url = path.hasPrefix("http://") || path.hasPrefix("https://") ? path : root + path
        var attempt = 0
        var reauthorized = false
        var redirects = 0
        while true {
            attempt += 1
            let sameHost = URL(string: url)?.host == URL(string: root)?.host && URL(string: url)?.port == URL(string: root)?.port
            var h = headers
            let authorization = sameHost ? try auth.authorization(scope: scope) : nil
            if let authorization { h.append(("Authorization", authorization)) }
            let request = HTTPRequest(method, url, headers: h, body: body)
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
                guard attempt < options.retry.attempts else {
                    throw RegistryError.transport(registry, "\(operation): \(e.message) after \(attempt) attempts")
                }
                countRetry()
                Thread.sleep(forTimeInterval: options.retry.delay(after: attempt, retryAfter: nil))
                continue
            }
            if [301, 302, 303, 307, 308].contains(response.status), let location = response.header("location"), redirects < 5 {
                redirects += 1
                url = URL(string: location, relativeTo: URL(string: url))?.absoluteString ?? location
                attempt -= 1
                continue
            }
            if response.status == 401, sameHost, !reauthorized {
                reauthorized = true
                if try auth.handle401(response, scope: scope, used: authorization) {
                    attempt -= 1
                    continue
                }
            }
            if RetryPolicy.isRetryable(status: response.status), attempt < options.retry.attempts {
                countRetry()
                Thread.sleep(forTimeInterval: options.retry.delay(after: attempt, retryAfter: response.header("retry-after")))
                continue
            }
            return response
        }
    }

    private func countRequest() {
        lock.lock()
        requests += 1
        lock.unlock()
    }

    private func countRetry() {
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
