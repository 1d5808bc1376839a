//! zarrkit plugin: the `zfp` array→bytes codec of the zarr-extensions registry
//! ([zfp](https://github.com/LLNL/zfp) through `zfp-sys`, built from its bundled source).
//!
//! - V3 name `zfp`. Configuration by `mode`: `{"mode": "reversible"}`,
//!   `{"mode": "fixed_rate", "rate": 8.0}`, `{"mode": "fixed_precision", "precision": 16}`,
//!   `{"mode": "fixed_accuracy", "tolerance": 0.05}`, or
//!   `{"mode": "expert", "minbits": .., "maxbits": .., "maxprec": .., "minexp": ..}`.
//! - The stream has no zfp header (the configuration says everything), as the
//!   zarr-extensions spec requires; it is what `zfpy.compress_numpy(a, write_header=False)`
//!   writes for the same mode.
//! - Chunks of 1–4 dimensions map to zfp fields `[nx]`, `[ny, nx]`, `[nz, ny, nx]`,
//!   `[nw, nz, ny, nx]` (C order); a 0-dimensional chunk is `[1]`. More dimensions are an
//!   error (the spec leaves squeezing to a preceding codec).
//! - Data types by capability: `int32`, `int64`, `float32`, `float64` natively; `uint32` /
//!   `uint64` offset by `2^(N-1)` into `int32` / `int64`; 8- and 16-bit integers promoted
//!   to `int32` by `zfp_promote_*` (`i << (31 - N)`, `(u - 2^(N-1)) << (31 - N)`) and
//!   demoted with clamping; `float16` / `bfloat16` through `float32`. `fixed_accuracy` is
//!   for floating-point data only.
//!
//! zfp reads its bit stream without bounds checks, so decoding copies the input into a
//! zero-padded buffer of `zfp_stream_maximum_size` (the most any stream of the chunk's
//! shape and mode can take) and fails if the decoder consumed more than the input held
//! (a truncated stream). The output is exactly the chunk's size.

use std::sync::Arc;

use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    ArrayToBytesCodecTraits, Bytes, BytesRepresentation, ChunkRepresentation, Codec, CodecTraits,
};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::CodecPlugin;
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

mod ffi;
use ffi::{Field, Stream, ZfpType};

/// The V3 name of the codec.
pub const NAME: &str = "zfp";

/// A zfp compression mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ZfpMode {
    /// Lossless.
    Reversible,
    /// Fixed rate: `rate` compressed bits per value.
    FixedRate {
        /// Bits per value.
        rate: f64,
    },
    /// Fixed precision: `precision` uncompressed bit planes.
    FixedPrecision {
        /// Bit planes.
        precision: u32,
    },
    /// Fixed accuracy: absolute error at most `tolerance` (floating point only).
    FixedAccuracy {
        /// The error tolerance.
        tolerance: f64,
    },
    /// zfp's expert parameters.
    Expert {
        /// Minimum bits per block.
        minbits: u32,
        /// Maximum bits per block.
        maxbits: u32,
        /// Maximum precision.
        maxprec: u32,
        /// Minimum exponent.
        minexp: i32,
    },
}

impl ZfpMode {
    /// Parse a configuration object.
    pub fn from_configuration(c: &Map<String, Value>) -> Result<Self, String> {
        let mode = match c.get("mode") {
            Some(Value::String(m)) => m.as_str(),
            Some(v) => return Err(format!("mode {v} is not a string")),
            None => return Err("missing member \"mode\"".into()),
        };
        let allowed: &[&str] = match mode {
            "reversible" => &[],
            "fixed_rate" => &["rate"],
            "fixed_precision" => &["precision"],
            "fixed_accuracy" => &["tolerance"],
            "expert" => &["minbits", "maxbits", "maxprec", "minexp"],
            _ => return Err(format!("unknown mode {mode:?}")),
        };
        if let Some(k) = c
            .keys()
            .find(|k| *k != "mode" && !allowed.contains(&k.as_str()))
        {
            return Err(format!("member {k:?} is not allowed in mode {mode:?}"));
        }
        let get = |k: &str| c.get(k).ok_or_else(|| format!("mode {mode:?} needs {k:?}"));
        let float = |k: &str| -> Result<f64, String> {
            get(k)?
                .as_f64()
                .filter(|f| f.is_finite())
                .ok_or_else(|| format!("{k} is not a finite number"))
        };
        let uint = |k: &str| -> Result<u32, String> {
            get(k)?
                .as_u64()
                .and_then(|u| u32::try_from(u).ok())
                .ok_or_else(|| format!("{k} is not an unsigned 32-bit integer"))
        };
        Ok(match mode {
            "reversible" => Self::Reversible,
            "fixed_rate" => Self::FixedRate {
                rate: Some(float("rate")?)
                    .filter(|r| *r > 0.0)
                    .ok_or("rate must be positive")?,
            },
            "fixed_precision" => Self::FixedPrecision {
                precision: uint("precision")?,
            },
            "fixed_accuracy" => Self::FixedAccuracy {
                tolerance: Some(float("tolerance")?)
                    .filter(|t| *t >= 0.0)
                    .ok_or("tolerance must not be negative")?,
            },
            _ => Self::Expert {
                minbits: uint("minbits")?,
                maxbits: uint("maxbits")?,
                maxprec: uint("maxprec")?,
                minexp: get("minexp")?
                    .as_i64()
                    .and_then(|i| i32::try_from(i).ok())
                    .ok_or("minexp is not a 32-bit integer")?,
            },
        })
    }

