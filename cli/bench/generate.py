#!/usr/bin/env python3
"""Write the benchmark input: a deterministic, realistically compressible uint16 volume
(C order, little-endian), the same generator and seed as the side-by-side harness
(bench-work/harness/run.py, `generate_input`, GENERATOR_VERSION 1): a dark background
(~100) with smooth bright 3-D structures (up to ~3000) plus Gaussian noise (sigma 3).

usage: generate.py Z Y X SEED OUT   (needs numpy)
"""
import sys
from pathlib import Path

import numpy as np


def generate_input(shape, seed, path):
    Z, Y, X = shape
    f = np.float32
    tau = f(2 * np.pi)
    y = np.arange(Y, dtype=np.float32)[:, None]
    x = np.arange(X, dtype=np.float32)[None, :]
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for z in range(Z):
            zf = f(z)
            s = np.sin(tau * (x / f(157) + zf / f(211))) * np.cos(tau * (y / f(131) - zf / f(173)))
            s = s + f(0.5) * np.sin(tau * (x / f(41) + y / f(59) + zf / f(47)))
            v = f(100) + f(3000) * np.maximum(s - f(0.5), f(0))
            v += rng.normal(0, 3, size=(Y, X)).astype(np.float32)
            np.clip(np.rint(v), 0, 65535).astype("<u2").tofile(fh)
    tmp.rename(path)


if __name__ == "__main__":
    z, y, x, seed = (int(a) for a in sys.argv[1:5])
    generate_input((z, y, x), seed, Path(sys.argv[5]))
