//! zarrkit plugin: the `blosc` bytes→bytes codec (c-blosc 1, built from source by
//! `blosc-src` with the lz4, zlib and zstd compressors).
//!
//! - V3 name `blosc` (alias `numcodecs.blosc`), configuration
//!   `{"cname": "blosclz"|"lz4"|"lz4hc"|"zlib"|"zstd"|"snappy", "clevel": 0..=9,
//!   "shuffle": "noshuffle"|"shuffle"|"bitshuffle", "typesize": N, "blocksize": N}`.
//!   `typesize` (≥ 1) is required unless `shuffle` is `noshuffle`; `blocksize` 0 means
//!   automatic. `snappy` is not compiled into this build and is refused when the codec is
//!   created. The numcodecs form below (integer `shuffle`), which numcodecs' zarr 3
//!   wrappers write under `numcodecs.blosc`, is accepted too.
//! - Zarr V2 / numcodecs id `blosc`: `{"id": "blosc", "cname": .., "clevel": ..,
//!   "shuffle": -1|0|1|2, "blocksize": ..}` (numcodecs defaults: lz4, 5, 1, 0). numcodecs
//!   takes the shuffle element size from the array being encoded; a Zarr V2 configuration
//!   does not carry it, so it comes from the array: the V2 loader passes the element size of
//!   the array's data type (`CodecV2Context`), and a `"typesize"` member in the
//!   configuration wins. Without either the element size is taken as 1, with which
//!   `shuffle` does nothing and `-1` (auto) means bit shuffle, as numcodecs does for
//!   one-byte elements. Decoding never needs it (the blosc header records it). Written back
//!   to V2 (`configuration_v2`), the configuration drops `typesize` again.
//!
//! Compression and decompression use c-blosc's thread-safe `blosc_compress_ctx` /
//! `blosc_decompress_ctx` with one internal thread.
//!
//! Decoding validates the 16-byte header first (`blosc_cbuffer_validate`: the header's
//! compressed size must equal the input length, and its decoded size must be at most
//! `BLOSC_MAX_BUFFERSIZE`), then checks the header's decoded size against the decoded
//! representation: more than its bound (or, for a fixed size, anything else) is an error
//! before any allocation. The output buffer is exactly the header's decoded size. With an
//! unbounded decoded representation, c-blosc's own limit (just under 2 GiB) is the only cap
//! on that allocation.

use std::ffi::{c_int, c_void, CStr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::codec::{
    slice_ranges, Bytes, BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecTraits,
};
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::storage::ByteRange;
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const BLOSC: &str = "blosc";

/// The size of a blosc header, and the most a compressed buffer exceeds its input by.
const MAX_OVERHEAD: usize = blosc_src::BLOSC_MAX_OVERHEAD as usize;
/// The largest buffer c-blosc 1 compresses.
const MAX_BUFFERSIZE: usize = blosc_src::BLOSC_MAX_BUFFERSIZE as usize;

/// A blosc compressor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BloscCompressor {
    /// BloscLZ.
    Blosclz,
    /// LZ4.
    Lz4,
    /// LZ4 HC.
    Lz4hc,
    /// Snappy (not compiled into this build).
    Snappy,
    /// zlib.
    Zlib,
    /// Zstandard.
    Zstd,
}

impl BloscCompressor {
    fn c_name(self) -> &'static CStr {
        match self {
            Self::Blosclz => c"blosclz",
            Self::Lz4 => c"lz4",
            Self::Lz4hc => c"lz4hc",
            Self::Snappy => c"snappy",
            Self::Zlib => c"zlib",
            Self::Zstd => c"zstd",
        }
    }

    /// The name used in metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blosclz => "blosclz",
            Self::Lz4 => "lz4",
            Self::Lz4hc => "lz4hc",
            Self::Snappy => "snappy",
            Self::Zlib => "zlib",
            Self::Zstd => "zstd",
        }
    }

    /// Whether this build of c-blosc includes the compressor.
    pub fn is_available(self) -> bool {
        // SAFETY: a NUL-terminated string; the function only compares it.
        unsafe { blosc_src::blosc_compname_to_compcode(self.c_name().as_ptr()) >= 0 }
    }
}

