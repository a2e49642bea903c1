import Crypto

/// SHA-256 as lowercase hex, the form CloudTrail digests and the ledger use.
package enum Hashing {
    package static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    package static func sha256Hex(_ text: String) -> String {
        sha256Hex(Array(text.utf8))
    }

    package static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
