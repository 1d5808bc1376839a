//! zarrkit plugin: the `zarrs.optional` array→bytes codec, which stores the chunks of the
//! `zarrs.optional` data type (`zarrkit-dtype-optional`) as a validity mask plus the present
//! elements, each through a codec chain of its own.
//!
//! - V3 name `zarrs.optional` (zarrs ≥ 0.23); aliases `optional` (older zarrs and the
//!   zarr-extensions registration of the mask/data design) and
//!   `https://codec.zarrs.dev/array_to_bytes/optional` (zarrs' documented URL name). The
//!   name read is written back. No Zarr V2 form (zarrs has none).
//! - Configuration (both required, nothing else): `{"mask_codecs": [..], "data_codecs": [..]}`,
//!   two codec chains resolved through the registry (each must contain an array→bytes
//!   codec); written back as read.
//!
//! # Encoded chunk (byte for byte as zarrs writes it)
//!
//! ```text
//! [u64 LE: len(mask)] [u64 LE: len(data)] [mask] [data]
//! ```
//!
//! - `mask`: the chunk's validity as a `bool` array of the **chunk's shape** (fill value
//!   `false`) encoded through `mask_codecs` (typically `packbits`, LSB first).
//! - `data`: only the present elements, in C order, as a **1-D** array `[count]` of the inner
//!   data type encoded through `data_codecs`; the representation's fill value is zero bytes
//!   (fixed size), empty (variable size) or missing (a nested optional). With no present
//!   element the data chain is not run and `data` is empty.
//! - Nested optionals (`Option<Option<T>>`) put another `zarrs.optional` codec in
//!   `data_codecs`: the present outer elements (each an inner optional element) are encoded
//!   by it.
//!
//! In memory an optional element is one mask byte (0 or 1) followed by the inner element's
//! bytes (see `zarrkit-dtype-optional`; a missing fixed-size element has a zero payload, a
//! missing variable-size element is the byte `[0]`). This crate does not depend on that
//! crate: the layout is restated here, and the optional data type is recognised by its
//! name (`zarrs.optional` / `optional`), its inner type is resolved from its configuration
//! through the registry, and its size must be the inner size + 1 (or variable with a
//! variable inner type). (A core capability — a data type telling a codec "I am optional
//! over this inner type" — would replace the name check; see the crate's report.)
//!
//! # Checks
//!
//! Decoding requires `16 + len(mask) + len(data)` to be exactly the input length (checked
//! arithmetic), decodes the mask to exactly the chunk's element count (the mask chain
//! checks the size), counts the present elements (a non-zero mask value is present, as in
//! zarrs) and decodes the data as exactly `[count]` elements; decoded chunks are
//! canonical (mask bytes 0/1, zero payloads). When the mask has no present element the
//! data bytes are ignored, as zarrs does. Encoding refuses mask bytes other than 0 and 1
//! (`InvalidElements`) and the payload of missing elements is dropped. Memory beyond the
//! chunk's own size is never allocated from the header: the lengths only slice the input.
//!
//! The bool data type of the mask chain and the inner data type come from the registry
//! (`bool` is in `zarrkit-dtype-numeric`).

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
use zarrkit_core::registry::CodecPlugin;
use zarrkit_core::serde_json::{self, Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec (as zarrs writes it).
pub const NAME: &str = "zarrs.optional";
/// Other V3 names read (and written back when read).
pub const ALIASES: &[&str] = &[
    "optional",
    "https://codec.zarrs.dev/array_to_bytes/optional",
];
/// The names of the optional data type (`zarrkit-dtype-optional`).
pub const OPTIONAL_DATA_TYPE_NAMES: &[&str] = &["zarrs.optional", "optional"];

const HEADER: usize = 16;

/// The configuration of the codec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionalCodecConfiguration {
    /// The codecs of the mask (a `bool` array of the chunk's shape).
    pub mask_codecs: Vec<MetadataV3>,
    /// The codecs of the present elements (a 1-D array of the inner data type).
    pub data_codecs: Vec<MetadataV3>,
}

