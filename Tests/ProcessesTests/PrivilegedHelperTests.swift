import Foundation
@testable import Processes
import TestSupport
import Testing

/// newuidmap and newgidmap are the system's: found in its directories first, root's, and
/// privileged. A program of that name earlier on PATH is never handed the user's ranges.
@Suite struct PrivilegedHelperTests {
    @Test func theSystemsHelperWinsOverOneOnPath() throws {
        let dir = try makeTempDir("fake-helpers")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeExecutable("#!/bin/sh\nexit 0\n", to: dir + "/newuidmap")
        #expect(UserNamespace.Plan.privilegedHelper("newuidmap", path: dir + ":/usr/bin") == "/usr/bin/newuidmap")
    }

    @Test func onlyARootOwnedPrivilegedProgramIsTaken() throws {
        let dir = try makeTempDir("fake-helpers")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = "imagectl-test-idmap"
        try writeExecutable("#!/bin/sh\nexit 0\n", to: dir + "/" + name)
        #expect(UserNamespace.Plan.privilegedHelper(name, path: dir) == nil, "not setuid")
        #expect(chmod(dir + "/" + name, 0o4755) == 0)
        #expect(chown(dir + "/" + name, 1000, 1000) == 0)
        #expect(UserNamespace.Plan.privilegedHelper(name, path: dir) == nil, "setuid, but another user's")
        #expect(chown(dir + "/" + name, 0, 0) == 0 && chmod(dir + "/" + name, 0o4775) == 0)
        #expect(UserNamespace.Plan.privilegedHelper(name, path: dir) == nil, "root's and setuid, but others may write it")
        #expect(chmod(dir + "/" + name, 0o4755) == 0)
        #expect(UserNamespace.Plan.privilegedHelper(name, path: dir) == dir + "/" + name)
    }
}
