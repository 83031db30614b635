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
        // What this handle wrote stays while it is open; a temp file no live lease owns goes.
        store.close()
        try Data("partial".utf8).write(to: URL(fileURLWithPath: store.tmpDir + "/layer-4194304-left-by-a-crash"))

        let r = try store.prune(all: false)
        #expect(r.blobsRemoved == 1)
        #expect(r.tempFilesRemoved == 1)
        #expect(!store.hasBlob(orphan))
        #expect(store.hasBlob(layer) && store.hasBlob(cached) && store.hasBlob(m.descriptor.digest))
        #expect(store.cachedLayer(key: Digest.sha256("key")) != nil)

        store.close()
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

@Suite struct LeaseTests {
    @Test func pruneKeepsWhatAnOpenHandleUsesUntilItCloses() throws {
        let root = try makeTempDir("lease")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let builder = try Store(root: root)
        let unnamed = try builder.putBlob(Data("not named yet".utf8))
        let manifest = try Blob(json: ImageManifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: unnamed, size: 13), layers: []),
                                mediaType: MediaType.ociManifest)
        try builder.putBlob(manifest.data)
        let pruner = try Store(root: root)
        #expect(try pruner.prune(all: true).blobsRemoved == 0)
        #expect(pruner.hasBlob(unnamed) && pruner.hasBlob(manifest.descriptor.digest))
        pruner.close()
        builder.close()
        #expect(try pruner.prune(all: true).blobsRemoved == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/leases").isEmpty)
    }

    @Test func aLeaseReachesWhatItsManifestReferences() throws {
        let root = try makeTempDir("lease-closure")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try Store(root: root)
        let layer = try writer.putBlob(Data("layer".utf8))
        let m = try Blob(json: ImageManifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: layer, size: 5), layers: []),
                         mediaType: MediaType.ociManifest)
        try writer.putBlob(m.data)
        try writer.tag("x:1", m.descriptor)
        writer.close()
        // A reader takes the name; the name then moves and the old image is no longer named.
        let reader = try Store(root: root)
        #expect(try reader.image(named: "x:1") == m.descriptor)
        try writer.tag("x:1", Descriptor(mediaType: MediaType.ociManifest, digest: layer, size: 5))
        #expect(try writer.prune(all: true).blobsRemoved == 0)
        #expect(FileManager.default.fileExists(atPath: reader.blobPath(layer)))
        reader.close()
    }
}
