//! zarrkit plugin: the numcodecs `quantize` array→array filter (lossy;
//! `numcodecs.quantize.Quantize`).
//!
//! - V3 name `numcodecs.quantize` (the zarr-python 3 / numcodecs name; `quantize` is
//!   accepted as an alias and the name read is written back), configuration
//!   `{"digits": 2, "dtype": "<f8", "astype": "<f2"}`. `dtype` may be absent (zarr-python
//!   fills it from the array when writing: then it is the array's data type); `astype`
//!   defaults to `dtype`.
//! - Zarr V2 / numcodecs id `quantize`: the same members plus `"id"` (`dtype` required, as
//!   numcodecs' constructor requires it).
//!
//! Both dtypes must be float types (float16, float32, float64), as numcodecs requires.
//! **Encoding** keeps `digits` decimal digits exactly as numcodecs 0.15 / 0.16 computes it:
//! `precision = 10.0 ** -digits`, `e = log10(precision)` rounded away from zero
//! (`floor` if negative, else `ceil`), `bits = ceil(log2(10.0 ** -e))`,
//! `scale = 2.0 ** bits` (digits 1 → scale 16, 2 → 128, 0 → 1, -1 → 0.125); then
//! `around(scale * x) / scale` in `dtype`'s own type (NumPy converts the Python scalar to it
//! first: float16 arithmetic included, `around` half to even), cast to `astype` (rounding
//! to nearest even; NaN and inf pass through). An older numcodecs computed the logarithms as
//! `math.log(x, 10)` (`ln x / ln 10`); over every `digits` from -400 to 400 that gives the same
//! scale (checked by the reference vectors). `digits` only matters when encoding: any value
//! opens; one that is not a number, or for which Python raises (`10.0 ** -digits`
//! overflows or underflows to 0), is an error when encoding. **Decoding** casts `astype` to
//! `dtype` and nothing else.
//!
//! The encoded chunk has the data type of `astype`: the next codec sees that type, in V2 as
//! in V3. (zarr-python 3's V3 wrapper does not change the downstream data type to `astype`,
//! unlike its `fixedscaleoffset` and `astype` wrappers, yet stores the `astype` bytes its
//! filter returns: such chunks are what zarrkit writes and reads; see the reference
//! vectors.)
//!
//! **Byte order.** As for the other numcodecs filters here: in V3 the `bytes` codec decides
//! it. In V2 numcodecs stores the `astype` bytes in their own byte order and views the chunk
//! as `dtype` without converting; a codec created from a V2 configuration reproduces both
//! ([`numpy::V2Layout`]), taking the array to have `dtype`'s byte order (the core does not
//! pass a V2 filter its array's byte order yet; [`QuantizeCodec::from_v2`] takes it
//! explicitly); such a V2 codec whose stored bytes depend on it has no V3 form (its V3
//! configuration carries a `zarrkit.v2_layout` member that V3 creation refuses).
//!
//! Element-wise: region-local decoding (partial reads) is supported.

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

use numpy::{NpType, Order, V2Layout, Val};

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.quantize";
const ALIASES: &[&str] = &["quantize"];
/// The numcodecs id.
pub const V2_ID: &str = "quantize";
/// The member of the V3 configuration of a V2 codec whose stored bytes depend on its
/// array's byte order (refused by V3 creation: such a codec has no V3 form).
pub const V2_LAYOUT_MEMBER: &str = "zarrkit.v2_layout";

const MEMBERS: &[&str] = &["digits", "dtype", "astype"];
const MEMBERS_V2: &[&str] = &["id", "digits", "dtype", "astype"];

/// The `quantize` codec.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizeCodec {
    name: &'static str,
    configuration: Map<String, Value>,
    v2_configuration: Option<Map<String, Value>>,
    dtype: Option<NpType>,
    astype: Option<NpType>,
    layout: V2Layout,
}

/// The scale numcodecs multiplies by before rounding, for `digits` (a JSON number), as
/// Python computes it, or the error Python raises.
pub fn scale_for_digits(digits: &Value) -> Result<f64, String> {
    let Value::Number(n) = digits else {
        return Err(format!("digits must be a number, not {digits}"));
    };
    let text = n.to_string();
    let d: f64 = text
        .parse()
        .map_err(|_| format!("digits {text} is not a number"))?;
    if !d.is_finite() {
        return Err(format!("digits {text}: int too large to convert to float"));
    }
    // Python's float `**` raises OverflowError on overflow; log10 and log2 of 0 raise
    // ValueError (math domain error).
    let pow = |b: f64, e: f64| -> Result<f64, String> {
        let r = b.powf(e);
        if r.is_finite() {
            Ok(r)
        } else {
            Err(format!(
                "digits {text}: {b} ** {e} overflows (Python raises OverflowError)"
            ))
        }
    };
    let precision = pow(10.0, -d)?;
    if precision == 0.0 {
        return Err(format!(
            "digits {text}: 10.0 ** -digits is 0 (Python raises ValueError: math domain error)"
        ));
    }
    let e = precision.log10();
    let e = if e < 0.0 { e.floor() } else { e.ceil() };
    let p = pow(10.0, -e)?;
    if p == 0.0 {
        return Err(format!(
            "digits {text}: 10.0 ** -exp is 0 (Python raises ValueError: math domain error)"
        ));
    }
    let bits = p.log2().ceil();
    // 2.0 ** bits: an overflow raises; an underflow is 0.0.
    pow(2.0, bits)
}

