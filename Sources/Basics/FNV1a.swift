// FNV1a: the one non-cryptographic hash, for fingerprints that must be stable across runs
// (migration checksums, redacted URLs in logs, deterministic assignment).

public enum FNV1a {
    /// 64-bit FNV-1a of the UTF-8 bytes of `text`.
    public static func hash64(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01b3
        }
        return h
    }

    /// 32 bits folded from the 64-bit hash.
    public static func hash32(_ text: String) -> UInt32 {
        let h = hash64(text)
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }
}
