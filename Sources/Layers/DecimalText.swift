extension Array where Element == UInt8 {
    /// Appends `n` in decimal digits, as `String(n)` spells it, without making a string: the stat
    /// records and layer keys write millions of numbers.
    public mutating func appendDecimal(_ n: UInt64) {
        // At most 20 digits, made from the right in a buffer on the stack.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &digits) { buf in
            var v = n
            var at = buf.count
            repeat {
                at -= 1
                buf[at] = UInt8(truncatingIfNeeded: 48 + v % 10)
                v /= 10
            } while v > 0
            append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[at...]))
        }
    }
}
