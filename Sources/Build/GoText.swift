import OCI

/// The text Go's fmt writes, which BuildKit's parser dumps and history entries are made of: `%v`
/// of a list is `[a b]`, `%q` of a list `["a" "b"]`, each string quoted as strconv.Quote quotes it.
enum GoText {
    static func list(_ items: [String]) -> String { "[" + items.joined(separator: " ") + "]" }

    static func quotedList(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: " ") + "]" }

    /// strconv.Quote: printable characters as they are, the rest escaped, so the result is one line.
    static func quoted(_ s: String) -> String {
        var out = "\""
        func hex(_ v: UInt32, _ width: Int) -> String {
            let h = String(v, radix: 16)
            return String(repeating: "0", count: max(0, width - h.count)) + h
        }
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{7}": out += "\\a"
            case "\u{8}": out += "\\b"
            case "\u{c}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{b}": out += "\\v"
            default:
                if isPrintable(c) {
                    out.unicodeScalars.append(c)
                } else if c.value < 0x20 || c.value == 0x7f {
                    out += "\\x" + hex(c.value, 2)
                } else if c.value < 0x10000 {
                    out += "\\u" + hex(c.value, 4)
                } else {
                    out += "\\U" + hex(c.value, 8)
                }
            }
        }
        return out + "\""
    }

    /// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// `%+v` of Docker's HealthcheckConfig, as BuildKit records HEALTHCHECK.
    static func healthcheck(_ h: ImageConfig.Healthcheck) -> String {
        func d(_ ns: Int64?) -> String { GoDuration.string(ns ?? 0) }
        return "{Test:\(list(h.test ?? [])) Interval:\(d(h.interval)) Timeout:\(d(h.timeout)) "
            + "StartPeriod:\(d(h.startPeriod)) StartInterval:\(d(h.startInterval)) Retries:\(h.retries ?? 0)}"
    }
}
