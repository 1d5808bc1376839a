//! # zarrkit-python
//!
//! The extension module `zarrkit._native` behind the Python package `zarrkit`, whose
//! `zarrkit.ZarrkitCodecPipeline` is a zarr-python 3.4 codec pipeline
//! (`zarr.config.set({"codec_pipeline.path": "zarrkit.ZarrkitCodecPipeline"})`, registered
//! by an entry point in group `zarr.codec_pipeline`) that does every chunk's I/O, decoding,
//! encoding and indexing with zarrkit.
//!
//! The Python side (`python/zarrkit/_pipeline.py`) turns each request of zarr-python into
//! plain values under the GIL: per distinct `ArraySpec`, a [`Spec`] (zarrkit's one-chunk
//! array of the metadata zarr's spec and codecs describe: `to_dict()` of the codecs, the
//! data type's JSON, the fill value); per chunk, the chunk and output selections (NumPy index
//! tuples, see [`index`]) and where the chunk is ([`stores`]: a key of a native store for
//! `LocalStore`, read-mode `ZipStore` and obstore S3/GCS/Azure stores, the value of a `MemoryStore`
//! entry, or zarr's `ByteGetter` for every other store, bridged to the event loop, see
//! [`bridge`]); and the output or value buffer (`__array_interface__`: pointer, shape,
//! strides, byte order). Then [`read`] / [`write`] return at once; the request runs on a
//! fork-safe rayon pool ([`pool`]) without the GIL ([`ops`]), copies straight into the
//! output buffer (C, F or any strides, byte-swapped for non-native byte orders), and
//! completes the asyncio future the pipeline awaits through `loop.call_soon_threadsafe`.

use std::sync::Arc;

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use zarrkit::storage::{Bytes, ReadableStorageTraits, StoreKey, WritableStorageTraits};
use zarrkit::{ArrayBytes, SubchunkWriteOrder};

pub mod bridge;
pub mod index;
pub mod ops;
pub mod pool;
pub mod pycodec;
pub mod stores;

use index::{PyIdx, RawBuf, Strided};
use ops::{Buffer, Failure, ReadItem, ReadOutcome, Source, Template, WriteItem};
use stores::{Native, Put};

create_exception!(
    _native,
    ZarrkitError,
    PyValueError,
    "An error zarrkit met reading or writing chunks (corrupt data, a store error)."
);
create_exception!(
    _native,
    UnsupportedError,
    ZarrkitError,
    "Something zarrkit cannot do (an unknown codec or data type): the non-strict pipeline falls back to zarr-python's own."
);

fn failure_to_py(f: Failure) -> PyErr {
    match f {
        Failure::Unsupported(m) => UnsupportedError::new_err(m),
        Failure::Error(m) => ZarrkitError::new_err(m),
    }
}

/// zarrkit's one-chunk array for one `ArraySpec` of a pipeline.
#[pyclass(frozen, module = "zarrkit._native")]
pub struct Spec {
    template: Arc<Template>,
}

#[pymethods]
impl Spec {
    /// Bind the metadata JSON (`zarr.json` or `.zarray` of an array whose shape is the
    /// chunk's shape); `strings`: variable-size elements are `str` (else `bytes`);
    /// `subchunk_write_order`: how shards written through this spec order their inner chunks
    /// (zarr-python's names; `None`: zarrkit's default, lexicographic).
    #[new]
    /// `python_codecs`: the handles of Python codecs the metadata names
    /// ([`pycodec::python_codec`]); the spec owns them from here on, bound or not.
    #[pyo3(signature = (metadata, strings, subchunk_write_order=None, python_codecs=Vec::new()))]
    fn new(
        py: Python<'_>,
        metadata: &str,
        strings: bool,
        subchunk_write_order: Option<&str>,
        python_codecs: Vec<u64>,
    ) -> PyResult<Self> {
        let python_codecs = pycodec::Handles(python_codecs);
        let m = metadata.to_string();
        let order = match subchunk_write_order {
            Some(o) => o
                .parse::<SubchunkWriteOrder>()
                .map_err(PyValueError::new_err)?,
            None => SubchunkWriteOrder::default(),
        };
        let t = py
            .detach(move || Template::new(&m, strings, order, python_codecs))
            .map_err(failure_to_py)?;
        Ok(Self {
            template: Arc::new(t),
        })
    }

