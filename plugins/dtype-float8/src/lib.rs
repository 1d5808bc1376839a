//! zarrkit plugin: the low-precision floating-point data types of zarr-extensions, and their
//! complex forms.
//!
//! | V3 name | layout (MSB→LSB) | bias | Inf | NaN (`"NaN"`) | zero | max |
//! |---|---|---|---|---|---|---|
//! | `float4_e2m1fn` | `XXXX S EE M` | 1 | no | no | ±0 | 6 |
//! | `float6_e2m3fn` | `XX S EE MMM` | 1 | no | no | ±0 | 7.5 |
//! | `float6_e3m2fn` | `XX S EEE MM` | 3 | no | no | ±0 | 28 |
//! | `float8_e3m4` | `S EEE MMMM` | 3 | `0x70` | exp all ones, M≠0 (`0x78`) | ±0 | 15.5 |
//! | `float8_e4m3` | `S EEEE MMM` | 7 | `0x78` | exp all ones, M≠0 (`0x7c`) | ±0 | 240 |
//! | `float8_e4m3fn` ¹ | `S EEEE MMM` | 7 | no | `S 1111 111` (`0x7f`) | ±0 | 448 |
//! | `float8_e4m3fnuz` | `S EEEE MMM` | 8 | no | `0x80` only | +0 | 240 |
//! | `float8_e4m3b11fnuz` | `S EEEE MMM` | 11 | no | `0x80` only | +0 | 30 |
//! | `float8_e5m2` | `S EEEEE MM` | 15 | `0x7c` | exp all ones, M≠0 (`0x7e`) | ±0 | 57344 |
//! | `float8_e5m2fnuz` | `S EEEEE MM` | 16 | no | `0x80` only | +0 | 57344 |
//! | `float8_e8m0fnu` | `EEEEEEEE`, value 2^(E−127) | 127 | no | `0xff` only | none | 2^127 |
//!
//! and `complex_<name>` for every name above except `float8_e4m3fn`: two elements, real then
//! imaginary. ¹ `float8_e4m3fn` (OCP E4M3, the common FP8 of PyTorch and ml_dtypes) has no
//! zarr-extensions registration; tensorstore writes it under this name, so it is read and
//! written under that name. There is no `complex_float8_e4m3fn` (nobody writes one).
//!
//! **Bytes.** One byte per component in memory and through `bytes` (`endian` has no effect;
//! `endianness_unit` is `None`). The 4- and 6-bit types keep their value in the low bits; the
//! upper bits are **ignored on read** as the READMEs say (any value is accepted; nothing is
//! rejected by `validate_elements`) and written as zero (ml_dtypes and tensorstore write
//! zero; so does zarrs). *Deviation:* ml_dtypes 0.7 (and tensorstore, which uses it) does not
//! ignore them: it reads any byte ≥ `0x08` as negative (float4 `0x17` is −6.0, here 6.0).
//! No writer produces such bytes.
//!
//! **Fill values** (V3 JSON, as the core float rules):
//! * a JSON number, converted exactly as ml_dtypes converts a float64: round to nearest,
//!   ties to even, **directly from the f64** (not through f32, which rounds twice); values
//!   beyond the range become ±Inf (`e3m4`, `e4m3`, `e5m2`), NaN (`e4m3fn` keeps the sign,
//!   `fnuz` and `e8m0fnu`), or saturate to ±max (the 4- and 6-bit types); negative results
//!   of the `fnuz` types that round to zero are +0; `float8_e8m0fnu` maps 0, negative
//!   numbers and −0 to NaN, values below 2^−127 to `0x00`, and rounds ties *up* (1.5 is
//!   2.0, 1.5·2^−127 is 2^−126: with no mantissa bit ml_dtypes breaks ties on the implicit
//!   leading 1).
//! * `"NaN"`: the byte the READMEs name (ml_dtypes' quiet NaN): only where the format has a
//!   NaN; an error for the 4- and 6-bit types.
//! * `"Infinity"` / `"-Infinity"`: only for `e3m4`, `e4m3`, `e5m2`; an error elsewhere
//!   (tensorstore accepts them and stores NaN or max; it never writes them for such types).
//! * `"0x.."`: the raw bits, one or two hex digits, at most 2^N − 1 for an N-bit type.
//! * complex types: `[re, im]`, each part by the rules above.
//!
//! Written back: a number for finite values (exact: every value of these formats is an
//! f64), `"Infinity"`/`"-Infinity"`, `"NaN"` for the canonical NaN and `"0x%02x"` for any
//! other NaN pattern (so every bit pattern round-trips). The metadata document itself keeps
//! the JSON that was read.
//!
//! **Deviations from other implementations** (details in the crate's tests):
//! * zarrs reads a JSON integer fill value of most of these types (`float4`, `float6`,
//!   `e3m4`, `e4m3b11fnuz`, `e4m3fnuz`, `e5m2fnuz`, `e8m0fnu`) as the raw byte; here it is a
//!   number (`1` is float4 `0x02`, as the spec and ml_dtypes say). zarrs' `float8_e4m3` uses
//!   the `float8` crate's OCP E4M3FN (no Inf, NaN `0x7f`) for numeric fill values; here it is
//!   the IEEE-like format of the README.
//! * tensorstore 0.1.86 writes `float8_e8m0fnu` fill values in a scale of its own: the byte
//!   `0x7f` (1.0) as `1.8446744073709552e19`, `0x3f` as `1.0`, `0x00` as `0.0`, and reads
//!   `0.0` as `0x00`. Here, as in ml_dtypes, `1.0` is `0x7f` and `0.0` is NaN: a tensorstore
//!   array with its default fill value `0.0` has missing chunks that read NaN here and
//!   2^−127 there.
//! * `microfloat` (0.1.3) matches ml_dtypes for f32 inputs but rounds f64 inputs through f32
//!   (1.0625 + 2^−30 is `float8_e4m3` `0x38` there and `0x39` in ml_dtypes), so conversions
//!   here are this crate's own, verified against ml_dtypes for every bit pattern. It also
//!   saturates `float8_e8m0fnu`'s overflow tie 1.5·2^127 to `0xfe` where ml_dtypes gives NaN.
//!   The `From` conversions between this crate's element types and microfloat's keep the
//!   bits.
//!
//! **Typed access.** Core's `ElementKind` has no kind for these formats, so the data types
//! report `ElementKind::RawBytes(1)` (`RawBytes(2)` for complex): codecs that interpret
//! numbers (bitround, delta, pcodec, zfp, packbits) refuse them instead of misreading them.
//! The element types of this crate ([`Float8E4M3`], [`ComplexFloat8E4M3`], ...) are
//! one-byte (two-byte) [`Element`]s of that kind, with conversions to and from `f32`/`f64`
//! and `microfloat`'s types; `[u8; 1]` reads the raw bits. The kind check cannot tell
//! two one-byte raw kinds apart (an `Float8E5M2` read of a `float8_e4m3` array is not
//! refused).

