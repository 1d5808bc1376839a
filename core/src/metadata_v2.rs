//! Zarr V2 metadata: `.zarray`, `.zgroup`, `.zattrs` and consolidated `.zmetadata`.
//!
//! Like the V3 metadata, parsing keeps what is needed to write the same JSON back: unknown
//! members of `.zarray` / `.zgroup` are kept (V2 has no `must_understand`; zarr-python
//! ignores them), whether `dimension_separator` and `.zattrs` were present, and numbers
//! exactly as written (`serde_json` with `arbitrary_precision`). Nothing here resolves a
//! data type or codec: binding to plugins happens when an [`crate::Array`] is created.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::MetadataError;

/// The file names of V2 metadata.
pub const ZARRAY: &str = ".zarray";
/// Group metadata.
pub const ZGROUP: &str = ".zgroup";
/// User attributes.
pub const ZATTRS: &str = ".zattrs";
/// Consolidated metadata.
pub const ZMETADATA: &str = ".zmetadata";

/// The memory layout of a V2 chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum ArrayOrder {
    /// Row-major (last index fastest).
    C,
    /// Column-major (first index fastest).
    F,
}

impl ArrayOrder {
    /// `"C"` or `"F"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::C => "C",
            Self::F => "F",
        }
    }
}

/// The separator of V2 chunk keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum DimensionSeparator {
    /// `.` (the default): `1.2`.
    #[serde(rename = ".")]
    Dot,
    /// `/`: `1/2`.
    #[serde(rename = "/")]
    Slash,
}

impl DimensionSeparator {
    /// `"."` or `"/"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Dot => ".",
            Self::Slash => "/",
        }
    }
}

fn json_error(
    node: &str,
    file: &str,
    e: serde_path_to_error::Error<serde_json::Error>,
) -> MetadataError {
    MetadataError::Json {
        node: node.to_string(),
        location: format!("{} in {file}", e.path()),
        message: e.inner().to_string(),
    }
}

fn at(node: &str, file: &str, location: &str, message: impl Into<String>) -> MetadataError {
    MetadataError::Json {
        node: node.to_string(),
        location: format!("{location} in {file}"),
        message: message.into(),
    }
}

