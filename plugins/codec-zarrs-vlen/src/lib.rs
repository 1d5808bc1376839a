//! zarrkit plugin: the `zarrs.vlen` array→bytes codec for variable-size data (`string`,
//! `bytes`): the element offsets (an index) and the concatenated element bytes (the data),
//! each encoded through a codec chain of its own.
//!
//! - V3 name `zarrs.vlen` (zarrs ≥ 0.20); alias `https://codec.zarrs.dev/array_to_bytes/vlen`
//!   (zarrs < 0.20). The name read is written back. Zarr V2 id `zarrs.vlen` (zarrs 0.20–0.22
//!   registered it), with the same members beside `id`.
//! - Configuration (no other member):
//!   `{"index_codecs": [..], "data_codecs": [..], "index_data_type": "uint32" | "uint64",
//!   "index_location": "start" | "end"}`. `index_location` is missing in the V0
//!   configuration older zarrs wrote; it then means `start`. The configuration is written
//!   back as read (a missing `index_location` stays missing).
//!
//! # Encoded chunk (byte for byte as zarrs writes it)
//!
//! - index: Arrow-style offsets, `n + 1` of them for `n` elements (`offsets[0] = 0`, element
//!   `i` is `data[offsets[i]..offsets[i + 1]]`), as a 1-D `[n + 1]` array of
//!   `index_data_type` (fill value 0) encoded through `index_codecs` (e.g. `bytes`);
//! - data: every element's bytes concatenated, a 1-D `uint8` array `[len]` (fill value 0)
//!   encoded through `data_codecs`; with `len = 0` the chain is not run and the data is
//!   empty;
//! - `start`: `[u64 LE len(index)] [index] [data]`; `end`: `[data] [index] [u64 LE len(index)]`.
//!
//! # Decoding and its checks
//!
//! The index length must fit the chunk; the index decodes to exactly `n + 1` offsets (the
//! chain checks the size), which must start at 0, never decrease, and end at no more than
//! [`CodecOptions::max_unbounded_decoded_bytes`] (variable-size data has no size known in
//! advance; this bounds what a hostile index can make the data chain allocate); the data
//! decodes to exactly the last offset.
//!
//! Reading what older zarrs wrote: versions that wrote the V0 configuration dropped
//! `"index_location": "end"` from the metadata while laying chunks out with the index at the
//! end. So when `index_location` is missing, a chunk that does not decode as `start` is
//! decoded as `end` (the error reported is `start`'s when neither works). Writing with a
//! missing `index_location` lays chunks out as `start`, as the V0 configuration means.
//!
//! Data types: any variable-size type; fixed-size ones are refused, and so is zarrs'
//! optional data type (`zarrs.optional`, recognised by name), which zarrs' codec refuses too.
//! The index and data types (`uint32`, `uint64`, `uint8`) come from the registry
//! (`zarrkit-dtype-numeric`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::array::codecs_from_metadata;
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    ArrayToBytesCodecTraits, Bytes, BytesRepresentation, ChunkRepresentation, Codec, CodecChain,
    CodecTraits,
};
use zarrkit_core::data_type::{DataType, DataTypeSize};
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::fill_value::FillValue;
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{self, Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec (also its V2 id).
pub const NAME: &str = "zarrs.vlen";
/// Other V3 names read (and written back when read).
pub const ALIASES: &[&str] = &["https://codec.zarrs.dev/array_to_bytes/vlen"];
/// Names of zarrs' optional data type, which this codec refuses (as zarrs does).
const OPTIONAL_DATA_TYPE_NAMES: &[&str] = &["zarrs.optional", "optional"];

/// The data type of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexDataType {
    /// 32-bit offsets (encoding fails beyond 4 GiB of element bytes per chunk).
    UInt32,
    /// 64-bit offsets.
    UInt64,
}

impl IndexDataType {
    fn name(self) -> &'static str {
        match self {
            Self::UInt32 => "uint32",
            Self::UInt64 => "uint64",
        }
    }
    fn width(self) -> usize {
        match self {
            Self::UInt32 => 4,
            Self::UInt64 => 8,
        }
    }
}

/// Where the index is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexLocation {
    /// Before the data, after its u64 length.
    Start,
    /// After the data, followed by its u64 length.
    End,
}

/// The configuration of the codec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VlenCodecConfiguration {
    /// The codecs of the index (a 1-D array of `index_data_type`).
    pub index_codecs: Vec<MetadataV3>,
    /// The codecs of the data (a 1-D `uint8` array).
    pub data_codecs: Vec<MetadataV3>,
    /// The data type of the index.
    pub index_data_type: IndexDataType,
    /// Where the index goes (`None`: the V0 configuration, `start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_location: Option<IndexLocation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct VlenCodecConfigurationV2 {
    #[allow(dead_code)]
    id: String,
    index_codecs: Vec<MetadataV3>,
    data_codecs: Vec<MetadataV3>,
    index_data_type: IndexDataType,
    #[serde(default)]
    index_location: Option<IndexLocation>,
}

