//! zarrkit plugin: the numcodecs `lzma` bytes→bytes codec (Python's `lzma` module: `.xz`,
//! legacy `.lzma` and raw LZMA/LZMA2 streams), via the `liblzma` crate with its bundled,
//! statically linked liblzma (xz 5.8): nothing to install.
//!
//! - V3 name `numcodecs.lzma` (as zarr-python registers it; there is no zarr-extensions
//!   name). The bare `lzma` is accepted as an alias (an in-progress zarr-python writes it)
//!   and the name read is written back.
//! - Zarr V2 / numcodecs id `lzma`: `{"id": "lzma", "format": 1, "check": -1,
//!   "preset": null, "filters": null}`.
//!
//! # Configuration
//!
//! The members numcodecs' `LZMA(format=1, check=-1, preset=None, filters=None)` takes, each
//! optional (zarr-python 3 writes `{}` for the defaults and only the members given, numcodecs
//! in V2 writes all four). The configuration is written back exactly as it was read.
//!
//! | member | default | meaning |
//! |---|---|---|
//! | `format` | 1 | 0 = auto (decode only: xz or .lzma, detected), 1 = xz, 2 = alone (.lzma), 3 = raw |
//! | `check` | -1 | xz integrity check: -1 = default (CRC64), 0 = none, 1 = CRC32, 4 = CRC64, 10 = SHA-256; only -1 or 0 for alone and raw |
//! | `preset` | null | 0–9, optionally OR'd with `PRESET_EXTREME` (`0x80000000`); null = 6 |
//! | `filters` | null | a liblzma filter chain as Python's `lzma` takes it (below); required for raw, excludes `preset` |
//!
//! A filter is an object with an integer `id` and options, as Python's `lzma` module takes
//! them: LZMA1 (`id` 0x4000000000000001) and LZMA2 (`id` 33) with `preset` (default 6),
//! `dict_size`, `lc`, `lp`, `pb`, `mode` (1 fast, 2 normal), `nice_len`, `mf` (3, 4, 0x12,
//! 0x13, 0x14) and `depth`, the preset's values being replaced by the ones given; delta
//! (`id` 3) with `dist` (1–256, default 1); the BCJ filters x86 (4), PowerPC (5), IA-64 (6),
//! ARM (7), ARM-Thumb (8) and SPARC (9) with `start_offset` (default 0). Other ids and
//! members are errors, as in Python. At most 4 filters, LZMA1 or LZMA2 last.
//!
//! # What is checked when
//!
//! Opening checks what decoding needs: `format`, and for raw the whole filter chain (a raw
//! decoder is created from it). `check`, `preset`, and `filters` for the other formats
//! matter only when encoding and are checked there (an array with an unusual encoder setting
//! still opens and reads), with Python's rules: no check other than -1/0 except with xz,
//! not both `preset` and `filters`, filters required for raw, a single LZMA1 filter for
//! alone, format 0 cannot encode.
//!
//! # Byte format and decoding
//!
//! The bytes are `lzma.compress(data, format, check, preset, filters)`: an `.xz` stream
//! (magic `FD 37 7A 58 5A 00`), a `.lzma` stream (13-byte header: properties, dictionary
//! size, uncompressed size), or a bare LZMA1/LZMA2 stream without any header. Decoding
//! accepts one or more concatenated streams, as Python's `lzma.decompress` does: xz streams
//! with the .xz stream padding between and after them (liblzma's concatenated-stream
//! decoder), alone and raw streams back to back. Format 0 decodes data starting with the
//! xz magic as format 1, anything else with liblzma's format detection (.lzma, and .lz as
//! liblzma ≥ 5.4 detects it), one stream after the other. It verifies the xz integrity check unless
//! [`CodecOptions::validate_checksums`] is off. It errors on truncation, on corrupt data, on
//! trailing bytes that are not a further stream, and as soon as the output would exceed the
//! decoded representation's bound (the output buffer never grows past it plus one byte: a
//! decompression bomb stops there). A chunk of exact size must decode to exactly that size.
//!
//! Decoder memory is bounded too. An xz or .lzma stream names its dictionary size, and
//! liblzma allocates it: the decoder gets a memory limit of the decoded bound or 64 MiB,
//! whichever is larger, plus 8 MiB (64 MiB is the dictionary of presets 9 and 9e, the
//! largest any preset uses, which numcodecs writes whatever the chunk size; without a bound,
//! 64 MiB plus 8 MiB). A stream
//! asking for more is [`CodecError::AllocationRefused`] before anything is allocated. A raw
//! stream's dictionary size comes from the configuration; it is clamped to the decoded
//! bound (at least 4 KiB), which changes nothing for decoding: no match can reach further
//! back than the output produced so far.
//!
//! # Deviations from numcodecs (all on the reading side)
//!
//! - numcodecs cannot decode its own output when `filters` is given with a format other than
//!   raw (Python's `lzma.decompress` refuses filters except with `FORMAT_RAW`); zarrkit
//!   decodes it (xz and .lzma streams carry their filter chain).
//! - Python's `lzma.decompress` decodes streams one by one and quietly stops at the first
//!   later one it cannot parse: 12 or more trailing bytes of garbage are dropped, and so is
//!   a second xz stream after stream padding; fewer than 12 bytes of padding or garbage at
//!   the end are an error. zarrkit follows the .xz format: padding (a multiple of 4 zero
//!   bytes) is skipped wherever it may stand, everything else after the last stream is an
//!   error.
//! - The encoder is liblzma 5.8 (bundled); numcodecs uses the system's liblzma. The
//!   reference vectors (liblzma 5.4.1) are reproduced byte for byte.

