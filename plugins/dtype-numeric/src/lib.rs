//! zarrkit plugin: the numeric data types of the Zarr V3 core specification, plus
//! `bfloat16`.
//!
//! Fill values follow the V3 JSON rules: integers must be JSON integers within the type's
//! range; `bool` takes `true`/`false`; floats take numbers, `"NaN"`, `"Infinity"`,
//! `"-Infinity"` or a hex bit pattern (`"0x7fc00001"`, exactly the bits); complex types take
//! `[re, im]` with each part a float fill value.
//!
//! Zarr V2: the dtypes `|b1`, `|i1`, `|u1`, `<i2` ... `<i8`, `<u2` ... `<u8`, `<f2`, `<f4`,
//! `<f8`, `<c8`, `<c16` and their `>` (and `=`) forms map to these types (the byte order is
//! the `bytes` codec's business). V2 fill values follow the V3 rules, plus `0`/`1` for bool
//! and integral floats (`42.0`) for integers; NaN is written back as `"NaN"` whatever its
//! payload, since V2 has no hex form.

use std::sync::Arc;

use half::{bf16, f16};
use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{
    float_to_json, parse_float_json, parse_int_json, FillValue, FillValueError, FloatJson,
};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::Value;

/// Which numeric type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumericKind {
    /// `bool`
    Bool,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `uint8`
    UInt8,
    /// `uint16`
    UInt16,
    /// `uint32`
    UInt32,
    /// `uint64`
    UInt64,
    /// `float16`
    Float16,
    /// `bfloat16`
    BFloat16,
    /// `float32`
    Float32,
    /// `float64`
    Float64,
    /// `complex64`
    Complex64,
    /// `complex128`
    Complex128,
}

use NumericKind::*;

impl NumericKind {
    /// Every kind.
    pub const ALL: [NumericKind; 15] = [
        Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float16, BFloat16, Float32,
        Float64, Complex64, Complex128,
    ];

    /// The V3 name.
    pub fn name(self) -> &'static str {
        match self {
            Bool => "bool",
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            UInt8 => "uint8",
            UInt16 => "uint16",
            UInt32 => "uint32",
            UInt64 => "uint64",
            Float16 => "float16",
            BFloat16 => "bfloat16",
            Float32 => "float32",
            Float64 => "float64",
            Complex64 => "complex64",
            Complex128 => "complex128",
        }
    }

    /// Element size in bytes.
    pub fn size(self) -> usize {
        match self {
            Bool | Int8 | UInt8 => 1,
            Int16 | UInt16 | Float16 | BFloat16 => 2,
            Int32 | UInt32 | Float32 => 4,
            Int64 | UInt64 | Float64 | Complex64 => 8,
            Complex128 => 16,
        }
    }

    /// The NumPy type code without byte order (`i4`, `f8`, `c16`, `b1`), if NumPy has one.
    pub fn v2_code(self) -> Option<&'static str> {
        Some(match self {
            Bool => "b1",
            Int8 => "i1",
            Int16 => "i2",
            Int32 => "i4",
            Int64 => "i8",
            UInt8 => "u1",
            UInt16 => "u2",
            UInt32 => "u4",
            UInt64 => "u8",
            Float16 => "f2",
            Float32 => "f4",
            Float64 => "f8",
            Complex64 => "c8",
            Complex128 => "c16",
            BFloat16 => return None,
        })
    }

    fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Int8 => (i8::MIN as i128, i8::MAX as i128),
            Int16 => (i16::MIN as i128, i16::MAX as i128),
            Int32 => (i32::MIN as i128, i32::MAX as i128),
            Int64 => (i64::MIN as i128, i64::MAX as i128),
            UInt8 => (0, u8::MAX as i128),
            UInt16 => (0, u16::MAX as i128),
            UInt32 => (0, u32::MAX as i128),
            UInt64 => (0, u64::MAX as i128),
            _ => return None,
        })
    }
}

/// A numeric data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumericDataType(pub NumericKind);

