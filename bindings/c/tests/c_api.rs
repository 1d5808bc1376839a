//! The C API from C and C++: the programs in `tests/c/` and `examples/` are compiled with the
//! C compiler the `cc` crate finds (gcc here) against `include/zarrkit.h`, linked with the
//! `libzarrkit_c.a` cargo built for this test run, and run. Each must exit 0 and print its
//! `NAME: N passed, 0 failed` line. `misuse`, `threads` and `api` also run under
//! AddressSanitizer (the C side instrumented, the Rust staticlib linked as is; its
//! allocations go through the intercepted `malloc`), unless the toolchain cannot build an
//! ASan program at all, which is reported as a skip on stderr. No CMake needed.

use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The staticlib of this crate, found from the test executable's own location
/// (`target/<profile>/deps/c_api-<hash>`): cargo writes `libzarrkit_c.a` next to the rlib
/// the test links (`deps/`) and uplifts a copy to `target/<profile>/`. It must be as new as
/// that rlib (both come from one rustc invocation), so a stale archive is an error rather
/// than a test of old code.
fn staticlib() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let deps = exe.parent().ok_or("test executable without a directory")?;
    let candidates = [
        deps.join("libzarrkit_c.a"),
        deps.parent()
            .map(|p| p.join("libzarrkit_c.a"))
            .unwrap_or_default(),
    ];
    let lib = candidates
        .iter()
        .find(|p| p.is_file())
        .ok_or_else(|| format!("libzarrkit_c.a not found in {candidates:?}"))?
        .clone();
    let rlib = lib.with_extension("rlib");
    if let (Ok(a), Ok(r)) = (lib.metadata(), rlib.metadata()) {
        let (a, r) = (a.modified()?, r.modified()?);
        if a + std::time::Duration::from_secs(60) < r {
            return Err(
                format!("{} is older than {}: stale", lib.display(), rlib.display()).into(),
            );
        }
    }
    Ok(lib)
}

