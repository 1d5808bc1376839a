//! Zarr V3 metadata (`zarr.json`) for arrays and groups.
//!
//! Parsing keeps everything needed to write the same JSON back: extension names exactly as
//! read (aliases included), the short string form of extension metadata, absent versus empty
//! optional members, and unknown members marked `"must_understand": false`. Unknown members
//! without that mark are rejected, as the spec requires.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::MetadataError;
use crate::metadata_v2::{ArrayMetadataV2, GroupMetadataV2};

/// Extension metadata: a name with an optional configuration (`"bytes"` or
/// `{"name": "bytes", "configuration": {...}}`).
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataV3 {
    name: String,
    configuration: Option<Map<String, Value>>,
    must_understand: bool,
    short_form: bool,
}

impl MetadataV3 {
    /// Just a name (written as `{"name": name}`).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            configuration: None,
            must_understand: true,
            short_form: false,
        }
    }

    /// A name with a configuration.
    pub fn new_with_configuration(
        name: impl Into<String>,
        configuration: Map<String, Value>,
    ) -> Self {
        Self {
            name: name.into(),
            configuration: Some(configuration),
            must_understand: true,
            short_form: false,
        }
    }

    /// Write this extension in the short string form (`"int32"`) when it has no
    /// configuration and must be understood.
    pub fn in_short_form(mut self) -> Self {
        self.short_form = true;
        self
    }

    /// Set `must_understand`.
    pub fn with_must_understand(mut self, must_understand: bool) -> Self {
        self.must_understand = must_understand;
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same extension under another name (an alias it was read under).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The configuration, if present.
    pub fn configuration(&self) -> Option<&Map<String, Value>> {
        self.configuration.as_ref()
    }

    /// Whether a reader must understand this extension (default true).
    pub fn must_understand(&self) -> bool {
        self.must_understand
    }

    /// Deserialize the configuration (an absent configuration reads as `{}`) into a plugin's
    /// configuration type, with the JSON path of any error.
    pub fn to_configuration<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        let v = Value::Object(self.configuration.clone().unwrap_or_default());
        serde_path_to_error::deserialize(v).map_err(|e| {
            let p = e.path().to_string();
            if p == "." {
                e.inner().to_string()
            } else {
                format!("at `{p}`: {}", e.inner())
            }
        })
    }
}

impl Serialize for MetadataV3 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.short_form && self.configuration.is_none() && self.must_understand {
            return s.serialize_str(&self.name);
        }
        let mut m = Map::new();
        m.insert("name".into(), Value::String(self.name.clone()));
        if let Some(c) = &self.configuration {
            m.insert("configuration".into(), Value::Object(c.clone()));
        }
        if !self.must_understand {
            m.insert("must_understand".into(), Value::Bool(false));
        }
        m.serialize(s)
    }
}

impl<'de> Deserialize<'de> for MetadataV3 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match Value::deserialize(d)? {
            Value::String(name) => Ok(Self {
                name,
                configuration: None,
                must_understand: true,
                short_form: true,
            }),
            Value::Object(mut m) => {
                let name = match m.remove("name") {
                    Some(Value::String(s)) => s,
                    Some(_) => return Err(D::Error::custom("`name` must be a string")),
                    None => return Err(D::Error::custom("missing `name`")),
                };
                let configuration = match m.remove("configuration") {
                    None => None,
                    Some(Value::Object(c)) => Some(c),
                    Some(_) => return Err(D::Error::custom("`configuration` must be an object")),
                };
                let must_understand = match m.remove("must_understand") {
                    None => true,
                    Some(Value::Bool(b)) => b,
                    Some(_) => return Err(D::Error::custom("`must_understand` must be a boolean")),
                };
                if let Some(k) = m.keys().next() {
                    return Err(D::Error::custom(format!(
                        "unknown member `{k}` in extension {name:?}"
                    )));
                }
                Ok(Self {
                    name,
                    configuration,
                    must_understand,
                    short_form: false,
                })
            }
            _ => Err(D::Error::custom(
                "extension metadata must be a name string or an object with `name`",
            )),
        }
    }
}

fn json_error(node: &str, e: serde_path_to_error::Error<serde_json::Error>) -> MetadataError {
    MetadataError::Json {
        node: node.to_string(),
        location: e.path().to_string(),
        message: e.inner().to_string(),
    }
}

