/// The pattern of `${V#p}`, `${V%p}` and `${V/p/r}` as BuildKit reads it: `*` is any run and `?` any
/// one character (neither crosses a line break, as in the regular expression BuildKit turns it
/// into), `\*`, `\?` and `\\` are literals, and `\}` or `\/` is just the character.
struct ShellPattern {
    enum Token: Equatable {
        case literal(Unicode.Scalar)
        case one
        case run
    }

    struct Invalid: Error { let reason: String }

    let tokens: [Token]

    init(_ text: String) throws {
        let s = Array(text.unicodeScalars)
        var out: [Token] = []
        var k = 0
        while k < s.count {
            let c = s[k]
            k += 1
            switch c {
            case "*": out.append(.run)
            case "?": out.append(.one)
            case "\\":
                guard k < s.count else { throw Invalid(reason: "it ends in \\") }
                let n = s[k]
                if n == "}" || n == "/" { continue }
                guard n == "*" || n == "?" || n == "\\" else { throw Invalid(reason: "\\\(n) escapes nothing: only \\*, \\? and \\\\ do") }
                out.append(.literal(n))
                k += 1
            default:
                out.append(.literal(c))
            }
        }
        tokens = out
    }

    private init(tokens: [Token]) { self.tokens = tokens }

    /// `${V#p}` (shortest) and `${V##p}` (longest): the value without the prefix that matches.
    func removingPrefix(of value: String, longest: Bool) -> String {
        let v = Array(value.unicodeScalars)
        guard let end = ends(in: v, longest: longest)[0] else { return value }
        return String(String.UnicodeScalarView(v[end...]))
    }

    /// `${V%p}` and `${V%%p}`: the same from the other end, by matching the reversed pattern
    /// against the reversed value.
    func removingSuffix(of value: String, longest: Bool) -> String {
        let reversed = ShellPattern(tokens: tokens.reversed())
        let v = String(String.UnicodeScalarView(value.unicodeScalars.reversed()))
        return String(String.UnicodeScalarView(reversed.removingPrefix(of: v, longest: longest).unicodeScalars.reversed()))
    }

    /// `${V/p/r}` replaces the leftmost (longest) match; `${V//p/r}` every match, as Go's
    /// ReplaceAllString does, `$0` in the replacement standing for the match.
    func replacing(in value: String, with replacement: String, all: Bool) -> String {
        let v = Array(value.unicodeScalars)
        let ends = self.ends(in: v, longest: true)
        func match(from start: Int) -> (Int, Int)? {
            guard start <= v.count, let s = (start...v.count).first(where: { ends[$0] != nil }) else { return nil }
            return (s, ends[s]!)
        }
        var out = String.UnicodeScalarView()
        guard all else {
            guard let (s, e) = match(from: 0) else { return value }
            out.append(contentsOf: v[..<s])
            out.append(contentsOf: replacement.unicodeScalars)
            out.append(contentsOf: v[e...])
            return String(out)
        }
        let template = Array(replacement.unicodeScalars)
        var lastEnd = 0
        var search = 0
        while search <= v.count, let (s, e) = match(from: search) {
            out.append(contentsOf: v[lastEnd..<s])
            // An empty match right after another match is not replaced again.
            if e > lastEnd || s == 0 { out.append(contentsOf: ShellPattern.expand(template, match: v[s..<e])) }
            lastEnd = e
            search = search + 1 > e ? search + 1 : e
        }
        out.append(contentsOf: v[lastEnd...])
        return String(out)
    }

    /// For each start in `v`, where the match Go's regexp prefers from there ends: the first a
    /// backtracking search finds, a `*` trying its longest run first when `longest`, else its
    /// shortest. One row per token, so a long value against a long pattern costs their product.
    func ends(in v: [Unicode.Scalar], longest: Bool) -> [Int?] {
        let n = v.count
        var next: [Int?] = (0...n).map { $0 }
        for token in tokens.reversed() {
            var row = [Int?](repeating: nil, count: n + 1)
            for k in stride(from: n, through: 0, by: -1) {
                let consumable = k < n && v[k] != "\n"
                switch token {
                case .literal(let c): row[k] = k < n && v[k] == c ? next[k + 1] : nil
                case .one: row[k] = consumable ? next[k + 1] : nil
                case .run:
                    let more = consumable ? row[k + 1] : nil
                    row[k] = longest ? (more ?? next[k]) : (next[k] ?? more)
                }
            }
            next = row
        }
        return next
    }

    /// Go's template expansion in ReplaceAllString: `$$` is `$`, `$0` and `${0}` the match, any other
    /// `$name` nothing, and a `$` that starts no name stays as it is.
    static func expand(_ t: [Unicode.Scalar], match: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var k = 0
        while k < t.count {
            guard t[k] == "$" else {
                out.append(t[k])
                k += 1
                continue
            }
            k += 1
            if k < t.count, t[k] == "$" {
                out.append("$")
                k += 1
                continue
            }
            let brace = k < t.count && t[k] == "{"
            var j = brace ? k + 1 : k
            let start = j
            while j < t.count, t[j].isGoLetter || t[j].isGoDigit || t[j] == "_" { j += 1 }
            guard j > start, !brace || (j < t.count && t[j] == "}") else {
                out.append("$")
                continue
            }
            if t[start..<j].elementsEqual(["0"]) { out.append(contentsOf: match) }
            k = brace ? j + 1 : j
        }
        return out
    }
}
