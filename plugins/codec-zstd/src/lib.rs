//! zarrkit plugin: the `zstd` bytes→bytes codec (Zstandard, via `zstd-safe`).
//!
//! - V3 name `zstd` (alias `numcodecs.zstd`), configuration
//!   `{"level": -131072..=22, "checksum": bool}` (`checksum` defaults to false when absent).
//! - Zarr V2 / numcodecs id `zstd`, configuration `{"id": "zstd", "level": N,
//!   "checksum": bool}` (level defaults to 1 and checksum to false, as in numcodecs).
//!
//! Encoding writes one frame with the content size, and the content checksum when
//! `checksum` is true.
//!
//! Decoding accepts one or more concatenated Zstandard frames (skippable frames are
//! skipped; legacy pre-v0.8 frames are refused), errors on truncated or corrupt frames and
//! verifies content checksums unless [`CodecOptions::validate_checksums`] is off. Memory
//! is bounded:
//! - when the decoded representation has a bound, frame headers whose content sizes add up
//!   to more than the bound are refused before anything is allocated; the output buffer is
//!   the declared content size (or the bound, when a frame does not declare its size) and
//!   zstd decodes straight into it in one shot, so it never needs a window buffer and never
//!   writes past it (a frame that decodes to more is an error);
//! - when the decoded representation is unbounded (after a variable-size array→bytes codec),
//!   frames are decoded by streaming into a buffer that grows with the real output, with
//!   zstd's default window limit (128 MiB, `windowLogMax` 27) on the decoder's own memory.
//!   Declared content sizes are not trusted for allocation there.

use std::cell::RefCell;
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
use zstd_safe::{CCtx, CParameter, DCtx, DParameter, InBuffer, OutBuffer, ResetDirective};

/// The V3 name of the codec.
pub const ZSTD: &str = "zstd";

/// The smallest compression level zstd accepts (`ZSTD_minCLevel()`).
pub const MIN_LEVEL: i32 = -(1 << 17);
/// The largest compression level zstd accepts (`ZSTD_maxCLevel()`).
pub const MAX_LEVEL: i32 = 22;

const ZSTD_MAGIC: u32 = 0xFD2F_B528;
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
const SKIPPABLE_MASK: u32 = 0xFFFF_FFF0;

/// The configuration of the `zstd` codec (Zarr V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZstdCodecConfiguration {
    /// The compression level (negative: faster; 0: zstd's default, 3).
    pub level: i32,
    /// Whether to write a content checksum in each frame.
    #[serde(default)]
    pub checksum: bool,
}

/// The numcodecs (Zarr V2) configuration of the `zstd` codec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZstdCodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    #[serde(default = "default_v2_level")]
    level: i32,
    #[serde(default)]
    checksum: bool,
}

fn default_v2_level() -> i32 {
    1
}

/// The `zstd` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZstdCodec {
    level: i32,
    checksum: bool,
}

impl ZstdCodec {
    /// A zstd codec with compression `level` (−131072 to 22) that writes a content
    /// checksum when `checksum` is true.
    pub fn new(level: i32, checksum: bool) -> Result<Self, PluginError> {
        if !(MIN_LEVEL..=MAX_LEVEL).contains(&level) {
            return Err(PluginError::config(
                ExtensionKind::Codec,
                ZSTD,
                format!("level must be an integer from {MIN_LEVEL} to {MAX_LEVEL}, got {level}"),
            ));
        }
        Ok(Self { level, checksum })
    }

    /// A zstd codec from its configuration (strict: the level must be in range; a stored
    /// configuration read through the registry is lenient and clamps at encode).
    pub fn new_with_configuration(
        configuration: &ZstdCodecConfiguration,
    ) -> Result<Self, PluginError> {
        Self::new(configuration.level, configuration.checksum)
    }

    /// The compression level.
    pub fn level(&self) -> i32 {
        self.level
    }