use std::sync::Arc;

use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::{Element, ElementKind};
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{parse_hex_bits, FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::{Number, Value};

/// How a format spends its special bit patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Specials {
    /// IEEE-like: exponent all ones is ±Inf (mantissa 0) or NaN; overflow gives ±Inf.
    Ieee,
    /// Finite, NaN is `S.1..1.1..1` (`float8_e4m3fn`); overflow gives NaN.
    FiniteNan,
    /// Finite, unsigned zero: `0x80` is the only NaN; overflow gives NaN.
    Fnuz,
    /// Finite without NaN (the MX 4- and 6-bit types); overflow saturates.
    FiniteSaturating,
    /// `float8_e8m0fnu`: unsigned powers of two, `0xff` is NaN, no zero.
    E8M0,
}

/// A low-precision float format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format {
    name: &'static str,
    bits: u32,
    exponent_bits: u32,
    mantissa_bits: u32,
    bias: i32,
    specials: Specials,
    complex: Option<&'static str>,
}

const fn format(
    name: &'static str,
    exponent_bits: u32,
    mantissa_bits: u32,
    bias: i32,
    specials: Specials,
    complex: Option<&'static str>,
) -> Format {
    let sign = !matches!(specials, Specials::E8M0) as u32;
    Format {
        name,
        bits: sign + exponent_bits + mantissa_bits,
        exponent_bits,
        mantissa_bits,
        bias,
        specials,
        complex,
    }
}

use Specials::*;

