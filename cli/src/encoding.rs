//! The layout of a new array (`reencode`, `binary2zarr`): shape, data type, fill value, chunk
//! and shard shapes, codecs, key encoding, dimension names, attributes and Zarr format, made
//! into V3 or V2 metadata and bound through the registry (so every error of the encoding is
//! found before anything is written).

use std::sync::Arc;

use serde_json::{json, Map, Value};
use zarrkit::{Array, ArrayMetadata, ArrayMetadataV3, DataType, DynStore, MetadataV3};

use crate::cli::ZarrFormat;
use crate::error::{fail, CliError, Context};

/// The attribute xarray uses for the dimension names of a Zarr V2 array.
pub const ARRAY_DIMENSIONS: &str = "_ARRAY_DIMENSIONS";

/// Everything a new array needs.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The shape.
    pub shape: Vec<u64>,
    /// The data type metadata.
    pub data_type: MetadataV3,
    /// The bound data type.
    pub dt: DataType,
    /// The fill value (V3 JSON).
    pub fill_value: Value,
    /// The chunk shape (the inner chunk shape when sharded).
    pub chunk_shape: Vec<u64>,
    /// The shard shape, if sharded.
    pub shard_shape: Option<Vec<u64>>,
    /// Array→array codecs (inside the shards when sharded).
    pub a2a: Vec<MetadataV3>,
    /// The array→bytes codec.
    pub a2b: MetadataV3,
    /// Bytes→bytes codecs.
    pub b2b: Vec<MetadataV3>,
    /// The V3 chunk key encoding.
    pub key_encoding: MetadataV3,
    /// The V2 dimension separator.
    pub separator_v2: char,
    /// Dimension names.
    pub dimension_names: Option<Vec<Option<String>>>,
    /// Attributes.
    pub attributes: Map<String, Value>,
    /// The Zarr format.
    pub zarr_format: ZarrFormat,
}

/// The `bytes` codec, little endian.
pub fn bytes_little() -> MetadataV3 {
    MetadataV3::new_with_configuration("bytes", obj(json!({"endian": "little"})))
}

/// A JSON object's members (empty for anything else).
pub fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The `default` chunk key encoding with `separator`.
pub fn default_key_encoding(separator: char) -> MetadataV3 {
    MetadataV3::new_with_configuration("default", obj(json!({"separator": separator.to_string()})))
}

/// A chunk shape from the command line: 0 is the whole dimension (at least 1).
pub fn chunk_shape(flag: &str, given: &[u64], shape: &[u64]) -> Result<Vec<u64>, CliError> {
    if given.len() != shape.len() {
        return fail(format!(
            "--{flag} has {} dimensions but the array has {}",
            given.len(),
            shape.len()
        ));
    }
    Ok(given
        .iter()
        .zip(shape)
        .map(|(&c, &a)| if c == 0 { a.max(1) } else { c })
        .collect())
}

/// A shard shape from the command line (as zarrs_reencode): 0 is the whole dimension,
/// others at most the dimension, then rounded up to a multiple of the chunk shape.
pub fn shard_shape(given: &[u64], shape: &[u64], chunk: &[u64]) -> Result<Vec<u64>, CliError> {
    if given.len() != shape.len() {
        return fail(format!(
            "--shard-shape has {} dimensions but the array has {}",
            given.len(),
            shape.len()
        ));
    }
    Ok(given
        .iter()
        .zip(shape)
        .zip(chunk)
        .map(|((&s, &a), &c)| {
            let s = if s == 0 { a } else { s.min(a) }.max(1);
            s.div_ceil(c.max(1)) * c.max(1)
        })
        .collect())
}

/// Dimension names from the command line (an empty name is an unnamed dimension).
pub fn dimension_names(given: &[String], rank: usize) -> Result<Vec<Option<String>>, CliError> {
    if given.len() != rank {
        return fail(format!(
            "--dimension-names has {} names but the array has {rank} dimensions",
            given.len()
        ));
    }
    Ok(given
        .iter()
        .map(|n| (!n.is_empty()).then(|| n.clone()))
        .collect())
}

