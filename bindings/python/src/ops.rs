//! The work of a request, with the GIL released: one task per chunk, on a fork-safe pool.
//!
//! Each chunk is a zarrkit array of one chunk (its [`Template`]: the metadata zarr-python's
//! `ArraySpec` and codecs describe, with the chunk's shape as the array's shape) on that
//! chunk's store ([`crate::stores`]). A read is `Array::read_selection` of the chunk
//! selection (zarrkit plans it: only the inner chunks of a shard that hold selected
//! elements are fetched and decoded), whose result is copied into the output at the output
//! selection; a write gathers the value at the output selection and is
//! `Array::write_selection` (a whole chunk is encoded and stored; a partial one is
//! read-modify-write; a chunk that becomes all fill value is erased unless
//! `write_empty_chunks`).

use std::sync::Arc;

use zarrkit::storage::asynchronous::{AsyncToSyncAdapter, FuturesBlockOn};
use zarrkit::storage::{Bytes, ReadableWritableStorageTraits, StoreKey};
use zarrkit::{
    Array, ArrayBytes, ArrayBytesRef, ArrayError, ArrayMetadata, ArrayMetadataV2, ArrayMetadataV3,
    CodecOptions, DataTypeSize, Selection, SubchunkWriteOrder,
};

use crate::bridge::{Bridge, Context};
use crate::index::{chunk_selection, gather, scatter, OutPlan, PyIdx, RawBuf, Strided};
use crate::stores::{Keyed, Native, Nothing, Prefetched, Put};

type Store = dyn ReadableWritableStorageTraits;

/// What zarrkit makes of one `ArraySpec` (with the pipeline's codecs): a one-chunk array.
pub struct Template {
    /// The array (on a placeholder store: used through `with_storage`).
    pub array: Array<Store>,
    /// Its metadata (writes bind a fresh array per chunk, so that chunk locks are the
    /// chunk's own).
    pub metadata: ArrayMetadata,
    /// The fixed element size, or `None` for variable-size data.
    pub elem: Option<usize>,
    /// Variable-size elements are strings (else byte strings).
    pub strings: bool,
    /// The order in which shards written through this template lay out their inner chunks.
    pub write_order: SubchunkWriteOrder,
    /// The Python codecs its metadata names (registered while it lives).
    pub python_codecs: crate::pycodec::Handles,
}

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    /// zarrkit cannot do this (an unknown codec or data type, an index it does not take):
    /// the non-strict pipeline falls back to zarr-python's.
    Unsupported(String),
    /// An error reading or writing (corrupt data, a store error, a bad index).
    Error(String),
}

impl Failure {
    fn from_array(key: &str, e: ArrayError) -> Self {
        match e {
            ArrayError::Unsupported(m) => Self::Unsupported(format!("{key}: {m}")),
            ArrayError::Codec {
                source: zarrkit::CodecError::Unsupported { codec, message },
                ..
            } => Self::Unsupported(format!("{key}: codec {codec}: {message}")),
            // (the one-chunk array's own chunk key says nothing: the label names the chunk)
            ArrayError::Codec { source, .. } => Self::Error(format!("{key}: {source}")),
            e => Self::Error(format!("{key}: {e}")),
        }
    }
}