    /// The configuration object.
    pub fn configuration(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let mode = match self {
            Self::Reversible => "reversible",
            Self::FixedRate { .. } => "fixed_rate",
            Self::FixedPrecision { .. } => "fixed_precision",
            Self::FixedAccuracy { .. } => "fixed_accuracy",
            Self::Expert { .. } => "expert",
        };
        m.insert("mode".into(), Value::String(mode.into()));
        match *self {
            Self::Reversible => {}
            Self::FixedRate { rate } => {
                m.insert("rate".into(), Value::from(rate));
            }
            Self::FixedPrecision { precision } => {
                m.insert("precision".into(), Value::from(precision));
            }
            Self::FixedAccuracy { tolerance } => {
                m.insert("tolerance".into(), Value::from(tolerance));
            }
            Self::Expert {
                minbits,
                maxbits,
                maxprec,
                minexp,
            } => {
                m.insert("minbits".into(), Value::from(minbits));
                m.insert("maxbits".into(), Value::from(maxbits));
                m.insert("maxprec".into(), Value::from(maxprec));
                m.insert("minexp".into(), Value::from(minexp));
            }
        }
        m
    }
}

/// The `zfp` codec.
#[derive(Debug, Clone, PartialEq)]
pub struct ZfpCodec {
    mode: ZfpMode,
}

impl ZfpCodec {
    /// A codec in `mode`.
    pub fn new(mode: ZfpMode) -> Self {
        Self { mode }
    }

    /// The mode.
    pub fn mode(&self) -> ZfpMode {
        self.mode
    }
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

fn unsupported(message: impl Into<String>) -> CodecError {
    CodecError::Unsupported {
        codec: NAME.into(),
        message: message.into(),
    }
}

/// How a data type's elements map to zfp's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conv {
    I32,
    I64,
    F32,
    F64,
    /// uint32 / uint64: offset by 2^(N-1).
    U32,
    U64,
    /// 8/16-bit integers promoted to int32: (bits, signed).
    Promote(u32, bool),
    F16,
    BF16,
}

/// `b` as `N`-byte values, each mapped to `M` bytes by `f`.
fn map<const N: usize, const M: usize>(b: &[u8], f: impl Fn([u8; N]) -> [u8; M]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() / N * M);
    for c in b.chunks_exact(N) {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        out.extend_from_slice(&f(a));
    }
    out
}

impl Conv {
    fn of(decoded: &ChunkRepresentation) -> Result<Self, CodecError> {
        Ok(match decoded.data_type.element_kind() {
            Some(ElementKind::Int32) => Self::I32,
            Some(ElementKind::Int64) => Self::I64,
            Some(ElementKind::Float32) => Self::F32,
            Some(ElementKind::Float64) => Self::F64,
            Some(ElementKind::UInt32) => Self::U32,
            Some(ElementKind::UInt64) => Self::U64,
            Some(ElementKind::Int8) => Self::Promote(8, true),
            Some(ElementKind::UInt8) => Self::Promote(8, false),
            Some(ElementKind::Int16) => Self::Promote(16, true),
            Some(ElementKind::UInt16) => Self::Promote(16, false),
            Some(ElementKind::Float16) => Self::F16,
            Some(ElementKind::BFloat16) => Self::BF16,
            _ => {
                return Err(unsupported(format!(
                    "data type {} is not supported (integers and floats of up to 64 bits are)",
                    decoded.data_type.name()
                )))
            }
        })
    }

    fn zfp_type(self) -> ZfpType {
        match self {
            Self::I32 | Self::U32 | Self::Promote(..) => ZfpType::Int32,
            Self::I64 | Self::U64 => ZfpType::Int64,
            Self::F32 | Self::F16 | Self::BF16 => ZfpType::Float,
            Self::F64 => ZfpType::Double,
        }
    }

