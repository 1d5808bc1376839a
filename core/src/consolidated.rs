//! Consolidated metadata: the metadata documents of every node below a group, kept with the
//! group so that a hierarchy opens with one read (on an object store: one request instead
//! of a listing plus one per node).
//!
//! - **V3**, as zarr-python writes it: the group's `zarr.json` has a member
//!   `consolidated_metadata: {"kind": "inline", "must_understand": false, "metadata": {..}}`
//!   whose `metadata` maps each descendant's path relative to the group (`"sub"`,
//!   `"sub/data"`) to its whole `zarr.json` document; a child group's document carries an
//!   empty `consolidated_metadata` of its own (its descendants are in the root's map).
//! - **V2**, as zarr-python 2 writes it: a `.zmetadata` document beside the group's
//!   `.zgroup`, `{"metadata": {".zgroup": .., ".zattrs": .., "sub/data/.zarray": ..},
//!   "zarr_consolidated_format": 1}`.
//!
//! Documents are kept as JSON and parsed (and bound to plugins) only when a node is opened,
//! so one malformed entry does not make the whole hierarchy unopenable. Consolidated
//! metadata is a snapshot: writing a node's metadata afterwards does not update it; call
//! [`crate::Group::consolidate_metadata`] again.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{ArrayError, MetadataError};
use crate::metadata::{GroupMetadata, NodeMetadata};
use crate::metadata_v2::{ArrayMetadataV2, GroupMetadataV2, ZARRAY, ZATTRS, ZGROUP};

/// The V3 member name.
pub const MEMBER: &str = "consolidated_metadata";

/// The consolidated documents of a hierarchy, seen from one of its groups.
#[derive(Debug, Clone)]
pub(crate) struct Consolidated {
    /// The documents as stored: V3 by relative node path, V2 by relative key.
    docs: Arc<Map<String, Value>>,
    /// The Zarr format of the documents.
    format: u8,
    /// This group's path relative to the consolidated group (`""`, or `"sub/"`).
    prefix: String,
}

impl Consolidated {
    /// The consolidated metadata a group's metadata carries, if any. An unknown `kind` is
    /// ignored (the member is `must_understand: false`).
    pub(crate) fn of(metadata: &GroupMetadata, node: &str) -> Result<Option<Self>, MetadataError> {
        let docs = match metadata {
            GroupMetadata::V2(m) => match &m.consolidated_metadata {
                Some(c) => c.metadata.clone(),
                None => return Ok(None),
            },
            GroupMetadata::V3(m) => {
                let Some(member) = m.extra_fields.get(MEMBER) else {
                    return Ok(None);
                };
                let Some(obj) = member.as_object() else {
                    // zarr-python writes `null` for a group without it.
                    return Ok(None);
                };
                if obj.get("kind").and_then(Value::as_str) != Some("inline") {
                    return Ok(None);
                }
                match obj.get("metadata") {
                    Some(Value::Object(d)) => {
                        for (k, v) in d {
                            if !v.is_object() {
                                return Err(MetadataError::invalid(
                                    node,
                                    format!(
                                        "consolidated_metadata.metadata.{k}: every document \
                                         must be an object"
                                    ),
                                ));
                            }
                        }
                        d.clone()
                    }
                    Some(Value::Null) | None => Map::new(),
                    Some(_) => {
                        return Err(MetadataError::invalid(
                            node,
                            "consolidated_metadata.metadata must be an object",
                        ))
                    }
                }
            }
        };
        Ok(Some(Self {
            docs: Arc::new(docs),
            format: metadata.zarr_format(),
            prefix: String::new(),
        }))
    }

    /// The view from the child group `name`.
    pub(crate) fn child(&self, name: &str) -> Self {
        Self {
            docs: self.docs.clone(),
            format: self.format,
            prefix: format!("{}{name}/", self.prefix),
        }
    }

    fn doc(&self, key: &str) -> Option<&Map<String, Value>> {
        self.docs.get(key).and_then(Value::as_object)
    }

    /// The metadata of the node at `rel` (relative to this group, `a` or `a/b`), parsed;
    /// `None` if the consolidated metadata does not list it. `node` names it in errors.
    pub(crate) fn node(&self, rel: &str, node: &str) -> Result<Option<NodeMetadata>, ArrayError> {
        let rel = format!("{}{}", self.prefix, rel.trim_matches('/'));
        if self.format == 3 {
            let Some(doc) = self.doc(&rel) else {
                return Ok(None);
            };
            let bytes = crate::json::to_vec_pretty(&Value::Object(doc.clone()));
            return Ok(Some(NodeMetadata::from_json(&bytes, node)?));
        }
        let key = |f: &str| format!("{rel}/{f}");
        let attrs = self.doc(&key(ZATTRS)).cloned();
        if let Some(zarray) = self.doc(&key(ZARRAY)) {
            let m = ArrayMetadataV2::from_map(zarray.clone(), attrs, node)?;
            return Ok(Some(NodeMetadata::Array(m.into())));
        }
        if let Some(zgroup) = self.doc(&key(ZGROUP)) {
            let zgroup = serde_json::to_vec(zgroup).unwrap_or_default();
            let zattrs = attrs.map(|a| crate::json::to_vec_pretty(&Value::Object(a)));
            let m = GroupMetadataV2::from_json(&zgroup, zattrs.as_deref(), None, node)?;
            return Ok(Some(NodeMetadata::Group(GroupMetadata::V2(m))));
        }
        Ok(None)
    }

    /// The names of this group's direct children, sorted.
    pub(crate) fn children(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .docs
            .keys()
            .filter_map(|k| {
                let rest = k.strip_prefix(&self.prefix)?;
                let name = if self.format == 3 {
                    rest
                } else {
                    // `name/.zarray` or `name/.zgroup` (not `.zattrs` alone).
                    rest.strip_suffix(&format!("/{ZARRAY}"))
                        .or_else(|| rest.strip_suffix(&format!("/{ZGROUP}")))?
                };
                (!name.is_empty() && !name.contains('/')).then(|| name.to_string())
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The empty V3 member a consolidated child group's document carries (as zarr-python
/// writes it).
pub(crate) fn empty_member() -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), Value::from("inline"));
    m.insert("must_understand".into(), Value::Bool(false));
    m.insert("metadata".into(), Value::Object(Map::new()));
    Value::Object(m)
}
