import Foundation

// An OCI image layout from one input: sections split by a line "===" are index.json, oci-layout,
// then blobs. A blob is stored under its own digest; "{dN}" and "{sN}" in any section stand for
// the digest and size of blob N (a later blob only, so a layout cannot name itself), so the input
// can build real chains of index -> manifest -> config. The layout is listed and resolved for
// every way a user can name an image in it; none of that may crash.
let root = (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()) + "/fuzz-layout-\(getpid())"

// The scratch directory goes when the run ends (libFuzzer exits through exit()).
let cleanup: Void = { atexit { try? FileManager.default.removeItem(atPath: root) } }()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = cleanup
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var sections = text.components(separatedBy: "\n===\n")
    guard sections.count >= 2, sections.count <= 12 else { return 0 }
    try? FileManager.default.removeItem(atPath: root)
    try? FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
    // Blobs from the last to the first, so each can name those after it.
    var digests: [Int: (Digest, Int)] = [:]
    func fill(_ s: String, after: Int) -> String {
        var out = s
        for (n, (d, count)) in digests where n > after {
            out = out.replacingOccurrences(of: "{d\(n)}", with: d.description).replacingOccurrences(of: "{s\(n)}", with: "\(count)")
        }
        return out
    }
    for i in stride(from: sections.count - 1, through: 2, by: -1) {
        let blob = Data(fill(sections[i], after: i - 2).utf8)
        let d = Digest.sha256(blob)
        digests[i - 2] = (d, blob.count)
        _ = FileManager.default.createFile(atPath: root + "/blobs/sha256/" + d.hex, contents: blob)
    }
    sections[0] = fill(sections[0], after: -1)
    _ = FileManager.default.createFile(atPath: root + "/index.json", contents: Data(sections[0].utf8))
    _ = FileManager.default.createFile(atPath: root + "/oci-layout", contents: Data(sections[1].utf8))

    let layout = OCILayout(path: root)
    guard let index = try? layout.index() else { return 0 }
    for d in index.manifests { _ = try? layout.readBlob(d) }
    let tags = index.manifests.compactMap { $0.annotations?[OCILayout.refNameAnnotation] }
    let digestsNamed = index.manifests.map(\.digest)
    for platform in [Platform(os: "linux", architecture: "amd64"), Platform(os: "linux", architecture: "arm64", variant: "v8")] {
        _ = try? layout.resolve(tag: nil, digest: nil, platform: platform)
        for tag in tags.prefix(4) { _ = try? layout.resolve(tag: tag, digest: nil, platform: platform) }
        for d in digestsNamed.prefix(4) { _ = try? layout.resolve(tag: nil, digest: d, platform: platform) }
    }
    return 0
}
