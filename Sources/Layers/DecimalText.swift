extension Array where Element == UInt8 {
    /// Appends `n` in decimal digits, as `String(n)` spells it, without making a string: the stat
    /// records and layer keys write millions of numbers.
    public mutating func appendDecimal(_ n: UInt64) {
        if n == 0 {
            append(48)
            return
        }
        var v = n
        let start = count
        while v > 0 {
            append(UInt8(48 + v % 10))
            v /= 10
        }
        self[start...].reverse()
    }
}
