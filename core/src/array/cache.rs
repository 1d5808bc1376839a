//! Caches of an array (shared by its clones), all holding values tagged with the version of
//! the stored value they came from (quick_cache underneath, usable from sync and async):
//!
//! - the **partial-decoder cache** (on by default): state a partial decode learned and a
//!   later one reuses — a sharded array's decoded shard indexes. A read that uses one demands
//!   its version from the store, so a shard rewritten by anyone (another process included)
//!   is noticed by the very request that reads the inner chunks, and read again; bounded by
//!   bytes ([`crate::Config::partial_decoder_cache_bytes`]) or by count;
//! - an optional **chunk cache** ([`ChunkCacheConfig`]): encoded or decoded chunks, bounded
//!   by count or bytes; with `validate` each hit costs one version check (a `stat`, a `HEAD`)
//!   instead of a read, without it hits are served as they are (for data nobody rewrites).

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Weighter;

use super::Array;
use crate::array_bytes::ArrayBytes;
use crate::codec::ReusableState;
use crate::config::Config;
use crate::storage::{Bytes, StoreKey, Version};

/// What a cache's capacity counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheCapacity {
    /// At most this many entries.
    Count(u64),
    /// At most this many bytes of cached values.
    Bytes(u64),
}

impl From<usize> for CacheCapacity {
    fn from(n: usize) -> Self {
        Self::Count(n as u64)
    }
}

/// What a chunk cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkCacheKind {
    /// Encoded chunks as stored (small; every hit still decodes).
    Encoded,
    /// Decoded chunks (large; a hit only copies).
    Decoded,
}

/// A chunk cache's configuration ([`Array::with_chunk_cache`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkCacheConfig {
    /// Encoded or decoded chunks.
    pub kind: ChunkCacheKind,
    /// The bound.
    pub capacity: CacheCapacity,
    /// Check each hit's version with the store before using it (one cheap request): the
    /// cache is then never stale, also when other processes write.
    pub validate: bool,
}

impl ChunkCacheConfig {
    /// A cache of `kind` bounded by `capacity`, validated.
    pub fn new(kind: ChunkCacheKind, capacity: CacheCapacity) -> Self {
        Self {
            kind,
            capacity,
            validate: true,
        }
    }

    /// The same cache with hits validated or not.
    pub fn with_validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }
}

/// A cached chunk.
#[derive(Clone)]
pub(crate) enum CachedChunk {
    Encoded(Version, Bytes),
    Decoded(Version, Arc<ArrayBytes>),
}

impl CachedChunk {
    pub(crate) fn version(&self) -> &Version {
        match self {
            Self::Encoded(v, _) | Self::Decoded(v, _) => v,
        }
    }
}

#[derive(Clone, Copy)]
struct Weigh(bool);

impl Weighter<StoreKey, (Version, ReusableState)> for Weigh {
    fn weight(&self, _: &StoreKey, v: &(Version, ReusableState)) -> u64 {
        if self.0 {
            v.1.size().max(1) as u64
        } else {
            1
        }
    }
}

impl Weighter<StoreKey, CachedChunk> for Weigh {
    fn weight(&self, _: &StoreKey, v: &CachedChunk) -> u64 {
        if !self.0 {
            return 1;
        }
        let n = match v {
            CachedChunk::Encoded(_, b) => b.len(),
            CachedChunk::Decoded(_, b) => match &**b {
                ArrayBytes::Fixed(b) => b.len(),
                ArrayBytes::Variable { bytes, offsets } => {
                    bytes.len() + offsets.len() * std::mem::size_of::<usize>()
                }
            },
        };
        n.max(1) as u64
    }
}

fn new_cache<V: Clone>(capacity: CacheCapacity) -> Option<Cache<StoreKey, V, Weigh>>
where
    Weigh: Weighter<StoreKey, V>,
{
    let (items, weight, by_bytes) = match capacity {
        CacheCapacity::Count(0) | CacheCapacity::Bytes(0) => return None,
        CacheCapacity::Count(n) => (n.min(1 << 20) as usize, n, false),
        // A guess of the entry count for the table size: 4 KiB per entry.
        CacheCapacity::Bytes(n) => (((n / 4096).clamp(16, 1 << 20)) as usize, n, true),
    };
    Some(Cache::with_weighter(items, weight, Weigh(by_bytes)))
}