/// A blosc shuffle filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BloscShuffle {
    /// No shuffling.
    NoShuffle,
    /// Byte-wise shuffling of `typesize`-byte elements.
    Shuffle,
    /// Bit-wise shuffling of `typesize`-byte elements.
    BitShuffle,
}

impl BloscShuffle {
    fn as_c(self) -> c_int {
        (match self {
            Self::NoShuffle => blosc_src::BLOSC_NOSHUFFLE,
            Self::Shuffle => blosc_src::BLOSC_SHUFFLE,
            Self::BitShuffle => blosc_src::BLOSC_BITSHUFFLE,
        }) as c_int
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::NoShuffle => "noshuffle",
            Self::Shuffle => "shuffle",
            Self::BitShuffle => "bitshuffle",
        }
    }
}

/// The configuration of the `blosc` codec (Zarr V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BloscCodecConfiguration {
    /// The compressor.
    pub cname: BloscCompressor,
    /// The compression level, 0 (none) to 9.
    pub clevel: u8,
    /// The shuffle filter.
    pub shuffle: BloscShuffle,
    /// The element size for shuffling (required unless `shuffle` is `noshuffle`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typesize: Option<usize>,
    /// The block size in bytes (0: automatic).
    pub blocksize: usize,
}

/// The numcodecs (Zarr V2) configuration of the `blosc` codec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BloscCodecConfigurationNumcodecs {
    /// `"blosc"` in Zarr V2; absent in V3 `numcodecs.blosc` configurations.
    #[allow(dead_code)]
    #[serde(default)]
    id: Option<String>,
    #[serde(default = "default_v2_cname")]
    cname: BloscCompressor,
    #[serde(default = "default_v2_clevel")]
    clevel: u8,
    #[serde(default = "default_v2_shuffle")]
    shuffle: i8,
    #[serde(default)]
    blocksize: usize,
    /// Not numcodecs: the element size, which a Zarr V2 loader may add.
    #[serde(default)]
    typesize: Option<usize>,
}

fn default_v2_cname() -> BloscCompressor {
    BloscCompressor::Lz4
}
fn default_v2_clevel() -> u8 {
    5
}
fn default_v2_shuffle() -> i8 {
    1
}

/// The `blosc` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloscCodec {
    cname: BloscCompressor,
    clevel: u8,
    shuffle: BloscShuffle,
    typesize: Option<usize>,
    blocksize: usize,
}

fn config_err(message: impl std::fmt::Display) -> PluginError {
    PluginError::config(ExtensionKind::Codec, BLOSC, message)
}

impl BloscCodec {
    /// A blosc codec. `typesize` (≥ 1) is required unless `shuffle` is
    /// [`BloscShuffle::NoShuffle`]; `blocksize` 0 means automatic.
    pub fn new(
        cname: BloscCompressor,
        clevel: u8,
        shuffle: BloscShuffle,
        typesize: Option<usize>,
        blocksize: usize,
    ) -> Result<Self, PluginError> {
        let codec = Self::stored(cname, clevel, shuffle, typesize, blocksize);
        codec.encodable().map_err(config_err)?;
        Ok(codec)
    }

    /// A codec from a stored configuration: what matters only when encoding (the level, a
    /// compressor this build lacks, the element size shuffling needs) is not checked here,
    /// because decoding reads all of it from the frame header; [`Self::encodable`] checks
    /// it when encoding.
    fn stored(
        cname: BloscCompressor,
        clevel: u8,
        shuffle: BloscShuffle,
        typesize: Option<usize>,
        blocksize: usize,
    ) -> Self {
        Self {
            cname,
            clevel,
            shuffle,
            typesize,
            blocksize,
        }
    }

