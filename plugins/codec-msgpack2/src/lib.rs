//! zarrkit plugin: numcodecs' `MsgPack` object codec (`msgpack2`), an array→bytes codec
//! that writes a chunk as one MessagePack value exactly as numcodecs (msgpack-python) does.
//!
//! - V3 name `numcodecs.msgpack2` (alias `msgpack2`); numcodecs registers no V3 form, so
//!   the name follows zarrkit's rule for numcodecs codecs without a zarr-extensions name.
//!   The name that was read is written back.
//! - Zarr V2 / numcodecs id `msgpack2`: for `|O` arrays the object codec (first filter);
//!   the data type comes from the data type plugin claiming `msgpack2` (strings: `string`).
//! - Configuration (numcodecs `MsgPack.get_config()` without `id`; members optional):
//!   `use_single_float` (false: floats as float64 `0xcb`; true: float32 `0xca`),
//!   `use_bin_type` (true: byte strings as bin8/16/32 and str8 allowed for text; false: byte
//!   strings as raw str types and no str8), `raw` (decoder: str as bytes; no effect here).
//!   numcodecs 0.6's `{"encoding": "utf-8"}` is accepted too. The configuration is written
//!   back exactly as read; unknown members are kept and ignored.
//!
//! ## Format
//!
//! One MessagePack array: the chunk's elements as nested arrays in logical C order
//! (`chunk.tolist()`, one level per dimension), then the NumPy dtype string and the shape
//! as an array of unsigned integers: `[["a","b"],["c","d"],"|O",[2,2]]`. Integers use
//! msgpack-python's smallest form (positive fixint, uint8–64 for non-negative values,
//! negative fixint, int8–64), strings fixstr/str8/str16/str32 (no str8 without
//! `use_bin_type`), byte strings bin8/16/32, `nil`, `true`/`false`, floats float64 (float32
//! and float16 elements widened, as `tolist()` does) or float32 with `use_single_float`.
//! The encoding is byte-identical to numcodecs' for strings, byte strings and numbers.
//!
//! ## Data types
//!
//! By capability ([`ElementKind`]): `string` (`Utf8String`, dtype `|O`),
//! `variable_length_bytes` (`ByteString`, dtype `|O`; numcodecs packs `bytes` objects), `bool`,
//! the integer types and `float16/32/64` (dtype: the data type's V2 dtype with `<`). Lists,
//! dicts and mixed objects in `|O` arrays have no zarrkit data type: decoding them is an
//! error naming the element.
//!
//! ## Decoding: what is checked
//!
//! The value is walked without recursion and without allocating from any length prefix:
//! every str/bin/ext length is checked against the remaining input, and array and map
//! counts only drive a counter (each element needs at least one byte). The top-level array
//! must end with a dtype string and a shape of the chunk's rank and element count, nothing
//! may follow it (msgpack-python raises `ExtraData`), and the items must be nested exactly
//! as the stored shape says. `string`: str values must be UTF-8; `nil` (Python `None`,
//! left in partial chunks of arrays with `fill_value: null`) and the integer `0` (the default
//! `fill_value: 0`) decode as the empty string, bin values (Python `bytes` objects) are an
//! unsupported-feature error (`CodecError::Unsupported`).
//! `variable_length_bytes`: str and bin values, `nil` and `0` as empty. Numbers must fit the
//! integer type; floats are read as float64 and rounded to the element type.
//!
//! ## Deviations
//!
//! - F-order V2 arrays: as for `json2` (see that crate): zarrkit reads what zarr-python 2
//!   reads, which is not the writer's logical order; what zarrkit writes zarr-python 2 reads
//!   correctly.
//! - Numeric dtype strings always use `<` (the codec does not know a V2 array's byte order).
//! - A 0-d chunk cannot be encoded (numcodecs' `MsgPack` fails on it too: `tolist()` of a
//!   0-d array is a scalar); a 0-d document `[x, dtype, []]` is read.

use std::sync::Arc;

use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    ArrayToBytesCodecTraits, Bytes, BytesRepresentation, ChunkRepresentation, Codec, CodecTraits,
};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

use rmp::Marker;

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.msgpack2";
/// The numcodecs id (also a V3 alias).
pub const ID: &str = "msgpack2";
const ALIASES: &[&str] = &[ID];

/// The highest chunk rank handled (NumPy's own maximum is 64 dimensions).
pub const MAX_RANK: usize = 64;

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

