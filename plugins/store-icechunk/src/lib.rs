//! zarrkit plugin: an [icechunk](https://icechunk.io) repository's session as a zarrkit store.
//!
//! icechunk is a transactional storage engine for Zarr: a repository holds snapshots of a
//! Zarr V3 hierarchy, branches and tags name snapshots, and a **session** reads one snapshot
//! (read-only: a tag, a snapshot id, or a branch's tip) or accumulates changes on a branch
//! until they are **committed** as a new snapshot. This crate wraps the `icechunk` crate
//! (2.2.2, the version icechunk-python 2.2.2 on PyPI is built from, so both read and write
//! one on-disk format):
//!
//! - [`IcechunkRepository`]: create or open a repository on the local filesystem
//!   ([`IcechunkRepository::create_local`], [`IcechunkRepository::open_local`],
//!   [`IcechunkRepository::open_or_create_local`]), in memory, or wrap any
//!   `icechunk::Repository` (S3 and other backends need icechunk's features that this crate
//!   leaves off); branches, tags and snapshot lookups.
//! - [`IcechunkStore`]: a session as a zarrkit store, sync and async (readable, writable,
//!   listable), for `Array` / `Group` as any other store. [`IcechunkStore::commit`] commits
//!   the session's changes and returns the new snapshot's id;
//!   [`IcechunkStore::commit_rebasing`] first rebases onto a branch tip that moved, when the
//!   changes do not conflict.
//! - **URLs** (registered scheme `icechunk+file`): `icechunk+file:///path/to/repo` opens the
//!   repository at that path (relative paths without the leading `/`) and a session chosen by
//!   the query: `?branch=NAME` (writable, the default is `main`), `?tag=NAME` or
//!   `?snapshot=ID` (read-only), `&readonly` (a read-only session of the branch's tip),
//!   `&create` (create the repository if there is none). A store opened by URL cannot be
//!   committed (`zarrkit::open` gives a `dyn` store): use the API to write.
//!
//! # Keys
//!
//! icechunk holds Zarr V3 only: `zarr.json` documents (a node each) and chunk keys of the
//! default chunk key encoding with `/` separators (`<array>/c/<i>/<j>`, `c` for a
//! zero-dimensional array). Any other key (Zarr V2 documents, `.`-separated or V2-style
//! chunk keys) reads as absent, is skipped by erasure, and is an error to write
//! ([`StorageError::Unsupported`] for V2 documents, [`StorageError::InvalidKey`] otherwise).
//! Writing an array's `zarr.json` defines the array node (its shape and chunk grid) as
//! icechunk-python does; erasing a group's `zarr.json` deletes the group with everything
//! under it (icechunk has no node without metadata).
//!
//! # Versions
//!
//! The version of a value (the core's read primitive, `read(key, ranges, if_version)`) names
//! what icechunk stores for the key, so it is the same in every session that sees the same
//! value and changes whenever the value is replaced:
//!
//! - a chunk written to its own object: `ref:` + the chunk id (12 random bytes, base32) + offset
//!   + length — every write is a new chunk id;
//! - a chunk inlined in the manifest (at most `inline_chunk_threshold_bytes`, 512 by default):
//!   `inline:` + the SHA-256 of its bytes;
//! - a virtual chunk: `virtual:` + location, offset, length and the checksum icechunk keeps
//!   (ETag or modification time), when it keeps one;
//! - a node's `zarr.json`: `meta:` + the SHA-256 of the document.
//!
//! Content-derived versions (inline chunks, metadata) are equal for equal bytes: a
//! compare-and-swap against a value since rewritten with the same bytes succeeds, with the
//! result a retry would have had.
//!
//! # Conditional writes and concurrency
//!
//! `set_if` / `erase_if` are supported (`supports_conditional_writes` is true), so
//! read-modify-write of a chunk or shard is a compare-and-swap on its version: for chunks the
//! check and the update of the chunk reference happen under the session's write lock (atomic
//! for every writer of the session: the store's clones, and icechunk's own `Store` on the
//! same session); for `zarr.json` under a per-key lock of this store and its clones. Sessions
//! are isolated: other sessions and processes see the changes when they are committed, and a
//! commit whose branch moved meanwhile fails ([`StorageError::Changed`] naming the branch)
//! unless rebased. icechunk's local-filesystem storage is not safe for concurrent commits by
//! several processes (icechunk's own warning); object storage is.
//!
//! # Runtime
//!
//! icechunk is async and runs on tokio: every call (sync or async) runs as a task on one
//! runtime owned by this crate, so the async traits work under any executor; sync calls wait
//! for their task on the calling thread (refused on the runtime's own threads).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path as StdPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::StreamExt;
use icechunk::conflicts::detector::ConflictDetector;
use icechunk::format::manifest::{Checksum, ChunkPayload, ChunkRef, VirtualChunkRef};
use icechunk::format::snapshot::{NodeData, NodeSnapshot};
use icechunk::format::{ChunkIndices, Path, SnapshotId};
use icechunk::repository::VersionInfo;
use icechunk::session::{Session, SessionError, SessionErrorKind};
use icechunk::store::StoreErrorKind;
use icechunk::{Repository, RepositoryConfig};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};
use zarrkit_core::registry::StorePlugin;
use zarrkit_core::storage::asynchronous::{
    AsyncListableStorageTraits, AsyncReadableStorageTraits, AsyncReadableWritableListableStorage,
    AsyncWritableStorageTraits,
};
use zarrkit_core::storage::{
    read_from_memory, ByteRange, ListDir, ListableStorageTraits, ReadResult, ReadableStorageTraits,
    ReadableWritableListableStorage, SetCondition, StoreKey, StorePrefix, Version,
    WritableStorageTraits,
};
use zarrkit_core::StorageError;

