//! [`ArrayBuilder`]: a new V3 array from its shape, chunk grid, data type, fill value and
//! codecs.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{codecs_from_metadata, plugin_err, Array};
use crate::codec::{
    ArrayToArrayCodecTraits, ArrayToBytesCodecTraits, BytesToBytesCodecTraits, Codec, CodecChain,
};
use crate::error::{ArrayError, MetadataError};
use crate::metadata::{ArrayMetadataV3, MetadataV3};
use crate::node::NodePath;
use crate::registry;

/// Builds a new V3 array.
///
/// ```ignore
/// let array = ArrayBuilder::new(vec![100, 100], vec![10, 10], "float32", 0.0)
///     .bytes_to_bytes_codecs_metadata(vec![MetadataV3::new_with_configuration("zstd", cfg)])
///     .dimension_names(["y", "x"])
///     .build(store, "/data")?;
/// array.store_metadata()?;
/// ```
#[derive(Debug, Clone)]
pub struct ArrayBuilder {
    shape: Vec<u64>,
    chunk_grid: MetadataV3,
    data_type: MetadataV3,
    fill_value: Value,
    chunk_key_encoding: Option<MetadataV3>,
    array_to_array: Vec<Codec>,
    array_to_bytes: Option<Codec>,
    bytes_to_bytes: Vec<Codec>,
    codec_metadata: Vec<MetadataV3>,
    attributes: Map<String, Value>,
    dimension_names: Option<Vec<Option<String>>>,
}

impl ArrayBuilder {
    /// A builder for an array of `shape` in regular chunks of `chunk_shape`, of the data
    /// type named `data_type` (resolved through the registry) and the given fill value JSON.
    pub fn new(
        shape: Vec<u64>,
        chunk_shape: Vec<u64>,
        data_type: impl Into<String>,
        fill_value: impl Into<Value>,
    ) -> Self {
        let mut grid = Map::new();
        grid.insert("chunk_shape".into(), Value::from(chunk_shape));
        Self {
            shape,
            chunk_grid: MetadataV3::new_with_configuration("regular", grid),
            // The short string form (`"uint16"`), as zarr-python, zarrs and tensorstore write it.
            data_type: MetadataV3::new(data_type).in_short_form(),
            fill_value: fill_value.into(),
            chunk_key_encoding: None,
            array_to_array: Vec::new(),
            array_to_bytes: None,
            bytes_to_bytes: Vec::new(),
            codec_metadata: Vec::new(),
            attributes: Map::new(),
            dimension_names: None,
        }
    }

    /// Use another chunk grid (metadata resolved through the registry).
    pub fn chunk_grid(mut self, grid: MetadataV3) -> Self {
        self.chunk_grid = grid;
        self
    }
    /// Use data type metadata with a configuration.
    pub fn data_type(mut self, data_type: MetadataV3) -> Self {
        self.data_type = data_type;
        self
    }
    /// Use another chunk key encoding (default: `default` with separator `/`).
    pub fn chunk_key_encoding(mut self, encoding: MetadataV3) -> Self {
        self.chunk_key_encoding = Some(encoding);
        self
    }
    /// The array→array codecs.
    pub fn array_to_array_codecs(mut self, codecs: Vec<Arc<dyn ArrayToArrayCodecTraits>>) -> Self {
        self.array_to_array = codecs.into_iter().map(Codec::ArrayToArray).collect();
        self
    }
    /// The array→bytes codec (default: `bytes`, little endian).
    pub fn array_to_bytes_codec(mut self, codec: Arc<dyn ArrayToBytesCodecTraits>) -> Self {
        self.array_to_bytes = Some(Codec::ArrayToBytes(codec));
        self
    }
    /// The bytes→bytes codecs.
    pub fn bytes_to_bytes_codecs(mut self, codecs: Vec<Arc<dyn BytesToBytesCodecTraits>>) -> Self {
        self.bytes_to_bytes = codecs.into_iter().map(Codec::BytesToBytes).collect();
        self
    }
    /// All codecs as metadata, resolved through the registry (overrides the typed setters).
    pub fn codecs_metadata(mut self, codecs: Vec<MetadataV3>) -> Self {
        self.codec_metadata = codecs;
        self
    }
    /// User attributes.
    pub fn attributes(mut self, attributes: Map<String, Value>) -> Self {
        self.attributes = attributes;
        self
    }
    /// Dimension names.
    pub fn dimension_names<I: IntoIterator<Item = N>, N: Into<DimName>>(
        mut self,
        names: I,
    ) -> Self {
        self.dimension_names = Some(names.into_iter().map(|n| n.into().0).collect());
        self
    }

    /// Build the array (validated; nothing is written until [`Array::store_metadata`]).
    pub fn build<S: ?Sized>(&self, storage: Arc<S>, path: &str) -> Result<Array<S>, ArrayError> {
        let node = NodePath::new(path)?;
        let chain = if self.codec_metadata.is_empty() {
            let a2b = match &self.array_to_bytes {
                Some(c) => c.clone(),
                None => {
                    // The data type names its own default (variable-size types: `string`
                    // gets `vlen-utf8`, as zarr-python writes); else little-endian `bytes`.
                    let dt = registry::create_data_type(&self.data_type)
                        .map_err(|e| plugin_err(&node, e))?;
                    let default = match dt.default_array_to_bytes_codec() {
                        Some(m) => m,
                        None if dt.size().fixed().is_none() => {
                            return Err(MetadataError::invalid(
                                node.as_str(),
                                format!(
                                    "data type {} has variable-size elements and no default \
                                     array-to-bytes codec: name one (ArrayBuilder::array_to_bytes_codec \
                                     or codecs_metadata)",
                                    dt.name()
                                ),
                            )
                            .into())
                        }
                        None => {
                            let mut c = Map::new();
                            c.insert("endian".into(), Value::String("little".into()));
                            MetadataV3::new_with_configuration("bytes", c)
                        }
                    };
                    registry::create_codec(&default).map_err(|e| plugin_err(&node, e))?
                }
            };
            let mut all = self.array_to_array.clone();
            all.push(a2b);
            all.extend(self.bytes_to_bytes.iter().cloned());
            CodecChain::from_codecs(all).map_err(|e| MetadataError::invalid(node.as_str(), e))?
        } else {
            codecs_from_metadata(node.as_str(), &self.codec_metadata)?
        };
        let codecs = if self.codec_metadata.is_empty() {
            chain.create_metadatas()
        } else {
            self.codec_metadata.clone()
        };
        let mut metadata = ArrayMetadataV3::new(
            self.shape.clone(),
            self.data_type.clone(),
            self.chunk_grid.clone(),
            self.fill_value.clone(),
            codecs,
        );
        if let Some(k) = &self.chunk_key_encoding {
            metadata.chunk_key_encoding = k.clone();
        }
        metadata.attributes = Some(self.attributes.clone());
        metadata.dimension_names = self.dimension_names.clone();
        Array::bind(storage, node, metadata.into(), chain)
    }
}

/// A dimension name (`None` for an unnamed dimension).
#[derive(Debug, Clone)]
pub struct DimName(Option<String>);
impl From<&str> for DimName {
    fn from(s: &str) -> Self {
        Self(Some(s.to_string()))
    }
}
impl From<String> for DimName {
    fn from(s: String) -> Self {
        Self(Some(s))
    }
}
impl From<Option<&str>> for DimName {
    fn from(s: Option<&str>) -> Self {
        Self(s.map(str::to_string))
    }
}
impl From<Option<String>> for DimName {
    fn from(s: Option<String>) -> Self {
        Self(s)
    }
}
