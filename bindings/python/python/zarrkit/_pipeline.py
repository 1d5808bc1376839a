"""``ZarrkitCodecPipeline``: zarr-python 3.4's codec pipeline interface on zarrkit.

What zarr-python hands a pipeline's ``read`` / ``write`` (per chunk: where the chunk is, its
``ArraySpec``, the chunk and output selections, whether the chunk is written whole) is turned
into plain values here, under the GIL, and handed to the extension (``zarrkit._native``),
which does the rest on its own fork-safe thread pools without the GIL and completes an
asyncio future when the whole request is done:

- the ``ArraySpec`` with the pipeline's codecs becomes zarrkit metadata of a one-chunk array
  (``zarr.json`` for V3, ``.zarray`` for V2), bound once per distinct spec;
- where the chunk is: a ``LocalStore``, read-mode ``ZipStore`` or ``ObjectStore`` over
  obstore's S3/GCS/Azure stores is read and written by zarrkit's own stores (the store's
  current root, or the obstore store's configuration; its ``read_only`` flag honoured); a
  ``MemoryStore`` value is taken from its dict and written back through its own sync
  methods; any other store (fsspec, other obstore stores, wrapper, logging, latency stores, the sharding
  codec's inner getters) is read and written with zarr's own async store methods on the
  caller's event loop, and decoded / encoded in Rust;
- selections (integers, slices of any step, integer and boolean arrays, ``numpy.ix_``
  products) and the output or value array (any strides: C, F, views; non-native byte
  orders) are described by value and pointer; zarrkit copies straight into / out of them.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import os
import re
import sys
import threading
import types
import warnings
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from zarr.abc.codec import Codec, CodecPipeline, GetResult
from zarr.core.chunk_utils import evolve_codecs, fill_value_or_default
from zarr.core.codec_pipeline import BatchedCodecPipeline, codecs_from_list
from zarr.core.config import config

from zarrkit import _native
from zarrkit._native import UnsupportedError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Self

    from zarr.abc.store import ByteGetter, ByteSetter
    from zarr.core.array_spec import ArraySpec
    from zarr.core.buffer import Buffer, NDBuffer


class ZarrkitFallbackWarning(UserWarning):
    """A non-strict pipeline handed a request to zarr-python's own pipeline."""


if hasattr(os, "register_at_fork"):
    # The extension notices a fork by itself too (pthread_atfork, and the pid); this makes
    # the child's first request start fresh pools without even looking.
    os.register_at_fork(after_in_child=_native.after_fork)


_LITTLE = sys.byteorder == "little"


def _strict() -> bool:
    return bool(config.get("codec_pipeline.strict", False))


def _threads() -> int:
    n = config.get("threading.max_workers", None)
    try:
        n = int(n) if n is not None else 0
    except (TypeError, ValueError):
        n = 0
    return max(1, n or (os.cpu_count() or 1))


def _io_threads() -> int:
    try:
        return max(1, int(config.get("async.concurrency", 10) or 10))
    except (TypeError, ValueError):
        return 10


# --- selections -------------------------------------------------------------------------


def _index(sel: Any) -> list[tuple]:
    """A NumPy index (as zarr-python hands it over) as the extension's index tuples."""
    if not isinstance(sel, tuple):
        sel = (sel,)
    out: list[tuple] = []
    for e in sel:
        if isinstance(e, slice):
            out.append((1, _opt_int(e.start), _opt_int(e.stop), _opt_int(e.step)))
        elif e is None:
            out.append((4,))
        elif e is Ellipsis:
            out.append((5,))
        elif isinstance(e, (int, np.integer)) and not isinstance(e, (bool, np.bool_)):
            out.append((0, int(e)))
        else:
            a = np.asarray(e)
            if a.dtype == np.bool_:
                out.append((3, a.shape, np.ascontiguousarray(a, dtype=np.uint8).tobytes()))
            elif a.dtype.kind in "iu":
                if a.ndim == 0:
                    out.append((0, int(a)))
                else:
                    out.append((2, a.shape, np.ascontiguousarray(a, dtype=np.int64).tobytes()))
            else:
                raise IndexError(f"unsupported index entry of type {type(e).__name__}: {e!r}")
    return out


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


# --- buffers ----------------------------------------------------------------------------


def _swap_unit(dt: np.dtype) -> int | None:
    """The byte-swap unit to reach native order (0: none), or None (not by units)."""
    if dt.fields is not None:
        native = all(_swap_unit(f[0]) == 0 for f in dt.fields.values())
        return 0 if native else None
    if dt.subdtype is not None:
        return _swap_unit(dt.subdtype[0])
    bo = dt.byteorder
    if bo in ("=", "|") or (bo == "<") == _LITTLE:
        return 0
    if dt.kind in "iufmMb":
        return dt.itemsize
    if dt.kind == "c":
        return dt.itemsize // 2
    if dt.kind == "U":
        return 4
    return None


def _describe(a: np.ndarray) -> tuple:
    ptr = a.__array_interface__["data"][0]
    return (a, ptr, tuple(a.shape), tuple(a.strides), a.dtype.itemsize, _swap_unit(a.dtype))


def _native_dtype(dt: np.dtype) -> np.dtype:
    return dt.newbyteorder("=")


# --- specs ------------------------------------------------------------------------------


def _is_v2(codecs: tuple[Codec, ...]) -> bool:
    from zarr.codecs._v2 import V2Codec

    return any(isinstance(c, V2Codec) for c in codecs)


def _strings(spec: ArraySpec) -> bool:
    """Variable-size elements are ``str`` (else ``bytes``)."""
    from zarr.core.dtype import VariableLengthBytes

    return not isinstance(spec.dtype, VariableLengthBytes)


_GENERIC_TIME = re.compile(r"([<>|=]?)[Mm]8(?:\[\d*generic\])?")


def _generic_time_v2(name: Any) -> Any:
    """NumPy's unit-less ``M8`` / ``m8`` (stored as int64 counts) as the int64 it is."""
    if isinstance(name, str):
        # "M8", "<m8", ">M8[2generic]": unit-less (generic) with any scale factor
        m = _GENERIC_TIME.fullmatch(name)
        return f"{m.group(1)}i8" if m else name
    if isinstance(name, list):
        return [[f[0], _generic_time_v2(f[1]), *f[2:]] for f in name]
    return name


