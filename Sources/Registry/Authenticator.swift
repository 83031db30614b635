import Foundation

/// Auth as Docker does it: the registry's challenge decides Basic or Bearer; Bearer tokens are
/// fetched from the realm (with Basic credentials, or anonymously, or with the OAuth2 refresh-token
/// form) and cached per scope until they expire; `insufficient_scope` or a new scope fetches anew.
final class Authenticator: @unchecked Sendable {
    let registry: String
    let options: RegistryOptions
    private let lock = NSLock()
    /// One token fetch at a time, so parallel jobs needing the same scope share one token.
    private let fetching = NSLock()
    /// One credential lookup at a time: parallel upload jobs must not each start the helper.
    private let lookingUp = NSLock()
    private var challenge: Challenge?
    private var tokens: [String: (token: String, expires: Date)] = [:]
    private var credential: Credential??
    /// Tokens fetched, for the tests that check caching.
    private(set) var tokenFetches = 0

    init(registry: String, options: RegistryOptions) {
        self.registry = registry
        self.options = options
    }

    func noteChallenge(_ r: HTTPResponse) {
        guard r.status == 401 else { return }
        let all = (r.headers["www-authenticate"] ?? []).flatMap(Challenge.parse)
        lock.lock()
        challenge = all.first { $0.scheme == "bearer" } ?? all.first { $0.scheme == "basic" }
        lock.unlock()
    }

    func credentials() throws -> Credential? {
        lookingUp.lock()
        defer { lookingUp.unlock() }
        lock.lock()
        if let credential {
            lock.unlock()
            return credential
        }
        lock.unlock()
        let c = try options.explicit ?? options.credentials.lookup(registry)
        if let c {
            for form in SecretForms.of(c.secret, username: c.username) + SecretForms.of(c.identityToken ?? "") { options.onSecret?(form) }
        }
        lock.lock()
        credential = .some(c)
        lock.unlock()
        return c
    }

    /// `text` with every secret this authenticator holds (password, identity token, bearer tokens,
    /// the Basic header's encoding) replaced by `***`.
    func redact(_ text: String) -> String {
        lock.lock()
        var secrets = tokens.values.flatMap { SecretForms.of($0.token) }
        if case .some(.some(let c)) = credential {
            secrets += SecretForms.of(c.secret, username: c.username) + SecretForms.of(c.identityToken ?? "")
        }
        lock.unlock()
        var out = text
        for s in secrets.sorted(by: { $0.count > $1.count }) { out = out.replacingOccurrences(of: s, with: "***") }
        return out
    }

    /// The header for a request needing `scope` (`repository:NAME:pull,push`), if any.
    func authorization(scope: String) throws -> String? {
        lock.lock()
        let ch = challenge
        let cached = tokens[scope]
        lock.unlock()
        guard let ch else { return nil }
        if ch.scheme == "basic" {
            guard let c = try credentials() else { return nil }
            return "Basic " + Data("\(c.username):\(c.secret)".utf8).base64EncodedString()
        }
        if let cached, cached.expires > Date() { return "Bearer " + cached.token }
        fetching.lock()
        defer { fetching.unlock() }
        lock.lock()
        let fresh = tokens[scope]
        lock.unlock()
        if let fresh, fresh.expires > Date() { return "Bearer " + fresh.token }
        return "Bearer " + (try fetchToken(ch, scope: scope))
    }

    /// After a 401 to a request sent with `used`: learn the challenge and drop that token (expired or
    /// revoked), unless another job already replaced it; true when a retry can succeed.
    func handle401(_ r: HTTPResponse, scope: String, used: String?) throws -> Bool {
        let all = (r.headers["www-authenticate"] ?? []).flatMap(Challenge.parse)
        guard let ch = all.first(where: { $0.scheme == "bearer" }) ?? all.first(where: { $0.scheme == "basic" }) else { return false }
        lock.lock()
        let had = challenge
        challenge = ch
        if let current = tokens[scope], used == nil || used == "Bearer " + current.token { tokens[scope] = nil }
        lock.unlock()
        if let error = ch.parameters["error"] { options.trace?.note("401 from \(registry): \(error)") }
        let haveCredentials = try credentials() != nil
        if ch.scheme == "basic" { return had?.scheme != "basic" && haveCredentials }
        if ch.parameters["error"] == "insufficient_scope", !haveCredentials { return false }
        return true
    }

