//! Converting elements between data types (`reencode --data-type`), by `--cast-mode`.
//!
//! Supported: bool, int8–int64, uint8–uint64, float16, bfloat16, float32, float64 (by the
//! data types' element kinds, so any data type plugin reporting one of them takes part).
//! Every source value is first read exactly (integers as `i128`, floats as `f64`: float16,
//! bfloat16 and float32 widen exactly), then converted:
//!
//! | to \ mode | `as` (default, zarrs_reencode's rules) | `clamp` | `exact` |
//! |---|---|---|---|
//! | integer, from integer | low bits kept (wraps) | saturates | in range, else error |
//! | integer, from float | toward zero, saturating, NaN → 0 | nearest (ties even), saturating, NaN → error | integral and in range, else error |
//! | float | nearest (ties even), overflow → ±inf; from an integer to float16/bfloat16 through float32 (as the `half` crate) | as `as` | no rounding, else error (NaN stays NaN) |
//! | bool | non-zero (NaN too) → true | as `as` | only 0 and 1 |
//!
//! From bool: false → 0, true → 1.

use half::{bf16, f16};
use zarrkit::{DataType, ElementKind, FillValue};

use crate::cli::CastMode;
use crate::error::{fail, CliError};

/// A source value, read exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An integer (or bool).
    Int(i128),
    /// A float.
    Float(f64),
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
        }
    }
}

impl Num {
    /// As f64 (integers beyond 2^53 rounded).
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Int(i) => i as f64,
            Self::Float(x) => x,
        }
    }
}

/// A primitive element type (native-endian bytes in memory).
pub trait Prim: Copy + Send + Sync + 'static {
    /// The element size.
    const SIZE: usize;
    /// Read one element from exactly `SIZE` bytes.
    fn read(b: &[u8]) -> Self;
    /// Write one element into exactly `SIZE` bytes.
    fn write(self, b: &mut [u8]);
    /// The exact value.
    fn num(self) -> Num;
    /// Convert by the mode's rules (`None`: not possible in this mode).
    fn from_num(n: Num, mode: CastMode) -> Option<Self>;
}

/// A bool element (one byte).
#[derive(Debug, Clone, Copy)]
pub struct Bool(pub u8);

fn integral_i128(x: f64) -> Option<i128> {
    (x.is_finite() && x.fract() == 0.0 && x.abs() < 1.7e38).then_some(x as i128)
}

macro_rules! int_prim {
    ($($t:ty),*) => {$(
        impl Prim for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                <$t>::from_ne_bytes(a)
            }
            fn write(self, b: &mut [u8]) {
                b.copy_from_slice(&self.to_ne_bytes());
            }
            fn num(self) -> Num {
                Num::Int(self as i128)
            }
            fn from_num(n: Num, mode: CastMode) -> Option<Self> {
                let (lo, hi) = (<$t>::MIN as i128, <$t>::MAX as i128);
                match (n, mode) {
                    (Num::Int(i), CastMode::As) => Some(i as $t),
                    (Num::Int(i), CastMode::Clamp) => Some(i.clamp(lo, hi) as $t),
                    (Num::Int(i), CastMode::Exact) => (lo..=hi).contains(&i).then_some(i as $t),
                    (Num::Float(x), CastMode::As) => Some(x as $t),
                    (Num::Float(x), CastMode::Clamp) => {
                        (!x.is_nan()).then(|| x.round_ties_even() as $t)
                    }
                    (Num::Float(x), CastMode::Exact) => integral_i128(x)
                        .filter(|i| (lo..=hi).contains(i))
                        .map(|i| i as $t),
                }
            }
        }
    )*};
}
int_prim!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Prim for Bool {
    const SIZE: usize = 1;
    fn read(b: &[u8]) -> Self {
        Bool(b[0])
    }
    fn write(self, b: &mut [u8]) {
        b[0] = self.0;
    }
    fn num(self) -> Num {
        Num::Int(i128::from(self.0 != 0))
    }
    fn from_num(n: Num, mode: CastMode) -> Option<Self> {
        let v = match n {
            Num::Int(i) => {
                if mode == CastMode::Exact && !(0..=1).contains(&i) {
                    return None;
                }
                i != 0
            }
            Num::Float(x) => {
                if mode == CastMode::Exact && x != 0.0 && x != 1.0 {
                    return None;
                }
                x != 0.0
            }
        };
        Some(Bool(u8::from(v)))
    }
}

