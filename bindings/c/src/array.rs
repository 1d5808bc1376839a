//! Array handles: create, open, metadata, chunk grid queries, reads and writes into and from
//! caller buffers, variable-length data, resize, erase, attributes.

use std::ffi::{c_char, c_void};

use parking_lot::RwLock;
use zarrkit::serde_json::Value;
use zarrkit::{
    Array, ArrayBytes, ArrayBytesRef, ArrayMetadata, ArrayMetadataV2, CodecOptions, DataTypeSize,
    DynStore, ElementKind, NodeMetadata,
};

use crate::error::{ffi, write_string, Error, Result, ZarrkitStatus};
use crate::handles::{id_of, Registry, TAG_ARRAY, TAG_VARIABLE_DATA};
use crate::region::{num_elements, region_of, ZarrkitRegion};
use crate::store::{store, ZarrkitStore};
use crate::util::{cstr, out_handle, parse_json, parse_json_object, slice, slice_mut, write_out};

/// An open array (V3 or V2). Opaque: from `zarrkit_array_create_json`, `zarrkit_array_open`,
/// `zarrkit_array_builder_build` or `zarrkit_group_open_array`; release with
/// `zarrkit_array_destroy`. It keeps its store alive. One handle may be used from several
/// threads at once; `zarrkit_array_resize` and the attribute setters change the handle's
/// metadata for calls that start after them.
pub struct ZarrkitArray {
    _opaque: [u8; 0],
}

/// Decoded variable-length elements (strings, byte strings): `n + 1` offsets and the
/// concatenated bytes. Opaque: from `zarrkit_array_read_variable`; query the sizes with
/// `zarrkit_variable_data_size`, copy out with `zarrkit_variable_data_copy`, release with
/// `zarrkit_variable_data_destroy`.
pub struct ZarrkitVariableData {
    _opaque: [u8; 0],
}

/// The element types of typed reads and writes (`zarrkit_array_read_elements`), and of
/// `zarrkit_array_element_type`. C types: `BOOL` = `bool` (1 byte, 0 or 1), `INT8` ..
/// `UINT64` = `int8_t` .. `uint64_t`, `FLOAT16` / `BFLOAT16` = the bits in a `uint16_t`,
/// `FLOAT32` = `float`, `FLOAT64` = `double`, `COMPLEX64` = two `float`s (real, imaginary),
/// `COMPLEX128` = two `double`s, `RAW_BYTES` = `element_size` raw bytes, all native-endian.
/// `STRING` (UTF-8) and `BYTES` are variable-length: read them with
/// `zarrkit_array_read_variable`. Data types of other kinds report `UNKNOWN` and are read
/// as raw bytes (`zarrkit_array_read`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZarrkitElementType {
    /// No typed access (read raw bytes).
    Unknown = 0,
    /// `bool`.
    Bool = 1,
    /// `int8_t`.
    Int8 = 2,
    /// `int16_t`.
    Int16 = 3,
    /// `int32_t`.
    Int32 = 4,
    /// `int64_t` (also `numpy.datetime64` / `timedelta64`).
    Int64 = 5,
    /// `uint8_t`.
    Uint8 = 6,
    /// `uint16_t`.
    Uint16 = 7,
    /// `uint32_t`.
    Uint32 = 8,
    /// `uint64_t`.
    Uint64 = 9,
    /// IEEE half precision, as `uint16_t` bits.
    Float16 = 10,
    /// bfloat16, as `uint16_t` bits.
    Bfloat16 = 11,
    /// `float`.
    Float32 = 12,
    /// `double`.
    Float64 = 13,
    /// Two `float`s.
    Complex64 = 14,
    /// Two `double`s.
    Complex128 = 15,
    /// Raw bytes of the data type's size.
    RawBytes = 16,
    /// Variable-length UTF-8 strings.
    String = 17,
    /// Variable-length byte strings.
    Bytes = 18,
}

impl ZarrkitElementType {
    fn of(kind: Option<ElementKind>) -> Self {
        use ElementKind as K;
        match kind {
            Some(K::Bool) => Self::Bool,
            Some(K::Int8) => Self::Int8,
            Some(K::Int16) => Self::Int16,
            Some(K::Int32) => Self::Int32,
            Some(K::Int64) => Self::Int64,
            Some(K::UInt8) => Self::Uint8,
            Some(K::UInt16) => Self::Uint16,
            Some(K::UInt32) => Self::Uint32,
            Some(K::UInt64) => Self::Uint64,
            Some(K::Float16) => Self::Float16,
            Some(K::BFloat16) => Self::Bfloat16,
            Some(K::Float32) => Self::Float32,
            Some(K::Float64) => Self::Float64,
            Some(K::Complex64) => Self::Complex64,
            Some(K::Complex128) => Self::Complex128,
            Some(K::RawBytes(_)) => Self::RawBytes,
            Some(K::Utf8String) => Self::String,
            Some(K::ByteString) => Self::Bytes,
            _ => Self::Unknown,
        }
    }

    fn from_u32(v: u32) -> Option<Self> {
        use ZarrkitElementType as T;
        [
            T::Unknown,
            T::Bool,
            T::Int8,
            T::Int16,
            T::Int32,
            T::Int64,
            T::Uint8,
            T::Uint16,
            T::Uint32,
            T::Uint64,
            T::Float16,
            T::Bfloat16,
            T::Float32,
            T::Float64,
            T::Complex64,
            T::Complex128,
            T::RawBytes,
            T::String,
            T::Bytes,
        ]
        .into_iter()
        .find(|t| *t as u32 == v)
    }
}

