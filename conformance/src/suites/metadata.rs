//! The metadata suite: parse → serialize → parse identity.
//!
//! - [`documents_round_trip`]: V3 `zarr.json` (arrays and groups) and V2 `.zarray` /
//!   `.zgroup` documents: the written JSON equals the original (key order and whitespace
//!   aside; numbers by their literal text) and parsing it again gives equal metadata.
//! - [`codecs_round_trip`]: codec metadata → codec (through the registry) → metadata: every
//!   configuration member read is written back unchanged (defaults may be added), and
//!   creating the codec again from it gives the same metadata.
//! - [`extensions_round_trip`]: the same for chunk grids and chunk key encodings.
//! - [`fill_values_round_trip`]: a data type's fill values: JSON → bytes → JSON → bytes
//!   gives the same bytes (and the element size), and writing is stable.

use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::PluginEntry;
use zarrkit_core::serde_json::{self, Value};
use zarrkit_core::{registry, ArrayMetadataV2, GroupMetadataV2};

use super::{SuiteError, SuiteReport};
use crate::json::json_diff_exact;

fn parse_value(doc: &str) -> Result<Value, String> {
    serde_json::from_str(doc).map_err(|e| format!("not JSON: {e}"))
}

fn short(doc: &str) -> String {
    let one: String = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 70 {
        one.chars().take(67).collect::<String>() + "..."
    } else {
        one
    }
}

/// V3 `zarr.json` or V2 `.zarray` / `.zgroup` round trip of one document.
pub fn document_round_trip(doc: &str) -> Result<(), String> {
    let original = parse_value(doc)?;
    let format = original.get("zarr_format").and_then(Value::as_u64);
    match format {
        Some(3) => crate::runner::metadata_round_trip_json(doc.as_bytes(), "/"),
        Some(2) if original.get("dtype").is_some() => {
            let parsed = ArrayMetadataV2::from_json(doc.as_bytes(), None, "/")
                .map_err(|e| format!("parsing failed: {e}"))?;
            let written = Value::Object(parsed.to_map());
            if let Some(d) = json_diff_exact(&original, &written) {
                return Err(format!("written .zarray differs (original vs written) {d}"));
            }
            let text = serde_json::to_vec(&written).map_err(|e| e.to_string())?;
            let again = ArrayMetadataV2::from_json(&text, None, "/")
                .map_err(|e| format!("re-parsing failed: {e}"))?;
            if again != parsed {
                return Err("re-parsed metadata differs".into());
            }
            Ok(())
        }
        Some(2) => {
            let parsed = GroupMetadataV2::from_json(doc.as_bytes(), None, None, "/")
                .map_err(|e| format!("parsing failed: {e}"))?;
            let written = Value::Object(parsed.to_map());
            if let Some(d) = json_diff_exact(&original, &written) {
                return Err(format!("written .zgroup differs (original vs written) {d}"));
            }
            Ok(())
        }
        _ => Err("no zarr_format 2 or 3".into()),
    }
}

/// [`document_round_trip`] of every document.
pub fn documents_round_trip(docs: &[&str]) -> Result<SuiteReport, SuiteError> {
    let mut r = SuiteReport::new("metadata documents round trip");
    for doc in docs {
        r.check(short(doc), || document_round_trip(doc));
    }
    r.into_result()
}

fn configuration_of(m: &MetadataV3) -> Value {
    m.configuration()
        .cloned()
        .map_or(Value::Null, Value::Object)
}

/// Codec metadata (V3 JSON such as `{"name": "gzip", "configuration": {"level": 5}}`) →
/// codec through the registry → metadata: a name the same plugin accepts, every
/// configuration member read written back unchanged (members left out may be written with
/// their defaults), and stable when created again.
pub fn codecs_round_trip(docs: &[&str]) -> Result<SuiteReport, SuiteError> {
    let mut r = SuiteReport::new("codec metadata round trip");
    for doc in docs {
        r.check(short(doc), || {
            let m: MetadataV3 =
                serde_json::from_str(doc).map_err(|e| format!("not codec metadata: {e}"))?;
            let codec = registry::create_codec(&m).map_err(|e| format!("cannot create: {e}"))?;
            let written = codec.metadata();
            // Every member read is written back unchanged; members the document left out
            // may be written with their defaults.
            let written_conf = configuration_of(&written);
            if let Value::Object(read) = configuration_of(&m) {
                for (k, v) in &read {
                    match written_conf.get(k) {
                        None => return Err(format!("configuration member {k:?} is not written")),
                        Some(w) => {
                            if let Some(d) = json_diff_exact(v, w) {
                                return Err(format!(
                                    "configuration member {k:?} written differently (read vs written) {d}"
                                ));
                            }
                        }
                    }
                }
            }
            let plugin = registry::CODECS
                .get(m.name())
                .ok_or("no plugin for the name read")?;
            if !plugin.matches(written.name()) {
                return Err(format!(
                    "writes name {:?}, which the plugin of {:?} does not accept",
                    written.name(),
                    m.name()
                ));
            }
            let again = registry::create_codec(&written)
                .map_err(|e| format!("cannot create from the written metadata: {e}"))?
                .metadata();
            if again != written {
                return Err(format!("not stable: {written:?} then {again:?}"));
            }
            Ok(())
        });
    }
    r.into_result()
}

/// Which extension point [`extensions_round_trip`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    /// A chunk grid.
    ChunkGrid,
    /// A chunk key encoding.
    ChunkKeyEncoding,
}

