//! zarrkit plugin: the zarr-extensions `reshape` array→array codec.
//!
//! - V3 name `reshape` (no aliases, no Zarr V2 form), configuration `{"shape": [...]}`:
//!   one entry per dimension of the *encoded* array `B`, each
//!   - a positive integer: that size;
//!   - an array of input dimension indices `input_dims`: the product of those sizes of the
//!     decoded chunk `A` (an empty array is a dimension of size 1);
//!   - `-1`, at most once: the size that makes `prod(B_shape) == prod(A_shape)`.
//!
//!   The configuration is written back exactly as read.
//! - The element order never changes (`ravel(B) == ravel(A)`): encoding and decoding pass the
//!   chunk's bytes through unchanged (fixed- and variable-size data types alike), only the
//!   chunk shape the next codec sees changes. Data type and fill value are unchanged.
//!
//! Checks, as the spec requires: when the codec is created, at most one `-1`, no size 0 or
//! below -1, and the flattened `input_dims` of all entries strictly increasing (`[[1], [0]]`
//! and `[[1, 0], 10, [3, 4]]` are errors); when it is bound to a chunk shape (at open, per
//! chunk shape), every index below the chunk's rank, an exact `-1`, `prod(B) == prod(A)`,
//! and for each `input_dims` entry with `k > 0` indices at output position `i`
//! `prod(B[:i]) == prod(A[:input_dims[0]])` and `prod(B[i+1:]) == prod(A[input_dims[k-1]+1:])`.
//! The README writes the first of these as `prod(A_shape[input_dims[0]])`, a typo for the
//! slice `A_shape[:input_dims[0]]`: with the literal reading its own example
//! (`[[0, 1], [2], 3]` on chunks of `[100, 50, 64, 3]`) would be invalid.
//!
//! Deviation from zarrs: zarrs also rejects `[[0, 1], -1, [2], 3]` when parsing (its running
//! index counts `-1` as taking up an input dimension). The spec has no such rule; here that
//! shape is accepted and checked against the chunk shape like any other (it binds to chunks
//! whose last size is 3 — then `-1` is 1 — and fails on other chunks with an error naming the
//! constraint). zarrs does not check the prefix/suffix products at bind time; zarrkit does.
//!
//! Partial decoding: `reshape` is not region-local in general, so a read of part of a chunk
//! decodes the whole chunk below it (the default).

use std::sync::Arc;

use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::CodecPlugin;
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const NAME: &str = "reshape";

/// One entry of the `shape` configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReshapeDim {
    /// A fixed size (≥ 1).
    Size(u64),
    /// The product of the sizes of these input dimensions (strictly increasing).
    InputDims(Vec<usize>),
    /// `-1`: inferred.
    Auto,
}

impl ReshapeDim {
    fn to_json(&self) -> Value {
        match self {
            Self::Size(n) => Value::from(*n),
            Self::InputDims(d) => Value::Array(d.iter().map(|&i| Value::from(i)).collect()),
            Self::Auto => Value::from(-1),
        }
    }
}

/// The `reshape` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReshapeCodec {
    shape: Vec<ReshapeDim>,
}

fn parse_index(v: &Value, at: &str) -> Result<usize, String> {
    v.as_u64()
        .and_then(|u| usize::try_from(u).ok())
        .ok_or_else(|| {
            format!("{at}: an input dimension index must be a non-negative integer, got {v}")
        })
}

fn parse_dim(v: &Value, i: usize) -> Result<ReshapeDim, String> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                if u == 0 {
                    return Err(format!("shape[{i}]: a size must be at least 1, got 0"));
                }
                Ok(ReshapeDim::Size(u))
            } else if n.as_i64() == Some(-1) {
                Ok(ReshapeDim::Auto)
            } else {
                Err(format!(
                    "shape[{i}]: expected a positive integer, -1 or an array of input dimensions, got {n}"
                ))
            }
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(j, x)| parse_index(x, &format!("shape[{i}][{j}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(ReshapeDim::InputDims),
        other => Err(format!(
            "shape[{i}]: expected a positive integer, -1 or an array of input dimensions, got {other}"
        )),
    }
}

fn product(dims: &[u64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |a, &b| a.checked_mul(b))
}

impl ReshapeCodec {
    /// A codec for the given `shape` entries, checked as the spec requires (at most one
    /// `-1`, flattened input dimensions strictly increasing).
    pub fn new(shape: Vec<ReshapeDim>) -> Result<Self, String> {
        if shape.is_empty() {
            return Err("`shape` must have at least one entry".into());
        }
        let mut autos = 0;
        let mut next: Option<usize> = None;
        for (i, d) in shape.iter().enumerate() {
            match d {
                ReshapeDim::Size(0) => {
                    return Err(format!("shape[{i}]: a size must be at least 1, got 0"))
                }
                ReshapeDim::Size(_) => {}
                ReshapeDim::Auto => {
                    autos += 1;
                    if autos > 1 {
                        return Err(format!("shape[{i}]: -1 may occur at most once"));
                    }
                }
                ReshapeDim::InputDims(dims) => {
                    for &d in dims {
                        if next.is_some_and(|n| d < n) {
                            return Err(format!(
                                "shape[{i}]: input dimension {d} out of order: the input dimensions of all entries together must be strictly increasing (the codec never transposes; use `transpose` for that)"
                            ));
                        }
                        next = Some(d.checked_add(1).ok_or("input dimension index overflows")?);
                    }
                }
            }
        }
        Ok(Self { shape })
    }

