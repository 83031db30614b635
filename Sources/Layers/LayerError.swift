import Foundation

public enum LayerError: Error, CustomStringConvertible {
    case io(String, String)
    case archive(String, String)
    case changed(String)
    case badOption(String, String, String)
    case unsafeArchiveEntry(String, String, String)

    public var description: String {
        switch self {
        case .io(let p, let why): return "\(p): \(why)"
        case .archive(let p, let why): return "\(p): \(why)"
        case .changed(let p): return "\(p): changed while the layer was being written; build again"
        case .badOption(let flag, let v, let why): return "\(flag) \(v): \(why)"
        case .unsafeArchiveEntry(let archive, let entry, let why):
            // Entry names come from the archive: control characters would break the one-line error.
            let shown = String(entry.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? "?" : Character($0) })
            return "\(archive): entry \"\(shown)\" \(why); repack the archive without it"
        }
    }
}

func errnoString() -> String { String(cString: strerror(errno)) }
