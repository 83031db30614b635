import Foundation
import OCI

extension Builder {
    /// What `COPY --from=NAME` reads: an earlier stage by name or index, or else an image (from a
    /// registry or `oci-layout://`) for the platform being built, resolved once per build.
    func copySource(_ from: String, ins: Instruction, plan: StagePlan, built: [Int: Stage], platform: Platform,
                    flag: String = "COPY --from") throws -> Stage {
        guard try plan.words.expand(from, { _ in nil }) == from else {
            throw BuildError("\(flag)=\(from): variables are not expanded in --from; name a stage FROM ${…} AS name and copy from it")
        }
        let here = plan.stages.firstIndex { $0.body.contains(ins) } ?? plan.stages.count
        if let i = plan.stage(named: from, before: here) {
            guard let s = built[i] else { throw BuildError("\(flag)=\(from): that stage was not built") }
            return s
        }
        if plan.stage(named: from, before: plan.stages.count) != nil {
            let current = here < plan.stages.count ? plan.stages[here].name ?? String(here) : ""
            throw BuildError("\(flag)=\(from): cannot copy from stage \"\(from)\", it needs to be defined before current stage \"\(current)\"")
        }
        if !from.isEmpty, from.allSatisfy(\.isASCII), from.allSatisfy(\.isNumber) {
            throw BuildError("\(flag)=\(from): there is no stage \(from) before this one (stages count from 0)")
        }
        guard registries != nil || from.hasPrefix("oci-layout://") else {
            throw BuildError("\(flag)=\(from): no earlier stage of that name, and copying from an image needs its registry")
        }
        let key = "\(from) \(platform)"
        if let known = copyImages[key] { return known }
        var image: Stage
        if from.hasPrefix("oci-layout://") {
            image = try layoutStage(String(from.dropFirst("oci-layout://".count)), platform: platform, finalPlatform: platform)
        } else {
            let ref: Reference
            do { ref = try Reference(parsing: from) } catch {
                throw BuildError("\(flag)=\(from): neither an earlier stage nor an image reference (\(error))")
            }
            image = try registryStage(ref, platform: platform, finalPlatform: platform)
        }
        image.name = from
        copyImages[key] = image
        return image
    }
}