    /// Element bytes (native endian) → zfp values (native endian bytes of the zfp type).
    /// Types zfp takes as they are are borrowed, not copied.
    fn elements_to_zfp(self, b: &[u8]) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Owned(match self {
            Self::I32 | Self::I64 | Self::F32 | Self::F64 => return std::borrow::Cow::Borrowed(b),
            Self::U32 => map(b, |a: [u8; 4]| {
                (u32::from_ne_bytes(a) ^ 0x8000_0000).to_ne_bytes()
            }),
            Self::U64 => map(b, |a: [u8; 8]| {
                (u64::from_ne_bytes(a) ^ 0x8000_0000_0000_0000).to_ne_bytes()
            }),
            Self::Promote(8, true) => map(b, |a: [u8; 1]| {
                ((i32::from(a[0] as i8)) << 23).to_ne_bytes()
            }),
            Self::Promote(8, false) => map(b, |a: [u8; 1]| {
                ((i32::from(a[0]) - 128) << 23).to_ne_bytes()
            }),
            Self::Promote(_, true) => map(b, |a: [u8; 2]| {
                (i32::from(i16::from_ne_bytes(a)) << 15).to_ne_bytes()
            }),
            Self::Promote(_, false) => map(b, |a: [u8; 2]| {
                ((i32::from(u16::from_ne_bytes(a)) - 32768) << 15).to_ne_bytes()
            }),
            Self::F16 => map(b, |a: [u8; 2]| {
                f16_to_f32(u16::from_ne_bytes(a)).to_ne_bytes()
            }),
            Self::BF16 => map(b, |a: [u8; 2]| {
                (u32::from(u16::from_ne_bytes(a)) << 16).to_ne_bytes()
            }),
        })
    }

    /// zfp values → element bytes (demoting with clamping).
    fn zfp_to_elements(self, b: Vec<u8>) -> Vec<u8> {
        let i = |a: [u8; 4]| i32::from_ne_bytes(a);
        match self {
            Self::I32 | Self::I64 | Self::F32 | Self::F64 => b,
            Self::U32 => map(&b, |a: [u8; 4]| {
                (u32::from_ne_bytes(a) ^ 0x8000_0000).to_ne_bytes()
            }),
            Self::U64 => map(&b, |a: [u8; 8]| {
                (u64::from_ne_bytes(a) ^ 0x8000_0000_0000_0000).to_ne_bytes()
            }),
            Self::Promote(8, true) => map(&b, |a: [u8; 4]| {
                [((i(a) >> 23).clamp(-128, 127) as i8) as u8]
            }),
            Self::Promote(8, false) => {
                map(&b, |a: [u8; 4]| [((i(a) >> 23) + 128).clamp(0, 255) as u8])
            }
            Self::Promote(_, true) => map(&b, |a: [u8; 4]| {
                ((i(a) >> 15).clamp(-32768, 32767) as i16).to_ne_bytes()
            }),
            Self::Promote(_, false) => map(&b, |a: [u8; 4]| {
                (((i(a) >> 15) + 32768).clamp(0, 65535) as u16).to_ne_bytes()
            }),
            Self::F16 => map(&b, |a: [u8; 4]| {
                f32_to_f16(u32::from_ne_bytes(a)).to_ne_bytes()
            }),
            Self::BF16 => map(&b, |a: [u8; 4]| {
                f32_to_bf16(u32::from_ne_bytes(a)).to_ne_bytes()
            }),
        }
    }
}

// Half-precision conversions that keep NaN payloads (a plain conversion may quiet a
// signalling NaN), so that reversible mode restores every bit pattern.

fn f16_to_f32(bits: u16) -> u32 {
    if bits & 0x7c00 == 0x7c00 && bits & 0x03ff != 0 {
        (u32::from(bits & 0x8000) << 16) | 0x7f80_0000 | (u32::from(bits & 0x03ff) << 13)
    } else {
        half::f16::from_bits(bits).to_f32().to_bits()
    }
}

fn f32_to_f16(bits: u32) -> u16 {
    if bits & 0x7f80_0000 == 0x7f80_0000 && bits & 0x007f_ffff != 0 {
        let payload = ((bits >> 13) & 0x03ff) as u16;
        ((bits >> 16) as u16 & 0x8000) | 0x7c00 | if payload == 0 { 0x0200 } else { payload }
    } else {
        half::f16::from_f32(f32::from_bits(bits)).to_bits()
    }
}

fn f32_to_bf16(bits: u32) -> u16 {
    if bits & 0x7f80_0000 == 0x7f80_0000 && bits & 0x007f_ffff != 0 {
        let b = (bits >> 16) as u16;
        if b & 0x007f == 0 {
            b | 0x0040
        } else {
            b
        }
    } else {
        half::bf16::from_f32(f32::from_bits(bits)).to_bits()
    }
}