/// `float4_e2m1fn`.
pub const FLOAT4_E2M1FN: Format = format(
    "float4_e2m1fn",
    2,
    1,
    1,
    FiniteSaturating,
    Some("complex_float4_e2m1fn"),
);
/// `float6_e2m3fn`.
pub const FLOAT6_E2M3FN: Format = format(
    "float6_e2m3fn",
    2,
    3,
    1,
    FiniteSaturating,
    Some("complex_float6_e2m3fn"),
);
/// `float6_e3m2fn`.
pub const FLOAT6_E3M2FN: Format = format(
    "float6_e3m2fn",
    3,
    2,
    3,
    FiniteSaturating,
    Some("complex_float6_e3m2fn"),
);
/// `float8_e3m4`.
pub const FLOAT8_E3M4: Format = format("float8_e3m4", 3, 4, 3, Ieee, Some("complex_float8_e3m4"));
/// `float8_e4m3` (IEEE-like, with infinities).
pub const FLOAT8_E4M3: Format = format("float8_e4m3", 4, 3, 7, Ieee, Some("complex_float8_e4m3"));
/// `float8_e4m3fn` (OCP E4M3; tensorstore's name, not registered in zarr-extensions).
pub const FLOAT8_E4M3FN: Format = format("float8_e4m3fn", 4, 3, 7, FiniteNan, None);
/// `float8_e4m3fnuz`.
pub const FLOAT8_E4M3FNUZ: Format = format(
    "float8_e4m3fnuz",
    4,
    3,
    8,
    Fnuz,
    Some("complex_float8_e4m3fnuz"),
);
/// `float8_e4m3b11fnuz`.
pub const FLOAT8_E4M3B11FNUZ: Format = format(
    "float8_e4m3b11fnuz",
    4,
    3,
    11,
    Fnuz,
    Some("complex_float8_e4m3b11fnuz"),
);
/// `float8_e5m2` (IEEE-like).
pub const FLOAT8_E5M2: Format = format("float8_e5m2", 5, 2, 15, Ieee, Some("complex_float8_e5m2"));
/// `float8_e5m2fnuz`.
pub const FLOAT8_E5M2FNUZ: Format = format(
    "float8_e5m2fnuz",
    5,
    2,
    16,
    Fnuz,
    Some("complex_float8_e5m2fnuz"),
);
/// `float8_e8m0fnu`.
pub const FLOAT8_E8M0FNU: Format = format(
    "float8_e8m0fnu",
    8,
    0,
    127,
    E8M0,
    Some("complex_float8_e8m0fnu"),
);

/// Every format.
pub const FORMATS: [Format; 11] = [
    FLOAT4_E2M1FN,
    FLOAT6_E2M3FN,
    FLOAT6_E3M2FN,
    FLOAT8_E3M4,
    FLOAT8_E4M3,
    FLOAT8_E4M3FN,
    FLOAT8_E4M3FNUZ,
    FLOAT8_E4M3B11FNUZ,
    FLOAT8_E5M2,
    FLOAT8_E5M2FNUZ,
    FLOAT8_E8M0FNU,
];

/// `x * 2^e` for the exponents these formats need (exact).
fn pow2(e: i32) -> f64 {
    // 2^e is a normal f64 for -1022 <= e <= 1023, which covers every format here.
    f64::from_bits(((e + 1023).clamp(1, 2046) as u64) << 52)
}