/// Parse one float component of `nbytes` bytes to native-endian bytes.
fn float_bytes(v: &Value, nbytes: usize) -> Option<Vec<u8>> {
    let f = parse_float_json(v, nbytes)?;
    Some(match (f, nbytes) {
        (FloatJson::NaN, 2) => f16::NAN.to_ne_bytes().to_vec(),
        (FloatJson::NaN, 4) => f32::NAN.to_ne_bytes().to_vec(),
        (FloatJson::NaN, 8) => f64::NAN.to_ne_bytes().to_vec(),
        (FloatJson::Value(x), 2) => f16::from_f64(x).to_ne_bytes().to_vec(),
        (FloatJson::Value(x), 4) => (x as f32).to_ne_bytes().to_vec(),
        (FloatJson::Value(x), 8) => x.to_ne_bytes().to_vec(),
        (FloatJson::Bits(b), 2) => (b as u16).to_ne_bytes().to_vec(),
        (FloatJson::Bits(b), 4) => (b as u32).to_ne_bytes().to_vec(),
        (FloatJson::Bits(b), 8) => b.to_ne_bytes().to_vec(),
        _ => return None,
    })
}

fn bf16_bytes(v: &Value) -> Option<Vec<u8>> {
    let f = parse_float_json(v, 2)?;
    Some(match f {
        FloatJson::NaN => bf16::NAN.to_ne_bytes().to_vec(),
        FloatJson::Value(x) => bf16::from_f64(x).to_ne_bytes().to_vec(),
        FloatJson::Bits(b) => (b as u16).to_ne_bytes().to_vec(),
    })
}

fn arr<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    b.try_into().ok()
}

fn float_json(b: &[u8]) -> Option<Value> {
    Some(match b.len() {
        2 => {
            let x = f16::from_ne_bytes(arr(b)?);
            float_to_json(x.to_f64(), x.to_bits() as u64, f16::NAN.to_bits() as u64, 2)
        }
        4 => {
            let x = f32::from_ne_bytes(arr(b)?);
            float_to_json(x as f64, x.to_bits() as u64, f32::NAN.to_bits() as u64, 4)
        }
        8 => {
            let x = f64::from_ne_bytes(arr(b)?);
            float_to_json(x, x.to_bits(), f64::NAN.to_bits(), 8)
        }
        _ => return None,
    })
}

impl DataTypeExtension for NumericDataType {
    fn name(&self) -> String {
        self.0.name().to_string()
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Fixed(self.0.size())
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        let name = self.0.name();
        let err = |r: &str| FillValueError::new(name, json, r);
        let bytes = match self.0 {
            Bool => match json {
                Value::Bool(b) => vec![u8::from(*b)],
                _ => return Err(err("expected true or false")),
            },
            Float16 | Float32 | Float64 => float_bytes(json, self.0.size()).ok_or_else(|| {
                err("expected a number, \"NaN\", \"Infinity\", \"-Infinity\" or a hex bit pattern")
            })?,
            BFloat16 => bf16_bytes(json).ok_or_else(|| {
                err("expected a number, \"NaN\", \"Infinity\", \"-Infinity\" or a hex bit pattern")
            })?,
            Complex64 | Complex128 => {
                let half = self.0.size() / 2;
                match json {
                    Value::Array(a) if a.len() == 2 => {
                        let mut re =
                            float_bytes(&a[0], half).ok_or_else(|| err("invalid real part"))?;
                        let im = float_bytes(&a[1], half)
                            .ok_or_else(|| err("invalid imaginary part"))?;
                        re.extend(im);
                        re
                    }
                    _ => return Err(err("expected [real, imaginary]")),
                }
            }
            k => {
                let (min, max) = k.int_range().ok_or_else(|| err("not an integer type"))?;
                let i = parse_int_json(json, min, max)
                    .ok_or_else(|| err("expected an integer within the type's range"))?;
                let le = i.to_le_bytes();
                let mut v = le[..k.size()].to_vec();
                if cfg!(target_endian = "big") {
                    v.reverse();
                }
                v
            }
        };
        Ok(FillValue::new(bytes))
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        let b = fill_value.as_bytes();
        let name = self.0.name();
        let err = || {
            FillValueError::new(
                name,
                &Value::Null,
                format!("fill value has {} bytes", b.len()),
            )
        };
        if b.len() != self.0.size() {
            return Err(err());
        }
        Ok(match self.0 {
            Bool => Value::Bool(b[0] != 0),
            Int8 => Value::from(b[0] as i8),
            UInt8 => Value::from(b[0]),
            Int16 => Value::from(i16::from_ne_bytes(arr(b).ok_or_else(err)?)),
            Int32 => Value::from(i32::from_ne_bytes(arr(b).ok_or_else(err)?)),
            Int64 => Value::from(i64::from_ne_bytes(arr(b).ok_or_else(err)?)),
            UInt16 => Value::from(u16::from_ne_bytes(arr(b).ok_or_else(err)?)),
            UInt32 => Value::from(u32::from_ne_bytes(arr(b).ok_or_else(err)?)),
            UInt64 => Value::from(u64::from_ne_bytes(arr(b).ok_or_else(err)?)),
            Float16 | Float32 | Float64 => float_json(b).ok_or_else(err)?,
            BFloat16 => {
                let x = bf16::from_ne_bytes(arr(b).ok_or_else(err)?);
                float_to_json(
                    x.to_f64(),
                    x.to_bits() as u64,
                    bf16::NAN.to_bits() as u64,
                    2,
                )
            }
            Complex64 | Complex128 => {
                let h = b.len() / 2;
                Value::Array(vec![
                    float_json(&b[..h]).ok_or_else(err)?,
                    float_json(&b[h..]).ok_or_else(err)?,
                ])
            }
        })
    }

