//! zarrkit plugin: numcodecs' `ZFPY` codec: a [zfp](https://github.com/LLNL/zfp) stream with
//! zfp's full header, as `zfpy.compress_numpy(chunk, write_header=True)` writes it. zfp is
//! [`zfp-rs`](https://crates.io/crates/zfp-rs), a pure-Rust zfp that writes the same bytes as
//! libzfp 1.0.1 (the library in the zfpy 1.0.1 wheel), so nothing but crates is needed to
//! build.
//!
//! - V3 name `numcodecs.zfpy` (array→bytes), alias `zfpy`; the name read is written back.
//!   Zarr V2 id `zfpy`, a V2 `compressor` that binds in place of the `bytes` codec.
//! - Configuration as numcodecs writes it: `mode` (2 = fixed rate, 3 = fixed precision,
//!   4 = fixed accuracy; default 4), `tolerance`, `rate`, `precision` (default −1 each) and
//!   numcodecs' derived `compression_kwargs` (ignored, as numcodecs ignores it). zarr-python 3
//!   writes only the members it was given (`{"mode": 4, "tolerance": 0.01}`). The
//!   configuration is written back exactly as read.
//! - What is encoded follows numcodecs: only the parameter of the `mode` counts (`rate` in
//!   mode 2, ...); if it is negative the stream is **reversible** (lossless) — so `ZFPY()`
//!   and every numcodecs fixture are reversible. Otherwise zfp's fixed accuracy
//!   (`zfp_stream_set_accuracy(tolerance)`), fixed rate
//!   (`zfp_stream_set_rate(rate, zfp_type_none, dims, 0)`: `floor(4^dims · rate + 0.5)` bits
//!   per block, not raised to the float block header because zfpy passes no type) or fixed
//!   precision (`zfp_stream_set_precision`, 0 = 64).
//! - Every parameter matters only to encoding (the stream's header describes it), so a
//!   configuration this codec cannot encode with (mode 1 or 5, which numcodecs cannot encode
//!   with either, an unknown member, a string where a number belongs) opens and decodes;
//!   encoding with it is a [`CodecError::Unsupported`] error.
//!
//! # Byte format
//! One zfp bit stream: bits packed least significant first into 64-bit words stored
//! little-endian, padded to a whole word. The header (`ZFP_HEADER_FULL`):
//! - 32 bits of magic: the bytes `z f p` and the codec version 5;
//! - 52 bits of field metadata: 2 bits `type − 1` (int32, int64, float, double), 2 bits
//!   `dims − 1`, then `nx − 1`, `ny − 1`, ... in 48, 24, 16 or 12 bits each (for 1–4 dims);
//! - the mode: 12 bits (`maxbits − 1` for fixed rate, `2048 + maxprec − 1` for fixed
//!   precision, 2176 for reversible, `2177 + minexp + 1074` for fixed accuracy), or a
//!   64-bit expert form whose low 12 bits are all ones;
//!
//! then the blocks of 4^dims values. zfp's `nx` is the chunk's last (fastest) axis: a C-order
//! chunk of shape `[a, b, c]` is the field `nx = c, ny = b, nz = a`.
//!
//! # Encoding
//! The chunk's own shape (numcodecs passes the chunk unflattened): 1–4 dimensions as they are,
//! a 0-dimensional chunk as one value, and — where numcodecs refuses (`RuntimeError`) — a chunk
//! of more than 4 dimensions as the 1-D field of all its elements, which is what numcodecs
//! compresses when a flattening filter (`delta`, `fixedscaleoffset`) precedes it, and which
//! numcodecs and zarr-python read back (they reshape the decoded array to the chunk).
//! Extents beyond the header's fields (e.g. a 4-D extent above 4096) are an error, as in
//! numcodecs. Data types: `int32`, `int64`, `float32`, `float64`, exactly zfpy's; others are
//! [`CodecError::Unsupported`].
//!
//! A fixed rate whose budget is below a float block's 9 (float32) or 12 (float64) header bits
//! is written as libzfp writes it: zfp's budget arithmetic wraps around there, so every bit
//! plane is coded (zfpy itself then writes past its buffer, which it sized by the rate, and
//! may crash). The stream decodes as libzfp decodes it. A rate giving no bits at all, or more
//! than the header can describe (32768 bits per block), is an error: zfpy writes a header
//! that misdescribes such a stream.
//!
//! # Decoding
//! The header is checked against the chunk: the magic, a valid mode, the value type equal to
//! the chunk's, and the field's element count equal to the chunk's (the output is allocated
//! from the chunk, never from the header). The field's shape may differ from the chunk's:
//! numcodecs writes 1-D streams after a flattening filter, and a Fortran-ordered V2 chunk of
//! shape `(n, 1)` as `(n, 1)` where zarrkit's chain (`transpose` before this codec) sees
//! `(1, n)`; zarr-python reshapes, so any shape with the chunk's count decodes, in its own C
//! order. zfp streams are whole 64-bit words: the stream is read as the stored bytes' whole
//! words (a partial last word is ignored), and a stream whose header or blocks need more
//! words than are stored is an error (zfp-rs reports the over-read; libzfp would read past
//! its buffer). Bytes after the stream are ignored, as zfpy ignores them. A reversible expert
//! stream whose block budget is below its header (zfpy never writes one) is
//! [`CodecError::Unsupported`].
//!
//! A big-endian Zarr V2 dtype (`>f8`) binds to this codec too (the V2 loader drops the byte
//! order when an array→bytes compressor replaces `bytes`): numcodecs refuses such arrays
//! (`TypeError`), so none exist to read, and zarr-python would misread what zarrkit wrote.
//!
//! # Zarr V2 arrays of order `F`
//! numcodecs refuses Fortran-ordered chunks (`ValueError`) unless they are also C-contiguous
//! (at most one extent above 1). zarrkit binds order `F` as a `transpose` to C order before
//! this codec, so it writes the transposed chunk, whose header has the reversed shape;
//! zarr-python 2 reads such chunks back correctly (it decodes, flattens in memory order and reshapes in
//! order F), as the reference vectors check. So zarrkit writes F-order zfpy arrays that
//! numcodecs can read but not write, and reads the ones numcodecs can write.

