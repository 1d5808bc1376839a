//! Parsing what the user writes for data types, fill values, codecs (JSON metadata or short
//! presets such as `zstd:3` and `blosc:lz4:5:shuffle`) and attributes. Every codec is created
//! through the registry to check it and learn its kind.

use serde_json::{json, Map, Value};
use zarrkit::codec::Codec;
use zarrkit::{registry, DataType, MetadataV3};

use crate::error::{fail, CliError, Context};

/// The kind of a codec in a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecKind {
    /// Array→array.
    ArrayToArray,
    /// Array→bytes.
    ArrayToBytes,
    /// Bytes→bytes.
    BytesToBytes,
}

impl CodecKind {
    fn describe(self) -> &'static str {
        match self {
            Self::ArrayToArray => "an array→array codec",
            Self::ArrayToBytes => "an array→bytes codec",
            Self::BytesToBytes => "a bytes→bytes codec",
        }
    }
}

/// The kind of the codec `m` names, created through the registry (`None`: unknown, and
/// marked `must_understand: false`, so it may be dropped).
pub fn codec_kind(m: &MetadataV3) -> Result<Option<CodecKind>, CliError> {
    match registry::create_codec(m) {
        Ok(Codec::ArrayToArray(_)) => Ok(Some(CodecKind::ArrayToArray)),
        Ok(Codec::ArrayToBytes(_)) => Ok(Some(CodecKind::ArrayToBytes)),
        Ok(Codec::BytesToBytes(_)) => Ok(Some(CodecKind::BytesToBytes)),
        Err(zarrkit::PluginError::Unknown { .. }) if !m.must_understand() => Ok(None),
        Err(e) => Err(CliError::new(e)),
    }
}

/// A codec chain split by kind (metadata, in order).
#[derive(Debug, Clone, Default)]
pub struct SplitCodecs {
    /// Array→array codecs.
    pub a2a: Vec<MetadataV3>,
    /// The array→bytes codec.
    pub a2b: Option<MetadataV3>,
    /// Bytes→bytes codecs.
    pub b2b: Vec<MetadataV3>,
}

