//! Status codes, the thread-local last error and the boundary every entry point goes
//! through ([`ffi`]): it clears the last error, runs the body under `catch_unwind`, and turns
//! an error value or a panic into a status code plus a last error.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use zarrkit::{ArrayError, GroupError, MetadataError, PluginError, StorageError};

/// The status every fallible function returns. `ZARRKIT_STATUS_OK` (0) is success; any
/// other value is an error whose message and key/path are kept as the calling thread's last
/// error (`zarrkit_last_error_message`, `zarrkit_last_error_path`). New codes may be added
/// in later versions without changing the ABI version: treat an unknown code as an error.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZarrkitStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL (the message names the argument).
    NullPointer = 1,
    /// A handle that is not live: never returned by this library, already destroyed, or a
    /// handle of another type (an array handle passed as a store handle).
    InvalidHandle = 2,
    /// An argument that is not valid: a string that is not UTF-8, JSON that does not parse
    /// or has the wrong shape, a rank that does not match the array, an unknown region kind,
    /// a misaligned pointer, malformed variable-length offsets.
    InvalidArgument = 3,
    /// A caller buffer of the wrong size: element buffers must have exactly the size the
    /// size query returned; string buffers must hold at least the size it returned.
    BufferSize = 4,
    /// No node (array or group) at the path.
    NotFound = 5,
    /// The node is of the other kind (a group where an array was expected, or the reverse).
    NodeKind = 6,
    /// Metadata that is malformed or violates the specification, or a plugin that rejected
    /// its configuration.
    Metadata = 7,
    /// Metadata names a codec, data type, chunk grid or key encoding no linked plugin
    /// provides.
    UnknownPlugin = 8,
    /// An error from the store (I/O, a remote error, an invalid key).
    Storage = 9,
    /// No store plugin is registered for the URL's scheme.
    UnknownScheme = 10,
    /// A codec failed to encode or decode a chunk (corrupt data, checksum mismatch).
    Codec = 11,
    /// The data type does not fit the operation: a typed access with another element type,
    /// a fixed-size read of a variable-size array or the reverse, invalid element values
    /// (a bool byte that is not 0 or 1, a string that is not UTF-8).
    DataType = 12,
    /// Chunk indices outside the chunk grid, or a subset outside the array or chunk.
    OutOfBounds = 13,
    /// An operation this array or store does not support (inner chunks of an unsharded
    /// array, a store without the operation).
    Unsupported = 14,
    /// More data than this platform can address or the configured limit allows.
    TooLarge = 15,
    /// A chunk that is not stored, read while missing chunks are not filled.
    MissingChunk = 16,
    /// A stored value changed under a read or conditional write (every retry saw a newer
    /// version).
    Changed = 17,
    /// A panic inside the library was caught at the boundary (a bug: please report it).
    Panic = 18,
    /// A broken internal invariant (a bug: please report it).
    Internal = 19,
    /// An error of a kind this version of the bindings does not classify yet; the message
    /// says what it is.
    Other = 20,
    /// A selection that does not fit the array: a position out of range, a slice step of 0,
    /// a mask of the wrong length or shape, index arrays that do not broadcast, more
    /// indices than dimensions (the message names the dimension).
    InvalidSelection = 21,
}

impl ZarrkitStatus {
    /// The name of the status as the header spells it (NUL-terminated).
    pub(crate) fn name(code: i32) -> &'static [u8] {
        match code {
            0 => b"ZARRKIT_STATUS_OK\0",
            1 => b"ZARRKIT_STATUS_NULL_POINTER\0",
            2 => b"ZARRKIT_STATUS_INVALID_HANDLE\0",
            3 => b"ZARRKIT_STATUS_INVALID_ARGUMENT\0",
            4 => b"ZARRKIT_STATUS_BUFFER_SIZE\0",
            5 => b"ZARRKIT_STATUS_NOT_FOUND\0",
            6 => b"ZARRKIT_STATUS_NODE_KIND\0",
            7 => b"ZARRKIT_STATUS_METADATA\0",
            8 => b"ZARRKIT_STATUS_UNKNOWN_PLUGIN\0",
            9 => b"ZARRKIT_STATUS_STORAGE\0",
            10 => b"ZARRKIT_STATUS_UNKNOWN_SCHEME\0",
            11 => b"ZARRKIT_STATUS_CODEC\0",
            12 => b"ZARRKIT_STATUS_DATA_TYPE\0",
            13 => b"ZARRKIT_STATUS_OUT_OF_BOUNDS\0",
            14 => b"ZARRKIT_STATUS_UNSUPPORTED\0",
            15 => b"ZARRKIT_STATUS_TOO_LARGE\0",
            16 => b"ZARRKIT_STATUS_MISSING_CHUNK\0",
            17 => b"ZARRKIT_STATUS_CHANGED\0",
            18 => b"ZARRKIT_STATUS_PANIC\0",
            19 => b"ZARRKIT_STATUS_INTERNAL\0",
            20 => b"ZARRKIT_STATUS_OTHER\0",
            21 => b"ZARRKIT_STATUS_INVALID_SELECTION\0",
            _ => b"unknown zarrkit status\0",
        }
    }
}