    /// Whether this configuration can encode, and why not.
    fn encodable(&self) -> Result<(), String> {
        if self.clevel > 9 {
            return Err(format!(
                "clevel must be an integer from 0 to 9, got {}",
                self.clevel
            ));
        }
        if !self.cname.is_available() {
            return Err(format!(
                "compressor {:?} is not available in this build of c-blosc (data it \
                 compressed still decodes)",
                self.cname.as_str()
            ));
        }
        match self.typesize {
            Some(0) => Err("typesize must be at least 1".into()),
            None if self.shuffle != BloscShuffle::NoShuffle => Err(format!(
                "typesize is required with shuffle {:?}",
                self.shuffle.as_str()
            )),
            _ => Ok(()),
        }
    }

    /// A blosc codec from its configuration.
    pub fn new_with_configuration(c: &BloscCodecConfiguration) -> Result<Self, PluginError> {
        Self::new(c.cname, c.clevel, c.shuffle, c.typesize, c.blocksize)
    }

    /// The configuration.
    pub fn configuration_struct(&self) -> BloscCodecConfiguration {
        BloscCodecConfiguration {
            cname: self.cname,
            clevel: self.clevel,
            shuffle: self.shuffle,
            typesize: self.typesize,
            blocksize: self.blocksize,
        }
    }
}

impl CodecTraits for BloscCodec {
    fn name(&self) -> &str {
        BLOSC
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("cname".into(), Value::from(self.cname.as_str()));
        m.insert("clevel".into(), Value::from(self.clevel));
        m.insert("shuffle".into(), Value::from(self.shuffle.as_str()));
        if let Some(t) = self.typesize {
            m.insert("typesize".into(), Value::from(t));
        }
        m.insert("blocksize".into(), Value::from(self.blocksize));
        Some(m)
    }

    /// The numcodecs form (integer `shuffle`). It carries no `typesize`: numcodecs takes the
    /// element size from the array, as [`create_v2`] does from its context.
    fn configuration_v2(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(BLOSC));
        m.insert("cname".into(), Value::from(self.cname.as_str()));
        m.insert("clevel".into(), Value::from(self.clevel));
        let shuffle = match self.shuffle {
            BloscShuffle::NoShuffle => 0,
            BloscShuffle::Shuffle => 1,
            BloscShuffle::BitShuffle => 2,
        };
        m.insert("shuffle".into(), Value::from(shuffle));
        m.insert("blocksize".into(), Value::from(self.blocksize));
        Some(m)
    }
}

