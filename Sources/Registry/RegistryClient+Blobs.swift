import Foundation
import OCI

extension RegistryClient {
    public func blobExists(_ repo: String, _ digest: Digest) throws -> Bool {
        let r = try send("HEAD", "\(repo)/blobs/\(digest)", scope: scope(repo), operation: "HEAD blob \(digest.hex.prefix(12))")
        if r.status == 200 { return true }
        if r.status == 404 { return false }
        throw failure(r, operation: "HEAD blob", repository: repo)
    }

    /// Downloads a blob to `path` while hashing it; a blob whose bytes do not match is deleted.
    /// Redirects to storage hosts are followed without credentials.
    public func fetchBlob(_ repo: String, _ d: Descriptor, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RegistryError.transport(path, String(cString: strerror(errno))) }
        var sink = ResponseSink.file(fd)
        defer { close(fd) }
        let r = try send("GET", "\(repo)/blobs/\(d.digest)", scope: scope(repo), sink: {
            ftruncate(fd, 0)
            lseek(fd, 0, SEEK_SET)
            sink = .file(fd)
            return sink
        }, operation: "GET blob \(d.digest.hex.prefix(12))")
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

    /// Uploads a blob in one streamed request (POST, then PUT with the whole body from disk).
    /// After a failed commit the digest is checked with HEAD before trying again: a slow commit can
    /// report BLOB_UPLOAD_UNKNOWN although the blob landed.
    public func upload(_ repo: String, _ d: Descriptor, file: String, progress: ((Int64) -> Void)? = nil) throws {
        for attempt in 1...options.retry.attempts {
            let start = try send("POST", "\(repo)/blobs/uploads/", scope: RegistryClient.push(repo), operation: "start upload")
            guard start.status == 202, let location = start.header("location") else {
                throw failure(start, operation: "start upload of \(d.digest.hex.prefix(12))", repository: repo)
            }
            let base = try baseURL()
            var url = URL(string: location, relativeTo: URL(string: base))?.absoluteString ?? location
            url += (url.contains("?") ? "&" : "?") + "digest=\(d.digest)"
            let put: HTTPResponse
            do {
                put = try send("PUT", url, scope: RegistryClient.push(repo), headers: [("Content-Type", "application/octet-stream")],
                               body: .file(path: file, size: d.size), progress: progress, operation: "upload \(d.digest.hex.prefix(12))")
            } catch {
                if attempt < options.retry.attempts, (try? blobExists(repo, d.digest)) != true { continue }
                if (try? blobExists(repo, d.digest)) == true { return }
                throw error
            }
            if put.status == 201 || put.status == 204 {
                if let theirs = put.header("docker-content-digest"), theirs != d.digest.description {
                    throw RegistryError.digestMismatch("\(registry)/\(repo)", expected: d.digest.description, got: theirs)
                }
                return
            }
            if try blobExists(repo, d.digest) { return }
            if attempt == options.retry.attempts || !(put.status == 404 || RetryPolicy.isRetryable(status: put.status)) {
                throw failure(put, operation: "upload of \(d.digest.hex.prefix(12))", repository: repo)
            }
        }
    }
}
