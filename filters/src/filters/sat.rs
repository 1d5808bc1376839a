//! `summed_area_table` (an integral image over the whole array, pass by pass along each
//! dimension) and `guided_filter` (zarrs_filter's self-guided filter from summed area
//! tables, halo twice the radius).

use serde::{Deserialize, Serialize};
use zarrkit_core::{Array, ArraySubset};

use super::{map_chunks, Context, DynStore, Filter};
use crate::exec::{extract, for_each_limited, num_chunks, shape_usize, unravel, Halo};
use crate::numeric::{Buf, NumericType, Prim};
use crate::FilterError;

/// The summed area table (integral image): every output element is the sum of the input
/// elements at indices `<=` its own in every dimension, accumulated in the **output** type
/// (integers wrap on overflow, floats round at each addition) pass by pass, last dimension
/// first. Each pass walks every line of chunks along its dimension in order, carrying the
/// running sums from chunk to chunk (lines in parallel), so memory is a chunk per line in
/// flight. The first pass reads the input (cast to the output type with `as`), later passes
/// read and rewrite the output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummedAreaTable {}

fn cumsum_lines<T: Prim>(v: &mut [T], shape: &[usize], dim: usize, carry: &mut [T]) {
    // `carry` holds one running sum per line (the chunk shape with `dim` removed, C order).
    let n = shape.get(dim).copied().unwrap_or(1);
    let inner: usize = shape.iter().skip(dim + 1).product();
    let outer: usize = shape.iter().take(dim).product();
    for o in 0..outer {
        for i in 0..inner {
            let line = o * inner + i;
            let Some(acc) = carry.get_mut(line) else {
                continue;
            };
            for k in 0..n {
                if let Some(x) = v.get_mut(o * n * inner + k * inner + i) {
                    *acc = acc.add(*x);
                    *x = *acc;
                }
            }
        }
    }
}

fn cumsum_buf(
    b: &mut Buf,
    shape: &[usize],
    dim: usize,
    carry: &mut Buf,
) -> Result<(), FilterError> {
    macro_rules! arms {
        ($($k:ident),*) => {
            match (b, carry) {
                $((Buf::$k(v), Buf::$k(c)) => cumsum_lines(v, shape, dim, c),)*
                _ => return Err(FilterError::Other("internal: carry of another type".into())),
            }
        };
    }
    arms!(
        Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float16, BFloat16, Float32,
        Float64
    );
    Ok(())
}

impl SummedAreaTable {
    fn pass(
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        dim: usize,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let in_ty = NumericType::of_checked(input.data_type())?;
        let out_ty = NumericType::of_checked(output.data_type())?;
        let rank = output.dimensionality();
        let (grid, _) = num_chunks(output)?;
        let mut lines_grid = grid.clone();
        lines_grid[dim] = 1;
        let n_lines = lines_grid
            .iter()
            .try_fold(1u64, |a, &g| a.checked_mul(g))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| FilterError::Other("too many chunks".into()))?;
        let copts = ctx.options.task_codec_options();
        let p = ctx.progress;
        let first_pass = dim + 1 == rank;
        for_each_limited(n_lines, ctx.options.chunk_limit(), |line| {
            let mut idx = unravel(line as u64, &lines_grid);
            let mut carry: Option<Buf> = None;
            for c in 0..grid[dim] {
                idx[dim] = c;
                let subset: ArraySubset = output.chunk_subset_bounded(&idx)?;
                if subset.is_empty() {
                    continue;
                }
                let n = subset.num_elements();
                let mut b = p.read(n, || -> Result<Buf, FilterError> {
                    if first_pass {
                        Ok(Buf::read(input, in_ty, &subset, &copts)?.cast(out_ty))
                    } else {
                        Buf::read(output, out_ty, &subset, &copts)
                    }
                })?;
                let shape = shape_usize(&subset)?;
                p.process(|| -> Result<(), FilterError> {
                    let lines: usize = shape
                        .iter()
                        .enumerate()
                        .filter(|(d, _)| *d != dim)
                        .map(|(_, s)| *s)
                        .product();
                    let carry = match &mut carry {
                        Some(c) => c,
                        None => carry.insert(Buf::zeros(out_ty, lines)?),
                    };
                    cumsum_buf(&mut b, &shape, dim, carry)
                })?;
                p.write(n, || b.write(output, &subset, &copts))?;
            }
            p.next();
            Ok(())
        })
    }
}

#[typetag::serde(name = "summed_area_table")]
impl Filter for SummedAreaTable {
    fn name(&self) -> &'static str {
        "summed_area_table"
    }
    fn num_steps(&self, output: &Array<DynStore>) -> Result<usize, FilterError> {
        let (grid, _) = num_chunks(output)?;
        let mut steps = 0usize;
        for d in 0..grid.len() {
            let lines: u64 = grid
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != d)
                .map(|(_, g)| *g)
                .product();
            steps = steps.saturating_add(lines as usize);
        }
        Ok(steps)
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        for dim in (0..output.dimensionality()).rev() {
            Self::pass(input, output, dim, ctx)?;
        }
        Ok(())
    }
}