impl Format {
    /// The V3 name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
    /// The V3 name of the complex type built on this format, if zarr-extensions has one.
    pub const fn complex_name(&self) -> Option<&'static str> {
        self.complex
    }
    /// Bits of the encoding (4, 6 or 8); the rest of the byte is ignored.
    pub const fn bits(&self) -> u32 {
        self.bits
    }
    /// Exponent bits.
    pub const fn exponent_bits(&self) -> u32 {
        self.exponent_bits
    }
    /// Mantissa bits.
    pub const fn mantissa_bits(&self) -> u32 {
        self.mantissa_bits
    }
    /// The exponent bias.
    pub const fn bias(&self) -> i32 {
        self.bias
    }
    /// How special values are encoded.
    pub const fn specials(&self) -> Specials {
        self.specials
    }
    /// The mask of the bits that hold the value.
    pub const fn mask(&self) -> u8 {
        if self.bits >= 8 {
            0xff
        } else {
            ((1u32 << self.bits) - 1) as u8
        }
    }
    const fn sign_bit(&self) -> u8 {
        match self.specials {
            E8M0 => 0,
            _ => 1 << (self.bits - 1),
        }
    }
    const fn exponent_all_ones(&self) -> u32 {
        (1 << self.exponent_bits) - 1
    }
    /// Whether the format has ±Inf.
    pub const fn has_infinity(&self) -> bool {
        matches!(self.specials, Ieee)
    }
    /// The bits `"NaN"` stands for (the zarr-extensions READMEs' byte, ml_dtypes' quiet
    /// NaN), `None` for the formats without NaN.
    pub const fn canonical_nan(&self) -> Option<u8> {
        match self.specials {
            // Exponent all ones, top mantissa bit.
            Ieee => Some(
                ((self.exponent_all_ones() << self.mantissa_bits) as u8)
                    | (1 << (self.mantissa_bits - 1)),
            ),
            FiniteNan => Some(0x7f),
            Fnuz => Some(0x80),
            E8M0 => Some(0xff),
            FiniteSaturating => None,
        }
    }
    /// The largest finite magnitude's bits.
    const fn max_bits(&self) -> u8 {
        let all = (1u32 << (self.exponent_bits + self.mantissa_bits)) - 1;
        (match self.specials {
            Ieee => (self.exponent_all_ones() << self.mantissa_bits) - 1,
            FiniteNan => all - 1,
            Fnuz | FiniteSaturating => all,
            E8M0 => 0xfe,
        }) as u8
    }
    /// The largest finite value.
    pub fn max(&self) -> f64 {
        self.to_f64(self.max_bits())
    }

    /// Whether these bits (upper bits ignored) are a NaN.
    pub fn is_nan(&self, bits: u8) -> bool {
        let b = bits & self.mask();
        let m = self.mantissa_bits;
        let e = (u32::from(b) >> m) & self.exponent_all_ones();
        match self.specials {
            Ieee => e == self.exponent_all_ones() && (b & ((1 << m) - 1)) != 0,
            FiniteNan => (b & 0x7f) == 0x7f,
            Fnuz => b == 0x80,
            E8M0 => b == 0xff,
            FiniteSaturating => false,
        }
    }

    /// The value of these bits (upper bits ignored). Exact: every value is an f64.
    pub fn to_f64(&self, bits: u8) -> f64 {
        let b = bits & self.mask();
        let m = self.mantissa_bits;
        if self.specials == E8M0 {
            return if b == 0xff {
                f64::NAN
            } else {
                pow2(i32::from(b) - self.bias)
            };
        }
        let negative = b & self.sign_bit() != 0;
        let e = (u32::from(b) >> m) & self.exponent_all_ones();
        let mant = u32::from(b) & ((1 << m) - 1);
        let magnitude = if self.is_nan(b) {
            f64::NAN
        } else if self.specials == Ieee && e == self.exponent_all_ones() {
            f64::INFINITY
        } else if e == 0 {
            f64::from(mant) * pow2(1 - self.bias - m as i32)
        } else {
            f64::from((1 << m) | mant) * pow2(e as i32 - self.bias - m as i32)
        };
        if negative {
            -magnitude
        } else {
            magnitude
        }
    }

    /// The bits of `x`, converted as ml_dtypes converts a float64 (round to nearest, ties
    /// to even, directly from the f64; see the crate documentation for NaN and overflow).
    pub fn from_f64(&self, x: f64) -> u8 {
        let negative = x.is_sign_negative();
        let sign = if negative { self.sign_bit() } else { 0 };
        match self.specials {
            E8M0 if x.is_nan() || x <= 0.0 || x.is_infinite() => return 0xff,
            _ if x.is_nan() => {
                return match self.specials {
                    Ieee | FiniteNan => self.canonical_nan().unwrap_or(0) | sign,
                    Fnuz => 0x80,
                    // ml_dtypes: NaN becomes a zero of the opposite sign.
                    _ => self.sign_bit() ^ sign,
                };
            }
            _ => {}
        }
        let overflow = || match self.specials {
            Ieee => ((self.exponent_all_ones() << self.mantissa_bits) as u8) | sign,
            FiniteNan => 0x7f | sign,
            Fnuz | E8M0 => self.canonical_nan().unwrap_or(0),
            FiniteSaturating => self.max_bits() | sign,
        };
        if x.is_infinite() {
            return overflow();
        }
        if x == 0.0 {
            return if self.specials == Fnuz { 0 } else { sign };
        }
        // |x| = big * 2^exp2 exactly, big < 2^53.
        let raw = x.abs().to_bits();
        let (big, exp2) = match raw >> 52 {
            0 => (raw, -1074),
            e => ((raw & ((1 << 52) - 1)) | (1 << 52), e as i32 - 1075),
        };
        let top = 63 - big.leading_zeros() as i32 + exp2; // floor(log2 |x|)
        let m = self.mantissa_bits as i32;
        // E8M0 has no subnormals: its smallest exponent is that of the byte 0x00.
        let min_exp = if self.specials == E8M0 {
            -self.bias
        } else {
            1 - self.bias
        };
        let mut t = top.max(min_exp);
        // Round big / 2^shift to an integer, ties to even. shift >= 1: a normal f64 has 53
        // significant bits and every format here fewer than 6; a subnormal one is tiny.
        let shift = (t - m - exp2).max(1) as u32;
        let mut n = 0u64;
        if shift < 64 {
            n = big >> shift;
            let rem = big & ((1u64 << shift) - 1);
            let half = 1u64 << (shift - 1);
            // Ties to even: the last mantissa bit. E8M0 has none; ml_dtypes then breaks ties
            // on the implicit leading 1, so its ties always round up (1.5 -> 2.0).
            let odd = self.specials == E8M0 || (n & 1) == 1;
            if rem > half || (rem == half && odd) {
                n += 1;
            }
        } // else: big < 2^53 <= half a unit: rounds to 0.
        if n == 1 << (m + 1) {
            n >>= 1;
            t += 1;
        }
        let magnitude = if self.specials == E8M0 {
            if n == 0 {
                // Below 2^-127 after rounding: ml_dtypes gives the smallest value, 0x00.
                return 0;
            }
            t + self.bias
        } else if n < 1 << m {
            // Subnormal or zero.
            return if n == 0 && self.specials == Fnuz {
                0
            } else {
                n as u8 | sign
            };
        } else {
            t + self.bias
        };
        if magnitude > self.exponent_all_ones() as i32 {
            return overflow();
        }
        let bits = ((magnitude as u32) << m) | (n as u32 & ((1 << m) - 1));
        if bits > u32::from(self.max_bits()) {
            return overflow();
        }
        bits as u8 | sign
    }

    /// Parse one fill value component (see the crate documentation).
    pub fn fill_value_from_json(&self, json: &Value) -> Result<u8, String> {
        match json {
            Value::Number(n) => n
                .as_f64()
                .map(|x| self.from_f64(x))
                .ok_or_else(|| "not a number".to_string()),
            Value::String(s) => match s.as_str() {
                "NaN" => self
                    .canonical_nan()
                    .ok_or_else(|| format!("{} has no NaN", self.name)),
                "Infinity" | "-Infinity" if self.has_infinity() => {
                    Ok(self.from_f64(if s.starts_with('-') {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    }))
                }
                "Infinity" | "-Infinity" => Err(format!("{} has no infinity", self.name)),
                _ => match parse_hex_bits(s, 1) {
                    Some(b) if b <= u64::from(self.mask()) => Ok(b as u8),
                    Some(_) => Err(format!(
                        "the bit pattern does not fit the {} bits of {}",
                        self.bits, self.name
                    )),
                    None => Err(
                        "expected a number, \"NaN\", \"Infinity\", \"-Infinity\" or a hex bit pattern \"0x..\""
                            .into(),
                    ),
                },
            },
            _ => Err(
                "expected a number, \"NaN\", \"Infinity\", \"-Infinity\" or a hex bit pattern \"0x..\""
                    .into(),
            ),
        }
    }

    /// Write one fill value component (upper bits ignored).
    pub fn fill_value_to_json(&self, bits: u8) -> Value {
        let b = bits & self.mask();
        let v = self.to_f64(b);
        if v.is_nan() {
            if Some(b) == self.canonical_nan() {
                Value::String("NaN".into())
            } else {
                Value::String(format!("0x{b:02x}"))
            }
        } else if v == f64::INFINITY {
            Value::String("Infinity".into())
        } else if v == f64::NEG_INFINITY {
            Value::String("-Infinity".into())
        } else {
            Number::from_f64(v).map_or(Value::String(format!("0x{b:02x}")), Value::Number)
        }
    }
}

