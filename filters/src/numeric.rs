//! Typed element buffers for the numeric data types, with `as`-cast semantics between them.
//!
//! A [`Buf`] holds the elements of one region in native byte order, typed by
//! [`NumericType`]. `bool` elements are held as `u8` (0 or 1), as zarrs_filter does.
//! Conversions follow Rust's `as` (num-traits' `AsPrimitive`): float → integer truncates
//! toward zero and saturates (NaN → 0), integer → integer wraps, anything → `float16` /
//! `bfloat16` goes through `f32` (from `f64` directly). The one exception: a conversion
//! *to* `bool` gives `true` for any nonzero value (after truncation toward zero), because
//! a bool element must be 0 or 1 (zarrs_filter writes the `u8` cast, e.g. 2, which is no
//! valid bool).

use half::{bf16, f16};
use num_traits::AsPrimitive;
use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytesRef;
use zarrkit_core::storage::{ReadableStorageTraits, WritableStorageTraits};
use zarrkit_core::{Array, ArraySubset, CodecOptions, DataType, ElementKind, FillValue};

use crate::FilterError;

/// The numeric data types the filters work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumericType {
    /// `bool` (held as `u8` 0/1).
    Bool,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `uint8`.
    UInt8,
    /// `uint16`.
    UInt16,
    /// `uint32`.
    UInt32,
    /// `uint64`.
    UInt64,
    /// `float16`.
    Float16,
    /// `bfloat16`.
    BFloat16,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
}

impl NumericType {
    /// The numeric type of a data type (by its element kind), if it is one.
    pub fn of(data_type: &DataType) -> Option<Self> {
        Some(match data_type.element_kind()? {
            ElementKind::Bool => Self::Bool,
            ElementKind::Int8 => Self::Int8,
            ElementKind::Int16 => Self::Int16,
            ElementKind::Int32 => Self::Int32,
            ElementKind::Int64 => Self::Int64,
            ElementKind::UInt8 => Self::UInt8,
            ElementKind::UInt16 => Self::UInt16,
            ElementKind::UInt32 => Self::UInt32,
            ElementKind::UInt64 => Self::UInt64,
            ElementKind::Float16 => Self::Float16,
            ElementKind::BFloat16 => Self::BFloat16,
            ElementKind::Float32 => Self::Float32,
            ElementKind::Float64 => Self::Float64,
            _ => return None,
        })
    }

    /// The numeric type of a data type, or [`FilterError::UnsupportedDataType`].
    pub fn of_checked(data_type: &DataType) -> Result<Self, FilterError> {
        Self::of(data_type).ok_or_else(|| FilterError::UnsupportedDataType(data_type.name()))
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::Bool | Self::Int8 | Self::UInt8 => 1,
            Self::Int16 | Self::UInt16 | Self::Float16 | Self::BFloat16 => 2,
            Self::Int32 | Self::UInt32 | Self::Float32 => 4,
            Self::Int64 | Self::UInt64 | Self::Float64 => 8,
        }
    }

    /// Whether the type is a floating-point type.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            Self::Float16 | Self::BFloat16 | Self::Float32 | Self::Float64
        )
    }

    /// The Zarr V3 data type name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bool => "bool",
            Self::Int8 => "int8",
            Self::Int16 => "int16",
            Self::Int32 => "int32",
            Self::Int64 => "int64",
            Self::UInt8 => "uint8",
            Self::UInt16 => "uint16",
            Self::UInt32 => "uint32",
            Self::UInt64 => "uint64",
            Self::Float16 => "float16",
            Self::BFloat16 => "bfloat16",
            Self::Float32 => "float32",
            Self::Float64 => "float64",
        }
    }
}

/// A primitive element type of a [`Buf`].
pub trait Prim:
    bytemuck::Pod
    + Copy
    + Send
    + Sync
    + PartialEq
    + PartialOrd
    + Default
    + std::fmt::Debug
    + AsPrimitive<f64>
    + AsPrimitive<f32>
    + 'static
{
    /// The numeric type (`u8` says `UInt8`; bools are `u8` with [`NumericType::Bool`]).
    const TYPE: NumericType;
    /// Wrapping (integers) or rounding (floats) addition.
    fn add(self, other: Self) -> Self;
    /// The value as `f64` (`as`).
    #[inline]
    fn as_f64(self) -> f64 {
        AsPrimitive::<f64>::as_(self)
    }
}

