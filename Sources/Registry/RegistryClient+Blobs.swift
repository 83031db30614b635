import Foundation
import OCI

extension RegistryClient {
    /// Whether the registry holds the blob; one whose size is not the descriptor's is an error, so
    /// a size copied from a base image's manifest is checked before our manifests repeat it.
    public func blobExists(_ repo: String, _ d: Descriptor) throws -> Bool {
        try blobExists(repo, d, retrying: true)
    }

    func blobExists(_ repo: String, _ d: Descriptor, retrying: Bool) throws -> Bool {
        let path = "\(repo)/blobs/\(d.digest)", operation = "HEAD blob \(d.digest.hex.prefix(12))"
        let r = retrying ? try send("HEAD", path, scope: scope(repo), operation: operation)
            : try exchange("HEAD", path, scope: scope(repo), operation: operation)
        if r.status == 404 { return false }
        guard r.status == 200 else { throw failure(r, operation: "HEAD blob", repository: repo) }
        // A length of 0 is what some proxies put on any HEAD: read as unknown, not as a claim.
        if let length = r.header("content-length").flatMap({ Int64($0) }), length != d.size, length != 0 {
            throw RegistryError.invalid("\(registry)/\(repo): blob \(d.digest) has \(length) bytes there, but its descriptor says \(d.size); the image's manifest is wrong")
        }
        return true
    }

    /// Downloads a blob to `path` while hashing it with its digest's algorithm; never more bytes
    /// than the descriptor names, and a blob whose bytes do not match is deleted.
    /// Redirects to storage hosts are followed without credentials.
    public func fetchBlob(_ repo: String, _ d: Descriptor, to path: String) throws {
        guard d.size >= 0 else { throw RegistryError.invalid("\(registry)/\(repo)@\(d.digest): the descriptor's size is negative") }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RegistryError.transport(path, String(cString: strerror(errno))) }
        var sink = ResponseSink.file(fd, limit: d.size, algorithm: d.digest.algorithm)
        defer { close(fd) }
        let r: HTTPResponse
        do {
            r = try send("GET", "\(repo)/blobs/\(d.digest)", scope: scope(repo), sink: {
                ftruncate(fd, 0)
                lseek(fd, 0, SEEK_SET)
                sink = .file(fd, limit: d.size, algorithm: d.digest.algorithm)
                return sink
            }, timeout: HTTPRequest.timeout(forBytes: d.size), operation: "GET blob \(d.digest.hex.prefix(12))")
        } catch {
            unlink(path)
            throw error
        }
        guard r.status == 200 else {
            unlink(path)
            if r.status == 404 { throw RegistryError.notFound("\(registry)/\(repo)@\(d.digest)") }
            throw failure(r, operation: "GET blob", repository: repo)
        }
        let got = sink.digest()
        guard got == d.digest, sink.written == d.size else {
            unlink(path)
            throw RegistryError.digestMismatch("\(registry)/\(repo)@\(d.digest)", expected: d.digest.description, got: got?.description ?? "?")
        }
        guard fsync(fd) == 0 else { throw RegistryError.transport(path, String(cString: strerror(errno))) }
    }

    /// Mounts a blob from another repository of this registry; true when it is now present.
    public func mount(_ repo: String, _ digest: Digest, from: String) throws -> Bool {
        let scope = RegistryClient.push(repo) + " " + RegistryClient.pull(from)
        let r = try send("POST", "\(repo)/blobs/uploads/?mount=\(digest)&from=\(from)", scope: scope, operation: "mount \(digest.hex.prefix(12))")
        if r.status == 201 { return true }
        if r.status == 202 { return false }
        if r.status == 401 || r.status == 403 || r.status == 404 { return false }
        throw failure(r, operation: "mount blob", repository: repo)
    }

    /// Uploads a blob in one streamed request (POST, then PUT with the whole body from disk), the
    /// pair retried as one operation. After a failed commit the digest is checked with HEAD before
    /// trying again: a slow commit can report BLOB_UPLOAD_UNKNOWN although the blob landed.
    public func upload(_ repo: String, _ d: Descriptor, file: String, progress: ((Int64) -> Void)? = nil) throws {
        let scope = RegistryClient.push(repo), short = d.digest.hex.prefix(12)
        let landed = { (try? self.blobExists(repo, d, retrying: false)) == true }
        try options.retry.run(onRetry: countRetry) { attempt -> RetryPolicy.Attempt<Void> in
            let start: HTTPResponse
            do {
                start = try exchange("POST", "\(repo)/blobs/uploads/", scope: scope, operation: "start upload")
            } catch let e as RetryableTransportError {
                return .again(.failure(RegistryError.transport(registry, "start upload of \(short): \(e.error.message) after \(attempt) attempt(s)")))
            }
            guard start.status == 202, let location = start.header("location") else {
                let error = failure(start, operation: "start upload of \(short)", repository: repo)
                guard RetryPolicy.isRetryable(status: start.status) else { throw error }
                return .again(.failure(error), retryAfter: start.header("retry-after"))
            }
            // The upload location is the registry's to choose, but it is held to the redirect rules.
            var url = try URLRules(registry: registry, insecureHosts: options.insecureHosts)
                .follow(location, from: try baseURL(), what: "the upload location")
            url += (url.contains("?") ? "&" : "?") + "digest=\(d.digest)"
            let put: HTTPResponse
            do {
                put = try exchange("PUT", url, scope: scope, headers: [("Content-Type", "application/octet-stream")],
                                   body: .file(path: file, size: d.size), timeout: HTTPRequest.timeout(forBytes: d.size),
                                   progress: progress, operation: "upload \(short)")
            } catch let e as RetryableTransportError {
                if landed() { return .done(()) }
                return .again(.failure(RegistryError.transport(registry, "upload of \(short): \(e.error.message) after \(attempt) attempt(s)")))
            }
            if put.status == 201 || put.status == 204 {
                if let theirs = put.header("docker-content-digest"), theirs != d.digest.description {
                    throw RegistryError.digestMismatch("\(registry)/\(repo)", expected: d.digest.description, got: theirs)
                }
                return .done(())
            }
            if landed() { return .done(()) }
            let error = failure(put, operation: "upload of \(short)", repository: repo)
            guard put.status == 404 || RetryPolicy.isRetryable(status: put.status) else { throw error }
            return .again(.failure(error), retryAfter: put.header("retry-after"))
        }
    }
}
