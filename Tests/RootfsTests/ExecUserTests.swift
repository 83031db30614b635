import Foundation
import Rootfs
import Testing

/// USER for a RUN step, as moby/sys/user's GetExecUser resolves it (BuildKit's testUser cases).
@Suite struct ExecUserTests {
    let accounts = Accounts(
        passwd: Data("root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\ndockerio:x:1001:1001::/bin:/bin/false\n".utf8),
        group: Data("root:x:0:\nwheel:x:10:root\ndaemon:x:1:\ndockerio:x:1001:\nsupplementary:x:1002:dockerio\n".utf8))

    @Test(arguments: [
        ("", 0, 0, [0, 10]), ("root", 0, 0, [0, 10]), ("dockerio", 1001, 1001, [1001, 1002]), ("1001", 1001, 1001, [1001, 1002]),
        ("dockerio:dockerio", 1001, 1001, []), ("1001:dockerio", 1001, 1001, []), ("dockerio:1001", 1001, 1001, []),
        ("dockerio:supplementary", 1001, 1002, []), ("1001:1002", 1001, 1002, []), ("1042:1043", 1042, 1043, []),
        ("1042", 1042, 0, []),
    ])
    func resolvesAsGetExecUser(_ spec: String, _ uid: Int, _ gid: Int, _ additional: [Int]) throws {
        let ids = try accounts.execUser(spec)
        #expect(Int(ids.uid) == uid && Int(ids.gid) == gid && ids.additional.map(Int.init) == additional, "\(ids)")
    }

    @Test(arguments: [("nobody", "unable to find user nobody"), ("dockerio:nogroup", "unable to find group nogroup")])
    func unknownNamesAreErrors(_ spec: String, _ message: String) {
        #expect(throws: RootfsError.self) { try accounts.execUser(spec) }
        do { _ = try accounts.execUser(spec) } catch { #expect("\(error)".contains(message)) }
    }
}
