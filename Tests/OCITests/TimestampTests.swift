import Foundation
import OCI
import Testing

/// The config's times are written without ICU; they must read exactly as Foundation's formatter
/// wrote them, so images stay byte for byte what they were.
@Suite struct TimestampTests {
    @Test func matchesISO8601DateFormatter() {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        var epochs = [0, 1, 59, 60, 86399, 86400, 951_782_400, 951_868_799, 1_709_251_200, 2_147_483_647, 4_102_444_800,
                      253_402_300_799, 253_402_300_800, 99_999_999_999]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 { epochs.append(Int.random(in: 0...253_402_300_799, using: &rng)) }
        for e in epochs {
            #expect(Timestamp.rfc3339(e) == f.string(from: Date(timeIntervalSince1970: TimeInterval(e))), "\(e)")
        }
    }
}
