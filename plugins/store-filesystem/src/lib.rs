//! zarrkit plugin: a store on the local filesystem.
//!
//! - Keys map to files under the root; a key with `..`, an absolute path, an empty
//!   component or a backslash is rejected by [`StoreKey`] before it gets here, and every
//!   path is checked again to stay under the root (no symlink is followed out of the root
//!   for writes: parent directories that are symlinks are refused).
//! - Reads of byte ranges read only those bytes (one `open`, one `fstat`, a positioned read
//!   per range). Files are opened non-blocking, so a FIFO or device at a key is refused by
//!   the `fstat` instead of hanging the open; a directory at a key is an error, not an absent
//!   chunk.
//! - A value's **version** is its file's device, inode, size and modification time (in
//!   nanoseconds). Every write sets the new file's modification time from the fine-grained
//!   clock (the kernel stamps files from a coarse one, a few milliseconds apart), strictly
//!   after the value it replaces, so two values of one key never share a version even when
//!   the filesystem reuses an inode. A read that demands a version checks it on the file it
//!   reads from (`fstat` of the open file), so its bytes are of that version.
//! - Writes go to a temporary file in the same directory, which is then renamed over the
//!   key: a concurrent reader never sees a torn value, and a crash leaves the old value or
//!   the new one (the data is not fsynced before the rename, so after a power loss the new
//!   file's contents may be incomplete on some filesystems). Temporary files start with
//!   `.zarrkit-tmp-` and are never listed.
//! - **Conditional writes across processes**: the rename (or unlink) of a write happens under
//!   an advisory lock (`flock`) on the key's directory, and `set_if` / `erase_if` check the
//!   current version under that lock. Read-modify-write through an array is then a
//!   compare-and-swap: writers in several processes never lose each other's updates (every
//!   zarrkit writer takes the lock; other programs' writes are not serialised).
//! - Registered for URL scheme `file` (and plain paths).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use zarrkit_core::registry::StorePlugin;
use zarrkit_core::storage::{
    check_value_size, ByteRange, Bytes, ListDir, ListableStorageTraits, ReadResult,
    ReadableStorageTraits, ReadableWritableListableStorage, SetCondition, StoreKey, StorePrefix,
    Version, WritableStorageTraits,
};
use zarrkit_core::StorageError;

const TMP_PREFIX: &str = ".zarrkit-tmp-";
/// `get_into` buffers shorter than this (on average) are filled through a scratch buffer.
const SMALL_RUN: u64 = 16 << 10;
/// The per-thread scratch buffer of `get_into` (fits in a core's L2 cache).
const SCRATCH_BYTES: usize = 256 << 10;
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A filesystem store rooted at a directory.
#[derive(Debug, Clone)]
pub struct FilesystemStore {
    root: PathBuf,
}

/// Whether a directory holds a file (a key) at any depth; temporary files and symbolic
/// links do not count. Stops at the first file found. Directories are not removed when
/// their last key is erased (a concurrent writer may be about to use them), so `list_dir`
/// asks this instead.
fn holds_a_file(dir: &Path) -> bool {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for entry in rd.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_file() => return true,
                Ok(t) if t.is_dir() => pending.push(entry.path()),
                _ => {}
            }
        }
    }
    false
}

/// `n` bytes of `f` from `offset` in a new buffer, read by `pread` (no seek, no shared
/// cursor) straight into its uninitialised capacity (no zeroing pass).
#[cfg(unix)]
fn read_vec_at(f: &File, n: usize, offset: u64) -> io::Result<Vec<u8>> {
    use std::os::fd::AsRawFd;
    let mut v: Vec<u8> = Vec::new();
    v.try_reserve_exact(n).map_err(|_| out_of_memory(n))?;
    let mut done = 0usize;
    while done < n {
        let Ok(at) = libc::off_t::try_from(offset + done as u64) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "offset beyond the platform's file offsets",
            ));
        };
        // SAFETY: the pointer and length describe the unwritten tail of `v`'s capacity
        // (`done < n <= capacity`); the kernel writes at most `n - done` bytes there.
        let r =
            unsafe { libc::pread(f.as_raw_fd(), v.as_mut_ptr().add(done).cast(), n - done, at) };
        match r {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file ended before the requested range",
                ))
            }
            r if r > 0 => done += r as usize,
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    // SAFETY: the kernel initialised all `n` bytes (`done == n`).
    unsafe { v.set_len(n) };
    Ok(v)
}

