//! # zarrkit
//!
//! Zarr V3 and V2 arrays and groups for Rust: a minimal core
//! ([`zarrkit_core`], re-exported here) plus plugins, one crate per data type, codec,
//! chunk grid, chunk key encoding and store, each enabled by a cargo feature of the same
//! name and registered through `inventory`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use zarrkit::{ArrayBuilder, ArraySubset};
//! use zarrkit::store_filesystem::FilesystemStore;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(FilesystemStore::new("/tmp/example.zarr")?);
//! let array = ArrayBuilder::new(vec![100, 100], vec![10, 10], "float32", 0.0)
//!     .build(store.clone(), "/data")?;
//! array.store_metadata()?;
//! array.store_array_subset_elements(&ArraySubset::new_with_ranges(&[0..2, 0..2])?, &[1.0f32, 2.0, 3.0, 4.0])?;
//! let v: Vec<f32> = array.retrieve_array_subset_elements(&ArraySubset::new_with_ranges(&[0..2, 0..3])?)?;
//! assert_eq!(v, vec![1.0, 2.0, 0.0, 3.0, 4.0, 0.0]);
//! # Ok(()) }
//! ```

pub use zarrkit_core::*;

// Each enabled plugin crate is re-exported by name. Referencing the crate here is also what
// keeps its `inventory` registrations from being dropped by the linker.
#[cfg(feature = "codec-adler32")]
pub use zarrkit_codec_adler32 as codec_adler32;
#[cfg(feature = "codec-astype")]
pub use zarrkit_codec_astype as codec_astype;
#[cfg(feature = "codec-base64")]
pub use zarrkit_codec_base64 as codec_base64;
#[cfg(feature = "codec-bitround")]
pub use zarrkit_codec_bitround as codec_bitround;
#[cfg(feature = "codec-blosc")]
pub use zarrkit_codec_blosc as codec_blosc;
#[cfg(feature = "codec-bytes")]
pub use zarrkit_codec_bytes as codec_bytes;
#[cfg(feature = "codec-bz2")]
pub use zarrkit_codec_bz2 as codec_bz2;
#[cfg(feature = "codec-cast-value")]
pub use zarrkit_codec_cast_value as codec_cast_value;
#[cfg(feature = "codec-categorize")]
pub use zarrkit_codec_categorize as codec_categorize;
#[cfg(feature = "codec-crc32")]
pub use zarrkit_codec_crc32 as codec_crc32;
#[cfg(feature = "codec-crc32c")]
pub use zarrkit_codec_crc32c as codec_crc32c;
#[cfg(feature = "codec-delta")]
pub use zarrkit_codec_delta as codec_delta;
#[cfg(feature = "codec-fixedscaleoffset")]
pub use zarrkit_codec_fixedscaleoffset as codec_fixedscaleoffset;
#[cfg(feature = "codec-fletcher32")]
pub use zarrkit_codec_fletcher32 as codec_fletcher32;
#[cfg(feature = "codec-gdeflate")]
pub use zarrkit_codec_gdeflate as codec_gdeflate;
#[cfg(feature = "codec-gzip")]
pub use zarrkit_codec_gzip as codec_gzip;
#[cfg(feature = "codec-jenkins-lookup3")]
pub use zarrkit_codec_jenkins_lookup3 as codec_jenkins_lookup3;
#[cfg(feature = "codec-json2")]
pub use zarrkit_codec_json2 as codec_json2;
#[cfg(feature = "codec-lz4")]
pub use zarrkit_codec_lz4 as codec_lz4;
#[cfg(feature = "codec-lzma")]
pub use zarrkit_codec_lzma as codec_lzma;
#[cfg(feature = "codec-msgpack2")]
pub use zarrkit_codec_msgpack2 as codec_msgpack2;
#[cfg(feature = "codec-optional")]
pub use zarrkit_codec_optional as codec_optional;
#[cfg(feature = "codec-packbits")]
pub use zarrkit_codec_packbits as codec_packbits;
#[cfg(feature = "codec-pcodec")]
pub use zarrkit_codec_pcodec as codec_pcodec;
#[cfg(feature = "codec-quantize")]
pub use zarrkit_codec_quantize as codec_quantize;
#[cfg(feature = "codec-reshape")]
pub use zarrkit_codec_reshape as codec_reshape;
#[cfg(feature = "codec-scale-offset")]
pub use zarrkit_codec_scale_offset as codec_scale_offset;
#[cfg(feature = "codec-sharding")]
pub use zarrkit_codec_sharding as codec_sharding;
#[cfg(feature = "codec-shuffle")]
pub use zarrkit_codec_shuffle as codec_shuffle;
#[cfg(feature = "codec-squeeze")]
pub use zarrkit_codec_squeeze as codec_squeeze;
#[cfg(feature = "codec-transpose")]
pub use zarrkit_codec_transpose as codec_transpose;
#[cfg(feature = "codec-vlen-array")]
pub use zarrkit_codec_vlen_array as codec_vlen_array;
#[cfg(feature = "codec-vlen-bytes")]
pub use zarrkit_codec_vlen_bytes as codec_vlen_bytes;
#[cfg(feature = "codec-vlen-utf8")]
pub use zarrkit_codec_vlen_utf8 as codec_vlen_utf8;
#[cfg(feature = "codec-zarrs-vlen")]
pub use zarrkit_codec_zarrs_vlen as codec_zarrs_vlen;
#[cfg(feature = "codec-zarrs-vlen-v2")]
pub use zarrkit_codec_zarrs_vlen_v2 as codec_zarrs_vlen_v2;
#[cfg(feature = "codec-zfp")]
pub use zarrkit_codec_zfp as codec_zfp;
#[cfg(feature = "codec-zfpy")]
pub use zarrkit_codec_zfpy as codec_zfpy;
#[cfg(feature = "codec-zlib")]
pub use zarrkit_codec_zlib as codec_zlib;
#[cfg(feature = "codec-zstd")]
pub use zarrkit_codec_zstd as codec_zstd;
#[cfg(feature = "dtype-bytes")]
pub use zarrkit_dtype_bytes as dtype_bytes;
#[cfg(feature = "dtype-datetime")]
pub use zarrkit_dtype_datetime as dtype_datetime;
#[cfg(feature = "dtype-fixed")]
pub use zarrkit_dtype_fixed as dtype_fixed;
#[cfg(feature = "dtype-float8")]
pub use zarrkit_dtype_float8 as dtype_float8;
#[cfg(feature = "dtype-numeric")]
pub use zarrkit_dtype_numeric as dtype_numeric;
#[cfg(feature = "dtype-optional")]
pub use zarrkit_dtype_optional as dtype_optional;
#[cfg(feature = "dtype-raw")]
pub use zarrkit_dtype_raw as dtype_raw;
#[cfg(feature = "dtype-string")]
pub use zarrkit_dtype_string as dtype_string;
#[cfg(feature = "dtype-struct")]
pub use zarrkit_dtype_struct as dtype_struct;
#[cfg(feature = "dtype-subbyte")]
pub use zarrkit_dtype_subbyte as dtype_subbyte;
#[cfg(feature = "dtype-vlen-array")]
pub use zarrkit_dtype_vlen_array as dtype_vlen_array;
#[cfg(feature = "grid-rectilinear")]
pub use zarrkit_grid_rectilinear as grid_rectilinear;
#[cfg(feature = "grid-regular")]
pub use zarrkit_grid_regular as grid_regular;
#[cfg(feature = "key-default")]
pub use zarrkit_key_default as key_default;
#[cfg(feature = "key-v2")]
pub use zarrkit_key_v2 as key_v2;
#[cfg(feature = "store-filesystem")]
pub use zarrkit_store_filesystem as store_filesystem;
#[cfg(feature = "store-http")]
pub use zarrkit_store_http as store_http;
#[cfg(feature = "store-object")]
pub use zarrkit_store_object as store_object;
#[cfg(feature = "store-zip")]
pub use zarrkit_store_zip as store_zip;

