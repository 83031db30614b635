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

    /// The patterns of a file's lines (comments skipped).
    public init(lines: [String]) {
        self.init(rawPatterns: DockerIgnore.readAll(lines.map(\.utf8)).map(\.text))
    }

    init(rawPatterns: [String]) {
        var out: [Pattern] = []
        for raw in rawPatterns {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
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
        try self.init(data: Array(data), file: path)
    }

    init(data: [UInt8], file: String) throws {
        let lines = DockerIgnore.readAll(data.split(separator: 0x0a, omittingEmptySubsequences: false))
        for (n, line) in lines where DockerIgnore.isMalformed(line) {
            // Docker fails the build on these too (Go's filepath.Match: ErrBadPattern).
            throw LayerError.io("\(file):\(n)", "bad pattern \"\(line.prefix(80))\": close every [ and end no pattern with a lone \\")
        }
        self.init(rawPatterns: lines.map(\.text))
    }

    /// The lines as moby's ignorefile reader takes them, numbered from 1: a CR at the end dropped,
    /// a UTF-8 byte-order mark at the start of the first removed, and a line that starts with `#` a
    /// comment (before trimming, so ` #x` is a pattern).
    static func readAll(_ lines: [some BidirectionalCollection<UInt8>]) -> [(line: Int, text: String)] {
        var out: [(line: Int, text: String)] = []
        for (n, whole) in lines.enumerated() {
            var line = whole[...]
            if n == 0, line.starts(with: [0xef, 0xbb, 0xbf]) { line = line.dropFirst(3) }
            if line.last == 0x0d { line = line.dropLast() }
            if line.first == 0x23 { continue }
            out.append((n + 1, String(decoding: line, as: UTF8.self)))
        }
        return out
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
