//! NumPy dtype strings and NumPy's element casts and arithmetic, as numcodecs relies on
//! them. (The same file is in `codec-astype`, `codec-categorize`, `codec-fixedscaleoffset`
//! and `codec-quantize`: plugins do not depend on each other.)
//!
//! - **dtype strings**: `dtype.str` forms (`<f8`, `>i2`, `|u1`, `=u4`, `f8` without an order
//!   character), NumPy names (`float64`, `int16`, `bool`, ... as zarr-python 3 writes them)
//!   and a few aliases (`float`, `double`, `single`, `half`, `int`, `?`). Booleans, integers
//!   and float16/32/64 only.
//! - **casts** (`ndarray.astype`, NumPy's unsafe casting): integer → integer wraps modulo
//!   2ⁿ; float → float rounds to nearest even (overflow gives ±inf, NaN payloads are kept as
//!   NumPy keeps them); integer → float rounds to nearest even directly from the integer;
//!   anything → bool is `x != 0` (NaN is true); float → integer truncates toward zero.
//!   Float → integer for NaN, ±inf or values outside the target's range is undefined in C and
//!   in NumPy (x86-64 NumPy even gives different results for one value depending on its
//!   position in the array, SIMD or scalar loop). Here it is what NumPy's scalar loop gives
//!   on x86-64 (`cvttsd2si`), the same on every platform: to `int32`/`int64`, NaN and
//!   out-of-range values become the type's minimum; to `int8`/`uint8`/`int16`/`uint16` the
//!   value goes through `int32` that way and wraps (so 300.0 → `uint8` 44, 1e10 → 0); to
//!   `uint32` through `int64` and wraps; to `uint64`, values from 2⁶³ up go through
//!   `int64` after subtracting 2⁶³, all others through `int64` (NaN → 2⁶³, +inf → 0).
//! - **float16 arithmetic** as NumPy does it: each operation in float32, then rounded to
//!   float16 — which equals the correctly rounded float16 result, as does computing in float64
//!   and rounding once. float32 arithmetic likewise (float64 has more than 2·24+2 bits), so
//!   every operation here computes in `f64` and rounds to the type ([`round_float`]).

use zarrkit_core::element::ElementKind;

/// A byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Order {
    /// The machine's byte order.
    pub const NATIVE: Order = if cfg!(target_endian = "big") {
        Order::Big
    } else {
        Order::Little
    };

    /// The byte order of a V2 dtype's first character for elements of `size` bytes: `None`
    /// for one-byte elements (and object or `|` dtypes of one byte), `=` and `|` (and no
    /// order character) are the machine's order.
    pub fn of_char(c: Option<char>, size: usize) -> Option<Order> {
        if size <= 1 {
            return None;
        }
        Some(match c {
            Some('<') => Order::Little,
            Some('>') => Order::Big,
            _ => Order::NATIVE,
        })
    }
}

/// A parsed NumPy dtype string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NpType {
    /// The element kind.
    pub kind: ElementKind,
    /// The byte order the dtype names (`None` for one-byte types).
    pub order: Option<Order>,
}

/// The size in bytes of an element of a kind this module handles (0 for other kinds).
pub fn size_of(kind: ElementKind) -> usize {
    use ElementKind::*;
    match kind {
        Bool | Int8 | UInt8 => 1,
        Int16 | UInt16 | Float16 => 2,
        Int32 | UInt32 | Float32 => 4,
        Int64 | UInt64 | Float64 => 8,
        _ => 0,
    }
}

/// Whether the kind is a float kind.
pub fn is_float(kind: ElementKind) -> bool {
    matches!(
        kind,
        ElementKind::Float16 | ElementKind::Float32 | ElementKind::Float64
    )
}

/// Whether the kind is an integer kind.
pub fn is_int(kind: ElementKind) -> bool {
    use ElementKind::*;
    matches!(
        kind,
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64
    )
}

