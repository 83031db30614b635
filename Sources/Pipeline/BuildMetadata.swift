import Build
import Foundation
import OCI
import Release

/// What a build tells the rest of its CI job: buildx's `--metadata-file` keys, and inside GitHub
/// Actions the step outputs and the job summary.
enum BuildMetadata {
    /// The keys buildx writes with --metadata-file.
    static func json(result: BuildResult, configDigest: Digest?, names: [Reference]) throws -> Data {
        var d = result.descriptor
        d.platform = nil
        var meta: [String: AnyEncodable] = [
            "containerimage.digest": AnyEncodable(d.digest.description),
            "containerimage.descriptor": AnyEncodable(d),
        ]
        if let configDigest { meta["containerimage.config.digest"] = AnyEncodable(configDigest.description) }
        if !names.isEmpty { meta["image.name"] = AnyEncodable(names.map(\.description).joined(separator: ",")) }
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(meta)
    }

    /// Step outputs and the job summary, inside GitHub Actions.
    static func reportToGitHub(_ outcome: BuildOutcome, view: ImageView, metadata: Data, tags: [String]) throws {
        let actions = GitHubActions()
        guard actions.isActive else { return }
        let result = outcome.result
        var lines: [BuildReport.PlatformLine] = []
        var labels: [String: String] = [:]
        for m in result.manifests {
            let image = try view.image(m)
            labels = image.config.config.labels ?? [:]
            lines.append(.init(platform: image.descriptor.platform?.description ?? image.config.platform.description,
                               digest: m.digest.description, size: image.manifest.size))
        }
        let built = result.events.filter { $0.outcome == .built }.count
        try BuildReport(digest: result.descriptor.digest.description, imageID: (outcome.configDigest ?? result.descriptor.digest).description,
                        metadata: String(decoding: metadata, as: UTF8.self), tags: tags, labels: labels,
                        version: labels["org.opencontainers.image.version"], platforms: lines, layersBuilt: built,
                        layersReused: result.events.count - built, seconds: outcome.seconds).write(to: actions)
    }
}

struct AnyEncodable: Encodable {
    let encodeValue: (Encoder) throws -> Void
    init<T: Encodable>(_ v: T) { encodeValue = v.encode }
    func encode(to encoder: Encoder) throws { try encodeValue(encoder) }
}
