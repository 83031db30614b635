import Build
import Publish

/// The whole job as library calls, one per command: build → name → sinks → cache export → push →
/// results, each under one store handle (and so one lease) for its whole length. The command line
/// only parses flags, calls one of these and prints.
public enum Pipeline {}

/// What a running job tells whoever shows its progress; every line of output is the caller's.
public struct Observers: Sendable {
    public var layer: @Sendable (LayerEvent) -> Void
    public var push: @Sendable (PushEvent) -> Void
    /// A line of progress text (cache imported, a push done).
    public var note: @Sendable (String) -> Void
    /// What RUN steps write, as it comes.
    public var stepOutput: @Sendable (StepOutput) -> Void

    public init(layer: @escaping @Sendable (LayerEvent) -> Void = { _ in }, push: @escaping @Sendable (PushEvent) -> Void = { _ in },
                note: @escaping @Sendable (String) -> Void = { _ in }, stepOutput: @escaping @Sendable (StepOutput) -> Void = { _ in }) {
        self.layer = layer
        self.push = push
        self.note = note
        self.stepOutput = stepOutput
    }
}
