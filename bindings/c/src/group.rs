//! Group handles: create, open, attributes, children, consolidated metadata.

use std::ffi::c_char;

use parking_lot::RwLock;
use zarrkit::serde_json::Value;
use zarrkit::{DynStore, Group, GroupBuilder, GroupMetadataV2, Node};

use crate::array::{insert_array, ZarrkitArray};
use crate::error::{ffi, write_string, Error, Result, ZarrkitStatus};
use crate::handles::{id_of, Registry, TAG_GROUP, TAG_NODE_LIST};
use crate::store::{store, ZarrkitNodeKind, ZarrkitStore};
use crate::util::{cstr, opt_cstr, out_handle, parse_json, parse_json_object, write_out};

/// An open group (V3 or V2). Opaque: from `zarrkit_group_create`, `zarrkit_group_open` or
/// `zarrkit_group_open_group`; release with `zarrkit_group_destroy`. It keeps its store
/// alive.
pub struct ZarrkitGroup {
    _opaque: [u8; 0],
}

/// A listing of a group's children: names and kinds. Opaque: from
/// `zarrkit_group_children`; release with `zarrkit_node_list_destroy`.
pub struct ZarrkitNodeList {
    _opaque: [u8; 0],
}

struct GroupObject {
    group: RwLock<Group<DynStore>>,
}

static GROUPS: Registry<GroupObject> = Registry::new(TAG_GROUP);

static NODE_LISTS: Registry<Vec<(String, ZarrkitNodeKind)>> = Registry::new(TAG_NODE_LIST);

fn insert_group(group: Group<DynStore>) -> usize {
    GROUPS.insert(GroupObject {
        group: RwLock::new(group),
    })
}

fn group(p: *const ZarrkitGroup) -> Result<Group<DynStore>> {
    let object = GROUPS.get(id_of(p), "group")?;
    let g = object.group.read().clone();
    Ok(g)
}

fn update(
    p: *const ZarrkitGroup,
    f: impl FnOnce(&mut Group<DynStore>) -> Result<()>,
) -> Result<()> {
    let object = GROUPS.get(id_of(p), "group")?;
    let mut guard = object.group.write();
    let mut g = guard.clone();
    f(&mut g)?;
    *guard = g;
    Ok(())
}

/// Create a group at `path` and store its metadata: `zarr_format` 3 (`zarr.json`) or 2
/// (`.zgroup` + `.zattrs`), with the user attributes `attributes_json` (a JSON object; NULL
/// = none).
///
/// # Safety
/// `path` and `attributes_json` must be NULL or NUL-terminated strings; `out_group` NULL or
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_create(
    store: *const ZarrkitStore,
    path: *const c_char,
    zarr_format: u32,
    attributes_json: *const c_char,
    out_group: *mut *mut ZarrkitGroup,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { out_handle(out_group, "out_group")? };
        let s = self::store(store, "store")?;
        // SAFETY: forwarded.
        let path = unsafe { cstr(path, "path")? };
        // SAFETY: forwarded.
        let attributes = match unsafe { opt_cstr(attributes_json, "attributes_json")? } {
            Some(j) => parse_json_object(j, "attributes_json")?,
            None => Default::default(),
        };
        let with_path = |e: Error| e.or_path(path);
        let g = match zarr_format {
            3 => GroupBuilder::new()
                .attributes(attributes)
                .build(s, path)
                .map_err(|e| with_path(e.into()))?,
            2 => {
                let mut m = GroupMetadataV2::new();
                m.attributes = Some(attributes);
                Group::new_with_metadata(s, path, m).map_err(|e| with_path(e.into()))?
            }
            other => {
                return Err(Error::invalid(format!(
                    "zarr_format must be 2 or 3, not {other}"
                )))
            }
        };
        g.store_metadata().map_err(|e| with_path(e.into()))?;
        out.set(insert_group(g));
        Ok(())
    })
}

/// Open the group at `path` (V3 `zarr.json`, or V2 `.zgroup` + `.zattrs` + `.zmetadata`).
/// Consolidated metadata, if the group has it, is used to list and open its descendants
/// (the global policy: `auto`).
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out_group` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_open(
    store: *const ZarrkitStore,
    path: *const c_char,
    out_group: *mut *mut ZarrkitGroup,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_group, "out_group")? };
        let s = self::store(store, "store")?;
        // SAFETY: forwarded.
        let path = unsafe { cstr(path, "path")? };
        let g = Group::open(s, path).map_err(|e| Error::from(e).or_path(path))?;
        out.set(insert_group(g));
        Ok(())
    })
}

/// Destroy a group handle. NULL does nothing; a second destroy gives
/// `ZARRKIT_STATUS_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn zarrkit_group_destroy(group: *mut ZarrkitGroup) -> ZarrkitStatus {
    ffi(|| {
        if group.is_null() {
            return Ok(());
        }
        GROUPS.remove(id_of(group), "group")
    })
}

