//! Separable kernel filters: `gaussian` and `gradient_magnitude` (computed in `f32`, as
//! zarrs_filter does), with a halo of the kernel's half size around every output chunk.
//!
//! Boundaries replicate the edge element ("nearest"): index `i` outside `[0, n)` reads
//! element `clamp(i, 0, n - 1)`. Each pass along a dimension mixes elements along that
//! dimension only, so a chunk read with a halo of the half size gives exactly the values of
//! a computation over the whole array.

use serde::{Deserialize, Serialize};
use zarrkit_core::Array;

use super::{check_rank, map_chunks, Context, DynStore, Filter};
use crate::exec::{extract, shape_usize, Halo};
use crate::numeric::{Buf, NumericType};
use crate::FilterError;

/// Visit every line along `dim` of a C-order buffer of `shape`: `f(offset of element 0,
/// stride, length)`.
pub fn for_lines(shape: &[usize], dim: usize, mut f: impl FnMut(usize, usize, usize)) {
    let n = shape.get(dim).copied().unwrap_or(1);
    let inner: usize = shape.iter().skip(dim + 1).product();
    let outer: usize = shape.iter().take(dim).product();
    for o in 0..outer {
        for i in 0..inner {
            f(o * n * inner + i, inner, n);
        }
    }
}

/// Correlate every line along `dim` with `kernel` (odd length, centred), edges replicated;
/// each output is `sum(kernel[t] * in[k + t - mid])` summed in `t` order in `f32`.
pub fn apply_1d_kernel(
    dim: usize,
    kernel: &[f32],
    shape: &[usize],
    input: &[f32],
    output: &mut [f32],
) {
    let mid = kernel.len() / 2;
    for_lines(shape, dim, |base, stride, n| {
        let last = n.saturating_sub(1);
        for k in 0..n {
            let sum: f32 = kernel
                .iter()
                .zip(k..k + kernel.len())
                .map(|(w, i)| {
                    let e = base + i.saturating_sub(mid).min(last) * stride;
                    input.get(e).copied().unwrap_or(0.0) * w
                })
                .sum();
            if let Some(o) = output.get_mut(base + k * stride) {
                *o = sum;
            }
        }
    });
}

/// `[1, 2, 1] / 4` along `dim` (edges replicated).
pub fn apply_1d_triangle(dim: usize, shape: &[usize], input: &[f32], output: &mut [f32]) {
    for_lines(shape, dim, |base, stride, n| {
        for k in 0..n {
            let prev = base + k.saturating_sub(1) * stride;
            let el = base + k * stride;
            let next = base + (k + 1).min(n - 1) * stride;
            let g = |i: usize| input.get(i).copied().unwrap_or(0.0);
            if let Some(o) = output.get_mut(el) {
                *o = g(prev) * 0.25 + g(el) * 0.5 + g(next) * 0.25;
            }
        }
    });
}

/// `([-1, 0, 1] / 2)` along `dim` (edges replicated).
pub fn apply_1d_difference(dim: usize, shape: &[usize], input: &[f32], output: &mut [f32]) {
    for_lines(shape, dim, |base, stride, n| {
        for k in 0..n {
            let prev = base + k.saturating_sub(1) * stride;
            let el = base + k * stride;
            let next = base + (k + 1).min(n - 1) * stride;
            let g = |i: usize| input.get(i).copied().unwrap_or(0.0);
            if let Some(o) = output.get_mut(el) {
                *o = 0.5 * (g(next) - g(prev));
            }
        }
    });
}

/// zarrs_filter's sampled Gaussian kernel: `exp(-n² / (2σ²)) / sqrt(2πσ²)` for
/// `n = -half..=half` in `f32`, **not** normalised to sum 1 (as zarrs_filter; a kernel whose
/// half size is small against σ loses mass). σ = 0 gives the identity kernel `[1]`.
pub fn gaussian_kernel(sigma: f32, half_size: u64) -> Vec<f32> {
    if sigma == 0.0 {
        return vec![1.0];
    }
    let t = sigma * sigma;
    let scale = 1.0 / (2.0 * std::f32::consts::PI * t).sqrt();
    let half: Vec<f32> = (0..=half_size)
        .map(|n| scale * (-((n * n) as f32 / (2.0 * t))).exp())
        .collect();
    half.iter()
        .rev()
        .chain(half.iter().skip(1))
        .copied()
        .collect()
}

