/// A parsed Containerfile: its directives and instructions, read the way BuildKit reads a
/// Dockerfile (frontend/dockerfile/parser/parser.go).
public struct Containerfile: Sendable {
    public var path: String
    public var escape: Character
    public var instructions: [Instruction]

    static let known: Set<String> = [
        "FROM", "ARG", "ENV", "LABEL", "WORKDIR", "USER", "EXPOSE", "VOLUME", "STOPSIGNAL", "HEALTHCHECK",
        "SHELL", "ENTRYPOINT", "CMD", "COPY", "ADD", "RUN", "ONBUILD", "MAINTAINER",
    ]

    /// BuildKit reads a file with Go's bufio.Scanner, whose token limit makes a longer line an error.
    static let maxLineBytes = 65535

    /// Parses and checks the file: flags each keyword takes, arguments it needs, FROM first.
    public init(path: String, text: String) throws {
        self.path = path
        (escape, instructions) = try Containerfile.parse(text, path: path)
        for i in instructions.indices {
            do {
                try instructions[i].check()
            } catch let e as BuildError {
                throw BuildError(file: path, line: instructions[i].line, e.message)
            }
        }
        guard let first = instructions.first(where: { $0.keyword != "ARG" }) else {
            throw BuildError(file: path, "no FROM instruction: start the file with FROM scratch or FROM <image>")
        }
        guard first.keyword == "FROM" else {
            throw BuildError(file: path, line: first.line, "\(first.keyword) before the first FROM; only ARG may come before FROM")
        }
    }

    /// The instructions as written, in BuildKit's shapes, with no check of what each keyword takes:
    /// parser directives (`escape`, `syntax`, `check`) at the top, comments, line continuations
    /// with the escape character, keywords in any case, and heredoc bodies after their line.
    static func parse(_ text: String, path: String) throws -> (escape: Character, instructions: [Instruction]) {
        var lines = PhysicalLines(text, path: path)
        var directives = Directives(path: path)
        var out: [Instruction] = []
        while var line = try lines.next() {
            // A byte-order mark before the first line is not part of it.
            if lines.number == 1, line.unicodeScalars.first == "\u{FEFF}" { line = Substring(line.unicodeScalars.dropFirst()) }
            let first = Substring(trimNewline(line).unicodeScalars.drop(while: { $0.properties.isWhitespace }))
            try directives.read(first, line: lines.number)
            let start = lines.number
            if isComment(first) { continue }
            var (part, ended) = trimContinuation(first, escape: directives.escape)
            if ended && part.isEmpty { continue }
            var logical = String(part)
            // Comment lines and blank lines inside a continued instruction are dropped, as Docker does.
            while !ended, let next = try lines.next() {
                guard !isComment(next), !next.allSatisfy({ $0.unicodeScalars.allSatisfy(\.properties.isWhitespace) }) else { continue }
                (part, ended) = trimContinuation(trimNewline(next), escape: directives.escape)
                logical += part
            }
            guard logical.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
                throw BuildError(file: path, line: start, "a line continuation with no instruction after it: remove the \(directives.escape) or add the instruction")
            }
            var ins: Instruction
            do {
                ins = try Instruction(parsing: logical, escape: directives.escape.unicodeScalars.first!, line: start)
                if ins.takesHeredocs, logical.contains("<<") { ins.heredocs = try Heredoc.markers(inLine: logical) }
            } catch let e as BuildError {
                throw BuildError(file: path, line: start, e.message)
            }
            for k in ins.heredocs.indices { ins.heredocs[k].content = try lines.body(of: ins.heredocs[k], from: start) }
            ins.endLine = lines.number
            out.append(ins)
        }
        return (directives.escape, out)
    }

    static func trimNewline(_ s: Substring) -> Substring {
        var t = s
        while t.last == "\n" || t.last == "\r" || t.last == "\r\n" { t = t.dropLast() }
        return t
    }

    static func isComment(_ s: Substring) -> Bool {
        s.unicodeScalars.first(where: { !$0.properties.isWhitespace }) == "#"
    }

    /// A line continues when it ends in the escape character (blanks after it allowed), unless that
    /// character is itself escaped: `C:\\` ends the instruction. The continuation character goes,
    /// and the blanks after it; what came before it stays, spaces included.
    static func trimContinuation(_ s: Substring, escape: Character) -> (Substring, ended: Bool) {
        var t = s.unicodeScalars[...]
        while let c = t.last, c == " " || c == "\t" { t = t.dropLast() }
        guard t.last == escape.unicodeScalars.first else { return (s, true) }
        t = t.dropLast()
        if let c = t.last, c == escape.unicodeScalars.first { return (s, true) }
        return (Substring(t), false)
    }
}

