//! Zarr V2 arrays: binding `.zarray` metadata to plugins (data type, fill value, codec
//! chain, chunk grid and key encoding, all resolved through the registries), and conversion
//! between V2 and V3 metadata.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Array;
use crate::chunk_grid::ChunkGrid;
use crate::chunk_key_encoding::ChunkKeyEncoding;
use crate::codec::{
    ArrayToArrayCodecTraits, ArrayToBytesCodecTraits, BytesToBytesCodecTraits, Codec, CodecChain,
};
use crate::data_type::{DataType, DataTypeSize};
use crate::error::{ArrayError, ExtensionKind, MetadataError, PluginError};
use crate::fill_value::FillValue;
use crate::metadata::{ArrayMetadata, ArrayMetadataV3, MetadataV3};
use crate::metadata_v2::{codec_id, ArrayMetadataV2, ArrayOrder, DimensionSeparator};
use crate::registry;
use crate::storage::{ReadableStorageTraits, WritableStorageTraits};

/// The V3 metadata member that tells zarrkit writers to store chunks whose elements all
/// equal the fill value instead of erasing them: set on arrays converted from V2 metadata
/// with `fill_value: null`, whose `.zarray` may be kept for V2 readers.
pub const KEEP_FILL_CHUNKS: &str = "zarrkit.keep_fill_chunks";

fn plugin(node: &str, e: PluginError) -> MetadataError {
    MetadataError::Plugin {
        node: node.to_string(),
        source: e,
    }
}

fn map1(key: &str, value: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.to_string(), value);
    m
}

/// The byte order character of a V2 dtype (`<`, `>`, `|` or `=`), if it has one.
pub(crate) fn byte_order(dtype: &str) -> Option<char> {
    dtype
        .chars()
        .next()
        .filter(|c| matches!(c, '<' | '>' | '|' | '='))
}

/// Whether a V2 dtype is NumPy's object dtype (`|O`).
fn is_object_dtype(dtype: &str) -> bool {
    let body = match byte_order(dtype) {
        Some(c) => &dtype[c.len_utf8()..],
        None => dtype,
    };
    body == "O"
}

/// The data type of a V2 array: from the dtype string through
/// [`registry::data_type_from_v2`], or, for object arrays (`|O`), from the first filter
/// whose numcodecs id a data type plugin claims as its object codec (`vlen-utf8` -> `string`).
pub fn data_type_from_v2(
    node: &str,
    metadata: &ArrayMetadataV2,
) -> Result<DataType, MetadataError> {
    if !is_object_dtype(&metadata.dtype) {
        return registry::data_type_from_v2(&metadata.dtype).map_err(|e| plugin(node, e));
    }
    let filters = metadata.filters.as_deref().unwrap_or_default();
    if let Some(id) = filters
        .iter()
        .map(codec_id)
        .find(|id| registry::is_v2_object_codec(id))
    {
        return registry::data_type_from_v2_object_codec(id).map_err(|e| plugin(node, e));
    }
    match filters.first() {
        Some(f) => Err(plugin(
            node,
            PluginError::Unknown {
                kind: ExtensionKind::DataType,
                name: format!("|O with object codec {}", codec_id(f)),
            },
        )),
        None => Err(MetadataError::invalid(
            node,
            format!(
                "dtype {} (object) needs an object codec as its first filter (e.g. vlen-utf8)",
                metadata.dtype
            ),
        )),
    }
}

/// The fill value of a V2 array: `null` gives zero bytes of the element size (the contents
/// of missing chunks are undefined in V2) or an empty element for variable-size types;
/// anything else is parsed by the data type's V2 rules.
pub fn fill_value_from_v2(
    node: &str,
    data_type: &DataType,
    fill_value: &Value,
) -> Result<FillValue, MetadataError> {
    if fill_value.is_null() {
        return Ok(FillValue::new(match data_type.size() {
            DataTypeSize::Fixed(n) => vec![0; n],
            DataTypeSize::Variable => Vec::new(),
        }));
    }
    // zarr-python 2 wrote `"fill_value": 0` for every object (vlen string and bytes)
    // array: it reads as the empty element, as zarr-python itself does.
    if data_type.size() == DataTypeSize::Variable && fill_value.as_u64() == Some(0) {
        return Ok(FillValue::new(Vec::new()));
    }
    data_type
        .fill_value_from_json_v2(&crate::json::normalise_fill_value(fill_value))
        .map_err(|e| MetadataError::invalid(node, e))
}