fn parse_object(node: &str, bytes: &[u8]) -> Result<Map<String, Value>, MetadataError> {
    let v: Value = crate::json::parse(bytes).map_err(|e| MetadataError::Json {
        node: node.to_string(),
        location: format!("line {} column {}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(MetadataError::Json {
            node: node.to_string(),
            location: ".".into(),
            message: "metadata must be a JSON object".into(),
        }),
    }
}

fn extra_fields(
    node: &str,
    map: &Map<String, Value>,
    known: &[&str],
) -> Result<Map<String, Value>, MetadataError> {
    let mut extra = Map::new();
    for (k, v) in map {
        if known.contains(&k.as_str()) {
            continue;
        }
        let ok =
            matches!(v, Value::Object(o) if o.get("must_understand") == Some(&Value::Bool(false)));
        if !ok {
            return Err(MetadataError::invalid(
                node,
                format!("unknown member `{k}` is not marked \"must_understand\": false"),
            ));
        }
        extra.insert(k.clone(), v.clone());
    }
    Ok(extra)
}

fn check_format(
    node: &str,
    map: &Map<String, Value>,
    node_type: Option<&str>,
) -> Result<(), MetadataError> {
    match map.get("zarr_format") {
        Some(v) if v.as_u64() == Some(3) => {}
        Some(v) => {
            return Err(MetadataError::invalid(
                node,
                format!("zarr_format is {v}, expected 3"),
            ))
        }
        None => return Err(MetadataError::invalid(node, "missing member `zarr_format`")),
    }
    match (map.get("node_type"), node_type) {
        (None, _) => Err(MetadataError::invalid(node, "missing member `node_type`")),
        (Some(Value::String(t)), Some(want)) if t != want => Err(MetadataError::invalid(
            node,
            format!("node_type is {t:?}, expected {want:?}"),
        )),
        (Some(Value::String(t)), None) if t != "array" && t != "group" => {
            Err(MetadataError::invalid(
                node,
                format!("node_type {t:?} is neither \"array\" nor \"group\""),
            ))
        }
        (Some(Value::String(_)), _) => Ok(()),
        (Some(v), _) => Err(MetadataError::invalid(
            node,
            format!("node_type {v} is not a string"),
        )),
    }
}

/// `zarr.json` of an array.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayMetadataV3 {
    /// The array shape.
    pub shape: Vec<u64>,
    /// The data type.
    pub data_type: MetadataV3,
    /// The chunk grid.
    pub chunk_grid: MetadataV3,
    /// The chunk key encoding.
    pub chunk_key_encoding: MetadataV3,
    /// The fill value JSON (interpreted by the data type).
    pub fill_value: Value,
    /// The codecs, in order.
    pub codecs: Vec<MetadataV3>,
    /// User attributes (`None`: the member is absent).
    pub attributes: Option<Map<String, Value>>,
    /// Storage transformers (`None`: the member is absent).
    pub storage_transformers: Option<Vec<MetadataV3>>,
    /// Dimension names (`None`: the member is absent).
    pub dimension_names: Option<Vec<Option<String>>>,
    /// Unknown members marked `"must_understand": false`, kept for writing back.
    pub extra_fields: Map<String, Value>,
}

#[derive(Deserialize)]
struct ArrayMetadataV3Fields {
    shape: Vec<u64>,
    data_type: MetadataV3,
    chunk_grid: MetadataV3,
    chunk_key_encoding: MetadataV3,
    fill_value: Value,
    codecs: Vec<MetadataV3>,
    #[serde(default)]
    attributes: Option<Map<String, Value>>,
    #[serde(default)]
    storage_transformers: Option<Vec<MetadataV3>>,
    #[serde(default)]
    dimension_names: Option<Vec<Option<String>>>,
}

const ARRAY_KNOWN: &[&str] = &[
    "zarr_format",
    "node_type",
    "shape",
    "data_type",
    "chunk_grid",
    "chunk_key_encoding",
    "fill_value",
    "codecs",
    "attributes",
    "storage_transformers",
    "dimension_names",
];

