import Foundation
import Release
import TestSupport
import Testing

/// docker/metadata-action's own cases: its event fixtures (__tests__/fixtures/event_*.env and
/// .json: event name, GITHUB_REF, GITHUB_SHA, the payload's repository and number) run through
/// imagectl's tags, and the rules of src/meta.ts and src/context.ts they exercise.
@Suite struct MetadataActionTests {
    struct Event: Sendable, CustomStringConvertible {
        var fixture: String
        var name: String
        var ref: String
        var sha: String
        var payload: String
        /// What imagectl pushes; empty where it refuses (a ref that is no branch).
        var tags: [String]
        /// The ref metadata-action works with, which an error names.
        var seenRef: String
        var description: String { fixture }
    }

    static let master = #"{"repository":{"default_branch":"master"}}"#

    static let events: [Event] = [
        Event(fixture: "event_push_master", name: "push", ref: "refs/heads/master", sha: "266574110acf203503badf966df2ea24b5d732d7",
              payload: master, tags: ["master", "staging", "master-2665741"], seenRef: "refs/heads/master"),
        Event(fixture: "event_push_dev", name: "push", ref: "refs/heads/dev", sha: "860c1904a1ce19322e91ac35af1ab07466440c37",
              payload: master, tags: ["dev", "dev-860c190"], seenRef: "refs/heads/dev"),
        Event(fixture: "event_push_invalidchars", name: "push", ref: "refs/heads/my/feature#1245", sha: "983315b5e8d46e46fc4c49869e85e7ee5fb289ba",
              payload: master, tags: ["my-feature-1245", "my-feature-1245-983315b"], seenRef: "refs/heads/my/feature#1245"),
        // A scheduled run's payload names no repository; GitHub runs it on the default branch.
        Event(fixture: "event_schedule", name: "schedule", ref: "refs/heads/master", sha: "860c1904a1ce19322e91ac35af1ab07466440c37",
              payload: #"{"schedule":"*/10 * * * *"}"#, tags: ["master", "staging", "master-860c190"], seenRef: "refs/heads/master"),
        // metadata-action takes every create event for the default branch's.
        Event(fixture: "event_create_branch", name: "create", ref: "refs/heads/dev", sha: "5f3331d7f7044c18ca9f12c77d961c4d7cf3276a",
              payload: #"{"ref":"dev","ref_type":"branch","master_branch":"master","repository":{"default_branch":"master"}}"#,
              tags: ["dev", "staging", "dev-5f3331d"], seenRef: "refs/heads/dev"),
        Event(fixture: "event_create_branch, no repository", name: "create", ref: "refs/heads/dev", sha: "5f3331d7f7044c18ca9f12c77d961c4d7cf3276a",
              payload: #"{"ref":"dev","ref_type":"branch"}"#, tags: ["dev", "staging", "dev-5f3331d"], seenRef: "refs/heads/dev"),
        Event(fixture: "event_create_tag", name: "create", ref: "refs/tags/v2.1.8-beta.67", sha: "860c1904a1ce19322e91ac35af1ab07466440c37",
              payload: master, tags: [], seenRef: "refs/tags/v2.1.8-beta.67"),
        Event(fixture: "event_workflow_dispatch", name: "workflow_dispatch", ref: "refs/heads/master", sha: "860c1904a1ce19322e91ac35af1ab07466440c37",
              payload: master, tags: ["master", "staging", "master-860c190"], seenRef: "refs/heads/master"),
        Event(fixture: "event_workflow_dispatch_dev", name: "workflow_dispatch", ref: "refs/heads/dev", sha: "860c1904a1ce19322e91ac35af1ab07466440c37",
              payload: master, tags: ["dev", "dev-860c190"], seenRef: "refs/heads/dev"),
        Event(fixture: "event_issue_opened", name: "issues", ref: "refs/heads/master", sha: "266574110acf203503badf966df2ea24b5d732d7",
              payload: master, tags: ["master", "staging", "master-2665741"], seenRef: "refs/heads/master"),
        Event(fixture: "event_discussion_created", name: "discussion", ref: "refs/heads/master", sha: "266574110acf203503badf966df2ea24b5d732d7",
              payload: master, tags: ["master", "staging", "master-2665741"], seenRef: "refs/heads/master"),
        Event(fixture: "event_release_created", name: "release", ref: "refs/tags/v1.1.1", sha: "860c1904a1ce19322e91ac35af1ab07466440c37",
              payload: "{}", tags: [], seenRef: "refs/tags/v1.1.1"),
        Event(fixture: "event_pull_request", name: "pull_request", ref: "refs/pull/15/merge", sha: "a9c8c5828b91be19d9728548b24759e352367ef1",
              payload: #"{"number":15,"repository":{"default_branch":"master"}}"#, tags: [], seenRef: "refs/pull/15/merge"),
        // pull_request_target runs on the base branch: GITHUB_REF names it, the payload the pull request.
        Event(fixture: "event_pull_request_target", name: "pull_request_target", ref: "refs/heads/master", sha: "266574110acf203503badf966df2ea24b5d732d7",
              payload: #"{"number":15,"repository":{"default_branch":"master"}}"#, tags: [], seenRef: "refs/pull/15/merge"),
    ]

    @Test(arguments: events)
    func eventFixture(_ e: Event) throws {
        let dir = try makeTempDir("event")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(e.payload, to: dir + "/event.json")
        let env = ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": e.name, "GITHUB_REF": e.ref, "GITHUB_SHA": e.sha,
                   "GITHUB_EVENT_PATH": dir + "/event.json"]
        let c = try GitContext.current(environment: env, directory: dir)
        #expect(try c.tags() == e.tags)
        #expect(c.ref == e.seenRef)
    }

    /// `{{is_default_branch}}` (meta.ts): the ref less `refs/heads/` against the payload's default
    /// branch, or an event of the list; a tag ref is no branch, but a create event still says true.
    @Test(arguments: [
        ("refs/heads/main", "main", "push", true), ("refs/heads/dev", "main", "push", false),
        ("refs/heads/main", nil, "push", false), ("refs/heads/main", nil, "schedule", true),
        ("refs/heads/dev", "main", "create", true), ("refs/tags/v1", "main", "create", true),
        ("refs/heads/dev", "main", "issues", true), ("refs/heads/dev", "main", "discussion_comment", true),
        ("refs/heads/dev", "main", "issue_comment", false), ("refs/pull/1/merge", "main", "pull_request", false),
        ("refs/heads/main", "main", nil, true), ("refs/heads/", "", "schedule", false),
    ] as [(String, String?, String?, Bool)])
    func isDefaultBranch(_ ref: String, _ def: String?, _ event: String?, _ expected: Bool) {
        #expect(GitContext(branch: nil, sha: "0", defaultBranch: def, ref: ref, event: event).isDefaultBranch == expected)
    }

    /// metadata-action emits `<branch>-<sha>` past 128 characters, and tags starting with `-`
    /// (sanitizeTag neither cuts nor trims), which the push then refuses: imagectl says so before
    /// building, where it used to drop the tag and push the rest.
    @Test(arguments: [
        (String(repeating: "b", count: 120), true), (String(repeating: "b", count: 121), false),
        (String(repeating: "b", count: 128), false), ("ü/x", false), ("_x", true), ("x/.y", true),
    ])
    func tagsDockerWouldRefuse(_ branch: String, _ valid: Bool) {
        let c = GitContext(branch: branch, sha: String(repeating: "a", count: 40), defaultBranch: "main", ref: "refs/heads/" + branch)
        if valid {
            #expect(throws: Never.self) { try c.tags() }
        } else {
            #expect { try c.tags() } throws: { error in
                let text = "\(error)"
                return text.contains("Docker would refuse it") && !text.contains("\n")
            }
        }
    }

    /// DOCKER_METADATA_SHORT_SHA_LENGTH goes through JavaScript's Number(): what it reads, and the
    /// SHA part it gives (`substring(0, n)`; the whole SHA from its length on).
    @Test(arguments: [
        ("12", "0123456789ab"), (" 12 ", "0123456789ab"), ("1e1", "0123456789"), ("0x10", "0123456789abcdef"),
        ("0o10", "01234567"), ("0b11", "012"), ("12.9", "0123456789ab"), ("+8", "01234567"), (".5e1", "01234"),
        ("5.", "01234"), ("\u{a0}9\n", "012345678"), ("40", String(TagsTests.sha)), ("100", String(TagsTests.sha)),
        ("Infinity", String(TagsTests.sha)), ("0", ""), ("-3", ""), (" ", ""), ("-Infinity", ""),
    ])
    func shortShaLength(_ value: String, _ shaPart: String) throws {
        let n = try GitContext.shortShaLength(["DOCKER_METADATA_SHORT_SHA_LENGTH": value])
        let c = GitContext(branch: "dev", sha: TagsTests.sha, defaultBranch: "main", ref: "refs/heads/dev")
        #expect(try c.tags(shortShaLength: n) == ["dev", "dev-" + shaPart])
    }

    @Test(arguments: ["x", "12px", "1_000", "0x", "1e", "--1", "0x-1", "+0x10", "Infinity1", "infinity", "1e+", ".", "0x1.8", "1\n2"])
    func shortShaLengthNaN(_ value: String) {
        #expect { try GitContext.shortShaLength(["DOCKER_METADATA_SHORT_SHA_LENGTH": value]) } throws: { error in
            "\(error)".hasPrefix("DOCKER_METADATA_SHORT_SHA_LENGTH=") && !"\(error)".contains("\n")
        }
    }
}