/// Write the group's metadata (persists attribute changes).
#[no_mangle]
pub extern "C" fn zarrkit_group_store_metadata(group: *const ZarrkitGroup) -> ZarrkitStatus {
    ffi(|| {
        let g = self::group(group)?;
        g.store_metadata()
            .map_err(|e| Error::from(e).or_path(g.path().as_str()))
    })
}

/// Copy the group's node path into `buf` (string output rules as
/// `zarrkit_array_metadata_json`).
///
/// # Safety
/// `buf` must be NULL or valid for `size` bytes; `required` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_path(
    group: *const ZarrkitGroup,
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let g = self::group(group)?;
        // SAFETY: forwarded.
        unsafe { write_string(g.path().as_str().as_bytes(), buf, size, required) }
    })
}

/// The Zarr format of the group's metadata: 3 or 2.
///
/// # Safety
/// `out_format` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_zarr_format(
    group: *const ZarrkitGroup,
    out_format: *mut u32,
) -> ZarrkitStatus {
    ffi(|| {
        let g = self::group(group)?;
        // SAFETY: forwarded.
        unsafe { write_out(out_format, u32::from(g.zarr_format()), "out_format") }
    })
}

/// Copy the user attributes as a JSON object into `buf` (string output rules as
/// `zarrkit_array_metadata_json`).
///
/// # Safety
/// `buf` must be NULL or valid for `size` bytes; `required` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_attributes_json(
    group: *const ZarrkitGroup,
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let g = self::group(group)?;
        let text = crate::util::to_json(&Value::Object(g.attributes()))?;
        // SAFETY: forwarded.
        unsafe { write_string(&text, buf, size, required) }
    })
}

/// Replace the user attributes with a JSON object (in the handle;
/// `zarrkit_group_store_metadata` persists them).
///
/// # Safety
/// `attributes_json` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_set_attributes_json(
    group: *const ZarrkitGroup,
    attributes_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let json = unsafe { cstr(attributes_json, "attributes_json")? };
        let map = parse_json_object(json, "attributes_json")?;
        update(group, |g| {
            *g.attributes_mut() = map;
            Ok(())
        })
    })
}

/// Set one user attribute `name` to a JSON value (in the handle;
/// `zarrkit_group_store_metadata` persists it).
///
/// # Safety
/// `name` and `value_json` must be NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_set_attribute_json(
    group: *const ZarrkitGroup,
    name: *const c_char,
    value_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let name = unsafe { cstr(name, "name")? };
        // SAFETY: forwarded.
        let value = parse_json(unsafe { cstr(value_json, "value_json")? }, "value_json")?;
        update(group, |g| {
            g.attributes_mut().insert(name.to_string(), value);
            Ok(())
        })
    })
}

/// List the direct children (arrays and groups), sorted by name, into a new
/// `ZarrkitNodeList`. A group with consolidated metadata lists them from it without reading
/// the store. Each child's metadata is opened (bound to plugins), as Rust's
/// `Group::children`: a child that cannot be opened fails the listing, naming its path.
///
/// # Safety
/// `out_list` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_children(
    group: *const ZarrkitGroup,
    out_list: *mut *mut ZarrkitNodeList,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_list, "out_list")? };
        let g = self::group(group)?;
        let children = g
            .children()
            .map_err(|e| Error::from(e).or_path(g.path().as_str()))?;
        let list: Vec<(String, ZarrkitNodeKind)> = children
            .iter()
            .map(|n| {
                let kind = match n {
                    Node::Array(_) => ZarrkitNodeKind::Array,
                    Node::Group(_) => ZarrkitNodeKind::Group,
                };
                (n.path().name().to_string(), kind)
            })
            .collect();
        out.set(NODE_LISTS.insert(list));
        Ok(())
    })
}

/// The number of entries of a node list.
///
/// # Safety
/// `out_count` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_node_list_count(
    list: *const ZarrkitNodeList,
    out_count: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let l = NODE_LISTS.get(id_of(list), "list")?;
        // SAFETY: forwarded.
        unsafe { write_out(out_count, l.len(), "out_count") }
    })
}

