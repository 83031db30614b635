import Foundation
import OCI

extension GitContext {
    /// What docker/metadata-action computes for
    /// `type=ref,event=branch`, `type=sha,prefix={{branch}}-` and
    /// `type=raw,value=staging,enable={{is_default_branch}}`: on the default branch
    /// `main`, `staging`, `main-<sha7>`; on another branch `<branch>`, `<branch>-<sha7>`.
    /// Where metadata-action would emit an invalid `-<sha>` (pull requests, tags, detached HEAD),
    /// nothing is emitted; where a branch gives a tag Docker refuses (longer than 128 characters, or
    /// starting with `.` or `-`), which metadata-action emits and the push then fails on, this
    /// refuses before anything is built or pushed.
    public func tags(shortShaLength: Int = 7) throws -> [String] {
        guard let branch, !branch.isEmpty else { return [] }
        let name = GitContext.sanitize(branch)
        var out = [name]
        if isDefaultBranch { out.append("staging") }
        out.append(name + "-" + String(sha.prefix(max(0, shortShaLength))))
        for tag in out where !Reference.isValidTag(tag) {
            let why = tag.utf8.count > 128 ? "is \(tag.utf8.count) characters, over the 128 a tag may have" : "does not start with a letter, digit or _"
            throw ReleaseError("the branch's tag \"\(tag)\" \(why), so Docker would refuse it: rename the branch, or give tags with --tag instead of --tags-from-git")
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// metadata-action's `{{is_default_branch}}`: the ref, less `refs/heads/`, is the default
    /// branch the event names; or the event is one GitHub runs on the default branch's last commit
    /// (create, discussion, issues, schedule), whose payload may not name it.
    public var isDefaultBranch: Bool {
        let name = ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : ref
        if name.isEmpty { return false }
        if name == defaultBranch { return true }
        guard let event else { return false }
        return ["create", "discussion", "issues", "schedule"].contains { event.contains($0) }
    }

    /// metadata-action's rule: every run of characters outside `[a-zA-Z0-9._-]` becomes `-`.
    public static func sanitize(_ s: String) -> String {
        var out = ""
        var inRun = false
        for c in s.unicodeScalars {
            let ok = (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "." || c == "_" || c == "-"
            if ok {
                out.unicodeScalars.append(c)
                inRun = false
            } else if !inRun {
                out += "-"
                inRun = true
            }
        }
        return out
    }

    /// The OCI labels metadata-action sets: source, revision, version (the first tag), created.
    public func labels(version: String?, created: String) -> [String: String] {
        var l = ["org.opencontainers.image.revision": sha, "org.opencontainers.image.created": created]
        if let source { l["org.opencontainers.image.source"] = source; l["org.opencontainers.image.url"] = source }
        if let version { l["org.opencontainers.image.version"] = version }
        return l
    }
}
