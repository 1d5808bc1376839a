//! The command-line model (clap derive). Completions and the man page are generated from it.
//!
//! Flag names follow zarrs_tools (`zarrs_reencode`, `zarrs_binary2zarr`, `zarrs_info`,
//! `zarrs_validate`, version 0.8.1) wherever it has the option, so scripts written for those
//! tools keep working with `zarrkit reencode` / `zarrkit binary2zarr`.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Zarr V3 and V2 arrays and groups from the command line: inspect, compare, re-encode and
/// create them on any store zarrkit has a plugin for.
///
/// Every URL argument is a filesystem path or a store URL (`file:///x.zarr`, and every
/// scheme a linked store plugin registers: see `zarrkit plugins`). Results go to stdout
/// (`--json` for JSON); errors and progress go to stderr. Errors exit with status 1 and one
/// line naming what failed (`validate`: 0 equal, 1 different, 2 error).
#[derive(Debug, Parser)]
#[command(
    name = "zarrkit",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Print results as JSON on stdout (one document).
    #[arg(long, global = true)]
    pub json: bool,

    /// Never show progress bars (they are shown on stderr only when it is a terminal).
    #[arg(long, global = true)]
    pub no_progress: bool,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Metadata of an array or group: as stored and as V3, shape, data type, fill value,
    /// dimension names, attributes, chunk grid and codecs (`--stats`: chunks present, stored
    /// bytes, compression ratio, value range and histogram).
    Info(InfoArgs),
    /// The hierarchy below a group (from its consolidated metadata when it has some).
    Tree(TreeArgs),
    /// Compare two arrays element by element, whatever their encodings: exit 0 when equal,
    /// 1 with the first differing element (C order), 2 on error.
    Validate(ValidateArgs),
    /// Re-encode an array into a new one: data type, fill value, chunk and shard shapes,
    /// codecs, key separator, dimension names, attributes, Zarr V2 or V3.
    Reencode(Box<ReencodeArgs>),
    /// Create an array from raw binary data (C order) read from stdin or a file.
    #[command(name = "binary2zarr")]
    Binary2zarr(Box<Binary2ZarrArgs>),
    /// Write an OME-Zarr multiscale pyramid (0.5 on Zarr V3, or 0.4 on Zarr V2) of an array:
    /// level 0 is the array re-encoded, each further level downsampled from the previous
    /// one (`gaussian`, `mean`, `mode` for labels, `nearest`). An output ending in `.ozx` is
    /// the single-file zip form (RFC-9).
    Ome(Box<OmeArgs>),
    /// Image filters (zarrs_filter's set), one per subcommand, or a JSON run configuration
    /// of several steps with named temporaries (`zarrkit filter run steps.json`).
    Filter(Box<FilterArgs>),
    /// Every registered codec, data type, chunk grid, chunk key encoding and store scheme,
    /// with aliases and Zarr V2 ids.
    Plugins(PluginsArgs),
    /// Create a small sample hierarchy (a group with a compressed and a sharded array) and
    /// show `tree`, `info --stats`, `reencode` and `validate` on it.
    Demo(DemoArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    Man(ManArgs),
}

/// How many chunks are processed at once.
#[derive(Debug, Clone, Args)]
pub struct ConcurrencyArgs {
    /// Number of chunks (or shards) processed concurrently: memory use is about this many
    /// chunks' worth. Default: the number of CPUs.
    #[arg(long, value_name = "N")]
    pub concurrent_chunks: Option<usize>,
}

/// `zarrkit info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The array or group: a path or store URL.
    pub url: String,
    /// The node inside the store (default: the store's root).
    #[arg(long, default_value = "/", value_name = "PATH")]
    pub node: String,
    /// Also read every chunk (in parallel, chunk by chunk): chunks present, stored bytes,
    /// compression ratio, value range, NaN count and a histogram.
    #[arg(long)]
    pub stats: bool,
    /// Histogram bins (with `--stats`).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub bins: usize,
    /// Histogram range `MIN,MAX` (with `--stats`; default: the value range, which costs a
    /// second pass over the chunks).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "MIN,MAX",
        allow_hyphen_values = true
    )]
    pub histogram_range: Option<Vec<f64>>,
    /// Skip checksum validation when decoding.
    #[arg(long)]
    pub ignore_checksums: bool,
    #[command(flatten)]
    pub concurrency: ConcurrencyArgs,
}

