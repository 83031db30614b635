import OCI

/// An `--output` value as buildx spells it: `type=oci,dest=out.tar`, `type=docker,dest=img.tar,platform=linux/arm64`.
public struct OutputSpec: Sendable, Equatable {
    /// `image` is buildx's image exporter: the image named in the store, and pushed with `push=true`
    /// (or `--push`); `registry` is `image` with `push=true`.
    public enum Kind: String, Sendable { case oci, docker, registry, image, local, tar }

    public var kind: Kind
    public var dest: String?
    public var platform: Platform?
    public var name: String?
    /// `tar=true|false` for type=oci: a tar file or a layout directory (default: from dest).
    public var tar: Bool?
    /// `compression=gzip|zstd` and `compression-level=N`, as buildx takes them: the layers'.
    public var compression: String?
    /// `oci-mediatypes=true|false`; nil leaves the default, OCI's types (see the README).
    public var ociMediaTypes: Bool?
    /// Whether a `type=image` output pushes (`push=true`, or `--push`); `type=registry` always does.
    public var push = false

    public init(parsing spec: String) throws {
        // buildx's short forms: `-o DIR` is a local directory, `-o -` a tar on stdout.
        let spec = spec.contains("=") ? spec : spec == "-" ? "type=tar,dest=-" : "type=local,dest=\(spec)"
        var fields: [String: String] = [:]
        for part in spec.split(separator: ",") {
            guard let eq = part.firstIndex(of: "=") else {
                throw ExportError.badOutput(spec, "expected key=value pairs, as in type=oci,dest=out")
            }
            fields[String(part[..<eq]).lowercased()] = String(part[part.index(after: eq)...])
        }
        guard let type = fields.removeValue(forKey: "type"), let kind = Kind(rawValue: type) else {
            throw ExportError.badOutput(spec, "type must be oci, docker, image, registry, local or tar")
        }
        self.kind = kind
        dest = fields.removeValue(forKey: "dest")
        name = fields.removeValue(forKey: "name")
        if let p = fields.removeValue(forKey: "platform") { platform = try Platform(parsing: p) }
        if let t = fields.removeValue(forKey: "tar") {
            guard let b = Bool(t.lowercased()) else { throw ExportError.badOutput(spec, "tar takes true or false") }
            tar = b
        }
        if let c = fields.removeValue(forKey: "compression") {
            compression = c + (fields.removeValue(forKey: "compression-level").map { ",level=" + $0 } ?? "")
        } else if fields["compression-level"] != nil {
            throw ExportError.badOutput(spec, "compression-level goes with compression=gzip|zstd")
        }
        // Layers are compressed once, when they are built: forcing is what they already are.
        fields.removeValue(forKey: "force-compression")
        if let m = fields.removeValue(forKey: "oci-mediatypes") {
            guard let b = Bool(m.lowercased()) else { throw ExportError.badOutput(spec, "oci-mediatypes takes true or false") }
            guard [.oci, .docker, .registry, .image].contains(kind) else {
                throw ExportError.badOutput(spec, "oci-mediatypes is for image outputs (oci, docker, image, registry); type=\(kind) writes files")
            }
            // As BuildKit refuses it: zstd layers have no Docker media type.
            if !b, compression?.hasPrefix("zstd") == true {
                throw ExportError.badOutput(spec, "compression=zstd has no Docker media type: use compression=gzip with oci-mediatypes=false")
            }
            ociMediaTypes = b
        }
        if let p = fields.removeValue(forKey: "push") {
            guard kind == .registry || kind == .image, let b = Bool(p.lowercased()) else {
                throw ExportError.badOutput(spec, kind == .registry || kind == .image ? "push takes true or false" : "push is for type=image and type=registry")
            }
            if kind == .registry, !b {
                throw ExportError.badOutput(spec, "type=registry pushes; push=\(p) would build without pushing (use type=image or type=oci)")
            }
            push = b
        }
        if kind == .registry { push = true }
        if let unknown = fields.keys.sorted().first {
            throw ExportError.badOutput(spec, "unknown key \"\(unknown)\" (known: type, dest, name, platform, tar, compression, compression-level, oci-mediatypes, push)")
        }
        if kind != .registry, kind != .image, kind != .docker, dest == nil || dest!.isEmpty {
            throw ExportError.badOutput(spec, "needs dest=PATH (a directory, or a file ending in .tar)")
        }
        if kind == .docker, let d = dest {
            // buildx's type=docker without dest loads the image (--load); with one, it is a tarball.
            guard d.hasSuffix(".tar") || d == "-" else { throw ExportError.badOutput(spec, "type=docker writes a tarball: give dest=FILE.tar (or no dest, to load it as --load does)") }
        }
    }

    /// Whether the output is `docker load` or `podman load` (`type=docker` without dest, `--load`).
    public var isLoad: Bool { kind == .docker && dest == nil }

    /// Whether an OCI output goes to a tar file (or standard output, `dest=-`) rather than a directory.
    public var isTar: Bool { tar ?? (dest == "-" || (dest?.hasSuffix(".tar") ?? false)) }

    /// Whether the output goes to standard output, which then carries nothing else.
    public var isStandardOutput: Bool { dest == "-" }
}