pub(crate) struct ArrayObject {
    array: RwLock<Array<DynStore>>,
}

pub(crate) static ARRAYS: Registry<ArrayObject> = Registry::new(TAG_ARRAY);

struct VariableData {
    bytes: Vec<u8>,
    offsets: Vec<usize>,
}

static VARIABLE_DATA: Registry<VariableData> = Registry::new(TAG_VARIABLE_DATA);

/// Register an array; its handle number.
pub(crate) fn insert_array(array: Array<DynStore>) -> usize {
    ARRAYS.insert(ArrayObject {
        array: RwLock::new(array),
    })
}

/// The array of a handle (a clone sharing metadata, codecs, locks and caches: the lock is
/// held only to clone it, so a long read never blocks a resize).
pub(crate) fn array(p: *const ZarrkitArray) -> Result<Array<DynStore>> {
    let object = ARRAYS.get(id_of(p), "array")?;
    let a = object.array.read().clone();
    Ok(a)
}

/// Change the array of a handle: `f` works on a copy, committed only if it succeeds.
fn update(
    p: *const ZarrkitArray,
    f: impl FnOnce(&mut Array<DynStore>) -> Result<()>,
) -> Result<()> {
    let object = ARRAYS.get(id_of(p), "array")?;
    let mut guard = object.array.write();
    let mut a = guard.clone();
    f(&mut a)?;
    *guard = a;
    Ok(())
}

fn check_rank(a: &Array<DynStore>, rank: usize, what: &str) -> Result<()> {
    if rank == a.dimensionality() {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{what} of rank {rank} for an array of rank {}",
            a.dimensionality()
        )))
    }
}

/// Copy a shape-like vector into an output array of exactly `len` elements.
///
/// # Safety
/// `out` must be NULL or valid for `len` writes.
unsafe fn write_u64s(v: &[u64], out: *mut u64, len: usize, arg: &str) -> Result<()> {
    if len != v.len() {
        return Err(Error::buffer_size(format!(
            "`{arg}` holds {len} elements, {} needed (the rank)",
            v.len()
        )));
    }
    // SAFETY: forwarded.
    let out = unsafe { slice_mut(out, len, arg)? };
    out.copy_from_slice(v);
    Ok(())
}

fn element_size(a: &Array<DynStore>) -> Option<usize> {
    a.data_type().size().fixed()
}

fn fixed_size(a: &Array<DynStore>) -> Result<usize> {
    element_size(a).ok_or_else(|| {
        Error::data_type(format!(
            "the data type {} has variable-size elements: use zarrkit_array_read_variable / \
             zarrkit_array_write_variable",
            a.data_type().name()
        ))
    })
}

fn region_bytes(shape: &[u64], elem: usize) -> Result<usize> {
    num_elements(shape)?.checked_mul(elem).ok_or_else(|| {
        Error::new(
            ZarrkitStatus::TooLarge,
            format!("a region of shape {shape:?} has more bytes than this platform addresses"),
        )
    })
}

fn check_bools(a: &Array<DynStore>, bytes: &[u8]) -> Result<()> {
    if a.data_type().element_kind() == Some(ElementKind::Bool) {
        if let Some(i) = bytes.iter().position(|&b| b > 1) {
            return Err(Error::data_type(format!(
                "bool element {i} has byte value {} (must be 0 or 1)",
                bytes[i]
            )));
        }
    }
    Ok(())
}

fn validate_elements(a: &Array<DynStore>, bytes: &[u8]) -> Result<()> {
    check_bools(a, bytes)?;
    a.data_type()
        .validate_elements(bytes)
        .map_err(|e| Error::data_type(format!("invalid element values: {e}")))
}

fn path_err(a: &Array<DynStore>) -> impl Fn(zarrkit::ArrayError) -> Error + '_ {
    move |e| Error::from(e).or_path(a.path().as_str())
}

// ----- create, open, destroy -----

/// Create an array from its metadata JSON and store the metadata: a V3 `zarr.json` document
/// (`"zarr_format": 3, "node_type": "array", ...`) or a V2 `.zarray` document
/// (`"zarr_format": 2`; its attributes can be set afterwards with
/// `zarrkit_array_set_attributes_json`). The data type, codecs, chunk grid and key encoding
/// are resolved through the plugin registry and validated together.
///
/// On success `*out_array` is a new handle; on failure NULL. Errors:
/// `ZARRKIT_STATUS_INVALID_ARGUMENT` (not JSON), `ZARRKIT_STATUS_METADATA`,
/// `ZARRKIT_STATUS_UNKNOWN_PLUGIN`, `ZARRKIT_STATUS_NODE_KIND` (group metadata),
/// `ZARRKIT_STATUS_STORAGE`.
///
/// # Safety
/// `path` and `metadata_json` must be NULL or NUL-terminated strings; `out_array` NULL or
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_create_json(
    store: *const ZarrkitStore,
    path: *const c_char,
    metadata_json: *const c_char,
    out_array: *mut *mut ZarrkitArray,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { out_handle(out_array, "out_array")? };
        let s = self::store(store, "store")?;
        // SAFETY: forwarded.
        let path = unsafe { cstr(path, "path")? };
        // SAFETY: forwarded.
        let json = unsafe { cstr(metadata_json, "metadata_json")? };
        let with_path = |e: Error| e.or_path(path);
        let doc = parse_json_object(json, "metadata_json")?;
        let metadata: ArrayMetadata = match doc.get("zarr_format").and_then(Value::as_u64) {
            Some(2) => ArrayMetadataV2::from_json(json.as_bytes(), None, path)
                .map_err(|e| with_path(e.into()))?
                .into(),
            _ => match NodeMetadata::from_json(json.as_bytes(), path)
                .map_err(|e| with_path(e.into()))?
            {
                NodeMetadata::Array(m) => m,
                NodeMetadata::Group(_) => {
                    return Err(Error::new(
                        ZarrkitStatus::NodeKind,
                        "metadata_json is group metadata (\"node_type\": \"array\" is needed)",
                    )
                    .or_path(path))
                }
            },
        };
        let array = Array::new_with_metadata(s, path, metadata).map_err(|e| with_path(e.into()))?;
        array.store_metadata().map_err(|e| with_path(e.into()))?;
        out.set(insert_array(array));
        Ok(())
    })
}

