import Foundation

// Manifests, indexes, configs and descriptors as a registry or a layout sends them: decoding never
// crashes, and what decodes encodes and decodes again to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let json = Data(UnsafeBufferPointer(start: data, count: size))
    roundTrip(ImageManifest.self, json) { _ = $0.size }
    roundTrip(ImageIndex.self, json) { index in _ = index.manifests.map { $0.platform?.description } }
    roundTrip(ImageConfig.self, json) { _ = $0.platform.description }
    roundTrip(Descriptor.self, json) { _ = Descriptor.totalSize([$0, $0]) }
    return 0
}

func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ json: Data, _ use: (T) -> Void) {
    guard let value = try? CanonicalJSON.decode(type, from: json) else { return }
    use(value)
    guard let encoded = try? CanonicalJSON.encode(value), let again = try? CanonicalJSON.decode(type, from: encoded), again == value else {
        fatalError("\(type) does not survive an encode and a decode: \(String(decoding: json, as: UTF8.self))")
    }
}
