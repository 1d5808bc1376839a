//! Test servers on 127.0.0.1, started by the tests: a real static file server (nginx when
//! installed, else tower-http's ServeDir) and a scriptable server that lies.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub type R = Result<(), Box<dyn std::error::Error>>;

/// A runtime for a test server, on its own threads, shut down without blocking on drop.
pub struct ServerRuntime(Option<tokio::runtime::Runtime>);

impl ServerRuntime {
    pub fn new() -> Self {
        Self(Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a test server runtime"),
        ))
    }
    pub fn handle(&self) -> tokio::runtime::Handle {
        self.0.as_ref().expect("runtime").handle().clone()
    }
}

impl Drop for ServerRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

fn wait_for_port(addr: SocketAddr, child: Option<&mut Child>) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut child = child;
    while Instant::now() < deadline {
        if StdStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        if let Some(c) = child.as_deref_mut() {
            if let Ok(Some(_)) = c.try_wait() {
                return false;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn free_port() -> u16 {
    let l = StdListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A static file server serving a directory.
pub struct StaticServer {
    pub url: String,
    pub kind: &'static str,
    nginx: Option<(Child, tempfile::TempDir)>,
    _runtime: Option<ServerRuntime>,
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        if let Some((child, _)) = &mut self.nginx {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The nginx binary: `ZARRKIT_NGINX` (a path, or `none` to use the fallback server even
/// where nginx is installed), else `nginx` on `PATH` or in the usual sbin directories.
pub fn nginx_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ZARRKIT_NGINX") {
        return (p != "none").then(|| PathBuf::from(p));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push("/usr/sbin".into());
    dirs.push("/usr/local/sbin".into());
    dirs.push("/usr/local/nginx/sbin".into());
    dirs.into_iter()
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

fn start_nginx(bin: &Path, root: &Path) -> Result<StaticServer, String> {
    let mut last = String::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = free_port();
        let d = dir.path().display();
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\n\
             error_log {d}/error.log warn;\npid {d}/nginx.pid;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  default_type application/octet-stream;\n  sendfile on;\n  \
             client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             server {{\n    listen 127.0.0.1:{port};\n    root {};\n    location / {{ }}\n  }}\n}}\n",
            root.display()
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).map_err(|e| e.to_string())?;
        let mut child = Command::new(bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        if wait_for_port(addr, Some(&mut child)) {
            return Ok(StaticServer {
                url: format!("http://127.0.0.1:{port}"),
                kind: "nginx",
                nginx: Some((child, dir)),
                _runtime: None,
            });
        }
        let _ = child.kill();
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
        );
    }
    Err(format!("nginx did not start: {last}"))
}

fn start_serve_dir(root: &Path) -> StaticServer {
    let rt = ServerRuntime::new();
    let listener = rt
        .handle()
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let svc = tower_http::services::ServeDir::new(root);
    rt.handle().spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let svc = svc.clone();
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let service = hyper_util::service::TowerToHyperService::new(svc);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    StaticServer {
        url: format!("http://{addr}"),
        kind: "tower-http ServeDir (no nginx)",
        nginx: None,
        _runtime: Some(rt),
    }
}

/// nginx serving `root` if it is installed (required when `ZARRKIT_REQUIRE_NGINX` is
/// set), else tower-http's ServeDir. Prints which.
pub fn static_server(root: &Path) -> StaticServer {
    let require = std::env::var_os("ZARRKIT_REQUIRE_NGINX").is_some_and(|v| !v.is_empty());
    let server = match nginx_binary() {
        Some(bin) => match start_nginx(&bin, root) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        },
        None if require => {
            panic!(
                "ZARRKIT_REQUIRE_NGINX is set but nginx is not installed (apt-get install nginx)"
            )
        }
        None => start_serve_dir(root),
    };
    println!("static server: {} at {}", server.kind, server.url);
    server
}

// ---------------------------------------------------------------------------------------
// The lying server.

/// A request as the lying server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The index of this request among all the server has seen (from 0).
    pub n: usize,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the lying server does with a request.
pub enum Reply {
    /// Write these bytes, then close.
    Send(Vec<u8>),
    /// Write these bytes, then reset the connection (RST).
    SendThenReset(Vec<u8>),
    /// Write these bytes, then stall (hold the connection open, sending nothing).
    SendThenStall(Vec<u8>),
}

pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

pub struct LyingServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Request>>>,
    /// Stalled connections that the client closed.
    pub closed: Arc<AtomicUsize>,
    _runtime: ServerRuntime,
}

impl LyingServer {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with(Arc::new(handler), None)
    }

    /// With TLS when `tls` is given.
    pub fn start_with(handler: Handler, tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        let rt = ServerRuntime::new();
        let listener = rt
            .handle()
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let url = format!("{}://{addr}", if tls.is_some() { "https" } else { "http" });
        let seen = requests.clone();
        let counter = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let closed_by_client = closed.clone();
        rt.handle().spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (handler, seen, counter, tls, closed) = (
                    handler.clone(),
                    seen.clone(),
                    counter.clone(),
                    tls.clone(),
                    closed_by_client.clone(),
                );
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    match tls {
                        None => serve_one(stream, handler, seen, counter, closed).await,
                        Some(acceptor) => {
                            if let Ok(s) = acceptor.accept(stream).await {
                                serve_one(s, handler, seen, counter, closed).await;
                            }
                        }
                    }
                });
            }
        });
        LyingServer {
            url,
            requests,
            closed,
            _runtime: rt,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.requests().len()
    }
}