/// Open the array at `path` (V3 `zarr.json`, or V2 `.zarray` + `.zattrs`).
///
/// Errors: `ZARRKIT_STATUS_NOT_FOUND`, `ZARRKIT_STATUS_NODE_KIND` (a group),
/// `ZARRKIT_STATUS_METADATA`, `ZARRKIT_STATUS_UNKNOWN_PLUGIN`, `ZARRKIT_STATUS_STORAGE`; the
/// last error's path names the node.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out_array` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_open(
    store: *const ZarrkitStore,
    path: *const c_char,
    out_array: *mut *mut ZarrkitArray,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_array, "out_array")? };
        let s = self::store(store, "store")?;
        // SAFETY: forwarded.
        let path = unsafe { cstr(path, "path")? };
        let array = Array::open(s, path).map_err(|e| Error::from(e).or_path(path))?;
        out.set(insert_array(array));
        Ok(())
    })
}

/// Destroy an array handle (the store stays alive while other handles use it). NULL does
/// nothing; a handle already destroyed gives `ZARRKIT_STATUS_INVALID_HANDLE`. A call on the
/// handle still running in another thread completes normally.
#[no_mangle]
pub extern "C" fn zarrkit_array_destroy(array: *mut ZarrkitArray) -> ZarrkitStatus {
    ffi(|| {
        if array.is_null() {
            return Ok(());
        }
        ARRAYS.remove(id_of(array), "array")
    })
}

/// Write the array's metadata to the store (`zarr.json`, or `.zarray` + `.zattrs`): this
/// persists `zarrkit_array_resize` and attribute changes.
#[no_mangle]
pub extern "C" fn zarrkit_array_store_metadata(array: *const ZarrkitArray) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        a.store_metadata().map_err(path_err(&a))
    })
}

// ----- metadata queries -----

/// Copy the array's metadata document as it would be stored (`zarr.json`, or for V2
/// `.zarray`, whose attributes are in `zarrkit_array_attributes_json`) into `buf`.
///
/// String outputs work alike everywhere: `*required` receives the size needed (NUL
/// included); `buf = NULL, size = 0` asks for it only; a smaller buffer gives
/// `ZARRKIT_STATUS_BUFFER_SIZE` and is left untouched.
///
/// # Safety
/// `buf` must be NULL or valid for `size` bytes; `required` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_metadata_json(
    array: *const ZarrkitArray,
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe { write_string(&a.metadata_json(), buf, size, required) }
    })
}

/// Copy the array's node path (`/group/array`) into `buf` (string output rules as
/// `zarrkit_array_metadata_json`).
///
/// # Safety
/// As `zarrkit_array_metadata_json`.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_path(
    array: *const ZarrkitArray,
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe { write_string(a.path().as_str().as_bytes(), buf, size, required) }
    })
}

/// The Zarr format of the array's metadata: 3 or 2.
///
/// # Safety
/// `out_format` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_zarr_format(
    array: *const ZarrkitArray,
    out_format: *mut u32,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe { write_out(out_format, u32::from(a.zarr_format()), "out_format") }
    })
}

/// The rank (number of dimensions).
///
/// # Safety
/// `out_rank` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_rank(
    array: *const ZarrkitArray,
    out_rank: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe { write_out(out_rank, a.dimensionality(), "out_rank") }
    })
}

/// Copy the shape into `out_shape`, which must hold exactly `rank` elements (the array's
/// rank; otherwise `ZARRKIT_STATUS_BUFFER_SIZE`).
///
/// # Safety
/// `out_shape` must be NULL or valid for `rank` writes.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_shape(
    array: *const ZarrkitArray,
    out_shape: *mut u64,
    rank: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe { write_u64s(a.shape(), out_shape, rank, "out_shape") }
    })
}

/// Copy the data type's name (`"float32"`, `"string"`, `"numpy.datetime64"`; the V3 name
/// also for V2 arrays) into `buf` (string output rules as `zarrkit_array_metadata_json`).
///
/// # Safety
/// As `zarrkit_array_metadata_json`.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_data_type(
    array: *const ZarrkitArray,
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe { write_string(a.data_type().name().as_bytes(), buf, size, required) }
    })
}

