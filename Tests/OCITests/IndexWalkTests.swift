import Foundation
import OCI
import Testing

/// Indexes from outside can name each other many times over, or nest without end: the walk visits
/// each once and stops at its limits, whatever the document.
@Suite struct IndexWalkTests {
    static func index(_ n: Int) -> Descriptor {
        Descriptor(mediaType: MediaType.ociIndex, digest: Digest.sha256("index \(n)"), size: 2)
    }

    static func manifest(_ n: Int) -> Descriptor {
        Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256("manifest \(n)"), size: 2)
    }

    /// Every level names the next index many times (a few kB that would expand to 2^40 visits).
    @Test func sharedChildrenAreVisitedOnce() throws {
        var reads = 0
        let all = try IndexWalk.descriptors(from: [IndexWalkTests.index(0)], what: "layout") { d in
            reads += 1
            let level = (0..<7).first { IndexWalkTests.index($0) == d }!
            return level == 6 ? [IndexWalkTests.manifest(1)] : Array(repeating: IndexWalkTests.index(level + 1), count: 40)
        }
        #expect(reads == 7)
        #expect(all.count == 8)
        #expect(all.last == IndexWalkTests.manifest(1))
    }

    @Test func nestingPastTheLimitIsAnError() {
        #expect { try IndexWalk.descriptors(from: [IndexWalkTests.index(0)], what: "layout") { d in
            let level = (0..<100).first { IndexWalkTests.index($0) == d }!
            return [IndexWalkTests.index(level + 1)]
        } } throws: { e in "\(e)".contains("indexes nested more than \(IndexWalk.maxDepth) deep") }
    }

    @Test func tooManyManifestsIsAnError() {
        #expect { try IndexWalk.descriptors(from: [IndexWalkTests.index(0)], what: "layout") { _ in
            (0..<(IndexWalk.maxDescriptors + 1)).map(IndexWalkTests.manifest)
        } } throws: { e in "\(e)".contains("more than \(IndexWalk.maxDescriptors) manifests") }
    }
}