fn dtype_member(
    config: &Map<String, Value>,
    key: &str,
    required: bool,
) -> Result<Option<NpType>, String> {
    let t = match config.get(key) {
        None | Some(Value::Null) if !required => return Ok(None),
        None | Some(Value::Null) => return Err(format!("`{key}` is required")),
        Some(Value::String(s)) => numpy::parse_dtype(s)
            .ok_or_else(|| format!("unsupported {key} {s:?} (a NumPy float dtype is needed)"))?,
        Some(v) => return Err(format!("`{key}` must be a dtype string, not {v}")),
    };
    if !numpy::is_float(t.kind) {
        return Err(format!(
            "{key} {} is not a float type (numcodecs supports only floating point data types)",
            config.get(key).unwrap_or(&Value::Null)
        ));
    }
    Ok(Some(t))
}

fn check_members(config: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    if config.contains_key(V2_LAYOUT_MEMBER) {
        return Err(format!(
            "`{V2_LAYOUT_MEMBER}`: this configuration comes from a Zarr V2 filter whose stored \
             byte order differs from its array's ({}); it has no Zarr V3 equivalent",
            config.get(V2_LAYOUT_MEMBER).unwrap_or(&Value::Null)
        ));
    }
    if !config.contains_key("digits") {
        return Err("`digits` is required".into());
    }
    match config.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown member `{k}`")),
        None => Ok(()),
    }
}

impl QuantizeCodec {
    /// A codec keeping `digits` (a JSON number) decimal digits of `dtype` elements (`None`:
    /// the array's data type), encoded as `astype` (`None`: `dtype`). Zarr V3: the byte order
    /// characters do not matter.
    pub fn new(digits: Value, dtype: Option<&str>, astype: Option<&str>) -> Result<Self, String> {
        let mut c = Map::new();
        c.insert("digits".into(), digits);
        if let Some(d) = dtype {
            c.insert("dtype".into(), Value::from(d));
        }
        if let Some(a) = astype {
            c.insert("astype".into(), Value::from(a));
        }
        Self::from_configuration(&c)
    }

    fn from_configuration(configuration: &Map<String, Value>) -> Result<Self, String> {
        check_members(configuration, MEMBERS)?;
        Ok(Self {
            name: NAME,
            configuration: configuration.clone(),
            v2_configuration: None,
            dtype: dtype_member(configuration, "dtype", false)?,
            astype: dtype_member(configuration, "astype", false)?,
            layout: V2Layout::default(),
        })
    }

    /// A codec from a numcodecs configuration (`{"id": "quantize", ...}`) of a Zarr V2 array
    /// whose dtype has the byte order character `array_byte_order` (`<`, `>`, `|`, `=`;
    /// `None`: unknown, taken to be `dtype`'s).
    pub fn from_v2(
        config: &Map<String, Value>,
        array_byte_order: Option<char>,
    ) -> Result<Self, String> {
        check_members(config, MEMBERS_V2)?;
        let dtype = dtype_member(config, "dtype", true)?.ok_or("`dtype` is required")?;
        let astype = dtype_member(config, "astype", false)?;
        let array = match array_byte_order {
            None => dtype.order,
            Some(c) => Order::of_char(Some(c), numpy::size_of(dtype.kind)),
        };
        let layout = V2Layout::new(array, dtype.order, astype.unwrap_or(dtype).order);
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
            dtype: Some(dtype),
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

    /// The decoded and encoded element kinds for a chunk of `decoded`.
    fn kinds(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<(ElementKind, ElementKind), CodecError> {
        let array_kind = decoded.data_type.element_kind();
        let dkind = match self.dtype {
            Some(d) if array_kind == Some(d.kind) => d.kind,
            Some(_) => {
                return Err(self.unsupported(format!(
                    "dtype {} does not match the data type {}",
                    self.configuration.get("dtype").unwrap_or(&Value::Null),
                    decoded.data_type.name()
                )))
            }
            None => match array_kind {
                Some(k) if numpy::is_float(k) => k,
                _ => {
                    return Err(self.unsupported(format!(
                        "data type {} is not a float16, float32 or float64 type",
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
        Ok((dkind, self.astype.map_or(dkind, |a| a.kind)))
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
        let digits = self.configuration.get("digits").unwrap_or(&Value::Null);
        let scale = scale_for_digits(digits).map_err(|e| self.unsupported(e))?;
        // NumPy converts the Python float to the array's type (float16 overflows to inf).
        let t = dkind;
        let sc = numpy::round_float(t, scale);
        numpy::map_elements(
            b,
            dkind,
            self.layout.swap_in,
            t,
            akind,
            self.layout.swap_out,
            self.name,
            |x| {
                let p = numpy::round_float(t, sc * x.to_f64());
                Ok::<_, CodecError>(Val::Float(numpy::round_float(t, numpy::rint(p) / sc)))
            },
        )
    }
}

impl CodecTraits for QuantizeCodec {
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

impl ArrayToArrayCodecTraits for QuantizeCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        let (dkind, akind) = self.kinds(decoded)?;
        let data_type = self.encoded_data_type(akind)?;
        // The fill value quantised (zeros if `digits` is not usable: an error when
        // encoding).
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
    let mut codec = QuantizeCodec::from_configuration(metadata.configuration().unwrap_or(&empty))
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
    let codec = QuantizeCodec::from_v2(
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
