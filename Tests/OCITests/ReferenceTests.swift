import OCI
import Testing

@Suite struct ReferenceTests {
    @Test(arguments: [
        ("ubuntu", "docker.io/library/ubuntu:latest", "ubuntu:latest"),
        ("ubuntu:22.04", "docker.io/library/ubuntu:22.04", "ubuntu:22.04"),
        ("user/app", "docker.io/user/app:latest", "user/app:latest"),
        ("ghcr.io/acme/model-server:main", "ghcr.io/acme/model-server:main", "ghcr.io/acme/model-server:main"),
        ("localhost:5000/x/y:t", "localhost:5000/x/y:t", "localhost:5000/x/y:t"),
        ("127.0.0.1:5000/hello", "127.0.0.1:5000/hello:latest", "127.0.0.1:5000/hello:latest"),
        ("[::1]:5000/x:1", "[::1]:5000/x:1", "[::1]:5000/x:1"),
        ("index.docker.io/library/busybox:1", "docker.io/library/busybox:1", "busybox:1"),
        ("ghcr.io/a/b@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "ghcr.io/a/b@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "ghcr.io/a/b@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ])
    func parses(_ input: String, _ full: String, _ familiar: String) throws {
        let r = try Reference(parsing: input)
        #expect(r.description == full)
        #expect(r.familiar == familiar)
    }

    @Test(arguments: [
        "", "Ubuntu", "ubuntu:", "ubuntu:-bad", "a//b", "-a/b", "a/b/", "ghcr.io/a/b@sha256:xyz", "a b",
        "ubuntu:" + String(repeating: "t", count: 129),
        // Hosts with ports that are not ports: a skopeo transport, a typo, out of range.
        "oci:/tmp/layout", "a:b/c", "localhost:99999/x", "localhost:0/x", "[zz]:5000/x", "[::1/x", ".ghcr.io/a",
    ])
    func rejects(_ input: String) {
        #expect(throws: OCIError.self) { try Reference(parsing: input) }
    }
}