/// The regular chunk grid and the `v2` chunk key encoding of a V2 array, from the registry.
pub(crate) fn grid_and_keys(
    node: &str,
    metadata: &ArrayMetadataV2,
) -> Result<(ChunkGrid, ChunkKeyEncoding), MetadataError> {
    let grid = registry::create_chunk_grid(&MetadataV3::new_with_configuration(
        "regular",
        map1("chunk_shape", Value::from(metadata.chunks.clone())),
    ))
    .map_err(|e| plugin(node, e))?;
    let keys = registry::create_chunk_key_encoding(&v2_key_encoding(metadata.separator()))
        .map_err(|e| plugin(node, e))?;
    Ok((grid, keys))
}

fn v2_key_encoding(separator: DimensionSeparator) -> MetadataV3 {
    MetadataV3::new_with_configuration(
        "v2",
        map1("separator", Value::String(separator.as_str().into())),
    )
}

fn bytes_metadata(byte_order: Option<char>) -> MetadataV3 {
    let endian = match byte_order {
        Some('<') => Some("little"),
        Some('>') => Some("big"),
        Some('=') if cfg!(target_endian = "big") => Some("big"),
        Some('=') => Some("little"),
        _ => None,
    };
    let conf = match endian {
        Some(e) => map1("endian", Value::String(e.into())),
        None => Map::new(),
    };
    MetadataV3::new_with_configuration("bytes", conf)
}

fn transpose_metadata(rank: usize) -> MetadataV3 {
    let order: Vec<Value> = (0..rank).rev().map(Value::from).collect();
    MetadataV3::new_with_configuration("transpose", map1("order", Value::Array(order)))
}

/// The codec chain of a V2 array: a transpose reversing the dimensions if `order` is `F`;
/// the filters in order (array->array filters before the array->bytes codec; an
/// array->bytes filter such as `vlen-utf8` replaces `bytes`; bytes->bytes filters after it);
/// otherwise a `bytes` codec with the endianness of the dtype's byte order; then the
/// compressor. Every codec is resolved through the registry.
pub fn codecs_from_v2(node: &str, metadata: &ArrayMetadataV2) -> Result<CodecChain, MetadataError> {
    let create = |m: &MetadataV3| registry::create_codec(m).map_err(|e| plugin(node, e));
    // numcodecs codecs take what a V2 configuration leaves out (blosc's element size) from
    // the array.
    let context = registry::CodecV2Context::with_element_size(
        data_type_from_v2(node, metadata)
            .ok()
            .and_then(|d| d.size().fixed()),
    )
    .with_byte_order(byte_order(&metadata.dtype))
    .with_order_f(metadata.order == ArrayOrder::F);
    // The `bytes` endian: the dtype's byte-order character, or for a dtype without one (a
    // record, `[["a", "<i4"], ...]`) the order in which the data type writes this dtype back
    // (`to_v2_dtype`); a record whose fields have both orders gets no endian (the type
    // swaps each field itself through `byte_swaps`).
    let order = byte_order(&metadata.dtype).or_else(|| {
        let dt = data_type_from_v2(node, metadata).ok()?;
        ['<', '>']
            .into_iter()
            .find(|&c| dt.to_v2_dtype(c).as_deref() == Some(metadata.dtype.as_str()))
    });
    let bytes = || -> Result<Arc<dyn ArrayToBytesCodecTraits>, MetadataError> {
        match create(&bytes_metadata(order))? {
            Codec::ArrayToBytes(c) => Ok(c),
            _ => Err(MetadataError::invalid(
                node,
                "the registered `bytes` codec is not an array->bytes codec",
            )),
        }
    };
    let mut a2a: Vec<Arc<dyn ArrayToArrayCodecTraits>> = Vec::new();
    let mut a2b: Option<Arc<dyn ArrayToBytesCodecTraits>> = None;
    let mut b2b: Vec<Arc<dyn BytesToBytesCodecTraits>> = Vec::new();
    let rank = metadata.shape.len();
    if metadata.order == ArrayOrder::F && rank > 1 {
        match create(&transpose_metadata(rank))? {
            Codec::ArrayToArray(c) => a2a.push(c),
            _ => {
                return Err(MetadataError::invalid(
                    node,
                    "the registered `transpose` codec is not an array->array codec",
                ))
            }
        }
    }
    for (i, f) in metadata.filters.iter().flatten().enumerate() {
        let id = codec_id(f);
        let misplaced = |what: &str| {
            MetadataError::invalid(
                node,
                format!("filters[{i}] ({id}) is an {what} codec after a bytes filter; this order has no codec chain equivalent"),
            )
        };
        match registry::create_codec_v2_for(f, &context).map_err(|e| plugin(node, e))? {
            Codec::ArrayToArray(c) => {
                if a2b.is_some() {
                    return Err(misplaced("array->array"));
                }
                a2a.push(c);
            }
            Codec::ArrayToBytes(c) => {
                if a2b.is_some() {
                    return Err(misplaced("array->bytes"));
                }
                a2b = Some(c);
            }
            Codec::BytesToBytes(c) => {
                if a2b.is_none() {
                    a2b = Some(bytes()?);
                }
                b2b.push(c);
            }
        }
    }
    let mut a2b = a2b;
    if let Some(c) = &metadata.compressor {
        match registry::create_codec_v2_for(c, &context).map_err(|e| plugin(node, e))? {
            Codec::BytesToBytes(c) => {
                if a2b.is_none() {
                    a2b = Some(bytes()?);
                }
                b2b.push(c);
            }
            // numcodecs compressors that take the typed array (pcodec, zfpy) are
            // array->bytes codecs: they take the place of `bytes` when no filter is an
            // array->bytes or bytes->bytes codec.
            Codec::ArrayToBytes(c) if a2b.is_none() => a2b = Some(c),
            other => {
                return Err(MetadataError::invalid(
                    node,
                    format!(
                        "compressor {} is not a bytes->bytes codec ({} resolved to {})",
                        codec_id(c),
                        codec_id(c),
                        other.name()
                    ),
                ))
            }
        }
    }
    let a2b = match a2b {
        Some(c) => c,
        None => bytes()?,
    };
    Ok(CodecChain::new(a2a, a2b, b2b))
}