use std::sync::Arc;

use liblzma::stream::{Action, Check, Filters, LzmaOptions, MatchFinder, Mode, Status, Stream};
use zarrkit_core::codec::{
    Bytes, BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecTraits,
};
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.lzma";
const ALIASES: &[&str] = &["lzma"];
/// The numcodecs (Zarr V2) id.
pub const V2_ID: &str = "lzma";

/// `lzma.FORMAT_AUTO`: detect xz or .lzma when decoding (cannot encode).
pub const FORMAT_AUTO: i64 = 0;
/// `lzma.FORMAT_XZ`, the default.
pub const FORMAT_XZ: i64 = 1;
/// `lzma.FORMAT_ALONE`: the legacy `.lzma` format.
pub const FORMAT_ALONE: i64 = 2;
/// `lzma.FORMAT_RAW`: a bare LZMA1/LZMA2 stream, described by the filter chain.
pub const FORMAT_RAW: i64 = 3;

/// `lzma.FILTER_LZMA1`.
pub const FILTER_LZMA1: u64 = 0x4000_0000_0000_0001;
/// `lzma.FILTER_LZMA2`.
pub const FILTER_LZMA2: u64 = 0x21;
/// `lzma.FILTER_DELTA`.
pub const FILTER_DELTA: u64 = 0x03;
/// `lzma.FILTER_X86`.
pub const FILTER_X86: u64 = 0x04;
/// `lzma.FILTER_POWERPC`.
pub const FILTER_POWERPC: u64 = 0x05;
/// `lzma.FILTER_IA64`.
pub const FILTER_IA64: u64 = 0x06;
/// `lzma.FILTER_ARM`.
pub const FILTER_ARM: u64 = 0x07;
/// `lzma.FILTER_ARMTHUMB`.
pub const FILTER_ARMTHUMB: u64 = 0x08;
/// `lzma.FILTER_SPARC`.
pub const FILTER_SPARC: u64 = 0x09;

/// `lzma.PRESET_EXTREME`, OR'd with a preset level.
pub const PRESET_EXTREME: u32 = 0x8000_0000;
/// The preset used when none is given (`lzma.PRESET_DEFAULT`).
pub const PRESET_DEFAULT: u32 = 6;

