"""Helpers for zarrkit-ome's validation tests (run with the venv of setup-venv.sh).

  check.py selftest
  check.py schema VERSION KIND FILE      # KIND: image | label | strict_image; FILE: attributes JSON
  check.py store PATH                    # every OME group below PATH against the schemas
  check.py models PATH                   # every OME group below PATH through ome-zarr-models
  check.py ozx FILE DIR                  # an .ozx: entries, comment; extracted into DIR and
                                         # opened through zarr's ZipStore with ome-zarr-models
  check.py examples DIR                  # ome-zarr-py's sample images (0.4 and 0.5) into DIR
  check.py reference FILE                # scipy/numpy reference levels (JSON in, JSON out)

Output is one JSON document on stdout.
"""
import json
import os
import subprocess
import sys
from pathlib import Path


def schema_dir(version):
    # ngff-zarr is installed without its dependencies, only for its copy of the schemas:
    # find the package without importing it.
    import importlib.util

    spec = importlib.util.find_spec("ngff_zarr")
    return Path(spec.origin).parent / "spec" / version / "schemas"


def validator(version, kind):
    from jsonschema.validators import validator_for
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    reg = Registry()
    schemas = {}
    for f in sorted(schema_dir(version).glob("*.schema")):
        s = json.loads(f.read_text())
        schemas[f.stem] = s
        reg = reg.with_resource(s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
    s = schemas[kind]
    cls = validator_for(s, default=validator_for({"$schema": "https://json-schema.org/draft/2020-12/schema"}))
    return cls(s, registry=reg)


def check_doc(version, kind, doc):
    v = validator(version, kind)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc)]


def kinds_of(version, attrs):
    ns = attrs.get("ome", {}) if version == "0.5" else attrs
    kinds = []
    if "multiscales" in ns:
        kinds += ["image", "strict_image"]
    if "image-label" in ns:
        kinds.append("label")
    return kinds


def group_attrs(path):
    p = Path(path)
    if (p / "zarr.json").exists():
        m = json.loads((p / "zarr.json").read_text())
        if m.get("node_type") == "group":
            return "0.5", m.get("attributes", {})
    if (p / ".zgroup").exists():
        za = p / ".zattrs"
        return "0.4", json.loads(za.read_text()) if za.exists() else {}
    return None, None


def cmd_store(root):
    # "errors": the schemas (image, label); "strict_errors": the strict schemas (SHOULDs).
    out = {"groups": {}, "errors": [], "strict_errors": []}
    for dirpath, dirnames, _ in os.walk(root):
        version, attrs = group_attrs(dirpath)
        if version is None:
            continue
        rel = os.path.relpath(dirpath, root)
        res = {}
        for kind in kinds_of(version, attrs):
            errs = check_doc(version, kind, attrs)
            res[kind] = errs
            key = "strict_errors" if kind.startswith("strict") else "errors"
            out[key] += [f"{rel} ({kind}): {e}" for e in errs]
        out["groups"][rel] = {"version": version, "kinds": res}
    return out


def model_of(group, version):
    """The ome-zarr-models class that validates a zarr group (metadata and arrays)."""
    import ome_zarr_models

    try:
        m = ome_zarr_models.open_ome_zarr(group, version=version)
        return type(m).__module__.split(".")[1] + "." + type(m).__name__, None
    except Exception as e:  # noqa: BLE001 - reported, the test fails on it
        return None, f"{type(e).__name__}: {e}"[:4000]


def cmd_models(root):
    import zarr

    out = {"groups": {}, "errors": []}
    for dirpath, _, _ in os.walk(root):
        version, attrs = group_attrs(dirpath)
        if version is None or not attrs:
            continue
        rel = os.path.relpath(dirpath, root)
        g = zarr.open_group(dirpath, mode="r", zarr_format=3 if version == "0.5" else 2)
        name, err = model_of(g, version)
        out["groups"][rel] = name
        if err:
            out["errors"].append(f"{rel}: {err}")
    return out


def cmd_ozx(f, d):
    import zipfile

    import zarr

    out = {"errors": []}
    with zipfile.ZipFile(f) as z:
        infos = z.infolist()
        out["entries"] = len(infos)
        out["first"] = infos[0].filename if infos else None
        out["comment"] = json.loads(z.comment.decode()) if z.comment else None
        out["methods"] = sorted({i.compress_type for i in infos})
        bad = z.testzip()
        if bad is not None:
            out["errors"].append(f"CRC error in {bad}")
        z.extractall(d)
    store = zarr.storage.ZipStore(f, mode="r")
    try:
        root = zarr.open_group(store, mode="r", zarr_format=3)
        name, err = model_of(root, "0.5")
        out["root_model"] = name
        if err:
            out["errors"].append(f"zip root: {err}")
        arrays = {}
        for k, a in root.arrays():
            arrays[k] = {"shape": list(a.shape), "sum": float(a[...].astype("float64").sum())}
        out["arrays"] = arrays
    finally:
        store.close()
    return out


def cmd_examples(d):
    d = Path(d)
    made = {}
    for v in ["0.4", "0.5"]:
        p = d / f"coins-{v}.zarr"
        subprocess.run([str(Path(sys.executable).parent / "ome_zarr"), "create", "--method", "coins",
                        "--format", v, str(p)], check=True, capture_output=True)
        made[v] = str(p)
    return made


def downsample(x, factors, method, sigma=None, truncate=4.0):
    import numpy as np
    from scipy import ndimage

    x = np.asarray(x, dtype=np.float64)
    if method == "gaussian":
        x = ndimage.gaussian_filter(x, sigma=sigma, mode="nearest", truncate=truncate)
    out_shape = tuple(-(-n // f) for n, f in zip(x.shape, factors))
    out = np.zeros(out_shape)
    for idx in np.ndindex(*out_shape):
        sl = tuple(slice(i * f, min(i * f + f, n)) for i, f, n in zip(idx, factors, x.shape))
        out[idx] = x[sl].mean()
    return out


def cmd_reference(f):
    import numpy as np

    req = json.loads(Path(f).read_text())
    x = np.asarray(req["data"], dtype=np.float64).reshape(req["shape"])
    out = downsample(x, req["factors"], req["method"], req.get("sigma"), req.get("truncate", 4.0))
    return {"shape": list(out.shape), "data": out.ravel().tolist()}


def main():
    cmd = sys.argv[1]
    if cmd == "selftest":
        import jsonschema, scipy, ome_zarr, ome_zarr_models, zarr  # noqa: F401
        assert schema_dir("0.5").is_dir() and schema_dir("0.4").is_dir()
        r = {"ok": True}
    elif cmd == "schema":
        version, kind, f = sys.argv[2:5]
        r = {"errors": check_doc(version, kind, json.loads(Path(f).read_text()))}
    elif cmd == "store":
        r = cmd_store(sys.argv[2])
    elif cmd == "models":
        r = cmd_models(sys.argv[2])
    elif cmd == "ozx":
        r = cmd_ozx(sys.argv[2], sys.argv[3])
    elif cmd == "examples":
        r = cmd_examples(sys.argv[2])
    elif cmd == "reference":
        r = cmd_reference(sys.argv[2])
    else:
        raise SystemExit(f"unknown command {cmd}")
    json.dump(r, sys.stdout)


if __name__ == "__main__":
    main()
