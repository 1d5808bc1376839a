//! [`Encoding`]: how a filter's output array is encoded (zarrs_tools' re-encoding options),
//! and [`output_metadata`], which builds the output's V3 metadata from the input's.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zarrkit_core::array::codecs_from_metadata;
use zarrkit_core::{Array, ArrayMetadataV3, MetadataV3};

use crate::numeric::{Buf, NumericType};
use crate::FilterError;

/// Output encoding options. Every member left out is taken from the input array.
///
/// Codec members take codec metadata as JSON (an object, or a string holding JSON, as
/// zarrs_tools' command lines take them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encoding {
    /// The output data type (a V3 name such as `"float32"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// The output fill value (V3 JSON). Default: the filter's, else the input's fill value
    /// cast to the output type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_value: Option<Value>,
    /// The chunk shape (inner chunk shape when sharded); 0 means the whole extent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_shape: Option<Vec<u64>>,
    /// The shard shape: the output is sharded (`sharding_indexed`, index `bytes` +
    /// `crc32c` at the end); 0 means the whole extent. Rounded up to a multiple of the
    /// chunk shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_shape: Option<Vec<u64>>,
    /// Ignore the input's sharding (take its inner chunks as the chunks).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore_input_sharding: bool,
    /// Array→array codecs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_to_array_codecs: Option<Value>,
    /// The array→bytes codec (default `bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_to_bytes_codec: Option<Value>,
    /// Bytes→bytes codecs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_to_bytes_codecs: Option<Value>,
    /// The chunk key separator (`/` or `.`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// Dimension names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension_names: Option<Vec<Option<String>>>,
    /// Attributes replacing the input's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    /// Attributes added to the input's (or to `attributes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes_append: Option<Map<String, Value>>,
}

/// What the output of a filter is, before the encoding options apply.
#[derive(Debug, Clone)]
pub struct OutputDefaults {
    /// The output shape.
    pub shape: Vec<u64>,
    /// The filter's own output data type and fill value (e.g. `equal` → bool, false).
    pub data_type: Option<(NumericType, Value)>,
}

fn json_of(v: &Value, what: &str) -> Result<Value, FilterError> {
    match v {
        Value::String(s) => serde_json::from_str(s)
            .map_err(|e| FilterError::InvalidParameter(format!("{what}: invalid JSON: {e}"))),
        v => Ok(v.clone()),
    }
}

fn codec_list(v: &Value, what: &str) -> Result<Vec<MetadataV3>, FilterError> {
    let v = json_of(v, what)?;
    serde_json::from_value(v).map_err(|e| FilterError::InvalidParameter(format!("{what}: {e}")))
}

fn codec_one(v: &Value, what: &str) -> Result<MetadataV3, FilterError> {
    let v = json_of(v, what)?;
    serde_json::from_value(v).map_err(|e| FilterError::InvalidParameter(format!("{what}: {e}")))
}

/// A codec list split into array→array, array→bytes and bytes→bytes parts.
struct Parts {
    a2a: Vec<MetadataV3>,
    a2b: MetadataV3,
    b2b: Vec<MetadataV3>,
}

fn split(node: &str, codecs: &[MetadataV3]) -> Result<Parts, FilterError> {
    let chain = codecs_from_metadata(node, codecs)?;
    let metas = chain.create_metadatas();
    // Keep the metadata as written (names read are written back) where the lengths agree.
    let metas = if metas.len() == codecs.len() {
        codecs.to_vec()
    } else {
        metas
    };
    let n_a2a = chain.array_to_array().len();
    let a2b = metas
        .get(n_a2a)
        .cloned()
        .ok_or_else(|| FilterError::Other("codec chain without an array→bytes codec".into()))?;
    Ok(Parts {
        a2a: metas.iter().take(n_a2a).cloned().collect(),
        a2b,
        b2b: metas.iter().skip(n_a2a + 1).cloned().collect(),
    })
}

fn regular_chunk_shape(m: &MetadataV3) -> Option<Vec<u64>> {
    if m.name() != "regular" {
        return None;
    }
    let c = m.configuration()?.get("chunk_shape")?;
    serde_json::from_value(c.clone()).ok()
}