macro_rules! prim_int {
    ($($t:ty => $k:ident),*) => {$(
        impl Prim for $t {
            const TYPE: NumericType = NumericType::$k;
            #[inline]
            fn add(self, other: Self) -> Self { self.wrapping_add(other) }
        }
    )*};
}
prim_int!(i8 => Int8, i16 => Int16, i32 => Int32, i64 => Int64, u8 => UInt8, u16 => UInt16, u32 => UInt32, u64 => UInt64);
macro_rules! prim_float {
    ($($t:ty => $k:ident),*) => {$(
        impl Prim for $t {
            const TYPE: NumericType = NumericType::$k;
            #[inline]
            fn add(self, other: Self) -> Self { self + other }
        }
    )*};
}
prim_float!(f16 => Float16, bf16 => BFloat16, f32 => Float32, f64 => Float64);

/// Elements of one region, typed.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Buf {
    Bool(Vec<u8>),
    Int8(Vec<i8>),
    Int16(Vec<i16>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    UInt8(Vec<u8>),
    UInt16(Vec<u16>),
    UInt32(Vec<u32>),
    UInt64(Vec<u64>),
    Float16(Vec<f16>),
    BFloat16(Vec<bf16>),
    Float32(Vec<f32>),
    Float64(Vec<f64>),
}

/// Run `$body` with `$v` bound to the typed vector of a `Buf` (by reference or value as the
/// scrutinee is).
#[macro_export]
#[doc(hidden)]
macro_rules! with_buf {
    ($buf:expr, $v:ident => $body:expr) => {
        match $buf {
            $crate::numeric::Buf::Bool($v) => $body,
            $crate::numeric::Buf::Int8($v) => $body,
            $crate::numeric::Buf::Int16($v) => $body,
            $crate::numeric::Buf::Int32($v) => $body,
            $crate::numeric::Buf::Int64($v) => $body,
            $crate::numeric::Buf::UInt8($v) => $body,
            $crate::numeric::Buf::UInt16($v) => $body,
            $crate::numeric::Buf::UInt32($v) => $body,
            $crate::numeric::Buf::UInt64($v) => $body,
            $crate::numeric::Buf::Float16($v) => $body,
            $crate::numeric::Buf::BFloat16($v) => $body,
            $crate::numeric::Buf::Float32($v) => $body,
            $crate::numeric::Buf::Float64($v) => $body,
        }
    };
}
pub use with_buf;

/// Build a `Buf` of type `$ty` from an expression generic in the element type `$t`.
#[macro_export]
#[doc(hidden)]
macro_rules! make_buf {
    ($ty:expr, $t:ident => $body:expr) => {
        match $ty {
            $crate::numeric::NumericType::Bool => $crate::numeric::Buf::Bool({
                type $t = u8;
                $body
            }),
            $crate::numeric::NumericType::Int8 => $crate::numeric::Buf::Int8({
                type $t = i8;
                $body
            }),
            $crate::numeric::NumericType::Int16 => $crate::numeric::Buf::Int16({
                type $t = i16;
                $body
            }),
            $crate::numeric::NumericType::Int32 => $crate::numeric::Buf::Int32({
                type $t = i32;
                $body
            }),
            $crate::numeric::NumericType::Int64 => $crate::numeric::Buf::Int64({
                type $t = i64;
                $body
            }),
            $crate::numeric::NumericType::UInt8 => $crate::numeric::Buf::UInt8({
                type $t = u8;
                $body
            }),
            $crate::numeric::NumericType::UInt16 => $crate::numeric::Buf::UInt16({
                type $t = u16;
                $body
            }),
            $crate::numeric::NumericType::UInt32 => $crate::numeric::Buf::UInt32({
                type $t = u32;
                $body
            }),
            $crate::numeric::NumericType::UInt64 => $crate::numeric::Buf::UInt64({
                type $t = u64;
                $body
            }),
            $crate::numeric::NumericType::Float16 => $crate::numeric::Buf::Float16({
                type $t = half::f16;
                $body
            }),
            $crate::numeric::NumericType::BFloat16 => $crate::numeric::Buf::BFloat16({
                type $t = half::bf16;
                $body
            }),
            $crate::numeric::NumericType::Float32 => $crate::numeric::Buf::Float32({
                type $t = f32;
                $body
            }),
            $crate::numeric::NumericType::Float64 => $crate::numeric::Buf::Float64({
                type $t = f64;
                $body
            }),
        }
    };
}
pub use make_buf;

