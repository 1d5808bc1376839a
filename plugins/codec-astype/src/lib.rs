//! zarrkit plugin: the numcodecs `astype` array→array filter (`numcodecs.astype.AsType`).
//!
//! - V3 name `numcodecs.astype` (the zarr-python 3 / numcodecs name; `astype` is accepted as
//!   an alias and the name read is written back), configuration
//!   `{"encode_dtype": "<f4", "decode_dtype": "<f8"}`. `decode_dtype` may be absent (zarr-python
//!   fills it from the array when writing; here it is then the array's data type).
//! - Zarr V2 / numcodecs id `astype`: `{"id": "astype", "encode_dtype": ..., "decode_dtype":
//!   ...}` (both required, as numcodecs' constructor requires them).
//!
//! Encoding casts every element of the chunk from `decode_dtype` (which must be the array's
//! data type, checked through its element kind) to `encode_dtype` as NumPy's `astype` does,
//! and the encoded chunk has the data type of `encode_dtype` (the next codec sees that
//! type); decoding casts back. dtypes are NumPy strings (`<f8`, `>i2`, `|u1`, `float64`,
//! `int16`, ...): booleans, integers and float16/32/64. The casts (see [`numpy`]): integer →
//! integer wraps (`<i4` 70000 → `<i2` 4464), float → integer truncates toward zero, float →
//! float rounds to nearest even (overflow → ±inf, NaN kept), anything → bool is `x != 0`.
//! **Out-of-range float → integer** (NaN, ±inf, beyond the target's range) is undefined in
//! NumPy and differs between its SIMD and scalar loops; here it is always what NumPy's scalar
//! loop gives on x86-64: NaN and out-of-range values become the minimum of `int32`/`int64`,
//! go through `int32` (then wrap) for 8- and 16-bit targets (300.7 → `uint8` 44, NaN → 0),
//! through `int64` for `uint32`, and for `uint64` values from 2⁶³ up through `int64` after
//! subtracting 2⁶³ (NaN → 2⁶³, +inf → 0).
//!
//! **Byte order.** In Zarr V3 the `bytes` codec decides the stored byte order and the byte
//! order characters of the dtypes do not matter (zarr-python hands the filter native-order
//! chunks). In Zarr V2 numcodecs stores the `encode_dtype` bytes *in its byte order* (a
//! `<f8` array with `encode_dtype` `>i2` stores big-endian int16), and views the chunk as
//! `decode_dtype` without converting (a `>f8` array with `decode_dtype` `<f8` reads its
//! bytes reversed). A codec created from a V2 configuration reproduces both (see
//! [`numpy::V2Layout`]); the core does not tell a V2 filter its array's byte order yet, so
//! the array is taken to have the byte order of `decode_dtype` (true whenever the
//! configuration was written with the array's dtype, as zarr-python users do), and
//! [`AsTypeCodec::from_v2`] takes it explicitly. Such a V2 codec whose stored bytes depend on
//! this has no V3 form: its V3 configuration carries a `zarrkit.v2_layout` member that V3
//! creation refuses (so converting that array to V3 is an error, not a misread).
//!
//! Element-wise: region-local decoding (partial reads) is supported. Nothing is allocated
//! beyond the chunk's element count times the element size.

use std::sync::Arc;

use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::subset::ArraySubset;
use zarrkit_core::{CodecOptions, DataType, FillValue};

pub mod numpy;

use numpy::{NpType, Order, V2Layout};

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.astype";
const ALIASES: &[&str] = &["astype"];
/// The numcodecs id.
pub const V2_ID: &str = "astype";
/// The member of the V3 configuration of a V2 codec whose stored bytes depend on its
/// array's byte order (refused by V3 creation: such a codec has no V3 form).
pub const V2_LAYOUT_MEMBER: &str = "zarrkit.v2_layout";

/// The `astype` codec.
#[derive(Debug, Clone, PartialEq)]
pub struct AsTypeCodec {
    name: &'static str,
    configuration: Map<String, Value>,
    v2_configuration: Option<Map<String, Value>>,
    encode: NpType,
    decode: Option<NpType>,
    layout: V2Layout,
}

fn dtype_member(
    config: &Map<String, Value>,
    key: &str,
    required: bool,
) -> Result<Option<NpType>, String> {
    match config.get(key) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(format!("`{key}` is required")),
        Some(Value::String(s)) => numpy::parse_dtype(s).map(Some).ok_or_else(|| {
            format!("unsupported {key} {s:?} (a NumPy bool, integer or float dtype is needed)")
        }),
        Some(v) => Err(format!("`{key}` must be a dtype string, not {v}")),
    }
}

fn check_members(config: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    if config.contains_key(V2_LAYOUT_MEMBER) {
        return Err(format!(
            "`{V2_LAYOUT_MEMBER}`: this configuration comes from a Zarr V2 filter whose stored \
             byte order differs from its array's ({}); it has no Zarr V3 equivalent",
            config.get(V2_LAYOUT_MEMBER).unwrap_or(&Value::Null)
        ));
    }
    match config.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown member `{k}`")),
        None => Ok(()),
    }
}

impl AsTypeCodec {
    /// A codec casting `decode_dtype` elements (`None`: the array's data type) to
    /// `encode_dtype` (Zarr V3: the byte order characters do not matter).
    pub fn new(encode_dtype: &str, decode_dtype: Option<&str>) -> Result<Self, String> {
        let mut configuration = Map::new();
        configuration.insert("encode_dtype".into(), Value::from(encode_dtype));
        if let Some(d) = decode_dtype {
            configuration.insert("decode_dtype".into(), Value::from(d));
        }
        Self::from_configuration(&configuration)
    }

