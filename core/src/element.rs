//! Typed element access: Rust types that match data types, checked at run time.

use crate::data_type::DataTypeExtension;
use crate::error::ArrayError;

/// What a data type's elements are in Rust terms. Data type plugins report one through
/// [`DataTypeExtension::element_kind`]; each [`Element`] type has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ElementKind {
    /// `bool` (one byte, 0 or 1).
    Bool,
    /// `i8`.
    Int8,
    /// `i16`.
    Int16,
    /// `i32`.
    Int32,
    /// `i64`.
    Int64,
    /// `u8`.
    UInt8,
    /// `u16`.
    UInt16,
    /// `u32`.
    UInt32,
    /// `u64`.
    UInt64,
    /// `half::f16`.
    Float16,
    /// `half::bf16`.
    BFloat16,
    /// `f32`.
    Float32,
    /// `f64`.
    Float64,
    /// `num_complex::Complex<f32>`.
    Complex64,
    /// `num_complex::Complex<f64>`.
    Complex128,
    /// `[u8; N]`: N raw bytes.
    RawBytes(usize),
    /// Variable-length UTF-8 strings: `String` / `&str` through the string methods of
    /// [`crate::Array`] (`retrieve_array_subset_strings`, ...) and
    /// [`crate::array_bytes::VariableView`].
    /// (Not named `String`, which a `use ElementKind::*` would make shadow `std`'s.)
    Utf8String,
    /// Variable-length byte strings: `Vec<u8>` / `&[u8]` through the byte-string methods of
    /// [`crate::Array`] (`retrieve_array_subset_byte_strings`, ...).
    ByteString,
}

/// A Rust type that can be read from / written to an array element by element.
///
/// # Safety
/// Implementors must be plain old data of exactly `size_of::<Self>()` bytes in memory with no
/// padding, for which every byte pattern that [`Element::validate`] accepts is a valid value.
pub unsafe trait Element: Copy + Send + Sync + 'static {
    /// The matching element kind.
    fn kind() -> ElementKind;
    /// Check that these bytes hold valid values of this type.
    fn validate(_bytes: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

macro_rules! impl_element {
    ($($t:ty => $k:expr),* $(,)?) => {$(
        // SAFETY: primitive plain-old-data types, every bit pattern valid.
        unsafe impl Element for $t { fn kind() -> ElementKind { $k } }
    )*};
}
impl_element!(
    i8 => ElementKind::Int8, i16 => ElementKind::Int16, i32 => ElementKind::Int32, i64 => ElementKind::Int64,
    u8 => ElementKind::UInt8, u16 => ElementKind::UInt16, u32 => ElementKind::UInt32, u64 => ElementKind::UInt64,
    half::f16 => ElementKind::Float16, half::bf16 => ElementKind::BFloat16,
    f32 => ElementKind::Float32, f64 => ElementKind::Float64,
    num_complex::Complex<f32> => ElementKind::Complex64, num_complex::Complex<f64> => ElementKind::Complex128,
);

// SAFETY: bool is one byte; validate() rejects anything but 0 and 1.
unsafe impl Element for bool {
    fn kind() -> ElementKind {
        ElementKind::Bool
    }
    fn validate(bytes: &[u8]) -> Result<(), String> {
        match bytes.iter().position(|&b| b > 1) {
            None => Ok(()),
            Some(i) => Err(format!("bool element {i} has byte value {}", bytes[i])),
        }
    }
}

// SAFETY: a byte array, every bit pattern valid, no padding.
unsafe impl<const N: usize> Element for [u8; N] {
    fn kind() -> ElementKind {
        ElementKind::RawBytes(N)
    }
}

/// Check that `T` matches a data type.
pub fn check_element<T: Element>(data_type: &dyn DataTypeExtension) -> Result<(), ArrayError> {
    if data_type.element_kind() == Some(T::kind()) {
        Ok(())
    } else {
        Err(ArrayError::ElementTypeMismatch {
            requested: std::any::type_name::<T>().to_string(),
            data_type: data_type.name(),
        })
    }
}

/// Check that a data type reports `kind` (for typed access without an [`Element`] type,
/// such as strings). `requested` names the Rust type in the error.
pub fn check_element_kind(
    data_type: &dyn DataTypeExtension,
    kinds: &[ElementKind],
    requested: &str,
) -> Result<(), ArrayError> {
    match data_type.element_kind() {
        Some(k) if kinds.contains(&k) => Ok(()),
        _ => Err(ArrayError::ElementTypeMismatch {
            requested: requested.to_string(),
            data_type: data_type.name(),
        }),
    }
}

/// View elements as bytes.
pub fn elements_as_bytes<T: Element>(elements: &[T]) -> &[u8] {
    // SAFETY: Element guarantees POD without padding.
    unsafe {
        std::slice::from_raw_parts(
            elements.as_ptr().cast::<u8>(),
            std::mem::size_of_val(elements),
        )
    }
}

/// Convert element bytes into a vector of elements (validating them first).
pub fn bytes_to_elements<T: Element>(bytes: &[u8]) -> Result<Vec<T>, ArrayError> {
    let size = std::mem::size_of::<T>();
    if size == 0 || !bytes.len().is_multiple_of(size) {
        return Err(ArrayError::InvalidBytesLength {
            expected: (bytes.len() / size.max(1) * size) as u64,
            actual: bytes.len() as u64,
        });
    }
    T::validate(bytes).map_err(|e| ArrayError::Codec {
        key: String::new(),
        source: crate::error::CodecError::InvalidElements(e),
    })?;
    let n = bytes.len() / size;
    let mut out: Vec<T> = Vec::with_capacity(n);
    // SAFETY: capacity n * size bytes; T is POD and the bytes were validated.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.as_mut_ptr().cast::<u8>(), bytes.len());
        out.set_len(n);
    }
    Ok(out)
}
