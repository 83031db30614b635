import Foundation
import OCI
import Store

/// Somewhere a built image goes on this machine: an OCI layout (a directory or a tar), a tarball
/// for `docker load`, docker or podman itself. One conformer per output kind; a registry is not a
/// sink but a push.
public protocol ImageSink {
    /// Writes `image` (its blobs all in `store`); `names` are its names, the first naming it there.
    func write(_ image: Descriptor, from store: Store, names: [Reference]) throws
}

/// `type=oci,dest=DIR`: adds the image to a layout directory, keeping what else it holds.
public struct LayoutDirectorySink: ImageSink {
    public let path: String
    public let name: Reference?

    public func write(_ image: Descriptor, from store: Store, names: [Reference]) throws {
        try ImageExport(store: store, image: image).writeLayout(to: path, refName: (name ?? names.first)?.tag ?? "latest")
    }
}

/// `type=oci,dest=FILE.tar`: the layout as one tar file.
public struct LayoutTarSink: ImageSink {
    public let path: String
    public let name: Reference?

    public func write(_ image: Descriptor, from store: Store, names: [Reference]) throws {
        try ImageExport(store: store, image: image).writeLayoutTar(to: path, name: name ?? names.first)
    }
}

/// `type=docker,dest=FILE.tar[,platform=P]`: what `docker load` and `podman load` read.
public struct DockerArchiveSink: ImageSink {
    public let path: String
    public let name: String?
    public let platform: Platform?

    public func write(_ image: Descriptor, from store: Store, names: [Reference]) throws {
        let ref = name.flatMap { try? Reference(parsing: $0) } ?? names.first
        try ImageExport(store: store, image: image).writeDockerArchive(to: .path(path), repoTags: name.map { [$0] } ?? names.map(\.familiar),
                                                                       imageName: ref?.description, platform: platform)
    }
}

/// `oci-mediatypes=false`: the image under Docker's schema 2 media types, written by `inner`.
public struct DockerMediaTypesSink: ImageSink {
    public let inner: ImageSink

    public func write(_ image: Descriptor, from store: Store, names: [Reference]) throws {
        try inner.write(try store.withDockerMediaTypes(image, name: "the image"), from: store, names: names)
    }
}

extension OutputSpec {
    /// The sink this output writes to; nil for `type=registry` and `type=image`, which name and
    /// push. `note` hears what a loader said it loaded.
    public func sink(note: @escaping @Sendable (String) -> Void = { _ in }) -> ImageSink? {
        let ref = name.flatMap { try? Reference(parsing: $0) }
        let sink: ImageSink
        switch kind {
        case .oci:
            guard let dest else { return nil }
            sink = isTar ? LayoutTarSink(path: dest, name: ref) : LayoutDirectorySink(path: dest, name: ref)
        case .docker:
            if let dest {
                sink = DockerArchiveSink(path: dest, name: name, platform: platform)
            } else {
                sink = LoadSink(name: name, platform: platform, note: note)
            }
        case .local:
            guard let dest else { return nil }
            return RootfsDirectorySink(path: dest)
        case .tar:
            guard let dest else { return nil }
            return RootfsTarSink(path: dest)
        case .registry, .image: return nil
        }
        return ociMediaTypes == false ? DockerMediaTypesSink(inner: sink) : sink
    }
}
