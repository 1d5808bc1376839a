//! zarrkit plugin: bit packing, in the two forms found in the wild.
//!
//! 1. **`packbits`** (zarr-extensions): an array→bytes codec that stores each element in
//!    `k` bits. Configuration `{"padding_encoding": "none" | "first_byte" | "last_byte",
//!    "first_bit": N | null, "last_bit": N | null}`, all optional. Each component (two for
//!    complex types) keeps bits `first_bit..=last_bit` of its little-endian value
//!    (default: all `N` bits of the type; bool is 1 bit); elements are concatenated in C
//!    order into a bit sequence, least significant bit of each byte first, padded with 0
//!    bits to whole bytes, with an optional byte giving the number of padding bits at the
//!    start or end. Decoding shifts bits back to `first_bit` and sign-extends signed
//!    integers. Supported: every data type whose element kind is bool, an integer, a float
//!    or a complex number.
//! 2. **`numcodecs.packbits`** (and Zarr V2 / numcodecs id `packbits`): numcodecs'
//!    `PackBits` filter, an array→array codec from `bool` to a 1-d `uint8` array: first the
//!    number of padding bits, then `numpy.packbits` of the flattened booleans (most
//!    significant bit first). Configuration `{}`. Note that this is *not* the same bit
//!    order as `packbits` with `"padding_encoding": "first_byte"`.
//!
//! One registration (`packbits`, alias `numcodecs.packbits`, V2 id `packbits`); the name in
//! the metadata selects the form and is written back.
//!
//! Decoding requires the exact encoded length implied by the chunk shape (checked before
//! allocating) and a padding byte, when present, that matches it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    ArrayToArrayCodecTraits, ArrayToBytesCodecTraits, Bytes, BytesRepresentation,
    ChunkRepresentation, Codec, CodecTraits,
};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::fill_value::FillValue;
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the zarr-extensions codec.
pub const PACKBITS: &str = "packbits";
/// The V3 name of numcodecs' filter.
pub const NUMCODECS_PACKBITS: &str = "numcodecs.packbits";

/// How the number of padding bits is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaddingEncoding {
    /// Not stored.
    #[default]
    None,
    /// In a byte before the packed bits.
    FirstByte,
    /// In a byte after the packed bits.
    LastByte,
}

/// The configuration of the `packbits` codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackBitsCodecConfiguration {
    /// How the number of padding bits is stored (`none` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding_encoding: Option<PaddingEncoding>,
    /// The first bit of each component to store (0 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bit: Option<u32>,
    /// The last bit of each component to store (the top bit when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_bit: Option<u32>,
}

/// The `packbits` codec (zarr-extensions, array→bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackBitsCodec {
    configuration: PackBitsCodecConfiguration,
}

/// Bits per component, components per element, whether to sign-extend.
#[derive(Debug, Clone, Copy)]
struct Layout {
    component_bits: u32,
    component_bytes: usize,
    components: usize,
    signed: bool,
    first_bit: u32,
    bits: u32,
}

fn err(name: &str, message: impl std::fmt::Display) -> CodecError {
    CodecError::new(name, message)
}