/// Whether a float result `back` (read back exactly) is the value `n` (NaN is NaN).
fn exact_float(n: Num, back: f64) -> bool {
    match n {
        Num::Int(i) => integral_i128(back) == Some(i),
        Num::Float(x) => back == x || (back.is_nan() && x.is_nan()),
    }
}

impl Prim for f64 {
    const SIZE: usize = 8;
    fn read(b: &[u8]) -> Self {
        f64::from_bits(u64::read(b))
    }
    fn write(self, b: &mut [u8]) {
        self.to_bits().write(b)
    }
    fn num(self) -> Num {
        Num::Float(self)
    }
    fn from_num(n: Num, mode: CastMode) -> Option<Self> {
        let v = n.as_f64();
        (mode != CastMode::Exact || exact_float(n, v)).then_some(v)
    }
}

impl Prim for f32 {
    const SIZE: usize = 4;
    fn read(b: &[u8]) -> Self {
        f32::from_bits(u32::read(b))
    }
    fn write(self, b: &mut [u8]) {
        self.to_bits().write(b)
    }
    fn num(self) -> Num {
        Num::Float(f64::from(self))
    }
    fn from_num(n: Num, mode: CastMode) -> Option<Self> {
        let v = match n {
            Num::Int(i) => i as f32,
            Num::Float(x) => x as f32,
        };
        (mode != CastMode::Exact || exact_float(n, f64::from(v))).then_some(v)
    }
}

macro_rules! half_prim {
    ($($t:ty),*) => {$(
        impl Prim for $t {
            const SIZE: usize = 2;
            fn read(b: &[u8]) -> Self {
                <$t>::from_bits(u16::read(b))
            }
            fn write(self, b: &mut [u8]) {
                self.to_bits().write(b)
            }
            fn num(self) -> Num {
                Num::Float(self.to_f64())
            }
            fn from_num(n: Num, mode: CastMode) -> Option<Self> {
                let v = match n {
                    // As the `half` crate's `as` conversions (zarrs): through float32.
                    Num::Int(i) => <$t>::from_f32(i as f32),
                    Num::Float(x) => <$t>::from_f64(x),
                };
                (mode != CastMode::Exact || exact_float(n, v.to_f64())).then_some(v)
            }
        }
    )*};
}
half_prim!(f16, bf16);

/// A value that could not be converted: its position in the block and its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CastFailure {
    /// The element's index in the block (C order).
    pub index: usize,
    /// The value.
    pub value: Num,
}

fn cast_typed<I: Prim, O: Prim>(input: &[u8], mode: CastMode) -> Result<Vec<u8>, CastFailure> {
    let n = input.len() / I::SIZE;
    let mut out = vec![0u8; n * O::SIZE];
    for (index, (i, o)) in input
        .chunks_exact(I::SIZE)
        .zip(out.chunks_exact_mut(O::SIZE))
        .enumerate()
    {
        let value = I::read(i).num();
        match O::from_num(value, mode) {
            Some(v) => v.write(o),
            None => return Err(CastFailure { index, value }),
        }
    }
    Ok(out)
}

