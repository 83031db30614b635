import Foundation
import Layers
import OCI
import Store

/// Everything `imagectl build` was asked to do.
public struct BuildOptions: Sendable {
    public var context: String
    /// The Containerfile; nil means CONTEXT/Containerfile, then CONTEXT/Dockerfile.
    public var file: String?
    public var platforms: [Platform]
    public var buildArgs: [String: String]
    public var labels: [String: String]
    public var compression: Compression
    public var noCache: Bool
    /// Every timestamp in the image (SOURCE_DATE_EPOCH, else 0), so a rebuild is byte-identical.
    public var epoch: Int
    /// The stage to build; nil means the last one.
    public var target: String?
    /// The config's and history's `created` time when it should differ from `epoch` (the commit
    /// time, say); layer mtimes always use `epoch`, so the layer cache is not tied to a commit.
    public var created: Int?
    /// RUN steps' network unless a step names one: `default` (the host's), `none` or `host`.
    public var network = "default"
    /// `--no-cache-filter`: stages whose steps are all made again, whatever the cache holds.
    public var noCacheFilter: Set<String> = []
    /// `--secret id=ID,src=FILE|env=VAR`: what `RUN --mount=type=secret` reads, by id.
    public var secrets: [String: SecretSource] = [:]

    public init(context: String = ".", file: String? = nil, platforms: [Platform] = [.host], buildArgs: [String: String] = [:],
                labels: [String: String] = [:], compression: Compression = .default, noCache: Bool = false,
                epoch: Int = 0, target: String? = nil) {
        self.context = context
        self.file = file
        self.platforms = platforms
        self.buildArgs = buildArgs
        self.labels = labels
        self.compression = compression
        self.noCache = noCache
        self.epoch = epoch
        self.target = target
    }

    /// SOURCE_DATE_EPOCH as buildx reads it: a whole number of seconds.
    public static func epoch(from environment: [String: String]) throws -> Int {
        guard let s = environment["SOURCE_DATE_EPOCH"], !s.isEmpty else { return 0 }
        guard let v = Int(s), v >= 0 else {
            throw BuildError("SOURCE_DATE_EPOCH=\(s) is not a whole number of seconds since 1970")
        }
        return v
    }
}

/// Where a build secret's value is read from, only when a step mounts it; never printed.
public enum SecretSource: Sendable, Equatable {
    case file(String)
    case environment(String)
}

/// Output a RUN step wrote (standard output and error together), as it comes.
public struct StepOutput: Sendable {
    public var platform: Platform
    public var line: Int
    public var text: Data
}

/// What happened to one layer, for progress output.
public struct LayerEvent: Sendable {
    public enum Outcome: String, Sendable {
        /// Found in the store from an earlier build.
        case cached
        /// Already built by this build for another platform.
        case shared
        case built
    }

    public var platform: Platform
    public var line: Int
    public var instruction: String
    public var outcome: Outcome
    public var digest: Digest
    public var size: Int64
    public var files: Int
    public var seconds: Double
}

/// The result of a build: the image (a manifest, or an index for several platforms) in the store.
public struct BuildResult: Sendable {
    public var descriptor: Descriptor
    public var manifests: [Descriptor]
    public var events: [LayerEvent]
    /// Context files that had to be read and hashed.
    public var hashedFiles: Int
    /// The layer cache keys this build used, for exporting the cache.
    public var layerKeys: [(key: Digest, record: LayerRecord)]
}
