import Registry
import Testing

@Suite struct ChallengeTests {
    @Test func ghcrStyle() {
        let c = Challenge.parse(#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull""#)
        #expect(c == [Challenge(scheme: "bearer", parameters: ["realm": "https://ghcr.io/token", "service": "ghcr.io", "scope": "repository:a/b:pull"])])
    }

    @Test func severalChallengesOddSpacingAndEscapes() {
        let c = Challenge.parse(#"Basic realm="Registry Realm" ,  Bearer realm = "https://t/x?a=1,b=2", service=svc, error="insufficient_scope", scope="repository:a:pull,push" "#)
        #expect(c.count == 2)
        #expect(c[0] == Challenge(scheme: "basic", parameters: ["realm": "Registry Realm"]))
        #expect(c[1].parameters["realm"] == "https://t/x?a=1,b=2")
        #expect(c[1].parameters["service"] == "svc")
        #expect(c[1].parameters["scope"] == "repository:a:pull,push")
        #expect(Challenge.parse(#"Bearer realm="a \"quoted\" realm""#)[0].parameters["realm"] == #"a "quoted" realm"#)
    }

    @Test(arguments: ["", ",,,", "=", "Bearer realm=\"unterminated", "Bearer ,,realm", String(repeating: "a=", count: 1000)])
    func malformedNeverCrashes(_ header: String) {
        _ = Challenge.parse(header)
    }
}
