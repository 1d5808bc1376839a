//! Error types. Every fallible path in zarrkit returns one of these values.

use thiserror::Error;

/// An error from a store.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A key or prefix that is not valid (for example it contains `..`).
    #[error("invalid store key {key:?}: {reason}")]
    InvalidKey {
        /// The offending key.
        key: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An I/O error while accessing a key.
    #[error("I/O error on {key:?}: {source}")]
    Io {
        /// The key (or path) being accessed.
        key: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A byte range that does not fit in the stored value.
    #[error("byte range {range} is out of bounds for {key:?} of {size} bytes")]
    RangeOutOfBounds {
        /// The key.
        key: String,
        /// The requested range.
        range: String,
        /// The size of the stored value.
        size: u64,
    },
    /// A stored value whose size is not the size the reader needs (a truncated or padded
    /// chunk of an uncompressed array).
    #[error("{key:?} holds {actual} bytes, expected {expected}")]
    ValueSize {
        /// The key.
        key: String,
        /// The size the reader needs.
        expected: u64,
        /// The size of the stored value.
        actual: u64,
    },
    /// A read or conditional write demanded a version of the value, and the value was
    /// replaced or erased since: plan again from a fresh read.
    #[error("{key:?} changed since it was read (a newer version, or erased)")]
    Changed {
        /// The key.
        key: String,
    },
    /// A write that required the key to be absent found a value.
    #[error("{key:?} already exists")]
    Exists {
        /// The key.
        key: String,
    },
    /// A remote store answered with an error (after any retries).
    #[error("{key:?}: {message}")]
    Remote {
        /// The key (or URL) involved.
        key: String,
        /// What the store answered (HTTP status and message where there is one).
        message: String,
    },
    /// The store does not support an operation.
    #[error("the store does not support {0}")]
    Unsupported(String),
    /// No store plugin handles a URL scheme.
    #[error("no store plugin is registered for URL scheme {0:?}")]
    UnknownScheme(String),
    /// Any other error.
    #[error("{0}")]
    Other(String),
}

/// An error from a codec while encoding or decoding.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Stored data that is corrupt or not valid for the codec (a bad header, a truncated
    /// stream, an index entry outside its shard).
    #[error("codec {codec}: {message}")]
    Corrupt {
        /// The codec's name.
        codec: String,
        /// What is wrong with the data.
        message: String,
    },
    /// The decoded data does not have the size the chunk requires.
    #[error("codec {codec}: decoded {actual} bytes but the chunk needs {expected}")]
    UnexpectedSize {
        /// The codec's name.
        codec: String,
        /// The size the chunk representation implies.
        expected: u64,
        /// The size that was produced.
        actual: u64,
    },
    /// A stored checksum does not match the data.
    #[error("codec {codec}: checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    ChecksumMismatch {
        /// The codec's name.
        codec: String,
        /// The checksum read from the data.
        stored: u64,
        /// The checksum computed over the data.
        computed: u64,
    },
    /// The codec cannot handle a data type, shape or configuration (a feature it does not
    /// have), or was given input of the wrong kind.
    #[error("codec {codec}: unsupported: {message}")]
    Unsupported {
        /// The codec's name.
        codec: String,
        /// Why.
        message: String,
    },
    /// Memory the data asked for was refused: more than the platform can address, more than
    /// the allocator gives, or more than the configured limit.
    #[error("codec {codec}: allocation refused: {message}")]
    AllocationRefused {
        /// The codec's name (or `chunk`, `output`).
        codec: String,
        /// What was to be allocated.
        message: String,
    },
    /// The decoded bytes are not valid for the data type.
    #[error("invalid element bytes: {0}")]
    InvalidElements(String),
    /// A broken internal invariant (a bug: please report it).
    #[error("internal error: {0}")]
    Internal(String),
}

impl CodecError {
    /// Corrupt data ([`CodecError::Corrupt`]), the common decoding failure.
    pub fn new(codec: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            codec: codec.into(),
            message: message.to_string(),
        }
    }

    /// An unsupported feature or input ([`CodecError::Unsupported`]).
    pub fn unsupported(codec: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Unsupported {
            codec: codec.into(),
            message: message.to_string(),
        }
    }

    /// A refused allocation ([`CodecError::AllocationRefused`]).
    pub fn allocation(codec: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::AllocationRefused {
            codec: codec.into(),
            message: message.to_string(),
        }
    }
}

/// The kind of extension point a plugin implements (used in error messages and listings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ExtensionKind {
    /// A data type.
    DataType,
    /// A codec.
    Codec,
    /// A chunk grid.
    ChunkGrid,
    /// A chunk key encoding.
    ChunkKeyEncoding,
    /// A storage transformer.
    StorageTransformer,
    /// A store, by URL scheme.
    Store,
}

impl std::fmt::Display for ExtensionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::DataType => "data type",
            Self::Codec => "codec",
            Self::ChunkGrid => "chunk grid",
            Self::ChunkKeyEncoding => "chunk key encoding",
            Self::StorageTransformer => "storage transformer",
            Self::Store => "store",
        })
    }
}

