@testable import Build
import Foundation
import OCI
import Testing

/// The image history records each instruction as BuildKit's dockerfile2llb records it: expanded,
/// on one line, `# buildkit` after the steps that made a layer, `empty_layer` on the others.
@Suite struct HistoryTests {
    @Test func eachInstructionAsBuildKitWritesIt() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("rootfs/amd64/bin/app", "app")
        try f.file("foo", "foo")
        let r = try f.build("""
            FROM scratch AS base
            COPY foo /foo2
            FROM scratch
            ARG TARGETARCH
            ARG VERSION=1.0
            ENV APP=/srv \\
                MODE="two words"
            LABEL org.opencontainers.image.version=$VERSION
            LABEL maintainer Jane
            COPY --chown=10:20 --chmod=755 rootfs/${TARGETARCH}/ /
            COPY --from=base foo2 foo3
            COPY <<EOF <<-INLINE ./
            x
            EOF
            y
            INLINE
            WORKDIR $APP/data
            USER ${VERSION}
            EXPOSE 5000 2375 1234/udp
            VOLUME ["/v", "$APP"]
            STOPSIGNAL SIGINT
            SHELL ["/bin/bash", "-c"]
            HEALTHCHECK --interval=1m30s --timeout=0 --retries=3 CMD curl -f http://localhost/
            ENTRYPOINT ["/bin/app", "--flag=\\"quoted\\""]
            CMD run $APP
            MAINTAINER Jane <jane@example.com>
            """)
        let history = try f.config(r.descriptor).history ?? []
        #expect(history.map { $0.createdBy ?? "" } == [
            "ARG TARGETARCH=amd64",
            "ARG VERSION=1.0",
            "ENV APP=/srv MODE=two words",
            "LABEL org.opencontainers.image.version=1.0",
            "LABEL maintainer=Jane",
            "COPY --chown=10:20 --chmod=755 rootfs/amd64/ / # buildkit",
            "COPY foo2 foo3 # buildkit",
            "COPY <<EOF <<INLINE ./ # buildkit",
            "WORKDIR /srv/data",
            "USER 1.0",
            "EXPOSE [1234/udp 2375/tcp 5000/tcp]",
            "VOLUME [/v /srv]",
            "STOPSIGNAL SIGINT",
            "SHELL [/bin/bash -c]",
            "HEALTHCHECK {Test:[CMD-SHELL curl -f http://localhost/] Interval:1m30s Timeout:0s StartPeriod:0s StartInterval:0s Retries:3}",
            "ENTRYPOINT [\"/bin/app\" \"--flag=\\\"quoted\\\"\"]",
            "CMD [\"/bin/bash\" \"-c\" \"run $APP\"]",
            "MAINTAINER Jane <jane@example.com>",
        ])
        #expect(history.map { $0.emptyLayer ?? false } == [true, true, true, true, true, false, false, false, false]
            + Array(repeating: true, count: 9))
        #expect(history.allSatisfy { $0.comment == "buildkit.dockerfile.v0" })
    }

    /// Go's Duration.String, which HEALTHCHECK's history entry shows.
    @Test(arguments: [
        (Int64(0), "0s"), (1, "1ns"), (1_500, "1.5\u{B5}s"), (500_000_000, "500ms"), (1_000_000_000, "1s"),
        (1_500_000_000, "1.5s"), (90_000_000_000, "1m30s"), (3_600_000_000_000, "1h0m0s"), (-2_000_000_000, "-2s"),
    ])
    func goDurations(_ ns: Int64, _ text: String) throws {
        #expect(GoDuration.string(ns) == text)
        #expect(try GoDuration.parse(text, flag: "interval") == ns)
    }

    /// Go's strconv.Quote, which CMD's and ENTRYPOINT's entries use: one line whatever the text holds.
    @Test(arguments: [
        ("plain", "\"plain\""), ("a\"b\\c", "\"a\\\"b\\\\c\""), ("line\nbreak\ttab", "\"line\\nbreak\\ttab\""),
        ("\u{0}\u{7f}", "\"\\x00\\x7f\""), ("héllo ♥", "\"héllo ♥\""), ("\u{a0}\u{2028}", "\"\\u00a0\\u2028\""),
    ])
    func goQuoting(_ s: String, _ quoted: String) {
        #expect(GoText.quoted(s) == quoted)
    }
}
