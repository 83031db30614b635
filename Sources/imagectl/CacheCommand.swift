import ArgumentParser
import Foundation
import Pipeline
import Store

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Inspect and maintain the store and layer cache.",
        subcommands: [Usage.self, Prune.self, Verify.self])

    struct Usage: ParsableCommand, RunsInUserNamespace {
        static let configuration = CommandConfiguration(commandName: "du", abstract: "Show how much the store holds.")
        func run() throws {
            try guarded {
                let root = Store.defaultRoot()
                let u = try Pipeline.usage(storeRoot: root)
                print("store: \(root)")
                print("blobs: \(u.blobs) (\(formatBytes(u.blobBytes)))")
                print("cached layers: \(u.cacheRecords)")
                print("images: \(u.images)")
                print("temp files: \(u.tempFiles)")
                print("snapshots: \(u.snapshots) (\(formatBytes(u.snapshotBytes)))")
                print("cache mounts: \(u.cacheMounts) (\(formatBytes(u.cacheMountBytes)))")
            }
        }
    }

    struct Prune: ParsableCommand, RunsInUserNamespace {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Remove temp files, unused snapshots and blobs nothing refers to; --all drops the layer cache and cache mounts too.")
        @Flag(help: "Also drop every cached layer that no named image uses, and every RUN cache mount.")
        var all = false
        func run() throws {
            try guarded {
                let r = try Pipeline.prune(all: all, storeRoot: Store.defaultRoot())
                print("removed \(r.blobsRemoved) blob(s) (\(formatBytes(r.bytesFreed))), \(r.recordsRemoved) cache record(s), \(r.tempFilesRemoved) temp file(s), \(r.snapshotsRemoved) snapshot(s), \(r.cacheMountsRemoved) cache mount(s)")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash every blob and report any that do not match their digest; remove cache records whose layer is missing or damaged.")
        func run() throws {
            try guarded {
                let r = try Pipeline.verify(storeRoot: Store.defaultRoot())
                for d in r.corrupt { print("corrupt: \(d)") }
                for line in r.removedRecords { print("removed cache record \(line)") }
                print("checked \(r.checked) blob(s), \(r.corrupt.count) corrupt")
                if !r.corrupt.isEmpty || !r.removedRecords.isEmpty { throw ExitCode(1) }
            }
        }
    }
}
