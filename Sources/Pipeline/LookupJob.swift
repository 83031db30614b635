import Foundation
import OCI
import Registry
import Sinks
import Store

extension Pipeline {
    /// `imagectl inspect`: what an image in the store, a layout, a tar or a registry holds.
    public static func inspect(_ image: String, storeRoot: String, registries: Registries) throws -> ImageReport {
        let store = try Store(root: storeRoot)
        defer { store.close() }
        return try ImageReport(store: store, top: try ImageLocator.resolve(image, store: store, registries: registries))
    }

    /// `imagectl digest`: the digest a name in the store, or a registry reference, resolves to.
    public static func digest(_ image: String, storeRoot: String, registries: Registries) throws -> Digest {
        if !Reference.namesRegistry(image) {
            let store = try Store(root: storeRoot)
            defer { store.close() }
            if let local = try? store.image(named: try Reference(parsing: image).familiar) { return local.digest }
        }
        let ref = try Reference(parsing: image)
        guard let d = try registries.client(ref.registry).headManifest(ref.repository, ref.pullReference) else {
            throw RegistryError.notFound(ref.description)
        }
        return d.digest
    }

    /// `imagectl login`: the credentials are tried against the registry before they are stored.
    public static func login(_ registry: String, _ credential: Credential, options: RegistryOptions) throws -> String {
        let host = RegistryHost.normalise(registry)
        var options = options
        options.explicit = credential
        try RegistryClient(registry: host, options: options).checkLogin()
        try options.credentials.save(host, credential)
        return host
    }
}