/// The `zarrs.vlen` codec.
#[derive(Debug, Clone)]
pub struct VlenCodec {
    name: &'static str,
    configuration: VlenCodecConfiguration,
    index: Arc<CodecChain>,
    data: Arc<CodecChain>,
    index_type: DataType,
    uint8: DataType,
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

fn check_data_type(decoded: &ChunkRepresentation) -> Result<(), CodecError> {
    let name = decoded.data_type.name();
    if OPTIONAL_DATA_TYPE_NAMES.contains(&name.as_str()) {
        return Err(CodecError::unsupported(
            NAME,
            format!("data type {name}: zarrs.vlen does not encode optional data types (as in zarrs); use zarrs.optional"),
        ));
    }
    match decoded.data_type.size() {
        DataTypeSize::Variable => Ok(()),
        DataTypeSize::Fixed(_) => Err(CodecError::unsupported(
            NAME,
            format!("data type {name} has a fixed size; {NAME} encodes variable-size elements"),
        )),
    }
}

fn read_u64(input: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = input.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

impl VlenCodec {
    /// A codec from its configuration (chains resolved through the registry).
    pub fn new(configuration: VlenCodecConfiguration) -> Result<Self, PluginError> {
        Self::with_name(NAME, configuration)
    }

    fn with_name(
        name: &'static str,
        configuration: VlenCodecConfiguration,
    ) -> Result<Self, PluginError> {
        let perr = |m: String| PluginError::config(ExtensionKind::Codec, name, m);
        let index = codecs_from_metadata("(index_codecs)", &configuration.index_codecs)
            .map_err(|e| perr(e.to_string()))?;
        let data = codecs_from_metadata("(data_codecs)", &configuration.data_codecs)
            .map_err(|e| perr(e.to_string()))?;
        let dt = |n: &str| {
            zarrkit_core::registry::data_type_by_name(n)
                .map_err(|e| perr(format!("the {n} data type is needed: {e}")))
        };
        Ok(Self {
            name,
            index_type: dt(configuration.index_data_type.name())?,
            uint8: dt("uint8")?,
            configuration,
            index: Arc::new(index),
            data: Arc::new(data),
        })
    }

    /// The configuration.
    pub fn configuration_struct(&self) -> &VlenCodecConfiguration {
        &self.configuration
    }

    fn index_repr(&self, n: usize) -> Result<ChunkRepresentation, CodecError> {
        let count = n.checked_add(1).ok_or_else(|| err("too many elements"))?;
        let w = self.configuration.index_data_type.width();
        Ok(ChunkRepresentation::new(
            vec![count as u64],
            self.index_type.clone(),
            FillValue::new(vec![0; w]),
        ))
    }

    fn data_repr(&self, len: usize) -> ChunkRepresentation {
        ChunkRepresentation::new(
            vec![len as u64],
            self.uint8.clone(),
            FillValue::new(vec![0]),
        )
    }

    fn decode_at(
        &self,
        input: &Bytes,
        n: usize,
        location: IndexLocation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let total = input.len();
        let len_at = match location {
            IndexLocation::Start => 0,
            IndexLocation::End => total.checked_sub(8).ok_or_else(|| {
                err(format!(
                    "{total} bytes is too short for the index length (truncated?)"
                ))
            })?,
        };
        let index_len = read_u64(input, len_at).ok_or_else(|| {
            err(format!(
                "{total} bytes is too short for the index length (truncated?)"
            ))
        })?;
        let body = total - 8;
        let index_len = usize::try_from(index_len)
            .ok()
            .filter(|&l| l <= body)
            .ok_or_else(|| {
                err(format!(
                    "the index length {index_len} exceeds the {body} bytes of the chunk ({location:?})"
                ))
            })?;
        let (index_range, data_range) = match location {
            IndexLocation::Start => (8..8 + index_len, 8 + index_len..total),
            IndexLocation::End => (body - index_len..body, 0..body - index_len),
        };
        let index = self
            .index
            .decode(input.slice(index_range), &self.index_repr(n)?, options)?;
        let index = index
            .into_fixed()
            .ok_or_else(|| err("the index did not decode to fixed-size offsets"))?;
        let w = self.configuration.index_data_type.width();
        if index.len() != (n + 1) * w {
            return Err(err(format!(
                "the index has {} bytes, not {}",
                index.len(),
                (n + 1) * w
            )));
        }
        let mut offsets: Vec<usize> = Vec::new();
        offsets
            .try_reserve_exact(n + 1)
            .map_err(|e| CodecError::allocation(NAME, format!("{} offsets: {e}", n + 1)))?;
        let limit = options.max_unbounded_decoded_bytes;
        for (i, c) in index.chunks_exact(w).enumerate() {
            let width_err = |_| CodecError::Internal("index element width".into());
            let v = if w == 8 {
                u64::from_ne_bytes(c.try_into().map_err(width_err)?)
            } else {
                u64::from(u32::from_ne_bytes(c.try_into().map_err(width_err)?))
            };
            let prev = offsets.last().copied();
            let ok = match prev {
                None => v == 0,
                Some(p) => v >= p as u64,
            } && v <= limit;
            if !ok {
                return Err(err(format!(
                    "index offset {i} is {v}: offsets must start at 0, never decrease, and stay \
                     within the {limit}-byte limit for variable-size chunks"
                )));
            }
            offsets.push(usize::try_from(v).map_err(|_| err("an offset does not fit memory"))?);
        }
        let data_len = offsets.last().copied().unwrap_or(0);
        let data = if data_len > 0 {
            let d =
                self.data
                    .decode(input.slice(data_range), &self.data_repr(data_len), options)?;
            d.into_fixed()
                .filter(|d| d.len() == data_len)
                .ok_or_else(|| err(format!("the data did not decode to {data_len} bytes")))?
        } else {
            Vec::new()
        };
        Ok(ArrayBytes::Variable {
            bytes: data,
            offsets,
        })
    }
}

impl CodecTraits for VlenCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        match serde_json::to_value(&self.configuration) {
            Ok(Value::Object(m)) => Some(m),
            _ => Some(Map::new()),
        }
    }
}

