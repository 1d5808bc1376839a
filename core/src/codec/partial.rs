//! Partial decoders: read part of an encoded chunk without decoding (or fetching) all of it.

use std::sync::Arc;

use parking_lot::Mutex;

use super::{
    ArrayToArrayCodecTraits, ArrayToBytesCodecTraits, BytesRepresentation, BytesToBytesCodecTraits,
    ChunkRepresentation,
};
use crate::array_bytes::{extract_subset, ArrayBytes};
use crate::config::CodecOptions;
use crate::error::CodecError;
use crate::storage::{ByteRange, OpenedValue, ReadableStorageTraits, StoreKey, StoreValueReader};
use crate::subset::ArraySubset;

/// Reads byte ranges of (possibly decoded) bytes. `None` means the input is absent.
pub trait BytesPartialDecoder: Send + Sync {
    /// The requested byte ranges, or `None` if the input does not exist.
    fn partial_decode(
        &self,
        ranges: &[ByteRange],
        options: &CodecOptions,
    ) -> Result<Option<Vec<Vec<u8>>>, CodecError>;

    /// All the bytes, or `None` if the input does not exist.
    fn decode_all(&self, options: &CodecOptions) -> Result<Option<Vec<u8>>, CodecError> {
        Ok(self
            .partial_decode(&[ByteRange::ALL], options)?
            .and_then(|mut v| v.pop()))
    }

    /// The size of the input, if cheaply known (`Ok(None)`: absent or unknown).
    fn size(&self) -> Result<Option<u64>, CodecError> {
        Ok(None)
    }

    /// The requested byte ranges and the input's size (if known), or `None` if the input does
    /// not exist. Inputs that learn the size while reading (a file, an HTTP reply's
    /// `Content-Range`) answer both in one request; the default asks [`Self::size`] first.
    #[allow(clippy::type_complexity)]
    fn partial_decode_and_size(
        &self,
        ranges: &[ByteRange],
        options: &CodecOptions,
    ) -> Result<Option<(Vec<Vec<u8>>, Option<u64>)>, CodecError> {
        let size = self.size()?;
        Ok(self.partial_decode(ranges, options)?.map(|v| (v, size)))
    }
}

/// Reads subsets of a decoded chunk. Missing input decodes to the fill value.
pub trait ArrayPartialDecoder: Send + Sync {
    /// The decoded subsets (each relative to the chunk).
    fn partial_decode(
        &self,
        subsets: &[ArraySubset],
        options: &CodecOptions,
    ) -> Result<Vec<ArrayBytes>, CodecError>;
}

/// A [`BytesPartialDecoder`] reading one key of a store with byte-range requests. The value
/// is opened once, on the first read, and pinned when the store can
/// ([`ReadableStorageTraits::open_value`]): all reads through one decoder — a shard's index,
/// then the inner chunks it locates — see the same version of the value even if another
/// writer replaces it meanwhile, and a file is opened once instead of once per request.
pub struct StoragePartialDecoder<S: ?Sized> {
    storage: Arc<S>,
    key: StoreKey,
    opened: Mutex<Option<Opened>>,
}

/// [`OpenedValue`], shareable.
#[derive(Clone)]
enum Opened {
    Absent,
    Pinned(Arc<dyn StoreValueReader>),
    Unsupported,
}

impl<S: ReadableStorageTraits + ?Sized> StoragePartialDecoder<S> {
    /// Read `key` of `storage`.
    pub fn new(storage: Arc<S>, key: StoreKey) -> Self {
        Self {
            storage,
            key,
            opened: Mutex::new(None),
        }
    }

    fn opened(&self) -> Result<Opened, CodecError> {
        let mut g = self.opened.lock();
        if let Some(o) = g.as_ref() {
            return Ok(o.clone());
        }
        let o = match self.storage.open_value(&self.key)? {
            OpenedValue::Absent => Opened::Absent,
            OpenedValue::Pinned(r) => Opened::Pinned(Arc::from(r)),
            OpenedValue::Unsupported => Opened::Unsupported,
        };
        *g = Some(o.clone());
        Ok(o)
    }
}