/// The size of one element in bytes, or 0 for variable-size data types (strings, byte
/// strings).
///
/// # Safety
/// `out_size` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_element_size(
    array: *const ZarrkitArray,
    out_size: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        let n = match a.data_type().size() {
            DataTypeSize::Fixed(n) => n,
            DataTypeSize::Variable => 0,
        };
        // SAFETY: forwarded.
        unsafe { write_out(out_size, n, "out_size") }
    })
}

/// The element type for typed access (`ZARRKIT_ELEMENT_TYPE_UNKNOWN` for data types read
/// only as raw bytes).
///
/// # Safety
/// `out_type` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_element_type(
    array: *const ZarrkitArray,
    out_type: *mut ZarrkitElementType,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        let t = ZarrkitElementType::of(a.data_type().element_kind());
        // SAFETY: forwarded.
        unsafe { write_out(out_type, t, "out_type") }
    })
}

/// Copy the fill value as V3 JSON (`0`, `"NaN"`, `""`) into `buf` (string output rules as
/// `zarrkit_array_metadata_json`).
///
/// # Safety
/// As `zarrkit_array_metadata_json`.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_fill_value_json(
    array: *const ZarrkitArray,
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        let v = a
            .data_type()
            .fill_value_to_json(a.fill_value())
            .map_err(|e| Error::new(ZarrkitStatus::Metadata, format!("fill value: {e}")))?;
        let text = crate::util::to_json(&v)?;
        // SAFETY: forwarded.
        unsafe { write_string(&text, buf, size, required) }
    })
}

// ----- chunk grid -----

/// Copy the number of chunks per dimension into `out_grid_shape` (exactly `rank`
/// elements).
///
/// # Safety
/// `out_grid_shape` must be NULL or valid for `rank` writes.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_chunk_grid_shape(
    array: *const ZarrkitArray,
    out_grid_shape: *mut u64,
    rank: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe {
            write_u64s(
                &a.chunk_grid_shape(),
                out_grid_shape,
                rank,
                "out_grid_shape",
            )
        }
    })
}

/// Copy the full shape of chunk `chunk` (also at the array's edge) into `out_shape`. Both
/// arrays hold `rank` elements. `ZARRKIT_STATUS_OUT_OF_BOUNDS` for indices outside the grid.
///
/// # Safety
/// `chunk` must be NULL or valid for `rank` reads; `out_shape` for `rank` writes.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_chunk_shape(
    array: *const ZarrkitArray,
    chunk: *const u64,
    rank: usize,
    out_shape: *mut u64,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        check_rank(&a, rank, "chunk indices")?;
        // SAFETY: forwarded.
        let idx = unsafe { slice(chunk, rank, "chunk")? };
        let shape = a.chunk_shape(idx).map_err(path_err(&a))?;
        // SAFETY: forwarded.
        unsafe { write_u64s(&shape, out_shape, rank, "out_shape") }
    })
}

/// Copy the origin (first element's indices in the array) of chunk `chunk` into
/// `out_origin`. Both arrays hold `rank` elements.
///
/// # Safety
/// `chunk` must be NULL or valid for `rank` reads; `out_origin` for `rank` writes.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_chunk_origin(
    array: *const ZarrkitArray,
    chunk: *const u64,
    rank: usize,
    out_origin: *mut u64,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        check_rank(&a, rank, "chunk indices")?;
        // SAFETY: forwarded.
        let idx = unsafe { slice(chunk, rank, "chunk")? };
        let subset = a.chunk_subset(idx).map_err(path_err(&a))?;
        // SAFETY: forwarded.
        unsafe { write_u64s(subset.start(), out_origin, rank, "out_origin") }
    })
}

/// Whether the array's chunks are shards holding inner chunks (`sharding_indexed`).
///
/// # Safety
/// `out_sharded` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_is_sharded(
    array: *const ZarrkitArray,
    out_sharded: *mut bool,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe { write_out(out_sharded, a.is_sharded(), "out_sharded") }
    })
}

/// Copy the inner chunk shape of a sharded array into `out_shape` (`rank` elements);
/// `ZARRKIT_STATUS_UNSUPPORTED` if the array is not sharded.
///
/// # Safety
/// `out_shape` must be NULL or valid for `rank` writes.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_inner_chunk_shape(
    array: *const ZarrkitArray,
    out_shape: *mut u64,
    rank: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        let inner = a.inner_chunk_shape().ok_or_else(|| {
            Error::new(ZarrkitStatus::Unsupported, "the array is not sharded")
                .or_path(a.path().as_str())
        })?;
        // SAFETY: forwarded.
        unsafe { write_u64s(&inner, out_shape, rank, "out_shape") }
    })
}

/// Copy the number of inner chunks per dimension of a sharded array, over the whole array,
/// into `out_grid_shape` (`rank` elements); `ZARRKIT_STATUS_UNSUPPORTED` if not sharded.
///
/// # Safety
/// `out_grid_shape` must be NULL or valid for `rank` writes.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_inner_chunk_grid_shape(
    array: *const ZarrkitArray,
    out_grid_shape: *mut u64,
    rank: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        let grid = a.inner_chunk_grid_shape().ok_or_else(|| {
            Error::new(ZarrkitStatus::Unsupported, "the array is not sharded")
                .or_path(a.path().as_str())
        })?;
        // SAFETY: forwarded.
        unsafe { write_u64s(&grid, out_grid_shape, rank, "out_grid_shape") }
    })
}

// ----- reads and writes of fixed-size elements -----

