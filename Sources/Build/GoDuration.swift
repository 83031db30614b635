/// Durations as Go writes and reads them (time.ParseDuration, Duration.String): what HEALTHCHECK's
/// flags take, and how BuildKit shows them in the image history.
enum GoDuration {
    static let units: [(String, UInt64)] = [
        ("ns", 1), ("us", 1_000), ("\u{B5}s", 1_000), ("\u{3BC}s", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// `30s`, `1m30s`, `1.5h`, `500ms`, `-2s`, and `0` without a unit; nanoseconds.
    static func parse(_ text: String, flag: String) throws -> Int64 {
        let bad = BuildError("--\(flag)=\(text): expected a duration such as 30s, 1m30s or 500ms")
        var s = Substring(text)
        var negative = false
        if let c = s.first, c == "-" || c == "+" {
            negative = c == "-"
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        guard !s.isEmpty else { throw bad }
        let limit: UInt64 = 1 << 63
        var total: UInt64 = 0
        while !s.isEmpty {
            let whole = s.prefix(while: { $0.isASCII && $0.isNumber })
            s = s.dropFirst(whole.count)
            var fraction = Substring("")
            if s.first == "." {
                s = s.dropFirst()
                fraction = s.prefix(while: { $0.isASCII && $0.isNumber })
                s = s.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { throw bad }
            let unitText = s.prefix(while: { $0 != "." && !($0.isASCII && $0.isNumber) })
            s = s.dropFirst(unitText.count)
            guard let unit = units.first(where: { $0.0 == unitText })?.1 else { throw bad }
            var v: UInt64 = 0
            for d in whole {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(d.wholeNumberValue!))
                guard !o1, !o2, a <= limit else { throw bad }
                v = a
            }
            guard v <= limit / unit else { throw bad }
            v *= unit
            // Digits past what fits are dropped, as Go drops them.
            var f: UInt64 = 0
            var scale = 1.0
            for d in fraction where f <= (limit - 1) / 10 {
                f = f * 10 + UInt64(d.wholeNumberValue!)
                scale *= 10
            }
            if f > 0 { v += UInt64(Double(f) * (Double(unit) / scale)) }
            guard v <= limit else { throw bad }
            total += v
            guard total <= limit else { throw bad }
        }
        if negative { return total == limit ? Int64.min : -Int64(total) }
        guard total < limit else { throw bad }
        return Int64(total)
    }

    /// `0s`, `500ms`, `1.5s`, `1m30s`, `1h0m0s`, as Go's Duration.String writes them.
    static func string(_ ns: Int64) -> String {
        if ns == 0 { return "0s" }
        var u = ns.magnitude
        let sign = ns < 0 ? "-" : ""
        func fraction(_ digits: Int) -> String {
            var out = ""
            var printing = false
            for _ in 0..<digits {
                let d = u % 10
                printing = printing || d != 0
                if printing { out = String(d) + out }
                u /= 10
            }
            return printing ? "." + out : ""
        }
        if u < 1_000_000_000 {
            let (digits, unit) = u < 1_000 ? (0, "ns") : u < 1_000_000 ? (3, "\u{B5}s") : (6, "ms")
            let f = fraction(digits)
            return sign + String(u) + f + unit
        }
        let f = fraction(9)
        var out = String(u % 60) + f + "s"
        u /= 60
        if u > 0 {
            out = String(u % 60) + "m" + out
            u /= 60
            if u > 0 { out = String(u) + "h" + out }
        }
        return sign + out
    }
}