/// `n` bytes of `f` from `offset` in a new (zeroed, then filled) buffer.
#[cfg(not(unix))]
fn read_vec_at(f: &File, n: usize, offset: u64) -> io::Result<Vec<u8>> {
    let mut buf = zarrkit_core::codec::zeroed_checked(n).ok_or_else(|| out_of_memory(n))?;
    read_exact_at(f, &mut buf, offset).map(|()| buf)
}

fn out_of_memory(n: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!("cannot allocate {n} bytes"),
    )
}

/// Fill `buf` from `offset`.
#[cfg(not(unix))]
fn read_exact_at(mut f: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

fn io_err(key: &str, e: io::Error) -> StorageError {
    StorageError::Io {
        key: key.to_string(),
        source: e,
    }
}

impl FilesystemStore {
    /// A store rooted at `root` (created on first write if it does not exist).
    pub fn new(root: impl AsRef<Path>) -> Result<Self, StorageError> {
        let root = root.as_ref().to_path_buf();
        if root.exists() && !root.is_dir() {
            return Err(StorageError::Other(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        Ok(Self { root })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, rel: &str) -> Result<PathBuf, StorageError> {
        let mut p = self.root.clone();
        for c in Path::new(rel).components() {
            match c {
                Component::Normal(s) => p.push(s),
                _ => {
                    return Err(StorageError::InvalidKey {
                        key: rel.to_string(),
                        reason: "key escapes the store root".into(),
                    })
                }
            }
        }
        Ok(p)
    }

    fn key_path(&self, key: &StoreKey) -> Result<PathBuf, StorageError> {
        if key.as_str().split('/').any(|c| c.starts_with(TMP_PREFIX)) {
            return Err(StorageError::InvalidKey {
                key: key.to_string(),
                reason: format!("keys starting with {TMP_PREFIX} are reserved"),
            });
        }
        self.path_of(key.as_str())
    }

    fn prefix_path(&self, prefix: &StorePrefix) -> Result<PathBuf, StorageError> {
        self.path_of(prefix.as_str().trim_end_matches('/'))
    }

    /// Refuse paths whose parent directories inside the store are symbolic links: a write
    /// or erase through one would act outside the root.
    fn check_no_symlinked_parent(&self, path: &Path, what: &str) -> Result<(), StorageError> {
        let mut check = path.parent().unwrap_or(&self.root).to_path_buf();
        while check.starts_with(&self.root) && check != self.root {
            if let Ok(md) = fs::symlink_metadata(&check) {
                if md.file_type().is_symlink() {
                    return Err(StorageError::InvalidKey {
                        key: what.to_string(),
                        reason: format!("{} is a symbolic link", check.display()),
                    });
                }
            }
            if !check.pop() {
                break;
            }
        }
        Ok(())
    }

    /// The open file of a key and its metadata (from the one `fstat` that also rejects
    /// directories and devices), or `None` if absent. Opened non-blocking: opening a FIFO
    /// would otherwise wait for a writer before the `fstat` could refuse it.
    fn open(&self, key: &StoreKey) -> Result<Option<(File, fs::Metadata)>, StorageError> {
        let path = self.key_path(key)?;
        let mut opts = fs::OpenOptions::new();
        opts.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.custom_flags(libc::O_NONBLOCK);
        }
        match opts.open(&path) {
            Ok(f) => {
                let md = f.metadata().map_err(|e| io_err(key.as_str(), e))?;
                if md.is_dir() {
                    Err(StorageError::InvalidKey {
                        key: key.to_string(),
                        reason: "is a directory, not a value".into(),
                    })
                } else if !md.is_file() {
                    // A device, FIFO or socket (e.g. a symlink to /dev/zero) would read
                    // without end or block: refuse it.
                    Err(StorageError::InvalidKey {
                        key: key.to_string(),
                        reason: "not a regular file".into(),
                    })
                } else {
                    Ok(Some((f, md)))
                }
            }
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.kind() == io::ErrorKind::NotADirectory =>
            {
                Ok(None)
            }
            Err(e) => Err(io_err(key.as_str(), e)),
        }
    }

    /// Write `value` to a new temporary file beside `path`, stamped with a modification
    /// time after `after`; returns its path.
    fn write_temp(
        &self,
        key: &StoreKey,
        dir: &Path,
        value: &[u8],
        after: Option<std::time::SystemTime>,
    ) -> Result<PathBuf, StorageError> {
        // A writer killed mid-write leaves its temporary file behind; a later process with
        // the same pid may pick the same name. Such a name is skipped, never overwritten.
        let mut last = None;
        for _ in 0..16 {
            let tmp = dir.join(format!(
                "{TMP_PREFIX}{}-{}",
                std::process::id(),
                TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp);
            let mut f = match file {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    last = Some(e);
                    continue;
                }
                Err(e) => return Err(io_err(key.as_str(), e)),
            };
            let mut write = || -> io::Result<()> {
                f.write_all(value)?;
                f.flush()?;
                f.set_modified(stamp(after))?;
                Ok(())
            };
            if let Err(e) = write() {
                let _ = fs::remove_file(&tmp);
                return Err(io_err(key.as_str(), e));
            }
            return Ok(tmp);
        }
        Err(io_err(
            key.as_str(),
            last.unwrap_or_else(|| io::Error::other("no free temporary file name")),
        ))
    }

    /// The directory of a key (created), after refusing symlinked directories.
    fn key_dir(&self, key: &StoreKey, path: &Path) -> Result<PathBuf, StorageError> {
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        self.check_no_symlinked_parent(path, key.as_str())?;
        fs::create_dir_all(&dir).map_err(|e| io_err(key.as_str(), e))?;
        Ok(dir)
    }

    /// The metadata of the file at `path`, if it is one.
    fn stat(key: &StoreKey, path: &Path) -> Result<Option<fs::Metadata>, StorageError> {
        match fs::metadata(path) {
            Ok(m) if m.is_file() => Ok(Some(m)),
            Ok(_) => Err(StorageError::InvalidKey {
                key: key.to_string(),
                reason: "not a regular file".into(),
            }),
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.kind() == io::ErrorKind::NotADirectory =>
            {
                Ok(None)
            }
            Err(e) => Err(io_err(key.as_str(), e)),
        }
    }

    /// Replace `key` with `value` under the directory lock, if `check` accepts the current
    /// value's metadata (`None`: absent).
    fn replace(
        &self,
        key: &StoreKey,
        value: &[u8],
        check: impl FnOnce(Option<&fs::Metadata>) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let path = self.key_path(key)?;
        let dir = self.key_dir(key, &path)?;
        // Stamp the new file after the old one (read again under the lock below).
        let before = Self::stat(key, &path)
            .ok()
            .flatten()
            .and_then(|m| m.modified().ok());
        let tmp = self.write_temp(key, &dir, value, before)?;
        let done = (|| {
            let _lock = DirLock::new(key, &dir)?;
            let current = Self::stat(key, &path)?;
            check(current.as_ref())?;
            if let (Some(cur), Ok(ours)) = (
                current.as_ref().and_then(|m| m.modified().ok()),
                fs::metadata(&tmp).and_then(|m| m.modified()),
            ) {
                if ours <= cur {
                    let f = fs::OpenOptions::new()
                        .write(true)
                        .open(&tmp)
                        .map_err(|e| io_err(key.as_str(), e))?;
                    f.set_modified(stamp(Some(cur)))
                        .map_err(|e| io_err(key.as_str(), e))?;
                }
            }
            fs::rename(&tmp, &path).map_err(|e| io_err(key.as_str(), e))
        })();
        if done.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        done
    }

    /// Remove `key` under the directory lock, if `check` accepts its current metadata.
    fn remove(
        &self,
        key: &StoreKey,
        check: impl FnOnce(Option<&fs::Metadata>) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let path = self.key_path(key)?;
        self.check_no_symlinked_parent(&path, key.as_str())?;
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        if !dir.is_dir() {
            return check(None);
        }
        let _lock = DirLock::new(key, &dir)?;
        // A directory or device at the key is an error: erasing it is not the store's.
        let current = Self::stat(key, &path)?;
        check(current.as_ref())?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.kind() == io::ErrorKind::NotADirectory =>
            {
                Ok(())
            }
            Err(e) => Err(io_err(key.as_str(), e)),
        }
    }

    fn walk(&self, dir: &Path, rel: &str, out: &mut Vec<StoreKey>) -> Result<(), StorageError> {
        let rd = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.kind() == io::ErrorKind::NotADirectory =>
            {
                return Ok(())
            }
            Err(e) => return Err(io_err(rel, e)),
        };
        for entry in rd {
            let entry = entry.map_err(|e| io_err(rel, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if name.starts_with(TMP_PREFIX) {
                continue;
            }
            let child = format!("{rel}{name}");
            let ft = entry.file_type().map_err(|e| io_err(&child, e))?;
            if ft.is_dir() {
                self.walk(&entry.path(), &format!("{child}/"), out)?;
            } else if let Ok(k) = StoreKey::new(child) {
                out.push(k);
            }
        }
        Ok(())
    }
}

/// The version of a file: device, inode, size and modification time (ns).
fn version_of(md: &fs::Metadata) -> Version {
    let mut v = Vec::with_capacity(40);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        v.extend_from_slice(&md.dev().to_le_bytes());
        v.extend_from_slice(&md.ino().to_le_bytes());
    }
    v.extend_from_slice(&md.len().to_le_bytes());
    let t = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    v.extend_from_slice(&t.to_le_bytes());
    Version::from_bytes(v)
}

/// A modification time for a new value: now, from the fine-grained clock, and strictly after
/// `after` (the value it replaces).
fn stamp(after: Option<std::time::SystemTime>) -> std::time::SystemTime {
    let now = std::time::SystemTime::now();
    match after {
        Some(a) if now <= a => a + std::time::Duration::from_nanos(1),
        _ => now,
    }
}

/// An exclusive advisory lock (`flock`) on a directory, released on drop. Every zarrkit
/// writer takes it around its rename or unlink, and conditional writes around their check.
struct DirLock {
    _dir: File,
}

impl DirLock {
    fn new(key: &StoreKey, dir: &Path) -> Result<Self, StorageError> {
        let f = File::open(dir).map_err(|e| io_err(key.as_str(), e))?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            loop {
                // SAFETY: `flock` on a file descriptor we own.
                let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
                if r == 0 {
                    break;
                }
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(io_err(key.as_str(), e));
                }
            }
        }
        // Closing the descriptor releases the lock.
        Ok(Self { _dir: f })
    }
}