/// The size of a region: `*out_num_elements` (may be NULL) receives its element count and
/// `*out_num_bytes` (may be NULL) the exact byte size a buffer for `zarrkit_array_read` /
/// `zarrkit_array_write` must have. Asking for the byte size of a variable-size array is
/// `ZARRKIT_STATUS_DATA_TYPE` (its size is known only after decoding: see
/// `zarrkit_array_read_variable`). The region is checked as a read would check it
/// (`ZARRKIT_STATUS_OUT_OF_BOUNDS`, `ZARRKIT_STATUS_INVALID_ARGUMENT`,
/// `ZARRKIT_STATUS_UNSUPPORTED` for inner chunks of an unsharded array).
///
/// # Safety
/// `region` must be NULL or valid (see `ZarrkitRegion`); the outputs NULL or valid for a
/// write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_region_size(
    array: *const ZarrkitArray,
    region: *const ZarrkitRegion,
    out_num_elements: *mut u64,
    out_num_bytes: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        let (_, shape) =
            unsafe { region_of(&a, region) }.map_err(|e| e.or_path(a.path().as_str()))?;
        let n = num_elements(&shape)?;
        let bytes = if out_num_bytes.is_null() {
            None
        } else {
            Some(region_bytes(&shape, fixed_size(&a)?)?)
        };
        if !out_num_elements.is_null() {
            // SAFETY: forwarded.
            unsafe { write_out(out_num_elements, n as u64, "out_num_elements")? };
        }
        if let Some(b) = bytes {
            // SAFETY: forwarded.
            unsafe { write_out(out_num_bytes, b, "out_num_bytes")? };
        }
        Ok(())
    })
}

/// The shape of the data of a region: `*out_ndim` (may be NULL) receives its number of
/// dimensions and `out_shape` (`capacity` elements) the shape. For every kind but
/// `SELECTION` that is the array's rank; a selection's result may have fewer dimensions
/// (integers drop theirs) or more (new axes, vectorized index arrays). `out_shape = NULL,
/// capacity = 0` asks for `*out_ndim` only; a smaller capacity gives
/// `ZARRKIT_STATUS_BUFFER_SIZE` (after setting `*out_ndim`).
///
/// # Safety
/// `region` must be NULL or valid; `out_shape` NULL or valid for `capacity` writes;
/// `out_ndim` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_region_shape(
    array: *const ZarrkitArray,
    region: *const ZarrkitRegion,
    out_shape: *mut u64,
    capacity: usize,
    out_ndim: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        let (_, shape) =
            unsafe { region_of(&a, region) }.map_err(|e| e.or_path(a.path().as_str()))?;
        if !out_ndim.is_null() {
            // SAFETY: forwarded.
            unsafe { write_out(out_ndim, shape.len(), "out_ndim")? };
        }
        if out_shape.is_null() && capacity == 0 {
            return if out_ndim.is_null() {
                Err(Error::null("out_ndim"))
            } else {
                Ok(())
            };
        }
        if capacity < shape.len() {
            return Err(Error::buffer_size(format!(
                "`out_shape` holds {capacity} elements, {} needed",
                shape.len()
            )));
        }
        // SAFETY: forwarded.
        let out = unsafe { slice_mut(out_shape, shape.len(), "out_shape")? };
        out.copy_from_slice(&shape);
        Ok(())
    })
}

/// Read a region of a fixed-size array as raw native-endian element bytes, C order, into
/// `out`, which must be exactly the region's byte size (`zarrkit_array_region_size`;
/// otherwise `ZARRKIT_STATUS_BUFFER_SIZE` and nothing is read). Each chunk is decoded
/// straight into its place in `out`. Missing chunks read as the fill value.
///
/// Several threads may read (and write) one array handle at once; each gets its own last
/// error.
///
/// # Safety
/// `region` must be NULL or valid; `out` NULL or valid for `out_size` bytes of writes, and
/// not accessed by anyone else during the call.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_read(
    array: *const ZarrkitArray,
    region: *const ZarrkitRegion,
    out: *mut c_void,
    out_size: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe { read_fixed(&a, region, out.cast(), out_size, None) }
    })
}

/// Read a region as typed elements: as `zarrkit_array_read`, but `element_type` (a
/// `ZarrkitElementType`) must be the array's element type (otherwise
/// `ZARRKIT_STATUS_DATA_TYPE`) and `count` is the number of elements of `out` (exactly the
/// region's element count). Decoded elements are validated (bools must be 0 or 1).
///
/// # Safety
/// As `zarrkit_array_read`, with `out` valid for `count` elements of the type.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_read_elements(
    array: *const ZarrkitArray,
    region: *const ZarrkitRegion,
    element_type: u32,
    out: *mut c_void,
    count: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        let elem = check_element_type(&a, element_type)?;
        let size = count
            .checked_mul(elem)
            .ok_or_else(|| Error::buffer_size(format!("{count} elements overflow")))?;
        // SAFETY: forwarded.
        unsafe { read_fixed(&a, region, out.cast(), size, Some(count)) }
    })
}

/// Check a typed access; the element size.
fn check_element_type(a: &Array<DynStore>, element_type: u32) -> Result<usize> {
    let requested = ZarrkitElementType::from_u32(element_type).ok_or_else(|| {
        Error::invalid(format!(
            "unknown element type {element_type} (see ZarrkitElementType)"
        ))
    })?;
    let actual = ZarrkitElementType::of(a.data_type().element_kind());
    if requested != actual || actual == ZarrkitElementType::Unknown {
        return Err(Error::data_type(format!(
            "element type {requested:?} does not match the data type {} (element type {actual:?})",
            a.data_type().name()
        ))
        .or_path(a.path().as_str()));
    }
    fixed_size(a)
}

