//! zarrkit plugin: the zarr-extensions `scale_offset` array→array codec.
//!
//! - V3 name `scale_offset` (no aliases, no Zarr V2 form: numcodecs' `fixedscaleoffset` also
//!   casts, see the README's conversion to `[scale_offset, cast_value]`), configuration
//!   `{"offset": o, "scale": s}`, each a scalar in the fill-value JSON of the array's data
//!   type (so `"NaN"`, `"Infinity"` and hex bit patterns are valid for floats). Other members
//!   are an error, as the spec requires.
//! - encode `out = (in - offset) * scale`, decode `out = in / scale + offset`, in the data
//!   type's own arithmetic (no promotion). The data type, shape and byte size are unchanged;
//!   the encoded fill value is `(fill - offset) * scale`.
//!
//! Data types: those reporting an integer or float element kind (int8–int64, uint8–uint64,
//! float16, bfloat16, float32, float64) — a capability check, never a name.
//!
//! **`offset` and `scale` are optional** (defaults 0 and 1), though the README table marks
//! both required: zarr-python and zarrs treat them as optional and zarr-python writes
//! `{"name": "scale_offset"}` for the identity. The configuration is written back as read
//! (members absent stay absent; no configuration stays none).
//!
//! **Floats** use IEEE arithmetic: `float32` and `float64` natively; `float16` and
//! `bfloat16` compute each operation in `f32` and round to the type after each operation,
//! which gives the correctly rounded result of the type (f32 has more than twice their
//! precision), as numpy's float16 arithmetic does. Infinities and NaN are valid results.
//!
//! **Integers** use exact arithmetic, as zarr-python 3.4 (the reference implementation) and
//! zarrs agree where both are defined:
//! - decoding: a stored value that is not a multiple of `scale` is an error ("non-zero
//!   remainder", as zarr-python 3.4 raises; zarrs would truncate), and so is a decoded value
//!   outside the data type ("outside the range of dtype ...", as zarr-python; zarrs errors
//!   too). Every value either writes decodes to the same element. `scale == 0` is an error
//!   (it cannot be inverted). (Before zarr-python 3.4.2, numpy's floor division and wrapping
//!   addition decoded such values silently; no implementation encodes them.)
//! - encoding uses **checked arithmetic**, as zarrs: an element whose `(in - offset) *
//!   scale` overflows is an error naming the element (numpy would store a wrapped value that
//!   no implementation decodes back to the input), and so is `scale == 0`.
//! - the encoded fill value (used only by codecs after this one, e.g. for sharding's missing
//!   inner chunks) wraps, as in zarr-python, so such an array still opens.
//!
//! Region-local: any region of a chunk decodes on its own (partial decoding passes through).

use std::sync::Arc;

use half::{bf16, f16};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::CodecPlugin;
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::subset::ArraySubset;
use zarrkit_core::{CodecOptions, FillValue};

/// The V3 name of the codec.
pub const NAME: &str = "scale_offset";

/// The `scale_offset` codec. `offset` and `scale` are kept as the JSON read (or given) and
/// parsed with the data type the codec is bound to.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleOffsetCodec {
    offset: Option<Value>,
    scale: Option<Value>,
    /// Whether the metadata had a `configuration` member (zarr-python writes none for the
    /// identity).
    has_configuration: bool,
}

/// The numeric kind of the data, from the data type's element kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    BF16,
    F32,
    F64,
}

