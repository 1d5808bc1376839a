//! The registries: one [`inventory`] collection per extension kind, plus run-time
//! registration. Names in metadata resolve only through here.
//!
//! A plugin crate registers itself with, for example:
//!
//! ```ignore
//! zarrkit_core::inventory::submit! {
//!     zarrkit_core::registry::CodecPlugin::new("zstd", create_zstd)
//!         .with_aliases(&["numcodecs.zstd"])
//!         .with_v2(&["zstd"], create_zstd_v2)
//! }
//! ```
//!
//! Plugin entries are built with `const` constructors and `with_*` methods, not struct
//! literals, so a field added to an entry later breaks no plugin.

use parking_lot::RwLock;
use serde_json::{Map, Value};

use crate::chunk_grid::ChunkGrid;
use crate::chunk_key_encoding::ChunkKeyEncoding;
use crate::codec::Codec;
use crate::data_type::DataType;
use crate::error::{ExtensionKind, PluginError, StorageError};
use crate::metadata::MetadataV3;
use crate::storage::ReadableWritableListableStorage;

/// What every registry entry has.
pub trait PluginEntry: Sync + 'static {
    /// The extension kind.
    const KIND: ExtensionKind;
    /// The primary (V3) name; for pattern-named types a description such as `r*`.
    fn name(&self) -> &'static str;
    /// Other V3 names.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// Zarr V2 / numcodecs ids.
    fn v2_ids(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether this plugin handles a V3 name.
    fn matches(&self, name: &str) -> bool {
        self.name() == name || self.aliases().contains(&name)
    }
}

/// Creates a codec from a numcodecs (Zarr V2) configuration.
pub type CreateCodecV2 = fn(&Map<String, Value>, &CodecV2Context) -> Result<Codec, PluginError>;

/// What a Zarr V2 (numcodecs) codec configuration leaves to the array: numcodecs codecs take
/// it from the data they encode (blosc's shuffle element size is the array's item size).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodecV2Context {
    /// The size in bytes of one element of the array's data type (`None`: variable-size or
    /// unknown).
    pub element_size: Option<usize>,
    /// The byte order character of the array's V2 dtype (`<`, `>`, `|`), if it has one:
    /// numcodecs filters pass raw bytes between them, so a filter whose own `dtype` has
    /// another order than the array's sees its input byte-swapped.
    pub byte_order: Option<char>,
    /// The array's memory order is `F` (numcodecs object codecs see chunks in that order).
    pub order_f: bool,
}

impl CodecV2Context {
    /// A context for an array whose elements have `element_size` bytes.
    pub fn with_element_size(element_size: Option<usize>) -> Self {
        Self {
            element_size,
            ..Self::default()
        }
    }

    /// This context with the array's dtype byte order.
    pub fn with_byte_order(mut self, byte_order: Option<char>) -> Self {
        self.byte_order = byte_order;
        self
    }

    /// This context with the array's memory order (`true`: `F`).
    pub fn with_order_f(mut self, order_f: bool) -> Self {
        self.order_f = order_f;
        self
    }
}

/// Creates a codec from V3 metadata (the name it was read under and its configuration).
pub type CreateCodec = fn(&MetadataV3) -> Result<Codec, PluginError>;
/// Creates a data type from V3 metadata.
pub type CreateDataType = fn(&MetadataV3) -> Result<DataType, PluginError>;
/// Creates a data type from a Zarr V2 `dtype` string, or `None` if it is not this one.
pub type DataTypeFromV2 = fn(&str) -> Option<DataType>;
/// Creates a chunk grid from V3 metadata.
pub type CreateChunkGrid = fn(&MetadataV3) -> Result<ChunkGrid, PluginError>;
/// Creates a chunk key encoding from V3 metadata.
pub type CreateChunkKeyEncoding = fn(&MetadataV3) -> Result<ChunkKeyEncoding, PluginError>;
/// Opens a store from a URL.
pub type OpenStore = fn(&str) -> Result<ReadableWritableListableStorage, StorageError>;
/// Opens an async store from a URL.
#[cfg(feature = "async")]
pub type OpenAsyncStore =
    fn(
        &str,
    )
        -> Result<crate::storage::asynchronous::AsyncReadableWritableListableStorage, StorageError>;

