/// One instruction of a Containerfile, as written, with the line it starts on.
public struct Instruction: Sendable, Equatable {
    /// Upper-cased keyword: FROM, COPY, ...
    public var keyword: String
    /// `--name=value` flags that precede the arguments.
    public var flags: [String: String]
    /// The text after the keyword and flags, continuation lines joined.
    public var arguments: String
    public var line: Int
    /// The instruction as written, for history entries and error messages.
    public var original: String
}

/// A parsed Containerfile: its directives and instructions.
public struct Containerfile: Sendable {
    public var path: String
    public var escape: Character
    public var instructions: [Instruction]

    static let known: Set<String> = [
        "FROM", "ARG", "ENV", "LABEL", "WORKDIR", "USER", "EXPOSE", "VOLUME", "STOPSIGNAL", "HEALTHCHECK",
        "SHELL", "ENTRYPOINT", "CMD", "COPY", "ADD", "RUN", "ONBUILD", "MAINTAINER",
    ]

    static let flagsAllowed: [String: Set<String>] = [
        "FROM": ["platform"],
        "COPY": ["from", "chown", "chmod", "link", "parents", "exclude"],
        "ADD": ["chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"],
        "HEALTHCHECK": ["interval", "timeout", "start-period", "start-interval", "retries"],
        "RUN": ["mount", "network", "security"],
    ]

    /// Parses Docker's syntax: parser directives (`escape`, `syntax`) at the top, comments,
    /// line continuations with the escape character, and keywords in any case.
    public init(path: String, text: String) throws {
        self.path = path
        var escape: Character = "\\"
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        var i = 0
        // Directives: only before any comment, blank line or instruction.
        var seenDirectives: Set<String> = []
        while i < lines.count {
            let t = lines[i].trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("#"), let eq = t.firstIndex(of: "=") else { break }
            let key = t[t.index(after: t.startIndex)..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = t[t.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter }) else { break }
            if seenDirectives.contains(key) {
                throw BuildError(file: path, line: i + 1, "the \(key) directive is given twice; keep one")
            }
            seenDirectives.insert(key)
            if key == "escape" {
                guard value == "\\" || value == "`" else {
                    throw BuildError(file: path, line: i + 1, "escape directive must be \\ or `, not \(value)")
                }
                escape = Character(value)
            }
            i += 1
        }
        self.escape = escape
        var out: [Instruction] = []
        while i < lines.count {
            let startLine = i + 1
            var line = lines[i]
            i += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            // Join continuation lines; comment and empty lines inside them are dropped, as Docker does.
            var logical = ""
            var original = ""
            while true {
                let stripped = line.trimmingCharacters(in: .whitespaces)
                if stripped.last == escape {
                    logical += String(line[..<line.lastIndex(of: escape)!])
                    original += line + "\n"
                    while i < lines.count {
                        let next = lines[i].trimmingCharacters(in: .whitespaces)
                        if next.isEmpty || next.hasPrefix("#") { i += 1 } else { break }
                    }
                    guard i < lines.count else { break }
                    line = lines[i]
                    i += 1
                } else {
                    logical += line
                    original += line
                    break
                }
            }
            out.append(try Containerfile.parseInstruction(logical, original: original, line: startLine, path: path))
        }
        instructions = out
        guard let first = out.first(where: { $0.keyword != "ARG" }) else {
            throw BuildError(file: path, "no FROM instruction: start the file with FROM scratch or FROM <image>")
        }
        guard first.keyword == "FROM" else {
            throw BuildError(file: path, line: first.line, "\(first.keyword) before the first FROM; only ARG may come before FROM")
        }
    }

    static func parseInstruction(_ text: String, original: String, line: Int, path: String) throws -> Instruction {
        var rest = Substring(text).drop(while: { $0 == " " || $0 == "\t" })
        let word = rest.prefix(while: { $0 != " " && $0 != "\t" })
        let keyword = word.uppercased()
        rest = rest.dropFirst(word.count).drop(while: { $0 == " " || $0 == "\t" })
        guard known.contains(keyword) else {
            throw BuildError(file: path, line: line, "unknown instruction \"\(word)\" (supported: \(known.sorted().joined(separator: ", ")))")
        }
        var flags: [String: String] = [:]
        while rest.hasPrefix("--") {
            let token = rest.prefix(while: { $0 != " " && $0 != "\t" })
            rest = rest.dropFirst(token.count).drop(while: { $0 == " " || $0 == "\t" })
            let body = token.dropFirst(2)
            let name = String(body.prefix(while: { $0 != "=" })).lowercased()
            let value = body.contains("=") ? String(body[body.index(after: body.firstIndex(of: "=")!)...]) : "true"
            guard let allowed = flagsAllowed[keyword], allowed.contains(name) else {
                throw BuildError(file: path, line: line, "\(keyword) does not take the flag --\(name)")
            }
            guard flags[name] == nil || name == "exclude" else {
                throw BuildError(file: path, line: line, "flag --\(name) given twice")
            }
            flags[name] = value
        }
        return Instruction(keyword: keyword, flags: flags, arguments: String(rest).trimmingCharacters(in: .whitespaces),
                           line: line, original: original.trimmingCharacters(in: .whitespaces))
    }
}