    /// Whether elements have variable size.
    #[getter]
    fn variable(&self) -> bool {
        self.template.elem.is_none()
    }

    /// The element size in bytes (0 for variable-size elements).
    #[getter]
    fn item_size(&self) -> usize {
        self.template.elem.unwrap_or(0)
    }

    /// zarrkit's name of the data type.
    #[getter]
    fn data_type(&self) -> String {
        self.template.array.data_type().name()
    }
}

/// A native zarrkit store.
#[pyclass(frozen, module = "zarrkit._native")]
pub struct NativeStore {
    store: Native,
}

#[pymethods]
impl NativeStore {
    /// zarrkit's filesystem store at `root` (a `LocalStore`'s root).
    #[staticmethod]
    fn filesystem(root: &str) -> PyResult<Self> {
        let fs = zarrkit::store_filesystem::FilesystemStore::new(root)
            .map_err(|e| ZarrkitError::new_err(e.to_string()))?;
        let fs = Arc::new(fs);
        Ok(Self {
            store: Native {
                read: fs.clone() as Arc<dyn ReadableStorageTraits>,
                write: Some(fs as Arc<dyn WritableStorageTraits>),
                label: format!("file://{root}"),
                remote: false,
            },
        })
    }

    /// zarrkit's (read-only) zip store of the archive at `path`.
    #[staticmethod]
    fn zip(py: Python<'_>, path: &str) -> PyResult<Self> {
        let p = std::path::PathBuf::from(path);
        let (dir, name) = match (p.parent(), p.file_name()) {
            (Some(d), Some(n)) => (d.to_path_buf(), n.to_string_lossy().to_string()),
            _ => return Err(ZarrkitError::new_err(format!("not a file path: {path}"))),
        };
        let label = format!("zip://{path}");
        let z = py
            .detach(move || -> Result<_, String> {
                let dir = if dir.as_os_str().is_empty() {
                    std::path::PathBuf::from(".")
                } else {
                    dir
                };
                let fs = zarrkit::store_filesystem::FilesystemStore::new(&dir)
                    .map_err(|e| e.to_string())?;
                let key = StoreKey::new(name).map_err(|e| e.to_string())?;
                zarrkit_store_zip::ZipStore::open(
                    Arc::new(fs),
                    key,
                    zarrkit_store_zip::ZipStoreOptions::new(),
                )
                .map_err(|e| e.to_string())
            })
            .map_err(ZarrkitError::new_err)?;
        Ok(Self {
            store: Native {
                read: Arc::new(z),
                write: None,
                label,
                remote: false,
            },
        })
    }

    /// zarrkit's object store (S3, GCS, Azure) for `url` (`s3://bucket/prefix`, ...), with
    /// the object_store configuration `config` (the caller's obstore store's `config` and
    /// `client_options`) over what the environment says (`AWS_*`, `GOOGLE_*`, `AZURE_*`, read
    /// as obstore's own constructors read them: its `config` lists only what was passed, so
    /// credentials from the environment must be read here too), `retry` as
    /// `(max_retries, retry_timeout_s, init_backoff_s, max_backoff_s, base)` (zarrkit's
    /// default policy if `None`), and no writes if `read_only`. Its requests run on this fork
    /// generation's I/O runtime.
    #[staticmethod]
    #[pyo3(signature = (url, config, read_only, retry=None))]
    fn object(
        url: &str,
        config: Vec<(String, String)>,
        read_only: bool,
        retry: Option<(usize, f64, f64, f64, f64)>,
    ) -> PyResult<Self> {
        use zarrkit::store_object::object_store::{BackoffConfig, RetryConfig};
        let secs = |what: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(std::time::Duration::from_secs_f64(v))
            } else {
                Err(PyValueError::new_err(format!("retry {what}: {v} seconds")))
            }
        };
        let runtime = pool::runtime().map_err(ZarrkitError::new_err)?;
        let mut b = zarrkit::store_object::ObjectStorage::builder(url).with_runtime(runtime);
        for (k, v) in config {
            b = b.with_config(k, v);
        }
        if let Some((max_retries, timeout, init, max, base)) = retry {
            b = b.with_retry(RetryConfig {
                max_retries,
                retry_timeout: secs("timeout", timeout)?,
                backoff: BackoffConfig {
                    init_backoff: secs("init_backoff", init)?,
                    max_backoff: secs("max_backoff", max)?,
                    base,
                },
            });
        }
        let store = Arc::new(
            b.build()
                .map_err(|e| ZarrkitError::new_err(e.to_string()))?,
        );
        Ok(Self {
            store: Native {
                read: store.clone() as Arc<dyn ReadableStorageTraits>,
                write: (!read_only).then_some(store as Arc<dyn WritableStorageTraits>),
                label: url.to_string(),
                remote: true,
            },
        })
    }
}

