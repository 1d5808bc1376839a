//! Exact numeric casts between the integer and binary floating-point types, with the five
//! rounding modes of the spec and its out-of-range rules.
//!
//! Every value of every supported type is held exactly: integers as `i128`, floats as the
//! `f64` they widen to without loss (float16, bfloat16 and float32 are subsets of float64).
//! Rounding to a float format works on the exact binary value `m * 2^e` (a `u128`
//! mantissa), so int64 → float32 and float64 → float16 round once, correctly, in every mode.

use half::{bf16, f16};

/// A supported element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A two's complement or unsigned integer of `bits` bits.
    Int {
        /// Width in bits (8, 16, 32, 64).
        bits: u32,
        /// Signed?
        signed: bool,
    },
    /// A binary floating-point format.
    Float(FloatFormat),
}

impl Kind {
    /// The element size in bytes.
    pub fn size(self) -> usize {
        match self {
            Kind::Int { bits, .. } => bits as usize / 8,
            Kind::Float(f) => f.bits as usize / 8,
        }
    }

    /// The smallest and largest value of an integer kind.
    pub fn int_range(self) -> Option<(i128, i128)> {
        match self {
            Kind::Int { bits, signed: true } => {
                let m = 1i128 << (bits - 1);
                Some((-m, m - 1))
            }
            Kind::Int {
                bits,
                signed: false,
            } => Some((0, (1i128 << bits) - 1)),
            Kind::Float(_) => None,
        }
    }
}

/// An IEEE 754 style binary format with infinities and NaN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloatFormat {
    /// Precision in bits, the implicit leading bit included.
    pub precision: u32,
    /// The exponent of the smallest normal number.
    pub emin: i32,
    /// The exponent of the largest finite number (also the exponent bias).
    pub emax: i32,
    /// Total width in bits.
    pub bits: u32,
}

/// float16.
pub const F16: FloatFormat = FloatFormat {
    precision: 11,
    emin: -14,
    emax: 15,
    bits: 16,
};
/// bfloat16.
pub const BF16: FloatFormat = FloatFormat {
    precision: 8,
    emin: -126,
    emax: 127,
    bits: 16,
};
/// float32.
pub const F32: FloatFormat = FloatFormat {
    precision: 24,
    emin: -126,
    emax: 127,
    bits: 32,
};
/// float64.
pub const F64: FloatFormat = FloatFormat {
    precision: 53,
    emin: -1022,
    emax: 1023,
    bits: 64,
};

impl FloatFormat {
    fn sign_bit(self) -> u64 {
        1u64 << (self.bits - 1)
    }
    fn exponent_mask(self) -> u64 {
        ((1u64 << (self.bits - self.precision)) - 1) << (self.precision - 1)
    }
    /// The bits of +infinity (or -infinity).
    pub fn infinity(self, negative: bool) -> u64 {
        self.exponent_mask() | if negative { self.sign_bit() } else { 0 }
    }
    /// The canonical quiet NaN with the given sign.
    pub fn nan(self, negative: bool) -> u64 {
        self.infinity(negative) | (1u64 << (self.precision - 2))
    }
    /// The bits of the largest finite value.
    pub fn max_finite(self, negative: bool) -> u64 {
        let mant = (1u64 << (self.precision - 1)) - 1;
        let exp = ((2 * self.emax) as u64) << (self.precision - 1);
        exp | mant | if negative { self.sign_bit() } else { 0 }
    }
}

/// The rounding mode (`rounding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// `nearest-even` (the default).
    NearestEven,
    /// `towards-zero`.
    TowardsZero,
    /// `towards-positive`.
    TowardsPositive,
    /// `towards-negative`.
    TowardsNegative,
    /// `nearest-away`.
    NearestAway,
}

impl Rounding {
    /// From the configuration string.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "nearest-even" => Self::NearestEven,
            "towards-zero" => Self::TowardsZero,
            "towards-positive" => Self::TowardsPositive,
            "towards-negative" => Self::TowardsNegative,
            "nearest-away" => Self::NearestAway,
            _ => return None,
        })
    }
}