impl<S: ReadableStorageTraits + ?Sized> BytesPartialDecoder for StoragePartialDecoder<S> {
    fn partial_decode(
        &self,
        ranges: &[ByteRange],
        _options: &CodecOptions,
    ) -> Result<Option<Vec<Vec<u8>>>, CodecError> {
        Ok(match self.opened()? {
            Opened::Absent => None,
            Opened::Pinned(r) => Some(r.get_ranges(ranges)?),
            Opened::Unsupported => self.storage.get_partial(&self.key, ranges)?,
        })
    }

    fn decode_all(&self, _options: &CodecOptions) -> Result<Option<Vec<u8>>, CodecError> {
        Ok(match self.opened()? {
            Opened::Absent => None,
            Opened::Pinned(r) => r.get_ranges(&[ByteRange::ALL])?.pop(),
            Opened::Unsupported => self.storage.get(&self.key)?,
        })
    }

    fn size(&self) -> Result<Option<u64>, CodecError> {
        Ok(match self.opened()? {
            Opened::Absent => None,
            Opened::Pinned(r) => Some(r.size()),
            Opened::Unsupported => self.storage.size_key(&self.key)?,
        })
    }

    fn partial_decode_and_size(
        &self,
        ranges: &[ByteRange],
        _options: &CodecOptions,
    ) -> Result<Option<(Vec<Vec<u8>>, Option<u64>)>, CodecError> {
        Ok(match self.opened()? {
            Opened::Absent => None,
            Opened::Pinned(r) => Some((r.get_ranges(ranges)?, Some(r.size()))),
            Opened::Unsupported => self
                .storage
                .get_partial_and_size(&self.key, ranges)?
                .map(|(v, n)| (v, Some(n))),
        })
    }
}

/// A [`BytesPartialDecoder`] over bytes already in memory (`None`: absent).
pub struct VecBytesPartialDecoder {
    bytes: Option<Vec<u8>>,
}

impl VecBytesPartialDecoder {
    /// Serve ranges of `bytes`.
    pub fn new(bytes: Option<Vec<u8>>) -> Self {
        Self { bytes }
    }
}

/// Copies of byte ranges of decoded bytes; a range out of bounds is an error from codec
/// `what`. For partial decoders that decode a whole chunk (or a prefix) and serve ranges.
pub fn extract_ranges(
    bytes: &[u8],
    ranges: &[ByteRange],
    what: &str,
) -> Result<Vec<Vec<u8>>, CodecError> {
    ranges
        .iter()
        .map(|r| {
            let rr = r.to_range(bytes.len() as u64).ok_or_else(|| {
                CodecError::new(
                    what,
                    format!("byte range {r} is out of bounds of {} bytes", bytes.len()),
                )
            })?;
            Ok(bytes[rr.start as usize..rr.end as usize].to_vec())
        })
        .collect()
}

impl BytesPartialDecoder for VecBytesPartialDecoder {
    fn partial_decode(
        &self,
        ranges: &[ByteRange],
        _options: &CodecOptions,
    ) -> Result<Option<Vec<Vec<u8>>>, CodecError> {
        match &self.bytes {
            None => Ok(None),
            Some(b) => extract_ranges(b, ranges, "bytes").map(Some),
        }
    }

    fn decode_all(&self, _options: &CodecOptions) -> Result<Option<Vec<u8>>, CodecError> {
        Ok(self.bytes.clone())
    }

    fn size(&self) -> Result<Option<u64>, CodecError> {
        Ok(self.bytes.as_ref().map(|b| b.len() as u64))
    }
}

/// The default bytes→bytes partial decoder: decode everything, then extract the ranges.
pub struct FullBytesPartialDecoder {
    input: Arc<dyn BytesPartialDecoder>,
    codec: Arc<dyn BytesToBytesCodecTraits>,
    decoded: BytesRepresentation,
}

impl FullBytesPartialDecoder {
    /// Wrap `codec` over `input`.
    pub fn new(
        input: Arc<dyn BytesPartialDecoder>,
        codec: Arc<dyn BytesToBytesCodecTraits>,
        decoded: BytesRepresentation,
    ) -> Self {
        Self {
            input,
            codec,
            decoded,
        }
    }
}