    /// Whether encoded frames carry a content checksum.
    pub fn checksum(&self) -> bool {
        self.checksum
    }

    /// The configuration.
    pub fn configuration_struct(&self) -> ZstdCodecConfiguration {
        ZstdCodecConfiguration {
            level: self.level,
            checksum: self.checksum,
        }
    }
}

/// A context bigger than this (high levels on big chunks, or a streaming window) is freed
/// after use instead of being kept for the thread's next chunk.
const MAX_CACHED_CONTEXT: usize = 32 << 20;

thread_local! {
    /// One compression and one decompression context per thread, reused from chunk to chunk:
    /// creating a context and sizing its tables costs about as much as compressing a 64 KiB
    /// inner chunk. Session and parameters are reset whenever one is taken.
    static CCTX: RefCell<Option<CCtx<'static>>> = const { RefCell::new(None) };
    static DCTX: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

/// A context taken from this thread's cache (or new), put back when dropped.
struct Pooled<C: PooledContext>(Option<C>);

/// What [`Pooled`] needs of a zstd context.
trait PooledContext: Sized + 'static {
    fn create() -> Option<Self>;
    fn reset_all(&mut self) -> bool;
    fn size(&self) -> usize;
    fn slot() -> &'static std::thread::LocalKey<RefCell<Option<Self>>>;
}

impl PooledContext for CCtx<'static> {
    fn create() -> Option<Self> {
        CCtx::try_create()
    }
    fn reset_all(&mut self) -> bool {
        self.reset(ResetDirective::SessionAndParameters).is_ok()
    }
    fn size(&self) -> usize {
        self.sizeof()
    }
    fn slot() -> &'static std::thread::LocalKey<RefCell<Option<Self>>> {
        &CCTX
    }
}

impl PooledContext for DCtx<'static> {
    fn create() -> Option<Self> {
        DCtx::try_create()
    }
    fn reset_all(&mut self) -> bool {
        self.reset(ResetDirective::SessionAndParameters).is_ok()
    }
    fn size(&self) -> usize {
        self.sizeof()
    }
    fn slot() -> &'static std::thread::LocalKey<RefCell<Option<Self>>> {
        &DCTX
    }
}

impl<C: PooledContext> Pooled<C> {
    /// This thread's cached context, reset, or a new one.
    fn take(what: &str) -> Result<Self, CodecError> {
        let cached = C::slot().with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.take()));
        let ctx = match cached.and_then(|mut c| c.reset_all().then_some(c)) {
            Some(c) => c,
            None => C::create()
                .ok_or_else(|| CodecError::new(ZSTD, format!("cannot create a {what} context")))?,
        };
        Ok(Self(Some(ctx)))
    }
}

impl<C: PooledContext> Drop for Pooled<C> {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            if c.size() <= MAX_CACHED_CONTEXT {
                C::slot().with(|s| {
                    if let Ok(mut s) = s.try_borrow_mut() {
                        *s = Some(c);
                    }
                });
            }
        }
    }
}

