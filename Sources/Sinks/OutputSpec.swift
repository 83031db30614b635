import OCI

/// An `--output` value as buildx spells it: `type=oci,dest=out.tar`, `type=docker,dest=img.tar,platform=linux/arm64`.
public struct OutputSpec: Sendable, Equatable {
    public enum Kind: String, Sendable { case oci, docker, registry }

    public var kind: Kind
    public var dest: String?
    public var platform: Platform?
    public var name: String?

    public init(parsing spec: String) throws {
        var fields: [String: String] = [:]
        for part in spec.split(separator: ",") {
            guard let eq = part.firstIndex(of: "=") else {
                throw ExportError.badOutput(spec, "expected key=value pairs, as in type=oci,dest=out")
            }
            fields[String(part[..<eq]).lowercased()] = String(part[part.index(after: eq)...])
        }
        guard let type = fields.removeValue(forKey: "type"), let kind = Kind(rawValue: type) else {
            throw ExportError.badOutput(spec, "type must be oci, docker or registry")
        }
        self.kind = kind
        dest = fields.removeValue(forKey: "dest")
        name = fields.removeValue(forKey: "name")
        if let p = fields.removeValue(forKey: "platform") { platform = try Platform(parsing: p) }
        fields.removeValue(forKey: "tar")
        if let unknown = fields.keys.sorted().first {
            throw ExportError.badOutput(spec, "unknown key \"\(unknown)\" (known: type, dest, name, platform)")
        }
        if kind != .registry, dest == nil || dest!.isEmpty {
            throw ExportError.badOutput(spec, "needs dest=PATH (a directory, or a file ending in .tar)")
        }
        if kind == .docker, let d = dest, !d.hasSuffix(".tar"), d != "-" {
            throw ExportError.badOutput(spec, "type=docker writes a tarball: give dest=FILE.tar")
        }
    }

    /// Whether an OCI output goes to a tar file rather than a directory.
    public var isTar: Bool { dest?.hasSuffix(".tar") ?? false }
}
