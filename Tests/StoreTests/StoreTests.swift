import Foundation
import OCI
import Store
import TestSupport
import Testing

@Suite struct StoreTests {
    @Test func blobsAreStoredByDigestAndVerified() throws {
        let root = try makeTempDir("store")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try Store(root: root)
        let d = try store.putBlob(Data("hello".utf8))
        #expect(d == Digest.sha256("hello"))
        #expect(try store.readBlob(d) == Data("hello".utf8))
        #expect(try store.verify().corrupt.isEmpty)
        // Damage the blob behind the store's back: verify must name it.
        try Data("jello".utf8).write(to: URL(fileURLWithPath: store.blobPath(d)))
        #expect(try store.verify().corrupt == [d])
    }

    @Test func pruneKeepsWhatImagesAndTheCacheNeed() throws {
        let root = try makeTempDir("prune")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try Store(root: root)
        let layer = try store.putBlob(Data("layer".utf8))
        let orphan = try store.putBlob(Data("orphan".utf8))
        let cfg = try Blob(json: ImageConfig(platform: Platform(os: "linux", architecture: "amd64")), mediaType: MediaType.ociConfig)
        try store.putBlob(cfg.data)
        let m = try Blob(json: ImageManifest(config: cfg.descriptor, layers: [Descriptor(mediaType: MediaType.ociLayerGzip, digest: layer, size: 5)]),
                         mediaType: MediaType.ociManifest)
        try store.putBlob(m.data)
        try store.tag("x:1", m.descriptor)
        let cached = try store.putBlob(Data("cached".utf8))
        try store.recordLayer(key: Digest.sha256("key"), LayerRecord(
            descriptor: Descriptor(mediaType: MediaType.ociLayerGzip, digest: cached, size: 6), diffID: cached))
        try Data("partial".utf8).write(to: URL(fileURLWithPath: store.tempPath()))

        let r = try store.prune(all: false)
        #expect(r.blobsRemoved == 1)
        #expect(r.tempFilesRemoved == 1)
        #expect(!store.hasBlob(orphan))
        #expect(store.hasBlob(layer) && store.hasBlob(cached) && store.hasBlob(m.descriptor.digest))
        #expect(store.cachedLayer(key: Digest.sha256("key")) != nil)

        let all = try store.prune(all: true)
        #expect(all.recordsRemoved == 1)
        #expect(!store.hasBlob(cached))
        #expect(store.hasBlob(layer))
        #expect(try store.image(named: "x:1") == m.descriptor)
    }

    @Test func defaultRootFollowsTheEnvironment() {
        #expect(Store.defaultRoot(environment: ["IMAGECTL_HOME": "/a"]) == "/a")
        #expect(Store.defaultRoot(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"]) == "/x/imagectl")
        #expect(Store.defaultRoot(environment: ["HOME": "/h"]) == "/h/.cache/imagectl")
    }
}
