//! zarrkit plugin: the `numcodecs.pcodec` array→bytes codec ([pcodec](https://github.com/pcodec/pcodec),
//! crate `pco`), lossless compression of numerical sequences.
//!
//! - V3 name `numcodecs.pcodec` (the zarr-extensions name, as zarr-python writes it), alias
//!   `pcodec`; the name read is written back. Zarr V2 / numcodecs id `pcodec` (a V2
//!   `compressor`, which binds in place of the `bytes` codec).
//! - Configuration as numcodecs' `PCodec` writes it, every member optional:
//!   `level` (0–12, default 8), `mode_spec` (`"auto"` | `"classic"`), `delta_spec`
//!   (`"auto"` | `"none"` | `"no_op"` | `"try_consecutive"` | `"try_lookback"`), `paging_spec`
//!   (`"equal_pages_up_to"`), `delta_encoding_order` (`null` or 0–7; with `delta_spec`
//!   `"auto"` it means `try_consecutive` of that order, as numcodecs reads older metadata),
//!   `equal_pages_up_to` (default 262144).
//! - Data types, by capability ([`ElementKind`]): 16-, 32- and 64-bit integers (signed and
//!   unsigned) and floats — so also `numpy.datetime64`/`timedelta64`, whose elements are
//!   `i64`. The chunk is encoded in C order as one standalone pco file of native numbers.
//!
//! Every member matters only to encoding (a pco stream describes itself), so a stored
//! configuration this build cannot encode with (a level above 12, say) still opens and
//! reads; encoding with it is an [`CodecError::Unsupported`] error naming the member.
//!
//! Decoding writes into a buffer of exactly the chunk's element count and fails unless the
//! stream holds exactly that many numbers, so a stream that claims more allocates nothing
//! extra; truncated or corrupt streams are errors (bytes after the stream's footer are
//! ignored, as pco and numcodecs ignore them). The encoded size is bounded
//! ([`pco::standalone::guarantee::file_size`]), which bounds the decoders of the
//! bytes→bytes codecs after this one.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use pco::data_types::Number;
use pco::{ChunkConfig, DeltaSpec, ModeSpec, PagingSpec};
use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    ArrayToBytesCodecTraits, Bytes, BytesRepresentation, ChunkRepresentation, Codec, CodecTraits,
};
use zarrkit_core::element::{bytes_to_elements, elements_as_bytes, Element, ElementKind};
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{self, Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.pcodec";
const ALIASES: &[&str] = &["pcodec"];
/// The numcodecs id.
pub const V2_ID: &str = "pcodec";
/// numcodecs' default page size.
pub const DEFAULT_MAX_PAGE_N: u64 = 262_144;

/// How pco chooses a mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcodecModeSpec {
    /// Detect a good mode.
    #[default]
    Auto,
    /// Classic mode only.
    Classic,
}

/// How pco chooses a delta encoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcodecDeltaSpec {
    /// Detect a good delta encoding.
    #[default]
    Auto,
    /// No delta encoding.
    None,
    /// No delta encoding, as newer numcodecs names it (`"no_op"`, pco's `NoOp`).
    NoOp,
    /// Consecutive deltas of `delta_encoding_order`.
    TryConsecutive,
    /// Lookback deltas.
    TryLookback,
}

/// How pco splits a chunk into pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcodecPagingSpec {
    /// Equal pages of up to `equal_pages_up_to` numbers.
    #[default]
    EqualPagesUpTo,
}

/// The configuration (numcodecs' `PCodec.get_config()` without `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PcodecConfiguration {
    /// Compression level, 0–12.
    #[serde(default = "default_level")]
    pub level: u64,
    /// Mode.
    #[serde(default)]
    pub mode_spec: PcodecModeSpec,
    /// Delta encoding.
    #[serde(default)]
    pub delta_spec: PcodecDeltaSpec,
    /// Paging.
    #[serde(default)]
    pub paging_spec: PcodecPagingSpec,
    /// Explicit delta encoding order (0–7), or `None`.
    #[serde(default)]
    pub delta_encoding_order: Option<u64>,
    /// Page size.
    #[serde(default = "default_pages")]
    pub equal_pages_up_to: u64,
}

fn default_level() -> u64 {
    8
}
fn default_pages() -> u64 {
    DEFAULT_MAX_PAGE_N
}

impl Default for PcodecConfiguration {
    fn default() -> Self {
        Self {
            level: default_level(),
            mode_spec: PcodecModeSpec::Auto,
            delta_spec: PcodecDeltaSpec::Auto,
            paging_spec: PcodecPagingSpec::EqualPagesUpTo,
            delta_encoding_order: None,
            equal_pages_up_to: default_pages(),
        }
    }
}

