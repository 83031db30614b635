import Foundation

/// Scheme, host and port of a URL: what `Authorization` is bound to, and what every URL a registry
/// hands back (redirects, upload locations, pagination links) is checked against, in one place.
struct Origin: Equatable, CustomStringConvertible {
    let scheme: String
    let host: String
    let port: Int

    /// Only http and https URLs have an origin here; any other scheme is never followed.
    init?(_ url: String) {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host?.lowercased(), !host.isEmpty else { return nil }
        self.scheme = scheme
        self.host = host
        port = c.port ?? (scheme == "https" ? 443 : 80)
    }

    /// `host` or `host:port` as a user names it with --insecure-registry.
    var names: [String] {
        let bare = host.contains(":") ? "[\(host)]" : host
        return [bare, "\(bare):\(port)"]
    }

    var description: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// The rules for a URL the registry sends the client to: a redirect, an upload `Location`, a
/// `Link` to the next page. Only http and https; never from https down to http unless the user
/// named the target host with --insecure-registry.
struct URLRules {
    let registry: String
    let insecureHosts: Set<String>

    /// `location` resolved against `current`, if it may be followed; a clear error if not.
    func follow(_ location: String, from current: String, what: String) throws -> String {
        let resolved = URL(string: location, relativeTo: URL(string: current))?.absoluteString ?? location
        guard let target = Origin(resolved) else {
            let scheme = URLComponents(string: resolved)?.scheme.map { "a \($0):// URL" } ?? "an unusable URL"
            throw RegistryError.invalid("\(registry): \(what) points to \(scheme); only http and https are followed")
        }
        if let from = Origin(current), from.scheme == "https", target.scheme == "http",
           insecureHosts.isDisjoint(with: target.names) {
            throw RegistryError.invalid("\(registry): \(what) goes from https to plain http (\(target.host)); refused (pass --insecure-registry \(target.host) to allow it)")
        }
        return resolved
    }
}
