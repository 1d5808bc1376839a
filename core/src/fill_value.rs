//! Fill values: the bytes of one element, plus helpers for the JSON forms the spec allows.
//!
//! The helpers here are shared by data type plugins: they parse `"NaN"`, `"Infinity"`,
//! `"-Infinity"` and hex bit patterns (`"0x7fc00001"`) for floats, and integers checked to be
//! in range. They implement no data type themselves.

use serde_json::Value;

/// The fill value of an array: the in-memory (native-endian) bytes of one element. For a
/// variable-size data type, the element's bytes (e.g. the UTF-8 of a string).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FillValue(Vec<u8>);

impl FillValue {
    /// From raw element bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
    /// The element bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// The number of bytes.
    pub fn size(&self) -> usize {
        self.0.len()
    }
    /// Whether every element of `bytes` (a whole number of elements) equals this value.
    pub fn equals_all(&self, bytes: &[u8]) -> bool {
        let n = self.0.len();
        if n == 0 {
            return bytes.is_empty();
        }
        if !bytes.len().is_multiple_of(n) {
            return false;
        }
        if self.0.iter().all(|&b| b == self.0[0]) {
            // Fast path: a single repeated byte.
            let b0 = self.0[0];
            return bytes.iter().all(|&b| b == b0);
        }
        bytes.chunks_exact(n).all(|c| c == self.0.as_slice())
    }
}

impl From<Vec<u8>> for FillValue {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}
impl From<&[u8]> for FillValue {
    fn from(v: &[u8]) -> Self {
        Self(v.to_vec())
    }
}

macro_rules! impl_from_num {
    ($($t:ty),*) => {$(
        impl From<$t> for FillValue {
            fn from(v: $t) -> Self { Self(v.to_ne_bytes().to_vec()) }
        }
    )*};
}
impl_from_num!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);
impl From<bool> for FillValue {
    fn from(v: bool) -> Self {
        Self(vec![u8::from(v)])
    }
}

/// Why a JSON fill value was rejected.
#[derive(Debug, Clone, thiserror::Error)]
#[error("fill value {value} is not valid for data type {data_type}: {reason}")]
pub struct FillValueError {
    /// The data type name.
    pub data_type: String,
    /// The JSON value.
    pub value: String,
    /// Why.
    pub reason: String,
}

impl FillValueError {
    /// Create an error.
    pub fn new(data_type: &str, value: &Value, reason: impl Into<String>) -> Self {
        Self {
            data_type: data_type.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// Parse a hex bit pattern such as `"0x7fc00001"` with exactly `nbytes * 2` digits... or
/// fewer (leading zeros may be dropped). Returns the value as a u64.
pub fn parse_hex_bits(s: &str, nbytes: usize) -> Option<u64> {
    let h = s.strip_prefix("0x")?;
    if h.is_empty() || h.len() > nbytes * 2 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(h, 16).ok()
}

/// A float in fill-value JSON: a number, `"NaN"`, `"Infinity"`, `"-Infinity"`, or a hex bit
/// pattern. Returns the bit pattern of width `nbytes` (2, 4 or 8) via the given converters.
pub enum FloatJson {
    /// A finite or infinite number / special string to convert.
    Value(f64),
    /// The canonical NaN.
    NaN,
    /// Exact bits from a hex string.
    Bits(u64),
}

/// Parse a float fill value JSON of a type with `nbytes` bytes.
pub fn parse_float_json(v: &Value, nbytes: usize) -> Option<FloatJson> {
    match v {
        Value::Number(n) => n.as_f64().map(FloatJson::Value),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(FloatJson::NaN),
            "Infinity" => Some(FloatJson::Value(f64::INFINITY)),
            "-Infinity" => Some(FloatJson::Value(f64::NEG_INFINITY)),
            _ => parse_hex_bits(s, nbytes).map(FloatJson::Bits),
        },
        _ => None,
    }
}

/// JSON of a float fill value given as f64 (for NaN: `"NaN"` when canonical, else hex bits).
pub fn float_to_json(v: f64, bits: u64, canonical_nan_bits: u64, nbytes: usize) -> Value {
    if v.is_nan() {
        if bits == canonical_nan_bits {
            Value::String("NaN".into())
        } else {
            Value::String(format!("0x{:0width$x}", bits, width = nbytes * 2))
        }
    } else if v == f64::INFINITY {
        Value::String("Infinity".into())
    } else if v == f64::NEG_INFINITY {
        Value::String("-Infinity".into())
    } else {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// An integer fill value JSON checked to lie in `[min, max]` (i128 covers every core integer
/// type). Hex bit patterns are not accepted for integers.
pub fn parse_int_json(v: &Value, min: i128, max: i128) -> Option<i128> {
    let Value::Number(n) = v else { return None };
    let i: i128 = if let Some(i) = n.as_i64() {
        i as i128
    } else if let Some(u) = n.as_u64() {
        u as i128
    } else {
        // Could be an integer too large for u64 (arbitrary precision), or a float.
        let s = n.to_string();
        if s.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            s.parse::<i128>().ok()?
        } else {
            return None;
        }
    };
    (min..=max).contains(&i).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ints() {
        assert_eq!(parse_int_json(&json!(5), 0, 255), Some(5));
        assert_eq!(parse_int_json(&json!(256), 0, 255), None);
        assert_eq!(parse_int_json(&json!(1.5), 0, 255), None);
        assert_eq!(parse_int_json(&json!("1"), 0, 255), None);
        assert_eq!(
            parse_int_json(&json!(18446744073709551615u64), 0, u64::MAX as i128),
            Some(u64::MAX as i128)
        );
    }

    #[test]
    fn hex() {
        assert_eq!(parse_hex_bits("0x7fc00001", 4), Some(0x7fc00001));
        assert_eq!(parse_hex_bits("0x7fc000011", 4), None);
        assert_eq!(parse_hex_bits("7fc0", 4), None);
    }

    #[test]
    fn equals_all() {
        let f = FillValue::from(258u16);
        assert!(f.equals_all(&[2, 1, 2, 1]));
        assert!(!f.equals_all(&[2, 1, 2, 2]));
        assert!(FillValue::from(0u32).equals_all(&[0; 8]));
    }
}
