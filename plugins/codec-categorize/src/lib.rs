//! zarrkit plugin: the numcodecs `categorize` filter (`numcodecs.categorize.Categorize`):
//! strings → small integer codes.
//!
//! - Zarr V2 / numcodecs id `categorize`:
//!   `{"id": "categorize", "labels": ["a", "b"], "dtype": "|O", "astype": "|u1"}` (`labels`
//!   and `dtype` required; `astype` defaults to `|u1`).
//! - numcodecs registers no V3 codec for it; zarrkit's V3 name is `numcodecs.categorize`
//!   (alias `categorize`), with the same members as configuration, so that a V2 array
//!   converts to V3 and back. No other implementation reads that V3 form.
//!
//! `dtype` is the decoded type: `|O` (NumPy objects; in zarrkit the variable-length `string`
//! data type, elements as UTF-8 bytes plus offsets) or `<U<n>` / `>U<n>` (fixed-length
//! UCS-4: `fixed_length_utf32` of `4n` bytes, `n` native-endian code units per element,
//! NUL-padded). The array's data type is checked by capability: element kind
//! `Utf8String` for `|O`; for `<U<n>` a fixed size of `4n` bytes swapped in 4-byte units whose
//! V2 dtype is `<U<n>` (the data type's own V2 identity, as the core reports it).
//! `astype` is an integer (or float) NumPy dtype.
//!
//! **Encoding**, as numcodecs: every element starts as code 0; for each label `i` in order,
//! elements equal to it get code `i + 1`, so with duplicate labels the last one wins and
//! anything not among the labels is 0. Comparisons are NumPy's: the label becomes a NumPy
//! string, which drops its trailing NUL characters; `|O` elements are compared with it as
//! they are (element `"c"` matches label `"c\0"`, element `"c\0"` does not), `<U<n>` elements
//! without their trailing NULs (padding); a label longer than `n` characters matches nothing. More labels than `astype` can count is an error when encoding (NumPy 2 raises
//! `OverflowError` even for an empty chunk); a float `astype` stores each code rounded to it,
//! as NumPy does. **Decoding**: every element starts as `''`; code `i + 1` becomes
//! `labels[i]` (truncated to `n` characters for `<U<n>`, as NumPy's assignment does), any
//! other code `''`. Element order is the chunk's (numcodecs flattens in memory order; for an
//! `order: "F"` V2 array the core's transpose comes first, so this is the same).
//!
//! **Byte order**, for Zarr V2 (in V3 the `bytes` codec decides it): numcodecs stores the
//! `astype` codes in their own byte order (`>i2` codes of a `<U4` array are big-endian) and
//! views a `<U<n>` chunk as `dtype` without converting. A codec created from a V2
//! configuration reproduces both, taking the array to have `dtype`'s byte order (the core
//! does not pass a V2 filter its array's byte order yet; [`CategorizeCodec::from_v2`] takes it
//! explicitly). An object array has no byte order (its `bytes` codec has no `endian`), so a
//! multi-byte `astype` is handed on as raw bytes (`|V<k>`) already in its order. Such a V2
//! codec has no V3 form (a `zarrkit.v2_layout` member that V3 creation refuses).
//!
//! Zarr V2 object arrays (`|O`) whose first filter is `categorize` need the `string` data type
//! to claim `categorize` as an object codec (`DataTypePlugin::with_v2_object_codec_ids`) to
//! open through the Array API.
//!
//! Allocations are bounded by the chunk: decoded strings take at most the element count
//! times the longest label.

use std::collections::HashMap;
use std::sync::Arc;

use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::subset::ArraySubset;
use zarrkit_core::{CodecOptions, DataType, DataTypeSize, FillValue};

pub mod numpy;

use numpy::{NpType, Order, V2Layout, Val};

/// The (zarrkit) V3 name of the codec.
pub const NAME: &str = "numcodecs.categorize";
const ALIASES: &[&str] = &["categorize"];
/// The numcodecs id.
pub const V2_ID: &str = "categorize";
/// The member of the V3 configuration of a V2 codec whose stored bytes depend on its
/// array's byte order (refused by V3 creation: such a codec has no V3 form).
pub const V2_LAYOUT_MEMBER: &str = "zarrkit.v2_layout";