mod key;
mod runtime;

use key::{Key, NotIcechunk};

/// The icechunk crate this store is built on (for its configuration and repository types).
pub use icechunk;

/// The URL scheme registered for local-filesystem repositories.
pub const SCHEME: &str = "icechunk+file";

/// The default branch of a repository.
pub const DEFAULT_BRANCH: &str = "main";

/// Which snapshot a session reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// The tip of a branch.
    Branch(String),
    /// A tag.
    Tag(String),
    /// A snapshot, by its id (base32, as [`IcechunkStore::commit`] returns it).
    Snapshot(String),
}

// ---------------------------------------------------------------------------------------
// Errors.

/// The text of an error and its sources (each once), without icechunk's span traces.
fn error_text(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

fn session_error(what: &str, e: SessionError) -> StorageError {
    match e.kind {
        SessionErrorKind::ReadOnlySession => read_only(what),
        SessionErrorKind::Conflict {
            expected_parent,
            actual_parent,
        } => StorageError::Changed {
            key: format!(
                "{what}: the branch moved since the session started (from {} to {}); \
                 commit with rebase or start a new session",
                expected_parent.map_or("none".to_string(), |s| s.to_string()),
                actual_parent.map_or("none".to_string(), |s| s.to_string()),
            ),
        },
        kind => StorageError::Other(format!("icechunk: {what}: {}", error_text(&kind))),
    }
}

fn store_error(what: &str, e: icechunk::store::StoreError) -> StorageError {
    match e.kind {
        StoreErrorKind::ReadOnly => read_only(what),
        StoreErrorKind::SessionError(SessionErrorKind::ReadOnlySession) => read_only(what),
        kind => StorageError::Other(format!("icechunk: {what}: {}", error_text(&kind))),
    }
}

fn repo_error(what: &str, e: icechunk::repository::RepositoryError) -> StorageError {
    StorageError::Other(format!("icechunk: {what}: {}", error_text(&e.kind)))
}

fn read_only(what: &str) -> StorageError {
    StorageError::Unsupported(format!(
        "writes to a read-only icechunk session ({what}); open a writable session of a branch"
    ))
}

fn not_icechunk(key: &StoreKey, why: NotIcechunk) -> StorageError {
    match why {
        NotIcechunk::ZarrV2 => StorageError::Unsupported(format!(
            "Zarr V2 documents ({key}) in an icechunk repository (icechunk holds Zarr V3 only)"
        )),
        NotIcechunk::Other(reason) => StorageError::InvalidKey {
            key: key.to_string(),
            reason: format!("an icechunk repository cannot hold it: {reason}"),
        },
    }
}

fn changed(key: &StoreKey) -> StorageError {
    StorageError::Changed {
        key: key.to_string(),
    }
}

fn parse_snapshot_id(id: &str) -> Result<SnapshotId, StorageError> {
    SnapshotId::try_from(id).map_err(|e| {
        StorageError::Other(format!(
            "icechunk: {id:?} is not a snapshot id (20 base32 characters): {e}"
        ))
    })
}

// ---------------------------------------------------------------------------------------
// Versions.

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn metadata_version(doc: &[u8]) -> Version {
    Version::from_string(format!("meta:{}", sha256_hex(doc)))
}

fn chunk_version(key: &StoreKey, payload: &ChunkPayload) -> Result<Version, StorageError> {
    Ok(Version::from_string(match payload {
        ChunkPayload::Ref(ChunkRef { id, offset, length }) => {
            format!("ref:{id}:{offset}:{length}")
        }
        ChunkPayload::Inline(b) => format!("inline:{}", sha256_hex(b)),
        ChunkPayload::Virtual(VirtualChunkRef {
            location,
            offset,
            length,
            checksum,
        }) => {
            let sum = match checksum {
                None => String::new(),
                Some(Checksum::ETag(e)) => format!("etag={}", e.0),
                Some(Checksum::LastModified(t)) => format!("mtime={}", t.0),
            };
            format!("virtual:{}:{offset}:{length}:{sum}", location.url())
        }
        #[allow(unreachable_patterns)]
        _ => {
            return Err(StorageError::Unsupported(format!(
                "{key}: a kind of icechunk chunk reference this store does not know"
            )))
        }
    }))
}

// ---------------------------------------------------------------------------------------
// The repository.

/// An icechunk repository: sessions as zarrkit stores, branches, tags. Cheap to clone.
#[derive(Clone)]
pub struct IcechunkRepository {
    repo: Arc<Repository>,
    label: Arc<str>,
}

impl std::fmt::Debug for IcechunkRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcechunkRepository")
            .field("location", &self.label)
            .finish()
    }
}

async fn local_storage(
    path: PathBuf,
) -> Result<Arc<dyn icechunk::Storage + Send + Sync>, StorageError> {
    icechunk::new_local_filesystem_storage(&path)
        .await
        .map_err(|e| {
            StorageError::Other(format!(
                "icechunk: local storage at {}: {}",
                path.display(),
                error_text(&e.kind)
            ))
        })
}

#[derive(Clone, Copy)]
enum OpenMode {
    Create,
    Open,
    OpenOrCreate,
}