def _generic_time_v3(dt: Any) -> Any:
    if (
        isinstance(dt, dict)
        and dt.get("name") in ("numpy.datetime64", "numpy.timedelta64")
        and (dt.get("configuration") or {}).get("unit") == "generic"
    ):
        return "int64"  # NumPy's unit-less datetimes are int64 counts (fill values too)
    return dt


def _metadata(codecs: tuple[Codec, ...], spec: ArraySpec, handles: list[int]) -> str:
    """zarrkit metadata of an array whose only chunk is a chunk of ``spec``. Codecs only
    Python can run are named by handles of ``_native.python_codec`` (appended to
    ``handles``; the caller releases them once the metadata is bound)."""
    shape = [int(n) for n in spec.shape]
    if _is_v2(codecs):
        (v2,) = codecs
        dt = spec.dtype.to_json(zarr_format=2)
        fill = spec.fill_value
        meta = {
            "zarr_format": 2,
            "shape": shape,
            "chunks": shape,
            "dtype": _generic_time_v2(dt["name"] if isinstance(dt, dict) else dt),
            "fill_value": None if fill is None else spec.dtype.to_json_scalar(fill, zarr_format=2),
            "order": spec.order,
            "filters": [f.get_config() for f in v2.filters] if v2.filters else None,
            "compressor": _v2_compressor_json(v2.compressor, None if v2.filters else spec, handles),
            "dimension_separator": ".",
        }
    else:
        meta = {
            "zarr_format": 3,
            "node_type": "array",
            "shape": shape,
            "data_type": _generic_time_v3(spec.dtype.to_json(zarr_format=3)),
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": shape}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": spec.dtype.to_json_scalar(fill_value_or_default(spec), zarr_format=3),
            "codecs": _codecs_json(codecs, spec, handles, True),
            "attributes": {},
        }
    return json.dumps(meta, allow_nan=False, default=_json_default)


def _subchunk_write_order(codecs: tuple[Codec, ...]) -> str | None:
    """The sharding codec's ``subchunk_write_order`` (zarr-python 3.4: a write-time setting,
    not in the metadata; ``morton`` by default), or ``None`` without sharding. zarrkit applies
    it to every level of nested sharding."""
    from zarr.codecs.sharding import ShardingCodec

    for c in codecs:
        if isinstance(c, ShardingCodec):
            order = getattr(c, "subchunk_write_order", None)
            return str(order) if order is not None else None
    return None


def _v2_compressor_json(c: Any, spec: ArraySpec | None, handles: list[int]) -> dict | None:
    """A Zarr V2 compressor's configuration, or a handle of it when only its Python code can
    run it (a numcodecs id zarrkit has no plugin for, e.g. ``pickle``, or a class of the
    user's that overrides how it codes). ``spec``: the chunk's, when no filter comes first
    (the compressor then sees the chunk as an array, as zarr hands it)."""
    if c is None:
        return None
    cfg = c.get_config()
    cid = str(cfg.get("id", ""))
    why = _overrides(c) or (
        "" if _native.codec_known(cid, True) else f"zarrkit has no numcodecs codec {cid!r}"
    )
    if not why:
        return cfg
    handles.append(_native.python_codec(c, spec, True, cid or type(c).__qualname__, False, True))
    return {"id": "zarrkit.python", "handle": handles[-1]}


def _python_codec_json(c: Codec, spec: ArraySpec, handles: list[int], top: bool) -> dict | None:
    """The metadata naming a handle of ``c`` when only its Python code can run it (a class
    that overrides how it codes, or a name zarrkit has no plugin for), else ``None``.
    zarrkit runs Python codecs in the bytes-to-bytes and array-to-bytes (fixed-size data
    types) positions."""
    try:
        name = str(c.to_dict().get("name", ""))
    except Exception:  # noqa: BLE001 - a codec that cannot describe itself
        name = ""
    why = _overrides(c) or (
        f"zarrkit has no codec {name!r}" if not name or not _native.codec_known(name) else ""
    )
    if not why:
        return None
    kind = _kind(c)
    if kind == "aa":
        raise UnsupportedError(
            f"{why}; zarrkit runs codecs in Python only in the bytes-to-bytes and "
            "array-to-bytes positions, this one is array-to-array"
        )
    handles.append(
        _native.python_codec(c, spec, False, name or type(c).__qualname__, kind == "ab", top)
    )
    return {"name": "zarrkit.python", "configuration": {"handle": handles[-1]}}


def _codecs_json(codecs: Iterable[Codec], spec: ArraySpec, handles: list[int], top: bool) -> list:
    """The metadata of a chain; each codec described with the spec the codecs before it
    resolve (as zarr hands it to the codec: a cast or transpose changes it)."""
    out = []
    for c in codecs:
        out.append(_codec_json(c, spec, handles, top))
        try:
            spec = c.resolve_metadata(spec)
        except Exception:  # noqa: BLE001 - zarrkit resolves the chain itself; keep this one
            pass
    return out