/// Parse a JSON object from the bytes of `file` of `node`.
pub fn parse_object_v2(
    node: &str,
    file: &str,
    bytes: &[u8],
) -> Result<Map<String, Value>, MetadataError> {
    let v: Value = crate::json::parse(bytes).map_err(|e| MetadataError::Json {
        node: node.to_string(),
        location: format!("line {} column {} of {file}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(at(node, file, ".", format!("{file} must be a JSON object"))),
    }
}

fn check_format(node: &str, file: &str, map: &Map<String, Value>) -> Result<(), MetadataError> {
    match map.get("zarr_format") {
        Some(v) if v.as_u64() == Some(2) => Ok(()),
        Some(v) => Err(at(
            node,
            file,
            "zarr_format",
            format!("zarr_format is {v}, expected 2"),
        )),
        None => Err(at(node, file, ".", "missing member `zarr_format`")),
    }
}

/// Parse `.zattrs` bytes (an object of user attributes).
pub fn parse_attributes(node: &str, bytes: &[u8]) -> Result<Map<String, Value>, MetadataError> {
    parse_object_v2(node, ZATTRS, bytes)
}

/// A numcodecs codec configuration (`{"id": "zlib", "level": 1}`), checked to have a
/// string `id`.
fn check_codec(node: &str, location: &str, c: &Map<String, Value>) -> Result<(), MetadataError> {
    match c.get("id") {
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(at(node, ZARRAY, location, "`id` must be a string")),
        None => Err(at(
            node,
            ZARRAY,
            location,
            "a numcodecs configuration needs an `id`",
        )),
    }
}

/// The numcodecs id of a codec configuration (empty if absent).
pub fn codec_id(config: &Map<String, Value>) -> &str {
    config.get("id").and_then(Value::as_str).unwrap_or_default()
}

/// `.zarray` of an array, with its `.zattrs`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayMetadataV2 {
    /// The array shape.
    pub shape: Vec<u64>,
    /// The chunk shape.
    pub chunks: Vec<u64>,
    /// The NumPy dtype string (`<i4`, `|b1`, `|S6`, `<U5`, `|O`, ...).
    pub dtype: String,
    /// The compressor (a numcodecs configuration), or `None` for `null`.
    pub compressor: Option<Map<String, Value>>,
    /// The fill value JSON (`null` allowed: undefined contents of missing chunks).
    pub fill_value: Value,
    /// The chunk memory layout.
    pub order: ArrayOrder,
    /// The filters (numcodecs configurations), or `None` for `null`.
    pub filters: Option<Vec<Map<String, Value>>>,
    /// The chunk key separator (`None`: the member is absent, which means `.`).
    pub dimension_separator: Option<DimensionSeparator>,
    /// User attributes from `.zattrs` (`None`: there is no `.zattrs`).
    pub attributes: Option<Map<String, Value>>,
    /// Unknown members of `.zarray`, kept for writing back.
    pub extra_fields: Map<String, Value>,
}

#[derive(Deserialize)]
struct ArrayFields {
    shape: Vec<u64>,
    chunks: Vec<u64>,
    dtype: Value,
    /// Required (the V2 spec: an object or `null`; checked before deserialising, as serde
    /// lets a missing `Option` be `None`).
    compressor: Option<Map<String, Value>>,
    fill_value: Value,
    order: ArrayOrder,
    #[serde(default)]
    filters: Option<Vec<Map<String, Value>>>,
    #[serde(default)]
    dimension_separator: Option<DimensionSeparator>,
}

const ARRAY_KNOWN: &[&str] = &[
    "zarr_format",
    "shape",
    "chunks",
    "dtype",
    "compressor",
    "fill_value",
    "order",
    "filters",
    "dimension_separator",
];

impl ArrayMetadataV2 {
    /// New metadata: C order, no compressor or filters, separator `.`, empty attributes.
    pub fn new(
        shape: Vec<u64>,
        chunks: Vec<u64>,
        dtype: impl Into<String>,
        fill_value: Value,
    ) -> Self {
        Self {
            shape,
            chunks,
            dtype: dtype.into(),
            compressor: None,
            fill_value,
            order: ArrayOrder::C,
            filters: None,
            dimension_separator: Some(DimensionSeparator::Dot),
            attributes: Some(Map::new()),
            extra_fields: Map::new(),
        }
    }

    /// Parse `.zarray` bytes (and `.zattrs` bytes, if the node has them) of the array at
    /// `node` (used in error messages).
    pub fn from_json(
        zarray: &[u8],
        zattrs: Option<&[u8]>,
        node: &str,
    ) -> Result<Self, MetadataError> {
        let map = parse_object_v2(node, ZARRAY, zarray)?;
        let attributes = zattrs.map(|b| parse_attributes(node, b)).transpose()?;
        Self::from_map(map, attributes, node)
    }

    /// Parse from the `.zarray` object and the `.zattrs` object.
    pub fn from_map(
        map: Map<String, Value>,
        attributes: Option<Map<String, Value>>,
        node: &str,
    ) -> Result<Self, MetadataError> {
        check_format(node, ZARRAY, &map)?;
        if !map.contains_key("compressor") {
            return Err(at(
                node,
                ZARRAY,
                "compressor",
                "the member is missing (it must be present: a codec, or null for none)",
            ));
        }
        let extra_fields: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| !ARRAY_KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let f: ArrayFields = serde_path_to_error::deserialize(Value::Object(map))
            .map_err(|e| json_error(node, ZARRAY, e))?;
        let dtype = match f.dtype {
            Value::String(s) => s,
            // A structured (record) dtype, `[["a", "<i4"], ["b", "<f8", [2]]]`: kept as its
            // compact JSON text, which data type plugins match (and written back as JSON).
            Value::Array(a) if !a.is_empty() => {
                serde_json::to_string(&Value::Array(a)).unwrap_or_default()
            }
            Value::Array(_) => {
                return Err(at(
                    node,
                    ZARRAY,
                    "dtype",
                    "a structured dtype needs at least one field",
                ))
            }
            other => {
                return Err(at(
                    node,
                    ZARRAY,
                    "dtype",
                    format!("dtype must be a string, got {other}"),
                ))
            }
        };
        if let Some(c) = &f.compressor {
            check_codec(node, "compressor", c)?;
        }
        if let Some(filters) = &f.filters {
            for (i, c) in filters.iter().enumerate() {
                check_codec(node, &format!("filters[{i}]"), c)?;
            }
        }
        let m = Self {
            shape: f.shape,
            chunks: f.chunks,
            dtype,
            compressor: f.compressor,
            fill_value: f.fill_value,
            order: f.order,
            filters: f.filters,
            dimension_separator: f.dimension_separator,
            attributes,
            extra_fields,
        };
        m.validate(node)?;
        Ok(m)
    }

    /// Structural checks that need no plugin.
    pub fn validate(&self, node: &str) -> Result<(), MetadataError> {
        if self.chunks.len() != self.shape.len() {
            return Err(MetadataError::invalid(
                node,
                format!(
                    "{ZARRAY}: chunks {:?} has {} entries but shape {:?} has {}",
                    self.chunks,
                    self.chunks.len(),
                    self.shape,
                    self.shape.len()
                ),
            ));
        }
        if let Some(i) = self.chunks.iter().position(|&c| c == 0) {
            return Err(at(
                node,
                ZARRAY,
                &format!("chunks[{i}]"),
                "chunk sizes must be at least 1",
            ));
        }
        Ok(())
    }

    /// The chunk key separator (`.` when absent).
    pub fn separator(&self) -> DimensionSeparator {
        self.dimension_separator.unwrap_or(DimensionSeparator::Dot)
    }

    /// The user attributes (empty when there is no `.zattrs`).
    pub fn attributes(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.attributes
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    /// `.zarray` as a JSON object (members in the order zarr-python writes them, then the
    /// unknown members).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("shape".into(), Value::from(self.shape.clone()));
        m.insert("chunks".into(), Value::from(self.chunks.clone()));
        let dtype = match self.dtype.starts_with('[') {
            // A structured dtype's JSON text (see `from_map`).
            true => serde_json::from_str(&self.dtype)
                .unwrap_or_else(|_| Value::String(self.dtype.clone())),
            false => Value::String(self.dtype.clone()),
        };
        m.insert("dtype".into(), dtype);
        m.insert("fill_value".into(), self.fill_value.clone());
        m.insert("order".into(), Value::String(self.order.as_str().into()));
        m.insert(
            "filters".into(),
            match &self.filters {
                None => Value::Null,
                Some(f) => Value::Array(f.iter().cloned().map(Value::Object).collect()),
            },
        );
        if let Some(s) = self.dimension_separator {
            m.insert(
                "dimension_separator".into(),
                Value::String(s.as_str().into()),
            );
        }
        m.insert(
            "compressor".into(),
            self.compressor.clone().map_or(Value::Null, Value::Object),
        );
        m.insert("zarr_format".into(), Value::from(2));
        for (k, x) in &self.extra_fields {
            m.insert(k.clone(), x.clone());
        }
        m
    }

    /// Pretty JSON bytes for `.zarray`.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        crate::json::to_vec_pretty(&Value::Object(self.to_map()))
    }
}

