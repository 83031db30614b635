import Layers
import OCI

/// The state of one stage while its instructions run for one platform.
struct Stage {
    var name: String?
    var config: ImageConfig
    var layers: [Descriptor]
    /// What this stage's own layers put where, for COPY --from and for directory checks.
    var files: FileIndex
    /// Whether the stage started from nothing, so `files` is its whole filesystem.
    var fromScratch: Bool
    /// ARGs in scope, with their values.
    var args: [String: String]
    /// ARG names in the order they were declared, for a RUN's environment and history.
    var argOrder: [String] = []
    var cmdSetHere = false
    var base: (name: String, digest: Digest)?

    /// Variables for substitution: the image's ENV wins over ARG, as in Docker.
    func lookup(_ name: String) -> String? {
        config.config.envValue(name) ?? args[name]
    }

    var workdir: String { config.config.workingDir ?? "/" }

    var shell: [String] { config.config.shell ?? ["/bin/sh", "-c"] }
}
