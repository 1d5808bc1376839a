//! zarrkit plugin: the sub-byte integer data types of zarr-extensions.
//!
//! | V3 name | range | bits |
//! |---|---|---|
//! | `int2` | −2..=1 | 2 |
//! | `int4` | −8..=7 | 4 |
//! | `uint2` | 0..=3 | 2 |
//! | `uint4` | 0..=15 | 4 |
//!
//! No configuration (`{"name": "int4", "configuration": {}}` is accepted; any key is an
//! error). No Zarr V2 form (NumPy has no such dtype; ml_dtypes' are opaque `|V1`).
//!
//! **Bytes.** One byte per element in memory and through `bytes` (`endian` has no effect;
//! `endianness_unit` is `None`), the value in the low 2 or 4 bits (`0bIIIIXXXX`, two's
//! complement for the signed types).
//! * **Read:** the upper bits are ignored, as the READMEs say ("arbitrary"): every byte is
//!   accepted (`validate_elements` rejects nothing) and means its low N bits, sign-extended
//!   for `int2`/`int4`. So ml_dtypes' and tensorstore's zero-extended bytes (int4 −1 =
//!   `0x0f`), zarrs' sign-extended bytes (−1 = `0xff`) and any other upper bits read the
//!   same. ml_dtypes and tensorstore read this way too (tensorstore reads int4 `0x17` as 7).
//! * **Write:** the upper bits are zero (the value masked to N bits), which is what ml_dtypes
//!   and tensorstore write, so chunks are byte-identical to theirs; zarrs writes sign-extended
//!   bytes for the signed types (different bytes, same values). The element types of this
//!   crate ([`Int4`], ...) always hold this form; raw bytes written by a caller are stored
//!   as given.
//!
//! **Fill values:** a JSON integer in the type's range, as for the core integer types (floats
//! such as `1.0`, strings and hex patterns are errors; zarrs and tensorstore range-check the
//! same way). Stored as the masked byte; written back as the integer.
//!
//! **`packbits`.** zarr-extensions' `packbits` codec stores these types in 2 or 4 bits per
//! element (LSB first, sign-extended on decode). zarrs writes that; ml_dtypes / tensorstore
//! use `bytes`. Its V3 name `packbits` is already registered by `zarrkit-codec-packbits` (one
//! registration for both the zarr-extensions codec and numcodecs' `numcodecs.packbits`), so
//! this crate registers no codec. That codec derives the bit width from the element kind and
//! size, which cannot express 2- or 4-bit components: it refuses these types at open (a test
//! here proves it) until core offers a bit-width capability.
//!
//! **Typed access.** Core's `ElementKind` has no 2- or 4-bit kind, and reporting `Int8` /
//! `UInt8` would let codecs that interpret numbers (delta, pcodec, zfp, packbits) misread
//! the upper bits, so the data types report `ElementKind::RawBytes(1)`. The element types
//! [`Int2`], [`Int4`], [`UInt2`], [`UInt4`] are one-byte [`Element`]s of that kind with
//! checked constructors and value accessors that ignore the upper bits; `[u8; 1]` reads the
//! raw bytes. (The kind check cannot tell one-byte raw kinds apart.)

use std::sync::Arc;

use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::{Element, ElementKind};
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{parse_int_json, FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::Value;

/// Which sub-byte integer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubByteKind {
    /// `int2`
    Int2,
    /// `int4`
    Int4,
    /// `uint2`
    UInt2,
    /// `uint4`
    UInt4,
}

impl SubByteKind {
    /// Every kind.
    pub const ALL: [SubByteKind; 4] = [Self::Int2, Self::Int4, Self::UInt2, Self::UInt4];

    /// The V3 name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Int2 => "int2",
            Self::Int4 => "int4",
            Self::UInt2 => "uint2",
            Self::UInt4 => "uint4",
        }
    }
    /// Bits of the value.
    pub const fn bits(self) -> u32 {
        match self {
            Self::Int2 | Self::UInt2 => 2,
            Self::Int4 | Self::UInt4 => 4,
        }
    }
    /// Whether it is signed (two's complement).
    pub const fn signed(self) -> bool {
        matches!(self, Self::Int2 | Self::Int4)
    }
    /// The smallest value.
    pub const fn min(self) -> i8 {
        if self.signed() {
            -(1 << (self.bits() - 1))
        } else {
            0
        }
    }
    /// The largest value.
    pub const fn max(self) -> i8 {
        if self.signed() {
            (1 << (self.bits() - 1)) - 1
        } else {
            (1 << self.bits()) - 1
        }
    }
    /// The mask of the value bits.
    pub const fn mask(self) -> u8 {
        (1 << self.bits()) - 1
    }
    /// The value of a stored byte (upper bits ignored).
    pub const fn value(self, byte: u8) -> i8 {
        let v = byte & self.mask();
        if self.signed() && v & (1 << (self.bits() - 1)) != 0 {
            (v | !self.mask()) as i8
        } else {
            v as i8
        }
    }
    /// The byte written for a value (masked: upper bits zero), `None` if out of range.
    pub const fn byte(self, value: i8) -> Option<u8> {
        if value < self.min() || value > self.max() {
            None
        } else {
            Some(value as u8 & self.mask())
        }
    }
}

