//! The codec chain: array→array*, exactly one array→bytes, bytes→bytes*.

use std::sync::Arc;

use super::{
    ArrayOutputView, ArrayPartialDecoder, ArrayToArrayCodecTraits, ArrayToBytesCodecTraits,
    BytesPartialDecoder, BytesRepresentation, BytesToBytesCodecTraits, ChunkRepresentation, Codec,
    CodecTraits, RecommendedConcurrency,
};
use crate::array_bytes::ArrayBytes;
use crate::config::CodecOptions;
use crate::error::CodecError;
use crate::metadata::MetadataV3;
use crate::subset::ArraySubset;

/// A validated sequence of codecs. It is itself an array→bytes codec, so a codec that nests
/// a chain (sharding) uses it like any other.
#[derive(Debug, Clone)]
pub struct CodecChain {
    array_to_array: Vec<Arc<dyn ArrayToArrayCodecTraits>>,
    array_to_bytes: Arc<dyn ArrayToBytesCodecTraits>,
    bytes_to_bytes: Vec<Arc<dyn BytesToBytesCodecTraits>>,
}

impl CodecChain {
    /// A chain from its three parts.
    pub fn new(
        array_to_array: Vec<Arc<dyn ArrayToArrayCodecTraits>>,
        array_to_bytes: Arc<dyn ArrayToBytesCodecTraits>,
        bytes_to_bytes: Vec<Arc<dyn BytesToBytesCodecTraits>>,
    ) -> Self {
        Self {
            array_to_array,
            array_to_bytes,
            bytes_to_bytes,
        }
    }

    /// A chain from codecs in metadata order, checking the order the spec requires:
    /// array→array codecs, then exactly one array→bytes codec, then bytes→bytes codecs.
    pub fn from_codecs(codecs: Vec<Codec>) -> Result<Self, String> {
        let mut a2a = Vec::new();
        let mut a2b = None;
        let mut b2b = Vec::new();
        for (i, c) in codecs.into_iter().enumerate() {
            match c {
                Codec::ArrayToArray(c) => {
                    if a2b.is_some() {
                        return Err(format!(
                            "codecs[{i}] ({}) is an array->array codec after the array->bytes codec",
                            c.name()
                        ));
                    }
                    a2a.push(c);
                }
                Codec::ArrayToBytes(c) => {
                    if let Some(prev) = &a2b {
                        let prev: &Arc<dyn ArrayToBytesCodecTraits> = prev;
                        return Err(format!(
                            "codecs[{i}] ({}) is a second array->bytes codec (after {})",
                            c.name(),
                            prev.name()
                        ));
                    }
                    a2b = Some(c);
                }
                Codec::BytesToBytes(c) => {
                    if a2b.is_none() {
                        return Err(format!(
                            "codecs[{i}] ({}) is a bytes->bytes codec before the array->bytes codec",
                            c.name()
                        ));
                    }
                    b2b.push(c);
                }
            }
        }
        let a2b = a2b.ok_or("the codecs contain no array->bytes codec (e.g. \"bytes\")")?;
        Ok(Self::new(a2a, a2b, b2b))
    }

    /// The array→array codecs.
    pub fn array_to_array(&self) -> &[Arc<dyn ArrayToArrayCodecTraits>] {
        &self.array_to_array
    }
    /// The array→bytes codec.
    pub fn array_to_bytes(&self) -> &Arc<dyn ArrayToBytesCodecTraits> {
        &self.array_to_bytes
    }
    /// The bytes→bytes codecs.
    pub fn bytes_to_bytes(&self) -> &[Arc<dyn BytesToBytesCodecTraits>] {
        &self.bytes_to_bytes
    }

