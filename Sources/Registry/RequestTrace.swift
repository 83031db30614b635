import Foundation

/// One line per HTTP exchange for `--verbose`: method, URL, auth scheme, status and time. It is
/// built so that it cannot carry a secret: no header values, and query values other than the few
/// that name content (digests, mounts, scopes) are elided, since upload locations and storage
/// redirects carry signed state in them.
public struct RequestTrace: Sendable {
    let emit: @Sendable (String) -> Void

    public init(_ emit: @escaping @Sendable (String) -> Void) { self.emit = emit }

    static let shownQueryKeys: Set<String> = ["digest", "mount", "from", "scope", "service", "n", "last"]

    static func redact(_ url: String) -> String {
        guard var c = URLComponents(string: url) else { return "<unparsable URL>" }
        c.user = nil
        c.password = nil
        if let items = c.queryItems {
            c.queryItems = items.map { item in
                RequestTrace.shownQueryKeys.contains(item.name) ? item : URLQueryItem(name: item.name, value: "redacted")
            }
        }
        return c.string ?? "<unparsable URL>"
    }

    static func scheme(of authorization: String?) -> String {
        guard let authorization else { return "anonymous" }
        return authorization.split(separator: " ").first.map(String.init) ?? "?"
    }

    func exchange(_ method: String, _ url: String, authorization: String?, outcome: String, since start: Date) {
        let ms = Int(Date().timeIntervalSince(start) * 1000)
        emit("\(method) \(RequestTrace.redact(url)) [\(RequestTrace.scheme(of: authorization))] -> \(outcome) in \(ms) ms")
    }

    func note(_ text: String) { emit(text) }
}