    /// The `shape` entries.
    pub fn shape(&self) -> &[ReshapeDim] {
        &self.shape
    }

    /// The encoded shape for a decoded chunk shape, with every constraint of the spec
    /// checked.
    pub fn encoded_shape(&self, decoded: &[u64]) -> Result<Vec<u64>, String> {
        let too_large = || format!("the chunk shape {decoded:?} is too large");
        let total = product(decoded).ok_or_else(too_large)?;
        let mut out = Vec::with_capacity(self.shape.len());
        let mut auto = None;
        for (i, d) in self.shape.iter().enumerate() {
            out.push(match d {
                ReshapeDim::Size(n) => *n,
                ReshapeDim::Auto => {
                    auto = Some(i);
                    1
                }
                ReshapeDim::InputDims(dims) => {
                    let mut p = 1u64;
                    for &k in dims {
                        let s = decoded.get(k).ok_or_else(|| {
                            format!(
                                "shape[{i}] names input dimension {k}, but the chunk shape {decoded:?} has {} dimensions",
                                decoded.len()
                            )
                        })?;
                        p = p.checked_mul(*s).ok_or_else(too_large)?;
                    }
                    p
                }
            });
        }
        let known = product(&out).ok_or_else(too_large)?;
        if let Some(i) = auto {
            if known == 0 || total % known != 0 {
                return Err(format!(
                    "shape[{i}] is -1, but no size makes the {} elements of chunk shape {decoded:?} fit the other sizes (product {known})",
                    total
                ));
            }
            out[i] = total / known;
        } else if known != total {
            return Err(format!(
                "the reshaped chunk would have {known} elements ({out:?}), but chunk shape {decoded:?} has {total}"
            ));
        }
        if out.contains(&0) {
            return Err(format!(
                "the reshaped chunk shape {out:?} has a dimension of size 0"
            ));
        }
        for (i, d) in self.shape.iter().enumerate() {
            let ReshapeDim::InputDims(dims) = d else {
                continue;
            };
            let (Some(&first), Some(&last)) = (dims.first(), dims.last()) else {
                continue;
            };
            let b_before = product(&out[..i]).ok_or_else(too_large)?;
            let a_before = product(&decoded[..first]).ok_or_else(too_large)?;
            let b_after = product(&out[i + 1..]).ok_or_else(too_large)?;
            let a_after = product(&decoded[last + 1..]).ok_or_else(too_large)?;
            if b_before != a_before || b_after != a_after {
                return Err(format!(
                    "shape[{i}] = {dims:?} does not line up with the chunk: prod(B[:{i}]) = {b_before} must equal prod(A[:{first}]) = {a_before} and prod(B[{}:]) = {b_after} must equal prod(A[{}:]) = {a_after} (A = {decoded:?}, B = {out:?})",
                    i + 1,
                    last + 1
                ));
            }
        }
        Ok(out)
    }

    fn bind(&self, decoded: &ChunkRepresentation) -> Result<Vec<u64>, CodecError> {
        self.encoded_shape(&decoded.shape)
            .map_err(|message| CodecError::Unsupported {
                codec: NAME.into(),
                message,
            })
    }

    fn check_input(
        &self,
        input: &ArrayBytes,
        repr: &ChunkRepresentation,
    ) -> Result<(), CodecError> {
        let n = repr.num_elements_usize()?;
        input
            .validate(n, repr.element_size())
            .map_err(|e| CodecError::new(NAME, e))
    }
}

impl CodecTraits for ReshapeCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert(
            "shape".into(),
            Value::Array(self.shape.iter().map(ReshapeDim::to_json).collect()),
        );
        Some(m)
    }
}

impl ArrayToArrayCodecTraits for ReshapeCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        let shape = self.bind(decoded)?;
        Ok(ChunkRepresentation::new(
            shape,
            decoded.data_type.clone(),
            decoded.fill_value.clone(),
        ))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.bind(decoded)?;
        self.check_input(&input, decoded)?;
        Ok(input)
    }

    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.bind(decoded)?;
        self.check_input(&input, decoded)?;
        Ok(input)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::Codec, metadata.name(), m);
    let conf = metadata.configuration().cloned().unwrap_or_default();
    if let Some(k) = conf.keys().find(|k| k.as_str() != "shape") {
        return Err(err(format!(
            "unknown configuration member `{k}` (the spec makes metadata with other members invalid)"
        )));
    }
    let shape = match conf.get("shape") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| parse_dim(v, i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?,
        Some(other) => return Err(err(format!("`shape` must be an array, got {other}"))),
        None => return Err(err("missing `shape`".into())),
    };
    let codec = ReshapeCodec::new(shape).map_err(err)?;
    Ok(Codec::ArrayToArray(Arc::new(codec)))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create)
}

#[cfg(test)]
mod tests;