/// The region's size in bytes, after checking a caller's buffer against it: `count`
/// elements (typed calls) or `size` bytes.
fn checked_buffer(
    shape: &[u64],
    elem: usize,
    size: usize,
    count: Option<usize>,
    what: &str,
) -> Result<usize> {
    let need = region_bytes(shape, elem)?;
    if let Some(count) = count {
        let n = num_elements(shape)?;
        if count != n {
            return Err(Error::buffer_size(format!(
                "{what} {count} elements for a region of {n} elements"
            )));
        }
    } else if size != need {
        return Err(Error::buffer_size(format!(
            "{what} {size} bytes for a region of {need} bytes"
        )));
    }
    Ok(need)
}

/// # Safety
/// `out` must be NULL or valid for `out_size` bytes of writes.
unsafe fn read_fixed(
    a: &Array<DynStore>,
    region: *const ZarrkitRegion,
    out: *mut u8,
    out_size: usize,
    count: Option<usize>,
) -> Result<()> {
    let path = a.path().as_str();
    // SAFETY: forwarded.
    let (region, shape) = unsafe { region_of(a, region) }.map_err(|e| e.or_path(path))?;
    let elem = fixed_size(a)?;
    let need = checked_buffer(&shape, elem, out_size, count, "a buffer of")?;
    // SAFETY: forwarded.
    let out = unsafe { slice_mut(out, need, "out")? };
    match region {
        zarrkit::Region::Selection(selection) => read_selection_into(a, &selection, out, elem)?,
        region => a
            .read_bytes_into(region, out, &CodecOptions::default())
            .map_err(path_err(a))?,
    }
    check_bools(a, out)
}

/// A caller's output buffer shared by the rayon tasks of one selection read: each writes
/// the elements of its chunk at their result positions, which are distinct (every result
/// element comes from exactly one chunk).
#[derive(Clone, Copy)]
struct SharedOut(*mut u8, usize);
// SAFETY: the tasks write disjoint, bounds-checked ranges (see `read_selection_into`); the
// buffer outlives them (`visit_selection` returns only when all are done).
unsafe impl Send for SharedOut {}
// SAFETY: as above.
unsafe impl Sync for SharedOut {}

/// Read a selection of fixed-size elements straight into `out` (exactly its byte size):
/// chunk by chunk, each chunk's selected elements copied to their result positions, so
/// memory is `out` plus the chunks in flight.
fn read_selection_into(
    a: &Array<DynStore>,
    selection: &zarrkit::Selection,
    out: &mut [u8],
    elem: usize,
) -> Result<()> {
    let shared = SharedOut(out.as_mut_ptr(), out.len());
    a.visit_selection(
        selection,
        &CodecOptions::default(),
        |visit| -> Result<(), Error> {
            let out = shared;
            let ArrayBytes::Fixed(bytes) = &visit.elements else {
                return Err(Error::new(
                    ZarrkitStatus::Internal,
                    "variable-size elements from a fixed-size selection read",
                ));
            };
            if bytes.len() != visit.positions.len() * elem {
                return Err(Error::new(
                    ZarrkitStatus::Internal,
                    format!(
                        "chunk {:?}: {} bytes for {} elements of {elem} bytes",
                        visit.chunk,
                        bytes.len(),
                        visit.positions.len()
                    ),
                ));
            }
            for (k, &pos) in visit.positions.iter().enumerate() {
                let at = usize::try_from(pos)
                    .ok()
                    .and_then(|p| p.checked_mul(elem))
                    .filter(|&at| at + elem <= out.1)
                    .ok_or_else(|| {
                        Error::new(
                            ZarrkitStatus::Internal,
                            format!("result position {pos} outside the output"),
                        )
                    })?;
                // SAFETY: `at + elem <= out.1` (checked), `out.0` is valid for `out.1` bytes for
                // the whole visit, and result positions of distinct elements never overlap.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr().add(k * elem), out.0.add(at), elem)
                };
            }
            Ok(())
        },
    )
    .map_err(|e| e.or_path(a.path().as_str()))
}

/// Write a region of a fixed-size array from raw native-endian element bytes, C order;
/// `size` must be exactly the region's byte size. Chunks wholly covered are encoded without
/// reading them; others are read, updated and written under the chunk's lock. Chunks left
/// all fill value are erased. Bool elements must be 0 or 1 (`ZARRKIT_STATUS_DATA_TYPE`).
///
/// # Safety
/// `region` must be NULL or valid; `data` NULL or valid for `size` bytes of reads, not
/// written during the call.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_write(
    array: *const ZarrkitArray,
    region: *const ZarrkitRegion,
    data: *const c_void,
    size: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        // SAFETY: forwarded.
        unsafe { write_fixed(&a, region, data.cast(), size, None) }
    })
}

/// Write a region from typed elements: as `zarrkit_array_write`, with `element_type` (a
/// `ZarrkitElementType`) checked against the array's and `count` elements (exactly the
/// region's element count).
///
/// # Safety
/// As `zarrkit_array_write`, with `data` valid for `count` elements of the type.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_write_elements(
    array: *const ZarrkitArray,
    region: *const ZarrkitRegion,
    element_type: u32,
    data: *const c_void,
    count: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        let elem = check_element_type(&a, element_type)?;
        let size = count
            .checked_mul(elem)
            .ok_or_else(|| Error::buffer_size(format!("{count} elements overflow")))?;
        // SAFETY: forwarded.
        unsafe { write_fixed(&a, region, data.cast(), size, Some(count)) }
    })
}

