import Build
import Foundation

/// Build progress on stderr: one line per layer, then a summary; nothing with --progress quiet.
final class ProgressReporter: @unchecked Sendable {
    let quiet: Bool
    private let lock = NSLock()
    private var partial: [String: Data] = [:]

    init(mode: String) { quiet = mode == "quiet" }

    func layer(_ e: LayerEvent) {
        guard !quiet else { return }
        let what = e.instruction.split(separator: "\n").first.map(String.init) ?? e.instruction
        let how: String
        switch e.outcome {
        case .built: how = "built \(formatBytes(e.size)) in \(String(format: "%.2f", e.seconds))s"
        case .cached: how = "cached"
        case .shared: how = "shared with an earlier platform"
        }
        standardError("[\(e.platform)] line \(e.line): \(what): \(how) \(e.digest.hex.prefix(12)) (\(e.files) entries)")
    }

    /// A RUN step's output, line by line, each prefixed with its platform and line as buildx's plain
    /// progress shows it; a line split across two chunks is held until it ends.
    func output(_ o: StepOutput) {
        guard !quiet else { return }
        lock.lock()
        defer { lock.unlock() }
        let key = "\(o.platform) \(o.line)"
        var pending = partial[key] ?? Data()
        pending.append(o.text)
        while let nl = pending.firstIndex(of: 10) {
            let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
            standardError("[\(o.platform)] line \(o.line): \(line)")
            pending = Data(pending[(nl + 1)...])
        }
        partial[key] = pending.count > 8192 ? Data() : pending
    }

    func summary(_ r: BuildResult, seconds: Double) {
        guard !quiet else { return }
        let built = r.events.filter { $0.outcome == .built }.count
        let reused = r.events.count - built
        standardError("built \(built) layer(s), reused \(reused), hashed \(r.hashedFiles) file(s), \(r.manifests.count) platform(s) in \(String(format: "%.2f", seconds))s")
    }
}