/// Read every element of `input` exactly (for statistics): `f(index, value)`. `false` if
/// the kind is not numeric.
pub fn for_each_num(kind: ElementKind, input: &[u8], f: &mut dyn FnMut(usize, Num)) -> bool {
    fn go<I: Prim>(input: &[u8], f: &mut dyn FnMut(usize, Num)) {
        for (i, c) in input.chunks_exact(I::SIZE).enumerate() {
            f(i, I::read(c).num());
        }
    }
    macro_rules! by_kind {
        ($($k:ident => $t:ty),*) => {
            match kind {
                $(ElementKind::$k => go::<$t>(input, f),)*
                _ => return false,
            }
        };
    }
    by_kind!(Bool => Bool, Int8 => i8, Int16 => i16, Int32 => i32, Int64 => i64,
        UInt8 => u8, UInt16 => u16, UInt32 => u32, UInt64 => u64, Float16 => f16,
        BFloat16 => bf16, Float32 => f32, Float64 => f64);
    true
}

/// Whether an element kind can be cast (and has a numeric value for statistics).
pub fn is_numeric(kind: Option<ElementKind>) -> bool {
    use ElementKind::*;
    matches!(
        kind,
        Some(
            Bool | Int8
                | Int16
                | Int32
                | Int64
                | UInt8
                | UInt16
                | UInt32
                | UInt64
                | Float16
                | BFloat16
                | Float32
                | Float64
        )
    )
}

/// Converts element bytes from one data type to another.
#[derive(Debug, Clone)]
pub struct Caster {
    from: ElementKind,
    to: ElementKind,
    mode: CastMode,
    to_name: String,
}

impl Caster {
    /// A caster between two data types (an error names the types if one cannot be cast).
    pub fn new(from: &DataType, to: &DataType, mode: CastMode) -> Result<Self, CliError> {
        match (from.element_kind(), to.element_kind()) {
            (Some(a), Some(b)) if is_numeric(Some(a)) && is_numeric(Some(b)) => Ok(Self {
                from: a,
                to: b,
                mode,
                to_name: to.name(),
            }),
            _ => fail(format!(
                "cannot convert data type {} to {}: casting is supported between bool, \
                 int8-64, uint8-64, float16, bfloat16, float32 and float64",
                from.name(),
                to.name()
            )),
        }
    }

    /// The mode.
    pub fn mode(&self) -> CastMode {
        self.mode
    }

    /// The target data type's name.
    pub fn target(&self) -> &str {
        &self.to_name
    }

    /// Convert native-endian element bytes.
    pub fn cast(&self, input: &[u8]) -> Result<Vec<u8>, CastFailure> {
        fn second<I: Prim>(
            to: ElementKind,
            input: &[u8],
            mode: CastMode,
        ) -> Result<Vec<u8>, CastFailure> {
            macro_rules! by_kind {
                ($($k:ident => $t:ty),*) => {
                    match to {
                        $(ElementKind::$k => cast_typed::<I, $t>(input, mode),)*
                        _ => Ok(Vec::new()),
                    }
                };
            }
            by_kind!(Bool => Bool, Int8 => i8, Int16 => i16, Int32 => i32, Int64 => i64,
                UInt8 => u8, UInt16 => u16, UInt32 => u32, UInt64 => u64, Float16 => f16,
                BFloat16 => bf16, Float32 => f32, Float64 => f64)
        }
        macro_rules! by_kind {
            ($($k:ident => $t:ty),*) => {
                match self.from {
                    $(ElementKind::$k => second::<$t>(self.to, input, self.mode),)*
                    _ => Ok(Vec::new()),
                }
            };
        }
        by_kind!(Bool => Bool, Int8 => i8, Int16 => i16, Int32 => i32, Int64 => i64,
            UInt8 => u8, UInt16 => u16, UInt32 => u32, UInt64 => u64, Float16 => f16,
            BFloat16 => bf16, Float32 => f32, Float64 => f64)
    }

