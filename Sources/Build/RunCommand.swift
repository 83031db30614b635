import Foundation

/// What a RUN executes, as BuildKit's dispatchRun makes it: the exec form as written; the shell
/// form through the stage's SHELL; a lone heredoc run by the shell (or, starting with `#!`, as
/// a script file of its own); a heredoc after a command handed to the shell whole.
struct RunCommand {
    var args: [String]
    /// A script the step runs from /dev/pipes/NAME (a heredoc with a shebang).
    var script: (name: String, body: String)?

    init(_ ins: Instruction, shell: [String]) throws {
        if ins.json {
            guard !ins.args.isEmpty else { throw BuildError("RUN [] runs nothing: give a command") }
            args = ins.args
            return
        }
        let text = ins.args.joined(separator: " ")
        guard !ins.heredocs.isEmpty else {
            args = shell + [text]
            return
        }
        if ins.heredocs.count == 1, (try? Heredoc.marker(text.trimmingCharacters(in: .whitespaces))) ?? nil != nil {
            let doc = ins.heredocs[0]
            if doc.body.hasPrefix("#!") {
                script = (doc.name, doc.body)
                args = ["/dev/pipes/" + doc.name]
            } else {
                args = shell + [doc.body]
            }
            return
        }
        var whole = text
        for doc in ins.heredocs { whole += "\n" + doc.content + doc.name }
        args = shell + [whole]
    }

    /// The history line BuildKit writes: `RUN |N K=V… ARGS # buildkit`, with the build ARGs in scope.
    static func history(_ args: [String], buildArgs: [(String, String)]) -> String {
        var words: [String] = []
        if !buildArgs.isEmpty { words = ["|\(buildArgs.count)"] + buildArgs.map { "\($0)=\($1)" } }
        return "RUN " + (words + args).joined(separator: " ") + " # buildkit"
    }
}
