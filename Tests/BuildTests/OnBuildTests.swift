import Build
import Foundation
import OCI
import TestSupport
import Testing

/// ONBUILD as BuildKit does it: recorded in the config without a history entry, run first by a
/// build FROM that image or stage, and not handed on.
@Suite struct OnBuildTests {
    @Test func triggersAreRecordedThenRunByTheNextStage() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("a.txt", "a")
        try f.file("b.txt", "b")
        let base = try f.build("""
            FROM scratch AS base
            ONBUILD COPY a.txt /from-trigger/
            ONBUILD   ENV TRIGGERED=yes
            """)
        let baseConfig = try f.config(base.descriptor)
        #expect(baseConfig.config.onBuild == ["COPY a.txt /from-trigger/", "ENV TRIGGERED=yes"])
        #expect((baseConfig.history ?? []).isEmpty)

        let r = try f.build("""
            FROM scratch AS base
            ONBUILD COPY a.txt /from-trigger/
            ONBUILD ENV TRIGGERED=yes
            FROM base
            COPY b.txt /
            """)
        let c = try f.config(r.descriptor)
        #expect(c.config.onBuild == nil)
        #expect(c.config.envValue("TRIGGERED") == "yes")
        #expect(c.history?.map { $0.createdBy ?? "" } == ["COPY a.txt /from-trigger/ # buildkit", "ENV TRIGGERED=yes", "COPY b.txt / # buildkit"])
        let layers = try f.manifest(r.descriptor).layers
        #expect(try f.listing(layers[0]) == ["from-trigger/a.txt"])
    }

    @Test(arguments: [
        ("ONBUILD ONBUILD ENV A=1", "Chaining ONBUILD"),
        ("ONBUILD FROM scratch", "FROM isn't allowed as an ONBUILD trigger"),
        ("ONBUILD MAINTAINER me", "MAINTAINER isn't allowed as an ONBUILD trigger"),
        ("ONBUILD COPY onlyone", "COPY needs at least one source and a destination"),
    ])
    func badTriggersAreRefused(_ line: String, _ message: String) throws {
        let f = try Fixture()
        defer { f.remove() }
        do {
            _ = try f.build("FROM scratch\n" + line + "\n")
            Issue.record("built")
        } catch {
            #expect("\(error)".contains("Containerfile:2:"), "\(error)")
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}
