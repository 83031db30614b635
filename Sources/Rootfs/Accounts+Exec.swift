extension Accounts {
    /// The user a RUN step runs as, from `USER` as moby/sys/user's GetExecUser reads it: a name
    /// must be in /etc/passwd, a uid need not be (its group is then 0); a group name must be in
    /// /etc/group; without a group, the user's primary group and every group listing it.
    public func execUser(_ spec: String) throws -> (uid: UInt32, gid: UInt32, additional: [UInt32]) {
        if spec.isEmpty { return (0, 0, supplementary(of: users.first { $0.uid == 0 }?.name ?? "root", primary: 0)) }
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        var uid: Int, gid: Int, name: String?
        if let n = Accounts.id(userPart) {
            uid = n
            let known = users.first { $0.uid == n }
            gid = known?.gid ?? 0
            name = known?.name
        } else if let u = users.first(where: { $0.name == userPart }) {
            (uid, gid, name) = (u.uid, u.gid, u.name)
        } else {
            throw RootfsError("unable to find user \(userPart): no matching entries in passwd file")
        }
        guard parts.count == 2 else {
            return (UInt32(uid), UInt32(gid), name.map { supplementary(of: $0, primary: gid) } ?? [])
        }
        if let n = Accounts.id(parts[1]) {
            gid = n
        } else if let g = groups.first(where: { $0.name == parts[1] }) {
            gid = g.gid
        } else {
            throw RootfsError("unable to find group \(parts[1]): no matching entries in group file")
        }
        return (UInt32(uid), UInt32(gid), [])
    }

    /// The primary group and the groups that list `name` as a member, each once.
    func supplementary(of name: String, primary: Int) -> [UInt32] {
        var out = [UInt32(primary)]
        for g in groups where g.members.contains(name) && !out.contains(UInt32(g.gid)) { out.append(UInt32(g.gid)) }
        return out
    }
}
