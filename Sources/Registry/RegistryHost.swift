/// The one spelling of a registry host, for clients and credentials alike: a host as users type it
/// (`https://ghcr.io/`, `index.docker.io`, `GHCR.IO`) or as config.json keys it
/// (`https://index.docker.io/v1/`) names the same registry everywhere, so a credential is never
/// missed, or used, because two places spelled a host differently.
public enum RegistryHost {
    public static func normalise(_ s: String) -> String {
        var h = Substring(s)
        for p in ["https://", "http://"] where h.lowercased().hasPrefix(p) { h = h.dropFirst(p.count) }
        if let slash = h.firstIndex(of: "/") { h = h[..<slash] }
        let host = h.lowercased()
        return ["index.docker.io", "registry-1.docker.io"].contains(host) ? "docker.io" : host
    }
}