impl Template {
    /// Bind metadata JSON (`zarr.json` or `.zarray`, with the chunk's shape as the shape).
    pub fn new(
        json: &str,
        strings: bool,
        write_order: SubchunkWriteOrder,
        python_codecs: crate::pycodec::Handles,
    ) -> Result<Self, Failure> {
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|e| Failure::Error(format!("metadata: {e}")))?;
        let metadata: ArrayMetadata = match v.get("zarr_format").and_then(|f| f.as_u64()) {
            Some(3) => ArrayMetadataV3::from_json(json.as_bytes(), "/")
                .map_err(|e| Failure::Unsupported(e.to_string()))?
                .into(),
            Some(2) => ArrayMetadataV2::from_json(json.as_bytes(), None, "/")
                .map_err(|e| Failure::Unsupported(e.to_string()))?
                .into(),
            _ => return Err(Failure::Error("metadata: no zarr_format 2 or 3".into())),
        };
        let store: Arc<Store> = Arc::new(Nothing);
        let array = Array::new_with_metadata(store, "/", metadata.clone())
            .map_err(|e| Failure::Unsupported(e.to_string()))?
            .with_partial_decoder_cache(0usize);
        let elem = match array.data_type().size() {
            DataTypeSize::Fixed(n) => Some(n),
            DataTypeSize::Variable => None,
        };
        Ok(Self {
            array,
            metadata,
            elem,
            strings,
            write_order,
            python_codecs,
        })
    }

    /// The fill value's bytes (native byte order).
    pub fn fill(&self) -> &[u8] {
        self.array.fill_value().as_bytes()
    }
}

/// Where a chunk is.
pub enum Source {
    /// A key of a native store.
    Native(Native, StoreKey),
    /// A value read before the request (`None`: absent), and its key (for messages).
    Prefetched(Option<Bytes>, String),
    /// A zarr-python `ByteGetter`, through the event loop, and its path (for messages).
    Bridge(Arc<pyo3::Py<pyo3::PyAny>>, String),
}

impl Source {
    fn store(
        &self,
        ctx: Option<&Arc<Context>>,
    ) -> Result<(Arc<Store>, Option<Arc<Prefetched>>), Failure> {
        Ok(match self {
            Self::Native(n, k) => (
                Arc::new(Keyed {
                    store: n.clone(),
                    key: k.clone(),
                }),
                None,
            ),
            Self::Prefetched(v, _) => {
                let p = Arc::new(Prefetched::new(v.clone()));
                (p.clone(), Some(p))
            }
            Self::Bridge(g, _) => {
                let ctx = ctx
                    .ok_or_else(|| Failure::Error("no event loop for a bridged store".into()))?
                    .clone();
                let b = Arc::new(Bridge {
                    getter: g.clone(),
                    ctx,
                });
                (Arc::new(AsyncToSyncAdapter::new(b, FuturesBlockOn)), None)
            }
        })
    }

    /// Whether a request on it waits on something other than this process's CPU (zarr's
    /// store methods on the event loop, or a network store): such requests run on the I/O
    /// pool, one thread per request zarr allows in flight.
    pub fn waits(&self) -> bool {
        match self {
            Self::Native(n, _) => n.remote,
            Self::Bridge(..) => true,
            Self::Prefetched(..) => false,
        }
    }

    fn label(&self) -> String {
        match self {
            Self::Native(n, k) => format!("{n:?}/{k}"),
            Self::Prefetched(_, k) | Self::Bridge(_, k) if !k.is_empty() => format!("chunk {k:?}"),
            _ => "chunk".into(),
        }
    }
}

/// One chunk of a read.
pub struct ReadItem {
    /// Its template.
    pub template: Arc<Template>,
    /// The chunk selection.
    pub chunk: Vec<PyIdx>,
    /// The output selection.
    pub out: Vec<PyIdx>,
    /// Where it is.
    pub source: Source,
}

/// A strided buffer the request reads into or writes from.
#[derive(Debug, Clone)]
pub struct Buffer {
    /// Its memory.
    pub raw: RawBuf,
    /// Its layout.
    pub layout: Strided,
    /// Byte-swap unit for a non-native byte order (0: none).
    pub swap: usize,
}

/// What one chunk of a read gave.
pub enum ReadOutcome {
    /// Stored; for variable-size data, the selected elements and their shape.
    Present(Option<(ArrayBytes, Vec<u64>)>),
    /// Not stored (the output got the fill value, for fixed-size data).
    Missing,
}