async fn open_repo(
    storage: Arc<dyn icechunk::Storage + Send + Sync>,
    config: Option<RepositoryConfig>,
    mode: OpenMode,
    label: &str,
) -> Result<Repository, StorageError> {
    let r = match mode {
        OpenMode::Create => Repository::create(config, storage, HashMap::new(), None, true)
            .await
            .map_err(|e| repo_error(&format!("creating a repository at {label}"), e))?,
        OpenMode::Open => {
            if !Repository::exists(storage.clone(), None)
                .await
                .map_err(|e| repo_error(&format!("looking for a repository at {label}"), e))?
            {
                return Err(StorageError::Other(format!(
                    "icechunk: there is no repository at {label}"
                )));
            }
            Repository::open(config, storage, HashMap::new())
                .await
                .map_err(|e| repo_error(&format!("opening the repository at {label}"), e))?
        }
        OpenMode::OpenOrCreate => {
            Repository::open_or_create(config, storage, HashMap::new(), None, true)
                .await
                .map_err(|e| repo_error(&format!("opening the repository at {label}"), e))?
        }
    };
    Ok(r)
}

impl IcechunkRepository {
    fn local(
        path: impl AsRef<StdPath>,
        config: Option<RepositoryConfig>,
        mode: OpenMode,
    ) -> Result<Self, StorageError> {
        let path = path.as_ref().to_path_buf();
        let label: Arc<str> = path.display().to_string().into();
        let l = label.clone();
        let repo = runtime::block(async move {
            let storage = local_storage(path).await?;
            open_repo(storage, config, mode, &l).await
        })?;
        Ok(Self {
            repo: Arc::new(repo),
            label,
        })
    }

    /// Create a new repository in a directory (empty or absent) on the local filesystem.
    pub fn create_local(path: impl AsRef<StdPath>) -> Result<Self, StorageError> {
        Self::local(path, None, OpenMode::Create)
    }

    /// [`Self::create_local`] with an icechunk configuration (inline chunk threshold,
    /// compression, caches, ...).
    pub fn create_local_with_config(
        path: impl AsRef<StdPath>,
        config: RepositoryConfig,
    ) -> Result<Self, StorageError> {
        Self::local(path, Some(config), OpenMode::Create)
    }

    /// Open the repository in a directory on the local filesystem (an error if there is none).
    pub fn open_local(path: impl AsRef<StdPath>) -> Result<Self, StorageError> {
        Self::local(path, None, OpenMode::Open)
    }

    /// Open the repository in a directory, creating it if there is none.
    pub fn open_or_create_local(path: impl AsRef<StdPath>) -> Result<Self, StorageError> {
        Self::local(path, None, OpenMode::OpenOrCreate)
    }

    /// A new repository in memory (gone when the last handle is dropped).
    pub fn create_in_memory() -> Result<Self, StorageError> {
        let repo = runtime::block(async move {
            let storage = icechunk::new_in_memory_storage().await.map_err(|e| {
                StorageError::Other(format!(
                    "icechunk: in-memory storage: {}",
                    error_text(&e.kind)
                ))
            })?;
            open_repo(storage, None, OpenMode::Create, "memory").await
        })?;
        Ok(Self {
            repo: Arc::new(repo),
            label: "memory".into(),
        })
    }

    /// Wrap an icechunk repository opened by other means (another storage backend).
    pub fn from_repository(repo: Repository, label: impl Into<String>) -> Self {
        Self {
            repo: Arc::new(repo),
            label: label.into().into(),
        }
    }

    /// The icechunk repository.
    pub fn repository(&self) -> &Arc<Repository> {
        &self.repo
    }

    fn store_for(&self, session: Session, what: String) -> IcechunkStore {
        let mut store = IcechunkStore::from_session(session, format!("{} ({what})", self.label));
        if let Some(s) = Arc::get_mut(&mut store.shared) {
            s.repo = Some(self.repo.clone());
        }
        store
    }

    /// A writable session of a branch (async).
    pub async fn writable_session_async(
        &self,
        branch: &str,
    ) -> Result<IcechunkStore, StorageError> {
        let (repo, b) = (self.repo.clone(), branch.to_string());
        let what = format!("branch {branch}");
        let w = what.clone();
        let session = runtime::run(async move {
            repo.writable_session(&b)
                .await
                .map_err(|e| repo_error(&w, e))
        })
        .await?;
        Ok(self.store_for(session, what))
    }

    /// A writable session of a branch: a store whose writes become a snapshot on the branch
    /// when committed ([`IcechunkStore::commit`]).
    pub fn writable_session(&self, branch: &str) -> Result<IcechunkStore, StorageError> {
        let (repo, b) = (self.repo.clone(), branch.to_string());
        let what = format!("branch {branch}");
        let w = what.clone();
        let session = runtime::block(async move {
            repo.writable_session(&b)
                .await
                .map_err(|e| repo_error(&w, e))
        })?;
        Ok(self.store_for(session, what))
    }

    fn version_info(version: &VersionSpec) -> Result<(VersionInfo, String), StorageError> {
        Ok(match version {
            VersionSpec::Branch(b) => (VersionInfo::BranchTipRef(b.clone()), format!("branch {b}")),
            VersionSpec::Tag(t) => (VersionInfo::TagRef(t.clone()), format!("tag {t}")),
            VersionSpec::Snapshot(s) => (
                VersionInfo::SnapshotId(parse_snapshot_id(s)?),
                format!("snapshot {s}"),
            ),
        })
    }

    /// A read-only session of a snapshot (a branch's tip, a tag or a snapshot id).
    pub fn readonly_session(&self, version: &VersionSpec) -> Result<IcechunkStore, StorageError> {
        let (info, what) = Self::version_info(version)?;
        let (repo, w) = (self.repo.clone(), what.clone());
        let session = runtime::block(async move {
            repo.readonly_session(&info)
                .await
                .map_err(|e| repo_error(&w, e))
        })?;
        Ok(self.store_for(session, what))
    }

    /// A read-only session (async).
    pub async fn readonly_session_async(
        &self,
        version: &VersionSpec,
    ) -> Result<IcechunkStore, StorageError> {
        let (info, what) = Self::version_info(version)?;
        let (repo, w) = (self.repo.clone(), what.clone());
        let session = runtime::run(async move {
            repo.readonly_session(&info)
                .await
                .map_err(|e| repo_error(&w, e))
        })
        .await?;
        Ok(self.store_for(session, what))
    }

