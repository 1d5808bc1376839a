//! zarrkit plugin: the zarr-extensions `cast_value` array→array codec.
//!
//! - V3 name `cast_value`; the older draft's name `cast-value` (key `range` instead of
//!   `out_of_range`) is read as an alias, and the name read is written back. No Zarr V2
//!   form (numcodecs' `astype` is another codec).
//! - Configuration (the newest README, the one with `scalar_map`):
//!   `{"data_type": <V3 data type metadata>, "rounding"?: "nearest-even" | "towards-zero" |
//!   "towards-positive" | "towards-negative" | "nearest-away", "out_of_range"?: "clamp" |
//!   "wrap", "scalar_map"?: {"encode"?: [[in, out], ...], "decode"?: [[in, out], ...]}}`.
//!   Other members are an error (the spec makes such metadata invalid). The configuration
//!   is written back exactly as read.
//! - Encoding casts every element of the array's data type to `data_type` by numerical
//!   value; decoding casts back. The chunk the next codec sees has `data_type` and the fill
//!   value cast by the encoding rules (an error at open if it cannot be cast).
//!
//! Data types (source and target): those reporting an integer or float element kind —
//! int8–int64, uint8–uint64, float16, bfloat16, float32, float64 (a capability check,
//! never a name). The spec also allows the sub-byte integers and the 4/6/8-bit floats; their
//! zarrkit plugins report raw-byte element kinds, which say nothing about the value, so they
//! are refused with a clear error until the core offers a numeric-format capability.
//!
//! Per element, in the spec's order (the same in both directions, with the two types
//! swapped and `scalar_map.decode`):
//! 1. `scalar_map`: the first entry whose key equals the input by numerical value gives the
//!    output (keys in the input type's fill-value JSON, values in the output type's). Every
//!    NaN matches a NaN key, whatever its payload; `0` and `-0.0` are equal.
//! 2. An exactly representable value is converted (NaN payloads are not kept; NaN keeps
//!    its sign and becomes the canonical quiet NaN; signed zero is kept).
//! 3. Otherwise `rounding` (every inexact cast: float→int, float→narrower float,
//!    int→float with too few mantissa bits), then `out_of_range`: `clamp` (integer targets:
//!    the type's bounds; float targets: ±Infinity beyond the finite range), `wrap` (integer
//!    targets: congruent modulo 2^N, two's complement), or absent: an error. NaN or an
//!    infinity into an integer type is an error unless `scalar_map` maps it.
//!
//! Every value is held exactly (integers as i128, floats as the f64 they widen to) and
//! rounded once to the target, so int64→float32 and float64→float16 are correctly rounded
//! in all five modes.
//!
//! Deviations and choices (see also `docs` of the extensions notes, §12):
//! - `out_of_range: "error"` (a value of the older README) is read as "absent" and written
//!   back as read; zarrs and zarr-python reject the string.
//! - `"+Infinity"` (in the README's NumPy example, not a core fill-value string) is read as
//!   `"Infinity"` in `scalar_map`.
//! - Duplicate `scalar_map` keys: the first wins (the spec; zarrs), not the last
//!   (zarr-python's `dict`).
//! - NaN keys match any NaN (the spec's "numerical value only"; cast-value.rs); zarrs
//!   compares bytes, so only the canonical NaN matches there.
//! - The fill value round trip (encode then decode gives the fill value back), which the
//!   spec requires "at metadata construction time", is checked when **writing**: reading
//!   an array never fails on it (zarr-python does not check; one zarrs branch skips it), a
//!   write is an error naming the fill value.
//! - The older `cast-value` draft is read with its own rules: `rounding` only for integer
//!   targets (float targets round to nearest, ties to even), and `clamp` takes ±Infinity
//!   into integer types to their bounds and float overflow to the largest finite value.
//!
//! Region-local: any region of a chunk decodes on its own (partial decoding passes through).

mod num;

use std::sync::Arc;

use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::data_type::DataType;
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::CodecPlugin;
use zarrkit_core::serde_json::{self, Map, Value};
use zarrkit_core::subset::ArraySubset;
use zarrkit_core::{CodecOptions, FillValue};

use num::{cast, read, write, CastError, Kind, Num, Rules, BF16, F16, F32, F64};
pub use num::{OutOfRange, Rounding};

