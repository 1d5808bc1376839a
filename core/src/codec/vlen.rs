//! numcodecs' variable-length framing (`vlen-utf8`, `vlen-bytes`, ...): a u32 LE element
//! count, then per element a u32 LE byte length and the bytes. Shared by the codec plugins
//! that use it; the framing is format, not a codec, so it lives beside [`ArrayBytes`].

use crate::array_bytes::ArrayBytes;
use crate::error::CodecError;

fn read_u32(input: &[u8], pos: usize) -> Option<u32> {
    let b = input.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Encode variable-size elements in numcodecs' framing (`codec` names the codec in errors;
/// `validate_utf8` refuses elements that are not UTF-8).
pub fn encode(
    codec: &str,
    bytes: &[u8],
    offsets: &[usize],
    validate_utf8: bool,
) -> Result<Vec<u8>, CodecError> {
    let err = |m: String| CodecError::new(codec, m);
    let n = offsets.len().saturating_sub(1);
    crate::array_bytes::VariableView::new(bytes, offsets)
        .map_err(|e| err(format!("malformed variable-size offsets: {e}")))?;
    let count = u32::try_from(n).map_err(|_| err(format!("{n} elements exceed 2^32 - 1")))?;
    let total = n
        .checked_mul(4)
        .and_then(|x| x.checked_add(4))
        .and_then(|x| x.checked_add(bytes.len()))
        .ok_or_else(|| err("encoded size overflows".into()))?;
    let mut out = Vec::new();
    out.try_reserve_exact(total)
        .map_err(|e| err(format!("cannot allocate {total} bytes: {e}")))?;
    out.extend_from_slice(&count.to_le_bytes());
    for (i, w) in offsets.windows(2).enumerate() {
        let e = &bytes[w[0]..w[1]];
        if validate_utf8 {
            std::str::from_utf8(e)
                .map_err(|x| err(format!("element {i} is not valid UTF-8: {x}")))?;
        }
        let len = u32::try_from(e.len())
            .map_err(|_| err(format!("element {i} has {} bytes (max 2^32 - 1)", e.len())))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decode numcodecs' framing into `num_elements` variable-size elements. Every count and
/// length is checked against the buffer before use; nothing is allocated beyond the input
/// size.
pub fn decode(
    codec: &str,
    input: &[u8],
    num_elements: usize,
    validate_utf8: bool,
) -> Result<ArrayBytes, CodecError> {
    let err = |m: String| CodecError::new(codec, m);
    let count = read_u32(input, 0).ok_or_else(|| {
        err(format!(
            "{} bytes is too short for the 4-byte element count (truncated?)",
            input.len()
        ))
    })?;
    if u64::from(count) != num_elements as u64 {
        return Err(err(format!(
            "the stored element count {count} does not match the chunk's {num_elements} elements"
        )));
    }
    // Every element takes at least its 4-byte length: check before allocating anything
    // proportional to the count.
    let min = num_elements
        .checked_mul(4)
        .and_then(|x| x.checked_add(4))
        .ok_or_else(|| err("element count overflows".into()))?;
    if input.len() < min {
        return Err(err(format!(
            "{} bytes cannot hold {num_elements} elements (at least {min} bytes; truncated?)",
            input.len()
        )));
    }
    let mut offsets = Vec::with_capacity(num_elements + 1);
    offsets.push(0usize);
    let mut bytes = Vec::with_capacity(input.len() - min);
    let mut pos = 4usize;
    for i in 0..num_elements {
        let len = read_u32(input, pos).ok_or_else(|| {
            err(format!(
                "element {i}: the buffer ends inside its length (truncated?)"
            ))
        })? as usize;
        let start = pos + 4;
        let end = start
            .checked_add(len)
            .filter(|&e| e <= input.len())
            .ok_or_else(|| {
                err(format!(
                    "element {i}: length {len} runs past the end of the {}-byte buffer",
                    input.len()
                ))
            })?;
        let e = &input[start..end];
        if validate_utf8 {
            if let Err(x) = std::str::from_utf8(e) {
                return Err(err(format!("element {i} is not valid UTF-8: {x}")));
            }
        }
        bytes.extend_from_slice(e);
        offsets.push(bytes.len());
        pos = end;
    }
    if pos != input.len() {
        return Err(err(format!(
            "{} unexpected bytes after the last element",
            input.len() - pos
        )));
    }
    Ok(ArrayBytes::Variable { bytes, offsets })
}