/// A codec plugin, built with [`CodecPlugin::new`] and the `with_*` methods (so a field
/// added to the registry later breaks no plugin):
///
/// ```ignore
/// inventory::submit! {
///     CodecPlugin::new("zstd", create).with_aliases(&["numcodecs.zstd"]).with_v2(&["zstd"], create_v2)
/// }
/// ```
pub struct CodecPlugin {
    name: &'static str,
    aliases: &'static [&'static str],
    v2_ids: &'static [&'static str],
    create: CreateCodec,
    create_v2: Option<CreateCodecV2>,
}

impl CodecPlugin {
    /// A codec named `name` (V3), created by `create`.
    pub const fn new(name: &'static str, create: CreateCodec) -> Self {
        Self {
            name,
            aliases: &[],
            v2_ids: &[],
            create,
            create_v2: None,
        }
    }
    /// Other V3 names (e.g. `numcodecs.zlib`).
    pub const fn with_aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
    /// The numcodecs ids used in Zarr V2 `compressor` / `filters`, and the factory for them.
    pub const fn with_v2(mut self, ids: &'static [&'static str], create_v2: CreateCodecV2) -> Self {
        self.v2_ids = ids;
        self.create_v2 = Some(create_v2);
        self
    }
    /// Create a codec from V3 metadata.
    pub fn create(&self, metadata: &MetadataV3) -> Result<Codec, PluginError> {
        (self.create)(metadata)
    }
    /// The V2 factory, if the codec has a numcodecs form.
    pub fn create_v2(&self) -> Option<CreateCodecV2> {
        self.create_v2
    }
}

/// A data type plugin, built with [`DataTypePlugin::new`] and the `with_*` methods.
pub struct DataTypePlugin {
    name: &'static str,
    aliases: &'static [&'static str],
    matches: Option<fn(&str) -> bool>,
    create: CreateDataType,
    from_v2: Option<DataTypeFromV2>,
    v2_object_codec_ids: &'static [&'static str],
}

impl DataTypePlugin {
    /// A data type named `name` (V3, or a pattern description such as `r*` with
    /// [`Self::with_matcher`]), created by `create`.
    pub const fn new(name: &'static str, create: CreateDataType) -> Self {
        Self {
            name,
            aliases: &[],
            matches: None,
            create,
            from_v2: None,
            v2_object_codec_ids: &[],
        }
    }
    /// Other V3 names.
    pub const fn with_aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
    /// Match names by pattern (e.g. `r8`, `r16`, ...) instead of by name.
    pub const fn with_matcher(mut self, matches: fn(&str) -> bool) -> Self {
        self.matches = Some(matches);
        self
    }
    /// Create from a Zarr V2 `dtype` string (the whole string, byte-order character
    /// included, e.g. `<i4`, `|b1`, `|S6`, `<U5`), `None` if this plugin does not handle it.
    /// The byte order itself is the `bytes` codec's business, not the data type's.
    pub const fn with_from_v2(mut self, from_v2: DataTypeFromV2) -> Self {
        self.from_v2 = Some(from_v2);
        self
    }
    /// For V2 object arrays (`|O`): the numcodecs ids of the object codecs (filters) that
    /// select this data type, e.g. `["vlen-utf8"]` for `string`.
    pub const fn with_v2_object_codec_ids(mut self, ids: &'static [&'static str]) -> Self {
        self.v2_object_codec_ids = ids;
        self
    }
    /// Create from V3 metadata.
    pub fn create(&self, metadata: &MetadataV3) -> Result<DataType, PluginError> {
        (self.create)(metadata)
    }
    /// The V2 dtype hook.
    pub fn from_v2(&self) -> Option<DataTypeFromV2> {
        self.from_v2
    }
}

/// A chunk grid plugin ([`ChunkGridPlugin::new`]).
pub struct ChunkGridPlugin {
    name: &'static str,
    aliases: &'static [&'static str],
    create: CreateChunkGrid,
}

impl ChunkGridPlugin {
    /// A grid named `name`, created by `create`.
    pub const fn new(name: &'static str, create: CreateChunkGrid) -> Self {
        Self {
            name,
            aliases: &[],
            create,
        }
    }
    /// Other V3 names.
    pub const fn with_aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
}

/// A chunk key encoding plugin ([`ChunkKeyEncodingPlugin::new`]).
pub struct ChunkKeyEncodingPlugin {
    name: &'static str,
    aliases: &'static [&'static str],
    create: CreateChunkKeyEncoding,
}

