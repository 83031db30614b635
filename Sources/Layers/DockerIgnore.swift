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
            let parts = line.split(separator: "/").map(String.init).filter { $0 != "." && !$0.isEmpty }
            var cleaned: [String] = []
            for p in parts {
                if p == ".." { if !cleaned.isEmpty { cleaned.removeLast() } } else { cleaned.append(p) }
            }
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
        self.init(lines: String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init))
    }

    /// Whether a context-relative path is excluded.
    public func excludes(_ path: String) -> Bool {
        if patterns.isEmpty { return false }
        let parts = path.split(separator: "/").map(String.init)
        var excluded = false
        for p in patterns where DockerIgnore.matchesOrParent(p.parts[...], parts) {
            excluded = !p.exclusion
        }
        return excluded
    }

    static func matchesOrParent(_ pattern: ArraySlice<String>, _ path: [String]) -> Bool {
        for n in stride(from: path.count, through: 1, by: -1) where match(pattern, path[0..<n]) {
            return true
        }
        return false
    }

    static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            var p = path
            while true {
                if match(rest, p) { return true }
                if p.isEmpty { return false }
                p = p.dropFirst()
            }
        }
        guard let name = path.first, fnmatch(first, name, 0) == 0 else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}