/// A zeroed vector of `n` elements, allocated fallibly.
pub fn try_zeroed<T: Prim>(n: usize) -> Result<Vec<T>, FilterError> {
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| FilterError::Allocation(n.saturating_mul(std::mem::size_of::<T>())))?;
    v.resize(n, T::zeroed());
    Ok(v)
}

/// Whether a value is nonzero after truncation toward zero (NaN is zero).
#[inline]
pub fn is_nonzero<T: Prim>(v: T) -> bool {
    let f: f64 = v.as_();
    f.trunc() != 0.0 && !f.is_nan()
}

macro_rules! cast_to {
    ($v:expr, $to:expr) => {{
        let v = $v;
        match $to {
            NumericType::Bool => Buf::Bool(v.iter().map(|&x| u8::from(is_nonzero(x))).collect()),
            NumericType::Int8 => Buf::Int8(v.iter().map(|&x| x.as_()).collect()),
            NumericType::Int16 => Buf::Int16(v.iter().map(|&x| x.as_()).collect()),
            NumericType::Int32 => Buf::Int32(v.iter().map(|&x| x.as_()).collect()),
            NumericType::Int64 => Buf::Int64(v.iter().map(|&x| x.as_()).collect()),
            NumericType::UInt8 => Buf::UInt8(v.iter().map(|&x| x.as_()).collect()),
            NumericType::UInt16 => Buf::UInt16(v.iter().map(|&x| x.as_()).collect()),
            NumericType::UInt32 => Buf::UInt32(v.iter().map(|&x| x.as_()).collect()),
            NumericType::UInt64 => Buf::UInt64(v.iter().map(|&x| x.as_()).collect()),
            NumericType::Float16 => Buf::Float16(v.iter().map(|&x| x.as_()).collect()),
            NumericType::BFloat16 => Buf::BFloat16(v.iter().map(|&x| x.as_()).collect()),
            NumericType::Float32 => Buf::Float32(v.iter().map(|&x| x.as_()).collect()),
            NumericType::Float64 => Buf::Float64(v.iter().map(|&x| x.as_()).collect()),
        }
    }};
}

