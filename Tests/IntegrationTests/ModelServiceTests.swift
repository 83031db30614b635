import Foundation
import TestSupport
import Testing

/// The model service of the CI story (Fixtures/ml-service), end to end on linux/amd64: the Debian
/// base made from Debian's packages (Scripts/debian-base, cached for the machine) pushed to a real
/// registry, a build whose pip install gets this machine's pip configuration only as secrets, a
/// scan of every blob for that configuration, then the service run by podman and checked from
/// outside (/health, /predict, bad input, the image's HEALTHCHECK); an edit to the app rebuilds
/// only its own layer.
@Suite(.serialized) struct ModelServiceTests {
    static let scripts = CLI.packageRoot + "/Scripts"
    static let fixture = CLI.packageRoot + "/Fixtures/ml-service"

    /// The mirror comes from the machine's apt sources, read at run time: deb822 stanzas (disabled
    /// ones, deb-src and other suites skipped), one-line lists with options; none is one line.
    @Test func theMirrorIsReadFromTheMachinesAptSources() throws {
        let root = try makeTempDir("apt-root")
        defer { try? FileManager.default.removeItem(atPath: root) }
        func mirrors(_ suite: String = "bookworm") throws -> CLI.Result { try CLI.runTool([Self.scripts + "/debian-mirror", suite, root]) }
        let none = try mirrors()
        #expect(none.status == 1 && none.stderr.split(separator: "\n").count == 1 && none.stderr.contains("no apt source for Debian bookworm"), "\(none.stderr)")
        try write("""
            Types: deb-src
            URIs: http://src.example/debian
            Suites: bookworm
            Components: main

            # off
            Types: deb
            URIs: http://off.example/debian
            Suites: bookworm
            Enabled: no

            Types: deb
            # http://snapshot.example/archive
            URIs: http://mirror.example/debian
            Suites: bookworm bookworm-updates trixie
            Components: main contrib
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
            """, to: root + "/etc/apt/sources.list.d/debian.sources")
        try write("deb [arch=amd64 signed-by=/k.gpg] http://security.example/debian-security bookworm-security main # note\n#deb http://commented.example/debian bookworm main\n",
                  to: root + "/etc/apt/sources.list")
        let found = try mirrors()
        #expect(found.status == 0, "\(found.stderr)")
        #expect(found.stdout == """
            deb http://mirror.example/debian bookworm main contrib
            deb http://mirror.example/debian bookworm-updates main contrib
            deb http://security.example/debian-security bookworm-security main

            """, "\(found.stdout)")
        #expect(try mirrors("bullseye").status == 1)
    }

    /// `imagectl push oci:DIR:TAG`: a layout goes to --repository under its own tag, both platforms.
    @Test func pushesAnOCILayoutUnderItsTag() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let tmp = try makeTempDir("push-layout")
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let b = try CLI.run(["build", "--progress", "quiet", "--platform", "linux/amd64,linux/arm64", "-t", "hello:7",
                             "-o", "type=oci,dest=\(tmp)/layout", CLI.hello], home: tmp + "/build-store")
        #expect(b.status == 0, "\(b.stderr)")
        // Another store: the layout's blobs are read in from the layout, not found in a cache.
        let home = tmp + "/push-store"
        let p = try CLI.run(["push", "--progress", "quiet", "oci:\(tmp)/layout:7", "--repository", "\(registry.host)/from/layout"], home: home)
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.hasPrefix("\(registry.host)/from/layout@sha256:"), "\(p.stdout)")
        let index = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                                                                    "docker://\(registry.host)/from/layout:7"])) as? [String: Any]
        let archs = (index?["manifests"] as? [[String: Any]] ?? []).compactMap { ($0["platform"] as? [String: Any])?["architecture"] as? String }
        #expect(archs.sorted() == ["amd64", "arm64"], "\(String(describing: index))")
        let tagged = try CLI.run(["push", "--progress", "quiet", "oci:\(tmp)/layout:7", "--repository", "\(registry.host)/from/layout", "--tag", "other"], home: home)
        #expect(tagged.status == 0 && tagged.stderr.contains("from/layout:other") && !tagged.stderr.contains("from/layout:7"), "\(tagged.stderr)")

        for (args, says) in [
            (["push", "oci:\(tmp)/layout:7"], "give --repository REGISTRY/NAME"),
            (["push", "oci:\(tmp)/nowhere:7", "--repository", "\(registry.host)/x"], "no OCI layout or archive at \(tmp)/nowhere"),
            (["push", "oci:\(tmp)/layout:missing", "--repository", "\(registry.host)/x"], "no image tagged missing"),
        ] {
            let r = try CLI.run(args, home: home)
            let lines = r.stderr.split(separator: "\n")
            #expect(r.status != 0 && lines.count == 1 && r.stderr.contains(says), "\(args): \(r.stderr)")
        }
    }

    /// The secret scan finds what it looks for: a pip.conf copied into a layer is reported (by
    /// its canary line and its content), and the same scan passes an image without it.
    @Test func theSecretScanFindsAConfigurationInALayer() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("secret-scan")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let secrets = String(decoding: try run([Self.scripts + "/pip-secrets", tmp + "/secrets"]), as: UTF8.self)
        #expect(secrets.hasPrefix("--secret\nid=pipconf,src=\(tmp)/secrets/pip.conf\n"), "\(secrets)")
        let conf = try String(contentsOfFile: tmp + "/secrets/pip.conf", encoding: .utf8)
        #expect(conf.hasPrefix("# imagectl-secret-canary ") && conf.contains("\n[global]\n"))
        #expect(!secrets.contains(conf.split(separator: "\n")[0]), "the canary is never printed")
        let mode = try FileManager.default.attributesOfItem(atPath: tmp + "/secrets/pip.conf")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try run(["cp", "-a", CLI.hello, tmp + "/leaky"])
        // Only the canary line: the content as a whole is not there, the canary alone is found.
        try write(String(conf.split(separator: "\n")[0]) + "\n", to: tmp + "/leaky/app/notes")
        let b = try CLI.run(["build", "--progress", "quiet", "-o", "type=oci,dest=\(tmp)/leaky-oci", tmp + "/leaky"], home: tmp + "/store")
        #expect(b.status == 0, "\(b.stderr)")
        let found = try CLI.runTool([Self.scripts + "/secret-scan", tmp + "/leaky-oci", tmp + "/secrets/pip.conf"])
        #expect(found.status == 1 && found.stderr.contains("a canary line of \(tmp)/secrets/pip.conf is in application/vnd.oci.image.layer.v1.tar+gzip sha256:"), "\(found.stderr)")
        let clean = try CLI.run(["build", "--progress", "quiet", "-o", "type=oci,dest=\(tmp)/clean-oci", CLI.hello], home: tmp + "/store")
        #expect(clean.status == 0)
        let none = try CLI.runTool([Self.scripts + "/secret-scan", tmp + "/clean-oci", tmp + "/secrets/pip.conf"])
        #expect(none.status == 0 && none.stdout.contains("none of 1 secret file(s) found"), "\(none.stderr)")
    }

    @Test func theServiceBuildsOnTheDebianBaseAndAnswersInPodman() throws {
        let registry = try TestRegistry("plain")
        let tmp = try makeTempDir("ml-service")
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        // The base: made from Debian's packages once per machine (cached by Scripts/debian-base),
        // pushed here through the binary under test. ML_SERVICE_BASE names another image with
        // python3 and venv instead, for machines that are not Debian (CI's Ubuntu runners).
        var baseArg = "REGISTRY=\(registry.host)"
        if let other = ProcessInfo.processInfo.environment["ML_SERVICE_BASE"], !other.isEmpty {
            baseArg = "BASE=\(other)"
        } else {
            let base = try run(["env", "IMAGECTL=\(CLI.binary)", "IMAGECTL_HOME=\(tmp)/base-store", Self.scripts + "/debian-base",
                                "--platform", "linux/amd64", "--push", registry.host])
            #expect(String(decoding: base, as: UTF8.self) == "\(registry.host)/debian-python:bookworm\n")
        }

        let secrets = String(decoding: try run([Self.scripts + "/pip-secrets", tmp + "/secrets"]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let home = tmp + "/store"
        func build(_ context: String, _ out: String) throws -> CLI.Result {
            try CLI.run(["build", "--progress", "plain", "--platform", "linux/amd64", "--build-arg", baseArg]
                        + secrets + ["-t", "ml-service:test", "-o", "type=oci,dest=\(out)", context], home: home, timeout: 600)
        }
        let b = try build(Self.fixture, tmp + "/oci")
        #expect(b.status == 0, "\(b.stderr.suffix(3000))")
        #expect(b.stderr.contains("Successfully installed") && b.stderr.contains("scikit-learn-1.6.1"), "pip installed the pinned set")
        #expect(b.stderr.contains("held-out accuracy"), "the training step ran")
        let canary = String(try String(contentsOfFile: tmp + "/secrets/pip.conf", encoding: .utf8).split(separator: "\n")[0])
        #expect(!b.stderr.contains(canary) && !b.stdout.contains(canary), "the build's output holds no secret")

        // The configuration is in no layer, config (history) or manifest.
        let scan = try CLI.runTool([Self.scripts + "/secret-scan", tmp + "/oci", tmp + "/secrets/pip.conf"])
        #expect(scan.status == 0, "\(scan.stderr)")

        // The image's config as the Containerfile says: non-root user, a healthcheck, the command.
        let config = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "--raw", "--config", "oci:\(tmp)/oci:test"])) as? [String: Any]
        let c = config?["config"] as? [String: Any] ?? [:]
        #expect(c["User"] as? String == "app")
        #expect(((c["Healthcheck"] as? [String: Any])?["Test"] as? [String])?.first == "CMD")
        #expect(c["Cmd"] as? [String] == ["gunicorn", "--workers", "2", "--access-logfile", "-", "app:app"])
        let history = (config?["history"] as? [[String: Any]] ?? []).compactMap { $0["created_by"] as? String }
        #expect(history.contains { $0.contains("pip install") }, "\(history)")

        // Served by podman, checked from outside: /health, /predict, bad input, HEALTHCHECK.
        let e2e = try CLI.runTool([Self.scripts + "/service-e2e", "oci:\(tmp)/oci:test", "linux/amd64", "--expect-version", "1.0.0"], detach: true)
        #expect(e2e.status == 0, "\(e2e.stdout.suffix(2000)) \(e2e.stderr.suffix(2000))")
        #expect(e2e.stdout.contains("e2e: all 18 checks passed"), "\(e2e.stdout)")
        #expect(e2e.stderr.contains("HEALTHCHECK passes"), "\(e2e.stderr)")

        // One line of the app changed: only COPY app.py is built; install and training are cached.
        try run(["cp", "-a", Self.fixture, tmp + "/changed"])
        let app = tmp + "/changed/app.py"
        try write(try String(contentsOfFile: app, encoding: .utf8).replacingOccurrences(of: "VERSION = \"1.0.0\"", with: "VERSION = \"1.0.1\""), to: app)
        let again = try build(tmp + "/changed", tmp + "/oci-changed")
        #expect(again.status == 0, "\(again.stderr.suffix(2000))")
        #expect(again.stderr.contains("built 1 layer(s)"), "\(again.stderr)")
        for step in ["pip install --disable-pip-version-check -r requirements.txt: CACHED", "RUN python train.py /app/model: CACHED"] {
            #expect(again.stderr.contains(step), "\(step): \(again.stderr)")
        }
    }
}