    fn endianness_unit(&self) -> Option<usize> {
        match self.0 {
            Bool | Int8 | UInt8 => None,
            Complex64 | Complex128 => Some(self.0.size() / 2),
            k => Some(k.size()),
        }
    }

    fn element_kind(&self) -> Option<ElementKind> {
        Some(match self.0 {
            Bool => ElementKind::Bool,
            Int8 => ElementKind::Int8,
            Int16 => ElementKind::Int16,
            Int32 => ElementKind::Int32,
            Int64 => ElementKind::Int64,
            UInt8 => ElementKind::UInt8,
            UInt16 => ElementKind::UInt16,
            UInt32 => ElementKind::UInt32,
            UInt64 => ElementKind::UInt64,
            Float16 => ElementKind::Float16,
            BFloat16 => ElementKind::BFloat16,
            Float32 => ElementKind::Float32,
            Float64 => ElementKind::Float64,
            Complex64 => ElementKind::Complex64,
            Complex128 => ElementKind::Complex128,
        })
    }

    fn fill_value_from_json_v2(&self, json: &Value) -> Result<FillValue, FillValueError> {
        match (self.0, json) {
            (Bool, Value::Number(n)) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => {
                Ok(FillValue::new(vec![u8::from(n.as_u64() == Some(1))]))
            }
            (k, Value::Number(n))
                if k.int_range().is_some() && n.as_i64().is_none() && n.as_u64().is_none() =>
            {
                // An integral float such as `42.0` (older writers).
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                    self.fill_value_from_json(&Value::from(f as i64))
                } else {
                    self.fill_value_from_json(json)
                }
            }
            _ => self.fill_value_from_json(json),
        }
    }

    fn fill_value_to_json_v2(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        fn no_hex(v: Value) -> Value {
            match v {
                Value::String(s) if s.starts_with("0x") => Value::String("NaN".into()),
                Value::Array(a) => Value::Array(a.into_iter().map(no_hex).collect()),
                v => v,
            }
        }
        Ok(no_hex(self.fill_value_to_json(fill_value)?))
    }

    fn to_v2_dtype(&self, byte_order: char) -> Option<String> {
        let code = self.0.v2_code()?;
        if self.0.size() == 1 {
            return Some(format!("|{code}"));
        }
        match byte_order {
            '<' | '>' => Some(format!("{byte_order}{code}")),
            _ => None,
        }
    }

    fn validate_elements(&self, bytes: &[u8]) -> Result<(), String> {
        if self.0 == Bool {
            if let Some(i) = bytes.iter().position(|&b| b > 1) {
                return Err(format!("bool element {i} has byte value {}", bytes[i]));
            }
        }
        Ok(())
    }
}

