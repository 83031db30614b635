/// Lexical path cleaning, written once, with the policy for `..` said at each call: a Containerfile's
/// paths stay at the root when they climb past it (Docker's rule for COPY sources, destinations,
/// WORKDIR), a name inside an archive that climbs out is refused, and a .dockerignore pattern is
/// cleaned as Go's filepath.Clean cleans it (moby's reader does), `..` kept at the front.
public enum CleanPath {
    public enum Above: Sendable {
        /// `..` at the root stays at the root, as `filepath.Clean("/" + p)` does.
        case clamp
        /// `..` at the root makes the whole path unusable.
        case refuse
        /// `..` at the root stays, as `filepath.Clean` keeps it in a relative path (`../a`).
        case keep
    }

    /// `elements` (a path split at its slashes, as text or as bytes) with `.` dropped and each `..`
    /// taking back the element before it; nil when `above` is `.refuse` and the path climbs above
    /// its root. `isDot` and `isDotDot` tell the two special names in the elements' own type.
    public static func resolve<E>(_ elements: [E], above: Above, isDot: (E) -> Bool, isDotDot: (E) -> Bool) -> [E]? {
        var parts: [E] = []
        for p in elements {
            if isDot(p) { continue }
            if isDotDot(p) {
                if let last = parts.last, !isDotDot(last) {
                    parts.removeLast()
                    continue
                }
                switch above {
                case .refuse: return nil
                case .clamp: continue
                case .keep: parts.append(p)
                }
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

    /// Go's `filepath.Clean`: `..` stays at the root of an absolute path and in front of a relative
    /// one; "." for an empty result, "/" for the root.
    public static func filepathClean(_ path: [UInt8]) -> [UInt8] {
        let rooted = path.first == 0x2f
        let parts = resolve(path.split(separator: 0x2f), above: rooted ? .clamp : .keep,
                            isDot: { $0.elementsEqual([0x2e]) }, isDotDot: { $0.elementsEqual([0x2e, 0x2e]) }) ?? []
        let joined = Array(parts.joined(separator: [0x2f]))
        if rooted { return [0x2f] + joined }
        return joined.isEmpty ? [0x2e] : joined
    }
}