/// # Safety
/// `data` must be NULL or valid for `size` bytes of reads.
unsafe fn write_fixed(
    a: &Array<DynStore>,
    region: *const ZarrkitRegion,
    data: *const u8,
    size: usize,
    count: Option<usize>,
) -> Result<()> {
    let path = a.path().as_str();
    // SAFETY: forwarded.
    let (region, shape) = unsafe { region_of(a, region) }.map_err(|e| e.or_path(path))?;
    let elem = fixed_size(a)?;
    let need = checked_buffer(&shape, elem, size, count, "data of")?;
    // SAFETY: forwarded.
    let data = unsafe { slice(data, need, "data")? };
    validate_elements(a, data)?;
    a.write(region, &ArrayBytesRef::Fixed(data))
        .map_err(path_err(a))
}

// ----- variable-length elements -----

/// Read a region of a variable-size array (strings, byte strings) into a new
/// `ZarrkitVariableData`: then `zarrkit_variable_data_size` gives the sizes and
/// `zarrkit_variable_data_copy` fills the caller's offsets and bytes (decoded once).
/// `ZARRKIT_STATUS_DATA_TYPE` for a fixed-size array.
///
/// # Safety
/// `region` must be NULL or valid; `out_data` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_read_variable(
    array: *const ZarrkitArray,
    region: *const ZarrkitRegion,
    out_data: *mut *mut ZarrkitVariableData,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_data, "out_data")? };
        let a = self::array(array)?;
        let path = a.path().as_str();
        // SAFETY: forwarded.
        let (region, _) = unsafe { region_of(&a, region) }.map_err(|e| e.or_path(path))?;
        if element_size(&a).is_some() {
            return Err(Error::data_type(format!(
                "the data type {} has fixed-size elements: use zarrkit_array_read",
                a.data_type().name()
            ))
            .or_path(path));
        }
        match a.read::<ArrayBytes>(region).map_err(path_err(&a))? {
            ArrayBytes::Variable { bytes, offsets } => {
                out.set(VARIABLE_DATA.insert(VariableData { bytes, offsets }));
                Ok(())
            }
            ArrayBytes::Fixed(_) => Err(Error::new(
                ZarrkitStatus::Internal,
                "fixed-size bytes from a variable-size read",
            )),
        }
    })
}

/// The sizes of decoded variable-length data: `*out_num_elements` elements (the offsets
/// buffer of `zarrkit_variable_data_copy` holds one more) and `*out_num_bytes` bytes. Either
/// output may be NULL.
///
/// # Safety
/// The outputs must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_variable_data_size(
    data: *const ZarrkitVariableData,
    out_num_elements: *mut usize,
    out_num_bytes: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let v = VARIABLE_DATA.get(id_of(data), "data")?;
        let n = v.offsets.len().saturating_sub(1);
        if !out_num_elements.is_null() {
            // SAFETY: forwarded.
            unsafe { write_out(out_num_elements, n, "out_num_elements")? };
        }
        if !out_num_bytes.is_null() {
            // SAFETY: forwarded.
            unsafe { write_out(out_num_bytes, v.bytes.len(), "out_num_bytes")? };
        }
        Ok(())
    })
}

/// Copy decoded variable-length data out: `offsets` receives exactly `num_elements + 1`
/// offsets (`offsets_len`; element `i` is `bytes[offsets[i] .. offsets[i + 1]]`, the first
/// offset 0) and `bytes` exactly `num_bytes` bytes (`bytes_len`), the sizes from
/// `zarrkit_variable_data_size`. Other sizes give `ZARRKIT_STATUS_BUFFER_SIZE` and copy
/// nothing. Strings are UTF-8, without NULs added.
///
/// # Safety
/// `offsets` must be NULL or valid for `offsets_len` writes, `bytes` for `bytes_len`.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_variable_data_copy(
    data: *const ZarrkitVariableData,
    offsets: *mut u64,
    offsets_len: usize,
    bytes: *mut u8,
    bytes_len: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let v = VARIABLE_DATA.get(id_of(data), "data")?;
        if offsets_len != v.offsets.len() || bytes_len != v.bytes.len() {
            return Err(Error::buffer_size(format!(
                "buffers of {offsets_len} offsets and {bytes_len} bytes for {} offsets and {} bytes",
                v.offsets.len(),
                v.bytes.len()
            )));
        }
        // SAFETY: forwarded.
        let o = unsafe { slice_mut(offsets, offsets_len, "offsets")? };
        // SAFETY: forwarded.
        let b = unsafe { slice_mut(bytes, bytes_len, "bytes")? };
        for (dst, &src) in o.iter_mut().zip(&v.offsets) {
            *dst = src as u64;
        }
        b.copy_from_slice(&v.bytes);
        Ok(())
    })
}

/// Destroy decoded variable-length data. NULL does nothing; a second destroy gives
/// `ZARRKIT_STATUS_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn zarrkit_variable_data_destroy(data: *mut ZarrkitVariableData) -> ZarrkitStatus {
    ffi(|| {
        if data.is_null() {
            return Ok(());
        }
        VARIABLE_DATA.remove(id_of(data), "data")
    })
}

