import Foundation
import Publish
import Registry

/// Push progress on stderr. On a terminal, a live block with one line per blob in flight (bytes
/// and rate), redrawn at most ten times a second; elsewhere (CI, --progress plain), one plain line
/// per blob and manifest as each finishes.
final class PushDisplay: @unchecked Sendable {
    let live: Bool
    let quiet: Bool
    private let lock = NSLock()
    private var active: [(digest: String, size: Int64, sent: Int64, started: Date)] = []
    private var drawn = 0
    private var lastDraw = Date.distantPast

    init(mode: String) {
        quiet = mode == "quiet"
        let ci = ProcessInfo.processInfo.environment["CI"] != nil
        live = !quiet && (mode == "tty" || (mode == "auto" && isatty(STDERR_FILENO) == 1 && !ci))
    }

    func handle(_ e: PushEvent) {
        guard !quiet else { return }
        lock.lock()
        defer { lock.unlock() }
        let id = String(e.digest.hex.prefix(12))
        switch e.outcome {
        case .started:
            active.append((id, e.size, 0, Date()))
        case .progress:
            if let i = active.firstIndex(where: { $0.digest == id }) { active[i].sent = e.sent }
            if live, Date().timeIntervalSince(lastDraw) > 0.1 { redraw() }
            return
        case .skipped: emit("exists   \(id) \(formatBytes(e.size))")
        case .mounted: emit("mounted  \(id) \(formatBytes(e.size))")
        case .pushed:
            let started = active.first { $0.digest == id }?.started ?? Date()
            active.removeAll { $0.digest == id }
            let seconds = max(Date().timeIntervalSince(started), 0.001)
            emit("pushed   \(id) \(formatBytes(e.size)) in \(String(format: "%.2f", seconds))s (\(formatBytes(Int64(exactly: (Double(e.size) / seconds).rounded()) ?? .max))/s)")
        case .manifest: emit("manifest \(id) \(e.detail)")
        case .tagged: emit("tagged   \(e.detail)")
        }
        if live { redraw() }
    }

    /// A finished line goes above the live block.
    private func emit(_ line: String) {
        clear()
        standardError(line)
    }

    private func clear() {
        guard live, drawn > 0 else { return }
        standardError("\u{1b}[\(drawn)A" + String(repeating: "\u{1b}[2K\n", count: drawn) + "\u{1b}[\(drawn)A", terminator: "")
        drawn = 0
    }

    private func redraw() {
        clear()
        var text = ""
        for a in active {
            let seconds = max(Date().timeIntervalSince(a.started), 0.001)
            let pct = a.size > 0 ? Int(Double(a.sent) * 100 / Double(a.size)) : 100
            text += "  pushing \(a.digest) \(formatBytes(a.sent)) / \(formatBytes(a.size)) \(pct)% \(formatBytes(Int64(exactly: (Double(a.sent) / seconds).rounded()) ?? .max))/s\n"
        }
        standardError(text, terminator: "")
        drawn = active.count
        lastDraw = Date()
    }
}