/// `zarrkit tree`.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// The group (or array): a path or store URL.
    pub url: String,
    /// The node inside the store (default: the store's root).
    #[arg(long, default_value = "/", value_name = "PATH")]
    pub node: String,
    /// Descend at most this many levels.
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,
}

/// `zarrkit validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The first array: a path or store URL.
    pub first: String,
    /// The second array: a path or store URL.
    pub second: String,
    /// Skip checksum validation when decoding.
    #[arg(long)]
    pub ignore_checksums: bool,
    #[command(flatten)]
    pub concurrency: ConcurrencyArgs,
    /// Accepted for zarrs_validate compatibility; the filesystem store has no direct I/O
    /// mode, so it is ignored.
    #[arg(long, hide = true)]
    pub direct_io: bool,
}

/// Zarr format of a new array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ZarrFormat {
    /// Zarr V2 (`.zarray`, `.zattrs`).
    #[value(name = "2")]
    V2,
    /// Zarr V3 (`zarr.json`).
    #[value(name = "3")]
    V3,
}

/// How values are converted when `--data-type` changes the data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum CastMode {
    /// Rust's `as` casts, as zarrs_reencode converts: integer to narrower integer keeps the
    /// low bits (wraps); float to integer rounds toward zero and saturates, NaN becomes 0;
    /// to a float rounds to nearest (ties to even; out of range becomes infinity);
    /// float16/bfloat16 from integers go through float32.
    #[default]
    As,
    /// Saturating: integers out of range become the target's minimum or maximum; floats to
    /// integers round to nearest (ties to even) then saturate; NaN to an integer is an
    /// error; to a float as `as`.
    Clamp,
    /// Every value must be representable exactly in the new type (integers in range, floats
    /// integral when going to integers, floats without rounding when narrowing); otherwise
    /// the command fails naming the first element that is not.
    Exact,
}

/// The options that describe the encoding of a new array (shared by `reencode` and
/// `binary2zarr`; names as zarrs_tools').
#[derive(Debug, Clone, Args, Default)]
pub struct EncodingArgs {
    /// Fill value as JSON (a bare word that is not JSON is taken as a string, so `NaN`
    /// works as `"NaN"`). Examples: `0`, `-1`, `0.5`, `NaN`, `Infinity`, `"0x7fc00000"`,
    /// `true`. Default: the input's, converted to a new data type by `--cast-mode`.
    #[arg(short, long, allow_hyphen_values = true, value_name = "JSON")]
    pub fill_value: Option<String>,

    /// Chunk key separator, `.` or `/`.
    #[arg(long, value_name = "CHAR")]
    pub separator: Option<char>,

    /// Chunk shape (with `--shard-shape`: the inner chunk shape), comma separated; 0 means
    /// the whole dimension.
    #[arg(
        short,
        long,
        value_delimiter = ',',
        visible_alias = "inner-chunk-shape",
        value_name = "N,N,..."
    )]
    pub chunk_shape: Option<Vec<u64>>,

    /// Shard shape, comma separated (0: the whole dimension): the array is written with the
    /// `sharding_indexed` codec holding chunks of `--chunk-shape` (its index: `bytes` +
    /// `crc32c`, at the end, as zarrs_reencode writes it). Rounded up to a multiple of the
    /// chunk shape.
    #[arg(short, long, value_delimiter = ',', value_name = "N,N,...")]
    pub shard_shape: Option<Vec<u64>>,

    /// Array→array codecs: a JSON list of codec metadata, or presets (see
    /// `--bytes-to-bytes-codecs`). Example: `'[{"name":"transpose","configuration":{"order":[1,0]}}]'`,
    /// `transpose:[1,0]`, `bitround:9`.
    #[arg(long, value_name = "JSON|PRESETS")]
    pub array_to_array_codecs: Option<String>,

    /// The array→bytes codec: JSON codec metadata or a preset. Examples:
    /// `'{"name":"bytes","configuration":{"endian":"big"}}'`, `bytes:big`, `pcodec:8`.
    #[arg(long, value_name = "JSON|PRESET")]
    pub array_to_bytes_codec: Option<String>,

    /// Bytes→bytes codecs: a JSON list of codec metadata, or comma-separated presets
    /// (`[]` or `none` for none). Presets: `zstd[:LEVEL[:checksum]]`,
    /// `blosc[:CNAME[:CLEVEL[:SHUFFLE[:BLOCKSIZE]]]]` (e.g. `blosc:lz4:5:shuffle`; typesize is
    /// the data type's size), `gzip[:LEVEL]`, `zlib[:LEVEL]`, `bz2[:LEVEL]`,
    /// `lz4[:ACCELERATION]`, `crc32c`, and `NAME` or `NAME:{JSON configuration}` for any
    /// registered codec.
    #[arg(long, value_name = "JSON|PRESETS")]
    pub bytes_to_bytes_codecs: Option<String>,

    /// Dimension names, comma separated (an empty name is an unnamed dimension).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub dimension_names: Option<Vec<String>>,

    /// Attributes: a JSON object replacing the input's.
    #[arg(long, value_name = "JSON")]
    pub attributes: Option<String>,

    /// Attributes to add: a JSON object merged into the attributes (its members replace
    /// members of the same name).
    #[arg(long, value_name = "JSON")]
    pub attributes_append: Option<String>,

    /// The Zarr format of the new array. Default: 3 (as zarrs_reencode writes).
    #[arg(long, value_enum, value_name = "2|3")]
    pub zarr_format: Option<ZarrFormat>,
}