impl BytesToBytesCodecTraits for BloscCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded.bound() {
            Some(n) => BytesRepresentation::Bounded(n.saturating_add(MAX_OVERHEAD as u64)),
            None => BytesRepresentation::Unbounded,
        }
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        self.encodable()
            .map_err(|message| CodecError::Unsupported {
                codec: BLOSC.into(),
                message: format!("cannot encode: {message}"),
            })?;
        if input.len() > MAX_BUFFERSIZE {
            return Err(CodecError::new(
                BLOSC,
                format!(
                    "{} bytes is more than blosc can compress ({MAX_BUFFERSIZE} bytes)",
                    input.len()
                ),
            ));
        }
        let cap = input.len() + MAX_OVERHEAD;
        let mut out: Vec<u8> = Vec::new();
        out.try_reserve_exact(cap)
            .map_err(|e| CodecError::new(BLOSC, format!("cannot allocate {cap} bytes: {e}")))?;
        let blocksize = self.blocksize.min(blosc_src::BLOSC_MAX_BLOCKSIZE as usize);
        // SAFETY: `input` is readable for `input.len()` bytes, `out` writable for `cap`
        // bytes (c-blosc never writes past `destsize`), the compressor name is
        // NUL-terminated, and the `_ctx` function uses no global state.
        let n = unsafe {
            blosc_src::blosc_compress_ctx(
                c_int::from(self.clevel),
                self.shuffle.as_c(),
                self.typesize.unwrap_or(1),
                input.len(),
                input.as_ptr().cast::<c_void>(),
                out.as_mut_ptr().cast::<c_void>(),
                cap,
                self.cname.c_name().as_ptr(),
                blocksize,
                1,
            )
        };
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n > 0 && n <= cap)
            .ok_or_else(|| {
                CodecError::new(BLOSC, format!("compression failed (c-blosc returned {n})"))
            })?;
        // SAFETY: c-blosc wrote `n <= cap` bytes.
        unsafe { out.set_len(n) };
        zarrkit_core::codec::shrink_encoded(&mut out);
        Ok(out)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        _options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let nbytes = checked_decoded_size(&input, decoded)?;
        let mut out: Vec<u8> = Vec::new();
        out.try_reserve_exact(nbytes)
            .map_err(|e| CodecError::new(BLOSC, format!("cannot allocate {nbytes} bytes: {e}")))?;
        // SAFETY: `checked_decoded_size` validated the header, and `out` is writable for
        // `nbytes` bytes (its capacity); `decompress_into` returns only once c-blosc wrote
        // exactly that many.
        unsafe {
            decompress_into(&input, out.as_mut_ptr(), nbytes)?;
            out.set_len(nbytes);
        }
        Ok(out.into())
    }

    fn decode_into_slice(
        &self,
        input: &[u8],
        output: &mut [u8],
        _options: &CodecOptions,
    ) -> Result<bool, CodecError> {
        // Errors unless the header declares exactly the output's size.
        let nbytes = checked_decoded_size(input, &BytesRepresentation::Fixed(output.len() as u64))?;
        // SAFETY: the header was validated; `output` is writable for its `nbytes` bytes.
        unsafe { decompress_into(input, output.as_mut_ptr(), nbytes)? };
        Ok(true)
    }

    /// A small chunk is one or two blosc blocks: nothing to skip.
    fn decodes_ranges_cheaply(&self, decoded: &BytesRepresentation) -> bool {
        decoded.bound().is_some_and(|n| n >= 256 << 10)
    }

    /// Decompress only the blosc blocks that hold the ranges (`blosc_getitem`, thread-safe
    /// in c-blosc 1).
    fn decode_ranges(
        &self,
        encoded: Bytes,
        ranges: &[ByteRange],
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<Bytes>, CodecError> {
        let nbytes = checked_decoded_size(&encoded, decoded)?;
        // The span of decoded bytes the ranges need, in whole items of the header's typesize.
        let typesize = usize::from(encoded[3]).max(1);
        let mut span: Option<(usize, usize)> = None;
        let mut bounds = Vec::with_capacity(ranges.len());
        for r in ranges {
            let rr = r.to_range(nbytes as u64).ok_or_else(|| {
                CodecError::new(
                    BLOSC,
                    format!("byte range {r} is out of bounds of {nbytes} bytes"),
                )
            })?;
            let (a, b) = (rr.start as usize, rr.end as usize);
            bounds.push((a, b));
            if a < b {
                span = Some(span.map_or((a, b), |(s, e)| (s.min(a), e.max(b))));
            }
        }
        let Some((a, b)) = span else {
            return Ok(vec![Bytes::new(); ranges.len()]);
        };
        let first = a / typesize;
        let stop = b.div_ceil(typesize);
        let items = nbytes / typesize;
        if stop > items || stop - first == items {
            // Trailing bytes past the last whole item, or everything: decode it all (the
            // bytes fetched above, not a second fetch).
            let all = self.decode(encoded, decoded, options)?;
            return slice_ranges(&all, ranges, BLOSC);
        }
        let len = (stop - first) * typesize;
        let mut buf: Vec<u8> = Vec::new();
        buf.try_reserve_exact(len)
            .map_err(|e| CodecError::new(BLOSC, format!("cannot allocate {len} bytes: {e}")))?;
        let (Ok(start_item), Ok(nitems)) = (c_int::try_from(first), c_int::try_from(stop - first))
        else {
            let all = self.decode(encoded, decoded, options)?;
            return slice_ranges(&all, ranges, BLOSC);
        };
        // SAFETY: the header was validated against the input (`validated_decoded_size`), the
        // items lie within the decoded size, and `buf` is writable for `len` bytes, which is
        // exactly what `blosc_getitem` writes for these items.
        let n = unsafe {
            blosc_src::blosc_getitem(
                encoded.as_ptr().cast::<c_void>(),
                start_item,
                nitems,
                buf.as_mut_ptr().cast::<c_void>(),
            )
        };
        if usize::try_from(n).ok() != Some(len) {
            return Err(CodecError::new(
                BLOSC,
                format!("corrupt data (c-blosc returned {n})"),
            ));
        }
        // SAFETY: c-blosc wrote exactly `len` bytes.
        unsafe { buf.set_len(len) };
        let base = first * typesize;
        let buf = Bytes::from(buf);
        Ok(bounds
            .iter()
            .map(|&(x, y)| {
                if x < y {
                    buf.slice(x - base..y - base)
                } else {
                    Bytes::new()
                }
            })
            .collect())
    }
}

