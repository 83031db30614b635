/// Lexical path cleaning, written once, with the policy for `..` said at each call: a Containerfile's
/// paths stay at the root when they climb past it (Docker's rule for COPY sources, destinations,
/// WORKDIR and .dockerignore patterns), while a name inside an archive that climbs out is refused.
public enum CleanPath {
    public enum Above: Sendable {
        /// `..` at the root stays at the root, as `filepath.Clean("/" + p)` does.
        case clamp
        /// `..` at the root makes the whole path unusable.
        case refuse
    }

    /// `elements` (a path split at its slashes, as text or as bytes) with `.` dropped and each `..`
    /// taking back the element before it; nil when `above` is `.refuse` and the path climbs above
    /// its root. `isDot` and `isDotDot` tell the two special names in the elements' own type.
    public static func resolve<E>(_ elements: [E], above: Above, isDot: (E) -> Bool, isDotDot: (E) -> Bool) -> [E]? {
        var parts: [E] = []
        for p in elements {
            if isDot(p) { continue }
            if isDotDot(p) {
                if parts.isEmpty {
                    if above == .refuse { return nil }
                    continue
                }
                parts.removeLast()
                continue
            }
            parts.append(p)
        }
        return parts
    }

    /// The cleaned elements of a path written as text.
    public static func components(_ path: some StringProtocol, above: Above) -> [Substring]? {
        resolve(Substring(path).split(separator: "/"), above: above, isDot: { $0 == "." }, isDotDot: { $0 == ".." })
    }

    /// The cleaned path without a leading slash (`a/b`); "" for the root.
    public static func relative(_ path: some StringProtocol, above: Above) -> String? {
        components(path, above: above).map { $0.joined(separator: "/") }
    }

    /// The cleaned path of a name as the kernel or an archive carries it.
    public static func relative(_ path: PathBytes, above: Above) -> PathBytes? {
        resolve(path.components, above: above, isDot: { $0 == "." }, isDotDot: { $0 == ".." }).map { PathBytes(joining: $0) }
    }
}
