//! zarrkit plugin: numcodecs' `JSON` object codec (`json2`), an array→bytes codec that
//! writes a chunk as UTF-8 JSON exactly as numcodecs (Python's `json` module) writes it.
//!
//! - V3 name `numcodecs.json2` (alias `json2`); numcodecs registers no V3 form of this
//!   codec, so the V3 name follows zarrkit's rule for numcodecs codecs without a
//!   zarr-extensions name. The name that was read is written back.
//! - Zarr V2 / numcodecs id `json2`. For `|O` arrays it is the object codec, the first
//!   filter; the array's data type comes from the data type plugin that claims `json2` as an
//!   object codec id (strings: `string`).
//! - Configuration (numcodecs `JSON.get_config()` without `id`; every member optional,
//!   defaults as numcodecs' constructor): `encoding` (`"utf-8"`), `skipkeys` (false),
//!   `ensure_ascii` (true), `check_circular` (true), `allow_nan` (true), `sort_keys` (true),
//!   `indent` (null), `separators` (`[",", ":"]`, or `[", ", ": "]` with an indent),
//!   `strict` (true). The configuration is written back exactly as read.
//!
//! ## Format
//!
//! One JSON document: a list of the chunk's elements as nested lists in logical C order
//! (`np.atleast_1d(chunk).tolist()`: one nesting level per dimension, a 0-d chunk as one
//! item), followed by the NumPy dtype string and the shape:
//! `["foo","bar","|O",[2]]`, `[["a","b"],["c","d"],"|O",[2,2]]`, `["x","|O",[]]`,
//! `[1,2,3,"<i4",[3]]`. Strings are escaped as `json.dumps` escapes them (`ensure_ascii`:
//! every character outside 0x20–0x7E as lowercase `\uXXXX`, surrogate pairs above the BMP;
//! `\" \\ \b \f \n \r \t` short forms), floats are Python's `float.__repr__` (`1e+16`,
//! `1e-05`, `0.1`, `1.0`; float32 and float16 values widened to float64 first, as
//! `tolist()` does) or `NaN` / `Infinity` / `-Infinity`, lists are laid out as
//! `JSONEncoder.iterencode` lays them out with the configured `indent` and item separator
//! (a trailing space before each newline with the default indented separators). Encoding a
//! chunk of strings gives numcodecs' bytes byte for byte.
//!
//! ## Data types
//!
//! By capability ([`ElementKind`]): `string` (`Utf8String`; dtype `|O`), `bool` and the
//! integer and float types (`float16/32/64`; the dtype string is the data type's V2 dtype
//! with `<`, e.g. `<i4`, `|b1`). numcodecs also writes lists, dicts and mixed objects in
//! `|O` arrays; zarrkit has no data type for arbitrary Python objects, so such chunks are
//! an error naming the element. Byte strings, complex numbers, datetimes of other units,
//! fixed-length strings (`<U`, `|S`) are not supported (Python's `json` cannot write bytes or
//! complex numbers either).
//!
//! ## Decoding: what is checked
//!
//! The whole document is first scanned (Python's grammar, `strict` refusing raw control
//! characters in strings, nothing after the document but whitespace) without allocating;
//! the last two items must be a string (the dtype, not otherwise checked) and a list of
//! non-negative integers (the shape) of the chunk's rank and element count (at most 64
//! dimensions); then the items
//! are read with exactly that nesting. Nothing is allocated beyond the chunk's decoded size
//! (fixed types), or beyond the input's size (strings), and a chunk claiming more elements
//! than its bytes can hold is refused before allocating. For `string`, `null` (Python's
//! `None`, which zarr-python 2 leaves in partially written chunks of arrays with
//! `fill_value: null`) and the integer `0` (left by the default `fill_value: 0`) decode as
//! the empty string, as numcodecs' `VLenUTF8` encodes them and as zarrkit reads those V2
//! fill values; any other non-string is an error. Numbers must fit the integer type;
//! floats are parsed to float64 and then rounded to the element type, as NumPy assigns them.
//!
//! ## Deviations
//!
//! - **F-order V2 arrays.** numcodecs writes the *logical* C order of the chunk it is given,
//!   but zarr-python 2 (2.18) reads a decoded object chunk back with
//!   `reshape(-1, order='A').reshape(chunks, order='F')`, so an F-ordered json2 (or msgpack2)
//!   array it wrote reads back transposed within each chunk. zarrkit binds V2 `order: F` as
//!   a `transpose` before this codec, which then sees the transposed chunk; it reads the
//!   stored items in their stored order into that chunk, which gives exactly what
//!   zarr-python 2 reads (so a stored shape of the chunk's rank and element count is
//!   accepted even when it differs from the chunk's, as the reversed shape of an F-order
//!   chunk does; the nesting must follow the stored shape). What zarrkit writes for an F-order array (the transposed chunk, its own shape)
//!   zarr-python 2 reads back correctly. Reading the writer's logical order instead would
//!   need the V2 `order` in `CodecV2Context` (a core change).
//! - The dtype string for numeric chunks always has the `<` byte order (the codec does not
//!   know the V2 array's byte order): for a big-endian V2 array numcodecs writes `>i4`, and
//!   zarr-python 2 would misread zarrkit's `<i4` chunk (it views the decoded array as the
//!   array dtype). Passing the V2 dtype in `CodecV2Context` would fix it.
//! - `encoding` values other than UTF-8, ASCII and Latin-1 are unsupported (an error when a
//!   chunk is decoded or encoded, not at open). Options without effect on lists of strings
//!   and numbers (`skipkeys`, `check_circular`, `sort_keys`) are kept and ignored.

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

