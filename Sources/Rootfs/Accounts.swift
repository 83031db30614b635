import Foundation

/// `/etc/passwd` and `/etc/group` of a stage, for `--chown=NAME:GROUP` and `USER name`: read as
/// moby/sys/user reads them (colon-separated, `#` comments and malformed lines skipped).
public struct Accounts: Sendable {
    public struct User: Sendable, Equatable {
        public var name: String
        public var uid: Int
        public var gid: Int
        public var home: String
    }

    public var users: [User] = []
    public var groups: [(name: String, gid: Int, members: [String])] = []

    /// The files are a user's: at most 10 MB each is read (BuildKit's limit).
    public static let maxBytes = 10 << 20

    public init(passwd: Data?, group: Data?) {
        for fields in Accounts.records(passwd, minimum: 7) {
            guard let uid = Int(fields[2]), let gid = Int(fields[3]), uid >= 0, gid >= 0 else { continue }
            users.append(User(name: fields[0], uid: uid, gid: gid, home: fields[5]))
        }
        for fields in Accounts.records(group, minimum: 4) {
            guard let gid = Int(fields[2]), gid >= 0 else { continue }
            groups.append((fields[0], gid, fields[3].split(separator: ",").map(String.init)))
        }
    }

    static func records(_ data: Data?, minimum: Int) -> [[String]] {
        guard let data else { return [] }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { line in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty, !text.hasPrefix("#") else { return nil }
            let fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            return fields.count >= minimum ? fields : nil
        }
    }

    /// `user[:group]` as `--chown` and `USER` take it: numbers as they are (a lone uid gives the
    /// same gid, as BuildKit does), names looked up here. An unknown name is an error that says
    /// which file was searched.
    public func resolve(_ spec: String) throws -> (uid: Int, gid: Int) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let userPart = parts.first, !userPart.isEmpty else { throw RootfsError("\"\(spec)\": no user given (use USER[:GROUP])") }
        var uid: Int, gid: Int
        if let n = Accounts.id(userPart) {
            (uid, gid) = (n, n)
        } else if let u = users.first(where: { $0.name == userPart }) {
            (uid, gid) = (u.uid, u.gid)
        } else {
            throw RootfsError("\"\(spec)\": no user \"\(userPart)\" in the stage's /etc/passwd; add it in an earlier step or use a numeric ID")
        }
        if parts.count == 2 {
            let groupPart = parts[1]
            if let n = Accounts.id(groupPart) {
                gid = n
            } else if let g = groups.first(where: { $0.name == groupPart }) {
                gid = g.gid
            } else {
                throw RootfsError("\"\(spec)\": no group \"\(groupPart)\" in the stage's /etc/group; add it in an earlier step or use a numeric ID")
            }
        }
        return (uid, gid)
    }

    /// A numeric ID within what a tar header and the kernel accept.
    static func id(_ s: String) -> Int? {
        guard !s.isEmpty, s.allSatisfy(\.isASCII), let n = UInt32(s) else { return nil }
        return Int(n)
    }
}