/// The `zarrs.optional` codec.
#[derive(Debug, Clone)]
pub struct OptionalCodec {
    name: &'static str,
    configuration: OptionalCodecConfiguration,
    mask: Arc<CodecChain>,
    data: Arc<CodecChain>,
    bool_type: DataType,
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

fn unsupported(message: impl std::fmt::Display) -> CodecError {
    CodecError::unsupported(NAME, message)
}

/// What the codec needs to know of an optional data type.
struct Layout {
    inner: DataType,
    /// The inner element size (`None`: variable).
    inner_size: Option<usize>,
    /// The fill value of the data chain's representation.
    inner_fill: FillValue,
}

/// Whether a data type is the optional data type (by name: core has no capability for it).
pub fn is_optional(data_type: &DataType) -> bool {
    OPTIONAL_DATA_TYPE_NAMES.contains(&data_type.name().as_str())
}

fn layout(data_type: &DataType) -> Result<Layout, CodecError> {
    if !is_optional(data_type) {
        return Err(unsupported(format!(
            "data type {} is not an optional data type ({NAME} encodes only zarrs.optional)",
            data_type.name()
        )));
    }
    let conf = data_type.configuration().unwrap_or_default();
    let inner_name = conf
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| unsupported("the optional data type names no inner data type"))?;
    let md = match conf.get("configuration") {
        Some(Value::Object(c)) => MetadataV3::new_with_configuration(inner_name, c.clone()),
        _ => MetadataV3::new(inner_name),
    };
    let inner = zarrkit_core::registry::create_data_type(&md)
        .map_err(|e| unsupported(format!("the inner data type: {e}")))?;
    let inner_size = inner.size().fixed();
    let consistent = match (data_type.size(), inner_size) {
        (DataTypeSize::Fixed(n), Some(s)) => s.checked_add(1) == Some(n),
        (DataTypeSize::Variable, None) => true,
        _ => false,
    };
    if !consistent {
        return Err(unsupported(format!(
            "data type {} has size {:?}, not the inner size {:?} plus a mask byte",
            data_type.name(),
            data_type.size(),
            inner.size()
        )));
    }
    // The data chain's fill value: zarrs' zeros / empty / missing (a nested optional's
    // missing element is all zeros when fixed, `[0]` when variable).
    let inner_fill = match inner_size {
        Some(s) => FillValue::new(vec![0; s]),
        None if is_optional(&inner) => FillValue::new(vec![0]),
        None => FillValue::new(Vec::new()),
    };
    Ok(Layout {
        inner,
        inner_size,
        inner_fill,
    })
}

fn read_u64(input: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = input.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

fn try_vec<T>(n: usize, what: &str) -> Result<Vec<T>, CodecError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|e| CodecError::allocation(NAME, format!("{what} ({n} elements): {e}")))?;
    Ok(v)
}

impl OptionalCodec {
    /// A codec from its configuration (chains resolved through the registry).
    pub fn new(configuration: OptionalCodecConfiguration) -> Result<Self, PluginError> {
        Self::with_name(NAME, configuration)
    }

    fn with_name(
        name: &'static str,
        configuration: OptionalCodecConfiguration,
    ) -> Result<Self, PluginError> {
        let perr = |m: String| PluginError::config(ExtensionKind::Codec, name, m);
        let mask = codecs_from_metadata("(mask_codecs)", &configuration.mask_codecs)
            .map_err(|e| perr(e.to_string()))?;
        let data = codecs_from_metadata("(data_codecs)", &configuration.data_codecs)
            .map_err(|e| perr(e.to_string()))?;
        let bool_type = zarrkit_core::registry::data_type_by_name("bool")
            .map_err(|e| perr(format!("the mask needs the bool data type: {e}")))?;
        Ok(Self {
            name,
            configuration,
            mask: Arc::new(mask),
            data: Arc::new(data),
            bool_type,
        })
    }

    /// The configuration.
    pub fn configuration_struct(&self) -> &OptionalCodecConfiguration {
        &self.configuration
    }

