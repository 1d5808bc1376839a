//! zarrkit plugin: the numcodecs `delta` array→array filter.
//!
//! - V3 name `numcodecs.delta` (the zarr-extensions name; `delta` is accepted as an alias
//!   and the name read is written back), configuration `{"dtype": "<i4", "astype": "<i4"}`
//!   (`astype` optional, defaulting to `dtype`).
//! - Zarr V2 / numcodecs id `delta`: `{"id": "delta", "dtype": ..., "astype": ...}`.
//!
//! As numcodecs encodes: over the chunk's elements in C order, the first element is stored
//! as is and every other element as its difference from the one before; decoding is the
//! running sum. Integer arithmetic wraps (as numpy's does); floats use IEEE arithmetic in
//! their own width. Booleans (`|b1`) store XOR differences, as numpy's `diff` computes
//! them, and decode by a running XOR — the inverse of that encode (numcodecs' own decode
//! is a running OR, which returns other values than were written once two `true`s occur).
//!
//! `dtype` is a numpy dtype string (`"<i4"`, `">f8"`, `"|u1"`, `"i2"`, `"int32"`, ...) and
//! must match the array's data type (checked through the data type's element kind, so any
//! data type plugin reporting an integer or float32/float64 kind works); its byte order is
//! the `bytes` codec's business, not this codec's.
//!
//! ## `astype`
//!
//! `astype` may name another integer or float type (not `bool`): the encoded
//! chunk then has that data type (the next codec sees it, as in zarr-python 3's
//! `resolve_metadata`). As numcodecs does it (`enc[1:] = np.diff(arr)` into an `astype`
//! array, `np.cumsum(enc, out=dec)`):
//! - **encode**: the differences are computed in `dtype` as above, then cast to `astype` with
//!   NumPy's unsafe cast (integers keep their low bits, floats round to nearest, a float
//!   becomes an integer by truncation toward zero; a float that is NaN, infinite or outside
//!   the range NumPy converts defined-ly is an error);
//! - **decode**: the running sum is accumulated in the type NumPy resolves `cumsum` with an
//!   output array to, `np.promote_types(dtype, astype)` (integers wrapping; `uint64` with a
//!   signed type, or a 32/64-bit integer with `float32`, accumulate in `float64`), and each
//!   partial sum is cast to `dtype` the same way.
//!
//! In Zarr V2 numcodecs hands the `astype` bytes on in `astype`'s own byte order; a codec
//! made from a V2 configuration whose multi-byte `astype` has another byte order than the
//! array's dtype (or an array without one, `|u1`) keeps those bytes as they are stored (raw
//! bytes in that order). V3 creation ignores byte order characters.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::{CodecOptions, FillValue};

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.delta";
const ALIASES: &[&str] = &["delta"];

/// The configuration of the `delta` codec (Zarr V3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaCodecConfiguration {
    /// The data type of the decoded elements (a numpy dtype string).
    pub dtype: String,
    /// The data type of the encoded differences (defaults to `dtype`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub astype: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaCodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    dtype: String,
    #[serde(default)]
    astype: Option<String>,
}

/// The `delta` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaCodec {
    name: &'static str,
    configuration: DeltaCodecConfiguration,
    kind: ElementKind,
    /// The element kind of `astype` (equal to `kind` without a cast).
    akind: ElementKind,
    /// V2: the encoded elements are held in the other byte order than the native one as
    /// stored (see the crate documentation); `raw_out`: as raw bytes of a data type without
    /// byte order.
    swap_out: bool,
    raw_out: bool,
}

fn size_of(kind: ElementKind) -> usize {
    use ElementKind::*;
    match kind {
        Bool | Int8 | UInt8 => 1,
        Int16 | UInt16 | Float16 => 2,
        Int32 | UInt32 | Float32 => 4,
        _ => 8,
    }
}

fn is_float(kind: ElementKind) -> bool {
    matches!(kind, ElementKind::Float32 | ElementKind::Float64)
}

fn is_signed(kind: ElementKind) -> bool {
    use ElementKind::*;
    matches!(kind, Int8 | Int16 | Int32 | Int64)
}

/// A value on its way between two element kinds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int(i128),
    Float(f64),
}

