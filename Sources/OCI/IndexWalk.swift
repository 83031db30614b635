/// Walks an image index and the indexes nested in it, as documents from outside (a registry, a
/// layout someone sent) describe them: each descriptor once, however often it is named, within a
/// depth and a total count, so a few kB of indexes naming each other cannot take memory or time.
public enum IndexWalk {
    /// Real images nest an index in an index at most once or twice (attestations, buildx's
    /// `--output type=oci` of an index); deeper is a crafted document.
    public static let maxDepth = 8
    /// Descriptors one walk may visit in all.
    public static let maxDescriptors = 10_000

    /// Every descriptor reachable from `roots` (indexes and manifests, roots included), breadth
    /// first, each digest once; `children` reads an index's own `manifests`. `what` names the
    /// document in errors.
    public static func descriptors(from roots: [Descriptor], what: String,
                                   children: (Descriptor) throws -> [Descriptor]) throws -> [Descriptor] {
        var seen = Set<Digest>()
        var out: [Descriptor] = []
        var level = roots
        var depth = 0
        while !level.isEmpty {
            var next: [Descriptor] = []
            for d in level where seen.insert(d.digest).inserted {
                out.append(d)
                guard out.count <= maxDescriptors else {
                    throw OCIError.invalidLayout(what, "its indexes name more than \(maxDescriptors) manifests")
                }
                if MediaType.isIndex(d.mediaType) {
                    guard depth < maxDepth else {
                        throw OCIError.invalidLayout(what, "indexes nested more than \(maxDepth) deep")
                    }
                    next += try children(d)
                }
            }
            level = next
            depth += 1
        }
        return out
    }
}
