import Foundation

/// Docker's word rules for instruction arguments: whitespace splitting that respects quotes and the
/// escape character, and `$VAR` / `${VAR…}` substitution with quote removal.
struct ShellWords {
    let escape: Character

    /// Splits on unquoted whitespace, keeping quotes and escapes for `expand` to process.
    func split(_ s: String) -> [String] {
        var words: [String] = []
        var cur = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in s {
            if escaped {
                cur.append(c)
                escaped = false
                continue
            }
            if c == escape, quote != "'" {
                cur.append(c)
                escaped = true
                inWord = true
                continue
            }
            if let q = quote {
                if c == q { quote = nil }
                cur.append(c)
                continue
            }
            if c == "'" || c == "\"" {
                quote = c
                cur.append(c)
                inWord = true
                continue
            }
            if c == " " || c == "\t" {
                if inWord {
                    words.append(cur)
                    cur = ""
                    inWord = false
                }
                continue
            }
            cur.append(c)
            inWord = true
        }
        if inWord { words.append(cur) }
        return words
    }

    /// Substitutes variables and removes quotes and escapes. `lookup` answers nil for an unset variable.
    func expand(_ word: String, _ lookup: (String) -> String?) throws -> String {
        var it = Array(word)
        var i = 0
        return try expand(&it, &i, lookup, stopAt: nil, depth: 0)
    }

    /// Substitutions nested deeper than this are refused: each level recurses, and a crafted file
    /// with thousands of `${A:-${A:-…` would otherwise overflow the stack.
    static let maxNesting = 64

    /// The word as shown in an error: long ones cut, so the error stays readable.
    private static func shown(_ s: [Character]) -> String { s.count > 80 ? String(s.prefix(80)) + "…" : String(s) }

    private func expand(_ s: inout [Character], _ i: inout Int, _ lookup: (String) -> String?, stopAt: Character?, depth: Int) throws -> String {
        var out = ""
        while i < s.count {
            let c = s[i]
            if let stopAt, c == stopAt { return out }
            if c == escape {
                i += 1
                if i < s.count { out.append(s[i]); i += 1 }
                continue
            }
            if c == "'" {
                i += 1
                while i < s.count, s[i] != "'" { out.append(s[i]); i += 1 }
                guard i < s.count else { throw BuildError("unterminated single quote in \(ShellWords.shown(s))") }
                i += 1
                continue
            }
            if c == "\"" {
                i += 1
                while i < s.count, s[i] != "\"" {
                    if s[i] == escape, i + 1 < s.count, ["\"", "$", escape].contains(s[i + 1]) {
                        out.append(s[i + 1])
                        i += 2
                    } else if s[i] == "$" {
                        out += try variable(&s, &i, lookup, depth: depth)
                    } else {
                        out.append(s[i])
                        i += 1
                    }
                }
                guard i < s.count else { throw BuildError("unterminated double quote in \(ShellWords.shown(s))") }
                i += 1
                continue
            }
            if c == "$" {
                out += try variable(&s, &i, lookup, depth: depth)
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    private static func isNameChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }

    /// `s[i]` is `$`; reads the reference and returns its value.
    private func variable(_ s: inout [Character], _ i: inout Int, _ lookup: (String) -> String?, depth: Int) throws -> String {
        i += 1
        guard i < s.count else { return "$" }
        if s[i] != "{" {
            var name = ""
            while i < s.count, ShellWords.isNameChar(s[i]) { name.append(s[i]); i += 1 }
            return name.isEmpty ? "$" : (lookup(name) ?? "")
        }
        i += 1
        var name = ""
        while i < s.count, ShellWords.isNameChar(s[i]) { name.append(s[i]); i += 1 }
        guard !name.isEmpty, i < s.count else { throw BuildError("bad substitution in \(ShellWords.shown(s)): expected ${NAME}") }
        if s[i] == "}" {
            i += 1
            return lookup(name) ?? ""
        }
        var op = String(s[i])
        i += 1
        if op == ":" {
            guard i < s.count else { throw BuildError("bad substitution in \(ShellWords.shown(s))") }
            op += String(s[i])
            i += 1
        }
        guard [":-", ":+", "-", "+", ":?", "?"].contains(op) else {
            throw BuildError("unsupported substitution \"${\(name)\(op)…}\": use ${V}, ${V:-default} or ${V:+alternative}")
        }
        guard depth < ShellWords.maxNesting else {
            throw BuildError("substitutions nested more than \(ShellWords.maxNesting) deep in \(ShellWords.shown(s))")
        }
        let word = try expand(&s, &i, lookup, stopAt: "}", depth: depth + 1)
        guard i < s.count, s[i] == "}" else { throw BuildError("missing } in \(ShellWords.shown(s))") }
        i += 1
        let value = lookup(name)
        let setAndNonEmpty = !(value ?? "").isEmpty
        switch op {
        case ":-": return setAndNonEmpty ? value! : word
        case "-": return value ?? word
        case ":+": return setAndNonEmpty ? word : ""
        case "+": return value != nil ? word : ""
        case ":?":
            if !setAndNonEmpty { throw BuildError("\(name): \(word.isEmpty ? "is not set" : word)") }
            return value!
        default:
            if value == nil { throw BuildError("\(name): \(word.isEmpty ? "is not set" : word)") }
            return value!
        }
    }

    /// The JSON (exec) form `["a", "b"]`, or nil when the text is not a JSON array of strings.
    static func jsonArray(_ s: String) -> [String]? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("["), t.hasSuffix("]"),
              let v = try? JSONSerialization.jsonObject(with: Data(t.utf8)) as? [Any] else { return nil }
        let strings = v.compactMap { $0 as? String }
        return strings.count == v.count ? strings : nil
    }
}