fn read(c: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    if cfg!(target_endian = "little") {
        a[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(a)
    } else {
        a[8 - c.len()..].copy_from_slice(c);
        u64::from_be_bytes(a)
    }
}

fn write(c: &mut [u8], v: u64) {
    let n = c.len();
    if cfg!(target_endian = "little") {
        c.copy_from_slice(&v.to_le_bytes()[..n]);
    } else {
        c.copy_from_slice(&v.to_be_bytes()[8 - n..]);
    }
}

impl PackBitsCodec {
    /// A `packbits` codec; `last_bit` must not be less than `first_bit`.
    pub fn new(configuration: PackBitsCodecConfiguration) -> Result<Self, String> {
        if let (Some(f), Some(l)) = (configuration.first_bit, configuration.last_bit) {
            if l < f {
                return Err(format!("last_bit {l} is less than first_bit {f}"));
            }
        }
        Ok(Self { configuration })
    }

    fn padding(&self) -> PaddingEncoding {
        self.configuration.padding_encoding.unwrap_or_default()
    }

    fn layout(&self, decoded: &ChunkRepresentation) -> Result<Layout, CodecError> {
        use ElementKind::*;
        let unsupported = |message: String| CodecError::Unsupported {
            codec: PACKBITS.into(),
            message,
        };
        let kind = decoded.data_type.element_kind();
        let size = decoded.element_size().unwrap_or(0);
        let (component_bits, components, signed) = match kind {
            Some(Bool) => (1, 1, false),
            Some(Int8 | Int16 | Int32 | Int64) => (size as u32 * 8, 1, true),
            Some(UInt8 | UInt16 | UInt32 | UInt64 | Float16 | BFloat16 | Float32 | Float64) => {
                (size as u32 * 8, 1, false)
            }
            Some(Complex64 | Complex128) => (size as u32 * 4, 2, false),
            _ => {
                return Err(unsupported(format!(
                    "data type {} is not supported",
                    decoded.data_type.name()
                )))
            }
        };
        if size == 0 || size > 16 {
            return Err(unsupported("unexpected element size".into()));
        }
        let first_bit = self.configuration.first_bit.unwrap_or(0);
        let last_bit = self.configuration.last_bit.unwrap_or(component_bits - 1);
        if last_bit >= component_bits || first_bit > last_bit {
            return Err(unsupported(format!(
                "bits {first_bit}..={last_bit} do not fit the {component_bits}-bit components of {}",
                decoded.data_type.name()
            )));
        }
        Ok(Layout {
            component_bits,
            component_bytes: size / components,
            components,
            signed,
            first_bit,
            bits: last_bit - first_bit + 1,
        })
    }

    /// (packed bytes, padding bits) for `n` elements.
    fn packed_size(l: &Layout, n: usize) -> Result<(usize, u8), CodecError> {
        let bits = (n as u128) * (l.components as u128) * u128::from(l.bits);
        let bytes =
            usize::try_from(bits.div_ceil(8)).map_err(|_| err(PACKBITS, "chunk too large"))?;
        Ok((bytes, ((8 - bits % 8) % 8) as u8))
    }

    fn extra(&self) -> usize {
        usize::from(self.padding() != PaddingEncoding::None)
    }
}

impl CodecTraits for PackBitsCodec {
    fn name(&self) -> &str {
        PACKBITS
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        match zarrkit_core::serde_json::to_value(self.configuration) {
            Ok(Value::Object(m)) => Some(m),
            _ => Some(Map::new()),
        }
    }
}

impl ArrayToBytesCodecTraits for PackBitsCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        let l = self.layout(decoded)?;
        let (bytes, _) = Self::packed_size(&l, decoded.num_elements_usize()?)?;
        Ok(BytesRepresentation::Fixed((bytes + self.extra()) as u64))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let l = self.layout(decoded)?;
        let n = decoded.num_elements_usize()?;
        let b = input
            .into_fixed()
            .ok_or_else(|| err(PACKBITS, "expected fixed-size array bytes"))?;
        let size = l.component_bytes * l.components;
        if Some(b.len()) != n.checked_mul(size) {
            return Err(CodecError::UnexpectedSize {
                codec: PACKBITS.into(),
                expected: (n as u64).saturating_mul(size as u64),
                actual: b.len() as u64,
            });
        }
        let (bytes, padding) = Self::packed_size(&l, n)?;
        let mut packed = zarrkit_core::codec::zeroed_for(bytes, PACKBITS)?;
        let mut pos = 0usize;
        for c in b.chunks_exact(l.component_bytes) {
            let v = read(c) >> l.first_bit;
            for i in 0..l.bits {
                if (v >> i) & 1 == 1 {
                    packed[pos / 8] |= 1 << (pos % 8);
                }
                pos += 1;
            }
        }
        Ok(match self.padding() {
            PaddingEncoding::None => packed,
            PaddingEncoding::FirstByte => [&[padding][..], &packed].concat(),
            PaddingEncoding::LastByte => {
                packed.push(padding);
                packed
            }
        })
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let l = self.layout(decoded)?;
        let n = decoded.num_elements_usize()?;
        let (bytes, padding) = Self::packed_size(&l, n)?;
        let expected = bytes + self.extra();
        if input.len() != expected {
            return Err(CodecError::UnexpectedSize {
                codec: PACKBITS.into(),
                expected: expected as u64,
                actual: input.len() as u64,
            });
        }
        let packed = match self.padding() {
            PaddingEncoding::None => &input[..],
            PaddingEncoding::FirstByte => &input[1..],
            PaddingEncoding::LastByte => &input[..bytes],
        };
        let stored = match self.padding() {
            PaddingEncoding::None => padding,
            PaddingEncoding::FirstByte => input[0],
            PaddingEncoding::LastByte => input[bytes],
        };
        if stored != padding {
            return Err(err(
                PACKBITS,
                format!("the padding byte says {stored} bits, the chunk needs {padding}"),
            ));
        }
        let size = l.component_bytes * l.components;
        let len = n
            .checked_mul(size)
            .ok_or_else(|| err(PACKBITS, "chunk too large"))?;
        let mut out = zarrkit_core::codec::zeroed_for(len, PACKBITS)?;
        let mut pos = 0usize;
        for c in out.chunks_exact_mut(l.component_bytes) {
            let mut v = 0u64;
            for i in 0..l.bits {
                v |= u64::from((packed[pos / 8] >> (pos % 8)) & 1) << i;
                pos += 1;
            }
            v <<= l.first_bit;
            let top = l.first_bit + l.bits - 1;
            if l.signed && (v >> top) & 1 == 1 {
                for bit in top + 1..l.component_bits {
                    v |= 1 << bit;
                }
            }
            write(c, v);
        }
        Ok(ArrayBytes::Fixed(out))
    }
}

