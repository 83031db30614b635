import OCI

extension Store {
    /// The image under Docker's schema 2 media types (`oci-mediatypes=false`): its rewritten
    /// manifests and index are stored beside the originals, which stay as they are, so every
    /// output and push that asks for Docker's types gets the same documents and digests.
    public func withDockerMediaTypes(_ image: Descriptor, name: String) throws -> Descriptor {
        let converted = try DockerMediaTypes.convert(image, source: self, name: name)
        for document in converted.documents { _ = try putBlob(document.data) }
        return converted.top
    }
}
