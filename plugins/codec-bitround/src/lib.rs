//! zarrkit plugin: the `bitround` array→array codec (lossy; zarr-extensions `bitround`).
//!
//! - V3 name `bitround` (alias `numcodecs.bitround`; the name read is written back),
//!   configuration `{"keepbits": N}` (N ≥ 1, as the spec requires).
//! - Zarr V2 / numcodecs id `bitround`: `{"id": "bitround", "keepbits": N}` (N ≥ 0, as
//!   numcodecs allows).
//!
//! Floating-point types (float16, bfloat16, float32, float64, and each component of
//! complex64/complex128) keep `keepbits` bits of the mantissa, rounding half to even
//! exactly as numcodecs' `BitRound` does (integer arithmetic on the bit pattern, wrapping);
//! `keepbits` larger than the mantissa opens and decodes (decoding is the identity) and is
//! an error when encoding, as in numcodecs. Integer types keep `keepbits`
//! bits from the most significant set bit of each value's bit pattern (rounded, saturating),
//! as zarrs does. Decoding is the identity.
//!
//! The codec asks the data type for its element kind (a capability), never for its name:
//! the mantissa width follows from the kind (10 for float16, 7 for bfloat16, 23 for float32,
//! 52 for float64).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::subset::ArraySubset;
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const NAME: &str = "bitround";
const ALIASES: &[&str] = &["numcodecs.bitround"];

/// The configuration of the `bitround` codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitroundCodecConfiguration {
    /// The number of bits to keep.
    pub keepbits: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BitroundCodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    keepbits: u32,
}

/// The `bitround` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitroundCodec {
    name: &'static str,
    keepbits: u32,
}

/// How a data type is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rounding {
    /// Floats: components of `size` bytes with `mantissa` mantissa bits.
    Float { size: usize, mantissa: u32 },
    /// Integers of `size` bytes, from the most significant set bit.
    Int { size: usize },
}

fn rounding(kind: Option<ElementKind>) -> Option<Rounding> {
    use ElementKind::*;
    Some(match kind? {
        Float16 => Rounding::Float {
            size: 2,
            mantissa: 10,
        },
        BFloat16 => Rounding::Float {
            size: 2,
            mantissa: 7,
        },
        Float32 | Complex64 => Rounding::Float {
            size: 4,
            mantissa: 23,
        },
        Float64 | Complex128 => Rounding::Float {
            size: 8,
            mantissa: 52,
        },
        Int8 | UInt8 => Rounding::Int { size: 1 },
        Int16 | UInt16 => Rounding::Int { size: 2 },
        Int32 | UInt32 => Rounding::Int { size: 4 },
        Int64 | UInt64 => Rounding::Int { size: 8 },
        _ => return None,
    })
}

/// Round the `maxbits` low bits of `v` to `keepbits`, half to even (numcodecs' formula).
/// `wrapping`: numcodecs' wrapping add (floats); otherwise saturating (integers).
fn round_u64(v: u64, keepbits: u32, maxbits: u32, width: u32, wrapping: bool) -> u64 {
    if keepbits >= maxbits {
        return v;
    }
    let maskbits = maxbits - keepbits;
    let all = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    let mask = (all >> maskbits) << maskbits;
    let half_quantum1 = (1u64 << (maskbits - 1)) - 1;
    let inc = ((v >> maskbits) & 1) + half_quantum1;
    let sum = if wrapping {
        v.wrapping_add(inc) & all
    } else {
        v.saturating_add(inc).min(all)
    };
    sum & mask
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

/// Round native-endian element bytes of the given kind in place.
fn round_bytes(bytes: &mut [u8], r: Rounding, keepbits: u32) {
    match r {
        Rounding::Float { size, mantissa } => {
            for c in bytes.chunks_exact_mut(size) {
                let v = round_u64(read(c), keepbits, mantissa, size as u32 * 8, true);
                write(c, v);
            }
        }
        Rounding::Int { size } => {
            let width = size as u32 * 8;
            for c in bytes.chunks_exact_mut(size) {
                let v = read(c);
                let maxbits = 64 - v.leading_zeros();
                write(c, round_u64(v, keepbits, maxbits, width, false));
            }
        }
    }
}

impl BitroundCodec {
    /// A bitround codec keeping `keepbits` bits (at least 1).
    pub fn new(keepbits: u32) -> Result<Self, String> {
        if keepbits == 0 {
            return Err("keepbits must be at least 1".into());
        }
        Ok(Self {
            name: NAME,
            keepbits,
        })
    }

    /// The number of bits kept.
    pub fn keepbits(&self) -> u32 {
        self.keepbits
    }

    /// The rounding for the data type; `keepbits` above a float's mantissa is an error only
    /// when `encoding` (decoding is the identity whatever it is, so such data reads, as
    /// numcodecs reads it).
    fn bind(&self, decoded: &ChunkRepresentation, encoding: bool) -> Result<Rounding, CodecError> {
        let unsupported = |message: String| CodecError::Unsupported {
            codec: self.name.into(),
            message,
        };
        let r = rounding(decoded.data_type.element_kind()).ok_or_else(|| {
            unsupported(format!(
                "data type {} is neither an integer nor a floating-point type",
                decoded.data_type.name()
            ))
        })?;
        if let Rounding::Float { mantissa, .. } = r {
            if encoding && self.keepbits > mantissa {
                return Err(unsupported(format!(
                    "keepbits {} exceeds the {mantissa} mantissa bits of {}",
                    self.keepbits,
                    decoded.data_type.name()
                )));
            }
        }
        Ok(r)
    }
}

impl CodecTraits for BitroundCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("keepbits".into(), Value::from(self.keepbits));
        Some(m)
    }
}

impl ArrayToArrayCodecTraits for BitroundCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        self.bind(decoded, false)?;
        Ok(decoded.clone())
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let r = self.bind(decoded, true)?;
        let mut b = input
            .into_fixed()
            .ok_or_else(|| CodecError::new(self.name, "expected fixed-size array bytes"))?;
        let n = decoded.num_elements_usize()?;
        let size = decoded.element_size().unwrap_or(0);
        if Some(b.len()) != n.checked_mul(size) {
            return Err(CodecError::UnexpectedSize {
                codec: self.name.into(),
                expected: (n as u64).saturating_mul(size as u64),
                actual: b.len() as u64,
            });
        }
        round_bytes(&mut b, r, self.keepbits);
        Ok(ArrayBytes::Fixed(b))
    }

    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.bind(decoded, false)?;
        Ok(input)
    }

    /// Element-wise (decoding is the identity): any region decodes on its own.
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
    let c: BitroundCodecConfiguration = metadata.to_configuration().map_err(err)?;
    let mut codec = BitroundCodec::new(c.keepbits).map_err(err)?;
    codec.name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::ArrayToArray(Arc::new(codec)))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: BitroundCodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, "bitround", e))?;
    // numcodecs accepts keepbits 0.
    Ok(Codec::ArrayToArray(Arc::new(BitroundCodec {
        name: NAME,
        keepbits: c.keepbits,
    })))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["bitround"], create_v2)
}

#[cfg(test)]
mod tests;
