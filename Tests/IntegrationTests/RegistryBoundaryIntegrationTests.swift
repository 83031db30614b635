import Foundation
import TestSupport
import Testing

/// A registry turned against the machine imagectl runs on (served by the proxy in front of the real
/// registry): no redirect reaches a file or another protocol, and no answer holds a command for long.
@Suite(.serialized) struct RegistryBoundaryIntegrationTests {
    /// The real registry, the proxy in front of it, and a scratch directory, for one test.
    static func behindAProxy(_ name: String, _ body: (TestRegistry, FaultProxy, String) throws -> Void) throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let proxy = try FaultProxy(upstream: registry.host, rate: 0, seed: 1)
        let tmp = try makeTempDir(name)
        defer { proxy.stop(); registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        try body(registry, proxy, tmp)
    }

    /// The example image in the registry itself, as a base to read back through the proxy.
    static func pushBase(_ registry: TestRegistry, _ tmp: String) throws {
        let push = try CLI.run(["build", "--push", "-t", "\(registry.host)/ml/hello:1", CLI.hello], home: tmp + "/pusher")
        #expect(push.status == 0, "\(push.stderr)")
    }

    @Test func aRegistryCannotRedirectAnUploadIntoALocalFile() throws {
        try Self.behindAProxy("redirect-file") { registry, proxy, tmp in
            let victim = tmp + "/authorized_keys"
            try write("ssh-ed25519 AAAA owner\n", to: victim)
            try proxy.tamper("redirect-upload?to=file://\(victim)")
            let r = try CLI.run(["build", "--push", "-t", "\(proxy.host)/ml/hello:1", CLI.hello], home: tmp + "/store", timeout: 120)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains("points to a file:// URL; only http and https are followed"), "\(r.stderr)")
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "ssh-ed25519 AAAA owner\n")
        }
    }

    /// A gopher:// redirect would let a registry write raw bytes to any local TCP service.
    @Test func aRegistryCannotRedirectToAnotherProtocol() throws {
        try Self.behindAProxy("redirect-gopher") { registry, proxy, tmp in
            try Self.pushBase(registry, tmp)
            let listener = try TCPRecorder()
            defer { listener.stop() }
            try proxy.tamper("redirect-blob?to=gopher://127.0.0.1:\(listener.port)/_SET%20owned%201")
            try write("FROM \(proxy.host)/ml/hello:1\nENV A=1\n", to: tmp + "/app/Containerfile")
            let r = try CLI.run(["build", tmp + "/app"], home: tmp + "/store", timeout: 120)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains("points to a gopher:// URL"), "\(r.stderr)")
            #expect(listener.connections == 0)
        }
    }

    /// A 503 whose body never ends, on every request: `imagectl ls` ends with one line.
    @Test func anEndlessErrorBodyDoesNotHangACommand() throws {
        try Self.behindAProxy("endless") { registry, proxy, tmp in
            try proxy.tamper("endless-error")
            let r = try CLI.run(["ls", "\(proxy.host)/ml/hello"], home: tmp, timeout: 120)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("imagectl: error: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
    }

    /// A config dripped a byte at a time: the request's deadline ends it, without retrying it.
    @Test func aDrippedBlobMeetsTheRequestsDeadline() throws {
        try Self.behindAProxy("drip") { registry, proxy, tmp in
            try Self.pushBase(registry, tmp)
            try proxy.tamper("drip")
            try write("FROM \(proxy.host)/ml/hello:1\nENV A=1\n", to: tmp + "/app/Containerfile")
            let r = try CLI.run(["build", tmp + "/app"], home: tmp + "/store", timeout: 100)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains("no complete answer within 30 s"), "\(r.stderr)")
        }
    }
}

/// A TCP listener on loopback that counts connections: the local service a redirect must not reach.
final class TCPRecorder: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private let lock = NSLock()
    private var count = 0
    private var stopped = false

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw ToolError(message: "cannot listen on loopback") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                lock.lock()
                count += 1
                lock.unlock()
                close(c)
            }
        }
    }

    var connections: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
