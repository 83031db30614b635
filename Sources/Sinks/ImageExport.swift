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

    /// Writes (or adds to) an OCI layout directory; an existing entry with the same ref name is
    /// replaced and every other entry kept. Blobs are copies, never links into the store.
    public func writeLayout(to dir: String, refName: String?) throws {
        let fm = FileManager.default
        var manifests = try Self.existingEntries(in: dir).filter {
            refName == nil || $0.annotations?[OCILayout.refNameAnnotation] != refName
        }
        try fm.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
        var seen = Set<Digest>()
        for b in try store.closure(of: image) where seen.insert(b.digest).inserted {
            try place(b, in: dir)
        }
        var d = image
        d.platform = nil
        if let refName { d.annotations = [OCILayout.refNameAnnotation: refName] }
        manifests.append(d)
        try AtomicFile.write(Self.layoutMarker, to: dir + "/oci-layout", tempPath: Self.tempPath(dir + "/oci-layout"))
        try AtomicFile.write(try CanonicalJSON.encode(ImageIndex(manifests: manifests)), to: dir + "/index.json",
                             tempPath: Self.tempPath(dir + "/index.json"))
    }

    /// The entries of a layout's index.json; one that cannot be read is an error, since replacing
    /// it would lose every image it names.
    static func existingEntries(in dir: String) throws -> [Descriptor] {
        let path = dir + "/index.json"
        var st = stat()
        guard lstat(path, &st) == 0 else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExportError.io(path, "cannot be read (\(String(cString: strerror(errno)))); fix it or choose another dest")
        }
        do {
            return try CanonicalJSON.decode(ImageIndex.self, from: data).manifests
        } catch {
            throw ExportError.io(path, "is not an OCI image index (\(error)); move it away or choose another dest")
        }
    }

    /// Copies one blob into the layout. One already there under its name is kept only if it
    /// hashes to that name; anything else there (damaged, a link) is replaced.
    func place(_ b: Descriptor, in dir: String) throws {
        let dest = "\(dir)/blobs/\(b.digest.algorithm)/\(b.digest.hex)"
        var st = stat()
        if lstat(dest, &st) == 0, st.st_mode & S_IFMT == S_IFREG, Int64(st.st_size) == b.size,
           (try? Digest.sha256(fileAt: dest)) == b.digest {
            return
        }
        let tmp = Self.tempPath(dest)
        try FileCopy.copy(store.blobPath(b.digest), to: tmp, shown: dest)
        try AtomicFile.commit(tempPath: tmp, to: dest)
    }

    /// A name beside `path` for writing it whole before it takes its place.
    static func tempPath(_ path: String) -> String { "\(path).tmp-\(getpid())-\(UUID().uuidString)" }

    /// Writes an OCI layout as one tar file.
    /// The index names the image as buildx does (`io.containerd.image.name` and the tag as
    /// `org.opencontainers.image.ref.name`), so `podman load` and `ctr import` give it its name.
    public func writeLayoutTar(to path: String, name: Reference?) throws {
        let tar = try TarFile(path: path)
        try tar.add("oci-layout", data: Self.layoutMarker)
        try tar.add("index.json", data: try index(refName: name?.tag ?? "latest", extra: name.map { ["io.containerd.image.name": $0.description] } ?? [:]))
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

    /// The manifest a classic loader loads for `platform` (the image itself when it is a single
    /// manifest), and whether every loader takes that one from the whole index too: with no
    /// platform= asked, when the index has one for this machine, which is what podman and Docker
    /// pick from it.
    func pick(_ platform: Platform?) throws -> (descriptor: Descriptor, manifest: ImageManifest, wholeIndexAgrees: Bool) {
        let view = ImageView(image, source: store, name: "type=docker")
        if !view.isIndex { return (image, try view.manifest(image), true) }
        do {
            let found = try view.image(for: platform ?? .host)
            return (found.descriptor, found.manifest, platform == nil)
        } catch OCIError.noImage(_, let want, let offered) {
            // Without platform=, an image that has none for this machine still loads: its first.
            if platform == nil, let first = try view.manifests().first { return (first, try view.manifest(first), false) }
            throw ExportError.badOutput("type=docker", "the image has no \(want) manifest (it has \(offered.joined(separator: ", "))); pick one with platform=…")
        }
    }

    /// Writes a tarball for `docker load` and `podman load`: an OCI layout and a manifest.json,
    /// both naming the one image a loader takes (the host's unless `platform` says otherwise).
    /// podman reads the layout's index.json and Docker (before its containerd store) manifest.json;
    /// so that both load the same platform, the layout holds every platform only when no platform
    /// was asked and the index has one for this machine, and otherwise that one image alone.
    func writeDockerArchive(to target: TarFile.Target, repoTags: [String], imageName: String?, platform: Platform?) throws {
        let picked = try pick(platform)
        let m = picked.manifest
        struct Entry: Encodable {
            var Config: String
            var RepoTags: [String]
            var Layers: [String]
        }
        let entry = Entry(Config: "blobs/sha256/\(m.config.digest.hex)", RepoTags: repoTags,
                          Layers: m.layers.map { "blobs/sha256/\($0.digest.hex)" })
        let named = picked.wholeIndexAgrees ? self : ImageExport(store: store, image: picked.descriptor)
        let tar = try TarFile(target)
        try tar.add("oci-layout", data: Self.layoutMarker)
        let extra = imageName.map { ["io.containerd.image.name": $0] } ?? [:]
        let refName = imageName.flatMap { try? Reference(parsing: $0) }?.tag
        try tar.add("index.json", data: try named.index(refName: refName, extra: extra))
        try tar.add("manifest.json", data: try CanonicalJSON.encode([entry]))
        try named.addBlobs(to: tar)
        try tar.finish()
    }
}
