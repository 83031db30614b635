import Foundation

/// Files the kernel writes as they are read (/proc, /sys): their size says 0, and Foundation's
/// readers stop after the first read, about a page, so /proc/self/mountinfo on a machine with
/// many mounts (a CI runner with Docker) would lose its later lines. Read to the end, bounded.
public enum KernelFile {
    public static let maxBytes = 16 << 20

    public static func read(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while data.count < maxBytes {
            let n = buf.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return data }
            data.append(contentsOf: buf[..<n])
        }
        return nil
    }

    public static func text(_ path: String) -> String? {
        read(path).map { String(decoding: $0, as: UTF8.self) }
    }
}
