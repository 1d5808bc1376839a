//! # zarrkit-c
//!
//! The C ABI of zarrkit, for C and C++ programs: `include/zarrkit.h` (generated from these
//! doc comments by cbindgen; `cargo test -p zarrkit-c` fails if the committed header
//! differs), `libzarrkit_c.a` and `libzarrkit_c.so`, a CMake package (`find_package(zarrkit)`)
//! and a pkg-config file (`zarrkit.pc`) staged by `scripts/stage.sh`.
//!
//! ## Conventions
//! - **Status codes.** Every function that can fail returns a `ZarrkitStatus`
//!   (`ZARRKIT_STATUS_OK` = 0). The calling thread's last error keeps the code, a message
//!   and the store key or node path involved: `zarrkit_last_error_code`,
//!   `zarrkit_last_error_message`, `zarrkit_last_error_path`. Each entry point clears it
//!   first, so it always describes the thread's latest call; threads never see each
//!   other's errors.
//! - **No panic crosses the boundary.** Every entry point runs under `catch_unwind`; a
//!   panic becomes `ZARRKIT_STATUS_PANIC` with the panic message. (This needs the default
//!   `panic = "unwind"`; a build with `panic = "abort"` aborts instead.)
//! - **Handles** (`ZarrkitStore*`, `ZarrkitArray*`, `ZarrkitGroup*`, ...) are opaque
//!   identifiers, created by `*_create` / `*_open` calls and released by the matching
//!   `*_destroy`. An array or group keeps its store alive, so destroy order does not matter.
//!   Output handles are set to NULL on failure.
//! - **Buffers.** Element data goes into and out of caller-owned buffers whose size must be
//!   exactly the one the size query returned (`zarrkit_array_region_size`,
//!   `zarrkit_variable_data_size`); strings are copied NUL-terminated into a buffer of at
//!   least the queried size (`buf = NULL, size = 0` queries). Wrong sizes are
//!   `ZARRKIT_STATUS_BUFFER_SIZE`, NULL pointers `ZARRKIT_STATUS_NULL_POINTER` (except that
//!   `*_destroy(NULL)` is a no-op, like `free(NULL)`).
//! - **Threads.** Every handle may be used from several threads at once: reads and writes
//!   of one array run concurrently (writes to one chunk are serialised by the chunk's lock).
//!
//! ## What is guarded, and what stays undefined behaviour
//! Handles are numbers looked up in a registry, never dereferenced, and never reused: a
//! destroyed handle, a second destroy, a handle of the wrong type, or any made-up value is
//! `ZARRKIT_STATUS_INVALID_HANDLE`. Destroying a handle while another thread is inside a
//! call with it is safe: that call finishes with the object, which is freed afterwards.
//! Misaligned pointers are detected. What C can still get wrong, and this library cannot
//! detect: a non-NULL pointer to memory that is not valid for the size given (a buffer
//! shorter than its stated size, a freed buffer), a string without its terminating NUL,
//! and buffers another thread writes during the call. (On 32-bit platforms handle numbers
//! wrap after 2^28 handles; after that a stale handle could name a newer object.)
//!
//! ## Selections
//! Orthogonal, vectorized, mask and block indexing (NumPy's and zarr-python's semantics) go
//! through a `ZarrkitSelection` handle named by a region of kind `SELECTION`; every read,
//! write and size query then takes it like any other region (see [`selection`]).

// The order of the modules is the order of the header's functions (blank lines keep
// rustfmt from sorting them).
pub mod error;

mod handles;

pub mod store;

pub mod region;

pub mod selection;

pub mod array;

pub mod builder;

pub mod group;

mod util;

use std::ffi::c_char;

pub use array::{ZarrkitArray, ZarrkitElementType, ZarrkitVariableData};
pub use builder::ZarrkitArrayBuilder;
pub use error::ZarrkitStatus;
pub use group::{ZarrkitGroup, ZarrkitNodeList};
pub use region::{ZarrkitRegion, ZarrkitRegionKind};
pub use selection::{ZarrkitSelection, ZarrkitSelectionKind};
pub use store::{ZarrkitNodeKind, ZarrkitStore};

/// The ABI version this header describes. `zarrkit_abi_version()` returns the version of
/// the library actually linked: compare them at start-up. It changes whenever a function
/// signature, a struct layout or the meaning of a call changes incompatibly (adding
/// functions or status codes does not change it). The shared library's soname carries it
/// (`libzarrkit_c.so.1`).
pub const ZARRKIT_ABI_VERSION: u32 = 1;

/// The ABI version of the linked library (see `ZARRKIT_ABI_VERSION`).
#[no_mangle]
pub extern "C" fn zarrkit_abi_version() -> u32 {
    ZARRKIT_ABI_VERSION
}

/// The zarrkit version of the linked library (`"0.1.0"`). The string is static: do not
/// free it.
#[no_mangle]
pub extern "C" fn zarrkit_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The number of live handles of all types (stores, arrays, groups, builders, variable
/// data, node lists, selections): for leak checks in tests.
#[no_mangle]
pub extern "C" fn zarrkit_live_handle_count() -> usize {
    error::ffi_value(0, handles::live_count)
}

/// Copy the names of every registered plugin as a JSON object into `buf`, by kind:
/// `{"data type": ["bool", ...], "codec": [...], "chunk grid": [...], "chunk key encoding":
/// [...], "store": ["file", "memory", ...]}` (string output rules as
/// `zarrkit_array_metadata_json`). Empty lists of data types and codecs mean a static
/// library linked without `--whole-archive`.
///
/// # Safety
/// `buf` must be NULL or valid for `size` bytes; `required` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_registered_plugins_json(
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    error::ffi(|| {
        let mut m = zarrkit::serde_json::Map::new();
        for (kind, names) in zarrkit::registry::list_plugins() {
            m.insert(kind.to_string(), zarrkit::serde_json::Value::from(names));
        }
        let text = util::to_json(&zarrkit::serde_json::Value::Object(m))?;
        // SAFETY: forwarded from the caller's contract.
        unsafe { error::write_string(&text, buf, size, required) }
    })
}

/// Panic inside the library, on purpose: returns `ZARRKIT_STATUS_PANIC` with the message
/// `"panic inside zarrkit: zarrkit_debug_panic called"` as the last error. For tests of a
/// program's error handling and of the boundary itself; never needed otherwise.
#[no_mangle]
pub extern "C" fn zarrkit_debug_panic() -> ZarrkitStatus {
    error::ffi(|| {
        #[allow(clippy::panic)]
        {
            panic!("zarrkit_debug_panic called")
        }
    })
}
