//! [`Group`]: create, open, attributes and children.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::array::Array;
use crate::config::ConsolidatedMetadata;
use crate::consolidated::Consolidated;
use crate::error::{ArrayError, GroupError};
use crate::metadata::{GroupMetadata, GroupMetadataV3, NodeMetadata};
use crate::metadata_v2::{attributes_to_json_pretty, GroupMetadataV2, ZATTRS, ZGROUP, ZMETADATA};
use crate::node::{Node, NodePath};
use crate::storage::{
    ListableStorageTraits, ReadableStorageExt, ReadableStorageTraits, WritableStorageTraits,
};

/// A Zarr group in a store.
pub struct Group<S: ?Sized> {
    storage: Arc<S>,
    path: NodePath,
    metadata: GroupMetadata,
    /// How this group uses consolidated metadata.
    policy: ConsolidatedMetadata,
    /// The consolidated metadata of the hierarchy below this group, as used (its own, or
    /// the part of an ancestor's it was opened from).
    consolidated: Option<Consolidated>,
}

impl<S: ?Sized> Clone for Group<S> {
    fn clone(&self) -> Self {
        Self {
            storage: self.storage.clone(),
            path: self.path.clone(),
            metadata: self.metadata.clone(),
            policy: self.policy,
            consolidated: self.consolidated.clone(),
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
    /// A group with given metadata, V3 or V2 (nothing is read or written).
    pub fn new_with_metadata(
        storage: Arc<S>,
        path: &str,
        metadata: impl Into<GroupMetadata>,
    ) -> Result<Self, GroupError> {
        let path = NodePath::new(path)?;
        Self::from_parts(
            storage,
            path,
            metadata.into(),
            crate::config::global_config().consolidated_metadata,
        )
    }

    /// A group whose consolidated metadata (if it has any) is used as `policy` says.
    fn from_parts(
        storage: Arc<S>,
        path: NodePath,
        metadata: GroupMetadata,
        policy: ConsolidatedMetadata,
    ) -> Result<Self, GroupError> {
        let consolidated = match policy {
            ConsolidatedMetadata::Never => None,
            ConsolidatedMetadata::Auto => Consolidated::of(&metadata, path.as_str())?,
            ConsolidatedMetadata::Must => Some(
                Consolidated::of(&metadata, path.as_str())?
                    .ok_or_else(|| GroupError::NoConsolidatedMetadata(path.to_string()))?,
            ),
        };
        Ok(Self {
            storage,
            path,
            metadata,
            policy,
            consolidated,
        })
    }

    /// A child group opened from consolidated metadata: it uses the same documents.
    fn consolidated_child(&self, name: &str, path: NodePath, metadata: GroupMetadata) -> Self {
        Self {
            storage: self.storage.clone(),
            path,
            metadata,
            policy: self.policy,
            consolidated: self.consolidated.as_ref().map(|c| c.child(name)),
        }
    }

    /// A child node from this group's consolidated metadata: `Ok(None)` if there is none
    /// or it does not list `name` (then, unless the policy is
    /// [`ConsolidatedMetadata::Must`], the store is asked).
    fn consolidated_node(&self, name: &str) -> Result<Option<Node<S>>, ArrayError> {
        let Some(c) = &self.consolidated else {
            return Ok(None);
        };
        let path = self.path.child(name)?;
        Ok(match c.node(name, path.as_str())? {
            None => None,
            Some(NodeMetadata::Array(m)) => Some(Node::Array(Array::new_with_metadata(
                self.storage.clone(),
                path.as_str(),
                m,
            )?)),
            Some(NodeMetadata::Group(m)) => {
                Some(Node::Group(self.consolidated_child(name, path, m)))
            }
        })
    }

    /// Whether a node the consolidated metadata does not list is looked up in the store.
    fn falls_back_to_store(&self) -> bool {
        self.consolidated.is_none() || self.policy != ConsolidatedMetadata::Must
    }

    /// Whether children are listed and opened from consolidated metadata (see
    /// [`ConsolidatedMetadata`]).
    pub fn uses_consolidated_metadata(&self) -> bool {
        self.consolidated.is_some()
    }

    /// The node path.
    pub fn path(&self) -> &NodePath {
        &self.path
    }
    /// The store.
    pub fn storage(&self) -> &Arc<S> {
        &self.storage
    }
    /// The metadata: V3 or V2.
    pub fn metadata(&self) -> &GroupMetadata {
        &self.metadata
    }
    /// The Zarr format version of the metadata (3 or 2).
    pub fn zarr_format(&self) -> u8 {
        self.metadata.zarr_format()
    }
    /// The user attributes.
    pub fn attributes(&self) -> Map<String, Value> {
        self.metadata.attributes()
    }
    /// Mutable user attributes (call [`Group::store_metadata`] to persist).
    pub fn attributes_mut(&mut self) -> &mut Map<String, Value> {
        self.metadata.attributes_mut()
    }
    /// Whether the group carries consolidated metadata: zarr-python's
    /// `consolidated_metadata` member in V3, a `.zmetadata` in V2.
    pub fn has_consolidated_metadata(&self) -> bool {
        match &self.metadata {
            GroupMetadata::V3(m) => m.extra_fields.contains_key("consolidated_metadata"),
            GroupMetadata::V2(m) => m.consolidated_metadata.is_some(),
        }
    }

    /// V3 metadata equivalent to this group's (the attributes; V2 consolidated metadata is
    /// not carried over). A V3 group returns its own.
    pub fn to_v3(&self) -> GroupMetadataV3 {
        match &self.metadata {
            GroupMetadata::V3(m) => m.clone(),
            GroupMetadata::V2(m) => GroupMetadataV3 {
                attributes: Some(m.attributes()),
                extra_fields: Map::new(),
            },
        }
    }

    /// V2 metadata equivalent to this group's (the attributes; V3 extension members such
    /// as `consolidated_metadata`, which are all `must_understand: false`, are dropped). A
    /// V2 group returns its own.
    pub fn to_v2(&self) -> GroupMetadataV2 {
        match &self.metadata {
            GroupMetadata::V2(m) => m.clone(),
            GroupMetadata::V3(m) => GroupMetadataV2 {
                attributes: Some(m.attributes()),
                extra_fields: Map::new(),
                consolidated_metadata: None,
            },
        }
    }
}

/// The last component of a child prefix (`a/b/` -> `b`).
fn child_name(p: &crate::storage::StorePrefix) -> String {
    p.as_str()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string()
}

fn arr_to_group(e: ArrayError) -> GroupError {
    match e {
        ArrayError::Storage(s) => GroupError::Storage(s),
        ArrayError::Metadata(m) => GroupError::Metadata(m),
        other => GroupError::Array(Box::new(other)),
    }
}

impl<S: ReadableStorageTraits + ?Sized + 'static> Group<S> {
    /// Open the group at `path` (using its consolidated metadata as the global
    /// configuration's [`crate::Config::consolidated_metadata`] says).
    pub fn open(storage: Arc<S>, path: &str) -> Result<Self, GroupError> {
        Self::open_opt(
            storage,
            path,
            crate::config::global_config().consolidated_metadata,
        )
    }

    /// Open the group at `path`, using its consolidated metadata as `consolidated` says.
    pub fn open_opt(
        storage: Arc<S>,
        path: &str,
        consolidated: ConsolidatedMetadata,
    ) -> Result<Self, GroupError> {
        let node = NodePath::new(path)?;
        match crate::node::read_node_metadata(&*storage, &node).map_err(arr_to_group)? {
            None => Err(GroupError::NotFound(path.to_string())),
            Some(NodeMetadata::Array(_)) => Err(GroupError::NotAGroup(path.to_string())),
            Some(NodeMetadata::Group(m)) => Self::from_parts(storage, node, m, consolidated),
        }
    }

    /// Read the V2 consolidated metadata (`.zmetadata`) of this group, if it has one. For a
    /// group opened from V2 metadata this is what was read when it was opened.
    pub fn consolidated_metadata_v2(
        &self,
    ) -> Result<Option<crate::metadata_v2::ConsolidatedMetadataV2>, GroupError> {
        if let GroupMetadata::V2(m) = &self.metadata {
            return Ok(m.consolidated_metadata.clone());
        }
        match self.storage.get(&self.path.key(ZMETADATA)?)? {
            None => Ok(None),
            Some(b) => Ok(Some(crate::metadata_v2::ConsolidatedMetadataV2::from_json(
                &b,
                self.path.as_str(),
            )?)),
        }
    }

    /// Open a child (or deeper descendant: `"sub/data"`) array by name — from the
    /// consolidated metadata when the group uses it.
    pub fn open_array(&self, name: &str) -> Result<Array<S>, ArrayError> {
        let path = self.path.child(name)?;
        match self.consolidated_node(name)? {
            Some(Node::Array(a)) => Ok(a),
            Some(Node::Group(_)) => Err(ArrayError::NotAnArray(path.to_string())),
            None if self.falls_back_to_store() => Array::open(self.storage.clone(), path.as_str()),
            None => Err(ArrayError::NotFound(path.to_string())),
        }
    }

    /// Open a child (or deeper descendant) group by name — from the consolidated metadata
    /// when the group uses it (the child then uses it too).
    pub fn open_group(&self, name: &str) -> Result<Group<S>, GroupError> {
        let path = self.path.child(name)?;
        match self.consolidated_node(name).map_err(arr_to_group)? {
            Some(Node::Group(g)) => Ok(g),
            Some(Node::Array(_)) => Err(GroupError::NotAGroup(path.to_string())),
            None if self.falls_back_to_store() => {
                Group::open_opt(self.storage.clone(), path.as_str(), self.policy)
            }
            None => Err(GroupError::NotFound(path.to_string())),
        }
    }
}

impl<S: ReadableStorageTraits + ListableStorageTraits + ?Sized + 'static> Group<S> {
    /// The direct children (arrays and groups), sorted by name. Sub-directories without
    /// Zarr metadata are ignored. A group using consolidated metadata lists them from it,
    /// without listing or reading the store.
    pub fn children(&self) -> Result<Vec<Node<S>>, GroupError> {
        if let Some(c) = &self.consolidated {
            let mut out = Vec::new();
            for name in c.children() {
                if let Some(n) = self.consolidated_node(&name).map_err(arr_to_group)? {
                    out.push(n);
                }
            }
            return Ok(out);
        }
        let dir = self.storage.list_dir(&self.path.prefix())?;
        let mut out = Vec::new();
        for p in dir.prefixes {
            let name = child_name(&p);
            let child = self.path.child(&name)?;
            match crate::node::read_node_metadata(&*self.storage, &child).map_err(arr_to_group)? {
                None => {}
                Some(NodeMetadata::Array(m)) => out.push(Node::Array(
                    Array::new_with_metadata(self.storage.clone(), child.as_str(), m)
                        .map_err(arr_to_group)?,
                )),
                Some(NodeMetadata::Group(m)) => out.push(Node::Group(Group::from_parts(
                    self.storage.clone(),
                    child,
                    m,
                    self.policy,
                )?)),
            }
        }
        out.sort_by(|a, b| a.path().as_str().cmp(b.path().as_str()));
        Ok(out)
    }

