import Foundation
import OCI
import Publish
import Sinks
import Registry
import Store

/// Finds an image by what a user typed: a store name, a registry reference, an OCI layout or a tar.
public enum ImageLocator {
    public static func resolve(_ spec: String, store: Store, registries: Registries, layers: Bool = false) throws -> Descriptor {
        let fm = FileManager.default
        // skopeo's transport names, which users of peer tools type.
        if spec.hasPrefix("docker://") { return try resolve(String(spec.dropFirst(9)), store: store, registries: registries, layers: layers) }
        for transport in ["oci:", "oci-archive:"] where spec.hasPrefix(transport) {
            let rest = String(spec.dropFirst(transport.count))
            let bare = rest.lastIndex(of: ":").map { String(rest[..<$0]) }
            guard fm.fileExists(atPath: rest) || bare.map({ fm.fileExists(atPath: $0) }) == true else {
                throw OCIError.invalidReference(spec, "no OCI layout or archive at \(bare ?? rest)")
            }
            return try resolve(rest, store: store, registries: registries, layers: layers)
        }
        var path = spec
        var tag: String?
        if let colon = spec.lastIndex(of: ":"), !spec[colon...].contains("/"), fm.fileExists(atPath: String(spec[..<colon])) {
            path = String(spec[..<colon])
            tag = String(spec[spec.index(after: colon)...])
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            // A document of the layout that does not decode says what is wrong, not where: add where.
            do { return try LayoutImport.importImage(at: path, isDirectory: isDir.boolValue, tag: tag, store: store) } catch let e as JSONShapeError {
                throw OCIError.invalidLayout(path, "\(e)")
            }
        }
        let ref = try Reference(parsing: spec)
        if !Reference.namesRegistry(spec), let local = try? store.image(named: ref.familiar) { return local }
        return try registries.pull(ref, into: store, layers: layers)
    }
}
