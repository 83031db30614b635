/// `--chmod`: an octal mode, or chmod(1)'s symbolic clauses applied to each file's own mode
/// (`go-w`, `u=rw,g=r,o=r`, `a+X`), as BuildKit reads them.
enum FileMode: Equatable {
    case octal(UInt32)
    case symbolic([Clause])

    struct Clause: Equatable {
        /// Which of u, g, o (0o700, 0o070, 0o007 together); all three when none was written.
        var who: UInt32
        var actions: [(op: UInt8, perms: [UInt8])]

        static func == (a: Clause, b: Clause) -> Bool {
            a.who == b.who && a.actions.count == b.actions.count
                && zip(a.actions, b.actions).allSatisfy { $0.op == $1.op && $0.perms == $1.perms }
        }
    }

    init(parsing s: String) throws {
        if let v = UInt32(s, radix: 8) {
            guard v <= 0o7777 else { throw FileMode.invalid(s) }
            self = .octal(v)
            return
        }
        guard !s.isEmpty, !(s.first!.isNumber) else { throw FileMode.invalid(s) }
        var clauses: [Clause] = []
        for text in s.split(separator: ",", omittingEmptySubsequences: false) {
            var bytes = Array(text.utf8)[...]
            var who: UInt32 = 0
            while let c = bytes.first, let mask = FileMode.whoMasks[c] {
                who |= mask
                bytes = bytes.dropFirst()
            }
            var clause = Clause(who: who == 0 ? 0o777 : who, actions: [])
            while let op = bytes.first {
                guard op == UInt8(ascii: "+") || op == UInt8(ascii: "-") || op == UInt8(ascii: "=") else {
                    throw BuildError("--chmod=\(s): \"\(String(decoding: bytes, as: UTF8.self))\" is not +, - or = followed by rwxXst or one of u, g, o")
                }
                bytes = bytes.dropFirst()
                let perms = bytes.prefix { "rwxXstugo".utf8.contains($0) }
                bytes = bytes.dropFirst(perms.count)
                clause.actions.append((op, Array(perms)))
            }
            guard !clause.actions.isEmpty else { throw BuildError("--chmod=\(s): a clause needs +, - or =, as in u+x") }
            clauses.append(clause)
        }
        self = .symbolic(clauses)
    }

    static let whoMasks: [UInt8: UInt32] = [UInt8(ascii: "u"): 0o700, UInt8(ascii: "g"): 0o070, UInt8(ascii: "o"): 0o007,
                                            UInt8(ascii: "a"): 0o777]

    static func invalid(_ s: String) -> BuildError {
        BuildError("invalid chmod parameter: '\(s)'. it should be octal string and between 0 and 07777")
    }

    /// The mode a file or directory gets, from the mode it has.
    func apply(to mode: UInt32, isDirectory: Bool) -> UInt32 {
        guard case .symbolic(let clauses) = self else {
            if case .octal(let v) = self { return v }
            return mode
        }
        var m = mode & 0o7777
        for clause in clauses {
            for (op, perms) in clause.actions {
                var bits: UInt32 = 0
                for p in perms {
                    switch p {
                    case UInt8(ascii: "r"): bits |= 0o444 & clause.who
                    case UInt8(ascii: "w"): bits |= 0o222 & clause.who
                    case UInt8(ascii: "x"): bits |= 0o111 & clause.who
                    case UInt8(ascii: "X"): if isDirectory || m & 0o111 != 0 { bits |= 0o111 & clause.who }
                    case UInt8(ascii: "s"):
                        if clause.who & 0o700 != 0 { bits |= 0o4000 }
                        if clause.who & 0o070 != 0 { bits |= 0o2000 }
                    case UInt8(ascii: "t"): if clause.who & 0o007 != 0 { bits |= 0o1000 }
                    default:
                        // u, g or o: that class's current bits, copied to the classes named.
                        let shift: UInt32 = p == UInt8(ascii: "u") ? 6 : p == UInt8(ascii: "g") ? 3 : 0
                        let triple = (m >> shift) & 0o7
                        bits |= (triple << 6 | triple << 3 | triple) & clause.who
                    }
                }
                switch op {
                case UInt8(ascii: "+"): m |= bits
                case UInt8(ascii: "-"): m &= ~bits
                default:
                    var cleared = clause.who
                    if clause.who & 0o700 != 0 { cleared |= 0o4000 }
                    if clause.who & 0o070 != 0 { cleared |= 0o2000 }
                    if clause.who & 0o007 != 0 { cleared |= 0o1000 }
                    m = (m & ~cleared) | bits
                }
            }
        }
        return m
    }
}