impl Buf {
    /// The numeric type.
    pub fn numeric_type(&self) -> NumericType {
        match self {
            Self::Bool(_) => NumericType::Bool,
            Self::Int8(_) => NumericType::Int8,
            Self::Int16(_) => NumericType::Int16,
            Self::Int32(_) => NumericType::Int32,
            Self::Int64(_) => NumericType::Int64,
            Self::UInt8(_) => NumericType::UInt8,
            Self::UInt16(_) => NumericType::UInt16,
            Self::UInt32(_) => NumericType::UInt32,
            Self::UInt64(_) => NumericType::UInt64,
            Self::Float16(_) => NumericType::Float16,
            Self::BFloat16(_) => NumericType::BFloat16,
            Self::Float32(_) => NumericType::Float32,
            Self::Float64(_) => NumericType::Float64,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        with_buf!(self, v => v.len())
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` zero elements of a type.
    pub fn zeros(ty: NumericType, n: usize) -> Result<Self, FilterError> {
        Ok(make_buf!(ty, T => try_zeroed::<T>(n)?))
    }

    /// The elements as native-endian bytes.
    pub fn as_bytes(&self) -> &[u8] {
        with_buf!(self, v => bytemuck::cast_slice(v.as_slice()))
    }

    /// The elements as mutable native-endian bytes.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        with_buf!(self, v => bytemuck::cast_slice_mut(v.as_mut_slice()))
    }

    /// Elements from native-endian bytes (a whole number of elements).
    pub fn from_bytes(ty: NumericType, bytes: &[u8]) -> Result<Self, FilterError> {
        if !bytes.len().is_multiple_of(ty.size()) {
            return Err(FilterError::Other(format!(
                "{} bytes are not a whole number of {} elements",
                bytes.len(),
                ty.name()
            )));
        }
        let mut b = Self::zeros(ty, bytes.len() / ty.size())?;
        b.as_bytes_mut().copy_from_slice(bytes);
        Ok(b)
    }

    /// One element: a fill value's bytes.
    pub fn from_fill_value(ty: NumericType, fill: &FillValue) -> Result<Self, FilterError> {
        let b = Self::from_bytes(ty, fill.as_bytes())?;
        if b.len() != 1 {
            return Err(FilterError::Other(format!(
                "a fill value of {} bytes is not one {} element",
                fill.as_bytes().len(),
                ty.name()
            )));
        }
        Ok(b)
    }

    /// Decode a region of an array (whose data type must be `ty`).
    pub fn read<S>(
        array: &Array<S>,
        ty: NumericType,
        subset: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<Self, FilterError>
    where
        S: ReadableStorageTraits + ?Sized + 'static,
    {
        let n = subset.num_elements_usize()?;
        let mut b = Self::zeros(ty, n)?;
        array.retrieve_array_subset_into(subset, b.as_bytes_mut(), options)?;
        Ok(b)
    }

    /// Write the elements to a region of an array (whose data type must be this type).
    pub fn write<S>(
        &self,
        array: &Array<S>,
        subset: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<(), FilterError>
    where
        S: ReadableStorageTraits + WritableStorageTraits + ?Sized + 'static,
    {
        let bytes = ArrayBytesRef::from(self.as_bytes());
        array.write_opt(subset, &bytes, options)?;
        Ok(())
    }

    /// Cast every element to another type (`as` semantics; to bool: nonzero).
    pub fn cast(&self, to: NumericType) -> Self {
        if self.numeric_type() == to {
            return self.clone();
        }
        with_buf!(self, v => cast_to!(v, to))
    }

    /// The elements as `f64` (`as`).
    pub fn to_f64(&self) -> Vec<f64> {
        with_buf!(self, v => v.iter().map(|&x| x.as_f64()).collect())
    }

    /// The elements as `f32` (`as`).
    pub fn to_f32(&self) -> Vec<f32> {
        with_buf!(self, v => v.iter().map(|&x| AsPrimitive::<f32>::as_(x)).collect())
    }

    /// Elements of type `ty` from `f64` values (`as`; to bool: nonzero).
    pub fn from_f64(ty: NumericType, values: &[f64]) -> Self {
        cast_to!(values, ty)
    }

    /// Elements of type `ty` from `f32` values (`as`; to bool: nonzero).
    pub fn from_f32(ty: NumericType, values: &[f32]) -> Self {
        cast_to!(values, ty)
    }

    /// Element `i` as `f64`.
    pub fn get_f64(&self, i: usize) -> Option<f64> {
        with_buf!(self, v => v.get(i).map(|&x| x.as_f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_as() {
        let b = Buf::Int32(vec![300, -1, 70000]);
        assert_eq!(b.cast(NumericType::UInt8), Buf::UInt8(vec![44, 255, 112]));
        assert_eq!(b.cast(NumericType::Bool), Buf::Bool(vec![1, 1, 1]));
        let f = Buf::Float32(vec![-1.5, 2.7, f32::NAN, 1e10, 0.4]);
        assert_eq!(
            f.cast(NumericType::UInt8),
            Buf::UInt8(vec![0, 2, 0, 255, 0])
        );
        assert_eq!(f.cast(NumericType::Int8), Buf::Int8(vec![-1, 2, 0, 127, 0]));
        assert_eq!(f.cast(NumericType::Bool), Buf::Bool(vec![1, 1, 0, 1, 0]));
        let big = Buf::Int64(vec![i64::MAX]);
        assert_eq!(
            big.cast(NumericType::UInt64),
            Buf::UInt64(vec![i64::MAX as u64])
        );
        assert_eq!(
            Buf::from_f64(NumericType::Float16, &[1.0 / 3.0]),
            Buf::Float16(vec![f16::from_f64(1.0 / 3.0)])
        );
    }

    #[test]
    fn bytes_round_trip() {
        let b = Buf::UInt16(vec![1, 2, 513]);
        let c = Buf::from_bytes(NumericType::UInt16, b.as_bytes()).unwrap();
        assert_eq!(b, c);
        assert!(Buf::from_bytes(NumericType::UInt16, &[1, 2, 3]).is_err());
    }
}