fn parse_shape(obj: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    obj.extract::<Vec<usize>>()
}

fn parse_index(obj: &Bound<'_, PyAny>) -> PyResult<Vec<PyIdx>> {
    let mut out = Vec::new();
    for e in obj.try_iter()? {
        let e = e?;
        let t = e.cast::<PyTuple>()?;
        let kind: u8 = t.get_item(0)?.extract()?;
        out.push(match kind {
            0 => PyIdx::Int(t.get_item(1)?.extract()?),
            1 => PyIdx::Slice {
                start: t.get_item(1)?.extract()?,
                stop: t.get_item(2)?.extract()?,
                step: t.get_item(3)?.extract::<Option<i64>>()?.unwrap_or(1),
            },
            2 | 3 => {
                let shape = parse_shape(&t.get_item(1)?)?;
                let b = t.get_item(2)?;
                let bytes = b.cast::<PyBytes>()?.as_bytes();
                let n: usize = shape.iter().product();
                if kind == 2 {
                    if bytes.len() != n * 8 {
                        return Err(PyValueError::new_err("malformed integer index array"));
                    }
                    let values = bytes
                        .chunks_exact(8)
                        .map(|c| {
                            let mut a = [0u8; 8];
                            a.copy_from_slice(c);
                            i64::from_ne_bytes(a)
                        })
                        .collect();
                    PyIdx::Array { shape, values }
                } else {
                    if bytes.len() != n {
                        return Err(PyValueError::new_err("malformed boolean index array"));
                    }
                    PyIdx::Bool {
                        shape,
                        values: bytes.iter().map(|&b| b != 0).collect(),
                    }
                }
            }
            4 => PyIdx::NewAxis,
            5 => PyIdx::Ellipsis,
            k => return Err(PyValueError::new_err(format!("unknown index kind {k}"))),
        });
    }
    Ok(out)
}

fn parse_source(obj: &Bound<'_, PyAny>) -> PyResult<Source> {
    let py = obj.py();
    let t = obj.cast::<PyTuple>()?;
    let kind: u8 = t.get_item(0)?.extract()?;
    Ok(match kind {
        0 => {
            let s = t.get_item(1)?;
            let s = s.cast::<NativeStore>()?;
            let key: String = t.get_item(2)?.extract()?;
            let key = StoreKey::new(key).map_err(|e| ZarrkitError::new_err(e.to_string()))?;
            Source::Native(s.get().store.clone(), key)
        }
        1 => {
            let v = t.get_item(1)?;
            let key: String = match t.get_item(2) {
                Ok(k) => k.extract()?,
                Err(_) => String::new(),
            };
            if v.is_none() {
                Source::Prefetched(None, key)
            } else {
                Source::Prefetched(
                    Some(
                        bridge::buffer_bytes(py, &v)
                            .map_err(|e| ZarrkitError::new_err(e.to_string()))?,
                    ),
                    key,
                )
            }
        }
        2 => {
            let g = t.get_item(1)?;
            let path = g
                .getattr("path")
                .and_then(|p| p.str().map(|s| s.to_string()))
                .unwrap_or_default();
            Source::Bridge(Arc::new(g.unbind()), path)
        }
        k => return Err(PyValueError::new_err(format!("unknown source kind {k}"))),
    })
}

/// `(ndarray, ptr, shape, strides, itemsize, swap)` → a buffer (and the array, kept alive).
fn parse_buffer(obj: &Bound<'_, PyAny>) -> PyResult<Option<(Buffer, Py<PyAny>)>> {
    if obj.is_none() {
        return Ok(None);
    }
    let t = obj.cast::<PyTuple>()?;
    let keep = t.get_item(0)?.unbind();
    let ptr: usize = t.get_item(1)?.extract()?;
    let shape = parse_shape(&t.get_item(2)?)?;
    let strides: Vec<isize> = t.get_item(3)?.extract()?;
    let elem: usize = t.get_item(4)?.extract()?;
    let swap: usize = t.get_item(5)?.extract()?;
    if strides.len() != shape.len() || elem == 0 {
        return Err(PyValueError::new_err("malformed buffer description"));
    }
    let layout = Strided {
        shape,
        strides,
        elem,
    };
    let extent = layout.extent();
    Ok(Some((
        Buffer {
            raw: RawBuf {
                ptr: ptr as *mut u8,
                extent,
            },
            layout,
            swap,
        },
        keep,
    )))
}

