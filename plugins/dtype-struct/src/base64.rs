//! Standard base64 (RFC 4648 alphabet, `=` padding), for the legacy and V2 fill values.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encode with padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let b = |i: usize| u32::from(c.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decode (padding optional; no whitespace; trailing bits ignored, as Python's decoder does).
pub fn decode(s: &str) -> Result<Vec<u8>, String> {
    let body = s.trim_end_matches('=');
    let padding = s.len() - body.len();
    if padding > 2 || (padding > 0 && !(body.len() + padding).is_multiple_of(4)) {
        return Err("malformed base64 padding".into());
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for ch in body.bytes() {
        let v = B64
            .iter()
            .position(|&b| b == ch)
            .ok_or_else(|| format!("invalid base64 character {:?}", char::from(ch)))?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return Err("truncated base64".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        for n in 0..20 {
            let b: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode(&encode(&b)).as_deref(), Ok(b.as_slice()));
        }
        assert_eq!(encode(b"\x01\x00\x00\x00"), "AQAAAA==");
        assert_eq!(decode("AQAAAA").as_deref(), Ok(&[1u8, 0, 0, 0][..]));
        for bad in ["A", "AQ=A", "A===", "AQAAAA=", "$$$$", "AQ AA"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