fn unsupported(message: impl std::fmt::Display) -> CodecError {
    CodecError::unsupported(NAME, message)
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The `msgpack2` codec.
#[derive(Debug, Clone, PartialEq)]
pub struct MsgPack2Codec {
    name: &'static str,
    configuration: Map<String, Value>,
}

impl Default for MsgPack2Codec {
    fn default() -> Self {
        Self::new()
    }
}

impl MsgPack2Codec {
    /// The codec with numcodecs' defaults (`MsgPack()`), written as numcodecs writes them.
    pub fn new() -> Self {
        let mut c = Map::new();
        c.insert("raw".into(), Value::Bool(false));
        c.insert("use_bin_type".into(), Value::Bool(true));
        c.insert("use_single_float".into(), Value::Bool(false));
        Self::from_configuration(NAME, c)
    }

    /// The codec from a numcodecs configuration without `id` (missing members take
    /// numcodecs' defaults).
    pub fn from_configuration(name: &'static str, configuration: Map<String, Value>) -> Self {
        Self {
            name,
            configuration,
        }
    }

    fn flag(&self, key: &str, default: bool) -> bool {
        self.configuration.get(key).map_or(default, truthy)
    }
}

/// The element kinds this codec reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Bytes,
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
}

impl Kind {
    fn of(decoded: &ChunkRepresentation) -> Result<Self, CodecError> {
        let dt = &decoded.data_type;
        let k = match dt.element_kind() {
            Some(ElementKind::Utf8String) => Kind::Str,
            Some(ElementKind::ByteString) => Kind::Bytes,
            Some(ElementKind::Bool) => Kind::Bool,
            Some(ElementKind::Int8) => Kind::I8,
            Some(ElementKind::Int16) => Kind::I16,
            Some(ElementKind::Int32) => Kind::I32,
            Some(ElementKind::Int64) => Kind::I64,
            Some(ElementKind::UInt8) => Kind::U8,
            Some(ElementKind::UInt16) => Kind::U16,
            Some(ElementKind::UInt32) => Kind::U32,
            Some(ElementKind::UInt64) => Kind::U64,
            Some(ElementKind::Float16) => Kind::F16,
            Some(ElementKind::Float32) => Kind::F32,
            Some(ElementKind::Float64) => Kind::F64,
            _ => {
                return Err(unsupported(format!(
                    "data type {}: msgpack2 encodes strings, byte strings, booleans, integers and floats",
                    dt.name()
                )))
            }
        };
        if dt.size().fixed() != k.size() {
            return Err(unsupported(format!(
                "data type {} has an unexpected element size",
                dt.name()
            )));
        }
        Ok(k)
    }

    fn size(self) -> Option<usize> {
        Some(match self {
            Kind::Str | Kind::Bytes => return None,
            Kind::Bool | Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 | Kind::F16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            Kind::I64 | Kind::U64 | Kind::F64 => 8,
        })
    }

    fn dtype(self, decoded: &ChunkRepresentation) -> Result<String, CodecError> {
        if matches!(self, Kind::Str | Kind::Bytes) {
            return Ok("|O".into());
        }
        decoded.data_type.to_v2_dtype('<').ok_or_else(|| {
            unsupported(format!(
                "data type {} has no NumPy dtype",
                decoded.data_type.name()
            ))
        })
    }
}

/// A scalar read from the input.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar<'a> {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
}

/// What a value's marker starts.
enum Head<'a> {
    Scalar(Scalar<'a>),
    Array(u32),
    Map(u32),
    Ext,
}