/// `zarrkit reencode`.
#[derive(Debug, Args)]
#[command(after_long_help = REENCODE_NOTES)]
pub struct ReencodeArgs {
    /// The input array: a path or store URL.
    pub path_in: String,
    /// The output array: a path or store URL (must hold no keys, unless `--overwrite`).
    pub path_out: String,

    /// The new data type: a name (`float32`, `uint8`, ...) or JSON metadata
    /// (`{"name": ..., "configuration": ...}`). Values are converted by `--cast-mode`.
    #[arg(short, long, value_name = "NAME|JSON")]
    pub data_type: Option<String>,

    /// How values are converted to a new data type (and the fill value, unless given).
    #[arg(long, value_enum, default_value_t = CastMode::As)]
    pub cast_mode: CastMode,

    #[command(flatten)]
    pub encoding: EncodingArgs,

    /// Ignore the input's sharding: its inner chunks become the chunks (unless
    /// `--chunk-shape`/`--shard-shape` say otherwise).
    #[arg(long)]
    pub ignore_input_sharding: bool,

    #[command(flatten)]
    pub concurrency: ConcurrencyArgs,

    /// Threads for reads of uncompressed chunks straight into memory (store I/O).
    #[arg(long, value_name = "N")]
    pub io_concurrency: Option<usize>,

    /// Skip checksum validation (crc32c, zstd, ...) when decoding the input.
    #[arg(long)]
    pub ignore_checksums: bool,

    /// Compare the output with the input afterwards (element by element, chunk by chunk);
    /// a difference is an error.
    #[arg(long)]
    pub validate: bool,

    /// Print the input and output metadata on stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// A cache of decoded input chunks of at most this many bytes (helps when output chunks
    /// cut across input chunks).
    #[arg(long, value_name = "BYTES")]
    pub cache_size: Option<u64>,
    /// A cache of at most this many decoded input chunks.
    #[arg(long, value_name = "N")]
    pub cache_chunks: Option<u64>,
    /// As `--cache-size`, per thread (the cache is shared: this times the thread count).
    #[arg(long, value_name = "BYTES")]
    pub cache_size_thread: Option<u64>,
    /// As `--cache-chunks`, per thread (the cache is shared: this times the thread count).
    #[arg(long, value_name = "N")]
    pub cache_chunks_thread: Option<u64>,

    /// Write shape, comma separated: a sharded output's shards are written in pieces of
    /// this shape (each piece read, then written into its shard, re-encoding only the inner
    /// chunks it touches), so a shard need not fit in memory. Default: whole shards.
    /// Ignored for unsharded output. Make it a multiple of the chunk shape.
    #[arg(long, value_delimiter = ',', value_name = "N,N,...")]
    pub write_shape: Option<Vec<u64>>,

