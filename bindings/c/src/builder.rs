//! The array builder: a new V3 array from its shape, chunk shape, data type and fill value,
//! with optional codecs, sharding, attributes, dimension names, chunk key encoding and
//! chunk grid.

use std::ffi::c_char;

use parking_lot::Mutex;
use zarrkit::serde_json::{Map, Value};
use zarrkit::{ArrayBuilder, MetadataV3};

use crate::array::{insert_array, ZarrkitArray};
use crate::error::{ffi, Error, Result, ZarrkitStatus};
use crate::handles::{id_of, Registry, TAG_BUILDER};
use crate::store::{store, ZarrkitStore};
use crate::util::{
    cstr, out_handle, parse_json, parse_json_object, parse_metadata_v3, parse_metadata_v3_list,
    slice,
};

/// A builder of V3 arrays. Opaque: `zarrkit_array_builder_create`, the
/// `zarrkit_array_builder_set_*` calls, `zarrkit_array_builder_build` (any number of
/// times), `zarrkit_array_builder_destroy`.
pub struct ZarrkitArrayBuilder {
    _opaque: [u8; 0],
}

struct BuilderObject {
    builder: Mutex<ArrayBuilder>,
}

static BUILDERS: Registry<BuilderObject> = Registry::new(TAG_BUILDER);

/// Change the builder of a handle.
fn update(
    p: *const ZarrkitArrayBuilder,
    f: impl FnOnce(ArrayBuilder) -> Result<ArrayBuilder>,
) -> Result<()> {
    let object = BUILDERS.get(id_of(p), "builder")?;
    let mut guard = object.builder.lock();
    *guard = f(guard.clone())?;
    Ok(())
}

/// Start building an array of `shape` in regular chunks of `chunk_shape` (both `rank`
/// elements), of the data type named `data_type` (`"float32"`, `"string"`, ...: any
/// registered name) with the fill value given as JSON (`"0"`, `"\"NaN\""`, `"\"\""`). The
/// default codecs are `bytes` (little endian) alone; names are checked when building.
///
/// # Safety
/// `shape` and `chunk_shape` must be NULL or valid for `rank` reads; `data_type` and
/// `fill_value_json` NULL or NUL-terminated; `out_builder` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_builder_create(
    rank: usize,
    shape: *const u64,
    chunk_shape: *const u64,
    data_type: *const c_char,
    fill_value_json: *const c_char,
    out_builder: *mut *mut ZarrkitArrayBuilder,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { out_handle(out_builder, "out_builder")? };
        // SAFETY: forwarded.
        let shape = unsafe { slice(shape, rank, "shape")? };
        // SAFETY: forwarded.
        let chunk_shape = unsafe { slice(chunk_shape, rank, "chunk_shape")? };
        // SAFETY: forwarded.
        let data_type = unsafe { cstr(data_type, "data_type")? };
        // SAFETY: forwarded.
        let fill = unsafe { cstr(fill_value_json, "fill_value_json")? };
        let fill = parse_json(fill, "fill_value_json")?;
        let builder = ArrayBuilder::new(shape.to_vec(), chunk_shape.to_vec(), data_type, fill);
        out.set(BUILDERS.insert(BuilderObject {
            builder: Mutex::new(builder),
        }));
        Ok(())
    })
}

/// Set the whole codec list as JSON metadata: `[{"name": "bytes", "configuration":
/// {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 3}}]` (any
/// registered codec, resolved when building). Replaces earlier codec or sharding settings.
///
/// # Safety
/// `codecs_json` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_builder_set_codecs_json(
    builder: *const ZarrkitArrayBuilder,
    codecs_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let json = unsafe { cstr(codecs_json, "codecs_json")? };
        let codecs = parse_metadata_v3_list(json, "codecs_json")?;
        update(builder, |b| Ok(b.codecs_metadata(codecs)))
    })
}

/// Make the chunks shards of inner chunks of `inner_chunk_shape` (`rank` elements; each
/// dimension of the chunk shape must be a multiple): the codec list becomes one
/// `sharding_indexed` codec whose inner chunks use `inner_codecs_json` (a JSON codec list as
/// for `zarrkit_array_builder_set_codecs_json`; NULL = `bytes` little endian) and whose
/// index is `bytes` + `crc32c` at the end of the shard, as zarr-python writes it. Replaces
/// earlier codec settings.
///
/// # Safety
/// `inner_chunk_shape` must be NULL or valid for `rank` reads; `inner_codecs_json` NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_builder_set_sharding(
    builder: *const ZarrkitArrayBuilder,
    rank: usize,
    inner_chunk_shape: *const u64,
    inner_codecs_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let inner = unsafe { slice(inner_chunk_shape, rank, "inner_chunk_shape")? };
        if inner.is_empty() && rank == 0 {
            return Err(Error::invalid("a rank-0 array cannot be sharded"));
        }
        let bytes_le = || {
            let mut c = Map::new();
            c.insert("endian".into(), Value::from("little"));
            MetadataV3::new_with_configuration("bytes", c)
        };
        // SAFETY: forwarded.
        let inner_codecs =
            match unsafe { crate::util::opt_cstr(inner_codecs_json, "inner_codecs_json")? } {
                Some(j) => parse_metadata_v3_list(j, "inner_codecs_json")?,
                None => vec![bytes_le()],
            };
        let to_values = |v: Vec<MetadataV3>| -> Result<Value> {
            zarrkit::serde_json::to_value(v).map_err(|e| {
                Error::new(
                    ZarrkitStatus::Internal,
                    format!("cannot serialise codecs: {e}"),
                )
            })
        };
        let mut config = Map::new();
        config.insert("chunk_shape".into(), Value::from(inner.to_vec()));
        config.insert("codecs".into(), to_values(inner_codecs)?);
        config.insert(
            "index_codecs".into(),
            to_values(vec![bytes_le(), MetadataV3::new("crc32c")])?,
        );
        config.insert("index_location".into(), Value::from("end"));
        let sharding = MetadataV3::new_with_configuration("sharding_indexed", config);
        update(builder, |b| Ok(b.codecs_metadata(vec![sharding])))
    })
}

