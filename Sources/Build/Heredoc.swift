/// A here-document on an instruction line (`COPY <<EOF /dest`, and RUN's once RUN runs), read as
/// BuildKit reads it (frontend/dockerfile/parser/parser.go): the marker, then the lines up to the
/// terminator.
public struct Heredoc: Sendable, Equatable {
    /// The terminator, and the file name a COPY of the heredoc takes.
    public var name: String
    /// `3<<EOF` feeds file descriptor 3 of a RUN; 0 means standard input.
    public var fileDescriptor: Int
    /// Variables in the body are substituted unless some part of the marker was quoted (`<<'EOF'`, `<<"EOF"`, `<<E"O"F`).
    public var expand: Bool
    /// `<<-EOF`: tabs that start a line are removed from the body, and allowed before the terminator.
    public var chomp: Bool
    /// The lines between the marker and the terminator, as written, line endings kept.
    public var content: String

    public init(name: String, fileDescriptor: Int = 0, expand: Bool = true, chomp: Bool = false, content: String = "") {
        self.name = name
        self.fileDescriptor = fileDescriptor
        self.expand = expand
        self.chomp = chomp
        self.content = content
    }

    /// The body as it is used: with `<<-`, without the tabs that start its lines.
    public var body: String {
        guard chomp else { return content }
        var out = ""
        var atLineStart = true
        for c in content.unicodeScalars {
            if atLineStart && c == "\t" { continue }
            atLineStart = c == "\n"
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// The heredoc one word names (`<<EOF`, `3<<-"EOF"`, `<< EOF`), or nil when it names none.
    /// An unterminated quote in the name is an error, as in BuildKit.
    static func marker(_ word: String) throws -> Heredoc? {
        var s = Substring(word)
        let digits = s.prefix(while: { $0.isASCII && $0.isNumber })
        s = s.dropFirst(digits.count)
        guard s.hasPrefix("<<") else { return nil }
        s = s.dropFirst(2)
        let chomp = s.hasPrefix("-")
        if chomp { s = s.dropFirst() }
        s = Substring(s.unicodeScalars.drop(while: { " \t\n\r\u{c}".unicodeScalars.contains($0) }))
        guard !s.isEmpty, !s.contains("<") else { return nil }
        var lexer = ShellWords(escape: "\\")
        lexer.skipUnset = true
        let words = try lexer.words(String(s)) { _ in nil }
        guard words.count == 1 else { return nil }
        lexer.rawQuotes = true
        let raw = try lexer.words(String(s)) { _ in nil }
        func quotes(_ w: String) -> Int { w.unicodeScalars.filter { $0 == "'" || $0 == "\"" }.count }
        return Heredoc(name: words[0], fileDescriptor: Int(digits) ?? 0, expand: raw.count == 1 && quotes(words[0]) == quotes(raw[0]),
                       chomp: chomp)
    }

    /// Every heredoc an instruction line names, in order. Words are read with quotes and escapes
    /// kept, so `"<<EOF"` names none; a line the lexer cannot read names none.
    static func markers(inLine line: String) throws -> [Heredoc] {
        var lexer = ShellWords(escape: "\\")
        lexer.rawQuotes = true
        lexer.rawEscapes = true
        lexer.skipUnset = true
        let words = (try? lexer.words(line) { _ in nil }) ?? []
        return try words.compactMap(marker)
    }
}
