//! A third-party zarrkit plugin: the bytes→bytes codec `example.xor`, which XORs every byte
//! with a key (a toy "cipher" — the point is the plugin path, not the codec).
//!
//! Everything a plugin needs is here: a configuration struct, the codec, and one
//! `inventory` registration. The crate depends only on `zarrkit-core`; once it is linked
//! into a program (`use zarrkit_example_custom_codec as _;`), arrays whose metadata names
//! `example.xor` open and work.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::codec::{
    Bytes, BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecTraits,
};
use zarrkit_core::config::CodecOptions;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::CodecPlugin;
use zarrkit_core::serde_json::{Map, Value};

/// The codec's name in metadata.
pub const NAME: &str = "example.xor";

/// `{"key": 0..=255}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XorConfiguration {
    /// The byte every stored byte is XORed with.
    pub key: u8,
}

/// The codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XorCodec {
    key: u8,
}

impl XorCodec {
    /// A codec with this key.
    pub fn new(key: u8) -> Self {
        Self { key }
    }
}

impl CodecTraits for XorCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("key".into(), Value::from(self.key));
        Some(m)
    }
}

impl BytesToBytesCodecTraits for XorCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        *decoded
    }

    fn encode(&self, mut input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        input.iter_mut().for_each(|b| *b ^= self.key);
        Ok(input)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        if let Some(bound) = decoded.bound() {
            if input.len() as u64 > bound {
                return Err(CodecError::UnexpectedSize {
                    codec: NAME.into(),
                    expected: bound,
                    actual: input.len() as u64,
                });
            }
        }
        // `Vec::from` reuses the buffer when nothing else holds it.
        self.encode(Vec::from(input), options).map(Bytes::from)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let c: XorConfiguration = metadata
        .to_configuration()
        .map_err(|e| PluginError::config(ExtensionKind::Codec, metadata.name(), e))?;
    Ok(Codec::BytesToBytes(Arc::new(XorCodec::new(c.key))))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create)
}