/// Parse a NumPy dtype string (see the module documentation).
pub fn parse_dtype(s: &str) -> Option<NpType> {
    use ElementKind::*;
    let named = match s {
        "bool" | "bool_" | "?" | "b1" => Some(Bool),
        "int8" | "byte" => Some(Int8),
        "int16" | "short" => Some(Int16),
        "int32" | "intc" => Some(Int32),
        "int64" | "int" | "int_" | "longlong" => Some(Int64),
        "uint8" | "ubyte" => Some(UInt8),
        "uint16" | "ushort" => Some(UInt16),
        "uint32" | "uintc" => Some(UInt32),
        "uint64" | "uint" | "ulonglong" => Some(UInt64),
        "float16" | "half" => Some(Float16),
        "float32" | "single" => Some(Float32),
        "float64" | "float" | "double" => Some(Float64),
        _ => None,
    };
    if let Some(kind) = named {
        return Some(NpType {
            kind,
            order: Order::of_char(None, size_of(kind)),
        });
    }
    let (order, body) = match s.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (Some(c), &s[1..]),
        _ => (None, s),
    };
    let kind = match body {
        "b1" => Bool,
        "i1" => Int8,
        "i2" => Int16,
        "i4" => Int32,
        "i8" => Int64,
        "u1" => UInt8,
        "u2" => UInt16,
        "u4" => UInt32,
        "u8" => UInt64,
        "f2" => Float16,
        "f4" => Float32,
        "f8" => Float64,
        _ => return None,
    };
    Some(NpType {
        kind,
        order: Order::of_char(order, size_of(kind)),
    })
}

/// The V2 dtype string zarrkit's numeric data types are looked up by (`|u1`, `<i2`, ...;
/// the byte order is the `bytes` codec's business, not the data type's).
pub fn lookup_str(kind: ElementKind) -> Option<&'static str> {
    use ElementKind::*;
    Some(match kind {
        Bool => "|b1",
        Int8 => "|i1",
        UInt8 => "|u1",
        Int16 => "<i2",
        UInt16 => "<u2",
        Int32 => "<i4",
        UInt32 => "<u4",
        Int64 => "<i8",
        UInt64 => "<u8",
        Float16 => "<f2",
        Float32 => "<f4",
        Float64 => "<f8",
        _ => return None,
    })
}

/// The data type of elements of `kind`, resolved through the registry by its V2 dtype (the
/// data type plugin must be linked), checked to report that kind.
pub fn data_type_of(kind: ElementKind) -> Result<zarrkit_core::DataType, String> {
    let s = lookup_str(kind).ok_or_else(|| format!("no data type for {kind:?}"))?;
    let dt = zarrkit_core::registry::data_type_from_v2(s)
        .map_err(|e| format!("needs the data type of NumPy dtype {s}: {e}"))?;
    if dt.element_kind() != Some(kind) {
        return Err(format!(
            "the data type registered for NumPy dtype {s} ({}) does not hold {kind:?} elements",
            dt.name()
        ));
    }
    Ok(dt)
}

/// A data type of `n` raw bytes without byte order (`|V<n>`, else `r<8n>`), for elements
/// that must keep their byte order through a `bytes` codec that has none.
pub fn raw_data_type(n: usize) -> Result<zarrkit_core::DataType, String> {
    let by_v2 = zarrkit_core::registry::data_type_from_v2(&format!("|V{n}"));
    let dt = match by_v2 {
        Ok(d) => d,
        Err(_) => {
            zarrkit_core::registry::data_type_by_name(&format!("r{}", n * 8)).map_err(|e| {
                format!(
                    "needs a raw data type of {n} bytes (|V{n} or r{}): {e}",
                    n * 8
                )
            })?
        }
    };
    if dt.size().fixed() != Some(n) || dt.endianness_unit().is_some_and(|u| u > 1) {
        return Err(format!(
            "the raw data type {} is not {n} bytes without byte order",
            dt.name()
        ));
    }
    Ok(dt)
}

/// An element value: an integer (booleans are 0 and 1) or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// An integer of any of the integer kinds.
    Int(i128),
    /// A float (exact for float16 and float32 values).
    Float(f64),
}

impl Val {
    /// The value as a float64, as NumPy converts it (integers rounded to nearest even).
    pub fn to_f64(self) -> f64 {
        match self {
            Val::Int(i) => i as f64,
            Val::Float(x) => x,
        }
    }
}

fn ne<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    a
}

