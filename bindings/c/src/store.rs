//! Store handles: from a URL (the scheme registry Rust uses), a JSON configuration, or a new
//! memory store.

use std::ffi::c_char;
use std::sync::Arc;

use zarrkit::serde_json::Value;
use zarrkit::storage::{MemoryStore, StoreKey};
use zarrkit::store_zip::{write_zip_to_store, ZipWriteOptions};
use zarrkit::{DynStore, NodePath};

use crate::error::{ffi, Error, Result, ZarrkitStatus};
use crate::handles::{id_of, Registry, TAG_STORE};
use crate::util::{cstr, out_handle, parse_json_object, write_out};

/// An open store. Opaque: create with `zarrkit_store_open_url`, `zarrkit_store_open_json`
/// or `zarrkit_store_create_memory`, release with `zarrkit_store_destroy`. Arrays and groups
/// opened on a store keep it alive: destroying the store handle first is fine.
pub struct ZarrkitStore {
    _opaque: [u8; 0],
}

/// The kind of a node.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZarrkitNodeKind {
    /// No node at the path.
    None = 0,
    /// An array.
    Array = 1,
    /// A group.
    Group = 2,
}

pub(crate) static STORES: Registry<Arc<DynStore>> = Registry::new(TAG_STORE);

/// The store of a handle.
pub(crate) fn store(p: *const ZarrkitStore, arg: &str) -> Result<Arc<DynStore>> {
    STORES.get(id_of(p), arg).map(|s| (*s).clone())
}

fn open_url(url: &str) -> Result<Arc<DynStore>> {
    zarrkit::open_store(url).map_err(|e| Error::from(e).or_path(url))
}

/// The URL a JSON store configuration names.
fn url_of_config(json: &str) -> Result<String> {
    let config = parse_json_object(json, "config_json")?;
    let string = |key: &str| -> Result<Option<&str>> {
        match config.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::invalid(format!(
                "store configuration: `{key}` must be a string"
            ))),
        }
    };
    if let Some(k) = config
        .keys()
        .find(|k| !matches!(k.as_str(), "url" | "scheme" | "path"))
    {
        return Err(Error::invalid(format!(
            "store configuration: unknown member `{k}` (known: `url`, or `scheme` with `path`)"
        )));
    }
    match (string("url")?, string("scheme")?, string("path")?) {
        (Some(url), None, None) => Ok(url.to_string()),
        (None, Some(scheme), path) => {
            if scheme.is_empty() || scheme.contains("://") {
                return Err(Error::invalid(format!(
                    "store configuration: `scheme` must be a bare scheme such as \"file\", not {scheme:?}"
                )));
            }
            Ok(format!("{scheme}://{}", path.unwrap_or("")))
        }
        _ => Err(Error::invalid(
            "store configuration: give either `url`, or `scheme` (with an optional `path`)",
        )),
    }
}

/// Open a store from a URL or a filesystem path: `file:///data/x.zarr`, `/data/x.zarr`,
/// `memory://`, or any scheme a linked store plugin registers, exactly as Rust's
/// `zarrkit::open_store` (the same registry: `zarrkit_registered_plugins_json` lists the
/// schemes). With the default plugins: `http://` and `https://` (read-only; listing
/// needs consolidated metadata), `zip+file://`, `zip+http(s)://` and, where an object-store
/// plugin is linked, `zip+s3://` etc. (`zip+<scheme>://<archive>[#<root folder>]`), and
/// `s3://`, `gs://`, `az://` when that plugin is linked (credentials, region and endpoint
/// from the plugin's usual environment variables, e.g. `AWS_ENDPOINT`). Each `memory://`
/// open is a new, empty store.
///
/// On success `*out_store` is a new handle; on failure it is NULL. Errors:
/// `ZARRKIT_STATUS_UNKNOWN_SCHEME` (no plugin for the scheme; the path names the URL),
/// `ZARRKIT_STATUS_STORAGE`, `ZARRKIT_STATUS_NULL_POINTER`, `ZARRKIT_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `url` must be NULL or a NUL-terminated string; `out_store` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_store_open_url(
    url: *const c_char,
    out_store: *mut *mut ZarrkitStore,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { out_handle(out_store, "out_store")? };
        // SAFETY: forwarded.
        let url = unsafe { cstr(url, "url")? };
        let store = open_url(url)?;
        out.set(STORES.insert(store));
        Ok(())
    })
}

/// Open a store from a JSON configuration: `{"url": "<url>"}` (as `zarrkit_store_open_url`)
/// or `{"scheme": "file", "path": "/data/x.zarr"}` (the URL `scheme://path`; `path` may be
/// omitted, as for `{"scheme": "memory"}`). Unknown members are an error rather than
/// ignored, so options a later version understands (credentials, endpoints) are never
/// silently dropped.
///
/// # Safety
/// `config_json` must be NULL or a NUL-terminated string; `out_store` NULL or valid for a
/// write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_store_open_json(
    config_json: *const c_char,
    out_store: *mut *mut ZarrkitStore,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_store, "out_store")? };
        // SAFETY: forwarded.
        let json = unsafe { cstr(config_json, "config_json")? };
        let url = url_of_config(json)?;
        let store = open_url(&url)?;
        out.set(STORES.insert(store));
        Ok(())
    })
}

