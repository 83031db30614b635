import Foundation

/// The shapes a secret takes on its way to a registry, and so in anything a registry may echo:
/// as typed, percent-encoded (a token form), base64 alone and in a Basic header's `user:secret`,
/// with and without base64's padding. Redaction and GitHub Actions masks cover all of them.
enum SecretForms {
    static func of(_ secret: String, username: String? = nil) -> [String] {
        guard !secret.isEmpty else { return [] }
        var forms = [secret]
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) {
            forms.append(encoded)
        }
        var plain = [Data(secret.utf8).base64EncodedString()]
        if let username { plain.append(Data("\(username):\(secret)".utf8).base64EncodedString()) }
        for b in plain {
            forms.append(b)
            let unpadded = String(b.reversed().drop { $0 == "=" }.reversed())
            forms.append(unpadded)
            // base64url, as tokens and some registries write it.
            forms.append(unpadded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
        }
        var seen = Set<String>()
        // Longest first, so a form that contains another is replaced whole.
        return forms.filter { $0.count >= 4 && seen.insert($0).inserted }.sorted { $0.count > $1.count }
    }
}
