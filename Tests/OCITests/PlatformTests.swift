import OCI
import Testing

@Suite struct PlatformTests {
    @Test(arguments: [
        ("linux/amd64", "linux/amd64"), ("linux/arm64", "linux/arm64"), ("linux/arm64/v8", "linux/arm64"),
        ("linux/aarch64", "linux/arm64"), ("linux/x86_64", "linux/amd64"), ("linux/arm", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"), ("LINUX/AMD64", "linux/amd64"), ("linux/riscv64", "linux/riscv64"),
    ])
    func normalises(_ input: String, _ expected: String) throws {
        #expect(try Platform(parsing: input).description == expected)
    }

    @Test(arguments: ["linux", "linux/", "/amd64", "linux/amd64/v1/x", "linux/sparc", "plan9/amd64", "linux/amd 64"])
    func rejects(_ input: String) {
        #expect(throws: OCIError.self) { try Platform(parsing: input) }
    }

    @Test func arm64VariantsMatch() throws {
        let a = Platform(os: "linux", architecture: "arm64", variant: "v8")
        let b = Platform(os: "linux", architecture: "arm64")
        #expect(a.matches(b))
        #expect(!a.matches(Platform(os: "linux", architecture: "amd64")))
    }
}
