/// RFC 3339 times in UTC (`2024-03-01T00:00:00Z`), as the image config's `created` and history
/// carry them, computed with integer arithmetic: Foundation's ISO8601DateFormatter loads ICU's
/// calendar and time-zone data, about 5 MB of a build's resident memory, for a fixed UTC format.
public enum Timestamp {
    /// The proleptic Gregorian date and time of `epoch` seconds since 1970 (Howard Hinnant's
    /// days-to-civil algorithm), the year at least four digits, as ISO8601DateFormatter gives it.
    public static func rfc3339(_ epoch: Int) -> String {
        let days = epoch >= 0 ? epoch / 86400 : (epoch - 86399) / 86400
        let secs = epoch - days * 86400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))Z"
    }
}