impl Layout {
    /// The codecs of the chain (the sharding codec holding them when sharded).
    fn codecs(&self) -> Vec<MetadataV3> {
        let mut inner = self.a2a.clone();
        inner.push(self.a2b.clone());
        inner.extend(self.b2b.iter().cloned());
        if self.shard_shape.is_none() {
            return inner;
        }
        let cfg = json!({
            "chunk_shape": self.chunk_shape,
            "codecs": inner,
            "index_codecs": [bytes_little(), MetadataV3::new("crc32c")],
            "index_location": "end",
        });
        vec![MetadataV3::new_with_configuration(
            "sharding_indexed",
            obj(cfg),
        )]
    }

    fn v3(&self, key_encoding: MetadataV3, dims: Option<Vec<Option<String>>>) -> ArrayMetadataV3 {
        let grid = json!({"chunk_shape": self.shard_shape.as_ref().unwrap_or(&self.chunk_shape)});
        let mut m = ArrayMetadataV3::new(
            self.shape.clone(),
            self.data_type.clone(),
            MetadataV3::new_with_configuration("regular", obj(grid)),
            self.fill_value.clone(),
            self.codecs(),
        );
        m.chunk_key_encoding = key_encoding;
        m.attributes = Some(self.attributes.clone());
        m.dimension_names = dims;
        m
    }

    /// Bind the layout on `store` at its root: V3 metadata, or V2 metadata converted from the
    /// equivalent V3 (an error says what V2 cannot represent). Nothing is written.
    pub fn bind(
        &self,
        store: Arc<DynStore>,
        note: &dyn Fn(&str),
    ) -> Result<Array<DynStore>, CliError> {
        let invalid = || "invalid output encoding";
        match self.zarr_format {
            ZarrFormat::V3 => {
                let m = self.v3(self.key_encoding.clone(), self.dimension_names.clone());
                Array::new_with_metadata(store, "/", m).ctx(invalid)
            }
            ZarrFormat::V2 => {
                if self.shard_shape.is_some() {
                    return fail(
                        "Zarr V2 has no sharding: drop --shard-shape (or use --ignore-input-sharding), \
                         or write --zarr-format 3",
                    );
                }
                let mut layout = self.clone();
                if let Some(d) = &self.dimension_names {
                    if d.iter().all(Option::is_some) {
                        layout.attributes.insert(
                            ARRAY_DIMENSIONS.into(),
                            json!(d.iter().flatten().collect::<Vec<_>>()),
                        );
                    } else {
                        note("Zarr V2 has no dimension names and some are unnamed: not written");
                    }
                }
                let key = MetadataV3::new_with_configuration(
                    "v2",
                    obj(json!({"separator": self.separator_v2.to_string()})),
                );
                let v3 = layout.v3(key, None);
                let a = Array::new_with_metadata(store.clone(), "/", v3).ctx(invalid)?;
                let v2 = a.to_v2().ctx(|| "the output cannot be Zarr V2")?;
                Array::new_with_metadata(store, "/", ArrayMetadata::V2(v2)).ctx(invalid)
            }
        }
    }
}

/// Dimension names a Zarr V2 array keeps in xarray's `_ARRAY_DIMENSIONS` attribute (when
/// it is a list of `rank` strings), removed from `attributes`.
pub fn take_array_dimensions(
    attributes: &mut Map<String, Value>,
    rank: usize,
) -> Option<Vec<Option<String>>> {
    let names: Vec<Option<String>> = attributes
        .get(ARRAY_DIMENSIONS)?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect::<Option<Vec<String>>>()?
        .into_iter()
        .map(Some)
        .collect();
    if names.len() != rank {
        return None;
    }
    attributes.remove(ARRAY_DIMENSIONS);
    Some(names)
}
