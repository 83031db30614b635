import Foundation
import OCI
import Store

/// Writes an image from the store as an OCI layout (a directory or a tar) or as a tarball that
/// `docker load` and `podman load` accept (Docker 25's layout: manifest.json beside an OCI layout).
public struct ImageExport {
    let store: Store
    let image: Descriptor

    public init(store: Store, image: Descriptor) {
        self.store = store
        self.image = image
    }

    static let layoutMarker = Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

    func index(refName: String?, extra: [String: String] = [:]) throws -> Data {
        var d = image
        var annotations = extra
        if let refName { annotations[OCILayout.refNameAnnotation] = refName }
        d.annotations = annotations.isEmpty ? nil : annotations
        d.platform = nil
        return try CanonicalJSON.encode(ImageIndex(manifests: [d]))
    }

    /// Writes (or adds to) an OCI layout directory; an existing entry with the same ref name is replaced.
    public func writeLayout(to dir: String, refName: String?) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
        for d in Set(try store.closure(of: image).map(\.digest)).sorted() {
            let dest = "\(dir)/blobs/\(d.algorithm)/\(d.hex)"
            if fm.fileExists(atPath: dest) { continue }
            let tmp = dest + ".tmp-\(getpid())"
            unlink(tmp)
            // A hard link costs nothing when the layout is on the store's filesystem; blobs are immutable.
            if link(store.blobPath(d), tmp) != 0 {
                do { try fm.copyItem(atPath: store.blobPath(d), toPath: tmp) } catch {
                    unlink(tmp)
                    throw ExportError.io(dest, SystemError.foundation(error)?.reason ?? "cannot be copied")
                }
            }
            guard rename(tmp, dest) == 0 else { throw ExportError.io(dest, String(cString: strerror(errno))) }
        }
        var manifests: [Descriptor] = []
        if let data = fm.contents(atPath: dir + "/index.json"), let old = try? CanonicalJSON.decode(ImageIndex.self, from: data) {
            manifests = old.manifests.filter { refName == nil || $0.annotations?[OCILayout.refNameAnnotation] != refName }
        }
        var d = image
        d.platform = nil
        if let refName { d.annotations = [OCILayout.refNameAnnotation: refName] }
        manifests.append(d)
        try AtomicFile.write(Self.layoutMarker, to: dir + "/oci-layout", tmpDir: dir)
        try AtomicFile.write(try CanonicalJSON.encode(ImageIndex(manifests: manifests)), to: dir + "/index.json", tmpDir: dir)
    }

    /// Writes an OCI layout as one tar file.
    public func writeLayoutTar(to path: String, refName: String?) throws {
        let tar = try TarFile(path: path)
        try tar.add("oci-layout", data: Self.layoutMarker)
        try tar.add("index.json", data: try index(refName: refName))
        try addBlobs(to: tar)
        try tar.finish()
    }

    private func addBlobs(to tar: TarFile) throws {
        try tar.addDirectory("blobs")
        try tar.addDirectory("blobs/sha256")
        for d in Set(try store.closure(of: image).map(\.digest)).sorted() {
            try tar.add("blobs/\(d.algorithm)/\(d.hex)", file: store.blobPath(d))
        }
    }

    /// The manifest to load for `platform` (the image itself when it is a single manifest).
    func pick(_ platform: Platform?) throws -> ImageManifest {
        if MediaType.isManifest(image.mediaType) {
            return try CanonicalJSON.decode(ImageManifest.self, from: try store.readBlob(image.digest))
        }
        let index = try CanonicalJSON.decode(ImageIndex.self, from: try store.readBlob(image.digest))
        let want = platform ?? .host
        guard let d = index.manifests.first(where: { $0.platform.map { $0.matches(want) } ?? false })
            ?? (platform == nil ? index.manifests.first : nil) else {
            let offered = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
            throw ExportError.badOutput("type=docker", "the image has no \(want) manifest (it has \(offered)); pick one with platform=…")
        }
        return try CanonicalJSON.decode(ImageManifest.self, from: try store.readBlob(d.digest))
    }

    /// Writes a tarball for `docker load`: the OCI layout with every platform, and a manifest.json
    /// naming the one platform a classic loader loads (the host's unless `platform` says otherwise).
    public func writeDockerArchive(to path: String, repoTags: [String], imageName: String?, platform: Platform?) throws {
        let m = try pick(platform)
        struct Entry: Encodable {
            var Config: String
            var RepoTags: [String]
            var Layers: [String]
        }
        let entry = Entry(Config: "blobs/sha256/\(m.config.digest.hex)", RepoTags: repoTags,
                          Layers: m.layers.map { "blobs/sha256/\($0.digest.hex)" })
        let tar = try TarFile(path: path)
        try tar.add("oci-layout", data: Self.layoutMarker)
        let extra = imageName.map { ["io.containerd.image.name": $0] } ?? [:]
        let refName = imageName.flatMap { try? Reference(parsing: $0) }?.tag
        try tar.add("index.json", data: try index(refName: refName, extra: extra))
        try tar.add("manifest.json", data: try CanonicalJSON.encode([entry]))
        try addBlobs(to: tar)
        try tar.finish()
    }

    /// Writes the image as an `--output` spec asks; `names` are the image's names (`-t`), the first
    /// naming the layout's ref and the docker archive's image.
    public func write(_ spec: OutputSpec, names: [Reference]) throws {
        guard let dest = spec.dest else { return }
        let ref = spec.name.flatMap { try? Reference(parsing: $0) } ?? names.first
        switch spec.kind {
        case .oci:
            let refName = ref?.tag ?? "latest"
            if spec.isTar { try writeLayoutTar(to: dest, refName: refName) } else { try writeLayout(to: dest, refName: refName) }
        case .docker:
            let tags = spec.name.map { [$0] } ?? names.map(\.familiar)
            try writeDockerArchive(to: dest, repoTags: tags, imageName: ref?.description, platform: spec.platform)
        case .registry:
            break
        }
    }
}
