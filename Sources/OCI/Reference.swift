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

    /// Parses a reference as Docker's `ParseNormalizedNamed` does (distribution/reference).
    public init(parsing input: String, defaultTag: Bool = true) throws {
        var rest = Substring(input)
        guard !rest.isEmpty, rest.utf8.count <= 4096 else { throw OCIError.invalidReference(input, "empty or too long") }
        if input.utf8.count == 64, input.utf8.allSatisfy(Reference.isLowerHex) {
            throw OCIError.invalidReference(input, "64 hex digits are an image ID, not a repository name: name the image, or pin it as NAME@sha256:…")
        }
        if let at = rest.firstIndex(of: "@") {
            digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
            rest = rest[..<at]
        }
        let domain: Substring?
        (domain, rest) = Reference.splitDomain(rest)
        registry = domain.map(String.init) ?? "docker.io"
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
        guard repo.utf8.count <= 255 else {
            throw OCIError.invalidReference(input, "the repository name \(repo) is longer than 255 characters")
        }
        guard Reference.isValidRegistry(registry) else {
            throw OCIError.invalidReference(input, "bad registry host \"\(registry)\": dot-separated names of letters, digits and inner dashes (or [IPv6]), and an optional :port")
        }
        repository = repo
        if defaultTag, tag == nil, digest == nil { tag = "latest" }
    }

    /// Docker's `splitDockerDomain`: the first of several elements names a registry when it holds a
    /// `.` or a `:`, is `localhost`, or has a capital letter (which no repository may have).
    static func splitDomain(_ name: Substring) -> (domain: Substring?, rest: Substring) {
        guard let slash = name.firstIndex(of: "/") else { return (nil, name) }
        let first = name[..<slash]
        guard first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: \.isUppercase) else {
            return (nil, name)
        }
        return (first, name[name.index(after: slash)...])
    }

    /// Whether the text names a registry host itself (`ghcr.io/a/b`, `localhost:5000/x`), rather than
    /// leaving it to Docker's default, which is how a local name like `hello:dev` is told apart.
    public static func namesRegistry(_ input: String) -> Bool {
        splitDomain(Substring(input)).domain != nil
    }

    /// What a pull asks the registry for: the digest when there is one, else the tag. A tag beside
    /// a digest stays in the name, but the digest decides, as Docker's `ParseDockerRef` has it.
    public var pullReference: String { digest?.description ?? tag ?? "latest" }

    public var description: String {
        var s = registry + "/" + repository
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// The name as Docker prints it: `ubuntu:22.04` rather than `docker.io/library/ubuntu:22.04`;
    /// `library/` stays before a deeper path (`library/foo/bar`), which would read back as `foo/bar`.
    public var familiar: String {
        var name = registry + "/" + repository
        if registry == "docker.io" {
            let official = repository.dropFirst("library/".count)
            name = repository.hasPrefix("library/") && !official.contains("/") ? String(official) : repository
        }
        if let tag { name += ":" + tag }
        if let digest { name += "@" + digest.description }
        return name
    }

    public static func isValidTag(_ t: String) -> Bool {
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

    /// Docker's domain grammar: `host`, `host:port` or `[v6]:port`, where a host is dot-separated
    /// names of ASCII letters and digits with dashes only inside them; a port is 1 to 65535 here (so
    /// `oci:` or `a:b` is not a host).
    static func isValidRegistry(_ h: String) -> Bool {
        let u = Array(h.utf8)
        guard !u.isEmpty, u.count <= 255 else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        let hostEnd: Int
        if u[0] == 0x5b {
            guard let close = u.firstIndex(of: 0x5d), close > 1,
                  u[1..<close].allSatisfy({ isHex($0) || $0 == 0x3a }) else { return false }
            hostEnd = close + 1
        } else {
            hostEnd = u.firstIndex(of: 0x3a) ?? u.count
            let labels = u[..<hostEnd].split(separator: 0x2e, omittingEmptySubsequences: false)
            guard labels.allSatisfy({ l in
                guard let f = l.first, let last = l.last else { return false }
                return alnum(f) && alnum(last) && l.allSatisfy { alnum($0) || $0 == 0x2d }
            }) else { return false }
        }
        if hostEnd == u.count { return true }
        let port = u[(hostEnd + 1)...]
        guard u[hostEnd] == 0x3a, (1...5).contains(port.count), port.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let n = Int(String(decoding: port, as: UTF8.self)) else { return false }
        return (1...65535).contains(n)
    }

    static func isHex(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) }
    static func isLowerHex(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 102) }
}