use std::sync::Arc;

use zarrkit_core::storage::ReadableWritableListableStorageTraits;

/// The store type returned by [`open`] and [`open_store`].
pub type DynStore = dyn ReadableWritableListableStorageTraits;

/// Open a store from a URL (`file:///x.zarr`, `memory://`) or a filesystem path, with the
/// store plugin registered for its scheme.
pub fn open_store(url: &str) -> Result<Arc<DynStore>, StorageError> {
    zarrkit_core::registry::open_store(url)
}

/// The async store type returned by [`open_async`] and [`open_store_async`].
#[cfg(feature = "async")]
pub type DynAsyncStore =
    dyn zarrkit_core::storage::asynchronous::AsyncReadableWritableListableStorageTraits;

/// Open an async store from a URL or path (a store plugin with only a sync form is used
/// through the sync→async adapter, its calls on I/O threads).
#[cfg(feature = "async")]
pub fn open_store_async(url: &str) -> Result<Arc<DynAsyncStore>, StorageError> {
    zarrkit_core::registry::open_store_async(url)
}

/// Open the root node of the store at a URL or path, for the async API.
#[cfg(feature = "async")]
pub async fn open_async(url: &str) -> Result<Node<DynAsyncStore>, ArrayError> {
    let store = open_store_async(url)?;
    Node::open_async(store, "/").await
}