impl BytesPartialDecoder for FullBytesPartialDecoder {
    fn partial_decode(
        &self,
        ranges: &[ByteRange],
        options: &CodecOptions,
    ) -> Result<Option<Vec<Vec<u8>>>, CodecError> {
        let Some(encoded) = self.input.decode_all(options)? else {
            return Ok(None);
        };
        let decoded = self.codec.decode(encoded, &self.decoded, options)?;
        extract_ranges(&decoded, ranges, self.codec.name()).map(Some)
    }

    fn decode_all(&self, options: &CodecOptions) -> Result<Option<Vec<u8>>, CodecError> {
        let Some(encoded) = self.input.decode_all(options)? else {
            return Ok(None);
        };
        self.codec.decode(encoded, &self.decoded, options).map(Some)
    }
}

/// The default array→bytes partial decoder: decode the whole chunk, then extract subsets.
pub struct FullArrayPartialDecoder {
    input: Arc<dyn BytesPartialDecoder>,
    codec: Arc<dyn ArrayToBytesCodecTraits>,
    decoded: ChunkRepresentation,
}

impl FullArrayPartialDecoder {
    /// Wrap `codec` over `input`.
    pub fn new(
        input: Arc<dyn BytesPartialDecoder>,
        codec: Arc<dyn ArrayToBytesCodecTraits>,
        decoded: ChunkRepresentation,
    ) -> Self {
        Self {
            input,
            codec,
            decoded,
        }
    }
}

fn extract_all(
    chunk: &ArrayBytes,
    decoded: &ChunkRepresentation,
    subsets: &[ArraySubset],
) -> Result<Vec<ArrayBytes>, CodecError> {
    subsets
        .iter()
        .map(|s| {
            if !s.inbounds(&decoded.shape) {
                return Err(CodecError::new(
                    "partial decoder",
                    format!(
                        "subset {s} is out of bounds of chunk shape {:?}",
                        decoded.shape
                    ),
                ));
            }
            extract_subset(chunk, &decoded.shape, s, decoded.data_type.size())
                .map_err(|e| CodecError::new("partial decoder", e))
        })
        .collect()
}

impl ArrayPartialDecoder for FullArrayPartialDecoder {
    fn partial_decode(
        &self,
        subsets: &[ArraySubset],
        options: &CodecOptions,
    ) -> Result<Vec<ArrayBytes>, CodecError> {
        let chunk = match self.input.decode_all(options)? {
            Some(encoded) => self.codec.decode(encoded, &self.decoded, options)?,
            None => self.decoded.fill()?,
        };
        extract_all(&chunk, &self.decoded, subsets)
    }
}

/// The default array→array partial decoder: decode the whole chunk, then extract subsets.
pub struct FullArrayToArrayPartialDecoder {
    input: Arc<dyn ArrayPartialDecoder>,
    codec: Arc<dyn ArrayToArrayCodecTraits>,
    decoded: ChunkRepresentation,
    encoded: ChunkRepresentation,
}

impl FullArrayToArrayPartialDecoder {
    /// Wrap `codec` over `input`.
    pub fn new(
        input: Arc<dyn ArrayPartialDecoder>,
        codec: Arc<dyn ArrayToArrayCodecTraits>,
        decoded: ChunkRepresentation,
    ) -> Result<Self, CodecError> {
        let encoded = codec.encoded_representation(&decoded)?;
        Ok(Self {
            input,
            codec,
            decoded,
            encoded,
        })
    }
}

impl ArrayPartialDecoder for FullArrayToArrayPartialDecoder {
    fn partial_decode(
        &self,
        subsets: &[ArraySubset],
        options: &CodecOptions,
    ) -> Result<Vec<ArrayBytes>, CodecError> {
        let mut all = self
            .input
            .partial_decode(&[self.encoded.subset()], options)?;
        let encoded = all
            .pop()
            .ok_or_else(|| CodecError::new(self.codec.name(), "input decoder returned nothing"))?;
        let chunk = self.codec.decode(encoded, &self.decoded, options)?;
        extract_all(&chunk, &self.decoded, subsets)
    }
}