/// Compile and link a C (or C++) program with the staticlib linked whole (plugins register
/// from constructors nothing references by name).
fn compile(sources: &[PathBuf], out: &Path, cpp: bool, asan: bool) -> Result {
    let mut build = cc::Build::new();
    build
        .target(env!("ZARRKIT_C_TARGET"))
        .host(env!("ZARRKIT_C_HOST"))
        .opt_level(0)
        .debug(true)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .cpp(cpp);
    let tool = build.try_get_compiler()?;
    let mut cmd = tool.to_command();
    cmd.arg(if cpp { "-std=c++17" } else { "-std=c11" })
        .args(["-Wall", "-Wextra", "-Wpedantic", "-Werror"])
        .arg("-I")
        .arg(manifest_dir().join("include"))
        .arg("-I")
        .arg(manifest_dir().join("tests/c"));
    if asan {
        cmd.args(["-fsanitize=address", "-fno-omit-frame-pointer"]);
    }
    cmd.args(sources).arg("-o").arg(out);
    cmd.arg("-Wl,--whole-archive")
        .arg(staticlib()?)
        .arg("-Wl,--no-whole-archive")
        .args(["-lpthread", "-ldl", "-lm", "-lrt", "-lutil", "-lgcc_s"]);
    let output = cmd.output()?;
    if !output.status.success() {
        return Err(format!(
            "compiling {sources:?} failed ({:?}):\n{}{}",
            cmd,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

/// Whether this toolchain links and runs an AddressSanitizer program at all.
fn asan_available(dir: &Path) -> bool {
    let src = dir.join("asan_probe.c");
    let exe = dir.join("asan_probe");
    if std::fs::write(&src, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    let Ok(tool) = cc::Build::new()
        .target(env!("ZARRKIT_C_TARGET"))
        .host(env!("ZARRKIT_C_HOST"))
        .opt_level(0)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()
    else {
        return false;
    };
    let built = tool
        .to_command()
        .args(["-fsanitize=address"])
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .is_ok_and(|o| o.status.success());
    built
        && Command::new(&exe)
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Run a compiled program; it must exit 0 and print `NAME: N passed, 0 failed` (the
/// examples: `NAME: ok`).
fn run(exe: &Path, name: &str, args: &[&Path], asan: bool) -> Result {
    let mut cmd = Command::new(exe);
    cmd.args(args);
    if asan {
        cmd.env(
            "ASAN_OPTIONS",
            "detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1",
        );
    }
    let output = cmd.output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    if !output.status.success() {
        return Err(format!("{name} exited with {}:\n{stdout}\n{stderr}", output.status).into());
    }
    let closing = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("{name}: ")))
        .ok_or_else(|| format!("{name} printed no closing line:\n{stdout}"))?;
    if closing != format!("{name}: ok")
        && (!closing.ends_with(" 0 failed") || closing.contains(": 0 passed"))
    {
        return Err(format!("{name}: {closing}").into());
    }
    Ok(())
}

fn c_program(name: &str, cpp: bool, asan: bool) -> Result {
    c_program_with(name, cpp, asan, |_| Ok(Vec::new()))
}

/// Compile and run a program with the data directory and the extra arguments `args` gives
/// (from the data directory).
fn c_program_with(
    name: &str,
    cpp: bool,
    asan: bool,
    args: impl FnOnce(&Path) -> Result<Vec<String>>,
) -> Result {
    let dir = tempfile::tempdir()?;
    if asan && !asan_available(dir.path()) {
        if std::env::var_os("ZARRKIT_REQUIRE_ASAN").is_some() {
            return Err(
                "ZARRKIT_REQUIRE_ASAN is set, but this toolchain cannot build and \
                        run an AddressSanitizer program"
                    .into(),
            );
        }
        eprintln!("skipped: this toolchain cannot build AddressSanitizer programs");
        return Ok(());
    }
    let src = if name.starts_with("example") {
        manifest_dir()
            .join("examples")
            .join(format!("{name}.{}", if cpp { "cpp" } else { "c" }))
    } else {
        manifest_dir().join("tests/c").join(format!("{name}.c"))
    };
    let exe = dir.path().join(if asan {
        format!("{name}_asan")
    } else {
        name.to_string()
    });
    compile(&[src], &exe, cpp, asan)?;
    let data = dir.path().join("data");
    std::fs::create_dir(&data)?;
    let extra = args(&data)?;
    let mut argv: Vec<&Path> = vec![&data];
    argv.extend(extra.iter().map(Path::new));
    run(&exe, name, &argv, asan)
}

#[test]
fn api() -> Result {
    c_program("api", false, false)
}

#[test]
fn api_asan() -> Result {
    c_program("api", false, true)
}

#[test]
fn misuse() -> Result {
    c_program("misuse", false, false)
}

#[test]
fn misuse_asan() -> Result {
    c_program("misuse", false, true)
}

#[test]
fn threads() -> Result {
    c_program("threads", false, false)
}

#[test]
fn threads_asan() -> Result {
    c_program("threads", false, true)
}

#[test]
fn selection() -> Result {
    c_program("selection", false, false)
}

#[test]
fn selection_asan() -> Result {
    c_program("selection", false, true)
}

/// HTTP and zip stores: `remote.c` writes a hierarchy into its directory, which a static
/// file server on 127.0.0.1 (in this process) serves.
fn remote_program(asan: bool) -> Result {
    let mut server = None;
    let result = c_program_with("remote", false, asan, |data| {
        let s = http::Server::start(data)?;
        let url = s.url();
        server = Some(s);
        Ok(vec![url])
    });
    if let Some(s) = server {
        let served = s.stop();
        eprintln!("the test server answered {served} requests");
        if result.is_ok() && served == 0 {
            return Err("the HTTP server saw no request".into());
        }
    }
    result
}

#[test]
fn remote() -> Result {
    remote_program(false)
}

#[test]
fn remote_asan() -> Result {
    remote_program(true)
}

/// The examples CI builds with CMake, here compiled directly (no CMake needed).
#[test]
fn example_c() -> Result {
    c_program("example", false, false)
}

/// The C example with its remote part: the hierarchy it writes read back over HTTP.
#[test]
fn example_c_http() -> Result {
    let mut server = None;
    let result = c_program_with("example", false, false, |data| {
        let s = http::Server::start(data)?;
        let url = s.url();
        server = Some(s);
        Ok(vec![url])
    });
    if let Some(s) = server {
        let served = s.stop();
        if result.is_ok() && served == 0 {
            return Err("the HTTP server saw no request".into());
        }
    }
    result
}

#[test]
fn example_cpp() -> Result {
    c_program("example_cpp", true, false)
}

/// A static file server for the tests: HTTP/1.1 `GET` and `HEAD` of files below a
/// directory, one `Range: bytes=` range (`a-b`, `a-`, `-n`) answered with 206 and
/// `Content-Range`, 404 for missing files, 416 for unsatisfiable ranges, `Connection:
/// close` after every answer. Bound to 127.0.0.1 on a free port.
mod http {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::thread::JoinHandle;

    pub struct Server {
        addr: std::net::SocketAddr,
        stop: Arc<AtomicBool>,
        served: Arc<AtomicUsize>,
        thread: Option<JoinHandle<()>>,
    }

    impl Server {
        pub fn start(root: &Path) -> std::io::Result<Self> {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            let stop = Arc::new(AtomicBool::new(false));
            let served = Arc::new(AtomicUsize::new(0));
            let root = root.to_path_buf();
            let (stop2, served2) = (stop.clone(), served.clone());
            let thread = std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let root = root.clone();
                    let served = served2.clone();
                    std::thread::spawn(move || {
                        if serve(conn, &root).is_ok() {
                            served.fetch_add(1, Ordering::SeqCst);
                        }
                    });
                }
            });
            Ok(Self {
                addr,
                stop,
                served,
                thread: Some(thread),
            })
        }

        pub fn url(&self) -> String {
            format!("http://{}", self.addr)
        }

        /// Stop accepting; the number of requests answered.
        pub fn stop(mut self) -> usize {
            self.stop.store(true, Ordering::SeqCst);
            // Wake the accept loop.
            let _ = TcpStream::connect(self.addr);
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
            self.served.load(Ordering::SeqCst)
        }
    }

    fn file_of(root: &Path, target: &str) -> Option<PathBuf> {
        let path = target.split(['?', '#']).next()?;
        let mut file = root.to_path_buf();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let part = percent_decode(part)?;
            if part == "." || part == ".." || part.contains('/') {
                return None;
            }
            file.push(part);
        }
        Some(file)
    }

    fn percent_decode(s: &str) -> Option<String> {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).ok()
    }

    /// The window of `bytes=...` in a value of `len` bytes (`None`: unsatisfiable).
    fn window(spec: &str, len: u64) -> Option<(u64, u64)> {
        let spec = spec.trim().strip_prefix("bytes=")?;
        let (a, b) = spec.split_once('-')?;
        let (start, end) = if a.is_empty() {
            let n: u64 = b.parse().ok()?;
            (len.saturating_sub(n), len)
        } else {
            let start: u64 = a.parse().ok()?;
            let end = if b.is_empty() {
                len
            } else {
                b.parse::<u64>().ok()?.saturating_add(1).min(len)
            };
            (start, end)
        };
        (start < end).then_some((start, end))
    }

    fn serve(conn: TcpStream, root: &Path) -> std::io::Result<()> {
        let mut reader = BufReader::new(conn.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("/").to_string();
        let mut range = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.trim().eq_ignore_ascii_case("range") {
                    range = Some(v.trim().to_string());
                }
            }
        }
        let mut out = conn;
        let reply = |out: &mut TcpStream, status: &str, headers: &str, body: &[u8]| {
            write!(
                out,
                "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(body)?;
            out.flush()
        };
        if method != "GET" && method != "HEAD" {
            return reply(&mut out, "405 Method Not Allowed", "", b"");
        }
        let file = file_of(root, &target).filter(|f| f.is_file());
        let Some(file) = file else {
            return reply(&mut out, "404 Not Found", "", b"");
        };
        let mut bytes = Vec::new();
        std::fs::File::open(&file)?.read_to_end(&mut bytes)?;
        let len = bytes.len() as u64;
        let head = method == "HEAD";
        match range {
            None => {
                let body = if head { &[][..] } else { &bytes[..] };
                if head {
                    write!(
                        out,
                        "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
                    )?;
                    out.flush()
                } else {
                    reply(&mut out, "200 OK", "Accept-Ranges: bytes\r\n", body)
                }
            }
            Some(spec) => match window(&spec, len) {
                Some((a, b)) => {
                    let headers = format!("Content-Range: bytes {a}-{}/{len}\r\n", b - 1);
                    let body = if head {
                        &[][..]
                    } else {
                        &bytes[a as usize..b as usize]
                    };
                    reply(&mut out, "206 Partial Content", &headers, body)
                }
                None => reply(
                    &mut out,
                    "416 Range Not Satisfiable",
                    &format!("Content-Range: bytes */{len}\r\n"),
                    b"",
                ),
            },
        }
    }
}
