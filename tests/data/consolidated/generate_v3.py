"""A consolidated V3 hierarchy as zarr-python 3 writes it (inline `consolidated_metadata`),
for tests/consolidated.rs. Run by scripts/reference/generate.sh (zarr 3.1 venv)."""
import shutil

import numpy as np
import zarr

shutil.rmtree("v3", ignore_errors=True)
g = zarr.open_group("v3", mode="w", zarr_format=3)
g.attrs["title"] = "consolidated v3"
s = g.create_group("sub")
s.attrs["level"] = 1
a = s.create_array("data", shape=(4,), chunks=(2,), dtype="int32", compressors=None)
a[:] = np.arange(4, dtype="int32")
a.attrs["units"] = "m"
g.create_array("top", shape=(3,), chunks=(3,), dtype="float64", fill_value=1.5, compressors=None)
g.create_group("sub/deeper")
zarr.consolidate_metadata("v3")
