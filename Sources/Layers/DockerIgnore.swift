import Foundation

/// `.dockerignore` with Docker's rules: patterns are cleaned and rooted at the context, `*` and `?`
/// stay within one path element, `**` spans any number of them, `!` re-includes, the last matching
/// pattern wins, and a pattern that matches a directory matches everything below it.
public struct DockerIgnore: Sendable {
    struct Pattern: Sendable {
        var parts: [String]
        var exclusion: Bool
    }

    let patterns: [Pattern]

    public var isEmpty: Bool { patterns.isEmpty }
    public var hasExceptions: Bool { patterns.contains { $0.exclusion } }

    public init(lines: [String]) {
        var out: [Pattern] = []
        for raw in lines {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var exclusion = false
            if line.hasPrefix("!") {
                exclusion = true
                line = String(line.dropFirst()).trimmingCharacters(in: .whitespaces)
            }
            let cleaned = (CleanPath.components(line, above: .clamp) ?? []).map(String.init)
            if cleaned.isEmpty { continue }
            out.append(Pattern(parts: cleaned, exclusion: exclusion))
        }
        patterns = out
    }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            self.init(lines: [])
            return
        }
        let lines = String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        for (n, line) in lines.enumerated() where DockerIgnore.isMalformed(line) {
            // Docker fails the build on these too (Go's filepath.Match: ErrBadPattern).
            throw LayerError.io("\(path):\(n + 1)", "bad pattern \"\(line.prefix(80))\": close every [ and end no pattern with a lone \\")
        }
        self.init(lines: lines)
    }

    /// An unclosed `[` class or a trailing escape: patterns fnmatch would silently never match.
    static func isMalformed(_ line: String) -> Bool {
        let chars = Array(line.trimmingCharacters(in: .whitespaces))
        var i = 0
        while i < chars.count {
            switch chars[i] {
            case "\\":
                if i + 1 >= chars.count { return true }
                i += 2
            case "[":
                var j = i + 1
                if j < chars.count, chars[j] == "^" || chars[j] == "!" { j += 1 }
                if j < chars.count, chars[j] == "]" { j += 1 }
                while j < chars.count, chars[j] != "]" {
                    if chars[j] == "/" { return true }
                    j += chars[j] == "\\" ? 2 : 1
                }
                if j >= chars.count { return true }
                i = j + 1
            default:
                i += 1
            }
        }
        return false
    }

    /// Whether a context-relative path is excluded.
    public func excludes(_ path: PathBytes) -> Bool {
        if patterns.isEmpty { return false }
        let parts = path.components
        var excluded = false
        for p in patterns where DockerIgnore.matchesOrParent(p.parts[...], parts) {
            excluded = !p.exclusion
        }
        return excluded
    }

    /// Whether the pattern matches the path or one of its parent directories: one pass of dynamic
    /// programming over (pattern element, path element), so runs of `**` cannot make it exponential.
    static func matchesOrParent(_ pattern: ArraySlice<String>, _ path: [PathBytes]) -> Bool {
        let p = Array(pattern)
        let n = path.count
        // reach[j]: the pattern elements so far match exactly path[0..<j].
        var reach = [Bool](repeating: false, count: n + 1)
        reach[0] = true
        for element in p {
            var next = [Bool](repeating: false, count: n + 1)
            if element == "**" {
                var any = false
                for j in 0...n {
                    any = any || reach[j]
                    next[j] = any
                }
            } else {
                for j in 1...max(1, n) where j <= n && reach[j - 1] && path[j - 1].withCString({ fnmatch(element, $0, 0) }) == 0 {
                    next[j] = true
                }
            }
            reach = next
        }
        return n > 0 && reach[1...].contains(true)
    }
}