fn entry(list: *const ZarrkitNodeList, index: usize) -> Result<(String, ZarrkitNodeKind)> {
    let l = NODE_LISTS.get(id_of(list), "list")?;
    l.get(index).cloned().ok_or_else(|| {
        Error::new(
            ZarrkitStatus::OutOfBounds,
            format!("index {index} of a list of {} nodes", l.len()),
        )
    })
}

/// Copy the name of entry `index` (relative to the group) into `buf` (string output rules
/// as `zarrkit_array_metadata_json`); `ZARRKIT_STATUS_OUT_OF_BOUNDS` past the end.
///
/// # Safety
/// `buf` must be NULL or valid for `size` bytes; `required` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_node_list_name(
    list: *const ZarrkitNodeList,
    index: usize,
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let (name, _) = entry(list, index)?;
        // SAFETY: forwarded.
        unsafe { write_string(name.as_bytes(), buf, size, required) }
    })
}

/// The kind of entry `index` (`ZARRKIT_NODE_KIND_ARRAY` or `ZARRKIT_NODE_KIND_GROUP`).
///
/// # Safety
/// `out_kind` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_node_list_kind(
    list: *const ZarrkitNodeList,
    index: usize,
    out_kind: *mut ZarrkitNodeKind,
) -> ZarrkitStatus {
    ffi(|| {
        let (_, kind) = entry(list, index)?;
        // SAFETY: forwarded.
        unsafe { write_out(out_kind, kind, "out_kind") }
    })
}

/// Destroy a node list. NULL does nothing; a second destroy gives
/// `ZARRKIT_STATUS_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn zarrkit_node_list_destroy(list: *mut ZarrkitNodeList) -> ZarrkitStatus {
    ffi(|| {
        if list.is_null() {
            return Ok(());
        }
        NODE_LISTS.remove(id_of(list), "list")
    })
}

/// Open a child or deeper descendant array by relative name (`"data"`, `"sub/data"`), from
/// the group's consolidated metadata when it has it.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string; `out_array` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_open_array(
    group: *const ZarrkitGroup,
    name: *const c_char,
    out_array: *mut *mut ZarrkitArray,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_array, "out_array")? };
        let g = self::group(group)?;
        // SAFETY: forwarded.
        let name = unsafe { cstr(name, "name")? };
        let a = g
            .open_array(name)
            .map_err(|e| Error::from(e).or_path(g.path().as_str()))?;
        out.set(insert_array(a));
        Ok(())
    })
}

/// Open a child or deeper descendant group by relative name, from the group's consolidated
/// metadata when it has it (the child then uses it too).
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string; `out_group` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_open_group(
    group: *const ZarrkitGroup,
    name: *const c_char,
    out_group: *mut *mut ZarrkitGroup,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_group, "out_group")? };
        let g = self::group(group)?;
        // SAFETY: forwarded.
        let name = unsafe { cstr(name, "name")? };
        let child = g
            .open_group(name)
            .map_err(|e| Error::from(e).or_path(g.path().as_str()))?;
        out.set(insert_group(child));
        Ok(())
    })
}

/// Write consolidated metadata for the hierarchy below the group, as zarr-python writes it
/// (V3: inline in the group's `zarr.json`; V2: `.zmetadata`). `*out_count` (may be NULL)
/// receives the number of nodes listed. The handle then lists and opens descendants from
/// it. It is a snapshot: consolidate again after changing metadata below.
///
/// # Safety
/// `out_count` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_consolidate_metadata(
    group: *const ZarrkitGroup,
    out_count: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let mut count = 0;
        update(group, |g| {
            let path = g.path().to_string();
            count = g
                .consolidate_metadata()
                .map_err(|e| Error::from(e).or_path(&path))?;
            Ok(())
        })?;
        // The handle re-reads the group so that it uses what was just written.
        let g = self::group(group)?;
        let reopened = Group::open(g.storage().clone(), g.path().as_str())
            .map_err(|e| Error::from(e).or_path(g.path().as_str()))?;
        update(group, |g| {
            *g = reopened;
            Ok(())
        })?;
        if !out_count.is_null() {
            // SAFETY: forwarded.
            unsafe { write_out(out_count, count, "out_count")? };
        }
        Ok(())
    })
}

/// Whether the group handle lists and opens its descendants from consolidated metadata.
///
/// # Safety
/// `out_uses` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_group_uses_consolidated_metadata(
    group: *const ZarrkitGroup,
    out_uses: *mut bool,
) -> ZarrkitStatus {
    ffi(|| {
        let g = self::group(group)?;
        // SAFETY: forwarded.
        unsafe { write_out(out_uses, g.uses_consolidated_metadata(), "out_uses") }
    })
}