/// Create a new, empty in-memory store.
///
/// # Safety
/// `out_store` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_store_create_memory(
    out_store: *mut *mut ZarrkitStore,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_store, "out_store")? };
        let store: Arc<DynStore> = Arc::new(MemoryStore::new());
        out.set(STORES.insert(store));
        Ok(())
    })
}

/// Destroy a store handle. Arrays and groups opened on it keep the store itself alive until
/// they are destroyed too. NULL is accepted and does nothing (like `free`). A handle that
/// was already destroyed gives `ZARRKIT_STATUS_INVALID_HANDLE` (handles are never reused,
/// so this is detected, never undefined behaviour).
#[no_mangle]
pub extern "C" fn zarrkit_store_destroy(store: *mut ZarrkitStore) -> ZarrkitStatus {
    ffi(|| {
        if store.is_null() {
            return Ok(());
        }
        STORES.remove(id_of(store), "store")
    })
}

/// Write every key of `source` into a new zip archive stored as `key` of `dest` (built in
/// memory, then one write: a reader never sees half an archive): stored (uncompressed)
/// entries, ZIP64 where needed, metadata documents first. With `ozx` true it is an
/// OME-Zarr zip file (RFC-9 `.ozx`: ZIP64 always, the root `zarr.json` first, the OME
/// archive comment; `source` needs a root `zarr.json`). Open it again with a
/// `zip+<scheme>://` URL, e.g. `zip+file:///data/x.zip`. `*out_entries` (may be NULL)
/// receives the number of entries written.
///
/// # Safety
/// `key` must be NULL or a NUL-terminated string; `out_entries` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_store_write_zip(
    source: *const ZarrkitStore,
    dest: *const ZarrkitStore,
    key: *const c_char,
    ozx: bool,
    out_entries: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let src = self::store(source, "source")?;
        let dst = self::store(dest, "dest")?;
        // SAFETY: forwarded.
        let key = unsafe { cstr(key, "key")? };
        let store_key = StoreKey::new(key).map_err(|e| Error::from(e).or_path(key))?;
        let options = if ozx {
            ZipWriteOptions::ozx()
        } else {
            ZipWriteOptions::new()
        };
        let summary = write_zip_to_store(&*src, &*dst, &store_key, &options)
            .map_err(|e| Error::from(e).or_path(key))?;
        if !out_entries.is_null() {
            // SAFETY: forwarded.
            unsafe { write_out(out_entries, summary.entries, "out_entries")? };
        }
        Ok(())
    })
}

/// The kind of the node at `path` of a store (`ZARRKIT_NODE_KIND_NONE` if there is none),
/// from its `zarr.json`, or `.zarray` / `.zgroup` (V2). The metadata is parsed, not bound
/// to plugins.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out_kind` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_store_node_kind(
    store: *const ZarrkitStore,
    path: *const c_char,
    out_kind: *mut ZarrkitNodeKind,
) -> ZarrkitStatus {
    ffi(|| {
        let s = self::store(store, "store")?;
        // SAFETY: forwarded.
        let path = unsafe { cstr(path, "path")? };
        let node = NodePath::new(path).map_err(|e| Error::from(e).or_path(path))?;
        let kind = match zarrkit::node::read_node_metadata(&*s, &node)
            .map_err(|e| Error::from(e).or_path(path))?
        {
            None => ZarrkitNodeKind::None,
            Some(zarrkit::NodeMetadata::Array(_)) => ZarrkitNodeKind::Array,
            Some(zarrkit::NodeMetadata::Group(_)) => ZarrkitNodeKind::Group,
        };
        // SAFETY: forwarded.
        unsafe { write_out(out_kind, kind, "out_kind") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_urls() -> Result<(), String> {
        let ok = |j: &str| url_of_config(j).map_err(|e| e.message);
        assert_eq!(ok(r#"{"url": "memory://"}"#)?, "memory://");
        assert_eq!(ok(r#"{"scheme": "memory"}"#)?, "memory://");
        assert_eq!(
            ok(r#"{"scheme": "file", "path": "/x.zarr"}"#)?,
            "file:///x.zarr"
        );
        for bad in [
            r#"{}"#,
            r#"[]"#,
            r#"{"url": 3}"#,
            r#"{"url": "memory://", "scheme": "file"}"#,
            r#"{"scheme": "file://"}"#,
            r#"{"url": "memory://", "token": "x"}"#,
            "not json",
        ] {
            let e = url_of_config(bad).err().ok_or(format!("{bad} accepted"))?;
            assert_eq!(
                e.code,
                ZarrkitStatus::InvalidArgument,
                "{bad}: {}",
                e.message
            );
        }
        Ok(())
    }
}
