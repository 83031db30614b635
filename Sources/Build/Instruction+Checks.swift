/// What each keyword takes, checked when the file is read so that an error anywhere in it is
/// found before anything is built (BuildKit's frontend/dockerfile/instructions/parse.go and bflag.go).
extension Instruction {
    enum FlagKind { case value, boolean, repeated }

    static let flagsTaken: [String: [String: FlagKind]] = [
        "FROM": ["platform": .value],
        "COPY": ["from": .value, "chown": .value, "chmod": .value, "link": .boolean, "parents": .boolean, "exclude": .repeated],
        "ADD": ["chown": .value, "chmod": .value, "checksum": .value, "link": .boolean, "keep-git-dir": .boolean,
                "unpack": .boolean, "exclude": .repeated],
        "HEALTHCHECK": ["interval": .value, "timeout": .value, "start-period": .value, "start-interval": .value, "retries": .value],
        "RUN": ["mount": .repeated, "network": .value, "security": .value],
    ]

    mutating func check() throws {
        // HEALTHCHECK NONE ignores its flags, as BuildKit does.
        if !(keyword == "HEALTHCHECK" && args.first?.uppercased() == "NONE") { try readFlags() }
        switch keyword {
        case "ENV", "LABEL":
            guard !args.isEmpty else { throw BuildError("\(keyword) needs at least one KEY=VALUE") }
            for k in stride(from: 0, to: args.count, by: 3) where args[k].isEmpty {
                throw BuildError("\(keyword) \(args[k])=\(args[k + 1]): the name is empty")
            }
        case "MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL":
            guard args.count == 1 else { throw BuildError("\(keyword) needs one argument") }
        case "ADD", "COPY":
            guard args.count >= 2 else {
                throw BuildError("\(keyword) needs at least one source and a destination, as in \(keyword) app/ /app/")
            }
            if try Heredoc.marker(args.last!) != nil {
                throw BuildError("\(keyword) cannot write to a heredoc: the last argument is the destination")
            }
        case "EXPOSE", "ARG":
            guard !args.isEmpty else { throw BuildError("\(keyword) needs at least one argument") }
        case "ONBUILD":
            guard var t = trigger.first else { throw BuildError("ONBUILD needs an instruction to run later") }
            switch t.keyword {
            case "ONBUILD": throw BuildError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
            case "FROM", "MAINTAINER": throw BuildError("\(t.keyword) isn't allowed as an ONBUILD trigger")
            default: try t.check()
            }
        case "VOLUME":
            guard !args.isEmpty, args.allSatisfy({ !$0.unicodeScalars.trimmingGoSpace().isEmpty }) else {
                throw BuildError("VOLUME needs at least one path")
            }
        case "SHELL":
            guard json, !args.isEmpty else { throw BuildError("SHELL must be a JSON array, as in SHELL [\"/bin/sh\", \"-c\"]") }
        case "HEALTHCHECK":
            guard let type = args.first?.uppercased() else { throw BuildError("HEALTHCHECK takes CMD <command> or NONE") }
            switch type {
            case "NONE": guard args.count == 1 else { throw BuildError("HEALTHCHECK NONE takes no arguments") }
            case "CMD": guard args.count > 1 else { throw BuildError("HEALTHCHECK CMD needs a command") }
            default: throw BuildError("HEALTHCHECK \(args[0]): unknown type; use CMD <command> or NONE")
            }
        default:
            break
        }
    }

    /// `--name=value` for value flags, `--name` or `--name=true|false` for boolean ones; flag
    /// names are case-sensitive and only `--exclude` may repeat.
    private mutating func readFlags() throws {
        let taken = Instruction.flagsTaken[keyword] ?? [:]
        var seen: [String: String] = [:]
        for flag in rawFlags {
            let body = String(flag.unicodeScalars.dropFirst(2))
            let (name, value) = body.splitOnce("=").map { ($0, Optional($1)) } ?? (body, nil)
            guard let kind = taken[name] else { throw BuildError("\(keyword) does not take the flag --\(name)") }
            guard seen[name] == nil || kind == .repeated else { throw BuildError("flag --\(name) given twice") }
            switch kind {
            case .boolean:
                switch value?.lowercased() {
                case nil, "true": seen[name] = "true"
                case "false": seen[name] = "false"
                default: throw BuildError("--\(name)=\(value!): expected true or false")
                }
            case .value, .repeated:
                guard let value else { throw BuildError("--\(name) needs a value, as in --\(name)=VALUE") }
                seen[name] = value
            }
        }
        flags = seen
    }
}