/// The V3 name of the codec.
pub const NAME: &str = "cast_value";
/// The older draft's name (configuration key `range` instead of `out_of_range`).
pub const LEGACY_NAME: &str = "cast-value";

/// The kind of a data type, from its element kind (a capability).
fn kind_of(dt: &DataType) -> Option<Kind> {
    use ElementKind as K;
    let k = match dt.element_kind()? {
        K::Int8 => Kind::Int {
            bits: 8,
            signed: true,
        },
        K::Int16 => Kind::Int {
            bits: 16,
            signed: true,
        },
        K::Int32 => Kind::Int {
            bits: 32,
            signed: true,
        },
        K::Int64 => Kind::Int {
            bits: 64,
            signed: true,
        },
        K::UInt8 => Kind::Int {
            bits: 8,
            signed: false,
        },
        K::UInt16 => Kind::Int {
            bits: 16,
            signed: false,
        },
        K::UInt32 => Kind::Int {
            bits: 32,
            signed: false,
        },
        K::UInt64 => Kind::Int {
            bits: 64,
            signed: false,
        },
        K::Float16 => Kind::Float(F16),
        K::BFloat16 => Kind::Float(BF16),
        K::Float32 => Kind::Float(F32),
        K::Float64 => Kind::Float(F64),
        _ => return None,
    };
    (dt.size().fixed() == Some(k.size())).then_some(k)
}

fn unsupported_type(what: &str, dt: &DataType) -> String {
    format!(
        "{what} {} is not an integer or floating-point type this codec can cast (int8-int64, uint8-uint64, float16, bfloat16, float32, float64)",
        dt.name()
    )
}

/// `"+Infinity"` (the README's example) read as `"Infinity"`.
fn lenient(v: &Value) -> Value {
    match v {
        Value::String(s) if s == "+Infinity" => Value::String("Infinity".into()),
        v => v.clone(),
    }
}

/// A `scalar_map` direction as read: `[[in, out], ...]`.
type Pairs = Vec<(Value, Value)>;

/// A `scalar_map` direction bound to its two types: keys as values, outputs as bytes.
type BoundMap = Vec<(Num, Vec<u8>)>;

/// The `cast_value` codec.
#[derive(Debug, Clone)]
pub struct CastValueCodec {
    name: &'static str,
    configuration: Map<String, Value>,
    target: DataType,
    target_kind: Kind,
    rules: Rules,
    encode_map: Pairs,
    decode_map: Pairs,
}

fn parse_pairs(v: &Value, at: &str) -> Result<Pairs, String> {
    let Value::Array(a) = v else {
        return Err(format!("`{at}` must be an array of [input, output] pairs"));
    };
    a.iter()
        .enumerate()
        .map(|(i, p)| match p {
            Value::Array(kv) if kv.len() == 2 => Ok((lenient(&kv[0]), lenient(&kv[1]))),
            other => Err(format!(
                "`{at}[{i}]` must be a pair [input, output], got {other}"
            )),
        })
        .collect()
}

fn parse_scalar(dt: &DataType, v: &Value) -> Result<Vec<u8>, String> {
    dt.fill_value_from_json(v)
        .map(|f| f.as_bytes().to_vec())
        .map_err(|e| e.reason)
}

/// Bind one map direction: keys of `from`, values of `to`.
fn bind_map(
    pairs: &Pairs,
    from: (&DataType, Kind),
    to: &DataType,
    at: &str,
) -> Result<BoundMap, String> {
    pairs
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            let kb = parse_scalar(from.0, k).map_err(|e| {
                format!(
                    "`{at}[{i}]`: key {k} is not a value of {}: {e}",
                    from.0.name()
                )
            })?;
            let vb = parse_scalar(to, v).map_err(|e| {
                format!(
                    "`{at}[{i}]`: value {v} is not a value of {}: {e}",
                    to.name()
                )
            })?;
            Ok((read(from.1, &kb), vb))
        })
        .collect()
}

/// The codec bound to the data type it encodes from.
struct Bound {
    source: Kind,
    encode_map: BoundMap,
    decode_map: BoundMap,
}