/// Read one native-endian element of `kind` (`b` has its size).
pub fn read(kind: ElementKind, b: &[u8]) -> Val {
    use ElementKind::*;
    match kind {
        Bool => Val::Int(i128::from(b.first().copied().unwrap_or(0) != 0)),
        Int8 => Val::Int(i128::from(i8::from_ne_bytes(ne(b)))),
        UInt8 => Val::Int(i128::from(u8::from_ne_bytes(ne(b)))),
        Int16 => Val::Int(i128::from(i16::from_ne_bytes(ne(b)))),
        UInt16 => Val::Int(i128::from(u16::from_ne_bytes(ne(b)))),
        Int32 => Val::Int(i128::from(i32::from_ne_bytes(ne(b)))),
        UInt32 => Val::Int(i128::from(u32::from_ne_bytes(ne(b)))),
        Int64 => Val::Int(i128::from(i64::from_ne_bytes(ne(b)))),
        UInt64 => Val::Int(i128::from(u64::from_ne_bytes(ne(b)))),
        Float16 => Val::Float(f16_to_f64(u16::from_ne_bytes(ne(b)))),
        Float32 => Val::Float(f32_to_f64(f32::from_ne_bytes(ne(b)))),
        Float64 => Val::Float(f64::from_ne_bytes(ne(b))),
        _ => Val::Int(0),
    }
}

/// Write `v`, a value of NumPy type `from`, as one native-endian element of `kind` into
/// `out` (of its size), cast as NumPy's `astype` casts (see the module documentation).
/// NaN payloads: casts between float32 and float64 quiet a signalling NaN (NumPy uses the
/// hardware conversion), casts from and to float16 keep it (NumPy's software conversion).
pub fn write(kind: ElementKind, v: Val, from: ElementKind, out: &mut [u8]) {
    use ElementKind::*;
    fn put(out: &mut [u8], b: &[u8]) {
        for (d, s) in out.iter_mut().zip(b) {
            *d = *s;
        }
    }
    match kind {
        Bool => put(
            out,
            &[u8::from(match v {
                Val::Int(i) => i != 0,
                Val::Float(x) => x != 0.0,
            })],
        ),
        Float16 => {
            let x = match v {
                Val::Int(i) => i as f64,
                Val::Float(x) => x,
            };
            put(out, &f64_to_f16(x).to_ne_bytes());
        }
        Float32 => {
            let x = match v {
                Val::Int(i) => i as f32,
                Val::Float(x) if from == Float64 => quiet32(f64_to_f32(x)),
                Val::Float(x) => f64_to_f32(x),
            };
            put(out, &x.to_ne_bytes());
        }
        Float64 => {
            let x = match v {
                Val::Float(x) if from == Float32 => quiet64(x),
                v => v.to_f64(),
            };
            put(out, &x.to_ne_bytes());
        }
        _ => {
            let i = match v {
                Val::Int(i) => i,
                Val::Float(x) => float_to_int(kind, x),
            };
            match kind {
                Int8 => put(out, &(i as i8).to_ne_bytes()),
                UInt8 => put(out, &(i as u8).to_ne_bytes()),
                Int16 => put(out, &(i as i16).to_ne_bytes()),
                UInt16 => put(out, &(i as u16).to_ne_bytes()),
                Int32 => put(out, &(i as i32).to_ne_bytes()),
                UInt32 => put(out, &(i as u32).to_ne_bytes()),
                Int64 => put(out, &(i as i64).to_ne_bytes()),
                UInt64 => put(out, &(i as u64).to_ne_bytes()),
                _ => {}
            }
        }
    }
}

/// A float32 as a float64, exactly: a NaN keeps its payload in the top fraction bits, not
/// quieted (Rust's `f64::from` quiets a signalling NaN on x86-64).
pub fn f32_to_f64(f: f32) -> f64 {
    if f.is_nan() {
        let b = u64::from(f.to_bits());
        f64::from_bits(((b & 0x8000_0000) << 32) | 0x7ff0_0000_0000_0000 | ((b & 0x7f_ffff) << 29))
    } else {
        f64::from(f)
    }
}

/// A float64 rounded to float32 (to nearest even); a NaN keeps the top 23 bits of its
/// payload, not quieted (and stays a NaN).
pub fn f64_to_f32(x: f64) -> f32 {
    if x.is_nan() {
        let b = x.to_bits();
        let m = ((b >> 29) & 0x7f_ffff) as u32;
        let m = if m == 0 { 0x40_0000 } else { m };
        f32::from_bits((((b >> 32) as u32) & 0x8000_0000) | 0x7f80_0000 | m)
    } else {
        x as f32
    }
}