fn options(threads: usize, n_items: usize) -> CodecOptions {
    CodecOptions::default()
        .with_concurrent_target((threads / n_items.max(1)).max(1))
        // One chunk per call: core's I/O pool (for multi-chunk uncompressed reads) is never
        // needed, and not being used keeps every thread on this crate's fork-safe pools.
        .with_io_concurrency(1)
}

fn check_elem(t: &Template, out: &Buffer) -> Result<usize, Failure> {
    match t.elem {
        Some(e) if e == out.layout.elem => Ok(e),
        Some(e) => Err(Failure::Unsupported(format!(
            "the output has {}-byte elements, the data type {e}-byte ones",
            out.layout.elem
        ))),
        None => Err(Failure::Unsupported(
            "variable-size data into a fixed-size buffer".into(),
        )),
    }
}

fn read_one(
    it: &ReadItem,
    out: Option<&Buffer>,
    ctx: Option<&Arc<Context>>,
    opts: &CodecOptions,
) -> Result<ReadOutcome, Failure> {
    let t = &it.template;
    let sel = chunk_selection(&it.chunk).map_err(Failure::Error)?;
    let (store, _) = it.source.store(ctx)?;
    let array = t.array.with_storage(store);
    let label = it.source.label();
    let got = match array.read_selection_opt::<ArrayBytes>(&sel, opts) {
        Ok(b) => Some(b),
        Err(ArrayError::MissingChunk { .. }) => None,
        Err(e) => return Err(Failure::from_array(&label, e)),
    };
    match (t.elem, out) {
        (Some(_), Some(out)) => {
            let elem = check_elem(t, out)?;
            let plan = OutPlan::resolve(&it.out, &out.layout).map_err(Failure::Error)?;
            let missing = got.is_none();
            let src = match &got {
                Some(ArrayBytes::Fixed(b)) => b.as_slice(),
                Some(ArrayBytes::Variable { .. }) => {
                    return Err(Failure::Error(
                        "variable-size data of a fixed-size type".into(),
                    ))
                }
                None => t.fill(),
            };
            if src.len() % elem != 0 {
                return Err(Failure::Error(
                    "decoded bytes are not whole elements".into(),
                ));
            }
            scatter(src, out.raw, &plan, elem, out.swap)
                .map_err(|e| Failure::Error(format!("{label}: {e}")))?;
            Ok(if missing {
                ReadOutcome::Missing
            } else {
                ReadOutcome::Present(None)
            })
        }
        (None, _) => match got {
            None => Ok(ReadOutcome::Missing),
            Some(b) => {
                let shape = array
                    .selection_shape(&sel)
                    .map_err(|e| Failure::from_array(&label, e))?;
                Ok(ReadOutcome::Present(Some((b, shape))))
            }
        },
        (Some(_), None) => Err(Failure::Error("no output buffer".into())),
    }
}

fn guarded<R>(f: impl FnOnce() -> Result<R, Failure>) -> Result<R, Failure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Failure::Error("a zarrkit task panicked".into())))
}

/// Read every item (in parallel on the current rayon pool).
pub fn read(
    items: &[ReadItem],
    out: Option<&Buffer>,
    ctx: Option<&Arc<Context>>,
    threads: usize,
) -> Result<Vec<ReadOutcome>, Failure> {
    use rayon::prelude::*;
    let opts = options(threads, items.len());
    let opts = opts.with_fill_missing_chunks(false);
    if items.len() == 1 {
        return items
            .iter()
            .map(|it| guarded(|| read_one(it, out, ctx, &opts)))
            .collect();
    }
    items
        .par_iter()
        .with_max_len(1)
        .map(|it| guarded(|| read_one(it, out, ctx, &opts)))
        .collect()
}

/// One chunk of a write.
pub struct WriteItem {
    /// Its template.
    pub template: Arc<Template>,
    /// The chunk selection.
    pub chunk: Vec<PyIdx>,
    /// The selection of the value.
    pub out: Vec<PyIdx>,
    /// Where it is.
    pub source: Source,
    /// `write_empty_chunks` of the chunk's spec.
    pub write_empty: bool,
    /// The elements to write for variable-size data (C order of the chunk selection).
    pub values: Option<ArrayBytes>,
}