/// numcodecs' `PackBits` filter: `bool` → `uint8` (padding count, then MSB-first bits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumcodecsPackBitsCodec;

impl NumcodecsPackBitsCodec {
    /// The filter.
    pub fn new() -> Self {
        Self
    }

    fn check(decoded: &ChunkRepresentation) -> Result<usize, CodecError> {
        if decoded.data_type.element_kind() != Some(ElementKind::Bool) {
            return Err(CodecError::Unsupported {
                codec: NUMCODECS_PACKBITS.into(),
                message: format!("data type {} is not bool", decoded.data_type.name()),
            });
        }
        decoded.num_elements_usize()
    }
}

impl Default for NumcodecsPackBitsCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl CodecTraits for NumcodecsPackBitsCodec {
    fn name(&self) -> &str {
        NUMCODECS_PACKBITS
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(Map::new())
    }
}

impl ArrayToArrayCodecTraits for NumcodecsPackBitsCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        let n = Self::check(decoded)?;
        let uint8 = zarrkit_core::registry::data_type_by_name("uint8").map_err(|e| {
            CodecError::Unsupported {
                codec: NUMCODECS_PACKBITS.into(),
                message: format!("needs the uint8 data type: {e}"),
            }
        })?;
        Ok(ChunkRepresentation::new(
            vec![n.div_ceil(8) as u64 + 1],
            uint8,
            FillValue::new(vec![0]),
        ))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let n = Self::check(decoded)?;
        let b = input
            .into_fixed()
            .filter(|b| b.len() == n)
            .ok_or_else(|| err(NUMCODECS_PACKBITS, format!("expected {n} bool bytes")))?;
        let mut out = zarrkit_core::codec::zeroed_for(n.div_ceil(8) + 1, NUMCODECS_PACKBITS)?;
        out[0] = ((8 - n % 8) % 8) as u8;
        for (i, &v) in b.iter().enumerate() {
            if v != 0 {
                out[1 + i / 8] |= 0x80 >> (i % 8);
            }
        }
        Ok(ArrayBytes::Fixed(out))
    }

    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let n = Self::check(decoded)?;
        let b = input
            .into_fixed()
            .ok_or_else(|| err(NUMCODECS_PACKBITS, "expected fixed-size bytes"))?;
        if b.len() != n.div_ceil(8) + 1 {
            return Err(CodecError::UnexpectedSize {
                codec: NUMCODECS_PACKBITS.into(),
                expected: n.div_ceil(8) as u64 + 1,
                actual: b.len() as u64,
            });
        }
        let padding = ((8 - n % 8) % 8) as u8;
        if b[0] != padding {
            return Err(err(
                NUMCODECS_PACKBITS,
                format!(
                    "the padding byte says {} bits, the chunk needs {padding}",
                    b[0]
                ),
            ));
        }
        Ok(ArrayBytes::Fixed(
            (0..n).map(|i| (b[1 + i / 8] >> (7 - i % 8)) & 1).collect(),
        ))
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyConfiguration {}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct NumcodecsConfiguration {
    #[allow(dead_code)]
    id: String,
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let e = |m: String| PluginError::config(ExtensionKind::Codec, metadata.name(), m);
    if metadata.name() == NUMCODECS_PACKBITS {
        let _: EmptyConfiguration = metadata.to_configuration().map_err(e)?;
        return Ok(Codec::ArrayToArray(Arc::new(NumcodecsPackBitsCodec)));
    }
    let c: PackBitsCodecConfiguration = metadata.to_configuration().map_err(e)?;
    Ok(Codec::ArrayToBytes(Arc::new(
        PackBitsCodec::new(c).map_err(e)?,
    )))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let _: NumcodecsConfiguration =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, "packbits", e))?;
    Ok(Codec::ArrayToArray(Arc::new(NumcodecsPackBitsCodec)))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(PACKBITS, create).with_aliases(&[NUMCODECS_PACKBITS]).with_v2(&["packbits"], create_v2)
}

#[cfg(test)]
mod tests;