    /// The snapshot id at the tip of a branch.
    pub fn branch_tip(&self, branch: &str) -> Result<String, StorageError> {
        let (repo, b) = (self.repo.clone(), branch.to_string());
        runtime::block(async move {
            repo.lookup_branch(&b)
                .await
                .map(|s| s.to_string())
                .map_err(|e| repo_error(&format!("branch {b}"), e))
        })
    }

    /// Create a branch at a snapshot.
    pub fn create_branch(&self, branch: &str, snapshot: &str) -> Result<(), StorageError> {
        let id = parse_snapshot_id(snapshot)?;
        let (repo, b) = (self.repo.clone(), branch.to_string());
        runtime::block(async move {
            repo.create_branch(&b, &id)
                .await
                .map_err(|e| repo_error(&format!("creating branch {b}"), e))
        })
    }

    /// Create a tag at a snapshot.
    pub fn create_tag(&self, tag: &str, snapshot: &str) -> Result<(), StorageError> {
        let id = parse_snapshot_id(snapshot)?;
        let (repo, t) = (self.repo.clone(), tag.to_string());
        runtime::block(async move {
            repo.create_tag(&t, &id)
                .await
                .map_err(|e| repo_error(&format!("creating tag {t}"), e))
        })
    }

    /// The names of the branches.
    pub fn list_branches(&self) -> Result<BTreeSet<String>, StorageError> {
        let repo = self.repo.clone();
        runtime::block(async move {
            repo.list_branches()
                .await
                .map_err(|e| repo_error("listing branches", e))
        })
    }

    /// The names of the tags.
    pub fn list_tags(&self) -> Result<BTreeSet<String>, StorageError> {
        let repo = self.repo.clone();
        runtime::block(async move {
            repo.list_tags()
                .await
                .map_err(|e| repo_error("listing tags", e))
        })
    }
}

// ---------------------------------------------------------------------------------------
// The store.

/// Stripes of per-key locks for conditional metadata writes.
const STRIPES: usize = 64;

struct Shared {
    session: Arc<RwLock<Session>>,
    /// The repository of a session opened through [`IcechunkRepository`]: after a commit
    /// the store continues in a new writable session of the branch.
    repo: Option<Arc<Repository>>,
    store: icechunk::Store,
    label: String,
    /// Taken for reading by every key write of `zarr.json`, for writing by `erase_prefix`.
    gate: RwLock<()>,
    stripes: Vec<Mutex<()>>,
}

/// A zarrkit store over an icechunk session (see the crate documentation). Cheap to clone
/// (clones share the session).
#[derive(Clone)]
pub struct IcechunkStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for IcechunkStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcechunkStore")
            .field("session", &self.shared.label)
            .finish()
    }
}

/// Whether a session error means "no such node" (or "not an array", for a chunk key).
fn absent(e: &SessionError) -> bool {
    matches!(
        e.kind,
        SessionErrorKind::NodeNotFound { .. } | SessionErrorKind::NotAnArray { .. }
    )
}

/// The node at a path, or `None`.
async fn node_at(
    session: &Session,
    key: &StoreKey,
    path: &Path,
) -> Result<Option<NodeSnapshot>, StorageError> {
    match session.get_node(path).await {
        Ok(n) => Ok(Some(n)),
        Err(e) if absent(&e) => Ok(None),
        Err(e) => Err(session_error(key.as_str(), e)),
    }
}

/// The reference of a chunk, or `None`.
async fn chunk_at(
    session: &Session,
    key: &StoreKey,
    path: &Path,
    coords: &ChunkIndices,
) -> Result<Option<ChunkPayload>, StorageError> {
    match session.get_chunk_ref(path, coords).await {
        Ok(p) => Ok(p),
        Err(e) if absent(&e) => Ok(None),
        Err(e) => Err(session_error(key.as_str(), e)),
    }
}

/// The version of a key's current value, or `None` if absent.
async fn current_version(
    session: &Session,
    key: &StoreKey,
    k: &Key,
) -> Result<Option<Version>, StorageError> {
    match k {
        Key::Metadata(path) => Ok(node_at(session, key, path)
            .await?
            .map(|n| metadata_version(&n.user_data))),
        Key::Chunk(path, coords) => match chunk_at(session, key, path, coords).await? {
            Some(p) => chunk_version(key, &p).map(Some),
            None => Ok(None),
        },
    }
}

fn check_condition(
    key: &StoreKey,
    current: Option<&Version>,
    condition: &SetCondition,
) -> Result<(), StorageError> {
    match (condition, current) {
        (SetCondition::Absent, None) => Ok(()),
        (SetCondition::Absent, Some(_)) => Err(StorageError::Exists {
            key: key.to_string(),
        }),
        (SetCondition::Version(want), Some(have)) if want == have => Ok(()),
        (SetCondition::Version(_), _) => Err(changed(key)),
    }
}

/// Whether `key` starts with `prefix` (a store prefix: `""` or ending in `/`).
fn under(key: &str, prefix: &str) -> bool {
    key.starts_with(prefix)
}