def _codec_json(c: Codec, spec: ArraySpec, handles: list[int], top: bool = True) -> dict:
    """A codec's metadata, with numcodecs' defaults spelled out (``numcodecs.blosc`` made
    without arguments writes ``{}``; zarrkit wants every field); sharding's inner codecs
    described the same way (with its inner chunks' and index's specs)."""
    from zarr.codecs.sharding import ShardingCodec

    if isinstance(c, ShardingCodec) and not _overrides(c):
        d = c.to_dict()
        cfg = dict(d.get("configuration") or {})
        inner = spec
        get_inner = getattr(c, "_get_chunk_spec", None)
        if get_inner is not None:
            try:
                inner = get_inner(spec)
            except Exception:  # noqa: BLE001 - keep the shard's spec
                inner = spec
        cfg["codecs"] = _codecs_json(c.codecs, inner, handles, False)
        index_spec = spec
        get_index = getattr(c, "_get_index_chunk_spec", None)
        if get_index is not None:
            try:
                index_spec = get_index(c._get_chunks_per_shard(spec))
            except Exception:  # noqa: BLE001 - keep the shard's spec
                index_spec = spec
        cfg["index_codecs"] = _codecs_json(c.index_codecs, index_spec, handles, False)
        return {**d, "configuration": cfg}
    bridged = _python_codec_json(c, spec, handles, top)
    if bridged is not None:
        return bridged
    d = c.to_dict()
    name = d.get("name", "") if isinstance(d, dict) else ""
    inner = getattr(c, "_codec", None) if name.startswith("numcodecs.") else None
    if inner is not None and hasattr(inner, "get_config"):
        cfg = dict(inner.get_config())
        cfg.pop("id", None)
        cfg.update(d.get("configuration") or {})
        d = {"name": name, "configuration": cfg}
    return d


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (bytes, bytearray)):
        import base64

        return base64.b64encode(o).decode()
    raise TypeError(f"cannot describe {type(o).__name__} as JSON")


class _State:
    """What a pipeline keeps besides its codecs (not compared, not pickled)."""

    def __init__(self, codecs: tuple[Codec, ...]) -> None:
        self.lock = threading.Lock()
        self.specs: dict[Any, Any] = {}
        self.fallback: BatchedCodecPipeline | None = None
        self.codecs = codecs

    def spec(self, spec: ArraySpec) -> Any:
        key = spec._key() if hasattr(spec, "_key") else spec
        try:
            got = self.specs.get(key)
        except TypeError:  # an unhashable fill value
            key, got = None, None
        if got is not None:
            if isinstance(got, BaseException):
                raise got
            return got
        handles: list[int] = []
        try:
            meta = _metadata(self.codecs, spec, handles)
            # (the spec owns the handles from here on, bound or not)
            got = _native.Spec(meta, _strings(spec), _subchunk_write_order(self.codecs), handles)
            handles = []
        except UnsupportedError as e:
            got = e
        except (TypeError, ValueError, AttributeError, NotImplementedError) as e:
            if isinstance(e, _native.ZarrkitError):
                raise
            got = UnsupportedError(f"cannot describe the array to zarrkit: {e}")
        finally:
            if handles:  # described, never handed to a spec
                _native.release_python_codecs(handles)
        if key is not None:
            with self.lock:
                self.specs[key] = got
        if isinstance(got, BaseException):
            raise got
        return got

    def fallback_pipeline(self) -> BatchedCodecPipeline:
        if self.fallback is None:
            self.fallback = BatchedCodecPipeline(
                array_array_codecs=tuple(c for c in self.codecs if _kind(c) == "aa"),
                array_bytes_codec=next(c for c in self.codecs if _kind(c) == "ab"),
                bytes_bytes_codecs=tuple(c for c in self.codecs if _kind(c) == "bb"),
                batch_size=config.get("codec_pipeline.batch_size"),
            )
        return self.fallback


def _check_pickle_allowed(codecs: tuple[Codec, ...]) -> None:
    """zarr's own check (``array.allow_unsafe_pickle_decode``) for V2 arrays with the pickle
    codec: raises ``zarr.errors.PickleCodecDisabledError`` unless the user opted in."""
    from zarr.codecs import _v2

    for c in codecs:
        if isinstance(c, _v2.V2Codec):
            _check_pickle_allowed_v2((c.compressor, *(c.filters or ())))


# The methods through which a codec class codes data: a class outside zarr-python and
# numcodecs that overrides one of them (e.g. a subclass registered with
# `zarr.config.set({"codecs.blosc": ...})`) behaves as its Python code says, which zarrkit
# cannot run; one that overrides none of them is the codec it derives from.
_CODING_METHODS = (
    "_encode_single", "_decode_single", "_encode_sync", "_decode_sync", "encode", "decode",
    "_encode_partial_single", "_decode_partial_single", "encode_partial", "decode_partial",
)


def _overrides(c: Any) -> str:
    """Why ``c``'s own Python code must run (its class, outside zarr-python and numcodecs,
    overrides how it codes), or ""."""
    cls = type(c)
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] in ("zarr", "numcodecs", "builtins", "abc"):
            break
        over = [m for m in _CODING_METHODS if m in vars(klass)]
        if over:
            return (
                f"codec {cls.__module__}.{cls.__qualname__} codes in Python "
                f"({klass.__qualname__} overrides {', '.join(over)})"
            )
    changed = _zarr_code_changed(cls)
    if changed:
        return (
            f"codec {cls.__module__}.{cls.__qualname__} codes in Python "
            f"(zarr's {changed} was replaced at run time)"
        )
    return ""


def _functions(v: Any) -> list:
    if isinstance(v, (staticmethod, classmethod)):
        v = v.__func__
    if isinstance(v, property):
        return [f for f in (v.fget, v.fset, v.fdel) if f is not None]
    return [v] if isinstance(v, types.FunctionType) else []


_STDLIB = os.path.dirname(os.__file__) + os.sep


@functools.cache
def _zarr_dir() -> str:
    import zarr

    return os.path.dirname(os.path.abspath(zarr.__file__)) + os.sep


def _zarr_code_changed(cls: type) -> str:
    """Which method of zarr-python's own code for ``cls`` (the zarr classes it derives from
    and every class of their modules, e.g. sharding's ``_ShardIndex``) is a function from
    elsewhere — a test's or a user's monkeypatch — or "". zarrkit's native codecs are
    zarr's code as released; a codec whose code was changed runs in Python, as changed."""
    modules = {k.__module__ for k in cls.__mro__ if k.__module__.startswith("zarr.")}
    for name in sorted(modules):
        module = sys.modules.get(name)
        if module is None:
            continue
        for klass in list(vars(module).values()):
            if not isinstance(klass, type) or klass.__module__ != name:
                continue
            for attr, v in list(vars(klass).items()):
                for f in _functions(v):
                    try:
                        inner = inspect.unwrap(f)  # a decorator's function, not its wrapper
                    except ValueError:  # a `__wrapped__` cycle
                        inner = f
                    if isinstance(inner, types.FunctionType):
                        f = inner
                    if f.__module__ == name and f.__qualname__.startswith(klass.__qualname__ + "."):
                        continue  # defined where it sits
                    file = os.path.abspath(f.__code__.co_filename)
                    if (
                        f.__code__.co_filename.startswith("<")
                        or file.startswith(_zarr_dir())
                        or (file.startswith(_STDLIB) and "-packages" not in file)
                    ):
                        continue  # generated (dataclass, NamedTuple, Protocol) or zarr's own
                    return f"{name}.{klass.__qualname__}.{attr}"
    return ""