/// The largest dictionary a preset uses (presets 9 and 9e): decoders of xz and .lzma
/// streams may always allocate this much, whatever the chunk size.
const PRESET_DICT_MAX: u64 = 64 << 20;
/// Decoder memory beyond the dictionary (liblzma's coder state is well under 1 MiB).
const DECODER_SLACK: u64 = 8 << 20;
/// liblzma's smallest dictionary.
const DICT_SIZE_MIN: u32 = 4096;
/// The magic bytes of an `.xz` stream.
const XZ_MAGIC: [u8; 6] = [0xfd, b'7', b'z', b'X', b'Z', 0x00];

/// The container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzmaFormat {
    /// Detect xz or .lzma (decode only).
    Auto,
    /// `.xz`.
    Xz,
    /// `.lzma` (LZMA_Alone).
    Alone,
    /// A bare stream described by the filter chain.
    Raw,
}

impl LzmaFormat {
    fn from_code(code: i64) -> Option<Self> {
        match code {
            FORMAT_AUTO => Some(Self::Auto),
            FORMAT_XZ => Some(Self::Xz),
            FORMAT_ALONE => Some(Self::Alone),
            FORMAT_RAW => Some(Self::Raw),
            _ => None,
        }
    }

    /// The numcodecs / Python `lzma.FORMAT_*` code.
    pub fn code(self) -> i64 {
        match self {
            Self::Auto => FORMAT_AUTO,
            Self::Xz => FORMAT_XZ,
            Self::Alone => FORMAT_ALONE,
            Self::Raw => FORMAT_RAW,
        }
    }
}

/// The options of an LZMA1 or LZMA2 filter as Python's `lzma` takes them: the preset's
/// values, replaced by those given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LzmaFilterOptions {
    /// The preset the other options start from (6 when absent).
    pub preset: Option<u32>,
    /// Dictionary size in bytes.
    pub dict_size: Option<u32>,
    /// Literal context bits.
    pub lc: Option<u32>,
    /// Literal position bits.
    pub lp: Option<u32>,
    /// Position bits.
    pub pb: Option<u32>,
    /// Encoder mode (1 fast, 2 normal).
    pub mode: Option<u32>,
    /// Encoder nice match length.
    pub nice_len: Option<u32>,
    /// Encoder match finder (`lzma.MF_*`).
    pub mf: Option<u32>,
    /// Encoder match finder search depth (0 = automatic).
    pub depth: Option<u32>,
}

/// One filter of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterSpec {
    /// LZMA1 (`lzma2: false`) or LZMA2.
    Lzma {
        /// LZMA2 rather than LZMA1.
        lzma2: bool,
        /// Its options.
        options: LzmaFilterOptions,
    },
    /// The delta filter with distance `dist` (1–256).
    Delta {
        /// The distance in bytes.
        dist: u32,
    },
    /// A branch/call/jump filter for executable code (`id` 4 to 9).
    Bcj {
        /// The filter id.
        id: u64,
        /// The start offset.
        start_offset: u32,
    },
}

/// The `lzma` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LzmaCodec {
    name: &'static str,
    format: LzmaFormat,
    /// The parsed chain for raw streams (which decoding needs).
    raw_filters: Option<Vec<FilterSpec>>,
    /// The configuration as read (written back unchanged), `None` when absent.
    configuration: Option<Map<String, Value>>,
}

impl Default for LzmaCodec {
    fn default() -> Self {
        Self::new()
    }
}

fn numcodecs_configuration(format: i64, check: i64, preset: Option<u32>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("format".into(), Value::from(format));
    m.insert("check".into(), Value::from(check));
    m.insert("preset".into(), preset.map_or(Value::Null, Value::from));
    m.insert("filters".into(), Value::Null);
    m
}

impl LzmaCodec {
    /// numcodecs' `LZMA()`: xz, CRC64, preset 6.
    pub fn new() -> Self {
        Self {
            name: NAME,
            format: LzmaFormat::Xz,
            raw_filters: None,
            configuration: Some(numcodecs_configuration(FORMAT_XZ, -1, None)),
        }
    }

