//! zarrkit plugin: the `zarrs.gdeflate` bytes→bytes codec (NVIDIA's GDeflate, a GPU-friendly
//! reshuffle of DEFLATE, in pages of 64 KiB compressed independently).
//!
//! - V3 name `zarrs.gdeflate` (zarrs ≥ 0.20); alias `https://codec.zarrs.dev/bytes_to_bytes/gdeflate`
//!   (the name of zarrs < 0.20). The name read is written back. Zarr V2 id `zarrs.gdeflate`
//!   (`{"id": "zarrs.gdeflate", "level": n}`, as zarrs 0.20–0.22 registered it).
//! - Configuration `{"level": 0..=12}` (0: stored blocks, 1 fastest, 12 smallest); no other
//!   member. The level only matters when encoding, so it is checked when encoding: an
//!   array whose level is missing or out of range still opens and reads (zarrs refuses it
//!   at open). The configuration is written back as read.
//!
//! # Stream (byte for byte as zarrs writes it; all integers u64 little-endian)
//!
//! ```text
//! [decoded length L] [page count P] [P × compressed page size] [page 0] [page 1] ...
//! ```
//!
//! The input is cut into pages of 65536 bytes (the last one shorter), each compressed on
//! its own with `libdeflate_gdeflate_compress(.., 1 page)`; `P = ceil(L / 65536)` (0 for an
//! empty input, whose stream is the 16-byte header alone). The C library is
//! `gdeflate-sys` (libdeflate's GDeflate fork from Microsoft DirectStorage, bundled C
//! sources built with `cc`), the same bindings zarrs uses, so zarrkit writes zarrs' bytes
//! exactly.
//!
//! # Decoding and its checks
//!
//! - `L` must not exceed the decoded representation (exact sizes: equal); `P` must be at
//!   least `ceil(L / 65536)` (extra pages must decode to nothing); the page sizes must add
//!   up to exactly the bytes after the header (checked arithmetic; no trailing bytes).
//! - Every page decodes into exactly `min(65536, remaining)` bytes of a buffer of `L` bytes
//!   allocated once (fallibly): a page that needs more space or gives fewer bytes is an
//!   error. (zarrs 0.23.14's decoder asserts that the first page fills the *whole* output,
//!   so it panics on any stream of more than one page — which its own encoder writes for
//!   chunks over 64 KiB. zarrkit reads them.)
//! - Partial reads: [`BytesToBytesCodecTraits::decode_ranges`] decompresses only the pages
//!   that hold the requested bytes, so region reads of an unsharded `bytes` chunk skip the
//!   other pages.

use std::cell::RefCell;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::codec::{
    slice_ranges, Bytes, BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecTraits,
};
use zarrkit_core::config::CodecOptions;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{self, Map, Value};
use zarrkit_core::storage::ByteRange;

/// The V3 name of the codec (also its V2 id).
pub const NAME: &str = "zarrs.gdeflate";
/// Other V3 names read (and written back when read).
pub const ALIASES: &[&str] = &["https://codec.zarrs.dev/bytes_to_bytes/gdeflate"];
/// The uncompressed size of a page.
pub const PAGE_SIZE: usize = 65536;
/// The largest compression level.
pub const MAX_LEVEL: i64 = 12;

const HEADER: usize = 16;

/// The configuration of the codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GDeflateCodecConfiguration {
    /// The compression level, 0..=12 (checked when encoding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GDeflateCodecConfigurationV2 {
    #[allow(dead_code)]
    id: String,
    #[serde(default)]
    level: Option<i64>,
}

/// The `zarrs.gdeflate` codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GDeflateCodec {
    name: &'static str,
    configuration: GDeflateCodecConfiguration,
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

/// A GDeflate compressor (freed on drop).
struct Compressor {
    level: i32,
    ptr: *mut gdeflate_sys::libdeflate_gdeflate_compressor,
}

impl Compressor {
    fn new(level: i32) -> Result<Self, CodecError> {
        // SAFETY: plain allocation; a NULL result (out of memory, bad level) is checked.
        let ptr = unsafe { gdeflate_sys::libdeflate_alloc_gdeflate_compressor(level) };
        if ptr.is_null() {
            return Err(CodecError::allocation(
                NAME,
                format!("a level {level} compressor"),
            ));
        }
        Ok(Self { level, ptr })
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `libdeflate_alloc_gdeflate_compressor` and is freed once.
        unsafe { gdeflate_sys::libdeflate_free_gdeflate_compressor(self.ptr) }
    }
}

