import Foundation
import OCI
import Registry
import Store

/// Finds an image by what a user typed: a store name, a registry reference, an OCI layout or a tar.
public enum ImageLocator {
    public static func resolve(_ spec: String, store: Store, registries: Registries, layers: Bool = false) throws -> Descriptor {
        let fm = FileManager.default
        var path = spec
        var tag: String?
        if let colon = spec.lastIndex(of: ":"), !spec[colon...].contains("/"), fm.fileExists(atPath: String(spec[..<colon])) {
            path = String(spec[..<colon])
            tag = String(spec[spec.index(after: colon)...])
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            return try LayoutImport.importImage(at: path, isDirectory: isDir.boolValue, tag: tag, store: store)
        }
        let ref = try Reference(parsing: spec)
        if !Reference.namesRegistry(spec), let local = try? store.image(named: ref.familiar) { return local }
        return try registries.pull(ref, into: store, layers: layers)
    }
}
