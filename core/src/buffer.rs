//! [`SharedBuffer`]: an owned output buffer that parallel decode tasks write disjoint regions
//! of, kept alive by every task that holds it.
//!
//! The async driver hands chunk decodes to the rayon pool (and whole-chunk reads to I/O
//! threads) while the future that started them may be dropped at any await point. Each task
//! holds an `Arc` of the buffer, so memory is freed only when the last writer is done:
//! dropping a future never leaves a decode writing into freed memory. When every task has
//! finished, the reader takes the buffer back ([`SharedBuffer::into_inner`]) without a copy.

use std::any::Any;
use std::sync::Arc;

use crate::codec::ArrayOutputView;
use crate::error::ArrayError;
#[cfg(feature = "async")]
use crate::error::CodecError;
use crate::subset::ArraySubset;

/// An owned buffer (a `Vec<T>` of [`crate::element::Element`]s, seen as bytes), shared by tasks
/// that write disjoint regions of it.
pub struct SharedBuffer {
    ptr: *mut u8,
    len: usize,
    owner: Box<dyn Any + Send + Sync>,
}

// SAFETY: the buffer is only written through views of disjoint regions (their constructors
// are unsafe or check disjointness), and `owner` is Send + Sync.
unsafe impl Send for SharedBuffer {}
// SAFETY: as above.
unsafe impl Sync for SharedBuffer {}

impl SharedBuffer {
    /// Share `data` (its elements as bytes).
    pub fn new<T: crate::element::Element>(mut data: Vec<T>) -> Arc<Self> {
        let len = std::mem::size_of_val(data.as_slice());
        let ptr = data.as_mut_ptr().cast::<u8>();
        // Moving the Vec into the box does not move its heap allocation: `ptr` stays valid
        // for as long as `owner` lives.
        Arc::new(Self {
            ptr,
            len,
            owner: Box::new(data),
        })
    }

    /// The buffer's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A view of `subset` of the buffer as an output array of `shape`.
    ///
    /// # Safety
    /// Views used at the same time must cover disjoint regions.
    pub unsafe fn view<'a>(&'a self, shape: &'a [u64], subset: ArraySubset) -> ArrayOutputView<'a> {
        // SAFETY: `ptr..ptr+len` is the live allocation owned by `self`; the caller
        // guarantees disjointness.
        unsafe { ArrayOutputView::new_unchecked(self.ptr, self.len, shape, subset) }
    }

    /// Mutable byte runs `(offset, len)` of the buffer.
    ///
    /// # Safety
    /// The runs must lie in the buffer, be disjoint, and be disjoint from every other region
    /// written at the same time.
    #[allow(clippy::mut_from_ref)]
    #[cfg(feature = "async")]
    pub(crate) unsafe fn runs_mut(&self, runs: &[(usize, usize)]) -> Vec<&mut [u8]> {
        runs.iter()
            // SAFETY: the caller's contract.
            .map(|&(o, n)| unsafe { std::slice::from_raw_parts_mut(self.ptr.add(o), n) })
            .collect()
    }

    /// Take the buffer back once no task holds it any more.
    pub fn into_inner<T: crate::element::Element>(this: Arc<Self>) -> Result<Vec<T>, ArrayError> {
        let this = Arc::try_unwrap(this).map_err(|_| {
            ArrayError::Internal("an output buffer is still in use by a decode task".into())
        })?;
        this.owner
            .downcast::<Vec<T>>()
            .map(|b| *b)
            .map_err(|_| ArrayError::Internal("an output buffer of another type".into()))
    }
}

#[cfg(feature = "async")]
/// Disjoint byte runs of a [`SharedBuffer`] to read a stored value into, in order: the
/// destination of an async scatter read. It keeps the buffer alive, so a read that outlives
/// the future that asked for it still writes into live memory.
pub struct ScatterTarget {
    buffer: Arc<SharedBuffer>,
    runs: Vec<(usize, usize)>,
}

#[cfg(feature = "async")]
impl ScatterTarget {
    /// A target of `runs` of `buffer`.
    ///
    /// # Safety
    /// The runs must be disjoint and no other task may write them while the target lives.
    pub(crate) unsafe fn new(
        buffer: Arc<SharedBuffer>,
        runs: Vec<(usize, usize)>,
    ) -> Result<Self, CodecError> {
        for &(o, n) in &runs {
            if o.checked_add(n).is_none_or(|e| e > buffer.len()) {
                return Err(CodecError::Internal(format!(
                    "scatter run {o}+{n} is outside a buffer of {} bytes",
                    buffer.len()
                )));
            }
        }
        Ok(Self { buffer, runs })
    }

    /// The total number of bytes the target takes.
    pub fn len(&self) -> u64 {
        self.runs.iter().map(|r| r.1 as u64).sum()
    }

    /// Whether the target takes no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Run `f` on the target's buffers (in order).
    pub fn with_buffers<R>(&mut self, f: impl FnOnce(&mut [&mut [u8]]) -> R) -> R {
        // SAFETY: the constructor's contract: the runs are disjoint, inside the buffer, and
        // this target has exclusive use of them; `&mut self` prevents two borrows at once.
        let mut bufs = unsafe { self.buffer.runs_mut(&self.runs) };
        f(&mut bufs)
    }
}