use std::sync::Arc;

use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    zeroed_checked, ArrayToBytesCodecTraits, Bytes, BytesRepresentation, ChunkRepresentation,
    Codec, CodecTraits,
};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;
use zfp_rs::{
    ZfpBitStream, ZfpBitStreamOps, ZfpBitStreamRef, ZfpConfig, ZfpDecompressionError, ZfpField,
    ZfpFieldMetadata, ZfpFieldMut, ZfpHeaderMask, ZfpScalar, ZfpScalarType, ZFP_MAX_BITS,
    ZFP_MAX_PREC, ZFP_MIN_EXP,
};

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.zfpy";
const ALIASES: &[&str] = &["zfpy"];
/// The numcodecs id.
pub const V2_ID: &str = "zfpy";

/// numcodecs' mode numbers (zfpy's `mode_fixed_rate`, ...).
const MODE_FIXED_RATE: i64 = 2;
const MODE_FIXED_PRECISION: i64 = 3;
const MODE_FIXED_ACCURACY: i64 = 4;

/// The most bits a header's mode word can give a block.
const MODE_MAX_BITS: u32 = 0x8000;

/// What numcodecs' `ZFPY` asks zfp for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ZfpyMode {
    /// Lossless (`ZFPY()`: the parameter of the mode is negative).
    Reversible,
    /// Absolute error at most `tolerance` (mode 4).
    FixedAccuracy {
        /// The tolerance (≥ 0).
        tolerance: f64,
    },
    /// `rate` compressed bits per value (mode 2).
    FixedRate {
        /// The rate (≥ 0).
        rate: f64,
    },
    /// `precision` bit planes (mode 3; 0 means 64).
    FixedPrecision {
        /// The precision.
        precision: u32,
    },
}

