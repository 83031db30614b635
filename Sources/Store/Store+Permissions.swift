import Foundation

extension Store {
    /// Creates a store directory as 0700 whatever the umask, and takes group and world access away
    /// from one that exists (a store made under `umask 000`). Missing parents are made 0700 too;
    /// parents that exist are not the store's to change.
    /// The store's own directories (all but its root, which may be reached through a link) are
    /// never links, and every one belongs to this user: a store another user can write would hand
    /// them the snapshots root's steps run on, and a link there would send prune out of the store.
    static func makePrivateDirectory(_ path: String, isRoot: Bool = false) throws {
        try makeDirectory(path)
        var st = stat()
        guard (isRoot ? stat(path, &st) : lstat(path, &st)) == 0, st.st_mode & S_IFMT == S_IFDIR else {
            throw StoreError.io(path, "not a directory; the store needs one here")
        }
        guard st.st_uid == geteuid() else {
            throw StoreError.io(path, "belongs to uid \(st.st_uid), not to this user (uid \(geteuid())): a store is one user's, as its files decide what builds run; use a store of your own (IMAGECTL_HOME)")
        }
        if st.st_mode & 0o777 != 0o700, chmod(path, 0o700) != 0 {
            throw StoreError.io(path, "others may use this directory and it cannot be restricted (\(String(cString: strerror(errno)))); use a store of your own (IMAGECTL_HOME)")
        }
    }

    private static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) == 0 {
            chmod(path, 0o700)
            return
        }
        if errno == EEXIST { return }
        let parent = (path as NSString).deletingLastPathComponent
        guard errno == ENOENT, !parent.isEmpty, parent != path else { throw StoreError.io(path, String(cString: strerror(errno))) }
        try makeDirectory(parent)
        if mkdir(path, 0o700) == 0 {
            chmod(path, 0o700)
        } else if errno != EEXIST {
            throw StoreError.io(path, String(cString: strerror(errno)))
        }
    }
}
