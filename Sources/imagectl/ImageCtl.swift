import ArgumentParser
import CProcess
import OCI
import Foundation
import Processes

@main
struct ImageCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagectl",
        abstract: "Build multi-platform container images from a Containerfile, without a container engine.",
        discussion: """
        Images are assembled from a base, tar layers and a config for every target platform; nothing runs \
        inside them. Every blob lives in a content-addressed store that is also the layer cache \
        ($IMAGECTL_HOME, else $XDG_CACHE_HOME/imagectl, else ~/.cache/imagectl).
        """,
        version: "0.1.0",
        subcommands: [BuildCommand.self, PushCommand.self, LoginCommand.self, LogoutCommand.self, TagsCommand.self,
                      TagCommand.self, RollbackCommand.self, IndexCommand.self, InspectCommand.self, DigestCommand.self,
                      ListCommand.self, ExportCommand.self, ImagesCommand.self, CacheCommand.self, BinfmtCommand.self]
    )

    static func main() {
        // A reader that goes away (a credential helper that exits before reading, `imagectl ls | head`)
        // must surface as an error on that write, not kill the process with SIGPIPE mid-push.
        signal(SIGPIPE, SIG_IGN)
        // Every child is waited for: an ignored SIGCHLD, inherited across exec, would make each
        // wait fail and a child's exit status unknown.
        signal(SIGCHLD, SIG_DFL)
        SHA256.keepCryptoUntilExit()
        imagectl_fix_mmap_threshold()
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        // Before any thread starts: the kernel makes a user namespace only for a single thread.
        if command is RunsInUserNamespace {
            do { try UserNamespace.enterUnlessRoot() } catch { exit(withError: fail(error)) }
        }
        stopCleanlyOnSignals()
        do { try command.run() } catch { exit(withError: error) }
    }

    /// SIGINT, SIGTERM and SIGHUP (a cancelled CI job, Ctrl-C) go to one thread that stops the
    /// running step's container, unmounts its filesystem and removes its directory before exiting;
    /// blocked everywhere else, from before any other thread exists.
    static func stopCleanlyOnSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let signals = set
        Thread.detachNewThread {
            var mask = signals
            var received: Int32 = 0
            guard sigwait(&mask, &received) == 0 else { return }
            Interruption.runAll()
            standardError("imagectl: stopped by signal \(received)")
            _exit(128 + received)
        }
    }
}

/// A command that runs steps, or reads and removes what steps left in the store (files of the
/// image's owners): run without root, it runs as root of a user namespace (`UserNamespace`).
protocol RunsInUserNamespace {}
