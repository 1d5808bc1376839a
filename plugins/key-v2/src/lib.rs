//! zarrkit plugin: the `v2` chunk key encoding: the chunk indices joined by the separator
//! (`.` by default, or `/`): `1.2`, `1/2`; a 0-d chunk is `0`.

use std::sync::Arc;

use serde::Deserialize;
use zarrkit_core::chunk_key_encoding::{ChunkKeyEncoding, ChunkKeyEncodingTraits};
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::ChunkKeyEncodingPlugin;
use zarrkit_core::serde_json::{Map, Value};

/// The `v2` chunk key encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2ChunkKeyEncoding {
    separator: char,
}

impl V2ChunkKeyEncoding {
    /// With separator `.` or `/`.
    pub fn new(separator: char) -> Result<Self, String> {
        match separator {
            '/' | '.' => Ok(Self { separator }),
            c => Err(format!("separator {c:?} must be \"/\" or \".\"")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    separator: Option<String>,
}

impl ChunkKeyEncodingTraits for V2ChunkKeyEncoding {
    fn name(&self) -> &str {
        "v2"
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert(
            "separator".into(),
            Value::String(self.separator.to_string()),
        );
        Some(m)
    }

    fn encode(&self, chunk_indices: &[u64]) -> String {
        if chunk_indices.is_empty() {
            return "0".into();
        }
        let mut s = String::with_capacity(chunk_indices.len() * 4);
        for (n, i) in chunk_indices.iter().enumerate() {
            if n > 0 {
                s.push(self.separator);
            }
            s.push_str(&i.to_string());
        }
        s
    }
}

fn create(metadata: &MetadataV3) -> Result<ChunkKeyEncoding, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::ChunkKeyEncoding, metadata.name(), m);
    if metadata
        .configuration()
        .is_some_and(|c| c.get("separator").is_some_and(Value::is_null))
    {
        return Err(err("separator must be \"/\" or \".\", not null".into()));
    }
    let c: Config = metadata.to_configuration().map_err(err)?;
    let sep = match c.separator.as_deref() {
        None | Some(".") => '.',
        Some("/") => '/',
        Some(s) => return Err(err(format!("separator {s:?} must be \"/\" or \".\""))),
    };
    Ok(Arc::new(V2ChunkKeyEncoding::new(sep).map_err(err)?))
}

zarrkit_core::inventory::submit! {
    ChunkKeyEncodingPlugin::new("v2", create)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(json: &str) -> Result<ChunkKeyEncoding, PluginError> {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)
            .map_err(|e| PluginError::config(ExtensionKind::ChunkKeyEncoding, "v2", e))?;
        zarrkit_core::registry::create_chunk_key_encoding(&m)
    }

    #[test]
    fn keys() -> Result<(), PluginError> {
        assert_eq!(enc(r#"{"name":"v2"}"#)?.encode(&[1, 23, 0]), "1.23.0");
        assert_eq!(
            enc(r#"{"name":"v2","configuration":{"separator":"/"}}"#)?.encode(&[1, 2]),
            "1/2"
        );
        assert_eq!(enc(r#"{"name":"v2"}"#)?.encode(&[]), "0");
        assert!(enc(r#"{"name":"v2","configuration":{"separator":""}}"#).is_err());
        Ok(())
    }
}