/// What to do with values outside the target's range (`out_of_range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfRange {
    /// Absent (or the older draft's `"error"`): an error.
    Error,
    /// `clamp`.
    Clamp,
    /// `wrap` (integer targets only).
    Wrap,
}

/// A value of any supported type, exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An integer.
    Int(i128),
    /// A float (NaN, infinities and signed zero included).
    Float(f64),
}

impl Num {
    /// Numeric equality for `scalar_map` keys and the fill value round trip: integers and
    /// floats compare by value, every NaN equals every NaN (payloads do not count).
    pub fn same_value(self, other: Num) -> bool {
        match (self, other) {
            (Num::Float(a), Num::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Num::Int(a), Num::Int(b)) => a == b,
            (Num::Int(i), Num::Float(f)) | (Num::Float(f), Num::Int(i)) => {
                f.is_finite() && f.fract() == 0.0 && f.abs() < 1.8e38 && f as i128 == i
            }
        }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => write!(f, "{x:?}"),
        }
    }
}

/// Why a value could not be cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastError {
    /// Outside the target's range, and `out_of_range` is absent.
    OutOfRange,
    /// NaN into a type without NaN.
    NaN,
    /// An infinity into a type without infinities.
    Infinite,
    /// `wrap` into a float type (it is only defined for integer targets).
    WrapFloat,
}

impl std::fmt::Display for CastError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CastError::OutOfRange => "out of the target's range (no `out_of_range` configured)",
            CastError::NaN => "NaN has no value in an integer type (map it with `scalar_map`)",
            CastError::Infinite => {
                "an infinity has no value in an integer type (map it with `scalar_map`)"
            }
            CastError::WrapFloat => "out of range, and `wrap` is not defined for a float type",
        })
    }
}

/// The cast result: an integer value or float bits, ready to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// An integer within the target's range.
    Int(i128),
    /// The bits of a float of the target format.
    Bits(u64),
}

/// How a cast behaves (the configuration, and the older draft's rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The rounding mode.
    pub rounding: Rounding,
    /// The out-of-range rule.
    pub out_of_range: OutOfRange,
    /// The older `cast-value` draft: `rounding` applies only to integer targets (float
    /// targets round to nearest, ties to even), and `clamp` takes infinities into integer
    /// types to their bounds and float overflow to the largest finite value.
    pub legacy: bool,
}

/// Read one native-endian element.
pub fn read(kind: Kind, b: &[u8]) -> Num {
    fn a<const N: usize>(b: &[u8]) -> [u8; N] {
        let mut x = [0u8; N];
        let n = b.len().min(N);
        x[..n].copy_from_slice(&b[..n]);
        x
    }
    match kind {
        Kind::Int {
            bits: 8,
            signed: true,
        } => Num::Int(i8::from_ne_bytes(a(b)).into()),
        Kind::Int {
            bits: 16,
            signed: true,
        } => Num::Int(i16::from_ne_bytes(a(b)).into()),
        Kind::Int {
            bits: 32,
            signed: true,
        } => Num::Int(i32::from_ne_bytes(a(b)).into()),
        Kind::Int { signed: true, .. } => Num::Int(i64::from_ne_bytes(a(b)).into()),
        Kind::Int { bits: 8, .. } => Num::Int(u8::from_ne_bytes(a(b)).into()),
        Kind::Int { bits: 16, .. } => Num::Int(u16::from_ne_bytes(a(b)).into()),
        Kind::Int { bits: 32, .. } => Num::Int(u32::from_ne_bytes(a(b)).into()),
        Kind::Int { .. } => Num::Int(u64::from_ne_bytes(a(b)).into()),
        Kind::Float(f) if f == F16 => Num::Float(f16::from_ne_bytes(a(b)).to_f64()),
        Kind::Float(f) if f == BF16 => Num::Float(bf16::from_ne_bytes(a(b)).to_f64()),
        Kind::Float(f) if f == F32 => Num::Float(f32::from_ne_bytes(a(b)).into()),
        Kind::Float(_) => Num::Float(f64::from_ne_bytes(a(b))),
    }
}

