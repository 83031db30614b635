/// One instruction of a Containerfile, in the shape BuildKit's parser gives it
/// (frontend/dockerfile/parser/line_parsers.go): the keyword, its `--flags`, and its arguments
/// split the way that keyword splits them, not yet expanded.
public struct Instruction: Sendable, Equatable {
    /// Upper-cased keyword: FROM, COPY, ...
    public var keyword: String
    /// The `--name[=value]` words before the arguments, quotes and escapes removed, up to a `--`.
    public var rawFlags: [String]
    /// The flags by name, once checked against what the keyword takes (`exclude` may repeat: the last is kept).
    public var flags: [String: String] = [:]
    /// The arguments: for ENV and LABEL, triples of key, value and `=` (or "" for the legacy `KEY value`
    /// form); for ONBUILD, the trigger's keyword and arguments.
    public var args: [String]
    /// The arguments were a JSON array (the exec form).
    public var json: Bool
    public var heredocs: [Heredoc] = []
    /// ONBUILD's instruction.
    public var trigger: [Instruction] = []
    public var line: Int
    public var endLine: Int
    /// The instruction with its continuation lines joined, as BuildKit keeps it.
    public var original: String

    /// Every value a repeatable flag was given, in order (`--exclude=a --exclude=b`).
    public func values(of flag: String) -> [String] {
        rawFlags.compactMap { raw in
            let body = String(raw.unicodeScalars.dropFirst(2))
            guard let (name, value) = body.splitOnce("="), name == flag else { return nil }
            return value
        }
    }

    /// What ONBUILD records in the image: its instruction as written, heredoc bodies after it, as
    /// BuildKit's parser keeps it.
    var onBuildExpression: String {
        var text = Substring(original.unicodeScalars.trimmingGoSpace())
        text = text.dropFirst("ONBUILD".count).drop { $0 == " " || $0 == "\t" }
        var out = String(text)
        for doc in heredocs { out += "\n" + doc.content + doc.name }
        return out
    }

    /// Splits one logical line: keyword, flags, then the arguments as the keyword reads them.
    init(parsing text: String, escape: Unicode.Scalar, line: Int) throws {
        let trimmed = Substring(text.unicodeScalars.trimmingGoSpace())
        let word = trimmed.unicodeScalars.prefix(while: { !Instruction.isBlank($0) })
        keyword = String(word).uppercased()
        guard Containerfile.known.contains(keyword) else {
            throw BuildError("unknown instruction \"\(String(word))\" (supported: \(Containerfile.known.sorted().joined(separator: ", ")))")
        }
        let afterWord = Substring(trimmed.unicodeScalars.dropFirst(word.count).drop(while: Instruction.isBlank))
        let (rest, flags) = Instruction.splitFlags(afterWord, escape: escape)
        rawFlags = flags
        self.line = line
        endLine = line
        original = String(trimmed)
        let arguments = String(rest.unicodeScalars.trimmingGoSpace())
        (args, json) = try Instruction.arguments(of: keyword, arguments, escape: escape)
        if keyword == "ONBUILD", !arguments.isEmpty {
            let t = try Instruction(parsing: arguments, escape: escape, line: line)
            trigger = [t]
            args = [t.keyword] + t.args
        }
    }

    /// BuildKit's `[\t\v\f\r ]+`, which separates keyword from arguments and the words of a list.
    static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\u{b}" || c == "\u{c}" || c == "\r" }

    /// Whether the line may be followed by heredoc bodies: ADD, COPY and RUN in their shell form.
    var takesHeredocs: Bool {
        if let t = trigger.first { return t.takesHeredocs }
        return ["ADD", "COPY", "RUN"].contains(keyword) && !json
    }

    /// The arguments as each keyword's line parser splits them.
    static func arguments(of keyword: String, _ rest: String, escape: Unicode.Scalar) throws -> ([String], Bool) {
        switch keyword {
        case "ADD", "COPY", "VOLUME": return try execOr(rest) { list($0) }
        case "CMD", "ENTRYPOINT", "RUN", "SHELL": return try execOr(rest) { $0.isEmpty ? [] : [$0] }
        case "ENV", "LABEL": return (try pairs(keyword, rest, escape: escape), false)
        case "ARG": return (words(rest, escape: escape), false)
        case "EXPOSE", "FROM": return (list(rest), false)
        case "MAINTAINER", "STOPSIGNAL", "USER", "WORKDIR": return (rest.isEmpty ? [] : [rest], false)
        case "HEALTHCHECK":
            // The type (CMD or NONE), then a command in either form.
            let type = rest.unicodeScalars.prefix(while: { !$0.properties.isWhitespace })
            guard !type.isEmpty else { return ([], false) }
            let command = String(rest.unicodeScalars.dropFirst(type.count).drop(while: { $0.properties.isWhitespace }))
            let (cmd, json) = try execOr(command) { $0.isEmpty ? [] : [$0] }
            return ([String(type)] + cmd, json)
        default: return ([], false)
        }
    }

