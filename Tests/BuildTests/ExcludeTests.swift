import Build
import Foundation
import OCI
import TestSupport
import Testing

/// COPY/ADD --exclude as BuildKit applies it: patternmatcher's rules on paths relative to each
/// matched source, the source itself never excluded, `!` bringing paths back.
@Suite struct ExcludeTests {
    func tree(_ f: Fixture) throws {
        for (path, text) in [("dir1/a.png", "1"), ("dir1/b.txt", "2"), ("dir1/sub/c.png", "3"), ("dir2/d.pdf", "4"),
                             ("dir2/e.txt", "5"), ("top.txt", "6")] {
            try f.file(path, text)
        }
    }

    func paths(_ f: Fixture, _ containerfile: String) throws -> [String] {
        let r = try f.build(containerfile)
        return try f.manifest(r.descriptor).layers.flatMap { try f.listing($0) }.sorted()
    }

    @Test(arguments: [
        // Patterns see the path below the source: `*.png` is only the top level of it. A
        // directory left empty by the patterns is still copied, as fsutil does.
        ("COPY --exclude=*.png dir1/ /d/", ["d/b.txt", "d/sub/", "d/sub/c.png"]),
        ("COPY --exclude=**/*.png dir1/ /d/", ["d/b.txt", "d/sub/"]),
        ("COPY --exclude=*/*.png . /d/", ["d/Containerfile", "d/dir1/", "d/dir1/b.txt", "d/dir1/sub/", "d/dir1/sub/c.png", "d/dir2/", "d/dir2/d.pdf", "d/dir2/e.txt", "d/top.txt"]),
        // A directory pattern takes what is inside it; `!` brings one path back.
        ("COPY --exclude=sub dir1/ /d/", ["d/a.png", "d/b.txt"]),
        ("COPY --exclude=* --exclude=!b.txt dir1/ /d/", ["d/b.txt"]),
        // Each flag is one pattern; several add up.
        ("COPY --exclude=*.txt --exclude=*.pdf dir* /d/", ["d/a.png", "d/sub/", "d/sub/c.png"]),
        // The source named (or matched) itself is never excluded.
        ("COPY --exclude=*.txt top.txt /d/", ["d/top.txt"]),
        ("COPY --exclude=*.txt *.txt /d/", ["d/top.txt"]),
        ("ADD --exclude=*.txt dir2 /d/", ["d/d.pdf"]),
    ])
    func excludesAsBuildKitDoes(_ line: String, _ expected: [String]) throws {
        let f = try Fixture()
        defer { f.remove() }
        try tree(f)
        let got = try paths(f, "FROM scratch\n" + line + "\n")
        #expect(got == expected)
    }

    @Test func everythingExcludedStillMakesTheDestination() throws {
        let f = try Fixture()
        defer { f.remove() }
        try tree(f)
        #expect(try paths(f, "FROM scratch\nCOPY --exclude=* dir* /six\n") == ["six/"])
    }

    @Test func excludesApplyToCopiesFromAStage() throws {
        let f = try Fixture()
        defer { f.remove() }
        try tree(f)
        let got = try paths(f, """
            FROM scratch AS base
            COPY dir1/ /src/
            FROM scratch
            COPY --from=base --exclude=*.png --exclude=sub/** /src/ /d/
            """)
        // `sub/**` takes what is inside sub, not sub itself.
        #expect(got == ["d/b.txt", "d/sub/"])
    }

    @Test func excludedFilesDoNotChangeTheCacheKey() throws {
        let f = try Fixture()
        defer { f.remove() }
        try tree(f)
        let first = try f.build("FROM scratch\nCOPY --exclude=*.png dir1/ /d/\n")
        try f.file("dir1/a.png", "changed")
        let second = try f.build("FROM scratch\nCOPY --exclude=*.png dir1/ /d/\n")
        #expect(second.descriptor == first.descriptor)
        #expect(second.events.allSatisfy { $0.outcome != .built })
    }

    @Test func aBadPatternIsOneClearError() throws {
        let f = try Fixture()
        defer { f.remove() }
        try tree(f)
        do {
            _ = try f.build("FROM scratch\nCOPY --exclude=[]a] dir1/ /d/\n")
            Issue.record("built")
        } catch {
            #expect("\(error)".contains("Containerfile:2:"))
            #expect("\(error)".contains("COPY --exclude"))
            #expect("\(error)".contains("bad pattern"))
        }
    }
}