/// The decoded size the (validated) header declares, checked against the decoded
/// representation: anything but a fixed size, or more than a bound, is an error.
fn checked_decoded_size(
    encoded: &[u8],
    decoded: &BytesRepresentation,
) -> Result<usize, CodecError> {
    let nbytes = validated_decoded_size(encoded)?;
    match *decoded {
        BytesRepresentation::Fixed(n) if nbytes as u64 != n => Err(CodecError::UnexpectedSize {
            codec: BLOSC.into(),
            expected: n,
            actual: nbytes as u64,
        }),
        BytesRepresentation::Bounded(n) if nbytes as u64 > n => Err(CodecError::new(
            BLOSC,
            format!("the header declares {nbytes} decoded bytes, more than the bound of {n}"),
        )),
        _ => Ok(nbytes),
    }
}

/// Decompress `input` into the `nbytes` bytes at `out` (single-threaded, `blosc_decompress_ctx`);
/// an error unless c-blosc decodes exactly `nbytes`.
///
/// # Safety
/// `input`'s header must have been validated against its length and declare `nbytes`
/// ([`checked_decoded_size`]), so c-blosc reads within `input`; `out` must be valid for
/// writes of `nbytes` bytes, which c-blosc never writes past.
unsafe fn decompress_into(input: &[u8], out: *mut u8, nbytes: usize) -> Result<(), CodecError> {
    // SAFETY: the caller's contract.
    let n = unsafe {
        blosc_src::blosc_decompress_ctx(
            input.as_ptr().cast::<c_void>(),
            out.cast::<c_void>(),
            nbytes,
            1,
        )
    };
    if n < 0 || (n == 0 && nbytes != 0) {
        return Err(CodecError::new(
            BLOSC,
            format!("corrupt data (c-blosc returned {n})"),
        ));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n != nbytes {
        return Err(CodecError::new(
            BLOSC,
            format!("decoded {n} bytes but the header declares {nbytes}"),
        ));
    }
    Ok(())
}

/// The decoded size a blosc buffer's header declares, once the header is checked against
/// the buffer (`blosc_cbuffer_validate`).
fn validated_decoded_size(input: &[u8]) -> Result<usize, CodecError> {
    if input.len() < MAX_OVERHEAD {
        return Err(CodecError::new(
            BLOSC,
            format!(
                "{} bytes is shorter than a blosc header (truncated?)",
                input.len()
            ),
        ));
    }
    if input[0] != blosc_src::BLOSC_VERSION_FORMAT as u8 {
        return Err(CodecError::new(
            BLOSC,
            format!(
                "unsupported blosc format version {} (not a blosc buffer?)",
                input[0]
            ),
        ));
    }
    // A frame may be followed by padding (z5py appends 16 bytes to every chunk; c-blosc
    // reads only the `cbytes` its header declares): validate the frame alone.
    let declared = u32::from_le_bytes([input[12], input[13], input[14], input[15]]) as usize;
    let frame = if declared >= MAX_OVERHEAD && declared < input.len() {
        &input[..declared]
    } else {
        input
    };
    let mut nbytes = 0usize;
    // SAFETY: `frame` has at least the 16 header bytes the function reads.
    let r = unsafe {
        blosc_src::blosc_cbuffer_validate(frame.as_ptr().cast::<c_void>(), frame.len(), &mut nbytes)
    };
    if r < 0 {
        let cbytes = u32::from_le_bytes([input[12], input[13], input[14], input[15]]);
        let nb = u32::from_le_bytes([input[4], input[5], input[6], input[7]]);
        let why = if cbytes as usize != input.len() {
            format!(
                "the header declares {cbytes} compressed bytes but the input has {} (truncated or corrupt)",
                input.len()
            )
        } else if nb as usize > MAX_BUFFERSIZE {
            format!("the header declares {nb} decoded bytes, more than c-blosc's maximum of {MAX_BUFFERSIZE}")
        } else {
            "corrupt header".to_string()
        };
        return Err(CodecError::new(BLOSC, format!("invalid header: {why}")));
    }
    Ok(nbytes)
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = metadata.name();
    let rename = |e: PluginError| match e {
        PluginError::InvalidConfiguration { kind, message, .. } => {
            PluginError::InvalidConfiguration {
                kind,
                name: name.to_string(),
                message,
            }
        }
        other => other,
    };
    // numcodecs' zarr 3 wrappers (`numcodecs.blosc`) write the numcodecs form, with an
    // integer `shuffle`; accept it under either name.
    if let Some(c) = metadata.configuration() {
        if c.get("shuffle").is_some_and(Value::is_number) {
            return create_numcodecs(c).map_err(rename);
        }
    }
    let c: BloscCodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, name, m))?;
    // The spec's clevel is 0 to 9 and the other implementations refuse more in this form.
    if c.clevel > 9 {
        return Err(PluginError::config(
            ExtensionKind::Codec,
            name,
            format!("clevel must be an integer from 0 to 9, got {}", c.clevel),
        ));
    }
    let codec = BloscCodec::stored(c.cname, c.clevel, c.shuffle, c.typesize, c.blocksize);
    Ok(Codec::BytesToBytes(Arc::new(codec)))
}

