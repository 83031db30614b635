extension IgnorePattern {
    /// The regular expression patternmatcher builds (`^…$`, Go's syntax and flags) run as a set of
    /// states over the path's runes: no backtracking, so time is linear in path and pattern. Go's
    /// `.` in `(.*/)?` and `.*` stops at a newline; a negated class and `[^/]` do not.
    struct Automaton {
        let tokens: [Token]

        init(_ tokens: [Token]) { self.tokens = tokens }

        // A state's bits: the tokens before it have matched (`at`), or it is within the `.*` of
        // a `(.*/)?` (`inside`).
        static let at: UInt8 = 1, inside: UInt8 = 2

        /// Whether the whole path, or the part before one of its `/`, matches.
        func matchesOrParent(_ path: [UInt8]) -> Bool {
            let m = tokens.count
            // Two rows of states, the current one and the next, swapped after each rune.
            var rows = [UInt8](repeating: 0, count: 2 * (m + 1))
            return rows.withUnsafeMutableBufferPointer { rows in
                var current = 0, next = m + 1
                rows[0] = Automaton.at
                close(rows, current, position: 0)
                var i = 0
                while i < path.count {
                    if path[i] == 0x2f, rows[current + m] & Automaton.at != 0 { return true }
                    let (r, width) = Rune.decode(path, i)
                    var alive = false
                    for k in 0...m { rows[next + k] = 0 }
                    for k in 0..<m where rows[current + k] != 0 {
                        let state = rows[current + k]
                        if state & Automaton.inside != 0 {
                            if r != 0x0a { rows[next + k] |= Automaton.inside; alive = true }
                            if r == 0x2f { rows[next + k + 1] |= Automaton.at; alive = true }
                        }
                        guard state & Automaton.at != 0 else { continue }
                        switch tokens[k] {
                        case .rune(let c) where c == r: rows[next + k + 1] |= Automaton.at
                        case .one where r != 0x2f: rows[next + k + 1] |= Automaton.at
                        case .star where r != 0x2f: rows[next + k] |= Automaton.at
                        case .rest where r != 0x0a: rows[next + k] |= Automaton.at
                        case .set(let ranges, let negated) where ranges.contains { $0.contains(r) } != negated:
                            rows[next + k + 1] |= Automaton.at
                        default: continue
                        }
                        alive = true
                    }
                    guard alive else { return false }
                    i += width
                    swap(&current, &next)
                    close(rows, current, position: i)
                }
                return rows[current + m] & Automaton.at != 0
            }
        }

        /// Follows the moves that read nothing; they only go forward, so one pass is enough.
        func close(_ rows: UnsafeMutableBufferPointer<UInt8>, _ row: Int, position: Int) {
            for k in 0..<tokens.count where rows[row + k] & Automaton.at != 0 {
                switch tokens[k] {
                case .star, .rest: rows[row + k + 1] |= Automaton.at
                case .dirs: rows[row + k + 1] |= Automaton.at; rows[row + k] |= Automaton.inside
                case .start where position == 0: rows[row + k + 1] |= Automaton.at
                default: break
                }
            }
        }
    }
}