/// An error on its way to the boundary: a status, a message and the store key or node path
/// involved (if any).
#[derive(Debug)]
pub(crate) struct Error {
    pub(crate) code: ZarrkitStatus,
    pub(crate) message: String,
    pub(crate) path: Option<String>,
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(code: ZarrkitStatus, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            path: None,
        }
    }

    /// A NULL argument.
    pub(crate) fn null(arg: &str) -> Self {
        Self::new(
            ZarrkitStatus::NullPointer,
            format!("argument `{arg}` is NULL"),
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ZarrkitStatus::InvalidArgument, message)
    }

    pub(crate) fn buffer_size(message: impl Into<String>) -> Self {
        Self::new(ZarrkitStatus::BufferSize, message)
    }

    pub(crate) fn data_type(message: impl Into<String>) -> Self {
        Self::new(ZarrkitStatus::DataType, message)
    }

    /// Name `path` as the node or key involved unless the error already names one.
    pub(crate) fn or_path(mut self, path: &str) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_string());
        }
        self
    }

    fn with(code: ZarrkitStatus, mut message: String, path: Option<&str>) -> Self {
        if matches!(
            code,
            ZarrkitStatus::UnknownPlugin | ZarrkitStatus::UnknownScheme
        ) && no_plugins_linked()
        {
            message.push_str(NO_PLUGINS_HINT);
        }
        Self {
            code,
            message,
            path: path.map(str::to_string),
        }
    }
}

/// Whether the default plugins are missing from the registry: the sign of a static library
/// linked without `--whole-archive` (the linker then drops the plugins' registrations,
/// which nothing references by name).
fn no_plugins_linked() -> bool {
    zarrkit::registry::list_plugins()
        .iter()
        .all(|(kind, names)| *kind == zarrkit::error::ExtensionKind::Store || names.is_empty())
}

const NO_PLUGINS_HINT: &str = " [no data type or codec plugin is registered in this program: \
link libzarrkit_c.a whole (-Wl,--whole-archive libzarrkit_c.a -Wl,--no-whole-archive; the \
CMake target zarrkit::zarrkit_static and zarrkit-static.pc do), or link libzarrkit_c.so]";

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        use StorageError as E;
        let message = e.to_string();
        let (code, path) = match &e {
            E::InvalidKey { key, .. } => (ZarrkitStatus::InvalidArgument, Some(key.as_str())),
            E::Io { key, .. }
            | E::RangeOutOfBounds { key, .. }
            | E::ValueSize { key, .. }
            | E::Exists { key }
            | E::Remote { key, .. } => (ZarrkitStatus::Storage, Some(key.as_str())),
            E::Changed { key } => (ZarrkitStatus::Changed, Some(key.as_str())),
            E::Unsupported(_) => (ZarrkitStatus::Unsupported, None),
            E::UnknownScheme(_) => (ZarrkitStatus::UnknownScheme, None),
            _ => (ZarrkitStatus::Storage, None),
        };
        Self::with(code, message, path)
    }
}

impl From<MetadataError> for Error {
    fn from(e: MetadataError) -> Self {
        let message = e.to_string();
        let (code, node) = match &e {
            MetadataError::Plugin {
                node,
                source: PluginError::Unknown { .. },
            } => (ZarrkitStatus::UnknownPlugin, Some(node.as_str())),
            MetadataError::Json { node, .. }
            | MetadataError::Invalid { node, .. }
            | MetadataError::Plugin { node, .. } => (ZarrkitStatus::Metadata, Some(node.as_str())),
            _ => (ZarrkitStatus::Metadata, None),
        };
        Self::with(code, message, node)
    }
}

