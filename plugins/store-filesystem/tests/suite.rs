//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::store::store_suite;
use zarrkit_store_filesystem::FilesystemStore;

#[test]
fn store_suite_on_a_new_directory() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = FilesystemStore::new(dir.path().join("store.zarr"))?;
    store_suite(&store)?;
    // A store whose root directory exists already.
    let store = FilesystemStore::new(dir.path())?;
    store_suite(&store)?;
    Ok(())
}