    fn from_configuration(configuration: &Map<String, Value>) -> Result<Self, String> {
        check_members(configuration, &["encode_dtype", "decode_dtype"])?;
        let encode = dtype_member(configuration, "encode_dtype", true)?
            .ok_or("`encode_dtype` is required")?;
        let decode = dtype_member(configuration, "decode_dtype", false)?;
        Ok(Self {
            name: NAME,
            configuration: configuration.clone(),
            v2_configuration: None,
            encode,
            decode,
            layout: V2Layout::default(),
        })
    }

    /// A codec from a numcodecs configuration (`{"id": "astype", ...}`) of a Zarr V2 array
    /// whose dtype has the byte order character `array_byte_order` (`<`, `>`, `|`, `=`;
    /// `None`: unknown, taken to be `decode_dtype`'s).
    pub fn from_v2(
        config: &Map<String, Value>,
        array_byte_order: Option<char>,
    ) -> Result<Self, String> {
        check_members(config, &["id", "encode_dtype", "decode_dtype"])?;
        let encode = dtype_member(config, "encode_dtype", true)?.ok_or("`encode_dtype`")?;
        let decode = dtype_member(config, "decode_dtype", true)?.ok_or("`decode_dtype`")?;
        let array = match array_byte_order {
            None => decode.order,
            Some(c) => Order::of_char(Some(c), numpy::size_of(decode.kind)),
        };
        let layout = V2Layout::new(array, decode.order, encode.order);
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
            encode,
            decode: Some(decode),
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

    /// The decoded and encoded element kinds for a chunk of `decoded`.
    fn kinds(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<(ElementKind, ElementKind), CodecError> {
        let array_kind = decoded.data_type.element_kind();
        let dkind = match self.decode {
            Some(d) => {
                if array_kind != Some(d.kind) {
                    return Err(self.unsupported(format!(
                        "decode_dtype {} does not match the data type {}",
                        self.configuration
                            .get("decode_dtype")
                            .unwrap_or(&Value::Null),
                        decoded.data_type.name()
                    )));
                }
                d.kind
            }
            None => match array_kind {
                Some(k) if numpy::size_of(k) > 0 => k,
                _ => {
                    return Err(self.unsupported(format!(
                        "data type {} is not a bool, integer or float type",
                        decoded.data_type.name()
                    )))
                }
            },
        };
        if decoded.element_size() != Some(numpy::size_of(dkind)) {
            return Err(self.unsupported(format!(
                "data type {} has elements of {:?} bytes",
                decoded.data_type.name(),
                decoded.element_size()
            )));
        }
        Ok((dkind, self.encode.kind))
    }

    fn encoded_data_type(&self, kind: ElementKind) -> Result<DataType, CodecError> {
        if self.layout.raw_out {
            numpy::raw_data_type(numpy::size_of(kind))
        } else {
            numpy::data_type_of(kind)
        }
        .map_err(|e| self.unsupported(e))
    }

    fn fixed_input(&self, input: ArrayBytes, n: usize, size: usize) -> Result<Vec<u8>, CodecError> {
        let b = input
            .into_fixed()
            .ok_or_else(|| CodecError::new(self.name, "expected fixed-size array bytes"))?;
        if Some(b.len()) != n.checked_mul(size) {
            return Err(CodecError::UnexpectedSize {
                codec: self.name.into(),
                expected: (n as u64).saturating_mul(size as u64),
                actual: b.len() as u64,
            });
        }
        Ok(b)
    }

    fn encode_bytes(
        &self,
        b: &[u8],
        dkind: ElementKind,
        akind: ElementKind,
    ) -> Result<Vec<u8>, CodecError> {
        numpy::map_elements(
            b,
            dkind,
            self.layout.swap_in,
            dkind,
            akind,
            self.layout.swap_out,
            self.name,
            Ok::<_, CodecError>,
        )
    }
}

impl CodecTraits for AsTypeCodec {
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

impl ArrayToArrayCodecTraits for AsTypeCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        let (dkind, akind) = self.kinds(decoded)?;
        let data_type = self.encoded_data_type(akind)?;
        let fill = self
            .encode_bytes(decoded.fill_value.as_bytes(), dkind, akind)
            .ok()
            .filter(|f| f.len() == numpy::size_of(akind))
            .unwrap_or_else(|| vec![0; numpy::size_of(akind)]);
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
        let (dkind, akind) = self.kinds(decoded)?;
        let n = decoded.num_elements_usize()?;
        let b = self.fixed_input(input, n, numpy::size_of(dkind))?;
        Ok(ArrayBytes::Fixed(self.encode_bytes(&b, dkind, akind)?))
    }

    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let (dkind, akind) = self.kinds(decoded)?;
        let n = decoded.num_elements_usize()?;
        let b = self.fixed_input(input, n, numpy::size_of(akind))?;
        Ok(ArrayBytes::Fixed(numpy::map_elements(
            &b,
            akind,
            self.layout.swap_out,
            akind,
            dkind,
            self.layout.swap_in,
            self.name,
            Ok::<_, CodecError>,
        )?))
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
    let mut codec =
        AsTypeCodec::from_configuration(metadata.configuration().unwrap_or(&empty)).map_err(err)?;
    codec.name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::ArrayToArray(Arc::new(codec)))
}

fn create_v2(config: &Map<String, Value>, context: &CodecV2Context) -> Result<Codec, PluginError> {
    // The core does not pass the array's byte order yet (see the crate documentation).
    let codec = AsTypeCodec::from_v2(
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
