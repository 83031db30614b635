import Foundation

/// What must be undone if the process is told to stop (SIGINT, SIGTERM: a cancelled CI job)
/// while it has a step running: the step's container, its mounts, its directory with any secret.
/// Each piece registers an action while it exists; the command line's signal thread runs them,
/// newest first, then exits.
public enum Interruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var actions: [(token: Int, run: @Sendable () -> Void)] = []
    nonisolated(unsafe) private static var next = 0
    nonisolated(unsafe) private static var stopping = false

    /// Whether a signal is being handled: what fails meanwhile (the step it stopped) is not reported.
    public static var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    public static func register(_ action: @escaping @Sendable () -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        actions.append((next, action))
        return next
    }

    public static func unregister(_ token: Int) {
        lock.lock()
        defer { lock.unlock() }
        actions.removeAll { $0.token == token }
    }

    /// Runs every registered action once, newest first.
    public static func runAll() {
        lock.lock()
        stopping = true
        let pending = actions.reversed().map(\.run)
        actions = []
        lock.unlock()
        for action in pending { action() }
    }
}
