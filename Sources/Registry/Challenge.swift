/// One challenge of a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"`.
public struct Challenge: Equatable, Sendable {
    public var scheme: String
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses every challenge in a header value: several schemes, quoted values with escapes,
    /// commas inside quotes, odd spacing. Malformed input yields what could be read, never a crash.
    public static func parse(_ header: String) -> [Challenge] {
        let s = Array(header.utf8)
        var i = 0
        var out: [Challenge] = []
        func skip(_ set: Set<UInt8>) { while i < s.count, set.contains(s[i]) { i += 1 } }
        func token() -> String {
            let start = i
            while i < s.count, !(s[i] == 32 || s[i] == 9 || s[i] == 44 || s[i] == 61) { i += 1 }
            return String(decoding: s[start..<i], as: UTF8.self)
        }
        let space: Set<UInt8> = [32, 9]
        let sep: Set<UInt8> = [32, 9, 44]
        while i < s.count {
            skip(sep)
            let scheme = token()
            guard !scheme.isEmpty else {
                if i < s.count { i += 1 }
                continue
            }
            var params: [String: String] = [:]
            while i < s.count {
                skip(sep)
                let mark = i
                let key = token()
                skip(space)
                guard i < s.count, s[i] == 61, !key.isEmpty else {
                    // Not `key=`: the start of the next challenge.
                    i = mark
                    break
                }
                i += 1
                skip(space)
                var value: [UInt8] = []
                if i < s.count, s[i] == 34 {
                    i += 1
                    while i < s.count, s[i] != 34 {
                        if s[i] == 92, i + 1 < s.count { i += 1 }
                        value.append(s[i])
                        i += 1
                    }
                    if i < s.count { i += 1 }
                } else {
                    while i < s.count, s[i] != 44, !space.contains(s[i]) { value.append(s[i]); i += 1 }
                }
                params[key.lowercased()] = String(decoding: value, as: UTF8.self)
            }
            out.append(Challenge(scheme: scheme.lowercased(), parameters: params))
            if out.count > 16 { break }
        }
        return out
    }
}
