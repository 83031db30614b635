/// Errors of the image model; each message names what was wrong and how to fix it.
public enum OCIError: Error, CustomStringConvertible, Equatable {
    case invalidDigest(String)
    case invalidPlatform(String, String)
    case invalidReference(String, String)
    case io(String, String)
    case invalidLayout(String, String)
    case noImage(String, platform: String, offered: [String])
    /// An image that Docker's schema 2 media types cannot describe (`oci-mediatypes=false`).
    case noDockerForm(String, String)

    public var description: String {
        switch self {
        case .invalidDigest(let s):
            return "invalid digest \"\(s)\": expected sha256: followed by 64 lowercase hex digits"
        case .invalidPlatform(let s, let why):
            return "invalid platform \"\(s)\": \(why) (expected os/arch[/variant], e.g. linux/amd64 or linux/arm64)"
        case .invalidReference(let s, let why):
            return "invalid image reference \"\(s)\": \(why)"
        case .io(let path, let why):
            return "\(path): \(why)"
        case .invalidLayout(let path, let why):
            return "\(path): not a usable OCI image layout: \(why)"
        case .noImage(let name, let platform, let offered):
            return "\(name): no image for \(platform) (it offers \(offered.isEmpty ? "none" : offered.joined(separator: ", ")))"
        case .noDockerForm(let name, let why):
            return "oci-mediatypes=false: \(name) \(why)"
        }
    }
}