/// Write one native-endian element (`out` must come from [`cast`] to `kind`).
pub fn write(kind: Kind, out: Out, b: &mut [u8]) {
    let v: i128 = match out {
        Out::Int(i) => i,
        Out::Bits(bits) => bits as i128,
    };
    match kind.size() {
        1 => b.copy_from_slice(&(v as u8).to_ne_bytes()),
        2 => b.copy_from_slice(&(v as u16).to_ne_bytes()),
        4 => b.copy_from_slice(&(v as u32).to_ne_bytes()),
        _ => b.copy_from_slice(&(v as u64).to_ne_bytes()),
    }
}

/// Round an exactly known float `x` to an integer-valued float.
fn round_to_integer(x: f64, r: Rounding) -> f64 {
    match r {
        Rounding::NearestEven => x.round_ties_even(),
        Rounding::TowardsZero => x.trunc(),
        Rounding::TowardsPositive => x.ceil(),
        Rounding::TowardsNegative => x.floor(),
        Rounding::NearestAway => x.round(),
    }
}

fn wrap(i: i128, bits: u32, signed: bool) -> i128 {
    let m = 1i128 << bits;
    let r = i.rem_euclid(m);
    if signed && r >= m / 2 {
        r - m
    } else {
        r
    }
}

fn to_int(
    v: Num,
    min: i128,
    max: i128,
    bits: u32,
    signed: bool,
    rules: Rules,
) -> Result<Out, CastError> {
    let i = match v {
        Num::Int(i) => i,
        Num::Float(x) if x.is_nan() => return Err(CastError::NaN),
        Num::Float(x) if x.is_infinite() => {
            return match (rules.legacy, rules.out_of_range) {
                (true, OutOfRange::Clamp) => Ok(Out::Int(if x > 0.0 { max } else { min })),
                _ => Err(CastError::Infinite),
            }
        }
        Num::Float(x) => {
            let r = round_to_integer(x, rules.rounding);
            if r.abs() >= 1.7e38 {
                // Beyond i128: a multiple of 2^75, so 0 modulo 2^bits (bits ≤ 64).
                return match rules.out_of_range {
                    OutOfRange::Error => Err(CastError::OutOfRange),
                    OutOfRange::Clamp => Ok(Out::Int(if r > 0.0 { max } else { min })),
                    OutOfRange::Wrap => Ok(Out::Int(0)),
                };
            }
            r as i128
        }
    };
    if (min..=max).contains(&i) {
        return Ok(Out::Int(i));
    }
    match rules.out_of_range {
        OutOfRange::Error => Err(CastError::OutOfRange),
        OutOfRange::Clamp => Ok(Out::Int(i.clamp(min, max))),
        OutOfRange::Wrap => Ok(Out::Int(wrap(i, bits, signed))),
    }
}

/// The outcome of rounding an exact binary value to a format.
enum Rounded {
    Bits(u64),
    Overflow,
}

/// Round `(-1)^negative * m * 2^exp` to `fmt` in mode `r` (an unbounded exponent above:
/// values beyond the largest finite one are `Overflow`; below, subnormals and zero).
fn round_binary(negative: bool, m: u128, exp: i32, fmt: FloatFormat, r: Rounding) -> Rounded {
    let sign = if negative { fmt.sign_bit() } else { 0 };
    if m == 0 {
        return Rounded::Bits(sign);
    }
    let p = fmt.precision as i32;
    let nbits = 128 - m.leading_zeros() as i32;
    let e = exp + nbits - 1;
    let mut q = (e - (p - 1)).max(fmt.emin - (p - 1));
    let shift = q - exp;
    let mut mm: u128 = if shift <= 0 {
        // Exact: m * 2^(exp - q) < 2^p.
        m << (-shift) as u32
    } else {
        let (quot, cmp_half, nonzero) = if shift >= 128 {
            let half_cmp = if shift == 128 {
                m.cmp(&(1u128 << 127))
            } else {
                std::cmp::Ordering::Less
            };
            (0u128, half_cmp, true)
        } else {
            let s = shift as u32;
            let rem = m & ((1u128 << s) - 1);
            (m >> s, rem.cmp(&(1u128 << (s - 1))), rem != 0)
        };
        use std::cmp::Ordering::*;
        let up = match r {
            Rounding::NearestEven => cmp_half == Greater || (cmp_half == Equal && quot & 1 == 1),
            Rounding::NearestAway => cmp_half != Less,
            Rounding::TowardsZero => false,
            Rounding::TowardsPositive => nonzero && !negative,
            Rounding::TowardsNegative => nonzero && negative,
        };
        quot + u128::from(up)
    };
    if mm == 1u128 << p {
        mm >>= 1;
        q += 1;
    }
    if mm == 0 {
        return Rounded::Bits(sign);
    }
    let nb = 128 - mm.leading_zeros() as i32;
    let e2 = q + nb - 1;
    if e2 > fmt.emax {
        return Rounded::Overflow;
    }
    let (bexp, mant) = if nb == p {
        ((e2 + fmt.emax) as u64, (mm - (1u128 << (p - 1))) as u64)
    } else {
        (0u64, mm as u64)
    };
    Rounded::Bits(sign | (bexp << (p - 1)) | mant)
}