impl Num {
    fn of(kind: Option<ElementKind>) -> Option<Self> {
        use ElementKind as K;
        Some(match kind? {
            K::Int8 => Self::I8,
            K::Int16 => Self::I16,
            K::Int32 => Self::I32,
            K::Int64 => Self::I64,
            K::UInt8 => Self::U8,
            K::UInt16 => Self::U16,
            K::UInt32 => Self::U32,
            K::UInt64 => Self::U64,
            K::Float16 => Self::F16,
            K::BFloat16 => Self::BF16,
            K::Float32 => Self::F32,
            K::Float64 => Self::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Self::I8 | Self::U8 => 1,
            Self::I16 | Self::U16 | Self::F16 | Self::BF16 => 2,
            Self::I32 | Self::U32 | Self::F32 => 4,
            Self::I64 | Self::U64 | Self::F64 => 8,
        }
    }
}

/// What went wrong with one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Integer overflow (encoding), or a decoded value outside the type (decoding).
    Overflow,
    /// Decoding: a stored integer that is not a multiple of `scale`.
    Inexact,
    /// Integer scale 0.
    ZeroScale,
}

macro_rules! int_ops {
    ($t:ty, $enc:ident, $dec:ident, $encw:ident) => {
        fn $enc(bytes: &mut [u8], o: $t, s: $t) -> Result<(), (usize, Failure)> {
            if s == 0 {
                return Err((0, Failure::ZeroScale));
            }
            for (i, c) in bytes
                .chunks_exact_mut(std::mem::size_of::<$t>())
                .enumerate()
            {
                let x = <$t>::from_ne_bytes(c.try_into().map_err(|_| (i, Failure::Overflow))?);
                let y = x
                    .checked_sub(o)
                    .and_then(|d| d.checked_mul(s))
                    .ok_or((i, Failure::Overflow))?;
                c.copy_from_slice(&y.to_ne_bytes());
            }
            Ok(())
        }

        fn $dec(bytes: &mut [u8], o: $t, s: $t) -> Result<(), (usize, Failure)> {
            if s == 0 {
                return Err((0, Failure::ZeroScale));
            }
            // Exact arithmetic: a stored value that is not a multiple of `scale`, or whose
            // decoded value does not fit the type, is an error, never a rounded or wrapped
            // element. The type's own checked operations decide it, except `MIN / -1`, whose
            // quotient leaves the type while `quotient + offset` may not (i128 holds it).
            for (i, c) in bytes
                .chunks_exact_mut(std::mem::size_of::<$t>())
                .enumerate()
            {
                let x = <$t>::from_ne_bytes(c.try_into().map_err(|_| (i, Failure::Overflow))?);
                // `MIN % -1` is `None`: the division is exact.
                if x.checked_rem(s).is_some_and(|r| r != 0) {
                    return Err((i, Failure::Inexact));
                }
                let y = match x.checked_div(s) {
                    Some(q) => q.checked_add(o),
                    None => <$t>::try_from(x as i128 / s as i128 + o as i128).ok(),
                }
                .ok_or((i, Failure::Overflow))?;
                c.copy_from_slice(&y.to_ne_bytes());
            }
            Ok(())
        }

        fn $encw(x: $t, o: $t, s: $t) -> $t {
            x.wrapping_sub(o).wrapping_mul(s)
        }
    };
}

int_ops!(i8, enc_i8, dec_i8, encw_i8);
int_ops!(i16, enc_i16, dec_i16, encw_i16);
int_ops!(i32, enc_i32, dec_i32, encw_i32);
int_ops!(i64, enc_i64, dec_i64, encw_i64);
int_ops!(u8, enc_u8, dec_u8, encw_u8);
int_ops!(u16, enc_u16, dec_u16, encw_u16);
int_ops!(u32, enc_u32, dec_u32, encw_u32);
int_ops!(u64, enc_u64, dec_u64, encw_u64);

macro_rules! float_ops {
    ($t:ty, $enc:ident, $dec:ident) => {
        fn $enc(bytes: &mut [u8], o: $t, s: $t) {
            for c in bytes.chunks_exact_mut(std::mem::size_of::<$t>()) {
                if let Ok(a) = c.try_into() {
                    let x = <$t>::from_ne_bytes(a);
                    c.copy_from_slice(&((x - o) * s).to_ne_bytes());
                }
            }
        }
        fn $dec(bytes: &mut [u8], o: $t, s: $t) {
            for c in bytes.chunks_exact_mut(std::mem::size_of::<$t>()) {
                if let Ok(a) = c.try_into() {
                    let x = <$t>::from_ne_bytes(a);
                    c.copy_from_slice(&(x / s + o).to_ne_bytes());
                }
            }
        }
    };
}

