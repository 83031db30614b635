import Foundation

/// A fresh directory under the system temp dir, removed by the caller.
public func makeTempDir(_ name: String = "t") throws -> String {
    let path = NSTemporaryDirectory() + "imagectl-\(name)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs a tool and returns its stdout; a failure (or a missing tool) fails the test, never skips it.
@discardableResult
public func run(_ args: [String], stdin: Data? = nil) throws -> Data {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    if let stdin {
        let inPipe = Pipe()
        p.standardInput = inPipe
        try p.run()
        inPipe.fileHandleForWriting.write(stdin)
        try inPipe.fileHandleForWriting.close()
    } else {
        try p.run()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw ToolError(message: "\(args.joined(separator: " ")) exited \(p.terminationStatus): \(String(decoding: errData, as: UTF8.self))")
    }
    return data
}

public struct ToolError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

public func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// Writes a script to run, from another process: a descriptor open for writing in this process
/// could reach a child another test forks at that moment, and exec of the script would then fail
/// with "Text file busy".
public func writeExecutable(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try run(["install", "-m", "755", "/dev/stdin", path], stdin: Data(text.utf8))
}

/// Runs a tool that may leave a daemon behind (podman's conmon): the tool starts with every
/// descriptor above stderr closed, so the daemon cannot hold the pipes this process waits on.
@discardableResult
public func runDetaching(_ args: [String], stdin: Data? = nil) throws -> Data {
    try run(["python3", "-c", "import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])"] + args, stdin: stdin)
}