    /// numcodecs' `LZMA(preset=preset)`: xz, CRC64.
    pub fn with_preset(preset: u32) -> Result<Self, PluginError> {
        let c = numcodecs_configuration(FORMAT_XZ, -1, Some(preset));
        check_preset(preset).map_err(|m| config_err(NAME, m))?;
        Self::from_configuration(NAME, Some(c))
    }

    /// The codec for a configuration in numcodecs' form (`format`, `check`, `preset`,
    /// `filters`; without `id`).
    pub fn from_configuration_map(configuration: Map<String, Value>) -> Result<Self, PluginError> {
        Self::from_configuration(NAME, Some(configuration))
    }

    /// The container format.
    pub fn format(&self) -> LzmaFormat {
        self.format
    }

    fn from_configuration(
        name: &'static str,
        configuration: Option<Map<String, Value>>,
    ) -> Result<Self, PluginError> {
        let empty = Map::new();
        let c = configuration.as_ref().unwrap_or(&empty);
        if let Some(k) = c
            .keys()
            .find(|k| !["format", "check", "preset", "filters"].contains(&k.as_str()))
        {
            return Err(config_err(
                name,
                format!("unknown member {k:?} (lzma takes format, check, preset, filters)"),
            ));
        }
        let format = match c.get("format") {
            None => LzmaFormat::Xz,
            Some(v) => v.as_i64().and_then(LzmaFormat::from_code).ok_or_else(|| {
                config_err(
                    name,
                    format!("format must be 0 (auto), 1 (xz), 2 (alone) or 3 (raw), got {v}"),
                )
            })?,
        };
        let raw_filters = if format == LzmaFormat::Raw {
            let specs = match c.get("filters") {
                None | Some(Value::Null) => {
                    return Err(config_err(
                        name,
                        "format 3 (raw) needs a filter chain (`filters`)",
                    ))
                }
                Some(v) => parse_filters(v).map_err(|m| config_err(name, m))?,
            };
            // The chain must make a decoder (liblzma checks ids, order and options).
            let filters = build_filters(&specs, Use::Decode(DICT_SIZE_MIN))
                .map_err(|m| config_err(name, m))?;
            Stream::new_raw_decoder(&filters).map_err(|e| {
                config_err(
                    name,
                    format!("liblzma cannot decode with this filter chain: {e:?}"),
                )
            })?;
            Some(specs)
        } else {
            None
        };
        Ok(Self {
            name,
            format,
            raw_filters,
            configuration,
        })
    }

    /// A new decoder for the stream at the start of `rest` (the caller makes a new one for
    /// each concatenated stream that follows).
    fn decoder(
        &self,
        rest: &[u8],
        bound: Option<u64>,
        options: &CodecOptions,
    ) -> Result<(Stream, u64), CodecError> {
        let memlimit = bound
            .unwrap_or(0)
            .max(PRESET_DICT_MAX)
            .saturating_add(DECODER_SLACK);
        let check_flag = if options.validate_checksums {
            0
        } else {
            liblzma::stream::IGNORE_CHECK
        };
        let xz =
            || Stream::new_stream_decoder(memlimit, liblzma::stream::CONCATENATED | check_flag);
        let made = match self.format {
            LzmaFormat::Xz => xz(),
            // An xz stream is decoded as with format 1 (concatenated streams and padding);
            // anything else by liblzma's detection (.lzma, .lz), one stream at a time as
            // Python does (its auto decoder refuses data after a .lzma stream when told
            // to decode concatenated streams).
            LzmaFormat::Auto if rest.starts_with(&XZ_MAGIC) => xz(),
            LzmaFormat::Auto => Stream::new_auto_decoder(memlimit, check_flag),
            LzmaFormat::Alone => Stream::new_lzma_decoder(memlimit),
            LzmaFormat::Raw => {
                let specs = self.raw_filters.as_deref().unwrap_or_default();
                let clamp = bound.map_or(u32::MAX, |b| {
                    u32::try_from(b).unwrap_or(u32::MAX).max(DICT_SIZE_MIN)
                });
                let filters = build_filters(specs, Use::Decode(clamp))
                    .map_err(|m| CodecError::new(NAME, m))?;
                Stream::new_raw_decoder(&filters)
            }
        };
        made.map(|s| (s, memlimit))
            .map_err(|e| stream_error(e, memlimit))
    }

