import OCI
import Testing

/// distribution/reference's own tables (normalize_test.go, reference_test.go), with which Docker
/// parses every image name, run against `Reference(parsing:)`.
@Suite struct DistributionReferenceTableTests {
    /// TestValidateReferenceName and TestValidateRemoteName: names ParseNormalizedNamed takes.
    @Test(arguments: [
        "docker/docker", "library/debian", "debian",
        "localhost/library/debian", "localhost/debian", "LOCALDOMAIN/library/debian",
        "LOCALDOMAIN/debian", "docker.io/docker/docker", "docker.io/library/debian",
        "docker.io/debian", "index.docker.io/docker/docker", "index.docker.io/library/debian",
        "index.docker.io/debian", "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/library/debian",
        "127.0.0.1:5000/debian", "192.168.0.1", "192.168.0.1:80",
        "192.168.0.1:8/debian", "192.168.0.2:25000/debian", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "[fc00::1]:5000/docker", "[fc00::1]:5000/docker/docker", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "Docker/docker", "DOCKER/docker",
        "docker-rules/docker", "docker---rules/docker", "doc/docker",
        "d/docker", "jess/t", "dock__er/docker",
    ])
    func valid(_ name: String) {
        #expect(throws: Never.self) { try Reference(parsing: name) }
    }

    /// The names those two tests refuse: capitals in the repository, bad separators, hosts that
    /// are not hosts (`dock..er`, `dock-.er`), image IDs, names over 255 characters; and three
    /// more hosts the same grammar refuses.
    @Test(arguments: [
        "https://github.com/docker/docker", "docker/Docker", "-docker",
        "-docker/docker", "-docker.io/docker/docker", "docker///docker",
        "docker.io/docker/Docker", "docker.io/docker///docker", "[fc00::1]",
        "[fc00::1]:5000", "fc00::1:5000/debian", "[fe80::1%eth0]:5000/debian",
        "[2001:db8:3:4::192.0.2.33]:5000/debian", "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "docker-/docker",
        "-docker-/docker", "____/____", "_docker/_docker",
        "dock..er/docker", "dock_.er/docker", "dock-.er/docker",
        "docker/", "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
        "docker./debian", "dock..er/debian:1", "LOCAL_DOMAIN/debian",
    ])
    func invalid(_ name: String) {
        #expect(throws: OCIError.self) { try Reference(parsing: name) }
    }

    /// TestParseRepositoryInfo: each of a name's spellings gives the same familiar name, full name,
    /// domain and remote name.
    @Test(arguments: [
        ("localhost/fooo", "localhost/fooo", "localhost/fooo", "localhost", "fooo"),
        ("localhost/fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "localhost", "fooo/bar"),
        ("LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN", "fooo"),
        ("LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN", "fooo/bar"),
        ("fooo/bar", "fooo/bar", "docker.io/fooo/bar", "docker.io", "fooo/bar"),
        ("docker.io/fooo/bar", "fooo/bar", "docker.io/fooo/bar", "docker.io", "fooo/bar"),
        ("index.docker.io/fooo/bar", "fooo/bar", "docker.io/fooo/bar", "docker.io", "fooo/bar"),
        ("ubuntu", "ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu"),
        ("docker.io/library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu"),
        ("library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu"),
        ("nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu"),
        ("docker.io/nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu"),
        ("other/library", "other/library", "docker.io/other/library", "docker.io", "other/library"),
        ("docker.io/other/library", "other/library", "docker.io/other/library", "docker.io", "other/library"),
        ("127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase"),
        ("127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase"),
        ("example.com/private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase", "example.com", "private/moonbase"),
        ("example.com/privatebase", "example.com/privatebase", "example.com/privatebase", "example.com", "privatebase"),
        ("example.com:8000/private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase", "example.com:8000", "private/moonbase"),
        ("example.com:8000/privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee", "example.com:8000", "privatebasee"),
        ("ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base"),
        ("docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base"),
        ("index.docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base"),
        ("foo", "foo", "docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo", "foo", "docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/foo", "foo", "docker.io/library/foo", "docker.io", "library/foo"),
        ("library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        ("docker.io/library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        ("store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", "docker.io", "store/foo/bar"),
        ("docker.io/store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", "docker.io", "store/foo/bar"),
        ("Foo/bar", "Foo/bar", "Foo/bar", "Foo", "bar"),
        ("FOO/bar", "FOO/bar", "FOO/bar", "FOO", "bar"),
    ])
    func repositoryInfo(_ input: String, _ familiar: String, _ full: String, _ domain: String, _ remote: String) throws {
        let r = try Reference(parsing: input, defaultTag: false)
        #expect(r.familiar == familiar)
        #expect(r.description == full)
        #expect(r.registry == domain)
        #expect(r.repository == remote)
    }

    /// TestNormalizedSplitHostname.
    @Test(arguments: [
        ("test.com/foo", "test.com", "foo"), ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"), ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"), ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"), ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"), ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
    ])
    func splitHostname(_ input: String, _ domain: String, _ path: String) throws {
        let r = try Reference(parsing: input)
        #expect(r.registry == domain)
        #expect(r.repository == path)
    }

