import Foundation
import Layers
import TestSupport
import Testing

/// Which ignore file a build reads: BuildKit's `<Containerfile>.dockerignore` beside the
/// Containerfile, buildah's `.containerignore`, then `.dockerignore`.
@Suite struct IgnoreFileTests {
    /// Each candidate, in the order it wins, and the file it excludes.
    static let order = [
        ("build/app.Containerfile.dockerignore", "by-containerfile-dockerignore"),
        ("build/app.Containerfile.containerignore", "by-containerfile-containerignore"),
        ("ctx/.containerignore", "by-containerignore"),
        ("ctx/.dockerignore", "by-dockerignore"),
    ]

    /// Every combination of the four files present: the first of them in `order` is the one read.
    @Test(arguments: 0..<16)
    func firstPresentWins(_ present: Int) throws {
        let dir = try makeTempDir("ignorefile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("FROM scratch\n", to: dir + "/build/app.Containerfile")
        for (_, excluded) in Self.order { try write("x\n", to: dir + "/ctx/" + excluded) }
        for (k, (file, excluded)) in Self.order.enumerated() where present & (1 << k) != 0 {
            try write(excluded + "\n", to: dir + "/" + file)
        }
        let context = try BuildContext(root: dir + "/ctx", containerfile: dir + "/build/app.Containerfile", statCachePath: nil)
        let winner = Self.order.indices.first { present & (1 << $0) != 0 }
        for (k, (_, name)) in Self.order.enumerated() {
            #expect(context.files.contains { $0.path == PathBytes(name) } == (k != winner), "\(name) with files \(present)")
        }
    }

    @Test func containerfileInTheContextUsesItsName() throws {
        let dir = try makeTempDir("ignorefile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("FROM scratch\n", to: dir + "/Dockerfile")
        try write("secret\n", to: dir + "/Dockerfile.dockerignore")
        try write("other\n", to: dir + "/.dockerignore")
        for name in ["secret", "other"] { try write("x\n", to: dir + "/" + name) }
        let context = try BuildContext(root: dir, containerfile: dir + "/Dockerfile", statCachePath: nil)
        #expect(context.files.map(\.path).contains("other"))
        #expect(!context.files.map(\.path).contains("secret"))
        #expect(DockerIgnore.file(context: dir, containerfile: nil) == dir + "/.dockerignore")
    }

    @Test func aDirectoryIsNoIgnoreFile() throws {
        let dir = try makeTempDir("ignorefile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/.containerignore", withIntermediateDirectories: true)
        try write("x\n", to: dir + "/.dockerignore")
        #expect(DockerIgnore.file(context: dir, containerfile: nil) == dir + "/.dockerignore")
    }
}