impl ZfpyMode {
    /// What numcodecs encodes with for a configuration (without `id`), or why it cannot.
    pub fn from_configuration(c: &Map<String, Value>) -> Result<Self, String> {
        const KEYS: &[&str] = &[
            "mode",
            "tolerance",
            "rate",
            "precision",
            "compression_kwargs",
        ];
        if let Some(k) = c.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!("unknown member {k:?}"));
        }
        let number = |k: &str| -> Result<f64, String> {
            match c.get(k) {
                None => Ok(-1.0),
                Some(v) => v
                    .as_f64()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| format!("{k} {v} is not a finite number")),
            }
        };
        let mode = match c.get("mode") {
            None => MODE_FIXED_ACCURACY,
            Some(v) => match (v.as_i64(), v.as_f64()) {
                (Some(i), _) => i,
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e18 => f as i64,
                _ => return Err(format!("mode {v} is not an integer")),
            },
        };
        Ok(match mode {
            MODE_FIXED_ACCURACY => match number("tolerance")? {
                t if t >= 0.0 => Self::FixedAccuracy { tolerance: t },
                _ => Self::Reversible,
            },
            MODE_FIXED_RATE => match number("rate")? {
                r if r >= 0.0 => Self::FixedRate { rate: r },
                _ => Self::Reversible,
            },
            MODE_FIXED_PRECISION => match c.get("precision") {
                None => Self::Reversible,
                Some(v) => match v.as_i64() {
                    Some(p) if p < 0 => Self::Reversible,
                    // zfpy takes a C int.
                    Some(p) if p <= i64::from(i32::MAX) => Self::FixedPrecision {
                        precision: p as u32,
                    },
                    _ => return Err(format!("precision {v} is not a 32-bit integer")),
                },
            },
            m => {
                return Err(format!(
                    "mode {m}: numcodecs encodes only with modes 2 (fixed rate), 3 (fixed \
                     precision) and 4 (fixed accuracy)"
                ))
            }
        })
    }

    /// The configuration numcodecs' `ZFPY(...).get_config()` writes for this mode (without
    /// `id`).
    pub fn configuration(&self) -> Map<String, Value> {
        let (mode, key, value) = match *self {
            Self::Reversible => (MODE_FIXED_ACCURACY, "tolerance", Value::from(-1)),
            Self::FixedAccuracy { tolerance } => {
                (MODE_FIXED_ACCURACY, "tolerance", Value::from(tolerance))
            }
            Self::FixedRate { rate } => (MODE_FIXED_RATE, "rate", Value::from(rate)),
            Self::FixedPrecision { precision } => {
                (MODE_FIXED_PRECISION, "precision", Value::from(precision))
            }
        };
        let mut kwargs = Map::new();
        kwargs.insert(key.into(), value.clone());
        let mut m = Map::new();
        m.insert("mode".into(), Value::from(mode));
        m.insert("compression_kwargs".into(), Value::Object(kwargs));
        for k in ["tolerance", "rate", "precision"] {
            let v = if k == key {
                value.clone()
            } else {
                Value::from(-1)
            };
            m.insert(k.into(), v);
        }
        m
    }
}

/// The `numcodecs.zfpy` codec.
#[derive(Debug, Clone)]
pub struct ZfpyCodec {
    name: &'static str,
    /// As read (written back unchanged).
    configuration: Map<String, Value>,
    /// How to encode, or why this configuration cannot.
    mode: Result<ZfpyMode, String>,
}

impl PartialEq for ZfpyCodec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.configuration == other.configuration
    }
}

impl ZfpyCodec {
    /// A codec encoding in `mode`, configured as numcodecs writes it.
    pub fn new(mode: ZfpyMode) -> Self {
        Self::stored(mode.configuration())
    }

    /// A codec from a stored configuration (without `id`): it always opens; what it cannot
    /// encode with is an error when encoding.
    fn stored(configuration: Map<String, Value>) -> Self {
        Self {
            name: NAME,
            mode: ZfpyMode::from_configuration(&configuration),
            configuration,
        }
    }