# (process id, thread id) -> the event loop on which a Python codec's coroutines run on that
# zarrkit worker thread (worker threads never run another loop). Not a `threading.local`: a
# worker's Python thread state, and so its thread-local data, lasts one call only.
_codec_loops: dict[tuple[int, int], asyncio.AbstractEventLoop] = {}


def _codec_loop() -> asyncio.AbstractEventLoop:
    key = (os.getpid(), threading.get_ident())
    loop = _codec_loops.get(key)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _codec_loops[key] = loop
    return loop


def _py_codec(
    codec: Any, decode: bool, data: bytes, spec: Any, numcodecs: bool, shape: list | None
) -> Any:
    """Run a Python codec on one chunk's bytes, on a zarrkit worker thread (see
    ``bindings/python/src/pycodec.rs``): numcodecs' ``encode``/``decode``, or zarr's
    ``_encode_sync``/``_decode_sync``, or its ``_encode_single``/``_decode_single`` coroutine
    on this thread's own event loop. ``shape``: an array-to-bytes codec's chunk shape (its
    decoded side is the chunk's elements, native byte order, C order). Returns the result's
    bytes as a buffer (a ``uint8`` view, or ``bytes``), or ``None``."""
    if numcodecs:
        from numcodecs.compat import ensure_contiguous_ndarray

        if decode:
            if getattr(codec, "codec_id", None) == "pickle":
                _check_pickle_allowed_v2((codec,))
            out = codec.decode(data)
        else:
            out = codec.encode(_v2_chunk_view(data, spec))
        if isinstance(out, (bytes, bytearray, memoryview)):
            return out
        return _u1(ensure_contiguous_ndarray(out))
    from zarr.core.buffer import default_buffer_prototype

    proto = getattr(spec, "prototype", None) or default_buffer_prototype()
    native_dtype = None
    if shape is not None:
        shape = tuple(int(n) for n in shape)
        if tuple(spec.shape) != shape:
            import dataclasses

            spec = dataclasses.replace(spec, shape=shape)
        # (zarrkit's elements are in the machine's byte order, whatever the data type says)
        native_dtype = _native_dtype(spec.dtype.to_native_dtype())
    if shape is not None and not decode:
        arr = np.frombuffer(data, dtype=native_dtype).reshape(shape)
        buf = proto.nd_buffer.from_numpy_array(arr)
    else:
        buf = proto.buffer.from_bytes(data)
    name = "_decode" if decode else "_encode"
    how = _coding_method(codec, name)
    if how == "sync":
        out = getattr(codec, name + "_sync")(buf, spec)
    elif how == "batch":
        (out,) = _codec_loop().run_until_complete(getattr(codec, name[1:])([(buf, spec)]))
    else:
        out = _codec_loop().run_until_complete(getattr(codec, name + "_single")(buf, spec))
    if out is None:
        return None
    if shape is not None and decode:
        return _u1(np.ascontiguousarray(out.as_numpy_array(), dtype=native_dtype))
    return _u1(out.as_numpy_array()) if hasattr(out, "as_numpy_array") else out


def _u1(a: Any) -> Any:
    """An array's bytes as a flat ``uint8`` view (a copy only if it is not contiguous)."""
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def _v2_chunk_view(data: bytes, spec: Any) -> Any:
    """What a Zarr V2 compressor is handed, as zarr hands it: the chunk as an array of the
    array's data type and shape (its byte order and memory order) when no filter comes before
    it (``spec`` given), else the filters' bytes."""
    if spec is not None:
        dt = spec.dtype.to_native_dtype()
        if dt.itemsize and not dt.hasobject and len(data) == dt.itemsize * int(np.prod(spec.shape)):
            return np.frombuffer(data, dtype=dt).reshape(spec.shape, order=spec.order)
    return np.frombuffer(data, dtype="u1")


_method_choice: dict[tuple[type, str], str] = {}


def _coding_method(codec: Any, name: str) -> str:
    """How zarrkit calls a codec for ``name`` (``_encode`` / ``_decode``): ``"sync"``
    (``<name>_sync``), ``"single"`` (the ``<name>_single`` coroutine) or ``"batch"`` (the
    batch coroutine ``encode`` / ``decode``) — whichever the most derived class defines (a
    subclass overriding only ``_encode_single`` of a codec with both is coded by its
    override), the synchronous one on a tie; never ``sync`` for a codec that says it is not
    sync-capable (zarr's ``_sync_capable``)."""
    cls = type(codec)
    got = _method_choice.get((cls, name))
    if got is None:

        def definer(method: str) -> type | None:
            return next((k for k in cls.__mro__ if method in vars(k)), None)

        best: tuple[str, type] | None = None
        for how, method in (("sync", name + "_sync"), ("single", name + "_single"), ("batch", name[1:])):
            k = definer(method)
            if k is not None and (best is None or (k is not best[1] and issubclass(k, best[1]))):
                best = (how, k)
        got = best[0] if best is not None else "single"
        _method_choice[(cls, name)] = got
    if got == "sync" and not getattr(codec, "_sync_capable", True):
        return "single"
    return got


def _check_pickle_allowed_v2(codecs: tuple[Any, ...]) -> None:
    """zarr's own gate for numcodecs codecs (``zarr.codecs._v2._check_pickle_allowed``, if
    this zarr has it)."""
    from zarr.codecs import _v2

    check = getattr(_v2, "_check_pickle_allowed", None)
    if check is not None:
        check(codecs)


