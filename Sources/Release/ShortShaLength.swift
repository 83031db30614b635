extension GitContext {
    /// The short SHA length metadata-action reads from DOCKER_METADATA_SHORT_SHA_LENGTH: any value
    /// JavaScript's `Number()` reads (` 12 `, `1e1`, `0x10`, `12.5`, `Infinity`); a length past the
    /// SHA's gives it whole, and one below 1 gives none of it, as `substring` does.
    public static func shortShaLength(_ env: [String: String]) throws -> Int {
        guard let v = env["DOCKER_METADATA_SHORT_SHA_LENGTH"], !v.isEmpty else { return 7 }
        guard let n = javaScriptNumber(v) else {
            throw ReleaseError("DOCKER_METADATA_SHORT_SHA_LENGTH=\(String(reflecting: v)) is not a number")
        }
        if n >= Double(Int.max) { return Int.max }
        return n < 1 ? 0 : Int(n)
    }

    /// JavaScript's `Number(string)`; nil where it gives NaN.
    static func javaScriptNumber(_ text: String) -> Double? {
        // ECMAScript's StrWhiteSpaceChar: white space (Zs and a few controls), line terminators, BOM.
        let trimmed = text.unicodeScalars.drop { isJavaScriptSpace($0) }.reversed().drop { isJavaScriptSpace($0) }.reversed()
        let s = String(String.UnicodeScalarView(trimmed))
        if s.isEmpty { return 0 }
        for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] where s.hasPrefix(prefix) {
            let digits = s.dropFirst(2)
            guard !digits.isEmpty else { return nil }
            var value = 0.0
            for c in digits {
                guard let d = c.hexDigitValue, d < radix else { return nil }
                value = value * Double(radix) + Double(d)
            }
            return value
        }
        var body = Substring(s)
        var sign = 1.0
        if let f = body.first, f == "+" || f == "-" {
            sign = f == "-" ? -1 : 1
            body = body.dropFirst()
        }
        if body == "Infinity" { return sign * .infinity }
        // StrUnsignedDecimalLiteral: digits with an optional fraction, or a fraction alone, then an
        // optional exponent.
        var i = body.startIndex
        func digits() -> Int {
            var n = 0
            while i < body.endIndex, body[i].isASCII, body[i].isNumber { i = body.index(after: i); n += 1 }
            return n
        }
        var mantissa = digits()
        if i < body.endIndex, body[i] == "." {
            i = body.index(after: i)
            mantissa += digits()
        }
        guard mantissa > 0 else { return nil }
        if i < body.endIndex, body[i] == "e" || body[i] == "E" {
            i = body.index(after: i)
            if i < body.endIndex, body[i] == "+" || body[i] == "-" { i = body.index(after: i) }
            guard digits() > 0 else { return nil }
        }
        guard i == body.endIndex, let value = Double(String(body)) else { return nil }
        return sign * value
    }

    static func isJavaScriptSpace(_ c: Unicode.Scalar) -> Bool {
        ["\t", "\n", "\u{0B}", "\u{0C}", "\r", "\u{FEFF}", "\u{2028}", "\u{2029}"].contains(c) || c.properties.generalCategory == .spaceSeparator
    }
}
