import ArgumentParser
import Foundation
import OCI
import Pipeline
import Store

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List the images named in the store.")

    func run() throws {
        try guarded {
            for image in try Pipeline.images(storeRoot: Store.defaultRoot()) {
                let kind = MediaType.isIndex(image.descriptor.mediaType) ? "index" : "manifest"
                print("\(image.name)\t\(image.descriptor.digest)\t\(kind)")
            }
        }
    }
}
