//! `downsample`: block means (or modes) over `stride` blocks.

use std::collections::HashMap;
use std::hash::Hash;

use num_traits::AsPrimitive;
use serde::{Deserialize, Serialize};
use zarrkit_core::{Array, ArraySubset};

use super::{check_rank, map_chunks, Context, DynStore, Filter};
use crate::exec::{shape_usize, strides};
use crate::numeric::{Buf, NumericType, Prim};
use crate::FilterError;

/// Downsample by `stride` per dimension (zarrs_filter's semantics): the output extent is
/// `max(extent / stride, 1)` (floor: a last partial block is dropped), and each output
/// element summarises the input block starting at `index * stride` of
/// `min(stride, extent)` elements per dimension: the mean (summed in `f64` in C order,
/// divided by the count, cast to the output type with `as`, so integers truncate), or with
/// `discrete` the most frequent value (integer and bool inputs; a float input falls back to
/// the mean, as in zarrs_filter). Ties between modes go to the smallest value (zarrs_filter
/// picks an arbitrary one: its hash map's order).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Downsample {
    /// The stride per dimension.
    pub stride: Vec<u64>,
    /// Mode (majority) instead of mean.
    #[serde(default)]
    pub discrete: bool,
}

impl Downsample {
    /// The input region an output region reads.
    pub fn input_subset(
        &self,
        input_shape: &[u64],
        output: &ArraySubset,
    ) -> Result<ArraySubset, FilterError> {
        let start: Vec<u64> = output
            .start()
            .iter()
            .zip(&self.stride)
            .map(|(s, k)| s.saturating_mul(*k))
            .collect();
        let end: Vec<u64> = output
            .end_exc()
            .iter()
            .zip(&self.stride)
            .zip(input_shape)
            .map(|((e, k), n)| e.saturating_mul(*k).min(*n))
            .collect();
        Ok(ArraySubset::from_start_end(&start, &end)?)
    }

    /// The block extent per dimension for an input of `input_shape`.
    pub fn block(&self, input_shape: &[u64]) -> Vec<u64> {
        self.stride
            .iter()
            .zip(input_shape)
            .map(|(k, n)| (*k).min(*n))
            .collect()
    }
}

/// Visit the elements of every block of `block` in a C-order buffer of `shape`: calls
/// `f(output_index, element_index)` block by block (output in C order), elements of a block
/// in C order.
pub fn for_blocks(shape: &[usize], block: &[usize], mut f: impl FnMut(usize, usize)) {
    let rank = shape.len();
    let out_shape: Vec<usize> = shape
        .iter()
        .zip(block)
        .map(|(s, b)| if *b == 0 { 0 } else { s / b })
        .collect();
    let n_out: usize = out_shape.iter().product();
    let n_blk: usize = block.iter().product();
    if n_out == 0 || n_blk == 0 {
        return;
    }
    let st = strides(shape);
    let mut o = vec![0usize; rank];
    for oi in 0..n_out {
        // Unravel oi.
        let mut r = oi;
        for d in (0..rank).rev() {
            o[d] = r % out_shape[d];
            r /= out_shape[d];
        }
        let base: usize = (0..rank).map(|d| o[d] * block[d] * st[d]).sum();
        for bi in 0..n_blk {
            let mut r = bi;
            let mut off = base;
            for d in (0..rank).rev() {
                off += (r % block[d]) * st[d];
                r /= block[d];
            }
            f(oi, off);
        }
    }
}

pub fn block_mean(data: &[f64], shape: &[usize], block: &[usize]) -> Vec<f64> {
    let n_out: usize = shape
        .iter()
        .zip(block)
        .map(|(s, b)| if *b == 0 { 0 } else { s / b })
        .product();
    let count = block.iter().product::<usize>() as f64;
    let mut sums = vec![0.0f64; n_out];
    for_blocks(shape, block, |o, i| {
        if let (Some(s), Some(v)) = (sums.get_mut(o), data.get(i)) {
            *s += *v;
        }
    });
    sums.into_iter().map(|s| s / count).collect()
}