/// A cursor over MessagePack bytes; every read is bounds-checked.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.s.len())
            .ok_or_else(|| {
                err(format!(
                    "at byte {}: {n} bytes needed, {} left (truncated?)",
                    self.pos,
                    self.s.len().saturating_sub(self.pos)
                ))
            })?;
        let b = &self.s[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn len8(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(self.be::<1>()?[0]))
    }
    fn len16(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(u16::from_be_bytes(self.be()?)))
    }
    fn len32(&mut self) -> Result<usize, CodecError> {
        usize::try_from(u32::from_be_bytes(self.be()?)).map_err(|_| err("length overflows"))
    }

    /// Read one marker and what it carries (payload bytes are sliced, never copied).
    fn head(&mut self) -> Result<Head<'a>, CodecError> {
        let at = self.pos;
        let m = Marker::from_u8(self.be::<1>()?[0]);
        Ok(Head::Scalar(match m {
            Marker::FixPos(v) => Scalar::Int(i128::from(v)),
            Marker::FixNeg(v) => Scalar::Int(i128::from(v)),
            Marker::Null => Scalar::Nil,
            Marker::True => Scalar::Bool(true),
            Marker::False => Scalar::Bool(false),
            Marker::U8 => Scalar::Int(i128::from(self.be::<1>()?[0])),
            Marker::U16 => Scalar::Int(i128::from(u16::from_be_bytes(self.be()?))),
            Marker::U32 => Scalar::Int(i128::from(u32::from_be_bytes(self.be()?))),
            Marker::U64 => Scalar::Int(i128::from(u64::from_be_bytes(self.be()?))),
            Marker::I8 => Scalar::Int(i128::from(i8::from_be_bytes(self.be()?))),
            Marker::I16 => Scalar::Int(i128::from(i16::from_be_bytes(self.be()?))),
            Marker::I32 => Scalar::Int(i128::from(i32::from_be_bytes(self.be()?))),
            Marker::I64 => Scalar::Int(i128::from(i64::from_be_bytes(self.be()?))),
            Marker::F32 => Scalar::Float(f64::from(f32::from_be_bytes(self.be()?))),
            Marker::F64 => Scalar::Float(f64::from_be_bytes(self.be()?)),
            Marker::FixStr(n) => Scalar::Str(self.take(usize::from(n))?),
            Marker::Str8 => {
                let n = self.len8()?;
                Scalar::Str(self.take(n)?)
            }
            Marker::Str16 => {
                let n = self.len16()?;
                Scalar::Str(self.take(n)?)
            }
            Marker::Str32 => {
                let n = self.len32()?;
                Scalar::Str(self.take(n)?)
            }
            Marker::Bin8 => {
                let n = self.len8()?;
                Scalar::Bin(self.take(n)?)
            }
            Marker::Bin16 => {
                let n = self.len16()?;
                Scalar::Bin(self.take(n)?)
            }
            Marker::Bin32 => {
                let n = self.len32()?;
                Scalar::Bin(self.take(n)?)
            }
            Marker::FixArray(n) => return Ok(Head::Array(u32::from(n))),
            Marker::Array16 => return Ok(Head::Array(u32::from(u16::from_be_bytes(self.be()?)))),
            Marker::Array32 => return Ok(Head::Array(u32::from_be_bytes(self.be()?))),
            Marker::FixMap(n) => return Ok(Head::Map(u32::from(n))),
            Marker::Map16 => return Ok(Head::Map(u32::from(u16::from_be_bytes(self.be()?)))),
            Marker::Map32 => return Ok(Head::Map(u32::from_be_bytes(self.be()?))),
            Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16 => {
                let n = match m {
                    Marker::FixExt1 => 1,
                    Marker::FixExt2 => 2,
                    Marker::FixExt4 => 4,
                    Marker::FixExt8 => 8,
                    _ => 16,
                };
                self.take(n + 1)?;
                return Ok(Head::Ext);
            }
            Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => {
                let n = match m {
                    Marker::Ext8 => self.len8()?,
                    Marker::Ext16 => self.len16()?,
                    _ => self.len32()?,
                };
                self.take(n.checked_add(1).ok_or_else(|| err("length overflows"))?)?;
                return Ok(Head::Ext);
            }
            Marker::Reserved => return Err(err(format!("at byte {at}: reserved marker 0xc1"))),
        }))
    }

    /// Skip one whole value, without recursion: containers only add to a counter.
    fn skip_value(&mut self) -> Result<(), CodecError> {
        let mut pending: u64 = 1;
        while pending > 0 {
            pending -= 1;
            match self.head()? {
                Head::Scalar(_) | Head::Ext => {}
                Head::Array(n) => pending += u64::from(n),
                Head::Map(n) => pending += 2 * u64::from(n),
            }
        }
        Ok(())
    }

    fn scalar(&mut self) -> Result<Scalar<'a>, CodecError> {
        let at = self.pos;
        match self.head()? {
            Head::Scalar(s) => Ok(s),
            Head::Array(_) => Err(err(format!(
                "at byte {at}: an array where a scalar belongs"
            ))),
            Head::Map(_) => Err(err(format!(
                "at byte {at}: a map (dict) where a scalar belongs"
            ))),
            Head::Ext => Err(err(format!(
                "at byte {at}: an ext value where a scalar belongs"
            ))),
        }
    }

    fn array(&mut self, what: &str) -> Result<u32, CodecError> {
        let at = self.pos;
        match self.head()? {
            Head::Array(n) => Ok(n),
            _ => Err(err(format!("at byte {at}: expected {what}"))),
        }
    }
}

