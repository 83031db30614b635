import Build
import Foundation
import TestSupport
import Testing

/// A socket in the context is copied as an empty regular file with its permissions, as
/// BuildKit's testCopySocket expects; it never stops the build.
@Suite struct SocketTests {
    @Test(arguments: ["COPY . /", "COPY run/ /run/", "COPY run/app.sock /run/app.sock"])
    func aSocketBecomesAnEmptyFile(_ copy: String) throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("run/keep.txt", "keep")
        let socket = f.context + "/run/app.sock"
        _ = try run(["python3", "-c", "import os, socket; s = socket.socket(socket.AF_UNIX); s.bind('\(socket)'); os.chmod('\(socket)', 0o600)"])
        let r = try f.build("FROM scratch\n\(copy)\n")
        let layer = try f.manifest(r.descriptor).layers[0]
        let listing = String(decoding: try run(["tar", "-tvzf", f.store.blobPath(layer.digest)]), as: UTF8.self)
        let line = listing.split(separator: "\n").first { $0.hasSuffix("run/app.sock") }
        #expect(line?.hasPrefix("-rw------- 0/0") == true, "\(listing)")
        #expect(line?.split(separator: " ", omittingEmptySubsequences: true)[2] == "0")
        // A rebuild with nothing changed hits the cache.
        #expect(try f.build("FROM scratch\n\(copy)\n").descriptor == r.descriptor)
    }
}