    /// Metadata for each codec (default names and current configurations).
    pub fn create_metadatas(&self) -> Vec<MetadataV3> {
        fn md(name: &str, conf: Option<serde_json::Map<String, serde_json::Value>>) -> MetadataV3 {
            match conf {
                Some(c) => MetadataV3::new_with_configuration(name, c),
                None => MetadataV3::new(name),
            }
        }
        let mut v = Vec::new();
        for c in &self.array_to_array {
            v.push(md(c.name(), c.configuration()));
        }
        v.push(md(
            self.array_to_bytes.name(),
            self.array_to_bytes.configuration(),
        ));
        for c in &self.bytes_to_bytes {
            v.push(md(c.name(), c.configuration()));
        }
        v
    }

    /// The representations after each array→array codec (index 0 = decoded), and the
    /// representation of the bytes after the array→bytes codec and each bytes→bytes codec.
    fn representations(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<(Vec<ChunkRepresentation>, Vec<BytesRepresentation>), CodecError> {
        let mut arrays = vec![decoded.clone()];
        for c in &self.array_to_array {
            let next = c.encoded_representation(arrays.last().unwrap_or(decoded))?;
            arrays.push(next);
        }
        let last = arrays.last().unwrap_or(decoded);
        let mut bytes = vec![self.array_to_bytes.encoded_representation(last)?];
        for c in &self.bytes_to_bytes {
            let next =
                c.encoded_representation(bytes.last().unwrap_or(&BytesRepresentation::Unbounded));
            bytes.push(next);
        }
        Ok((arrays, bytes))
    }

    /// Check that the chain can encode chunks of this representation (ranks, data type
    /// support). Called once when an array is opened or created.
    pub fn validate(&self, decoded: &ChunkRepresentation) -> Result<(), CodecError> {
        self.representations(decoded).map(|_| ())
    }

    fn check_decoded(
        &self,
        bytes: &ArrayBytes,
        decoded: &ChunkRepresentation,
    ) -> Result<(), CodecError> {
        let n = decoded.num_elements_usize()?;
        bytes
            .validate(n, decoded.element_size())
            .map_err(|e| CodecError::new(self.array_to_bytes.name(), e))
    }

    fn decode_bytes(
        &self,
        mut bytes: Vec<u8>,
        reprs: &[BytesRepresentation],
        options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        for (i, c) in self.bytes_to_bytes.iter().enumerate().rev() {
            // An unknown decoded size (variable-size data) still gets a bound.
            let repr = match reprs[i] {
                BytesRepresentation::Unbounded => {
                    BytesRepresentation::Bounded(options.max_unbounded_decoded_bytes)
                }
                r => r,
            };
            bytes = c.decode(bytes, &repr, options)?;
            if let Some(b) = repr.bound() {
                if bytes.len() as u64 > b
                    || (matches!(repr, BytesRepresentation::Fixed(_)) && bytes.len() as u64 != b)
                {
                    return Err(CodecError::UnexpectedSize {
                        codec: c.name().to_string(),
                        expected: b,
                        actual: bytes.len() as u64,
                    });
                }
            }
        }
        Ok(bytes)
    }
}

impl CodecTraits for CodecChain {
    fn name(&self) -> &str {
        "codec_chain"
    }

    fn configuration(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        None
    }

    fn recommended_concurrency(&self, decoded: &ChunkRepresentation) -> RecommendedConcurrency {
        // The maximum over the codecs: they run one after another.
        let mut max = self.array_to_bytes.recommended_concurrency(decoded).max;
        for c in &self.bytes_to_bytes {
            max = max.max(c.recommended_concurrency(decoded).max);
        }
        RecommendedConcurrency { min: 1, max }
    }

