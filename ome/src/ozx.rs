//! The single-file `.ozx` output (RFC-9 "Zipped OME-Zarr"): the pyramid is built in a
//! staging directory next to the destination and zipped with `zarrkit-store-zip`'s writer
//! (stored entries, ZIP64, root `zarr.json` first, the RFC-9 archive comment), then the
//! staging directory is removed.

use std::path::Path;

use zarrkit_core::Array;
use zarrkit_filters::{DynStore, FilterError};

use crate::metadata::OmeVersion;
use crate::pyramid::{build_pyramid, PyramidOptions, PyramidProgressCallback, PyramidReport};
use crate::OmeError;

/// Build a pyramid of `input` into the `.ozx` file `dest` (OME-Zarr 0.5 only; an existing
/// file is replaced). Returns the pyramid report and the archive's size in bytes.
pub fn build_pyramid_ozx(
    input: &Array<DynStore>,
    dest: &Path,
    options: &PyramidOptions,
    progress: Option<PyramidProgressCallback<'_>>,
) -> Result<(PyramidReport, u64), OmeError> {
    if options.version != OmeVersion::V0_5 {
        return Err(OmeError::Filter(FilterError::InvalidParameter(
            ".ozx files hold OME-Zarr 0.5 (RFC-9)".into(),
        )));
    }
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stage = tempfile::Builder::new()
        .prefix(".zarrkit-ozx-")
        .tempdir_in(parent)
        .map_err(FilterError::from)?;
    let stage_store = zarrkit_core::registry::open_store(&stage.path().to_string_lossy())?;
    let mut opts = options.clone();
    opts.exists = zarrkit_filters::OutputExists::Overwrite;
    let report = build_pyramid(input, stage_store.clone(), "/", &opts, progress)?;
    let bytes = write_ozx(&*stage_store, dest)?;
    Ok((report, bytes))
}

#[cfg(feature = "ozx")]
fn write_ozx(source: &DynStore, dest: &Path) -> Result<u64, OmeError> {
    let tmp = dest.with_extension("ozx.partial");
    let file = std::fs::File::create(&tmp).map_err(FilterError::from)?;
    let mut w = std::io::BufWriter::new(file);
    let summary =
        zarrkit_store_zip::write_zip(source, &mut w, &zarrkit_store_zip::ZipWriteOptions::ozx())?;
    use std::io::Write;
    w.flush().map_err(FilterError::from)?;
    drop(w);
    std::fs::rename(&tmp, dest).map_err(FilterError::from)?;
    Ok(summary.bytes)
}

#[cfg(not(feature = "ozx"))]
fn write_ozx(_source: &DynStore, _dest: &Path) -> Result<u64, OmeError> {
    Err(OmeError::Filter(FilterError::Other(
        "zarrkit-ome was built without the `ozx` feature (zarrkit-store-zip)".into(),
    )))
}