/// The lines of the file, each with its line ending, and the number of the last one read.
private struct PhysicalLines {
    let text: String
    let path: String
    var position: String.Index
    var number = 0

    init(_ text: String, path: String) {
        self.text = text
        self.path = path
        position = text.startIndex
    }

    mutating func next() throws -> Substring? {
        guard position < text.endIndex else { return nil }
        let utf8 = text.utf8
        let end = utf8[position...].firstIndex(of: UInt8(ascii: "\n")).map { utf8.index(after: $0) } ?? text.endIndex
        let line = text[position..<end]
        position = end
        number += 1
        let length = line.utf8.count - (line.utf8.last == UInt8(ascii: "\n") ? 1 : 0)
        guard length <= Containerfile.maxLineBytes else {
            throw BuildError(file: path, line: number, "this line is \(length) bytes long; Docker reads at most "
                + "\(Containerfile.maxLineBytes) bytes a line: split it with line continuations")
        }
        return line
    }

    /// The body of a heredoc: the lines up to its terminator, which may be indented with tabs after `<<-`.
    mutating func body(of doc: Heredoc, from start: Int) throws -> String {
        var content = ""
        while let line = try next() {
            var candidate = Containerfile.trimNewline(line).unicodeScalars[...]
            if doc.chomp { candidate = candidate.drop(while: { $0 == "\t" }) }
            // Byte for byte, as BuildKit compares: another normalisation of the name is not the terminator.
            if candidate.elementsEqual(doc.name.unicodeScalars) { return content }
            content += line
        }
        throw BuildError(file: path, line: start, "the heredoc <<\(doc.name) has no terminator: end it with a line holding only \(doc.name)")
    }
}

/// Parser directives: `# name=value` lines at the very top. The first line that is not one (an
/// unknown name included) ends them.
private struct Directives {
    let path: String
    var escape: Character = "\\"
    var done = false
    var seen: Set<String> = []

    mutating func read(_ line: Substring, line number: Int) throws {
        guard !done else { return }
        guard line.first == "#" else {
            done = true
            return
        }
        let body = Substring(line.dropFirst().unicodeScalars.drop(while: { $0.properties.isWhitespace }))
        let isSpace: (Character) -> Bool = { " \t\n\r\u{c}".contains($0) }
        let key = body.prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber) })
        var rest = body.dropFirst(key.count).drop(while: isSpace)
        guard let k = key.first, k.isLetter, rest.first == "=" else {
            done = true
            return
        }
        rest = rest.dropFirst()
        // BuildKit's `\s*=\s*(.+?)\s*$`: a value of only blanks is the last of them.
        let blanks = rest.prefix(while: isSpace)
        rest = rest.dropFirst(blanks.count)
        while let last = rest.last, isSpace(last) { rest = rest.dropLast() }
        if rest.isEmpty, let last = blanks.last { rest = Substring(String(last)) }
        let name = key.lowercased()
        guard !rest.isEmpty, ["syntax", "escape", "check"].contains(name) else {
            done = true
            return
        }
        guard seen.insert(name).inserted else {
            throw BuildError(file: path, line: number, "the \(name) directive is given twice; keep one")
        }
        if name == "escape" {
            guard rest == "\\" || rest == "`" else {
                throw BuildError(file: path, line: number, "escape directive must be \\ or `, not \(rest)")
            }
            escape = Character(String(rest))
        }
    }
}