    /// The order of the inner chunks inside each shard written (a layout choice, not
    /// metadata: any reader reads any order): `lexicographic` (C order, as zarrs and
    /// tensorstore write), `colexicographic` (Fortran order) or `morton` (Z-order, as
    /// zarr-python 3.4 writes by default: neighbouring inner chunks stay close in the file).
    #[arg(
        long,
        default_value = "lexicographic",
        value_parser = PossibleValuesParser::new(["lexicographic", "colexicographic", "morton"])
            .try_map(|s| s.parse::<zarrkit::SubchunkWriteOrder>()),
    )]
    pub subchunk_write_order: zarrkit::SubchunkWriteOrder,

    /// Erase everything under the output first (otherwise a non-empty output is an error).
    #[arg(long)]
    pub overwrite: bool,

    /// Accepted for zarrs_reencode compatibility; ignored (no direct I/O mode).
    #[arg(long, hide = true)]
    pub direct_io: bool,
}

/// Notes printed after `zarrkit reencode --help`.
pub const REENCODE_NOTES: &str = "\
Defaults come from the input: anything not given keeps the input's value (a V2 input's
filters and compressor become the equivalent V3 codecs). Chunks are read and written one
output chunk (shard) at a time, --concurrent-chunks at once: memory stays near that many
chunks' worth whatever the array's size. The output's metadata is written after its chunks.

Casting (--data-type with --cast-mode): bool, int8-64, uint8-64, float16, bfloat16,
float32 and float64 convert into each other; other data types can only be kept. To bool:
non-zero is true. From bool: 0 or 1. See --cast-mode for the rules.

Zarr V2 output: dimension names are written as the xarray attribute _ARRAY_DIMENSIONS, and
read back from it when a V2 input becomes V3. Sharding, the default key encoding and
codecs without a numcodecs form cannot be V2 (a clear error says which).";

/// `zarrkit binary2zarr`.
#[derive(Debug, Args)]
pub struct Binary2ZarrArgs {
    /// The output array: a path or store URL (must hold no keys, unless `--overwrite`).
    pub out: String,

    /// The input file (`-`: stdin). The bytes are the array's elements in C order.
    #[arg(short, long, default_value = "-", value_name = "FILE")]
    pub input: String,

    /// The data type: a name (`uint16`, `float32`, ...) or JSON metadata. Fixed-size types
    /// only.
    #[arg(short, long, value_name = "NAME|JSON")]
    pub data_type: String,

    /// Array shape, comma separated.
    #[arg(
        short,
        long,
        value_delimiter = ',',
        required = true,
        value_name = "N,N,..."
    )]
    pub array_shape: Vec<u64>,

    /// The byte order of the input (default: this machine's).
    #[arg(long, value_enum, value_name = "little|big")]
    pub endianness: Option<Endianness>,

    #[command(flatten)]
    pub encoding: EncodingArgs,

    #[command(flatten)]
    pub concurrency: ConcurrencyArgs,

    /// Erase everything under the output first (otherwise a non-empty output is an error).
    #[arg(long)]
    pub overwrite: bool,

    /// Accepted for zarrs_binary2zarr compatibility; ignored (no direct I/O mode).
    #[arg(long, hide = true)]
    pub direct_io: bool,
}

/// A byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Endianness {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

/// `zarrkit plugins`.
#[derive(Debug, Args)]
pub struct PluginsArgs {}

/// `zarrkit demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create `demo.zarr` (default: a new directory under the system's temporary
    /// directory, kept afterwards).
    pub dir: Option<PathBuf>,
    /// Replace an existing `demo.zarr` (and `demo-v2.zarr`) in DIR.
    #[arg(long)]
    pub overwrite: bool,
}

/// `zarrkit completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `zarrkit man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `zarrkit.1` and one `zarrkit-<command>.1` per command into this directory
    /// instead of printing `zarrkit.1`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// What to do when the output of `ome` or `filter` exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Exists {
    /// Fail with an error naming the output (the default; zarrs_tools erases).
    #[default]
    #[value(alias = "exit")]
    Fail,
    /// Erase everything under the output first (zarrs_tools' default).
    Erase,
    /// Write over it: keys that are not rewritten stay.
    Overwrite,
}

/// An OME-Zarr version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OmeZarrVersion {
    /// OME-Zarr 0.4: Zarr V2 (`.zattrs`), for readers that only know Zarr V2.
    #[value(name = "0.4")]
    V0_4,
    /// OME-Zarr 0.5: Zarr V3 (`zarr.json`).
    #[default]
    #[value(name = "0.5")]
    V0_5,
}

