import Build
import Foundation
import OCI
import Testing

/// A base image's config names each layer's uncompressed digest; a layer that is read must be
/// what it claims, whether it is read now or was read by an earlier build into the same store.
@Suite struct DiffIDTests {
    /// A layout of `image` whose config claims `lie` for layer `index` (nil: the truth).
    func layout(_ base: Fixture, _ image: Descriptor, at dir: String, lying index: Int?) throws {
        try OCILayoutTestWriter.write(store: base.store, image: image, to: dir, tag: "v1")
        guard let index else { return }
        let manifest = try base.manifest(image)
        var config = try base.config(image)
        config.rootfs.diffIDs[index] = Digest.sha256("not this layer")
        let configData = try CanonicalJSON.encode(config)
        var lying = manifest
        lying.config = Descriptor(mediaType: manifest.config.mediaType, digest: Digest.sha256(configData), size: Int64(configData.count))
        let manifestData = try CanonicalJSON.encode(lying)
        let top = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256(manifestData), size: Int64(manifestData.count),
                             annotations: [OCILayout.refNameAnnotation: "v1"])
        try configData.write(to: URL(fileURLWithPath: "\(dir)/blobs/sha256/\(lying.config.digest.hex)"))
        try manifestData.write(to: URL(fileURLWithPath: "\(dir)/blobs/sha256/\(top.digest.hex)"))
        try CanonicalJSON.encode(ImageIndex(manifests: [top])).write(to: URL(fileURLWithPath: dir + "/index.json"))
    }

    func base() throws -> (Fixture, Descriptor) {
        let base = try Fixture()
        try base.file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        try base.file("srv/data.txt", "data")
        return (base, try base.build("FROM scratch\nCOPY etc/ /etc/\nCOPY srv/ /srv/\n").descriptor)
    }

    @Test(arguments: [0, 1])
    func aLyingConfigIsRefusedWhenItsLayerIsRead(_ lyingLayer: Int) throws {
        let (base, image) = try base()
        let f = try Fixture()
        defer { base.remove(); f.remove() }
        try layout(base, image, at: f.context + "/lying", lying: lyingLayer)
        // WORKDIR reads the stage's filesystem, and so every layer.
        #expect {
            try f.build("FROM oci-layout://lying:v1\nWORKDIR /app\n")
        } throws: { error in
            let text = "\(error)"
            return !text.contains("\n") && text.contains("oci-layout://lying:v1: layer sha256:")
                && text.contains("but the image's config says \(Digest.sha256("not this layer"))")
        }
        #expect((try FileManager.default.contentsOfDirectory(atPath: f.store.tmpDir)).isEmpty)
    }

    @Test func theTruthBuildsAndALieIsCaughtFromWhatTheStoreRecorded() throws {
        let (base, image) = try base()
        let f = try Fixture()
        defer { base.remove(); f.remove() }
        try layout(base, image, at: f.context + "/good", lying: nil)
        try layout(base, image, at: f.context + "/lying", lying: 1)
        let built = try f.build("FROM oci-layout://good:v1\nWORKDIR /app\n")
        #expect(try f.manifest(built.descriptor).layers.count == 3)
        // The same layer blobs, now known to the store: the lie is caught without a new listing.
        #expect(throws: (any Error).self) { try f.build("FROM oci-layout://lying:v1\nWORKDIR /app\n") }
        // A build that never reads the layers (config steps only) still works, as Docker's does.
        #expect(try f.manifest(f.build("FROM oci-layout://lying:v1\nENV A=1\n").descriptor).layers.count == 2)
    }
}
