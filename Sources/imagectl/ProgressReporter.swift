import Build
import Foundation

/// Build progress on stderr: one line per layer, then a summary; nothing with --progress quiet.
/// A RUN step's output is shown line by line, prefixed by platform and line as buildx's plain
/// progress shows it; on a terminal, as a live window of each running step's last lines instead,
/// which gives way to the layer's line when the step ends (buildx's tty display).
final class ProgressReporter: @unchecked Sendable {
    let quiet: Bool
    let live: Bool
    private let lock = NSLock()
    private var partial: [String: Data] = [:]
    /// The last lines of each running step, by "platform line", in the order they started.
    private var windows: [(key: String, lines: [String])] = []
    private var drawn = 0

    static let windowLines = 6

    init(mode: String) {
        quiet = mode == "quiet"
        let ci = ProcessInfo.processInfo.environment["CI"] != nil
        live = !quiet && (mode == "tty" || (mode == "auto" && isatty(STDERR_FILENO) == 1 && !ci))
    }

    func layer(_ e: LayerEvent) {
        guard !quiet else { return }
        let what = e.instruction.split(separator: "\n").first.map(String.init) ?? e.instruction
        let how: String
        switch e.outcome {
        case .built: how = "built \(formatBytes(e.size)) in \(String(format: "%.2f", e.seconds))s"
        case .cached: how = "CACHED"
        case .shared: how = "shared with an earlier platform"
        }
        lock.lock()
        defer { lock.unlock() }
        erase()
        windows.removeAll { $0.key == "\(e.platform) \(e.line)" }
        standardError("[\(e.platform)] line \(e.line): \(what): \(how) \(e.digest.hex.prefix(12)) (\(e.files) entries)")
        draw()
    }

    func output(_ o: StepOutput) {
        guard !quiet else { return }
        lock.lock()
        defer { lock.unlock() }
        let key = "\(o.platform) \(o.line)"
        var pending = partial[key] ?? Data()
        pending.append(o.text)
        var lines: [String] = []
        while let nl = pending.firstIndex(of: 10) {
            lines.append(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
            pending = Data(pending[(nl + 1)...])
        }
        partial[key] = pending.count > 8192 ? Data() : pending
        guard !lines.isEmpty else { return }
        lines = lines.map(ProgressReporter.printable)
        guard live else {
            for line in lines { standardError("[\(o.platform)] line \(o.line): \(line)") }
            return
        }
        erase()
        if let i = windows.firstIndex(where: { $0.key == key }) {
            windows[i].lines = Array((windows[i].lines + lines).suffix(ProgressReporter.windowLines))
        } else {
            windows.append((key, Array(lines.suffix(ProgressReporter.windowLines))))
        }
        draw()
    }

    /// A step's line without the control characters it could drive a terminal or a CI log with.
    static func printable(_ line: String) -> String {
        String(String.UnicodeScalarView(line.unicodeScalars.filter { s in
            s == "\t" || !(s.value < 0x20 || (0x7f...0x9f).contains(s.value))
        }))
    }

    /// Clears the lines the live window took.
    private func erase() {
        guard live, drawn > 0 else { return }
        standardError(String(repeating: "\u{1b}[1A\u{1b}[2K", count: drawn), terminator: "")
        drawn = 0
    }

    private func draw() {
        guard live else { return }
        let width = max(20, Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100)
        for w in windows {
            standardError("\u{1b}[2m[\(w.key.replacingOccurrences(of: " ", with: "] line "))]\u{1b}[0m")
            for line in w.lines { standardError("  " + String(line.filter { $0 != "\r" && $0 != "\u{1b}" }.prefix(width - 2))) }
            drawn += 1 + w.lines.count
        }
    }

    func summary(_ r: BuildResult, seconds: Double) {
        guard !quiet else { return }
        lock.lock()
        erase()
        windows = []
        lock.unlock()
        let built = r.events.filter { $0.outcome == .built }.count
        let reused = r.events.count - built
        standardError("built \(built) layer(s), reused \(reused), hashed \(r.hashedFiles) file(s), \(r.manifests.count) platform(s) in \(String(format: "%.2f", seconds))s")
    }
}
