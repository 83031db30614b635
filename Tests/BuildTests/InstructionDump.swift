@testable import Build

/// Instructions in BuildKit's Node.Dump form (the keyword in lower case, the flags as Go's %q
/// prints a list, then each argument quoted), so parser fixtures read as BuildKit's would.
enum InstructionDump {
    static func dump(_ i: Instruction) -> String {
        var s = i.keyword.lowercased()
        if !i.rawFlags.isEmpty { s += " " + GoText.quotedList(i.rawFlags) }
        if let trigger = i.trigger.first { return s + " (" + dump(trigger) + ")" }
        return s + i.args.map { " " + GoText.quoted($0) }.joined()
    }
}