/// The numcodecs form: the configuration plus `id`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PcodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    #[serde(default = "default_level")]
    level: u64,
    #[serde(default)]
    mode_spec: PcodecModeSpec,
    #[serde(default)]
    delta_spec: PcodecDeltaSpec,
    #[serde(default)]
    paging_spec: PcodecPagingSpec,
    #[serde(default)]
    delta_encoding_order: Option<u64>,
    #[serde(default = "default_pages")]
    equal_pages_up_to: u64,
}

/// The `numcodecs.pcodec` codec.
#[derive(Debug, Clone)]
pub struct PcodecCodec {
    name: &'static str,
    configuration: PcodecConfiguration,
    /// How to encode, or why this configuration cannot encode (decoding needs none of it:
    /// a pco stream describes itself).
    chunk_config: Result<ChunkConfig, String>,
}

impl PartialEq for PcodecCodec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.configuration == other.configuration
    }
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

impl PcodecCodec {
    /// A codec with this configuration, checked as numcodecs checks it.
    pub fn new(configuration: PcodecConfiguration) -> Result<Self, String> {
        let codec = Self::stored(configuration);
        codec.chunk_config.clone()?;
        Ok(codec)
    }

    /// A codec from a stored configuration: everything in it matters only to encoding, so
    /// an invalid one opens for reading and fails when encoding.
    fn stored(configuration: PcodecConfiguration) -> Self {
        Self {
            name: NAME,
            chunk_config: Self::chunk_config(&configuration),
            configuration,
        }
    }

    fn chunk_config(c: &PcodecConfiguration) -> Result<ChunkConfig, String> {
        if c.level > 12 {
            return Err(format!("level {} is not in 0..=12", c.level));
        }
        if c.delta_encoding_order.is_some_and(|o| o > 7) {
            return Err(format!(
                "delta_encoding_order {:?} is not in 0..=7",
                c.delta_encoding_order
            ));
        }
        if c.equal_pages_up_to == 0 {
            return Err("equal_pages_up_to must be positive".into());
        }
        let order = c.delta_encoding_order.map(|o| o as usize);
        let delta_spec = match (c.delta_spec, order) {
            // numcodecs: an explicit order with `auto` means consecutive deltas (metadata
            // written before `delta_spec` existed).
            (PcodecDeltaSpec::Auto, Some(o)) | (PcodecDeltaSpec::TryConsecutive, Some(o)) => {
                DeltaSpec::TryConsecutive(o)
            }
            (PcodecDeltaSpec::TryConsecutive, None) => {
                return Err("delta_spec \"try_consecutive\" needs a delta_encoding_order".into())
            }
            (_, Some(_)) => {
                return Err(
                    "delta_encoding_order can only be set with delta_spec \"try_consecutive\" or \"auto\""
                        .into(),
                )
            }
            (PcodecDeltaSpec::Auto, None) => DeltaSpec::Auto,
            (PcodecDeltaSpec::None | PcodecDeltaSpec::NoOp, None) => DeltaSpec::NoOp,
            (PcodecDeltaSpec::TryLookback, None) => DeltaSpec::TryLookback,
        };
        let mode_spec = match c.mode_spec {
            PcodecModeSpec::Auto => ModeSpec::Auto,
            PcodecModeSpec::Classic => ModeSpec::Classic,
        };
        let pages = usize::try_from(c.equal_pages_up_to)
            .map_err(|_| format!("equal_pages_up_to {} is too large", c.equal_pages_up_to))?;
        Ok(ChunkConfig::default()
            .with_compression_level(c.level as usize)
            .with_mode_spec(mode_spec)
            .with_delta_spec(delta_spec)
            .with_paging_spec(PagingSpec::EqualPagesUpTo(pages)))
    }

    /// The configuration.
    pub fn configuration_typed(&self) -> &PcodecConfiguration {
        &self.configuration
    }
}

/// The number type of a data type, by capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    I16,
    I32,
    I64,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
}

fn number_type(decoded: &ChunkRepresentation) -> Result<Num, CodecError> {
    Ok(match decoded.data_type.element_kind() {
        Some(ElementKind::Int16) => Num::I16,
        Some(ElementKind::Int32) => Num::I32,
        Some(ElementKind::Int64) => Num::I64,
        Some(ElementKind::UInt16) => Num::U16,
        Some(ElementKind::UInt32) => Num::U32,
        Some(ElementKind::UInt64) => Num::U64,
        Some(ElementKind::Float16) => Num::F16,
        Some(ElementKind::Float32) => Num::F32,
        Some(ElementKind::Float64) => Num::F64,
        _ => {
            return Err(CodecError::Unsupported {
                codec: NAME.into(),
                message: format!(
                    "data type {} is not supported (16-, 32- and 64-bit integers and floats are)",
                    decoded.data_type.name()
                ),
            })
        }
    })
}