fn lookup(map: &BoundMap, v: Num) -> Option<&[u8]> {
    map.iter()
        .find(|(k, _)| k.same_value(v))
        .map(|(_, out)| out.as_slice())
}

/// Cast every element of `input` (of `from`) to `to`, through `map` first.
fn cast_all(
    input: &[u8],
    from: Kind,
    to: Kind,
    map: &BoundMap,
    rules: Rules,
    out: &mut [u8],
) -> Result<(), (usize, Num, CastError)> {
    let (fs, ts) = (from.size(), to.size());
    for (i, (src, dst)) in input
        .chunks_exact(fs)
        .zip(out.chunks_exact_mut(ts))
        .enumerate()
    {
        let v = read(from, src);
        if let Some(mapped) = lookup(map, v) {
            dst.copy_from_slice(mapped);
            continue;
        }
        match cast(v, to, rules) {
            Ok(o) => write(to, o, dst),
            Err(e) => return Err((i, v, e)),
        }
    }
    Ok(())
}

impl CastValueCodec {
    /// A codec casting to `data_type` (resolved through the registry) with the given rules
    /// and no `scalar_map`.
    pub fn new(
        data_type: MetadataV3,
        rounding: Option<Rounding>,
        out_of_range: Option<OutOfRange>,
    ) -> Result<Self, PluginError> {
        let mut m = Map::new();
        m.insert(
            "data_type".into(),
            serde_json::to_value(&data_type)
                .map_err(|e| PluginError::config(ExtensionKind::Codec, NAME, e))?,
        );
        if let Some(r) = rounding {
            let s = match r {
                Rounding::NearestEven => "nearest-even",
                Rounding::TowardsZero => "towards-zero",
                Rounding::TowardsPositive => "towards-positive",
                Rounding::TowardsNegative => "towards-negative",
                Rounding::NearestAway => "nearest-away",
            };
            m.insert("rounding".into(), Value::String(s.into()));
        }
        match out_of_range {
            Some(OutOfRange::Clamp) => {
                m.insert("out_of_range".into(), Value::String("clamp".into()));
            }
            Some(OutOfRange::Wrap) => {
                m.insert("out_of_range".into(), Value::String("wrap".into()));
            }
            _ => {}
        }
        Self::from_configuration(NAME, m)
    }