/// A GDeflate decompressor (freed on drop).
struct Decompressor(*mut gdeflate_sys::libdeflate_gdeflate_decompressor);

impl Decompressor {
    fn new() -> Result<Self, CodecError> {
        // SAFETY: plain allocation; NULL is checked.
        let ptr = unsafe { gdeflate_sys::libdeflate_alloc_gdeflate_decompressor() };
        if ptr.is_null() {
            return Err(CodecError::allocation(NAME, "a decompressor"));
        }
        Ok(Self(ptr))
    }

    /// Decompress one page into exactly `out.len()` bytes.
    fn page(&self, page: &[u8], out: &mut [u8], index: usize) -> Result<(), CodecError> {
        let mut in_page = gdeflate_sys::libdeflate_gdeflate_in_page {
            data: page.as_ptr().cast(),
            nbytes: page.len(),
        };
        let mut actual: usize = 0;
        // SAFETY: `in_page` describes `page` (read only); the output is `out`, of
        // `out.len()` writable bytes, which the library never exceeds; `actual` is a valid,
        // zero-initialised counter it adds to.
        let res = unsafe {
            gdeflate_sys::libdeflate_gdeflate_decompress(
                self.0,
                &mut in_page,
                1,
                out.as_mut_ptr().cast(),
                out.len(),
                &mut actual,
            )
        };
        if res != gdeflate_sys::libdeflate_result_LIBDEFLATE_SUCCESS {
            let why = match res {
                gdeflate_sys::libdeflate_result_LIBDEFLATE_BAD_DATA => "invalid data",
                gdeflate_sys::libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE => {
                    "it decodes to more bytes than the page holds"
                }
                _ => "decompression failed",
            };
            return Err(err(format!(
                "page {index}: {why} (libdeflate result {res})"
            )));
        }
        if actual != out.len() {
            return Err(err(format!(
                "page {index} decodes to {actual} bytes, not {}",
                out.len()
            )));
        }
        Ok(())
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: allocated by `libdeflate_alloc_gdeflate_decompressor`, freed once.
        unsafe { gdeflate_sys::libdeflate_free_gdeflate_decompressor(self.0) }
    }
}

thread_local! {
    /// One compressor per level per thread (a level-12 compressor allocates megabytes).
    static COMPRESSORS: RefCell<Vec<Compressor>> = const { RefCell::new(Vec::new()) };
}

/// The compressed size bound of `n` bytes (any compressor), or `None` on overflow.
fn compress_bound(n: usize) -> Option<usize> {
    let mut pages = 0usize;
    // SAFETY: a NULL compressor is allowed (the bound over every compressor); `pages` is a
    // valid output location.
    let b = unsafe {
        gdeflate_sys::libdeflate_gdeflate_compress_bound(std::ptr::null_mut(), n, &mut pages)
    };
    // The C arithmetic wraps silently: recompute the page count and sanity-check.
    (b >= n && pages == n.div_ceil(PAGE_SIZE)).then_some(b)
}