fn write_one(
    it: &WriteItem,
    value: Option<&Buffer>,
    ctx: Option<&Arc<Context>>,
    opts: &CodecOptions,
) -> Result<Option<Put>, Failure> {
    let t = &it.template;
    let sel: Selection = chunk_selection(&it.chunk).map_err(Failure::Error)?;
    let (store, prefetched) = it.source.store(ctx)?;
    let label = it.source.label();
    let array: Array<Store> = Array::new_with_metadata(store, "/", t.metadata.clone())
        .map_err(|e| Failure::Unsupported(e.to_string()))?
        .with_partial_decoder_cache(0usize);
    let n: u64 = array
        .selection_shape(&sel)
        .map_err(|e| Failure::from_array(&label, e))?
        .iter()
        .product();
    let n = usize::try_from(n).map_err(|_| Failure::Error("selection too large".into()))?;
    let opts = opts
        .with_store_empty_chunks(it.write_empty)
        .with_subchunk_write_order(t.write_order);
    let r = match (&it.values, t.elem, value) {
        (Some(v), None, _) => array.write_selection_opt(&sel, v, &opts),
        (None, Some(_), Some(value)) => {
            let elem = check_elem(t, value)?;
            let bytes = if value.layout.shape.is_empty() {
                gather(
                    value.raw,
                    &OutPlan::Outer {
                        base: 0,
                        dims: vec![],
                    },
                    elem,
                    value.swap,
                )
            } else {
                let plan = OutPlan::resolve(&it.out, &value.layout).map_err(Failure::Error)?;
                gather(value.raw, &plan, elem, value.swap)
            }
            .map_err(|e| Failure::Error(format!("{label}: {e}")))?;
            let m = bytes.len() / elem;
            if m == n {
                array.write_selection_opt(&sel, &ArrayBytesRef::Fixed(&bytes), &opts)
            } else if m == 1 {
                let total = n
                    .checked_mul(elem)
                    .ok_or_else(|| Failure::Error("selection too large".into()))?;
                let rep = zarrkit::codec::repeat_checked(&bytes, n, total)
                    .ok_or_else(|| Failure::Error(format!("cannot allocate {total} bytes")))?;
                array.write_selection_opt(&sel, &ArrayBytesRef::Fixed(&rep), &opts)
            } else {
                return Err(Failure::Error(format!(
                    "could not broadcast a value of {m} elements into a selection of {n}"
                )));
            }
        }
        _ => {
            return Err(Failure::Error(
                "a write needs a value buffer (fixed size) or elements (variable size)".into(),
            ))
        }
    };
    match r {
        Err(e) if crate::pycodec::stores_no_chunk(&e) => {
            // zarr's meaning of a codec's `None`: the chunk is not stored
            let origin = vec![0u64; array.dimensionality()];
            array
                .erase_chunk(&origin)
                .map_err(|e| Failure::from_array(&label, e))?;
        }
        r => r.map_err(|e| Failure::from_array(&label, e))?,
    }
    Ok(prefetched.and_then(|p| p.take_put()))
}

/// Write every item (in parallel on the current rayon pool); the puts of prefetched items.
pub fn write(
    items: &[WriteItem],
    value: Option<&Buffer>,
    ctx: Option<&Arc<Context>>,
    threads: usize,
) -> Result<Vec<Option<Put>>, Failure> {
    use rayon::prelude::*;
    let opts = options(threads, items.len());
    if items.len() == 1 {
        return items
            .iter()
            .map(|it| guarded(|| write_one(it, value, ctx, &opts)))
            .collect();
    }
    items
        .par_iter()
        .with_max_len(1)
        .map(|it| guarded(|| write_one(it, value, ctx, &opts)))
        .collect()
}
