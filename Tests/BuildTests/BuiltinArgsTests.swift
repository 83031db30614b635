import Build
import Foundation
import OCI
import TestSupport
import Testing

/// The ARGs BuildKit predefines, declared to be used.
@Suite struct BuiltinArgsTests {
    func stageLabel(_ text: String, target: String?) throws -> String? {
        let f = try Fixture()
        defer { f.remove() }
        let r = try f.build(text, target: target)
        return try f.config(r.descriptor).config.labels?["stage"]
    }

    @Test func targetStageNamesTheStageBeingBuilt() throws {
        let text = "FROM scratch AS base\nARG TARGETSTAGE\nLABEL stage=$TARGETSTAGE\nFROM base AS foo\nFROM base\n"
        #expect(try stageLabel(text, target: "foo") == "foo")
        #expect(try stageLabel(text, target: nil) == "default")
        #expect(try stageLabel(text + "FROM base AS final\n", target: nil) == "final")
    }

    @Test func osVersionsAreDeclaredEmpty() throws {
        let text = "FROM scratch\nARG TARGETOSVERSION BUILDOSVERSION\nLABEL stage=[$TARGETOSVERSION${BUILDOSVERSION-unset}]\n"
        #expect(try stageLabel(text, target: nil) == "[]")
    }

    /// BuildKit's empty image: PATH set, working directory /, no layers.
    @Test func scratchStartsAsBuildKitsEmptyImage() throws {
        let f = try Fixture()
        defer { f.remove() }
        let c = try f.config(try f.build("FROM scratch\nENV foo=bar\n").descriptor)
        #expect(c.config.workingDir == "/")
        #expect(c.config.env?.contains { $0.hasPrefix("PATH=") } == true)
        #expect(c.rootfs.type == "layers" && c.rootfs.diffIDs.isEmpty)
        #expect(c.history?.count == 1 && c.history?[0].emptyLayer == true)
    }
}

/// --no-cache-filter: the named stages' steps are made again, the others come from the cache.
@Suite struct NoCacheFilterTests {
    @Test func onlyTheNamedStageIsMadeAgain() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("a.txt", "a")
        try f.file("b.txt", "b")
        let text = "FROM scratch AS Build\nCOPY a.txt /\nFROM scratch\nCOPY --from=build /a.txt /copied.txt\nCOPY b.txt /\n"
        _ = try f.build(text)
        var options = BuildOptions(context: f.context, platforms: [try Platform(parsing: "linux/amd64")])
        options.noCacheFilter = ["build"]
        let r = try Builder(options: options, store: f.store).build()
        #expect(r.events.map(\.outcome) == [.built, .cached, .cached])
    }
}