const MEMBERS: &[&str] = &["labels", "dtype", "astype"];
const MEMBERS_V2: &[&str] = &["id", "labels", "dtype", "astype"];

/// The decoded string type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringKind {
    /// `|O`: variable-length strings.
    Object,
    /// `<U<n>`: `n` UCS-4 code units per element, in the given byte order.
    Utf32 {
        /// Characters per element.
        chars: usize,
        /// The byte order the dtype names.
        order: Order,
    },
}

/// Parse the `dtype` of a categorize configuration: `|O` (`O`, `object`) or `<U<n>` (`>U<n>`,
/// `=U<n>`, `U<n>`, `|U<n>`).
pub fn parse_string_dtype(s: &str) -> Option<StringKind> {
    if matches!(s, "|O" | "O" | "object" | "=O" | "<O" | ">O") {
        return Some(StringKind::Object);
    }
    let (order, body) = match s.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (Some(c), &s[1..]),
        _ => (None, s),
    };
    let digits = body.strip_prefix('U')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let chars: usize = digits.parse().ok()?;
    if chars == 0 || chars > (1 << 18) {
        return None;
    }
    let order = numpy::Order::of_char(order, 4)?;
    Some(StringKind::Utf32 { chars, order })
}

/// The `categorize` codec.
#[derive(Debug, Clone, PartialEq)]
pub struct CategorizeCodec {
    name: &'static str,
    configuration: Map<String, Value>,
    v2_configuration: Option<Map<String, Value>>,
    labels: Vec<String>,
    dtype: StringKind,
    astype: NpType,
    layout: V2Layout,
}

fn parse_members(
    config: &Map<String, Value>,
    allowed: &[&str],
) -> Result<(Vec<String>, StringKind, NpType), String> {
    if config.contains_key(V2_LAYOUT_MEMBER) {
        return Err(format!(
            "`{V2_LAYOUT_MEMBER}`: this configuration comes from a Zarr V2 filter whose stored \
             byte order differs from its array's ({}); it has no Zarr V3 equivalent",
            config.get(V2_LAYOUT_MEMBER).unwrap_or(&Value::Null)
        ));
    }
    if let Some(k) = config.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("unknown member `{k}`"));
    }
    let labels = match config.get("labels") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                v => Err(format!("labels must be strings, not {v}")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(v) => return Err(format!("`labels` must be a list of strings, not {v}")),
        None => return Err("`labels` is required".into()),
    };
    let dtype = match config.get("dtype") {
        Some(Value::String(s)) => parse_string_dtype(s)
            .ok_or_else(|| format!("dtype {s:?} is not a unicode ('U') or object ('O') dtype"))?,
        Some(v) => return Err(format!("`dtype` must be a dtype string, not {v}")),
        None => return Err("`dtype` is required".into()),
    };
    let astype = match config.get("astype") {
        None | Some(Value::Null) => NpType {
            kind: ElementKind::UInt8,
            order: None,
        },
        Some(Value::String(s)) => numpy::parse_dtype(s)
            .filter(|t| numpy::is_int(t.kind) || numpy::is_float(t.kind))
            .ok_or_else(|| format!("astype {s:?} is not an integer or float dtype"))?,
        Some(v) => return Err(format!("`astype` must be a dtype string, not {v}")),
    };
    Ok((labels, dtype, astype))
}

