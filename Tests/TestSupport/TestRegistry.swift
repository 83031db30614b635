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

    /// `tokenValidSeconds`: in token mode, tokens stop working that long after issue though the
    /// token server says they last 300 s.
    public init(_ mode: String, tokenValidSeconds: Int? = nil) throws {
        self.mode = mode
        dir = try makeTempDir("registry-\(mode)")
        let env = tokenValidSeconds.map { ["env", "TOKEN_VALID_SECONDS=\($0)"] } ?? []
        // Detached: the registry outlives the script and must hold none of this process's descriptors.
        host = String(decoding: try runDetaching(env + [TestRegistry.packageRoot + "/Scripts/registry", mode, dir]), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        password = (try? String(contentsOfFile: dir + "/password", encoding: .utf8)) ?? ""
    }

    /// The CA that signed a tls registry's certificate.
    public var caFile: String { dir + "/ca.crt" }

    /// The token server's port (token mode), which Scripts/registry writes down.
    func tokenPort() throws -> String {
        try String(contentsOfFile: dir + "/token-port", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every token the token server has issued so far.
    public func issuedTokens() -> [String] {
        ((try? String(contentsOfFile: dir + "/issued-tokens", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Makes the token server answer later requests with hostile JSON of this kind (see Scripts/token-server).
    public func tokenAnswer(_ kind: String) throws {
        try run(["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:\(try tokenPort())/__answer/\(kind)')"])
    }

    /// Tokens the token server has issued so far.
    public func tokensIssued() throws -> Int {
        let out = try run(["python3", "-c", "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:\(try tokenPort())/count').read().decode())"])
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

/// The fault-injecting proxy (Scripts/fault-proxy) in front of a real registry.
public final class FaultProxy: @unchecked Sendable {
    public let host: String
    let dir: String

    public init(upstream: String, rate: Double, seed: Int, delay: Double = 0, redirect: String? = nil, creds: String? = nil) throws {
        dir = try makeTempDir("fault-proxy")
        let port = String(decoding: try run(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"]), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var args = [TestRegistry.packageRoot + "/Scripts/fault-proxy", port, upstream, dir, "--rate", String(rate), "--seed", String(seed)]
        if delay > 0 { args += ["--delay", String(delay)] }
        if let redirect { args += ["--redirect", redirect] }
        if let creds { args += ["--creds", creds] }
        let command = args.map { "'\($0)'" }.joined(separator: " ") + " > '\(dir)/log' 2>&1 &"
        try runDetaching(["bash", "-c", command])
        for _ in 0..<100 where !((try? String(contentsOfFile: dir + "/log", encoding: .utf8))?.contains("ready") ?? false) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        host = "127.0.0.1:" + port
    }

    /// Makes every later manifest GET answer hostile JSON of this kind (see Scripts/fault-proxy).
    public func tamper(_ kind: String) throws {
        try run(["python3", "-c", "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://\(host)/__tamper/\(kind)', method='POST'))"])
    }

    /// Requests seen, faults injected by kind, redirects, and how often credentials reached the storage host.
    public func stats() throws -> [String: Any] {
        let out = try run(["python3", "-c", "import urllib.request; print(urllib.request.urlopen('http://\(host)/__stats').read().decode())"])
        return (try JSONSerialization.jsonObject(with: out) as? [String: Any]) ?? [:]
    }

    public func stop() {
        if let pids = try? String(contentsOfFile: dir + "/pids", encoding: .utf8) {
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stop() }
}