/// A summed area table of an `f32` buffer in `f64`: last dimension first (each line summed
/// from its start), then the other dimensions from the last to the first.
pub fn summed_area_table_f64(input: &[f32], shape: &[usize]) -> Vec<f64> {
    let rank = shape.len();
    let mut sat: Vec<f64> = input.iter().map(|&v| v as f64).collect();
    if rank == 0 {
        return sat;
    }
    for dim in (0..rank).rev() {
        let n = shape[dim];
        let inner: usize = shape.iter().skip(dim + 1).product();
        let outer: usize = shape.iter().take(dim).product();
        for o in 0..outer {
            for i in 0..inner {
                let mut acc = 0.0f64;
                for k in 0..n {
                    if let Some(x) = sat.get_mut(o * n * inner + k * inner + i) {
                        acc += *x;
                        *x = acc;
                    }
                }
            }
        }
    }
    sat
}

/// The sum of the box `p0..=p1` from a summed area table (inclusion–exclusion over the
/// box's corners, in zarrs_filter's order), as `f32`.
pub fn sat_sum(sat: &[f64], strides: &[usize], p0: &[usize], p1: &[usize]) -> f32 {
    let d = p0.len();
    let mut sum = 0.0f64;
    'outer: for i in 0..(1usize << d) {
        let mut off = 0usize;
        let mut p_sum = 0usize;
        for j in 0..d {
            let p = (i >> (d - 1 - j)) & 1;
            let x = if p == 0 {
                if p0[j] == 0 {
                    continue 'outer;
                }
                p0[j] - 1
            } else {
                p1[j]
            };
            off += x * strides[j];
            p_sum += p;
        }
        let sign = if (d - p_sum).is_multiple_of(2) {
            1.0
        } else {
            -1.0
        };
        sum += sign * sat.get(off).copied().unwrap_or(0.0);
    }
    sum as f32
}

/// zarrs_filter's guided filter with the input as its own guide, in `f32` with `f64`
/// summed area tables over windows of `2 * radius + 1` (clipped at the array's edges):
/// `u = mean(v)`, `s = (v - u)²` (pointwise, as zarrs_filter computes it, not the window
/// variance), `a = s / (s + epsilon)`, `b = (1 - a) u`, output `v * mean(a) + mean(b)`, cast to
/// the output type with `as`. Every output chunk is computed from its input region with a
/// halo of `2 * radius`, which gives exactly the values of a whole-array computation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidedFilter {
    /// ε.
    pub epsilon: f32,
    /// The window radius.
    pub radius: u8,
}

impl GuidedFilter {
    fn window(&self, idx: &[usize], shape: &[usize], p0: &mut [usize], p1: &mut [usize]) {
        let r = self.radius as usize;
        for d in 0..idx.len() {
            let last = shape[d].saturating_sub(1);
            p0[d] = idx[d].saturating_sub(r).min(last);
            p1[d] = (idx[d] + r).min(last);
        }
    }

    fn window_means(&self, sat: &[f64], shape: &[usize], mut f: impl FnMut(usize, f32)) {
        let rank = shape.len();
        let st = crate::exec::strides(shape);
        let n: usize = shape.iter().product();
        let mut idx = vec![0usize; rank];
        let mut p0 = vec![0usize; rank];
        let mut p1 = vec![0usize; rank];
        for flat in 0..n {
            let mut r = flat;
            for d in (0..rank).rev() {
                idx[d] = r % shape[d];
                r /= shape[d];
            }
            self.window(&idx, shape, &mut p0, &mut p1);
            let count: usize = p0.iter().zip(&p1).map(|(a, b)| b - a + 1).product();
            let mean = sat_sum(sat, &st, &p0, &p1) / count as f32;
            f(flat, mean);
        }
    }

    /// The guided filter of a C-order buffer of `shape`.
    pub fn apply_f32(&self, v: Vec<f32>, shape: &[usize]) -> Vec<f32> {
        if shape.is_empty() {
            return v;
        }
        let sat = summed_area_table_f64(&v, shape);
        let mut u = vec![0.0f32; v.len()];
        self.window_means(&sat, shape, |i, m| u[i] = m);
        let mut s: Vec<f32> = v.iter().zip(&u).map(|(v, u)| (v - u).powf(2.0)).collect();
        for (u, s) in u.iter_mut().zip(s.iter_mut()) {
            let a = *s / (*s + self.epsilon);
            let b = (1.0 - a) * *u;
            *u = a;
            *s = b;
        }
        let (a, b) = (u, s);
        let mut v = v;
        let sat = summed_area_table_f64(&a, shape);
        self.window_means(&sat, shape, |i, m| v[i] *= m);
        let sat = summed_area_table_f64(&b, shape);
        self.window_means(&sat, shape, |i, m| v[i] += m);
        v
    }
}

#[typetag::serde(name = "guided_filter")]
impl Filter for GuidedFilter {
    fn name(&self) -> &'static str {
        "guided_filter"
    }
    fn check(&self, _: &[u64], _: NumericType, _: NumericType) -> Result<(), FilterError> {
        if !self.epsilon.is_finite() || self.epsilon < 0.0 {
            return Err(FilterError::InvalidParameter(format!(
                "guided_filter epsilon {} must be finite and not negative",
                self.epsilon
            )));
        }
        Ok(())
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let out_ty = NumericType::of_checked(output.data_type())?;
        let shape = input.shape().to_vec();
        let halo = vec![2 * self.radius as u64; shape.len()];
        map_chunks(
            input,
            output,
            ctx,
            |s| Ok(Halo::new(&shape, s, &halo)?.outer),
            |b, in_sub, out_sub| {
                let h = Halo::new(&shape, out_sub, &halo)?;
                let sh = shape_usize(in_sub)?;
                let g = self.apply_f32(b.to_f32(), &sh);
                Ok(Buf::from_f32(out_ty, &extract(&g, &sh, &h.inner)))
            },
        )
    }
}
