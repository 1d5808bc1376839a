"""A consolidated V2 hierarchy as zarr-python 2 writes it (`zarr.consolidate_metadata`),
for tests/consolidated.rs. Run by scripts/reference/generate.sh (zarr 2.18 venv)."""
import shutil

import numpy as np
import zarr

shutil.rmtree("v2", ignore_errors=True)
g = zarr.open_group("v2", mode="w")
g.attrs["title"] = "consolidated v2"
s = g.create_group("sub")
s.attrs["level"] = 1
a = s.create_dataset("data", shape=(4,), chunks=(2,), dtype="<i4", compressor=None)
a[:] = np.arange(4, dtype="<i4")
a.attrs["units"] = "m"
g.create_dataset("top", shape=(3,), chunks=(3,), dtype="<f8", fill_value=1.5, compressor=None)
g.create_group("sub/deeper")
zarr.consolidate_metadata("v2")
