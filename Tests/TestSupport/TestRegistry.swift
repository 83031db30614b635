import Foundation

/// The real CNCF registry on a free loopback port, started by Scripts/registry for one test and
/// stopped with it. Modes: plain, basic (htpasswd), token (ghcr.io's flow with a test token server), tls.
public final class TestRegistry: @unchecked Sendable {
    public let mode: String
    public let dir: String
    public let host: String
    public let username = "tester"
    public let password: String

    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    public init(_ mode: String) throws {
        self.mode = mode
        dir = try makeTempDir("registry-\(mode)")
        host = String(decoding: try run([TestRegistry.packageRoot + "/Scripts/registry", mode, dir]), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        password = (try? String(contentsOfFile: dir + "/password", encoding: .utf8)) ?? ""
    }

    /// The CA that signed a tls registry's certificate.
    public var caFile: String { dir + "/ca.crt" }

    /// Tokens the token server has issued so far.
    public func tokensIssued() throws -> Int {
        let port = try String(contentsOfFile: dir + "/token-port", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let out = try run(["python3", "-c", "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:\(port)/count').read().decode())"])
        let json = try JSONSerialization.jsonObject(with: out) as? [String: Int]
        return json?["issued"] ?? -1
    }

    public func stop() {
        if let pids = try? String(contentsOfFile: dir + "/pids", encoding: .utf8) {
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stop() }
}