fn quiet32(x: f32) -> f32 {
    if x.is_nan() {
        f32::from_bits(x.to_bits() | 0x40_0000)
    } else {
        x
    }
}

fn quiet64(x: f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(x.to_bits() | 0x8_0000_0000_0000)
    } else {
        x
    }
}

/// `x` cast to int32 as x86-64's `cvttsd2si` does (NaN and out-of-range: `i32::MIN`).
fn cvt_i32(x: f64) -> i32 {
    if x.is_nan() || x >= 2_147_483_648.0 || x <= -2_147_483_649.0 {
        i32::MIN
    } else {
        x as i32
    }
}

/// `x` cast to int64 as x86-64's `cvttsd2si` does (NaN and out-of-range: `i64::MIN`).
fn cvt_i64(x: f64) -> i64 {
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// A float cast to an integer kind (the result is the integer's bits, to be truncated to
/// the kind's width by the caller); see the module documentation.
pub fn float_to_int(kind: ElementKind, x: f64) -> i128 {
    use ElementKind::*;
    match kind {
        Int8 | UInt8 | Int16 | UInt16 | Int32 => i128::from(cvt_i32(x)),
        Int64 | UInt32 => i128::from(cvt_i64(x)),
        UInt64 => {
            const TWO63: f64 = 9_223_372_036_854_775_808.0;
            if x >= TWO63 {
                i128::from((cvt_i64(x - TWO63) as u64) ^ (1u64 << 63))
            } else {
                i128::from(cvt_i64(x) as u64)
            }
        }
        _ => 0,
    }
}

/// Wrap an integer to the range of an integer kind (two's complement truncation).
pub fn wrap(kind: ElementKind, i: i128) -> i128 {
    use ElementKind::*;
    match kind {
        Int8 => i128::from(i as i8),
        UInt8 => i128::from(i as u8),
        Int16 => i128::from(i as i16),
        UInt16 => i128::from(i as u16),
        Int32 => i128::from(i as i32),
        UInt32 => i128::from(i as u32),
        Int64 => i128::from(i as i64),
        UInt64 => i128::from(i as u64),
        Bool => i128::from(i != 0),
        _ => i,
    }
}

/// Whether an integer lies in the range of an integer kind (NumPy 2 raises `OverflowError`
/// for a Python integer operand that does not).
pub fn fits(kind: ElementKind, i: i128) -> bool {
    wrap(kind, i) == i
}

/// A float64 rounded to the precision of a float kind (other kinds: unchanged).
pub fn round_float(kind: ElementKind, x: f64) -> f64 {
    match kind {
        ElementKind::Float16 => f16_to_f64(f64_to_f16(x)),
        ElementKind::Float32 => f32_to_f64(f64_to_f32(x)),
        _ => x,
    }
}

/// The float16 bits of a float64, rounded to nearest even as NumPy's
/// `npy_double_to_half` does (overflow gives ±inf; a NaN keeps its sign and the top 10 bits
/// of its payload, and stays a NaN).
pub fn f64_to_f16(x: f64) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 48) & 0x8000) as u16;
    let exp = ((b >> 52) & 0x7ff) as i32;
    let sig = b & ((1u64 << 52) - 1);
    if exp == 0x7ff {
        if sig == 0 {
            return sign | 0x7c00;
        }
        let r = 0x7c00 | (sig >> 42) as u16;
        return sign | if r == 0x7c00 { 0x7c01 } else { r };
    }
    if exp == 0 {
        // Zero or a float64 subnormal: far below float16's smallest subnormal.
        return sign;
    }
    let e = exp - 1023;
    if e >= 16 {
        return sign | 0x7c00;
    }
    let m = sig | (1u64 << 52);
    // Float16 normals keep 10 fraction bits; subnormals are multiples of 2^-24.
    let shift = if e >= -14 { 42 } else { 42 + (-14 - e) } as u32;
    if shift >= 64 {
        return sign;
    }
    let mut q = m >> shift;
    let rem = m & ((1u64 << shift) - 1);
    let half = 1u64 << (shift - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q += 1;
    }
    if e >= -14 {
        // A carry out of the fraction moves to the next exponent (to inf past 65504).
        sign | ((((e + 15) as u64) << 10) + q - 1024) as u16
    } else {
        sign | q as u16
    }
}