/// The format of a (real) V3 name.
pub fn format_by_name(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name == name)
}

/// A low-precision float data type (real or complex).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Float8DataType {
    format: &'static Format,
    complex: bool,
}

impl Float8DataType {
    /// The data type of a V3 name (`float8_e4m3`, `complex_float4_e2m1fn`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        FORMATS.iter().find_map(|f| {
            if f.name == name {
                Some(Self {
                    format: f,
                    complex: false,
                })
            } else if f.complex == Some(name) {
                Some(Self {
                    format: f,
                    complex: true,
                })
            } else {
                None
            }
        })
    }
    /// The component format.
    pub fn format(&self) -> &'static Format {
        self.format
    }
    /// Whether this is the complex form.
    pub fn is_complex(&self) -> bool {
        self.complex
    }
    fn components(&self) -> usize {
        1 + usize::from(self.complex)
    }
}

impl DataTypeExtension for Float8DataType {
    fn name(&self) -> String {
        match (self.complex, self.format.complex) {
            (true, Some(c)) => c.to_string(),
            _ => self.format.name.to_string(),
        }
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Fixed(self.components())
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        let name = self.name();
        let err = |r: String| FillValueError::new(&name, json, r);
        if !self.complex {
            return Ok(FillValue::new(vec![self
                .format
                .fill_value_from_json(json)
                .map_err(err)?]));
        }
        match json {
            Value::Array(a) if a.len() == 2 => {
                let re = self
                    .format
                    .fill_value_from_json(&a[0])
                    .map_err(|e| err(format!("real part: {e}")))?;
                let im = self
                    .format
                    .fill_value_from_json(&a[1])
                    .map_err(|e| err(format!("imaginary part: {e}")))?;
                Ok(FillValue::new(vec![re, im]))
            }
            _ => Err(err("expected [real, imaginary]".into())),
        }
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        let b = fill_value.as_bytes();
        if b.len() != self.components() {
            return Err(FillValueError::new(
                &self.name(),
                &Value::Null,
                format!("fill value has {} bytes", b.len()),
            ));
        }
        Ok(match b {
            [x] => self.format.fill_value_to_json(*x),
            [re, im] => Value::Array(vec![
                self.format.fill_value_to_json(*re),
                self.format.fill_value_to_json(*im),
            ]),
            _ => Value::Null,
        })
    }