    /// Convert a fill value.
    pub fn cast_fill(&self, fill: &FillValue) -> Result<FillValue, CliError> {
        self.cast(fill.as_bytes()).map(FillValue::new).map_err(|f| {
            CliError::new(format!(
                "the fill value {} cannot be converted to {} with --cast-mode {:?} (give --fill-value)",
                f.value,
                self.to_name,
                self.mode
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zarrkit as _;

    fn caster(a: &str, b: &str, mode: CastMode) -> Caster {
        let a = zarrkit::registry::data_type_by_name(a).unwrap();
        let b = zarrkit::registry::data_type_by_name(b).unwrap();
        Caster::new(&a, &b, mode).unwrap()
    }

    fn bytes_i32(v: &[i32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    #[test]
    fn int_narrowing_by_mode() {
        let input = bytes_i32(&[1, 300, -5]);
        let wrap = caster("int32", "uint8", CastMode::As).cast(&input).unwrap();
        assert_eq!(wrap, vec![1, 300i32 as u8, (-5i32) as u8]);
        let clamp = caster("int32", "uint8", CastMode::Clamp)
            .cast(&input)
            .unwrap();
        assert_eq!(clamp, vec![1, 255, 0]);
        let e = caster("int32", "uint8", CastMode::Exact)
            .cast(&input)
            .unwrap_err();
        assert_eq!(
            e,
            CastFailure {
                index: 1,
                value: Num::Int(300)
            }
        );
    }

    #[test]
    fn float_to_int_by_mode() {
        let input: Vec<u8> = [2.5f32, -1.7, f32::NAN, 1e10]
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect();
        let r = |m| caster("float32", "int16", m).cast(&input);
        let as_: Vec<i16> = r(CastMode::As)
            .unwrap()
            .chunks_exact(2)
            .map(|c| i16::from_ne_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(as_, vec![2, -1, 0, i16::MAX]);
        let e = r(CastMode::Clamp).unwrap_err();
        assert_eq!(e.index, 2);
        assert!(r(CastMode::Exact).is_err());
        let ok: Vec<u8> = [3.0f32, -2.0]
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect();
        let c = caster("float32", "int16", CastMode::Clamp)
            .cast(&[2.5f32.to_ne_bytes(), 3.5f32.to_ne_bytes()].concat())
            .unwrap();
        assert_eq!(c, [2i16.to_ne_bytes(), 4i16.to_ne_bytes()].concat());
        assert!(caster("float32", "int16", CastMode::Exact)
            .cast(&ok)
            .is_ok());
    }

    #[test]
    fn exactness_of_floats() {
        // 2^24 + 1 is not a float32.
        let big = (16_777_217i64).to_ne_bytes().to_vec();
        assert!(caster("int64", "float32", CastMode::Exact)
            .cast(&big)
            .is_err());
        assert!(caster("int64", "float64", CastMode::Exact)
            .cast(&big)
            .is_ok());
        // i64::MAX rounds to 2^63 as a float: not exact, although it saturates back.
        let max = i64::MAX.to_ne_bytes().to_vec();
        assert!(caster("int64", "float64", CastMode::Exact)
            .cast(&max)
            .is_err());
        let nan = f64::NAN.to_ne_bytes().to_vec();
        assert!(caster("float64", "float32", CastMode::Exact)
            .cast(&nan)
            .is_ok());
        let third = (1.0f64 / 3.0).to_ne_bytes().to_vec();
        assert!(caster("float64", "float32", CastMode::Exact)
            .cast(&third)
            .is_err());
        assert!(caster("float64", "float16", CastMode::As)
            .cast(&third)
            .is_ok());
    }

    #[test]
    fn bools() {
        let input = bytes_i32(&[0, 2]);
        assert_eq!(
            caster("int32", "bool", CastMode::As).cast(&input).unwrap(),
            vec![0, 1]
        );
        assert!(caster("int32", "bool", CastMode::Exact)
            .cast(&input)
            .is_err());
        assert_eq!(
            caster("bool", "float32", CastMode::Exact)
                .cast(&[1])
                .unwrap(),
            1f32.to_ne_bytes().to_vec()
        );
    }

    #[test]
    fn strings_cannot_be_cast() {
        let s = zarrkit::registry::data_type_by_name("string").unwrap();
        let f = zarrkit::registry::data_type_by_name("float32").unwrap();
        assert!(Caster::new(&s, &f, CastMode::As).is_err());
    }
}
