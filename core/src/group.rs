//! [`Group`]: create, open, attributes and children.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::array::Array;
use crate::error::{ArrayError, GroupError};
use crate::metadata::{GroupMetadataV3, NodeMetadata};
use crate::node::{Node, NodePath};
use crate::storage::{ListableStorageTraits, ReadableStorageTraits, WritableStorageTraits};

/// A Zarr group in a store.
pub struct Group<S: ?Sized> {
    storage: Arc<S>,
    path: NodePath,
    metadata: GroupMetadataV3,
}

impl<S: ?Sized> Clone for Group<S> {
    fn clone(&self) -> Self {
        Self {
            storage: self.storage.clone(),
            path: self.path.clone(),
            metadata: self.metadata.clone(),
        }
    }
}

impl<S: ?Sized> std::fmt::Debug for Group<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl<S: ?Sized> Group<S> {
    /// A group with given metadata (nothing is read or written).
    pub fn new_with_metadata(
        storage: Arc<S>,
        path: &str,
        metadata: GroupMetadataV3,
    ) -> Result<Self, GroupError> {
        Ok(Self {
            storage,
            path: NodePath::new(path)?,
            metadata,
        })
    }

    /// The node path.
    pub fn path(&self) -> &NodePath {
        &self.path
    }
    /// The store.
    pub fn storage(&self) -> &Arc<S> {
        &self.storage
    }
    /// The metadata.
    pub fn metadata(&self) -> &GroupMetadataV3 {
        &self.metadata
    }
    /// The user attributes.
    pub fn attributes(&self) -> Map<String, Value> {
        self.metadata.attributes()
    }
    /// Mutable user attributes (call [`Group::store_metadata`] to persist).
    pub fn attributes_mut(&mut self) -> &mut Map<String, Value> {
        self.metadata.attributes.get_or_insert_with(Map::new)
    }
    /// Whether the group carries consolidated metadata (zarr-python's extension).
    pub fn has_consolidated_metadata(&self) -> bool {
        self.metadata
            .extra_fields
            .contains_key("consolidated_metadata")
    }
}

fn arr_to_group(e: ArrayError) -> GroupError {
    match e {
        ArrayError::Storage(s) => GroupError::Storage(s),
        ArrayError::Metadata(m) => GroupError::Metadata(m),
        other => GroupError::Array(Box::new(other)),
    }
}

impl<S: ReadableStorageTraits + ?Sized + 'static> Group<S> {
    /// Open the group at `path`.
    pub fn open(storage: Arc<S>, path: &str) -> Result<Self, GroupError> {
        let node = NodePath::new(path)?;
        match crate::node::read_node_metadata(&*storage, &node).map_err(arr_to_group)? {
            None => Err(GroupError::NotFound(path.to_string())),
            Some(NodeMetadata::Array(_)) => Err(GroupError::NotAGroup(path.to_string())),
            Some(NodeMetadata::Group(m)) => Ok(Self {
                storage,
                path: node,
                metadata: m,
            }),
        }
    }

    /// Open a child array by name.
    pub fn open_array(&self, name: &str) -> Result<Array<S>, ArrayError> {
        Array::open(self.storage.clone(), self.path.child(name)?.as_str())
    }
}

impl<S: ReadableStorageTraits + ListableStorageTraits + ?Sized + 'static> Group<S> {
    /// The direct children (arrays and groups), sorted by name. Sub-directories without
    /// Zarr metadata are ignored.
    pub fn children(&self) -> Result<Vec<Node<S>>, GroupError> {
        let dir = self.storage.list_dir(&self.path.prefix())?;
        let mut out = Vec::new();
        for p in dir.prefixes {
            let name = p
                .as_str()
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            let child = self.path.child(&name)?;
            match crate::node::read_node_metadata(&*self.storage, &child).map_err(arr_to_group)? {
                None => {}
                Some(NodeMetadata::Array(m)) => out.push(Node::Array(
                    Array::new_with_metadata(self.storage.clone(), child.as_str(), m)
                        .map_err(arr_to_group)?,
                )),
                Some(NodeMetadata::Group(m)) => out.push(Node::Group(Group {
                    storage: self.storage.clone(),
                    path: child,
                    metadata: m,
                })),
            }
        }
        out.sort_by(|a, b| a.path().as_str().cmp(b.path().as_str()));
        Ok(out)
    }

    /// The names of the direct children, sorted. Children are recognised by their
    /// `zarr.json`; their metadata is not bound to plugins, so this works for any node.
    pub fn child_names(&self) -> Result<Vec<String>, GroupError> {
        let dir = self.storage.list_dir(&self.path.prefix())?;
        let mut out = Vec::new();
        for p in dir.prefixes {
            let name = p
                .as_str()
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            let key = p.join("zarr.json")?;
            if self.storage.size_key(&key)?.is_some() {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }
}

impl<S: WritableStorageTraits + ?Sized> Group<S> {
    /// Write `zarr.json`.
    pub fn store_metadata(&self) -> Result<(), GroupError> {
        self.storage.set(
            &self.path.key("zarr.json")?,
            &self.metadata.to_json_pretty(),
        )?;
        Ok(())
    }
}

/// Builds a new V3 group.
#[derive(Debug, Clone, Default)]
pub struct GroupBuilder {
    attributes: Map<String, Value>,
}

impl GroupBuilder {
    /// A builder with no attributes.
    pub fn new() -> Self {
        Self::default()
    }
    /// User attributes.
    pub fn attributes(mut self, attributes: Map<String, Value>) -> Self {
        self.attributes = attributes;
        self
    }
    /// Build the group (call [`Group::store_metadata`] to write it).
    pub fn build<S: ?Sized>(&self, storage: Arc<S>, path: &str) -> Result<Group<S>, GroupError> {
        let mut m = GroupMetadataV3::new();
        m.attributes = Some(self.attributes.clone());
        Group::new_with_metadata(storage, path, m)
    }
}