impl<C: PooledContext> std::ops::Deref for Pooled<C> {
    type Target = C;
    fn deref(&self) -> &C {
        // Always `Some` until dropped.
        self.0.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl<C: PooledContext> std::ops::DerefMut for Pooled<C> {
    fn deref_mut(&mut self) -> &mut C {
        self.0.as_mut().unwrap_or_else(|| unreachable!())
    }
}

fn zerr(context: &str, code: usize) -> CodecError {
    CodecError::new(
        ZSTD,
        format!("{context}: {}", zstd_safe::get_error_name(code)),
    )
}

fn alloc_err(n: usize, e: std::collections::TryReserveError) -> CodecError {
    CodecError::new(ZSTD, format!("cannot allocate {n} bytes: {e}"))
}

/// The frames of `input`: for each, whether it is a skippable frame and its declared
/// content size. Errors on truncated frames, legacy frames and non-zstd data.
fn scan_frames(input: &[u8]) -> Result<Vec<(bool, Option<u64>)>, CodecError> {
    if input.is_empty() {
        return Err(CodecError::new(ZSTD, "empty input (no zstd frame)"));
    }
    let mut frames = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let magic = rest
            .get(..4)
            .and_then(|m| <[u8; 4]>::try_from(m).ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| {
                CodecError::new(
                    ZSTD,
                    format!("{} trailing bytes are not a zstd frame", rest.len()),
                )
            })?;
        let skippable = magic & SKIPPABLE_MASK == SKIPPABLE_MAGIC;
        if !skippable && magic != ZSTD_MAGIC {
            return Err(CodecError::new(
                ZSTD,
                format!(
                    "bad frame magic {magic:#010x} at offset {} (not a zstd frame)",
                    input.len() - rest.len()
                ),
            ));
        }
        let size = zstd_safe::find_frame_compressed_size(rest)
            .map_err(|c| zerr("invalid or truncated frame", c))?;
        if size == 0 || size > rest.len() {
            return Err(CodecError::new(ZSTD, "invalid frame size"));
        }
        let content = if skippable {
            Some(0)
        } else {
            zstd_safe::get_frame_content_size(&rest[..size])
                .map_err(|e| CodecError::new(ZSTD, format!("invalid frame header: {e}")))?
        };
        frames.push((skippable, content));
        rest = &rest[size..];
    }
    Ok(frames)
}

impl CodecTraits for ZstdCodec {
    fn name(&self) -> &str {
        ZSTD
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("level".into(), Value::from(self.level));
        m.insert("checksum".into(), Value::from(self.checksum));
        Some(m)
    }
}

/// Whether every frame declares its content size (so one-shot decoding allocates exactly).
fn frames_declare_sizes(input: &[u8]) -> bool {
    scan_frames(input).is_ok_and(|f| f.iter().all(|(_, c)| c.is_some()))
}

impl ZstdCodec {
    fn decode_bounded(
        &self,
        input: &[u8],
        limit: u64,
        dctx: &mut DCtx<'_>,
    ) -> Result<Vec<u8>, CodecError> {
        let frames = scan_frames(input)?;
        let mut declared: Option<u64> = Some(0);
        for (_, content) in &frames {
            if let Some(c) = content {
                let total = declared.unwrap_or(0).saturating_add(*c);
                if total > limit {
                    return Err(CodecError::new(
                        ZSTD,
                        format!("the frame headers declare {total} bytes or more, more than the bound of {limit} bytes"),
                    ));
                }
                declared = declared.map(|_| total);
            } else {
                declared = None;
            }
        }
        let cap = usize::try_from(declared.unwrap_or(limit))
            .map_err(|_| CodecError::new(ZSTD, format!("{limit} bytes do not fit in memory")))?;
        let mut out: Vec<u8> = Vec::new();
        out.try_reserve_exact(cap).map_err(|e| alloc_err(cap, e))?;
        let n = Self::one_shot(dctx, &mut out, input, limit)?;
        out.truncate(n);
        Ok(out)
    }

    /// This thread's decompression context, set up for `options`.
    fn dctx(options: &CodecOptions) -> Result<Pooled<DCtx<'static>>, CodecError> {
        let mut dctx = Pooled::<DCtx<'static>>::take("decompression")?;
        dctx.set_parameter(DParameter::ForceIgnoreChecksum(!options.validate_checksums))
            .map_err(|c| zerr("checksum option", c))?;
        Ok(dctx)
    }

    /// One-shot decoding of every frame into `out` (its capacity, at most `limit` bytes):
    /// zstd writes no further, and errors if the frames need more room. The decoded size.
    fn one_shot<C: zstd_safe::WriteBuf + ?Sized>(
        dctx: &mut DCtx<'_>,
        out: &mut C,
        input: &[u8],
        limit: u64,
    ) -> Result<usize, CodecError> {
        dctx.decompress(out, input).map_err(|c| {
            if c == DST_SIZE_TOO_SMALL {
                CodecError::new(
                    ZSTD,
                    format!("the decoded data is larger than its bound of {limit} bytes"),
                )
            } else {
                zerr("corrupt data", c)
            }
        })
    }

