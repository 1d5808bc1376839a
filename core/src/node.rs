//! Node paths and nodes (an array or a group).

use std::sync::Arc;

use crate::array::Array;
use crate::error::{ArrayError, GroupError, MetadataError, StorageError};
use crate::group::Group;
use crate::metadata::{ArrayMetadata, GroupMetadata, NodeMetadata};
use crate::metadata_v2::{ArrayMetadataV2, GroupMetadataV2, ZARRAY, ZATTRS, ZGROUP, ZMETADATA};
use crate::storage::{ReadableStorageTraits, StoreKey, StorePrefix};

/// A validated node path: `/` or `/a/b` (no trailing `/`, no empty, `.` or `..` component).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodePath(String);

impl NodePath {
    /// The root node.
    pub fn root() -> Self {
        Self("/".into())
    }

    /// Validate a path. `""` is accepted as the root.
    pub fn new(path: &str) -> Result<Self, StorageError> {
        if path.is_empty() || path == "/" {
            return Ok(Self::root());
        }
        let bad = |reason: &str| StorageError::InvalidKey {
            key: path.to_string(),
            reason: format!("node path {reason}"),
        };
        let Some(body) = path.strip_prefix('/') else {
            return Err(bad("must start with `/`"));
        };
        for c in body.split('/') {
            if c.is_empty() || c == "." || c == ".." {
                return Err(bad("has an empty, `.` or `..` component"));
            }
            if c.contains('\\') || c.contains('\0') {
                return Err(bad("contains a backslash or NUL"));
            }
        }
        Ok(Self(path.to_string()))
    }

    /// The path string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The store prefix of this node (`""` for the root, else `a/b/`).
    pub fn prefix(&self) -> StorePrefix {
        if self.0 == "/" {
            StorePrefix::root()
        } else {
            // Validated in `new`.
            StorePrefix::new(format!("{}/", &self.0[1..])).unwrap_or_else(|_| StorePrefix::root())
        }
    }

    /// The key of a file of this node (e.g. `zarr.json`).
    pub fn key(&self, name: &str) -> Result<StoreKey, StorageError> {
        self.prefix().join(name)
    }

    /// A child path.
    pub fn child(&self, name: &str) -> Result<Self, StorageError> {
        if self.0 == "/" {
            Self::new(&format!("/{name}"))
        } else {
            Self::new(&format!("{}/{name}", self.0))
        }
    }

    /// The last component (`""` for the root).
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
}

impl std::fmt::Display for NodePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read and parse the metadata of a node: its `zarr.json` (V3) if there is one, else its
/// `.zarray` or `.zgroup` (V2, with `.zattrs`, and a group's `.zmetadata`); `None` if it
/// has none of them.
pub fn read_node_metadata<S: ReadableStorageTraits + ?Sized>(
    storage: &S,
    path: &NodePath,
) -> Result<Option<NodeMetadata>, ArrayError> {
    let node = path.as_str();
    if let Some(bytes) = storage.get(&path.key("zarr.json")?)? {
        return Ok(Some(NodeMetadata::from_json(&bytes, node)?));
    }
    if let Some(zarray) = storage.get(&path.key(ZARRAY)?)? {
        let zattrs = storage.get(&path.key(ZATTRS)?)?;
        let m = ArrayMetadataV2::from_json(&zarray, zattrs.as_deref(), node)?;
        return Ok(Some(NodeMetadata::Array(ArrayMetadata::V2(m))));
    }
    if let Some(zgroup) = storage.get(&path.key(ZGROUP)?)? {
        let zattrs = storage.get(&path.key(ZATTRS)?)?;
        let zmetadata = storage.get(&path.key(ZMETADATA)?)?;
        let m = GroupMetadataV2::from_json(&zgroup, zattrs.as_deref(), zmetadata.as_deref(), node)?;
        return Ok(Some(NodeMetadata::Group(GroupMetadata::V2(m))));
    }
    Ok(None)
}

/// Whether a node has metadata of either version (`zarr.json`, `.zarray` or `.zgroup`),
/// without reading or parsing it.
pub fn node_exists<S: ReadableStorageTraits + ?Sized>(
    storage: &S,
    path: &NodePath,
) -> Result<bool, StorageError> {
    for f in ["zarr.json", ZARRAY, ZGROUP] {
        if storage.size_key(&path.key(f)?)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A node: an array or a group.
#[allow(clippy::large_enum_variant)]
pub enum Node<S: ?Sized> {
    /// An array.
    Array(Array<S>),
    /// A group.
    Group(Group<S>),
}

impl<S: ReadableStorageTraits + ?Sized + 'static> Node<S> {
    /// Open the node at `path`, whichever kind it is.
    pub fn open(storage: Arc<S>, path: &str) -> Result<Self, ArrayError> {
        let node_path = NodePath::new(path)?;
        match read_node_metadata(&*storage, &node_path)? {
            None => Err(ArrayError::NotFound(path.to_string())),
            Some(NodeMetadata::Array(m)) => {
                Ok(Self::Array(Array::new_with_metadata(storage, path, m)?))
            }
            Some(NodeMetadata::Group(m)) => Ok(Self::Group(
                Group::new_with_metadata(storage, path, m).map_err(|e| match e {
                    GroupError::Storage(s) => ArrayError::Storage(s),
                    GroupError::Metadata(m) => ArrayError::Metadata(m),
                    other => ArrayError::Metadata(MetadataError::invalid(path, other)),
                })?,
            )),
        }
    }

    /// The node path.
    pub fn path(&self) -> &NodePath {
        match self {
            Self::Array(a) => a.path(),
            Self::Group(g) => g.path(),
        }
    }
}
