//! [`KeyLocks`]: per-key mutexes, created on demand and dropped when unused, that the sync API
//! takes by blocking and the async API by awaiting (the same lock either way, so sync and
//! async writers of one array exclude each other). An async holder may keep it across
//! `.await`.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::storage::StoreKey;

/// Per-key locks.
#[derive(Debug, Default)]
pub struct KeyLocks {
    map: Mutex<HashMap<StoreKey, Arc<async_lock::Mutex<()>>>>,
}

impl KeyLocks {
    fn entry(&self, key: &StoreKey) -> Arc<async_lock::Mutex<()>> {
        self.map.lock().entry(key.clone()).or_default().clone()
    }

    fn release(&self, key: &StoreKey, lock: &Arc<async_lock::Mutex<()>>) {
        let mut map = self.map.lock();
        // The map's reference and ours: nobody else waits for this key.
        if Arc::strong_count(lock) == 2 {
            map.remove(key);
        }
    }

    /// Run `f` holding `key`'s lock (blocking until it is free).
    pub fn with<R>(&self, key: &StoreKey, f: impl FnOnce() -> R) -> R {
        let lock = self.entry(key);
        let r = {
            let _g = lock.lock_blocking();
            f()
        };
        self.release(key, &lock);
        r
    }

    /// Await `f` holding `key`'s lock. If the returned future is dropped, the lock is
    /// released with it.
    pub async fn with_async<F: std::future::Future>(&self, key: &StoreKey, f: F) -> F::Output {
        struct Release<'a> {
            locks: &'a KeyLocks,
            key: &'a StoreKey,
            lock: Arc<async_lock::Mutex<()>>,
        }
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.locks.release(self.key, &self.lock);
            }
        }
        let release = Release {
            locks: self,
            key,
            lock: self.entry(key),
        };
        let lock = release.lock.clone();
        let _g = lock.lock().await;
        f.await
    }
}
