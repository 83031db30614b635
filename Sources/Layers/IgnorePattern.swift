/// One `.dockerignore` pattern, matched as moby/patternmatcher matches it: against the whole
/// context-relative path (and each of its parent directories), not element by element.
///
/// patternmatcher turns a pattern into one of four kinds. Literal text is compared byte for byte; a
/// leading `**` makes a suffix test and a trailing one (after literal text) a prefix test, so `**file`
/// matches `a/myfile` and `abc/**` matches `abc/x` but not `abc`; anything else is a regular
/// expression where `*` and `?` stop at `/`, `**/` is `(.*/)?` and characters are runes (a byte that
/// is not UTF-8 counts as one, as Go's regexp reads it). The expression is run here as a small
/// automaton, so runs of `**` cost time linear in the path.
struct IgnorePattern: Sendable {
    enum Token: Sendable, Equatable {
        case rune(UInt32)
        /// `?`: one character other than `/`.
        case one
        /// `*`: any run of characters other than `/`.
        case star
        /// `**` followed by more pattern: `(.*/)?`.
        case dirs
        /// `**` at the end: `.*`.
        case rest
        /// `[…]`: one character in (or, negated, not in) the ranges; a negated class matches `/`.
        case set([ClosedRange<UInt32>], negated: Bool)
        /// `^` outside a class: Go's regexp reads it as the start of the text.
        case start
    }

    enum Kind: Sendable, Equatable {
        case exact, prefix([UInt8]), suffix([UInt8]), expression([Token])
    }

    let text: [UInt8]
    let exclusion: Bool
    let kind: Kind

    /// `text` is cleaned and without its `!`, and has passed `IgnorePattern.syntaxError`.
    init(_ text: [UInt8], exclusion: Bool) {
        self.text = text
        self.exclusion = exclusion
        kind = IgnorePattern.compile(text)
    }

    /// patternmatcher's `compile`: the kind follows the characters met, in the same order.
    static func compile(_ p: [UInt8]) -> Kind {
        enum Detected { case exact, prefix, suffix, expression }
        var detected = Detected.exact
        var tokens: [Token] = []
        var i = 0
        while i < p.count {
            let first = i == 0
            let (ch, width) = Rune.decode(p, i)
            i += width
            switch ch {
            case 0x2a where i < p.count && p[i] == 0x2a:
                i += 1
                if i < p.count, p[i] == 0x2f { i += 1 }
                if i < p.count {
                    tokens.append(.dirs)
                    detected = .expression
                } else if detected == .exact {
                    detected = .prefix
                } else {
                    tokens.append(.rest)
                    detected = .expression
                }
                if first { detected = .suffix }
            case 0x2a:
                tokens.append(.star)
                detected = .expression
            case 0x3f:
                tokens.append(.one)
                detected = .expression
            case 0x5c where i < p.count:
                let (escaped, w) = Rune.decode(p, i)
                i += w
                tokens.append(.rune(escaped))
                detected = .expression
            case 0x5b:
                let (set, end) = IgnorePattern.parseSet(p, i)
                tokens.append(set)
                i = end
                detected = .expression
            case 0x5d:
                tokens.append(.rune(ch))
                detected = .expression
            case 0x5e:
                tokens.append(.start)
            default:
                tokens.append(.rune(ch))
            }
        }
        switch detected {
        case .exact: return .exact
        case .prefix: return .prefix(Array(p.dropLast(2)))
        case .suffix: return .suffix(Array(p.dropFirst(2)))
        case .expression: return .expression(tokens)
        }
    }

    /// The class that starts after the `[` at `i`, and where the pattern goes on after its `]`.
    static func parseSet(_ p: [UInt8], _ start: Int) -> (Token, Int) {
        var i = start
        let negated = i < p.count && p[i] == 0x5e
        if negated { i += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        func char() -> UInt32? {
            guard i < p.count else { return nil }
            if p[i] == 0x5c { i += 1 }
            guard i < p.count else { return nil }
            let (r, w) = Rune.decode(p, i)
            i += w
            return r
        }
        while i < p.count {
            if p[i] == 0x5d, !ranges.isEmpty { i += 1; break }
            guard let lo = char() else { break }
            var hi = lo
            if i + 1 < p.count, p[i] == 0x2d, p[i + 1] != 0x5d {
                i += 1
                hi = char() ?? lo
            }
            ranges.append(lo <= hi ? lo...hi : lo...lo)
        }
        return (.set(ranges, negated: negated), i)
    }

    /// Whether the pattern matches the path or one of its parent directories (each prefix that ends
    /// before a `/`), which is how a pattern for a directory excludes all it holds.
    func matchesOrParent(_ path: [UInt8]) -> Bool {
        switch kind {
        case .exact:
            return path.starts(with: text) && (path.count == text.count || path[text.count] == 0x2f)
        case .prefix(let prefix):
            // A parent that starts with the prefix means the path does too.
            return path.starts(with: prefix)
        case .suffix(let suffix):
            // The path and each parent: the part before each `/`, and the whole.
            var end = 0
            while end <= path.count {
                if end == path.count || path[end] == 0x2f {
                    let candidate = path[..<end]
                    if candidate.count >= suffix.count, candidate.suffix(suffix.count).elementsEqual(suffix) { return true }
                    // `**/foo` matches `foo` itself.
                    if suffix.first == 0x2f, candidate.elementsEqual(suffix.dropFirst()) { return true }
                }
                end += 1
            }
            return false
        case .expression(let tokens):
            return Automaton(tokens).matchesOrParent(path)
        }
    }
}