/// An error resolving or creating a plugin from metadata.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PluginError {
    /// No registered plugin has this name.
    #[error("unknown {kind} {name:?} (no registered plugin has this name; is its crate linked?)")]
    Unknown {
        /// The kind of extension.
        kind: ExtensionKind,
        /// The name from the metadata.
        name: String,
    },
    /// The plugin rejected its configuration.
    #[error("invalid configuration for {kind} {name:?}: {message}")]
    InvalidConfiguration {
        /// The kind of extension.
        kind: ExtensionKind,
        /// The name from the metadata.
        name: String,
        /// Why.
        message: String,
    },
}

impl PluginError {
    /// Shorthand for an invalid configuration error.
    pub fn config(
        kind: ExtensionKind,
        name: impl Into<String>,
        message: impl std::fmt::Display,
    ) -> Self {
        Self::InvalidConfiguration {
            kind,
            name: name.into(),
            message: message.to_string(),
        }
    }
}

/// An error in metadata: malformed JSON, wrong types, or values the spec forbids.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// JSON that does not parse, or has the wrong structure.
    #[error("metadata of node {node:?}: invalid JSON at `{location}`: {message}")]
    Json {
        /// The node path.
        node: String,
        /// The JSON location (serde path), `.` for the root.
        location: String,
        /// The parser's message.
        message: String,
    },
    /// Metadata that parses but violates the specification.
    #[error("metadata of node {node:?}: {message}")]
    Invalid {
        /// The node path.
        node: String,
        /// Why.
        message: String,
    },
    /// A plugin could not be resolved or rejected its configuration.
    #[error("metadata of node {node:?}: {source}")]
    Plugin {
        /// The node path.
        node: String,
        /// The plugin error.
        #[source]
        source: PluginError,
    },
}

impl MetadataError {
    /// Shorthand for [`MetadataError::Invalid`].
    pub fn invalid(node: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Invalid {
            node: node.into(),
            message: message.to_string(),
        }
    }

    /// The plugin error, if this is one.
    pub fn plugin_error(&self) -> Option<&PluginError> {
        match self {
            Self::Plugin { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An error from an array operation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ArrayError {
    /// A store error.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A metadata error.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A codec error while encoding or decoding a chunk, naming the chunk's store key.
    #[error("chunk {key:?}: {source}")]
    Codec {
        /// The store key of the chunk.
        key: String,
        /// The codec error.
        #[source]
        source: CodecError,
    },
    /// No array metadata at the path.
    #[error("no array at {0:?} (no zarr.json or .zarray found)")]
    NotFound(String),
    /// The node at the path is a group, not an array.
    #[error("node {0:?} is a group, not an array")]
    NotAnArray(String),
    /// Chunk grid indices outside the grid.
    #[error("chunk indices {indices:?} are outside the chunk grid {grid:?}")]
    InvalidChunkIndices {
        /// The indices.
        indices: Vec<u64>,
        /// The grid shape.
        grid: Vec<u64>,
    },
    /// A subset that does not fit in the array (or chunk), or has the wrong rank.
    #[error("subset {subset} is invalid for shape {shape:?}")]
    InvalidSubset {
        /// The subset.
        subset: String,
        /// The shape it must fit in.
        shape: Vec<u64>,
    },
    /// Input bytes of the wrong length.
    #[error("expected {expected} bytes of element data, got {actual}")]
    InvalidBytesLength {
        /// Expected length.
        expected: u64,
        /// Actual length.
        actual: u64,
    },
    /// A typed access whose element type does not match the array's data type.
    #[error("element type {requested} does not match the array data type {data_type}")]
    ElementTypeMismatch {
        /// The Rust element type requested.
        requested: String,
        /// The array data type.
        data_type: String,
    },
    /// An operation not supported for this array (for example variable-size data in a
    /// fixed-size operation, or a typed access of the wrong kind).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Input that does not fit the operation (the wrong number of elements, a reversed
    /// range, an output buffer of the wrong size).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Data that does not fit in memory addressing on this platform, or exceeds the
    /// configured memory limit of a request.
    #[error("array of {0} bytes is too large for this platform")]
    TooLarge(u128),
    /// A store value kept changing while it was read (every retry saw a new version).
    #[error("{key:?} changed {attempts} times while it was read; giving up")]
    Unstable {
        /// The key.
        key: String,
        /// How many times it was read.
        attempts: u32,
    },
    /// A selection that does not fit the array: an index out of bounds, a zero step, a mask
    /// of the wrong shape, index arrays that do not broadcast (the message names the
    /// dimension).
    #[error("invalid selection: {0}")]
    InvalidSelection(String),
    /// A chunk that is not stored, read with
    /// [`crate::CodecOptions::fill_missing_chunks`] off.
    #[error("chunk {key:?} is not stored (and missing chunks are not read as the fill value)")]
    MissingChunk {
        /// The chunk's store key.
        key: String,
    },
    /// A broken internal invariant (a bug: please report it).
    #[error("internal error: {0}")]
    Internal(String),
}

/// An error from a group operation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GroupError {
    /// A store error.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A metadata error.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// No group metadata at the path.
    #[error("no group at {0:?} (no zarr.json or .zgroup found)")]
    NotFound(String),
    /// The node at the path is an array, not a group.
    #[error("node {0:?} is an array, not a group")]
    NotAGroup(String),
    /// The group has no consolidated metadata, opened with
    /// [`crate::ConsolidatedMetadata::Must`].
    #[error("group {0:?} has no consolidated metadata (and it was required)")]
    NoConsolidatedMetadata(String),
    /// An error opening a child array.
    #[error(transparent)]
    Array(#[from] Box<ArrayError>),
}