/// Code points of a string without its trailing NULs (NumPy's `U` comparison).
fn code_points(s: &str) -> Vec<u32> {
    let mut v: Vec<u32> = s.chars().map(u32::from).collect();
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

impl CategorizeCodec {
    /// A codec (Zarr V3 form) for `labels`, decoded type `dtype` (`|O` or `<U<n>`) and codes
    /// of `astype` (`None`: `|u1`).
    pub fn new(labels: &[&str], dtype: &str, astype: Option<&str>) -> Result<Self, String> {
        let mut c = Map::new();
        c.insert(
            "labels".into(),
            Value::Array(labels.iter().map(|&l| Value::from(l)).collect()),
        );
        c.insert("dtype".into(), Value::from(dtype));
        if let Some(a) = astype {
            c.insert("astype".into(), Value::from(a));
        }
        Self::from_configuration(&c)
    }

    fn from_configuration(configuration: &Map<String, Value>) -> Result<Self, String> {
        let (labels, dtype, astype) = parse_members(configuration, MEMBERS)?;
        Ok(Self {
            name: NAME,
            configuration: configuration.clone(),
            v2_configuration: None,
            labels,
            dtype,
            astype,
            layout: V2Layout::default(),
        })
    }

    /// A codec from a numcodecs configuration (`{"id": "categorize", ...}`) of a Zarr V2 array
    /// whose dtype has the byte order character `array_byte_order` (`<`, `>`, `|`, `=`;
    /// `None`: unknown, taken to be `dtype`'s; an object array has none).
    pub fn from_v2(
        config: &Map<String, Value>,
        array_byte_order: Option<char>,
    ) -> Result<Self, String> {
        let (labels, dtype, astype) = parse_members(config, MEMBERS_V2)?;
        let decoded = match dtype {
            StringKind::Object => None,
            StringKind::Utf32 { order, .. } => Some(order),
        };
        let array = match (array_byte_order, dtype) {
            (_, StringKind::Object) => None,
            (None, _) => decoded,
            (Some(c), _) => Order::of_char(Some(c), 4),
        };
        let layout = V2Layout::new(array, decoded, astype.order);
        let mut configuration: Map<String, Value> = config
            .iter()
            .filter(|(k, _)| k.as_str() != "id")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !layout.is_plain() {
            configuration.insert(
                V2_LAYOUT_MEMBER.into(),
                Value::from(format!(
                    "array byte order {:?}",
                    array.map_or('|', |o| if o == Order::Little { '<' } else { '>' })
                )),
            );
        }
        Ok(Self {
            name: NAME,
            configuration,
            v2_configuration: Some(config.clone()),
            labels,
            dtype,
            astype,
            layout,
        })
    }

    /// The V2 byte layout this codec reproduces (plain for V3 codecs).
    pub fn v2_layout(&self) -> V2Layout {
        self.layout
    }

    fn unsupported(&self, message: impl Into<String>) -> CodecError {
        CodecError::Unsupported {
            codec: self.name.into(),
            message: message.into(),
        }
    }

    /// Check the array's data type against `dtype` (by capability).
    fn check(&self, decoded: &ChunkRepresentation) -> Result<(), CodecError> {
        let dt = &decoded.data_type;
        let ok = match self.dtype {
            StringKind::Object => {
                dt.element_kind() == Some(ElementKind::Utf8String)
                    && dt.size() == DataTypeSize::Variable
            }
            StringKind::Utf32 { chars, .. } => {
                dt.size() == DataTypeSize::Fixed(chars * 4)
                    && dt.endianness_unit() == Some(4)
                    && dt.to_v2_dtype('<').as_deref() == Some(format!("<U{chars}").as_str())
            }
        };
        if ok {
            Ok(())
        } else {
            Err(self.unsupported(format!(
                "dtype {} does not match the data type {}",
                self.configuration.get("dtype").unwrap_or(&Value::Null),
                dt.name()
            )))
        }
    }

    fn encoded_data_type(&self) -> Result<DataType, CodecError> {
        if self.layout.raw_out {
            numpy::raw_data_type(numpy::size_of(self.astype.kind))
        } else {
            numpy::data_type_of(self.astype.kind)
        }
        .map_err(|e| self.unsupported(e))
    }

    /// The code of every element, in order (NumPy 2 raises when a code does not fit an
    /// integer `astype`).
    fn codes<'a>(
        &self,
        elements: impl Iterator<Item = Element<'a>>,
    ) -> Result<Vec<u8>, CodecError> {
        let kind = self.astype.kind;
        if numpy::is_int(kind) {
            let max = i128::try_from(self.labels.len()).unwrap_or(i128::MAX);
            if !numpy::fits(kind, max) {
                return Err(self.unsupported(format!(
                    "{} labels do not fit astype {kind:?} (NumPy raises OverflowError)",
                    self.labels.len()
                )));
            }
        }
        let mut by_bytes: HashMap<&[u8], usize> = HashMap::new();
        let mut by_units: HashMap<Vec<u32>, usize> = HashMap::new();
        let units: Vec<Vec<u32>> = match self.dtype {
            StringKind::Object => {
                // NumPy compares with the label as a NumPy string, whose trailing NULs are
                // dropped (the elements are compared as they are).
                for (i, l) in self.labels.iter().enumerate() {
                    by_bytes.insert(l.trim_end_matches('\0').as_bytes(), i + 1);
                }
                Vec::new()
            }
            StringKind::Utf32 { .. } => self.labels.iter().map(|l| code_points(l)).collect(),
        };
        for (i, u) in units.into_iter().enumerate() {
            by_units.insert(u, i + 1);
        }
        let size = numpy::size_of(kind);
        let mut out: Vec<u8> = Vec::new();
        let (lower, _) = elements.size_hint();
        out.try_reserve_exact(lower.saturating_mul(size))
            .map_err(|e| CodecError::allocation(self.name, format!("{lower} codes: {e}")))?;
        let mut buf = [0u8; 8];
        let mut units = Vec::new();
        for e in elements {
            let code = match e {
                Element::Bytes(b) => by_bytes.get(b).copied().unwrap_or(0),
                Element::Utf32(raw) => {
                    units.clear();
                    units.extend(raw.chunks_exact(4).map(|c| {
                        let a = [c[0], c[1], c[2], c[3]];
                        if self.layout.swap_in {
                            u32::from_ne_bytes(a).swap_bytes()
                        } else {
                            u32::from_ne_bytes(a)
                        }
                    }));
                    while units.last() == Some(&0) {
                        units.pop();
                    }
                    by_units.get(&units).copied().unwrap_or(0)
                }
            };
            let b = &mut buf[..size];
            numpy::write(kind, Val::Int(code as i128), ElementKind::Int64, b);
            if self.layout.swap_out {
                b.reverse();
            }
            out.extend_from_slice(b);
        }
        Ok(out)
    }

    /// The label index (from 1) of every stored code, 0 for none.
    fn label_numbers(&self, codes: &[u8]) -> Vec<usize> {
        let kind = self.astype.kind;
        let size = numpy::size_of(kind);
        // For a float astype NumPy compares with each code rounded to it (later labels win).
        let mut by_value: HashMap<u64, usize> = HashMap::new();
        if numpy::is_float(kind) {
            for i in 0..self.labels.len() {
                let v = numpy::round_float(kind, (i + 1) as f64);
                by_value.insert(v.to_bits(), i + 1);
            }
        }
        let mut tmp = [0u8; 8];
        codes
            .chunks_exact(size.max(1))
            .map(|c| {
                let t = &mut tmp[..c.len()];
                t.copy_from_slice(c);
                if self.layout.swap_out {
                    t.reverse();
                }
                match numpy::read(kind, t) {
                    Val::Int(v) if v >= 1 && v <= self.labels.len() as i128 => v as usize,
                    Val::Int(_) => 0,
                    Val::Float(x) => by_value.get(&(x + 0.0).to_bits()).copied().unwrap_or(0),
                }
            })
            .collect()
    }
}