/// Read a native-endian element of `kind` (`b` holds exactly its bytes).
fn read(kind: ElementKind, b: &[u8]) -> Num {
    use ElementKind::*;
    let mut a = [0u8; 8];
    a[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
    let [a0, a1, a2, a3, ..] = a;
    match kind {
        Float32 => Num::Float(f64::from(f32::from_ne_bytes([a0, a1, a2, a3]))),
        Float64 => Num::Float(f64::from_ne_bytes(a)),
        Int8 => Num::Int(i128::from(a0 as i8)),
        UInt8 | Bool => Num::Int(i128::from(a0)),
        Int16 => Num::Int(i128::from(i16::from_ne_bytes([a0, a1]))),
        UInt16 => Num::Int(i128::from(u16::from_ne_bytes([a0, a1]))),
        Int32 => Num::Int(i128::from(i32::from_ne_bytes([a0, a1, a2, a3]))),
        UInt32 => Num::Int(i128::from(u32::from_ne_bytes([a0, a1, a2, a3]))),
        Int64 => Num::Int(i128::from(i64::from_ne_bytes(a))),
        _ => Num::Int(i128::from(u64::from_ne_bytes(a))),
    }
}

/// NumPy's `promote_types` of two integer or float kinds: the type `np.cumsum(enc,
/// out=dec)` accumulates in (NumPy resolves the `add` loop for the output's and the input's
/// types).
fn promote(a: ElementKind, b: ElementKind) -> ElementKind {
    use ElementKind::*;
    if a == b {
        return a;
    }
    let (sa, sb) = (size_of(a), size_of(b));
    match (is_float(a), is_float(b)) {
        (true, true) => Float64,
        (true, false) | (false, true) => {
            let (f, i) = if is_float(a) { (a, sb) } else { (b, sa) };
            if f == Float32 && i <= 2 {
                Float32
            } else {
                Float64
            }
        }
        (false, false) => {
            let int = |signed: bool, n: usize| match (signed, n) {
                (true, 1) => Int8,
                (true, 2) => Int16,
                (true, 4) => Int32,
                (true, _) => Int64,
                (false, 1) => UInt8,
                (false, 2) => UInt16,
                (false, 4) => UInt32,
                (false, _) => UInt64,
            };
            match (is_signed(a), is_signed(b)) {
                (x, y) if x == y => int(x, sa.max(sb)),
                _ => {
                    let (s, u) = if is_signed(a) { (sa, sb) } else { (sb, sa) };
                    if u < s {
                        int(true, s)
                    } else if u < 8 {
                        int(true, 2 * u)
                    } else {
                        Float64
                    }
                }
            }
        }
    }
}

/// Whether `v` (a float: truncated toward zero) is a value of the integer kind `kind`.
fn fits(kind: ElementKind, v: Num) -> bool {
    use ElementKind::*;
    let i = match v {
        Num::Int(i) => i,
        Num::Float(f) if f.is_finite() && f.trunc().abs() < 1.8e19 => f.trunc() as i128,
        Num::Float(_) => return false,
    };
    let (lo, hi): (i128, i128) = match kind {
        Int8 => (i8::MIN.into(), i8::MAX.into()),
        Int16 => (i16::MIN.into(), i16::MAX.into()),
        Int32 => (i32::MIN.into(), i32::MAX.into()),
        Int64 => (i64::MIN.into(), i64::MAX.into()),
        UInt8 | Bool => (0, u8::MAX.into()),
        UInt16 => (0, u16::MAX.into()),
        UInt32 => (0, u32::MAX.into()),
        _ => (0, u64::MAX.into()),
    };
    (lo..=hi).contains(&i)
}

/// NumPy's unsafe cast of `v` to an element of `kind`, written native-endian into `out`:
/// integers keep their low bits, floats round to nearest, floats become integers by
/// truncation toward zero. A float NumPy has no defined integer for (NaN, infinite, out of
/// `int64` range; for 8- and 16-bit targets out of `int32` range, as NumPy converts through
/// `int`) is an error.
fn write(kind: ElementKind, v: Num, out: &mut [u8]) -> Result<(), String> {
    use ElementKind::*;
    match kind {
        Float32 => {
            let x = match v {
                Num::Int(i) => i as f32,
                Num::Float(f) => f as f32,
            };
            out.copy_from_slice(&x.to_ne_bytes());
            return Ok(());
        }
        Float64 => {
            let x = match v {
                Num::Int(i) => i as f64,
                Num::Float(f) => f,
            };
            out.copy_from_slice(&x.to_ne_bytes());
            return Ok(());
        }
        _ => {}
    }
    let i = match v {
        Num::Int(i) => i,
        Num::Float(f) => {
            let t = f.trunc();
            let narrow = size_of(kind) < 4;
            let ok = if narrow {
                (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&t)
            } else {
                (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t)
            };
            if !ok {
                return Err(format!(
                    "{f} has no defined value as {kind:?} (NumPy's cast is undefined there)"
                ));
            }
            t as i128
        }
    };
    // Two's complement low bits.
    let bits = (i as u128).to_le_bytes();
    let n = size_of(kind);
    let mut le = [0u8; 8];
    le[..n].copy_from_slice(&bits[..n]);
    let u = u64::from_le_bytes(le);
    match n {
        1 => out[0] = u as u8,
        2 => out.copy_from_slice(&(u as u16).to_ne_bytes()),
        4 => out.copy_from_slice(&(u as u32).to_ne_bytes()),
        _ => out.copy_from_slice(&u.to_ne_bytes()),
    }
    Ok(())
}

/// The element kind of a numpy dtype string such as `<i4`, `|u1`, `f8` or `int16`.
pub fn parse_dtype(s: &str) -> Option<ElementKind> {
    use ElementKind::*;
    let named = match s {
        "int8" => Some(Int8),
        "int16" => Some(Int16),
        "int32" => Some(Int32),
        "int64" => Some(Int64),
        "uint8" => Some(UInt8),
        "uint16" => Some(UInt16),
        "uint32" => Some(UInt32),
        "uint64" => Some(UInt64),
        "float32" => Some(Float32),
        "float64" => Some(Float64),
        "bool" => Some(Bool),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let t = s.strip_prefix(['<', '>', '|', '=']).unwrap_or(s);
    match t {
        "i1" => Some(Int8),
        "i2" => Some(Int16),
        "i4" => Some(Int32),
        "i8" => Some(Int64),
        "u1" => Some(UInt8),
        "u2" => Some(UInt16),
        "u4" => Some(UInt32),
        "u8" => Some(UInt64),
        "f4" => Some(Float32),
        "f8" => Some(Float64),
        "b1" => Some(Bool),
        _ => None,
    }
}

impl DeltaCodec {
    /// A delta codec for elements of numpy dtype `dtype`, encoded as `astype` (which must be
    /// the same type; `None`: the same as `dtype`).
    pub fn new(dtype: &str, astype: Option<&str>) -> Result<Self, String> {
        let kind = parse_dtype(dtype).ok_or_else(|| {
            format!("unsupported dtype {dtype:?} (an integer, float32, float64 or bool is needed)")
        })?;
        let akind = match astype {
            None => kind,
            Some(a) => parse_dtype(a).ok_or_else(|| format!("unsupported astype {a:?}"))?,
        };
        if akind != kind && (kind == ElementKind::Bool || akind == ElementKind::Bool) {
            return Err(format!(
                "astype {:?} with dtype {dtype:?}: a bool delta has no cast",
                astype.unwrap_or_default()
            ));
        }
        Ok(Self {
            name: NAME,
            configuration: DeltaCodecConfiguration {
                dtype: dtype.to_string(),
                astype: astype.map(str::to_string),
            },
            kind,
            akind,
            swap_out: false,
            raw_out: false,
        })
    }

    /// A codec from a numcodecs configuration's `dtype` and `astype` for a Zarr V2 array
    /// whose dtype has the byte order character `array_byte_order` (`<`, `>`, `|`; `None`:
    /// unknown, taken to be `dtype`'s): a multi-byte `astype` of another byte order keeps
    /// its stored bytes (see the crate documentation).
    pub fn from_v2(
        dtype: &str,
        astype: Option<&str>,
        array_byte_order: Option<char>,
    ) -> Result<Self, String> {
        let mut c = Self::new(dtype, astype)?;
        let a = astype.unwrap_or(dtype);
        if c.akind != c.kind && size_of(c.akind) > 1 {
            let order = |s: &str| match s.chars().next() {
                Some('>') => Some('>'),
                Some('|') => None,
                _ if cfg!(target_endian = "big") && s.starts_with('=') => Some('>'),
                _ => Some('<'),
            };
            let array = match array_byte_order {
                Some('<') => Some('<'),
                Some('>') => Some('>'),
                Some(_) => None,
                None => order(dtype),
            };
            let native = if cfg!(target_endian = "big") {
                '>'
            } else {
                '<'
            };
            let stored = order(a).unwrap_or(native);
            match array {
                Some(o) => c.swap_out = o != stored,
                None => {
                    c.raw_out = true;
                    c.swap_out = stored != native;
                }
            }
        }
        Ok(c)
    }

    fn encoded_data_type(&self) -> Result<zarrkit_core::DataType, CodecError> {
        use ElementKind::*;
        let unsupported = |m: String| CodecError::Unsupported {
            codec: self.name.into(),
            message: m,
        };
        if self.raw_out {
            let n = size_of(self.akind);
            return zarrkit_core::registry::data_type_from_v2(&format!("|V{n}"))
                .or_else(|_| zarrkit_core::registry::data_type_by_name(&format!("r{}", n * 8)))
                .map_err(|e| unsupported(format!("needs a raw data type of {n} bytes: {e}")));
        }
        let name = match self.akind {
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            UInt8 => "uint8",
            UInt16 => "uint16",
            UInt32 => "uint32",
            UInt64 => "uint64",
            Float32 => "float32",
            Float64 => "float64",
            _ => "bool",
        };
        let dt = zarrkit_core::registry::data_type_by_name(name)
            .map_err(|e| unsupported(format!("astype needs the data type {name}: {e}")))?;
        if dt.element_kind() != Some(self.akind) {
            return Err(unsupported(format!(
                "the registered data type {name} does not hold {:?} elements",
                self.akind
            )));
        }
        Ok(dt)
    }

    /// Cast `n` native elements of `from` in `b` to `to` (byte-swapping the output if
    /// `swap_after`, the input if `swap_before`).
    fn cast(
        &self,
        b: &[u8],
        from: ElementKind,
        to: ElementKind,
        swap_before: bool,
        swap_after: bool,
    ) -> Result<Vec<u8>, CodecError> {
        let (fs, ts) = (size_of(from), size_of(to));
        let mut out = Vec::new();
        out.try_reserve_exact((b.len() / fs).saturating_mul(ts))
            .map_err(|e| CodecError::new(self.name, format!("cannot allocate: {e}")))?;
        let mut e = [0u8; 8];
        for (i, x) in b.chunks_exact(fs).enumerate() {
            let mut v = [0u8; 8];
            v[..fs].copy_from_slice(x);
            if swap_before {
                v[..fs].reverse();
            }
            let value = read(from, &v[..fs]);
            if i == 0 && !is_float(to) && !fits(to, value) {
                // numcodecs assigns the first element as a scalar (`enc[0] = arr[0]`), which
                // NumPy 2 refuses with an OverflowError when it does not fit.
                return Err(CodecError::new(
                    self.name,
                    format!("element 0 ({value:?}) does not fit astype {to:?}"),
                ));
            }
            write(to, value, &mut e[..ts])
                .map_err(|m| CodecError::new(self.name, format!("element {i}: {m}")))?;
            if swap_after {
                e[..ts].reverse();
            }
            out.extend_from_slice(&e[..ts]);
        }
        Ok(out)
    }

    /// Decode with a cast: NumPy's `np.cumsum(enc, out=dec)` (see the crate documentation).
    fn decode_cast(&self, enc: &[u8]) -> Result<Vec<u8>, CodecError> {
        let (ak, dk) = (self.akind, self.kind);
        let (asz, dsz) = (size_of(ak), size_of(dk));
        let acc = promote(dk, ak);
        let mut out = Vec::new();
        out.try_reserve_exact((enc.len() / asz).saturating_mul(dsz))
            .map_err(|e| CodecError::new(self.name, format!("cannot allocate: {e}")))?;
        let mut acc_i: u64 = 0;
        let mut acc_f32: f32 = 0.0;
        let mut acc_f64: f64 = 0.0;
        let mut e = [0u8; 8];
        for (i, x) in enc.chunks_exact(asz).enumerate() {
            let mut v = [0u8; 8];
            v[..asz].copy_from_slice(x);
            if self.swap_out {
                v[..asz].reverse();
            }
            let partial = match (acc, read(ak, &v[..asz])) {
                (ElementKind::Float32, x) => {
                    let f = match x {
                        Num::Int(i) => i as f32,
                        Num::Float(f) => f as f32,
                    };
                    acc_f32 = if i == 0 { f } else { acc_f32 + f };
                    Num::Float(f64::from(acc_f32))
                }
                (ElementKind::Float64, x) => {
                    let f = match x {
                        Num::Int(i) => i as f64,
                        Num::Float(f) => f,
                    };
                    acc_f64 = if i == 0 { f } else { acc_f64 + f };
                    Num::Float(acc_f64)
                }
                (_, x) => {
                    // An integer accumulator (then `dtype` is an integer type no wider than
                    // it): the low bits of a wrapping 64-bit sum are the same.
                    let d = match x {
                        Num::Int(d) => d,
                        Num::Float(f) => f as i128,
                    };
                    acc_i = acc_i.wrapping_add(d as u64);
                    Num::Int(i128::from(acc_i))
                }
            };
            write(dk, partial, &mut e[..dsz])
                .map_err(|m| CodecError::new(self.name, format!("element {i}: {m}")))?;
            out.extend_from_slice(&e[..dsz]);
        }
        Ok(out)
    }

    fn check(&self, decoded: &ChunkRepresentation) -> Result<(), CodecError> {
        if decoded.data_type.element_kind() != Some(self.kind) {
            return Err(CodecError::Unsupported {
                codec: self.name.into(),
                message: format!(
                    "dtype {:?} does not match the data type {}",
                    self.configuration.dtype,
                    decoded.data_type.name()
                ),
            });
        }
        Ok(())
    }

    fn run(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        encode: bool,
    ) -> Result<ArrayBytes, CodecError> {
        self.check(decoded)?;
        let b = input
            .into_fixed()
            .ok_or_else(|| CodecError::new(self.name, "expected fixed-size array bytes"))?;
        let n = decoded.num_elements_usize()?;
        let size = if encode || self.akind == self.kind {
            decoded.element_size().unwrap_or(0)
        } else {
            size_of(self.akind)
        };
        if Some(b.len()) != n.checked_mul(size) {
            return Err(CodecError::UnexpectedSize {
                codec: self.name.into(),
                expected: (n as u64).saturating_mul(size as u64),
                actual: b.len() as u64,
            });
        }
        if self.akind == self.kind {
            return self.run_same(b, encode).map(ArrayBytes::Fixed);
        }
        if encode {
            let diffs = self.run_same(b, true)?;
            return self
                .cast(&diffs, self.kind, self.akind, false, self.swap_out)
                .map(ArrayBytes::Fixed);
        }
        self.decode_cast(&b).map(ArrayBytes::Fixed)
    }

    /// Differences (`encode`) or running sums in `dtype` itself, in place.
    fn run_same(&self, mut b: Vec<u8>, encode: bool) -> Result<Vec<u8>, CodecError> {
        macro_rules! go {
            ($t:ty, $sub:ident, $add:ident) => {{
                const S: usize = std::mem::size_of::<$t>();
                let mut prev: Option<$t> = None;
                for c in b.chunks_exact_mut(S) {
                    let mut a = [0u8; S];
                    a.copy_from_slice(c);
                    let v = <$t>::from_ne_bytes(a);
                    let out = match prev {
                        None => v,
                        Some(p) => {
                            if encode {
                                $sub(v, p)
                            } else {
                                $add(v, p)
                            }
                        }
                    };
                    // Encoding differences against the original previous value, decoding
                    // sums onto the decoded previous value.
                    prev = Some(if encode { v } else { out });
                    c.copy_from_slice(&out.to_ne_bytes());
                }
            }};
        }
        macro_rules! int {
            ($t:ty) => {{
                fn sub(a: $t, b: $t) -> $t {
                    a.wrapping_sub(b)
                }
                fn add(a: $t, b: $t) -> $t {
                    a.wrapping_add(b)
                }
                go!($t, sub, add)
            }};
        }
        macro_rules! float {
            ($t:ty) => {{
                fn sub(a: $t, b: $t) -> $t {
                    a - b
                }
                fn add(a: $t, b: $t) -> $t {
                    a + b
                }
                go!($t, sub, add)
            }};
        }
        match self.kind {
            // numpy's `diff` of booleans is `not_equal`, so numcodecs stores XOR differences;
            // their inverse is a running XOR. (numcodecs' own decode, `cumsum` into a bool
            // array, is a running OR, which does not invert its encode: zarr-python reads
            // such data wrongly; this returns the data that was written.)
            ElementKind::Bool => {
                let mut prev = 0u8;
                for v in b.iter_mut() {
                    let x = u8::from(*v != 0);
                    let out = x ^ prev;
                    prev = if encode { x } else { out };
                    *v = out;
                }
            }
            ElementKind::Int8 => int!(i8),
            ElementKind::Int16 => int!(i16),
            ElementKind::Int32 => int!(i32),
            ElementKind::Int64 => int!(i64),
            ElementKind::UInt8 => int!(u8),
            ElementKind::UInt16 => int!(u16),
            ElementKind::UInt32 => int!(u32),
            ElementKind::UInt64 => int!(u64),
            ElementKind::Float32 => float!(f32),
            ElementKind::Float64 => float!(f64),
            _ => {
                return Err(CodecError::Unsupported {
                    codec: self.name.into(),
                    message: "unsupported element kind".into(),
                })
            }
        }
        Ok(b)
    }
}

impl CodecTraits for DeltaCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert(
            "dtype".into(),
            Value::from(self.configuration.dtype.clone()),
        );
        if let Some(a) = &self.configuration.astype {
            m.insert("astype".into(), Value::from(a.clone()));
        }
        Some(m)
    }
}