    /// The encoder the configuration asks for, with Python's checks.
    fn encoder(&self) -> Result<Stream, CodecError> {
        let unsupported = |m: String| CodecError::unsupported(self.name, m);
        let empty = Map::new();
        let c = self.configuration.as_ref().unwrap_or(&empty);
        let check = match c.get("check") {
            None => -1,
            Some(v) => v
                .as_i64()
                .ok_or_else(|| unsupported(format!("check must be an integer, got {v}")))?,
        };
        let preset = match c.get("preset") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|p| u32::try_from(p).ok())
                    .ok_or_else(|| unsupported(format!("invalid preset {v}")))?,
            ),
        };
        let filters = match (self.format, &self.raw_filters, c.get("filters")) {
            (LzmaFormat::Raw, Some(f), _) => Some(f.clone()),
            (_, _, None | Some(Value::Null)) => None,
            (_, _, Some(v)) => Some(parse_filters(v).map_err(unsupported)?),
        };
        if self.format != LzmaFormat::Xz && check != -1 && check != 0 {
            return Err(unsupported(format!(
                "check {check}: integrity checks are only supported by format 1 (xz)"
            )));
        }
        if preset.is_some() && filters.is_some() {
            return Err(unsupported(
                "cannot give both a preset and a filter chain".into(),
            ));
        }
        if let Some(p) = preset {
            check_preset(p).map_err(unsupported)?;
        }
        let preset = preset.unwrap_or(PRESET_DEFAULT);
        let made = match self.format {
            LzmaFormat::Auto => {
                return Err(unsupported(
                    "format 0 (auto) can only decode; give format 1, 2 or 3 to encode".into(),
                ))
            }
            LzmaFormat::Xz => {
                let check = match check {
                    -1 | 4 => Check::Crc64,
                    0 => Check::None,
                    1 => Check::Crc32,
                    10 => Check::Sha256,
                    c => return Err(unsupported(format!("unsupported integrity check {c}"))),
                };
                match &filters {
                    Some(f) => {
                        let f = build_filters(f, Use::Encode).map_err(unsupported)?;
                        Stream::new_stream_encoder(&f, check)
                    }
                    None => Stream::new_easy_encoder(preset, check),
                }
            }
            LzmaFormat::Alone => {
                let opts = match filters.as_deref() {
                    None => LzmaOptions::new_preset(preset)
                        .map_err(|_| unsupported(format!("invalid preset {preset}")))?,
                    Some(
                        [FilterSpec::Lzma {
                            lzma2: false,
                            options,
                        }],
                    ) => lzma_options(options, Use::Encode).map_err(unsupported)?,
                    Some(_) => {
                        return Err(unsupported(
                            "format 2 (alone) takes a chain of exactly one LZMA1 filter".into(),
                        ))
                    }
                };
                Stream::new_lzma_encoder(&opts)
            }
            LzmaFormat::Raw => {
                let f = build_filters(filters.as_deref().unwrap_or_default(), Use::Encode)
                    .map_err(unsupported)?;
                Stream::new_raw_encoder(&f)
            }
        };
        made.map_err(|e| unsupported(format!("liblzma refuses these encoder options: {e:?}")))
    }
}

