//! The I/O runtime a store runs its requests on.
//!
//! Every request of an [`crate::ObjectStorage`] (async or sync) runs as a task on one
//! long-lived tokio runtime: by default the crate's own (multi-thread, IO and time drivers
//! enabled, built once per process on first use and never dropped), or a runtime the caller
//! hands to [`crate::ObjectStorageBuilder::with_runtime`]. Connections are pooled by the
//! runtime that made them, so they are reused across calls; the async API works under any
//! executor (tokio, `futures::executor`, ...) because the caller's future only awaits the
//! task's result.
//!
//! The sync API waits for the task on the calling thread (a plain channel wait, never
//! tokio's `block_on`). That would deadlock on a thread of the runtime running the task, so
//! it is refused there with [`StorageError::Unsupported`]: on the crate's own runtime's
//! threads, and with a runtime of the caller's, anywhere inside a tokio runtime (the caller's
//! runtime cannot be told apart from another one there); the async API is the way from
//! such threads.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;
use zarrkit_core::StorageError;

thread_local! {
    /// Set on the threads of the crate's own runtime.
    static ON_IO_THREAD: Cell<bool> = const { Cell::new(false) };
}

const THREAD_NAME: &str = "zarrkit-object-io";

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

fn shared_runtime() -> Result<&'static Runtime, StorageError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name(THREAD_NAME)
                .on_thread_start(|| ON_IO_THREAD.with(|f| f.set(true)))
                .build()
                .map_err(|e| format!("cannot start the object store I/O runtime: {e}"))
        })
        .as_ref()
        .map_err(|e| StorageError::Other(e.clone()))
}

/// Where a store's requests run.
#[derive(Clone, Debug)]
pub(crate) enum Io {
    /// The crate's runtime.
    Shared(Handle),
    /// A runtime of the caller's.
    Caller(Handle),
}

/// A task that is aborted when its handle is dropped (a dropped read or write future stops
/// its requests at their next await).
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
        StorageError::Other("an object store request task panicked".into())
    } else {
        StorageError::Other("an object store request task was cancelled".into())
    }
}

impl Io {
    /// The crate's runtime (started on first use).
    pub(crate) fn shared() -> Result<Self, StorageError> {
        Ok(Self::Shared(shared_runtime()?.handle().clone()))
    }

    fn handle(&self) -> &Handle {
        match self {
            Self::Shared(h) | Self::Caller(h) => h,
        }
    }

    /// Run `f` on the runtime and await its result (from any executor).
    pub(crate) fn run<T: Send + 'static>(
        &self,
        f: impl Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> impl Future<Output = Result<T, StorageError>> + Send + 'static {
        let task = AbortOnDrop(self.handle().spawn(f));
        async move { task.await.map_err(join_error)? }
    }

    /// Run `f` on the runtime and wait for it on this thread (the sync API).
    pub(crate) fn block<T: Send + 'static>(
        &self,
        f: impl Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> Result<T, StorageError> {
        self.check_may_block()?;
        futures::executor::block_on(self.run(f))
    }

    fn check_may_block(&self) -> Result<(), StorageError> {
        let refuse = match self {
            Self::Shared(_) => ON_IO_THREAD.with(Cell::get),
            Self::Caller(_) => Handle::try_current().is_ok(),
        };
        if refuse {
            Err(StorageError::Unsupported(
                "a sync call of the object store from a thread of the tokio runtime that runs \
                 its requests (it would wait for itself): use the async API there"
                    .into(),
            ))
        } else {
            Ok(())
        }
    }
}