impl ArrayMetadataV3 {
    /// New metadata with the default key encoding and no attributes.
    pub fn new(
        shape: Vec<u64>,
        data_type: MetadataV3,
        chunk_grid: MetadataV3,
        fill_value: Value,
        codecs: Vec<MetadataV3>,
    ) -> Self {
        let mut sep = Map::new();
        sep.insert("separator".into(), Value::String("/".into()));
        Self {
            shape,
            data_type,
            chunk_grid,
            chunk_key_encoding: MetadataV3::new_with_configuration("default", sep),
            fill_value,
            codecs,
            attributes: Some(Map::new()),
            storage_transformers: None,
            dimension_names: None,
            extra_fields: Map::new(),
        }
    }

    /// Parse `zarr.json` bytes of the array at `node` (used in error messages).
    pub fn from_json(bytes: &[u8], node: &str) -> Result<Self, MetadataError> {
        let map = parse_object(node, bytes)?;
        Self::from_map(map, node)
    }

    /// Parse from a JSON object.
    pub fn from_map(map: Map<String, Value>, node: &str) -> Result<Self, MetadataError> {
        check_format(node, &map, Some("array"))?;
        let extra_fields = extra_fields(node, &map, ARRAY_KNOWN)?;
        let f: ArrayMetadataV3Fields = serde_path_to_error::deserialize(Value::Object(map))
            .map_err(|e| json_error(node, e))?;
        let m = Self {
            shape: f.shape,
            data_type: f.data_type,
            chunk_grid: f.chunk_grid,
            chunk_key_encoding: f.chunk_key_encoding,
            fill_value: f.fill_value,
            codecs: f.codecs,
            attributes: f.attributes,
            storage_transformers: f.storage_transformers,
            dimension_names: f.dimension_names,
            extra_fields,
        };
        m.validate(node)?;
        Ok(m)
    }

    /// Structural checks that need no plugin.
    pub fn validate(&self, node: &str) -> Result<(), MetadataError> {
        if let Some(names) = &self.dimension_names {
            if names.len() != self.shape.len() {
                return Err(MetadataError::invalid(
                    node,
                    format!(
                        "dimension_names has {} entries but the array has {} dimensions",
                        names.len(),
                        self.shape.len()
                    ),
                ));
            }
        }
        if self.codecs.is_empty() {
            return Err(MetadataError::invalid(
                node,
                "codecs is empty (an array->bytes codec is required)",
            ));
        }
        Ok(())
    }

    /// The user attributes (empty when absent).
    pub fn attributes(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.attributes
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    /// As a JSON object (members in spec order, then the extra members).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let v = |x: &dyn erased::Ser| x.to_value();
        m.insert("zarr_format".into(), Value::from(3));
        m.insert("node_type".into(), Value::String("array".into()));
        m.insert("shape".into(), Value::from(self.shape.clone()));
        m.insert("data_type".into(), v(&self.data_type));
        m.insert("chunk_grid".into(), v(&self.chunk_grid));
        m.insert("chunk_key_encoding".into(), v(&self.chunk_key_encoding));
        m.insert("fill_value".into(), self.fill_value.clone());
        m.insert(
            "codecs".into(),
            Value::Array(self.codecs.iter().map(|c| v(c)).collect()),
        );
        if let Some(a) = &self.attributes {
            m.insert("attributes".into(), Value::Object(a.clone()));
        }
        if let Some(s) = &self.storage_transformers {
            m.insert(
                "storage_transformers".into(),
                Value::Array(s.iter().map(|c| v(c)).collect()),
            );
        }
        if let Some(d) = &self.dimension_names {
            m.insert(
                "dimension_names".into(),
                Value::Array(
                    d.iter()
                        .map(|n| n.clone().map_or(Value::Null, Value::String))
                        .collect(),
                ),
            );
        }
        for (k, x) in &self.extra_fields {
            m.insert(k.clone(), x.clone());
        }
        m
    }

    /// Pretty JSON bytes for `zarr.json`.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        crate::json::to_vec_pretty(&Value::Object(self.to_map()))
    }
}

mod erased {
    use serde_json::Value;
    pub trait Ser {
        fn to_value(&self) -> Value;
    }
    impl Ser for super::MetadataV3 {
        fn to_value(&self) -> Value {
            serde_json::to_value(self).unwrap_or(Value::Null)
        }
    }
}