impl Shared {
    fn stripe(&self, key: &StoreKey) -> &Mutex<()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.as_str().hash(&mut h);
        &self.stripes[(h.finish() % STRIPES as u64) as usize]
    }

    fn what(&self, key: &StoreKey) -> String {
        format!("{key} in {}", self.label)
    }

    async fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        // A key icechunk cannot hold is absent (zarrkit probes `.zarray` for V2 nodes).
        let Ok(k) = key::parse(key.as_str()) else {
            return Ok(None);
        };
        // The read lock is held until the bytes are in: no write of this session can swap
        // the reference in between (chunk objects themselves are immutable).
        let session = self.session.read().await;
        match k {
            Key::Metadata(path) => {
                let Some(node) = node_at(&session, key, &path).await? else {
                    return Ok(None);
                };
                let version = metadata_version(&node.user_data);
                read_from_memory(key, &node.user_data, &version, ranges, if_version).map(Some)
            }
            Key::Chunk(path, coords) => {
                let Some(payload) = chunk_at(&session, key, &path, &coords).await? else {
                    return Ok(None);
                };
                let version = chunk_version(key, &payload)?;
                if let Some(want) = if_version {
                    if *want != version {
                        return Err(changed(key));
                    }
                }
                if let ChunkPayload::Inline(b) = &payload {
                    return read_from_memory(key, b, &version, ranges, None).map(Some);
                }
                let size = payload.length();
                let resolved = ranges
                    .iter()
                    .map(|r| r.resolve(key, size))
                    .collect::<Result<Vec<_>, _>>()?;
                let fetches = resolved.into_iter().map(|r| {
                    let (session, path, coords) = (&session, &path, &coords);
                    async move {
                        if r.start == r.end {
                            return Ok(Bytes::new());
                        }
                        let range = icechunk::format::ByteRange::Bounded(r.clone());
                        let reader = session
                            .get_chunk_reader(path, coords, &range)
                            .await
                            .map_err(|e| session_error(&self.what(key), e))?
                            .ok_or_else(|| {
                                StorageError::Other(format!(
                                    "icechunk: {}: the chunk vanished during a read",
                                    self.what(key)
                                ))
                            })?;
                        let bytes = reader
                            .await
                            .map_err(|e| session_error(&self.what(key), e))?;
                        if bytes.len() as u64 != r.end - r.start {
                            return Err(StorageError::ValueSize {
                                key: format!("{key} (bytes {}..{})", r.start, r.end),
                                expected: r.end - r.start,
                                actual: bytes.len() as u64,
                            });
                        }
                        Ok(bytes)
                    }
                });
                let bytes = futures::future::try_join_all(fetches).await?;
                Ok(Some(ReadResult {
                    bytes,
                    size,
                    version,
                }))
            }
        }
    }

    fn check_writable(&self, session: &Session, key: &StoreKey) -> Result<(), StorageError> {
        if session.read_only() {
            Err(read_only(&self.what(key)))
        } else {
            Ok(())
        }
    }

    async fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        let k = key::parse(key.as_str()).map_err(|e| not_icechunk(key, e))?;
        match k {
            Key::Metadata(_) => {
                let _gate = self.gate.read().await;
                let _key = self.stripe(key).lock().await;
                self.store
                    .set(key.as_str(), value)
                    .await
                    .map_err(|e| store_error(&self.what(key), e))
            }
            Key::Chunk(..) => self
                .store
                .set(key.as_str(), value)
                .await
                .map_err(|e| store_error(&self.what(key), e)),
        }
    }

    async fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        let k = key::parse(key.as_str()).map_err(|e| not_icechunk(key, e))?;
        match k {
            Key::Metadata(_) => {
                let _gate = self.gate.read().await;
                let _key = self.stripe(key).lock().await;
                let current = {
                    let session = self.session.read().await;
                    self.check_writable(&session, key)?;
                    current_version(&session, key, &k).await?
                };
                check_condition(key, current.as_ref(), condition)?;
                self.store
                    .set(key.as_str(), value)
                    .await
                    .map_err(|e| store_error(&self.what(key), e))
            }
            Key::Chunk(ref path, ref coords) => {
                // Upload first (outside the write lock, as icechunk's own `set` does), then
                // compare and swap the chunk reference under the session's write lock.
                let writer = {
                    let session = self.session.read().await;
                    self.check_writable(&session, key)?;
                    // Fail early (no upload) when the condition already does not hold.
                    let current = current_version(&session, key, &k).await?;
                    check_condition(key, current.as_ref(), condition)?;
                    session
                        .get_chunk_writer()
                        .map_err(|e| session_error(&self.what(key), e))?
                };
                let payload = writer(value)
                    .await
                    .map_err(|e| session_error(&self.what(key), e))?;
                let mut session = self.session.write().await;
                let current = current_version(&session, key, &k).await?;
                check_condition(key, current.as_ref(), condition)?;
                session
                    .set_chunk_ref(path.clone(), coords.clone(), Some(payload))
                    .await
                    .map_err(|e| session_error(&self.what(key), e))
            }
        }
    }

    async fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        let Ok(k) = key::parse(key.as_str()) else {
            // Nothing can be stored at such a key: it does not hold `version`.
            return Err(changed(key));
        };
        let condition = SetCondition::Version(version.clone());
        match k {
            Key::Metadata(_) => {
                let _gate = self.gate.read().await;
                let _key = self.stripe(key).lock().await;
                let current = {
                    let session = self.session.read().await;
                    self.check_writable(&session, key)?;
                    current_version(&session, key, &k).await?
                };
                check_condition(key, current.as_ref(), &condition)?;
                self.store
                    .delete(key.as_str())
                    .await
                    .map_err(|e| store_error(&self.what(key), e))
            }
            Key::Chunk(ref path, ref coords) => {
                let mut session = self.session.write().await;
                self.check_writable(&session, key)?;
                let current = current_version(&session, key, &k).await?;
                check_condition(key, current.as_ref(), &condition)?;
                session
                    .delete_chunks(path, [coords.clone()])
                    .await
                    .map_err(|e| session_error(&self.what(key), e))
            }
        }
    }

    async fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        let Ok(k) = key::parse(key.as_str()) else {
            return Ok(());
        };
        if let Key::Metadata(_) = k {
            let _gate = self.gate.read().await;
            let _key = self.stripe(key).lock().await;
            return self
                .store
                .delete(key.as_str())
                .await
                .map_err(|e| store_error(&self.what(key), e));
        }
        self.store
            .delete(key.as_str())
            .await
            .map_err(|e| store_error(&self.what(key), e))
    }

    async fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        let what = || format!("prefix {:?} in {}", prefix.as_str(), self.label);
        let p = prefix.as_str();
        let _gate = self.gate.write().await;
        let mut session = self.session.write().await;
        if session.read_only() {
            return Err(read_only(&what()));
        }
        let nodes = self.nodes(&session, &what()).await?;
        // Nodes whose zarr.json is under the prefix go with everything below them (delete
        // the top-most only: deleting a group deletes its descendants).
        let mut deleted: Vec<String> = Vec::new();
        let mut arrays_left: Vec<NodeSnapshot> = Vec::new();
        for node in nodes {
            let dir = key::metadata_key(&node.path);
            let dir = dir.strip_suffix("zarr.json").unwrap_or(&dir).to_string();
            if under(&key::metadata_key(&node.path), p) {
                if deleted.iter().any(|d| dir.starts_with(d.as_str())) {
                    continue;
                }
                deleted.push(dir);
                session
                    .delete_node(node)
                    .await
                    .map_err(|e| session_error(&what(), e))?;
            } else if matches!(node.node_data, NodeData::Array { .. }) {
                arrays_left.push(node);
            }
        }
        // Chunks under the prefix of arrays whose metadata is not (`a/c/`, `a/c/0/`).
        for node in arrays_left {
            let cdir = key::chunk_dir(&node.path);
            if !(under(&cdir, p) || p.starts_with(&format!("{cdir}/"))) {
                continue;
            }
            let coords = self
                .chunk_keys(&session, &node.path, &what())
                .await?
                .into_iter()
                .filter(|(k, _)| under(k, p))
                .map(|(_, c)| c)
                .collect::<Vec<_>>();
            if !coords.is_empty() {
                session
                    .delete_chunks(&node.path, coords)
                    .await
                    .map_err(|e| session_error(&what(), e))?;
            }
        }
        Ok(())
    }

    async fn nodes(
        &self,
        session: &Session,
        what: &str,
    ) -> Result<Vec<NodeSnapshot>, StorageError> {
        let mut nodes = session
            .list_nodes(&Path::root())
            .await
            .map_err(|e| session_error(what, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| session_error(what, e))?;
        nodes.sort_by_cached_key(|n| n.path.to_string());
        Ok(nodes)
    }

    /// The chunk keys of an array (with their coordinates); at most `limit` of them.
    async fn chunk_keys_limited(
        &self,
        session: &Session,
        path: &Path,
        what: &str,
        limit: usize,
    ) -> Result<Vec<(String, ChunkIndices)>, StorageError> {
        let mut out = Vec::new();
        let stream = session.array_chunk_iterator(path).await;
        futures::pin_mut!(stream);
        while out.len() < limit {
            match stream.next().await {
                None => break,
                Some(Ok(info)) => out.push((key::chunk_key(path, &info.coord), info.coord)),
                Some(Err(e)) => return Err(session_error(what, e)),
            }
        }
        Ok(out)
    }

    async fn chunk_keys(
        &self,
        session: &Session,
        path: &Path,
        what: &str,
    ) -> Result<Vec<(String, ChunkIndices)>, StorageError> {
        self.chunk_keys_limited(session, path, what, usize::MAX)
            .await
    }

    /// The keys under a prefix. With `shallow`, an array whose chunk directory lies strictly
    /// below the prefix's first level contributes one chunk key at most (enough for
    /// `list_dir`).
    async fn keys_under(
        &self,
        prefix: &StorePrefix,
        shallow: bool,
    ) -> Result<Vec<String>, StorageError> {
        let what = format!("listing {:?} in {}", prefix.as_str(), self.label);
        let p = prefix.as_str();
        let session = self.session.read().await;
        let mut keys = Vec::new();
        for node in self.nodes(&session, &what).await? {
            let mk = key::metadata_key(&node.path);
            if under(&mk, p) {
                keys.push(mk);
            }
            if !matches!(node.node_data, NodeData::Array { .. }) {
                continue;
            }
            let cdir = key::chunk_dir(&node.path);
            // Chunk keys are `cdir` (zero-dimensional) or `cdir/...`.
            let reaches = under(&cdir, p) || p.starts_with(&format!("{cdir}/"));
            if !reaches {
                continue;
            }
            let one_is_enough = shallow && under(&cdir, p) && cdir[p.len()..].contains('/');
            let limit = if one_is_enough { 1 } else { usize::MAX };
            keys.extend(
                self.chunk_keys_limited(&session, &node.path, &what, limit)
                    .await?
                    .into_iter()
                    .map(|(k, _)| k)
                    .filter(|k| under(k, p)),
            );
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    async fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        self.keys_under(prefix, false)
            .await?
            .into_iter()
            .map(StoreKey::new)
            .collect()
    }

    async fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        let p = prefix.as_str();
        let mut keys = BTreeSet::new();
        let mut prefixes = BTreeMap::new();
        for k in self.keys_under(prefix, true).await? {
            let rest = &k[p.len()..];
            match rest.find('/') {
                Some(i) => {
                    prefixes.insert(format!("{p}{}", &rest[..=i]), ());
                }
                None => {
                    keys.insert(k);
                }
            }
        }
        Ok(ListDir {
            keys: keys
                .into_iter()
                .map(StoreKey::new)
                .collect::<Result<_, _>>()?,
            prefixes: prefixes
                .into_keys()
                .map(StorePrefix::new)
                .collect::<Result<_, _>>()?,
        })
    }
}

