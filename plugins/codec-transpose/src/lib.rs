//! zarrkit plugin: the `transpose` array→array codec. `order` is a permutation of the
//! dimensions: encoded dimension `i` is decoded dimension `order[i]`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::config::CodecOptions;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::CodecPlugin;
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::subset::ArraySubset;

/// The configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransposeCodecConfiguration {
    /// The permutation.
    pub order: Vec<usize>,
}

/// The `transpose` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransposeCodec {
    order: Vec<usize>,
    inverse: Vec<usize>,
}

impl TransposeCodec {
    /// A codec for a permutation of `0..order.len()`.
    pub fn new(order: Vec<usize>) -> Result<Self, String> {
        let n = order.len();
        let mut inverse = vec![usize::MAX; n];
        for (i, &o) in order.iter().enumerate() {
            if o >= n || inverse[o] != usize::MAX {
                return Err(format!("order {order:?} is not a permutation of 0..{n}"));
            }
            inverse[o] = i;
        }
        Ok(Self { order, inverse })
    }

    fn check_rank(&self, decoded: &ChunkRepresentation) -> Result<(), CodecError> {
        if decoded.shape.len() != self.order.len() {
            return Err(CodecError::Unsupported {
                codec: "transpose".into(),
                message: format!(
                    "order {:?} has {} entries but the chunk has {} dimensions",
                    self.order,
                    self.order.len(),
                    decoded.shape.len()
                ),
            });
        }
        Ok(())
    }
}

/// Call `f` with the input element index of each output element, in output C order (an
/// odometer over the output shape with the input strides: no index table, so no memory
/// beyond the output itself).
fn for_each_source(out_shape: &[u64], strides: &[u64], mut f: impl FnMut(usize)) {
    if out_shape.contains(&0) {
        return;
    }
    let n = out_shape.len();
    let mut idx = vec![0u64; n];
    let mut off = 0u64;
    loop {
        f(off as usize);
        let mut d = n;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            off += strides[d];
            if idx[d] < out_shape[d] {
                break;
            }
            off -= strides[d] * idx[d];
            idx[d] = 0;
        }
    }
}

/// Permute an array: output dimension `i` is input dimension `perm[i]`.
/// Works for fixed-size (`elem` bytes) and variable-size elements.
pub fn permute(
    input: &ArrayBytes,
    shape: &[u64],
    perm: &[usize],
    elem: Option<usize>,
) -> Result<ArrayBytes, CodecError> {
    let n = shape.len();
    let num = shape
        .iter()
        .try_fold(1u64, |a, &b| a.checked_mul(b))
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| CodecError::new("transpose", format!("shape {shape:?} is too large")))?;
    let mut in_strides = vec![1u64; n];
    for i in (0..n.saturating_sub(1)).rev() {
        in_strides[i] = in_strides[i + 1] * shape[i + 1];
    }
    let out_shape: Vec<u64> = perm.iter().map(|&p| shape[p]).collect();
    let strides: Vec<u64> = perm.iter().map(|&p| in_strides[p]).collect();
    match (input, elem) {
        (ArrayBytes::Fixed(b), Some(e)) => {
            if num.checked_mul(e) != Some(b.len()) {
                return Err(CodecError::UnexpectedSize {
                    codec: "transpose".into(),
                    expected: (num as u64).saturating_mul(e as u64),
                    actual: b.len() as u64,
                });
            }
            let mut out = Vec::new();
            out.try_reserve_exact(b.len())
                .map_err(|_| CodecError::allocation("transpose", format!("{} bytes", b.len())))?;
            for_each_source(&out_shape, &strides, |s| {
                out.extend_from_slice(&b[s * e..s * e + e]);
            });
            Ok(ArrayBytes::Fixed(out))
        }
        (ArrayBytes::Variable { bytes, offsets }, None) => {
            // Well-formed offsets (one per element + 1, from 0 to the end, never decreasing)
            // keep every slice below in bounds.
            input
                .validate(num, None)
                .map_err(|e| CodecError::new("transpose", format!("variable-size input: {e}")))?;
            let mut ob = Vec::new();
            let mut oo = Vec::new();
            ob.try_reserve_exact(bytes.len())
                .and_then(|()| oo.try_reserve_exact(num + 1))
                .map_err(|_| {
                    CodecError::allocation("transpose", format!("{num} variable-size elements"))
                })?;
            oo.push(0);
            for_each_source(&out_shape, &strides, |s| {
                ob.extend_from_slice(&bytes[offsets[s]..offsets[s + 1]]);
                oo.push(ob.len());
            });
            Ok(ArrayBytes::Variable {
                bytes: ob,
                offsets: oo,
            })
        }
        _ => Err(CodecError::new(
            "transpose",
            "array bytes do not match the data type size",
        )),
    }
}

impl CodecTraits for TransposeCodec {
    fn name(&self) -> &str {
        "transpose"
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("order".into(), Value::from(self.order.clone()));
        Some(m)
    }
}

