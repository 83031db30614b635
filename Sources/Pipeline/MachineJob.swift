import OCI
import Runtime

extension Pipeline {
    /// Registers qemu-user's binfmt_misc handlers, so RUN steps for other architectures run here.
    public static func installBinfmt() throws -> [String] {
        do { return try Binfmt.install() } catch let e as RuntimeError { throw PipelineError(e.description) }
    }

    /// Whether RUN steps for `platform` can run here, and if not, why.
    public static func binfmtStatus(_ platform: Platform) -> String? {
        do {
            try Binfmt.check(architecture: platform.architecture, variant: platform.variant, host: Platform.host.architecture)
            return nil
        } catch {
            return "\(error)"
        }
    }
}