fn parse_bridge(obj: &Bound<'_, PyAny>) -> PyResult<Option<Arc<bridge::Context>>> {
    if obj.is_none() {
        return Ok(None);
    }
    let t = obj.cast::<PyTuple>()?;
    Ok(Some(Arc::new(bridge::Context {
        event_loop: t.get_item(0)?.unbind(),
        prototype: t.get_item(1)?.unbind(),
        run: t.get_item(2)?.unbind(),
        read: t.get_item(3)?.unbind(),
        set: t.get_item(4)?.unbind(),
        delete: t.get_item(5)?.unbind(),
        error: parking_lot::Mutex::new(None),
    })))
}

fn variable_to_py<'py>(
    py: Python<'py>,
    b: &ArrayBytes,
    strings: bool,
) -> PyResult<Bound<'py, PyList>> {
    let Some(v) = b.as_variable() else {
        return Err(ZarrkitError::new_err("expected variable-size data"));
    };
    let list = PyList::empty(py);
    for (i, e) in v.iter().enumerate() {
        if strings {
            let s = std::str::from_utf8(e).map_err(|err| {
                ZarrkitError::new_err(format!("element {i} is not valid UTF-8: {err}"))
            })?;
            list.append(PyString::new(py, s))?;
        } else {
            list.append(PyBytes::new(py, e))?;
        }
    }
    Ok(list)
}

fn parse_values(obj: &Bound<'_, PyAny>) -> PyResult<Option<ArrayBytes>> {
    if obj.is_none() {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    let mut offsets = vec![0usize];
    for e in obj.try_iter()? {
        let e = e?;
        if let Ok(s) = e.cast::<PyString>() {
            bytes.extend_from_slice(s.to_str()?.as_bytes());
        } else if let Ok(b) = e.cast::<PyBytes>() {
            bytes.extend_from_slice(b.as_bytes());
        } else {
            return Err(PyValueError::new_err(format!(
                "variable-size elements must be str or bytes, got {}",
                e.get_type().name()?
            )));
        }
        offsets.push(bytes.len());
    }
    Ok(Some(ArrayBytes::Variable { bytes, offsets }))
}

type Make = Box<dyn for<'py> FnOnce(Python<'py>) -> PyResult<Py<PyAny>> + Send>;

/// What a request and its [`Pending`] handle share: the result, once there, and a pipe
/// whose read end becomes readable then.
struct Completion {
    read_fd: libc::c_int,
    write_fd: libc::c_int,
    result: parking_lot::Mutex<Option<Make>>,
    ctx: Option<Arc<bridge::Context>>,
}

impl Drop for Completion {
    fn drop(&mut self) {
        // SAFETY: both descriptors were opened by `Completion::new` and are closed only here.
        unsafe {
            libc::close(self.read_fd);
            libc::close(self.write_fd);
        }
    }
}

impl Completion {
    fn new(ctx: Option<Arc<bridge::Context>>) -> PyResult<Arc<Self>> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors `pipe` writes.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(PyRuntimeError::new_err(format!(
                "cannot create a completion pipe: {}",
                std::io::Error::last_os_error()
            )));
        }
        for fd in fds {
            // SAFETY: `fd` is a descriptor just opened; fcntl only sets its flags.
            unsafe {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                let fl = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
            }
        }
        Ok(Arc::new(Self {
            read_fd: fds[0],
            write_fd: fds[1],
            result: parking_lot::Mutex::new(None),
            ctx,
        }))
    }

    /// Store the result and wake the event loop, without touching the interpreter: a
    /// worker thread never attaches to Python to complete a request (an interpreter that is
    /// shutting down cannot trip over it).
    fn complete(&self, make: Make) {
        *self.result.lock() = Some(make);
        let b = 1u8;
        // SAFETY: writes one byte from a valid buffer to our own pipe (non-blocking; a full
        // pipe already signals readiness).
        unsafe {
            libc::write(self.write_fd, (&b as *const u8).cast(), 1);
        }
    }
}