/// The float64 value of float16 bits (exact; NaN payloads kept in the top fraction bits).
pub fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = u64::from(h & 0x3ff);
    if exp == 0x1f {
        if frac == 0 {
            return sign * f64::INFINITY;
        }
        let bits = (u64::from(h & 0x8000) << 48) | 0x7ff0_0000_0000_0000 | (frac << 42);
        return f64::from_bits(bits);
    }
    if exp == 0 {
        return sign * (frac as f64) * 2f64.powi(-24);
    }
    sign * ((frac | 0x400) as f64) * 2f64.powi(exp - 25)
}

/// NumPy's `rint` (`np.around` with no decimals): round half to even; NaN and inf stay.
pub fn rint(x: f64) -> f64 {
    x.round_ties_even()
}

/// Reverse the bytes of every `unit`-byte element of `b` in place.
pub fn swap_units(b: &mut [u8], unit: usize) {
    if unit > 1 {
        b.chunks_exact_mut(unit).for_each(<[u8]>::reverse);
    }
}

/// How a codec created from a Zarr V2 (numcodecs) configuration lays out the bytes it hands
/// on. numcodecs filters pass raw bytes to each other: each views its input as its own
/// `dtype` (byte order included) and returns an array of its `astype`, whose bytes the next
/// codec or the store gets. zarrkit's V2 chain instead hands on native-endian values and ends
/// with a `bytes` codec of the array dtype's byte order, so a filter whose `dtype` byte order
/// differs from the array's reads its input byte-swapped (NumPy's `view`), and one whose
/// `astype` byte order differs hands on byte-swapped values, which the `bytes` codec then
/// stores in the `astype` order. An array without byte order (one-byte or object elements)
/// has a `bytes` codec without `endian`, so a multi-byte `astype` is handed on as raw bytes
/// already in its order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct V2Layout {
    /// The decoded elements are the byte-swapped values of the array's elements.
    pub swap_in: bool,
    /// The encoded elements are stored byte-swapped in memory.
    pub swap_out: bool,
    /// The encoded elements are raw bytes (a data type without byte order).
    pub raw_out: bool,
}

impl V2Layout {
    /// The layout for an array whose V2 dtype has byte order `array` (`None`: one-byte or
    /// object elements), a codec `dtype` of order `decoded` and an `astype` of order
    /// `encoded` (`None`: one-byte).
    pub fn new(array: Option<Order>, decoded: Option<Order>, encoded: Option<Order>) -> Self {
        let swap_in = matches!((array, decoded), (Some(a), Some(d)) if a != d);
        match (array, encoded) {
            (_, None) => Self {
                swap_in,
                ..Self::default()
            },
            (None, Some(e)) => Self {
                swap_in,
                swap_out: e != Order::NATIVE,
                raw_out: true,
            },
            (Some(a), Some(e)) => Self {
                swap_in,
                swap_out: a != e,
                raw_out: false,
            },
        }
    }

    /// Whether the layout is that of a V3 codec (native values in and out).
    pub fn is_plain(&self) -> bool {
        *self == Self::default()
    }
}