/// The exact binary form of a finite non-zero f64: (negative, mantissa, exponent).
fn decompose(x: f64) -> (bool, u128, i32) {
    let bits = x.to_bits();
    let negative = bits >> 63 == 1;
    let bexp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    if bexp == 0 {
        (negative, u128::from(frac), -1074)
    } else {
        (negative, u128::from(frac | (1u64 << 52)), bexp - 1075)
    }
}

fn to_float(v: Num, fmt: FloatFormat, rules: Rules) -> Result<Out, CastError> {
    let rounding = if rules.legacy {
        Rounding::NearestEven
    } else {
        rules.rounding
    };
    let (negative, m, exp) = match v {
        Num::Float(x) if x.is_nan() => return Ok(Out::Bits(fmt.nan(x.is_sign_negative()))),
        Num::Float(x) if x.is_infinite() => return Ok(Out::Bits(fmt.infinity(x < 0.0))),
        Num::Float(x) if x == 0.0 => {
            return Ok(Out::Bits(if x.is_sign_negative() {
                fmt.sign_bit()
            } else {
                0
            }))
        }
        Num::Float(x) => decompose(x),
        Num::Int(i) => (i < 0, i.unsigned_abs(), 0),
    };
    match round_binary(negative, m, exp, fmt, rounding) {
        Rounded::Bits(b) => Ok(Out::Bits(b)),
        Rounded::Overflow => match (rules.out_of_range, rules.legacy) {
            (OutOfRange::Error, _) => Err(CastError::OutOfRange),
            (OutOfRange::Clamp, false) => Ok(Out::Bits(fmt.infinity(negative))),
            (OutOfRange::Clamp, true) => Ok(Out::Bits(fmt.max_finite(negative))),
            (OutOfRange::Wrap, _) => Err(CastError::WrapFloat),
        },
    }
}