    fn from_configuration(
        name: &'static str,
        conf: Map<String, Value>,
    ) -> Result<Self, PluginError> {
        let err = |m: String| PluginError::config(ExtensionKind::Codec, name, m);
        let legacy = name == LEGACY_NAME;
        let range_key = if legacy { "range" } else { "out_of_range" };
        for k in conf.keys() {
            let known = matches!(k.as_str(), "data_type" | "rounding")
                || k == range_key
                || (!legacy && k == "scalar_map");
            if !known {
                return Err(err(format!(
                    "unknown configuration member `{k}` (the spec makes metadata with other members invalid)"
                )));
            }
        }
        let dt_json = conf
            .get("data_type")
            .ok_or_else(|| err("missing `data_type`".into()))?;
        let dt_meta: MetadataV3 = serde_json::from_value(dt_json.clone())
            .map_err(|e| err(format!("`data_type`: {e}")))?;
        let target = zarrkit_core::registry::create_data_type(&dt_meta)
            .map_err(|e| err(format!("`data_type`: {e}")))?;
        let target_kind = kind_of(&target)
            .ok_or_else(|| err(unsupported_type("the target data_type", &target)))?;
        let rounding = match conf.get("rounding") {
            None => Rounding::NearestEven,
            Some(Value::String(s)) => Rounding::parse(s).ok_or_else(|| {
                err(format!(
                    "unknown `rounding` {s:?} (nearest-even, towards-zero, towards-positive, towards-negative, nearest-away)"
                ))
            })?,
            Some(other) => return Err(err(format!("`rounding` must be a string, got {other}"))),
        };
        let out_of_range = match conf.get(range_key) {
            None => OutOfRange::Error,
            Some(Value::String(s)) => match s.as_str() {
                "clamp" => OutOfRange::Clamp,
                "wrap" => OutOfRange::Wrap,
                // The older README's explicit value for the default.
                "error" => OutOfRange::Error,
                _ => return Err(err(format!("unknown `{range_key}` {s:?} (clamp, wrap)"))),
            },
            Some(other) => return Err(err(format!("`{range_key}` must be a string, got {other}"))),
        };
        if out_of_range == OutOfRange::Wrap && matches!(target_kind, Kind::Float(_)) {
            return Err(err(format!(
                "`{range_key}: \"wrap\"` is only defined for an integer `data_type`, not {}",
                target.name()
            )));
        }
        let (mut encode_map, mut decode_map) = (Vec::new(), Vec::new());
        match conf.get("scalar_map") {
            None => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    match k.as_str() {
                        "encode" => {
                            encode_map = parse_pairs(v, "scalar_map.encode").map_err(err)?
                        }
                        "decode" => {
                            decode_map = parse_pairs(v, "scalar_map.decode").map_err(err)?
                        }
                        other => {
                            return Err(err(format!(
                                "unknown member `{other}` of `scalar_map` (encode, decode)"
                            )))
                        }
                    }
                }
            }
            Some(other) => return Err(err(format!("`scalar_map` must be an object, got {other}"))),
        }
        // The target side of the maps is known now: check it early.
        for (i, (_, v)) in encode_map.iter().enumerate() {
            parse_scalar(&target, v).map_err(|e| {
                err(format!(
                    "`scalar_map.encode[{i}]`: value {v} is not a value of {}: {e}",
                    target.name()
                ))
            })?;
        }
        for (i, (k, _)) in decode_map.iter().enumerate() {
            parse_scalar(&target, k).map_err(|e| {
                err(format!(
                    "`scalar_map.decode[{i}]`: key {k} is not a value of {}: {e}",
                    target.name()
                ))
            })?;
        }
        Ok(Self {
            name,
            configuration: conf,
            target,
            target_kind,
            rules: Rules {
                rounding,
                out_of_range,
                legacy,
            },
            encode_map,
            decode_map,
        })
    }

    /// The target data type.
    pub fn data_type(&self) -> &DataType {
        &self.target
    }

    fn unsupported(&self, message: String) -> CodecError {
        CodecError::Unsupported {
            codec: self.name.into(),
            message,
        }
    }

    fn bind(&self, source_dt: &DataType) -> Result<Bound, CodecError> {
        let source = kind_of(source_dt).ok_or_else(|| {
            self.unsupported(unsupported_type("the array's data type", source_dt))
        })?;
        let encode_map = bind_map(
            &self.encode_map,
            (source_dt, source),
            &self.target,
            "scalar_map.encode",
        )
        .map_err(|e| self.unsupported(e))?;
        let decode_map = bind_map(
            &self.decode_map,
            (&self.target, self.target_kind),
            source_dt,
            "scalar_map.decode",
        )
        .map_err(|e| self.unsupported(e))?;
        Ok(Bound {
            source,
            encode_map,
            decode_map,
        })
    }

    /// The fill value cast to the target (the encoding rules).
    fn encoded_fill(&self, bound: &Bound, fill: &[u8]) -> Result<Vec<u8>, (Num, CastError)> {
        let mut out = vec![0u8; self.target_kind.size()];
        cast_all(
            fill,
            bound.source,
            self.target_kind,
            &bound.encode_map,
            self.rules,
            &mut out,
        )
        .map_err(|(_, v, e)| (v, e))?;
        Ok(out)
    }

    fn json_of(dt: &DataType, bytes: &[u8]) -> Value {
        dt.fill_value_to_json(&FillValue::new(bytes.to_vec()))
            .unwrap_or(Value::Null)
    }

    fn run(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        encode: bool,
    ) -> Result<ArrayBytes, CodecError> {
        let bound = self.bind(&decoded.data_type)?;
        let input = input
            .into_fixed()
            .ok_or_else(|| CodecError::new(self.name, "expected fixed-size array bytes"))?;
        let n = decoded.num_elements_usize()?;
        let (from, to, map, from_dt, to_dt) = if encode {
            (
                bound.source,
                self.target_kind,
                &bound.encode_map,
                &decoded.data_type,
                &self.target,
            )
        } else {
            (
                self.target_kind,
                bound.source,
                &bound.decode_map,
                &self.target,
                &decoded.data_type,
            )
        };
        let expected = n.checked_mul(from.size());
        if expected != Some(input.len()) {
            return Err(CodecError::UnexpectedSize {
                codec: self.name.into(),
                expected: (n as u64).saturating_mul(from.size() as u64),
                actual: input.len() as u64,
            });
        }
        if encode {
            self.check_fill_round_trip(&bound, decoded)?;
        }
        let out_len = n
            .checked_mul(to.size())
            .ok_or_else(|| CodecError::allocation(self.name, "chunk too large"))?;
        let mut out = zarrkit_core::codec::zeroed_for(out_len, self.name)?;
        cast_all(&input, from, to, map, self.rules, &mut out).map_err(|(i, v, e)| {
            let s = from.size();
            let value = input.get(i * s..(i + 1) * s).map_or_else(
                || Value::String(v.to_string()),
                |b| Self::json_of(from_dt, b),
            );
            let message = format!(
                "element {i} ({value}) of {} cannot be cast to {}: {e}",
                from_dt.name(),
                to_dt.name()
            );
            if encode {
                CodecError::InvalidElements(format!("{}: {message}", self.name))
            } else {
                CodecError::new(self.name, message)
            }
        })?;
        Ok(ArrayBytes::Fixed(out))
    }

    /// The spec: a fill value that does not survive encode-then-decode is an error (here,
    /// when writing).
    fn check_fill_round_trip(
        &self,
        bound: &Bound,
        decoded: &ChunkRepresentation,
    ) -> Result<(), CodecError> {
        let fill = decoded.fill_value.as_bytes();
        let fill_json = Self::json_of(&decoded.data_type, fill);
        let enc = self.encoded_fill(bound, fill).map_err(|(_, e)| {
            self.unsupported(format!(
                "the fill value {fill_json} cannot be cast to {}: {e}",
                self.target.name()
            ))
        })?;
        let mut back = vec![0u8; bound.source.size()];
        let round = cast_all(
            &enc,
            self.target_kind,
            bound.source,
            &bound.decode_map,
            self.rules,
            &mut back,
        );
        let ok = round.is_ok() && read(bound.source, &back).same_value(read(bound.source, fill));
        if ok {
            return Ok(());
        }
        let via = Self::json_of(&self.target, &enc);
        Err(self.unsupported(format!(
            "the fill value {fill_json} does not survive the cast round trip (encoded as {via} of {}, decoded as {}); the spec makes this an error: choose a fill value {} represents exactly, or map it with `scalar_map`",
            self.target.name(),
            match round {
                Ok(()) => Self::json_of(&decoded.data_type, &back).to_string(),
                Err((_, _, e)) => format!("an error: {e}"),
            },
            self.target.name()
        )))
    }
}