    fn mask_repr(&self, decoded: &ChunkRepresentation) -> ChunkRepresentation {
        ChunkRepresentation::new(
            decoded.shape.clone(),
            self.bool_type.clone(),
            FillValue::new(vec![0]),
        )
    }

    fn data_repr(l: &Layout, count: usize) -> ChunkRepresentation {
        ChunkRepresentation::new(vec![count as u64], l.inner.clone(), l.inner_fill.clone())
    }
}

impl CodecTraits for OptionalCodec {
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

impl ArrayToBytesCodecTraits for OptionalCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        let l = layout(&decoded.data_type)?;
        let mask = self.mask.encoded_representation(&self.mask_repr(decoded))?;
        // Worst case: every element present.
        let n = decoded.num_elements_usize()?;
        let data = self.data.encoded_representation(&Self::data_repr(&l, n))?;
        Ok(match (mask.bound(), data.bound()) {
            (Some(m), Some(d)) => (HEADER as u64)
                .checked_add(m)
                .and_then(|x| x.checked_add(d))
                .map_or(BytesRepresentation::Unbounded, BytesRepresentation::Bounded),
            _ => BytesRepresentation::Unbounded,
        })
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let l = layout(&decoded.data_type)?;
        let n = decoded.num_elements_usize()?;
        input
            .validate(n, decoded.element_size())
            .map_err(|e| unsupported(format!("input: {e}")))?;
        let bad_mask = |i: usize, m: u8| {
            CodecError::InvalidElements(format!(
                "optional element {i} has mask byte {m} (expected 0 or 1)"
            ))
        };
        let mut mask = try_vec::<u8>(n, "the mask")?;
        let sparse = match (&input, l.inner_size) {
            (ArrayBytes::Fixed(b), Some(s)) => {
                let mut data = Vec::new();
                for (i, e) in b.chunks_exact(s + 1).enumerate() {
                    match e[0] {
                        0 => mask.push(0),
                        1 => {
                            mask.push(1);
                            data.try_reserve(s).map_err(|e| {
                                CodecError::allocation(NAME, format!("present elements: {e}"))
                            })?;
                            data.extend_from_slice(&e[1..]);
                        }
                        m => return Err(bad_mask(i, m)),
                    }
                }
                ArrayBytes::Fixed(data)
            }
            (ArrayBytes::Variable { bytes, offsets }, None) => {
                let mut data = Vec::new();
                let mut data_offsets = vec![0usize];
                for (i, w) in offsets.windows(2).enumerate() {
                    let e = &bytes[w[0]..w[1]];
                    match e.split_first() {
                        Some((0, _)) => mask.push(0),
                        Some((1, rest)) => {
                            mask.push(1);
                            data.try_reserve(rest.len()).map_err(|e| {
                                CodecError::allocation(NAME, format!("present elements: {e}"))
                            })?;
                            data.extend_from_slice(rest);
                            data_offsets.push(data.len());
                        }
                        Some((&m, _)) => return Err(bad_mask(i, m)),
                        None => {
                            return Err(CodecError::InvalidElements(format!(
                                "optional element {i} is empty (no mask byte)"
                            )))
                        }
                    }
                }
                ArrayBytes::Variable {
                    bytes: data,
                    offsets: data_offsets,
                }
            }
            _ => return Err(unsupported("array bytes do not match the data type size")),
        };
        let count = mask.iter().filter(|&&m| m != 0).count();
        let encoded_mask =
            self.mask
                .encode(ArrayBytes::Fixed(mask), &self.mask_repr(decoded), options)?;
        let encoded_data = if count > 0 {
            self.data
                .encode(sparse, &Self::data_repr(&l, count), options)?
        } else {
            Vec::new()
        };
        let total = HEADER
            .checked_add(encoded_mask.len())
            .and_then(|x| x.checked_add(encoded_data.len()))
            .ok_or_else(|| err("the encoded chunk is too large"))?;
        let mut out = try_vec::<u8>(total, "the encoded chunk")?;
        out.extend_from_slice(&(encoded_mask.len() as u64).to_le_bytes());
        out.extend_from_slice(&(encoded_data.len() as u64).to_le_bytes());
        out.extend_from_slice(&encoded_mask);
        out.extend_from_slice(&encoded_data);
        Ok(out)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let l = layout(&decoded.data_type)?;
        let n = decoded.num_elements_usize()?;
        let (Some(mask_len), Some(data_len)) = (read_u64(&input, 0), read_u64(&input, 8)) else {
            return Err(err(format!(
                "{} bytes is too short for the 16-byte header (truncated?)",
                input.len()
            )));
        };
        let expected = (HEADER as u64)
            .checked_add(mask_len)
            .and_then(|x| x.checked_add(data_len));
        if expected != Some(input.len() as u64) {
            return Err(err(format!(
                "the header says {mask_len} mask bytes and {data_len} data bytes, but the chunk \
                 has {} bytes after the 16-byte header (truncated or corrupt)",
                input.len().saturating_sub(HEADER)
            )));
        }
        // Both lengths fit the input, so they fit usize.
        let mask_end = HEADER + mask_len as usize;
        let mask = self.mask.decode(
            input.slice(HEADER..mask_end),
            &self.mask_repr(decoded),
            options,
        )?;
        let mask = mask
            .into_fixed()
            .filter(|m| m.len() == n)
            .ok_or_else(|| err("the mask did not decode to one byte per element"))?;
        let count = mask.iter().filter(|&&m| m != 0).count();
        let sparse = if count > 0 {
            Some(self.data.decode(
                input.slice(mask_end..),
                &Self::data_repr(&l, count),
                options,
            )?)
        } else {
            None
        };
        match (l.inner_size, sparse) {
            (Some(s), sparse) => {
                let elem = s + 1;
                let total = n
                    .checked_mul(elem)
                    .ok_or_else(|| err("the chunk is too large"))?;
                let mut out = zarrkit_core::codec::zeroed_for(total, NAME)?;
                let data = match &sparse {
                    Some(ArrayBytes::Fixed(d)) if d.len() == count * s => d.as_slice(),
                    None => &[],
                    Some(_) => return Err(err("the present elements decoded to the wrong size")),
                };
                let mut k = 0usize;
                for (i, &m) in mask.iter().enumerate() {
                    if m != 0 {
                        let at = i * elem;
                        out[at] = 1;
                        out[at + 1..at + elem].copy_from_slice(&data[k * s..(k + 1) * s]);
                        k += 1;
                    }
                }
                Ok(ArrayBytes::Fixed(out))
            }
            (None, sparse) => {
                let (data, data_offsets): (&[u8], &[usize]) = match &sparse {
                    Some(ArrayBytes::Variable { bytes, offsets }) if offsets.len() == count + 1 => {
                        (bytes, offsets)
                    }
                    None => (&[], &[0]),
                    Some(_) => {
                        return Err(err(
                            "the present elements decoded to the wrong element count",
                        ))
                    }
                };
                zarrkit_core::array_bytes::VariableView::new(data, data_offsets)
                    .map_err(|e| err(format!("the present elements: {e}")))?;
                let total = data
                    .len()
                    .checked_add(n)
                    .ok_or_else(|| err("the chunk is too large"))?;
                let mut bytes = try_vec::<u8>(total, "the chunk")?;
                let mut offsets = try_vec::<usize>(n + 1, "the chunk's offsets")?;
                offsets.push(0);
                let mut k = 0usize;
                for &m in &mask {
                    if m != 0 {
                        bytes.push(1);
                        bytes.extend_from_slice(&data[data_offsets[k]..data_offsets[k + 1]]);
                        k += 1;
                    } else {
                        bytes.push(0);
                    }
                    offsets.push(bytes.len());
                }
                Ok(ArrayBytes::Variable { bytes, offsets })
            }
        }
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = std::iter::once(NAME)
        .chain(ALIASES.iter().copied())
        .find(|n| *n == metadata.name())
        .unwrap_or(NAME);
    let configuration: OptionalCodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    Ok(Codec::ArrayToBytes(Arc::new(OptionalCodec::with_name(
        name,
        configuration,
    )?)))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES)
}

#[cfg(test)]
mod tests;