    fn decode_streaming(
        &self,
        input: &[u8],
        limit: u64,
        dctx: &mut DCtx<'_>,
    ) -> Result<Vec<u8>, CodecError> {
        // Checks magic numbers and truncation up front, and refuses legacy frames.
        scan_frames(input)?;
        let mut out: Vec<u8> = Vec::new();
        let mut inb = InBuffer::around(input);
        loop {
            if out.len() == out.capacity() {
                if out.len() as u64 > limit {
                    return Err(CodecError::new(
                        ZSTD,
                        format!("the decoded data is larger than its bound of {limit} bytes"),
                    ));
                }
                let room =
                    usize::try_from(limit.saturating_add(1).saturating_sub(out.len() as u64))
                        .unwrap_or(usize::MAX);
                let extra = out
                    .capacity()
                    .max(input.len())
                    .max(1 << 12)
                    .min(room.max(1));
                out.try_reserve(extra).map_err(|e| alloc_err(extra, e))?;
            }
            let (before_in, before_out) = (inb.pos(), out.len());
            let hint = {
                let mut outb = OutBuffer::around_pos(&mut out, before_out);
                dctx.decompress_stream(&mut outb, &mut inb)
                    .map_err(|c| zerr("corrupt data", c))?
            };
            // 0: a frame is completely decoded and flushed.
            if hint == 0 && inb.pos() == input.len() {
                break;
            }
            let stuck = inb.pos() == before_in && out.len() == before_out;
            if stuck && out.len() < out.capacity() {
                return Err(CodecError::new(ZSTD, "truncated zstd frame"));
            }
        }
        Ok(out)
    }
}

