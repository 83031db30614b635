extension IgnorePattern {
    /// Why Docker would refuse the pattern, or nil. patternmatcher checks each pattern with Go's
    /// filepath.Match (ErrBadPattern), then matches with a regular expression built from it; where
    /// that expression fails (a backwards range, an escape Go's regexp does not know) or reads the
    /// pattern unlike filepath.Match (`*` inside `[ ]`, `\d`, `[:alpha:]`), the pattern is refused
    /// too, so that no file is kept or dropped otherwise than under Docker.
    static func syntaxError(_ p: [UInt8]) -> String? {
        var i = 0
        while i < p.count {
            switch p[i] {
            case 0x5c:
                guard i + 1 < p.count else { return "it ends with a lone \\: write \\\\ for a backslash" }
                let (r, width) = Rune.decode(p, i + 1)
                if let why = escapeError(r) { return why }
                i += 1 + width
            case 0x5b:
                if let why = classError(p, &i) { return why }
            default:
                i += 1
            }
        }
        return nil
    }

    /// `\` before ASCII punctuation is the character itself, in filepath.Match and in Go's regexp
    /// alike; before a letter or digit it is a regexp escape (`\d` is any digit, `\b` a word edge).
    static func escapeError(_ r: UInt32) -> String? {
        let c = Character(Unicode.Scalar(r) ?? "?")
        if r < 0x80, !(c.isLetter || c.isNumber) { return nil }
        if r < 0x80 { return "Docker reads \\\(c) as a regular-expression escape, not as \(c): write \(c) alone" }
        return "Docker cannot match \\ before \(shown(rune: r)): write the character alone"
    }

    /// Checks the class whose `[` is at `i` as filepath.Match does, and moves `i` past its `]`.
    static func classError(_ p: [UInt8], _ i: inout Int) -> String? {
        i += 1
        if i < p.count, p[i] == 0x5e { i += 1 }
        var ranges = 0
        while true {
            if i < p.count, p[i] == 0x5d, ranges > 0 {
                i += 1
                return nil
            }
            let lo: UInt32
            switch classChar(p, &i) {
            case .failure(let refusal): return refusal.why
            case .success(let r): lo = r
            }
            var hi = lo
            if p[i] == 0x2d {
                i += 1
                switch classChar(p, &i) {
                case .failure(let refusal): return refusal.why
                case .success(let r): hi = r
                }
            }
            if lo > hi { return "the range \(shown(rune: lo))-\(shown(rune: hi)) inside [ ] runs backwards" }
            ranges += 1
        }
    }

    struct Refusal: Error { let why: String }

    /// One character of a class (filepath.Match's `getEsc`): something must follow it, since a
    /// class ends with `]`.
    static func classChar(_ p: [UInt8], _ i: inout Int) -> Result<UInt32, Refusal> {
        let unclosed = Refusal(why: "no ] closes the [")
        guard i < p.count else { return .failure(unclosed) }
        switch p[i] {
        case 0x2d: return .failure(Refusal(why: "a - inside [ ] goes between two characters: write \\- for a dash"))
        case 0x5d: return .failure(Refusal(why: "[ ] holds no character: write \\] for a ] inside [ ]"))
        default: break
        }
        let escaped = p[i] == 0x5c
        if escaped { i += 1 }
        guard i < p.count else { return .failure(unclosed) }
        let (r, width) = Rune.decode(p, i)
        if r == Rune.error, width == 1 { return .failure(Refusal(why: "a byte inside [ ] is not UTF-8")) }
        if escaped, let why = escapeError(r) { return .failure(Refusal(why: why)) }
        if !escaped, r == 0x2a || r == 0x3f {
            return .failure(Refusal(why: "Docker reads \(shown(rune: r)) inside [ ] as a wildcard: write \\\(shown(rune: r)) for the character"))
        }
        // Go's regexp reads `[:name:]` inside a class as a POSIX class.
        if !escaped, r == 0x5b, i + 1 < p.count, p[i + 1] == 0x3a, p[(i + 2)...].firstRange(of: [0x3a, 0x5d]) != nil {
            return .failure(Refusal(why: "Docker reads [:name:] inside [ ] as a POSIX class: list the characters, as in [a-zA-Z]"))
        }
        i += width
        guard i < p.count else { return .failure(unclosed) }
        return .success(r)
    }

    /// Text for a one-line message: control and invisible characters as `\u{…}`, and bytes that
    /// are not UTF-8 as `\xNN`.
    static func shown(_ bytes: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let (r, width) = Rune.decode(bytes, i)
            if r == Rune.error, width == 1 {
                out += "\\x" + String(bytes[i], radix: 16)
            } else if let s = Unicode.Scalar(r), ![.control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned]
                .contains(s.properties.generalCategory) {
                out.unicodeScalars.append(s)
            } else {
                out += "\\u{" + String(r, radix: 16) + "}"
            }
            i += width
        }
        return out
    }

    static func shown(rune r: UInt32) -> String {
        shown(Array(String(Unicode.Scalar(r).map(Character.init) ?? "?").utf8))
    }
}