fn read_u64(input: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = input.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// The parsed header of a stream: decoded length and each page's compressed byte range.
struct Header {
    len: usize,
    pages: Vec<std::ops::Range<usize>>,
}

fn parse_header(input: &[u8], decoded: &BytesRepresentation) -> Result<Header, CodecError> {
    let (Some(len), Some(count)) = (read_u64(input, 0), read_u64(input, 8)) else {
        return Err(err(format!(
            "{} bytes is too short for the 16-byte header (truncated?)",
            input.len()
        )));
    };
    match decoded {
        BytesRepresentation::Fixed(n) if len != *n => {
            return Err(CodecError::UnexpectedSize {
                codec: NAME.into(),
                expected: *n,
                actual: len,
            })
        }
        BytesRepresentation::Bounded(n) if len > *n => {
            return Err(err(format!(
                "the header's decoded length {len} exceeds the {n} bytes expected"
            )))
        }
        _ => {}
    }
    let header_len = count
        .checked_mul(8)
        .and_then(|x| x.checked_add(HEADER as u64))
        .filter(|&h| h <= input.len() as u64)
        .ok_or_else(|| {
            err(format!(
                "{count} pages do not fit the {}-byte stream (truncated or corrupt)",
                input.len()
            ))
        })? as usize;
    // The header fits the input, so len is bounded by count * 65536 below and count fits.
    let count = count as usize;
    let needed = len.div_ceil(PAGE_SIZE as u64);
    if (count as u64) < needed {
        return Err(err(format!(
            "{count} pages cannot hold {len} bytes (at least {needed} needed)"
        )));
    }
    let len = usize::try_from(len).map_err(|_| err("the decoded length does not fit memory"))?;
    let mut pages = Vec::new();
    pages
        .try_reserve_exact(count)
        .map_err(|e| CodecError::allocation(NAME, format!("{count} page entries: {e}")))?;
    let mut pos = header_len;
    for i in 0..count {
        let size = read_u64(input, HEADER + 8 * i).unwrap_or(u64::MAX);
        let end = (pos as u64)
            .checked_add(size)
            .filter(|&e| e <= input.len() as u64)
            .ok_or_else(|| {
                err(format!(
                    "page {i} of {size} bytes runs past the end of the {}-byte stream",
                    input.len()
                ))
            })? as usize;
        pages.push(pos..end);
        pos = end;
    }
    if pos != input.len() {
        return Err(err(format!(
            "{} unexpected bytes after the last page",
            input.len() - pos
        )));
    }
    Ok(Header { len, pages })
}

impl GDeflateCodec {
    /// A codec with compression level `level` (0..=12).
    pub fn new(level: u32) -> Result<Self, String> {
        let level = i64::from(level);
        if level > MAX_LEVEL {
            return Err(format!("level {level} is not in 0..=12"));
        }
        Ok(Self {
            name: NAME,
            configuration: GDeflateCodecConfiguration { level: Some(level) },
        })
    }

    fn level(&self) -> Result<i32, CodecError> {
        match self.configuration.level {
            Some(l @ 0..=MAX_LEVEL) => Ok(l as i32),
            Some(l) => Err(CodecError::unsupported(
                NAME,
                format!("level {l} is not in 0..=12 (needed to encode)"),
            )),
            None => Err(CodecError::unsupported(
                NAME,
                "no `level` in the configuration (needed to encode)",
            )),
        }
    }

    /// Compress `input` (zarrs' stream).
    pub fn compress(&self, input: &[u8]) -> Result<Vec<u8>, CodecError> {
        let level = self.level()?;
        let pages = input.len().div_ceil(PAGE_SIZE);
        let bound = compress_bound(input.len())
            .and_then(|b| b.checked_add(HEADER + 8 * pages))
            .ok_or_else(|| err("the input is too large"))?;
        let mut out: Vec<u8> = Vec::new();
        out.try_reserve_exact(bound)
            .map_err(|e| CodecError::allocation(NAME, format!("{bound} bytes: {e}")))?;
        out.extend_from_slice(&(input.len() as u64).to_le_bytes());
        out.extend_from_slice(&(pages as u64).to_le_bytes());
        out.resize(HEADER + 8 * pages, 0);
        COMPRESSORS.with(|cache| -> Result<(), CodecError> {
            let mut cache = cache.borrow_mut();
            let at = match cache.iter().position(|c| c.level == level) {
                Some(i) => i,
                None => {
                    cache.push(Compressor::new(level)?);
                    cache.len() - 1
                }
            };
            let c = &cache[at];
            for (i, page) in input.chunks(PAGE_SIZE).enumerate() {
                let page_bound = compress_bound(page.len()).ok_or_else(|| err("page bound"))?;
                let start = out.len();
                if out.capacity() - start < page_bound {
                    return Err(CodecError::Internal("gdeflate output bound".into()));
                }
                let spare = out.spare_capacity_mut();
                let mut out_page = gdeflate_sys::libdeflate_gdeflate_out_page {
                    data: spare.as_mut_ptr().cast(),
                    nbytes: spare.len(),
                };
                // SAFETY: the compressor is live; the input page is `page`; the output page
                // is the vector's spare capacity (`spare.len()` ≥ the page's bound, which
                // the library checks and never writes past).
                let n = unsafe {
                    gdeflate_sys::libdeflate_gdeflate_compress(
                        c.ptr,
                        page.as_ptr().cast(),
                        page.len(),
                        &mut out_page,
                        1,
                    )
                };
                if n == 0 || n > spare.len() {
                    return Err(err(format!("page {i} could not be compressed")));
                }
                // SAFETY: the library initialised the first `n` bytes of the spare capacity.
                unsafe { out.set_len(start + n) };
                out[HEADER + 8 * i..HEADER + 8 * i + 8].copy_from_slice(&(n as u64).to_le_bytes());
            }
            Ok(())
        })?;
        zarrkit_core::codec::shrink_encoded(&mut out);
        Ok(out)
    }
}

impl CodecTraits for GDeflateCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        match serde_json::to_value(self.configuration) {
            Ok(Value::Object(m)) => Some(m),
            _ => Some(Map::new()),
        }
    }
}