/// The decoded elements being built.
struct Output {
    kind: Kind,
    fixed: Vec<u8>,
    pos: usize,
    bytes: Vec<u8>,
    offsets: Vec<usize>,
}

impl Output {
    fn new(kind: Kind, n: usize) -> Result<Self, CodecError> {
        let mut o = Self {
            kind,
            fixed: Vec::new(),
            pos: 0,
            bytes: Vec::new(),
            offsets: Vec::new(),
        };
        match kind.size() {
            Some(size) => {
                let total = n
                    .checked_mul(size)
                    .ok_or_else(|| CodecError::allocation(NAME, "chunk too large"))?;
                o.fixed = zarrkit_core::codec::zeroed_for(total, NAME)?;
            }
            None => {
                o.offsets
                    .try_reserve_exact(n + 1)
                    .map_err(|e| CodecError::allocation(NAME, format!("{n} offsets: {e}")))?;
                o.offsets.push(0);
            }
        }
        Ok(o)
    }

    fn push(&mut self, s: Scalar<'_>, index: usize) -> Result<(), CodecError> {
        let kind = self.kind;
        let bad = |what: String| err(format!("element {index}: {what}"));
        if matches!(kind, Kind::Str | Kind::Bytes) {
            match s {
                Scalar::Str(b) => {
                    if kind == Kind::Str {
                        std::str::from_utf8(b).map_err(|e| bad(format!("not valid UTF-8: {e}")))?;
                    }
                    self.bytes.extend_from_slice(b);
                }
                Scalar::Bin(b) if kind == Kind::Bytes => self.bytes.extend_from_slice(b),
                Scalar::Bin(b) => {
                    // Valid data zarrkit has no type for: numcodecs packs Python `bytes` in
                    // an object array as bin, and zarrkit binds every V2 `|O` msgpack2 array
                    // as `string` (the data type is chosen before any chunk is read).
                    return Err(unsupported(format!(
                        "element {index}: a byte string (msgpack bin, {} bytes) in an array \
                         read as `string`; zarrkit binds V2 `|O` msgpack2 arrays as strings and \
                         has no data type for Python `bytes` objects in them",
                        b.len()
                    )));
                }
                Scalar::Nil | Scalar::Int(0) => {}
                other => {
                    return Err(bad(format!(
                        "{other:?} in an array of {}",
                        if kind == Kind::Str {
                            "strings"
                        } else {
                            "byte strings"
                        }
                    )))
                }
            }
            self.offsets.push(self.bytes.len());
            return Ok(());
        }
        let Some(size) = kind.size() else {
            return Err(err("internal: no element size"));
        };
        let Some(e) = self.fixed.get_mut(self.pos..self.pos + size) else {
            return Err(err("more elements than the chunk holds"));
        };
        self.pos += size;
        fn int<T: TryFrom<i128>>(s: Scalar<'_>) -> Result<T, String> {
            match s {
                Scalar::Int(v) => {
                    T::try_from(v).map_err(|_| format!("{v} does not fit the integer type"))
                }
                other => Err(format!("{other:?} in an array of integers")),
            }
        }
        let float = |s: Scalar<'_>| -> Result<f64, String> {
            match s {
                Scalar::Int(v) => Ok(v as f64),
                Scalar::Float(x) => Ok(x),
                other => Err(format!("{other:?} in an array of floats")),
            }
        };
        let result: Result<(), String> = (|| {
            match kind {
                Kind::Bool => {
                    e[0] = match s {
                        Scalar::Bool(b) => u8::from(b),
                        Scalar::Int(v @ (0 | 1)) => v as u8,
                        other => return Err(format!("{other:?} in an array of booleans")),
                    }
                }
                Kind::I8 => e.copy_from_slice(&int::<i8>(s)?.to_ne_bytes()),
                Kind::U8 => e.copy_from_slice(&int::<u8>(s)?.to_ne_bytes()),
                Kind::I16 => e.copy_from_slice(&int::<i16>(s)?.to_ne_bytes()),
                Kind::U16 => e.copy_from_slice(&int::<u16>(s)?.to_ne_bytes()),
                Kind::I32 => e.copy_from_slice(&int::<i32>(s)?.to_ne_bytes()),
                Kind::U32 => e.copy_from_slice(&int::<u32>(s)?.to_ne_bytes()),
                Kind::I64 => e.copy_from_slice(&int::<i64>(s)?.to_ne_bytes()),
                Kind::U64 => e.copy_from_slice(&int::<u64>(s)?.to_ne_bytes()),
                Kind::F16 => e.copy_from_slice(&half::f16::from_f64(float(s)?).to_ne_bytes()),
                Kind::F32 => e.copy_from_slice(&(float(s)? as f32).to_ne_bytes()),
                Kind::F64 => e.copy_from_slice(&float(s)?.to_ne_bytes()),
                Kind::Str | Kind::Bytes => {}
            }
            Ok(())
        })();
        result.map_err(bad)
    }

    fn finish(self) -> ArrayBytes {
        match self.kind {
            Kind::Str | Kind::Bytes => ArrayBytes::Variable {
                bytes: self.bytes,
                offsets: self.offsets,
            },
            _ => ArrayBytes::Fixed(self.fixed),
        }
    }
}