fn fix_extent(shape: &[u64], out_shape: &[u64], what: &str) -> Result<Vec<u64>, FilterError> {
    if shape.len() != out_shape.len() {
        return Err(FilterError::InvalidParameter(format!(
            "{what} {shape:?} has {} dimensions, the output has {}",
            shape.len(),
            out_shape.len()
        )));
    }
    Ok(shape
        .iter()
        .zip(out_shape)
        .map(|(&c, &s)| if c == 0 { s.max(1) } else { c })
        .collect())
}

fn bytes_le() -> MetadataV3 {
    let mut c = Map::new();
    c.insert("endian".into(), Value::String("little".into()));
    MetadataV3::new_with_configuration("bytes", c)
}

/// The V3 metadata of a filter's output array: the input's (converted from V2 where needed)
/// with the filter's shape and data type and then the encoding options applied.
pub fn output_metadata<S: ?Sized>(
    input: &Array<S>,
    defaults: &OutputDefaults,
    encoding: &Encoding,
) -> Result<ArrayMetadataV3, FilterError> {
    let node = input.path().as_str().to_string();
    let mut m = input.to_v3()?;
    let out_shape = defaults.shape.clone();
    let in_ty = NumericType::of_checked(input.data_type())?;

    // Data type and fill value.
    let (data_type, fill): (MetadataV3, Value) = match (&encoding.data_type, &defaults.data_type) {
        (Some(dt), _) => {
            let ty = dt.clone();
            let fill = match &encoding.fill_value {
                Some(f) => f.clone(),
                None => cast_fill(input, in_ty, &ty)?,
            };
            (MetadataV3::new(ty).in_short_form(), fill)
        }
        (None, Some((ty, fill))) => (
            MetadataV3::new(ty.name()).in_short_form(),
            encoding.fill_value.clone().unwrap_or_else(|| fill.clone()),
        ),
        (None, None) => (
            m.data_type.clone(),
            encoding.fill_value.clone().unwrap_or(m.fill_value.clone()),
        ),
    };

    // The input's chunking: (chunk shape, shard shape, inner codec parts).
    let grid_chunk = regular_chunk_shape(&m.chunk_grid);
    let parts = split(&node, &m.codecs)?;
    let (in_chunk, in_shard, in_parts) = if is_codec(&parts.a2b, "sharding_indexed") {
        let cfg = parts.a2b.configuration().cloned().unwrap_or_default();
        let inner_shape: Option<Vec<u64>> = cfg
            .get("chunk_shape")
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let inner: Vec<MetadataV3> = cfg
            .get("codecs")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let inner_parts = split(&node, &inner)?;
        let mut a2a = parts.a2a;
        a2a.extend(inner_parts.a2a);
        (
            inner_shape,
            grid_chunk,
            Parts {
                a2a,
                a2b: inner_parts.a2b,
                b2b: inner_parts.b2b,
            },
        )
    } else {
        (grid_chunk, None, parts)
    };
    let in_shard = if encoding.ignore_input_sharding {
        None
    } else {
        in_shard
    };

    let cap = |shape: Vec<u64>| -> Vec<u64> {
        shape
            .iter()
            .zip(&out_shape)
            .map(|(&c, &s)| c.min(s.max(1)).max(1))
            .collect()
    };
    let chunk = match &encoding.chunk_shape {
        Some(c) => fix_extent(c, &out_shape, "chunk_shape")?,
        None => cap(in_chunk.unwrap_or_else(|| out_shape.iter().map(|&s| s.max(1)).collect())),
    };
    if chunk.len() != out_shape.len() {
        return Err(FilterError::InvalidParameter(format!(
            "chunk shape {chunk:?} does not match the output rank {}",
            out_shape.len()
        )));
    }
    let shard = match &encoding.shard_shape {
        Some(s) => Some(cap(fix_extent(s, &out_shape, "shard_shape")?)),
        None => in_shard.map(cap),
    }
    .map(|s| {
        s.iter()
            .zip(&chunk)
            .map(|(&s, &c)| s.max(1).div_ceil(c) * c)
            .collect::<Vec<u64>>()
    });

    let a2a = match &encoding.array_to_array_codecs {
        Some(v) => codec_list(v, "array_to_array_codecs")?,
        None => in_parts.a2a,
    };
    let a2b = match &encoding.array_to_bytes_codec {
        Some(v) => codec_one(v, "array_to_bytes_codec")?,
        None if encoding.data_type.is_some() || defaults.data_type.is_some() => {
            // A changed data type may not suit the input's array→bytes codec (pcodec, zfp):
            // keep it only when it is `bytes`.
            if is_codec(&in_parts.a2b, "bytes") {
                in_parts.a2b
            } else {
                bytes_le()
            }
        }
        None => in_parts.a2b,
    };
    let b2b = match &encoding.bytes_to_bytes_codecs {
        Some(v) => codec_list(v, "bytes_to_bytes_codecs")?,
        None => in_parts.b2b,
    };
    let mut inner = a2a;
    inner.push(a2b);
    inner.extend(b2b);

    let mut grid = Map::new();
    let codecs = match &shard {
        Some(shard) => {
            grid.insert("chunk_shape".into(), Value::from(shard.clone()));
            let mut cfg = Map::new();
            cfg.insert("chunk_shape".into(), Value::from(chunk.clone()));
            cfg.insert(
                "codecs".into(),
                serde_json::to_value(&inner).map_err(|e| FilterError::Other(e.to_string()))?,
            );
            cfg.insert(
                "index_codecs".into(),
                serde_json::to_value(vec![bytes_le(), MetadataV3::new("crc32c")])
                    .map_err(|e| FilterError::Other(e.to_string()))?,
            );
            cfg.insert("index_location".into(), Value::String("end".into()));
            vec![MetadataV3::new_with_configuration("sharding_indexed", cfg)]
        }
        None => {
            grid.insert("chunk_shape".into(), Value::from(chunk.clone()));
            inner
        }
    };

    m.shape = out_shape.clone();
    m.data_type = data_type;
    m.fill_value = fill;
    m.chunk_grid = MetadataV3::new_with_configuration("regular", grid);
    m.codecs = codecs;
    if let Some(sep) = &encoding.separator {
        if sep != "/" && sep != "." {
            return Err(FilterError::InvalidParameter(format!(
                "separator {sep:?} (must be \"/\" or \".\")"
            )));
        }
        let mut cfg = m
            .chunk_key_encoding
            .configuration()
            .cloned()
            .unwrap_or_default();
        cfg.insert("separator".into(), Value::String(sep.clone()));
        m.chunk_key_encoding = MetadataV3::new_with_configuration(m.chunk_key_encoding.name(), cfg);
    }
    if let Some(d) = &encoding.dimension_names {
        if d.len() != out_shape.len() {
            return Err(FilterError::InvalidParameter(format!(
                "{} dimension names for {} dimensions",
                d.len(),
                out_shape.len()
            )));
        }
        m.dimension_names = Some(d.clone());
    } else if m
        .dimension_names
        .as_ref()
        .is_some_and(|d| d.len() != out_shape.len())
    {
        m.dimension_names = None;
    }
    if let Some(a) = &encoding.attributes {
        m.attributes = Some(a.clone());
    }
    if let Some(a) = &encoding.attributes_append {
        let attrs = m.attributes.get_or_insert_with(Map::new);
        for (k, v) in a {
            attrs.insert(k.clone(), v.clone());
        }
    }
    Ok(m)
}

/// The input's fill value cast (`as`) to the data type named `to`, as V3 JSON.
fn cast_fill<S: ?Sized>(
    input: &Array<S>,
    in_ty: NumericType,
    to: &str,
) -> Result<Value, FilterError> {
    let out_dt = zarrkit_core::registry::create_data_type(&MetadataV3::new(to))
        .map_err(|e| FilterError::InvalidParameter(format!("data_type {to:?}: {e}")))?;
    let out_ty = NumericType::of_checked(&out_dt)?;
    let b = Buf::from_fill_value(in_ty, input.fill_value())?.cast(out_ty);
    let fv = zarrkit_core::FillValue::new(b.as_bytes().to_vec());
    out_dt
        .fill_value_to_json(&fv)
        .map_err(|e| FilterError::Other(format!("fill value: {e}")))
}

/// Whether codec metadata names the codec registered as `canonical` (under that name or any
/// alias: names resolve through the registry).
fn is_codec(m: &MetadataV3, canonical: &str) -> bool {
    zarrkit_core::registry::CODECS
        .get(m.name())
        .is_some_and(|p| zarrkit_core::registry::PluginEntry::name(p) == canonical)
}
