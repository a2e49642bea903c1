/// SplitMix64: tiny, fast and good enough for test data. Every stream and every planted case
/// owns its own generator, derived from the run's seed, so that output does not depend on
/// thread scheduling.
struct SampleRNG {
    private var state: UInt64

    init(seed: UInt64, stream: UInt64 = 0) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 ^ (stream &+ 1) &* 0xD1B5_4A32_D192_ED03
        _ = next(); _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0); the modulo bias is irrelevant at these sizes.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) * 0x1p-53 < p }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Random identifiers in the shapes AWS uses, written straight into a byte buffer (the hot
/// path must not allocate a String per id).
enum FakeID {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    static let upperAlnum: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
    static let base32: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    static let alnum: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    static let base64: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// A random version-4 UUID, lowercase, 36 characters.
    static func appendUUID(_ out: inout [UInt8], _ rng: inout SampleRNG) {
        appendUUID(&out, hi: rng.next(), lo: rng.next())
    }

    static func appendUUID(_ out: inout [UInt8], hi: UInt64, lo: UInt64) {
        let h = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let l = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        appendHex(&out, h >> 32, digits: 8); out.append(0x2D)
        appendHex(&out, (h >> 16) & 0xFFFF, digits: 4); out.append(0x2D)
        appendHex(&out, h & 0xFFFF, digits: 4); out.append(0x2D)
        appendHex(&out, l >> 48, digits: 4); out.append(0x2D)
        appendHex(&out, l & 0xFFFF_FFFF_FFFF, digits: 12)
    }

    static func appendHex(_ out: inout [UInt8], _ value: UInt64, digits: Int) {
        var shift = (digits - 1) * 4
        while shift >= 0 {
            out.append(hexDigits[Int((value >> UInt64(shift)) & 0xF)])
            shift -= 4
        }
    }

    static func appendChars(_ out: inout [UInt8], _ count: Int, from alphabet: [UInt8], _ rng: inout SampleRNG) {
        var bits = rng.next()
        var left = 10
        for _ in 0..<count {
            if left == 0 { bits = rng.next(); left = 10 }
            out.append(alphabet[Int(bits & 63) % alphabet.count])
            bits >>= 6; left -= 1
        }
    }

    static func uuid(_ rng: inout SampleRNG) -> String {
        var b: [UInt8] = []; b.reserveCapacity(36)
        appendUUID(&b, &rng)
        return String(decoding: b, as: UTF8.self)
    }

    static func chars(_ count: Int, _ alphabet: [UInt8], _ rng: inout SampleRNG) -> String {
        var b: [UInt8] = []; b.reserveCapacity(count)
        appendChars(&b, count, from: alphabet, &rng)
        return String(decoding: b, as: UTF8.self)
    }

    static func hex(_ count: Int, _ rng: inout SampleRNG) -> String {
        var b: [UInt8] = []; b.reserveCapacity(count)
        while b.count < count { appendHex(&b, rng.next(), digits: min(16, count - b.count)) }
        return String(decoding: b, as: UTF8.self)
    }

    /// An RDS resource id: `db-` / `cluster-` + 26 base32 characters.
    static func rdsResourceID(prefix: String, _ rng: inout SampleRNG) -> String {
        prefix + chars(26, base32, &rng)
    }
}