def _kind(c: Codec) -> str:
    from zarr.abc.codec import ArrayArrayCodec, ArrayBytesCodec

    if isinstance(c, ArrayArrayCodec):
        return "aa"
    if isinstance(c, ArrayBytesCodec):
        return "ab"
    return "bb"


# --- stores -----------------------------------------------------------------------------

_native_stores: dict[tuple, Any] = {}
_native_lock = threading.Lock()


def _cached_native(key: tuple, make: Any) -> Any:
    """The native store cached under `key` in this process, made by `make()` if missing."""
    key += (os.getpid(),)
    s = _native_stores.get(key)
    if s is None:
        s = make()
        with _native_lock:
            _native_stores[key] = s
    return s


def _native_store(kind: str, path: str) -> Any:
    key: tuple = (kind, path)
    if kind == "zip":
        # an archive rewritten at the same path is another archive
        st = os.stat(path)
        key += (st.st_mtime_ns, st.st_size, st.st_ino)
    if kind == "fs":
        return _cached_native(key, lambda: _native.NativeStore.filesystem(path))
    return _cached_native(key, lambda: _native.NativeStore.zip(path))


def _seconds(v: Any) -> float:
    return v.total_seconds() if hasattr(v, "total_seconds") else float(v)


def _object_spec(ob: Any) -> tuple | None:
    """(url, config pairs, retry) of an obstore S3, GCS or Azure store for zarrkit's own
    object store, or None when it cannot share the store's configuration (a Python
    credential provider, another store type, a value it does not know)."""
    try:
        import obstore.store as os_
    except ImportError:
        return None
    kinds = (
        (getattr(os_, "S3Store", None), "s3", "bucket"),
        (getattr(os_, "GCSStore", None), "gs", "bucket"),
        (getattr(os_, "AzureStore", None), "az", "container_name"),
    )
    for cls, scheme, bucket_key in kinds:
        if cls is not None and type(ob) is cls:
            break
    else:
        return None
    if getattr(ob, "credential_provider", None) is not None:
        return None
    config = dict(getattr(ob, "config", None) or {})
    bucket = config.pop(bucket_key, None)
    if not isinstance(bucket, str) or not bucket:
        return None
    pairs = []
    for k, v in list(config.items()) + list((getattr(ob, "client_options", None) or {}).items()):
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif hasattr(v, "total_seconds"):
            v = f"{int(round(v.total_seconds() * 1000))}ms"
        elif not isinstance(v, (str, int, float)):
            return None  # e.g. a dict of default headers: not expressible as a key
        pairs.append((str(k), str(v)))
    prefix = (getattr(ob, "prefix", None) or "").strip("/")
    url = f"{scheme}://{bucket}/{prefix}" if prefix else f"{scheme}://{bucket}"
    retry = None
    rc = getattr(ob, "retry_config", None)
    if rc:
        try:
            b = rc.get("backoff") or {}
            retry = (
                int(rc.get("max_retries", 8)),
                _seconds(rc.get("retry_timeout", 60)),
                _seconds(b.get("init_backoff", 0.1)),
                _seconds(b.get("max_backoff", 10)),
                float(b.get("base", 2.0)),
            )
        except (TypeError, ValueError, AttributeError):
            return None
    return url, tuple(sorted(pairs)), retry


def _native_object_store(spec: tuple, read_only: bool) -> Any:
    url, pairs, retry = spec
    return _cached_native(
        ("object", spec, read_only),
        lambda: _native.NativeStore.object(url, list(pairs), read_only, retry),
    )


# id(zarr ObjectStore) -> (weak reference to it, its _object_spec): each store is inspected
# once; an entry goes when its store does.
_object_specs: dict[int, tuple] = {}


def _spec_of(store: Any) -> tuple | None:
    """The `_object_spec` of a zarr `ObjectStore`'s obstore store (None: not native)."""
    k = id(store)
    known = _object_specs.get(k)
    if known is not None and known[0]() is store:
        return known[1]
    spec = _object_spec(store.store)
    _object_specs[k] = (weakref.ref(store, lambda _r, k=k: _object_specs.pop(k, None)), spec)
    return spec


_MEMORY = "memory"
_LOCAL = "local"
_ZIP = "zip"
_OBJECT = "object"
_OTHER = "other"


def _classify(getter: Any) -> tuple[str, Any, str | None]:
    """(how, store, key) for a chunk's byte getter."""
    from zarr.storage import LocalStore, MemoryStore, ObjectStore, StorePath, ZipStore

    if not isinstance(getter, StorePath):
        return _OTHER, None, None
    store = getter.store
    t = type(store)
    if t is LocalStore:
        return _LOCAL, store, getter.path
    if t is MemoryStore:
        return _MEMORY, store, getter.path
    if t is ZipStore and store.read_only and getattr(store, "path", None) is not None:
        return _ZIP, store, getter.path
    if t is ObjectStore and _spec_of(store) is not None:
        return _OBJECT, store, getter.path
    return _OTHER, store, getter.path


async def _ensure_open(store: Any) -> None:
    if not getattr(store, "_is_open", True):
        await store._open()


def _np_bytes(buf: Buffer | None) -> Any:
    if buf is None:
        return None
    return buf.as_numpy_array()


# --- any other store, byte ranges on demand (the extension calls these on the loop) ------

_UNKNOWN_SIZE = 1 << 62


def _byte_request(kind: int, a: int, b: int) -> Any:
    from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest

    if kind == 0:
        return None
    if kind == 1:
        return RangeByteRequest(a, a + b)
    if kind == 2:
        return OffsetByteRequest(a)
    if kind == 3:
        return SuffixByteRequest(a)
    return RangeByteRequest(0, a)