impl IcechunkStore {
    /// A store over an icechunk session (`label` names it in errors).
    pub fn from_session(session: Session, label: impl Into<String>) -> Self {
        Self::from_shared_session(Arc::new(RwLock::new(session)), label)
    }

    /// A store over a session shared with other users (icechunk's own `Store`, ...).
    pub fn from_shared_session(session: Arc<RwLock<Session>>, label: impl Into<String>) -> Self {
        // The concurrency of icechunk's `get_partial_values` (unused here) is irrelevant.
        let store = icechunk::Store::from_session_and_config(session.clone(), 10);
        Self {
            shared: Arc::new(Shared {
                session,
                repo: None,
                store,
                label: label.into(),
                gate: RwLock::new(()),
                stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            }),
        }
    }

    /// The icechunk session (shared with the store).
    pub fn session(&self) -> Arc<RwLock<Session>> {
        self.shared.session.clone()
    }

    fn with_session<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Session) -> T + Send + 'static,
    ) -> Result<T, StorageError> {
        let s = self.shared.clone();
        runtime::block(async move { Ok(f(&*s.session.read().await)) })
    }

    /// The snapshot the session is based on (after a commit: the new snapshot).
    pub fn snapshot_id(&self) -> Result<String, StorageError> {
        self.with_session(|s| s.snapshot_id().to_string())
    }

    /// The branch of a writable session (`None` for a read-only one).
    pub fn branch(&self) -> Result<Option<String>, StorageError> {
        self.with_session(|s| s.branch().map(str::to_string))
    }

    /// Whether the session is read-only.
    pub fn read_only(&self) -> Result<bool, StorageError> {
        self.with_session(|s| s.read_only())
    }

    /// Whether the session has changes that are not committed.
    pub fn has_uncommitted_changes(&self) -> Result<bool, StorageError> {
        self.with_session(|s| s.has_uncommitted_changes())
    }

    /// Drop the session's uncommitted changes.
    pub fn discard_changes(&self) -> Result<(), StorageError> {
        let s = self.shared.clone();
        runtime::block(async move {
            let label = s.label.clone();
            s.session
                .write()
                .await
                .discard_changes()
                .map_err(|e| session_error(&label, e))
        })
    }

    async fn commit_inner(
        shared: Arc<Shared>,
        message: String,
        rebase_attempts: Option<u16>,
    ) -> Result<String, StorageError> {
        let _gate = shared.gate.write().await;
        let mut session = shared.session.write().await;
        let what = format!("commit to {}", shared.label);
        if session.read_only() {
            return Err(read_only(&what));
        }
        let branch = session.branch().map(str::to_string);
        let builder = session.commit(message);
        let id = match rebase_attempts {
            None => builder.execute().await,
            Some(n) => builder.rebase(&ConflictDetector, n).execute().await,
        }
        .map_err(|e| session_error(&what, e))?;
        // icechunk makes a committed session read-only: continue in a new one.
        if let (Some(repo), Some(branch)) = (&shared.repo, branch) {
            *session = repo.writable_session(&branch).await.map_err(|e| {
                StorageError::Other(format!(
                    "icechunk: {what}: committed snapshot {id}, but no new session of branch \
                     {branch} could be started (the store is read-only now): {}",
                    error_text(&e.kind)
                ))
            })?;
        }
        Ok(id.to_string())
    }

    /// Commit the session's changes as a new snapshot on its branch; the id of the snapshot.
    /// If the branch moved since the session started, [`StorageError::Changed`] (see
    /// [`Self::commit_rebasing`]). icechunk makes a committed session read-only: a store
    /// from [`IcechunkRepository`] continues in a new writable session of the branch (at its
    /// tip: the new snapshot unless another writer committed since); a store made with
    /// [`Self::from_session`] becomes read-only.
    pub fn commit(&self, message: &str) -> Result<String, StorageError> {
        runtime::block(Self::commit_inner(
            self.shared.clone(),
            message.to_string(),
            None,
        ))
    }

    /// [`Self::commit`], async.
    pub async fn commit_async(&self, message: &str) -> Result<String, StorageError> {
        runtime::run(Self::commit_inner(
            self.shared.clone(),
            message.to_string(),
            None,
        ))
        .await
    }

    /// Commit, rebasing onto the branch's tip (up to `attempts` times) when it moved and the
    /// changes do not conflict (icechunk's `ConflictDetector`: the same chunk or node changed
    /// on both sides is a conflict, and an error).
    pub fn commit_rebasing(&self, message: &str, attempts: u16) -> Result<String, StorageError> {
        runtime::block(Self::commit_inner(
            self.shared.clone(),
            message.to_string(),
            Some(attempts),
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Async traits.

impl AsyncReadableStorageTraits for IcechunkStore {
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        let (s, key, ranges, v) = (
            self.shared.clone(),
            key.clone(),
            ranges.to_vec(),
            if_version.cloned(),
        );
        Box::pin(runtime::run(async move {
            s.read(&key, &ranges, v.as_ref()).await
        }))
    }
}

impl AsyncWritableStorageTraits for IcechunkStore {
    fn set<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, key) = (self.shared.clone(), key.clone());
        Box::pin(runtime::run(async move { s.set(&key, value).await }))
    }

    fn set_if<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
        condition: &'a SetCondition,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, key, c) = (self.shared.clone(), key.clone(), condition.clone());
        Box::pin(runtime::run(async move { s.set_if(&key, value, &c).await }))
    }

    fn erase_if<'a>(
        &'a self,
        key: &'a StoreKey,
        version: &'a Version,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, key, v) = (self.shared.clone(), key.clone(), version.clone());
        Box::pin(runtime::run(async move { s.erase_if(&key, &v).await }))
    }

    fn supports_conditional_writes(&self) -> bool {
        true
    }

    fn erase<'a>(&'a self, key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, key) = (self.shared.clone(), key.clone());
        Box::pin(runtime::run(async move { s.erase(&key).await }))
    }

    fn erase_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        Box::pin(runtime::run(async move { s.erase_prefix(&p).await }))
    }
}