/// A downsampling method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OmeMethod {
    /// Gaussian smoothing (σ = factor / 2 unless `--gaussian-sigma`), then block means.
    Gaussian,
    /// Block means.
    Mean,
    /// The most frequent value of each block (label images; integer and bool types).
    Mode,
    /// The first element of each block.
    Nearest,
}

/// How level extents are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OmeRounding {
    /// `ceil(n / f)`: every element is in a block (the last may be partial).
    #[default]
    Ceil,
    /// `max(floor(n / f), 1)`: a last partial block is dropped (as zarrs_ome).
    Floor,
}

/// `zarrkit ome`.
#[derive(Debug, Args)]
#[command(after_long_help = OME_NOTES)]
pub struct OmeArgs {
    /// The input array: a path or store URL.
    pub input: String,
    /// The output group: a path or store URL, or a path ending in `.ozx` (a zip file,
    /// OME-Zarr 0.5 only).
    pub output: String,
    /// The downsample factor per axis, comma separated (default: 2 on space axes, 1 on
    /// the others; channel axes are never downsampled).
    #[arg(value_delimiter = ',', num_args = 1, value_name = "F,F,...")]
    pub downsample_factor: Option<Vec<u64>>,

    /// The OME-Zarr version.
    #[arg(long, value_enum, default_value = "0.5")]
    pub ome_zarr_version: OmeZarrVersion,
    /// The downsampling method (default: `mode` with `--discrete` or `--label`, `gaussian`
    /// with `--gaussian-sigma`, else `mean`).
    #[arg(long, value_enum)]
    pub method: Option<OmeMethod>,
    /// Discrete data: `mode` downsampling (zarrs_ome's flag).
    #[arg(long)]
    pub discrete: bool,
    /// Write a label image (`image-label` metadata; `mode` downsampling by default).
    #[arg(long)]
    pub label: bool,
    /// The most levels after level 0.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_levels: usize,
    /// Stop once no downsampled axis of the last level is longer than this.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub stop_size: u64,
    /// How level extents are rounded.
    #[arg(long, value_enum, default_value = "ceil")]
    pub rounding: OmeRounding,
    /// The physical size of a level-0 element per axis, comma separated (default 1).
    #[arg(long, value_delimiter = ',', value_name = "S,S,...")]
    pub physical_size: Option<Vec<f64>>,
    /// Units per axis, comma separated (`micrometer`, `second`, ...; empty: none;
    /// `channel` makes a channel axis).
    #[arg(long, value_delimiter = ',', value_name = "UNIT,...")]
    pub physical_units: Option<Vec<String>>,
    /// Axis names, comma separated (default: the input's dimension names, else
    /// `[t,][c,][z,]y,x`).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub axis_names: Option<Vec<String>>,
    /// Axis types, comma separated (`space`, `time`, `channel`, another word, or empty
    /// for none; default: from the names and units).
    #[arg(long, value_delimiter = ',', value_name = "TYPE,...")]
    pub axis_types: Option<Vec<String>>,
    /// The multiscale's name.
    #[arg(long)]
    pub name: Option<String>,
    /// Gaussian σ per axis, comma separated (default: factor / 2 on downsampled axes).
    #[arg(long, value_delimiter = ',', value_name = "S,S,...")]
    pub gaussian_sigma: Option<Vec<f64>>,
    /// The Gaussian kernel radius is `floor(truncate · σ + 0.5)` (scipy.ndimage's).
    #[arg(long, default_value_t = 4.0, value_name = "T")]
    pub gaussian_truncate: f64,
    /// The Gaussian kernel half size per axis (zarrs_ome's flag): sets the truncation so
    /// that each axis's radius is this (one truncation must fit every axis).
    #[arg(long, value_delimiter = ',', value_name = "N,N,...")]
    pub gaussian_kernel_half_size: Option<Vec<u64>>,
    /// Do not write the block-centre translations of downsampled levels.
    #[arg(long)]
    pub no_translation: bool,
    /// Group attributes to add (a JSON object).
    #[arg(long, value_name = "JSON")]
    pub group_attributes: Option<String>,
    /// An `omero` block to write (JSON).
    #[arg(long, value_name = "JSON")]
    pub omero: Option<String>,
    /// What to do when the output exists.
    #[arg(long, value_enum, default_value = "fail")]
    pub exists: Exists,