/// The numcodecs configuration (with `id`) of a codec for a V2 `filters` / `compressor`
/// entry: the codec's own [`crate::codec::CodecTraits::configuration_v2`], or else the
/// numcodecs id of the plugin registered under the codec's name with the V3
/// configuration, kept only if the plugin's `create_v2` creates an identical codec from it.
pub fn codec_to_v2(node: &str, codec: &Codec) -> Result<Map<String, Value>, MetadataError> {
    if let Some(c) = codec.configuration_v2() {
        return Ok(c);
    }
    let md = codec.metadata();
    for p in registry::CODECS.entries() {
        let Some(create_v2) = p.create_v2() else {
            continue;
        };
        if !registry::PluginEntry::matches(p, md.name()) {
            continue;
        }
        for id in registry::PluginEntry::v2_ids(p) {
            let mut candidate = map1("id", Value::String((*id).to_string()));
            for (k, v) in md.configuration().into_iter().flatten() {
                if k != "id" {
                    candidate.insert(k.clone(), v.clone());
                }
            }
            if let Ok(c) = create_v2(&candidate, &registry::CodecV2Context::default()) {
                if c.metadata() == md {
                    return Ok(candidate);
                }
            }
        }
    }
    Err(MetadataError::invalid(
        node,
        format!(
            "cannot be represented in Zarr V2: codec {} {} has no numcodecs equivalent",
            md.name(),
            Value::Object(md.configuration().cloned().unwrap_or_default())
        ),
    ))
}

fn same(a: &Codec, b: &Codec) -> bool {
    a.metadata() == b.metadata()
}

impl<S: ?Sized> Array<S> {
    fn not_v2(&self, why: impl std::fmt::Display) -> ArrayError {
        MetadataError::invalid(
            self.path.as_str(),
            format!("cannot be represented in Zarr V2: {why}"),
        )
        .into()
    }