    /// The names of the direct children, sorted. Children are recognised by their
    /// `zarr.json`, `.zarray` or `.zgroup`; their metadata is not bound to plugins, so this
    /// works for any node. A group using consolidated metadata lists them from it.
    pub fn child_names(&self) -> Result<Vec<String>, GroupError> {
        if let Some(c) = &self.consolidated {
            return Ok(c.children());
        }
        let dir = self.storage.list_dir(&self.path.prefix())?;
        let mut out = Vec::new();
        for p in dir.prefixes {
            let name = child_name(&p);
            if crate::node::node_exists(&*self.storage, &self.path.child(&name)?)? {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }
}

impl<S: WritableStorageTraits + ?Sized> Group<S> {
    /// Write the metadata: `zarr.json` (V3), or `.zgroup` and `.zattrs` (V2; a
    /// `.zmetadata` is not rewritten).
    pub fn store_metadata(&self) -> Result<(), GroupError> {
        match &self.metadata {
            GroupMetadata::V3(m) => {
                self.storage
                    .set(&self.path.key("zarr.json")?, m.to_json_pretty().into())?;
            }
            GroupMetadata::V2(m) => {
                self.storage
                    .set(&self.path.key(ZGROUP)?, m.to_json_pretty().into())?;
                self.storage.set(
                    &self.path.key(ZATTRS)?,
                    attributes_to_json_pretty(&m.attributes()).into(),
                )?;
            }
        }
        Ok(())
    }

    /// Erase the metadata: `zarr.json` (V3), or `.zgroup`, `.zattrs` and `.zmetadata` (V2).
    pub fn erase_metadata(&self) -> Result<(), GroupError> {
        match &self.metadata {
            GroupMetadata::V3(_) => self.storage.erase(&self.path.key("zarr.json")?)?,
            GroupMetadata::V2(_) => {
                for f in [ZGROUP, ZATTRS, ZMETADATA] {
                    self.storage.erase(&self.path.key(f)?)?;
                }
            }
        }
        Ok(())
    }

    /// Convert a V2 group to V3 in place: store `zarr.json` from [`Group::to_v3`] and, if
    /// `erase_v2`, erase `.zgroup`, `.zattrs` and `.zmetadata`. Children are not converted (see
    /// [`Group::convert_hierarchy_to_v3`]).
    pub fn convert_to_v3(&mut self, erase_v2: bool) -> Result<(), GroupError> {
        if self.metadata.zarr_format() == 3 {
            return Ok(());
        }
        let v3 = self.to_v3();
        self.storage
            .set(&self.path.key("zarr.json")?, v3.to_json_pretty().into())?;
        if erase_v2 {
            self.erase_metadata()?;
        }
        self.metadata = GroupMetadata::V3(v3);
        Ok(())
    }
}

impl<
        S: ReadableStorageTraits + WritableStorageTraits + ListableStorageTraits + ?Sized + 'static,
    > Group<S>
{
    /// Write consolidated metadata for the hierarchy below this group, as zarr-python
    /// writes it (see [`crate::consolidated`]): V3 inline in this group's `zarr.json`, V2 a
    /// `.zmetadata` beside its `.zgroup`. Nodes of the other Zarr format are not included.
    /// Every document is checked to be metadata first. Later opens of this group use it
    /// (under [`ConsolidatedMetadata::Auto`] or `Must`); it is a snapshot, so call this again
    /// after changing metadata below. Returns how many nodes it lists.
    pub fn consolidate_metadata(&mut self) -> Result<usize, GroupError> {
        use crate::consolidated::MEMBER;
        let format = self.zarr_format();
        let mut docs = Map::new();
        if format == 2 {
            for f in [ZGROUP, ZATTRS] {
                if let Some(d) = self.read_document(&self.path, f)? {
                    docs.insert(f.to_string(), Value::Object(d));
                }
            }
        }
        let nodes = self.collect_documents(&self.path.clone(), "", format, &mut docs)?;
        match &mut self.metadata {
            GroupMetadata::V3(m) => {
                let mut member = Map::new();
                member.insert("kind".into(), Value::from("inline"));
                member.insert("must_understand".into(), Value::Bool(false));
                member.insert("metadata".into(), Value::Object(docs));
                m.extra_fields.insert(MEMBER.into(), Value::Object(member));
                self.storage
                    .set(&self.path.key("zarr.json")?, m.to_json_pretty().into())?;
            }
            GroupMetadata::V2(m) => {
                let c = crate::metadata_v2::ConsolidatedMetadataV2 {
                    metadata: docs,
                    extra_fields: Map::new(),
                };
                self.storage.set(
                    &self.path.key(ZMETADATA)?,
                    crate::json::to_vec_pretty(&Value::Object(c.to_map())).into(),
                )?;
                m.consolidated_metadata = Some(c);
            }
        }
        self.consolidated = match self.policy {
            ConsolidatedMetadata::Never => None,
            _ => Consolidated::of(&self.metadata, self.path.as_str())?,
        };
        Ok(nodes)
    }

    /// A metadata document of the node at `path`, parsed leniently (bare `NaN` kept), if
    /// stored.
    fn read_document(
        &self,
        path: &NodePath,
        file: &str,
    ) -> Result<Option<Map<String, Value>>, GroupError> {
        let Some(bytes) = self.storage.get(&path.key(file)?)? else {
            return Ok(None);
        };
        match crate::json::parse(&bytes) {
            Ok(Value::Object(m)) => Ok(Some(m)),
            Ok(_) => Err(GroupError::Metadata(crate::error::MetadataError::invalid(
                path.as_str(),
                format!("{file} is not a JSON object"),
            ))),
            Err(e) => Err(GroupError::Metadata(crate::error::MetadataError::invalid(
                path.as_str(),
                format!("{file}: {e}"),
            ))),
        }
    }

    /// Collect the documents of the nodes below `dir` (whose path relative to this group
    /// is `rel`) of Zarr format `format` into `docs`; returns how many nodes.
    fn collect_documents(
        &self,
        dir: &NodePath,
        rel: &str,
        format: u8,
        docs: &mut Map<String, Value>,
    ) -> Result<usize, GroupError> {
        use crate::consolidated::{empty_member, MEMBER};
        let mut nodes = 0;
        let listing = self.storage.list_dir(&dir.prefix())?;
        for p in listing.prefixes {
            let name = child_name(&p);
            let child = dir.child(&name)?;
            let rel_child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if format == 3 {
                let Some(mut doc) = self.read_document(&child, "zarr.json")? else {
                    continue;
                };
                // Check the document is metadata before listing it.
                NodeMetadata::from_json(
                    &crate::json::to_vec_pretty(&Value::Object(doc.clone())),
                    child.as_str(),
                )?;
                let is_group = doc.get("node_type").and_then(Value::as_str) == Some("group");
                if is_group {
                    doc.insert(MEMBER.into(), empty_member());
                }
                docs.insert(rel_child.clone(), Value::Object(doc));
                nodes += 1;
                if is_group {
                    nodes += self.collect_documents(&child, &rel_child, format, docs)?;
                }
            } else {
                let (main, is_group) =
                    match self.read_document(&child, crate::metadata_v2::ZARRAY)? {
                        Some(d) => ((crate::metadata_v2::ZARRAY, d), false),
                        None => match self.read_document(&child, ZGROUP)? {
                            Some(d) => ((ZGROUP, d), true),
                            None => continue,
                        },
                    };
                docs.insert(format!("{rel_child}/{}", main.0), Value::Object(main.1));
                if let Some(a) = self.read_document(&child, ZATTRS)? {
                    docs.insert(format!("{rel_child}/{ZATTRS}"), Value::Object(a));
                }
                nodes += 1;
                if is_group {
                    nodes += self.collect_documents(&child, &rel_child, format, docs)?;
                }
            }
        }
        Ok(nodes)
    }

    /// Convert this group and every array and group below it from V2 to V3 in place (as
    /// [`Array::convert_to_v3`] and [`Group::convert_to_v3`]: no chunk is rewritten; with
    /// `erase_v2` the V2 metadata documents are erased). Children are converted before their
    /// parent, so an interrupted conversion leaves every node readable; nodes already V3 are
    /// left alone, so running it again finishes the job. Returns how many nodes it converted.
    /// An array that cannot be represented in V3, or whose codecs are not registered, stops
    /// the conversion with an error naming it.
    pub fn convert_hierarchy_to_v3(&mut self, erase_v2: bool) -> Result<usize, GroupError> {
        let mut converted = 0;
        for child in self.children()? {
            match child {
                Node::Array(mut a) => {
                    if a.zarr_format() == 2 {
                        a.convert_to_v3(erase_v2).map_err(arr_to_group)?;
                        converted += 1;
                    }
                }
                Node::Group(mut g) => converted += g.convert_hierarchy_to_v3(erase_v2)?,
            }
        }
        if self.zarr_format() == 2 {
            self.convert_to_v3(erase_v2)?;
            converted += 1;
        }
        Ok(converted)
    }
}

#[cfg(feature = "async")]
mod asynchronous {
    use std::sync::Arc;

    use super::{arr_to_group, child_name, Group};
    use crate::array::Array;
    use crate::config::ConsolidatedMetadata;
    use crate::error::{ArrayError, GroupError};
    use crate::metadata::{GroupMetadata, NodeMetadata};
    use crate::metadata_v2::{attributes_to_json_pretty, ZATTRS, ZGROUP, ZMETADATA};
    use crate::node::{read_node_metadata_async, Node, NodePath};
    use crate::storage::asynchronous::{
        AsyncListableStorageTraits, AsyncReadableStorageTraits, AsyncWritableStorageTraits,
    };

    impl<S: AsyncReadableStorageTraits + ?Sized + 'static> Group<S> {
        /// Open the group at `path` of an async store (see [`Group::open`]).
        pub async fn open_async(storage: Arc<S>, path: &str) -> Result<Self, GroupError> {
            let policy = crate::config::global_config().consolidated_metadata;
            Self::open_async_opt(storage, path, policy).await
        }

        /// Open the group at `path` of an async store (see [`Group::open_opt`]).
        pub async fn open_async_opt(
            storage: Arc<S>,
            path: &str,
            consolidated: ConsolidatedMetadata,
        ) -> Result<Self, GroupError> {
            let node = NodePath::new(path)?;
            match read_node_metadata_async(&*storage, &node)
                .await
                .map_err(arr_to_group)?
            {
                None => Err(GroupError::NotFound(path.to_string())),
                Some(NodeMetadata::Array(_)) => Err(GroupError::NotAGroup(path.to_string())),
                Some(NodeMetadata::Group(m)) => Self::from_parts(storage, node, m, consolidated),
            }
        }

        /// Open a child array by name (see [`Group::open_array`]).
        pub async fn open_array_async(&self, name: &str) -> Result<Array<S>, ArrayError> {
            let path = self.path.child(name)?;
            match self.consolidated_node(name)? {
                Some(Node::Array(a)) => Ok(a),
                Some(Node::Group(_)) => Err(ArrayError::NotAnArray(path.to_string())),
                None if self.falls_back_to_store() => {
                    Array::open_async(self.storage.clone(), path.as_str()).await
                }
                None => Err(ArrayError::NotFound(path.to_string())),
            }
        }

        /// Open a child group by name (see [`Group::open_group`]).
        pub async fn open_group_async(&self, name: &str) -> Result<Group<S>, GroupError> {
            let path = self.path.child(name)?;
            match self.consolidated_node(name).map_err(arr_to_group)? {
                Some(Node::Group(g)) => Ok(g),
                Some(Node::Array(_)) => Err(GroupError::NotAGroup(path.to_string())),
                None if self.falls_back_to_store() => {
                    Group::open_async_opt(self.storage.clone(), path.as_str(), self.policy).await
                }
                None => Err(GroupError::NotFound(path.to_string())),
            }
        }
    }

    impl<S: AsyncReadableStorageTraits + AsyncListableStorageTraits + ?Sized + 'static> Group<S> {
        /// The direct children (arrays and groups), sorted by name; their metadata is read
        /// concurrently (or taken from consolidated metadata, see [`Group::children`]).
        pub async fn children_async(&self) -> Result<Vec<Node<S>>, GroupError> {
            if let Some(c) = &self.consolidated {
                let mut out = Vec::new();
                for name in c.children() {
                    if let Some(n) = self.consolidated_node(&name).map_err(arr_to_group)? {
                        out.push(n);
                    }
                }
                return Ok(out);
            }
            let dir = self.storage.list_dir(&self.path.prefix()).await?;
            let mut paths = Vec::new();
            for p in dir.prefixes {
                paths.push(self.path.child(&child_name(&p))?);
            }
            let metas = futures::future::try_join_all(
                paths
                    .iter()
                    .map(|p| read_node_metadata_async(&*self.storage, p)),
            )
            .await
            .map_err(arr_to_group)?;
            let mut out = Vec::new();
            for (p, m) in paths.into_iter().zip(metas) {
                if let Some(m) = m {
                    out.push(
                        Node::from_metadata(self.storage.clone(), p.as_str(), m)
                            .map_err(arr_to_group)?,
                    );
                }
            }
            out.sort_by(|a, b| a.path().as_str().cmp(b.path().as_str()));
            Ok(out)
        }
    }

    impl<S: AsyncWritableStorageTraits + ?Sized> Group<S> {
        /// Write the metadata (see [`Group::store_metadata`]).
        pub async fn store_metadata_async(&self) -> Result<(), GroupError> {
            match &self.metadata {
                GroupMetadata::V3(m) => {
                    self.storage
                        .set(&self.path.key("zarr.json")?, m.to_json_pretty().into())
                        .await?;
                }
                GroupMetadata::V2(m) => {
                    self.storage
                        .set(&self.path.key(ZGROUP)?, m.to_json_pretty().into())
                        .await?;
                    self.storage
                        .set(
                            &self.path.key(ZATTRS)?,
                            attributes_to_json_pretty(&m.attributes()).into(),
                        )
                        .await?;
                }
            }
            Ok(())
        }

        /// Erase the metadata (see [`Group::erase_metadata`]).
        pub async fn erase_metadata_async(&self) -> Result<(), GroupError> {
            let names: &[&str] = match &self.metadata {
                GroupMetadata::V3(_) => &["zarr.json"],
                GroupMetadata::V2(_) => &[ZGROUP, ZATTRS, ZMETADATA],
            };
            for f in names {
                self.storage.erase(&self.path.key(f)?).await?;
            }
            Ok(())
        }
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