    /// What this codec encodes with, or why it cannot.
    pub fn mode(&self) -> Result<ZfpyMode, String> {
        self.mode.clone()
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

fn scalar_type(decoded: &ChunkRepresentation) -> Result<ZfpScalarType, CodecError> {
    match decoded.data_type.element_kind() {
        Some(ElementKind::Int32) => Ok(ZfpScalarType::I32),
        Some(ElementKind::Int64) => Ok(ZfpScalarType::I64),
        Some(ElementKind::Float32) => Ok(ZfpScalarType::F32),
        Some(ElementKind::Float64) => Ok(ZfpScalarType::F64),
        _ => Err(unsupported(format!(
            "data type {} is not supported (zfpy's int32, int64, float32 and float64 are)",
            decoded.data_type.name()
        ))),
    }
}

fn type_name(t: ZfpScalarType) -> &'static str {
    match t {
        ZfpScalarType::I32 => "int32",
        ZfpScalarType::I64 => "int64",
        ZfpScalarType::F32 => "float32",
        ZfpScalarType::F64 => "float64",
    }
}

/// Bits of a float block's header (zero bit + exponent) in the non-reversible coder.
fn float_header_bits(t: ZfpScalarType) -> u32 {
    match t {
        ZfpScalarType::I32 | ZfpScalarType::I64 => 0,
        ZfpScalarType::F32 => 1 + 8,
        ZfpScalarType::F64 => 1 + 11,
    }
}

/// The header of a reversible block (as `zfp_stream_maximum_size` counts it).
fn reversible_header_bits(t: ZfpScalarType) -> u32 {
    match t {
        ZfpScalarType::I32 => 5,
        ZfpScalarType::I64 => 6,
        ZfpScalarType::F32 => 1 + 1 + 8 + 5,
        ZfpScalarType::F64 => 1 + 1 + 11 + 6,
    }
}

fn is_reversible(c: &ZfpConfig) -> bool {
    c.min_exp() < ZFP_MIN_EXP
}

/// The configuration libzfp codes blocks with, given the stream's: where a non-reversible
/// float block's budget is below its header, libzfp's `maxbits - bits` wraps around (an
/// unbounded budget: every bit plane), which is `ZFP_MAX_BITS` here. zfp-rs gives such a
/// block no budget instead.
fn effective(c: ZfpConfig, t: ZfpScalarType) -> Result<ZfpConfig, CodecError> {
    if is_reversible(&c) {
        if c.max_bits() < reversible_header_bits(t) {
            return Err(unsupported(format!(
                "a reversible stream with {} bits per block, below the {}-bit header of a \
                 {} block",
                c.max_bits(),
                reversible_header_bits(t),
                type_name(t)
            )));
        }
        return Ok(c);
    }
    if c.max_bits() < float_header_bits(t) {
        return ZfpConfig::expert(c.min_bits(), ZFP_MAX_BITS, c.max_prec(), c.min_exp())
            .map_err(|e| err(e.to_string()));
    }
    Ok(c)
}

/// The zfp field dimensions `[nx, ny, ...]` this codec encodes a chunk shape as.
fn encode_dims(shape: &[u64]) -> Result<Vec<usize>, CodecError> {
    let usize_of =
        |s: u64| usize::try_from(s).map_err(|_| err(format!("chunk extent {s} is too large")));
    if shape.contains(&0) {
        return Err(unsupported(format!(
            "a chunk with an empty extent (shape {shape:?})"
        )));
    }
    let dims = match shape.len() {
        0 => vec![1],
        1..=4 => shape
            .iter()
            .rev()
            .map(|&s| usize_of(s))
            .collect::<Result<_, _>>()?,
        _ => {
            let n = shape
                .iter()
                .try_fold(1u64, |a, &s| a.checked_mul(s))
                .ok_or_else(|| err(format!("a chunk of shape {shape:?} has too many elements")))?;
            vec![usize_of(n)?]
        }
    };
    // zfp walks the whole field: the count must not wrap.
    dims.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| err(format!("a chunk of shape {shape:?} has too many elements")))?;
    Ok(dims)
}

fn metadata(t: ZfpScalarType, dims: &[usize]) -> ZfpFieldMetadata {
    let mut d = [0usize; 4];
    for (o, i) in d.iter_mut().zip(dims) {
        *o = *i;
    }
    ZfpFieldMetadata {
        scalar_type: t,
        dims: d,
    }
}

