import Processes
import Testing

/// /etc/subuid and /etc/subgid as shadow's tools write them and newuidmap reads them.
@Suite struct SubordinateIDsTests {
    static let file = """
        alice:100000:65536
        # not a range
        1001:165536:65536
        bob:231072:0
        bob:231073:1000
        alice:300000:65536

        """

    @Test(arguments: [
        ("alice", UInt32(1000), "100000-165535"),
        ("carol", 1001, "165536-231071"),
        ("bob", 1002, "231073-232072"),
    ])
    func aUsersFirstRangeIsFoundByNameOrUID(_ user: String, _ uid: UInt32, _ range: String) {
        #expect(SubordinateIDs.first(in: Self.file, user: user, uid: uid)?.usermodRange == range)
    }

    @Test func aUserWithoutALineHasNone() {
        #expect(SubordinateIDs.first(in: Self.file, user: "dave", uid: 1003) == nil)
        #expect(SubordinateIDs.first(in: "", user: "dave", uid: 1003) == nil)
    }

    @Test func theSuggestedRangeIsAboveEveryGrantedOne() {
        #expect(SubordinateIDs.free(after: [Self.file, "x:400000:10"]).usermodRange == "400010-465545")
        #expect(SubordinateIDs.free(after: ["", ""]).usermodRange == "100000-165535")
    }
}