pub mod pyjson;

use pyjson::{Layout, Reader, Scalar, Start};

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.json2";
/// The numcodecs id (also a V3 alias).
pub const ID: &str = "json2";
const ALIASES: &[&str] = &[ID];

/// The highest chunk rank handled (NumPy's own maximum is 64 dimensions).
pub const MAX_RANK: usize = 64;

/// The text encoding of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TextEncoding {
    Utf8,
    Ascii,
    Latin1,
    Other(String),
}

impl TextEncoding {
    fn parse(name: &str) -> Self {
        let n = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        match n.as_str() {
            "utf-8" | "utf8" | "u8" | "utf" | "cp65001" => Self::Utf8,
            "ascii" | "us-ascii" | "646" => Self::Ascii,
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "8859" | "cp819" | "latin"
            | "l1" => Self::Latin1,
            _ => Self::Other(name.to_string()),
        }
    }
}

/// The `json2` codec.
#[derive(Debug, Clone, PartialEq)]
pub struct Json2Codec {
    name: &'static str,
    /// The configuration as read (without `id`), written back unchanged.
    configuration: Map<String, Value>,
    encoding: TextEncoding,
    strict: bool,
}

impl Default for Json2Codec {
    fn default() -> Self {
        Self::new()
    }
}

fn config_err(message: impl std::fmt::Display) -> PluginError {
    PluginError::config(ExtensionKind::Codec, NAME, message)
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

fn unsupported(message: impl std::fmt::Display) -> CodecError {
    CodecError::unsupported(NAME, message)
}

/// Python truthiness of a JSON value (`bool(x)`).
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

impl Json2Codec {
    /// The codec with numcodecs' default configuration (`JSON()`), written out in full as
    /// numcodecs' `get_config()` writes it.
    pub fn new() -> Self {
        let mut c = Map::new();
        c.insert("encoding".into(), Value::from("utf-8"));
        c.insert("skipkeys".into(), Value::Bool(false));
        c.insert("ensure_ascii".into(), Value::Bool(true));
        c.insert("check_circular".into(), Value::Bool(true));
        c.insert("allow_nan".into(), Value::Bool(true));
        c.insert("indent".into(), Value::Null);
        c.insert(
            "separators".into(),
            Value::Array(vec![Value::from(","), Value::from(":")]),
        );
        c.insert("sort_keys".into(), Value::Bool(true));
        c.insert("strict".into(), Value::Bool(true));
        Self::from_configuration(NAME, c).unwrap_or(Self {
            name: NAME,
            configuration: Map::new(),
            encoding: TextEncoding::Utf8,
            strict: true,
        })
    }

    /// The codec from a numcodecs configuration (without `id`; missing members take
    /// numcodecs' defaults). Only what decoding needs is checked here (`encoding` must be a
    /// string, `strict` a boolean); encoding options are checked when encoding.
    pub fn from_configuration(
        name: &'static str,
        configuration: Map<String, Value>,
    ) -> Result<Self, PluginError> {
        let encoding = match configuration.get("encoding") {
            None => TextEncoding::Utf8,
            Some(Value::String(s)) => TextEncoding::parse(s),
            Some(v) => return Err(config_err(format!("`encoding` must be a string, got {v}"))),
        };
        let strict = match configuration.get("strict") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(v) => return Err(config_err(format!("`strict` must be a boolean, got {v}"))),
        };
        Ok(Self {
            name,
            configuration,
            encoding,
            strict,
        })
    }

    fn flag(&self, key: &str, default: bool) -> bool {
        self.configuration.get(key).map_or(default, truthy)
    }

    /// The list layout from `indent` and `separators`, as `json.JSONEncoder` derives it.
    fn layout(&self) -> Result<Layout, CodecError> {
        let indent = match self.configuration.get("indent") {
            None | Some(Value::Null) => None,
            // `' ' * indent`: True is 1, False 0, negative numbers give ''.
            Some(Value::Bool(b)) => Some(if *b { " ".to_string() } else { String::new() }),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(k) => Some(" ".repeat(usize::try_from(k.clamp(0, 1 << 16)).unwrap_or(0))),
                None => return Err(unsupported(format!("`indent` {n} is not an integer"))),
            },
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => return Err(unsupported(format!("`indent` {v} is not supported"))),
        };
        let item_separator = match self.configuration.get("separators") {
            None | Some(Value::Null) => {
                if indent.is_some() {
                    ", ".to_string()
                } else {
                    ",".to_string()
                }
            }
            Some(Value::Array(a)) if a.len() == 2 => match (&a[0], &a[1]) {
                (Value::String(item), Value::String(_)) => item.clone(),
                _ => return Err(unsupported("`separators` must be two strings")),
            },
            // `tuple(",:")` also unpacks into two separators.
            Some(Value::String(s)) if s.chars().count() == 2 => {
                s.chars().next().map(String::from).unwrap_or_default()
            }
            Some(v) => return Err(unsupported(format!("`separators` {v} is not two strings"))),
        };
        Ok(Layout {
            indent,
            item_separator,
        })
    }

    fn text<'a>(&self, input: &'a [u8]) -> Result<std::borrow::Cow<'a, str>, CodecError> {
        match &self.encoding {
            TextEncoding::Utf8 => std::str::from_utf8(input)
                .map(Into::into)
                .map_err(|e| err(format!("the document is not valid UTF-8: {e}"))),
            TextEncoding::Ascii => match input.iter().position(|b| !b.is_ascii()) {
                None => std::str::from_utf8(input)
                    .map(Into::into)
                    .map_err(|e| err(e.to_string())),
                Some(i) => Err(err(format!("byte {i} is not ASCII (encoding ascii)"))),
            },
            TextEncoding::Latin1 => Ok(input
                .iter()
                .map(|&b| char::from(b))
                .collect::<String>()
                .into()),
            TextEncoding::Other(e) => Err(unsupported(format!("text encoding {e:?}"))),
        }
    }

    fn bytes_of(&self, text: String) -> Result<Vec<u8>, CodecError> {
        match &self.encoding {
            TextEncoding::Utf8 => Ok(text.into_bytes()),
            TextEncoding::Ascii => {
                if text.is_ascii() {
                    Ok(text.into_bytes())
                } else {
                    Err(err(
                        "non-ASCII text cannot be encoded as ascii (set ensure_ascii)",
                    ))
                }
            }
            TextEncoding::Latin1 => text
                .chars()
                .map(|c| {
                    u8::try_from(u32::from(c))
                        .map_err(|_| err(format!("{c:?} cannot be encoded as latin-1")))
                })
                .collect(),
            TextEncoding::Other(e) => Err(unsupported(format!("text encoding {e:?}"))),
        }
    }
}