impl ZfpyCodec {
    /// The header's configuration and the one blocks are coded with, for a field of `t` in
    /// `ndims` dimensions.
    fn configs(
        &self,
        t: ZfpScalarType,
        ndims: usize,
    ) -> Result<(ZfpConfig, ZfpConfig), CodecError> {
        let mode = self
            .mode
            .as_ref()
            .map_err(|why| unsupported(format!("cannot encode with this configuration: {why}")))?;
        let nominal = match *mode {
            ZfpyMode::Reversible => ZfpConfig::reversible(),
            ZfpyMode::FixedAccuracy { tolerance } => ZfpConfig::fixed_accuracy(tolerance),
            ZfpyMode::FixedPrecision { precision } => ZfpConfig::fixed_precision(precision),
            ZfpyMode::FixedRate { rate } => {
                // zfp_stream_set_rate with zfp_type_none: no raise to the float header.
                let bits = (f64::from(1u32 << (2 * ndims as u32)) * rate + 0.5).floor();
                if !(1.0..=f64::from(MODE_MAX_BITS)).contains(&bits) {
                    return Err(unsupported(format!(
                        "rate {rate} gives {bits} bits per {ndims}-D block; a zfp header \
                         describes 1 to {MODE_MAX_BITS}"
                    )));
                }
                ZfpConfig::expert(bits as u32, bits as u32, ZFP_MAX_PREC, ZFP_MIN_EXP)
                    .map_err(|e| err(e.to_string()))?
            }
        };
        let coded = effective(nominal, t)?;
        Ok((nominal, coded))
    }
}

impl CodecTraits for ZfpyCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(self.configuration.clone())
    }

    fn configuration_v2(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("id".into(), Value::String(V2_ID.into()));
        m.extend(self.configuration.clone());
        Some(m)
    }
}

/// `bytes` (native-endian elements) as `T`s: borrowed when aligned, else copied.
fn as_elements<T: ZfpScalar>(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [T]>, CodecError> {
    if let Ok(s) = bytemuck::try_cast_slice::<u8, T>(bytes) {
        return Ok(std::borrow::Cow::Borrowed(s));
    }
    let size = std::mem::size_of::<T>();
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(bytes.len() / size)
        .map_err(|e| alloc_err(bytes.len(), e))?;
    v.extend(
        bytes
            .chunks_exact(size)
            .map(bytemuck::pod_read_unaligned::<T>),
    );
    Ok(std::borrow::Cow::Owned(v))
}

fn alloc_err(n: usize, e: impl std::fmt::Display) -> CodecError {
    CodecError::AllocationRefused {
        codec: NAME.into(),
        message: format!("{n} bytes: {e}"),
    }
}

fn field<'a, T: ZfpScalar>(data: &'a [T], dims: &[usize]) -> Result<ZfpField<'a>, CodecError> {
    let f = match *dims {
        [x] => ZfpField::new(data, [x]),
        [x, y] => ZfpField::new(data, [x, y]),
        [x, y, z] => ZfpField::new(data, [x, y, z]),
        [x, y, z, w] => ZfpField::new(data, [x, y, z, w]),
        _ => return Err(err(format!("a field of {} dimensions", dims.len()))),
    };
    f.map_err(|e| err(format!("zfp refused the field {dims:?}: {e}")))
}

fn field_mut<'a, T: ZfpScalar>(
    data: &'a mut [T],
    dims: &[usize],
) -> Result<ZfpFieldMut<'a>, CodecError> {
    let f = match *dims {
        [x] => ZfpFieldMut::new(data, [x]),
        [x, y] => ZfpFieldMut::new(data, [x, y]),
        [x, y, z] => ZfpFieldMut::new(data, [x, y, z]),
        [x, y, z, w] => ZfpFieldMut::new(data, [x, y, z, w]),
        _ => return Err(err(format!("a field of {} dimensions", dims.len()))),
    };
    f.map_err(|e| err(format!("zfp refused the field {dims:?}: {e}")))
}

