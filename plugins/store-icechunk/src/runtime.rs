//! The tokio runtime every icechunk call runs on.
//!
//! icechunk is async and needs a tokio runtime (it spawns tasks of its own, e.g. to preload
//! manifests). Every call of this crate (sync or async) runs as a task on one long-lived
//! multi-thread runtime, built once per process on first use and never dropped, so the async
//! API works under any executor: the caller's future only awaits the task's result, and a
//! dropped future aborts its task.
//!
//! The sync API waits for the task on the calling thread (`futures::executor::block_on` of
//! the task handle, never tokio's `block_on`). On a thread of this runtime that would wait
//! for itself, so it is refused there with [`StorageError::Unsupported`].

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;
use zarrkit_core::StorageError;

thread_local! {
    /// Set on the threads of the crate's runtime.
    static ON_IO_THREAD: Cell<bool> = const { Cell::new(false) };
}

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

fn handle() -> Result<Handle, StorageError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("zarrkit-icechunk-io")
                .on_thread_start(|| ON_IO_THREAD.with(|f| f.set(true)))
                .build()
                .map_err(|e| format!("cannot start the icechunk store's tokio runtime: {e}"))
        })
        .as_ref()
        .map(|r| r.handle().clone())
        .map_err(|e| StorageError::Other(e.clone()))
}

/// A task that is aborted when its handle is dropped.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

fn join_error(e: tokio::task::JoinError) -> StorageError {
    if e.is_panic() {
        StorageError::Other("an icechunk task panicked".into())
    } else {
        StorageError::Other("an icechunk task was cancelled".into())
    }
}

/// Run `f` on the runtime and await its result (from any executor).
pub(crate) fn run<T: Send + 'static>(
    f: impl Future<Output = Result<T, StorageError>> + Send + 'static,
) -> impl Future<Output = Result<T, StorageError>> + Send + 'static {
    let task = handle().map(|h| AbortOnDrop(h.spawn(f)));
    async move { task?.await.map_err(join_error)? }
}

/// Run `f` on the runtime and wait for it on this thread (the sync API).
pub(crate) fn block<T: Send + 'static>(
    f: impl Future<Output = Result<T, StorageError>> + Send + 'static,
) -> Result<T, StorageError> {
    if ON_IO_THREAD.with(Cell::get) {
        return Err(StorageError::Unsupported(
            "a sync call of the icechunk store from a thread of its own tokio runtime (it \
             would wait for itself): use the async API there"
                .into(),
        ));
    }
    futures::executor::block_on(run(f))
}
