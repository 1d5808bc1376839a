//! # zarrkit-core
//!
//! The core of zarrkit: the traits that define what a data type, a codec, a chunk grid, a
//! chunk key encoding and a store are; the registries that resolve the names written in
//! metadata to the plugins that implement them; Zarr metadata; and [`Array`] / [`Group`].
//!
//! This crate contains **no** codec, data type, chunk grid, chunk key encoding or store
//! implementation apart from [`storage::MemoryStore`]. Implementations are plugin crates
//! that depend on this crate and register themselves with [`inventory`].
//!
//! A plugin crate:
//! 1. implements one of the extension traits ([`codec::ArrayToBytesCodecTraits`],
//!    [`codec::BytesToBytesCodecTraits`], [`data_type::DataTypeExtension`], ...);
//! 2. submits a registration, e.g. `inventory::submit! { CodecPlugin { .. } }`;
//! 3. is linked into the final binary (the `zarrkit` facade references every enabled
//!    plugin crate; a third-party binary adds `use my_plugin as _;`).

pub mod array;
pub mod array_bytes;
pub mod buffer;
pub mod chunk_grid;
pub mod chunk_key_encoding;
pub mod codec;
pub mod config;
pub mod consolidated;
pub mod data_type;
pub mod element;
pub mod error;
pub mod fill_value;
pub mod group;
pub mod json;
pub mod locks;
pub mod metadata;
pub mod metadata_v2;
pub mod node;
pub mod registry;
pub mod selection;
pub mod storage;
pub mod subset;

pub use array::{Array, ArrayBuilder, ChunkVisit, Region};
pub use array_bytes::{ArrayBytes, ArrayBytesRef};
pub use config::{
    global_config, set_global_config, CodecOptions, Config, ConsolidatedMetadata,
    SubchunkWriteOrder,
};
pub use data_type::{DataType, DataTypeSize};
pub use element::{Element, ElementKind};
pub use error::{ArrayError, CodecError, GroupError, MetadataError, PluginError, StorageError};
pub use fill_value::FillValue;
pub use group::{Group, GroupBuilder};
pub use metadata::{
    ArrayMetadata, ArrayMetadataV3, GroupMetadata, GroupMetadataV3, MetadataV3, NodeMetadata,
};
pub use metadata_v2::{ArrayMetadataV2, ConsolidatedMetadataV2, GroupMetadataV2};
pub use node::{Node, NodePath};
pub use selection::{Index, Selection, VIndex};
pub use subset::ArraySubset;

/// Re-exported so that plugin crates and stores use the same `bytes` as the core.
pub use bytes;
/// Re-exported for async stores and plugins (feature `async`).
#[cfg(feature = "async")]
pub use futures;
/// Re-exported so that plugin crates use the same `inventory` as the core.
pub use inventory;
/// Re-exported for plugin crates that parallelise inside a codec.
pub use rayon;
/// Re-exported so that plugin crates use the same `serde_json` as the core.
pub use serde_json;