    fn element_kind(&self) -> Option<ElementKind> {
        Some(ElementKind::RawBytes(self.components()))
    }
}

/// Create a data type by V3 name.
pub fn data_type(name: &str) -> Option<DataType> {
    Float8DataType::from_name(name).map(|d| Arc::new(d) as DataType)
}

fn create(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    if metadata.configuration().is_some_and(|c| !c.is_empty()) {
        return Err(PluginError::config(
            ExtensionKind::DataType,
            metadata.name(),
            "this data type takes no configuration",
        ));
    }
    data_type(metadata.name()).ok_or_else(|| PluginError::Unknown {
        kind: ExtensionKind::DataType,
        name: metadata.name().to_string(),
    })
}

macro_rules! register {
    ($($name:literal),* $(,)?) => {$(
        zarrkit_core::inventory::submit! { DataTypePlugin::new($name, create) }
    )*};
}
register!(
    "float4_e2m1fn",
    "float6_e2m3fn",
    "float6_e3m2fn",
    "float8_e3m4",
    "float8_e4m3",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e4m3b11fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
    "complex_float4_e2m1fn",
    "complex_float6_e2m3fn",
    "complex_float6_e3m2fn",
    "complex_float8_e3m4",
    "complex_float8_e4m3",
    "complex_float8_e4m3b11fnuz",
    "complex_float8_e4m3fnuz",
    "complex_float8_e5m2",
    "complex_float8_e5m2fnuz",
    "complex_float8_e8m0fnu",
);