fn create_numcodecs(config: &Map<String, Value>) -> Result<Codec, PluginError> {
    let c: BloscCodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone())).map_err(config_err)?;
    let typesize = c.typesize.unwrap_or(1);
    let shuffle = match c.shuffle {
        0 => BloscShuffle::NoShuffle,
        1 => BloscShuffle::Shuffle,
        2 => BloscShuffle::BitShuffle,
        // numcodecs AUTOSHUFFLE: bit shuffle for one-byte elements, byte shuffle otherwise.
        -1 if typesize == 1 => BloscShuffle::BitShuffle,
        -1 => BloscShuffle::Shuffle,
        s => {
            return Err(config_err(format!(
                "shuffle must be -1, 0, 1 or 2, got {s}"
            )))
        }
    };
    let codec = BloscCodec::stored(c.cname, c.clevel, shuffle, Some(typesize), c.blocksize);
    Ok(Codec::BytesToBytes(Arc::new(codec)))
}

/// A V2 configuration carries no element size: it comes from the array (`context`), as
/// numcodecs takes it from the array it encodes (c-blosc treats sizes above 255 as 1).
fn create_v2(config: &Map<String, Value>, context: &CodecV2Context) -> Result<Codec, PluginError> {
    match context.element_size {
        Some(e) if !config.contains_key("typesize") => {
            let mut config = config.clone();
            let typesize = if (1..=255).contains(&e) { e } else { 1 };
            config.insert("typesize".into(), Value::from(typesize));
            create_numcodecs(&config)
        }
        _ => create_numcodecs(config),
    }
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(BLOSC, create).with_aliases(&["numcodecs.blosc"]).with_v2(&["blosc"], create_v2)
}

#[cfg(test)]
mod tests;
