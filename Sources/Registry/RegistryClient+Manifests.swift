import Foundation
import OCI

extension RegistryClient {
    /// Every manifest type imagectl reads; without an OCI type in Accept, registries 404 OCI manifests.
    static let manifestAccept = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest]
        .joined(separator: ", ")

    static func pull(_ repo: String) -> String { "repository:\(repo):pull" }
    static func push(_ repo: String) -> String { "repository:\(repo):pull,push" }

    /// Fetches a manifest or index by tag or digest and checks it before anything reads it: within
    /// the spec's 4 MB, the digest asked for (or the one the registry names), a known media type, and
    /// a document of that type's shape.
    public func manifest(_ repo: String, _ reference: String) throws -> (data: Data, descriptor: Descriptor) {
        let pin = try? Digest(parsing: reference)
        let name = "\(registry)/\(repo)\(pin != nil ? "@" : ":")\(reference)"
        let r: HTTPResponse
        do {
            r = try send("GET", "\(repo)/manifests/\(reference)", scope: scope(repo),
                         headers: [("Accept", RegistryClient.manifestAccept)], operation: "GET manifest \(repo):\(reference)")
        } catch RegistryError.tooLarge(_, let limit) {
            throw RegistryError.invalid("\(name): the manifest is larger than the \(limit >> 20) MB the distribution spec allows; nothing was kept")
        }
        if r.status == 404 { throw RegistryError.notFound(name) }
        guard r.status == 200 else { throw failure(r, operation: "GET manifest \(reference)", repository: repo) }
        // The pin, else the digest the registry names, is checked with its own algorithm (sha512 too).
        let claimed = try pin ?? r.header("docker-content-digest").map { header in
            do { return try Digest(parsing: header) } catch {
                throw RegistryError.invalid("\(name): the registry named the manifest by an invalid digest \"\(header.prefix(80))\"")
            }
        }
        if let claimed, !claimed.matches(r.body) {
            throw RegistryError.digestMismatch(name, expected: claimed.description, got: claimed.recomputed(r.body).description)
        }
        // The store names content by SHA-256: a sha512 pin, once verified, names the same bytes.
        let digest = claimed?.algorithm == "sha256" ? claimed! : Digest.sha256(r.body)
        var mediaType = r.header("content-type")?.split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
        if !MediaType.isIndex(mediaType) && !MediaType.isManifest(mediaType) {
            // Some registries answer application/json; the document says what it is.
            let probe = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any]
            mediaType = (probe?["mediaType"] as? String) ?? (probe?["manifests"] != nil ? MediaType.ociIndex : MediaType.ociManifest)
        }
        do {
            if MediaType.isIndex(mediaType) {
                _ = try CanonicalJSON.decode(ImageIndex.self, from: r.body)
            } else if MediaType.isManifest(mediaType) {
                _ = try CanonicalJSON.decode(ImageManifest.self, from: r.body)
            } else {
                throw RegistryError.invalid("\(name): unsupported manifest type \(mediaType.prefix(100)) (imagectl reads OCI and Docker v2 images and indexes)")
            }
        } catch let e as JSONShapeError {
            throw RegistryError.invalid("\(name): the registry answered an invalid manifest: \(e)")
        }
        return (r.body, Descriptor(mediaType: mediaType, digest: digest, size: Int64(r.body.count)))
    }

    /// The descriptor of a manifest, without its body, or nil when it is not there.
    public func headManifest(_ repo: String, _ reference: String) throws -> Descriptor? {
        let r = try send("HEAD", "\(repo)/manifests/\(reference)", scope: scope(repo),
                         headers: [("Accept", RegistryClient.manifestAccept)], operation: "HEAD manifest \(reference)")
        if r.status == 404 { return nil }
        guard r.status == 200 else { throw failure(r, operation: "HEAD manifest \(reference)", repository: repo) }
        guard let d = r.header("docker-content-digest").flatMap({ try? Digest(parsing: $0) }),
              let size = r.header("content-length").flatMap({ Int64($0) }) else { return nil }
        return Descriptor(mediaType: r.header("content-type") ?? "", digest: d, size: size)
    }

    /// Puts a manifest under a tag or its digest; the registry's digest must be ours.
    /// `blobs`, when given, are what the document names (an image's config and layers, an index's
    /// manifests): a registry that answers MANIFEST_BLOB_UNKNOWN right after they were confirmed
    /// (another push of the same image racing this one) gets one more try once a HEAD shows them there.
    public func putManifest(_ repo: String, _ reference: String, data: Data, mediaType: String, blobs: [Descriptor] = []) throws {
        let put = {
            try self.send("PUT", "\(repo)/manifests/\(reference)", scope: RegistryClient.push(repo),
                          headers: [("Content-Type", mediaType)], body: .data(data), operation: "PUT manifest \(repo):\(reference)")
        }
        var r = try put()
        if r.status == 400, RegistryClient.errorCodes(r.body).contains("MANIFEST_BLOB_UNKNOWN"), !blobs.isEmpty,
           try blobs.allSatisfy({ b in
               MediaType.isManifest(b.mediaType) || MediaType.isIndex(b.mediaType)
                   ? try headManifest(repo, b.digest.description)?.digest == b.digest : try blobExists(repo, b)
           }) {
            r = try put()
        }
        guard r.status == 201 || r.status == 200 else { throw failure(r, operation: "PUT manifest \(reference)", repository: repo) }
        let ours = Digest.sha256(data)
        if let theirs = r.header("docker-content-digest"), theirs != ours.description {
            throw RegistryError.digestMismatch("\(registry)/\(repo):\(reference)", expected: ours.description, got: theirs)
        }
    }

    /// Every tag of a repository, following `Link: <…>; rel="next"` pages (distribution, ghcr.io and
    /// Docker Hub serve a page at a time); the next page must be on the registry's own origin.
    public func tags(_ repo: String) throws -> [String] {
        var tags: [String] = []
        var path = "\(repo)/tags/list"
        let root = try baseURL()
        var visited = Set<String>()
        var bytes = 0
        for _ in 0..<RegistryClient.maxTagPages {
            let r = try send("GET", path, scope: scope(repo), operation: "list tags of \(repo)")
            bytes += r.body.count
            guard bytes <= RegistryClient.maxTagBytes else {
                throw RegistryError.invalid("\(registry)/\(repo): the tag list is larger than \(RegistryClient.maxTagBytes >> 20) MB; refused")
            }
            if r.status == 404 { throw RegistryError.notFound("\(registry)/\(repo)") }
            guard r.status == 200 else { throw failure(r, operation: "list tags", repository: repo) }
            let json = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any]
            tags += (json?["tags"] as? [String]) ?? []
            guard let next = r.headers["link"]?.lazy.compactMap(RegistryClient.nextLink).first else { return tags }
            let url = try URLRules(registry: registry, insecureHosts: options.insecureHosts).follow(next, from: root, what: "the next page of tags")
            guard Origin(url) == Origin(root) else {
                throw RegistryError.invalid("\(registry): the next page of tags is on another host (\(Origin(url)?.host ?? "?")); refused")
            }
            guard visited.insert(url).inserted else {
                throw RegistryError.invalid("\(registry)/\(repo): the tag list's pages lead back to one already read; refused")
            }
            path = url
        }
        throw RegistryError.invalid("\(registry)/\(repo): more than \(RegistryClient.maxTagPages) pages of tags; refused")
    }

    static let maxTagPages = 1000
    /// A million tags of 64 bytes: more than any repository holds.
    static let maxTagBytes = 64 << 20

    /// The target of a `Link` header value whose rel is "next": `<URL>; rel="next"`.
    static func nextLink(_ value: String) -> String? {
        for link in value.split(separator: ",") {
            let parts = link.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = parts.first, target.hasPrefix("<"), target.hasSuffix(">"),
                  parts.dropFirst().contains(where: { $0.replacingOccurrences(of: " ", with: "").lowercased() == "rel=\"next\"" || $0.lowercased() == "rel=next" })
            else { continue }
            return String(target.dropFirst().dropLast())
        }
        return nil
    }
}