impl BytesToBytesCodecTraits for GDeflateCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        let Some(n) = decoded.bound().and_then(|n| usize::try_from(n).ok()) else {
            return BytesRepresentation::Unbounded;
        };
        compress_bound(n)
            .and_then(|b| b.checked_add(HEADER + 8 * n.div_ceil(PAGE_SIZE)))
            .map_or(BytesRepresentation::Unbounded, |b| {
                BytesRepresentation::Bounded(b as u64)
            })
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        self.compress(&input)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        _options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let h = parse_header(&input, decoded)?;
        let mut out = zarrkit_core::codec::zeroed_for(h.len, NAME)?;
        let d = Decompressor::new()?;
        for (i, r) in h.pages.iter().enumerate() {
            let at = (i * PAGE_SIZE).min(h.len);
            let end = (at + PAGE_SIZE).min(h.len);
            d.page(&input[r.clone()], &mut out[at..end], i)?;
        }
        Ok(Bytes::from(out))
    }

    /// Decompress only the pages that hold `ranges`.
    fn decode_ranges(
        &self,
        input: Bytes,
        ranges: &[ByteRange],
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<Bytes>, CodecError> {
        let h = parse_header(&input, decoded)?;
        let mut bounds = Vec::with_capacity(ranges.len());
        let mut span: Option<(usize, usize)> = None;
        for r in ranges {
            let rr = r.to_range(h.len as u64).ok_or_else(|| {
                err(format!(
                    "byte range {r} is out of bounds of {} bytes",
                    h.len
                ))
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
        let (first, last) = (a / PAGE_SIZE, (b - 1) / PAGE_SIZE);
        if first == 0 && last + 1 >= h.len.div_ceil(PAGE_SIZE) {
            let all = self.decode(input, decoded, options)?;
            return slice_ranges(&all, ranges, NAME);
        }
        let base = first * PAGE_SIZE;
        let stop = ((last + 1) * PAGE_SIZE).min(h.len);
        let mut out = zarrkit_core::codec::zeroed_for(stop - base, NAME)?;
        let d = Decompressor::new()?;
        for i in first..=last {
            let at = i * PAGE_SIZE;
            let end = (at + PAGE_SIZE).min(h.len);
            let page = h.pages.get(i).ok_or_else(|| err("missing page"))?;
            d.page(&input[page.clone()], &mut out[at - base..end - base], i)?;
        }
        let out = Bytes::from(out);
        Ok(bounds
            .into_iter()
            .map(|(a, b)| {
                if a < b {
                    out.slice(a - base..b - base)
                } else {
                    Bytes::new()
                }
            })
            .collect())
    }

    fn decodes_ranges_cheaply(&self, decoded: &BytesRepresentation) -> bool {
        decoded.bound().is_some_and(|n| n > PAGE_SIZE as u64)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = std::iter::once(NAME)
        .chain(ALIASES.iter().copied())
        .find(|n| *n == metadata.name())
        .unwrap_or(NAME);
    let configuration: GDeflateCodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    Ok(Codec::BytesToBytes(Arc::new(GDeflateCodec {
        name,
        configuration,
    })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: GDeflateCodecConfigurationV2 = serde_json::from_value(Value::Object(config.clone()))
        .map_err(|e| PluginError::config(ExtensionKind::Codec, NAME, e))?;
    Ok(Codec::BytesToBytes(Arc::new(GDeflateCodec {
        name: NAME,
        configuration: GDeflateCodecConfiguration { level: c.level },
    })))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[NAME], create_v2)
}

#[cfg(test)]
mod tests;