impl ChunkKeyEncodingPlugin {
    /// An encoding named `name`, created by `create`.
    pub const fn new(name: &'static str, create: CreateChunkKeyEncoding) -> Self {
        Self {
            name,
            aliases: &[],
            create,
        }
    }
    /// Other V3 names.
    pub const fn with_aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
}

/// A store plugin, by URL scheme (`file`, `memory`, `s3`, ...): [`StorePlugin::new`].
pub struct StorePlugin {
    scheme: &'static str,
    open: Option<OpenStore>,
    #[cfg(feature = "async")]
    open_async: Option<OpenAsyncStore>,
}

impl StorePlugin {
    /// A store for URLs of `scheme` (without `://`) opened by `open` (for `file`, also plain
    /// paths).
    pub const fn new(scheme: &'static str, open: OpenStore) -> Self {
        Self {
            scheme,
            open: Some(open),
            #[cfg(feature = "async")]
            open_async: None,
        }
    }
    /// A store with only an async form.
    #[cfg(feature = "async")]
    pub const fn new_async(scheme: &'static str, open_async: OpenAsyncStore) -> Self {
        Self {
            scheme,
            open: None,
            open_async: Some(open_async),
        }
    }
    /// Its async form (an async store is used as is by the async API; the sync form may
    /// be the same store behind an adapter).
    #[cfg(feature = "async")]
    pub const fn with_async(mut self, open_async: OpenAsyncStore) -> Self {
        self.open_async = Some(open_async);
        self
    }
    /// The URL scheme.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }
}

impl PluginEntry for CodecPlugin {
    const KIND: ExtensionKind = ExtensionKind::Codec;
    fn name(&self) -> &'static str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn v2_ids(&self) -> &'static [&'static str] {
        self.v2_ids
    }
}
impl PluginEntry for DataTypePlugin {
    const KIND: ExtensionKind = ExtensionKind::DataType;
    fn name(&self) -> &'static str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn v2_ids(&self) -> &'static [&'static str] {
        self.v2_object_codec_ids
    }
    fn matches(&self, name: &str) -> bool {
        match self.matches {
            Some(f) => f(name),
            None => self.name == name || self.aliases.contains(&name),
        }
    }
}
impl PluginEntry for ChunkGridPlugin {
    const KIND: ExtensionKind = ExtensionKind::ChunkGrid;
    fn name(&self) -> &'static str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
}
impl PluginEntry for ChunkKeyEncodingPlugin {
    const KIND: ExtensionKind = ExtensionKind::ChunkKeyEncoding;
    fn name(&self) -> &'static str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
}
impl PluginEntry for StorePlugin {
    const KIND: ExtensionKind = ExtensionKind::Store;
    fn name(&self) -> &'static str {
        self.scheme
    }
}

inventory::collect!(CodecPlugin);
inventory::collect!(DataTypePlugin);
inventory::collect!(ChunkGridPlugin);
inventory::collect!(ChunkKeyEncodingPlugin);
inventory::collect!(StorePlugin);

/// A registry of one kind: compile-time (`inventory`) plus run-time entries.
pub struct Registry<P: PluginEntry> {
    runtime: RwLock<Vec<&'static P>>,
}

impl<P: PluginEntry + inventory::Collect> Registry<P> {
    const fn new() -> Self {
        Self {
            runtime: RwLock::new(Vec::new()),
        }
    }

    /// Register a plugin at run time (it takes precedence over compile-time entries of the
    /// same name). The entry lives for the rest of the process.
    pub fn register(&self, plugin: P) {
        self.runtime.write().push(Box::leak(Box::new(plugin)));
    }

