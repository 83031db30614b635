import Foundation

/// `.dockerignore` with Docker's rules, as moby/patternmatcher and its ignorefile reader apply them:
/// patterns are cleaned and rooted at the context, each is matched against the whole path and its
/// parent directories (see `IgnorePattern`), `!` re-includes, and the last matching pattern wins.
/// Patterns and names are bytes: neither has to be UTF-8.
public struct DockerIgnore: Sendable {
    let patterns: [IgnorePattern]

    public var isEmpty: Bool { patterns.isEmpty }
    public var hasExceptions: Bool { patterns.contains { $0.exclusion } }

    /// No patterns: nothing is excluded.
    public init() { patterns = [] }

    /// The patterns of a file's lines.
    public init(lines: [String], file: String = ".dockerignore") throws {
        try self.init(DockerIgnore.readAll(lines.map(\.utf8)), file: file)
    }

    /// Patterns given one by one, as `COPY --exclude` gives them to patternmatcher's New: no
    /// comments, each cleaned, `!` an exception. `origin` names them in errors.
    public init(patterns: [String], origin: String) throws {
        try self.init(patterns.enumerated().map { ($0.offset + 1, Array($0.element.utf8)) }, file: origin)
    }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            self.init()
            return
        }
        try self.init(DockerIgnore.readAll(Array(data).split(separator: 0x0a, omittingEmptySubsequences: false)), file: path)
    }

    /// patternmatcher's `New` over what the reader returned: each pattern trimmed and cleaned
    /// again, and a leading `!` made an exception.
    init(_ lines: [(line: Int, text: [UInt8])], file: String) throws {
        var out: [IgnorePattern] = []
        for (n, raw) in lines {
            let trimmed = Rune.trimSpace(raw)
            if trimmed.isEmpty { continue }
            var p = CleanPath.filepathClean(trimmed)
            let exclusion = p.first == 0x21
            if exclusion {
                guard p.count > 1 else {
                    throw LayerError.io("\(file):\(n)", "a lone ! brings nothing back: follow it with the pattern of the files to keep")
                }
                p.removeFirst()
            }
            if let why = IgnorePattern.syntaxError(p) {
                throw LayerError.io("\(file):\(n)", "bad pattern \"\(IgnorePattern.shown(Array(p.prefix(80))))\": \(why)")
            }
            out.append(IgnorePattern(p, exclusion: exclusion))
        }
        patterns = out
    }

    /// The patterns as moby's ignorefile reader returns them, with their line numbers: a CR at the
    /// end dropped, a UTF-8 byte-order mark at the start of the first line removed, a line that
    /// starts with `#` a comment (before trimming, so ` #x` is a pattern), white space trimmed, and
    /// the pattern after any `!` cleaned as Go's filepath.Clean does, one leading `/` removed.
    static func readAll(_ lines: [some BidirectionalCollection<UInt8>]) -> [(line: Int, text: [UInt8])] {
        var out: [(line: Int, text: [UInt8])] = []
        for (n, whole) in lines.enumerated() {
            var line = whole[...]
            if n == 0, line.starts(with: [0xef, 0xbb, 0xbf]) { line = line.dropFirst(3) }
            if line.last == 0x0d { line = line.dropLast() }
            if line.first == 0x23 { continue }
            var pattern = Rune.trimSpace(Array(line))
            if pattern.isEmpty { continue }
            let invert = pattern[0] == 0x21
            if invert { pattern = Rune.trimSpace(Array(pattern.dropFirst())) }
            if !pattern.isEmpty {
                pattern = CleanPath.filepathClean(pattern)
                if pattern.count > 1, pattern[0] == 0x2f { pattern.removeFirst() }
            }
            out.append((n + 1, invert ? [0x21] + pattern : pattern))
        }
        return out
    }

    /// Whether a context-relative path is excluded.
    public func excludes(_ path: PathBytes) -> Bool {
        if patterns.isEmpty || path.isEmpty { return false }
        var excluded = false
        for p in patterns where p.matchesOrParent(path.bytes) {
            excluded = !p.exclusion
        }
        return excluded
    }
}