/// A Gaussian blur: the separable kernel [`gaussian_kernel`] per dimension (σ and half
/// size per dimension), applied along dimension 0, 1, ... in `f32`, edges replicated; the
/// result is cast to the output type with `as`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gaussian {
    /// σ per dimension.
    pub sigma: Vec<f32>,
    /// The kernel half size per dimension (the kernel has `2 * half + 1` taps).
    pub kernel_half_size: Vec<u64>,
}

impl Gaussian {
    /// Blur a C-order buffer of `shape`.
    pub fn apply_f32(&self, input: Vec<f32>, shape: &[usize]) -> Vec<f32> {
        let kernels: Vec<Vec<f32>> = self
            .sigma
            .iter()
            .zip(&self.kernel_half_size)
            .map(|(s, h)| gaussian_kernel(*s, *h))
            .collect();
        let mut a = input;
        let mut b = vec![0.0f32; a.len()];
        for (dim, k) in kernels.iter().enumerate().take(shape.len()) {
            apply_1d_kernel(dim, k, shape, &a, &mut b);
            std::mem::swap(&mut a, &mut b);
        }
        a
    }
}

#[typetag::serde(name = "gaussian")]
impl Filter for Gaussian {
    fn name(&self) -> &'static str {
        "gaussian"
    }
    fn check(&self, shape: &[u64], _: NumericType, _: NumericType) -> Result<(), FilterError> {
        check_rank("gaussian sigma", &self.sigma, shape.len())?;
        check_rank(
            "gaussian kernel_half_size",
            &self.kernel_half_size,
            shape.len(),
        )?;
        if self.sigma.iter().any(|s| !s.is_finite() || *s < 0.0) {
            return Err(FilterError::InvalidParameter(format!(
                "gaussian sigma {:?} must be finite and not negative",
                self.sigma
            )));
        }
        if self.kernel_half_size.iter().any(|h| *h > 1 << 20) {
            return Err(FilterError::InvalidParameter(
                "gaussian kernel_half_size above 2^20".into(),
            ));
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
        map_chunks(
            input,
            output,
            ctx,
            |s| Ok(Halo::new(&shape, s, &self.kernel_half_size)?.outer),
            |b, in_sub, out_sub| {
                let halo = Halo::new(&shape, out_sub, &self.kernel_half_size)?;
                let sh = shape_usize(in_sub)?;
                let g = self.apply_f32(b.to_f32(), &sh);
                Ok(Buf::from_f32(out_ty, &extract(&g, &sh, &halo.inner)))
            },
        )
    }
}

/// The gradient magnitude: per dimension, the central difference `(next - prev) / 2` along
/// it and the `[1, 2, 1] / 4` smoothing along every other dimension (Sobel), in `f32`;
/// the output is `sqrt(sum of squares)`, cast to the output type with `as`. Halo 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradientMagnitude {}

impl GradientMagnitude {
    /// The gradient magnitude of a C-order buffer of `shape`.
    pub fn apply_f32(input: &[f32], shape: &[usize]) -> Vec<f32> {
        let rank = shape.len();
        let mut g = vec![0.0f32; input.len()];
        let mut a = vec![0.0f32; input.len()];
        let mut b = vec![0.0f32; input.len()];
        for axis in 0..rank {
            a.copy_from_slice(input);
            for i in 0..rank {
                if i == axis {
                    apply_1d_difference(i, shape, &a, &mut b);
                } else {
                    apply_1d_triangle(i, shape, &a, &mut b);
                }
                std::mem::swap(&mut a, &mut b);
            }
            for (g, s) in g.iter_mut().zip(&a) {
                *g += s * s;
            }
        }
        g.iter_mut().for_each(|x| *x = x.sqrt());
        g
    }
}

#[typetag::serde(name = "gradient_magnitude")]
impl Filter for GradientMagnitude {
    fn name(&self) -> &'static str {
        "gradient_magnitude"
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let out_ty = NumericType::of_checked(output.data_type())?;
        let shape = input.shape().to_vec();
        let one = vec![1u64; shape.len()];
        map_chunks(
            input,
            output,
            ctx,
            |s| Ok(Halo::new(&shape, s, &one)?.outer),
            |b, in_sub, out_sub| {
                let halo = Halo::new(&shape, out_sub, &one)?;
                let sh = shape_usize(in_sub)?;
                let g = Self::apply_f32(&b.to_f32(), &sh);
                Ok(Buf::from_f32(out_ty, &extract(&g, &sh, &halo.inner)))
            },
        )
    }
}