/// `zarr.json` of a group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupMetadataV3 {
    /// User attributes (`None`: the member is absent).
    pub attributes: Option<Map<String, Value>>,
    /// Unknown members marked `"must_understand": false` (e.g. zarr-python's
    /// `consolidated_metadata`), kept for writing back.
    pub extra_fields: Map<String, Value>,
}

impl GroupMetadataV3 {
    /// New group metadata with empty attributes.
    pub fn new() -> Self {
        Self {
            attributes: Some(Map::new()),
            extra_fields: Map::new(),
        }
    }

    /// Parse `zarr.json` bytes of the group at `node`.
    pub fn from_json(bytes: &[u8], node: &str) -> Result<Self, MetadataError> {
        let map = parse_object(node, bytes)?;
        Self::from_map(map, node)
    }

    /// Parse from a JSON object.
    pub fn from_map(map: Map<String, Value>, node: &str) -> Result<Self, MetadataError> {
        check_format(node, &map, Some("group"))?;
        let extra_fields = extra_fields(node, &map, &["zarr_format", "node_type", "attributes"])?;
        let attributes = match map.get("attributes") {
            None => None,
            Some(Value::Object(a)) => Some(a.clone()),
            Some(_) => {
                return Err(MetadataError::Json {
                    node: node.into(),
                    location: "attributes".into(),
                    message: "attributes must be an object".into(),
                })
            }
        };
        Ok(Self {
            attributes,
            extra_fields,
        })
    }

    /// The user attributes (empty when absent).
    pub fn attributes(&self) -> Map<String, Value> {
        self.attributes.clone().unwrap_or_default()
    }

    /// As a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("zarr_format".into(), Value::from(3));
        m.insert("node_type".into(), Value::String("group".into()));
        if let Some(a) = &self.attributes {
            m.insert("attributes".into(), Value::Object(a.clone()));
        }
        for (k, x) in &self.extra_fields {
            m.insert(k.clone(), x.clone());
        }
        m
    }

    /// Pretty JSON bytes for `zarr.json`.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        crate::json::to_vec_pretty(&Value::Object(self.to_map()))
    }
}

/// The metadata of an array: Zarr V3 (`zarr.json`) or V2 (`.zarray` + `.zattrs`).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayMetadata {
    /// Zarr V3.
    V3(ArrayMetadataV3),
    /// Zarr V2.
    V2(ArrayMetadataV2),
}

impl From<ArrayMetadataV3> for ArrayMetadata {
    fn from(m: ArrayMetadataV3) -> Self {
        Self::V3(m)
    }
}

impl From<ArrayMetadataV2> for ArrayMetadata {
    fn from(m: ArrayMetadataV2) -> Self {
        Self::V2(m)
    }
}

impl ArrayMetadata {
    /// The Zarr format version (3 or 2).
    pub fn zarr_format(&self) -> u8 {
        match self {
            Self::V3(_) => 3,
            Self::V2(_) => 2,
        }
    }
    /// The array shape.
    pub fn shape(&self) -> &[u64] {
        match self {
            Self::V3(m) => &m.shape,
            Self::V2(m) => &m.shape,
        }
    }
    /// Change the shape (no validation).
    pub fn set_shape(&mut self, shape: Vec<u64>) {
        match self {
            Self::V3(m) => m.shape = shape,
            Self::V2(m) => m.shape = shape,
        }
    }
    /// The user attributes (empty when absent).
    pub fn attributes(&self) -> &Map<String, Value> {
        match self {
            Self::V3(m) => m.attributes(),
            Self::V2(m) => m.attributes(),
        }
    }
    /// Mutable user attributes (created empty when absent).
    pub fn attributes_mut(&mut self) -> &mut Map<String, Value> {
        match self {
            Self::V3(m) => m.attributes.get_or_insert_with(Map::new),
            Self::V2(m) => m.attributes.get_or_insert_with(Map::new),
        }
    }
    /// The dimension names (V3 only).
    pub fn dimension_names(&self) -> Option<&[Option<String>]> {
        match self {
            Self::V3(m) => m.dimension_names.as_deref(),
            Self::V2(_) => None,
        }
    }
    /// The V3 metadata, if this is V3.
    pub fn as_v3(&self) -> Option<&ArrayMetadataV3> {
        match self {
            Self::V3(m) => Some(m),
            Self::V2(_) => None,
        }
    }
    /// The V2 metadata, if this is V2.
    pub fn as_v2(&self) -> Option<&ArrayMetadataV2> {
        match self {
            Self::V3(_) => None,
            Self::V2(m) => Some(m),
        }
    }
    /// The main metadata document as a JSON object: `zarr.json` (V3) or `.zarray` (V2).
    pub fn to_map(&self) -> Map<String, Value> {
        match self {
            Self::V3(m) => m.to_map(),
            Self::V2(m) => m.to_map(),
        }
    }
    /// Structural checks that need no plugin.
    pub fn validate(&self, node: &str) -> Result<(), MetadataError> {
        match self {
            Self::V3(m) => m.validate(node),
            Self::V2(m) => m.validate(node),
        }
    }
}