    /// V3 metadata equivalent to this array's metadata (a V3 array returns its own). A V2
    /// array keeps its chunk keys (`v2` key encoding with the same separator), so no chunk
    /// is rewritten: order `F` becomes a `transpose` codec, the dtype's byte order the
    /// `bytes` codec's `endian`, and numcodecs filters and compressor the V3 codecs their
    /// plugins create (named by the plugin). The result is checked to bind.
    pub fn to_v3(&self) -> Result<ArrayMetadataV3, ArrayError> {
        let m = match &*self.metadata {
            ArrayMetadata::V3(m) => return Ok(m.clone()),
            ArrayMetadata::V2(m) => m,
        };
        let n = self.path.as_str();
        let data_type = match self.data_type.configuration() {
            Some(c) => MetadataV3::new_with_configuration(self.data_type.name(), c),
            None => MetadataV3::new(self.data_type.name()).in_short_form(),
        };
        let fill_value = self
            .data_type
            .fill_value_to_json(&self.fill_value)
            .map_err(|e| MetadataError::invalid(n, e))?;
        let chunk_grid = MetadataV3::new_with_configuration(
            self.chunk_grid.name(),
            self.chunk_grid.configuration(),
        );
        let chunk_key_encoding = MetadataV3::new_with_configuration(
            self.chunk_key_encoding.name(),
            self.chunk_key_encoding.configuration().unwrap_or_default(),
        );
        let mut v3 = ArrayMetadataV3::new(
            m.shape.clone(),
            data_type,
            chunk_grid,
            fill_value,
            self.codecs.create_metadatas(),
        );
        v3.chunk_key_encoding = chunk_key_encoding;
        v3.attributes = Some(m.attributes().clone());
        if m.fill_value.is_null() {
            // V2 readers of a kept `.zarray` see a missing chunk as undefined, not as the
            // fill value this V3 metadata gives it: a zarrkit writer must keep storing
            // fill-value chunks. Other implementations ignore the member (`must_understand`
            // false), as the spec allows.
            let mut keep = Map::new();
            keep.insert("must_understand".into(), Value::Bool(false));
            v3.extra_fields
                .insert(KEEP_FILL_CHUNKS.into(), Value::Object(keep));
        }
        // Check that the result binds (every V3 name resolves, the chain validates).
        Array::new_with_metadata(self.storage.clone(), n, v3.clone())?;
        Ok(v3)
    }