/// Pretty JSON bytes of attributes for `.zattrs`.
pub fn attributes_to_json_pretty(attributes: &Map<String, Value>) -> Vec<u8> {
    crate::json::to_vec_pretty(&Value::Object(attributes.clone()))
}

/// Consolidated metadata of a V2 hierarchy (`.zmetadata`, `zarr_consolidated_format` 1):
/// the metadata documents of the nodes below a group, by key (`sub/.zarray`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct ConsolidatedMetadataV2 {
    /// The metadata documents by store key relative to the group (`.zgroup`,
    /// `sub/data/.zarray`, `sub/data/.zattrs`, ...).
    pub metadata: Map<String, Value>,
    /// Unknown members, kept for writing back.
    pub extra_fields: Map<String, Value>,
}

impl ConsolidatedMetadataV2 {
    /// Parse `.zmetadata` bytes of the group at `node`.
    pub fn from_json(bytes: &[u8], node: &str) -> Result<Self, MetadataError> {
        let map = parse_object_v2(node, ZMETADATA, bytes)?;
        match map.get("zarr_consolidated_format") {
            Some(v) if v.as_u64() == Some(1) => {}
            Some(v) => {
                return Err(at(
                    node,
                    ZMETADATA,
                    "zarr_consolidated_format",
                    format!("zarr_consolidated_format is {v}, expected 1"),
                ))
            }
            None => {
                return Err(at(
                    node,
                    ZMETADATA,
                    ".",
                    "missing member `zarr_consolidated_format`",
                ))
            }
        }
        let metadata = match map.get("metadata") {
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(at(node, ZMETADATA, "metadata", "must be an object")),
            None => return Err(at(node, ZMETADATA, ".", "missing member `metadata`")),
        };
        for (k, v) in &metadata {
            if !v.is_object() {
                return Err(at(
                    node,
                    ZMETADATA,
                    &format!("metadata.{k}"),
                    "every metadata document must be an object",
                ));
            }
        }
        let extra_fields = map
            .iter()
            .filter(|(k, _)| !["zarr_consolidated_format", "metadata"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Self {
            metadata,
            extra_fields,
        })
    }

    /// The document stored under a key (e.g. `sub/data/.zarray`).
    pub fn get(&self, key: &str) -> Option<&Map<String, Value>> {
        self.metadata.get(key).and_then(Value::as_object)
    }

    /// The array metadata of the node at `relative_path` (`""` for the group itself,
    /// else e.g. `sub/data`), if listed.
    pub fn array_metadata(
        &self,
        relative_path: &str,
        node: &str,
    ) -> Option<Result<ArrayMetadataV2, MetadataError>> {
        let key = |f: &str| {
            if relative_path.is_empty() {
                f.to_string()
            } else {
                format!("{}/{f}", relative_path.trim_matches('/'))
            }
        };
        let zarray = self.get(&key(ZARRAY))?.clone();
        let attrs = self.get(&key(ZATTRS)).cloned();
        Some(ArrayMetadataV2::from_map(zarray, attrs, node))
    }

    /// As a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("metadata".into(), Value::Object(self.metadata.clone()));
        m.insert("zarr_consolidated_format".into(), Value::from(1));
        for (k, x) in &self.extra_fields {
            m.insert(k.clone(), x.clone());
        }
        m
    }
}

