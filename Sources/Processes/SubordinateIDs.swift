import Foundation

/// A user's subordinate IDs, as /etc/subuid and /etc/subgid grant them (`NAME:START:COUNT`, or
/// `UID:START:COUNT`): the IDs newuidmap and newgidmap let that user map into a user namespace.
public struct SubordinateIDs: Sendable, Equatable {
    public var start: UInt32
    public var count: UInt32

    /// The user's first range in `text` (the one podman's and unshare's automatic maps take).
    public static func first(in text: String, user: String, uid: UInt32) -> SubordinateIDs? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == user || fields[0] == "\(uid)",
                  let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0 else { continue }
            return SubordinateIDs(start: start, count: count)
        }
        return nil
    }

    /// A range of 65,536 IDs that no line of `texts` grants, above every range they grant and at
    /// least 100000 (useradd's first): what to suggest to a user who has none.
    public static func free(after texts: [String]) -> SubordinateIDs {
        var end: UInt64 = 100_000
        for line in texts.joined(separator: "\n").split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, let start = UInt64(fields[1]), let count = UInt64(fields[2]) else { continue }
            end = max(end, start + count)
        }
        return SubordinateIDs(start: UInt32(clamping: end), count: 65_536)
    }

    /// As usermod's `--add-subuids` takes it: `FIRST-LAST`.
    public var usermodRange: String { "\(start)-\(UInt64(start) + UInt64(count) - 1)" }
}
