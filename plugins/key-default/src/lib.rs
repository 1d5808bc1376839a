//! zarrkit plugin: the `default` chunk key encoding: `c` followed by the chunk indices, each
//! preceded by the separator (`/` by default, or `.`): `c/1/2`, `c.1.2`; a 0-d chunk is `c`.

use std::sync::Arc;

use serde::Deserialize;
use zarrkit_core::chunk_key_encoding::{ChunkKeyEncoding, ChunkKeyEncodingTraits};
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::ChunkKeyEncodingPlugin;
use zarrkit_core::serde_json::{Map, Value};

/// The `default` chunk key encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultChunkKeyEncoding {
    separator: char,
}

impl DefaultChunkKeyEncoding {
    /// With separator `/` or `.`.
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

impl ChunkKeyEncodingTraits for DefaultChunkKeyEncoding {
    fn name(&self) -> &str {
        "default"
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
        let mut s = String::with_capacity(2 + chunk_indices.len() * 4);
        s.push('c');
        for i in chunk_indices {
            s.push(self.separator);
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
        None | Some("/") => '/',
        Some(".") => '.',
        Some(s) => return Err(err(format!("separator {s:?} must be \"/\" or \".\""))),
    };
    Ok(Arc::new(DefaultChunkKeyEncoding::new(sep).map_err(err)?))
}

zarrkit_core::inventory::submit! {
    ChunkKeyEncodingPlugin::new("default", create)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(json: &str) -> Result<ChunkKeyEncoding, PluginError> {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)
            .map_err(|e| PluginError::config(ExtensionKind::ChunkKeyEncoding, "default", e))?;
        zarrkit_core::registry::create_chunk_key_encoding(&m)
    }

    #[test]
    fn keys() -> Result<(), PluginError> {
        assert_eq!(
            enc(r#"{"name":"default"}"#)?.encode(&[1, 23, 0]),
            "c/1/23/0"
        );
        assert_eq!(
            enc(r#"{"name":"default","configuration":{"separator":"."}}"#)?.encode(&[1, 2]),
            "c.1.2"
        );
        assert_eq!(enc(r#"{"name":"default"}"#)?.encode(&[]), "c");
        assert!(enc(r#"{"name":"default","configuration":{"separator":"-"}}"#).is_err());
        Ok(())
    }
}