impl From<ArrayError> for Error {
    fn from(e: ArrayError) -> Self {
        use ArrayError as E;
        let message = e.to_string();
        let (code, path): (ZarrkitStatus, Option<&str>) = match e {
            E::Storage(s) => return s.into(),
            E::Metadata(m) => return m.into(),
            E::Codec {
                ref key,
                ref source,
            } => (
                match source {
                    zarrkit::CodecError::InvalidElements(_) => ZarrkitStatus::DataType,
                    zarrkit::CodecError::AllocationRefused { .. } => ZarrkitStatus::TooLarge,
                    zarrkit::CodecError::Internal(_) => ZarrkitStatus::Internal,
                    _ => ZarrkitStatus::Codec,
                },
                Some(key.as_str()),
            ),
            E::NotFound(ref p) => (ZarrkitStatus::NotFound, Some(p.as_str())),
            E::NotAnArray(ref p) => (ZarrkitStatus::NodeKind, Some(p.as_str())),
            E::InvalidChunkIndices { .. } | E::InvalidSubset { .. } => {
                (ZarrkitStatus::OutOfBounds, None)
            }
            E::InvalidBytesLength { .. } => (ZarrkitStatus::BufferSize, None),
            E::ElementTypeMismatch { .. } => (ZarrkitStatus::DataType, None),
            E::Unsupported(_) => (ZarrkitStatus::Unsupported, None),
            E::InvalidInput(_) => (ZarrkitStatus::InvalidArgument, None),
            E::TooLarge(_) => (ZarrkitStatus::TooLarge, None),
            E::Unstable { ref key, .. } => (ZarrkitStatus::Changed, Some(key.as_str())),
            E::MissingChunk { ref key } => (ZarrkitStatus::MissingChunk, Some(key.as_str())),
            E::InvalidSelection(_) => (ZarrkitStatus::InvalidSelection, None),
            E::Internal(_) => (ZarrkitStatus::Internal, None),
            // A kind added to the core after these bindings.
            _ => (ZarrkitStatus::Other, None),
        };
        Self::with(code, message, path)
    }
}

impl From<GroupError> for Error {
    fn from(e: GroupError) -> Self {
        use GroupError as E;
        let message = e.to_string();
        match e {
            E::Storage(s) => s.into(),
            E::Metadata(m) => m.into(),
            E::Array(a) => (*a).into(),
            E::NotFound(p) => Self::with(ZarrkitStatus::NotFound, message, Some(&p)),
            E::NotAGroup(p) => Self::with(ZarrkitStatus::NodeKind, message, Some(&p)),
            E::NoConsolidatedMetadata(p) => Self::with(ZarrkitStatus::NotFound, message, Some(&p)),
            _ => Self::with(ZarrkitStatus::Other, message, None),
        }
    }
}

/// The last error of a thread, as C reads it.
struct LastError {
    code: ZarrkitStatus,
    message: CString,
    path: CString,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// A C string of `s` (an interior NUL, which no message should hold, is shown as `\0`).
fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

fn set_last_error(e: &Error) {
    let last = LastError {
        code: e.code,
        message: c_string(&e.message),
        path: c_string(e.path.as_deref().unwrap_or("")),
    };
    // `try_with`: during thread teardown the slot may be gone; the status still reports it.
    let _ = LAST_ERROR.try_with(|l| *l.borrow_mut() = Some(last));
}

pub(crate) fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|l| *l.borrow_mut() = None);
}

/// The last error's code (`Ok` if there is none).
pub(crate) fn last_error_code() -> ZarrkitStatus {
    LAST_ERROR
        .try_with(|l| l.borrow().as_ref().map_or(ZarrkitStatus::Ok, |e| e.code))
        .unwrap_or(ZarrkitStatus::Ok)
}

/// The last error's message or path bytes (without NUL), copied out.
pub(crate) fn last_error_text(path: bool) -> Vec<u8> {
    LAST_ERROR
        .try_with(|l| {
            l.borrow().as_ref().map_or_else(Vec::new, |e| {
                if path {
                    e.path.as_bytes().to_vec()
                } else {
                    e.message.as_bytes().to_vec()
                }
            })
        })
        .unwrap_or_default()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

/// Run the body of an entry point: clear the thread's last error, run `f` under
/// `catch_unwind`, and report an error or a panic as a status plus last error. No panic
/// crosses the boundary.
pub(crate) fn ffi<F: FnOnce() -> Result<()>>(f: F) -> ZarrkitStatus {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => ZarrkitStatus::Ok,
        Ok(Err(e)) => {
            set_last_error(&e);
            e.code
        }
        Err(payload) => {
            let e = Error::new(
                ZarrkitStatus::Panic,
                format!("panic inside zarrkit: {}", panic_message(&*payload)),
            );
            // Dropping the payload runs foreign code too: a panic there is swallowed and the
            // payload leaked rather than unwinding into C.
            if let Err(p) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                std::mem::forget(p);
            }
            set_last_error(&e);
            e.code
        }
    }
}