/// `.zgroup` of a group, with its `.zattrs` and, if present, its `.zmetadata`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupMetadataV2 {
    /// User attributes from `.zattrs` (`None`: there is no `.zattrs`).
    pub attributes: Option<Map<String, Value>>,
    /// Unknown members of `.zgroup` (e.g. zarr-python 3's `consolidated_metadata`), kept
    /// for writing back.
    pub extra_fields: Map<String, Value>,
    /// Consolidated metadata read from `.zmetadata` (not written by
    /// [`crate::Group::store_metadata`]).
    pub consolidated_metadata: Option<ConsolidatedMetadataV2>,
}

impl GroupMetadataV2 {
    /// New group metadata with empty attributes.
    pub fn new() -> Self {
        Self {
            attributes: Some(Map::new()),
            extra_fields: Map::new(),
            consolidated_metadata: None,
        }
    }

    /// Parse `.zgroup` bytes (and `.zattrs` / `.zmetadata` bytes, if present) of the group
    /// at `node`.
    pub fn from_json(
        zgroup: &[u8],
        zattrs: Option<&[u8]>,
        zmetadata: Option<&[u8]>,
        node: &str,
    ) -> Result<Self, MetadataError> {
        let map = parse_object_v2(node, ZGROUP, zgroup)?;
        check_format(node, ZGROUP, &map)?;
        let extra_fields = map
            .iter()
            .filter(|(k, _)| k.as_str() != "zarr_format")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Self {
            attributes: zattrs.map(|b| parse_attributes(node, b)).transpose()?,
            extra_fields,
            consolidated_metadata: zmetadata
                .map(|b| ConsolidatedMetadataV2::from_json(b, node))
                .transpose()?,
        })
    }

    /// The user attributes (empty when there is no `.zattrs`).
    pub fn attributes(&self) -> Map<String, Value> {
        self.attributes.clone().unwrap_or_default()
    }

    /// `.zgroup` as a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("zarr_format".into(), Value::from(2));
        for (k, x) in &self.extra_fields {
            m.insert(k.clone(), x.clone());
        }
        m
    }

    /// Pretty JSON bytes for `.zgroup`.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        crate::json::to_vec_pretty(&Value::Object(self.to_map()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZARRAY_JSON: &str = r#"{
    "shape": [20, 33],
    "chunks": [8, 10],
    "dtype": "<f8",
    "fill_value": "NaN",
    "order": "F",
    "filters": [{"id": "delta", "dtype": "<f8"}],
    "dimension_separator": "/",
    "compressor": {"id": "zlib", "level": 1},
    "zarr_format": 2,
    "x-custom": 123456789012345678901234567890
}"#;

    fn v(s: &[u8]) -> Value {
        serde_json::from_slice(s).unwrap_or(Value::Null)
    }

    #[test]
    fn structured_dtypes_are_kept_as_json() -> Result<(), MetadataError> {
        let j = r#"{"zarr_format": 2, "shape": [3], "chunks": [3], "compressor": null,
            "dtype": [["a", "<i4"], ["b", ">f8", [2]]], "fill_value": null,
            "filters": null, "order": "C"}"#;
        let m = ArrayMetadataV2::from_json(j.as_bytes(), None, "/r")?;
        assert_eq!(m.dtype, r#"[["a","<i4"],["b",">f8",[2]]]"#);
        assert_eq!(
            m.to_map()["dtype"],
            serde_json::json!([["a", "<i4"], ["b", ">f8", [2]]])
        );
        Ok(())
    }

    #[test]
    fn array_round_trip_exact() -> Result<(), MetadataError> {
        let attrs = br#"{"big": 123456789012345678901234567890, "f": 0.1, "u": "\u00fc"}"#;
        let m = ArrayMetadataV2::from_json(ZARRAY_JSON.as_bytes(), Some(attrs), "/a")?;
        assert_eq!(m.order, ArrayOrder::F);
        assert_eq!(m.separator(), DimensionSeparator::Slash);
        assert_eq!(m.filters.as_ref().map(Vec::len), Some(1));
        assert_eq!(m.extra_fields.len(), 1);
        assert_eq!(v(&m.to_json_pretty()), v(ZARRAY_JSON.as_bytes()));
        assert_eq!(v(&attributes_to_json_pretty(m.attributes())), v(attrs));
        let again = ArrayMetadataV2::from_json(&m.to_json_pretty(), Some(attrs.as_slice()), "/a")?;
        assert_eq!(again, m);
        // Absent dimension_separator stays absent; null compressor and filters stay null.
        let plain = r#"{"zarr_format": 2, "shape": [], "chunks": [], "dtype": "|b1",
            "fill_value": null, "order": "C", "filters": null, "compressor": null}"#;
        let p = ArrayMetadataV2::from_json(plain.as_bytes(), None, "/")?;
        assert_eq!(p.separator(), DimensionSeparator::Dot);
        assert!(p.attributes.is_none() && p.attributes().is_empty());
        assert_eq!(v(&p.to_json_pretty()), v(plain.as_bytes()));
        Ok(())
    }

    fn err_of(json: &str) -> String {
        match ArrayMetadataV2::from_json(json.as_bytes(), None, "/x") {
            Ok(_) => panic!("accepted: {json}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn array_errors_name_node_and_location() {
        let e = err_of(&ZARRAY_JSON.replace("\"zarr_format\": 2", "\"zarr_format\": 3"));
        assert!(e.contains("zarr_format") && e.contains("/x"), "{e}");
        let e = err_of(&ZARRAY_JSON.replace("[8, 10]", "[8]"));
        assert!(e.contains("chunks") && e.contains("/x"), "{e}");
        let e = err_of(&ZARRAY_JSON.replace("[20, 33]", "[20, -33]"));
        assert!(e.contains("shape[1]") && e.contains(".zarray"), "{e}");
        let e = err_of(&ZARRAY_JSON.replace("\"F\"", "\"K\""));
        assert!(e.contains("order"), "{e}");
        let e = err_of(&ZARRAY_JSON.replace("\"/\"", "\"-\""));
        assert!(e.contains("dimension_separator"), "{e}");
        let e = err_of(&ZARRAY_JSON.replace("{\"id\": \"zlib\", \"level\": 1}", "{\"level\": 1}"));
        assert!(e.contains("compressor"), "{e}");
        let e = err_of(&ZARRAY_JSON.replace("\"id\": \"delta\"", "\"id\": 5"));
        assert!(e.contains("filters[0]"), "{e}");
        let e = err_of(&ZARRAY_JSON.replace("\"<f8\",\n", "[],\n"));
        assert!(e.contains("structured"), "{e}");
        let e = err_of(&ZARRAY_JSON.replace("\"fill_value\": \"NaN\",", ""));
        assert!(e.contains("fill_value"), "{e}");
        let e = err_of(&ZARRAY_JSON[..60]);
        assert!(e.contains("line"), "{e}");
        let e = err_of("[1]");
        assert!(e.contains("object"), "{e}");
        let e = err_of(&ZARRAY_JSON.replace("[8, 10]", "[8, 0]"));
        assert!(e.contains("chunks[1]"), "{e}");
        let bad_attrs = ArrayMetadataV2::from_json(ZARRAY_JSON.as_bytes(), Some(b"[]"), "/x");
        assert!(bad_attrs.is_err_and(|e| e.to_string().contains(".zattrs")));
    }

    #[test]
    fn group_and_consolidated() -> Result<(), MetadataError> {
        let zmeta = br#"{"metadata": {".zgroup": {"zarr_format": 2},
            "sub/data/.zarray": {"shape": [4], "chunks": [2], "dtype": "<i4", "fill_value": 0,
                "order": "C", "filters": null, "compressor": null, "zarr_format": 2},
            "sub/data/.zattrs": {"a": 1}}, "zarr_consolidated_format": 1}"#;
        let g = GroupMetadataV2::from_json(
            br#"{"zarr_format": 2, "consolidated_metadata": {"kind": "inline"}}"#,
            Some(br#"{"t": [1, 2.5]}"#),
            Some(zmeta),
            "/",
        )?;
        assert_eq!(g.extra_fields.len(), 1);
        assert_eq!(g.attributes().len(), 1);
        let c = g
            .consolidated_metadata
            .as_ref()
            .ok_or_else(|| MetadataError::invalid("/", "none"))?;
        assert_eq!(
            v(&serde_json::to_vec(&c.to_map()).unwrap_or_default()),
            v(zmeta)
        );
        let a = c
            .array_metadata("sub/data", "/sub/data")
            .ok_or_else(|| MetadataError::invalid("/", "not listed"))??;
        assert_eq!(a.shape, vec![4]);
        assert_eq!(a.attributes().get("a"), Some(&Value::from(1)));
        assert!(c.array_metadata("nope", "/nope").is_none());
        assert!(GroupMetadataV2::from_json(br#"{"zarr_format": 3}"#, None, None, "/").is_err());
        let bad = GroupMetadataV2::from_json(
            br#"{"zarr_format": 2}"#,
            None,
            Some(br#"{"metadata": {}, "zarr_consolidated_format": 2}"#),
            "/g",
        );
        assert!(bad.is_err_and(|e| e.to_string().contains("zarr_consolidated_format")));
        Ok(())
    }
}
