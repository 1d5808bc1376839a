"""NumPy ground truth for zarrkit's selections (tests/selection.rs): for arrays filled with
arange, the shape and values NumPy gives for orthogonal (outer), vectorized and mask
selections, and the array after assigning through them. Run by scripts/reference/generate.sh."""
import json
import random

import numpy as np

rng = random.Random(1234)
cases = []


def spec_index(ix):
    """An orthogonal index as JSON, and its NumPy outer form (index array, kept?)."""
    return ix


def outer(a, idx):
    """NumPy outer (orthogonal) indexing: each index independently."""
    nd = a.ndim
    # Expand ellipsis / newaxis.
    real = [i for i in idx if i not in ("...", "newaxis")]
    fill = nd - len(real)
    full = []
    for i in idx:
        if i == "...":
            full += [{"slice": [None, None, 1]}] * fill
            fill = 0
        else:
            full.append(i)
    full += [{"slice": [None, None, 1]}] * fill
    arrays, keep, newaxes = [], [], []
    dim = 0
    out_pos = 0
    for i in full:
        if i == "newaxis":
            newaxes.append(out_pos)
            out_pos += 1
            continue
        n = a.shape[dim]
        if isinstance(i, int):
            arrays.append(np.array([i % n if i < 0 else i]))
            keep.append(False)
        elif "slice" in i:
            s, e, st = i["slice"]
            arrays.append(np.arange(n)[slice(s, e, st)])
            keep.append(True)
            out_pos += 1
        elif "array" in i:
            arrays.append(np.array(i["array"], dtype=np.int64) % n if len(i["array"]) else np.array([], dtype=np.int64))
            keep.append(True)
            out_pos += 1
        else:
            arrays.append(np.nonzero(np.array(i["mask"], dtype=bool))[0])
            keep.append(True)
            out_pos += 1
        dim += 1
    r = a[np.ix_(*arrays)] if arrays else a
    r = r.reshape([len(x) for x, k in zip(arrays, keep) if k])
    for p in newaxes:
        r = np.expand_dims(r, p)
    return r, arrays, keep


def rand_index(n):
    k = rng.randrange(6)
    if k == 0:
        return rng.randrange(-n, n)
    if k == 1 or k == 2:
        step = rng.choice([1, 1, 2, 3, -1, -2, -3])
        s = rng.choice([None, rng.randrange(-n - 2, n + 2)])
        e = rng.choice([None, rng.randrange(-n - 2, n + 2)])
        return {"slice": [s, e, step]}
    if k == 3:
        return {"array": [rng.randrange(-n, n) for _ in range(rng.randrange(0, 6))]}
    if k == 4:
        return {"mask": [rng.random() < 0.5 for _ in range(n)]}
    return {"slice": [None, None, 1]}


shapes = [(7,), (5, 6), (4, 5, 6), (3, 4, 5, 2)]
for shape in shapes:
    a = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    for t in range(40):
        idx = [rand_index(n) for n in shape]
        if t % 7 == 3 and len(shape) > 1:
            idx = idx[:1] + ["..."] + idx[-1:] if len(shape) > 2 else ["..."] + idx[1:]
        if t % 11 == 5:
            idx = idx[:1] + ["newaxis"] + idx[1:]
        r, arrays, keep = outer(a, idx)
        # Assignment through the same selection (last write of repeated positions wins).
        vals = (np.arange(r.size, dtype=np.int32) + 1000).reshape(r.shape)
        b = a.copy()
        flat = vals.reshape([len(x) for x, k in zip(arrays, keep) if k]) if r.size else vals
        # Last-wins assignment, written out element by element (np.ix_ assignment order).
        it = np.ndindex(*[len(x) for x in arrays])
        vflat = vals.reshape(-1)
        for k, pos in enumerate(it):
            b[tuple(arr[p] for arr, p in zip(arrays, pos))] = vflat[k]
        cases.append({
            "kind": "orthogonal", "shape": list(shape), "index": idx,
            "result_shape": list(r.shape), "result": r.reshape(-1).tolist(),
            "written": b.reshape(-1).tolist(),
        })
    # Vectorized: integer arrays broadcast, slices beside them.
    for t in range(30):
        nd = len(shape)
        kinds = [rng.choice(["array", "array", "slice", "int"]) for _ in range(nd)]
        if "array" not in kinds:
            kinds[rng.randrange(nd)] = "array"
        bshape = rng.choice([(3,), (2, 3), (1,), (2, 1)])
        idx, np_idx = [], []
        for d, k in enumerate(kinds):
            n = shape[d]
            if k == "array":
                s = bshape if rng.random() < 0.7 else (1,) * len(bshape)
                v = np.array([rng.randrange(-n, n) for _ in range(int(np.prod(s)))], dtype=np.int64).reshape(s)
                idx.append({"array": v.reshape(-1).tolist(), "shape": list(s)})
                np_idx.append(v)
            elif k == "int":
                i = rng.randrange(-n, n)
                idx.append(i)
                np_idx.append(i)
            else:
                st = rng.choice([1, 2, -1])
                idx.append({"slice": [None, None, st]})
                np_idx.append(slice(None, None, st))
        r = a[tuple(np_idx)]
        vals = (np.arange(r.size, dtype=np.int32) + 5000).reshape(r.shape)
        b = a.copy()
        b[tuple(np_idx)] = vals
        cases.append({
            "kind": "vectorized", "shape": list(shape), "index": idx,
            "result_shape": list(r.shape), "result": r.reshape(-1).tolist(),
            "written": b.reshape(-1).tolist(),
        })
    # Masks of the whole array.
    for t in range(5):
        m = np.array([rng.random() < 0.3 for _ in range(a.size)]).reshape(shape)
        r = a[m]
        b = a.copy()
        b[m] = np.arange(r.size, dtype=np.int32) + 9000
        cases.append({
            "kind": "mask", "shape": list(shape), "mask": m.reshape(-1).tolist(),
            "result_shape": list(r.shape), "result": r.reshape(-1).tolist(),
            "written": b.reshape(-1).tolist(),
        })

with open("numpy.json", "w") as f:
    json.dump({"numpy": np.__version__, "cases": cases}, f)
print(len(cases), "cases")
