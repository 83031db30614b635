import ArgumentParser
import Foundation
import Store

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List the images named in the store.")

    func run() throws {
        try guarded {
            let store = try Store(root: Store.defaultRoot())
            for image in store.images() {
                let kind = image.descriptor.mediaType.contains("index") ? "index" : "manifest"
                print("\(image.name)\t\(image.descriptor.digest)\t\(kind)")
            }
        }
    }
}