trait Resettable {
    fn reset(self);
}

impl Resettable for tokio::net::TcpStream {
    fn reset(self) {
        let _ = self.set_zero_linger();
        drop(self);
    }
}

impl Resettable for tokio_rustls::server::TlsStream<tokio::net::TcpStream> {
    fn reset(self) {
        let (tcp, _) = self.into_inner();
        tcp.reset();
    }
}

async fn serve_one<S>(
    mut stream: S,
    handler: Handler,
    seen: Arc<Mutex<Vec<Request>>>,
    counter: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Resettable,
{
    // One request per connection (every reply says `Connection: close`).
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 << 10 {
            return;
        }
        match stream.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    };
    let text = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let path = first.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let req = Request {
        method,
        path,
        headers,
        n: counter.fetch_add(1, Ordering::SeqCst),
    };
    if let Ok(mut s) = seen.lock() {
        s.push(req.clone());
    }
    match handler(&req) {
        Reply::Send(b) => {
            let _ = stream.write_all(&b).await;
            let _ = stream.flush().await;
            let _ = stream.shutdown().await;
        }
        Reply::SendThenReset(b) => {
            let _ = stream.write_all(&b).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            stream.reset();
        }
        Reply::SendThenStall(b) => {
            let _ = stream.write_all(&b).await;
            let _ = stream.flush().await;
            // Until the client goes away (EOF or error), at most 120 s.
            let gone = async {
                let mut sink = [0u8; 256];
                loop {
                    match stream.read(&mut sink).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            };
            if tokio::time::timeout(Duration::from_secs(120), gone)
                .await
                .is_ok()
            {
                closed.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// An HTTP/1.1 response with `Connection: close` (and `Content-Length` unless the headers
/// name one, or `None` is passed to send none).
pub fn response(
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
    content_length: Option<usize>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = write!(out, "HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (n, v) in headers {
        let _ = write!(out, "{n}: {v}\r\n");
    }
    if let Some(n) = content_length {
        let _ = write!(out, "Content-Length: {n}\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// What a correct server answers for one value: `(status, headers, body)`, honouring one
/// `Range` (`a-b`, `a-`, `-n`) and `If-Match`.
pub fn honest(
    req: &Request,
    data: &[u8],
    etag: &str,
) -> (String, Vec<(&'static str, String)>, Vec<u8>) {
    let n = data.len() as u64;
    let mut headers = vec![("ETag", etag.to_string())];
    if let Some(m) = req.header("If-Match") {
        if m != etag {
            return ("412 Precondition Failed".into(), headers, Vec::new());
        }
    }
    if req.method == "HEAD" {
        return ("200 OK".into(), headers, Vec::new());
    }
    let Some(spec) = req.header("Range").and_then(|r| r.strip_prefix("bytes=")) else {
        return ("200 OK".into(), headers, data.to_vec());
    };
    let (a, b) = spec.split_once('-').unwrap_or(("", ""));
    let window = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (None, Some(s)) if s > 0 => Some((n.saturating_sub(s), n)),
        (Some(a), None) if a < n => Some((a, n)),
        (Some(a), Some(b)) if a < n && a <= b => Some((a, (b + 1).min(n))),
        _ => None,
    };
    match window {
        Some((s, e)) => {
            headers.push(("Content-Range", format!("bytes {s}-{}/{n}", e - 1)));
            (
                "206 Partial Content".into(),
                headers,
                data[s as usize..e as usize].to_vec(),
            )
        }
        None => {
            headers.push(("Content-Range", format!("bytes */{n}")));
            ("416 Range Not Satisfiable".into(), headers, Vec::new())
        }
    }
}

/// [`honest`] as raw bytes (with a correct `Content-Length`; none for HEAD beyond the
/// value's size).
pub fn honest_reply(req: &Request, data: &[u8], etag: &str) -> Vec<u8> {
    let (status, headers, body) = honest(req, data, etag);
    if req.method == "HEAD" && status.starts_with("200") {
        return response(&status, &headers, &[], Some(data.len()));
    }
    response(&status, &headers, &body, Some(body.len()))
}

/// Sample bytes: 0, 1, ..., 250, 0, 1, ...
pub fn sample(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}
