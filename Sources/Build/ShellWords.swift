/// Docker's word rules, as BuildKit's shell lexer (frontend/dockerfile/shell/lex.go) applies them to
/// instruction arguments: quotes, the escape character and `$` substitution, giving one word
/// (`expand`, what most instructions use) or the words that unquoted whitespace in the result
/// separates (`words`, what EXPOSE uses).
struct ShellWords {
    let escape: Unicode.Scalar
    /// Quotes stay in the result: heredoc markers are read both ways to tell whether any part was quoted.
    var rawQuotes = false
    /// Escape characters stay in the result (still escaping what follows): heredoc markers on a line.
    var rawEscapes = false
    /// Quotes are ordinary characters: heredoc bodies.
    var skipQuotes = false
    /// A reference to an unset variable stays as written: heredoc markers.
    var skipUnset = false

    init(escape: Character) { self.escape = escape.unicodeScalars.first! }

    /// Substitutions nested deeper than this are refused: each level recurses, and a crafted file
    /// with thousands of `${A:-${A:-…` would otherwise overflow the stack.
    static let maxNesting = 64

    /// Substitutes variables and removes quotes and escapes. `lookup` answers nil for an unset variable.
    func expand(_ word: String, _ lookup: (String) -> String?) throws -> String {
        try run(word, lookup).text
    }

    /// Substitutes, then splits on the whitespace that is not quoted or escaped.
    func words(_ text: String, _ lookup: (String) -> String?) throws -> [String] {
        try run(text, lookup).words
    }

    private func run(_ text: String, _ lookup: (String) -> String?) throws -> (text: String, words: [String]) {
        try withoutActuallyEscaping(lookup) { lookup in
            var lexer = ShellLexer(source: Array(text.unicodeScalars), options: self, lookup: lookup)
            do {
                return try lexer.until(nil, rawEscapes: rawEscapes)
            } catch let e as ShellLexer.Failure {
                throw BuildError(e.message(in: text))
            }
        }
    }
}

/// One pass of the lexer over one text.
private struct ShellLexer {
    let source: [Unicode.Scalar]
    let options: ShellWords
    let lookup: (String) -> String?
    var i = 0
    var rawEscapes = false
    var depth = 0

    init(source: [Unicode.Scalar], options: ShellWords, lookup: @escaping (String) -> String?) {
        self.source = source
        self.options = options
        self.lookup = lookup
        rawEscapes = options.rawEscapes
    }

    enum Failure: Error {
        case unclosed(Unicode.Scalar)
        case missingSlash
        case badSubstitution
        case unsupported(String)
        case required(String, String)
        case pattern(String, String)
        case tooDeep