impl ArrayToBytesCodecTraits for VlenCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        check_data_type(decoded)?;
        // The chains must accept their arrays.
        self.index
            .encoded_representation(&self.index_repr(decoded.num_elements_usize()?)?)?;
        self.data.encoded_representation(&self.data_repr(1))?;
        Ok(BytesRepresentation::Unbounded)
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        check_data_type(decoded)?;
        let n = decoded.num_elements_usize()?;
        input
            .validate(n, None)
            .map_err(|e| CodecError::unsupported(NAME, format!("input: {e}")))?;
        let ArrayBytes::Variable { bytes, offsets } = input else {
            return Err(CodecError::unsupported(
                NAME,
                "expected variable-size array bytes",
            ));
        };
        let w = self.configuration.index_data_type.width();
        let mut index = Vec::new();
        index
            .try_reserve_exact((n + 1) * w)
            .map_err(|e| CodecError::allocation(NAME, format!("the index: {e}")))?;
        for &o in &offsets {
            match self.configuration.index_data_type {
                IndexDataType::UInt32 => {
                    let o = u32::try_from(o).map_err(|_| {
                        err(format!(
                            "offset {o} does not fit the uint32 index (use index_data_type uint64)"
                        ))
                    })?;
                    index.extend_from_slice(&o.to_ne_bytes());
                }
                IndexDataType::UInt64 => index.extend_from_slice(&(o as u64).to_ne_bytes()),
            }
        }
        let index = self
            .index
            .encode(ArrayBytes::Fixed(index), &self.index_repr(n)?, options)?;
        let data = if bytes.is_empty() {
            Vec::new()
        } else {
            let len = bytes.len();
            self.data
                .encode(ArrayBytes::Fixed(bytes), &self.data_repr(len), options)?
        };
        let total = 8 + index.len() + data.len();
        let mut out = Vec::new();
        out.try_reserve_exact(total)
            .map_err(|e| CodecError::allocation(NAME, format!("{total} bytes: {e}")))?;
        let len = (index.len() as u64).to_le_bytes();
        match self.configuration.index_location {
            None | Some(IndexLocation::Start) => {
                out.extend_from_slice(&len);
                out.extend_from_slice(&index);
                out.extend_from_slice(&data);
            }
            Some(IndexLocation::End) => {
                out.extend_from_slice(&data);
                out.extend_from_slice(&index);
                out.extend_from_slice(&len);
            }
        }
        Ok(out)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        check_data_type(decoded)?;
        let n = decoded.num_elements_usize()?;
        match self.configuration.index_location {
            Some(location) => self.decode_at(&input, n, location, options),
            // The V0 configuration: `start`, or the layout of the zarrs versions that dropped
            // `"index_location": "end"` from the metadata.
            None => self
                .decode_at(&input, n, IndexLocation::Start, options)
                .or_else(|start| {
                    self.decode_at(&input, n, IndexLocation::End, options)
                        .map_err(|_| start)
                }),
        }
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = std::iter::once(NAME)
        .chain(ALIASES.iter().copied())
        .find(|n| *n == metadata.name())
        .unwrap_or(NAME);
    let configuration: VlenCodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    Ok(Codec::ArrayToBytes(Arc::new(VlenCodec::with_name(
        name,
        configuration,
    )?)))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: VlenCodecConfigurationV2 = serde_json::from_value(Value::Object(config.clone()))
        .map_err(|e| PluginError::config(ExtensionKind::Codec, NAME, e))?;
    Ok(Codec::ArrayToBytes(Arc::new(VlenCodec::new(
        VlenCodecConfiguration {
            index_codecs: c.index_codecs,
            data_codecs: c.data_codecs,
            index_data_type: c.index_data_type,
            index_location: c.index_location,
        },
    )?)))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[NAME], create_v2)
}

#[cfg(test)]
mod tests;