def _bridge_reader(gap: int, most: int) -> Any:
    seen: set[int] = set()

    async def read(getter: Any, prototype: Any, ranges: list) -> Any:
        """The extension's ranged read of one value: ``(parts, size)``, or None (absent).

        A shard is read as zarr's sharding codec reads it: first its index (``get`` with a
        byte range), then the inner chunks needed, in one coalescing ``get_ranges`` call of
        the store (with the array's ``sharding_coalesce_*`` settings)."""
        from zarr.storage import StorePath

        reqs = [_byte_request(*r) for r in ranges]
        first = id(getter) not in seen
        seen.add(id(getter))
        if isinstance(getter, StorePath) and not first:
            bufs: list = [None] * len(reqs)
            try:
                async for group in getter.store.get_ranges(
                    getter.path, reqs, prototype=prototype, max_gap_bytes=gap, max_coalesced_bytes=most
                ):
                    for i, buf in group:
                        bufs[i] = buf
            except BaseExceptionGroup as eg:
                _, rest = eg.split(FileNotFoundError)
                if rest is not None:
                    raise rest from None
                return None
        else:
            bufs = list(await asyncio.gather(*(getter.get(prototype=prototype, byte_range=r) for r in reqs)))
        if any(b is None for b in bufs):
            return None
        parts = [b.as_numpy_array() for b in bufs]
        for (kind, a, b), part in zip(ranges, parts, strict=True):
            if kind == 1 and len(part) != b:
                raise ValueError(
                    f"the store returned {len(part)} bytes for the range {a}..{a + b} of {getter}"
                )
        return parts, _value_size(ranges, parts)

    return read


def _value_size(ranges: list, parts: list) -> int:
    """The whole value's size, where a range tells it (else a bound that checks nothing)."""
    for (kind, a, _), part in zip(ranges, parts, strict=True):
        n = len(part)
        if kind == 0:
            return n
        if kind == 2:
            return a + n
        if kind in (3, 4) and n < a:
            return n
    return _UNKNOWN_SIZE




async def _bridge_set(setter: Any, prototype: Any, value: bytes) -> None:
    await setter.set(prototype.buffer.from_bytes(value))


async def _bridge_delete(setter: Any) -> None:
    await setter.delete()


def _bridge_context(spec: ArraySpec) -> tuple:
    cfg = spec.config
    gap = getattr(cfg, "sharding_coalesce_max_gap_bytes", 1 << 20)
    most = getattr(cfg, "sharding_coalesce_max_bytes", 16 << 20)
    return (
        asyncio.get_running_loop(),
        spec.prototype,
        asyncio.run_coroutine_threadsafe,
        _bridge_reader(gap, most),
        _bridge_set,
        _bridge_delete,
    )


def _sharded(codecs: tuple[Codec, ...]) -> bool:
    from zarr.codecs.sharding import ShardingCodec

    return any(isinstance(c, ShardingCodec) for c in codecs)


# --- the pipeline -----------------------------------------------------------------------


async def _run(start: Any, *args: Any) -> Any:
    """Start a request of the extension and await its completion.

    The request runs on the extension's threads without the GIL; when it is done, its
    handle's descriptor becomes readable, and its result is taken on the event loop's
    thread (worker threads call into Python only to run a bridged store's coroutine on this
    loop, or a codec only Python can run)."""
    pending = start(*args)
    if pending.done():
        return pending.result()
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    fd = pending.fileno()

    def ready() -> None:
        if not pending.done():
            return
        loop.remove_reader(fd)
        if fut.done():
            return
        try:
            fut.set_result(pending.result())
        except BaseException as e:  # noqa: BLE001 - handed to the awaiting task
            fut.set_exception(e)

    loop.add_reader(fd, ready)
    try:
        return await fut
    finally:
        loop.remove_reader(fd)


async def _gather_limited(coros: list, limit: int) -> list:
    if not coros:
        return []
    sem = asyncio.Semaphore(limit)

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return list(await asyncio.gather(*(one(c) for c in coros)))