fn read_nested(
    c: &mut Cursor<'_>,
    dims: &[u64],
    out: &mut Output,
    index: &mut usize,
) -> Result<(), CodecError> {
    let Some((&d, rest)) = dims.split_first() else {
        let s = c
            .scalar()
            .map_err(|e| err(format!("element {index}: {e}")))?;
        out.push(s, *index)?;
        *index += 1;
        return Ok(());
    };
    let at = c.pos;
    let n = c.array("a nested array (the shape's next dimension)")?;
    if u64::from(n) != d {
        return Err(err(format!(
            "at byte {at}: a nested array of {n} items where the shape says {d}"
        )));
    }
    for _ in 0..d {
        read_nested(c, rest, out, index)?;
    }
    Ok(())
}

impl MsgPack2Codec {
    fn decode_bytes(
        &self,
        input: &[u8],
        decoded: &ChunkRepresentation,
    ) -> Result<ArrayBytes, CodecError> {
        let kind = Kind::of(decoded)?;
        let n = decoded.num_elements_usize()?;
        let rank = decoded.shape.len();
        let mut c = Cursor { s: input, pos: 0 };
        let count = c.array("an array (the document)")?;
        if count < 2 {
            return Err(err(
                "the document has no dtype and shape (fewer than two items)",
            ));
        }
        let items = count - 2;
        let items_start = c.pos;
        // Pass 1: skip the items to reach the dtype and the shape.
        for _ in 0..items {
            c.skip_value()?;
        }
        match c.scalar()? {
            Scalar::Str(_) | Scalar::Bin(_) => {}
            other => return Err(err(format!("the dtype is {other:?}, not a string"))),
        }
        let at = c.pos;
        let dims = c.array("the shape (an array)")?;
        if dims as usize != rank {
            return Err(err(format!(
                "at byte {at}: a stored shape of rank {dims}, the chunk {:?} has rank {rank}",
                decoded.shape
            )));
        }
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..dims {
            match c.scalar()? {
                Scalar::Int(v) => shape.push(
                    u64::try_from(v).map_err(|_| err(format!("shape entry {v} is negative")))?,
                ),
                other => return Err(err(format!("shape entry {other:?} is not an integer"))),
            }
        }
        if c.pos != input.len() {
            return Err(err(format!(
                "{} bytes after the document (extra data)",
                input.len() - c.pos
            )));
        }
        let stored_n = shape
            .iter()
            .try_fold(1u64, |a, &b| a.checked_mul(b))
            .ok_or_else(|| err(format!("stored shape {shape:?} overflows")))?;
        if stored_n != n as u64 {
            return Err(err(format!(
                "stored shape {shape:?} has {stored_n} elements, the chunk {:?} has {n}",
                decoded.shape
            )));
        }
        let top = if rank == 0 { 1 } else { shape[0] };
        if top != u64::from(items) {
            return Err(err(format!(
                "{items} items before the dtype, the stored shape {shape:?} needs {top}"
            )));
        }
        // Each element takes at least one byte: refuse before allocating.
        if n > input.len() {
            return Err(err(format!(
                "{} bytes cannot hold {n} elements",
                input.len()
            )));
        }
        // Pass 2: the items, nested as the shape says.
        let mut out = Output::new(kind, n)?;
        let mut c = Cursor {
            s: input,
            pos: items_start,
        };
        let inner = if rank == 0 { &[][..] } else { &shape[1..] };
        let mut index = 0usize;
        for _ in 0..items {
            read_nested(&mut c, inner, &mut out, &mut index)?;
        }
        Ok(out.finish())
    }

