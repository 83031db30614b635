import Foundation
import OCI
import Store
import TestSupport
import Testing

/// A store is one user's: a directory of it that is a link, or that another user owns, is
/// refused, so no one else's files become the snapshots a build runs on and prune never leaves it.
@Suite struct StoreOwnershipTests {
    @Test func aLinkedSnapshotsDirectoryIsNeitherUsedNorPrunedThrough() throws {
        let dir = try makeTempDir("store-links")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("keep\n", to: dir + "/victim/precious/file")
        try FileManager.default.createDirectory(atPath: dir + "/store", withIntermediateDirectories: true)
        for sub in ["snapshots", "cachemounts"] {
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/store/\(sub)", withDestinationPath: dir + "/victim")
        }
        let store = try Store(root: dir + "/store")
        defer { store.close() }
        _ = try store.prune(all: true)
        #expect(FileManager.default.contents(atPath: dir + "/victim/precious/file") == Data("keep\n".utf8))
        #expect {
            try store.snapshot(Digest.sha256("chain")) { _ in }
        } throws: { "\($0)".contains("not a directory; the store needs one here") }
    }

    @Test func aDirectoryAnotherUserOwnsIsRefused() throws {
        let dir = try makeTempDir("store-owner")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try Store(root: dir + "/store")
        first.close()
        for sub in ["", "/blobs", "/tmp"] {
            #expect(chown(dir + "/store" + sub, 12345, 12345) == 0)
            #expect {
                try Store(root: dir + "/store")
            } throws: { "\($0)".contains("belongs to uid 12345, not to this user (uid 0)") }
            #expect(chown(dir + "/store" + sub, 0, 0) == 0)
        }
        #expect(throws: Never.self) { try Store(root: dir + "/store").close() }
    }
}