impl BytesToBytesCodecTraits for ZstdCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded.bound() {
            Some(n) => {
                let b = usize::try_from(n)
                    .map(|n| zstd_safe::compress_bound(n) as u64)
                    .unwrap_or(u64::MAX);
                // ZSTD_compressBound covers the frame header and checksum; keep some slack.
                BytesRepresentation::Bounded(b.saturating_add(32))
            }
            None => BytesRepresentation::Unbounded,
        }
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let mut cctx = Pooled::<CCtx<'static>>::take("compression")?;
        cctx.set_parameter(CParameter::CompressionLevel(
            self.level.clamp(MIN_LEVEL, MAX_LEVEL),
        ))
        .map_err(|c| zerr("compression level", c))?;
        cctx.set_parameter(CParameter::ChecksumFlag(self.checksum))
            .map_err(|c| zerr("checksum flag", c))?;
        cctx.set_parameter(CParameter::ContentSizeFlag(true))
            .map_err(|c| zerr("content size flag", c))?;
        let cap = zstd_safe::compress_bound(input.len());
        let mut out: Vec<u8> = Vec::new();
        out.try_reserve_exact(cap).map_err(|e| alloc_err(cap, e))?;
        let n = cctx
            .compress2(&mut out, &input)
            .map_err(|c| zerr("compression failed", c))?;
        out.truncate(n);
        zarrkit_core::codec::shrink_encoded(&mut out);
        Ok(out)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let mut dctx = Self::dctx(options)?;
        // An exact size, or a bound close to the input size: decode in one shot into a
        // buffer of that size. A loose bound (variable-size data): stream, growing the
        // buffer with the real output, and stop at the bound.
        let out = match decoded {
            BytesRepresentation::Fixed(b) => self.decode_bounded(&input, *b, &mut dctx)?,
            BytesRepresentation::Bounded(b) if frames_declare_sizes(&input) => {
                self.decode_bounded(&input, *b, &mut dctx)?
            }
            BytesRepresentation::Bounded(b) => self.decode_streaming(&input, *b, &mut dctx)?,
            BytesRepresentation::Unbounded => self.decode_streaming(&input, u64::MAX, &mut dctx)?,
        };
        if out.len() as u64 > decoded.bound().unwrap_or(u64::MAX) {
            return Err(CodecError::new(
                ZSTD,
                "the decoded data is larger than its bound",
            ));
        }
        if let BytesRepresentation::Fixed(n) = decoded {
            if out.len() as u64 != *n {
                return Err(CodecError::UnexpectedSize {
                    codec: ZSTD.into(),
                    expected: *n,
                    actual: out.len() as u64,
                });
            }
        }
        Ok(out.into())
    }

    /// One-shot decoding of every frame straight into the output (exactly its size).
    fn decode_into_slice(
        &self,
        input: &[u8],
        output: &mut [u8],
        options: &CodecOptions,
    ) -> Result<bool, CodecError> {
        // Checks magic numbers and truncation up front, and refuses legacy frames.
        scan_frames(input)?;
        let len = output.len();
        let mut dctx = Self::dctx(options)?;
        let n = Self::one_shot(&mut dctx, output, input, len as u64)?;
        if n != len {
            return Err(CodecError::UnexpectedSize {
                codec: ZSTD.into(),
                expected: len as u64,
                actual: n as u64,
            });
        }
        Ok(true)
    }

    /// A frame decodes in blocks of up to 128 KiB: a prefix saves work only when at least
    /// one whole block can lie after it.
    fn decodes_ranges_cheaply(&self, decoded: &BytesRepresentation) -> bool {
        decoded.bound().is_some_and(|n| n >= 2 * BLOCK_SIZE_MAX)
    }

    /// Decode only the prefix of the frame that holds the ranges: a zstd frame decodes from
    /// its start, so everything after the last byte asked for is left undecoded. Taken for a
    /// single frame that declares its content size within the decoded bound and has no
    /// content checksum to verify (a checksum covers the whole frame: with
    /// [`CodecOptions::validate_checksums`] such a frame is decoded whole), when at least one
    /// 128 KiB block lies after the prefix. Anything else is decoded whole.
    fn decode_ranges(
        &self,
        input: Bytes,
        ranges: &[ByteRange],
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<Bytes>, CodecError> {
        let plan = single_frame_size(&input).and_then(|(size, checksum)| {
            let fits = match decoded {
                BytesRepresentation::Fixed(n) => size == *n,
                BytesRepresentation::Bounded(b) => size <= *b,
                BytesRepresentation::Unbounded => false,
            };
            // The end of the last byte asked for.
            let mut end = 0u64;
            for r in ranges {
                end = end.max(r.to_range(size)?.end);
            }
            let verify = checksum && options.validate_checksums;
            // zstd decodes whole blocks (up to 128 KiB): a prefix saves work only when at
            // least one block lies after it.
            let saves = end.saturating_add(BLOCK_SIZE_MAX) <= size;
            (fits && !verify && saves).then_some((size, end))
        });
        let Some((size, end)) = plan else {
            // Everything is needed (or must be verified): decode the frame(s) whole.
            let all = self.decode(input, decoded, options)?;
            return slice_ranges(&all, ranges, ZSTD);
        };
        let size = usize::try_from(size).map_err(|_| CodecError::new(ZSTD, "frame too large"))?;
        let end = usize::try_from(end).map_err(|_| CodecError::new(ZSTD, "frame too large"))?;
        let prefix = Bytes::from(self.decode_prefix(&input, size, end)?);
        // The prefix holds every range (each ends at most at `end`), but is shorter than the
        // frame: resolve the ranges against the frame's size, then slice the prefix.
        ranges
            .iter()
            .map(|r| {
                let rr = r
                    .to_range(size as u64)
                    .filter(|rr| rr.end as usize <= prefix.len())
                    .ok_or_else(|| {
                        CodecError::new(ZSTD, format!("byte range {r} is out of bounds"))
                    })?;
                Ok(prefix.slice(rr.start as usize..rr.end as usize))
            })
            .collect()
    }
}