fn encode_typed<T: ZfpScalar>(
    bytes: &[u8],
    dims: &[usize],
    nominal: &ZfpConfig,
    coded: &ZfpConfig,
) -> Result<Vec<u8>, CodecError> {
    let values = as_elements::<T>(bytes)?;
    let f = field(&values, dims)?;
    let capacity = coded
        .maximum_size(T::SCALAR_TYPE, f.dims())
        .ok_or_else(|| err(format!("no size bound for the field {dims:?}")))?;
    let mut bs = ZfpBitStream::new(capacity).map_err(|e| alloc_err(capacity, e))?;
    bs.write_header(nominal, &f.metadata(), ZfpHeaderMask::FULL)
        .map_err(|e| unsupported(format!("zfp cannot write the header of {dims:?}: {e}")))?;
    bs.compress(coded, &f)
        .map_err(|e| err(format!("zfp failed to compress: {e}")))?;
    let words = bs.as_words();
    let mut out = Vec::new();
    out.try_reserve_exact(words.len() * 8)
        .map_err(|e| alloc_err(words.len() * 8, e))?;
    for w in words {
        out.extend_from_slice(&w.to_le_bytes());
    }
    Ok(out)
}

/// Decode the stream's blocks (after its header) into `n` values of `T`, as native-endian
/// bytes.
fn decode_typed<T: ZfpScalar>(
    bs: &mut impl ZfpBitStreamOps,
    dims: &[usize],
    config: &ZfpConfig,
    n: usize,
) -> Result<Vec<u8>, CodecError> {
    let size = std::mem::size_of::<T>();
    let len = n.checked_mul(size).ok_or_else(|| err("chunk too large"))?;
    let mut out = zeroed_checked(len).ok_or_else(|| alloc_err(len, "refused"))?;
    let mut decode = |values: &mut [T]| -> Result<(), CodecError> {
        let mut f = field_mut(values, dims)?;
        match ZfpBitStreamOps::decompress(bs, config, &mut f) {
            Ok(_) => Ok(()),
            Err(ZfpDecompressionError::Truncated { .. }) => Err(err(
                "the stream is truncated: its blocks need more bytes than are stored",
            )),
            Err(e) => Err(err(format!("zfp failed to decompress: {e}"))),
        }
    };
    if let Ok(values) = bytemuck::try_cast_slice_mut::<u8, T>(&mut out) {
        decode(values)?;
    } else {
        let mut values: Vec<T> = Vec::new();
        values.try_reserve_exact(n).map_err(|e| alloc_err(len, e))?;
        values.resize(n, T::default());
        decode(&mut values)?;
        out.copy_from_slice(bytemuck::cast_slice(&values));
    }
    Ok(out)
}

fn decode_stream(
    bs: &mut impl ZfpBitStreamOps,
    t: ZfpScalarType,
    n: usize,
) -> Result<Vec<u8>, CodecError> {
    let header = bs
        .read_header(ZfpHeaderMask::FULL)
        .map_err(|e| err(format!("not a zfp stream with a full header: {e}")))?;
    let (Some(meta), Some(config)) = (header.metadata, header.config) else {
        return Err(err("the zfp header lacks its metadata or mode"));
    };
    if header.bits_read as u64 > 8 * bs.capacity() as u64 {
        return Err(err("the stream is truncated inside its header"));
    }
    if meta.scalar_type != t {
        return Err(err(format!(
            "the stream holds {} values, the chunk is {}",
            type_name(meta.scalar_type),
            type_name(t)
        )));
    }
    let dims: Vec<usize> = meta.dims.iter().copied().take_while(|&d| d > 0).collect();
    let count = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if count != Some(n) {
        return Err(err(format!(
            "the stream's field {dims:?} does not hold the chunk's {n} elements"
        )));
    }
    let config = effective(config, t)?;
    match t {
        ZfpScalarType::I32 => decode_typed::<i32>(bs, &dims, &config, n),
        ZfpScalarType::I64 => decode_typed::<i64>(bs, &dims, &config, n),
        ZfpScalarType::F32 => decode_typed::<f32>(bs, &dims, &config, n),
        ZfpScalarType::F64 => decode_typed::<f64>(bs, &dims, &config, n),
    }
}