/// Split a chain by kind (unknown optional codecs are dropped).
pub fn split_codecs(codecs: &[MetadataV3]) -> Result<SplitCodecs, CliError> {
    let mut s = SplitCodecs::default();
    for m in codecs {
        match codec_kind(m).ctx(|| format!("codec {}", m.name()))? {
            Some(CodecKind::ArrayToArray) => s.a2a.push(m.clone()),
            Some(CodecKind::ArrayToBytes) => s.a2b = Some(m.clone()),
            Some(CodecKind::BytesToBytes) => s.b2b.push(m.clone()),
            None => {}
        }
    }
    Ok(s)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The element size used by presets that need one (blosc's typesize, shuffle's
/// elementsize).
#[derive(Debug, Clone, Copy)]
pub struct PresetContext {
    /// The data type's element size, if fixed.
    pub element_size: Option<usize>,
}

fn num_arg<T: std::str::FromStr>(preset: &str, what: &str, s: &str) -> Result<T, CliError> {
    s.parse::<T>()
        .map_err(|_| CliError::new(format!("preset {preset:?}: {what} {s:?} is not a number")))
}

/// One preset (`zstd:3`, `blosc:lz4:5:shuffle`, `bytes:big`, `transpose:[1,0]`,
/// `NAME:{json}`, `NAME`) as codec metadata.
pub fn preset(p: &str, cx: PresetContext) -> Result<MetadataV3, CliError> {
    let p = p.trim();
    let (name, rest) = match p.find(':') {
        Some(i) => (&p[..i], Some(&p[i + 1..])),
        None => (p, None),
    };
    if name.is_empty() {
        return fail(format!("preset {p:?} has no codec name"));
    }
    // `NAME:{...}`: a configuration as JSON, for any codec.
    if let Some(r) = rest.filter(|r| r.trim_start().starts_with('{')) {
        let cfg: Value = serde_json::from_str(r).ctx(|| format!("preset {p:?}: configuration"))?;
        return Ok(MetadataV3::new_with_configuration(name, obj(cfg)));
    }
    let args: Vec<&str> = rest.map(|r| r.split(':').collect()).unwrap_or_default();
    let arg = |i: usize| args.get(i).copied().filter(|a| !a.is_empty());
    let too_many = |n: usize| -> Result<(), CliError> {
        if args.len() > n {
            fail(format!("preset {p:?}: {name} takes at most {n} parameters"))
        } else {
            Ok(())
        }
    };
    let m = match name {
        "zstd" => {
            too_many(2)?;
            let level: i64 = arg(0).map_or(Ok(3), |a| num_arg(p, "level", a))?;
            let checksum = match arg(1) {
                None => false,
                Some("checksum") | Some("true") => true,
                Some("nochecksum") | Some("false") => false,
                Some(o) => return fail(format!("preset {p:?}: {o:?} is not checksum/nochecksum")),
            };
            MetadataV3::new_with_configuration(
                "zstd",
                obj(json!({"level": level, "checksum": checksum})),
            )
        }
        "blosc" => {
            too_many(4)?;
            let cname = arg(0).unwrap_or("lz4");
            let clevel: u64 = arg(1).map_or(Ok(5), |a| num_arg(p, "clevel", a))?;
            let shuffle = arg(2).unwrap_or(if cx.element_size.unwrap_or(1) > 1 {
                "shuffle"
            } else {
                "bitshuffle"
            });
            let shuffle = match shuffle {
                "noshuffle" | "none" => "noshuffle",
                "shuffle" | "byte" => "shuffle",
                "bitshuffle" | "bit" => "bitshuffle",
                o => {
                    return fail(format!(
                        "preset {p:?}: shuffle {o:?} is not noshuffle, shuffle or bitshuffle"
                    ))
                }
            };
            let blocksize: u64 = arg(3).map_or(Ok(0), |a| num_arg(p, "blocksize", a))?;
            let mut cfg = json!({"cname": cname, "clevel": clevel, "shuffle": shuffle});
            if let (Some(ts), Value::Object(m)) = (cx.element_size, &mut cfg) {
                m.insert("typesize".into(), json!(ts));
            }
            if let Value::Object(m) = &mut cfg {
                m.insert("blocksize".into(), json!(blocksize));
            }
            MetadataV3::new_with_configuration("blosc", obj(cfg))
        }
        "gzip" => {
            too_many(1)?;
            let level: i64 = arg(0).map_or(Ok(5), |a| num_arg(p, "level", a))?;
            MetadataV3::new_with_configuration("gzip", obj(json!({ "level": level })))
        }
        "zlib" | "bz2" => {
            too_many(1)?;
            let default = if name == "zlib" { 1 } else { 9 };
            let level: i64 = arg(0).map_or(Ok(default), |a| num_arg(p, "level", a))?;
            MetadataV3::new_with_configuration(
                format!("numcodecs.{name}"),
                obj(json!({ "level": level })),
            )
        }
        "lz4" => {
            too_many(1)?;
            let acc: i64 = arg(0).map_or(Ok(1), |a| num_arg(p, "acceleration", a))?;
            MetadataV3::new_with_configuration("numcodecs.lz4", obj(json!({ "acceleration": acc })))
        }
        "crc32c" => {
            too_many(0)?;
            MetadataV3::new("crc32c")
        }
        "bytes" => {
            too_many(1)?;
            match arg(0) {
                None => {
                    MetadataV3::new_with_configuration("bytes", obj(json!({"endian": "little"})))
                }
                Some(e @ ("little" | "big")) => {
                    MetadataV3::new_with_configuration("bytes", obj(json!({ "endian": e })))
                }
                Some(o) => return fail(format!("preset {p:?}: endian {o:?} is not little or big")),
            }
        }
        "transpose" => {
            let order: Value = serde_json::from_str(rest.unwrap_or("")).ctx(|| {
                format!("preset {p:?}: the order must be a JSON list, e.g. transpose:[1,0]")
            })?;
            MetadataV3::new_with_configuration("transpose", obj(json!({ "order": order })))
        }
        "bitround" => {
            too_many(1)?;
            let keep: u64 = match arg(0) {
                Some(a) => num_arg(p, "keepbits", a)?,
                None => {
                    return fail(format!(
                        "preset {p:?}: bitround needs keepbits (bitround:9)"
                    ))
                }
            };
            MetadataV3::new_with_configuration("bitround", obj(json!({ "keepbits": keep })))
        }
        "pcodec" => {
            too_many(1)?;
            let level: u64 = arg(0).map_or(Ok(8), |a| num_arg(p, "level", a))?;
            MetadataV3::new_with_configuration("numcodecs.pcodec", obj(json!({ "level": level })))
        }
        "shuffle" => {
            too_many(1)?;
            let es: u64 = match arg(0) {
                Some(a) => num_arg(p, "elementsize", a)?,
                None => cx.element_size.unwrap_or(1) as u64,
            };
            MetadataV3::new_with_configuration(
                "numcodecs.shuffle",
                obj(json!({ "elementsize": es })),
            )
        }
        other => {
            too_many(0)?;
            MetadataV3::new(other)
        }
    };
    Ok(m)
}

/// Split a preset list at top-level commas (not inside `[...]` or `{...}`).
fn split_presets(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// A list of codecs: JSON (`[...]`, each a name string or `{"name", "configuration"}`),
/// `none`, or comma-separated presets; each checked to be of `kind`.
pub fn codec_list(
    flag: &str,
    s: &str,
    kind: CodecKind,
    cx: PresetContext,
) -> Result<Vec<MetadataV3>, CliError> {
    let t = s.trim();
    let list: Vec<MetadataV3> = if t.starts_with('[') || t.starts_with('{') {
        let v: Value = serde_json::from_str(t).ctx(|| format!("--{flag}: invalid JSON"))?;
        let items = match v {
            Value::Array(a) => a,
            one @ Value::Object(_) => vec![one],
            _ => return fail(format!("--{flag}: expected a JSON list of codecs")),
        };
        items
            .into_iter()
            .map(|i| {
                serde_json::from_value::<MetadataV3>(i).ctx(|| format!("--{flag}: codec metadata"))
            })
            .collect::<Result<_, _>>()?
    } else if t == "none" || t.is_empty() {
        Vec::new()
    } else {
        split_presets(t)
            .into_iter()
            .map(|p| preset(p, cx).map_err(|e| e.context(format!("--{flag}"))))
            .collect::<Result<_, _>>()?
    };
    for m in &list {
        match codec_kind(m).ctx(|| format!("--{flag}: codec {}", m.name()))? {
            Some(k) if k == kind => {}
            Some(k) => {
                return fail(format!(
                    "--{flag}: codec {} is {}, not {}",
                    m.name(),
                    k.describe(),
                    kind.describe()
                ))
            }
            None => return fail(format!("--{flag}: unknown codec {}", m.name())),
        }
    }
    Ok(list)
}

/// One array→bytes codec (JSON metadata or a preset).
pub fn array_to_bytes(s: &str, cx: PresetContext) -> Result<MetadataV3, CliError> {
    let mut l = codec_list("array-to-bytes-codec", s, CodecKind::ArrayToBytes, cx)?;
    match (l.pop(), l.is_empty()) {
        (Some(m), true) => Ok(m),
        _ => fail("--array-to-bytes-codec: give exactly one codec"),
    }
}

/// A data type from a name or JSON metadata, resolved through the registry.
pub fn data_type(s: &str) -> Result<(MetadataV3, DataType), CliError> {
    let t = s.trim();
    let m = if t.starts_with('{') || t.starts_with('"') {
        serde_json::from_str::<MetadataV3>(t).ctx(|| format!("data type {t}: invalid JSON"))?
    } else {
        MetadataV3::new(t).in_short_form()
    };
    let dt = registry::create_data_type(&m).ctx(|| format!("data type {t}"))?;
    Ok((m, dt))
}

/// The metadata of a bound data type (short form when it has no configuration).
pub fn data_type_metadata(dt: &DataType) -> MetadataV3 {
    match dt.configuration() {
        Some(c) => MetadataV3::new_with_configuration(dt.name(), c),
        None => MetadataV3::new(dt.name()).in_short_form(),
    }
}

/// Whether two data types are the same (name and configuration).
pub fn same_data_type(a: &DataType, b: &DataType) -> bool {
    a.name() == b.name() && a.configuration() == b.configuration()
}

/// A fill value argument as JSON (a bare word that is not JSON is a JSON string).
pub fn fill_value_json(s: &str) -> Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|_| Value::String(s.trim().to_string()))
}

/// A JSON object argument.
pub fn json_object(flag: &str, s: &str) -> Result<Map<String, Value>, CliError> {
    match serde_json::from_str::<Value>(s).ctx(|| format!("--{flag}: invalid JSON"))? {
        Value::Object(m) => Ok(m),
        _ => fail(format!("--{flag}: expected a JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zarrkit as _;

    const CX: PresetContext = PresetContext {
        element_size: Some(2),
    };

    #[test]
    fn presets_become_metadata() {
        let z = preset("zstd:3", CX).unwrap();
        assert_eq!(z.name(), "zstd");
        assert_eq!(
            Value::Object(z.configuration().cloned().unwrap()),
            json!({"level": 3, "checksum": false})
        );
        let b = preset("blosc:lz4:5:shuffle", CX).unwrap();
        assert_eq!(
            Value::Object(b.configuration().cloned().unwrap()),
            json!({"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 2, "blocksize": 0})
        );
        let t = preset("transpose:[1,0]", CX).unwrap();
        assert_eq!(
            Value::Object(t.configuration().cloned().unwrap()),
            json!({"order": [1, 0]})
        );
        let j = preset("gzip:{\"level\": 9}", CX).unwrap();
        assert_eq!(j.name(), "gzip");
        assert!(preset("zstd:x", CX).is_err());
        assert!(preset("blosc:lz4:5:sideways", CX).is_err());
    }

    #[test]
    fn lists_are_split_and_checked() {
        let l = codec_list("b", "crc32c,zstd:1", CodecKind::BytesToBytes, CX).unwrap();
        assert_eq!(
            l.iter().map(|m| m.name().to_string()).collect::<Vec<_>>(),
            ["crc32c", "zstd"]
        );
        let e = codec_list("b", "bytes", CodecKind::BytesToBytes, CX).unwrap_err();
        assert!(e.message.contains("array→bytes"), "{e}");
        let e = codec_list("b", "nosuchcodec", CodecKind::BytesToBytes, CX).unwrap_err();
        assert!(e.message.contains("nosuchcodec"), "{e}");
        let j = codec_list(
            "b",
            r#"[{"name":"zstd","configuration":{"level":1,"checksum":false}}]"#,
            CodecKind::BytesToBytes,
            CX,
        )
        .unwrap();
        assert_eq!(j.len(), 1);
        assert!(codec_list("b", "none", CodecKind::BytesToBytes, CX)
            .unwrap()
            .is_empty());
        assert_eq!(
            split_presets("transpose:[2,1,0],bitround:3"),
            ["transpose:[2,1,0]", "bitround:3"]
        );
    }

    #[test]
    fn data_types_and_fill_values() {
        let (m, dt) = data_type("uint16").unwrap();
        assert_eq!(m.name(), "uint16");
        assert_eq!(dt.size().fixed(), Some(2));
        assert!(data_type("uint17").is_err());
        assert_eq!(fill_value_json("NaN"), json!("NaN"));
        assert_eq!(fill_value_json("-1"), json!(-1));
    }
}
