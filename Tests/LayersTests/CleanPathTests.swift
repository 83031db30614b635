import Layers
import Testing

@Suite struct CleanPathTests {
    /// Docker's rule for a Containerfile's paths: `..` past the root stays there.
    @Test(arguments: [("a/./b/../c", "a/c"), ("../../etc/passwd", "etc/passwd"), ("/a//b/", "a/b"), ("..", ""), (".", ""), ("a/..", "")])
    func containerfilePathsStayAtTheRoot(path: String, clean: String) {
        #expect(CleanPath.relative(path, above: .clamp) == clean)
    }

    /// An archive's entry names: one that climbs out is refused whole, one that stays inside is cleaned.
    @Test(arguments: [("a/../b", "b"), ("./x", "x")] as [(String, String?)] + [("../x", nil), ("a/../../x", nil), ("/..", nil)])
    func archiveNamesThatClimbOutAreRefused(path: String, clean: String?) {
        #expect(CleanPath.relative(path, above: .refuse) == clean)
        let bytes: PathBytes? = CleanPath.relative(PathBytes(path), above: .refuse)
        #expect(bytes?.bytes == clean.map { Array($0.utf8) })
    }
}