/// `input` as a bit stream without a copy: aligned little-endian words on a little-endian
/// machine. zfp streams are whole 64-bit words (zfp pads them): a partial last word is
/// ignored, so a stream cut inside a word is seen as truncated rather than read as zeros.
fn borrowed_words(input: &[u8]) -> Option<ZfpBitStreamRef<'_>> {
    if cfg!(target_endian = "little") {
        // Whole words only, as below.
        ZfpBitStreamRef::from_bytes(input.get(..input.len() / 8 * 8)?)
    } else {
        None
    }
}

/// The header is 96 bits at least.
const MIN_STREAM_BYTES: usize = 12;

impl ArrayToBytesCodecTraits for ZfpyCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        let t = scalar_type(decoded)?;
        let dims = encode_dims(&decoded.shape)?;
        let n: usize = dims.iter().product();
        // What this codec writes, and what any reversible stream of the chunk's values (in
        // its shape or flattened, as numcodecs writes after a flattening filter) takes.
        let mut configs = vec![ZfpConfig::reversible()];
        if let Ok((_, coded)) = self.configs(t, dims.len()) {
            configs.push(coded);
        }
        let mut flat = self.configs(t, 1).map(|(_, c)| vec![c]).unwrap_or_default();
        flat.push(ZfpConfig::reversible());
        let bound = configs
            .iter()
            .map(|c| c.maximum_size(t, metadata(t, &dims).dims))
            .chain(flat.iter().map(|c| c.maximum_size(t, [n])))
            .try_fold(0usize, |a, b| b.map(|b| a.max(b)));
        Ok(match bound {
            Some(b) if b > 0 => BytesRepresentation::Bounded(b as u64),
            _ => BytesRepresentation::Unbounded,
        })
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let t = scalar_type(decoded)?;
        let dims = encode_dims(&decoded.shape)?;
        let (nominal, coded) = self.configs(t, dims.len())?;
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
        match t {
            ZfpScalarType::I32 => encode_typed::<i32>(&bytes, &dims, &nominal, &coded),
            ZfpScalarType::I64 => encode_typed::<i64>(&bytes, &dims, &nominal, &coded),
            ZfpScalarType::F32 => encode_typed::<f32>(&bytes, &dims, &nominal, &coded),
            ZfpScalarType::F64 => encode_typed::<f64>(&bytes, &dims, &nominal, &coded),
        }
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let t = scalar_type(decoded)?;
        let n = decoded.num_elements_usize()?;
        if input.len() < MIN_STREAM_BYTES {
            return Err(err(format!(
                "{} bytes are too few for a zfp header",
                input.len()
            )));
        }
        // The stored words, little-endian: borrowed where they already are machine words.
        if let Some(mut bs) = borrowed_words(&input) {
            return decode_stream(&mut bs, t, n).map(ArrayBytes::Fixed);
        }
        let mut words = Vec::new();
        words
            .try_reserve_exact(input.len() / 8)
            .map_err(|e| alloc_err(input.len(), e))?;
        words.extend(input.chunks_exact(8).map(|c| {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            u64::from_le_bytes(w)
        }));
        let mut bs = ZfpBitStream::from_words(words);
        decode_stream(&mut bs, t, n).map(ArrayBytes::Fixed)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let configuration = metadata.configuration().cloned().unwrap_or_default();
    let mut codec = ZfpyCodec::stored(configuration);
    codec.name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::ArrayToBytes(Arc::new(codec)))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let mut configuration = config.clone();
    if configuration.remove("id").is_none() {
        return Err(PluginError::config(
            ExtensionKind::Codec,
            V2_ID,
            "a V2 codec configuration needs its \"id\"",
        ));
    }
    Ok(Codec::ArrayToBytes(Arc::new(ZfpyCodec::stored(
        configuration,
    ))))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[V2_ID], create_v2)
}

#[cfg(test)]
mod tests;
