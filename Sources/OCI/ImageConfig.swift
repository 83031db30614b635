import Foundation

/// The image configuration blob (OCI image-spec config.md, plus Docker's Healthcheck and Shell).
public struct ImageConfig: Codable, Hashable, Sendable {
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: Config
    public var rootfs: RootFS
    public var history: [History]?

    public init(platform: Platform) {
        architecture = platform.architecture
        os = platform.os
        variant = platform.variant
        config = Config()
        rootfs = RootFS(diffIDs: [])
        history = []
    }

    public var platform: Platform { Platform(os: os, architecture: architecture, variant: variant) }

    public struct Empty: Codable, Hashable, Sendable { public init() {} }

    public struct Config: Codable, Hashable, Sendable {
        public var user: String?
        public var exposedPorts: [String: Empty]?
        public var env: [String]?
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var volumes: [String: Empty]?
        public var workingDir: String?
        public var labels: [String: String]?
        public var stopSignal: String?
        public var healthcheck: Healthcheck?
        public var shell: [String]?
        public var argsEscaped: Bool?
        /// ONBUILD triggers: instructions a build FROM this image runs first.
        public var onBuild: [String]?

        enum CodingKeys: String, CodingKey {
            case user = "User", exposedPorts = "ExposedPorts", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd"
            case volumes = "Volumes", workingDir = "WorkingDir", labels = "Labels", stopSignal = "StopSignal"
            case healthcheck = "Healthcheck", shell = "Shell", argsEscaped = "ArgsEscaped", onBuild = "OnBuild"
        }

        public init() {}

        /// The value of one environment variable, as the image's processes will see it.
        public func envValue(_ name: String) -> String? {
            for e in (env ?? []).reversed() where e.hasPrefix(name + "=") {
                return String(e.dropFirst(name.count + 1))
            }
            return nil
        }

        /// Sets a variable, keeping its place in the list when it already exists, as Docker does.
        public mutating func setEnv(_ name: String, _ value: String) {
            var list = env ?? []
            if let i = list.firstIndex(where: { $0.hasPrefix(name + "=") || $0 == name }) {
                list[i] = "\(name)=\(value)"
            } else {
                list.append("\(name)=\(value)")
            }
            env = list
        }
    }

    public struct Healthcheck: Codable, Hashable, Sendable {
        public var test: [String]?
        public var interval: Int64?
        public var timeout: Int64?
        public var startPeriod: Int64?
        public var startInterval: Int64?
        public var retries: Int?

        enum CodingKeys: String, CodingKey {
            case test = "Test", interval = "Interval", timeout = "Timeout", startPeriod = "StartPeriod"
            case startInterval = "StartInterval", retries = "Retries"
        }

        public init(test: [String]?) { self.test = test }
    }

    public struct RootFS: Codable, Hashable, Sendable {
        public var type: String = "layers"
        public var diffIDs: [Digest]

        enum CodingKeys: String, CodingKey {
            case type, diffIDs = "diff_ids"
        }

        public init(diffIDs: [Digest]) { self.diffIDs = diffIDs }
    }

    public struct History: Codable, Hashable, Sendable {
        public var created: String?
        public var createdBy: String?
        public var comment: String?
        public var emptyLayer: Bool?

        enum CodingKeys: String, CodingKey {
            case created, createdBy = "created_by", comment, emptyLayer = "empty_layer"
        }

        public init(created: String?, createdBy: String?, comment: String? = nil, emptyLayer: Bool? = nil) {
            self.created = created
            self.createdBy = createdBy
            self.comment = comment
            self.emptyLayer = emptyLayer
        }
    }
}
