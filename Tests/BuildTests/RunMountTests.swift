@testable import Build
import Testing

/// RUN --mount as BuildKit's instructions/commands_runmount.go reads it.
@Suite struct RunMountTests {
    func parse(_ s: String) throws -> RunMount { try RunMount(parsing: s) { $0.replacingOccurrences(of: "$X", with: "x") } }

    @Test func defaultsByType() throws {
        let bind = try parse("target=/src")
        #expect(bind.kind == .bind && bind.readOnly && bind.target == "/src")
        let cache = try parse("type=cache,target=/root/.cache/pip")
        #expect(cache.kind == .cache && !cache.readOnly)
        let tmpfs = try parse("type=tmpfs,dst=/t,size=64m")
        #expect(tmpfs.kind == .tmpfs && !tmpfs.readOnly && tmpfs.sizeLimit == 64 << 20)
        let secret = try parse("type=secret,id=tok")
        #expect(secret.secretID == "tok" && secret.secretTarget == "/run/secrets/tok" && secret.readOnly && !secret.required)
        let envOnly = try parse("type=secret,id=tok,env=TOKEN,required")
        #expect(envOnly.secretTarget == nil && envOnly.required && envOnly.env == "TOKEN")
        let byTarget = try parse("type=secret,target=/etc/pip.conf")
        #expect(byTarget.secretID == "pip.conf" && byTarget.secretTarget == "/etc/pip.conf")
    }

    @Test func fieldsAndValues() throws {
        let m = try parse("type=cache,target=/c/$X,id=pip,sharing=locked,mode=0700,uid=1000,gid=1000,rw=false")
        #expect(m.target == "/c/x" && m.id == "pip" && m.sharing == .locked && m.mode == 0o700 && m.uid == 1000 && m.gid == 1000 && m.readOnly)
        #expect(try parse("\"target=/a,b\",type=bind").target == "/a,b")
        #expect(try parse("type=bind,from=build,source=/out,target=/o,rw").from == "build")
    }

    @Test(arguments: [
        ("type=nfs,target=/x", "unsupported mount type"), ("type=bind,target=/x,mode=0600", "mode not allowed"),
        ("type=cache,target=/x,required", "unexpected key 'required'"), ("type=bind,target=/x,sharing=locked", "invalid cache sharing"),
        ("type=secret,id=a,from=b", "secret mount should not have a from"), ("type=secret", "one of source, target required"),
        ("type=secret,id=a,source=b", "both source and id can't be set"), ("target=/x,bogus=1", "unexpected key 'bogus'"),
        ("target", "must be a key=value pair"), ("type=cache,target=/x,sharing=sometimes", "unsupported sharing value"),
        ("type=bind,from=$STAGE,target=/x", "doesn't support variable expansion"), ("type=tmpfs,target=/x,size=lots", "invalid value for size"),
        ("type=tmpfs,target=/x,size=99999999999g", "invalid value for size"),
        ("type=ssh", "not supported"),
    ])
    func refusedAsBuildKitRefuses(_ spec: String, _ message: String) {
        do {
            _ = try parse(spec)
            Issue.record("accepted \(spec)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}
