import Foundation

/// How a step's root is made from the stage's snapshots. The kernel's overlayfs first; where it
/// cannot be mounted (no overlay in the kernel, no privilege to mount it, an upper directory on a
/// filesystem it refuses), fuse-overlayfs if it is installed, else a copy of the stage: slower,
/// the same layer. `IMAGECTL_SNAPSHOTTER` names one and takes no other.
public enum Snapshotter: String, CaseIterable, Sendable {
    case overlay
    case fuseOverlayfs = "fuse-overlayfs"
    case copy

    public static let variable = "IMAGECTL_SNAPSHOTTER"

    /// The one `IMAGECTL_SNAPSHOTTER` names, or nil when it is unset or empty.
    public static func forced(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Snapshotter? {
        guard let value = environment[variable], !value.isEmpty else { return nil }
        guard let s = Snapshotter(rawValue: value) else {
            throw RootfsError("\(variable)=\(value): use \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return s
    }

    /// Whether mount(2) failing with `code` says overlayfs cannot be had here, rather than that
    /// something is wrong with what was asked: no such filesystem, no privilege, or a filesystem
    /// below that it does not take.
    static func meansUnavailable(_ code: Int32) -> Bool {
        [ENODEV, EPERM, EACCES, EINVAL, EOPNOTSUPP, ENOSYS].contains(code)
    }

    /// Those found unavailable, not tried again for each step: one per process, or a test's own.
    public final class Memo: @unchecked Sendable {
        private let lock = NSLock()
        private var unavailable: Set<Snapshotter> = []
        private var reasons: [String] = []
        private var fellBackTo: Snapshotter?
        private var told = false
        public static let process = Memo()
        public init() {}

        /// Once, when steps had to fall back: what could not be had, why, and what they run on.
        public func fallbackNotice() -> String? {
            lock.lock()
            defer { lock.unlock() }
            guard let s = fellBackTo, !told else { return nil }
            told = true
            return "steps run on \(s == .copy ? "a copy of the stage" : s.rawValue), slower but with the same layers: \(reasons.joined(separator: "; ")) (\(Snapshotter.variable) names one)"
        }

        func chose(_ s: Snapshotter) {
            lock.lock()
            if !unavailable.isEmpty, fellBackTo == nil { fellBackTo = s }
            lock.unlock()
        }

        func skips(_ s: Snapshotter) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            return unavailable.contains(s)
        }

        func note(_ s: Snapshotter, _ reason: String) {
            lock.lock()
            if unavailable.insert(s).inserted { reasons.append(reason) }
            lock.unlock()
        }
    }

    /// Makes a root with `attempt`, given the snapshotter to use: the forced one, else the first
    /// that has not failed as unavailable. Returns the one that made it.
    static func choose(_ environment: [String: String], memo: Memo = .process, attempt: (Snapshotter) throws -> Void) throws -> Snapshotter {
        if let forced = try forced(environment) {
            do { try attempt(forced) } catch let e as SnapshotterUnavailable {
                throw RootfsError("\(variable)=\(forced.rawValue): \(e.reason)")
            }
            return forced
        }
        for s in allCases where !memo.skips(s) {
            do {
                try attempt(s)
                memo.chose(s)
                return s
            } catch let e as SnapshotterUnavailable {
                memo.note(s, e.reason)
            }
        }
        // The copy needs nothing it could find missing: it fails with its own error, above.
        throw RootfsError("no way to make a step's root filesystem here")
    }
}

/// A snapshotter that cannot work here, and why: the automatic choice tries the next one.
struct SnapshotterUnavailable: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