    /// The data type of every level (values converted as Rust's `as`).
    #[arg(short, long, value_name = "NAME")]
    pub data_type: Option<String>,
    #[command(flatten)]
    pub encoding: EncodingArgs,
    /// The most chunks processed at once (default: the CPU count).
    #[arg(long, visible_alias = "concurrent-chunks", value_name = "N")]
    pub chunk_limit: Option<usize>,
}

/// Notes printed after `zarrkit ome --help`.
pub const OME_NOTES: &str = "\
Level l+1 has extent ceil(n / f) (floor with --rounding floor) along an axis of extent n and
factor f; its element o covers the block [o*f, min(o*f + f, n)) of level l. mean: the block's
mean in f64; gaussian: a separable normalised Gaussian (edges replicated, as
scipy.ndimage.gaussian_filter(mode=\"nearest\")) then block means; mode: the most frequent
value, ties to the smallest; nearest: the block's first element. Integer results are rounded
half to even and saturate. Levels are written chunk by chunk in parallel (--chunk-limit), the
group's metadata last. The encoding flags (--chunk-shape, --shard-shape, codecs) apply to
every level (chunk shapes capped to each level's shape).";

/// The options every filter subcommand takes besides its parameters.
#[derive(Debug, Clone, Args)]
pub struct FilterCommon {
    /// The output data type (values converted as Rust's `as`; default: the filter's, else
    /// the input's).
    #[arg(short, long, value_name = "NAME")]
    pub data_type: Option<String>,
    #[command(flatten)]
    pub encoding: EncodingArgs,
    /// The most chunks processed at once (default: the CPU count).
    #[arg(long, visible_alias = "concurrent-chunks", value_name = "N")]
    pub chunk_limit: Option<usize>,
    /// What to do when the output exists.
    #[arg(long, value_enum, default_value = "fail")]
    pub exists: Exists,
}

/// The input and output of a filter.
#[derive(Debug, Clone, Args)]
pub struct FilterIo {
    /// The input array: a path or store URL.
    pub input: String,
    /// The output array: a path or store URL.
    pub output: String,
}

/// `zarrkit filter`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// The filter.
    #[command(subcommand)]
    pub filter: FilterCommand,
}

/// The filters (zarrs_filter's subcommands and arguments).
#[derive(Debug, Subcommand)]
pub enum FilterCommand {
    /// Re-encode an array (another data type, chunking or codecs).
    Reencode(FilterPlain),
    /// Crop: the region OFFSET + SHAPE of the input.
    Crop(FilterCrop),
    /// Rescale: `x * MULTIPLY + ADD` (in f64, fused), or `(x + ADD) * MULTIPLY`.
    Rescale(FilterRescale),
    /// Clamp values to [MIN, MAX].
    Clamp(FilterClamp),
    /// A boolean image: `x == VALUE`.
    Equal(FilterEqual),
    /// Downsample by STRIDE per axis: block means, or block modes with `--discrete`.
    Downsample(FilterDownsample),
    /// The gradient magnitude (Sobel), float32.
    #[command(alias = "gradient_magnitude")]
    GradientMagnitude(FilterPlain),
    /// A separable sampled Gaussian of SIGMA with KERNEL_HALF_SIZE per axis, float32.
    Gaussian(FilterGaussian),
    /// The summed area table (integral image).
    #[command(alias = "summed_area_table")]
    SummedAreaTable(FilterPlain),
    /// A self-guided (edge-preserving) filter of EPSILON and RADIUS, float32.
    #[command(alias = "guided_filter")]
    GuidedFilter(FilterGuided),
    /// Replace VALUE by REPLACE.
    #[command(alias = "replace_value")]
    ReplaceValue(FilterReplace),
    /// Run a JSON run configuration: a list of steps `{"filter": NAME, PARAMETERS...,
    /// "input": URL|$name, "output": URL|$name, ENCODING...}` (`$name`: a temporary).
    Run(FilterRun),
}

/// A filter without parameters.
#[derive(Debug, Clone, Args)]
pub struct FilterPlain {
    #[command(flatten)]
    pub io: FilterIo,
    #[command(flatten)]
    pub common: FilterCommon,
}

/// `filter crop`.
#[derive(Debug, Clone, Args)]
pub struct FilterCrop {
    #[command(flatten)]
    pub io: FilterIo,
    /// The crop's offset, comma separated.
    #[arg(
        value_delimiter = ',',
        num_args = 1,
        required = true,
        value_name = "OFFSET"
    )]
    pub offset: Vec<u64>,
    /// The crop's shape, comma separated.
    #[arg(
        value_delimiter = ',',
        num_args = 1,
        required = true,
        value_name = "SHAPE"
    )]
    pub shape: Vec<u64>,
    #[command(flatten)]
    pub common: FilterCommon,
}