/// The element kinds this codec reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
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
                    "data type {}: json2 encodes strings, booleans, integers and floats",
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
            Kind::Str => return None,
            Kind::Bool | Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 | Kind::F16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            Kind::I64 | Kind::U64 | Kind::F64 => 8,
        })
    }

    /// The NumPy dtype string written after the items.
    fn dtype(self, decoded: &ChunkRepresentation) -> Result<String, CodecError> {
        if self == Kind::Str {
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

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// Write one fixed-size element (native-endian bytes `e`) as `tolist()` + `json` write it.
fn write_number(out: &mut String, kind: Kind, e: &[u8], allow_nan: bool) -> Result<(), String> {
    use std::fmt::Write as _;
    let _ = match kind {
        Kind::Bool => {
            out.push_str(if e[0] != 0 { "true" } else { "false" });
            Ok(())
        }
        Kind::I8 => write!(out, "{}", e[0] as i8),
        Kind::U8 => write!(out, "{}", e[0]),
        Kind::I16 => write!(out, "{}", i16::from_ne_bytes(arr(e))),
        Kind::U16 => write!(out, "{}", u16::from_ne_bytes(arr(e))),
        Kind::I32 => write!(out, "{}", i32::from_ne_bytes(arr(e))),
        Kind::U32 => write!(out, "{}", u32::from_ne_bytes(arr(e))),
        Kind::I64 => write!(out, "{}", i64::from_ne_bytes(arr(e))),
        Kind::U64 => write!(out, "{}", u64::from_ne_bytes(arr(e))),
        Kind::F16 => {
            return pyjson::write_float(out, half::f16::from_ne_bytes(arr(e)).to_f64(), allow_nan)
        }
        Kind::F32 => {
            return pyjson::write_float(out, f64::from(f32::from_ne_bytes(arr(e))), allow_nan)
        }
        Kind::F64 => return pyjson::write_float(out, f64::from_ne_bytes(arr(e)), allow_nan),
        Kind::Str => Ok(()),
    };
    Ok(())
}

/// The decoded elements being built.
struct Output {
    kind: Kind,
    fixed: Vec<u8>,
    pos: usize,
    bytes: Vec<u8>,
    offsets: Vec<usize>,
    scratch: Vec<u8>,
}

impl Output {
    fn new(kind: Kind, n: usize) -> Result<Self, CodecError> {
        let mut o = Self {
            kind,
            fixed: Vec::new(),
            pos: 0,
            bytes: Vec::new(),
            offsets: Vec::new(),
            scratch: Vec::new(),
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

    /// Read element `index` (a scalar) at the reader's position.
    fn push(&mut self, r: &mut Reader<'_>, index: usize) -> Result<(), CodecError> {
        let at = r.pos;
        let bad = |what: String| err(format!("element {index} (byte {at}): {what}"));
        if self.kind == Kind::Str {
            let before = self.bytes.len();
            let s = r.scalar(&mut self.bytes).map_err(&bad)?;
            match s {
                Scalar::Str => {}
                Scalar::Null => {}
                Scalar::Int(t) if t.trim_start_matches('-').bytes().all(|b| b == b'0') => {}
                other => {
                    self.bytes.truncate(before);
                    return Err(bad(format!(
                        "{other:?} in an array of strings (only strings, null and 0 are read)"
                    )));
                }
            }
            self.offsets.push(self.bytes.len());
            return Ok(());
        }
        self.scratch.clear();
        let s = r.scalar(&mut self.scratch).map_err(&bad)?;
        let kind = self.kind;
        let Some(size) = kind.size() else {
            return Err(err("internal: no element size"));
        };
        let Some(e) = self.fixed.get_mut(self.pos..self.pos + size) else {
            return Err(err("more elements than the chunk holds"));
        };
        self.pos += size;
        fn int<T: TryFrom<i128>>(s: Scalar<'_>) -> Result<T, String> {
            match s {
                Scalar::Int(t) => t
                    .parse::<i128>()
                    .ok()
                    .and_then(|v| T::try_from(v).ok())
                    .ok_or_else(|| format!("{t} does not fit the integer type")),
                other => Err(format!("{other:?} in an array of integers")),
            }
        }
        let float = |s: Scalar<'_>| -> Result<f64, String> {
            match s {
                // An integer is a Python int: `-0` is 0, not -0.0.
                Scalar::Int(t) => t
                    .parse::<f64>()
                    .map(|x| if x == 0.0 { 0.0 } else { x })
                    .map_err(|x| format!("number {t}: {x}")),
                Scalar::Float(t) => t.parse::<f64>().map_err(|x| format!("number {t}: {x}")),
                Scalar::Special(x) => Ok(x),
                other => Err(format!("{other:?} in an array of floats")),
            }
        };
        let result: Result<(), String> = (|| {
            match kind {
                Kind::Bool => {
                    e[0] = match s {
                        Scalar::Bool(b) => u8::from(b),
                        Scalar::Int("0") => 0,
                        Scalar::Int("1") => 1,
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
                Kind::Str => {}
            }
            Ok(())
        })();
        result.map_err(bad)
    }

    fn finish(self) -> ArrayBytes {
        match self.kind {
            Kind::Str => ArrayBytes::Variable {
                bytes: self.bytes,
                offsets: self.offsets,
            },
            _ => ArrayBytes::Fixed(self.fixed),
        }
    }
}

/// Writes element `i` of a chunk.
type LeafWriter<'a> = dyn Fn(&mut String, usize) -> Result<(), String> + 'a;

/// Parse the shape list (a list of non-negative integers).
fn parse_shape(text: &str, strict: bool) -> Result<Vec<u64>, String> {
    let mut r = Reader::new(text, strict);
    let mut scratch = Vec::new();
    r.expect(b'[', "the shape list")?;
    let mut shape = Vec::new();
    if r.eat(b']') {
        return Ok(shape);
    }
    loop {
        match r.scalar(&mut scratch)? {
            Scalar::Int(t) => shape.push(
                t.parse::<u64>()
                    .map_err(|_| format!("shape entry {t} is not a non-negative integer"))?,
            ),
            other => return Err(format!("shape entry {other:?} is not an integer")),
        }
        if shape.len() > MAX_RANK {
            return Err(format!("a shape of more than {MAX_RANK} dimensions"));
        }
        if r.eat(b']') {
            return Ok(shape);
        }
        r.expect(b',', "',' or ']' in the shape")?;
    }
}

impl Json2Codec {
    fn decode_text(
        &self,
        text: &str,
        decoded: &ChunkRepresentation,
    ) -> Result<ArrayBytes, CodecError> {
        let kind = Kind::of(decoded)?;
        let n = decoded.num_elements_usize()?;
        let rank = decoded.shape.len();
        // Pass 1: scan the document, remembering where its last two top-level items start.
        let mut r = Reader::new(text, self.strict);
        r.expect(b'[', "'[' (the document is a list)")
            .map_err(err)?;
        let mut starts: [usize; 2] = [0, 0];
        let mut count = 0usize;
        let mut last_end = 0usize;
        if !r.eat(b']') {
            loop {
                r.ws();
                starts = [starts[1], r.pos];
                r.skip_value().map_err(err)?;
                last_end = r.pos;
                count += 1;
                if r.eat(b']') {
                    break;
                }
                r.expect(b',', "',' or ']'").map_err(err)?;
            }
        }
        r.ws();
        if !r.at_end() {
            return Err(err(r.error("extra data after the document")));
        }
        if count < 2 {
            return Err(err(
                "the document has no dtype and shape (fewer than two items)",
            ));
        }
        let items = count - 2;
        // The dtype: a string.
        let mut dr = Reader::new(&text[starts[0]..], self.strict);
        let mut dtype = Vec::new();
        if dr.scalar(&mut dtype).map_err(err)? != Scalar::Str {
            return Err(err("the item before the shape is not a dtype string"));
        }
        let shape = parse_shape(&text[starts[1]..last_end], self.strict).map_err(err)?;
        if shape.len() != rank {
            return Err(err(format!(
                "stored shape {shape:?} has rank {}, the chunk {:?} has rank {rank}",
                shape.len(),
                decoded.shape
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
        if top != items as u64 {
            return Err(err(format!(
                "{items} items before the dtype, the stored shape {shape:?} needs {top}"
            )));
        }
        // Each element takes at least one byte of the document: refuse before allocating.
        if n > text.len() {
            return Err(err(format!(
                "{} bytes cannot hold {n} elements",
                text.len()
            )));
        }
        // Pass 2: the items, nested as the shape says.
        let mut out = Output::new(kind, n)?;
        let mut r = Reader::new(text, self.strict);
        r.expect(b'[', "'['").map_err(err)?;
        let inner = if rank == 0 { &[][..] } else { &shape[1..] };
        let mut index = 0usize;
        for _ in 0..items {
            read_nested(&mut r, inner, &mut out, &mut index)?;
            r.expect(b',', "','").map_err(err)?;
        }
        r.ws();
        if r.pos != starts[0] {
            return Err(err(r.error("items do not end where the dtype begins")));
        }
        Ok(out.finish())
    }
}

/// Read one item nested `dims.len()` deep (a scalar when `dims` is empty).
fn read_nested(
    r: &mut Reader<'_>,
    dims: &[u64],
    out: &mut Output,
    index: &mut usize,
) -> Result<(), CodecError> {
    let Some((&d, rest)) = dims.split_first() else {
        if r.start() != Start::Scalar {
            return Err(err(format!(
                "element {index}: {} where the shape expects a scalar",
                r.error("a list or an object")
            )));
        }
        out.push(r, *index)?;
        *index += 1;
        return Ok(());
    };
    r.expect(b'[', "a nested list (the shape's next dimension)")
        .map_err(err)?;
    for i in 0..d {
        if i > 0 {
            r.expect(b',', "','").map_err(err)?;
        }
        read_nested(r, rest, out, index)?;
    }
    r.expect(b']', "']' (the nested list is longer than the shape says)")
        .map_err(err)
}

impl Json2Codec {
    fn encode_text(
        &self,
        input: &ArrayBytes,
        decoded: &ChunkRepresentation,
    ) -> Result<String, CodecError> {
        let kind = Kind::of(decoded)?;
        let n = decoded.num_elements_usize()?;
        let rank = decoded.shape.len();
        if rank > MAX_RANK {
            return Err(unsupported(format!(
                "a chunk of rank {rank} (at most {MAX_RANK})"
            )));
        }
        let layout = self.layout()?;
        let ensure_ascii = self.flag("ensure_ascii", true);
        let allow_nan = self.flag("allow_nan", true);
        let dtype = kind.dtype(decoded)?;
        let leaf: Box<LeafWriter<'_>> = match (kind, input) {
            (Kind::Str, ArrayBytes::Variable { bytes, offsets }) if offsets.len() == n + 1 => {
                let view = zarrkit_core::array_bytes::VariableView::new(bytes, offsets)
                    .map_err(|e| err(format!("malformed variable-size offsets: {e}")))?;
                Box::new(move |out: &mut String, i: usize| {
                    let s = view.str(i).map_err(|e| e.to_string())?;
                    pyjson::write_str(out, s, ensure_ascii);
                    Ok(())
                })
            }
            (Kind::Str, _) => return Err(err(format!("expected {n} variable-size elements"))),
            (_, ArrayBytes::Fixed(b)) => {
                let size = kind.size().unwrap_or(1);
                if n.checked_mul(size) != Some(b.len()) {
                    return Err(err(format!(
                        "expected {n} elements of {size} bytes, got {} bytes",
                        b.len()
                    )));
                }
                Box::new(move |out: &mut String, i: usize| {
                    write_number(out, kind, &b[i * size..(i + 1) * size], allow_nan)
                })
            }
            _ => return Err(err("expected fixed-size array bytes")),
        };
        let shape = &decoded.shape;
        let mut out = String::new();
        let top = if rank == 0 { 1 } else { shape[0] as usize };
        let inner: &[u64] = if rank == 0 { &[] } else { &shape[1..] };
        // Elements per top-level item.
        let per = inner
            .iter()
            .fold(1usize, |a, &d| a.saturating_mul(d as usize));
        layout
            .write_list(&mut out, 0, top + 2, |out, i, level| {
                if i < top {
                    write_nested(&layout, out, level, inner, i * per, &*leaf)
                } else if i == top {
                    pyjson::write_str(out, &dtype, ensure_ascii);
                    Ok(())
                } else {
                    layout.write_list(out, level, shape.len(), |out, j, _| {
                        use std::fmt::Write as _;
                        let _ = write!(out, "{}", shape[j]);
                        Ok::<(), String>(())
                    })
                }
            })
            .map_err(err)?;
        Ok(out)
    }
}

fn write_nested(
    layout: &Layout,
    out: &mut String,
    level: usize,
    dims: &[u64],
    first: usize,
    leaf: &dyn Fn(&mut String, usize) -> Result<(), String>,
) -> Result<(), String> {
    let Some((&d, rest)) = dims.split_first() else {
        return leaf(out, first);
    };
    let per = rest
        .iter()
        .fold(1usize, |a, &d| a.saturating_mul(d as usize));
    layout.write_list(out, level, d as usize, |out, i, level| {
        write_nested(layout, out, level, rest, first + i * per, leaf)
    })
}

impl CodecTraits for Json2Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(self.configuration.clone())
    }
}

impl ArrayToBytesCodecTraits for Json2Codec {
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
        let text = self.encode_text(&input, decoded)?;
        self.bytes_of(text)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let text = self.text(&input)?;
        self.decode_text(&text, decoded)
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
        return Err(config_err("a V3 configuration has no `id`"));
    }
    Ok(Codec::ArrayToBytes(Arc::new(
        Json2Codec::from_configuration(name, conf)?,
    )))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let mut conf = config.clone();
    conf.remove("id");
    Ok(Codec::ArrayToBytes(Arc::new(
        Json2Codec::from_configuration(NAME, conf)?,
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[ID], create_v2)
}

#[cfg(test)]
mod tests;