@dataclass(frozen=True)
class ZarrkitCodecPipeline(CodecPipeline):
    """A zarr-python codec pipeline whose chunk I/O, codecs and indexing are zarrkit's."""

    codecs: tuple[Codec, ...]
    _state: _State = field(init=False, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codecs", tuple(self.codecs))
        object.__setattr__(self, "_state", _State(self.codecs))

    # pickling: the codecs only (the bound specs are the extension's, rebuilt on use)
    def __getstate__(self) -> dict:
        return {"codecs": self.codecs}

    def __setstate__(self, state: dict) -> None:
        object.__setattr__(self, "codecs", tuple(state["codecs"]))
        object.__setattr__(self, "_state", _State(self.codecs))

    @classmethod
    def from_codecs(cls, codecs: Iterable[Codec], *, batch_size: int | None = None) -> Self:
        codecs = tuple(codecs)
        codecs_from_list(codecs)  # zarr's own validation of the order (and its warnings)
        return cls(codecs=codecs)

    def evolve_from_array_spec(self, array_spec: ArraySpec) -> Self:
        return type(self)(codecs=evolve_codecs(self.codecs, array_spec))

    def __iter__(self) -> Iterator[Codec]:
        yield from self.codecs

    @property
    def supports_partial_decode(self) -> bool:
        return True

    @property
    def supports_partial_encode(self) -> bool:
        return True

    def validate(self, *, shape: Any, dtype: Any, chunk_grid: Any) -> None:
        for codec in self.codecs:
            codec.validate(shape=shape, dtype=dtype, chunk_grid=chunk_grid)

    def compute_encoded_size(self, byte_length: int, array_spec: ArraySpec) -> int:
        for codec in self.codecs:
            byte_length = codec.compute_encoded_size(byte_length, array_spec)
            array_spec = codec.resolve_metadata(array_spec)
        return byte_length

    # -- fallback ---------------------------------------------------------------------

    def _fallback(self, what: str, err: BaseException, *, decoding: bool = False) -> BatchedCodecPipeline:
        if decoding:
            # zarrkit has no pickle codec (it would unpickle Python objects); zarr's own
            # gate on decoding it comes first, strict or not, with zarr's own error.
            _check_pickle_allowed(self.codecs)
        if _strict():
            raise err
        warnings.warn(
            f"zarrkit cannot {what} ({err}); using zarr-python's own pipeline",
            ZarrkitFallbackWarning,
            stacklevel=4,
        )
        return self._state.fallback_pipeline()

    # -- decode / encode (the batch codec API) ----------------------------------------

    async def decode(
        self, chunk_bytes_and_specs: Iterable[tuple[Buffer | None, ArraySpec]]
    ) -> list[NDBuffer | None]:
        batch = list(chunk_bytes_and_specs)
        try:
            specs = [self._state.spec(s) for _, s in batch]
        except UnsupportedError as e:
            return list(await self._fallback("decode these chunks", e, decoding=True).decode(batch))
        out: list[NDBuffer | None] = []
        for (buf, spec), zspec in zip(batch, specs, strict=True):
            if buf is None:
                out.append(None)
                continue
            arr = _new_chunk_array(spec)
            full = (slice(None),) * len(spec.shape)
            item = (zspec, _index(full), _index(full), (1, _np_bytes(buf)))
            if zspec.variable:
                (res,) = await _run(_native.read, [item], None, _threads(), _io_threads(), None)
                _put_elements(arr, full, res, spec, ())
            else:
                await _run(_native.read, [item], _describe(arr), _threads(), _io_threads(), None)
            out.append(spec.prototype.nd_buffer.from_ndarray_like(arr))
        return out

    async def encode(
        self, chunk_arrays_and_specs: Iterable[tuple[NDBuffer | None, ArraySpec]]
    ) -> list[Buffer | None]:
        batch = list(chunk_arrays_and_specs)
        try:
            specs = [self._state.spec(s) for _, s in batch]
        except UnsupportedError as e:
            return list(await self._fallback("encode these chunks", e).encode(batch))
        out: list[Buffer | None] = []
        for (nd, spec), zspec in zip(batch, specs, strict=True):
            if nd is None:
                out.append(None)
                continue
            arr = nd.as_numpy_array()
            full = (slice(None),) * len(spec.shape)
            if zspec.variable:
                elements = _elements(arr, full, spec, ())
                item = (zspec, _index(full), _index(full), (1, None), True, elements)
                (put,) = await _run(_native.write, [item], None, _threads(), _io_threads(), None)
            else:
                arr, desc = _value_desc(arr, zspec)
                item = (zspec, _index(full), _index(full), (1, None), True, None)
                (put,) = await _run(_native.write, [item], desc, _threads(), _io_threads(), None)
            out.append(None if put is None or put is False else spec.prototype.buffer.from_bytes(put))
        return out

    # -- read ------------------------------------------------------------------------

    async def read(
        self,
        batch_info: Iterable[tuple[ByteGetter, ArraySpec, Any, Any, bool]],
        out: NDBuffer,
        drop_axes: tuple[int, ...] = (),
    ) -> tuple[GetResult, ...]:
        batch = list(batch_info)
        if not batch:
            return ()
        try:
            plan = [self._state.spec(spec) for _, spec, *_ in batch]
            out_arr = out.as_ndarray_like()
            if not isinstance(out_arr, np.ndarray):
                raise UnsupportedError(f"output buffers of type {type(out_arr).__name__}")
        except UnsupportedError as e:
            return await self._fallback("read this array", e, decoding=True).read(batch, out, drop_axes)

        variable = plan[0].variable
        items = []
        for (getter, spec, chunk_sel, out_sel, _), zspec in zip(batch, plan, strict=True):
            items.append([zspec, _index(chunk_sel), _index(out_sel), None, getter, spec, out_sel])
        bridge = await self._sources(items, for_write=False)

        tmp = None
        if variable:
            desc = None
        else:
            target = out_arr
            want = _native_dtype(batch[0][1].dtype.to_native_dtype())
            if _native_dtype(out_arr.dtype) != want:
                # another data type than the array's (NumPy casts, as zarr's pipeline does)
                tmp = out_arr.astype(want)
                target = tmp
            elif _swap_unit(out_arr.dtype) is None:
                tmp = out_arr.astype(want)
                target = tmp
            desc = _describe(target)
        res = await _run(
            _native.read,
            [(i[0], i[1], i[2], i[3]) for i in items],
            desc,
            _threads(),
            _io_threads(),
            bridge,
        )
        if tmp is not None:
            out_arr[...] = tmp
        results: list[GetResult] = []
        for r, i in zip(res, items, strict=True):
            spec, out_sel = i[5], i[6]
            if r is False:
                if variable:
                    out_arr[out_sel] = fill_value_or_default(spec)
                results.append(GetResult(status="missing"))
            else:
                if variable:
                    _put_elements(out_arr, out_sel, r, spec, drop_axes)
                results.append(GetResult(status="present"))
        return tuple(results)

    # -- write -----------------------------------------------------------------------

    async def write(
        self,
        batch_info: Iterable[tuple[ByteSetter, ArraySpec, Any, Any, bool]],
        value: NDBuffer,
        drop_axes: tuple[int, ...] = (),
    ) -> None:
        batch = list(batch_info)
        if not batch:
            return
        try:
            plan = [self._state.spec(spec) for _, spec, *_ in batch]
            val = value.as_ndarray_like()
            if not isinstance(val, np.ndarray):
                raise UnsupportedError(f"value buffers of type {type(val).__name__}")
        except UnsupportedError as e:
            return await self._fallback("write this array", e).write(batch, value, drop_axes)

        variable = plan[0].variable
        desc = None
        if not variable:
            want = _native_dtype(batch[0][1].dtype.to_native_dtype())
            if _native_dtype(val.dtype) != want:
                val = val.astype(want)  # NumPy's cast, as zarr's own pipeline does
            val, desc = _value_desc(val, plan[0])

        sharded = _sharded(self.codecs)
        items = []
        edges = []
        for (setter, spec, chunk_sel, out_sel, complete), zspec in zip(batch, plan, strict=True):
            if complete and not _covers(chunk_sel, spec.shape):
                if sharded:
                    # zarr keeps a shard's cells beyond the array's shape: merge into it
                    complete = False
                else:
                    # zarr writes an edge chunk whole, with the fill value beyond the shape
                    edges.append((setter, spec, chunk_sel, out_sel, zspec))
                    continue
            elements = _elements(val, out_sel, spec, drop_axes, chunk_sel) if variable else None
            items.append(
                [
                    zspec,
                    _index(chunk_sel),
                    _index(out_sel) if val.ndim else [],
                    None,
                    setter,
                    spec,
                    complete,
                    elements,
                ]
            )
        # Edge chunks: merged into a whole chunk of fill values first (zarr's own merge), each
        # written from its own buffer.
        from zarr.core.chunk_utils import _merge_chunk_array

        own: list[tuple] = []
        for setter, spec, chunk_sel, out_sel, zspec in edges:
            chunk = _merge_chunk_array(None, value, out_sel, spec, chunk_sel, True, drop_axes)
            carr = np.asarray(chunk.as_ndarray_like())
            full = (slice(None),) * len(spec.shape)
            if variable:
                elements = _elements(carr, full, spec, (), full)
                cdesc = None
                items.append([zspec, _index(full), [], None, setter, spec, True, elements])
            else:
                carr, cdesc = _value_desc(carr.astype(want, copy=False), zspec)
                items.append([zspec, _index(full), _index(full), None, setter, spec, True, None])
            own.append((items[-1], cdesc))
        await self._sources(items, for_write=True)

        def args(i: list) -> tuple:
            return (i[0], i[1], i[2], i[3], bool(i[5].config.write_empty_chunks), i[7])

        main = items[: len(items) - len(own)]
        puts = []
        if main:
            puts = await _run(
                _native.write, [args(i) for i in main], desc, _threads(), _io_threads(), None
            )
        for i, cdesc in own:
            puts += await _run(_native.write, [args(i)], cdesc, _threads(), _io_threads(), None)
        # Values of stores the extension does not write itself.
        pending = []
        for put, i in zip(puts, items, strict=True):
            if put is None:
                continue
            setter, spec = i[4], i[5]
            how, store, key = _classify(setter)
            if how == _MEMORY:
                if put is False:
                    store.delete_sync(key)
                else:
                    store.set_sync(key, spec.prototype.buffer.from_bytes(put))
            elif put is False:
                pending.append(setter.delete())
            else:
                pending.append(setter.set(spec.prototype.buffer.from_bytes(put)))
        await _gather_limited(pending, _io_threads())

    # -- where chunks are ----------------------------------------------------------------

    async def _sources(self, items: list[list], *, for_write: bool) -> tuple | None:
        """Fill in each item's source (index 3) from its byte getter (index 4); the bridge
        context if an item reads through zarr's store methods on demand."""
        fetch: list[tuple[list, Any]] = []
        bridge = None
        ranged = not for_write and _sharded(self.codecs)
        checked: set[int] = set()
        for it in items:
            getter, spec = it[4], it[5]
            complete = it[6] if for_write else False
            how, store, key = _classify(getter)
            if store is not None and id(store) not in checked:
                checked.add(id(store))
                if for_write:
                    store._check_writable()
                if how in (_LOCAL, _MEMORY):
                    await _ensure_open(store)
            if how == _LOCAL:
                it[3] = (0, _native_store("fs", str(store.root)), key)
            elif how == _ZIP:
                it[3] = (0, _native_store("zip", str(store.path)), key)
            elif how == _OBJECT:
                native = _native_object_store(_spec_of(store), bool(store.read_only))
                it[3] = (0, native, key)
            elif how == _MEMORY:
                if for_write and complete is True:
                    it[3] = (1, None, key)
                else:
                    it[3] = (1, _np_bytes(store._store_dict.get(key)), key)
            elif for_write and complete is True:
                it[3] = (1, None, str(getattr(getter, "path", "")))
            elif ranged:
                # a shard: its index, then only the inner chunks needed, as zarr reads them
                if bridge is None:
                    bridge = _bridge_context(spec)
                it[3] = (2, getter)
            else:
                fetch.append((it, getter.get(prototype=spec.prototype)))
        if fetch:
            got = await _gather_limited([c for _, c in fetch], _io_threads())
            for (it, _), buf in zip(fetch, got, strict=True):
                it[3] = (1, _np_bytes(buf), str(getattr(it[4], "path", "")))
        return bridge


def _covers(sel: Any, shape: tuple[int, ...]) -> bool:
    """Whether a chunk selection is the whole chunk."""
    if not isinstance(sel, tuple):
        sel = (sel,)
    if len(sel) != len(shape):
        return False
    for e, n in zip(sel, shape, strict=True):
        if not isinstance(e, slice):
            return False
        start, stop, step = e.indices(n)
        if start != 0 or stop != n or step != 1:
            return False
    return True


def _new_chunk_array(spec: ArraySpec) -> np.ndarray:
    dt = spec.dtype.to_native_dtype()
    order = spec.order if spec.order in ("C", "F") else "C"
    return np.empty(spec.shape, dtype=dt, order=order)


def _value_desc(val: np.ndarray, zspec: Any) -> tuple[np.ndarray, tuple]:
    if _swap_unit(val.dtype) is None:
        val = np.ascontiguousarray(val, dtype=_native_dtype(val.dtype))
    return val, _describe(val)


def _put_elements(out_arr: np.ndarray, out_sel: Any, res: tuple, spec: ArraySpec, drop_axes: tuple) -> None:
    elements, shape = res
    a = np.empty(len(elements), dtype=out_arr.dtype)
    a[:] = elements
    a = a.reshape(tuple(shape))
    if drop_axes:
        a = a.squeeze(axis=drop_axes)
    out_arr[out_sel] = a


def _elements(
    val: np.ndarray,
    out_sel: Any,
    spec: ArraySpec,
    drop_axes: tuple,
    chunk_sel: Any = None,
) -> list:
    """The elements to write (C order of the chunk selection), for variable-size data."""
    if chunk_sel is None:
        chunk_sel = (slice(None),) * len(spec.shape)
    target = np.empty(spec.shape, dtype=np.bool_)[chunk_sel].shape
    if val.ndim == 0:
        v = val
    else:
        v = val[out_sel]
        if drop_axes:
            v = np.expand_dims(v, drop_axes)
    v = np.broadcast_to(v, target)
    return [_element(x) for x in v.reshape(-1).tolist()]


def _element(x: Any) -> Any:
    if isinstance(x, (str, bytes)):
        return x
    if isinstance(x, (bytearray, memoryview, np.bytes_)):
        return bytes(x)
    return str(x)
