import Foundation

extension DockerIgnore {
    /// The ignore file a build reads, or nil when there is none. BuildKit reads
    /// `<Containerfile>.dockerignore` beside the Containerfile, named after its file name, before
    /// the context's `.dockerignore`; buildah also knows `.containerignore` and prefers it in the
    /// context, while beside the Containerfile its `.dockerignore` wins. Together, first found:
    /// `<file>.dockerignore`, `<file>.containerignore`, `<context>/.containerignore`,
    /// `<context>/.dockerignore`.
    public static func file(context: String, containerfile: String?) -> String? {
        var candidates: [String] = []
        if let containerfile { candidates += [containerfile + ".dockerignore", containerfile + ".containerignore"] }
        candidates += [context + "/.containerignore", context + "/.dockerignore"]
        return candidates.first { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