/// The zfp field dimensions `[nx, ny, nz, nw]` (first `len` used) of a chunk shape.
fn field_dims(shape: &[u64]) -> Result<Vec<usize>, CodecError> {
    if shape.len() > 4 {
        return Err(unsupported(format!(
            "a chunk of {} dimensions (shape {shape:?}); zfp supports 1 to 4",
            shape.len()
        )));
    }
    if shape.contains(&0) {
        return Err(unsupported(format!(
            "a chunk with an empty extent (shape {shape:?})"
        )));
    }
    if shape.is_empty() {
        return Ok(vec![1]);
    }
    let dims = shape
        .iter()
        .rev()
        .map(|&s| usize::try_from(s).map_err(|_| err(format!("chunk extent {s} is too large"))))
        .collect::<Result<Vec<usize>, _>>()?;
    // The element count must fit: zfp walks the whole field, so a count that wrapped would
    // let it read or write past the buffer.
    if dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .is_none()
    {
        return Err(err(format!(
            "a chunk of shape {shape:?} has too many elements"
        )));
    }
    Ok(dims)
}

impl ZfpCodec {
    fn check(&self, decoded: &ChunkRepresentation) -> Result<(Conv, Vec<usize>), CodecError> {
        let conv = Conv::of(decoded)?;
        let dims = field_dims(&decoded.shape)?;
        if matches!(self.mode, ZfpMode::FixedAccuracy { .. })
            && matches!(conv.zfp_type(), ZfpType::Int32 | ZfpType::Int64)
        {
            return Err(unsupported(format!(
                "mode fixed_accuracy is for floating-point data, not {}",
                decoded.data_type.name()
            )));
        }
        Ok((conv, dims))
    }

    /// A zfp stream in this codec's mode for a field of `ty` with `dims` dimensions.
    fn stream(&self, ty: ZfpType, ndims: usize) -> Result<Stream, CodecError> {
        Stream::new(self.mode, ty, ndims).ok_or_else(|| err("zfp could not set up its stream"))
    }
}

impl CodecTraits for ZfpCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(self.mode.configuration())
    }
}

impl ArrayToBytesCodecTraits for ZfpCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        let (conv, dims) = self.check(decoded)?;
        let stream = self.stream(conv.zfp_type(), dims.len())?;
        let field = Field::new(conv.zfp_type(), &dims, std::ptr::null_mut())
            .ok_or_else(|| err("zfp could not describe the field"))?;
        match stream.maximum_size(&field) {
            0 => Err(err("zfp has no size bound for this mode and field")),
            n => Ok(BytesRepresentation::Bounded(n as u64)),
        }
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let (conv, dims) = self.check(decoded)?;
        let ArrayBytes::Fixed(bytes) = input else {
            return Err(err("expected fixed-size array bytes"));
        };
        let expected = decoded
            .fixed_size()
            .ok_or_else(|| err(format!("a chunk of shape {:?} is too large", decoded.shape)))?;
        if bytes.len() as u64 != expected {
            return Err(err(format!(
                "expected {expected} bytes of elements, got {}",
                bytes.len()
            )));
        }
        let ty = conv.zfp_type();
        let mut values = ffi::AlignedBuffer::from_bytes(&conv.elements_to_zfp(&bytes));
        let field = Field::new(ty, &dims, values.as_mut_ptr())
            .ok_or_else(|| err("zfp could not describe the field"))?;
        let stream = self.stream(ty, dims.len())?;
        stream
            .compress(&field)
            .ok_or_else(|| err("zfp failed to compress the chunk"))
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let (conv, dims) = self.check(decoded)?;
        let ty = conv.zfp_type();
        // `field_dims` checked that the element count fits.
        let n: usize = dims.iter().product();
        let out_len = n
            .checked_mul(ty.size())
            .ok_or_else(|| err("chunk too large"))?;
        let mut out = ffi::AlignedBuffer::zeroed(out_len)
            .ok_or_else(|| err(format!("cannot allocate {out_len} bytes")))?;
        let field = Field::new(ty, &dims, out.as_mut_ptr())
            .ok_or_else(|| err("zfp could not describe the field"))?;
        let stream = self.stream(ty, dims.len())?;
        let consumed = stream
            .decompress(&field, &input)
            .ok_or_else(|| err("zfp failed to decompress the chunk (corrupt stream?)"))?;
        if consumed > input.len() {
            return Err(err(format!(
                "the stream is truncated: decoding needs {consumed} bytes, {} stored",
                input.len()
            )));
        }
        drop(field);
        Ok(ArrayBytes::Fixed(
            conv.zfp_to_elements(out.into_bytes(out_len)),
        ))
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let empty = Map::new();
    let mode = ZfpMode::from_configuration(metadata.configuration().unwrap_or(&empty))
        .map_err(|e| PluginError::config(ExtensionKind::Codec, metadata.name(), e))?;
    Ok(Codec::ArrayToBytes(Arc::new(ZfpCodec::new(mode))))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create)
}

#[cfg(test)]
mod tests;
