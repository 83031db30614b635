import Foundation
import Registry
import Testing

@Suite struct ResponseSinkTests {
    /// A manifest response may not exceed the spec's 4 MB: reading stops with a clear reason.
    @Test func memoryBodiesAreCapped() {
        let sink = ResponseSink.memory(limit: 1024)
        let chunk = [UInt8](repeating: 65, count: 600)
        #expect(chunk.withUnsafeBytes { sink.append($0, status: 200) })
        #expect(!chunk.withUnsafeBytes { sink.append($0, status: 200) })
        #expect(sink.failure == "response larger than 1024 bytes")
    }
}