    fn partial_decoder_decodes_all(&self) -> bool {
        self.array_to_array
            .iter()
            .any(|c| c.partial_decoder_decodes_all())
            || self.array_to_bytes.partial_decoder_decodes_all()
            || self
                .bytes_to_bytes
                .iter()
                .any(|c| c.partial_decoder_decodes_all())
    }
}

impl ArrayToBytesCodecTraits for CodecChain {
    fn is_identity(&self, decoded: &ChunkRepresentation) -> bool {
        self.array_to_array.is_empty()
            && self.bytes_to_bytes.is_empty()
            && self.array_to_bytes.is_identity(decoded)
    }

    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        let (_, bytes) = self.representations(decoded)?;
        Ok(*bytes.last().unwrap_or(&BytesRepresentation::Unbounded))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        self.check_decoded(&input, decoded)?;
        let (arrays, _) = self.representations(decoded)?;
        let mut a = input;
        for (i, c) in self.array_to_array.iter().enumerate() {
            a = c.encode(a, &arrays[i], options)?;
        }
        let mut b = self
            .array_to_bytes
            .encode(a, arrays.last().unwrap_or(decoded), options)?;
        for c in &self.bytes_to_bytes {
            b = c.encode(b, options)?;
        }
        Ok(b)
    }

    fn decode(
        &self,
        input: Vec<u8>,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let (arrays, bytes_reprs) = self.representations(decoded)?;
        let b = self.decode_bytes(input, &bytes_reprs, options)?;
        let last = arrays.last().unwrap_or(decoded);
        let mut a = self.array_to_bytes.decode(b, last, options)?;
        self.check_decoded(&a, last)?;
        for (i, c) in self.array_to_array.iter().enumerate().rev() {
            a = c.decode(a, &arrays[i], options)?;
            self.check_decoded(&a, &arrays[i])?;
        }
        Ok(a)
    }

    fn decode_into(
        &self,
        input: Vec<u8>,
        decoded: &ChunkRepresentation,
        chunk_subset: &ArraySubset,
        output: &mut ArrayOutputView<'_>,
        options: &CodecOptions,
    ) -> Result<(), CodecError> {
        if self.array_to_array.is_empty() {
            let (_, bytes_reprs) = self.representations(decoded)?;
            let b = self.decode_bytes(input, &bytes_reprs, options)?;
            self.array_to_bytes
                .decode_into(b, decoded, chunk_subset, output, options)
        } else {
            let a = self.decode(input, decoded, options)?;
            output.write_array_bytes(&a, &decoded.shape, chunk_subset, decoded)
        }
    }

    fn inner_chunk_shape(&self, decoded: &ChunkRepresentation) -> Option<Vec<u64>> {
        if self.array_to_array.is_empty() {
            self.array_to_bytes.inner_chunk_shape(decoded)
        } else {
            None
        }
    }

    fn encode_partial(
        &self,
        existing: Option<Vec<u8>>,
        updates: &[(ArraySubset, ArrayBytes)],
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Option<Vec<u8>>, CodecError> {
        if self.array_to_array.is_empty() && self.bytes_to_bytes.is_empty() {
            return self
                .array_to_bytes
                .encode_partial(existing, updates, decoded, options);
        }
        let mut chunk = match existing {
            Some(e) => self.decode(e, decoded, options)?,
            None => decoded.fill()?,
        };
        for (region, bytes) in updates {
            chunk = crate::array_bytes::update_subset(
                chunk,
                &decoded.shape,
                region,
                bytes,
                decoded.element_size(),
            )
            .map_err(|e| CodecError::new("codec chain", e))?;
        }
        if !options.store_empty_chunks && crate::array_bytes::is_fill(&chunk, &decoded.fill_value) {
            return Ok(None);
        }
        self.encode(chunk, decoded, options).map(Some)
    }

    fn partial_decoder(
        self: Arc<Self>,
        input: Arc<dyn BytesPartialDecoder>,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Arc<dyn ArrayPartialDecoder>, CodecError> {
        let (arrays, bytes_reprs) = self.representations(decoded)?;
        let mut input = input;
        for (i, c) in self.bytes_to_bytes.iter().enumerate().rev() {
            input = c.clone().partial_decoder(input, &bytes_reprs[i], options)?;
        }
        let last = arrays.last().unwrap_or(decoded);
        let mut a = self
            .array_to_bytes
            .clone()
            .partial_decoder(input, last, options)?;
        for (i, c) in self.array_to_array.iter().enumerate().rev() {
            a = c.clone().partial_decoder(a, &arrays[i], options)?;
        }
        Ok(a)
    }
}