/// The caches of an array and its clones.
pub(crate) struct Caches {
    partial_capacity: CacheCapacity,
    partial: Option<Cache<StoreKey, (Version, ReusableState), Weigh>>,
    chunks: Option<(ChunkCacheConfig, Cache<StoreKey, CachedChunk, Weigh>)>,
}

impl Caches {
    pub(crate) fn new(config: &Config) -> Self {
        Self::build(
            CacheCapacity::Bytes(config.partial_decoder_cache_bytes),
            None,
        )
    }

    fn build(partial_capacity: CacheCapacity, chunks: Option<ChunkCacheConfig>) -> Self {
        Self {
            partial_capacity,
            partial: new_cache(partial_capacity),
            chunks: chunks.and_then(|cfg| new_cache(cfg.capacity).map(|c| (cfg, c))),
        }
    }

    pub(crate) fn partial_get(&self, key: &StoreKey) -> Option<(Version, ReusableState)> {
        self.partial.as_ref()?.get(key)
    }

    pub(crate) fn partial_insert(&self, key: &StoreKey, version: Version, state: ReusableState) {
        if let Some(c) = &self.partial {
            c.insert(key.clone(), (version, state));
        }
    }

    pub(crate) fn chunk_config(&self) -> Option<&ChunkCacheConfig> {
        self.chunks.as_ref().map(|(c, _)| c)
    }

    pub(crate) fn chunk_get(&self, key: &StoreKey) -> Option<CachedChunk> {
        self.chunks.as_ref()?.1.get(key)
    }

    pub(crate) fn chunk_insert(&self, key: &StoreKey, chunk: CachedChunk) {
        if let Some((_, c)) = &self.chunks {
            c.insert(key.clone(), chunk);
        }
    }

    /// Forget everything about `key` (it was written or erased through this array).
    pub(crate) fn invalidate(&self, key: &StoreKey) {
        if let Some(c) = &self.partial {
            c.remove(key);
        }
        if let Some((_, c)) = &self.chunks {
            c.remove(key);
        }
    }

    /// Forget about `key` in the partial-decoder cache only.
    pub(crate) fn partial_remove(&self, key: &StoreKey) {
        if let Some(c) = &self.partial {
            c.remove(key);
        }
    }

    fn clear(&self) {
        if let Some(c) = &self.partial {
            c.clear();
        }
        if let Some((_, c)) = &self.chunks {
            c.clear();
        }
    }
}

impl<S: ?Sized> Array<S> {
    /// Bound the partial-decoder cache (for a sharded array, the decoded shard indexes) by
    /// `capacity` — a count (`usize`) or [`CacheCapacity::Bytes`]; a capacity of 0 turns it
    /// off. The cache is on by default ([`crate::Config::partial_decoder_cache_bytes`]) and
    /// safe with concurrent writers: each use is checked against the stored value's version.
    pub fn with_partial_decoder_cache(mut self, capacity: impl Into<CacheCapacity>) -> Self {
        let chunks = self.caches.chunk_config().copied();
        self.caches = Arc::new(Caches::build(capacity.into(), chunks));
        self
    }

    /// Cache chunks as configured (none by default).
    pub fn with_chunk_cache(mut self, config: ChunkCacheConfig) -> Self {
        self.caches = Arc::new(Caches::build(self.caches.partial_capacity, Some(config)));
        self
    }

    /// Drop every cached entry (partial decoders and chunks).
    pub fn clear_caches(&self) {
        self.caches.clear();
    }

    /// Drop every cached partial decoder (kept for zarrs users; see
    /// [`Array::clear_caches`]).
    pub fn clear_partial_decoder_cache(&self) {
        self.caches.clear();
    }

    pub(crate) fn invalidate(&self, key: &StoreKey) {
        self.caches.invalidate(key);
    }
}
