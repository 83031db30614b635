import Build
import Foundation
import OCI
import TestSupport
import Testing

/// What each instruction does to the image, as BuildKit's dockerfile2llb does it: which words are
/// expanded, how, and into which config field.
@Suite struct InstructionTests {
    static func config(_ containerfile: String, args: [String: String] = [:]) throws -> ImageConfig {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("foo", "foo")
        return try f.config(try f.build(containerfile, args: args).descriptor)
    }

    /// The legacy `LABEL key value` and `ENV key value` forms: one pair, the value the rest of the
    /// line, expanded and unquoted as one word.
    @Test(arguments: [
        ("LABEL maintainer Jane Doe <jane@example.com>", "maintainer", "Jane Doe <jane@example.com>"),
        ("LABEL maintainer James Turnbull \"james@example.com\"", "maintainer", "James Turnbull james@example.com"),
        ("LABEL version $V", "version", "1.2"),
        ("LABEL description \"a  b\"  c", "description", "a  b  c"),
        ("ENV GOPATH /go", "GOPATH", "/go"),
        ("ENV SCUBA 1 DUBA 3", "SCUBA", "1 DUBA 3"),
        ("ENV PATH /opt/bin:$PATH", "PATH", "/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ("ENV SCUBA \"1 DUBA 3\"", "SCUBA", "1 DUBA 3"),
    ])
    func legacyPairs(_ line: String, _ key: String, _ value: String) throws {
        let c = try Self.config("FROM scratch\nARG V=1.2\n\(line)\n").config
        #expect((line.hasPrefix("LABEL") ? c.labels?[key] : c.envValue(key)) == value)
    }

    /// Positional and special parameters name no variable, so they expand to nothing, and their
    /// `${…:-default}` to the default (BuildKit's envVarTest, in a build).
    @Test(arguments: [
        ("$$", ""), ("a$@b", "ab"), ("$*", ""), ("$#x", "x"), ("$?", ""), ("$1", ""), ("$999aaa", "aaa"),
        ("${1:-one}", "one"), ("${@:-all}", "all"), ("${#:+n}", ""), ("$!$-$0", ""), ("\\$$", "$$"),
        ("${V#*.}", "2.3"), ("${V%.*}", "1.2"), ("${V//./-}", "1-2-3"), ("${V/2/two}", "1.two.3"),
    ])
    func specialParameters(_ word: String, _ expected: String) throws {
        let c = try Self.config("FROM scratch\nARG V=1.2.3\nLABEL x=\(word)\n")
        #expect(c.config.labels?["x"] == expected)
    }

    /// Which instructions expand: ENV, LABEL, WORKDIR, USER, VOLUME (JSON form too), STOPSIGNAL,
    /// EXPOSE; CMD, ENTRYPOINT, SHELL, HEALTHCHECK and MAINTAINER keep `$` for the container's shell.
    @Test func expandedAndNot() throws {
        let c = try Self.config("""
            FROM scratch
            ARG D=/data
            ARG SIG=SIGINT
            WORKDIR $D
            USER ${D#/}
            VOLUME ["$D", "/x"]
            STOPSIGNAL $SIG
            SHELL ["/bin/sh", "-c", "$D"]
            CMD echo $D
            ENTRYPOINT ["$D"]
            HEALTHCHECK CMD test -d $D
            MAINTAINER $D
            """)
        #expect(c.config.workingDir == "/data")
        #expect(c.config.user == "data")
        #expect(Set(c.config.volumes?.keys.map { $0 } ?? []) == ["/data", "/x"])
        #expect(c.config.stopSignal == "SIGINT")
        #expect(c.config.shell == ["/bin/sh", "-c", "$D"])
        #expect(c.config.entrypoint == ["$D"])
        #expect(c.config.cmd == ["/bin/sh", "-c", "$D", "echo $D"])
        #expect(c.config.healthcheck?.test == ["CMD-SHELL", "test -d $D"])
        #expect(c.author == "$D")
    }

    /// EXPOSE splits each word again after expanding it, as BuildKit's ProcessWords does.
    @Test(arguments: [
        ("EXPOSE $PORTS", ["80/tcp", "443/tcp"]),
        ("EXPOSE ${PORTS} 53/udp", ["80/tcp", "443/tcp", "53/udp"]),
        ("EXPOSE \"$ONE\"", ["8080/tcp"]),
        ("EXPOSE 8000-8002/TCP", ["8000/tcp", "8001/tcp", "8002/tcp"]),
        ("EXPOSE 127.0.0.1:8080:80", ["80/tcp"]),
    ])
    func exposeSplitsAfterExpansion(_ line: String, _ ports: [String]) throws {
        let c = try Self.config("FROM scratch\nARG PORTS=\"80 443\"\nARG ONE=8080\n\(line)\n")
        #expect(Set(c.config.exposedPorts?.keys.map { $0 } ?? []) == Set(ports))
    }

    /// `--` ends the flags: what follows is a source even when it starts with `--`.
    @Test func doubleDashEndsFlags() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("foo", "foo")
        try f.file("--odd", "odd")
        let r = try f.build("FROM scratch\nCOPY -- foo /tmp/\nCOPY --chmod=600 -- --odd /tmp/\n")
        let layers = try f.manifest(r.descriptor).layers
        #expect(try f.listing(layers[0]) == ["tmp/foo"])
        #expect(try f.listing(layers[1]) == ["tmp/--odd"])
    }

    /// A HEALTHCHECK duration or retry count of 0 is Docker's default: the field is left out.
    @Test func zeroHealthcheckValuesMeanTheDefault() throws {
        let c = try Self.config("FROM scratch\nHEALTHCHECK --start-period=0s --start-interval=0 --interval=5s --timeout=0s --retries=0 CMD [\"foo\"]\n")
        var expected = ImageConfig.Healthcheck(test: ["CMD", "foo"])
        expected.interval = 5_000_000_000
        #expect(c.config.healthcheck == expected)
        let json = String(decoding: try JSONEncoder().encode(c.config.healthcheck), as: UTF8.self)
        #expect(!json.contains("Timeout") && !json.contains("Retries") && !json.contains("StartPeriod"))
    }

    @Test(arguments: [
        ("--interval=1m30s", Int64(90_000_000_000)),
        ("--timeout=1.5s", 1_500_000_000),
        ("--start-period=2h", 7_200_000_000_000),
        ("--start-interval=1ms", 1_000_000),
    ])
    func healthcheckDurations(_ flag: String, _ ns: Int64) throws {
        let h = try #require(try Self.config("FROM scratch\nHEALTHCHECK \(flag) CMD true\n").config.healthcheck)
        #expect([h.interval, h.timeout, h.startPeriod, h.startInterval].compactMap { $0 } == [ns])
    }

    /// The longest line Docker reads is 65535 bytes; a longer one is refused on its own line.
    @Test func longLines() throws {
        let most = "LABEL a=" + String(repeating: "x", count: 65535 - 8)
        #expect(try Self.config("FROM scratch\n\(most)\n").config.labels?["a"]?.count == 65527)
        #expect {
            try Containerfile(path: "C", text: "FROM scratch\n\(most)x\nLABEL b=c\n")
        } throws: { error in
            "\(error)".hasPrefix("C:2: this line is 65536 bytes long")
        }
    }
}
