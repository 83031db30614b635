/// A request the pipeline cannot carry out as given: one line saying what to change.
public struct PipelineError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