    fn encode_bytes(
        &self,
        input: &ArrayBytes,
        decoded: &ChunkRepresentation,
    ) -> Result<Vec<u8>, CodecError> {
        let kind = Kind::of(decoded)?;
        let n = decoded.num_elements_usize()?;
        let rank = decoded.shape.len();
        if rank == 0 {
            return Err(unsupported(
                "a 0-d chunk (numcodecs' MsgPack cannot encode one either)",
            ));
        }
        if rank > MAX_RANK {
            return Err(unsupported(format!(
                "a chunk of rank {rank} (at most {MAX_RANK})"
            )));
        }
        let bin_type = self.flag("use_bin_type", true);
        let single = self.flag("use_single_float", false);
        let dtype = kind.dtype(decoded)?;
        let mut w = Writer {
            out: Vec::new(),
            bin_type,
            single,
        };
        let top = usize::try_from(decoded.shape[0]).map_err(|_| err("chunk too large"))?;
        w.array_len(top + 2)?;
        match (kind, input) {
            (Kind::Str | Kind::Bytes, ArrayBytes::Variable { bytes, offsets })
                if offsets.len() == n + 1 =>
            {
                let view = zarrkit_core::array_bytes::VariableView::new(bytes, offsets)
                    .map_err(|e| err(format!("malformed variable-size offsets: {e}")))?;
                w.items(top, &decoded.shape[1..], &mut |w: &mut Writer, i: usize| {
                    let e = view.get(i).ok_or_else(|| err("element out of bounds"))?;
                    if kind == Kind::Str {
                        let s = std::str::from_utf8(e)
                            .map_err(|x| err(format!("element {i} is not valid UTF-8: {x}")))?;
                        w.str(s.as_bytes())
                    } else if w.bin_type {
                        rmp::encode::write_bin(&mut w.out, e).map_err(|x| err(x.to_string()))
                    } else {
                        w.str(e)
                    }
                })?;
            }
            (Kind::Str | Kind::Bytes, _) => {
                return Err(err(format!("expected {n} variable-size elements")))
            }
            (_, ArrayBytes::Fixed(b)) => {
                let size = kind.size().unwrap_or(1);
                if n.checked_mul(size) != Some(b.len()) {
                    return Err(err(format!(
                        "expected {n} elements of {size} bytes, got {} bytes",
                        b.len()
                    )));
                }
                w.items(top, &decoded.shape[1..], &mut |w: &mut Writer, i: usize| {
                    w.number(kind, &b[i * size..(i + 1) * size])
                })?;
            }
            _ => return Err(err("expected fixed-size array bytes")),
        }
        w.str(dtype.as_bytes())?;
        w.array_len(rank)?;
        for &d in &decoded.shape {
            rmp::encode::write_uint(&mut w.out, d).map_err(|x| err(x.to_string()))?;
        }
        Ok(w.out)
    }
}

struct Writer {
    out: Vec<u8>,
    bin_type: bool,
    single: bool,
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

impl Writer {
    fn array_len(&mut self, n: usize) -> Result<(), CodecError> {
        let n = u32::try_from(n).map_err(|_| err(format!("{n} items exceed a msgpack array")))?;
        rmp::encode::write_array_len(&mut self.out, n)
            .map(|_| ())
            .map_err(|e| err(e.to_string()))
    }

    /// A str value: msgpack-python without `use_bin_type` has no str8 (raw str types of the
    /// old spec: fixstr, str16, str32).
    fn str(&mut self, b: &[u8]) -> Result<(), CodecError> {
        let n = u32::try_from(b.len()).map_err(|_| err("a string longer than 2^32 - 1 bytes"))?;
        if !self.bin_type && (32..256).contains(&n) {
            self.out.push(0xda);
            self.out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            rmp::encode::write_str_len(&mut self.out, n).map_err(|e| err(e.to_string()))?;
        }
        self.out.extend_from_slice(b);
        Ok(())
    }

