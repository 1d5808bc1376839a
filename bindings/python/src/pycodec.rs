//! Bytes→bytes (and fixed-size array→bytes) codecs that only Python can run — a user's codec class, a test codec, a
//! numcodecs compressor zarrkit has no plugin for (pickle, ...) — as zarrkit codecs that call
//! the Python object, so the rest of the chunk's chain (and its I/O) stays native.
//!
//! The pipeline's Python side puts such a codec in the metadata it binds as
//! `{"name": "zarrkit.python", "configuration": {"handle": N}}` (Zarr V2: the compressor
//! `{"id": "zarrkit.python", "handle": N}`), after [`python_codec`] registered the object under
//! `N`; creating the chain takes the object from the table (the plugin below, registered at
//! module import). The bound spec owns its handles ([`Handles`]: writes bind a fresh array
//! from the metadata per chunk) and releases them when it goes. A call attaches to the interpreter on the worker thread and
//! runs `zarrkit._pipeline._py_codec(codec, decode, data, spec, numcodecs)` (the codec's
//! synchronous method, or its coroutine on a private event loop of that worker thread).
//!
//! A Python exception is kept (the newest [`KEPT`] of them) under a number written into the
//! codec error's message; [`take_error`] gives it back to the request's result, which raises
//! it as it is (zarr's `PickleCodecDisabledError`, numcodecs' `UnsafeDecodeError`, ...).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde_json::{Map, Value};
use zarrkit::codec::{
    ArrayToBytesCodecTraits, BytesRepresentation, BytesToBytesCodecTraits, ChunkRepresentation,
    Codec, CodecTraits,
};
use zarrkit::error::{CodecError, ExtensionKind, PluginError};
use zarrkit::metadata::MetadataV3;
use zarrkit::registry::{CodecPlugin, CodecV2Context, CODECS};
use zarrkit::storage::Bytes;
use zarrkit::{ArrayBytes, CodecOptions};

/// The plugin's name (V3) and id (V2).
pub const NAME: &str = "zarrkit.python";

/// In a codec error: a top-level Python codec's encode returned `None` (zarr's "do not store
/// this chunk"); the write erases the chunk instead of failing.
pub const NO_CHUNK: &str = "[zarrkit: the Python codec stores no chunk]";

/// Whether a chunk write failed only because a top-level Python codec's encode returned
/// `None` (zarr's "do not store this chunk"): the codec error of this plugin that ends with
/// [`NO_CHUNK`], not any error whose text merely contains it.
pub fn stores_no_chunk(e: &zarrkit::ArrayError) -> bool {
    matches!(
        e,
        zarrkit::ArrayError::Codec {
            source: CodecError::Corrupt { codec, message },
            ..
        } if codec == NAME && message.ends_with(NO_CHUNK)
    )
}

/// How many Python exceptions are kept for the requests that failed with them.
const KEPT: usize = 64;

/// A registered Python codec.
struct Entry {
    codec: Py<PyAny>,
    /// The `ArraySpec` handed to zarr codec methods (`None` for numcodecs codecs).
    spec: Py<PyAny>,
    /// A numcodecs codec (`encode`/`decode` of buffers) rather than a zarr one.
    numcodecs: bool,
    /// An array→bytes codec (else bytes→bytes).
    array_to_bytes: bool,
    /// In the array's own chain (not inside sharding): its `None` from encode means "do not
    /// store the chunk", which the write then does.
    top_level: bool,
    /// The codec's own name, for messages.
    label: String,
}

fn table() -> &'static Mutex<HashMap<u64, Arc<Entry>>> {
    static T: OnceLock<Mutex<HashMap<u64, Arc<Entry>>>> = OnceLock::new();
    T.get_or_init(Default::default)
}

fn errors() -> &'static Mutex<VecDeque<(u64, PyErr)>> {
    static E: OnceLock<Mutex<VecDeque<(u64, PyErr)>>> = OnceLock::new();
    E.get_or_init(Default::default)
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// Register `codec` (with the `ArraySpec` its methods get, and whether it is a numcodecs
/// codec) for the metadata about to be bound; returns its handle.
#[pyfunction]
#[pyo3(signature = (codec, spec, numcodecs, label, array_to_bytes=false, top_level=false))]
pub fn python_codec(
    codec: Py<PyAny>,
    spec: Py<PyAny>,
    numcodecs: bool,
    label: String,
    array_to_bytes: bool,
    top_level: bool,
) -> u64 {
    let h = NEXT.fetch_add(1, Ordering::Relaxed);
    table().lock().insert(
        h,
        Arc::new(Entry {
            codec,
            spec,
            numcodecs,
            array_to_bytes,
            top_level,
            label,
        }),
    );
    h
}

