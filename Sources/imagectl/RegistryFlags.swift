import ArgumentParser
import Foundation
import Pipeline
import Registry
import Release

/// Flags every command that talks to a registry shares.
struct RegistryFlags: ParsableArguments {
    @Option(name: .customLong("ca-file"), help: "Trust this CA bundle (PEM) for registry TLS; also $IMAGECTL_CA_FILE.")
    var caFile: String?

    @Option(name: .customLong("insecure-registry"), help: "Allow plain HTTP to this registry host (loopback hosts always may). Repeatable.")
    var insecureRegistries: [String] = []

    @Option(help: "Blobs transferred at once.")
    var jobs: Int = 4

    @Flag(help: "Print every registry request (method, URL, auth scheme, status, time) to stderr; never a secret.")
    var verbose = false

    /// The registry clients for one command, with these flags.
    func registries() throws -> Registries { Registries(options: try options()) }

    func options() throws -> RegistryOptions {
        let ca = caFile ?? ProcessInfo.processInfo.environment["IMAGECTL_CA_FILE"]
        if let ca, !FileManager.default.isReadableFile(atPath: ca) {
            throw ValidationError("--ca-file \(ca): no such readable file")
        }
        guard (1...32).contains(jobs) else { throw ValidationError("--jobs must be from 1 to 32") }
        var options = RegistryOptions(caFile: ca, insecureHosts: Set(insecureRegistries))
        let actions = GitHubActions()
        if actions.isActive { options.onSecret = { actions.mask($0) } }
        if verbose {
            options.trace = RequestTrace { line in standardError("imagectl: trace: \(line)") }
        }
        return options
    }
}

/// Where a push goes and under which tags, as `--repository`, `--tag` and `--tags-from-git` say.
struct PushTargetFlags: ParsableArguments {
    @Option(name: .customLong("repository"), help: "Push to this repository (REGISTRY/NAME) instead of the image's own name.")
    var repository: String?

    @Flag(name: .customLong("tags-from-git"), help: "Add the tags docker/metadata-action computes: BRANCH, BRANCH-SHA7, and staging on the default branch.")
    var tagsFromGit = false

    @Option(name: .customLong("default-branch"), help: "The default branch, when neither GitHub's event nor origin/HEAD tells it.")
    var defaultBranch: String?

    var target: PushTarget { PushTarget(repository: repository, tagsFromGit: tagsFromGit, defaultBranch: defaultBranch) }
}