fn changed(key: &StoreKey) -> StorageError {
    StorageError::Changed {
        key: key.to_string(),
    }
}

impl ReadableStorageTraits for FilesystemStore {
    /// One `open`, one `fstat` (which gives the size and the version, checked before any
    /// byte is read) and one positioned read per range, all on the same open file.
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let Some((file, md)) = self.open(key)? else {
            return match if_version {
                Some(_) => Err(changed(key)),
                None => Ok(None),
            };
        };
        let version = version_of(&md);
        if if_version.is_some_and(|v| *v != version) {
            return Err(changed(key));
        }
        let size = md.len();
        let mut bytes = Vec::with_capacity(ranges.len());
        for r in ranges {
            let rr = r.resolve(key, size)?;
            // Within the file's size, but a huge file must give an error, not an abort.
            let n = usize::try_from(rr.end - rr.start).unwrap_or(usize::MAX);
            let buf = read_vec_at(&file, n, rr.start).map_err(|e| io_err(key.as_str(), e))?;
            bytes.push(Bytes::from(buf));
        }
        Ok(Some(ReadResult {
            bytes,
            size,
            version,
        }))
    }

    /// Large buffers are filled by `readv` straight from the page cache. Small ones (the
    /// rows of a chunk inside a larger output, often a few hundred bytes) are filled from
    /// 256 KiB reads into a per-thread buffer that stays in the CPU cache: the kernel copies
    /// short iovec segments slowly (measured: a 4 MiB chunk as 16 384 rows of 256 bytes took
    /// 50 % more system time through `readv` than through a buffer and `memcpy`).
    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        let Some((mut f, md)) = self.open(key)? else {
            return Ok(false);
        };
        let len = md.len();
        check_value_size(key, len, bufs)?;
        let eof = || {
            io_err(
                key.as_str(),
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file became shorter while it was read",
                ),
            )
        };
        if bufs.is_empty() || len / (bufs.len() as u64) >= SMALL_RUN {
            let mut slices: Vec<io::IoSliceMut<'_>> =
                bufs.iter_mut().map(|b| io::IoSliceMut::new(b)).collect();
            let mut rest: &mut [io::IoSliceMut<'_>] = &mut slices;
            // Skip empty buffers: a read of 0 bytes would look like the end of the file.
            io::IoSliceMut::advance_slices(&mut rest, 0);
            while !rest.is_empty() {
                match f.read_vectored(rest) {
                    Ok(0) => return Err(eof()),
                    Ok(n) => io::IoSliceMut::advance_slices(&mut rest, n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_err(key.as_str(), e)),
                }
            }
            return Ok(true);
        }
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            scratch.resize(SCRATCH_BYTES, 0);
            let (mut b, mut at) = (0usize, 0usize);
            let mut left = len as usize;
            while left > 0 {
                let want = left.min(SCRATCH_BYTES);
                f.read_exact(&mut scratch[..want]).map_err(|e| {
                    if e.kind() == io::ErrorKind::UnexpectedEof {
                        eof()
                    } else {
                        io_err(key.as_str(), e)
                    }
                })?;
                left -= want;
                // Hand the piece out to the buffers in order.
                let mut piece = &scratch[..want];
                while !piece.is_empty() {
                    let dst = &mut bufs[b][at..];
                    let n = dst.len().min(piece.len());
                    dst[..n].copy_from_slice(&piece[..n]);
                    piece = &piece[n..];
                    at += n;
                    if at == bufs[b].len() {
                        b += 1;
                        at = 0;
                    }
                }
            }
            Ok(true)
        })
    }
}

