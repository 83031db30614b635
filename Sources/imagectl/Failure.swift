import ArgumentParser
import Build
import Foundation
import OCI
import Release

/// Prints an error as one line on stderr and exits 1: no stack dumps.
func fail(_ error: Error) -> ExitCode {
    // One line whatever the error quotes (a registry's message, an archive's entry name): control
    // characters could otherwise break it or rewrite the terminal.
    let text = String(SystemError.message(error).unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : Character($0) })
    if let b = error as? BuildError {
        GitHubActions().error(file: b.file, line: b.line, b.message)
    } else {
        GitHubActions().error(file: nil, line: nil, text)
    }
    standardError("imagectl: error: \(text)")
    return ExitCode(1)
}

/// Runs a command body and turns any error into `fail`.
func guarded(_ body: () throws -> Void) throws {
    do { try body() } catch let e as ExitCode { throw e } catch let e as CleanExit { throw e } catch {
        // The step failed because a signal stopped it: the signal's thread exits for us.
        if Interruption.isStopping { while true { pause() } }
        throw fail(error)
    }
}

/// Writes to stderr, ignoring failure: when it is full or its reader has gone there is nowhere
/// to say so, and the throwing write is the one that does not trap.
func standardError(_ line: String, terminator: String = "\n") {
    try? FileHandle.standardError.write(contentsOf: Data((line + terminator).utf8))
}

func formatBytes(_ n: Int64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var v = Double(n)
    var i = 0
    while v >= 1000, i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
}
