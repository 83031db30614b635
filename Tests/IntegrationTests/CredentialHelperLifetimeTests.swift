import Foundation
import OCI
import TestSupport
import Testing

@Suite struct CredentialHelperLifetimeTests {
    /// imagectl killed with -9 while its credential helper runs: the helper goes too.
    @Test func aHelperDiesWithImagectl() throws {
        let registry = try TestRegistry("basic")
        let tmp = try makeTempDir("helper-lifetime")
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        try writeExecutable("#!/bin/sh\necho $$ > \"$(dirname \"$0\")/helper.pid\"\nexec sleep 598.5\n", to: tmp + "/docker-credential-slow")
        try write(#"{"credHelpers":{"\#(registry.host)":"slow"}}"#, to: tmp + "/config.json")
        let path = tmp + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let r = try CLI.run(["ls", "\(registry.host)/ml/hello"], home: tmp + "/store", environment: ["DOCKER_CONFIG": tmp, "PATH": path], timeout: 4)
        #expect(r.stderr.contains("[killed: still running after 4 s]"), "\(r.stderr)")
        let pid = pid_t(try String(contentsOfFile: tmp + "/helper.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(pid > 0)
        var gone = false
        for _ in 0..<50 where !gone {
            gone = kill(pid, 0) != 0 || KernelFile.text("/proc/\(pid)/stat")?.contains(") Z ") == true
            if !gone { usleep(100_000) }
        }
        #expect(gone, "the helper \(pid) outlived imagectl")
    }
}
