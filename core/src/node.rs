//! Node paths and nodes (an array or a group).

use std::sync::Arc;

use crate::array::Array;
use crate::error::{ArrayError, GroupError, MetadataError, StorageError};
use crate::group::Group;
use crate::metadata::{ArrayMetadata, GroupMetadata, NodeMetadata};
use crate::metadata_v2::{ArrayMetadataV2, GroupMetadataV2, ZARRAY, ZATTRS, ZGROUP, ZMETADATA};
#[cfg(feature = "async")]
use crate::storage::asynchronous::{AsyncReadableStorageExt, AsyncReadableStorageTraits};
use crate::storage::{Bytes, ReadableStorageExt, ReadableStorageTraits, StoreKey, StorePrefix};

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

/// The V2 metadata documents of a node, as read.
#[derive(Debug, Default)]
pub(crate) struct V2Documents {
    pub(crate) zarray: Option<Bytes>,
    pub(crate) zgroup: Option<Bytes>,
    pub(crate) zattrs: Option<Bytes>,
    pub(crate) zmetadata: Option<Bytes>,
}

/// Parse a node's V2 documents (`.zarray` first, then `.zgroup`); `None` if it has neither.
pub(crate) fn parse_v2_documents(
    docs: &V2Documents,
    node: &str,
) -> Result<Option<NodeMetadata>, ArrayError> {
    if let Some(zarray) = &docs.zarray {
        let m = ArrayMetadataV2::from_json(zarray, docs.zattrs.as_deref(), node)?;
        return Ok(Some(NodeMetadata::Array(ArrayMetadata::V2(m))));
    }
    if let Some(zgroup) = &docs.zgroup {
        let m = GroupMetadataV2::from_json(
            zgroup,
            docs.zattrs.as_deref(),
            docs.zmetadata.as_deref(),
            node,
        )?;
        return Ok(Some(NodeMetadata::Group(GroupMetadata::V2(m))));
    }
    Ok(None)
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
    let mut docs = V2Documents {
        zarray: storage.get(&path.key(ZARRAY)?)?,
        ..Default::default()
    };
    if docs.zarray.is_none() {
        docs.zgroup = storage.get(&path.key(ZGROUP)?)?;
        if docs.zgroup.is_none() {
            return Ok(None);
        }
        docs.zmetadata = storage.get(&path.key(ZMETADATA)?)?;
    }
    docs.zattrs = storage.get(&path.key(ZATTRS)?)?;
    parse_v2_documents(&docs, node)
}

/// [`read_node_metadata`] on an async store: `zarr.json` first, then the V2 documents in
/// parallel (one round trip instead of three on a remote store).
#[cfg(feature = "async")]
pub async fn read_node_metadata_async<S: AsyncReadableStorageTraits + ?Sized>(
    storage: &S,
    path: &NodePath,
) -> Result<Option<NodeMetadata>, ArrayError> {
    let node = path.as_str();
    if let Some(bytes) = storage.get(&path.key("zarr.json")?).await? {
        return Ok(Some(NodeMetadata::from_json(&bytes, node)?));
    }
    let (ka, kg, kt, km) = (
        path.key(ZARRAY)?,
        path.key(ZGROUP)?,
        path.key(ZATTRS)?,
        path.key(ZMETADATA)?,
    );
    let (zarray, zgroup, zattrs, zmetadata) = futures::try_join!(
        storage.get(&ka),
        storage.get(&kg),
        storage.get(&kt),
        storage.get(&km)
    )?;
    parse_v2_documents(
        &V2Documents {
            zarray,
            zgroup,
            zattrs,
            zmetadata,
        },
        node,
    )
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

fn group_to_array_error(path: &str, e: GroupError) -> ArrayError {
    match e {
        GroupError::Storage(s) => ArrayError::Storage(s),
        GroupError::Metadata(m) => ArrayError::Metadata(m),
        other => ArrayError::Metadata(MetadataError::invalid(path, other)),
    }
}

impl<S: ?Sized> Node<S> {
    /// Bind parsed metadata to a node.
    pub fn from_metadata(
        storage: Arc<S>,
        path: &str,
        metadata: NodeMetadata,
    ) -> Result<Self, ArrayError> {
        Ok(match metadata {
            NodeMetadata::Array(m) => Self::Array(Array::new_with_metadata(storage, path, m)?),
            NodeMetadata::Group(m) => Self::Group(
                Group::new_with_metadata(storage, path, m)
                    .map_err(|e| group_to_array_error(path, e))?,
            ),
        })
    }
}

#[cfg(feature = "async")]
impl<S: AsyncReadableStorageTraits + ?Sized + 'static> Node<S> {
    /// Open the node at `path` of an async store, whichever kind it is.
    pub async fn open_async(storage: Arc<S>, path: &str) -> Result<Self, ArrayError> {
        let node_path = NodePath::new(path)?;
        match read_node_metadata_async(&*storage, &node_path).await? {
            None => Err(ArrayError::NotFound(path.to_string())),
            Some(m) => Self::from_metadata(storage, path, m),
        }
    }
}

impl<S: ReadableStorageTraits + ?Sized + 'static> Node<S> {
    /// Open the node at `path`, whichever kind it is.
    pub fn open(storage: Arc<S>, path: &str) -> Result<Self, ArrayError> {
        let node_path = NodePath::new(path)?;
        match read_node_metadata(&*storage, &node_path)? {
            None => Err(ArrayError::NotFound(path.to_string())),
            Some(m) => Self::from_metadata(storage, path, m),
        }
    }
}

impl<S: ?Sized> Node<S> {
    /// The node path.
    pub fn path(&self) -> &NodePath {
        match self {
            Self::Array(a) => a.path(),
            Self::Group(g) => g.path(),
        }
    }
}