    fn float(&mut self, x: f64) -> Result<(), CodecError> {
        if self.single {
            let y = x as f32;
            // As CPython's `PyFloat_Pack4`: a finite value that rounds to infinity overflows.
            if y.is_infinite() && x.is_finite() {
                return Err(err(format!(
                    "float {x} too large to pack as float32 (use_single_float)"
                )));
            }
            rmp::encode::write_f32(&mut self.out, y)
        } else {
            rmp::encode::write_f64(&mut self.out, x)
        }
        .map_err(|e| err(e.to_string()))
    }

    fn number(&mut self, kind: Kind, e: &[u8]) -> Result<(), CodecError> {
        let o = &mut self.out;
        let r = match kind {
            Kind::Bool => {
                rmp::encode::write_bool(o, e[0] != 0).map_err(|x| err(x.to_string()))?;
                return Ok(());
            }
            Kind::I8 => rmp::encode::write_sint(o, i64::from(e[0] as i8)),
            Kind::I16 => rmp::encode::write_sint(o, i64::from(i16::from_ne_bytes(arr(e)))),
            Kind::I32 => rmp::encode::write_sint(o, i64::from(i32::from_ne_bytes(arr(e)))),
            Kind::I64 => rmp::encode::write_sint(o, i64::from_ne_bytes(arr(e))),
            Kind::U8 => rmp::encode::write_uint(o, u64::from(e[0])),
            Kind::U16 => rmp::encode::write_uint(o, u64::from(u16::from_ne_bytes(arr(e)))),
            Kind::U32 => rmp::encode::write_uint(o, u64::from(u32::from_ne_bytes(arr(e)))),
            Kind::U64 => rmp::encode::write_uint(o, u64::from_ne_bytes(arr(e))),
            Kind::F16 => return self.float(half::f16::from_ne_bytes(arr(e)).to_f64()),
            Kind::F32 => return self.float(f64::from(f32::from_ne_bytes(arr(e)))),
            Kind::F64 => return self.float(f64::from_ne_bytes(arr(e))),
            Kind::Str | Kind::Bytes => return Err(err("internal: not a number")),
        };
        r.map(|_| ()).map_err(|x| err(x.to_string()))
    }

    /// `top` items, each `dims.len()` levels of arrays deep, then the leaves in C order.
    fn items(
        &mut self,
        top: usize,
        dims: &[u64],
        leaf: &mut dyn FnMut(&mut Writer, usize) -> Result<(), CodecError>,
    ) -> Result<(), CodecError> {
        fn level(
            w: &mut Writer,
            dims: &[u64],
            next: &mut usize,
            leaf: &mut dyn FnMut(&mut Writer, usize) -> Result<(), CodecError>,
        ) -> Result<(), CodecError> {
            let Some((&d, rest)) = dims.split_first() else {
                let i = *next;
                *next += 1;
                return leaf(w, i);
            };
            w.array_len(usize::try_from(d).map_err(|_| err("chunk too large"))?)?;
            for _ in 0..d {
                level(w, rest, next, leaf)?;
            }
            Ok(())
        }
        let mut next = 0usize;
        for _ in 0..top {
            level(self, dims, &mut next, leaf)?;
        }
        Ok(())
    }
}

impl CodecTraits for MsgPack2Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(self.configuration.clone())
    }
}

impl ArrayToBytesCodecTraits for MsgPack2Codec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        Kind::of(decoded)?;
        Ok(BytesRepresentation::Unbounded)
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        self.encode_bytes(&input, decoded)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.decode_bytes(&input, decoded)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    let conf = metadata.configuration().cloned().unwrap_or_default();
    if conf.contains_key("id") {
        return Err(PluginError::config(
            ExtensionKind::Codec,
            NAME,
            "a V3 configuration has no `id`",
        ));
    }
    Ok(Codec::ArrayToBytes(Arc::new(
        MsgPack2Codec::from_configuration(name, conf),
    )))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let mut conf = config.clone();
    conf.remove("id");
    Ok(Codec::ArrayToBytes(Arc::new(
        MsgPack2Codec::from_configuration(NAME, conf),
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[ID], create_v2)
}

#[cfg(test)]
mod tests;
