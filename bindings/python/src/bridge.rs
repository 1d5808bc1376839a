//! Any zarr-python store, as a zarrkit async store whose futures are zarr's own store
//! coroutines on the caller's event loop (a hand-made bridge, no pyo3-async-runtimes).
//!
//! A call (`read`, `set`, `erase`) attaches to the interpreter just long enough to create
//! the coroutine (`zarrkit._pipeline._bridge_read(getter, prototype, ranges)`, `_bridge_set`,
//! `_bridge_delete`, which call `getter.get(prototype, byte_range)`, `getsize`, `set`,
//! `delete` of zarr's `ByteGetter`/`ByteSetter`), hands it to the loop with
//! `asyncio.run_coroutine_threadsafe` and registers a done-callback; the callback (on the
//! loop's thread, under the GIL) converts the result into Rust values and completes a
//! oneshot channel, which is what the zarrkit future awaits. The loop is free meanwhile: the
//! pipeline's `read`/`write` coroutine awaits an asyncio future that the Rust side completes
//! when the whole request is done.
//!
//! zarr's stores have no versions; every value reads as version 0 and a demanded version is
//! accepted (zarrkit's caches are off for these stores, and a partial decode's later rounds
//! read what the store has then, as zarr-python's own pipeline does). No conditional writes.

use std::sync::Arc;

use futures::channel::oneshot;
use futures::future::BoxFuture;
use parking_lot::Mutex;
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use zarrkit::storage::asynchronous::{AsyncReadableStorageTraits, AsyncWritableStorageTraits};
use zarrkit::storage::{ByteRange, Bytes, ReadResult, StoreKey, StorePrefix, Version};
use zarrkit::StorageError;

/// What every bridged call of one request shares.
pub struct Context {
    /// The event loop the pipeline's coroutine runs on.
    pub event_loop: Py<PyAny>,
    /// The buffer prototype of the request.
    pub prototype: Py<PyAny>,
    /// `asyncio.run_coroutine_threadsafe`.
    pub run: Py<PyAny>,
    /// `zarrkit._pipeline._bridge_read`, `_bridge_set`, `_bridge_delete`.
    pub read: Py<PyAny>,
    /// See `read`.
    pub set: Py<PyAny>,
    /// See `read`.
    pub delete: Py<PyAny>,
    /// The first exception a store call raised (re-raised as it is when the request
    /// fails because of it).
    pub error: Mutex<Option<PyErr>>,
}

/// One chunk's `ByteGetter` / `ByteSetter` (a `StorePath`, or the sharding codec's getters).
pub struct Bridge {
    /// The getter.
    pub getter: Arc<Py<PyAny>>,
    /// The request's context.
    pub ctx: Arc<Context>,
}

type Finish = Box<dyn FnOnce(Python<'_>, PyResult<Bound<'_, PyAny>>) + Send>;

/// The done-callback of a bridged coroutine's `concurrent.futures.Future`.
#[pyclass(frozen)]
pub struct Done {
    finish: Mutex<Option<Finish>>,
}

#[pymethods]
impl Done {
    fn __call__(&self, py: Python<'_>, fut: Bound<'_, PyAny>) {
        let r = fut.call_method0("result");
        if let Some(f) = self.finish.lock().take() {
            f(py, r);
        }
    }
}

fn py_err(e: PyErr) -> StorageError {
    Python::attach(|py| {
        let tb = e
            .traceback(py)
            .and_then(|t| t.format().ok())
            .unwrap_or_default();
        StorageError::Other(format!(
            "zarr store: {e}{}",
            if tb.is_empty() {
                String::new()
            } else {
                format!("\n{tb}")
            }
        ))
    })
}

fn gone() -> StorageError {
    StorageError::Other("the event loop dropped a store call".into())
}

