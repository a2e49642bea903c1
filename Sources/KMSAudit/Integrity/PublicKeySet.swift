import Crypto
import _CryptoExtras
import Foundation

/// CloudTrail's digest-signing public keys, from the JSON that `aws cloudtrail list-public-keys`
/// prints: `{"PublicKeyList": [{"Value": base64 DER (PKCS#1), "ValidityStartTime", "ValidityEndTime",
/// "Fingerprint"}]}`. Several regions' outputs may be concatenated into one list.
package struct PublicKeySet: Sendable {
    package struct Key: Sendable {
        package var fingerprint: String
        package var der: [UInt8]
        package var validityStart: String?
        package var validityEnd: String?
    }

    package private(set) var keys: [String: Key] = [:]

    package init(keys: [Key]) {
        for key in keys { self.keys[key.fingerprint.lowercased()] = key }
    }

    package struct LoadError: Error, CustomStringConvertible {
        package var path: String
        package var reason: String
        package var description: String { "\(path): \(reason)" }
    }

    package static func load(path: String) throws -> PublicKeySet {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(path: path, reason: "cannot read the file")
        }
        return try parse(Array(data), path: path)
    }

    /// Accepts the CLI/API shape (`PublicKeyList`, also `publicKeyList` as the user guide shows
    /// it), a bare array of keys, or an array of such documents (one per region).
    package static func parse(_ bytes: [UInt8], path: String = "public keys") throws -> PublicKeySet {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            throw LoadError(path: path, reason: "invalid JSON (\(error.localizedDescription))")
        }
        var entries: [[String: Any]] = []
        func collect(_ value: Any) {
            if let dict = value as? [String: Any] {
                if let list = (dict["PublicKeyList"] ?? dict["publicKeyList"]) as? [Any] {
                    list.forEach(collect)
                } else if dict["Value"] != nil || dict["value"] != nil {
                    entries.append(dict)
                }
            } else if let list = value as? [Any] {
                list.forEach(collect)
            }
        }
        collect(json)
        var keys: [Key] = []
        for (i, e) in entries.enumerated() {
            guard let value = (e["Value"] ?? e["value"]) as? String,
                  let der = Data(base64Encoded: value, options: .ignoreUnknownCharacters) else {
                throw LoadError(path: path, reason: "key \(i): Value is not base64")
            }
            // The fingerprint CloudTrail writes into digests is the MD5 of the DER key.
            let fingerprint = ((e["Fingerprint"] ?? e["fingerprint"]) as? String)
                ?? Hashing.hex(Insecure.MD5.hash(data: der))
            keys.append(Key(fingerprint: fingerprint.lowercased(), der: Array(der),
                            validityStart: time(e["ValidityStartTime"] ?? e["validityStartTime"]),
                            validityEnd: time(e["ValidityEndTime"] ?? e["validityEndTime"])))
        }
        if keys.isEmpty { throw LoadError(path: path, reason: "no public keys (expected PublicKeyList[{Value, Fingerprint}])") }
        return PublicKeySet(keys: keys)
    }

    /// Epoch seconds (number or `"1436317441.0"`) or ISO 8601 text → canonical.
    static func time(_ value: Any?) -> String? {
        switch value {
        case let n as NSNumber: return TimeFormats.canonical(Date(timeIntervalSince1970: n.doubleValue))
        case let s as String:
            if let d = Double(s) { return TimeFormats.canonical(Date(timeIntervalSince1970: d)) }
            return TimeFormats.parseISO8601(s).map(TimeFormats.canonical)
        default: return nil
        }
    }

    package enum Verdict: Equatable, Sendable {
        case valid
        case invalid(String)
        case unknownKey(String)
    }

    /// Verifies a digest signature (SHA256withRSA, PKCS#1 v1.5) over `message` with the key
    /// whose fingerprint the digest names.
    package func verify(signatureHex: String, message: [UInt8], fingerprint: String?) -> Verdict {
        guard let fingerprint, let key = keys[fingerprint.lowercased()] else {
            return .unknownKey("no public key with fingerprint \(fingerprint ?? "(none)")")
        }
        let publicKey: _RSA.Signing.PublicKey
        do {
            publicKey = try _RSA.Signing.PublicKey(derRepresentation: key.der)
        } catch {
            return .unknownKey("public key \(key.fingerprint) is not a usable RSA key (\(error))")
        }
        guard let signature = DigestHex.decode(signatureHex) else { return .invalid("the signature is not hex") }
        let ok = publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature),
                                            for: message, padding: .insecurePKCS1v1_5)
        return ok ? .valid : .invalid("signature does not verify with key \(key.fingerprint)")
    }
}

/// Hex encoding for hashes and signatures.
package enum DigestHex {
    package static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        Hashing.hex(bytes)
    }

    package static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0, !chars.isEmpty else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    package static func sha256<D: DataProtocol>(_ data: D) -> String { encode(SHA256.hash(data: data)) }
}
