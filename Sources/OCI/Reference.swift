/// An image reference, `[registry/]repository[:tag][@digest]`, with Docker's defaults
/// (`docker.io`, `library/` for one-part names on Docker Hub, `latest` when neither tag nor digest is given).
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    public var registry: String
    public var repository: String
    public var tag: String?
    public var digest: Digest?

    public init(registry: String, repository: String, tag: String? = nil, digest: Digest? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    public init(parsing input: String, defaultTag: Bool = true) throws {
        var rest = Substring(input)
        guard !rest.isEmpty, rest.count <= 4096 else { throw OCIError.invalidReference(input, "empty or too long") }
        if let at = rest.firstIndex(of: "@") {
            digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
            rest = rest[..<at]
        }
        let slash = rest.firstIndex(of: "/")
        if let slash {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" {
                registry = String(first)
                rest = rest[rest.index(after: slash)...]
            } else {
                registry = "docker.io"
            }
        } else {
            registry = "docker.io"
        }
        if let colon = rest.lastIndex(of: ":") {
            let t = String(rest[rest.index(after: colon)...])
            guard Reference.isValidTag(t) else {
                throw OCIError.invalidReference(input, "tag \"\(t)\" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
            }
            tag = t
            rest = rest[..<colon]
        }
        var repo = String(rest)
        guard Reference.isValidRepository(repo) else {
            throw OCIError.invalidReference(input, "repository must be lowercase letters, digits and separators (. _ __ -) between slashes")
        }
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = "docker.io" }
        if registry == "docker.io", !repo.contains("/") { repo = "library/" + repo }
        guard Reference.isValidRegistry(registry) else { throw OCIError.invalidReference(input, "bad registry host \"\(registry)\"") }
        repository = repo
        if defaultTag, tag == nil, digest == nil { tag = "latest" }
    }

    /// Whether the text names a registry host itself (`ghcr.io/a/b`, `localhost:5000/x`), rather than
    /// leaving it to Docker's default, which is how a local name like `hello:dev` is told apart.
    public static func namesRegistry(_ input: String) -> Bool {
        guard let slash = input.firstIndex(of: "/") else { return false }
        let first = input[..<slash]
        return first.contains(".") || first.contains(":") || first == "localhost"
    }

    public var description: String {
        var s = registry + "/" + repository
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// The name as Docker prints it: `ubuntu:22.04` rather than `docker.io/library/ubuntu:22.04`.
    public var familiar: String {
        var name = registry + "/" + repository
        if registry == "docker.io" {
            name = repository.hasPrefix("library/") ? String(repository.dropFirst(8)) : repository
        }
        if let tag { name += ":" + tag }
        if let digest { name += "@" + digest.description }
        return name
    }

    static func isValidTag(_ t: String) -> Bool {
        let u = Array(t.utf8)
        guard (1...128).contains(u.count) else { return false }
        func word(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        return word(u[0]) && u.dropFirst().allSatisfy { word($0) || $0 == 46 || $0 == 45 }
    }

    static func isValidRepository(_ r: String) -> Bool {
        guard !r.isEmpty, r.utf8.count <= 255 else { return false }
        for component in r.split(separator: "/", omittingEmptySubsequences: false) {
            let u = Array(component.utf8)
            func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 122) }
            guard let f = u.first, let l = u.last, alnum(f), alnum(l) else { return false }
            var i = 0
            while i < u.count {
                if alnum(u[i]) { i += 1; continue }
                // A separator run: ".", "_", "__" or any number of "-".
                var j = i
                while j < u.count, !alnum(u[j]) { j += 1 }
                let sep = String(decoding: u[i..<j], as: UTF8.self)
                guard sep == "." || sep == "_" || sep == "__" || sep.allSatisfy({ $0 == "-" }) else { return false }
                i = j
            }
        }
        return true
    }

    /// `host`, `host:port` or `[v6]:port`; a port is 1 to 65535 (so `oci:` or `a:b` is not a host).
    static func isValidRegistry(_ h: String) -> Bool {
        guard !h.isEmpty, h.utf8.count <= 255 else { return false }
        var host = Substring(h)
        var port: Substring?
        if h.hasPrefix("[") {
            guard let close = h.firstIndex(of: "]") else { return false }
            let inner = h[h.index(after: h.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" }) else { return false }
            let after = h[h.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { return false }
                port = after.dropFirst()
            }
        } else {
            if let colon = h.firstIndex(of: ":") {
                host = h[..<colon]
                port = h[h.index(after: colon)...]
            }
            guard !host.isEmpty, host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" }),
                  host.first != "-", host.first != "." else { return false }
        }
        if let port {
            guard (1...5).contains(port.count), port.allSatisfy(\.isASCII), let n = Int(port), (1...65535).contains(n) else { return false }
        }
        return true
    }
}