float_ops!(f32, enc_f32, dec_f32);
float_ops!(f64, enc_f64, dec_f64);

macro_rules! half_ops {
    ($t:ty, $enc:ident, $dec:ident) => {
        // Each operation in f32, rounded to the type after each (correctly rounded).
        fn $enc(bytes: &mut [u8], o: $t, s: $t) {
            let (o, s) = (o.to_f32(), s.to_f32());
            for c in bytes.chunks_exact_mut(2) {
                if let Ok(a) = c.try_into() {
                    let x = <$t>::from_ne_bytes(a).to_f32();
                    let d = <$t>::from_f32(x - o).to_f32();
                    c.copy_from_slice(&<$t>::from_f32(d * s).to_ne_bytes());
                }
            }
        }
        fn $dec(bytes: &mut [u8], o: $t, s: $t) {
            let (o, s) = (o.to_f32(), s.to_f32());
            for c in bytes.chunks_exact_mut(2) {
                if let Ok(a) = c.try_into() {
                    let x = <$t>::from_ne_bytes(a).to_f32();
                    let q = <$t>::from_f32(x / s).to_f32();
                    c.copy_from_slice(&<$t>::from_f32(q + o).to_ne_bytes());
                }
            }
        }
    };
}

half_ops!(f16, enc_f16, dec_f16);
half_ops!(bf16, enc_bf16, dec_bf16);

fn arr<const N: usize>(b: &[u8]) -> Result<[u8; N], String> {
    b.try_into()
        .map_err(|_| format!("expected {N} bytes, got {}", b.len()))
}

/// The bound parameters: native-endian bytes of offset and scale for a kind.
#[derive(Debug, Clone)]
struct Bound {
    num: Num,
    offset: Vec<u8>,
    scale: Vec<u8>,
}

macro_rules! dispatch_int {
    ($b:expr, $bytes:expr, $f8:ident, $f16:ident, $f32:ident, $f64:ident, $u8:ident, $u16:ident, $u32:ident, $u64:ident) => {{
        let b: &Bound = $b;
        match b.num {
            Num::I8 => $f8(
                $bytes,
                i8::from_ne_bytes(arr(&b.offset)?),
                i8::from_ne_bytes(arr(&b.scale)?),
            ),
            Num::I16 => $f16(
                $bytes,
                i16::from_ne_bytes(arr(&b.offset)?),
                i16::from_ne_bytes(arr(&b.scale)?),
            ),
            Num::I32 => $f32(
                $bytes,
                i32::from_ne_bytes(arr(&b.offset)?),
                i32::from_ne_bytes(arr(&b.scale)?),
            ),
            Num::I64 => $f64(
                $bytes,
                i64::from_ne_bytes(arr(&b.offset)?),
                i64::from_ne_bytes(arr(&b.scale)?),
            ),
            Num::U8 => $u8(
                $bytes,
                u8::from_ne_bytes(arr(&b.offset)?),
                u8::from_ne_bytes(arr(&b.scale)?),
            ),
            Num::U16 => $u16(
                $bytes,
                u16::from_ne_bytes(arr(&b.offset)?),
                u16::from_ne_bytes(arr(&b.scale)?),
            ),
            Num::U32 => $u32(
                $bytes,
                u32::from_ne_bytes(arr(&b.offset)?),
                u32::from_ne_bytes(arr(&b.scale)?),
            ),
            Num::U64 => $u64(
                $bytes,
                u64::from_ne_bytes(arr(&b.offset)?),
                u64::from_ne_bytes(arr(&b.scale)?),
            ),
            _ => Ok(()),
        }
    }};
}

