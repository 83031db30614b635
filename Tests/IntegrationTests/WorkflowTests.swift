import Foundation
import TestSupport
import Testing

/// The pipeline this project ships for others: its workflow and its action must be valid.
@Suite struct WorkflowTests {
    @Test func actionlintPassesEveryWorkflow() throws {
        let dir = CLI.packageRoot + "/.github/workflows"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        // actionlint also reads action.yml, through the workflow's `uses: ./`.
        try run(["actionlint"] + files.map { dir + "/" + $0 })
    }

    @Test func actionDeclaresWhatItUses() throws {
        let out = try run(["python3", "-c", """
            import json, sys, yaml
            a = yaml.safe_load(open(sys.argv[1]))
            print(json.dumps({"using": a["runs"]["using"], "inputs": sorted(a["inputs"]), "outputs": sorted(a["outputs"]),
                              "text": open(sys.argv[1]).read()}))
            """, CLI.packageRoot + "/action.yml"])
        let action = try JSONSerialization.jsonObject(with: out) as? [String: Any]
        #expect(action?["using"] as? String == "composite")
        let inputs = action?["inputs"] as? [String] ?? []
        #expect(inputs == ["cache-dir", "context", "file", "platforms", "push", "repository", "tags-from-git"])
        #expect(action?["outputs"] as? [String] == ["digest", "imageid", "labels", "metadata", "tags", "version"])
        let text = action?["text"] as? String ?? ""
        for input in inputs { #expect(text.contains("inputs.\(input)"), "input \(input) is never used") }
    }
}
