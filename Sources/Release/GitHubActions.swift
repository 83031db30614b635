import Foundation
import OCI

/// GitHub Actions' side of a job: step outputs, the job summary, masks, groups and annotations.
/// Workflow commands go to stderr, which the runner reads for commands as it reads stdout: stdout
/// then stays what the command prints (a digest, JSON), even when a step captures it with $(…).
public struct GitHubActions: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public var isActive: Bool { environment["GITHUB_ACTIONS"] == "true" }

    /// Tells the runner to hide a secret in every later log line; printed before anything could show it.
    public func mask(_ secret: String) {
        guard isActive, !secret.isEmpty else { return }
        for line in secret.split(whereSeparator: \.isNewline) { command("::add-mask::\(line)") }
    }

    public func group(_ title: String) { if isActive { command("::group::\(title)") } }
    public func endGroup() { if isActive { command("::endgroup::") } }

    /// An annotation on the file and line, as `::error file=…,line=…::message`.
    public func error(file: String?, line: Int?, _ message: String) {
        guard isActive else { return }
        var props: [String] = []
        if let file { props.append("file=\(escapeProperty(relative(file)))") }
        if let line { props.append("line=\(line)") }
        command("::error\(props.isEmpty ? "" : " " + props.joined(separator: ","))::\(escapeData(message))")
    }

    /// Writes step outputs to $GITHUB_OUTPUT in the multi-line form, which any value may use.
    public func setOutputs(_ outputs: [(String, String)]) throws {
        guard isActive, let path = environment["GITHUB_OUTPUT"], !path.isEmpty else { return }
        var text = ""
        for (name, value) in outputs {
            let delimiter = "ghadelimiter_\(UUID().uuidString)"
            text += "\(name)<<\(delimiter)\n\(value)\n\(delimiter)\n"
        }
        try append(text, to: path)
    }

    public func appendSummary(_ markdown: String) throws {
        guard isActive, let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else { return }
        try append(markdown, to: path)
    }

    /// Appends with the throwing write: the older one traps on a full disk.
    func append(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ReleaseError("\(path): \(SystemError.reason(errno))") }
        let h = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do { try h.write(contentsOf: Data(text.utf8)) } catch {
            throw ReleaseError("\(path): \(SystemError.foundation(error)?.reason ?? "cannot be written")")
        }
    }

    /// A workflow command on stderr; when stderr is gone there is no one to tell.
    func command(_ line: String) {
        try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
    }

    func relative(_ file: String) -> String {
        if let ws = environment["GITHUB_WORKSPACE"], file.hasPrefix(ws + "/") { return String(file.dropFirst(ws.count + 1)) }
        return file
    }

    func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}

/// What a build step reports to GitHub Actions, under the output names docker/build-push-action
/// and docker/metadata-action use, so workflows can switch without renaming.
public struct BuildReport: Sendable {
    public struct PlatformLine: Sendable {
        public var platform: String
        public var digest: String
        public var size: Int64
        public init(platform: String, digest: String, size: Int64) {
            self.platform = platform
            self.digest = digest
            self.size = size
        }
    }

    public var digest: String
    public var imageID: String
    public var metadata: String
    public var tags: [String]
    public var labels: [String: String]
    public var version: String?
    public var platforms: [PlatformLine]
    public var layersBuilt: Int
    public var layersReused: Int
    public var seconds: Double

    public init(digest: String, imageID: String, metadata: String, tags: [String], labels: [String: String], version: String?,
                platforms: [PlatformLine], layersBuilt: Int, layersReused: Int, seconds: Double) {
        self.digest = digest
        self.imageID = imageID
        self.metadata = metadata
        self.tags = tags
        self.labels = labels
        self.version = version
        self.platforms = platforms
        self.layersBuilt = layersBuilt
        self.layersReused = layersReused
        self.seconds = seconds
    }

    public func write(to actions: GitHubActions) throws {
        guard actions.isActive else { return }
        try actions.setOutputs([
            ("digest", digest), ("imageid", imageID), ("metadata", metadata), ("tags", tags.joined(separator: "\n")),
            ("labels", labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")),
            ("version", version ?? ""),
        ])
        var md = "### imagectl build\n\n| platform | manifest | size |\n|---|---|---|\n"
        for p in platforms { md += "| \(p.platform) | `\(p.digest)` | \(String(format: "%.1f MB", Double(p.size) / 1e6)) |\n" }
        md += "\n**Image** `\(digest)`  \n"
        md += "**Layers** \(layersBuilt) built, \(layersReused) from cache  \n"
        md += "**Time** \(String(format: "%.1f", seconds)) s\n"
        if !tags.isEmpty { md += "\n**Tags**\n" + tags.map { "- `\($0)`\n" }.joined() }
        try actions.appendSummary(md + "\n")
    }
}