impl Bound {
    fn is_float(&self) -> bool {
        matches!(self.num, Num::F16 | Num::BF16 | Num::F32 | Num::F64)
    }

    /// Apply to native-endian element bytes in place (`encode` or decode). An integer
    /// failure is `Ok(Err((element, failure)))`; a malformed parameter an `Err`.
    fn apply(
        &self,
        bytes: &mut [u8],
        encode: bool,
    ) -> Result<Result<(), (usize, Failure)>, String> {
        let (o, s) = (&self.offset, &self.scale);
        if self.is_float() {
            match (self.num, encode) {
                (Num::F16, true) => enc_f16(
                    bytes,
                    f16::from_ne_bytes(arr(o)?),
                    f16::from_ne_bytes(arr(s)?),
                ),
                (Num::F16, false) => dec_f16(
                    bytes,
                    f16::from_ne_bytes(arr(o)?),
                    f16::from_ne_bytes(arr(s)?),
                ),
                (Num::BF16, true) => enc_bf16(
                    bytes,
                    bf16::from_ne_bytes(arr(o)?),
                    bf16::from_ne_bytes(arr(s)?),
                ),
                (Num::BF16, false) => dec_bf16(
                    bytes,
                    bf16::from_ne_bytes(arr(o)?),
                    bf16::from_ne_bytes(arr(s)?),
                ),
                (Num::F32, true) => enc_f32(
                    bytes,
                    f32::from_ne_bytes(arr(o)?),
                    f32::from_ne_bytes(arr(s)?),
                ),
                (Num::F32, false) => dec_f32(
                    bytes,
                    f32::from_ne_bytes(arr(o)?),
                    f32::from_ne_bytes(arr(s)?),
                ),
                (Num::F64, true) => enc_f64(
                    bytes,
                    f64::from_ne_bytes(arr(o)?),
                    f64::from_ne_bytes(arr(s)?),
                ),
                (Num::F64, false) => dec_f64(
                    bytes,
                    f64::from_ne_bytes(arr(o)?),
                    f64::from_ne_bytes(arr(s)?),
                ),
                _ => {}
            }
            return Ok(Ok(()));
        }
        Ok(if encode {
            dispatch_int!(
                self, bytes, enc_i8, enc_i16, enc_i32, enc_i64, enc_u8, enc_u16, enc_u32, enc_u64
            )
        } else {
            dispatch_int!(
                self, bytes, dec_i8, dec_i16, dec_i32, dec_i64, dec_u8, dec_u16, dec_u32, dec_u64
            )
        })
    }

    /// The encoded fill value: the element encoding, wrapping for integers.
    fn encode_fill(&self, fill: &[u8]) -> Result<Vec<u8>, String> {
        let mut f = fill.to_vec();
        if self.is_float() {
            self.apply(&mut f, true)?
                .map_err(|_| "fill value".to_string())?;
            return Ok(f);
        }
        let (o, s) = (&self.offset, &self.scale);
        let v = match self.num {
            Num::I8 => encw_i8(
                i8::from_ne_bytes(arr(fill)?),
                i8::from_ne_bytes(arr(o)?),
                i8::from_ne_bytes(arr(s)?),
            )
            .to_ne_bytes()
            .to_vec(),
            Num::I16 => encw_i16(
                i16::from_ne_bytes(arr(fill)?),
                i16::from_ne_bytes(arr(o)?),
                i16::from_ne_bytes(arr(s)?),
            )
            .to_ne_bytes()
            .to_vec(),
            Num::I32 => encw_i32(
                i32::from_ne_bytes(arr(fill)?),
                i32::from_ne_bytes(arr(o)?),
                i32::from_ne_bytes(arr(s)?),
            )
            .to_ne_bytes()
            .to_vec(),
            Num::I64 => encw_i64(
                i64::from_ne_bytes(arr(fill)?),
                i64::from_ne_bytes(arr(o)?),
                i64::from_ne_bytes(arr(s)?),
            )
            .to_ne_bytes()
            .to_vec(),
            Num::U8 => encw_u8(
                u8::from_ne_bytes(arr(fill)?),
                u8::from_ne_bytes(arr(o)?),
                u8::from_ne_bytes(arr(s)?),
            )
            .to_ne_bytes()
            .to_vec(),
            Num::U16 => encw_u16(
                u16::from_ne_bytes(arr(fill)?),
                u16::from_ne_bytes(arr(o)?),
                u16::from_ne_bytes(arr(s)?),
            )
            .to_ne_bytes()
            .to_vec(),
            Num::U32 => encw_u32(
                u32::from_ne_bytes(arr(fill)?),
                u32::from_ne_bytes(arr(o)?),
                u32::from_ne_bytes(arr(s)?),
            )
            .to_ne_bytes()
            .to_vec(),
            Num::U64 => encw_u64(
                u64::from_ne_bytes(arr(fill)?),
                u64::from_ne_bytes(arr(o)?),
                u64::from_ne_bytes(arr(s)?),
            )
            .to_ne_bytes()
            .to_vec(),
            _ => f,
        };
        Ok(v)
    }
}