/// Set the user attributes (a JSON object).
///
/// # Safety
/// `attributes_json` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_builder_set_attributes_json(
    builder: *const ZarrkitArrayBuilder,
    attributes_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let json = unsafe { cstr(attributes_json, "attributes_json")? };
        let map = parse_json_object(json, "attributes_json")?;
        update(builder, |b| Ok(b.attributes(map)))
    })
}

/// Set the dimension names: `count` strings (the array's rank), a NULL entry for an
/// unnamed dimension.
///
/// # Safety
/// `names` must be NULL or valid for `count` reads, each NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_builder_set_dimension_names(
    builder: *const ZarrkitArrayBuilder,
    names: *const *const c_char,
    count: usize,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let ptrs = unsafe { slice(names, count, "names")? };
        let mut v: Vec<Option<String>> = Vec::with_capacity(ptrs.len());
        for &p in ptrs {
            // SAFETY: forwarded.
            v.push(unsafe { crate::util::opt_cstr(p, "names[i]")? }.map(str::to_string));
        }
        update(builder, |b| Ok(b.dimension_names(v)))
    })
}

/// Set the data type as JSON metadata, for types with a configuration:
/// `{"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1}}`.
///
/// # Safety
/// `data_type_json` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_builder_set_data_type_json(
    builder: *const ZarrkitArrayBuilder,
    data_type_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let json = unsafe { cstr(data_type_json, "data_type_json")? };
        let m = parse_metadata_v3(json, "data_type_json")?;
        update(builder, |b| Ok(b.data_type(m)))
    })
}

/// Set the chunk key encoding as JSON metadata (default: `{"name": "default",
/// "configuration": {"separator": "/"}}`).
///
/// # Safety
/// `encoding_json` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_builder_set_chunk_key_encoding_json(
    builder: *const ZarrkitArrayBuilder,
    encoding_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let json = unsafe { cstr(encoding_json, "encoding_json")? };
        let m = parse_metadata_v3(json, "encoding_json")?;
        update(builder, |b| Ok(b.chunk_key_encoding(m)))
    })
}

/// Set the chunk grid as JSON metadata (instead of the regular grid of `chunk_shape`), e.g.
/// `{"name": "rectilinear", "configuration": {...}}`.
///
/// # Safety
/// `grid_json` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_builder_set_chunk_grid_json(
    builder: *const ZarrkitArrayBuilder,
    grid_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let json = unsafe { cstr(grid_json, "grid_json")? };
        let m = parse_metadata_v3(json, "grid_json")?;
        update(builder, |b| Ok(b.chunk_grid(m)))
    })
}

/// Build the array at `path` of `store` and store its metadata. Names are resolved through
/// the plugin registry and the whole is validated (`ZARRKIT_STATUS_UNKNOWN_PLUGIN`,
/// `ZARRKIT_STATUS_METADATA`). The builder stays usable.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out_array` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_builder_build(
    builder: *const ZarrkitArrayBuilder,
    store: *const ZarrkitStore,
    path: *const c_char,
    out_array: *mut *mut ZarrkitArray,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_array, "out_array")? };
        let object = BUILDERS.get(id_of(builder), "builder")?;
        let s = self::store(store, "store")?;
        // SAFETY: forwarded.
        let path = unsafe { cstr(path, "path")? };
        let b = object.builder.lock().clone();
        let array = b.build(s, path).map_err(|e| Error::from(e).or_path(path))?;
        array
            .store_metadata()
            .map_err(|e| Error::from(e).or_path(path))?;
        out.set(insert_array(array));
        Ok(())
    })
}

/// Destroy a builder. NULL does nothing; a second destroy gives
/// `ZARRKIT_STATUS_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn zarrkit_array_builder_destroy(
    builder: *mut ZarrkitArrayBuilder,
) -> ZarrkitStatus {
    ffi(|| {
        if builder.is_null() {
            return Ok(());
        }
        BUILDERS.remove(id_of(builder), "builder")
    })
}