/// The most frequent value of each block (ties: the smallest value).
pub fn block_mode<T: Copy + Eq + Hash + Ord>(
    data: &[T],
    shape: &[usize],
    block: &[usize],
) -> Vec<T> {
    let n_out: usize = shape
        .iter()
        .zip(block)
        .map(|(s, b)| if *b == 0 { 0 } else { s / b })
        .product();
    let mut out: Vec<T> = Vec::with_capacity(n_out);
    let mut counts: HashMap<T, usize> = HashMap::new();
    let mut current = usize::MAX;
    let flush = |counts: &mut HashMap<T, usize>, out: &mut Vec<T>| {
        if let Some((v, _)) = counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        {
            out.push(*v);
        }
        counts.clear();
    };
    for_blocks(shape, block, |o, i| {
        if o != current {
            if current != usize::MAX {
                flush(&mut counts, &mut out);
            }
            current = o;
        }
        if let Some(v) = data.get(i) {
            *counts.entry(*v).or_insert(0) += 1;
        }
    });
    if current != usize::MAX {
        flush(&mut counts, &mut out);
    }
    out
}

fn mode_buf<T>(v: &[T], shape: &[usize], block: &[usize]) -> Vec<T>
where
    T: Prim + Eq + Hash + Ord + AsPrimitive<f64>,
{
    block_mode(v, shape, block)
}

/// The mode of each block as a buffer of the input's type, or `None` for a float type.
pub(crate) fn mode_of(b: &Buf, shape: &[usize], block: &[usize]) -> Option<Buf> {
    Some(match b {
        Buf::Bool(v) => Buf::Bool(mode_buf(v, shape, block)),
        Buf::Int8(v) => Buf::Int8(mode_buf(v, shape, block)),
        Buf::Int16(v) => Buf::Int16(mode_buf(v, shape, block)),
        Buf::Int32(v) => Buf::Int32(mode_buf(v, shape, block)),
        Buf::Int64(v) => Buf::Int64(mode_buf(v, shape, block)),
        Buf::UInt8(v) => Buf::UInt8(mode_buf(v, shape, block)),
        Buf::UInt16(v) => Buf::UInt16(mode_buf(v, shape, block)),
        Buf::UInt32(v) => Buf::UInt32(mode_buf(v, shape, block)),
        Buf::UInt64(v) => Buf::UInt64(mode_buf(v, shape, block)),
        _ => return None,
    })
}

#[typetag::serde(name = "downsample")]
impl Filter for Downsample {
    fn name(&self) -> &'static str {
        "downsample"
    }
    fn output_shape(&self, input_shape: &[u64]) -> Result<Vec<u64>, FilterError> {
        check_rank("downsample stride", &self.stride, input_shape.len())?;
        if self.stride.contains(&0) {
            return Err(FilterError::InvalidParameter(
                "downsample stride must be at least 1".into(),
            ));
        }
        Ok(input_shape
            .iter()
            .zip(&self.stride)
            .map(|(n, k)| (n / k).max(1))
            .collect())
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let out_ty = NumericType::of_checked(output.data_type())?;
        let block: Vec<usize> = self
            .block(input.shape())
            .iter()
            .map(|&b| b as usize)
            .collect();
        map_chunks(
            input,
            output,
            ctx,
            |s| self.input_subset(input.shape(), s),
            |b, in_sub, _| {
                let shape = shape_usize(in_sub)?;
                if self.discrete {
                    if let Some(m) = mode_of(&b, &shape, &block) {
                        return Ok(m.cast(out_ty));
                    }
                }
                Ok(Buf::from_f64(
                    out_ty,
                    &block_mean(&b.to_f64(), &shape, &block),
                ))
            },
        )
    }
}
