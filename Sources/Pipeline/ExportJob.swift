import OCI
import Publish
import Registry
import Sinks
import Store

extension Pipeline {
    /// `imagectl export`: an image from the store, a layout, a tar or a registry, written to a sink.
    public static func export(_ image: String, to spec: OutputSpec, storeRoot: String, registries: Registries,
                              note: @escaping @Sendable (String) -> Void = { _ in }) throws -> Descriptor {
        guard let sink = spec.sink(note: note) else { throw PipelineError("export writes files; to copy to a registry use imagectl push or tag") }
        let store = try Store(root: storeRoot)
        defer { store.close() }
        let top = try ImageLocator.resolve(image, store: store, registries: registries, layers: true)
        _ = try registries.fetchMissing(top, store: store)
        try sink.write(top, from: store, names: (try? Reference(parsing: image)).map { [$0] } ?? [])
        // The digest of what was written: oci-mediatypes=false wrote the image under new digests.
        return spec.ociMediaTypes == false ? try store.withDockerMediaTypes(top, name: image) : top
    }
}
