//! zarrkit plugin: the numcodecs `delta` array→array filter.
//!
//! - V3 name `numcodecs.delta` (the zarr-extensions name; `delta` is accepted as an alias
//!   and the name read is written back), configuration `{"dtype": "<i4", "astype": "<i4"}`
//!   (`astype` optional, defaulting to `dtype`).
//! - Zarr V2 / numcodecs id `delta`: `{"id": "delta", "dtype": ..., "astype": ...}`.
//!
//! As numcodecs encodes: over the chunk's elements in C order, the first element is stored
//! as is and every other element as its difference from the one before; decoding is the
//! running sum. Integer arithmetic wraps (as numpy's does); floats use IEEE arithmetic in
//! their own width. Booleans (`|b1`) store XOR differences, as numpy's `diff` computes
//! them, and decode by a running XOR — the inverse of that encode (numcodecs' own decode
//! is a running OR, which returns other values than were written once two `true`s occur).
//!
//! `dtype` is a numpy dtype string (`"<i4"`, `">f8"`, `"|u1"`, `"i2"`, `"int32"`, ...) and
//! must match the array's data type (checked through the data type's element kind, so any
//! data type plugin reporting an integer or float32/float64 kind works); its byte order is
//! the `bytes` codec's business, not this codec's. `astype` must be the same type: numcodecs
//! allows another type there, but that cast is not implemented (an error at open).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.delta";
const ALIASES: &[&str] = &["delta"];

/// The configuration of the `delta` codec (Zarr V3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaCodecConfiguration {
    /// The data type of the decoded elements (a numpy dtype string).
    pub dtype: String,
    /// The data type of the encoded differences (defaults to `dtype`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub astype: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaCodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    dtype: String,
    #[serde(default)]
    astype: Option<String>,
}

/// The `delta` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaCodec {
    name: &'static str,
    configuration: DeltaCodecConfiguration,
    kind: ElementKind,
}

/// The element kind of a numpy dtype string such as `<i4`, `|u1`, `f8` or `int16`.
pub fn parse_dtype(s: &str) -> Option<ElementKind> {
    use ElementKind::*;
    let named = match s {
        "int8" => Some(Int8),
        "int16" => Some(Int16),
        "int32" => Some(Int32),
        "int64" => Some(Int64),
        "uint8" => Some(UInt8),
        "uint16" => Some(UInt16),
        "uint32" => Some(UInt32),
        "uint64" => Some(UInt64),
        "float32" => Some(Float32),
        "float64" => Some(Float64),
        "bool" => Some(Bool),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let t = s.strip_prefix(['<', '>', '|', '=']).unwrap_or(s);
    match t {
        "i1" => Some(Int8),
        "i2" => Some(Int16),
        "i4" => Some(Int32),
        "i8" => Some(Int64),
        "u1" => Some(UInt8),
        "u2" => Some(UInt16),
        "u4" => Some(UInt32),
        "u8" => Some(UInt64),
        "f4" => Some(Float32),
        "f8" => Some(Float64),
        "b1" => Some(Bool),
        _ => None,
    }
}

impl DeltaCodec {
    /// A delta codec for elements of numpy dtype `dtype`, encoded as `astype` (which must be
    /// the same type; `None`: the same as `dtype`).
    pub fn new(dtype: &str, astype: Option<&str>) -> Result<Self, String> {
        let kind = parse_dtype(dtype).ok_or_else(|| {
            format!("unsupported dtype {dtype:?} (an integer, float32, float64 or bool is needed)")
        })?;
        if let Some(a) = astype {
            let ak = parse_dtype(a).ok_or_else(|| format!("unsupported astype {a:?}"))?;
            if ak != kind {
                return Err(format!(
                    "astype {a:?} differs from dtype {dtype:?}; casting is not supported"
                ));
            }
        }
        Ok(Self {
            name: NAME,
            configuration: DeltaCodecConfiguration {
                dtype: dtype.to_string(),
                astype: astype.map(str::to_string),
            },
            kind,
        })
    }

    fn check(&self, decoded: &ChunkRepresentation) -> Result<(), CodecError> {
        if decoded.data_type.element_kind() != Some(self.kind) {
            return Err(CodecError::Unsupported {
                codec: self.name.into(),
                message: format!(
                    "dtype {:?} does not match the data type {}",
                    self.configuration.dtype,
                    decoded.data_type.name()
                ),
            });
        }
        Ok(())
    }

    fn run(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        encode: bool,
    ) -> Result<ArrayBytes, CodecError> {
        self.check(decoded)?;
        let mut b = input
            .into_fixed()
            .ok_or_else(|| CodecError::new(self.name, "expected fixed-size array bytes"))?;
        let n = decoded.num_elements_usize()?;
        let size = decoded.element_size().unwrap_or(0);
        if Some(b.len()) != n.checked_mul(size) {
            return Err(CodecError::UnexpectedSize {
                codec: self.name.into(),
                expected: (n as u64).saturating_mul(size as u64),
                actual: b.len() as u64,
            });
        }
        macro_rules! go {
            ($t:ty, $sub:ident, $add:ident) => {{
                const S: usize = std::mem::size_of::<$t>();
                let mut prev: Option<$t> = None;
                for c in b.chunks_exact_mut(S) {
                    let mut a = [0u8; S];
                    a.copy_from_slice(c);
                    let v = <$t>::from_ne_bytes(a);
                    let out = match prev {
                        None => v,
                        Some(p) => {
                            if encode {
                                $sub(v, p)
                            } else {
                                $add(v, p)
                            }
                        }
                    };
                    // Encoding differences against the original previous value, decoding
                    // sums onto the decoded previous value.
                    prev = Some(if encode { v } else { out });
                    c.copy_from_slice(&out.to_ne_bytes());
                }
            }};
        }
        macro_rules! int {
            ($t:ty) => {{
                fn sub(a: $t, b: $t) -> $t {
                    a.wrapping_sub(b)
                }
                fn add(a: $t, b: $t) -> $t {
                    a.wrapping_add(b)
                }
                go!($t, sub, add)
            }};
        }
        macro_rules! float {
            ($t:ty) => {{
                fn sub(a: $t, b: $t) -> $t {
                    a - b
                }
                fn add(a: $t, b: $t) -> $t {
                    a + b
                }
                go!($t, sub, add)
            }};
        }
        match self.kind {
            // numpy's `diff` of booleans is `not_equal`, so numcodecs stores XOR differences;
            // their inverse is a running XOR. (numcodecs' own decode, `cumsum` into a bool
            // array, is a running OR, which does not invert its encode: zarr-python reads
            // such data wrongly; this returns the data that was written.)
            ElementKind::Bool => {
                let mut prev = 0u8;
                for v in b.iter_mut() {
                    let x = u8::from(*v != 0);
                    let out = x ^ prev;
                    prev = if encode { x } else { out };
                    *v = out;
                }
            }
            ElementKind::Int8 => int!(i8),
            ElementKind::Int16 => int!(i16),
            ElementKind::Int32 => int!(i32),
            ElementKind::Int64 => int!(i64),
            ElementKind::UInt8 => int!(u8),
            ElementKind::UInt16 => int!(u16),
            ElementKind::UInt32 => int!(u32),
            ElementKind::UInt64 => int!(u64),
            ElementKind::Float32 => float!(f32),
            ElementKind::Float64 => float!(f64),
            _ => {
                return Err(CodecError::Unsupported {
                    codec: self.name.into(),
                    message: "unsupported element kind".into(),
                })
            }
        }
        Ok(ArrayBytes::Fixed(b))
    }
}

impl CodecTraits for DeltaCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert(
            "dtype".into(),
            Value::from(self.configuration.dtype.clone()),
        );
        if let Some(a) = &self.configuration.astype {
            m.insert("astype".into(), Value::from(a.clone()));
        }
        Some(m)
    }
}