/// `filter rescale`.
#[derive(Debug, Clone, Args)]
pub struct FilterRescale {
    #[command(flatten)]
    pub io: FilterIo,
    /// The multiplier.
    #[arg(allow_hyphen_values = true)]
    pub multiply: f64,
    /// The addend.
    #[arg(allow_hyphen_values = true)]
    pub add: f64,
    /// Add before multiplying.
    #[arg(long)]
    pub add_first: bool,
    #[command(flatten)]
    pub common: FilterCommon,
}

/// `filter clamp`.
#[derive(Debug, Clone, Args)]
pub struct FilterClamp {
    #[command(flatten)]
    pub io: FilterIo,
    /// The minimum.
    #[arg(allow_hyphen_values = true)]
    pub min: f64,
    /// The maximum.
    #[arg(allow_hyphen_values = true)]
    pub max: f64,
    #[command(flatten)]
    pub common: FilterCommon,
}

/// `filter equal`.
#[derive(Debug, Clone, Args)]
pub struct FilterEqual {
    #[command(flatten)]
    pub io: FilterIo,
    /// The value (JSON, as a fill value: `3`, `0.5`, `NaN`, `true`).
    #[arg(allow_hyphen_values = true)]
    pub value: String,
    #[command(flatten)]
    pub common: FilterCommon,
}

/// `filter downsample`.
#[derive(Debug, Clone, Args)]
pub struct FilterDownsample {
    #[command(flatten)]
    pub io: FilterIo,
    /// The stride per axis, comma separated.
    #[arg(
        value_delimiter = ',',
        num_args = 1,
        required = true,
        value_name = "STRIDE"
    )]
    pub stride: Vec<u64>,
    /// Discrete data: the mode of each block instead of its mean.
    #[arg(long)]
    pub discrete: bool,
    #[command(flatten)]
    pub common: FilterCommon,
}

/// `filter gaussian`.
#[derive(Debug, Clone, Args)]
pub struct FilterGaussian {
    #[command(flatten)]
    pub io: FilterIo,
    /// σ per axis, comma separated.
    #[arg(
        value_delimiter = ',',
        num_args = 1,
        required = true,
        value_name = "SIGMA"
    )]
    pub sigma: Vec<f32>,
    /// The kernel half size per axis, comma separated (the kernel is 2 × half + 1 long).
    #[arg(
        value_delimiter = ',',
        num_args = 1,
        required = true,
        value_name = "KERNEL_HALF_SIZE"
    )]
    pub kernel_half_size: Vec<u64>,
    #[command(flatten)]
    pub common: FilterCommon,
}

/// `filter guided-filter`.
#[derive(Debug, Clone, Args)]
pub struct FilterGuided {
    #[command(flatten)]
    pub io: FilterIo,
    /// The regularisation ε.
    pub epsilon: f32,
    /// The window radius.
    pub radius: u8,
    #[command(flatten)]
    pub common: FilterCommon,
}

/// `filter replace-value`.
#[derive(Debug, Clone, Args)]
pub struct FilterReplace {
    #[command(flatten)]
    pub io: FilterIo,
    /// The value to replace (JSON, as a fill value).
    #[arg(allow_hyphen_values = true)]
    pub value: String,
    /// The replacement (JSON, as a fill value of the output's data type).
    #[arg(allow_hyphen_values = true)]
    pub replace: String,
    #[command(flatten)]
    pub common: FilterCommon,
}

/// `filter run`.
#[derive(Debug, Clone, Args)]
pub struct FilterRun {
    /// The run configuration: a JSON file, or `-` for stdin.
    pub config: String,
    /// The directory for temporaries (default: the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    pub tmp: Option<PathBuf>,
    /// The most chunks processed at once, for steps without their own `chunk_limit`.
    #[arg(long, visible_alias = "concurrent-chunks", value_name = "N")]
    pub chunk_limit: Option<usize>,
    /// What to do when an output (not a temporary) exists.
    #[arg(long, value_enum, default_value = "fail")]
    pub exists: Exists,
}