impl AsyncListableStorageTraits for IcechunkStore {
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        Box::pin(runtime::run(async move { s.list_prefix(&p).await }))
    }

    fn list_dir<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<ListDir, StorageError>> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        Box::pin(runtime::run(async move { s.list_dir(&p).await }))
    }
}

// ---------------------------------------------------------------------------------------
// Sync traits: the same calls, waited for on the calling thread.

impl ReadableStorageTraits for IcechunkStore {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let (s, key, ranges, v) = (
            self.shared.clone(),
            key.clone(),
            ranges.to_vec(),
            if_version.cloned(),
        );
        runtime::block(async move { s.read(&key, &ranges, v.as_ref()).await })
    }
}

impl WritableStorageTraits for IcechunkStore {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        let (s, key) = (self.shared.clone(), key.clone());
        runtime::block(async move { s.set(&key, value).await })
    }

    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        let (s, key, c) = (self.shared.clone(), key.clone(), condition.clone());
        runtime::block(async move { s.set_if(&key, value, &c).await })
    }

    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        let (s, key, v) = (self.shared.clone(), key.clone(), version.clone());
        runtime::block(async move { s.erase_if(&key, &v).await })
    }

    fn supports_conditional_writes(&self) -> bool {
        true
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        let (s, key) = (self.shared.clone(), key.clone());
        runtime::block(async move { s.erase(&key).await })
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        runtime::block(async move { s.erase_prefix(&p).await })
    }
}

