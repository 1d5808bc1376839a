//! A helper store for tests: a directory loaded into a [`MemoryStore`].

use std::path::Path;

use zarrkit_core::storage::{MemoryStore, StoreKey, WritableStorageTraits};
use zarrkit_core::StorageError;

/// Load every file under `dir` into a new [`MemoryStore`] (keys are `/`-separated paths
/// relative to `dir`). Meant for small test stores; needs no store plugin.
pub fn memory_store_from_dir(dir: &Path) -> Result<MemoryStore, StorageError> {
    let store = MemoryStore::new();
    let io = |key: &Path, source| StorageError::Io {
        key: key.display().to_string(),
        source,
    };
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, prefix)) = pending.pop() {
        for entry in std::fs::read_dir(&path).map_err(|e| io(&path, e))? {
            let entry = entry.map_err(|e| io(&path, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = entry.path();
            let key = format!("{prefix}{name}");
            let file_type = entry.file_type().map_err(|e| io(&child, e))?;
            if file_type.is_dir() {
                pending.push((child, format!("{key}/")));
            } else if file_type.is_file() {
                let bytes = std::fs::read(&child).map_err(|e| io(&child, e))?;
                store.set(&StoreKey::new(key)?, bytes.into())?;
            }
        }
    }
    Ok(store)
}
