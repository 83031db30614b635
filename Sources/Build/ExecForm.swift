/// How BuildKit tells the exec form `["a", "b"]` from the shell form: text that is one JSON array
/// of strings is exec form, a JSON array holding anything else is an error, and text that is not
/// JSON at all (single quotes, a missing bracket, JSON inside a string) is shell form.
enum ExecForm: Equatable {
    case strings([String])
    case notStrings
    case notJSON

    /// Go's encoding/json refuses documents nested deeper than this; BuildKit then falls back to the shell form.
    static let maxDepth = 10000

    init(_ text: String) {
        var p = JSONScanner(Array(text.utf8))
        p.skipSpace()
        guard p.peek() == UInt8(ascii: "[") else {
            self = .notJSON
            return
        }
        self = p.topLevelArray() ?? .notJSON
    }
}

/// A strict JSON reader (RFC 8259, as Go's encoding/json reads it) that keeps only what the top
/// array holds. Nesting is tracked with a stack, so no input can exhaust the call stack.
private struct JSONScanner {
    let b: [UInt8]
    var p = 0

    init(_ bytes: [UInt8]) { b = bytes }

    func peek() -> UInt8? { p < b.count ? b[p] : nil }

    mutating func skipSpace() {
        while let c = peek(), c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { p += 1 }
    }

    mutating func eat(_ c: Character) -> Bool {
        guard peek() == c.asciiValue else { return false }
        p += 1
        return true
    }

    /// The whole text must be the array and nothing after it.
    mutating func topLevelArray() -> ExecForm? {
        var open: [UInt8] = []   // the brackets and braces not yet closed
        var strings: [String] = []
        var onlyStrings = true
        p += 1
        open.append(UInt8(ascii: "]"))
        skipSpace()
        if eat("]") {
            skipSpace()
            return p == b.count ? .strings([]) : nil
        }
        while true {
            // A value.
            skipSpace()
            let top = open.count == 1
            switch peek() {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if top { onlyStrings = false }
                let isArray = eat("[")
                if !isArray { p += 1 }
                guard open.count < ExecForm.maxDepth else { return nil }
                open.append(UInt8(ascii: isArray ? "]" : "}"))
                skipSpace()
                if eat(isArray ? "]" : "}") {
                    open.removeLast()
                } else {
                    if !isArray { guard key() else { return nil } }
                    continue
                }
            case UInt8(ascii: "\""):
                guard let s = string() else { return nil }
                if top { strings.append(s) }
            default:
                guard scalar() else { return nil }
                if top { onlyStrings = false }
            }
            // After a value: a comma and the next one, or closing brackets.
            while true {
                skipSpace()
                guard let close = open.last else {
                    return p == b.count ? (onlyStrings ? .strings(strings) : .notStrings) : nil
                }
                if eat(",") {
                    if close == UInt8(ascii: "}") { guard key() else { return nil } }
                    break
                }
                guard eat(Character(UnicodeScalar(close))) else { return nil }
                open.removeLast()
            }
        }
    }

    /// An object member's name and its colon.
    mutating func key() -> Bool {
        skipSpace()
        guard peek() == UInt8(ascii: "\""), string() != nil else { return false }
        skipSpace()
        return eat(":")
    }

    /// `true`, `false`, `null` or a number.
    mutating func scalar() -> Bool {
        for word in ["true", "false", "null"] where b[p...].starts(with: word.utf8) {
            p += word.utf8.count
            return true
        }
        _ = eat("-")
        if eat("0") {
        } else {
            guard digits() else { return false }
        }
        if eat("."), !digits() { return false }
        if eat("e") || eat("E") {
            if !eat("+") { _ = eat("-") }
            guard digits() else { return false }
        }
        return true
    }

    mutating func digits() -> Bool {
        let start = p
        while let c = peek(), c >= 0x30, c <= 0x39 { p += 1 }
        return p > start
    }

    /// A string with its escapes decoded; a lone surrogate becomes U+FFFD, as in Go.
    mutating func string() -> String? {
        p += 1
        var out = String.UnicodeScalarView()
        var start = p
        func flush(_ s: inout String.UnicodeScalarView) {
            s.append(contentsOf: String(decoding: b[start..<p], as: UTF8.self).unicodeScalars)
        }
        while let c = peek() {
            if c == UInt8(ascii: "\"") {
                flush(&out)
                p += 1
                return String(out)
            }
            if c < 0x20 { return nil }
            guard c == UInt8(ascii: "\\") else {
                p += 1
                continue
            }
            flush(&out)
            p += 1
            guard let e = peek() else { return nil }
            p += 1
            switch e {
            case UInt8(ascii: "\""): out.append("\"")
            case UInt8(ascii: "\\"): out.append("\\")
            case UInt8(ascii: "/"): out.append("/")
            case UInt8(ascii: "b"): out.append("\u{8}")
            case UInt8(ascii: "f"): out.append("\u{c}")
            case UInt8(ascii: "n"): out.append("\n")
            case UInt8(ascii: "r"): out.append("\r")
            case UInt8(ascii: "t"): out.append("\t")
            case UInt8(ascii: "u"):
                guard let unit = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(unit), b[p...].starts(with: "\\u".utf8) {
                    let save = p
                    p += 2
                    if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                        out.append(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!)
                    } else {
                        out.append("\u{FFFD}")
                        p = save
                    }
                } else {
                    out.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                }
            default:
                return nil
            }
            start = p
        }
        return nil
    }

    mutating func hex4() -> UInt32? {
        guard p + 4 <= b.count, let v = UInt32(String(decoding: b[p..<p + 4], as: UTF8.self), radix: 16),
              b[p..<p + 4].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") }) else { return nil }
        p += 4
        return v
    }
}