impl ScaleOffsetCodec {
    /// A codec with the given offset and scale (fill-value JSON of the array's data type;
    /// `None`: 0 and 1).
    pub fn new(offset: Option<Value>, scale: Option<Value>) -> Self {
        Self {
            offset,
            scale,
            has_configuration: true,
        }
    }

    /// The offset as configured.
    pub fn offset(&self) -> Option<&Value> {
        self.offset.as_ref()
    }

    /// The scale as configured.
    pub fn scale(&self) -> Option<&Value> {
        self.scale.as_ref()
    }

    fn unsupported(message: String) -> CodecError {
        CodecError::Unsupported {
            codec: NAME.into(),
            message,
        }
    }

    fn bind(&self, decoded: &ChunkRepresentation) -> Result<Bound, CodecError> {
        let dt = &decoded.data_type;
        let num = Num::of(dt.element_kind()).ok_or_else(|| {
            Self::unsupported(format!(
                "data type {} is neither an integer nor a floating-point type",
                dt.name()
            ))
        })?;
        if dt.size().fixed() != Some(num.size()) {
            return Err(Self::unsupported(format!(
                "data type {} has an unexpected element size",
                dt.name()
            )));
        }
        let parse = |what: &str, v: &Option<Value>, default: i64| -> Result<Vec<u8>, CodecError> {
            let v = v.clone().unwrap_or_else(|| Value::from(default));
            let b = dt.fill_value_from_json(&v).map_err(|e| {
                Self::unsupported(format!(
                    "{what} {v} is not a value of data type {}: {}",
                    dt.name(),
                    e.reason
                ))
            })?;
            Ok(b.as_bytes().to_vec())
        };
        Ok(Bound {
            num,
            offset: parse("offset", &self.offset, 0)?,
            scale: parse("scale", &self.scale, 1)?,
        })
    }

    fn checked_input(
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
    ) -> Result<Vec<u8>, CodecError> {
        let b = input
            .into_fixed()
            .ok_or_else(|| CodecError::new(NAME, "expected fixed-size array bytes"))?;
        let n = decoded.num_elements_usize()?;
        let size = decoded.element_size().unwrap_or(0);
        if Some(b.len()) != n.checked_mul(size) {
            return Err(CodecError::UnexpectedSize {
                codec: NAME.into(),
                expected: (n as u64).saturating_mul(size as u64),
                actual: b.len() as u64,
            });
        }
        Ok(b)
    }