/// The metadata of a group: Zarr V3 (`zarr.json`) or V2 (`.zgroup` + `.zattrs`).
#[derive(Debug, Clone, PartialEq)]
pub enum GroupMetadata {
    /// Zarr V3.
    V3(GroupMetadataV3),
    /// Zarr V2.
    V2(GroupMetadataV2),
}

impl From<GroupMetadataV3> for GroupMetadata {
    fn from(m: GroupMetadataV3) -> Self {
        Self::V3(m)
    }
}

impl From<GroupMetadataV2> for GroupMetadata {
    fn from(m: GroupMetadataV2) -> Self {
        Self::V2(m)
    }
}

impl GroupMetadata {
    /// The Zarr format version (3 or 2).
    pub fn zarr_format(&self) -> u8 {
        match self {
            Self::V3(_) => 3,
            Self::V2(_) => 2,
        }
    }
    /// The user attributes (empty when absent).
    pub fn attributes(&self) -> Map<String, Value> {
        match self {
            Self::V3(m) => m.attributes(),
            Self::V2(m) => m.attributes(),
        }
    }
    /// Mutable user attributes (created empty when absent).
    pub fn attributes_mut(&mut self) -> &mut Map<String, Value> {
        match self {
            Self::V3(m) => m.attributes.get_or_insert_with(Map::new),
            Self::V2(m) => m.attributes.get_or_insert_with(Map::new),
        }
    }
    /// The V3 metadata, if this is V3.
    pub fn as_v3(&self) -> Option<&GroupMetadataV3> {
        match self {
            Self::V3(m) => Some(m),
            Self::V2(_) => None,
        }
    }
    /// The V2 metadata, if this is V2.
    pub fn as_v2(&self) -> Option<&GroupMetadataV2> {
        match self {
            Self::V3(_) => None,
            Self::V2(m) => Some(m),
        }
    }
    /// The main metadata document as a JSON object: `zarr.json` (V3) or `.zgroup` (V2).
    pub fn to_map(&self) -> Map<String, Value> {
        match self {
            Self::V3(m) => m.to_map(),
            Self::V2(m) => m.to_map(),
        }
    }
}

/// The metadata of a node: an array or a group, V3 or V2.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum NodeMetadata {
    /// An array.
    Array(ArrayMetadata),
    /// A group.
    Group(GroupMetadata),
}

impl NodeMetadata {
    /// Parse V3 `zarr.json` bytes of the node at `node`, deciding by `node_type`.
    pub fn from_json(bytes: &[u8], node: &str) -> Result<Self, MetadataError> {
        let map = parse_object(node, bytes)?;
        check_format(node, &map, None)?;
        match map.get("node_type").and_then(Value::as_str) {
            Some("array") => {
                ArrayMetadataV3::from_map(map, node).map(|m| Self::Array(ArrayMetadata::V3(m)))
            }
            _ => GroupMetadataV3::from_map(map, node).map(|m| Self::Group(GroupMetadata::V3(m))),
        }
    }