/// Forget handles whose metadata could not be bound.
#[pyfunction]
pub fn release_python_codecs(handles: Vec<u64>) {
    drop(Handles(handles));
}

/// The handles a bound spec's metadata names: they stay registered while it lives (writes
/// bind a fresh array from the metadata per chunk), and go with it.
#[derive(Debug, Default)]
pub struct Handles(pub Vec<u64>);

impl Drop for Handles {
    fn drop(&mut self) {
        // (taken out under the lock, dropped after it: dropping a reference may run Python
        // code, or wait for the interpreter)
        let gone: Vec<Arc<Entry>> = {
            let mut t = table().lock();
            self.0.iter().filter_map(|h| t.remove(h)).collect()
        };
        drop(gone);
    }
}

/// The Python exception a codec error's message names, if it is still kept.
pub fn take_error(message: &str) -> Option<PyErr> {
    // (the last marker: a codec's own exception text comes before it)
    let at = message.rfind("[python exception #")?;
    let rest = &message[at + "[python exception #".len()..];
    let id: u64 = rest.split(']').next()?.parse().ok()?;
    let mut e = errors().lock();
    let i = e.iter().position(|(k, _)| *k == id)?;
    e.remove(i).map(|(_, err)| err)
}

fn keep_error(err: PyErr) -> u64 {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let evicted = {
        let mut e = errors().lock();
        let old = if e.len() >= KEPT { e.pop_front() } else { None };
        e.push_back((id, err));
        old
    };
    // (dropped after the lock: freeing a traceback may run Python code, which may let another
    // thread take the GIL and then want this lock)
    drop(evicted);
    id
}

/// In a forked child (from `_native.after_fork`, with the GIL): a table lock a parent thread
/// held at the moment of the fork stays locked forever; it is released (the child has no
/// other thread, and each lock is held only for one map operation).
pub fn after_fork_in_child() {
    // SAFETY: in the child only the forking thread exists; a held lock belonged to a thread
    // that is gone.
    unsafe {
        if table().is_locked() {
            table().force_unlock();
        }
        if errors().is_locked() {
            errors().force_unlock();
        }
    }
}

fn handle_of(config: Option<&Map<String, Value>>) -> Result<Arc<Entry>, String> {
    let h = config
        .and_then(|c| c.get("handle"))
        .and_then(Value::as_u64)
        .ok_or("configuration needs an integer `handle`")?;
    table()
        .lock()
        .get(&h)
        .cloned()
        .ok_or_else(|| format!("no Python codec is registered under handle {h}"))
}

fn create(meta: &MetadataV3) -> Result<Codec, PluginError> {
    let entry = handle_of(meta.configuration())
        .map_err(|m| PluginError::config(ExtensionKind::Codec, NAME, m))?;
    let c = Arc::new(PythonCodec {
        entry,
        config: meta.configuration().cloned().unwrap_or_default(),
    });
    Ok(if c.entry.array_to_bytes {
        Codec::ArrayToBytes(c)
    } else {
        Codec::BytesToBytes(c)
    })
}

fn create_v2(config: &Map<String, Value>, _ctx: &CodecV2Context) -> Result<Codec, PluginError> {
    let entry =
        handle_of(Some(config)).map_err(|m| PluginError::config(ExtensionKind::Codec, NAME, m))?;
    let mut config = config.clone();
    config.remove("id");
    Ok(Codec::BytesToBytes(Arc::new(PythonCodec { entry, config })))
}

/// Register the plugin (once, at module import).
pub fn register() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        CODECS.register(CodecPlugin::new(NAME, create).with_v2(&[NAME], create_v2))
    });
}

/// A bytes→bytes codec run by its Python object.
struct PythonCodec {
    entry: Arc<Entry>,
    config: Map<String, Value>,
}

impl std::fmt::Debug for PythonCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PythonCodec({})", self.entry.label)
    }
}