impl ListableStorageTraits for IcechunkStore {
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        runtime::block(async move { s.list_prefix(&p).await })
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        runtime::block(async move { s.list_dir(&p).await })
    }
}

// ---------------------------------------------------------------------------------------
// URLs.

/// What an `icechunk+file://` URL asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlSpec {
    /// The repository's directory.
    pub path: PathBuf,
    /// The session's snapshot.
    pub version: VersionSpec,
    /// A read-only session of a branch.
    pub readonly: bool,
    /// Create the repository if there is none.
    pub create: bool,
}

fn percent_decode(s: &str, url: &str) -> Result<String, StorageError> {
    let bad = || StorageError::Other(format!("icechunk URL {url:?}: bad percent-encoding"));
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// Parse an `icechunk+file://PATH[?branch=B|tag=T|snapshot=S][&readonly][&create]` URL.
pub fn parse_url(url: &str) -> Result<UrlSpec, StorageError> {
    let bad = |why: &str| StorageError::Other(format!("icechunk URL {url:?}: {why}"));
    let rest = url
        .strip_prefix(SCHEME)
        .and_then(|r| r.strip_prefix("://"))
        .ok_or_else(|| bad("expected icechunk+file://PATH"))?;
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, q),
        None => (rest, ""),
    };
    if path.is_empty() {
        return Err(bad("it names no repository directory"));
    }
    let mut version = None;
    let (mut readonly, mut create) = (false, false);
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = match part.split_once('=') {
            Some((k, v)) => (k, Some(percent_decode(v, url)?)),
            None => (part, None),
        };
        let flag = |v: &Option<String>| match v.as_deref() {
            None | Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(o) => Err(bad(&format!("{k}={o}: expected true or false"))),
        };
        let set = |version: &mut Option<VersionSpec>, spec: VersionSpec| {
            if version.replace(spec).is_some() {
                Err(bad("more than one of branch, tag and snapshot"))
            } else {
                Ok(())
            }
        };
        match (k, v) {
            ("branch", Some(b)) => set(&mut version, VersionSpec::Branch(b))?,
            ("tag", Some(t)) => set(&mut version, VersionSpec::Tag(t))?,
            ("snapshot", Some(s)) => set(&mut version, VersionSpec::Snapshot(s))?,
            ("readonly", ref v) => readonly = flag(v)?,
            ("create", ref v) => create = flag(v)?,
            (k, _) => {
                return Err(bad(&format!(
                    "unknown parameter {k:?} (branch=, tag=, snapshot=, readonly, create)"
                )))
            }
        }
    }
    Ok(UrlSpec {
        path: PathBuf::from(percent_decode(path, url)?),
        version: version.unwrap_or_else(|| VersionSpec::Branch(DEFAULT_BRANCH.to_string())),
        readonly,
        create,
    })
}

/// Open the store an `icechunk+file://` URL names (see the crate documentation).
pub fn open_url_store(url: &str) -> Result<IcechunkStore, StorageError> {
    let spec = parse_url(url)?;
    let repo = if spec.create {
        IcechunkRepository::open_or_create_local(&spec.path)?
    } else {
        IcechunkRepository::open_local(&spec.path)?
    };
    match (&spec.version, spec.readonly) {
        (VersionSpec::Branch(b), false) => repo.writable_session(b),
        (v, _) => repo.readonly_session(v),
    }
}

fn open_url(url: &str) -> Result<ReadableWritableListableStorage, StorageError> {
    Ok(Arc::new(open_url_store(url)?))
}

fn open_url_async(url: &str) -> Result<AsyncReadableWritableListableStorage, StorageError> {
    Ok(Arc::new(open_url_store(url)?))
}

zarrkit_core::inventory::submit! { StorePlugin::new(SCHEME, open_url).with_async(open_url_async) }
