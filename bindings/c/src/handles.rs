//! Handles: C sees an opaque pointer; it is an identifier, never dereferenced.
//!
//! Every live object sits in a registry of its type, keyed by a number drawn from one
//! counter and never reused (the low bits tag the type). A call looks the number up under a
//! read lock and takes a clone of the object's `Arc`; destroy removes the entry. So:
//! - a destroyed handle, a handle destroyed twice, a handle of another type or any other
//!   value is `ZARRKIT_STATUS_INVALID_HANDLE`, not undefined behaviour;
//! - a handle destroyed by one thread while another thread uses it stays valid for that
//!   call (it holds the `Arc`), and is freed when the call returns;
//! - objects own what they need (`Arc`s): an array keeps its store alive, so handles may
//!   be destroyed in any order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::error::{Error, Result, ZarrkitStatus};

/// The number of low bits of a handle that tag its type.
const TAG_BITS: u32 = 4;
const TAG_MASK: usize = (1 << TAG_BITS) - 1;

/// The next handle number (shifted left by `TAG_BITS`). Starts at 1: no handle is 0.
static NEXT: AtomicUsize = AtomicUsize::new(1);

/// The count of live handles of every type (diagnostics).
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The type names, by tag, for error messages.
const TYPE_NAMES: [&str; 9] = [
    "(none)",
    "ZarrkitStore",
    "ZarrkitArray",
    "ZarrkitGroup",
    "ZarrkitArrayBuilder",
    "ZarrkitVariableData",
    "ZarrkitNodeList",
    "ZarrkitSelection",
    "(unused)",
];

/// A registry of live objects of one type.
pub(crate) struct Registry<T> {
    tag: usize,
    map: RwLock<BTreeMap<usize, Arc<T>>>,
}

impl<T> Registry<T> {
    pub(crate) const fn new(tag: usize) -> Self {
        Self {
            tag,
            map: parking_lot::const_rwlock(BTreeMap::new()),
        }
    }

    fn type_name(&self) -> &'static str {
        TYPE_NAMES.get(self.tag).copied().unwrap_or("(unknown)")
    }

    /// Register an object; its handle number.
    pub(crate) fn insert(&self, object: T) -> usize {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = (n << TAG_BITS) | self.tag;
        self.map.write().insert(id, Arc::new(object));
        LIVE.fetch_add(1, Ordering::Relaxed);
        id
    }

    fn not_live(&self, id: usize, arg: &str) -> Error {
        let tag = id & TAG_MASK;
        let message = if id == 0 {
            return Error::null(arg);
        } else if tag != self.tag && tag != 0 && tag < TYPE_NAMES.len() - 1 {
            format!(
                "argument `{arg}` is not a {} handle (its value is tagged as a {} handle)",
                self.type_name(),
                TYPE_NAMES[tag]
            )
        } else {
            format!(
                "argument `{arg}` is not a live {} handle (destroyed, or never created)",
                self.type_name()
            )
        };
        Error::new(ZarrkitStatus::InvalidHandle, message)
    }

    /// The object of a live handle.
    pub(crate) fn get(&self, id: usize, arg: &str) -> Result<Arc<T>> {
        if id & TAG_MASK != self.tag {
            return Err(self.not_live(id, arg));
        }
        self.map
            .read()
            .get(&id)
            .cloned()
            .ok_or_else(|| self.not_live(id, arg))
    }

    /// Unregister a handle. The object is dropped outside the lock (when the last call
    /// using it returns).
    pub(crate) fn remove(&self, id: usize, arg: &str) -> Result<()> {
        if id & TAG_MASK != self.tag {
            return Err(self.not_live(id, arg));
        }
        let removed = self.map.write().remove(&id);
        match removed {
            Some(object) => {
                LIVE.fetch_sub(1, Ordering::Relaxed);
                drop(object);
                Ok(())
            }
            None => Err(self.not_live(id, arg)),
        }
    }
}

/// The number of live handles of all types.
pub(crate) fn live_count() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The handle number of a C handle pointer.
pub(crate) fn id_of<T>(p: *const T) -> usize {
    p.addr()
}

/// The C handle pointer of a handle number (never dereferenced, so it carries no
/// provenance).
pub(crate) fn ptr_of<T>(id: usize) -> *mut T {
    std::ptr::without_provenance_mut(id)
}

/// Tags, one per handle type.
pub(crate) const TAG_STORE: usize = 1;
pub(crate) const TAG_ARRAY: usize = 2;
pub(crate) const TAG_GROUP: usize = 3;
pub(crate) const TAG_BUILDER: usize = 4;
pub(crate) const TAG_VARIABLE_DATA: usize = 5;
pub(crate) const TAG_NODE_LIST: usize = 6;
pub(crate) const TAG_SELECTION: usize = 7;