    /// TestParseDockerRef, and TestParseReferenceWithTagAndDigest's busybox: a name with a tag and
    /// a digest keeps both, and a pull asks for the digest.
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest", "latest"),
        ("busybox:latest", "docker.io/library/busybox:latest", "latest"),
        ("busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
         "docker.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
         "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"),
        ("library/busybox", "docker.io/library/busybox:latest", "latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest", "latest"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest", "latest"),
        ("docker.io/busybox:latest", "docker.io/library/busybox:latest", "latest"),
        ("library/busybox:latest", "docker.io/library/busybox:latest", "latest"),
        ("docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "latest"),
        ("gcr.io/library/busybox", "gcr.io/library/busybox:latest", "latest"),
        ("gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
         "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
         "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"),
        ("busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
         "docker.io/library/busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
         "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"),
    ])
    func pullsGoByDigest(_ input: String, _ full: String, _ pulled: String) throws {
        let r = try Reference(parsing: input)
        #expect(r.description == full)
        #expect(r.pullReference == pulled)
        #expect(try Reference(parsing: r.familiar) == r)
    }

    /// TestReferenceParse's rows, read the normalizing way Docker reads a name it is given (so a
    /// first element without `.`, `:` or a capital is a path, not a host). Its sha512 row is left
    /// out: imagectl verifies sha512 digests, which that test's build does not register.
    @Test(arguments: [
        ("test_com", "docker.io", "library/test_com", nil, nil), ("test.com:tag", "docker.io", "library/test.com", "tag", nil),
        ("test.com:5000", "docker.io", "library/test.com", "5000", nil), ("test.com/repo:tag", "test.com", "repo", "tag", nil),
        ("test:5000/repo", "test:5000", "repo", nil, nil), ("test:5000/repo:tag", "test:5000", "repo", "tag", nil),
        ("test:5000/repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "test:5000", "repo", nil, "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
        ("test:5000/repo:tag@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "test:5000", "repo", "tag", "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
        ("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", nil),
        (String(repeating: "a/", count: 127) + "a:tag-puts-this-over-max", "docker.io", String(repeating: "a/", count: 127) + "a",
         "tag-puts-this-over-max", nil),
        ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", nil, nil),
        ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", nil),
        ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", nil),
        ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", nil),
        ("xn--7o8h.com/myimage:xn--7o8h.com@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "xn--7o8h.com", "myimage", "xn--7o8h.com", "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
        ("foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", nil),
        ("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", nil),
        ("192.168.1.1", "docker.io", "library/192.168.1.1", nil, nil), ("192.168.1.1:tag", "docker.io", "library/192.168.1.1", "tag", nil),
        ("192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000", nil), ("192.168.1.1/repo", "192.168.1.1", "repo", nil, nil),
        ("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", nil, nil),
        ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", nil),
        ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", nil, nil),
        ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", nil),
        ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", nil, nil),
        ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", nil),
        ("[2001:db8::1]:5000/repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "[2001:db8::1]:5000", "repo", nil, "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
        ("[2001:db8::1]:5000/repo:tag@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "[2001:db8::1]:5000", "repo", "tag", "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
        ("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", nil, nil), ("[::1]:5000/repo", "[::1]:5000", "repo", nil, nil),
        ("example.com/" + String(repeating: "a", count: 255) + ":tag", "example.com", String(repeating: "a", count: 255), "tag", nil),
    ] as [(String, String, String, String?, String?)])
    func referenceParse(_ input: String, _ domain: String, _ path: String, _ tag: String?, _ digest: String?) throws {
        let r = try Reference(parsing: input, defaultTag: false)
        #expect(r.registry == domain)
        #expect(r.repository == path)
        #expect(r.tag == tag)
        #expect(r.digest?.description == digest)
    }

    /// TestReferenceParse's error rows, and the same length limit where Docker's `library/` takes a
    /// one-element name past it.
    @Test(arguments: [
        "", ":justtag", "@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "repo@sha256:ffffffffffffffffffffffffffffffffff", "validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "Uppercase:tag", "test:5000/Uppercase/lowercase:tag", "domain/" + String(repeating: "a", count: 256) + ":tag",
        "aa/asdf$$^/aa", "[2001:db8::1]", "[2001:db8::1]:5000", "[2001:db8::1]:tag", "[fe80::1%eth0]:5000/repo",
        "[fe80::1%@invalidzone]:5000/repo", String(repeating: "a", count: 250),
    ])
    func referenceParseErrors(_ input: String) {
        #expect(throws: OCIError.self) { try Reference(parsing: input) }
    }
}