fn config_err(name: &str, message: impl std::fmt::Display) -> PluginError {
    PluginError::config(ExtensionKind::Codec, name, message)
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

fn check_preset(p: u32) -> Result<(), String> {
    if (p & !PRESET_EXTREME) > 9 {
        return Err(format!(
            "invalid preset {p}: a level 0 to 9, optionally OR'd with PRESET_EXTREME (0x80000000)"
        ));
    }
    Ok(())
}

fn stream_error(e: liblzma::stream::Error, memlimit: u64) -> CodecError {
    use liblzma::stream::Error as E;
    match e {
        E::MemLimit => CodecError::allocation(
            NAME,
            format!(
                "the stream needs more than {memlimit} bytes of decoder memory (a dictionary \
                 larger than both the chunk and the 64 MiB of the largest preset)"
            ),
        ),
        E::Mem => CodecError::allocation(NAME, "liblzma could not allocate its decoder"),
        E::Format => err("not a stream of the configured format (bad header or magic)"),
        E::Data => err("corrupt data (or a failed integrity check)"),
        E::Options => err("the stream uses options or filters liblzma does not support"),
        e => err(format!("liblzma error {e:?}")),
    }
}

/// What a filter chain is built for.
#[derive(Debug, Clone, Copy)]
enum Use {
    Encode,
    /// Decoding, with the dictionary clamped to this size.
    Decode(u32),
}

fn lzma_options(o: &LzmaFilterOptions, usage: Use) -> Result<LzmaOptions, String> {
    let preset = o.preset.unwrap_or(PRESET_DEFAULT);
    check_preset(preset)?;
    let mut opts =
        LzmaOptions::new_preset(preset).map_err(|_| format!("invalid preset {preset}"))?;
    match usage {
        Use::Decode(clamp) => {
            let dict = o.dict_size.unwrap_or_else(|| dict_size_of_preset(preset));
            opts.dict_size(dict.min(clamp));
        }
        Use::Encode => {
            if let Some(d) = o.dict_size {
                opts.dict_size(d);
            }
        }
    }
    if let Some(v) = o.lc {
        opts.literal_context_bits(v);
    }
    if let Some(v) = o.lp {
        opts.literal_position_bits(v);
    }
    if let Some(v) = o.pb {
        opts.position_bits(v);
    }
    // Decoders do not use the encoder's search parameters (Python passes them, liblzma
    // ignores them), so only encoding checks them.
    if let Use::Encode = usage {
        if let Some(m) = o.mode {
            opts.mode(match m {
                1 => Mode::Fast,
                2 => Mode::Normal,
                m => return Err(format!("invalid mode {m} (1 fast, 2 normal)")),
            });
        }
        if let Some(v) = o.nice_len {
            opts.nice_len(v);
        }
        if let Some(mf) = o.mf {
            opts.match_finder(match mf {
                0x03 => MatchFinder::HashChain3,
                0x04 => MatchFinder::HashChain4,
                0x12 => MatchFinder::BinaryTree2,
                0x13 => MatchFinder::BinaryTree3,
                0x14 => MatchFinder::BinaryTree4,
                m => return Err(format!("invalid match finder {m}")),
            });
        }
        if let Some(v) = o.depth {
            opts.depth(v);
        }
    }
    Ok(opts)
}

/// liblzma's dictionary size of a preset level (`lzma_lzma_preset`).
fn dict_size_of_preset(preset: u32) -> u32 {
    const DICT: [u32; 10] = [
        1 << 18,
        1 << 20,
        1 << 21,
        1 << 22,
        1 << 22,
        1 << 23,
        1 << 23,
        1 << 24,
        1 << 25,
        1 << 26,
    ];
    DICT.get((preset & !PRESET_EXTREME) as usize)
        .copied()
        .unwrap_or(1 << 23)
}

fn build_filters(specs: &[FilterSpec], usage: Use) -> Result<Filters, String> {
    let mut f = Filters::new();
    for s in specs {
        match s {
            FilterSpec::Lzma { lzma2, options } => {
                let o = lzma_options(options, usage)?;
                if *lzma2 {
                    f.lzma2(&o);
                } else {
                    f.lzma1(&o);
                }
            }
            FilterSpec::Delta { dist } => {
                if !(1..=256).contains(dist) {
                    return Err(format!("delta distance {dist} is not in 1..=256"));
                }
                // The filter's properties: one byte, distance - 1.
                f.delta_properties(&[(dist - 1) as u8])
                    .map_err(|e| format!("delta filter: {e:?}"))?;
            }
            FilterSpec::Bcj { id, start_offset } => {
                let props: &[u8] = &start_offset.to_le_bytes();
                let props = if *start_offset == 0 { &[][..] } else { props };
                let r = match *id {
                    FILTER_X86 => f.x86_properties(props),
                    FILTER_POWERPC => f.powerpc_properties(props),
                    FILTER_IA64 => f.ia64_properties(props),
                    FILTER_ARM => f.arm_properties(props),
                    FILTER_ARMTHUMB => f.arm_thumb_properties(props),
                    FILTER_SPARC => f.sparc_properties(props),
                    id => return Err(format!("invalid filter id {id}")),
                };
                r.map_err(|e| format!("filter {id}: {e:?}"))?;
            }
        }
    }
    Ok(f)
}

/// Parse a filter chain as Python's `lzma` module does (`parse_filter_spec`).
pub fn parse_filters(v: &Value) -> Result<Vec<FilterSpec>, String> {
    let list = v
        .as_array()
        .ok_or_else(|| format!("filters must be null or a list of filter objects, got {v}"))?;
    if list.len() > 4 {
        return Err(format!("{} filters: liblzma takes at most 4", list.len()));
    }
    list.iter()
        .enumerate()
        .map(|(i, f)| parse_filter(f).map_err(|m| format!("filters[{i}]: {m}")))
        .collect()
}

fn parse_filter(v: &Value) -> Result<FilterSpec, String> {
    let m = v
        .as_object()
        .ok_or_else(|| format!("a filter must be an object, got {v}"))?;
    let id = m
        .get("id")
        .ok_or("a filter needs an `id`")?
        .as_u64()
        .ok_or_else(|| format!("invalid filter id {}", m.get("id").unwrap_or(&Value::Null)))?;
    let allowed: &[&str] = match id {
        FILTER_LZMA1 | FILTER_LZMA2 => &[
            "id",
            "preset",
            "dict_size",
            "lc",
            "lp",
            "pb",
            "mode",
            "nice_len",
            "mf",
            "depth",
        ],
        FILTER_DELTA => &["id", "dist"],
        FILTER_X86 | FILTER_POWERPC | FILTER_IA64 | FILTER_ARM | FILTER_ARMTHUMB | FILTER_SPARC => {
            &["id", "start_offset"]
        }
        id => return Err(format!("invalid filter id {id}")),
    };
    if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("filter {id} takes no option {k:?}"));
    }
    let u32_of = |k: &str| -> Result<Option<u32>, String> {
        match m.get(k) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|x| u32::try_from(x).ok())
                .map(Some)
                .ok_or_else(|| format!("option {k:?} must be an unsigned 32-bit integer, got {v}")),
        }
    };
    Ok(match id {
        FILTER_LZMA1 | FILTER_LZMA2 => FilterSpec::Lzma {
            lzma2: id == FILTER_LZMA2,
            options: LzmaFilterOptions {
                preset: u32_of("preset")?,
                dict_size: u32_of("dict_size")?,
                lc: u32_of("lc")?,
                lp: u32_of("lp")?,
                pb: u32_of("pb")?,
                mode: u32_of("mode")?,
                nice_len: u32_of("nice_len")?,
                mf: u32_of("mf")?,
                depth: u32_of("depth")?,
            },
        },
        FILTER_DELTA => FilterSpec::Delta {
            dist: u32_of("dist")?.unwrap_or(1),
        },
        id => FilterSpec::Bcj {
            id,
            start_offset: u32_of("start_offset")?.unwrap_or(0),
        },
    })
}

