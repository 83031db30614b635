/// Registry failures; each names the registry, the operation and what to do. Never holds a secret.
public enum RegistryError: Error, CustomStringConvertible {
    case transport(String, String)
    case status(registry: String, operation: String, status: Int, detail: String)
    case unauthorized(registry: String, detail: String)
    case denied(registry: String, repository: String, detail: String)
    case notFound(String)
    case digestMismatch(String, expected: String, got: String)
    case invalid(String)
    case insecure(String)
    case tooLarge(url: String, limit: Int)

    public var description: String {
        switch self {
        case .transport(let registry, let why):
            return "\(registry): \(why)"
        case .status(let registry, let op, let status, let detail):
            return "\(registry): \(op) failed with HTTP \(status)\(detail.isEmpty ? "" : ": " + detail)"
        case .unauthorized(let registry, let detail):
            return "\(registry): authentication failed\(detail.isEmpty ? "" : " (" + detail + ")"); run `imagectl login \(registry)` or check the credentials"
        case .denied(let registry, let repo, let detail):
            return "\(registry)/\(repo): access denied\(detail.isEmpty ? "" : " (" + detail + ")"); the credentials need push rights to this repository"
        case .notFound(let what):
            return "\(what): not found"
        case .digestMismatch(let what, let expected, let got):
            return "\(what): content does not match its digest (expected \(expected), got \(got)); nothing was kept"
        case .invalid(let why):
            return why
        case .tooLarge(let url, let limit):
            return "\(url): the response is larger than \(limit) bytes; nothing was kept"
        case .insecure(let host):
            return "\(host): the registry does not speak TLS, and plain HTTP is only used for loopback hosts; pass --insecure-registry \(host) to allow it"
        }
    }
}
