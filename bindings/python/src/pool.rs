//! Fork-safe thread pools.
//!
//! After `fork()` only the forking thread exists in the child: a thread pool (or tokio
//! runtime) inherited from the parent has no workers, and the first job sent to it never
//! runs. So nothing here uses rayon's global pool or a pool built before a fork:
//!
//! - every pool belongs to a **fork generation**, bumped in the child by a `pthread_atfork`
//!   handler (async-signal-safe: one atomic add) and by `_native._after_fork` (called from
//!   `os.register_at_fork`), and checked against `getpid()` on every use (a fork that ran
//!   neither handler is still noticed);
//! - the pools of an older generation are leaked (`mem::forget`), never dropped: dropping
//!   would wake and join threads that do not exist;
//! - the pool table of a generation lives behind its own mutex, so a lock held by a parent
//!   thread at the moment of the fork (which stays locked forever in the child) belongs to a
//!   table the child no longer looks at.
//!
//! All zarrkit work runs on these pools (`ThreadPool::install`), so rayon's `par_iter` and
//! `rayon::spawn` inside zarrkit use them too, never the global pool.

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The pool table of one fork generation (leaked when the generation ends).
struct Table {
    generation: u64,
    pid: u32,
    pools: Mutex<Vec<(Kind, usize, Arc<rayon::ThreadPool>)>>,
    runtime: Mutex<Option<tokio::runtime::Handle>>,
}

static TABLE: AtomicPtr<Table> = AtomicPtr::new(std::ptr::null_mut());

/// What a pool is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Decoding and encoding (`threading.max_workers` threads).
    Cpu,
    /// Chunks whose store calls wait on Python's event loop (`async.concurrency` threads).
    Io,
}

extern "C" fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Register the `pthread_atfork` child handler (once per process; a child inherits it).
pub fn register_atfork() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: the handler only does an atomic add, which is async-signal-safe.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
}

/// Called in a forked child (from Python's `os.register_at_fork`).
pub fn after_fork() {
    after_fork_in_child();
}

/// The current fork generation.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

fn table() -> &'static Table {
    let pid = std::process::id();
    loop {
        let gen = GENERATION.load(Ordering::SeqCst);
        let cur = TABLE.load(Ordering::SeqCst);
        // SAFETY: tables are leaked, never freed: a non-null pointer stays valid.
        if let Some(t) = unsafe { cur.as_ref() } {
            if t.pid != pid {
                // A table of the parent: a fork that no handler saw (or saw late) starts a
                // new generation.
                if t.generation == gen {
                    let _ = GENERATION.compare_exchange(
                        gen,
                        gen + 1,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                    continue;
                }
            } else if t.generation == gen {
                return t;
            }
        }
        let fresh = Box::into_raw(Box::new(Table {
            generation: gen,
            pid,
            pools: Mutex::new(Vec::new()),
            runtime: Mutex::new(None),
        }));
        // The table replaced (if any) is leaked with its pools: their threads may not
        // exist (a fork), and dropping a pool would wait for them.
        if TABLE
            .compare_exchange(cur, fresh, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            // Another thread installed a table first; ours was never shared.
            // SAFETY: `fresh` came from `Box::into_raw` above and nobody else saw it.
            drop(unsafe { Box::from_raw(fresh) });
        }
    }
}

/// The pool of `kind` with `threads` threads of the current fork generation.
pub fn pool(kind: Kind, threads: usize) -> Result<Arc<rayon::ThreadPool>, String> {
    let threads = threads.clamp(1, 1024);
    let t = table();
    let mut pools = t.pools.lock();
    if let Some((_, _, p)) = pools.iter().find(|(k, n, _)| *k == kind && *n == threads) {
        return Ok(p.clone());
    }
    let name = match kind {
        Kind::Cpu => "zarrkit-cpu",
        Kind::Io => "zarrkit-pyio",
    };
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("{name}-{i}"))
        .build()
        .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    let p = Arc::new(p);
    // Pools of other sizes stay (a size asked for once is usually asked for again); a
    // generation holds few.
    pools.push((kind, threads, p.clone()));
    Ok(p)
}

/// A tokio runtime handle of the current fork generation (for the object store's I/O).
pub fn runtime() -> Result<tokio::runtime::Handle, String> {
    let t = table();
    let mut rt = t.runtime.lock();
    if let Some(h) = rt.as_ref() {
        return Ok(h.clone());
    }
    let r = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .thread_name("zarrkit-pyobject-io")
        .build()
        .map_err(|e| format!("cannot start the object store I/O runtime: {e}"))?;
    let h = r.handle().clone();
    // Kept for the generation's lifetime (and leaked with it after a fork).
    std::mem::forget(r);
    *rt = Some(h.clone());
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_reused_per_size_and_replaced_per_generation() -> Result<(), String> {
        let a = pool(Kind::Cpu, 2)?;
        let b = pool(Kind::Cpu, 2)?;
        assert!(Arc::ptr_eq(&a, &b));
        let c = pool(Kind::Io, 2)?;
        assert!(!Arc::ptr_eq(&a, &c));
        after_fork();
        let d = pool(Kind::Cpu, 2)?;
        assert!(!Arc::ptr_eq(&a, &d));
        assert_eq!(d.install(rayon::current_num_threads), 2);
        Ok(())
    }
}
