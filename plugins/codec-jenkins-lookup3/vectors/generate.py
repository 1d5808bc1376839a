"""Reference vectors for zarrkit-codec-jenkins-lookup3, written by numcodecs'
`JenkinsLookup3` (numcodecs/jenkins.pyx, HDF5's lookup3 `hashlittle`) and zarr-python 2.

Run with `scripts/reference/generate.sh codec-jenkins-lookup3`; writes
`jenkins_lookup3.json` next to this file.

- `hashes`: `numcodecs.jenkins.jenkins_lookup3(data, initval)` for every length 0..=40 (all
  tail lengths, one and several 12-byte blocks) and a longer input, with several seeds;
  plus numcodecs' own test vectors (test_jenkins.py).
- `inputs` / `cases`: the numcodecs fixture-style arrays (fewer elements) encoded by
  `JenkinsLookup3()`, `JenkinsLookup3(initval=1230)`, `JenkinsLookup3(initval=0xDEADBEEF)`
  and, with a prefix, `JenkinsLookup3(initval=7, prefix=b"Hello world")`. numcodecs cannot
  write a prefix into JSON (`get_config` returns it as a NumPy array), so those cases give
  it as `prefix_hex` next to the configuration zarrkit reads (`prefix` as byte values).
- `hdf5`: test_jenkins.py's HDF5 fixed-array data block: the chunk index with its stored
  checksum, and the data block prefix.
- `arrays`: zarr-python 2 V2 arrays (every key, hex) using the codec as compressor and
  filter, and their data in C order.
"""

import json
import os

import numcodecs
import numpy as np
import zarr
from numcodecs import JenkinsLookup3
from numcodecs.jenkins import jenkins_lookup3

N = 32


def fixture_arrays():
    rng = np.random.default_rng(20240613)
    u8 = lambda hi: rng.integers(0, hi, size=N, dtype="<u8")  # noqa: E731
    nat = lambda: rng.integers(-(2**63), -(2**63) + 20, size=N, dtype="<i8")  # noqa: E731
    return [
        ("arange <i4", np.arange(N, dtype="<i4")),
        ("linspace <f8", np.linspace(1000, 1001, N, dtype="<f8")),
        ("normal <f8 (8, 4)", rng.normal(loc=1000, scale=1, size=(8, 4))),
        ("bool (8, 4) order F", rng.integers(0, 2, size=N).astype(bool).reshape(8, 4, order="F")),
        ("|S3 (2, 4, 4)", rng.choice([b"a", b"bb", b"ccc"], size=N).reshape(2, 4, 4)),
        ("<M8[ns]", u8(2**60).view("<M8[ns]")),
        ("<m8[ns]", u8(2**60).view("<m8[ns]")),
        ("<M8[m]", u8(2**25).view("<M8[m]")),
        ("<m8[m]", u8(2**25).view("<m8[m]")),
        ("<M8[ns] near NaT", nat().view("<M8[ns]")),
        ("<m8[ns] near NaT", nat().view("<m8[ns]")),
        ("<M8[m] near NaT", nat().view("<M8[m]")),
        ("<m8[m] near NaT", nat().view("<m8[m]")),
        ("empty", np.zeros(0, dtype="<u1")),
        ("Four score and seven years ago", np.frombuffer(b"Four score and seven years ago", dtype="<u1")),
        ("1001 bytes", rng.integers(0, 256, size=1001, dtype="<u1")),
    ]


def memory_bytes(a):
    return a.tobytes(order="A")


def hashes():
    out = []
    base = bytes(range(256))
    seeds = [0, 1, 1230, 0xDEADBEEF, 0xFFFFFFFF]
    for n in list(range(41)) + [100, 255, 256]:
        for seed in seeds:
            data = base[:n]
            out.append({"hex": data.hex(), "initval": seed, "hash": jenkins_lookup3(np.frombuffer(data, "u1"), seed)})
    for data, seed in [
        (b"", 0),
        (b"", 0xDEADBEEF),
        (b"Four score and seven years ago", 0),
        (b"Four score and seven years ago", 1),
        (b"jenkins", 0),
        (b"\xff" * 37, 12345),
    ]:
        out.append({"hex": data.hex(), "initval": seed, "hash": jenkins_lookup3(np.frombuffer(data, "u1"), seed)})
    # The chain of test_jenkins.py: h_{k+1} = hash("", h_k).
    h = [0]
    for _ in range(9):
        h.append(jenkins_lookup3(np.frombuffer(b"", "u1"), h[-1]))
    return out, h