    private func fetchToken(_ ch: Challenge, scope: String) throws -> String {
        // Origin insists on a host, as libcurl would find one: `http:/host/token` has none for
        // URLComponents but reaches host all the same, so it must not slip past the plain-HTTP rule.
        guard let realm = ch.parameters["realm"], var components = URLComponents(string: realm), let origin = Origin(realm),
              components.host?.lowercased() == origin.host else {
            throw RegistryError.invalid("\(registry): the auth challenge has no usable realm")
        }
        if origin.scheme == "http", !RegistryClient.isLoopback(origin.host), options.insecureHosts.isDisjoint(with: origin.names) {
            let h = origin.host
            throw RegistryError.invalid("\(registry): the auth challenge sends credentials to \(h) over plain HTTP; refused (pass --insecure-registry \(h) to allow it)")
        }
        let c = try credentials()
        var query = components.queryItems ?? []
        if let service = ch.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        for s in scope.split(separator: " ") where !s.isEmpty { query.append(URLQueryItem(name: "scope", value: String(s))) }
        var request: HTTPRequest
        if let refresh = c?.identityToken {
            // The OAuth2 form Docker uses with an identity (refresh) token.
            var form = URLComponents()
            form.queryItems = [URLQueryItem(name: "grant_type", value: "refresh_token"), URLQueryItem(name: "refresh_token", value: refresh),
                               URLQueryItem(name: "client_id", value: "imagectl")] + query
            request = HTTPRequest("POST", realm, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                  body: .data(Data((form.percentEncodedQuery ?? "").utf8)))
        } else {
            components.queryItems = query
            request = HTTPRequest("GET", components.url!.absoluteString)
            if let c {
                request.headers.append(("Authorization", "Basic " + Data("\(c.username):\(c.secret)".utf8).base64EncodedString()))
            }
        }
        let session = options.transport(options.caFile)
        let r: HTTPResponse = try options.retry.run { attempt in
            let start = Date()
            do {
                let r = try session.perform(request, sink: .memory(limit: 1 << 20), progress: nil)
                options.trace?.exchange(request.method, request.url, authorization: request.header("authorization"),
                                        outcome: "\(r.status) (token for \(scope.isEmpty ? "login" : scope))", since: start)
                return RetryPolicy.isRetryable(status: r.status) ? .again(.success(r), retryAfter: r.header("retry-after")) : .done(r)
            } catch RegistryError.tooLarge(_, let limit) {
                throw RegistryError.invalid("\(registry): the token service answered more than \(limit >> 20) MB; a token is a few kB")
            } catch let e as TransportError {
                options.trace?.exchange(request.method, request.url, authorization: request.header("authorization"),
                                        outcome: "error: \(e.message)", since: start)
                let failure = RegistryError.transport(registry, "token service: \(e.message)")
                if e.isTLS { throw failure }
                return .again(.failure(failure))
            }
        }
        guard r.status == 200 else {
            if r.status == 401 || r.status == 403 { throw RegistryError.unauthorized(registry: registry, detail: c == nil ? "no credentials found" : "the token service refused the credentials") }
            throw RegistryError.status(registry: registry, operation: "token request", status: r.status, detail: "")
        }
        guard let json = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any],
              let token = (json["token"] as? String) ?? (json["access_token"] as? String), !token.isEmpty,
              token.utf8.count < 64 << 10, !token.contains("\n") else {
            throw RegistryError.invalid("\(registry): the token service answered without a token")
        }
        for form in SecretForms.of(token) { options.onSecret?(form) }
        let lifetime = max(60, min((json["expires_in"] as? Double) ?? 60, 24 * 3600))
        lock.lock()
        // Refresh a little early so a token does not expire between check and use.
        tokens[scope] = (token, Date().addingTimeInterval(lifetime - 10))
        tokenFetches += 1
        lock.unlock()
        return token
    }
}