/// The traits most programs need, in one import: `use zarrkit::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "async")]
    pub use zarrkit_core::storage::asynchronous::{
        AsyncListableStorageTraits, AsyncReadableStorageExt, AsyncReadableStorageTraits,
        AsyncWritableStorageTraits,
    };
    pub use zarrkit_core::storage::{
        ListableStorageTraits, ReadableStorageExt, ReadableStorageTraits, WritableStorageTraits,
    };
    pub use zarrkit_core::{Array, ArrayBuilder, ArrayBytes, ArraySubset, Group, Node, Region};
}

/// Open the root node (array or group) of the store at a URL or path.
///
/// ```no_run
/// match zarrkit::open("data.zarr")? {
///     zarrkit::Node::Array(a) => println!("array of shape {:?}", a.shape()),
///     zarrkit::Node::Group(g) => println!("group with attributes {:?}", g.attributes()),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open(url: &str) -> Result<Node<DynStore>, ArrayError> {
    let store = open_store(url)?;
    Node::open(store, "/")
}

/// The names of the plugins this build was compiled with by default, by kind, for checks
/// that every default plugin is present in the registry of a built binary.
pub const DEFAULT_PLUGIN_NAMES: &[(&str, &[&str])] = &[
    (
        "data type",
        &[
            "bool",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float16",
            "bfloat16",
            "float32",
            "float64",
            "complex64",
            "complex128",
            "r8",
            "r16",
            "r64",
            "null_terminated_bytes",
            "raw_bytes",
            "fixed_length_utf32",
            "string",
            "variable_length_bytes",
            "numpy.datetime64",
            "numpy.timedelta64",
            "int2",
            "int4",
            "uint2",
            "uint4",
            "float4_e2m1fn",
            "float6_e2m3fn",
            "float6_e3m2fn",
            "float8_e3m4",
            "float8_e4m3",
            "float8_e4m3fn",
            "float8_e4m3fnuz",
            "float8_e4m3b11fnuz",
            "float8_e5m2",
            "float8_e5m2fnuz",
            "float8_e8m0fnu",
            "complex_float4_e2m1fn",
            "complex_float6_e2m3fn",
            "complex_float6_e3m2fn",
            "complex_float8_e3m4",
            "complex_float8_e4m3",
            "complex_float8_e4m3b11fnuz",
            "complex_float8_e4m3fnuz",
            "complex_float8_e5m2",
            "complex_float8_e5m2fnuz",
            "complex_float8_e8m0fnu",
            "zarrkit.vlen_array",
            "zarrs.optional",
            "struct",
        ],
    ),
    (
        "codec",
        &[
            "bytes",
            "transpose",
            "gzip",
            "zstd",
            "blosc",
            "crc32c",
            "sharding_indexed",
            "vlen-utf8",
            "vlen-bytes",
            "numcodecs.zlib",
            "numcodecs.bz2",
            "numcodecs.lz4",
            "numcodecs.shuffle",
            "numcodecs.delta",
            "numcodecs.adler32",
            "numcodecs.fletcher32",
            "packbits",
            "bitround",
            "numcodecs.pcodec",
            "numcodecs.zfpy",
            "numcodecs.lzma",
            "numcodecs.crc32",
            "numcodecs.base64",
            "numcodecs.jenkins_lookup3",
            "numcodecs.json2",
            "numcodecs.msgpack2",
            "numcodecs.vlen-array",
            "numcodecs.fixedscaleoffset",
            "numcodecs.quantize",
            "numcodecs.astype",
            "numcodecs.categorize",
            "zarrs.optional",
            "zarrs.squeeze",
            "zarrs.gdeflate",
            "zarrs.vlen",
            "zarrs.vlen_v2",
            "cast_value",
            "scale_offset",
            "reshape",
        ],
    ),
    ("chunk grid", &["regular", "rectilinear"]),
    ("chunk key encoding", &["default", "v2"]),
    (
        "store",
        &[
            "file",
            "memory",
            "zip+file",
            "zip+http",
            "zip+https",
            "zip+s3",
            "zip+gs",
            "zip+az",
            "http",
            "https",
            "s3",
            "gs",
            "az",
            "abfs",
            "abfss",
        ],
    ),
];