/// A request in flight: `fileno()` becomes readable when it is done (for
/// `loop.add_reader`), `result()` then gives its result or raises its error.
#[pyclass(frozen, module = "zarrkit._native")]
pub struct Pending {
    inner: Arc<Completion>,
}

#[pymethods]
impl Pending {
    /// The descriptor that becomes readable when the request is done.
    fn fileno(&self) -> i32 {
        self.inner.read_fd
    }

    /// Whether the request is done.
    fn done(&self) -> bool {
        self.inner.result.lock().is_some()
    }

    /// The result (once only); raises the request's error, or `RuntimeError` if it is not
    /// done yet.
    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut buf = [0u8; 16];
        // SAFETY: drains our own non-blocking pipe into a local buffer.
        unsafe { libc::read(self.inner.read_fd, buf.as_mut_ptr().cast(), buf.len()) };
        let make = self.inner.result.lock().take().ok_or_else(|| {
            PyRuntimeError::new_err("the zarrkit request is not done (or its result was taken)")
        })?;
        make(py).map_err(|e| {
            // A store's own exception, if it caused the failure, is raised as it is; so is a
            // Python codec's.
            self.inner
                .ctx
                .as_ref()
                .and_then(|c| c.error.lock().take())
                .or_else(|| pycodec::take_error(&e.to_string()))
                .unwrap_or(e)
        })
    }
}

/// Run `job` on the CPU pool (`threads`), or on the I/O pool when its requests wait (see
/// `ops::Source::waits`): `io_threads` (zarr's `async.concurrency`), at least `threads`.
fn spawn(
    threads: usize,
    io_threads: usize,
    waits: bool,
    job: impl FnOnce() + Send + 'static,
) -> PyResult<()> {
    let p = if waits {
        pool::pool(pool::Kind::Io, io_threads.max(threads))
    } else {
        pool::pool(pool::Kind::Cpu, threads)
    }
    .map_err(PyRuntimeError::new_err)?;
    p.spawn(job);
    Ok(())
}

/// Start a read: `items` = `[(spec, chunk_selection, out_selection, source)]`, `out` the
/// output buffer (`None` when the data type has variable-size elements). Returns the
/// [`Pending`] request, whose result is, per item, `True` (present), `False` (missing) or
/// `(elements, shape)` for variable-size data.
#[pyfunction]
#[pyo3(signature = (items, out, threads, io_threads, bridge))]
fn read(
    items: &Bound<'_, PyAny>,
    out: &Bound<'_, PyAny>,
    threads: usize,
    io_threads: usize,
    bridge: &Bound<'_, PyAny>,
) -> PyResult<Pending> {
    let mut parsed = Vec::new();
    for it in items.try_iter()? {
        let it = it?;
        let t = it.cast::<PyTuple>()?;
        let spec = t.get_item(0)?;
        let spec = spec.cast::<Spec>()?;
        parsed.push(ReadItem {
            template: spec.get().template.clone(),
            chunk: parse_index(&t.get_item(1)?)?,
            out: parse_index(&t.get_item(2)?)?,
            source: parse_source(&t.get_item(3)?)?,
        });
    }
    let out = parse_buffer(out)?;
    let ctx = parse_bridge(bridge)?;
    let waits = parsed.iter().any(|i| i.source.waits());
    let strings: Vec<bool> = parsed.iter().map(|i| i.template.strings).collect();
    let completion = Completion::new(ctx.clone())?;
    let c = completion.clone();
    spawn(threads, io_threads, waits, move || {
        let r = ops::read(&parsed, out.as_ref().map(|(b, _)| b), ctx.as_ref(), threads);
        let keep = out.map(|(_, k)| k);
        let keep_items = parsed;
        c.complete(Box::new(move |py| {
            // The buffers (and bridged getters) are released here, under the GIL.
            let _keep = (keep, keep_items);
            let outcomes = r.map_err(failure_to_py)?;
            let list = PyList::empty(py);
            for (o, strings) in outcomes.into_iter().zip(strings) {
                match o {
                    ReadOutcome::Missing => list.append(false)?,
                    ReadOutcome::Present(None) => list.append(true)?,
                    ReadOutcome::Present(Some((b, shape))) => {
                        let v = variable_to_py(py, &b, strings)?;
                        list.append((v, PyTuple::new(py, shape)?))?
                    }
                }
            }
            Ok(list.into_any().unbind())
        }));
    })?;
    Ok(Pending { inner: completion })
}

