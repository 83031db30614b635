/// Characters of byte strings the way Go reads them, for the Go rules `.dockerignore` follows: a
/// valid UTF-8 sequence is one rune, and any other byte is one rune of its own, U+FFFD.
enum Rune {
    static let error: UInt32 = 0xfffd

    /// The rune at `i` and how many bytes it takes (Go's `utf8.DecodeRune`).
    static func decode(_ b: [UInt8], _ i: Int) -> (UInt32, Int) {
        let b0 = b[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        let count: Int, low: UInt8, high: UInt8
        switch b0 {
        case 0xc2...0xdf: (count, low, high) = (2, 0x80, 0xbf)
        case 0xe0: (count, low, high) = (3, 0xa0, 0xbf)
        case 0xed: (count, low, high) = (3, 0x80, 0x9f)
        case 0xe1...0xef: (count, low, high) = (3, 0x80, 0xbf)
        case 0xf0: (count, low, high) = (4, 0x90, 0xbf)
        case 0xf4: (count, low, high) = (4, 0x80, 0x8f)
        case 0xf1...0xf3: (count, low, high) = (4, 0x80, 0xbf)
        default: return (error, 1)
        }
        guard i + count <= b.count, (low...high).contains(b[i + 1]) else { return (error, 1) }
        var r = UInt32(b0) & (0xff >> (count + 1))
        for k in 1..<count {
            guard k == 1 || (0x80...0xbf).contains(b[i + k]) else { return (error, 1) }
            r = r << 6 | UInt32(b[i + k] & 0x3f)
        }
        return (r, count)
    }

    /// Go's `unicode.IsSpace`, which is Unicode's White_Space.
    static func isSpace(_ r: UInt32) -> Bool {
        Unicode.Scalar(r)?.properties.isWhitespace ?? false
    }

    /// Go's `strings.TrimSpace`: white space runes off both ends.
    static func trimSpace(_ b: [UInt8]) -> [UInt8] {
        var start: Int?
        var end = 0
        var i = 0
        while i < b.count {
            let (r, width) = decode(b, i)
            if r == error || !isSpace(r) {
                if start == nil { start = i }
                end = i + width
            }
            i += width
        }
        guard let start else { return [] }
        return Array(b[start..<end])
    }
}
