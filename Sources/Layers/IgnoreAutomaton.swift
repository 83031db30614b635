extension IgnorePattern {
    /// The regular expression patternmatcher builds (`^…$`, Go's syntax and flags) run as a set of
    /// states over the path's runes: no backtracking, so time is linear in path and pattern. Go's
    /// `.` in `(.*/)?` and `.*` stops at a newline; a negated class and `[^/]` do not.
    struct Automaton {
        let tokens: [Token]

        init(_ tokens: [Token]) { self.tokens = tokens }

        /// Whether the whole path, or the part before one of its `/`, matches.
        func matchesOrParent(_ path: [UInt8]) -> Bool {
            let m = tokens.count
            // at[i]: tokens[..<i] matched so far; inside[i]: within the `.*` of a `(.*/)?` at i.
            var at = [Bool](repeating: false, count: m + 1)
            var inside = [Bool](repeating: false, count: m)
            at[0] = true
            close(&at, &inside, position: 0)
            var i = 0
            while i < path.count {
                if path[i] == 0x2f, at[m] { return true }
                let (r, width) = Rune.decode(path, i)
                var nextAt = [Bool](repeating: false, count: m + 1)
                var nextInside = [Bool](repeating: false, count: m)
                var alive = false
                for k in 0..<m {
                    if inside[k] {
                        if r != 0x0a { nextInside[k] = true; alive = true }
                        if r == 0x2f { nextAt[k + 1] = true; alive = true }
                    }
                    guard at[k] else { continue }
                    switch tokens[k] {
                    case .rune(let c) where c == r: nextAt[k + 1] = true
                    case .one where r != 0x2f: nextAt[k + 1] = true
                    case .star where r != 0x2f: nextAt[k] = true
                    case .rest where r != 0x0a: nextAt[k] = true
                    case .set(let ranges, let negated) where ranges.contains { $0.contains(r) } != negated: nextAt[k + 1] = true
                    default: continue
                    }
                    alive = true
                }
                guard alive else { return false }
                i += width
                at = nextAt
                inside = nextInside
                close(&at, &inside, position: i)
            }
            return at[m]
        }

        /// Follows the moves that read nothing; they only go forward, so one pass is enough.
        func close(_ at: inout [Bool], _ inside: inout [Bool], position: Int) {
            for k in 0..<tokens.count where at[k] {
                switch tokens[k] {
                case .star, .rest: at[k + 1] = true
                case .dirs:
                    at[k + 1] = true
                    inside[k] = true
                case .start where position == 0: at[k + 1] = true
                default: break
                }
            }
        }
    }
}