/// An upper bound of the encoding of `n` bytes: LZMA2 stores incompressible data in
/// uncompressed chunks (3 bytes per 64 KiB), LZMA1 (alone, raw LZMA1) costs at most a few
/// bits per byte more than the data; plus the xz headers, index and check.
fn encoded_bound(n: u64) -> u64 {
    n.saturating_add(n / 3).saturating_add(4096)
}

/// Run `stream` over all of `input` (one call per output buffer growth).
fn encode_stream(mut stream: Stream, input: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut out: Vec<u8> = Vec::new();
    let first = usize::try_from(encoded_bound(input.len() as u64).min(1 << 20)).unwrap_or(1 << 20);
    out.try_reserve_exact(first)
        .map_err(|e| CodecError::allocation(NAME, format!("{first} bytes: {e}")))?;
    loop {
        if out.len() == out.capacity() {
            let more = out.capacity().max(4096);
            out.try_reserve(more)
                .map_err(|e| CodecError::allocation(NAME, format!("{more} more bytes: {e}")))?;
        }
        let consumed = usize::try_from(stream.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        let status = stream
            .process_vec(rest, &mut out, Action::Finish)
            .map_err(|e| err(format!("liblzma encoder error {e:?}")))?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
    }
}

impl CodecTraits for LzmaCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        self.configuration.clone()
    }

    fn configuration_v2(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(V2_ID));
        for (k, v) in self.configuration.iter().flatten() {
            m.insert(k.clone(), v.clone());
        }
        Some(m)
    }
}