/// [`ffi`] for functions that return a value rather than a status (they cannot fail): a
/// panic gives `fallback`.
pub(crate) fn ffi_value<T, F: FnOnce() -> T>(fallback: T, f: F) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            if let Err(p) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                std::mem::forget(p);
            }
            fallback
        }
    }
}

/// Copy `s` and a NUL into a caller's buffer, or answer a size query.
///
/// `*required` (if `required` is not NULL) receives `s.len() + 1`. `buf == NULL` with
/// `size == 0` is a size query (`Ok`); a buffer smaller than that is `BufferSize` and
/// is left untouched.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `size` bytes; `required` NULL or valid.
pub(crate) unsafe fn write_string(
    s: &[u8],
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> Result<()> {
    let need = s.len() + 1;
    if !required.is_null() {
        if !required.is_aligned() {
            return Err(Error::invalid("argument `required` is misaligned"));
        }
        // SAFETY: not NULL, aligned; valid per the caller's contract.
        unsafe { required.write(need) };
    }
    if buf.is_null() {
        return if size == 0 {
            if required.is_null() {
                Err(Error::null("required"))
            } else {
                Ok(())
            }
        } else {
            Err(Error::null("buf"))
        };
    }
    if size < need {
        return Err(Error::buffer_size(format!(
            "a buffer of {size} bytes for a string of {need} bytes (the NUL included)"
        )));
    }
    // SAFETY: `buf` is valid for `size >= need` bytes per the caller's contract; the source
    // is a Rust slice, so the two cannot overlap unless the caller passed our own memory.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
        buf.add(s.len()).write(0);
    }
    Ok(())
}

// ----- entry points -----

/// The status of the calling thread's last call: every entry point except the
/// `zarrkit_last_error_*` functions, `zarrkit_status_name`, `zarrkit_abi_version`,
/// `zarrkit_version` and `zarrkit_live_handle_count` clears it first and sets it when it
/// fails. `ZARRKIT_STATUS_OK` if the last call succeeded.
#[no_mangle]
pub extern "C" fn zarrkit_last_error_code() -> ZarrkitStatus {
    ffi_value(ZarrkitStatus::Ok, last_error_code)
}

/// Copy the calling thread's last error message into `buf` (NUL-terminated; empty if the
/// last call succeeded).
///
/// `*required` receives the size needed, NUL included. Pass `buf = NULL, size = 0` to ask
/// for the size only. A buffer smaller than that gives `ZARRKIT_STATUS_BUFFER_SIZE` and is
/// left untouched. This function does not change the last error.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `size` bytes; `required` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_last_error_message(
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    let text = last_error_text(false);
    // Not through `ffi`: that would clear the error being read.
    ffi_value(ZarrkitStatus::Panic, || {
        // SAFETY: forwarded from the caller's contract.
        match unsafe { write_string(&text, buf, size, required) } {
            Ok(()) => ZarrkitStatus::Ok,
            Err(e) => e.code,
        }
    })
}

/// Copy the store key or node path involved in the calling thread's last error into `buf`
/// (NUL-terminated; empty when the error involves none, e.g. a NULL argument, or when the
/// last call succeeded). Same buffer rules as `zarrkit_last_error_message`; does not change
/// the last error.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `size` bytes; `required` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_last_error_path(
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    let text = last_error_text(true);
    ffi_value(ZarrkitStatus::Panic, || {
        // SAFETY: forwarded from the caller's contract.
        match unsafe { write_string(&text, buf, size, required) } {
            Ok(()) => ZarrkitStatus::Ok,
            Err(e) => e.code,
        }
    })
}

/// Clear the calling thread's last error.
#[no_mangle]
pub extern "C" fn zarrkit_last_error_clear() {
    ffi_value((), clear_last_error);
}

/// The name of a status code as the header spells it (`"ZARRKIT_STATUS_BUFFER_SIZE"`), or
/// `"unknown zarrkit status"`. The string is static: do not free it.
#[no_mangle]
pub extern "C" fn zarrkit_status_name(status: i32) -> *const c_char {
    ZarrkitStatus::name(status).as_ptr().cast()
}