    /// Every entry: run-time first (newest first), then compile-time.
    pub fn entries(&self) -> Vec<&'static P> {
        let mut v: Vec<&'static P> = self.runtime.read().iter().rev().copied().collect();
        v.extend(inventory::iter::<P>());
        v
    }

    /// The entry for a V3 name or alias.
    pub fn get(&self, name: &str) -> Option<&'static P> {
        self.entries().into_iter().find(|p| p.matches(name))
    }

    /// The entry for a V2 / numcodecs id.
    pub fn get_v2(&self, id: &str) -> Option<&'static P> {
        self.entries()
            .into_iter()
            .find(|p| p.v2_ids().contains(&id))
    }

    /// The entry for a name, or a [`PluginError::Unknown`].
    pub fn resolve(&self, name: &str) -> Result<&'static P, PluginError> {
        self.get(name).ok_or_else(|| PluginError::Unknown {
            kind: P::KIND,
            name: name.to_string(),
        })
    }

    /// The primary names of all entries, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.entries().iter().map(|p| p.name()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Names (primary names, aliases and V2 ids) claimed by more than one entry, sorted.
    /// A run-time registration that overrides a compile-time one counts too.
    pub fn duplicates(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        for p in self.entries() {
            let mut own: Vec<String> = vec![p.name().to_string()];
            own.extend(p.aliases().iter().map(|a| a.to_string()));
            own.extend(p.v2_ids().iter().map(|a| format!("v2:{a}")));
            own.sort();
            own.dedup();
            for n in own {
                *seen.entry(n).or_default() += 1;
            }
        }
        seen.into_iter()
            .filter(|(_, c)| *c > 1)
            .map(|(n, _)| n)
            .collect()
    }
}

/// The codec registry.
pub static CODECS: Registry<CodecPlugin> = Registry::new();
/// The data type registry.
pub static DATA_TYPES: Registry<DataTypePlugin> = Registry::new();
/// The chunk grid registry.
pub static CHUNK_GRIDS: Registry<ChunkGridPlugin> = Registry::new();
/// The chunk key encoding registry.
pub static CHUNK_KEY_ENCODINGS: Registry<ChunkKeyEncodingPlugin> = Registry::new();
/// The store registry (by URL scheme).
pub static STORES: Registry<StorePlugin> = Registry::new();

/// Create a codec from metadata.
pub fn create_codec(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    (CODECS.resolve(metadata.name())?.create)(metadata)
}

/// Create a codec from a V2 (numcodecs) configuration: `{"id": ..., ...}`, knowing nothing
/// of the array (see [`create_codec_v2_for`]).
pub fn create_codec_v2(config: &Map<String, Value>) -> Result<Codec, PluginError> {
    create_codec_v2_for(config, &CodecV2Context::default())
}

/// Create a codec from a V2 (numcodecs) configuration for an array described by `context`.
pub fn create_codec_v2_for(
    config: &Map<String, Value>,
    context: &CodecV2Context,
) -> Result<Codec, PluginError> {
    let id = config.get("id").and_then(Value::as_str).unwrap_or_default();
    let p = CODECS.get_v2(id).ok_or_else(|| PluginError::Unknown {
        kind: ExtensionKind::Codec,
        name: id.to_string(),
    })?;
    match p.create_v2 {
        Some(f) => f(config, context),
        None => Err(PluginError::config(
            ExtensionKind::Codec,
            id,
            "this codec cannot be created from a Zarr V2 configuration",
        )),
    }
}

/// Create a data type from metadata.
pub fn create_data_type(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    (DATA_TYPES.resolve(metadata.name())?.create)(metadata)
}

/// Create a data type from a name without configuration (e.g. `"float32"`).
pub fn data_type_by_name(name: &str) -> Result<DataType, PluginError> {
    create_data_type(&MetadataV3::new(name))
}

/// Create a data type from a Zarr V2 `dtype` string (see [`DataTypePlugin::from_v2`]).
pub fn data_type_from_v2(dtype: &str) -> Result<DataType, PluginError> {
    DATA_TYPES
        .entries()
        .into_iter()
        .find_map(|p| p.from_v2.and_then(|f| f(dtype)))
        .ok_or_else(|| PluginError::Unknown {
            kind: ExtensionKind::DataType,
            name: format!("V2 dtype {dtype}"),
        })
}

/// Create the data type of a Zarr V2 object array (`|O`) from the numcodecs id of its
/// object codec (e.g. `vlen-utf8`), through the data type plugin that lists the id in
/// [`DataTypePlugin::v2_object_codec_ids`].
pub fn data_type_from_v2_object_codec(codec_id: &str) -> Result<DataType, PluginError> {
    let p = DATA_TYPES
        .get_v2(codec_id)
        .ok_or_else(|| PluginError::Unknown {
            kind: ExtensionKind::DataType,
            name: format!("|O with object codec {codec_id}"),
        })?;
    (p.create)(&MetadataV3::new(p.name))
}

/// Whether some data type plugin claims a numcodecs object codec id (see
/// [`DataTypePlugin::v2_object_codec_ids`]).
pub fn is_v2_object_codec(codec_id: &str) -> bool {
    DATA_TYPES.get_v2(codec_id).is_some()
}