    /// V2 metadata equivalent to this array's metadata (a V2 array returns its own), or an
    /// error naming what V2 cannot represent: a chunk grid other than `regular`, a key
    /// encoding other than `v2` (the `default` encoding's `c/` prefix), codecs without a
    /// numcodecs equivalent (e.g. `sharding_indexed`), a transpose other than the reversal
    /// of the dimensions in first place, dimension names, storage transformers, a data type
    /// without a V2 dtype.
    pub fn to_v2(&self) -> Result<ArrayMetadataV2, ArrayError> {
        let m = match &*self.metadata {
            ArrayMetadata::V2(m) => return Ok(m.clone()),
            ArrayMetadata::V3(m) => m,
        };
        let n = self.path.as_str();
        if m.storage_transformers
            .as_ref()
            .is_some_and(|t| !t.is_empty())
        {
            return Err(self.not_v2("storage transformers"));
        }
        if m.dimension_names
            .as_ref()
            .is_some_and(|d| d.iter().any(Option::is_some))
        {
            return Err(self.not_v2("dimension names (V2 has none)"));
        }
        let rank = m.shape.len();
        // The chunk grid must equal the regular grid of its first chunk's shape.
        let probe: Vec<u64> = m.shape.iter().map(|&s| s.max(1)).collect();
        let chunks = self
            .chunk_grid
            .chunk_shape(&vec![0; rank], &probe)
            .ok_or_else(|| self.not_v2("the chunk grid has no first chunk"))?;
        let regular = registry::create_chunk_grid(&MetadataV3::new_with_configuration(
            "regular",
            map1("chunk_shape", Value::from(chunks.clone())),
        ))
        .map_err(|e| plugin(n, e))?;
        if regular.name() != self.chunk_grid.name()
            || regular.configuration() != self.chunk_grid.configuration()
        {
            return Err(self.not_v2(format!(
                "chunk grid {} {} is not a regular grid",
                self.chunk_grid.name(),
                Value::Object(self.chunk_grid.configuration())
            )));
        }
        // The key encoding must equal the `v2` encoding with one of the two separators.
        let mut separator = None;
        for sep in [DimensionSeparator::Dot, DimensionSeparator::Slash] {
            let k = registry::create_chunk_key_encoding(&v2_key_encoding(sep))
                .map_err(|e| plugin(n, e))?;
            if k.name() == self.chunk_key_encoding.name()
                && k.configuration() == self.chunk_key_encoding.configuration()
            {
                separator = Some(sep);
            }
        }
        let separator = separator.ok_or_else(|| {
            self.not_v2(format!(
                "chunk key encoding {} (keys such as {:?}); V2 keys are the chunk indices joined by \".\" or \"/\"",
                self.chunk_key_encoding.name(),
                self.chunk_key_encoding.encode(&vec![0; rank])
            ))
        })?;
        // Codecs.
        let mut order = ArrayOrder::C;
        let mut filters: Vec<Map<String, Value>> = Vec::new();
        for (i, c) in self.codecs.array_to_array().iter().enumerate() {
            let c = Codec::ArrayToArray(c.clone());
            if i == 0 {
                if let Ok(t) = registry::create_codec(&transpose_metadata(rank)) {
                    if same(&t, &c) {
                        order = ArrayOrder::F;
                        continue;
                    }
                }
            }
            filters.push(codec_to_v2(n, &c)?);
        }
        let a2b = Codec::ArrayToBytes(self.codecs.array_to_bytes().clone());
        let mut order_char = None;
        for ch in ['<', '>', '|'] {
            if let Ok(b) = registry::create_codec(&bytes_metadata(Some(ch))) {
                if same(&b, &a2b) {
                    order_char = Some(ch);
                    break;
                }
            }
        }
        let order_char = match order_char {
            Some(ch) => ch,
            None => {
                if !filters.is_empty() {
                    return Err(self.not_v2(format!(
                        "array->array codecs before the array->bytes codec {} (V2 needs the object codec first)",
                        a2b.name()
                    )));
                }
                filters.push(codec_to_v2(n, &a2b)?);
                '|'
            }
        };
        for c in self.codecs.bytes_to_bytes() {
            filters.push(codec_to_v2(n, &Codec::BytesToBytes(c.clone()))?);
        }
        let compressor = if self.codecs.bytes_to_bytes().is_empty() {
            None
        } else {
            filters.pop()
        };
        let dtype = self.data_type.to_v2_dtype(order_char).ok_or_else(|| {
            self.not_v2(format!(
                "data type {} has no V2 dtype (byte order {order_char:?})",
                self.data_type.name()
            ))
        })?;
        let fill_value = self
            .data_type
            .fill_value_to_json_v2(&self.fill_value)
            .map_err(|e| MetadataError::invalid(n, e))?;
        let v2 = ArrayMetadataV2 {
            shape: m.shape.clone(),
            chunks,
            dtype,
            compressor,
            fill_value,
            order,
            filters: if filters.is_empty() {
                None
            } else {
                Some(filters)
            },
            dimension_separator: Some(separator),
            attributes: Some(m.attributes().clone()),
            extra_fields: Map::new(),
        };
        // Check that the result binds to an equivalent array.
        Array::new_with_metadata(self.storage.clone(), n, v2.clone())?;
        Ok(v2)
    }
}

impl<S: ReadableStorageTraits + WritableStorageTraits + ?Sized + 'static> Array<S> {
    /// Convert a V2 array to V3 in place: store `zarr.json` from [`Array::to_v3`] (the
    /// chunks are not rewritten) and, if `erase_v2`, erase `.zarray` and `.zattrs`. This
    /// array then uses the V3 metadata. A V3 array is left as it is.
    pub fn convert_to_v3(&mut self, erase_v2: bool) -> Result<(), ArrayError> {
        if self.metadata.zarr_format() == 3 {
            return Ok(());
        }
        let v3 = self.to_v3()?;
        let converted = Array::new_with_metadata(self.storage.clone(), self.path.as_str(), v3)?;
        converted.store_metadata()?;
        if erase_v2 {
            self.erase_metadata()?;
        }
        self.metadata = converted.metadata;
        self.data_type = converted.data_type;
        self.fill_value = converted.fill_value;
        self.chunk_grid = converted.chunk_grid;
        self.chunk_key_encoding = converted.chunk_key_encoding;
        self.codecs = converted.codecs;
        self.shapes = converted.shapes;
        self.all_shapes_validated = converted.all_shapes_validated;
        Ok(())
    }
}
