//! The `zarrkit` binary: see the `zarrkit_cli` library.

fn main() -> std::process::ExitCode {
    tune_allocator();
    std::process::ExitCode::from(zarrkit_cli::main_with_args(std::env::args_os()))
}

/// glibc's malloc serves each chunk-sized buffer (megabytes: a decoded chunk, its encoding)
/// with a fresh `mmap` and gives freed memory back at once (`munmap`, `madvise`), so every
/// chunk of a copy paid for page faults and the kernel zeroing its pages again: a third of
/// `reencode`'s system time, ~15% of its wall time on an 8 MiB-chunk copy. Keeping buffers up
/// to 64 MiB on the heap (and the heap untrimmed below 256 MiB of free space) lets the next
/// chunk reuse them; peak memory grows by about one buffer per thread. The settings apply to
/// this process only; `GLIBC_TUNABLES` set by the user still overrides them.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("GLIBC_TUNABLES").is_none() {
        // SAFETY: mallopt only changes allocator parameters; called before any threads.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        }
    }
}
