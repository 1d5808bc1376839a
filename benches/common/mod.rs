//! Shared helpers of the micro-benchmarks: deterministic test data shaped like the
//! side-by-side harness's input (uint16, dark background ~100, smooth bright structures up
//! to ~3000, noise), and short criterion settings.

#![allow(dead_code)]

use std::time::Duration;

use criterion::Criterion;

/// Short runs: `cargo bench` should take minutes, not hours.
pub fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .without_plots()
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// A C-order uint16 volume of `shape` (little-endian bytes) that compresses like the
/// harness's input: zstd-3 about 2x.
pub fn volume(shape: [usize; 3]) -> Vec<u8> {
    let [nz, ny, nx] = shape;
    let tau = std::f32::consts::TAU;
    let mut rng = Rng::new(42);
    let mut out = Vec::with_capacity(nz * ny * nx * 2);
    for z in 0..nz {
        let zf = z as f32;
        for y in 0..ny {
            let yf = y as f32;
            for x in 0..nx {
                let xf = x as f32;
                let s = (tau * (xf / 157.0 + zf / 211.0)).sin()
                    * (tau * (yf / 131.0 - zf / 173.0)).cos()
                    + 0.5 * (tau * (xf / 41.0 + yf / 59.0 + zf / 47.0)).sin();
                // Noise ~ N(0, 3): the sum of 4 uniforms, scaled.
                let u: f32 = (0..4)
                    .map(|_| rng.below(1 << 16) as f32 / 65536.0)
                    .sum::<f32>()
                    - 2.0;
                let v = 100.0 + 3000.0 * (s - 0.5).max(0.0) + u * 5.2;
                out.extend_from_slice(&(v.round().clamp(0.0, 65535.0) as u16).to_le_bytes());
            }
        }
    }
    out
}