impl ArrayToArrayCodecTraits for TransposeCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        self.check_rank(decoded)?;
        let mut r = decoded.clone();
        r.shape = self.order.iter().map(|&o| decoded.shape[o]).collect();
        Ok(r)
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.check_rank(decoded)?;
        permute(&input, &decoded.shape, &self.order, decoded.element_size())
    }

    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let encoded = self.encoded_representation(decoded)?;
        permute(
            &input,
            &encoded.shape,
            &self.inverse,
            decoded.element_size(),
        )
    }

    /// Region-local: the decoded region `r` is the encoded region with its dimensions in
    /// `order`, and transposing that region alone gives `r`.
    fn encoded_region(
        &self,
        region: &ArraySubset,
        decoded: &ChunkRepresentation,
    ) -> Option<ArraySubset> {
        if region.dimensionality() != self.order.len() || self.check_rank(decoded).is_err() {
            return None;
        }
        let start = self.order.iter().map(|&o| region.start()[o]).collect();
        let shape = self.order.iter().map(|&o| region.shape()[o]).collect();
        ArraySubset::new(start, shape).ok()
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::Codec, metadata.name(), m);
    let c: TransposeCodecConfiguration = metadata.to_configuration().map_err(err)?;
    Ok(Codec::ArrayToArray(Arc::new(
        TransposeCodec::new(c.order).map_err(err)?,
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new("transpose", create)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use zarrkit_core::fill_value::FillValue;
    use zarrkit_dtype_numeric as _;

    #[test]
    fn exact_2d() -> Result<(), Box<dyn std::error::Error>> {
        // [[0,1,2],[3,4,5]] transposed is [[0,3],[1,4],[2,5]].
        let c = TransposeCodec::new(vec![1, 0])?;
        let d = zarrkit_core::registry::data_type_by_name("uint8")?;
        let r = ChunkRepresentation::new(vec![2, 3], d, FillValue::new(vec![0]));
        let e = c.encode(
            ArrayBytes::Fixed(vec![0, 1, 2, 3, 4, 5]),
            &r,
            &CodecOptions::default(),
        )?;
        assert_eq!(e, ArrayBytes::Fixed(vec![0, 3, 1, 4, 2, 5]));
        assert_eq!(
            c.decode(e, &r, &CodecOptions::default())?,
            ArrayBytes::Fixed(vec![0, 1, 2, 3, 4, 5])
        );
        Ok(())
    }

    #[test]
    fn bad_orders() {
        assert!(TransposeCodec::new(vec![0, 0]).is_err());
        assert!(TransposeCodec::new(vec![0, 2]).is_err());
    }

    fn perm_strategy() -> impl Strategy<Value = (Vec<u64>, Vec<usize>)> {
        prop::collection::vec(1u64..5, 0..5).prop_flat_map(|shape| {
            let n = shape.len();
            (Just(shape), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        })
    }

    #[test]
    fn variable_size_elements() -> Result<(), Box<dyn std::error::Error>> {
        // [["a","bb","ccc"],["","e","ff"]] transposed.
        let input = ArrayBytes::from_strs(&["a", "bb", "ccc", "", "e", "ff"]);
        let t = permute(&input, &[2, 3], &[1, 0], None)?;
        assert_eq!(t, ArrayBytes::from_strs(&["a", "", "bb", "e", "ccc", "ff"]));
        assert_eq!(permute(&t, &[3, 2], &[1, 0], None)?, input);
        // Malformed offsets are an error, not a panic.
        let bad = ArrayBytes::Variable {
            bytes: b"abc".to_vec(),
            offsets: vec![0, 5, 3],
        };
        assert!(permute(&bad, &[2], &[0], None).is_err());
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trip((shape, order) in perm_strategy()) {
            let c = TransposeCodec::new(order.clone()).map_err(TestCaseError::fail)?;
            let d = zarrkit_core::registry::data_type_by_name("uint16").map_err(|e| TestCaseError::fail(e.to_string()))?;
            let r = ChunkRepresentation::new(shape.clone(), d, FillValue::new(vec![0, 0]));
            let n: u64 = shape.iter().product();
            let data: Vec<u8> = (0..n * 2).map(|i| (i % 253) as u8).collect();
            let opts = CodecOptions::default();
            let e = c.encode(ArrayBytes::Fixed(data.clone()), &r, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
            // Element at decoded index idx lands at encoded index idx permuted.
            let er = c.encoded_representation(&r).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let eb = e.as_fixed().ok_or_else(|| TestCaseError::fail("fixed"))?.to_vec();
            for (lin, idx) in zarrkit_core::ArraySubset::new_with_shape(shape.clone()).indices().enumerate() {
                let eidx: Vec<u64> = order.iter().map(|&o| idx[o]).collect();
                let mut el = 0u64;
                for (s, i) in er.shape.iter().zip(&eidx) { el = el * s + i; }
                prop_assert_eq!(&eb[el as usize * 2..el as usize * 2 + 2], &data[lin * 2..lin * 2 + 2]);
            }
            let back = c.decode(e, &r, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, ArrayBytes::Fixed(data));
        }
    }
}