impl PythonCodec {
    /// `shape`: the chunk's shape, for an array→bytes codec.
    fn call(
        &self,
        decode: bool,
        data: &[u8],
        shape: Option<&[u64]>,
    ) -> Result<Vec<u8>, CodecError> {
        let e = &self.entry;
        let what = if decode { "decode" } else { "encode" };
        Python::attach(|py| -> Result<Vec<u8>, CodecError> {
            static HELPER: OnceLock<Py<PyAny>> = OnceLock::new();
            let run = || -> PyResult<Option<Vec<u8>>> {
                let helper = match HELPER.get() {
                    Some(h) => h.bind(py).clone(),
                    None => {
                        let h = py.import("zarrkit._pipeline")?.getattr("_py_codec")?;
                        let _ = HELPER.set(h.clone().unbind());
                        h
                    }
                };
                let got = helper.call1((
                    e.codec.bind(py),
                    decode,
                    PyBytes::new(py, data),
                    e.spec.bind(py),
                    e.numcodecs,
                    shape.map(<[u64]>::to_vec),
                ))?;
                if got.is_none() {
                    return Ok(None);
                }
                // one copy, out of the returned buffer (a `uint8` view of the codec's result)
                let bytes = crate::bridge::buffer_bytes(py, &got)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                Ok(Some(Vec::from(bytes)))
            };
            match run() {
                Ok(Some(v)) => Ok(v),
                Ok(None) if !decode && e.top_level => Err(CodecError::new(
                    NAME,
                    format!(
                        "Python codec {} returned None from encode {NO_CHUNK}",
                        e.label
                    ),
                )),
                Ok(None) if decode => Err(CodecError::new(
                    NAME,
                    format!("Python codec {} returned None from decode", e.label),
                )),
                Ok(None) => Err(CodecError::unsupported(
                    NAME,
                    format!(
                        "Python codec {} returned None from encode (zarr's \"do not store this \
                         chunk\"), which a codec inside sharding cannot mean in zarrkit's chain",
                        e.label
                    ),
                )),
                Err(err) => {
                    let text = err.to_string();
                    let id = keep_error(err);
                    Err(CodecError::new(
                        NAME,
                        format!(
                            "Python codec {} raised in {what}: {text} [python exception #{id}]",
                            e.label
                        ),
                    ))
                }
            }
        })
    }
}

impl CodecTraits for PythonCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(self.config.clone())
    }
}

impl BytesToBytesCodecTraits for PythonCodec {
    fn encoded_representation(&self, _decoded: &BytesRepresentation) -> BytesRepresentation {
        BytesRepresentation::Unbounded
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        self.call(false, &input, None)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        _options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let out = self.call(true, &input, None)?;
        if let Some(bound) = decoded.bound() {
            if out.len() as u64 > bound {
                return Err(CodecError::new(
                    NAME,
                    format!(
                        "Python codec {} decoded {} bytes, more than the chunk's {bound}",
                        self.entry.label,
                        out.len()
                    ),
                ));
            }
        }
        Ok(Bytes::from(out))
    }
}

impl ArrayToBytesCodecTraits for PythonCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        if decoded.element_size().is_none() {
            return Err(self.variable());
        }
        Ok(BytesRepresentation::Unbounded)
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let bytes = input.as_fixed().ok_or_else(|| self.variable())?;
        self.call(false, bytes, Some(&decoded.shape))
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let want = decoded.fixed_size().ok_or_else(|| self.variable())?;
        let out = self.call(true, &input, Some(&decoded.shape))?;
        if out.len() as u64 != want {
            return Err(CodecError::UnexpectedSize {
                codec: format!("{NAME} ({})", self.entry.label),
                expected: want,
                actual: out.len() as u64,
            });
        }
        Ok(ArrayBytes::Fixed(out))
    }
}

impl PythonCodec {
    fn variable(&self) -> CodecError {
        CodecError::unsupported(
            NAME,
            format!(
                "Python codec {}: zarrkit runs array-to-bytes codecs in Python only for \
                 fixed-size data types",
                self.entry.label
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_without_a_kept_exception_names_none() {
        assert!(take_error("codec zstd: bad frame").is_none());
        assert!(take_error("x [python exception #").is_none());
        assert!(take_error("x [python exception #notanumber]").is_none());
        assert!(take_error("x [python exception #18446744073709551615]").is_none());
    }

    #[test]
    fn unknown_handles_are_configuration_errors() {
        let err = create(&MetadataV3::new(NAME)).unwrap_err().to_string();
        assert!(err.contains("integer `handle`"), "{err}");
        let mut c = Map::new();
        c.insert("handle".into(), Value::from(u64::MAX));
        let err = create(&MetadataV3::new_with_configuration(NAME, c))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no Python codec is registered"), "{err}");
    }
}
