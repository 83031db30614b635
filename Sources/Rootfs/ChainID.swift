import OCI

/// The OCI image spec's chain ID: a layer named with every layer below it, so the same diff on
/// another parent is another snapshot.
public enum ChainID {
    public static func of(_ diffIDs: [Digest]) -> [Digest] {
        var out: [Digest] = []
        for d in diffIDs {
            out.append(out.last.map { Digest.sha256(Array("\($0) \(d)".utf8)) } ?? d)
        }
        return out
    }
}