impl WritableStorageTraits for FilesystemStore {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        self.replace(key, &value, |_| Ok(()))
    }

    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        self.replace(key, &value, |current| match (condition, current) {
            (SetCondition::Absent, None) => Ok(()),
            (SetCondition::Absent, Some(_)) => Err(StorageError::Exists {
                key: key.to_string(),
            }),
            (SetCondition::Version(v), Some(m)) if *v == version_of(m) => Ok(()),
            (SetCondition::Version(_), _) => Err(changed(key)),
        })
    }

    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        self.remove(key, |current| match current {
            Some(m) if *version == version_of(m) => Ok(()),
            _ => Err(changed(key)),
        })
    }

    fn supports_conditional_writes(&self) -> bool {
        true
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.remove(key, |_| Ok(()))
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        let path = self.prefix_path(prefix)?;
        // The prefix directory itself must not be a symlink either (remove_dir_all would
        // not follow it, but its parents could lead outside the root).
        self.check_no_symlinked_parent(&path.join("x"), prefix.as_str())?;
        if prefix.as_str().is_empty() {
            // Erase the contents of the root, not the root itself.
            let rd = match fs::read_dir(&path) {
                Ok(rd) => rd,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(io_err("", e)),
            };
            for entry in rd {
                let entry = entry.map_err(|e| io_err("", e))?;
                let p = entry.path();
                let r = if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    fs::remove_dir_all(&p)
                } else {
                    fs::remove_file(&p)
                };
                r.map_err(|e| io_err(&p.display().to_string(), e))?;
            }
            return Ok(());
        }
        match fs::remove_dir_all(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(prefix.as_str(), e)),
        }
    }
}