/// The error result of a one-shot decode into a buffer too small for the frames (zstd's
/// error results are negated `ZSTD_ErrorCode`s, as zstd-safe's own constants are).
const DST_SIZE_TOO_SMALL: usize =
    (zstd_safe::zstd_sys::ZSTD_ErrorCode::ZSTD_error_dstSize_tooSmall as usize).wrapping_neg();

/// The largest zstd block (`ZSTD_BLOCKSIZE_MAX`).
const BLOCK_SIZE_MAX: u64 = 128 << 10;

/// The content size of `input` if it is one zstd frame that declares it, and the frame's
/// content checksum flag.
fn single_frame_size(input: &[u8]) -> Option<(u64, bool)> {
    match scan_frames(input).ok()?.as_slice() {
        [(false, Some(size))] => {
            // Frame_Header_Descriptor, bit 2: Content_Checksum_flag.
            let checksum = input.get(4).is_some_and(|d| d & 0x04 != 0);
            Some((*size, checksum))
        }
        _ => None,
    }
}

impl ZstdCodec {
    /// Decode the first `prefix` bytes (or a little more) of the single frame `input` whose
    /// content size is `size`. zstd decodes straight into the output buffer
    /// (`StableOutBuffer`: no window buffer); the input is fed in slices and decoding stops
    /// once `prefix` bytes are out.
    fn decode_prefix(
        &self,
        input: &[u8],
        size: usize,
        prefix: usize,
    ) -> Result<Vec<u8>, CodecError> {
        /// Compressed bytes fed per step: small enough to stop soon after the prefix.
        const STEP: usize = 32 << 10;
        let mut out: Vec<u8> = Vec::new();
        out.try_reserve_exact(size)
            .map_err(|e| alloc_err(size, e))?;
        let mut dctx = Pooled::<DCtx<'static>>::take("decompression")?;
        dctx.set_parameter(DParameter::StableOutBuffer(true))
            .map_err(|c| zerr("stable output option", c))?;
        dctx.set_parameter(DParameter::ForceIgnoreChecksum(true))
            .map_err(|c| zerr("checksum option", c))?;
        {
            let mut outb = OutBuffer::around(&mut out);
            let mut fed = 0usize;
            loop {
                let end = fed.saturating_add(STEP).min(input.len());
                let mut inb = InBuffer::around(&input[..end]);
                inb.set_pos(fed);
                let hint = dctx
                    .decompress_stream(&mut outb, &mut inb)
                    .map_err(|c| zerr("corrupt data", c))?;
                let progressed = inb.pos() > fed;
                fed = inb.pos();
                if outb.pos() >= prefix || hint == 0 {
                    break;
                }
                if !progressed && end == input.len() {
                    return Err(CodecError::new(ZSTD, "truncated zstd frame"));
                }
            }
        }
        if out.len() < prefix {
            return Err(CodecError::new(
                ZSTD,
                format!(
                    "the frame decoded to {} bytes, fewer than the {prefix} needed",
                    out.len()
                ),
            ));
        }
        Ok(out)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::Codec, metadata.name(), m);
    let c: ZstdCodecConfiguration = metadata.to_configuration().map_err(err)?;
    // A stored level outside zstd's range opens (decoding does not use it) and is clamped
    // when encoding, as libzstd itself clamps; it is written back as read.
    Ok(Codec::BytesToBytes(Arc::new(ZstdCodec {
        level: c.level,
        checksum: c.checksum,
    })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: ZstdCodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, ZSTD, e))?;
    Ok(Codec::BytesToBytes(Arc::new(ZstdCodec {
        level: c.level,
        checksum: c.checksum,
    })))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(ZSTD, create).with_aliases(&["numcodecs.zstd"]).with_v2(&["zstd"], create_v2)
}

#[cfg(test)]
mod tests;