impl BytesToBytesCodecTraits for LzmaCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded.bound() {
            Some(n) => BytesRepresentation::Bounded(encoded_bound(n)),
            None => BytesRepresentation::Unbounded,
        }
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        encode_stream(self.encoder()?, &input)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let bound = decoded.bound();
        let limit = bound.map_or(usize::MAX - 1, |b| {
            usize::try_from(b).unwrap_or(usize::MAX - 1)
        });
        let hard_cap = limit.saturating_add(1);
        let initial = match decoded {
            BytesRepresentation::Fixed(_) => hard_cap,
            _ => input
                .len()
                .saturating_mul(4)
                .clamp(4096, 1 << 24)
                .min(hard_cap),
        };
        let mut out: Vec<u8> = Vec::new();
        out.try_reserve_exact(initial)
            .map_err(|e| CodecError::allocation(NAME, format!("{initial} bytes: {e}")))?;
        let mut pos = 0usize;
        loop {
            let start = pos;
            let (mut stream, memlimit) =
                self.decoder(input.get(pos..).unwrap_or_default(), bound, options)?;
            loop {
                if out.len() == out.capacity() {
                    if out.len() >= hard_cap {
                        return Err(err(format!(
                            "the decoded data is larger than its bound of {limit} bytes"
                        )));
                    }
                    let target = out.capacity().saturating_mul(2).clamp(4096, hard_cap);
                    out.try_reserve_exact(target - out.len()).map_err(|e| {
                        CodecError::allocation(NAME, format!("{target} bytes: {e}"))
                    })?;
                }
                let rest = input.get(pos..).unwrap_or_default();
                let (in_before, out_before) = (stream.total_in(), out.len());
                let status = stream
                    .process_vec(rest, &mut out, Action::Finish)
                    .map_err(|e| stream_error(e, memlimit))?;
                pos =
                    start.saturating_add(usize::try_from(stream.total_in()).unwrap_or(usize::MAX));
                if status == Status::StreamEnd {
                    break;
                }
                let progressed = stream.total_in() != in_before || out.len() != out_before;
                if !progressed && out.len() < out.capacity() {
                    return Err(err(
                        "the data ends before the end of the stream (truncated?)",
                    ));
                }
            }
            if out.len() > limit {
                return Err(err(format!(
                    "the decoded data is larger than its bound of {limit} bytes"
                )));
            }
            if pos >= input.len() {
                break;
            }
            if pos == start {
                return Err(err(format!(
                    "{} bytes after the last stream are not a stream",
                    input.len() - pos
                )));
            }
        }
        if let BytesRepresentation::Fixed(n) = decoded {
            if out.len() as u64 != *n {
                return Err(CodecError::UnexpectedSize {
                    codec: self.name.into(),
                    expected: *n,
                    actual: out.len() as u64,
                });
            }
        }
        zarrkit_core::codec::shrink_encoded(&mut out);
        Ok(out.into())
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::BytesToBytes(Arc::new(
        LzmaCodec::from_configuration(name, metadata.configuration().cloned())?,
    )))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let mut c = config.clone();
    c.remove("id");
    Ok(Codec::BytesToBytes(Arc::new(
        LzmaCodec::from_configuration(NAME, Some(c))?,
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[V2_ID], create_v2)
}

#[cfg(test)]
mod tests;
