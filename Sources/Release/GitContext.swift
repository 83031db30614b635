import Foundation

/// Where a build comes from, as docker/metadata-action sees it: the event, the ref, the commit and
/// the repository's default branch. Read from GitHub Actions' environment inside a workflow, and
/// from the local git repository elsewhere.
public struct GitContext: Sendable, Equatable {
    /// The branch being built; nil for a pull request, a tag or a detached HEAD.
    public var branch: String?
    public var sha: String
    /// The repository's default branch; nil when the event does not say.
    public var defaultBranch: String?
    /// The ref as metadata-action sees it (refs/heads/main, refs/pull/1/merge, refs/tags/v1).
    public var ref: String
    /// GitHub Actions' event name (push, schedule, pull_request…); nil outside GitHub Actions.
    public var event: String?
    /// The repository's web address, for org.opencontainers.image.source.
    public var source: String?
    /// The commit time in seconds, for org.opencontainers.image.created.
    public var commitTime: Int?

    public init(branch: String?, sha: String, defaultBranch: String?, ref: String, event: String? = nil,
                source: String? = nil, commitTime: Int? = nil) {
        self.branch = branch
        self.sha = sha
        self.defaultBranch = defaultBranch
        self.ref = ref
        self.event = event
        self.source = source
        self.commitTime = commitTime
    }

    /// Reads the context: GitHub Actions' variables when `GITHUB_ACTIONS=true`, else `git` in `directory`.
    public static func current(environment env: [String: String] = ProcessInfo.processInfo.environment,
                               directory: String = FileManager.default.currentDirectoryPath,
                               defaultBranch: String? = nil) throws -> GitContext {
        if env["GITHUB_ACTIONS"] == "true", var ref = env["GITHUB_REF"], let sha = env["GITHUB_SHA"], !sha.isEmpty {
            var payload: [String: Any] = [:]
            if let path = env["GITHUB_EVENT_PATH"], let data = FileManager.default.contents(atPath: path),
               let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                payload = json
            }
            let event = env["GITHUB_EVENT_NAME"] ?? ""
            let isPullRequestTarget = event.contains("pull_request_target")
            // pull_request_target runs on the base branch, and GITHUB_REF names it; metadata-action
            // takes the pull request's merge ref instead.
            if isPullRequestTarget, let number = payload["number"] as? Int { ref = "refs/pull/\(number)/merge" }
            let branch = !isPullRequestTarget && ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : nil
            let repository = payload["repository"] as? [String: Any]
            let def = (repository?["default_branch"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? defaultBranch
            var source: String?
            if let server = env["GITHUB_SERVER_URL"], let repo = env["GITHUB_REPOSITORY"] { source = "\(server)/\(repo)" }
            return GitContext(branch: branch, sha: sha, defaultBranch: def, ref: ref, event: event, source: source,
                              commitTime: try? Int(git(["log", "-1", "--format=%ct", sha], in: directory)))
        }
        let sha: String
        do { sha = try git(["rev-parse", "HEAD"], in: directory) } catch {
            throw ReleaseError("\(directory): not a git repository with a commit; tags from git need one (or run inside GitHub Actions)")
        }
        let branch = try? git(["symbolic-ref", "--quiet", "--short", "HEAD"], in: directory)
        var def = defaultBranch
        if def == nil, let origin = try? git(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], in: directory) {
            def = origin.hasPrefix("origin/") ? String(origin.dropFirst(7)) : origin
        }
        let remote = try? git(["remote", "get-url", "origin"], in: directory)
        return GitContext(branch: branch, sha: sha, defaultBranch: def ?? "main",
                          ref: branch.map { "refs/heads/" + $0 } ?? "HEAD", source: remote.map(GitContext.webURL),
                          commitTime: try? Int(git(["log", "-1", "--format=%ct"], in: directory)))
    }

    /// `git@github.com:o/r.git` and `https://github.com/o/r.git` -> `https://github.com/o/r`.
    static func webURL(_ remote: String) -> String {
        var r = remote
        if r.hasSuffix(".git") { r = String(r.dropLast(4)) }
        if r.hasPrefix("git@"), let colon = r.firstIndex(of: ":") {
            r = "https://" + r[r.index(r.startIndex, offsetBy: 4)..<colon] + "/" + r[r.index(after: colon)...]
        }
        // Credentials embedded in a remote URL never reach a label.
        if let at = r.firstIndex(of: "@"), let scheme = r.range(of: "://"), scheme.upperBound < at {
            r = String(r[..<scheme.upperBound]) + r[r.index(after: at)...]
        }
        return r
    }

    static func git(_ args: [String], in dir: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", dir] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ReleaseError("git \(args.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public struct ReleaseError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