macro_rules! dispatch {
    ($num:expr, $f:ident ( $($arg:expr),* )) => {
        match $num {
            Num::I16 => $f::<i16>($($arg),*),
            Num::I32 => $f::<i32>($($arg),*),
            Num::I64 => $f::<i64>($($arg),*),
            Num::U16 => $f::<u16>($($arg),*),
            Num::U32 => $f::<u32>($($arg),*),
            Num::U64 => $f::<u64>($($arg),*),
            Num::F16 => $f::<half::f16>($($arg),*),
            Num::F32 => $f::<f32>($($arg),*),
            Num::F64 => $f::<f64>($($arg),*),
        }
    };
}

fn encode_typed<T: Number + Element>(
    bytes: &[u8],
    config: &ChunkConfig,
) -> Result<Vec<u8>, CodecError> {
    let nums: Vec<T> = bytes_to_elements(bytes).map_err(|e| err(e.to_string()))?;
    pco::standalone::simple_compress(&nums, config).map_err(|e| err(e.to_string()))
}

fn decode_typed<T: Number + Element + Default>(
    input: &[u8],
    n: usize,
) -> Result<Vec<u8>, CodecError> {
    let mut dst: Vec<T> = Vec::new();
    dst.try_reserve_exact(n)
        .map_err(|e| err(format!("cannot allocate {n} elements: {e}")))?;
    dst.resize(n, T::default());
    // pco reports corrupt input as errors; a panic inside it is turned into one too.
    let progress = catch_unwind(AssertUnwindSafe(|| {
        pco::standalone::simple_decompress_into(input, &mut dst)
    }))
    .map_err(|_| err("the pco decoder failed on corrupt input"))?
    .map_err(|e| err(format!("{e} (corrupt or truncated stream?)")))?;
    if progress.n_processed != n || !progress.finished {
        return Err(err(format!(
            "the stream does not hold exactly the chunk's {n} numbers ({} decoded{})",
            progress.n_processed,
            if progress.finished {
                ""
            } else {
                ", more follow"
            }
        )));
    }
    let bytes = elements_as_bytes(&dst);
    let mut out = Vec::new();
    out.try_reserve_exact(bytes.len())
        .map_err(|e| err(format!("cannot allocate {} bytes: {e}", bytes.len())))?;
    out.extend_from_slice(bytes);
    Ok(out)
}

impl CodecTraits for PcodecCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        match serde_json::to_value(self.configuration) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        }
    }

    fn configuration_v2(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("id".into(), Value::String(V2_ID.into()));
        m.extend(self.configuration()?);
        Some(m)
    }
}

impl ArrayToBytesCodecTraits for PcodecCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        number_type(decoded)?;
        let n = decoded.num_elements_usize()?;
        // The largest latent type gives a bound for every number type.
        let Ok(config) = &self.chunk_config else {
            // A configuration that cannot encode bounds nothing.
            return Ok(BytesRepresentation::Unbounded);
        };
        let bound = pco::standalone::guarantee::file_size::<u64>(n, &config.paging_spec)
            .map_err(|e| err(e.to_string()))?;
        Ok(BytesRepresentation::Bounded(bound as u64))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let num = number_type(decoded)?;
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
        let config = self
            .chunk_config
            .as_ref()
            .map_err(|why| CodecError::Unsupported {
                codec: self.name.into(),
                message: format!("cannot encode with this configuration: {why}"),
            })?;
        dispatch!(num, encode_typed(&bytes, config))
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let num = number_type(decoded)?;
        let n = decoded.num_elements_usize()?;
        dispatch!(num, decode_typed(&input, n)).map(ArrayBytes::Fixed)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let perr = |m: String| PluginError::config(ExtensionKind::Codec, metadata.name(), m);
    let configuration: PcodecConfiguration = if metadata.configuration().is_some() {
        metadata.to_configuration().map_err(perr)?
    } else {
        PcodecConfiguration::default()
    };
    let mut codec = PcodecCodec::stored(configuration);
    codec.name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::ArrayToBytes(Arc::new(codec)))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let perr = |m: String| PluginError::config(ExtensionKind::Codec, V2_ID, m);
    let c: PcodecConfigurationNumcodecs =
        serde_json::from_value(Value::Object(config.clone())).map_err(|e| perr(e.to_string()))?;
    let configuration = PcodecConfiguration {
        level: c.level,
        mode_spec: c.mode_spec,
        delta_spec: c.delta_spec,
        paging_spec: c.paging_spec,
        delta_encoding_order: c.delta_encoding_order,
        equal_pages_up_to: c.equal_pages_up_to,
    };
    Ok(Codec::ArrayToBytes(Arc::new(PcodecCodec::stored(
        configuration,
    ))))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[V2_ID], create_v2)
}

#[cfg(test)]
mod tests;
