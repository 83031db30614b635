import Build
import Foundation
import Layers
import OCI
import Store
import TestSupport
import Testing

/// Builds in a temp context and store, and reads the results back from the store.
struct Fixture {
    let context: String
    let store: Store

    init() throws {
        context = try makeTempDir("ctx")
        store = try Store(root: try makeTempDir("store"))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: context)
        try? FileManager.default.removeItem(atPath: store.root)
    }

    func file(_ path: String, _ text: String) throws { try write(text, to: context + "/" + path) }

    func build(_ containerfile: String, platforms: [String] = ["linux/amd64"], args: [String: String] = [:],
               noCache: Bool = false, target: String? = nil) throws -> BuildResult {
        try file("Containerfile", containerfile)
        let options = BuildOptions(context: context, platforms: try platforms.map { try Platform(parsing: $0) },
                                   buildArgs: args, noCache: noCache, target: target)
        return try Builder(options: options, store: store).build()
    }

    func manifest(_ d: Descriptor) throws -> ImageManifest {
        try CanonicalJSON.decode(ImageManifest.self, from: try store.readBlob(d.digest))
    }

    func config(_ d: Descriptor) throws -> ImageConfig {
        try CanonicalJSON.decode(ImageConfig.self, from: try store.readBlob(try manifest(d).config.digest))
    }

    /// The paths in one layer, from the system's tar.
    func listing(_ layer: Descriptor) throws -> [String] {
        String(decoding: try run(["tar", "-tzf", store.blobPath(layer.digest)]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
    }
}

@Suite struct BuildTests {
    @Test func configInstructionsFollowDocker() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("app/main.sh", "echo hi\n")
        let r = try f.build("""
            ARG VERSION=1.0
            FROM scratch
            ARG VERSION
            ARG TARGETARCH
            ENV APP_VERSION=${VERSION} ARCH=$TARGETARCH
            ENV GREETING hello world
            LABEL org.opencontainers.image.version="${VERSION}" quoted='single $NOT'
            WORKDIR /srv
            WORKDIR app
            USER 1000:1000
            EXPOSE 8080 53/udp
            VOLUME ["/data"]
            STOPSIGNAL SIGINT
            HEALTHCHECK --interval=30s --retries=2 CMD ["/app/main.sh", "--check"]
            COPY app/ ./
            CMD ["serve"]
            ENTRYPOINT ["/bin/sh", "/srv/app/main.sh"]
            """, platforms: ["linux/arm64"], args: ["VERSION": "2.0"])
        let c = try f.config(r.descriptor)
        #expect(c.architecture == "arm64")
        #expect(c.config.envValue("APP_VERSION") == "2.0")
        #expect(c.config.envValue("ARCH") == "arm64")
        #expect(c.config.envValue("GREETING") == "hello world")
        #expect(c.config.labels?["org.opencontainers.image.version"] == "2.0")
        #expect(c.config.labels?["quoted"] == "single $NOT")
        #expect(c.config.workingDir == "/srv/app")
        #expect(c.config.user == "1000:1000")
        #expect(Set(c.config.exposedPorts?.keys.map { $0 } ?? []) == ["8080/tcp", "53/udp"])
        #expect(c.config.volumes?["/data"] != nil)
        #expect(c.config.stopSignal == "SIGINT")
        #expect(c.config.healthcheck?.test == ["CMD", "/app/main.sh", "--check"])
        #expect(c.config.healthcheck?.interval == 30_000_000_000)
        // ENTRYPOINT after CMD in the same stage keeps CMD.
        #expect(c.config.entrypoint == ["/bin/sh", "/srv/app/main.sh"])
        #expect(c.config.cmd == ["serve"])
        // Each WORKDIR makes its directory in a layer, as BuildKit does; the USER came after them.
        #expect(c.rootfs.diffIDs.count == 3)
        let layers = try f.manifest(r.descriptor).layers
        #expect(try f.listing(layers[0]) == ["srv/"])
        #expect(try f.listing(layers[1]) == ["srv/app/"])
        #expect(try f.listing(layers[2]) == ["srv/app/main.sh"])
    }

    @Test func copyRulesForFilesDirectoriesAndGlobs() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("a.txt", "a")
        try f.file("b.txt", "b")
        try f.file("dir/sub/c.txt", "c")
        try f.file("notes.md", "n")
        let r = try f.build("""
            FROM scratch
            COPY a.txt /one/renamed.txt
            COPY *.txt /many/
            COPY dir /tree/
            COPY --chown=10:20 --chmod=640 a.txt /owned/
            """)
        let layers = try f.manifest(r.descriptor).layers
        #expect(try f.listing(layers[0]) == ["one/renamed.txt"])
        #expect(try f.listing(layers[1]) == ["many/a.txt", "many/b.txt"])
        #expect(try f.listing(layers[2]) == ["tree/sub/", "tree/sub/c.txt"])
        // The directory the copy creates belongs to the --chown owner too and has the --chmod mode, as in BuildKit.
        let owned = String(decoding: try run(["tar", "-tvzf", f.store.blobPath(layers[3].digest)]), as: UTF8.self).split(separator: "\n")
        #expect(owned.count == 2 && owned[0].hasPrefix("drw-r----- 10/20") && owned[0].hasSuffix(" owned/"), "\(owned)")
        #expect(owned.count == 2 && owned[1].hasPrefix("-rw-r----- 10/20") && owned[1].hasSuffix(" owned/a.txt"), "\(owned)")
    }

    /// BuildKit reads the ignore file named after the Containerfile before the context's own.
    @Test func ignoreFileNamedAfterTheContainerfileWins() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("keep.txt", "k")
        try f.file("secret.txt", "s")
        try f.file("Containerfile.dockerignore", "secret.txt\nContainerfile*\n")
        try f.file(".dockerignore", "keep.txt\n")
        let r = try f.build("FROM scratch\nCOPY . /app/\n")
        let listing = try f.listing(try f.manifest(r.descriptor).layers[0])
        #expect(listing == ["app/.dockerignore", "app/keep.txt"], "\(listing)")
    }

    @Test func platformIndependentLayersAreBuiltOnce() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("bin/amd64/tool", "x86")
        try f.file("bin/arm64/tool", "arm")
        try f.file("app/run.sh", "run")
        let r = try f.build("""
            FROM scratch
            ARG TARGETARCH
            COPY bin/${TARGETARCH}/tool /usr/bin/tool
            COPY app/ /app/
            """, platforms: ["linux/amd64", "linux/arm64"])
        #expect(r.descriptor.mediaType == MediaType.ociIndex)
        #expect(r.manifests.map { $0.platform?.description } == ["linux/amd64", "linux/arm64"])
        let amd = try f.manifest(r.manifests[0]).layers
        let arm = try f.manifest(r.manifests[1]).layers
        #expect(amd[0] != arm[0])
        #expect(amd[1] == arm[1])
        #expect(r.events.map(\.outcome) == [.built, .built, .built, .shared])
    }

    @Test func unchangedRebuildReadsNothingAndChangesRebuildOneLayer() throws {
        let f = try Fixture()
        defer { f.remove() }
        for d in ["a", "b", "c"] { try f.file("\(d)/file.txt", d) }
        // Files changed within the second before a build are not trusted to the stat cache: let them age.
        Thread.sleep(forTimeInterval: 1.1)
        let spec = "FROM scratch\nCOPY a/ /a/\nCOPY b/ /b/\nCOPY c/ /c/\n"
        let first = try f.build(spec)
        #expect(first.hashedFiles == 3)
        let again = try f.build(spec)
        #expect(again.descriptor == first.descriptor)
        #expect(again.hashedFiles == 0)
        #expect(again.events.allSatisfy { $0.outcome == .cached })
        try f.file("b/file.txt", "changed")
        Thread.sleep(forTimeInterval: 1.1)
        let changed = try f.build(spec)
        #expect(changed.events.map(\.outcome) == [.cached, .built, .cached])
        #expect(changed.hashedFiles == 1)
    }

    @Test func aRestoredCacheWithOtherMtimesStillHits() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("app/a.txt", "a")
        try f.file("app/b.txt", "b")
        let spec = "FROM scratch\nCOPY app/ /app/\n"
        let first = try f.build(spec)
        // As after actions/cache restores the store on a new runner with a fresh checkout.
        try run(["bash", "-c", "touch -d '2030-01-01' \(f.context)/app/*"])
        let again = try f.build(spec)
        #expect(again.events.map(\.outcome) == [.cached])
        #expect(again.hashedFiles == 2)
        #expect(again.descriptor == first.descriptor)
    }

    @Test func copiesWithOtherMtimesGiveTheSameImage() throws {
        let a = try Fixture()
        let b = try Fixture()
        defer { a.remove(); b.remove() }
        for f in [a, b] {
            try f.file("app/x.txt", "same")
            try f.file("app/deep/y.txt", "bytes")
        }
        try run(["bash", "-c", "touch -d 2001-01-01 \(b.context)/app/x.txt \(b.context)/app/deep"])
        let spec = "FROM scratch\nCOPY app/ /app/\nENV A=1\n"
        #expect(try a.build(spec, platforms: ["linux/amd64", "linux/arm64"]).descriptor
            == b.build(spec, platforms: ["linux/amd64", "linux/arm64"]).descriptor)
    }

    @Test func stagesAndCopyFrom() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("src/app.bin", "binary")
        let r = try f.build("""
            FROM scratch AS build
            COPY src/ /out/
            FROM scratch
            COPY --from=build /out/app.bin /usr/local/bin/app
            """)
        let layers = try f.manifest(r.descriptor).layers
        #expect(layers.count == 1)
        #expect(try f.listing(layers[0]) == ["usr/local/bin/app"])
    }

    @Test func ociLayoutBase() throws {
        let base = try Fixture()
        let f = try Fixture()
        defer { base.remove(); f.remove() }
        try base.file("etc/os-release", "ID=test\n")
        let b = try base.build("FROM scratch\nCOPY etc/ /etc/\nENV BASE=1\nCMD [\"/bin/sh\"]\nENTRYPOINT [\"/init\"]\n")
        let layout = f.context + "/base"
        try OCILayoutTestWriter.write(store: base.store, image: b.descriptor, to: layout, tag: "v1")
        try f.file("x", "x")
        let r = try f.build("FROM oci-layout://base:v1\nCOPY x /x\n")
        let c = try f.config(r.descriptor)
        #expect(c.config.envValue("BASE") == "1")
        #expect(c.config.entrypoint == ["/init"])
        #expect(c.rootfs.diffIDs.count == 2)
        #expect(try f.manifest(r.descriptor).annotations?["org.opencontainers.image.base.digest"] == b.descriptor.digest.description)
    }

    // Containerfile lines are separated by | to keep the test names on one line. Each error is one line.
    @Test(arguments: [
        ("FROM scratch|RUN make", "Containerfile:2: RUN: /bin/sh is not in the stage's filesystem: a stage FROM scratch has no shell"),
        ("FROM scratch|COPY missing.txt /x", "Containerfile:2: missing.txt: no such file or directory in the build context"),
        ("FROM scratch|COPY a.txt b.txt /notadir", "Containerfile:2: COPY with several sources needs a directory destination"),
        ("FROM scratch|COPY --chown=bob a.txt /x", "Containerfile:2: --chown=\"bob\": no user \"bob\" in the stage's /etc/passwd"),
        ("FROM scratch|ADD https://example.com/x /x", "Containerfile:2: ADD https://example.com/x: remote sources are not supported"),
        ("FROM ubuntu:22.04", "Containerfile:1: FROM ubuntu:22.04: registry base images need network access to the registry"),
        ("FROM scratch|COPY --from=nope a.txt /x", "Containerfile:2: COPY --from=nope: no earlier stage"),
        ("FROM scratch|ENV A=${B:?must_be_set}", "Containerfile:2: B: must_be_set"),
        ("FROM scratch|EXPOSE 99999", "Containerfile:2: EXPOSE 99999"),
        ("FROM scratch|HEALTHCHECK --interval=soon CMD true", "Containerfile:2: --interval=soon"),
        ("FROM --platform=linux/sparc scratch", "Containerfile:1: invalid platform"),
        ("FROM scratch|COPY --from=$STAGE a.txt /x", "Containerfile:2: COPY --from=$STAGE: variables are not expanded in --from"),
        ("FROM scratch|HEALTHCHECK --timeout=500us CMD true", "Containerfile:2: --timeout=500us: a healthcheck duration is at least 1ms"),
        ("FROM scratch|HEALTHCHECK --retries=-1 CMD true", "Containerfile:2: --retries=-1: retries cannot be negative"),
        ("FROM scratch|HEALTHCHECK NONE x", "Containerfile:2: HEALTHCHECK NONE takes no arguments"),
        ("FROM scratch|ENV A", "Containerfile:2: ENV A needs a value"),
        ("FROM scratch|LABEL a=b c", "Containerfile:2: LABEL c: expected KEY=VALUE"),
        ("FROM scratch|EXPOSE 80/http", "Containerfile:2: EXPOSE 80/http: unknown protocol http"),
        ("FROM scratch|LABEL x=${V:0:1}", "Containerfile:2: unsupported substitution ${NAME:0…}"),
        ("FROM scratch|COPY <<EOF a.txt /x|EOF", "Containerfile:2: COPY with several sources needs a directory destination"),
        ("FROM scratch|COPY a.txt <<EOF|EOF", "Containerfile:2: COPY cannot write to a heredoc"),
        ("FROM scratch|COPY <<a/b /x/|a/b", "Containerfile:2: <<a/b cannot name a file"),
        ("FROM scratch|SHELL /bin/sh -c", "Containerfile:2: SHELL must be a JSON array"),
        ("FROM scratch|COPY --link=maybe a.txt /x", "Containerfile:2: --link=maybe: expected true or false"),
        ("FROM scratch|COPY --from a.txt /x", "Containerfile:2: --from needs a value"),
        ("FROM scratch|USER", "Containerfile:2: USER needs one argument"),
    ])
    func badInputGetsOneLine(_ containerfile: String, _ message: String) throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("a.txt", "a")
        try f.file("b.txt", "b")
        #expect {
            try f.build(containerfile.replacingOccurrences(of: "|", with: "\n") + "\n")
        } throws: { error in
            let text = "\(error)"
            return !text.contains("\n") && (text.hasSuffix(message) || text.contains("/Containerfile:" + message.dropFirst("Containerfile:".count)))
        }
        // Nothing half-written is left behind.
        #expect((try FileManager.default.contentsOfDirectory(atPath: f.store.tmpDir)).isEmpty)
    }
}

/// Writes a layout the way `imagectl build --output type=oci` does, for FROM oci-layout:// tests.
enum OCILayoutTestWriter {
    static func write(store: Store, image: Descriptor, to dir: String, tag: String) throws {
        try FileManager.default.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
        for d in try store.closure(of: image) {
            try? FileManager.default.copyItem(atPath: store.blobPath(d.digest), toPath: "\(dir)/blobs/sha256/\(d.digest.hex)")
        }
        var top = image
        top.annotations = [OCILayout.refNameAnnotation: tag]
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/oci-layout"))
        try CanonicalJSON.encode(ImageIndex(manifests: [top])).write(to: URL(fileURLWithPath: dir + "/index.json"))
    }
}
