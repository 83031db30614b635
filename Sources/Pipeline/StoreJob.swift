import Foundation
import Registry
import Release
import Store

extension Pipeline {
    /// Opens the store for one call and closes it (its lease ends) whatever happens.
    static func withStore<T>(_ root: String, _ body: (Store) throws -> T) throws -> T {
        let store = try Store(root: root)
        defer { store.close() }
        return try body(store)
    }

    /// `imagectl cache du`.
    public static func usage(storeRoot: String) throws -> Store.Usage { try withStore(storeRoot) { $0.usage() } }

    /// `imagectl cache prune`.
    public static func prune(all: Bool, storeRoot: String) throws -> Store.PruneResult { try withStore(storeRoot) { try $0.prune(all: all) } }

    /// `imagectl cache verify`.
    public static func verify(storeRoot: String) throws -> Store.VerifyResult { try withStore(storeRoot) { try $0.verify() } }

    /// `imagectl images`.
    public static func images(storeRoot: String) throws -> [NamedImage] { try withStore(storeRoot) { $0.images() } }

    /// `imagectl tags --from-git`: what --tags-from-git would push.
    public static func gitTags(defaultBranch: String?) throws -> [String] {
        let env = ProcessInfo.processInfo.environment
        let git = try GitContext.current(environment: env, defaultBranch: defaultBranch)
        let tags = try git.tags(shortShaLength: try GitContext.shortShaLength(env))
        guard !tags.isEmpty else { throw ReleaseError("no tags from git for \(git.ref): tags come from a branch") }
        return tags
    }

    /// `imagectl logout`: true when credentials were stored for the registry.
    public static func logout(_ registry: String) throws -> (host: String, removed: Bool) {
        let host = RegistryHost.normalise(registry)
        return (host, try CredentialStore().remove(host))
    }
}
