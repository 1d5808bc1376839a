//! Progress reports and statistics.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A snapshot of an operation's progress, handed to the progress callback after every
/// finished unit of work (an output chunk, or a line of chunks of a summed area table pass).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProgressStats {
    /// Units finished.
    pub step: usize,
    /// Units in all.
    pub num_steps: usize,
    /// Time spent reading and decoding, summed over threads.
    pub read: Duration,
    /// Time spent computing, summed over threads.
    pub process: Duration,
    /// Time spent encoding and writing, summed over threads.
    pub write: Duration,
}

/// The progress callback: called from worker threads, so it must be `Sync`.
pub type ProgressCallback<'a> = &'a (dyn Fn(&ProgressStats) + Sync);

/// What an operation did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterStats {
    /// Units of work (output chunks; for a summed area table, chunk lines times passes).
    pub steps: usize,
    /// Input elements read (halos included, so neighbours are counted once per chunk
    /// that reads them).
    pub elements_read: u64,
    /// Output elements written.
    pub elements_written: u64,
    /// Time reading, summed over threads.
    pub read: Duration,
    /// Time computing, summed over threads.
    pub process: Duration,
    /// Time writing, summed over threads.
    pub write: Duration,
    /// Wall time.
    pub elapsed: Duration,
}

/// Progress of one operation (shared by its worker threads).
pub struct Progress<'a> {
    num_steps: usize,
    step: AtomicUsize,
    read_ns: AtomicU64,
    process_ns: AtomicU64,
    write_ns: AtomicU64,
    elements_read: AtomicU64,
    elements_written: AtomicU64,
    start: Instant,
    callback: Option<ProgressCallback<'a>>,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl<'a> Progress<'a> {
    /// A new progress of `num_steps` units.
    pub fn new(num_steps: usize, callback: Option<ProgressCallback<'a>>) -> Self {
        let p = Self {
            num_steps,
            step: AtomicUsize::new(0),
            read_ns: AtomicU64::new(0),
            process_ns: AtomicU64::new(0),
            write_ns: AtomicU64::new(0),
            elements_read: AtomicU64::new(0),
            elements_written: AtomicU64::new(0),
            start: Instant::now(),
            callback,
        };
        if let Some(cb) = p.callback {
            cb(&p.stats());
        }
        p
    }

    /// Time a read of `elements` elements.
    pub fn read<T>(&self, elements: u64, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let r = f();
        self.read_ns.fetch_add(ns(t.elapsed()), Ordering::Relaxed);
        self.elements_read.fetch_add(elements, Ordering::Relaxed);
        r
    }

    /// Time a computation.
    pub fn process<T>(&self, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let r = f();
        self.process_ns
            .fetch_add(ns(t.elapsed()), Ordering::Relaxed);
        r
    }

    /// Time a write of `elements` elements.
    pub fn write<T>(&self, elements: u64, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let r = f();
        self.write_ns.fetch_add(ns(t.elapsed()), Ordering::Relaxed);
        self.elements_written.fetch_add(elements, Ordering::Relaxed);
        r
    }

    /// One unit finished: report.
    pub fn next(&self) {
        self.step.fetch_add(1, Ordering::Relaxed);
        if let Some(cb) = self.callback {
            cb(&self.stats());
        }
    }

    /// The current snapshot.
    pub fn stats(&self) -> ProgressStats {
        ProgressStats {
            step: self.step.load(Ordering::Relaxed),
            num_steps: self.num_steps,
            read: Duration::from_nanos(self.read_ns.load(Ordering::Relaxed)),
            process: Duration::from_nanos(self.process_ns.load(Ordering::Relaxed)),
            write: Duration::from_nanos(self.write_ns.load(Ordering::Relaxed)),
        }
    }

    /// The statistics so far.
    pub fn finish(&self) -> FilterStats {
        let s = self.stats();
        FilterStats {
            steps: s.step,
            elements_read: self.elements_read.load(Ordering::Relaxed),
            elements_written: self.elements_written.load(Ordering::Relaxed),
            read: s.read,
            process: s.process,
            write: s.write,
            elapsed: self.start.elapsed(),
        }
    }
}