impl ArrayToArrayCodecTraits for DeltaCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        self.check(decoded)?;
        if self.akind == self.kind {
            return Ok(decoded.clone());
        }
        let size = size_of(self.akind);
        // The fill value as the encoded chunk of it would hold it (zeros if it has no value
        // in `astype`: encoding such a chunk is an error).
        let fill = self
            .cast(
                decoded.fill_value.as_bytes(),
                self.kind,
                self.akind,
                false,
                self.swap_out,
            )
            .ok()
            .filter(|f| f.len() == size)
            .unwrap_or_else(|| vec![0; size]);
        Ok(ChunkRepresentation::new(
            decoded.shape.clone(),
            self.encoded_data_type()?,
            FillValue::new(fill),
        ))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.run(input, decoded, true)
    }

    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.run(input, decoded, false)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::Codec, metadata.name(), m);
    let c: DeltaCodecConfiguration = metadata.to_configuration().map_err(err)?;
    let mut codec = DeltaCodec::new(&c.dtype, c.astype.as_deref()).map_err(err)?;
    codec.name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::ArrayToArray(Arc::new(codec)))
}

fn create_v2(config: &Map<String, Value>, context: &CodecV2Context) -> Result<Codec, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::Codec, "delta", m);
    let c: DeltaCodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| err(e.to_string()))?;
    Ok(Codec::ArrayToArray(Arc::new(
        DeltaCodec::from_v2(&c.dtype, c.astype.as_deref(), context.byte_order).map_err(err)?,
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["delta"], create_v2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_by_name};
    use zarrkit_dtype_numeric as _;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn opts() -> CodecOptions {
        CodecOptions::default()
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect()
    }

    fn repr(dt: &str, n: u64) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
        let d = data_type_by_name(dt)?;
        let size = d.size().fixed().ok_or("fixed")?;
        Ok(ChunkRepresentation::new(
            vec![n],
            d,
            FillValue::new(vec![0; size]),
        ))
    }

    /// `np.array([5, 7, -3, 2**31 - 1, -2**31, 0, 100, 99], "<i4")`.
    const I4_IN: &str = "0500000007000000fdffffffffffff7f00000080000000006400000063000000";

    /// numcodecs 0.16.6 `Delta("<i4").encode(I4_IN)` (wrapping differences).
    const I4: &str = "0500000002000000f6ffffff02000080010000000000008064000000ffffffff";

    /// `np.array([250, 3, 0, 255, 1], "u1")`.
    const U1_IN: &str = "fa0300ff01";

    /// numcodecs 0.16.6 `Delta("u1").encode(U1_IN)`.
    const U1: &str = "fa09fdff02";

    /// `np.array([1.5, 2.25, -1.0, 1e300, 0.0], "<f8")`.
    const F8_IN: &str =
        "000000000000f83f0000000000000240000000000000f0bf9c7500883ce4377e0000000000000000";

    /// numcodecs 0.16.6 `Delta("<f8").encode(F8_IN)`.
    const F8: &str =
        "000000000000f83f000000000000e83f0000000000000ac09c7500883ce4377e9c7500883ce437fe";

    /// Little-endian reference bytes as native-endian element bytes.
    fn le_to_ne(b: &[u8], size: usize) -> Vec<u8> {
        let mut v = b.to_vec();
        if cfg!(target_endian = "big") {
            v.chunks_exact_mut(size).for_each(|c| c.reverse());
        }
        v
    }

    #[test]
    fn matches_numcodecs_exactly() -> TestResult {
        for (dtype, dt, size, input, expected) in [
            ("<i4", "int32", 4, I4_IN, I4),
            ("u1", "uint8", 1, U1_IN, U1),
            ("<f8", "float64", 8, F8_IN, F8),
            // `np.array([1, 0, 0, 1, 1, 0], "|b1")`; numcodecs 0.16.6 encodes it to
            // [1, 1, 0, 1, 0, 1] (numpy's `diff` of booleans is XOR).
            ("|b1", "bool", 1, "010000010100", "010100010001"),
        ] {
            let c = DeltaCodec::new(dtype, Some(dtype))?;
            let input = le_to_ne(&hex(input), size);
            let expected = le_to_ne(&hex(expected), size);
            let r = repr(dt, (input.len() / size) as u64)?;
            let enc = c.encode(ArrayBytes::Fixed(input.clone()), &r, &opts())?;
            assert_eq!(enc, ArrayBytes::Fixed(expected.clone()), "{dtype}");
            assert_eq!(
                c.decode(ArrayBytes::Fixed(expected), &r, &opts())?,
                ArrayBytes::Fixed(input)
            );
        }
        Ok(())
    }

    /// numcodecs 0.15.1 (NumPy 2.4) `Delta(dtype, astype)`: input, `encode(input)`,
    /// `decode(encode(input))`, all little endian.
    const CASTS: &[(&str, &str, &str, &str, &str, &str)] = &[
        (
            "<i8",
            "int64",
            "<i2",
            // [1000, 1037, -40000, 70000, 5, 2**40, -1]: differences wrap in int16.
            "e8030000000000000d04000000000000c063ffffffffffff701101000000000005000000000000000000000000010000ffffffffffffffff",
            "e8032500b35fb0ad95eefbffffff",
            "e8030000000000000d04000000000000c063000000000000701100000000000005000000000000000000000000000000ffffffffffffffff",
        ),
        (
            "<f8",
            "float64",
            "<f4",
            // [1.5, 1.6, 1e-9, -2.5, 3e10, 0.1]: float32 differences, float32 running sums.
            "000000000000f83f9a9999999999f93f95d626e80b2e113e00000000000004c0000000b08ef01b429a9999999999b93f",
            "0000c03fcdcccc3dcdccccbf000020c07684df507584dfd0",
            "000000000000f83f0000009a9999f93f00000000000058be00000003000004c00000f6bf8ef01b420000000000f69f40",
        ),
        (
            "<u2",
            "uint16",
            "|i1",
            // [25, 3, 65535, 0, 200, 201]: int8 differences, uint64 running sums cast back.
            "19000300ffff0000c800c900",
            "19eafc01c801",
            "19000300ffff0000c8ffc9ff",
        ),
        (
            "<f4",
            "float32",
            "<i4",
            // [0.5, 2.9, -3.7, 100.25, -0.0, 7.0]: differences truncated to int32.
            "0000003f9a993940cdcc6cc00080c842000000800000e040",
            "0000000002000000faffffff670000009cffffff07000000",
            "0000000000000040000080c00000c642000080bf0000c040",
        ),
        (
            "<f4",
            "float32",
            "<f8",
            // [0.5, 2.9, -3.7, 1e30, -0.0, 7.0]: float32 differences, float64 running sums.
            "0000003f9a993940cdcc6cc0caf24971000000800000e040",
            "000000000000e03f00000040333303400000008066661ac000000040593e294600000040593e29c60000000000001c40",
            "0000003f9a993940cecc6cc0caf24971000000000000e040",
        ),
    ];

    fn kind_size(s: &str) -> usize {
        size_of(parse_dtype(s).unwrap_or(ElementKind::UInt8))
    }

    #[test]
    fn astype_matches_numcodecs() -> TestResult {
        for &(dtype, dt, astype, input, enc, dec) in CASTS {
            let (ds, asz) = (kind_size(dtype), kind_size(astype));
            for c in [
                DeltaCodec::new(dtype, Some(astype))?,
                DeltaCodec::from_v2(dtype, Some(astype), Some('<'))?,
            ] {
                let input = le_to_ne(&hex(input), ds);
                let r = repr(dt, (input.len() / ds) as u64)?;
                let er = c.encoded_representation(&r)?;
                assert_eq!(
                    er.data_type.element_kind(),
                    parse_dtype(astype),
                    "{dtype} {astype}"
                );
                assert_eq!(er.shape, r.shape);
                let e = c.encode(ArrayBytes::Fixed(input), &r, &opts())?;
                assert_eq!(
                    e,
                    ArrayBytes::Fixed(le_to_ne(&hex(enc), asz)),
                    "{dtype} {astype}"
                );
                assert_eq!(
                    c.decode(e, &r, &opts())?,
                    ArrayBytes::Fixed(le_to_ne(&hex(dec), ds)),
                    "{dtype} {astype}"
                );
                // The encoded byte count is checked against astype's size.
                assert!(c
                    .decode(ArrayBytes::Fixed(vec![0; asz + 1]), &r, &opts())
                    .is_err());
            }
        }
        Ok(())
    }

    #[test]
    fn astype_v2_byte_order() -> TestResult {
        // numcodecs 0.15.1 `Delta("<i4", astype=">i2")` on [5, 7, -3, 70000, 0, -1] stores
        // big-endian int16 differences; the V2 `bytes` codec of a `<i4` array is little
        // endian, so the codec holds them byte-swapped.
        let stored = hex("00050002fff61173ee90ffff");
        let input = hex("0500000007000000fdffffff7011010000000000ffffffff");
        let dec = hex("0500000007000000fdffffff7011000000000000ffffffff");
        let r = repr("int32", 6)?;
        let c = DeltaCodec::from_v2("<i4", Some(">i2"), Some('<'))?;
        let e = c.encode(ArrayBytes::Fixed(le_to_ne(&input, 4)), &r, &opts())?;
        assert_eq!(e, ArrayBytes::Fixed(le_to_ne(&stored, 2)));
        assert_eq!(
            c.decode(e, &r, &opts())?,
            ArrayBytes::Fixed(le_to_ne(&dec, 4))
        );
        // An array dtype without a byte order (`|`) keeps them as raw bytes.
        let c = DeltaCodec::from_v2("<i4", Some(">i2"), Some('|'))?;
        assert!(c.raw_out);
        // The same order as the array: plain values.
        let c = DeltaCodec::from_v2(">i4", Some(">i2"), Some('>'))?;
        assert!(!c.swap_out && !c.raw_out);
        // Through the registry with the array's byte order in the context.
        let v2: Map<String, Value> =
            zarrkit_core::serde_json::from_str(r#"{"id":"delta","dtype":"<i4","astype":">i2"}"#)?;
        let ctx = CodecV2Context::with_element_size(Some(4)).with_byte_order(Some('<'));
        let Codec::ArrayToArray(c) = zarrkit_core::registry::create_codec_v2_for(&v2, &ctx)? else {
            return Err("not array-to-array".into());
        };
        assert_eq!(
            c.decode(ArrayBytes::Fixed(le_to_ne(&stored, 2)), &r, &opts())?,
            ArrayBytes::Fixed(le_to_ne(&dec, 4))
        );
        Ok(())
    }

    #[test]
    fn accumulates_as_numpy_promotes() -> TestResult {
        // `np.promote_types` over i1 i2 i4 i8 u1 u2 u4 u8 f4 f8 (NumPy 2.4).
        const TABLE: &str = "i1i1:i1 i1i2:i2 i1i4:i4 i1i8:i8 i1u1:i2 i1u2:i4 i1u4:i8 i1u8:f8 i1f4:f4 i1f8:f8 i2i1:i2 i2i2:i2 i2i4:i4 i2i8:i8 i2u1:i2 i2u2:i4 i2u4:i8 i2u8:f8 i2f4:f4 i2f8:f8 i4i1:i4 i4i2:i4 i4i4:i4 i4i8:i8 i4u1:i4 i4u2:i4 i4u4:i8 i4u8:f8 i4f4:f8 i4f8:f8 i8i1:i8 i8i2:i8 i8i4:i8 i8i8:i8 i8u1:i8 i8u2:i8 i8u4:i8 i8u8:f8 i8f4:f8 i8f8:f8 u1i1:i2 u1i2:i2 u1i4:i4 u1i8:i8 u1u1:u1 u1u2:u2 u1u4:u4 u1u8:u8 u1f4:f4 u1f8:f8 u2i1:i4 u2i2:i4 u2i4:i4 u2i8:i8 u2u1:u2 u2u2:u2 u2u4:u4 u2u8:u8 u2f4:f4 u2f8:f8 u4i1:i8 u4i2:i8 u4i4:i8 u4i8:i8 u4u1:u4 u4u2:u4 u4u4:u4 u4u8:u8 u4f4:f8 u4f8:f8 u8i1:f8 u8i2:f8 u8i4:f8 u8i8:f8 u8u1:u8 u8u2:u8 u8u4:u8 u8u8:u8 u8f4:f8 u8f8:f8 f4i1:f4 f4i2:f4 f4i4:f8 f4i8:f8 f4u1:f4 f4u2:f4 f4u4:f8 f4u8:f8 f4f4:f4 f4f8:f8 f8i1:f8 f8i2:f8 f8i4:f8 f8i8:f8 f8u1:f8 f8u2:f8 f8u4:f8 f8u8:f8 f8f4:f8 f8f8:f8";
        for entry in TABLE.split(' ') {
            let (a, b, r) = (&entry[0..2], &entry[2..4], &entry[5..7]);
            let k = |s: &str| parse_dtype(s).ok_or(s.to_string());
            assert_eq!(promote(k(a)?, k(b)?), k(r)?, "{entry}");
        }
        // numcodecs 0.15.1 `Delta("<i2", astype="<f4")`: decoding float32 differences
        // [0.6, 0.6, 0.6, -2.5, 1e4, 0.4] accumulates in float32 and truncates.
        let c = DeltaCodec::new("<i2", Some("<f4"))?;
        let r = repr("int16", 6)?;
        let enc = hex("9a99193f9a99193f9a99193f000020c000401c46cdcccc3e");
        assert_eq!(
            c.decode(ArrayBytes::Fixed(le_to_ne(&enc, 4)), &r, &opts())?,
            ArrayBytes::Fixed(le_to_ne(&hex("00000100010000000f270f27"), 2))
        );
        // ... and encodes [3, -7, 30000, -30000, 12, 1] to int16 differences as floats.
        let input = hex("0300f9ff3075d08a0c000100");
        assert_eq!(
            c.encode(ArrayBytes::Fixed(le_to_ne(&input, 2)), &r, &opts())?,
            ArrayBytes::Fixed(le_to_ne(
                &hex("00004040000020c1006eea460000ad450078ea46000030c1"),
                4
            ))
        );
        Ok(())
    }

    #[test]
    fn astype_errors() -> TestResult {
        // The first element must fit (numcodecs raises OverflowError), later ones wrap.
        let c = DeltaCodec::new("<u2", Some("|i1"))?;
        let r = repr("uint16", 2)?;
        let b: Vec<u8> = [250u16, 3].iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert!(c.encode(ArrayBytes::Fixed(b), &r, &opts()).is_err());
        // NaN has no int32 value.
        let c = DeltaCodec::new("<f8", Some("<i4"))?;
        let r = repr("float64", 2)?;
        let b: Vec<u8> = [1.0f64, f64::NAN]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        assert!(c.encode(ArrayBytes::Fixed(b), &r, &opts()).is_err());
        for (d, a) in [("|b1", "|u1"), ("<i4", "|b1"), ("<i4", "<c8")] {
            assert!(DeltaCodec::new(d, Some(a)).is_err(), "{d} {a}");
        }
        Ok(())
    }

    #[test]
    fn mismatches_are_errors() -> TestResult {
        let c = DeltaCodec::new("<i4", None)?;
        // Data type mismatch, caught when binding.
        assert!(c.encoded_representation(&repr("float32", 4)?).is_err());
        assert!(c.encoded_representation(&repr("uint32", 4)?).is_err());
        // Wrong byte count.
        let r = repr("int32", 4)?;
        assert!(c
            .decode(ArrayBytes::Fixed(vec![0; 15]), &r, &opts())
            .is_err());
        assert!(c
            .decode(
                ArrayBytes::Variable {
                    bytes: vec![],
                    offsets: vec![0; 5]
                },
                &r,
                &opts()
            )
            .is_err());
        for (d, a) in [
            ("<i4", Some("|b1")),
            ("<c8", None),
            ("|b1", Some("|u1")),
            ("x", None),
        ] {
            assert!(DeltaCodec::new(d, a).is_err(), "{d} {a:?}");
        }
        Ok(())
    }

    #[test]
    fn configuration() -> TestResult {
        for (json, name) in [
            (
                r#"{"name":"numcodecs.delta","configuration":{"dtype":"<i4","astype":"<i4"}}"#,
                "numcodecs.delta",
            ),
            (
                r#"{"name":"delta","configuration":{"dtype":"int32"}}"#,
                "delta",
            ),
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
            let c = create_codec(&m)?;
            assert_eq!(c.name(), name);
            assert_eq!(
                zarrkit_core::serde_json::to_value(c.metadata())?,
                zarrkit_core::serde_json::to_value(&m)?
            );
        }
        for bad in [
            r#"{"name":"delta"}"#,
            r#"{"name":"delta","configuration":{"dtype":"<i4","x":1}}"#,
            r#"{"name":"delta","configuration":{"dtype":"<i4","astype":"<c8"}}"#,
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(bad)?;
            assert!(
                matches!(
                    create_codec(&m),
                    Err(PluginError::InvalidConfiguration { .. })
                ),
                "{bad}"
            );
        }
        let v2: Map<String, Value> =
            zarrkit_core::serde_json::from_str(r#"{"id":"delta","dtype":"<i4","astype":"<i4"}"#)?;
        let Codec::ArrayToArray(c) = create_codec_v2(&v2)? else {
            return Err("not array-to-array".into());
        };
        let r = repr("int32", 8)?;
        assert_eq!(
            c.decode(ArrayBytes::Fixed(le_to_ne(&hex(I4), 4)), &r, &opts())?,
            ArrayBytes::Fixed(le_to_ne(&hex(I4_IN), 4))
        );
        let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"delta"}"#)?;
        assert!(create_codec_v2(&v2).is_err());
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trip_ints(v in prop::collection::vec(any::<i64>(), 0..100)) {
            let c = DeltaCodec::new("<i8", None).map_err(TestCaseError::fail)?;
            let r = repr("int64", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
            let enc = c.encode(ArrayBytes::Fixed(b.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let dec = c.decode(enc, &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(dec, ArrayBytes::Fixed(b));
        }

        #[test]
        fn round_trip_u16(v in prop::collection::vec(any::<u16>(), 0..100)) {
            let c = DeltaCodec::new("<u2", None).map_err(TestCaseError::fail)?;
            let r = repr("uint16", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
            let enc = c.encode(ArrayBytes::Fixed(b.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let dec = c.decode(enc, &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(dec, ArrayBytes::Fixed(b));
        }
    }
}
