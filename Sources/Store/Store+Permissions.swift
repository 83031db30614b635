import Foundation

extension Store {
    /// Creates a store directory as 0700 whatever the umask, and takes group and world access away
    /// from one that exists (a store made under `umask 000`). Missing parents are made 0700 too;
    /// parents that exist are not the store's to change.
    static func makePrivateDirectory(_ path: String) throws {
        try makeDirectory(path)
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
            throw StoreError.io(path, "not a directory; the store needs one here")
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
