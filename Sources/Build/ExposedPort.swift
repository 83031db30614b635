import Foundation

/// EXPOSE's port specs as BuildKit reads them (dockerfile2llb/convert_expose.go): `80`, `53/udp`,
/// `8000-8002/tcp`, and the `[ip:][hostPort:]port` forms it accepts, checks and ignores.
enum ExposedPort {
    /// The `port/proto` keys of the image config's ExposedPorts, one per port of a range.
    static func parse(_ raw: String) throws -> [String] {
        func fail(_ why: String) -> BuildError { BuildError("EXPOSE \(raw): \(why)") }
        let parts = raw.unicodeScalars.split(separator: ":", omittingEmptySubsequences: false).map { String($0) }
        let n = parts.count
        var ip = n > 2 ? parts[..<(n - 2)].joined(separator: ":") : ""
        let host = n > 1 ? parts[n - 2] : ""
        let (port, proto) = parts[n - 1].splitOnce("/") ?? (parts[n - 1], "")
        guard !port.isEmpty else { throw fail("no port before the /") }
        guard ["", "tcp", "udp", "sctp"].contains(proto.lowercased()) else { throw fail("unknown protocol \(proto): use tcp, udp or sctp") }
        if ip.hasPrefix("[") {
            guard ip.hasSuffix("]"), ip.count > 1, !ip.dropFirst().dropLast().contains(where: { "[]".contains($0) }) else {
                throw fail("\(ip) is not an IP address")
            }
            ip = String(ip.dropFirst().dropLast())
        }
        guard ip.isEmpty || isAddress(ip) else { throw fail("\(ip) is not an IP address") }
        let (first, last) = try range(port, fail)
        if !host.isEmpty {
            let (h1, h2) = try range(host, fail)
            guard last - first == h2 - h1 || first == last else { throw fail("the host and container port ranges differ in size") }
        }
        let p = proto.isEmpty ? "tcp" : proto.lowercased()
        return (first...last).map { "\($0)/\(p)" }
    }

    /// `80` or `8000-8010`; ports are numbers from 0 to 65535.
    static func range(_ spec: String, _ fail: (String) -> BuildError) throws -> (Int, Int) {
        let (a, b) = spec.splitOnce("-") ?? (spec, "")
        func number(_ s: String) throws -> Int {
            guard let v = Int(s), (0...65535).contains(v) else { throw fail("ports are numbers from 0 to 65535") }
            return v
        }
        let first = try number(a)
        guard spec.unicodeScalars.contains("-"), a != b else { return (first, first) }
        let last = try number(b)
        guard last >= first else { throw fail("the range \(spec) ends before it starts") }
        return (first, last)
    }

    static func isAddress(_ s: String) -> Bool {
        var buf = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, s, &buf) == 1 || inet_pton(AF_INET6, s, &buf) == 1
    }
}