/// A sub-byte integer data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubByteDataType(pub SubByteKind);

impl DataTypeExtension for SubByteDataType {
    fn name(&self) -> String {
        self.0.name().to_string()
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Fixed(1)
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        let k = self.0;
        let v =
            parse_int_json(json, i128::from(k.min()), i128::from(k.max())).ok_or_else(|| {
                FillValueError::new(
                    k.name(),
                    json,
                    format!("expected an integer in {}..={}", k.min(), k.max()),
                )
            })?;
        let byte = i8::try_from(v)
            .ok()
            .and_then(|v| k.byte(v))
            .ok_or_else(|| FillValueError::new(k.name(), json, "out of range"))?;
        Ok(FillValue::new(vec![byte]))
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        match fill_value.as_bytes() {
            [b] => Ok(Value::from(self.0.value(*b))),
            b => Err(FillValueError::new(
                self.0.name(),
                &Value::Null,
                format!("fill value has {} bytes", b.len()),
            )),
        }
    }

    fn element_kind(&self) -> Option<ElementKind> {
        Some(ElementKind::RawBytes(1))
    }
}

/// Create a sub-byte data type by V3 name.
pub fn data_type(name: &str) -> Option<DataType> {
    SubByteKind::ALL
        .iter()
        .find(|k| k.name() == name)
        .map(|k| Arc::new(SubByteDataType(*k)) as DataType)
}

fn create(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    if metadata.configuration().is_some_and(|c| !c.is_empty()) {
        return Err(PluginError::config(
            ExtensionKind::DataType,
            metadata.name(),
            "this data type takes no configuration",
        ));
    }
    data_type(metadata.name()).ok_or_else(|| PluginError::Unknown {
        kind: ExtensionKind::DataType,
        name: metadata.name().to_string(),
    })
}

macro_rules! register {
    ($($name:literal),*) => {$(
        zarrkit_core::inventory::submit! { DataTypePlugin::new($name, create) }
    )*};
}
register!("int2", "int4", "uint2", "uint4");

macro_rules! element_types {
    ($($(#[$doc:meta])* $t:ident, $kind:expr;)*) => {$(
        $(#[$doc])*
        ///
        /// A one-byte [`Element`] (kind `RawBytes(1)`): `array.read::<Vec<ThisType>>(..)`.
        /// Built from a value, it holds the masked byte (upper bits zero, as ml_dtypes and
        /// tensorstore write); read from a store it holds the stored byte, whose upper bits
        /// [`Self::get`] ignores. Equality compares values.
        #[derive(Debug, Clone, Copy, Default)]
        #[repr(transparent)]
        pub struct $t(u8);

        impl $t {
            /// The data type.
            pub const KIND: SubByteKind = $kind;
            /// The smallest value.
            pub const MIN: Self = Self($kind.mask() & ($kind.min() as u8));
            /// The largest value.
            pub const MAX: Self = Self($kind.max() as u8);
            /// A value, `None` if out of range.
            pub const fn new(value: i8) -> Option<Self> {
                match Self::KIND.byte(value) {
                    Some(b) => Some(Self(b)),
                    None => None,
                }
            }
            /// A value wrapped into the range (its low bits, as a cast to N bits).
            pub const fn new_wrapping(value: i8) -> Self {
                Self(value as u8 & Self::KIND.mask())
            }
            /// The value (upper bits of the stored byte ignored).
            pub const fn get(self) -> i8 {
                Self::KIND.value(self.0)
            }
            /// From a stored byte (any upper bits).
            pub const fn from_bits(bits: u8) -> Self {
                Self(bits)
            }
            /// The stored byte.
            pub const fn to_bits(self) -> u8 {
                self.0
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.get() == other.get()
            }
        }
        impl Eq for $t {}
        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.get().hash(state)
            }
        }

        impl TryFrom<i8> for $t {
            type Error = i8;
            fn try_from(value: i8) -> Result<Self, i8> {
                Self::new(value).ok_or(value)
            }
        }
        impl From<$t> for i8 {
            fn from(x: $t) -> i8 {
                x.get()
            }
        }

        // SAFETY: one byte, every bit pattern valid, no padding.
        unsafe impl Element for $t {
            fn kind() -> ElementKind {
                ElementKind::RawBytes(1)
            }
        }
    )*};
}

element_types! {
    /// An `int2` element (−2..=1).
    Int2, SubByteKind::Int2;
    /// An `int4` element (−8..=7).
    Int4, SubByteKind::Int4;
    /// A `uint2` element (0..=3).
    UInt2, SubByteKind::UInt2;
    /// A `uint4` element (0..=15).
    UInt4, SubByteKind::UInt4;
}

#[cfg(test)]
mod tests;
