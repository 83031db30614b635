/// A target platform; arm64 is normalised the way BuildKit and containerd do it (`arm64` and `arm64/v8` are one).
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/arch[/variant]` and normalises it.
    public init(parsing s: String) throws {
        let parts = s.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw OCIError.invalidPlatform(s, "wrong number of parts")
        }
        guard parts.allSatisfy({ $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }) else {
            throw OCIError.invalidPlatform(s, "unexpected character")
        }
        var arch = parts[1]
        var variant = parts.count == 3 ? parts[2] : nil
        switch arch {
        case "x86_64", "x86-64": arch = "amd64"
        case "aarch64": arch = "arm64"
        case "i386", "i686": arch = "386"
        case "armhf": arch = "arm"; variant = variant ?? "v7"
        case "armel": arch = "arm"; variant = variant ?? "v6"
        default: break
        }
        if arch == "arm64", variant == "v8" { variant = nil }
        if arch == "arm", variant == nil { variant = "v7" }
        if arch == "amd64", variant == "v1" { variant = nil }
        let known: Set<String> = ["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le", "loong64"]
        guard known.contains(arch) else { throw OCIError.invalidPlatform(s, "unknown architecture \"\(arch)\"") }
        guard ["linux", "windows", "freebsd", "darwin"].contains(parts[0]) else {
            throw OCIError.invalidPlatform(s, "unknown os \"\(parts[0])\"")
        }
        self.init(os: parts[0], architecture: arch, variant: variant)
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    /// The platform this binary runs on, as Docker names it.
    public static var host: Platform {
        #if arch(arm64)
        return Platform(os: "linux", architecture: "arm64")
        #else
        return Platform(os: "linux", architecture: "amd64")
        #endif
    }

    /// Whether an image entry for `other` serves this platform (arm64 v8 and no variant match).
    public func matches(_ other: Platform) -> Bool {
        guard os == other.os, architecture == other.architecture else { return false }
        func norm(_ p: Platform) -> String? {
            if p.architecture == "arm64", p.variant == "v8" { return nil }
            if p.architecture == "arm", p.variant == nil { return "v7" }
            return p.variant
        }
        return norm(self) == norm(other)
    }
}
