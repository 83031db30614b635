import Foundation
import OCI

/// The stages of a Containerfile for one platform: their FROM lines resolved with the global ARGs
/// and the automatic platform ARGs, and which of them the target needs.
struct StagePlan {
    struct StageSpec {
        var index: Int
        var name: String?
        var from: String
        var fromInstruction: Instruction
        var body: [Instruction]
    }

    var stages: [StageSpec] = []
    var target: Int
    /// Stage indexes to build, in order.
    var needed: [Int]
    var globalArgs: [String: String]
    var automaticArgs: [String: String]
    let words: ShellWords

    init(containerfile: Containerfile, options: BuildOptions, platform: Platform) throws {
        words = ShellWords(escape: containerfile.escape)
        let build = Platform.host
        automaticArgs = [
            "TARGETPLATFORM": platform.description, "TARGETOS": platform.os, "TARGETARCH": platform.architecture,
            "TARGETVARIANT": platform.variant ?? "",
            "BUILDPLATFORM": build.description, "BUILDOS": build.os, "BUILDARCH": build.architecture,
            "BUILDVARIANT": build.variant ?? "", "BUILDOSVERSION": "", "TARGETOSVERSION": "",
        ]
        // The stage being built, by name: --target as given, else the last stage's name, else "default".
        let last = containerfile.instructions.last { $0.keyword == "FROM" }
        automaticArgs["TARGETSTAGE"] = options.target ?? last.flatMap { $0.args.count == 3 ? $0.args[2].lowercased() : nil } ?? "default"
        var globals: [String: String] = [:]
        var current: StageSpec?
        let path = containerfile.path
        for ins in containerfile.instructions {
            if ins.keyword == "FROM" {
                if let current { stages.append(current) }
                let lookup: (String) -> String? = { [automaticArgs] in globals[$0] ?? automaticArgs[$0] }
                let parts = ins.args
                var name: String?
                if parts.count == 3, parts[1].lowercased() == "as" {
                    name = parts[2].lowercased()
                    guard name!.first!.isASCII, name!.first!.isLetter, name!.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
                        throw BuildError(file: path, line: ins.line, "stage name \"\(parts[2])\" must start with a letter and hold only letters, digits, _ - .")
                    }
                } else if parts.count != 1 {
                    throw BuildError(file: path, line: ins.line, "FROM takes an image and an optional AS name, as in FROM scratch AS build")
                }
                let image: String
                do { image = try words.expand(parts[0], lookup) } catch let e as BuildError {
                    throw BuildError(file: path, line: ins.line, e.message)
                }
                guard !image.isEmpty else {
                    throw BuildError(file: path, line: ins.line, "FROM \(parts[0]) names no image: give the ARG a value or a default")
                }
                if let name, stages.contains(where: { $0.name == name }) {
                    throw BuildError(file: path, line: ins.line, "stage name \"\(name)\" is used twice")
                }
                current = StageSpec(index: stages.count, name: name, from: image, fromInstruction: ins, body: [])
            } else if current == nil {
                // Only ARG may precede the first FROM (the parser checked): these are the global ARGs.
                let lexer = words
                for word in ins.args {
                    let (k, v) = StagePlan.splitArg(word)
                    let known = globals
                    do {
                        globals[k] = try options.buildArgs[k] ?? v.map { try lexer.expand($0) { known[$0] } } ?? automaticArgs[k]
                    } catch let e as BuildError {
                        throw BuildError(file: path, line: ins.line, e.message)
                    }
                }
            } else {
                current!.body.append(ins)
            }
        }
        if let current { stages.append(current) }
        globalArgs = globals
        if let t = options.target?.lowercased() {
            guard let i = stages.firstIndex(where: { $0.name == t }) else {
                throw BuildError(file: path, "no stage named \"\(t)\" for --target (stages: \(stages.compactMap(\.name).joined(separator: ", ")))")
            }
            target = i
        } else {
            target = stages.count - 1
        }
        // Walk dependencies (FROM <stage>, COPY --from=<stage>) back from the target.
        var need = Set<Int>()
        var todo = [target]
        while let i = todo.popLast() {
            guard need.insert(i).inserted else { continue }
            var refs = [stages[i].from.lowercased()]
            for ins in stages[i].body where ins.keyword == "COPY" {
                if let from = ins.flags["from"] { refs.append(from.lowercased()) }
            }
            // RUN --mount=…,from=STAGE reads that stage too.
            for ins in stages[i].body where ins.keyword == "RUN" {
                for value in ins.values(of: "mount") {
                    for field in (try? RunMount.fields(value)) ?? [] where field.lowercased().hasPrefix("from=") {
                        refs.append(String(field.dropFirst(5)).lowercased())
                    }
                }
            }
            for r in refs {
                if let j = stages[..<i].firstIndex(where: { $0.name == r || String($0.index) == r }) { todo.append(j) }
            }
        }
        needed = need.sorted()
    }

    static func splitArg(_ w: String) -> (String, String?) {
        guard let (k, v) = w.splitOnce("=") else { return (w, nil) }
        return (k, v)
    }

    /// The stage a name or index refers to, if it comes before `index`.
    func stage(named ref: String, before index: Int) -> Int? {
        let r = ref.lowercased()
        return stages[..<index].firstIndex(where: { $0.name == r || String($0.index) == r })
    }
}
