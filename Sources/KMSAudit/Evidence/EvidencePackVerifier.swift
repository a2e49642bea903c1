import Foundation
import ZIPFoundation

extension EvidencePack {
    /// What `kmsaudit evidence verify` found.
    package struct Verification: Sendable, Equatable {
        /// Members the MANIFEST lists and that hash as it says.
        package var intact: [String]
        /// One line per mismatch: `missing NAME`, `extra NAME`, `changed NAME`, `damaged NAME`, ...
        package var problems: [String]
        package var isIntact: Bool { problems.isEmpty }
    }

    /// Checks every member of the pack at `path` against its MANIFEST: a listed member that is
    /// absent, a member that is not listed, a member whose bytes hash differently (or whose zip
    /// CRC fails), a malformed MANIFEST line, or a name that occurs twice, is a problem.
    /// - Throws: `EvidencePackError.notAZip` when the file is not a readable zip archive.
    package static func verify(path: String) throws -> Verification {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw EvidencePackError.notAZip(path: path, reason: "\(error)")
        }
        var problems: [String] = []
        var contents: [String: Data] = [:]
        var order: [String] = []
        for entry in archive {
            if contents[entry.path] != nil {
                problems.append("duplicate \(entry.path): the archive holds two members of that name")
                continue
            }
            var data = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { data.append($0) }
            } catch {
                problems.append("damaged \(entry.path): cannot be read from the archive (\(error))")
                contents[entry.path] = Data()
                order.append(entry.path)
                continue
            }
            contents[entry.path] = data
            order.append(entry.path)
        }
        guard let manifest = contents[manifestName] else {
            return Verification(intact: [], problems: problems + ["missing \(manifestName): nothing to check the members against"])
        }
        var listed: [String: String] = [:]
        for (number, line) in String(decoding: manifest, as: UTF8.self).split(separator: "\n").enumerated() {
            if line.hasPrefix("#") || line.allSatisfy(\.isWhitespace) { continue }
            guard let gap = line.range(of: "  "), line[..<gap.lowerBound].count == 64,
                  line[..<gap.lowerBound].allSatisfy(\.isHexDigit) else {
                problems.append("\(manifestName) line \(number + 1): not `SHA256  NAME`")
                continue
            }
            let name = String(line[gap.upperBound...])
            if listed[name] != nil { problems.append("\(manifestName) lists \(name) twice") }
            listed[name] = line[..<gap.lowerBound].lowercased()
        }
        var intact: [String] = []
        for (name, expected) in listed.sorted(by: { $0.key < $1.key }) {
            guard let data = contents[name] else {
                problems.append("missing \(name): listed in \(manifestName), absent from the archive")
                continue
            }
            let actual = Hashing.sha256Hex(Array(data))
            if actual == expected {
                intact.append(name)
            } else if !problems.contains(where: { $0.hasPrefix("damaged \(name):") }) {
                problems.append("changed \(name): SHA-256 \(actual), \(manifestName) says \(expected)")
            }
        }
        for name in order where name != manifestName && listed[name] == nil {
            problems.append("extra \(name): in the archive, not listed in \(manifestName)")
        }
        return Verification(intact: intact, problems: problems)
    }
}