/// Create a numeric data type by V3 name.
pub fn data_type(name: &str) -> Option<DataType> {
    NumericKind::ALL
        .iter()
        .find(|k| k.name() == name)
        .map(|k| Arc::new(NumericDataType(*k)) as DataType)
}

/// Create a numeric data type from a Zarr V2 dtype string (`<i4`, `>f8`, `|b1`, ...).
/// One-byte types take any byte order character; wider types need `<`, `>` or `=`.
pub fn data_type_from_v2(dtype: &str) -> Option<DataType> {
    let mut chars = dtype.chars();
    let order = chars.next()?;
    let code = chars.as_str();
    let kind = NumericKind::ALL
        .iter()
        .find(|k| k.v2_code() == Some(code))?;
    let ok = match order {
        '|' => kind.size() == 1,
        '<' | '>' | '=' => true,
        _ => false,
    };
    ok.then(|| Arc::new(NumericDataType(*kind)) as DataType)
}

fn from_v2(dtype: &str) -> Option<DataType> {
    data_type_from_v2(dtype)
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
        zarrkit_core::inventory::submit! {
            DataTypePlugin::new($name, create).with_from_v2(from_v2)
        }
    )*};
}
register!(
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
    "complex128"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use zarrkit_core::serde_json::json;

    fn dt(name: &str) -> Result<DataType, PluginError> {
        zarrkit_core::registry::data_type_by_name(name)
    }

    #[test]
    fn every_name_resolves() -> Result<(), PluginError> {
        for k in NumericKind::ALL {
            let d = dt(k.name())?;
            assert_eq!(d.name(), k.name());
            assert_eq!(d.size(), DataTypeSize::Fixed(k.size()));
        }
        Ok(())
    }

    #[test]
    fn fill_values() -> Result<(), Box<dyn std::error::Error>> {
        let cases: Vec<(&str, Value, Vec<u8>)> = vec![
            ("bool", json!(true), vec![1]),
            ("int16", json!(-1234), (-1234i16).to_ne_bytes().to_vec()),
            (
                "uint64",
                json!(18446744073709551615u64),
                u64::MAX.to_ne_bytes().to_vec(),
            ),
            (
                "int64",
                json!(-9223372036854775808i64),
                i64::MIN.to_ne_bytes().to_vec(),
            ),
            (
                "float32",
                json!("NaN"),
                0x7fc00000u32.to_ne_bytes().to_vec(),
            ),
            (
                "float32",
                json!("0x7fc00001"),
                0x7fc00001u32.to_ne_bytes().to_vec(),
            ),
            (
                "float64",
                json!("Infinity"),
                f64::INFINITY.to_ne_bytes().to_vec(),
            ),
            (
                "float16",
                json!("-Infinity"),
                0xfc00u16.to_ne_bytes().to_vec(),
            ),
            ("float16", json!("NaN"), 0x7e00u16.to_ne_bytes().to_vec()),
            ("float64", json!(2.5), 2.5f64.to_ne_bytes().to_vec()),
            ("float64", json!(3), 3f64.to_ne_bytes().to_vec()),
            ("bfloat16", json!(1.0), 0x3f80u16.to_ne_bytes().to_vec()),
            (
                "complex64",
                json!([1.5, -2.0]),
                [1.5f32.to_ne_bytes(), (-2.0f32).to_ne_bytes()].concat(),
            ),
        ];
        for (name, j, bytes) in cases {
            let d = dt(name)?;
            let fv = d.fill_value_from_json(&j)?;
            assert_eq!(fv.as_bytes(), bytes.as_slice(), "{name} {j}");
            let back = d.fill_value_to_json(&fv)?;
            let again = d.fill_value_from_json(&back)?;
            assert_eq!(again, fv, "{name} {j} -> {back}");
        }
        Ok(())
    }

    #[test]
    fn bad_fill_values() -> Result<(), PluginError> {
        let bad: Vec<(&str, Value)> = vec![
            ("int32", json!(1.5)),
            ("int32", json!("abc")),
            ("int8", json!(128)),
            ("uint8", json!(-1)),
            ("uint64", json!(18446744073709551616u128.to_string())),
            ("bool", json!(1)),
            ("float32", json!("nan")),
            ("float32", json!("0x7fc0000011")),
            ("complex64", json!([1.0])),
            ("complex64", json!(1.0)),
            ("float64", json!(null)),
        ];
        for (name, j) in bad {
            assert!(
                dt(name)?.fill_value_from_json(&j).is_err(),
                "{name} accepted {j}"
            );
        }
        Ok(())
    }

    #[test]
    fn v2_dtypes() -> Result<(), Box<dyn std::error::Error>> {
        let cases = [
            ("|b1", "bool", '|', "|b1"),
            ("|i1", "int8", '<', "|i1"),
            ("|u1", "uint8", '|', "|u1"),
            ("<i2", "int16", '<', "<i2"),
            (">i4", "int32", '>', ">i4"),
            ("<i8", "int64", '<', "<i8"),
            (">u2", "uint16", '>', ">u2"),
            ("<u4", "uint32", '<', "<u4"),
            (">u8", "uint64", '>', ">u8"),
            ("<f2", "float16", '<', "<f2"),
            (">f4", "float32", '>', ">f4"),
            ("<f8", "float64", '<', "<f8"),
            ("<c8", "complex64", '<', "<c8"),
            (">c16", "complex128", '>', ">c16"),
        ];
        for (v2, name, bo, back) in cases {
            let d = zarrkit_core::registry::data_type_from_v2(v2)?;
            assert_eq!(d.name(), name, "{v2}");
            assert_eq!(d.to_v2_dtype(bo).as_deref(), Some(back), "{v2}");
        }
        for bad in ["<z4", "|i4", "i4", "<b2", "<O", "|S6", "", "<"] {
            assert!(data_type_from_v2(bad).is_none(), "{bad}");
        }
        assert!(dt("bfloat16")?.to_v2_dtype('<').is_none());
        assert!(dt("int32")?.to_v2_dtype('|').is_none());
        Ok(())
    }

    #[test]
    fn v2_fill_values() -> Result<(), Box<dyn std::error::Error>> {
        let b = dt("bool")?;
        assert_eq!(b.fill_value_from_json_v2(&json!(1))?.as_bytes(), &[1]);
        assert_eq!(b.fill_value_from_json_v2(&json!(false))?.as_bytes(), &[0]);
        assert!(b.fill_value_from_json_v2(&json!(2)).is_err());
        let i = dt("int16")?;
        assert_eq!(
            i.fill_value_from_json_v2(&json!(42))?,
            FillValue::from(42i16)
        );
        assert_eq!(
            i.fill_value_from_json_v2(&json!(42.0))?,
            FillValue::from(42i16)
        );
        assert!(i.fill_value_from_json_v2(&json!(42.5)).is_err());
        assert!(i.fill_value_from_json_v2(&json!(1e9)).is_err());
        let f = dt("float32")?;
        let payload = FillValue::new(0x7fc00001u32.to_ne_bytes().to_vec());
        assert_eq!(f.fill_value_to_json(&payload)?, json!("0x7fc00001"));
        assert_eq!(f.fill_value_to_json_v2(&payload)?, json!("NaN"));
        let c = dt("complex128")?;
        let fv = c.fill_value_from_json_v2(&json!([1.5, "-Infinity"]))?;
        assert_eq!(c.fill_value_to_json_v2(&fv)?, json!([1.5, "-Infinity"]));
        Ok(())
    }

    proptest! {
        #[test]
        fn float_bits_round_trip(bits in any::<u32>()) {
            let d = dt("float32").map_err(|e| TestCaseError::fail(e.to_string()))?;
            let fv = FillValue::new(bits.to_ne_bytes().to_vec());
            let j = d.fill_value_to_json(&fv).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back = d.fill_value_from_json(&j).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, fv);
        }

        #[test]
        fn int_round_trip(v in any::<i64>()) {
            let d = dt("int64").map_err(|e| TestCaseError::fail(e.to_string()))?;
            let fv = d.fill_value_from_json(&json!(v)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(fv.as_bytes(), &v.to_ne_bytes()[..]);
            prop_assert_eq!(d.fill_value_to_json(&fv).map_err(|e| TestCaseError::fail(e.to_string()))?, json!(v));
        }
    }
}