    /// The Zarr format version (3 or 2).
    pub fn zarr_format(&self) -> u8 {
        match self {
            Self::Array(m) => m.zarr_format(),
            Self::Group(m) => m.zarr_format(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARRAY: &str = r#"{
  "zarr_format": 3,
  "node_type": "array",
  "shape": [20, 33],
  "data_type": "int32",
  "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 10]}},
  "chunk_key_encoding": {"name": "default"},
  "fill_value": 18446744073709551615,
  "codecs": [{"name": "bytes"}, {"name": "numcodecs.zlib", "configuration": {"level": 1}}],
  "attributes": {"big": 123456789012345678901234567890, "f": 0.1},
  "dimension_names": ["y", null],
  "consolidated_metadata": {"kind": "inline", "must_understand": false}
}"#;

    #[test]
    fn array_round_trip_exact() -> Result<(), MetadataError> {
        let m = ArrayMetadataV3::from_json(ARRAY.as_bytes(), "/")?;
        let out = m.to_json_pretty();
        let a: Value = serde_json::from_str(ARRAY).map_err(|e| MetadataError::invalid("/", e))?;
        let b: Value = serde_json::from_slice(&out).map_err(|e| MetadataError::invalid("/", e))?;
        assert_eq!(a, b);
        assert_eq!(m.data_type.name(), "int32");
        assert_eq!(m.codecs[1].name(), "numcodecs.zlib");
        assert_eq!(ArrayMetadataV3::from_json(&out, "/")?, m);
        Ok(())
    }

    fn err_of(json: &str) -> String {
        match ArrayMetadataV3::from_json(json.as_bytes(), "/x") {
            Ok(_) => panic!("accepted: {json}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn array_errors_name_location() {
        let neg = ARRAY.replace("[20, 33]", "[-20, 33]");
        let e = err_of(&neg);
        assert!(e.contains("shape[0]") && e.contains("/x"), "{e}");
        let e = err_of(&ARRAY.replace("\"zarr_format\": 3", "\"zarr_format\": 4"));
        assert!(e.contains("zarr_format"), "{e}");
        let e = err_of(&ARRAY.replace("\"node_type\": \"array\",", ""));
        assert!(e.contains("node_type"), "{e}");
        let e = err_of(&ARRAY.replace("\"data_type\": \"int32\",", ""));
        assert!(e.contains("data_type"), "{e}");
        let e = err_of(&ARRAY.replace("\"must_understand\": false", "\"must_understand\": true"));
        assert!(e.contains("consolidated_metadata"), "{e}");
        let e = err_of(&ARRAY.replace("[\"y\", null]", "[\"y\", null, \"z\"]"));
        assert!(e.contains("dimension_names"), "{e}");
        let e = err_of(&ARRAY[..100]);
        assert!(e.contains("line"), "{e}");
        let e = err_of(&ARRAY.replace("\"data_type\": \"int32\"", "\"data_type\": 5"));
        assert!(e.contains("data_type"), "{e}");
    }

    #[test]
    fn group_round_trip() -> Result<(), MetadataError> {
        let j = r#"{"zarr_format":3,"node_type":"group","attributes":{"a":[1,2]},"consolidated_metadata":{"must_understand":false,"kind":"inline","metadata":{}}}"#;
        let g = GroupMetadataV3::from_json(j.as_bytes(), "/")?;
        assert_eq!(g.extra_fields.len(), 1);
        let back: Value = serde_json::from_slice(&g.to_json_pretty())
            .map_err(|e| MetadataError::invalid("/", e))?;
        let orig: Value = serde_json::from_str(j).map_err(|e| MetadataError::invalid("/", e))?;
        assert_eq!(back, orig);
        assert!(matches!(
            NodeMetadata::from_json(j.as_bytes(), "/")?,
            NodeMetadata::Group(_)
        ));
        Ok(())
    }

    #[test]
    fn short_form_kept() -> Result<(), String> {
        let m: MetadataV3 = serde_json::from_str("\"bytes\"").map_err(|e| e.to_string())?;
        assert_eq!(
            serde_json::to_string(&m).map_err(|e| e.to_string())?,
            "\"bytes\""
        );
        let m: MetadataV3 =
            serde_json::from_str("{\"name\":\"bytes\"}").map_err(|e| e.to_string())?;
        assert_eq!(
            serde_json::to_string(&m).map_err(|e| e.to_string())?,
            "{\"name\":\"bytes\"}"
        );
        assert!(serde_json::from_str::<MetadataV3>("{\"name\":\"b\",\"x\":1}").is_err());
        Ok(())
    }
}
