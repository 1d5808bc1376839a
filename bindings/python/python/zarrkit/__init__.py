"""zarrkit for zarr-python: a codec pipeline that does chunk I/O, codecs and indexing in Rust.

    import zarr
    zarr.config.set({"codec_pipeline.path": "zarrkit.ZarrkitCodecPipeline"})

Every array opened or created after that reads and writes its chunks with zarrkit. The
pipeline is also registered under the entry point group ``zarr.codec_pipeline``.

``codec_pipeline.strict`` (default ``False``): when zarrkit cannot do something (a codec or
data type it does not know, e.g. a codec implemented in Python), a strict pipeline raises
:class:`UnsupportedError`; a non-strict one warns (:class:`ZarrkitFallbackWarning`) and hands
the request to zarr-python's own ``BatchedCodecPipeline``.
"""

from zarrkit._native import UnsupportedError, ZarrkitError
from zarrkit._pipeline import ZarrkitCodecPipeline, ZarrkitFallbackWarning

# zarr names a pipeline class by module and qualified name: the public one is
# "zarrkit.ZarrkitCodecPipeline" (also what pickles refer to).
ZarrkitCodecPipeline.__module__ = "zarrkit"
ZarrkitFallbackWarning.__module__ = "zarrkit"


def _register() -> None:
    from zarr.registry import register_pipeline

    register_pipeline(ZarrkitCodecPipeline)


_register()

__all__ = [
    "UnsupportedError",
    "ZarrkitCodecPipeline",
    "ZarrkitError",
    "ZarrkitFallbackWarning",
]