impl ListableStorageTraits for FilesystemStore {
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        let mut out = Vec::new();
        self.walk(&self.prefix_path(prefix)?, prefix.as_str(), &mut out)?;
        out.sort();
        Ok(out)
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        let dir = self.prefix_path(prefix)?;
        let mut out = ListDir::default();
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.kind() == io::ErrorKind::NotADirectory =>
            {
                return Ok(out)
            }
            Err(e) => return Err(io_err(prefix.as_str(), e)),
        };
        for entry in rd {
            let entry = entry.map_err(|e| io_err(prefix.as_str(), e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if name.starts_with(TMP_PREFIX) {
                continue;
            }
            let ft = entry.file_type().map_err(|e| io_err(&name, e))?;
            if ft.is_dir() {
                // A directory left empty by erasures holds no key: it is no prefix.
                if !holds_a_file(&entry.path()) {
                    continue;
                }
                if let Ok(p) = StorePrefix::new(format!("{}{name}/", prefix.as_str())) {
                    out.prefixes.push(p);
                }
            } else if let Ok(k) = StoreKey::new(format!("{}{name}", prefix.as_str())) {
                out.keys.push(k);
            }
        }
        out.keys.sort();
        out.prefixes.sort();
        Ok(out)
    }
}

fn open_url(url: &str) -> Result<ReadableWritableListableStorage, StorageError> {
    let path = url.strip_prefix("file://").unwrap_or(url);
    Ok(Arc::new(FilesystemStore::new(path)?))
}

