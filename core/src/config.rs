//! Global configuration and per-call codec options.

use parking_lot::RwLock;

/// Options that control encoding and decoding of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecOptions {
    /// How many threads an operation aims to keep busy (split between chunks and codecs).
    pub concurrent_target: usize,
    /// Verify checksums (crc32c, zstd content checksums, ...) when decoding.
    pub validate_checksums: bool,
    /// Store chunks whose elements all equal the fill value (otherwise they are erased).
    pub store_empty_chunks: bool,
    /// The most bytes a bytes→bytes codec may produce when the decoded size is not known
    /// from the chunk shape (variable-size data such as strings): a decompression bomb
    /// stops here with an error instead of exhausting memory.
    pub max_unbounded_decoded_bytes: u64,
    /// How many threads a multi-chunk read of an uncompressed array (whose chunks are read
    /// straight into the output, see `ArrayToBytesCodecTraits::is_identity`) uses: such reads
    /// wait on the store rather than compute, and a disk or a network serves several
    /// requests in flight faster than one per core.
    pub io_concurrency: usize,
    /// The most bytes one request may allocate for its output and bookkeeping (decoded
    /// elements, variable-size offsets): a shape in metadata that asks for more is an error
    /// before anything is allocated, never an abort.
    pub max_request_bytes: u64,
    /// Read a chunk that is not stored as the fill value (the Zarr default). Off, reading
    /// one is an [`crate::error::ArrayError::MissingChunk`] error naming its key — for data
    /// where a missing chunk means a failed or unfinished write, as zarr-python's
    /// `read_missing_chunks=False`. Chunks inside a shard that the shard's index marks
    /// empty are part of a stored shard and read as the fill value either way.
    pub fill_missing_chunks: bool,
    /// The order in which a sharding codec lays out the inner chunks of a shard it writes
    /// (the index is in C order either way; readers follow it and need no setting).
    pub subchunk_write_order: SubchunkWriteOrder,
}

/// The physical order of the inner chunks in a shard's data section: a write-time choice that
/// is not part of the metadata (zarr-python 3.4's `ShardingCodec(subchunk_write_order=)`).
/// Morton order keeps inner chunks that are near each other in the array near each other in
/// the shard, so a box-shaped partial read needs fewer, longer byte ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SubchunkWriteOrder {
    /// C order of the inner chunk grid (the last dimension varies fastest), as zarrs and
    /// tensorstore write; zarr-python's `lexicographic` and `unordered`.
    #[default]
    Lexicographic,
    /// Fortran order (the first dimension varies fastest).
    Colexicographic,
    /// Compressed Morton (Z-order) code over the inner chunk grid, as zarr-python writes by
    /// default and Neuroglancer defines it.
    Morton,
}

impl std::str::FromStr for SubchunkWriteOrder {
    type Err = String;
    /// zarr-python's names: `lexicographic`, `unordered` (written lexicographically),
    /// `colexicographic`, `morton`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lexicographic" | "unordered" => Ok(Self::Lexicographic),
            "colexicographic" => Ok(Self::Colexicographic),
            "morton" => Ok(Self::Morton),
            _ => Err(format!(
                "unknown subchunk write order {s:?} (expected lexicographic, colexicographic, \
                 morton or unordered)"
            )),
        }
    }
}

impl Default for CodecOptions {
    fn default() -> Self {
        let c = global_config();
        Self {
            concurrent_target: c.codec_concurrent_target,
            validate_checksums: c.validate_checksums,
            store_empty_chunks: c.store_empty_chunks,
            max_unbounded_decoded_bytes: c.max_unbounded_decoded_bytes,
            io_concurrency: c.io_concurrency,
            max_request_bytes: c.max_request_bytes,
            fill_missing_chunks: c.fill_missing_chunks,
            subchunk_write_order: c.subchunk_write_order,
        }
    }
}

impl CodecOptions {
    /// These options with another concurrency target.
    pub fn with_concurrent_target(mut self, n: usize) -> Self {
        self.concurrent_target = n.max(1);
        self
    }
    /// These options with another number of I/O threads (see
    /// [`CodecOptions::io_concurrency`]).
    pub fn with_io_concurrency(mut self, n: usize) -> Self {
        self.io_concurrency = n.max(1);
        self
    }
    /// These options with missing chunks read as the fill value (`true`) or an error
    /// (see [`CodecOptions::fill_missing_chunks`]).
    pub fn with_fill_missing_chunks(mut self, fill: bool) -> Self {
        self.fill_missing_chunks = fill;
        self
    }
    /// These options with checksum validation on or off.
    pub fn with_validate_checksums(mut self, v: bool) -> Self {
        self.validate_checksums = v;
        self
    }
    /// These options with another per-request memory limit (see
    /// [`CodecOptions::max_request_bytes`]).
    pub fn with_max_request_bytes(mut self, n: u64) -> Self {
        self.max_request_bytes = n;
        self
    }

