//! Opening what a URL argument names: a store through the scheme registry
//! (`zarrkit::open_store`: a path or any scheme a linked store plugin registers), then a
//! node in it.

use std::sync::Arc;

use zarrkit::storage::{ListableStorageTraits, StorePrefix, WritableStorageTraits};
use zarrkit::{Array, DynStore, Node};

use crate::error::{fail, CliError, Context};

/// A store opened from a URL.
pub fn store(url: &str) -> Result<Arc<DynStore>, CliError> {
    zarrkit::open_store(url).ctx(|| format!("cannot open store {url}"))
}

/// The node at `path` of the store at `url`.
pub fn node(url: &str, path: &str) -> Result<Node<DynStore>, CliError> {
    let s = store(url)?;
    Node::open(s, path).map_err(|e| match e {
        zarrkit::ArrayError::NotFound(_) => CliError::new(format!(
            "no Zarr array or group at {} (no zarr.json, .zarray or .zgroup)",
            where_(url, path)
        )),
        other => CliError::new(other).context(format!("cannot open {}", where_(url, path))),
    })
}

/// The array at the root of the store at `url` (or at `path`).
pub fn array(url: &str, path: &str) -> Result<Array<DynStore>, CliError> {
    match node(url, path)? {
        Node::Array(a) => Ok(a),
        Node::Group(_) => fail(format!(
            "{} is a group, not an array (give the array's own path or URL)",
            where_(url, path)
        )),
    }
}

/// The group at `path` of the store at `url`, or the array there.
pub fn group_or_array(url: &str, path: &str) -> Result<Node<DynStore>, CliError> {
    node(url, path)
}

/// `url` or `url` + node path, for messages.
pub fn where_(url: &str, path: &str) -> String {
    if path == "/" || path.is_empty() {
        url.to_string()
    } else {
        format!("{url} (node {path})")
    }
}

/// Open the store for a new array at `url`: it must hold no keys, unless `overwrite`, in
/// which case everything under it is erased.
pub fn new_output(url: &str, overwrite: bool) -> Result<Arc<DynStore>, CliError> {
    let s = store(url)?;
    let keys = s
        .list_prefix(&StorePrefix::root())
        .ctx(|| format!("cannot list output {url}"))?;
    if !keys.is_empty() {
        if !overwrite {
            return fail(format!(
                "output {url} is not empty ({} keys, e.g. {}); use --overwrite to replace it",
                keys.len(),
                keys[0]
            ));
        }
        s.erase_prefix(&StorePrefix::root())
            .ctx(|| format!("cannot erase output {url}"))?;
    }
    Ok(s)
}

/// The total size of the values under the store's root (`None` if the store cannot list).
pub fn stored_size(store: &DynStore) -> Option<u64> {
    use rayon::prelude::*;
    use zarrkit::storage::ReadableStorageExt;
    let keys = store.list_prefix(&StorePrefix::root()).ok()?;
    keys.par_iter()
        .map(|k| store.size_key(k).ok().flatten())
        .try_fold(|| 0u64, |a, s| s.map(|s| a.saturating_add(s)))
        .try_reduce(|| 0, |a, b| Some(a.saturating_add(b)))
}

/// Whether two URLs name the same place (the same text, or paths of the same directory).
pub fn same_location(a: &str, b: &str) -> bool {
    let strip = |s: &str| {
        s.strip_prefix("file://")
            .unwrap_or(s)
            .trim_end_matches('/')
            .to_string()
    };
    let (x, y) = (strip(a), strip(b));
    if x == y {
        return true;
    }
    match (std::fs::canonicalize(&x), std::fs::canonicalize(&y)) {
        (Ok(p), Ok(q)) => p == q,
        _ => false,
    }
}
