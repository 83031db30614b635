import Foundation
import OCI

/// A username and secret for one registry; the secret is never printed.
public struct Credential: Sendable, Equatable {
    public var username: String
    public var secret: String
    /// A refresh token (`identitytoken`), exchanged with the OAuth2 POST form.
    public var identityToken: String?

    public init(username: String, secret: String, identityToken: String? = nil) {
        self.username = username
        self.secret = secret
        self.identityToken = identityToken
    }
}

/// Finds credentials the way Docker does: `credHelpers` for the host, then `credsStore`, then
/// `auths` in `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`), then `$REGISTRY_AUTH_FILE`,
/// then, inside GitHub Actions, `GITHUB_ACTOR` and `GITHUB_TOKEN` for ghcr.io.
public struct CredentialStore: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public var configPath: String {
        if let dir = environment["DOCKER_CONFIG"], !dir.isEmpty { return dir + "/config.json" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.docker/config.json"
    }

    /// The key Docker uses for a registry in `auths`.
    static func authKey(_ registry: String) -> String {
        registry == "docker.io" ? "https://index.docker.io/v1/" : registry
    }

    func readConfig(_ path: String) throws -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RegistryError.invalid("\(path): not valid JSON; fix or remove the file")
        }
        // Docker refuses these shapes too; ignoring them would look like missing credentials.
        if let auths = json["auths"], !(auths is [String: Any]) {
            throw RegistryError.invalid("\(path): \"auths\" must be an object of \"registry\": {\"auth\": …} entries")
        }
        if let helpers = json["credHelpers"], !(helpers is [String: String]) {
            throw RegistryError.invalid("\(path): \"credHelpers\" must map registry hosts to helper names")
        }
        if let store = json["credsStore"], !(store is String) {
            throw RegistryError.invalid("\(path): \"credsStore\" must be a helper name")
        }
        return json
    }

    public func lookup(_ registry: String) throws -> Credential? {
        let config = try readConfig(configPath)
        if let helpers = config?["credHelpers"] as? [String: String] {
            for (host, helper) in helpers where RegistryHost.normalise(host) == RegistryHost.normalise(registry) {
                return try CredentialHelper(name: helper, environment: environment).get(CredentialStore.authKey(registry))
            }
        }
        if let store = config?["credsStore"] as? String, !store.isEmpty,
           let c = try CredentialHelper(name: store, environment: environment).get(CredentialStore.authKey(registry)) {
            return c
        }
        if let c = try fromAuths(config, registry, path: configPath) { return c }
        if let file = environment["REGISTRY_AUTH_FILE"], !file.isEmpty, let c = try fromAuths(try readConfig(file), registry, path: file) {
            return c
        }
        if registry == "ghcr.io", environment["GITHUB_ACTIONS"] == "true",
           let actor = environment["GITHUB_ACTOR"], let token = environment["GITHUB_TOKEN"], !token.isEmpty {
            return Credential(username: actor, secret: token)
        }
        return nil
    }

    func fromAuths(_ config: [String: Any]?, _ registry: String, path: String) throws -> Credential? {
        guard let auths = config?["auths"] as? [String: Any] else { return nil }
        for (key, value) in auths where RegistryHost.normalise(key) == RegistryHost.normalise(registry) {
            guard let entry = value as? [String: Any] else { continue }
            let identity = (entry["identitytoken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            if let auth = entry["auth"] as? String, !auth.isEmpty {
                guard let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                      let colon = decoded.firstIndex(of: ":") else {
                    throw RegistryError.invalid("\(path): the auth entry for \(key) is not base64 of user:password; log in again")
                }
                return Credential(username: String(decoded[..<colon]), secret: String(decoded[decoded.index(after: colon)...]),
                                  identityToken: identity)
            }
            if let user = entry["username"] as? String, let pass = entry["password"] as? String {
                return Credential(username: user, secret: pass, identityToken: identity)
            }
            if let identity { return Credential(username: "<token>", secret: "", identityToken: identity) }
        }
        return nil
    }

    /// Saves credentials as `docker login` does: through `credsStore` when one is set, otherwise in
    /// `auths`, written atomically with mode 0600.
    public func save(_ registry: String, _ c: Credential) throws {
        try withConfigLock { try saveLocked(registry, c) }
    }

    private func saveLocked(_ registry: String, _ c: Credential) throws {
        var config = try readConfig(configPath) ?? [:]
        if let store = config["credsStore"] as? String, !store.isEmpty {
            try CredentialHelper(name: store, environment: environment).store(CredentialStore.authKey(registry), c)
            return
        }
        var auths = config["auths"] as? [String: Any] ?? [:]
        for key in auths.keys where RegistryHost.normalise(key) == RegistryHost.normalise(registry) { auths[key] = nil }
        auths[CredentialStore.authKey(registry)] = ["auth": Data("\(c.username):\(c.secret)".utf8).base64EncodedString()]
        config["auths"] = auths
        try writeConfig(config)
    }

    public func remove(_ registry: String) throws -> Bool {
        try withConfigLock { try removeLocked(registry) }
    }

    private func removeLocked(_ registry: String) throws -> Bool {
        guard var config = try readConfig(configPath) else { return false }
        if let store = config["credsStore"] as? String, !store.isEmpty {
            try CredentialHelper(name: store, environment: environment).erase(CredentialStore.authKey(registry))
            return true
        }
        var auths = config["auths"] as? [String: Any] ?? [:]
        let keys = auths.keys.filter { RegistryHost.normalise($0) == RegistryHost.normalise(registry) }
        for key in keys { auths[key] = nil }
        config["auths"] = auths
        try writeConfig(config)
        return !keys.isEmpty
    }

    /// Read, change and write config.json under an exclusive lock beside it, so two logins at once
    /// (two registries in one CI job) both keep their entry.
    func withConfigLock<T>(_ body: () throws -> T) throws -> T {
        let dir = (configPath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(dir + "/.config.json.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RegistryError.invalid("\(dir): cannot lock config.json: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        return try body()
    }

    /// Replaces config.json atomically (temp file, fsync, rename), mode 0600. A config.json that
    /// is a symbolic link (dotfiles kept elsewhere) is written through the link, as docker does.
    func writeConfig(_ config: [String: Any]) throws {
        var target = configPath
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: configPath) {
            target = link.hasPrefix("/") ? link : ((configPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(link)
        }
        let dir = (target as NSString).deletingLastPathComponent
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: target, tempPath: "\(dir)/.config.json.\(getpid()).\(UUID().uuidString.prefix(8)).tmp", mode: 0o600)
    }
}

/// `docker-credential-NAME get|store|erase`, speaking JSON on stdin and stdout.
struct CredentialHelper {
    let name: String
    var environment: [String: String] = [:]

    func run(_ verb: String, input: Data) throws -> Data {
        // The name is joined to "docker-credential-" and looked up on PATH: never a path.
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }), !name.hasPrefix(".") else {
            throw RegistryError.invalid("config.json: credential helper \"\(name.prefix(60))\" is not a plain name (docker-credential-NAME on PATH)")
        }
        let program = "docker-credential-\(name)"
        let outcome: HelperProcess.Outcome
        do {
            outcome = try HelperProcess.run([program, verb], input: input,
                                            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        } catch HelperProcess.Failure.notFound {
            throw RegistryError.invalid("credential helper \(program) is not on PATH; install it or remove it from config.json")
        } catch HelperProcess.Failure.timedOut(let seconds) {
            throw RegistryError.invalid("credential helper \(program) \(verb) did not finish within \(Int(seconds)) s and was stopped")
        } catch HelperProcess.Failure.tooMuchOutput(let limit) {
            throw RegistryError.invalid("credential helper \(program) \(verb) wrote more than \(limit >> 20) MB and was stopped")
        } catch {
            throw RegistryError.invalid("credential helper \(program) cannot be run; install it or remove it from config.json")
        }
        guard outcome.status == 0 else {
            // The helper's own output may echo secrets: it is not repeated here.
            throw HelperFailure(output: String(decoding: outcome.output, as: UTF8.self))
        }
        return outcome.output
    }

    struct HelperFailure: Error { let output: String }

    func get(_ server: String) throws -> Credential? {
        do {
            let out = try run("get", input: Data(server.utf8))
            guard let json = try? JSONSerialization.jsonObject(with: out) as? [String: Any],
                  let user = json["Username"] as? String, let secret = json["Secret"] as? String else {
                throw RegistryError.invalid("credential helper docker-credential-\(name) get \(server): its answer is not the JSON {\"Username\", \"Secret\"} it must print")
            }
            return user == "<token>" ? Credential(username: user, secret: "", identityToken: secret) : Credential(username: user, secret: secret)
        } catch let e as HelperFailure {
            if e.output.contains("credentials not found") { return nil }
            throw RegistryError.invalid("docker-credential-\(name) get \(server) failed")
        }
    }

    func store(_ server: String, _ c: Credential) throws {
        let json = try JSONSerialization.data(withJSONObject: ["ServerURL": server, "Username": c.username, "Secret": c.secret])
        do { _ = try run("store", input: json) } catch is HelperFailure {
            throw RegistryError.invalid("docker-credential-\(name) store \(server) failed")
        }
    }

    func erase(_ server: String) throws {
        do { _ = try run("erase", input: Data(server.utf8)) } catch is HelperFailure {
            throw RegistryError.invalid("docker-credential-\(name) erase \(server) failed")
        }
    }
}
