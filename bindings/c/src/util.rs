//! Checked conversions of C arguments: strings, arrays, output pointers, JSON.

use std::ffi::{c_char, CStr};

use zarrkit::serde_json::{self, Map, Value};

use crate::error::{Error, Result};

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn cstr<'a>(p: *const c_char, arg: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::null(arg));
    }
    // SAFETY: not NULL; NUL-terminated per the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str()
        .map_err(|e| Error::invalid(format!("argument `{arg}` is not UTF-8: {e}")))
}

/// An optional NUL-terminated UTF-8 string argument (NULL = absent).
///
/// # Safety
/// As [`cstr`].
pub(crate) unsafe fn opt_cstr<'a>(p: *const c_char, arg: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded.
        unsafe { cstr(p, arg) }.map(Some)
    }
}

fn check_len<T>(p: *const T, len: usize, arg: &str) -> Result<()> {
    if !p.is_aligned() {
        return Err(Error::invalid(format!(
            "argument `{arg}` is misaligned for its element type"
        )));
    }
    if len
        .checked_mul(std::mem::size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(Error::invalid(format!(
            "argument `{arg}`: {len} elements exceed the address space"
        )));
    }
    Ok(())
}

/// A C array argument of `len` elements (`p` may be NULL when `len` is 0).
///
/// # Safety
/// `p` must be NULL or valid for reads of `len` elements for `'a`, not written meanwhile.
pub(crate) unsafe fn slice<'a, T>(p: *const T, len: usize, arg: &str) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::null(arg));
    }
    check_len(p, len, arg)?;
    // SAFETY: not NULL, aligned, size within isize; valid per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A C output array of `len` elements (`p` may be NULL when `len` is 0).
///
/// # Safety
/// `p` must be NULL or valid for writes of `len` elements for `'a`, not accessed meanwhile.
pub(crate) unsafe fn slice_mut<'a, T>(p: *mut T, len: usize, arg: &str) -> Result<&'a mut [T]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(Error::null(arg));
    }
    check_len(p, len, arg)?;
    // SAFETY: not NULL, aligned, size within isize; valid per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

/// Write one value through an output pointer.
///
/// # Safety
/// `p` must be NULL or valid for a write of a `T`.
pub(crate) unsafe fn write_out<T>(p: *mut T, value: T, arg: &str) -> Result<()> {
    if p.is_null() {
        return Err(Error::null(arg));
    }
    if !p.is_aligned() {
        return Err(Error::invalid(format!("argument `{arg}` is misaligned")));
    }
    // SAFETY: not NULL, aligned; valid per the caller's contract.
    unsafe { p.write(value) };
    Ok(())
}

/// Check an output handle pointer and set it to NULL (so it is NULL on every failure).
///
/// # Safety
/// `p` must be NULL or valid for a write of a pointer.
pub(crate) unsafe fn out_handle<T>(p: *mut *mut T, arg: &str) -> Result<OutHandle<T>> {
    // SAFETY: forwarded.
    unsafe { write_out(p, std::ptr::null_mut(), arg)? };
    Ok(OutHandle(p))
}

/// A checked output handle pointer (set to NULL until [`OutHandle::set`]).
pub(crate) struct OutHandle<T>(*mut *mut T);

impl<T> OutHandle<T> {
    /// Hand a handle to the caller.
    pub(crate) fn set(self, id: usize) {
        // SAFETY: checked by `out_handle` (not NULL, aligned, valid per the contract).
        unsafe { self.0.write(crate::handles::ptr_of(id)) };
    }
}

/// Parse a JSON argument.
pub(crate) fn parse_json(s: &str, arg: &str) -> Result<Value> {
    serde_json::from_str(s)
        .map_err(|e| Error::invalid(format!("argument `{arg}` is not valid JSON: {e}")))
}

/// Parse a JSON object argument.
pub(crate) fn parse_json_object(s: &str, arg: &str) -> Result<Map<String, Value>> {
    match parse_json(s, arg)? {
        Value::Object(m) => Ok(m),
        other => Err(Error::invalid(format!(
            "argument `{arg}` must be a JSON object, not {}",
            json_kind(&other)
        ))),
    }
}

/// Parse a JSON argument as extension metadata (`"name"` or `{"name": ..., "configuration":
/// ...}`).
pub(crate) fn parse_metadata_v3(s: &str, arg: &str) -> Result<zarrkit::MetadataV3> {
    serde_json::from_str(s).map_err(|e| {
        Error::invalid(format!(
            "argument `{arg}` is not extension metadata (a name or {{\"name\", \"configuration\"}}): {e}"
        ))
    })
}

/// Parse a JSON argument as a list of extension metadata (codecs).
pub(crate) fn parse_metadata_v3_list(s: &str, arg: &str) -> Result<Vec<zarrkit::MetadataV3>> {
    serde_json::from_str(s).map_err(|e| {
        Error::invalid(format!(
            "argument `{arg}` is not a JSON list of codec metadata: {e}"
        ))
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Compact JSON text of a value.
pub(crate) fn to_json(v: &Value) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| {
        Error::new(
            crate::error::ZarrkitStatus::Internal,
            format!("cannot serialise JSON: {e}"),
        )
    })
}