/// Cast a value to `target` under `rules`.
pub fn cast(v: Num, target: Kind, rules: Rules) -> Result<Out, CastError> {
    match target {
        Kind::Int { bits, signed } => {
            let (min, max) = target.int_range().unwrap_or((0, 0));
            to_int(v, min, max, bits, signed, rules)
        }
        Kind::Float(fmt) => to_float(v, fmt, rules),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NE: Rules = Rules {
        rounding: Rounding::NearestEven,
        out_of_range: OutOfRange::Error,
        legacy: false,
    };

    fn f32_of(out: Result<Out, CastError>) -> f32 {
        match out {
            Ok(Out::Bits(b)) => f32::from_bits(b as u32),
            _ => f32::NAN,
        }
    }

    #[test]
    fn float_narrowing_matches_hardware_nearest_even() {
        for x in [
            0.1f64,
            -1.0 / 3.0,
            1e-40,
            1e-46,
            -1e-45,
            3.4028235e38,
            3.4028235677973362e38, // just below the overflow threshold: f32::MAX
            1.401298464324817e-45,
            7.006492321624085e-46, // half the smallest subnormal: ties to 0
            7.006492321624087e-46,
            f64::MIN_POSITIVE,
            123456789.123,
        ] {
            assert_eq!(
                f32_of(cast(Num::Float(x), Kind::Float(F32), NE)).to_bits(),
                (x as f32).to_bits(),
                "{x:e}"
            );
        }
        // Beyond the rounding threshold: out of range.
        assert_eq!(
            cast(Num::Float(3.402823669209385e38), Kind::Float(F32), NE),
            Err(CastError::OutOfRange)
        );
    }

    #[test]
    fn integer_to_float_every_mode() {
        let u = Num::Int(u64::MAX.into());
        let modes = [
            (Rounding::TowardsZero, 18446744073709549568.0),
            (Rounding::TowardsNegative, 18446744073709549568.0),
            (Rounding::NearestEven, 18446744073709551616.0),
            (Rounding::TowardsPositive, 18446744073709551616.0),
        ];
        for (r, want) in modes {
            let rules = Rules { rounding: r, ..NE };
            assert_eq!(
                cast(u, Kind::Float(F64), rules),
                Ok(Out::Bits(f64::to_bits(want))),
                "{r:?}"
            );
        }
        let p = Num::Int((1i128 << 53) + 1);
        for (r, want) in [
            (Rounding::TowardsPositive, 9007199254740994.0),
            (Rounding::NearestAway, 9007199254740994.0),
            (Rounding::NearestEven, 9007199254740992.0),
        ] {
            let rules = Rules { rounding: r, ..NE };
            assert_eq!(
                cast(p, Kind::Float(F64), rules),
                Ok(Out::Bits(f64::to_bits(want)))
            );
        }
    }

    #[test]
    fn float16_and_bfloat16_against_half() {
        for i in 0u32..200_000 {
            let x = f32::from_bits(i.wrapping_mul(2_654_435_761));
            if x.is_nan() {
                continue;
            }
            let want = f16::from_f32(x);
            match cast(
                Num::Float(x.into()),
                Kind::Float(F16),
                Rules {
                    out_of_range: OutOfRange::Clamp,
                    ..NE
                },
            ) {
                Ok(Out::Bits(b)) => assert_eq!(b as u16, want.to_bits(), "{x:e}"),
                other => panic!("{x:e}: {other:?}"),
            }
            let want = bf16::from_f32(x);
            match cast(
                Num::Float(x.into()),
                Kind::Float(BF16),
                Rules {
                    out_of_range: OutOfRange::Clamp,
                    ..NE
                },
            ) {
                Ok(Out::Bits(b)) => assert_eq!(b as u16, want.to_bits(), "{x:e}"),
                other => panic!("{x:e}: {other:?}"),
            }
        }
    }

    #[test]
    fn special_values() {
        assert_eq!(F16.nan(false), 0x7e00);
        assert_eq!(BF16.nan(false), 0x7fc0);
        assert_eq!(F32.nan(true), 0xffc0_0000);
        assert_eq!(F64.infinity(true), 0xfff0_0000_0000_0000);
        assert_eq!(F16.max_finite(false), 0x7bff);
        assert_eq!(F32.max_finite(true), u64::from(f32::MIN.to_bits()));
        assert_eq!(
            cast(Num::Float(-0.0), Kind::Float(F16), NE),
            Ok(Out::Bits(0x8000))
        );
        let i8k = Kind::Int {
            bits: 8,
            signed: true,
        };
        assert_eq!(cast(Num::Float(f64::NAN), i8k, NE), Err(CastError::NaN));
        assert_eq!(
            cast(Num::Float(f64::INFINITY), i8k, NE),
            Err(CastError::Infinite)
        );
        let legacy_clamp = Rules {
            out_of_range: OutOfRange::Clamp,
            legacy: true,
            ..NE
        };
        assert_eq!(
            cast(Num::Float(f64::INFINITY), i8k, legacy_clamp),
            Ok(Out::Int(127))
        );
        assert_eq!(
            cast(Num::Float(1e300), Kind::Float(F32), legacy_clamp),
            Ok(Out::Bits(F32.max_finite(false)))
        );
    }
}
