import Foundation
import OCI
import Registry
import Store

/// What happened to one blob or manifest during a push.
public struct PushEvent: Sendable {
    public enum Outcome: String, Sendable { case started, progress, skipped, mounted, pushed, manifest, tagged }
    public var outcome: Outcome
    public var digest: Digest
    public var size: Int64
    public var mediaType: String
    public var detail: String
    /// For `.progress`: bytes sent so far.
    public var sent: Int64 = 0
}

public struct PushSummary: Sendable {
    public var digest: Digest
    public var pushed = 0
    public var skipped = 0
    public var mounted = 0
    public var bytes: Int64 = 0
    public var tags: [String] = []
    public var seconds = 0.0
    public var retries = 0
}

/// Pushes an image from the store as go-containerregistry's remote writer does: per blob, HEAD and
/// skip, else mount from a repository of the same registry that has it, else one streamed upload;
/// several blobs at once; manifests after their blobs, the index after its manifests, tags last,
/// so a failure never leaves a tag pointing at an incomplete image.
public final class Pusher: @unchecked Sendable {
    let registries: Registries
    let store: Store
    let jobs: Int
    let report: @Sendable (PushEvent) -> Void

    public init(registries: Registries, store: Store, jobs: Int = 4, report: @escaping @Sendable (PushEvent) -> Void = { _ in }) {
        self.registries = registries
        self.store = store
        self.jobs = max(1, jobs)
        self.report = report
    }

    public func push(_ image: Descriptor, registry: String, repository: String, tags: [String]) throws -> PushSummary {
        let started = Date()
        let client = registries.client(registry)
        client.willPush(repository)
        var summary = PushSummary(digest: image.digest)
        // Blobs first: configs and layers of every manifest, each once.
        let view = ImageView(image, source: store, name: "\(registry)/\(repository)")
        let manifests = try view.manifests()
        let isIndex = view.isIndex
        var blobs: [Descriptor] = []
        var seen = Set<Digest>()
        var blobsOf: [Digest: [Descriptor]] = [:]
        for m in manifests {
            let manifest = try view.manifest(m)
            blobsOf[m.digest] = [manifest.config] + manifest.layers
            for b in [manifest.config] + manifest.layers where seen.insert(b.digest).inserted { blobs.append(b) }
        }
        let outcomes = try parallel(blobs) { b in try self.pushBlob(b, client: client, repository: repository) }
        for (b, o) in zip(blobs, outcomes) {
            switch o {
            case .skipped: summary.skipped += 1
            case .mounted: summary.mounted += 1
            default:
                summary.pushed += 1
                // Sizes a base image declared are not trusted to be small: saturate, never trap.
                let (sum, overflow) = summary.bytes.addingReportingOverflow(b.size)
                summary.bytes = overflow ? .max : sum
            }
        }
        // Manifests the registry already has (by digest) are not sent again.
        let present = try parallel(manifests + (isIndex ? [image] : [])) { m in
            try client.headManifest(repository, m.digest.description)?.digest == m.digest
        }
        for (m, there) in zip(manifests, present) where !there {
            try client.putManifest(repository, m.digest.description, data: try store.readBlob(m.digest), mediaType: m.mediaType,
                                   blobs: blobsOf[m.digest] ?? [])
            report(PushEvent(outcome: .manifest, digest: m.digest, size: m.size, mediaType: m.mediaType, detail: m.platform?.description ?? ""))
        }
        let top = try store.readBlob(image.digest)
        if isIndex, present.last != true {
            try client.putManifest(repository, image.digest.description, data: top, mediaType: image.mediaType, blobs: manifests)
            report(PushEvent(outcome: .manifest, digest: image.digest, size: image.size, mediaType: image.mediaType, detail: "index"))
        }
        let current = try parallel(tags) { t in try client.headManifest(repository, t)?.digest }
        for (tag, digest) in zip(tags, current) {
            summary.tags.append(tag)
            if digest == image.digest { continue }
            try client.putManifest(repository, tag, data: top, mediaType: image.mediaType,
                                   blobs: isIndex ? manifests : blobsOf[image.digest] ?? [])
            report(PushEvent(outcome: .tagged, digest: image.digest, size: image.size, mediaType: image.mediaType, detail: tag))
        }
        summary.seconds = Date().timeIntervalSince(started)
        summary.retries = client.retries
        return summary
    }

    func pushBlob(_ b: Descriptor, client: RegistryClient, repository: String) throws -> PushEvent.Outcome {
        let outcome: PushEvent.Outcome
        if try client.blobExists(repository, b) {
            outcome = .skipped
        } else if try mountFromSource(b, client: client, repository: repository) {
            outcome = .mounted
        } else {
            if !store.hasBlob(b.digest) { try registries.fetch(b, store: store) }
            report(PushEvent(outcome: .started, digest: b.digest, size: b.size, mediaType: b.mediaType, detail: ""))
            let progress = ProgressCounter()
            let report = self.report
            try client.upload(repository, b, file: store.blobPath(b.digest)) { n in
                report(PushEvent(outcome: .progress, digest: b.digest, size: b.size, mediaType: b.mediaType, detail: "", sent: progress.add(n)))
            }
            outcome = .pushed
        }
        // Remember where the blob now lives, so a push to another repository here can mount it.
        try store.recordSource(b.digest, BlobSource(registry: client.registry, repository: repository))
        report(PushEvent(outcome: outcome, digest: b.digest, size: b.size, mediaType: b.mediaType, detail: ""))
        return outcome
    }

    func mountFromSource(_ b: Descriptor, client: RegistryClient, repository: String) throws -> Bool {
        for s in store.sources(of: b.digest) where s.registry == client.registry && s.repository != repository {
            if try client.mount(repository, b.digest, from: s.repository) { return true }
        }
        return false
    }

    func parallel<T, R>(_ items: [T], _ body: @escaping (T) throws -> R) throws -> [R] {
        try Jobs(items, body).run(workers: jobs)
    }
}

/// Bytes sent for one blob, across retries of its upload.
final class ProgressCounter: @unchecked Sendable {
    private var total: Int64 = 0
    func add(_ n: Int64) -> Int64 {
        total += n
        return total
    }
}

/// Runs a body on every item with a bounded number of threads; the first error stops new work.
/// Blob transfers wait on the network, so more jobs than cores pay off.
final class Jobs<T, R>: @unchecked Sendable {
    private let items: [T]
    private let body: (T) throws -> R
    private let lock = NSLock()
    private var results: [R?]
    private var next = 0
    private var failure: Error?

    init(_ items: [T], _ body: @escaping (T) throws -> R) {
        self.items = items
        self.body = body
        results = [R?](repeating: nil, count: items.count)
    }

    func run(workers: Int) throws -> [R] {
        let group = DispatchGroup()
        for _ in 0..<min(workers, items.count) {
            group.enter()
            Thread.detachNewThread { [self] in
                work()
                group.leave()
            }
        }
        group.wait()
        if let failure { throw failure }
        return results.map { $0! }
    }

    private func work() {
        while true {
            lock.lock()
            guard failure == nil, next < items.count else {
                lock.unlock()
                return
            }
            let i = next
            next += 1
            lock.unlock()
            do {
                let r = try body(items[i])
                lock.lock()
                results[i] = r
                lock.unlock()
            } catch {
                lock.lock()
                if failure == nil { failure = error }
                lock.unlock()
            }
        }
    }
}
