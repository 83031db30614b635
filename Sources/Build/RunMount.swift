import Foundation

/// One `RUN --mount=…`, read as BuildKit's instructions/commands_runmount.go reads it.
struct RunMount: Equatable {
    enum Kind: String { case bind, cache, tmpfs, secret, ssh }
    enum Sharing: String { case shared, `private`, locked }

    var kind = Kind.bind
    var from: String?
    var source = ""
    var target = ""
    var readOnly = true
    var id = ""
    var sharing: Sharing?
    var required = false
    var sizeLimit: Int64?
    var mode: UInt32?
    var uid: UInt32?
    var gid: UInt32?
    var env: String?

    /// `value` is one --mount's CSV fields; words are expanded with `expand` except `from`.
    init(parsing value: String, expand: (String) throws -> String) throws {
        var roAuto = true
        for field in try RunMount.fields(value) {
            let (rawKey, rawValue) = field.splitOnce("=").map { ($0, Optional($1)) } ?? (field, nil)
            let key = rawKey.lowercased()
            guard var v = rawValue else {
                switch key {
                case "readonly", "ro": (readOnly, roAuto) = (true, false)
                case "readwrite", "rw": (readOnly, roAuto) = (false, false)
                case "required":
                    guard kind == .secret || kind == .ssh else { throw BuildError("unexpected key '\(key)' for mount type '\(kind.rawValue)'") }
                    required = true
                default: throw BuildError("invalid field '\(field)' must be a key=value pair")
                }
                continue
            }
            if key == "from" {
                if let i = v.firstIndex(of: "$"), i != v.index(before: v.endIndex) {
                    throw BuildError("'from' doesn't support variable expansion, define alias stage instead")
                }
            } else {
                v = try expand(v)
            }
            switch key {
            case "type":
                guard let k = Kind(rawValue: v.lowercased()) else { throw BuildError("unsupported mount type \"\(v)\" (bind, cache, tmpfs, secret)") }
                kind = k
            case "from": from = v
            case "source", "src": source = v
            case "target", "dst", "destination": target = v
            case "readonly", "ro": readOnly = try RunMount.bool(v, key); roAuto = false
            case "readwrite", "rw": readOnly = try !RunMount.bool(v, key); roAuto = false
            case "required":
                guard kind == .secret || kind == .ssh else { throw BuildError("unexpected key '\(key)' for mount type '\(kind.rawValue)'") }
                required = try RunMount.bool(v, key)
            case "size":
                guard kind == .tmpfs else { throw BuildError("unexpected key '\(key)' for mount type '\(kind.rawValue)'") }
                guard let n = RunMount.bytes(v) else { throw BuildError("invalid value for size: \(v)") }
                sizeLimit = n
            case "id": id = v
            case "sharing":
                guard let s = Sharing(rawValue: v.lowercased()) else { throw BuildError("unsupported sharing value \"\(v)\" (shared, private, locked)") }
                sharing = s
            case "mode":
                guard let m = UInt32(v, radix: 8) else { throw BuildError("invalid value \(v) for mode") }
                mode = m
            case "uid":
                guard let n = UInt32(v) else { throw BuildError("invalid value \(v) for uid") }
                uid = n
            case "gid":
                guard let n = UInt32(v) else { throw BuildError("invalid value \(v) for gid") }
                gid = n
            case "env": env = v
            default: throw BuildError("unexpected key '\(rawKey)' in '\(field)'")
            }
        }
        if ![Kind.secret, .ssh, .cache].contains(kind) {
            for (name, set) in [("mode", mode != nil), ("uid", uid != nil), ("gid", gid != nil)] where set {
                throw BuildError("\(name) not allowed for \"\(kind.rawValue)\" type mounts")
            }
        }
        if roAuto { readOnly = !(kind == .cache || kind == .tmpfs) }
        if kind == .secret {
            guard from == nil else { throw BuildError("secret mount should not have a from") }
            guard sharing == nil else { throw BuildError("secret mount should not define sharing") }
            guard !(source.isEmpty && target.isEmpty && id.isEmpty) else { throw BuildError("invalid secret mount. one of source, target required") }
            guard source.isEmpty || id.isEmpty else { throw BuildError("both source and id can't be set") }
        }
        if sharing != nil, kind != .cache { throw BuildError("invalid cache sharing set for \(kind.rawValue) mount") }
        if kind == .ssh { throw BuildError("RUN --mount=type=ssh is not supported: pass what the step needs as a secret") }
    }

    /// The secret's id: `source`, else `id`, else the target's base name (dispatchSecret).
    var secretID: String {
        if !source.isEmpty { return source }
        if !id.isEmpty { return id }
        return (target as NSString).lastPathComponent
    }

    /// Where the secret's file goes: the target, else /run/secrets/ID; none when it is only an env.
    var secretTarget: String? {
        if !target.isEmpty { return target }
        return env == nil ? "/run/secrets/" + (secretID as NSString).lastPathComponent : nil
    }

    /// CSV as go-csvvalue reads it: commas separate, double quotes group (`""` is a quote).
    static func fields(_ s: String) throws -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        var chars = Array(s)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { current.append("\""); chars = chars.dropFirst() } else { quoted = false }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                out.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        guard !quoted else { throw BuildError("failed to parse csv mounts: an unterminated quote in \(s)") }
        out.append(current)
        return out.filter { !$0.isEmpty }
    }

    static func bool(_ v: String, _ key: String) throws -> Bool {
        switch v.lowercased() {
        case "1", "t", "true": return true
        case "0", "f", "false": return false
        default: throw BuildError("invalid value for \(key): \(v)")
        }
    }

    /// docker/go-units' RAMInBytes: a number with an optional b, k, m, g, t (powers of 1024).
    static func bytes(_ v: String) -> Int64? {
        let lower = v.lowercased()
        let digits = lower.prefix { $0.isNumber || $0 == "." }
        guard let n = Double(digits), n >= 0 else { return nil }
        var unit = lower.dropFirst(digits.count)
        if unit.hasSuffix("b"), unit.count == 2 { unit = unit.dropLast() }
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "k": scale = 1024
        case "m": scale = 1024 * 1024
        case "g": scale = 1024 * 1024 * 1024
        case "t": scale = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = (n * scale).rounded(.down)
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes)
    }
}