/// Chunk grid or chunk key encoding metadata → object → metadata: the same configuration
/// (absent and `{}` are the same unless the original had one), stable when created again;
/// key encodings also encode sample chunk indices identically after the round trip.
pub fn extensions_round_trip(kind: Extension, docs: &[&str]) -> Result<SuiteReport, SuiteError> {
    let mut r = SuiteReport::new(format!("{kind:?} metadata round trip"));
    for doc in docs {
        r.check(short(doc), || {
            let m: MetadataV3 =
                serde_json::from_str(doc).map_err(|e| format!("not metadata: {e}"))?;
            let (name, conf, again) = match kind {
                Extension::ChunkGrid => {
                    let g = registry::create_chunk_grid(&m)
                        .map_err(|e| format!("cannot create: {e}"))?;
                    let conf = g.configuration();
                    let again = registry::create_chunk_grid(&MetadataV3::new_with_configuration(
                        g.name(),
                        conf.clone(),
                    ))
                    .map_err(|e| format!("cannot create again: {e}"))?;
                    (
                        g.name().to_string(),
                        Some(conf),
                        Some(again.configuration()),
                    )
                }
                Extension::ChunkKeyEncoding => {
                    let k = registry::create_chunk_key_encoding(&m)
                        .map_err(|e| format!("cannot create: {e}"))?;
                    let conf = k.configuration();
                    let md = match &conf {
                        Some(c) => MetadataV3::new_with_configuration(k.name(), c.clone()),
                        None => MetadataV3::new(k.name()),
                    };
                    let again = registry::create_chunk_key_encoding(&md)
                        .map_err(|e| format!("cannot create again: {e}"))?;
                    for idx in [&[][..], &[0], &[1, 2], &[10, 0, 3]] {
                        if k.encode(idx) != again.encode(idx) {
                            return Err(format!(
                                "chunk {idx:?}: key {:?} before and {:?} after the round trip",
                                k.encode(idx),
                                again.encode(idx)
                            ));
                        }
                    }
                    (k.name().to_string(), conf, again.configuration())
                }
            };
            if name != m.name() {
                // Aliases may be written under the plugin's name.
                let ok = match kind {
                    Extension::ChunkGrid => registry::CHUNK_GRIDS
                        .get(m.name())
                        .is_some_and(|p| p.matches(&name)),
                    Extension::ChunkKeyEncoding => registry::CHUNK_KEY_ENCODINGS
                        .get(m.name())
                        .is_some_and(|p| p.matches(&name)),
                };
                if !ok {
                    return Err(format!("read {:?}, writes {name:?}", m.name()));
                }
            }
            let read = configuration_of(&m);
            let written = conf.clone().map_or(Value::Null, Value::Object);
            if m.configuration().is_some() {
                if let Some(d) = json_diff_exact(&read, &written) {
                    return Err(format!(
                        "configuration written differs (read vs written) {d}"
                    ));
                }
            }
            if conf != again {
                return Err(format!("not stable: {conf:?} then {again:?}"));
            }
            Ok(())
        });
    }
    r.into_result()
}

/// Fill values of the data type `data_type` (a name such as `int32`, or V3 metadata JSON
/// such as `{"name": ..., "configuration": ...}`): each JSON value parses to bytes of the element
/// size, writing them and parsing again gives the same bytes, and writing is stable.
/// `invalid` values must be rejected (an error, not a panic).
pub fn fill_values_round_trip(
    data_type: &str,
    valid: &[Value],
    invalid: &[Value],
) -> Result<SuiteReport, SuiteError> {
    let mut r = SuiteReport::new(format!("fill values of {data_type}"));
    let metadata = if data_type.trim_start().starts_with(['{', '"']) {
        serde_json::from_str::<MetadataV3>(data_type)
            .map_err(|e| format!("not data type metadata: {e}"))
    } else {
        Ok(MetadataV3::new(data_type))
    };
    let dt = match metadata.and_then(|m| registry::create_data_type(&m).map_err(|e| e.to_string()))
    {
        Ok(dt) => dt,
        Err(e) => {
            r.fail("create the data type", e);
            return r.into_result();
        }
    };
    for v in valid {
        r.check(format!("fill value {v}"), || {
            let fv = dt
                .fill_value_from_json(v)
                .map_err(|e| format!("rejected: {e}"))?;
            if let Some(n) = dt.size().fixed() {
                if fv.size() != n {
                    return Err(format!("{} bytes for a {n}-byte type", fv.size()));
                }
            }
            let json = dt
                .fill_value_to_json(&fv)
                .map_err(|e| format!("cannot write: {e}"))?;
            let again = dt
                .fill_value_from_json(&json)
                .map_err(|e| format!("written {json} is rejected: {e}"))?;
            if again != fv {
                return Err(format!("written as {json}, which parses to other bytes"));
            }
            let json2 = dt.fill_value_to_json(&again).map_err(|e| e.to_string())?;
            if json2 != json {
                return Err(format!("not stable: {json} then {json2}"));
            }
            Ok(())
        });
    }
    for v in invalid {
        r.check(format!("invalid fill value {v}"), || {
            match dt.fill_value_from_json(v) {
                Ok(fv) => Err(format!("accepted as {:?}", fv.as_bytes())),
                Err(_) => Ok(()),
            }
        });
    }
    r.into_result()
}