    /// A JSON array of strings is the exec form; one holding anything else is refused, as BuildKit
    /// refuses it; other text is the shell form.
    static func execOr(_ rest: String, shell: (String) -> [String]) throws -> ([String], Bool) {
        switch ExecForm(rest) {
        case .strings(let list): return (list, true)
        case .notStrings:
            throw BuildError("a JSON array here must hold only strings, as in [\"/bin/sh\", \"-c\", \"echo hi\"]; "
                + "write the shell form (without brackets) to pass other text")
        case .notJSON: return (shell(rest), false)
        }
    }

    /// Words separated by blanks; quotes are not special here.
    static func list(_ rest: String) -> [String] {
        rest.unicodeScalars.split(whereSeparator: isBlank).map { String($0) }
    }

    /// `KEY=VALUE …` pairs, or the legacy `KEY the rest of the line` when the first word has no `=`.
    static func pairs(_ keyword: String, _ rest: String, escape: Unicode.Scalar) throws -> [String] {
        let all = words(rest, escape: escape)
        guard let first = all.first else { return [] }
        guard first.unicodeScalars.contains("=") else {
            let key = rest.unicodeScalars.prefix(while: { !isBlank($0) })
            let value = rest.unicodeScalars.dropFirst(key.count).drop(while: isBlank)
            guard !value.isEmpty else {
                throw BuildError("\(keyword) \(first) needs a value: \(keyword) \(first)=VALUE (or the older \(keyword) \(first) VALUE)")
            }
            return [String(key), String(value), ""]
        }
        return try all.flatMap { w -> [String] in
            guard let (key, value) = w.splitOnce("=") else {
                throw BuildError("\(keyword) \(w): expected KEY=VALUE (every pair needs its =)")
            }
            return [key, value, "="]
        }
    }

    /// Words separated by whitespace, keeping quotes and escapes for expansion to remove: a quoted
    /// or escaped blank does not separate.
    static func words(_ rest: String, escape: Unicode.Scalar) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        var quoted = false   // a word that had quotes is a word even when they held nothing
        var quote: Unicode.Scalar?
        var it = rest.unicodeScalars.makeIterator()
        func finish() {
            if quoted || !cur.isEmpty { out.append(String(cur)) }
            cur = String.UnicodeScalarView()
            quoted = false
        }
        while let c = it.next() {
            if quote == nil, c.properties.isWhitespace {
                finish()
                continue
            }
            if let q = quote, c == q {
                quote = nil
            } else if quote == nil, c == "'" || c == "\"" {
                quote = c
                quoted = true
            }
            if c == escape, quote != "'" {
                // An escape at the very end escapes nothing and is dropped.
                guard let n = it.next() else { break }
                cur.append(c)
                cur.append(n)
                continue
            }
            cur.append(c)
        }
        finish()
        return out
    }

    /// The `--flag` words that start the arguments: quotes and escapes in them are removed, and a
    /// `--` word ends them (`COPY -- --weird-name /dst/`).
    static func splitFlags(_ text: Substring, escape: Unicode.Scalar) -> (rest: Substring, flags: [String]) {
        let s = Array(text.unicodeScalars)
        var flags: [String] = []
        var k = 0
        while k < s.count {
            if s[k].properties.isWhitespace {
                k += 1
                continue
            }
            guard s[k] == "-", k + 1 < s.count, s[k + 1] == "-" else { break }
            var word = String.UnicodeScalarView()
            var quote: Unicode.Scalar?
            while k < s.count, quote != nil || !s[k].properties.isWhitespace {
                var c = s[k]
                k += 1
                if quote == nil, c == "'" || c == "\"" {
                    quote = c
                    continue
                }
                if c == quote {
                    quote = nil
                    continue
                }
                if c == escape {
                    guard k < s.count else { continue }
                    c = s[k]
                    k += 1
                }
                word.append(c)
            }
            if word.elementsEqual("--".unicodeScalars) {
                return (Substring(String(String.UnicodeScalarView(s[k...]))), flags)
            }
            flags.append(String(word))
        }
        return (Substring(String(String.UnicodeScalarView(s[k...]))), flags)
    }
}

extension String {
    /// The text before and after the first `separator`, compared character for character as Go's
    /// strings.Cut compares bytes (a combining mark after it does not hide it).
    func splitOnce(_ separator: Unicode.Scalar) -> (String, String)? {
        guard let i = unicodeScalars.firstIndex(of: separator) else { return nil }
        return (String(unicodeScalars[..<i]), String(unicodeScalars[unicodeScalars.index(after: i)...]))
    }
}

extension Substring.UnicodeScalarView {
    /// Go's strings.TrimSpace: Unicode white space off both ends.
    func trimmingGoSpace() -> Substring.UnicodeScalarView {
        let start = drop(while: { $0.properties.isWhitespace })
        var end = start
        while let last = end.last, last.properties.isWhitespace { end = end.dropLast() }
        return end
    }
}

extension String.UnicodeScalarView {
    func trimmingGoSpace() -> Substring.UnicodeScalarView { Substring(String(self)).unicodeScalars.trimmingGoSpace() }
}