        func message(in text: String) -> String {
            let shown = text.unicodeScalars.count > 80 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(80))) + "…" : text
            switch self {
            case .unclosed("}"): return "no closing } for ${ in \(shown)"
            case .unclosed(let c): return "no closing \(c) in \(shown)"
            case .missingSlash: return "${V/pattern/replacement} needs its second / in \(shown)"
            case .badSubstitution: return "bad substitution in \(shown): ${…} needs a variable name"
            case .unsupported(let form):
                return "unsupported substitution ${NAME\(form)…} in \(shown): use ${V}, ${V:-default}, ${V:+alternative}, "
                    + "${V:?message}, ${V#prefix}, ${V%suffix} or ${V/pattern/replacement}"
            case .required(let name, let message): return "\(name): \(message)"
            case .pattern(let pattern, let why): return "bad pattern \"\(pattern)\" in \(shown): \(why)"
            case .tooDeep: return "substitutions nested more than \(ShellWords.maxNesting) deep in \(shown)"
            }
        }
    }

    func peek() -> Unicode.Scalar? { i < source.count ? source[i] : nil }

    mutating func next() -> Unicode.Scalar? {
        guard i < source.count else { return nil }
        i += 1
        return source[i - 1]
    }

    /// Reads up to `stop` (consumed) or the end, substituting as it goes.
    mutating func until(_ stop: Unicode.Scalar?, rawEscapes raw: Bool) throws -> (text: String, words: [String]) {
        let saved = rawEscapes
        rawEscapes = raw
        defer { rawEscapes = saved }
        var text = String.UnicodeScalarView()
        var words = WordList()
        while let c = peek() {
            if let stop, c == stop {
                i += 1
                return (String(text), words.finish())
            }
            switch c {
            case "$":
                let value = try dollar()
                text.append(contentsOf: value.unicodeScalars)
                words.add(value)
            case "<":
                let marker = heredocMarker()
                text.append(contentsOf: marker.unicodeScalars)
                words.addRaw(marker)
            case "'" where !options.skipQuotes, "\"" where !options.skipQuotes:
                let quoted = c == "'" ? try singleQuoted() : try doubleQuoted()
                text.append(contentsOf: quoted.unicodeScalars)
                words.addRaw(quoted)
            default:
                i += 1
                var ch = c
                if c == options.escape {
                    if rawEscapes {
                        words.addRaw(c)
                        text.append(c)
                    }
                    // An escape at the very end escapes nothing and is dropped.
                    guard let escaped = next() else { break }
                    ch = escaped
                    words.addRaw(ch)
                } else {
                    words.add(ch)
                }
                text.append(ch)
            }
        }
        if let stop { throw Failure.unclosed(stop) }
        return (String(text), words.finish())
    }

    mutating func singleQuoted() throws -> String {
        var out = String.UnicodeScalarView()
        i += 1
        if options.rawQuotes { out.append("'") }
        while true {
            guard let c = next() else { throw Failure.unclosed("'") }
            if c == "'" {
                if options.rawQuotes { out.append(c) }
                return String(out)
            }
            out.append(c)
        }
    }

    /// Inside double quotes only `$` substitutes, and the escape character escapes only `"`, `$`
    /// and itself; before anything else it is kept.
    mutating func doubleQuoted() throws -> String {
        var out = String.UnicodeScalarView()
        i += 1
        if options.rawQuotes { out.append("\"") }
        while true {
            guard let c = peek() else { throw Failure.unclosed("\"") }
            if c == "\"" {
                i += 1
                if options.rawQuotes { out.append(c) }
                return String(out)
            }
            if c == "$" {
                out.append(contentsOf: try dollar().unicodeScalars)
                continue
            }
            i += 1
            var ch = c
            if c == options.escape {
                if rawEscapes { out.append(c) }
                guard let n = peek() else { continue }
                if n == "\"" || n == "$" || n == options.escape {
                    ch = n
                    i += 1
                }
            }
            out.append(ch)
        }
    }

    /// `<<` and the blanks after it stay one word, so `<< EOF` names a heredoc as `<<EOF` does.
    mutating func heredocMarker() -> String {
        i += 1
        guard peek() == "<" else { return "<" }
        i += 1
        var out = "<<"
        while let c = peek(), c == " " || c == "\t" || c == "\r" {
            out.unicodeScalars.append(c)
            i += 1
        }
        return out
    }

    /// `$NAME`, `${NAME}` and `${NAME<op>word}`; positional and special parameters (`$1`, `$@`, `$$`…)
    /// are names no variable has, so they expand to nothing.
    mutating func dollar() throws -> String {
        i += 1
        guard peek() == "{" else {
            let name = self.name()
            if name.isEmpty { return "$" }
            return lookup(name) ?? (options.skipUnset ? "$" + name : "")
        }
        i += 1
        switch peek() {
        case nil: throw Failure.unclosed("}")
        case "{", "}", ":": throw Failure.badSubstitution
        default: break
        }
        let name = self.name()
        guard let op = next() else { throw Failure.unclosed("}") }
        switch op {
        case "}":
            return lookup(name) ?? (options.skipUnset ? "${\(name)}" : "")
        case ":", "+", "-", "?", "#", "%":
            return try modifier(name, op)
        case "/":
            return try replacement(name)
        default:
            throw Failure.unsupported(String(op))
        }
    }

    mutating func nested(_ stop: Unicode.Scalar, rawEscapes raw: Bool) throws -> String {
        guard depth < ShellWords.maxNesting else { throw Failure.tooDeep }
        depth += 1
        defer { depth -= 1 }
        do {
            return try until(stop, rawEscapes: raw).text
        } catch let failure as Failure where peek() == nil {
            // Whatever went wrong, the text ended before the substitution did.
            if case .tooDeep = failure { throw failure }
            throw stop == "/" ? Failure.missingSlash : Failure.unclosed("}")
        }
    }

    /// `${V-w}`, `${V+w}`, `${V?w}`, `${V#p}`, `${V%p}` and the `:` forms, where an empty value counts as unset.
    mutating func modifier(_ name: String, _ first: Unicode.Scalar) throws -> String {
        var op = first
        var form = String(first)
        let emptyIsUnset = first == ":"
        if emptyIsUnset {
            guard let c = next() else { throw Failure.unclosed("}") }
            op = c
            form.unicodeScalars.append(c)
        }
        let isPattern = op == "#" || op == "%"
        if emptyIsUnset && isPattern { throw Failure.unsupported(form) }
        var word = try nested("}", rawEscapes: isPattern)
        let value = lookup(name)
        if options.skipUnset && value == nil { return "${\(name)\(form)\(word)}" }
        let unset = value == nil || (emptyIsUnset && value!.isEmpty)
        switch op {
        case "-": return unset ? word : value!
        case "+": return unset ? "" : word
        case "?":
            if value == nil { throw Failure.required(name, word.isEmpty ? "is not allowed to be unset" : word) }
            if unset { throw Failure.required(name, word.isEmpty ? "is not allowed to be empty" : word) }
            return value!
        case "#", "%":
            // `##` and `%%` remove the longest match, `#` and `%` the shortest.
            let longest = word.unicodeScalars.first == op
            if longest { word.unicodeScalars.removeFirst() }
            let pattern = try compile(word)
            return op == "#" ? pattern.removingPrefix(of: value ?? "", longest: longest)
                : pattern.removingSuffix(of: value ?? "", longest: longest)
        default:
            throw Failure.unsupported(form)
        }
    }

    /// `${V/pattern/replacement}` replaces the first match, `${V//pattern/replacement}` every one.
    mutating func replacement(_ name: String) throws -> String {
        let all = peek() == "/"
        if all { i += 1 }
        let pattern = try nested("/", rawEscapes: true)
        let replacement = try nested("}", rawEscapes: true)
        let value = lookup(name)
        if options.skipUnset && value == nil { return "${\(name)/\(pattern)/\(replacement)}" }
        return try compile(pattern).replacing(in: value ?? "", with: replacement, all: all)
    }

    func compile(_ pattern: String) throws -> ShellPattern {
        do {
            return try ShellPattern(pattern)
        } catch let e as ShellPattern.Invalid {
            throw Failure.pattern(pattern, e.reason)
        }
    }

    mutating func name() -> String {
        var out = String.UnicodeScalarView()
        while let c = peek() {
            if out.isEmpty && c.isGoDigit {
                while let d = peek(), d.isGoDigit {
                    out.append(d)
                    i += 1
                }
                return String(out)
            }
            if out.isEmpty && "@*#?-$!0".unicodeScalars.contains(c) {
                i += 1
                return String(c)
            }
            guard c.isGoLetter || c.isGoDigit || c == "_" else { break }
            out.append(c)
            i += 1
        }
        return String(out)
    }
}

/// The words of a text as the lexer reads it: whitespace that a substitution produces splits,
/// whitespace that was quoted or escaped does not.
private struct WordList {
    var words: [String] = []
    var current = String.UnicodeScalarView()
    var inWord = false

    mutating func add(_ c: Unicode.Scalar) {
        if !c.properties.isWhitespace {
            addRaw(c)
        } else if inWord, !current.isEmpty {
            words.append(String(current))
            current = String.UnicodeScalarView()
            inWord = false
        }
    }

    mutating func addRaw(_ c: Unicode.Scalar) {
        current.append(c)
        inWord = true
    }

    mutating func add(_ s: String) { for c in s.unicodeScalars { add(c) } }

    mutating func addRaw(_ s: String) {
        current.append(contentsOf: s.unicodeScalars)
        inWord = true
    }

    mutating func finish() -> [String] {
        if !current.isEmpty { words.append(String(current)) }
        return words
    }
}

extension Unicode.Scalar {
    /// Go's unicode.IsLetter and unicode.IsDigit: the characters a variable name may hold.
    var isGoLetter: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    var isGoDigit: Bool { properties.generalCategory == .decimalNumber }
}
