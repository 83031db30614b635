import CArchive
import Foundation
import Layers
import OCI
import Store

/// Reads an OCI layout (a directory, or a tar such as imagectl's OCI and docker outputs) into the
/// store, every blob checked against its digest.
public enum LayoutImport {
    public static func importImage(at path: String, isDirectory: Bool, tag: String?, store: Store) throws -> Descriptor {
        if isDirectory { return try importLayout(OCILayout(path: path), tag: tag, store: store) }
        let dir = store.tempPath("import")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try extract(path, to: dir)
        guard FileManager.default.fileExists(atPath: dir + "/index.json") else {
            throw ExportError.io(path, "not an OCI layout or a docker-archive with index.json (Docker 25+ or imagectl writes one)")
        }
        if !FileManager.default.fileExists(atPath: dir + "/oci-layout") {
            try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/oci-layout"))
        }
        return try importLayout(OCILayout(path: dir), tag: tag, store: store)
    }

    static func importLayout(_ layout: OCILayout, tag: String?, store: Store) throws -> Descriptor {
        let index = try layout.index()
        var candidates = index.manifests
        if let tag { candidates = candidates.filter { $0.annotations?[OCILayout.refNameAnnotation] == tag } }
        guard candidates.count == 1, var top = candidates.first else {
            throw ExportError.io(layout.path, tag == nil ? "holds \(index.manifests.count) images: name one as PATH:TAG" : "no image tagged \(tag!)")
        }
        top.annotations = nil
        // Every index and manifest is read and checked before anything is stored.
        var documents: [(Descriptor, Data)] = []
        _ = try IndexWalk.descriptors(from: [top], what: layout.path) { d in
            let data = try layout.readBlob(d)
            documents.append((d, data))
            return try CanonicalJSON.decode(ImageIndex.self, from: data).manifests
        }.filter { MediaType.isManifest($0.mediaType) }.map { d in documents.append((d, try layout.readBlob(d))) }
        for (d, data) in documents {
            try store.putBlob(data)
            if MediaType.isManifest(d.mediaType) {
                let m = try CanonicalJSON.decode(ImageManifest.self, from: data)
                for b in [m.config] + m.layers where !store.hasBlob(b.digest) {
                    let tmp = store.tempPath("import")
                    try FileManager.default.copyItem(atPath: layout.blobPath(b.digest), toPath: tmp)
                    guard try Digest.sha256(fileAt: tmp, algorithm: b.digest.algorithm) == b.digest else {
                        unlink(tmp)
                        throw ExportError.io(layout.path, "blob \(b.digest) does not match its digest")
                    }
                    try store.commitBlob(tempPath: tmp, digest: b.digest)
                }
            }
        }
        return top
    }

    /// Unpacks an image tar's regular files (blob names and JSON only; nothing outside `dir`).
    static func extract(_ tar: String, to dir: String) throws {
        let a = archive_read_new()
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_tar(a)
        guard archive_read_open_filename(a, tar, 1 << 16) == ARCHIVE_OK else { throw ExportError.io(tar, "cannot be read as a tar") }
        var entry: OpaquePointer?
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while archive_read_next_header(a, &entry) == ARCHIVE_OK {
            // Only regular files named inside the layout are unpacked; any other entry is skipped.
            guard let name = archive_entry_pathname(entry), archive_entry_filetype(entry) == IMAGECTL_AE_IFREG,
                  let clean = CleanPath.relative(String(cString: name), above: .refuse), !clean.isEmpty else { continue }
            let path = dir + "/" + clean
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else { throw ExportError.io(path, String(cString: strerror(errno))) }
            defer { close(fd) }
            while true {
                let n = buf.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress, $0.count) }
                if n == 0 { break }
                guard n > 0 else { throw ExportError.io(tar, "truncated") }
                guard AtomicFile.writeAll(fd, buf[..<n]) else { throw ExportError.io(tar, "unpacking into the store: \(String(cString: strerror(errno)))") }
            }
        }
    }
}
