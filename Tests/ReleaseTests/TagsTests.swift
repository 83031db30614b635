import Foundation
import Release
import TestSupport
import Testing

@Suite struct TagsTests {
    static let sha = "0123456789abcdef0123456789abcdef01234567"

    @Test(arguments: [
        ("main", "main", ["main", "staging", "main-0123456"]),
        ("feature/Add-Thing", "main", ["feature-Add-Thing", "feature-Add-Thing-0123456"]),
        ("release/v1.2", "main", ["release-v1.2", "release-v1.2-0123456"]),
        ("develop", "develop", ["develop", "staging", "develop-0123456"]),
        ("fix//weird  name!", "main", ["fix-weird-name-", "fix-weird-name--0123456"]),
    ])
    func branchTags(_ branch: String, _ def: String, _ expected: [String]) throws {
        let c = GitContext(branch: branch, sha: Self.sha, defaultBranch: def, ref: "refs/heads/" + branch)
        #expect(try c.tags() == expected)
    }

    @Test func noBranchNoTags() throws {
        #expect(try GitContext(branch: nil, sha: Self.sha, defaultBranch: "main", ref: "refs/pull/7/merge").tags().isEmpty)
    }

    @Test func shortShaLengthFromEnvironment() throws {
        #expect(try GitContext.shortShaLength([:]) == 7)
        #expect(try GitContext.shortShaLength(["DOCKER_METADATA_SHORT_SHA_LENGTH": "12"]) == 12)
        #expect(throws: ReleaseError.self) { try GitContext.shortShaLength(["DOCKER_METADATA_SHORT_SHA_LENGTH": "x"]) }
        let c = GitContext(branch: "main", sha: Self.sha, defaultBranch: "main", ref: "refs/heads/main")
        #expect(try c.tags(shortShaLength: 12).last == "main-0123456789ab")
    }

    @Test func githubActionsEnvironment() throws {
        let dir = try makeTempDir("event")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(#"{"repository":{"default_branch":"trunk"}}"#, to: dir + "/event.json")
        let base = ["GITHUB_ACTIONS": "true", "GITHUB_SHA": Self.sha, "GITHUB_EVENT_PATH": dir + "/event.json",
                    "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/model"]
        var push = base
        push["GITHUB_REF"] = "refs/heads/trunk"
        push["GITHUB_EVENT_NAME"] = "push"
        let c = try GitContext.current(environment: push, directory: dir)
        #expect(try c.tags() == ["trunk", "staging", "trunk-0123456"])
        #expect(c.labels(version: "trunk", created: "x")["org.opencontainers.image.source"] == "https://github.com/acme/model")
        var pr = base
        pr["GITHUB_REF"] = "refs/pull/12/merge"
        pr["GITHUB_EVENT_NAME"] = "pull_request"
        #expect(try GitContext.current(environment: pr, directory: dir).tags().isEmpty)
        var tag = base
        tag["GITHUB_REF"] = "refs/tags/v1.0.0"
        tag["GITHUB_EVENT_NAME"] = "push"
        #expect(try GitContext.current(environment: tag, directory: dir).tags().isEmpty)
    }

    @Test func localRepository() throws {
        let dir = try makeTempDir("git")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let git = "git -C \(dir) -c user.email=t@example.org -c user.name=t"
        try run(["bash", "-c", "\(git) init -q -b main && \(git) commit -q --allow-empty -m one && \(git) checkout -q -b Feature/UPPER_case"])
        let sha = String(decoding: try run(["git", "-C", dir, "rev-parse", "HEAD"]), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let c = try GitContext.current(environment: [:], directory: dir)
        #expect(try c.tags() == ["Feature-UPPER_case", "Feature-UPPER_case-" + sha.prefix(7)])
        try run(["bash", "-c", "\(git) checkout -q main"])
        #expect(try GitContext.current(environment: [:], directory: dir).tags() == ["main", "staging", "main-" + sha.prefix(7)])
        #expect(try GitContext.current(environment: [:], directory: dir, defaultBranch: "prod").tags() == ["main", "main-" + sha.prefix(7)])
        try run(["bash", "-c", "\(git) checkout -q --detach"])
        #expect(try GitContext.current(environment: [:], directory: dir).tags().isEmpty)
    }
}