zarrkit_core::inventory::submit! {
    StorePlugin::new("file", open_url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zarrkit_core::storage::ReadableStorageExt;

    fn key(s: &str) -> Result<StoreKey, StorageError> {
        StoreKey::new(s)
    }

    /// `get_into` through both of its paths: `readv` for large buffers, a scratch buffer
    /// (several 256 KiB pieces here, with buffers straddling the pieces) for small ones.
    #[test]
    fn get_into_large_and_small_buffers() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let s = FilesystemStore::new(dir.path())?;
        let k = key("v")?;
        let value: Vec<u8> = (0..(600u32 << 10)).map(|i| (i * 31 % 251) as u8).collect();
        s.set(&k, value.clone().into())?;
        for run in [300usize << 10, 64 << 10, 1000, 7, 1] {
            let mut out = vec![0u8; value.len()];
            {
                let mut bufs: Vec<&mut [u8]> = out.chunks_mut(run).collect();
                assert!(s.get_into(&k, &mut bufs)?);
            }
            assert!(out == value, "runs of {run} bytes");
        }
        // A file shorter than the buffers is an error, not a partial fill.
        let mut short = vec![0u8; value.len() + 1];
        let mut bufs: Vec<&mut [u8]> = short.chunks_mut(100).collect();
        assert!(s.get_into(&k, &mut bufs).is_err());
        Ok(())
    }

    #[test]
    fn round_trip_and_ranges() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let s = FilesystemStore::new(dir.path())?;
        let k = key("a/b/c")?;
        assert_eq!(s.get(&k)?, None);
        s.set(&k, Bytes::from_static(b"0123456789"))?;
        assert_eq!(s.get(&k)?.as_deref(), Some(&b"0123456789"[..]));
        assert_eq!(s.size_key(&k)?, Some(10));
        let r = s.get_ranges(
            &k,
            &[
                ByteRange::FromStart(2, Some(3)),
                ByteRange::Suffix(2),
                ByteRange::FromStart(8, None),
            ],
        )?;
        assert_eq!(
            r,
            Some(vec![
                Bytes::from_static(b"234"),
                Bytes::from_static(b"89"),
                Bytes::from_static(b"89")
            ])
        );
        assert!(s
            .get_ranges(&k, &[ByteRange::FromStart(8, Some(3))])
            .is_err());
        assert!(s.get_ranges(&k, &[ByteRange::Suffix(11)]).is_err());
        s.set(&key("a/zarr.json")?, Bytes::from_static(b"{}"))?;
        s.set(&key("x")?, Bytes::from_static(b"1"))?;
        assert_eq!(
            s.list()?,
            vec![key("a/b/c")?, key("a/zarr.json")?, key("x")?]
        );
        let d = s.list_dir(&StorePrefix::new("a/")?)?;
        assert_eq!(d.keys, vec![key("a/zarr.json")?]);
        assert_eq!(d.prefixes, vec![StorePrefix::new("a/b/")?]);
        s.erase(&k)?;
        s.erase(&k)?;
        assert_eq!(s.get(&k)?, None);
        s.erase_prefix(&StorePrefix::new("a/")?)?;
        assert_eq!(s.list()?, vec![key("x")?]);
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }

    #[test]
    fn refuses_escaping_keys() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let s = FilesystemStore::new(dir.path().join("store"))?;
        for bad in ["../x", "a/../../x", "/etc/passwd", "a//b", "..", "a\\..\\b"] {
            assert!(StoreKey::new(bad).is_err(), "{bad}");
        }
        assert!(s
            .set(&key(".zarrkit-tmp-1")?, Bytes::from_static(b"x"))
            .is_err());
        // A symlinked directory inside the store is not written through.
        #[cfg(unix)]
        {
            fs::create_dir_all(dir.path().join("store"))?;
            fs::create_dir_all(dir.path().join("outside"))?;
            std::os::unix::fs::symlink(dir.path().join("outside"), dir.path().join("store/link"))?;
            assert!(s.set(&key("link/x")?, Bytes::from_static(b"x")).is_err());
            assert!(!dir.path().join("outside/x").exists());
            // Nor erased through.
            fs::write(dir.path().join("outside/victim"), b"keep")?;
            fs::create_dir_all(dir.path().join("outside/sub"))?;
            assert!(s.erase(&key("link/victim")?).is_err());
            assert!(s.erase_prefix(&StorePrefix::new("link/sub/")?).is_err());
            assert!(dir.path().join("outside/victim").exists());
            assert!(dir.path().join("outside/sub").exists());
            // A key that is not a regular file is refused, not read without end.
            std::os::unix::fs::symlink("/dev/zero", dir.path().join("store/zero"))?;
            assert!(s.get(&key("zero")?).is_err());
        }
        Ok(())
    }

    /// A FIFO at a key is refused at once (the open is non-blocking; a blocking open would
    /// wait for a writer forever), and so is a directory: neither reads as an absent chunk.
    #[cfg(unix)]
    #[test]
    fn fifo_and_directory_at_a_key_are_errors() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let s = FilesystemStore::new(dir.path())?;
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes())?;
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let s2 = s.clone();
        std::thread::spawn(move || {
            let _ = tx.send(
                s2.read(
                    &StoreKey::new("fifo").map_err(|e| e.to_string())?,
                    &[ByteRange::ALL],
                    None,
                )
                .map_err(|e| e.to_string()),
            );
            Ok::<(), String>(())
        });
        let r = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .map_err(|_| "reading a FIFO hung")?;
        assert!(r.is_err(), "{r:?}");
        let mut buf = [0u8; 1];
        assert!(s.get_into(&key("fifo")?, &mut [&mut buf[..]]).is_err());
        fs::create_dir_all(dir.path().join("c/0"))?;
        let r = s.get(&key("c/0")?);
        assert!(
            matches!(r, Err(StorageError::InvalidKey { .. })),
            "a directory at a key: {r:?}"
        );
        Ok(())
    }

    /// Versions change with every write, also of identical bytes written within the same
    /// coarse clock tick, and conditional writes honour them.
    #[test]
    fn versions_and_conditional_writes() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let s = FilesystemStore::new(dir.path())?;
        let k = key("a/v")?;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            s.set(&k, Bytes::from_static(b"same"))?;
            let v = s.version(&k)?.ok_or("absent")?;
            assert!(seen.insert(v), "a version repeated");
        }
        let v = s.version(&k)?.ok_or("absent")?;
        s.set_if(
            &k,
            Bytes::from_static(b"new"),
            &SetCondition::Version(v.clone()),
        )?;
        assert!(matches!(
            s.set_if(
                &k,
                Bytes::from_static(b"x"),
                &SetCondition::Version(v.clone())
            ),
            Err(StorageError::Changed { .. })
        ));
        assert!(matches!(
            s.read(&k, &[ByteRange::ALL], Some(&v)),
            Err(StorageError::Changed { .. })
        ));
        assert!(matches!(
            s.set_if(&k, Bytes::from_static(b"x"), &SetCondition::Absent),
            Err(StorageError::Exists { .. })
        ));
        let v2 = s.version(&k)?.ok_or("absent")?;
        assert!(s.erase_if(&k, &v).is_err());
        s.erase_if(&k, &v2)?;
        assert_eq!(s.get(&k)?, None);
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path().join("a"))?.count(), 0);
        Ok(())
    }

    #[test]
    fn concurrent_writers_never_tear() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let s = Arc::new(FilesystemStore::new(dir.path())?);
        let k = key("k")?;
        let handles: Vec<_> = (0..4u8)
            .map(|t| {
                let s = s.clone();
                let k = k.clone();
                std::thread::spawn(move || -> Result<(), StorageError> {
                    for _ in 0..50 {
                        s.set(&k, vec![t; 4096].into())?;
                        if let Some(v) = s.get(&k)? {
                            assert!(
                                v.len() == 4096 && v.iter().all(|&b| b == v[0]),
                                "torn value"
                            );
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| "thread panicked")??;
        }
        Ok(())
    }
}