/// Map the elements of kind `from` in `input` (native-endian, or byte-swapped if
/// `swap_from`) through `f`, whose results are values of NumPy type `via`, cast to elements
/// of kind `to` (byte-swapped if `swap_to`), into a new fallibly allocated buffer.
#[allow(clippy::too_many_arguments)]
pub fn map_elements<E>(
    input: &[u8],
    from: ElementKind,
    swap_from: bool,
    via: ElementKind,
    to: ElementKind,
    swap_to: bool,
    codec: &str,
    mut f: impl FnMut(Val) -> Result<Val, E>,
) -> Result<Vec<u8>, E>
where
    E: From<zarrkit_core::CodecError>,
{
    let (fs, ts) = (size_of(from), size_of(to));
    if fs == 0 || ts == 0 {
        return Err(zarrkit_core::CodecError::Unsupported {
            codec: codec.into(),
            message: format!("cannot convert {from:?} to {to:?}"),
        }
        .into());
    }
    let n = input.len() / fs;
    let total = n.checked_mul(ts).ok_or_else(|| {
        zarrkit_core::CodecError::allocation(codec, format!("{n} elements of {ts} bytes"))
    })?;
    let mut out = zarrkit_core::codec::zeroed_for(total, codec)?;
    let mut tmp = [0u8; 8];
    for (i, o) in input.chunks_exact(fs).zip(out.chunks_exact_mut(ts)) {
        let t = &mut tmp[..fs];
        t.copy_from_slice(i);
        if swap_from {
            t.reverse();
        }
        write(to, f(read(from, t))?, via, o);
        if swap_to {
            o.reverse();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_strings() {
        use ElementKind::*;
        for (s, kind, order) in [
            ("<f8", Float64, Some(Order::Little)),
            (">i2", Int16, Some(Order::Big)),
            ("|u1", UInt8, None),
            ("u1", UInt8, None),
            ("|b1", Bool, None),
            ("float64", Float64, Some(Order::NATIVE)),
            ("=u4", UInt32, Some(Order::NATIVE)),
            ("f2", Float16, Some(Order::NATIVE)),
            ("int16", Int16, Some(Order::NATIVE)),
            ("bool", Bool, None),
        ] {
            assert_eq!(parse_dtype(s), Some(NpType { kind, order }), "{s}");
        }
        for s in ["", "<c8", "|O", "<U4", "x", "<i3", "i", ">f16"] {
            assert_eq!(parse_dtype(s), None, "{s}");
        }
    }

    #[test]
    fn half_conversions() {
        for (x, h) in [
            (0.0, 0x0000u16),
            (-0.0, 0x8000),
            (1.0, 0x3c00),
            (65504.0, 0x7bff),
            (65519.99, 0x7bff),
            (65520.0, 0x7c00),
            (1e10, 0x7c00),
            (f64::INFINITY, 0x7c00),
            (f64::NEG_INFINITY, 0xfc00),
            (2f64.powi(-24), 0x0001),
            (2f64.powi(-25), 0x0000),
            (2f64.powi(-25) * 1.000001, 0x0001),
            (3.0 * 2f64.powi(-25), 0x0002),
            (2f64.powi(-14), 0x0400),
            // Ties to even, and just above a tie (the sticky bits count).
            (1.0 + 2f64.powi(-11), 0x3c00),
            (1.0 + 3.0 * 2f64.powi(-11), 0x3c02),
            (1.0 + 2f64.powi(-11) + 2f64.powi(-40), 0x3c01),
        ] {
            assert_eq!(f64_to_f16(x), h, "{x}");
        }
        assert_eq!(f64_to_f16(f64::NAN), 0x7e00);
        for h in 0..=u16::MAX {
            let x = f16_to_f64(h);
            if x.is_nan() {
                assert_eq!(f64_to_f16(x), h, "{h:#x}");
            } else {
                assert_eq!(f64_to_f16(x), h, "{h:#x} {x}");
            }
        }
    }

    #[test]
    fn float_to_int_casts() {
        use ElementKind::*;
        let c = |k, x| wrap(k, float_to_int(k, x));
        assert_eq!(c(UInt8, 300.5), 44);
        assert_eq!(c(Int8, -129.9), 127);
        assert_eq!(c(UInt8, 1e10), 0);
        assert_eq!(c(Int32, f64::NAN), i128::from(i32::MIN));
        assert_eq!(c(Int64, 1e19), i128::from(i64::MIN));
        assert_eq!(c(UInt64, 1e19), 10_000_000_000_000_000_000);
        assert_eq!(c(UInt64, -1.0), i128::from(u64::MAX));
        assert_eq!(c(UInt64, f64::NAN), 1 << 63);
        assert_eq!(c(UInt64, f64::INFINITY), 0);
        assert_eq!(c(UInt32, -1.0), i128::from(u32::MAX));
        assert_eq!(c(Int16, -0.9), 0);
    }

    #[test]
    fn layouts() {
        use Order::*;
        let l = V2Layout::new(Some(Big), Some(Big), Some(Little));
        assert!(!l.swap_in && l.swap_out && !l.raw_out);
        let l = V2Layout::new(Some(Big), Some(Little), None);
        assert!(l.swap_in && !l.swap_out);
        let l = V2Layout::new(None, None, Some(Big));
        assert!(l.raw_out && l.swap_out == (Order::NATIVE != Big));
        assert!(V2Layout::new(Some(Little), Some(Little), Some(Little)).is_plain());
    }
}