    /// Check a request for `elements` elements of `element_bytes` bytes each (0: a
    /// variable-size type, counted by its offsets) against the memory limit.
    pub fn check_request(
        &self,
        elements: u64,
        element_bytes: u64,
    ) -> Result<(), crate::error::ArrayError> {
        let per = if element_bytes == 0 {
            std::mem::size_of::<usize>() as u64
        } else {
            element_bytes
        };
        let bytes = u128::from(elements) * u128::from(per);
        if bytes > u128::from(self.max_request_bytes) || usize::try_from(bytes).is_err() {
            return Err(crate::error::ArrayError::TooLarge(bytes));
        }
        Ok(())
    }

    /// These options with storing of fill-value chunks on or off.
    pub fn with_store_empty_chunks(mut self, v: bool) -> Self {
        self.store_empty_chunks = v;
        self
    }
    /// These options with another [`CodecOptions::subchunk_write_order`].
    pub fn with_subchunk_write_order(mut self, order: SubchunkWriteOrder) -> Self {
        self.subchunk_write_order = order;
        self
    }
}

/// Process-wide defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Default [`CodecOptions::concurrent_target`] (default: the number of CPUs).
    pub codec_concurrent_target: usize,
    /// Default [`CodecOptions::validate_checksums`] (default: true).
    pub validate_checksums: bool,
    /// Default [`CodecOptions::store_empty_chunks`] (default: false).
    pub store_empty_chunks: bool,
    /// Default [`CodecOptions::max_unbounded_decoded_bytes`] (default: 1 GiB).
    pub max_unbounded_decoded_bytes: u64,
    /// Default [`CodecOptions::io_concurrency`] (default: 8, or the `ZARRKIT_IO_CONCURRENCY`
    /// environment variable as it was at the first use of the defaults).
    pub io_concurrency: usize,
    /// The bound of each array's partial-decoder cache (decoded shard indexes, tagged with
    /// the version of the shard they came from), in bytes; 0 turns it off (default: 64 MiB).
    pub partial_decoder_cache_bytes: u64,
    /// Default [`CodecOptions::max_request_bytes`] (default: the memory this process may use
    /// — the cgroup limit or the physical memory, on Linux — or the
    /// `ZARRKIT_MAX_REQUEST_BYTES` environment variable; elsewhere no limit beyond what the
    /// platform can address). Every allocation sized by metadata or stored bytes is fallible
    /// either way.
    pub max_request_bytes: u64,
    /// Default [`CodecOptions::fill_missing_chunks`] (default: true).
    pub fill_missing_chunks: bool,
    /// Default [`CodecOptions::subchunk_write_order`] (default: lexicographic).
    pub subchunk_write_order: SubchunkWriteOrder,
    /// How groups use consolidated metadata when they are opened (default:
    /// [`ConsolidatedMetadata::Auto`]).
    pub consolidated_metadata: ConsolidatedMetadata,
}

/// Whether opening a group uses its consolidated metadata (V3 inline
/// `consolidated_metadata`, V2 `.zmetadata`) for its descendants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsolidatedMetadata {
    /// Use it if the group has it: children are listed and opened from it without reading
    /// the store; a node it does not list is looked up in the store.
    #[default]
    Auto,
    /// Require it: opening a group without it is an error, and a node it does not list is
    /// not found (the store is never listed or read for descendants' metadata).
    Must,
    /// Ignore it: always list and read the store.
    Never,
}

/// The defaults, worked out once: the CPU count reads cgroup files and the environment is
/// behind a lock, and every call that takes default options (each `retrieve_*`/`store_*`)
/// would pay for both.
fn defaults() -> &'static Config {
    static DEFAULTS: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(|| Config {
        codec_concurrent_target: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        validate_checksums: true,
        store_empty_chunks: false,
        max_unbounded_decoded_bytes: 1 << 30,
        io_concurrency: std::env::var("ZARRKIT_IO_CONCURRENCY")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(8),
        partial_decoder_cache_bytes: 64 << 20,
        max_request_bytes: std::env::var("ZARRKIT_MAX_REQUEST_BYTES")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .or_else(memory_limit)
            .unwrap_or(u64::MAX),
        fill_missing_chunks: true,
        subchunk_write_order: SubchunkWriteOrder::Lexicographic,
        consolidated_metadata: ConsolidatedMetadata::Auto,
    })
}

/// The memory this process may use: the cgroup (v2 `memory.max`, v1 `limit_in_bytes`) limit
/// or the physical memory (`MemTotal`), whichever is smaller; `None` where neither is known.
fn memory_limit() -> Option<u64> {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let cgroup = read("/sys/fs/cgroup/memory.max")
        .or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
        .and_then(|s| s.trim().parse::<u64>().ok());
    let total = read("/proc/meminfo").and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib.saturating_mul(1024))
    });
    match (cgroup, total) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Default for Config {
    fn default() -> Self {
        defaults().clone()
    }
}

static CONFIG: RwLock<Option<Config>> = RwLock::new(None);

/// The current global configuration.
pub fn global_config() -> Config {
    if let Some(c) = CONFIG.read().as_ref() {
        return c.clone();
    }
    Config::default()
}

/// Replace the global configuration.
pub fn set_global_config(config: Config) {
    *CONFIG.write() = Some(config);
}