/// Start a write: `items` = `[(spec, chunk_selection, value_selection, source,
/// write_empty_chunks, elements)]` (`elements`: the values for variable-size data, in C
/// order of the chunk selection, else `None`), `value` the value buffer (fixed size).
/// Returns the [`Pending`] request, whose result is, per item, what to do with a
/// prefetched value: `None` (nothing), `bytes` (store them) or `False` (delete the key).
#[pyfunction]
#[pyo3(signature = (items, value, threads, io_threads, bridge))]
fn write(
    items: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    threads: usize,
    io_threads: usize,
    bridge: &Bound<'_, PyAny>,
) -> PyResult<Pending> {
    let mut parsed = Vec::new();
    for it in items.try_iter()? {
        let it = it?;
        let t = it.cast::<PyTuple>()?;
        let spec = t.get_item(0)?;
        let spec = spec.cast::<Spec>()?;
        parsed.push(WriteItem {
            template: spec.get().template.clone(),
            chunk: parse_index(&t.get_item(1)?)?,
            out: parse_index(&t.get_item(2)?)?,
            source: parse_source(&t.get_item(3)?)?,
            write_empty: t.get_item(4)?.extract()?,
            values: parse_values(&t.get_item(5)?)?,
        });
    }
    let value = parse_buffer(value)?;
    let ctx = parse_bridge(bridge)?;
    let waits = parsed.iter().any(|i| i.source.waits());
    let completion = Completion::new(ctx.clone())?;
    let c = completion.clone();
    spawn(threads, io_threads, waits, move || {
        let r = ops::write(
            &parsed,
            value.as_ref().map(|(b, _)| b),
            ctx.as_ref(),
            threads,
        );
        let keep = value.map(|(_, k)| k);
        let keep_items = parsed;
        c.complete(Box::new(move |py| {
            // The buffers (and bridged setters) are released here, under the GIL.
            let _keep = (keep, keep_items);
            let puts = r.map_err(failure_to_py)?;
            let list = PyList::empty(py);
            for p in puts {
                match p {
                    None => list.append(py.None())?,
                    Some(Put::Delete) => list.append(false)?,
                    Some(Put::Set(b)) => list.append(PyBytes::new(py, &b))?,
                }
            }
            Ok(list.into_any().unbind())
        }));
    })?;
    Ok(Pending { inner: completion })
}

/// Start new pools in a forked child (registered with `os.register_at_fork`).
#[pyfunction]
fn after_fork() {
    pool::after_fork();
    pycodec::after_fork_in_child();
}

/// The current fork generation (for tests).
#[pyfunction]
fn fork_generation() -> u64 {
    pool::generation()
}

/// The Python module.
/// Whether zarrkit has a codec plugin for a V3 name (`v2`: a numcodecs id).
#[pyfunction]
#[pyo3(signature = (name, v2=false))]
fn codec_known(name: &str, v2: bool) -> bool {
    let r = &zarrkit::registry::CODECS;
    name != pycodec::NAME
        && if v2 {
            r.get_v2(name).is_some()
        } else {
            r.get(name).is_some()
        }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    pool::register_atfork();
    pycodec::register();
    // zarrkit's partial-decoder cache is keyed by chunk key: every one-chunk array here has
    // the same key, so it must be off (the templates turn it off too).
    let mut cfg = zarrkit::global_config();
    cfg.partial_decoder_cache_bytes = 0;
    zarrkit::set_global_config(cfg);
    m.add_class::<Spec>()?;
    m.add_class::<NativeStore>()?;
    m.add_class::<Pending>()?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(write, m)?)?;
    m.add_function(wrap_pyfunction!(after_fork, m)?)?;
    m.add_function(wrap_pyfunction!(fork_generation, m)?)?;
    m.add_function(wrap_pyfunction!(pycodec::python_codec, m)?)?;
    m.add_function(wrap_pyfunction!(pycodec::release_python_codecs, m)?)?;
    m.add_function(wrap_pyfunction!(codec_known, m)?)?;
    m.add("ZarrkitError", m.py().get_type::<ZarrkitError>())?;
    m.add("UnsupportedError", m.py().get_type::<UnsupportedError>())?;
    let _ = Bytes::new();
    Ok(())
}