impl Bridge {
    /// Run `make` (a coroutine) on the loop; `convert` its result on the loop's thread.
    fn submit<T: Send + 'static>(
        &self,
        make: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>>,
        convert: fn(Python<'_>, &Bound<'_, PyAny>) -> Result<T, StorageError>,
    ) -> Result<oneshot::Receiver<Result<T, StorageError>>, StorageError> {
        let (tx, rx) = oneshot::channel();
        Python::attach(|py| -> PyResult<()> {
            let coro = make(py)?;
            let cf = self
                .ctx
                .run
                .bind(py)
                .call1((coro, self.ctx.event_loop.bind(py)))?;
            let ctx = self.ctx.clone();
            let finish: Finish = Box::new(move |py, r| {
                let v = match r {
                    Ok(obj) => convert(py, &obj),
                    Err(e) => {
                        let msg = StorageError::Other(format!("zarr store: {e}"));
                        let mut first = ctx.error.lock();
                        if first.is_none() {
                            *first = Some(e);
                        }
                        Err(msg)
                    }
                };
                let _ = tx.send(v);
            });
            let done = Done {
                finish: Mutex::new(Some(finish)),
            };
            cf.call_method1("add_done_callback", (done,))?;
            Ok(())
        })
        .map_err(py_err)?;
        Ok(rx)
    }
}

/// `(kind, a, b)` for `_bridge_read`: 0 whole value, 1 `a..a+b`, 2 from `a`, 3 the last `a`
/// bytes, 4 the first `a` bytes (or the whole value if shorter).
fn range_spec(r: &ByteRange) -> (u8, u64, u64) {
    match *r {
        ByteRange::FromStart(0, None) => (0, 0, 0),
        ByteRange::FromStart(o, Some(l)) => (1, o, l),
        ByteRange::FromStart(o, None) => (2, o, 0),
        ByteRange::Suffix(n) => (3, n, 0),
        ByteRange::Prefix(n) => (4, n, 0),
    }
}

/// The bytes of a Python buffer (a `Buffer`'s NumPy view, `bytes`, ...).
pub fn buffer_bytes(py: Python<'_>, obj: &Bound<'_, PyAny>) -> Result<Bytes, StorageError> {
    let b = PyBuffer::<u8>::get(obj).map_err(py_err)?;
    Ok(Bytes::from(b.to_vec(py).map_err(py_err)?))
}

fn convert_read(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
) -> Result<Option<(Vec<Bytes>, u64)>, StorageError> {
    if obj.is_none() {
        return Ok(None);
    }
    let t = obj
        .cast::<PyTuple>()
        .map_err(|_| StorageError::Other("_bridge_read returned a non-tuple".into()))?;
    let parts = t.get_item(0).map_err(py_err)?;
    let size: u64 = t.get_item(1).and_then(|s| s.extract()).map_err(py_err)?;
    let parts = parts
        .cast::<PyList>()
        .map_err(|_| StorageError::Other("_bridge_read returned a non-list".into()))?;
    let mut out = Vec::with_capacity(parts.len());
    for p in parts.iter() {
        out.push(buffer_bytes(py, &p)?);
    }
    Ok(Some((out, size)))
}

fn convert_unit(_py: Python<'_>, _obj: &Bound<'_, PyAny>) -> Result<(), StorageError> {
    Ok(())
}

impl AsyncReadableStorageTraits for Bridge {
    fn read<'a>(
        &'a self,
        _key: &'a StoreKey,
        ranges: &'a [ByteRange],
        _if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        Box::pin(async move {
            let spec: Vec<(u8, u64, u64)> = ranges.iter().map(range_spec).collect();
            let rx = self.submit(
                |py| {
                    self.ctx.read.bind(py).call1((
                        self.getter.bind(py),
                        self.ctx.prototype.bind(py),
                        spec,
                    ))
                },
                convert_read,
            )?;
            let got = rx.await.map_err(|_| gone())??;
            Ok(got.map(|(bytes, size)| ReadResult {
                bytes,
                size,
                version: Version::from_u64(0),
            }))
        })
    }
}

impl AsyncWritableStorageTraits for Bridge {
    fn set<'a>(
        &'a self,
        _key: &'a StoreKey,
        value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let rx = self.submit(
                |py| {
                    let b = PyBytes::new(py, &value);
                    self.ctx.set.bind(py).call1((
                        self.getter.bind(py),
                        self.ctx.prototype.bind(py),
                        b,
                    ))
                },
                convert_unit,
            )?;
            rx.await.map_err(|_| gone())?
        })
    }

    fn erase<'a>(&'a self, _key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let rx = self.submit(
                |py| self.ctx.delete.bind(py).call1((self.getter.bind(py),)),
                convert_unit,
            )?;
            rx.await.map_err(|_| gone())?
        })
    }

    fn erase_prefix<'a>(
        &'a self,
        _prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async {
            Err(StorageError::Unsupported(
                "erasing a prefix through a chunk's store".into(),
            ))
        })
    }
}
