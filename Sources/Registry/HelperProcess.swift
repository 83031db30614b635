import CProcess
import Foundation

/// A short-lived helper program (a credential helper): its input written, its output and error
/// streams drained together (a helper filling one pipe while we wait on the other would hang both),
/// each bounded, the whole run bounded in time, and the helper killed if it overstays or if
/// imagectl dies.
struct HelperProcess {
    struct Outcome {
        var status: Int32
        var output: Data
    }

    enum Failure: Error {
        case notFound
        case cannotStart(String)
        case timedOut(Double)
        case tooMuchOutput(Int)
    }

    static let outputLimit = 1 << 20

    /// A write to a pipe whose reader is gone raises SIGPIPE, whose default kills the process.
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    static func run(_ arguments: [String], input: Data, environment: [String: String], timeout: Double = 60) throws -> Outcome {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard let path = executable(arguments[0], environment: environment) else { throw Failure.notFound }
        guard imagectl_pipe_cloexec(&inPipe) == 0, imagectl_pipe_cloexec(&outPipe) == 0, imagectl_pipe_cloexec(&errPipe) == 0 else {
            throw Failure.cannotStart(String(cString: strerror(errno)))
        }
        var open = Set(inPipe + outPipe + errPipe)
        defer { for fd in open where fd >= 0 { close(fd) } }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        let pid = imagectl_spawn(path, argv, envp, inPipe[0], outPipe[1], errPipe[1])
        guard pid > 0 else { throw Failure.cannotStart(String(cString: strerror(errno))) }
        for fd in [inPipe[0], outPipe[1], errPipe[1]] {
            close(fd)
            open.remove(fd)
        }
        // The input is a host name or one small JSON document: far below a pipe's buffer, so the
        // write cannot block on a helper that does not read it; one that has already exited makes
        // it fail with EPIPE, which its exit status then explains, rather than kill us.
        _ = HelperProcess.ignoreBrokenPipes
        _ = input.withUnsafeBytes { write(inPipe[1], $0.baseAddress, $0.count) }
        close(inPipe[1])
        open.remove(inPipe[1])

        var output = Data(), errors = 0
        var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0), pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        let deadline = Date().addingTimeInterval(timeout)
        var buf = [UInt8](repeating: 0, count: 65536)
        while fds.contains(where: { $0.fd >= 0 }) {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                reap(pid)
                throw Failure.timedOut(timeout)
            }
            let n = poll(&fds, nfds_t(fds.count), Int32(min(left, 1) * 1000) + 1)
            if n < 0 && errno != EINTR { break }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let got = buf.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if got < 0 && errno == EINTR { continue }
                if got <= 0 {
                    fds[i].fd = -1
                    continue
                }
                if i == 0 { output.append(contentsOf: buf[0..<got]) } else { errors += got }
                if output.count > outputLimit || errors > outputLimit {
                    reap(pid)
                    throw Failure.tooMuchOutput(outputLimit)
                }
            }
        }
        guard let status = reap(pid, deadline: deadline) else {
            reap(pid)
            throw Failure.timedOut(timeout)
        }
        return Outcome(status: status, output: output)
    }

    /// The first executable file named `name` in the directories of PATH.
    static func executable(_ name: String, environment: [String: String]) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Waits for the helper until the deadline, its exit status (128+N for signal N); nil if it is
    /// still running then. Without a deadline it is killed first.
    @discardableResult
    private static func reap(_ pid: pid_t, deadline: Date? = nil) -> Int32? {
        if deadline == nil { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, deadline == nil ? 0 : WNOHANG)
            if r == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
            if r < 0 && errno != EINTR { return -1 }
            if r == 0 {
                guard let deadline, deadline.timeIntervalSinceNow > 0 else { return nil }
                usleep(10_000)
            }
        }
    }
}