impl CodecTraits for CastValueCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(self.configuration.clone())
    }
}

impl ArrayToArrayCodecTraits for CastValueCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        let bound = self.bind(&decoded.data_type)?;
        let fill = decoded.fill_value.as_bytes();
        if fill.len() != bound.source.size() {
            return Err(self.unsupported(format!(
                "the fill value has {} bytes, not {}",
                fill.len(),
                bound.source.size()
            )));
        }
        let enc = self.encoded_fill(&bound, fill).map_err(|(_, e)| {
            self.unsupported(format!(
                "the fill value {} cannot be cast to {}: {e}",
                Self::json_of(&decoded.data_type, fill),
                self.target.name()
            ))
        })?;
        Ok(ChunkRepresentation::new(
            decoded.shape.clone(),
            self.target.clone(),
            FillValue::new(enc),
        ))
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

    /// Element-wise: any region decodes on its own.
    fn encoded_region(
        &self,
        region: &ArraySubset,
        _decoded: &ChunkRepresentation,
    ) -> Option<ArraySubset> {
        Some(region.clone())
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = if metadata.name() == LEGACY_NAME {
        LEGACY_NAME
    } else {
        NAME
    };
    let conf = metadata.configuration().cloned().ok_or_else(|| {
        PluginError::config(
            ExtensionKind::Codec,
            name,
            "missing configuration (it needs at least `data_type`)",
        )
    })?;
    Ok(Codec::ArrayToArray(Arc::new(
        CastValueCodec::from_configuration(name, conf)?,
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(&[LEGACY_NAME])
}

#[cfg(test)]
mod tests;
