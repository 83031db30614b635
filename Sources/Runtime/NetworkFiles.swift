import Foundation

/// /etc/hosts and /etc/resolv.conf as a step sees them: provided by the runtime, as Docker
/// provides them, never left in a layer.
enum NetworkFiles {
    static func hosts(hostname: String) -> String {
        "127.0.0.1\tlocalhost \(hostname)\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    }

    /// The host's resolver configuration; with no network, nothing to resolve with.
    static func resolvConf(network: StepSpec.Network, hostFile: String = "/etc/resolv.conf") -> String {
        guard network == .host else { return "" }
        guard let data = FileManager.default.contents(atPath: hostFile), data.count <= 1 << 20 else {
            return "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