    fn run(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        encode: bool,
    ) -> Result<ArrayBytes, CodecError> {
        let bound = self.bind(decoded)?;
        let mut b = Self::checked_input(input, decoded)?;
        let value_at = |b: &[u8], i: usize| {
            let s = bound.num.size();
            b.get(i * s..(i + 1) * s)
                .and_then(|e| {
                    decoded
                        .data_type
                        .fill_value_to_json(&FillValue::new(e.to_vec()))
                        .ok()
                })
                .unwrap_or(Value::Null)
        };
        let t = decoded.data_type.name();
        // A failing element is left as it was (elements are written only once computed).
        match bound.apply(&mut b, encode).map_err(CodecError::Internal)? {
            Ok(()) => Ok(ArrayBytes::Fixed(b)),
            Err((_, Failure::ZeroScale)) => Err(if encode {
                CodecError::InvalidElements(format!(
                    "{NAME}: scale is 0 for integer data type {t}: encoding could not be decoded"
                ))
            } else {
                CodecError::new(
                    NAME,
                    format!("scale is 0 for integer data type {t}: the data cannot be decoded"),
                )
            }),
            // zarr-python's wording ("outside the range of dtype ...") too.
            Err((i, Failure::Overflow)) if encode => Err(CodecError::InvalidElements(format!(
                "{NAME}: element {i} ({}): (value - offset) * scale overflows {t} (the result \
                 is outside the range of dtype {t})",
                value_at(&b, i)
            ))),
            Err((i, Failure::Overflow)) => Err(CodecError::new(
                NAME,
                format!(
                    "element {i} (stored {}): value / scale + offset is outside the range of \
                     dtype {t}",
                    value_at(&b, i)
                ),
            )),
            Err((i, Failure::Inexact)) => Err(CodecError::new(
                NAME,
                format!(
                    "element {i} (stored {}): dividing by scale leaves a non-zero remainder, so \
                     it is not a value this codec encodes",
                    value_at(&b, i)
                ),
            )),
        }
    }
}

impl CodecTraits for ScaleOffsetCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        if !self.has_configuration && self.offset.is_none() && self.scale.is_none() {
            return None;
        }
        let mut m = Map::new();
        if let Some(o) = &self.offset {
            m.insert("offset".into(), o.clone());
        }
        if let Some(s) = &self.scale {
            m.insert("scale".into(), s.clone());
        }
        Some(m)
    }
}

impl ArrayToArrayCodecTraits for ScaleOffsetCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        let bound = self.bind(decoded)?;
        let fill = bound
            .encode_fill(decoded.fill_value.as_bytes())
            .map_err(|e| Self::unsupported(format!("fill value: {e}")))?;
        Ok(ChunkRepresentation::new(
            decoded.shape.clone(),
            decoded.data_type.clone(),
            FillValue::new(fill),
        ))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.run(input, decoded, true)
    }

    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.run(input, decoded, false)
    }

    /// Element-wise: any region decodes on its own.
    fn encoded_region(
        &self,
        region: &ArraySubset,
        _decoded: &ChunkRepresentation,
    ) -> Option<ArraySubset> {
        Some(region.clone())
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::Codec, metadata.name(), m);
    let conf = metadata.configuration();
    let mut offset = None;
    let mut scale = None;
    for (k, v) in conf.into_iter().flatten() {
        let ok_scalar = matches!(v, Value::Number(_) | Value::String(_));
        match k.as_str() {
            "offset" | "scale" if !ok_scalar => {
                return Err(err(format!(
                    "`{k}` must be a number or a fill-value string, got {v}"
                )))
            }
            "offset" => offset = Some(v.clone()),
            "scale" => scale = Some(v.clone()),
            other => {
                return Err(err(format!(
                    "unknown configuration member `{other}` (the spec makes metadata with other members invalid)"
                )))
            }
        }
    }
    Ok(Codec::ArrayToArray(Arc::new(ScaleOffsetCodec {
        offset,
        scale,
        has_configuration: conf.is_some(),
    })))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create)
}

#[cfg(test)]
mod tests;