macro_rules! element_types {
    ($($(#[$doc:meta])* $t:ident, $ct:ident, $format:expr, $micro:ty;)*) => {$(
        $(#[$doc])*
        ///
        /// A one-byte [`Element`] (kind `RawBytes(1)`): `array.read::<Vec<ThisType>>(..)`.
        /// Equality compares the stored bits.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[repr(transparent)]
        pub struct $t(u8);

        impl $t {
            /// The format.
            pub const FORMAT: Format = $format;
            /// From raw bits (for 4- and 6-bit types the upper bits are ignored when read).
            pub const fn from_bits(bits: u8) -> Self {
                Self(bits)
            }
            /// The raw bits.
            pub const fn to_bits(self) -> u8 {
                self.0
            }
            /// Convert as ml_dtypes does (round to nearest even; see the crate docs).
            pub fn from_f64(x: f64) -> Self {
                Self(Self::FORMAT.from_f64(x))
            }
            /// Convert as ml_dtypes does (exactly like `from_f64(x as f64)`).
            pub fn from_f32(x: f32) -> Self {
                Self(Self::FORMAT.from_f64(f64::from(x)))
            }
            /// The value (exact).
            pub fn to_f64(self) -> f64 {
                Self::FORMAT.to_f64(self.0)
            }
            /// The value (exact: every value of these formats is an f32).
            pub fn to_f32(self) -> f32 {
                self.to_f64() as f32
            }
            /// Whether this is a NaN.
            pub fn is_nan(self) -> bool {
                Self::FORMAT.is_nan(self.0)
            }
        }

        // SAFETY: one byte, every bit pattern valid, no padding.
        unsafe impl Element for $t {
            fn kind() -> ElementKind {
                ElementKind::RawBytes(1)
            }
        }

        impl From<$micro> for $t {
            fn from(x: $micro) -> Self {
                Self(x.to_bits())
            }
        }
        impl From<$t> for $micro {
            fn from(x: $t) -> Self {
                <$micro>::from_bits(x.0 & $t::FORMAT.mask())
            }
        }

        /// The complex form: real then imaginary part, one byte each. A two-byte
        /// [`Element`] (kind `RawBytes(2)`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[repr(C)]
        pub struct $ct {
            /// The real part.
            pub re: $t,
            /// The imaginary part.
            pub im: $t,
        }

        impl $ct {
            /// From the two parts.
            pub const fn new(re: $t, im: $t) -> Self {
                Self { re, im }
            }
        }

        // SAFETY: two one-byte fields (alignment 1, no padding), every bit pattern valid.
        unsafe impl Element for $ct {
            fn kind() -> ElementKind {
                ElementKind::RawBytes(2)
            }
        }
    )*};
}

element_types! {
    /// A `float4_e2m1fn` element.
    Float4E2M1FN, ComplexFloat4E2M1FN, FLOAT4_E2M1FN, microfloat::f4e2m1fn;
    /// A `float6_e2m3fn` element.
    Float6E2M3FN, ComplexFloat6E2M3FN, FLOAT6_E2M3FN, microfloat::f6e2m3fn;
    /// A `float6_e3m2fn` element.
    Float6E3M2FN, ComplexFloat6E3M2FN, FLOAT6_E3M2FN, microfloat::f6e3m2fn;
    /// A `float8_e3m4` element.
    Float8E3M4, ComplexFloat8E3M4, FLOAT8_E3M4, microfloat::f8e3m4;
    /// A `float8_e4m3` element (IEEE-like, with infinities).
    Float8E4M3, ComplexFloat8E4M3, FLOAT8_E4M3, microfloat::f8e4m3;
    /// A `float8_e4m3fn` element (OCP E4M3; no complex data type exists, the complex
    /// element type is for completeness).
    Float8E4M3FN, ComplexFloat8E4M3FN, FLOAT8_E4M3FN, microfloat::f8e4m3fn;
    /// A `float8_e4m3fnuz` element.
    Float8E4M3FNUZ, ComplexFloat8E4M3FNUZ, FLOAT8_E4M3FNUZ, microfloat::f8e4m3fnuz;
    /// A `float8_e4m3b11fnuz` element.
    Float8E4M3B11FNUZ, ComplexFloat8E4M3B11FNUZ, FLOAT8_E4M3B11FNUZ, microfloat::f8e4m3b11fnuz;
    /// A `float8_e5m2` element (IEEE-like).
    Float8E5M2, ComplexFloat8E5M2, FLOAT8_E5M2, microfloat::f8e5m2;
    /// A `float8_e5m2fnuz` element.
    Float8E5M2FNUZ, ComplexFloat8E5M2FNUZ, FLOAT8_E5M2FNUZ, microfloat::f8e5m2fnuz;
    /// A `float8_e8m0fnu` element.
    Float8E8M0FNU, ComplexFloat8E8M0FNU, FLOAT8_E8M0FNU, microfloat::f8e8m0fnu;
}

#[cfg(test)]
mod tests;