impl ArrayToArrayCodecTraits for DeltaCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        self.check(decoded)?;
        Ok(decoded.clone())
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.run(input, decoded, true)
    }

    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.run(input, decoded, false)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::Codec, metadata.name(), m);
    let c: DeltaCodecConfiguration = metadata.to_configuration().map_err(err)?;
    let mut codec = DeltaCodec::new(&c.dtype, c.astype.as_deref()).map_err(err)?;
    codec.name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::ArrayToArray(Arc::new(codec)))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::Codec, "delta", m);
    let c: DeltaCodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| err(e.to_string()))?;
    Ok(Codec::ArrayToArray(Arc::new(
        DeltaCodec::new(&c.dtype, c.astype.as_deref()).map_err(err)?,
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["delta"], create_v2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_by_name};
    use zarrkit_core::FillValue;
    use zarrkit_dtype_numeric as _;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn opts() -> CodecOptions {
        CodecOptions::default()
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect()
    }

    fn repr(dt: &str, n: u64) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
        let d = data_type_by_name(dt)?;
        let size = d.size().fixed().ok_or("fixed")?;
        Ok(ChunkRepresentation::new(
            vec![n],
            d,
            FillValue::new(vec![0; size]),
        ))
    }

    /// `np.array([5, 7, -3, 2**31 - 1, -2**31, 0, 100, 99], "<i4")`.
    const I4_IN: &str = "0500000007000000fdffffffffffff7f00000080000000006400000063000000";

    /// numcodecs 0.16.6 `Delta("<i4").encode(I4_IN)` (wrapping differences).
    const I4: &str = "0500000002000000f6ffffff02000080010000000000008064000000ffffffff";

    /// `np.array([250, 3, 0, 255, 1], "u1")`.
    const U1_IN: &str = "fa0300ff01";

    /// numcodecs 0.16.6 `Delta("u1").encode(U1_IN)`.
    const U1: &str = "fa09fdff02";

    /// `np.array([1.5, 2.25, -1.0, 1e300, 0.0], "<f8")`.
    const F8_IN: &str =
        "000000000000f83f0000000000000240000000000000f0bf9c7500883ce4377e0000000000000000";

    /// numcodecs 0.16.6 `Delta("<f8").encode(F8_IN)`.
    const F8: &str =
        "000000000000f83f000000000000e83f0000000000000ac09c7500883ce4377e9c7500883ce437fe";

    /// Little-endian reference bytes as native-endian element bytes.
    fn le_to_ne(b: &[u8], size: usize) -> Vec<u8> {
        let mut v = b.to_vec();
        if cfg!(target_endian = "big") {
            v.chunks_exact_mut(size).for_each(|c| c.reverse());
        }
        v
    }

    #[test]
    fn matches_numcodecs_exactly() -> TestResult {
        for (dtype, dt, size, input, expected) in [
            ("<i4", "int32", 4, I4_IN, I4),
            ("u1", "uint8", 1, U1_IN, U1),
            ("<f8", "float64", 8, F8_IN, F8),
            // `np.array([1, 0, 0, 1, 1, 0], "|b1")`; numcodecs 0.16.6 encodes it to
            // [1, 1, 0, 1, 0, 1] (numpy's `diff` of booleans is XOR).
            ("|b1", "bool", 1, "010000010100", "010100010001"),
        ] {
            let c = DeltaCodec::new(dtype, Some(dtype))?;
            let input = le_to_ne(&hex(input), size);
            let expected = le_to_ne(&hex(expected), size);
            let r = repr(dt, (input.len() / size) as u64)?;
            let enc = c.encode(ArrayBytes::Fixed(input.clone()), &r, &opts())?;
            assert_eq!(enc, ArrayBytes::Fixed(expected.clone()), "{dtype}");
            assert_eq!(
                c.decode(ArrayBytes::Fixed(expected), &r, &opts())?,
                ArrayBytes::Fixed(input)
            );
        }
        Ok(())
    }

    #[test]
    fn mismatches_are_errors() -> TestResult {
        let c = DeltaCodec::new("<i4", None)?;
        // Data type mismatch, caught when binding.
        assert!(c.encoded_representation(&repr("float32", 4)?).is_err());
        assert!(c.encoded_representation(&repr("uint32", 4)?).is_err());
        // Wrong byte count.
        let r = repr("int32", 4)?;
        assert!(c
            .decode(ArrayBytes::Fixed(vec![0; 15]), &r, &opts())
            .is_err());
        assert!(c
            .decode(
                ArrayBytes::Variable {
                    bytes: vec![],
                    offsets: vec![0; 5]
                },
                &r,
                &opts()
            )
            .is_err());
        for (d, a) in [
            ("<i4", Some("<i8")),
            ("<c8", None),
            ("|b1", Some("|u1")),
            ("x", None),
        ] {
            assert!(DeltaCodec::new(d, a).is_err(), "{d} {a:?}");
        }
        Ok(())
    }

    #[test]
    fn configuration() -> TestResult {
        for (json, name) in [
            (
                r#"{"name":"numcodecs.delta","configuration":{"dtype":"<i4","astype":"<i4"}}"#,
                "numcodecs.delta",
            ),
            (
                r#"{"name":"delta","configuration":{"dtype":"int32"}}"#,
                "delta",
            ),
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
            let c = create_codec(&m)?;
            assert_eq!(c.name(), name);
            assert_eq!(
                zarrkit_core::serde_json::to_value(c.metadata())?,
                zarrkit_core::serde_json::to_value(&m)?
            );
        }
        for bad in [
            r#"{"name":"delta"}"#,
            r#"{"name":"delta","configuration":{"dtype":"<i4","x":1}}"#,
            r#"{"name":"delta","configuration":{"dtype":"<i4","astype":"<i2"}}"#,
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(bad)?;
            assert!(
                matches!(
                    create_codec(&m),
                    Err(PluginError::InvalidConfiguration { .. })
                ),
                "{bad}"
            );
        }
        let v2: Map<String, Value> =
            zarrkit_core::serde_json::from_str(r#"{"id":"delta","dtype":"<i4","astype":"<i4"}"#)?;
        let Codec::ArrayToArray(c) = create_codec_v2(&v2)? else {
            return Err("not array-to-array".into());
        };
        let r = repr("int32", 8)?;
        assert_eq!(
            c.decode(ArrayBytes::Fixed(le_to_ne(&hex(I4), 4)), &r, &opts())?,
            ArrayBytes::Fixed(le_to_ne(&hex(I4_IN), 4))
        );
        let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"delta"}"#)?;
        assert!(create_codec_v2(&v2).is_err());
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trip_ints(v in prop::collection::vec(any::<i64>(), 0..100)) {
            let c = DeltaCodec::new("<i8", None).map_err(TestCaseError::fail)?;
            let r = repr("int64", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
            let enc = c.encode(ArrayBytes::Fixed(b.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let dec = c.decode(enc, &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(dec, ArrayBytes::Fixed(b));
        }

        #[test]
        fn round_trip_u16(v in prop::collection::vec(any::<u16>(), 0..100)) {
            let c = DeltaCodec::new("<u2", None).map_err(TestCaseError::fail)?;
            let r = repr("uint16", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
            let enc = c.encode(ArrayBytes::Fixed(b.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let dec = c.decode(enc, &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(dec, ArrayBytes::Fixed(b));
        }
    }
}