/// One decoded element handed to the encoder.
enum Element<'a> {
    Bytes(&'a [u8]),
    Utf32(&'a [u8]),
}

impl CodecTraits for CategorizeCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(self.configuration.clone())
    }

    fn configuration_v2(&self) -> Option<Map<String, Value>> {
        if let Some(c) = &self.v2_configuration {
            return Some(c.clone());
        }
        let mut m = Map::new();
        m.insert("id".into(), Value::from(V2_ID));
        m.extend(self.configuration.clone());
        Some(m)
    }
}

impl ArrayToArrayCodecTraits for CategorizeCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        self.check(decoded)?;
        let data_type = self.encoded_data_type()?;
        let size = numpy::size_of(self.astype.kind);
        let fv = decoded.fill_value.as_bytes();
        let element = match self.dtype {
            StringKind::Object => Element::Bytes(fv),
            StringKind::Utf32 { .. } => Element::Utf32(fv),
        };
        let fill = self
            .codes(std::iter::once(element))
            .ok()
            .filter(|f| f.len() == size)
            .unwrap_or_else(|| vec![0; size]);
        Ok(ChunkRepresentation::new(
            decoded.shape.clone(),
            data_type,
            FillValue::new(fill),
        ))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.check(decoded)?;
        let n = decoded.num_elements_usize()?;
        input
            .validate(n, decoded.element_size())
            .map_err(|e| CodecError::new(self.name, e))?;
        let out = match (&self.dtype, &input) {
            (StringKind::Object, ArrayBytes::Variable { .. }) => {
                let view = input
                    .as_variable()
                    .ok_or_else(|| CodecError::new(self.name, "malformed element offsets"))?;
                self.codes(view.iter().map(Element::Bytes))?
            }
            (StringKind::Utf32 { chars, .. }, ArrayBytes::Fixed(b)) => {
                self.codes(b.chunks_exact(chars * 4).map(Element::Utf32))?
            }
            _ => return Err(CodecError::new(self.name, "input of the wrong kind")),
        };
        Ok(ArrayBytes::Fixed(out))
    }

    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.check(decoded)?;
        let n = decoded.num_elements_usize()?;
        let size = numpy::size_of(self.astype.kind);
        let codes = input
            .into_fixed()
            .ok_or_else(|| CodecError::new(self.name, "expected fixed-size codes"))?;
        if Some(codes.len()) != n.checked_mul(size) {
            return Err(CodecError::UnexpectedSize {
                codec: self.name.into(),
                expected: (n as u64).saturating_mul(size as u64),
                actual: codes.len() as u64,
            });
        }
        let numbers = self.label_numbers(&codes);
        let label = |k: usize| -> &str {
            match k.checked_sub(1).and_then(|i| self.labels.get(i)) {
                Some(l) => l,
                None => "",
            }
        };
        match self.dtype {
            StringKind::Object => {
                let total = numbers
                    .iter()
                    .try_fold(0usize, |a, &k| a.checked_add(label(k).len()))
                    .ok_or_else(|| CodecError::allocation(self.name, "decoded strings"))?;
                let mut bytes = Vec::new();
                bytes.try_reserve_exact(total).map_err(|e| {
                    CodecError::allocation(self.name, format!("{total} bytes: {e}"))
                })?;
                let mut offsets = Vec::new();
                offsets
                    .try_reserve_exact(n + 1)
                    .map_err(|e| CodecError::allocation(self.name, format!("{n} offsets: {e}")))?;
                offsets.push(0);
                for &k in &numbers {
                    bytes.extend_from_slice(label(k).as_bytes());
                    offsets.push(bytes.len());
                }
                Ok(ArrayBytes::Variable { bytes, offsets })
            }
            StringKind::Utf32 { chars, .. } => {
                let width = chars * 4;
                let total = n
                    .checked_mul(width)
                    .ok_or_else(|| CodecError::allocation(self.name, "decoded strings"))?;
                let mut out = zarrkit_core::codec::zeroed_for(total, self.name)?;
                let encoded: Vec<Vec<u8>> = self
                    .labels
                    .iter()
                    .map(|l| {
                        l.chars()
                            .take(chars)
                            .flat_map(|c| {
                                let u = u32::from(c);
                                if self.layout.swap_in {
                                    u.swap_bytes().to_ne_bytes()
                                } else {
                                    u.to_ne_bytes()
                                }
                            })
                            .collect()
                    })
                    .collect();
                for (o, &k) in out.chunks_exact_mut(width).zip(&numbers) {
                    if let Some(e) = k.checked_sub(1).and_then(|i| encoded.get(i)) {
                        for (d, s) in o.iter_mut().zip(e) {
                            *d = *s;
                        }
                    }
                }
                Ok(ArrayBytes::Fixed(out))
            }
        }
    }

    fn encoded_region(
        &self,
        region: &ArraySubset,
        _decoded: &ChunkRepresentation,
    ) -> Option<ArraySubset> {
        Some(region.clone())
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::Codec, metadata.name(), m);
    let empty = Map::new();
    let mut codec = CategorizeCodec::from_configuration(metadata.configuration().unwrap_or(&empty))
        .map_err(err)?;
    codec.name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::ArrayToArray(Arc::new(codec)))
}

fn create_v2(config: &Map<String, Value>, context: &CodecV2Context) -> Result<Codec, PluginError> {
    // The core does not pass the array's byte order yet (see the crate documentation).
    let codec = CategorizeCodec::from_v2(
        config,
        context.byte_order.filter(|c| matches!(c, '<' | '>')),
    )
    .map_err(|m| PluginError::config(ExtensionKind::Codec, V2_ID, m))?;
    Ok(Codec::ArrayToArray(Arc::new(codec)))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[V2_ID], create_v2)
}

#[cfg(test)]
mod tests;