/// Write a region of a variable-size array from `num_offsets` offsets (exactly the region's
/// element count + 1; first 0, non-decreasing, last `num_bytes`) into `bytes`. Strings
/// must be UTF-8 (`ZARRKIT_STATUS_DATA_TYPE` naming the element otherwise); malformed
/// offsets are `ZARRKIT_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `offsets` must be NULL or valid for `num_offsets` reads; `bytes` for `num_bytes`.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_write_variable(
    array: *const ZarrkitArray,
    region: *const ZarrkitRegion,
    offsets: *const u64,
    num_offsets: usize,
    bytes: *const u8,
    num_bytes: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        let path = a.path().as_str();
        // SAFETY: forwarded.
        let (region, shape) = unsafe { region_of(&a, region) }.map_err(|e| e.or_path(path))?;
        if element_size(&a).is_some() {
            return Err(Error::data_type(format!(
                "the data type {} has fixed-size elements: use zarrkit_array_write",
                a.data_type().name()
            ))
            .or_path(path));
        }
        let n = num_elements(&shape)?;
        if num_offsets != n.saturating_add(1) {
            return Err(Error::buffer_size(format!(
                "{num_offsets} offsets given for a region of {n} elements ({} needed)",
                n.saturating_add(1)
            )));
        }
        // SAFETY: forwarded.
        let o = unsafe { slice(offsets, num_offsets, "offsets")? };
        // SAFETY: forwarded.
        let b = unsafe { slice(bytes, num_bytes, "bytes")? };
        let offsets: Vec<usize> = o
            .iter()
            .map(|&x| usize::try_from(x).unwrap_or(usize::MAX))
            .collect();
        if offsets.first() != Some(&0)
            || offsets.last() != Some(&num_bytes)
            || offsets.windows(2).any(|w| w[0] > w[1])
        {
            return Err(Error::invalid(
                "offsets must start at 0, never decrease and end at num_bytes",
            ));
        }
        if a.data_type().element_kind() == Some(ElementKind::Utf8String) {
            for (i, w) in offsets.windows(2).enumerate() {
                if let Err(e) = std::str::from_utf8(&b[w[0]..w[1]]) {
                    return Err(
                        Error::data_type(format!("string element {i} is not UTF-8: {e}"))
                            .or_path(path),
                    );
                }
            }
        }
        a.write(
            region,
            &ArrayBytesRef::Variable {
                bytes: b,
                offsets: &offsets,
            },
        )
        .map_err(path_err(&a))
    })
}

// ----- resize, erase, attributes -----

/// Change the shape (same rank) of the handle's array; `zarrkit_array_store_metadata`
/// persists it. Chunks outside the new shape stay in the store until erased
/// (`zarrkit_array_erase_chunk`). On failure the handle is unchanged.
///
/// # Safety
/// `shape` must be NULL or valid for `rank` reads.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_resize(
    array: *const ZarrkitArray,
    shape: *const u64,
    rank: usize,
) -> ZarrkitStatus {
    ffi(|| {
        update(array, |a| {
            check_rank(a, rank, "new shape")?;
            // SAFETY: forwarded.
            let shape = unsafe { slice(shape, rank, "shape")? };
            let path = a.path().to_string();
            a.set_shape(shape.to_vec())
                .map_err(|e| Error::from(e).or_path(&path))
        })
    })
}

/// Erase one chunk from the store (it then reads as the fill value).
///
/// # Safety
/// `chunk` must be NULL or valid for `rank` reads.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_erase_chunk(
    array: *const ZarrkitArray,
    chunk: *const u64,
    rank: usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        check_rank(&a, rank, "chunk indices")?;
        // SAFETY: forwarded.
        let idx = unsafe { slice(chunk, rank, "chunk")? };
        a.erase_chunk(idx).map_err(path_err(&a))
    })
}

/// Copy the user attributes as a JSON object into `buf` (string output rules as
/// `zarrkit_array_metadata_json`).
///
/// # Safety
/// As `zarrkit_array_metadata_json`.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_attributes_json(
    array: *const ZarrkitArray,
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let a = self::array(array)?;
        let text = crate::util::to_json(&Value::Object(a.attributes().clone()))?;
        // SAFETY: forwarded.
        unsafe { write_string(&text, buf, size, required) }
    })
}

/// Replace the user attributes with a JSON object (in the handle;
/// `zarrkit_array_store_metadata` persists them).
///
/// # Safety
/// `attributes_json` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_set_attributes_json(
    array: *const ZarrkitArray,
    attributes_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let json = unsafe { cstr(attributes_json, "attributes_json")? };
        let map = parse_json_object(json, "attributes_json")?;
        update(array, |a| {
            *a.attributes_mut() = map;
            Ok(())
        })
    })
}

/// Set one user attribute `name` to a JSON value (in the handle;
/// `zarrkit_array_store_metadata` persists it).
///
/// # Safety
/// `name` and `value_json` must be NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_array_set_attribute_json(
    array: *const ZarrkitArray,
    name: *const c_char,
    value_json: *const c_char,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let name = unsafe { cstr(name, "name")? };
        // SAFETY: forwarded.
        let value = parse_json(unsafe { cstr(value_json, "value_json")? }, "value_json")?;
        update(array, |a| {
            a.attributes_mut().insert(name.to_string(), value);
            Ok(())
        })
    })
}