/// Create a chunk grid from metadata.
pub fn create_chunk_grid(metadata: &MetadataV3) -> Result<ChunkGrid, PluginError> {
    (CHUNK_GRIDS.resolve(metadata.name())?.create)(metadata)
}

/// Create a chunk key encoding from metadata.
pub fn create_chunk_key_encoding(metadata: &MetadataV3) -> Result<ChunkKeyEncoding, PluginError> {
    (CHUNK_KEY_ENCODINGS.resolve(metadata.name())?.create)(metadata)
}

fn open_memory(_url: &str) -> Result<ReadableWritableListableStorage, StorageError> {
    Ok(std::sync::Arc::new(crate::storage::MemoryStore::new()))
}

#[cfg(feature = "async")]
fn open_memory_async(
    _url: &str,
) -> Result<crate::storage::asynchronous::AsyncReadableWritableListableStorage, StorageError> {
    Ok(std::sync::Arc::new(
        crate::storage::asynchronous::SyncToAsyncAdapter::inline(std::sync::Arc::new(
            crate::storage::MemoryStore::new(),
        )),
    ))
}

#[cfg(not(feature = "async"))]
inventory::submit! { StorePlugin::new("memory", open_memory) }
#[cfg(feature = "async")]
inventory::submit! { StorePlugin::new("memory", open_memory).with_async(open_memory_async) }

fn scheme_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => &url[..i],
        None => "file",
    }
}

/// Open a store from a URL such as `file:///data/x.zarr`, `memory://` or (with its plugin)
/// `s3://bucket/x.zarr`. A string without a scheme is a filesystem path (needs the `file`
/// store plugin).
pub fn open_store(url: &str) -> Result<ReadableWritableListableStorage, StorageError> {
    let scheme = scheme_of(url);
    let p = STORES
        .get(scheme)
        .ok_or_else(|| StorageError::UnknownScheme(scheme.to_string()))?;
    match p.open {
        Some(open) => open(url),
        None => Err(StorageError::Unsupported(format!(
            "a sync store for {scheme}:// URLs (use the async API)"
        ))),
    }
}

/// Open an async store from a URL. A plugin with only a sync form is used through
/// [`crate::storage::asynchronous::SyncToAsyncAdapter`] (its calls on I/O threads).
#[cfg(feature = "async")]
pub fn open_store_async(
    url: &str,
) -> Result<crate::storage::asynchronous::AsyncReadableWritableListableStorage, StorageError> {
    let scheme = scheme_of(url);
    let p = STORES
        .get(scheme)
        .ok_or_else(|| StorageError::UnknownScheme(scheme.to_string()))?;
    if let Some(open) = p.open_async {
        return open(url);
    }
    match p.open {
        Some(open) => Ok(std::sync::Arc::new(
            crate::storage::asynchronous::SyncToAsyncAdapter::new(open(url)?)?,
        )),
        None => Err(StorageError::UnknownScheme(scheme.to_string())),
    }
}

/// A listing of every registered plugin, by kind, sorted by name.
pub fn list_plugins() -> Vec<(ExtensionKind, Vec<&'static str>)> {
    vec![
        (ExtensionKind::DataType, DATA_TYPES.names()),
        (ExtensionKind::Codec, CODECS.names()),
        (ExtensionKind::ChunkGrid, CHUNK_GRIDS.names()),
        (ExtensionKind::ChunkKeyEncoding, CHUNK_KEY_ENCODINGS.names()),
        (ExtensionKind::Store, STORES.names()),
    ]
}

/// Every name claimed twice within a kind, as `kind: name`.
pub fn duplicate_names() -> Vec<String> {
    let mut v = Vec::new();
    for (k, d) in [
        (ExtensionKind::DataType, DATA_TYPES.duplicates()),
        (ExtensionKind::Codec, CODECS.duplicates()),
        (ExtensionKind::ChunkGrid, CHUNK_GRIDS.duplicates()),
        (
            ExtensionKind::ChunkKeyEncoding,
            CHUNK_KEY_ENCODINGS.duplicates(),
        ),
        (ExtensionKind::Store, STORES.duplicates()),
    ] {
        v.extend(d.into_iter().map(|n| format!("{k}: {n}")));
    }
    v
}
