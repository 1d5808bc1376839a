//! The corpus manifest (`manifest.json`): serde structs. Unknown fields are ignored, so a
//! newer corpus with extra fields still loads.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::CorpusError;

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest format version (1).
    pub format: u64,
    /// Versions of the libraries that wrote the corpus.
    #[serde(default)]
    pub generated_by: Map<String, Value>,
    /// The cases.
    pub cases: Vec<Case>,
}

impl Manifest {
    /// Parse manifest JSON. Bare `NaN` / `Infinity` / `-Infinity` tokens (as Python's json
    /// writes non-finite attributes, which the foreign-data corpus has) read as zarrkit's
    /// marker strings ([`zarrkit_core::json::parse`]), exactly as the same tokens in a store's
    /// `.zattrs` read, so expected and actual attributes compare equal.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_value(zarrkit_core::json::parse(bytes)?)
    }

    /// Read `<dir>/manifest.json`.
    pub fn load(dir: &Path) -> Result<Self, CorpusError> {
        let path = dir.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|source| CorpusError::Io {
            path: path.clone(),
            source,
        })?;
        Self::from_json(&bytes).map_err(|source| CorpusError::Manifest { path, source })
    }
}

/// What a case checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseKind {
    /// A valid array: metadata and decoded data must match `expect`.
    Array,
    /// A valid group: attributes and children must match `expect`.
    Group,
    /// Invalid metadata: opening (or at the latest reading) must fail.
    Invalid,
    /// Valid metadata with damaged chunk bytes: reading must fail.
    Corrupt,
    /// A kind this runner does not know (a newer corpus).
    #[serde(other)]
    Other,
}

impl CaseKind {
    /// The manifest spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Array => "array",
            Self::Group => "group",
            Self::Invalid => "invalid",
            Self::Corrupt => "corrupt",
            Self::Other => "other",
        }
    }
}

impl std::fmt::Display for CaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn root_path() -> String {
    "/".into()
}

/// One case of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Unique id.
    pub id: String,
    /// The store root, relative to the corpus root.
    pub store: String,
    /// The node path inside the store (`/` for the root).
    #[serde(default = "root_path")]
    pub path: String,
    /// 2 or 3 (for invalid cases: the format the metadata claims).
    pub zarr_format: u8,
    /// The library that wrote the store.
    #[serde(default)]
    pub writer: String,
    /// The case kind.
    pub kind: CaseKind,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// What a correct reader produces.
    #[serde(default)]
    pub expect: Expect,
    /// Readers that read the case back and matched `expect`.
    #[serde(default)]
    pub verified_by: Vec<String>,
    /// Whether the store was edited by hand after writing.
    #[serde(default)]
    pub hand_edited: bool,
    /// Readers that rejected the case (informational).
    #[serde(default)]
    pub rejected_by: Vec<String>,
}

impl Case {
    /// The store root on disk: `<corpus>/<store>`. Rejects absolute paths and `..`
    /// components (the manifest must never point outside the corpus).
    pub fn store_dir(&self, corpus: &Path) -> Result<PathBuf, String> {
        corpus_relative(corpus, &self.store)
    }

    /// The node path as a store-relative directory (`""` for the root).
    pub fn node_dir(&self) -> &str {
        self.path.trim_start_matches('/')
    }
}

/// Join a manifest path (relative, `/`-separated) to the corpus root, rejecting paths that
/// could leave it.
pub fn corpus_relative(corpus: &Path, relative: &str) -> Result<PathBuf, String> {
    let p = Path::new(relative);
    if relative.is_empty() || relative.contains('\\') {
        return Err(format!("invalid corpus path {relative:?}"));
    }
    for c in p.components() {
        if !matches!(c, Component::Normal(_) | Component::CurDir) {
            return Err(format!(
                "corpus path {relative:?} leaves the corpus directory"
            ));
        }
    }
    Ok(corpus.join(p))
}

/// Deserialize a present value (including `null`) as `Some`, so `null` and absent differ.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The `expect` member of a case. Which fields are set depends on the case kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Expect {
    /// Array shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<Vec<u64>>,
    /// V3: `data_type` as in `zarr.json`; V2: the `dtype` string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// The fill value JSON (`Some(Value::Null)` for an explicit `null`).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub fill_value: Option<Value>,
    /// Lowercase hex SHA-256 of the canonical element bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Corpus-relative file holding the canonical element bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements_file: Option<String>,
    /// User attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    /// The regular grid's chunk shape (V2: `chunks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_shape: Option<Vec<u64>>,
    /// Dimension names (V3, only when present in the metadata).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub dimension_names: Option<Vec<Option<String>>>,
    /// Group: sorted names of the direct children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<String>>,
    /// Group: whether it carries consolidated metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consolidated: Option<bool>,
    /// Invalid/corrupt: why the case must be rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_non_finite_attributes_load() -> Result<(), serde_json::Error> {
        let m = Manifest::from_json(
            br#"{"format": 1, "cases": [{"id": "g", "store": "s", "zarr_format": 2, "kind": "group",
                "expect": {"attributes": {"a": NaN, "b": [Infinity, -Infinity, 1.5]}, "fill_value": null}}]}"#,
        )?;
        let attrs = m.cases[0].expect.attributes.clone().unwrap_or_default();
        assert_eq!(attrs["a"], Value::String(zarrkit_core::json::NAN.into()));
        assert_eq!(
            attrs["b"][1],
            Value::String(zarrkit_core::json::NEG_INFINITY.into())
        );
        assert_eq!(m.cases[0].expect.fill_value, Some(Value::Null));
        assert!(Manifest::from_json(br#"{"format": 1, "cases": [NaNx]}"#).is_err());
        Ok(())
    }
}
