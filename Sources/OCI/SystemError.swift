import Foundation

/// Why a file operation failed, in strerror's words. Foundation's own text ("The file … couldn't
/// be saved", "NSCocoaErrorDomain Code=640") names neither the whole path nor the cause.
public enum SystemError {
    /// strerror's text for an errno value, with what to do where there is one thing to do.
    public static func reason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return code == ENOSPC ? text + ": free space on that filesystem and run again" : text
    }

    /// The path a Foundation file error names (when it names one) and its reason; nil for an error
    /// that is not Foundation's.
    public static func foundation(_ error: Error) -> (path: String?, reason: String)? {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return nil }
        let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        // The underlying error is a Swift POSIXError on Linux, which `as? NSError` does not match.
        let underlying = (ns.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
        if ns.domain == NSPOSIXErrorDomain { return (path, reason(Int32(truncatingIfNeeded: ns.code))) }
        if let u = underlying, u.domain == NSPOSIXErrorDomain { return (path, reason(Int32(truncatingIfNeeded: u.code))) }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return (path, reason(ENOENT))
        case .fileReadNoPermission, .fileWriteNoPermission: return (path, reason(EACCES))
        case .fileWriteOutOfSpace: return (path, reason(ENOSPC))
        case .fileWriteVolumeReadOnly: return (path, reason(EROFS))
        case .fileWriteFileExists: return (path, reason(EEXIST))
        case .fileReadTooLarge: return (path, reason(EFBIG))
        case .fileReadInvalidFileName, .fileWriteInvalidFileName: return (path, "not a usable file name")
        default: return (path, "cannot be read or written")
        }
    }

    /// An error as a one-line message reads it: a Foundation file error as "PATH: reason", any
    /// other as it describes itself.
    public static func message(_ error: Error) -> String {
        guard let (path, why) = foundation(error) else { return "\(error)" }
        return path.map { "\($0): \(why)" } ?? why
    }
}
