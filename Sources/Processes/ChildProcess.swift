import CProcess
import Foundation

/// A program imagectl starts (`docker load`, `podman load`, an OCI runtime), with the CProcess
/// shim: it holds none of imagectl's descriptors and dies with imagectl. Its standard output and
/// error go to one pipe that a thread of its own drains, keeping the last `outputLimit` bytes
/// (where a failure says why) and handing each chunk to `onOutput`, so a chatty program can never
/// block on a full pipe while we feed it.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    /// Our end of its standard input (-1 once closed, or when it reads /dev/null).
    public private(set) var input: Int32 = -1
    private let lock = NSLock()
    private var tail = Data()
    private var stopReading = false
    private let drained = DispatchGroup()

    public static let outputLimit = 64 << 10
    private let onOutput: (@Sendable (Data) -> Void)?

    /// A write to a pipe whose reader is gone raises SIGPIPE, whose default kills the process.
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Starts `arguments` (the first is the program's name, `path` where it is); `feedsInput`
    /// gives it a pipe from us as its standard input, else /dev/null.
    public init(_ path: String, _ arguments: [String], environment: [String: String], feedsInput: Bool,
                onOutput: (@Sendable (Data) -> Void)? = nil) throws {
        self.onOutput = onOutput
        _ = ChildProcess.ignoreBrokenPipes
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        if feedsInput {
            guard imagectl_pipe_cloexec(&inPipe) == 0 else { throw ProcessError(arguments[0], String(cString: strerror(errno))) }
        } else {
            inPipe[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        guard inPipe[0] >= 0, imagectl_pipe_cloexec(&outPipe) == 0 else {
            let reason = String(cString: strerror(errno))
            for fd in inPipe where fd >= 0 { close(fd) }
            throw ProcessError(arguments[0], reason)
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        pid = imagectl_spawn(path, argv, envp, inPipe[0], outPipe[1], outPipe[1])
        let reason = String(cString: strerror(errno))
        close(inPipe[0])
        close(outPipe[1])
        guard pid > 0 else {
            if inPipe[1] >= 0 { close(inPipe[1]) }
            close(outPipe[0])
            throw ProcessError(path, "cannot be started: \(reason)")
        }
        input = inPipe[1]
        let output = outPipe[0]
        drained.enter()
        Thread.detachNewThread { [self] in
            drain(output)
            close(output)
            drained.leave()
        }
    }

    /// Reads the program's output until it ends, or until `wait` gives up on it (a daemon the
    /// program left behind may hold the pipe open).
    private func drain(_ fd: Int32) {
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            lock.lock()
            let stop = stopReading
            lock.unlock()
            if stop { return }
            let ready = poll(&p, 1, 100)
            if ready < 0, errno != EINTR { return }
            if ready <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return }
            onOutput?(Data(buf[..<n]))
            lock.lock()
            tail.append(contentsOf: buf[..<n])
            if tail.count > ChildProcess.outputLimit { tail.removeFirst(tail.count - ChildProcess.outputLimit) }
            lock.unlock()
        }
    }

    /// Ends its input, so it sees the end of what we send.
    public func closeInput() {
        if input >= 0 { close(input) }
        input = -1
    }

    /// Stops it at once and reaps it.
    public func kill() {
        Glibc.kill(pid, SIGKILL)
        _ = wait(timeout: 5)
    }

    /// Its exit status (128+N after signal N) once it exits; past `timeout` seconds it is killed
    /// and nil returned.
    public func wait(timeout: Double) -> Int32? {
        closeInput()
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var exited: Int32?
        var killed = false
        while exited == nil {
            let r = waitpid(pid, &status, killed ? 0 : WNOHANG)
            if r == pid {
                exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            } else if r < 0, errno != EINTR {
                exited = -1
            } else if r == 0 {
                if deadline.timeIntervalSinceNow <= 0 {
                    Glibc.kill(pid, SIGKILL)
                    killed = true
                } else {
                    usleep(10_000)
                }
            }
        }
        if drained.wait(timeout: .now() + 2) == .timedOut {
            lock.lock()
            stopReading = true
            lock.unlock()
            drained.wait()
        }
        return killed ? nil : exited
    }

    /// What it wrote (the last `outputLimit` bytes), as lines without the empty ones.
    public var outputLines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: tail, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// The first executable file named `name` in the directories of `environment`'s PATH.
    public static func executable(_ name: String, environment: [String: String]) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            var st = stat()
            if stat(candidate, &st) == 0, st.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

public struct ProcessError: Error, CustomStringConvertible {
    public let program: String
    public let reason: String
    public init(_ program: String, _ reason: String) {
        self.program = program
        self.reason = reason
    }
    public var description: String { "\(program): \(reason)" }
}