# (V2 config zarrkit reads, prefix bytes or None, numcodecs codec)
CODECS = [
    ({"id": "jenkins_lookup3", "initval": 0, "prefix": None}, None, JenkinsLookup3()),
    ({"id": "jenkins_lookup3", "initval": 1230, "prefix": None}, None, JenkinsLookup3(initval=1230)),
    ({"id": "jenkins_lookup3", "initval": 0xDEADBEEF, "prefix": None}, None, JenkinsLookup3(initval=0xDEADBEEF)),
    (
        {"id": "jenkins_lookup3", "initval": 7, "prefix": list(b"Hello world")},
        b"Hello world",
        JenkinsLookup3(initval=7, prefix=b"Hello world"),
    ),
]


def v2_arrays():
    rng = np.random.default_rng(9)
    specs = [
        ((10, 6), (4, 4), "<i4", "C", JenkinsLookup3(), None, np.arange(60, dtype="<i4").reshape(10, 6) * 7 - 100),
        ((10, 6), (4, 4), "<f8", "F", JenkinsLookup3(initval=99), None, rng.normal(size=(10, 6))),
        ((3, 4, 5), (2, 4, 5), "|S3", "C", None, [JenkinsLookup3()], rng.choice([b"a", b"bb", b"ccc"], size=60).reshape(3, 4, 5)),
        ((20,), (20,), ">i2", "C", JenkinsLookup3(initval=1), None, np.arange(20, dtype=">i2") - 10),
    ]
    out = []
    for shape, chunks, dtype, order, comp, filters, data in specs:
        store = {}
        a = zarr.open_array(
            store, mode="w", shape=shape, chunks=chunks, dtype=dtype, compressor=comp, filters=filters, order=order, fill_value=None
        )
        a[...] = data
        back = a[...]
        assert (back == data).all()
        c_order = np.ascontiguousarray(back)
        native = c_order.astype(c_order.dtype.newbyteorder("<")) if c_order.dtype.byteorder == ">" else c_order
        out.append(
            {
                "keys": {k: bytes(v).hex() for k, v in sorted(store.items())},
                "dtype": dtype,
                "shape": list(shape),
                "data": native.tobytes().hex(),
            }
        )
    return out


def main():
    inputs = fixture_arrays()
    cases = []
    for cfg, prefix, codec in CODECS:
        if prefix is None:
            assert json.loads(json.dumps(codec.get_config())) == cfg
        for i, (_, arr) in enumerate(inputs):
            enc = bytes(codec.encode(arr))
            assert bytes(codec.decode(enc)) == memory_bytes(arr)
            cases.append(
                {
                    "config": cfg,
                    "prefix_hex": None if prefix is None else prefix.hex(),
                    "input": i,
                    "encoded": enc.hex(),
                }
            )
    hs, chain = hashes()
    chunk_index = bytes.fromhex(
        "0008000000000000f70f000000000000f717000000000000f70f000000000000ee27000000000000"
        "f70f000000000000e537000000000000f70f000000000000dc47000000000000f70f000000000000"
        "d357000000000000f70f000000000000ca67000000000000f70f000000000000c177000000000000"
        "f70f000000000000b887000000000000f70f000000000000af97000000000000f70f000000000000"
        "a6a7000000000000f70f0000000000009db7000000000000f70f00000000000094c7000000000000"
        "f70f0000000000008bd7000000000000f70f00000000000082e7000000000000f70f000000000000"
        "79f7000000000000f70f0000000000006e960785"
    )
    prefix = b"FADB\x00\x01\xcf\x01\x00\x00\x00\x00\x00\x00"
    j = JenkinsLookup3(prefix=prefix)
    assert bytes(j.encode(np.frombuffer(chunk_index[:-4], "u1"))) == chunk_index
    doc = {
        "generator": "plugins/codec-jenkins-lookup3/vectors/generate.py",
        "numcodecs": numcodecs.__version__,
        "numpy": np.__version__,
        "zarr": zarr.__version__,
        "hashes": hs,
        "empty_chain": chain,
        "hdf5": {"encoded": chunk_index.hex(), "prefix_hex": prefix.hex()},
        "inputs": [{"name": n, "hex": memory_bytes(a).hex()} for n, a in inputs],
        "cases": cases,
        "arrays": v2_arrays(),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "jenkins_lookup3.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
