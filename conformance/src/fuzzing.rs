//! The fuzz targets' bodies (feature `fuzzing`), shared by the libFuzzer binaries in
//! `fuzz/` (`cargo xtask fuzz`) and by the regression tests of this crate, which run every
//! input kept in `fuzz/regressions/<target>/` through the same function on every
//! `cargo test`.
//!
//! Each target takes arbitrary bytes and must neither panic, nor abort, nor hang, nor
//! allocate what the input alone decides: every request runs with
//! [`CodecOptions::max_request_bytes`] and
//! [`CodecOptions::max_unbounded_decoded_bytes`] at [`LIMIT`], so a target that allocates
//! more than a few times that is a finding (the fuzz runs set `-rss_limit_mb` and
//! `-malloc_limit_mb` accordingly). Where the input is valid the targets also check
//! properties: metadata written back parses to the same document, a fill value written back
//! reads back as the same bytes, and valid chunks decode to what was encoded.
//!
//! Targets:
//! - `decode_<codec>` (one per decoder, [`DECODERS`]): the input's first byte picks a mode.
//!   Mode 0 stores the rest as the chunk of a one-chunk array whose chain has the codec and
//!   reads it whole and by regions (raw hostile bytes). Mode 1 encodes elements derived from
//!   the input, checks they decode back, then corrupts the stored bytes (truncation, bit
//!   flips, splices chosen by the input) and reads again ("valid then corrupted", as
//!   pcodec#383 fuzzes).
//! - `metadata_v3`, `metadata_v2` (with V2→V3 conversion), `fill_value` (every registered
//!   data type), `shard_index` (a shard whose index is the input), `read_path` (a whole
//!   in-memory store built from the input, opened and read as any node).

// A failed property check panics: that is how a fuzz target reports a finding.
#![allow(clippy::panic)]

use std::sync::Arc;

use zarrkit::serde_json::{self, json, Value};
use zarrkit::storage::{MemoryStore, StoreKey, WritableStorageTraits};
use zarrkit::{Array, ArrayMetadataV2, ArraySubset, CodecOptions, Node};

/// The per-request memory limit of every fuzzed operation (bytes).
pub const LIMIT: u64 = 64 << 20;

/// One decoder target: its name, the codec chain (V3 JSON list) around it, the data type
/// and the chunk shape, and whether decoding is lossy (no exact round trip).
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    /// The target name (`decode_zstd`).
    pub target: &'static str,
    /// The `codecs` member of the one-chunk array.
    pub codecs: &'static str,
    /// The data type.
    pub data_type: &'static str,
    /// The fill value (JSON).
    pub fill_value: &'static str,
    /// The chunk (= array) shape.
    pub shape: &'static [u64],
    /// Lossy: decoded values need not equal the encoded ones.
    pub lossy: bool,
}

macro_rules! dec {
    ($t:literal, $codecs:expr, $dt:literal, $shape:expr) => {
        Decoder {
            target: $t,
            codecs: $codecs,
            data_type: $dt,
            fill_value: "0",
            shape: $shape,
            lossy: false,
        }
    };
}

/// Every decoder target.
pub const DECODERS: &[Decoder] = &[
    dec!(
        "decode_bytes",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"big"}}"#,
            "]"
        ),
        "int32",
        &[7, 9]
    ),
    dec!(
        "decode_transpose",
        concat!(
            r#"[{"name":"transpose","configuration":{"order":[1,0]}},"#,
            r#"{"name":"bytes","configuration":{"endian":"little"}}]"#
        ),
        "uint16",
        &[5, 6]
    ),
    dec!(
        "decode_gzip",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"gzip","configuration":{"level":1}}]"#
        ),
        "int16",
        &[64]
    ),
    dec!(
        "decode_zstd",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"zstd","configuration":{"level":1,"checksum":true}}]"#
        ),
        "uint32",
        &[8, 16]
    ),
    dec!(
        "decode_blosc",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"blosc","configuration":{"cname":"lz4","clevel":5,"shuffle":"bitshuffle","typesize":4,"blocksize":0}}]"#
        ),
        "float32",
        &[300]
    ),
    dec!(
        "decode_crc32c",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"crc32c"}]"#
        ),
        "uint8",
        &[33]
    ),
    dec!(
        "decode_sharding",
        concat!(
            r#"[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,3],"codecs":["#,
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"zstd","configuration":{"level":1,"checksum":false}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],"index_location":"end"}}]"#
        ),
        "int32",
        &[6, 9]
    ),
    dec!(
        "decode_sharding_start",
        concat!(
            r#"[{"name":"sharding_indexed","configuration":{"chunk_shape":[4],"codecs":["#,
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#"],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_location":"start"}}]"#
        ),
        "uint16",
        &[16]
    ),
    dec!(
        "decode_vlen_utf8",
        r#"[{"name":"vlen-utf8"}]"#,
        "string",
        &[3, 4]
    ),
    dec!(
        "decode_vlen_bytes",
        r#"[{"name":"vlen-bytes"}]"#,
        "variable_length_bytes",
        &[10]
    ),
    dec!(
        "decode_zlib",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"numcodecs.zlib","configuration":{"level":1}}]"#
        ),
        "int64",
        &[20]
    ),
    dec!(
        "decode_bz2",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"numcodecs.bz2","configuration":{"level":1}}]"#
        ),
        "uint8",
        &[100]
    ),
    dec!(
        "decode_lz4",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"numcodecs.lz4","configuration":{"acceleration":1}}]"#
        ),
        "int32",
        &[50]
    ),
    dec!(
        "decode_shuffle",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"numcodecs.shuffle","configuration":{"elementsize":4}}]"#
        ),
        "int32",
        &[25]
    ),
    dec!(
        "decode_delta",
        concat!(
            r#"[{"name":"numcodecs.delta","configuration":{"dtype":"<i2"}},"#,
            r#"{"name":"bytes","configuration":{"endian":"little"}}]"#
        ),
        "int16",
        &[40]
    ),
    dec!(
        "decode_adler32",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"numcodecs.adler32"}]"#
        ),
        "uint8",
        &[17]
    ),
    dec!(
        "decode_fletcher32",
        concat!(
            "[",
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            r#",{"name":"numcodecs.fletcher32"}]"#
        ),
        "uint8",
        &[17]
    ),
    dec!(
        "decode_packbits",
        concat!(r#"[{"name":"numcodecs.packbits"},"#, r#"{"name":"bytes"}]"#),
        "bool",
        &[19]
    ),
    dec!(
        "decode_pcodec",
        r#"[{"name":"numcodecs.pcodec","configuration":{"level":4}}]"#,
        "float64",
        &[64]
    ),
    Decoder {
        target: "decode_bitround",
        codecs: concat!(
            r#"[{"name":"bitround","configuration":{"keepbits":5}},"#,
            r#"{"name":"bytes","configuration":{"endian":"little"}}]"#
        ),
        data_type: "float32",
        fill_value: "0",
        shape: &[30],
        lossy: true,
    },
];

/// The names of all targets.
pub fn targets() -> Vec<&'static str> {
    let mut t: Vec<&'static str> = DECODERS.iter().map(|d| d.target).collect();
    t.extend([
        "metadata_v3",
        "metadata_v2",
        "fill_value",
        "shard_index",
        "read_path",
    ]);
    t
}

/// Run target `name` on `data` (false if there is no such target).
pub fn run(name: &str, data: &[u8]) -> bool {
    if let Some(d) = DECODERS.iter().find(|d| d.target == name) {
        decode(d, data);
        return true;
    }
    match name {
        "metadata_v3" => metadata_v3(data),
        "metadata_v2" => metadata_v2(data),
        "fill_value" => fill_value(data),
        "shard_index" => shard_index(data),
        "read_path" => read_path(data),
        _ => return false,
    }
    true
}

/// The options every fuzzed request runs with.
pub fn options() -> CodecOptions {
    let mut o = CodecOptions::default().with_concurrent_target(1);
    o.max_request_bytes = LIMIT;
    o.max_unbounded_decoded_bytes = LIMIT;
    o
}

fn array_json(d: &Decoder) -> String {
    format!(
        r#"{{"zarr_format":3,"node_type":"array","shape":{shape:?},"data_type":"{dt}",
        "chunk_grid":{{"name":"regular","configuration":{{"chunk_shape":{shape:?}}}}},
        "chunk_key_encoding":{{"name":"default"}},"fill_value":{fill},"codecs":{codecs}}}"#,
        shape = d.shape,
        dt = d.data_type,
        fill = d.fill_value,
        codecs = d.codecs
    )
}

/// A one-chunk array of decoder `d` on a memory store, made once per thread and target
/// (binding metadata costs more than most decodes: the fuzzers would mostly measure it).
/// The caller replaces the chunk's value, so no state survives between inputs but the
/// array's caches, which are keyed by the value's version.
fn one_chunk_array(d: &Decoder) -> Option<(Arc<MemoryStore>, Array<MemoryStore>)> {
    type Cached = std::collections::HashMap<&'static str, (Arc<MemoryStore>, Array<MemoryStore>)>;
    thread_local! {
        static ARRAYS: std::cell::RefCell<Cached> = std::cell::RefCell::new(Cached::new());
    }
    if let Some(hit) = ARRAYS.with(|a| a.borrow().get(d.target).cloned()) {
        return Some(hit);
    }
    let made = new_one_chunk_array(d)?;
    ARRAYS.with(|a| a.borrow_mut().insert(d.target, made.clone()));
    Some(made)
}

fn new_one_chunk_array(d: &Decoder) -> Option<(Arc<MemoryStore>, Array<MemoryStore>)> {
    let store = Arc::new(MemoryStore::new());
    let meta = zarrkit::metadata::NodeMetadata::from_json(array_json(d).as_bytes(), "/").ok()?;
    let zarrkit::metadata::NodeMetadata::Array(m) = meta else {
        return None;
    };
    let a = Array::new_with_metadata(store.clone(), "/", m).ok()?;
    Some((store, a))
}

/// Read the whole array and a few regions chosen by `seed` (errors are fine, panics not).
fn read_all_ways(a: &Array<MemoryStore>, seed: &[u8]) -> Option<zarrkit::ArrayBytes> {
    let o = options();
    let shape = a.shape().to_vec();
    let whole = a
        .read_opt::<zarrkit::ArrayBytes>(ArraySubset::new_with_shape(shape.clone()), &o)
        .ok();
    for w in seed.chunks(2).take(3) {
        let (start, len): (Vec<u64>, Vec<u64>) = shape
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let b = u64::from(w.get(i % w.len()).copied().unwrap_or(0));
                let s = if n == 0 { 0 } else { b % n };
                (s, ((b >> 4) % (n - s).max(1)) + u64::from(n > s))
            })
            .unzip();
        let len: Vec<u64> = len
            .iter()
            .zip(&shape)
            .zip(&start)
            .map(|((&l, &n), &s)| l.min(n - s))
            .collect();
        if let Ok(sub) = ArraySubset::new(start, len) {
            let _ = a.read_opt::<zarrkit::ArrayBytes>(sub, &o);
        }
    }
    whole
}

/// Elements for decoder `d` made from `seed` (fixed-size: bytes repeated to the chunk
/// size, made valid for the data type; variable-size: strings cut from the seed).
fn elements_from(d: &Decoder, a: &Array<MemoryStore>, seed: &[u8]) -> Option<zarrkit::ArrayBytes> {
    let n: u64 = d.shape.iter().product();
    let n = usize::try_from(n).ok()?;
    match a.data_type().size().fixed() {
        Some(size) => {
            let mut b: Vec<u8> = (0..n * size)
                .map(|i| {
                    if seed.is_empty() {
                        i as u8
                    } else {
                        seed[i % seed.len()]
                    }
                })
                .collect();
            match d.data_type {
                "bool" => b.iter_mut().for_each(|x| *x &= 1),
                // Finite floats only (NaN payloads need not survive every codec).
                "float32" => b.chunks_exact_mut(4).for_each(|c| c[3] &= 0x3f),
                "float64" => b.chunks_exact_mut(8).for_each(|c| c[7] &= 0x3f),
                _ => {}
            }
            Some(zarrkit::ArrayBytes::Fixed(b))
        }
        None => {
            let text = String::from_utf8_lossy(seed).into_owned();
            let chars: Vec<char> = text.chars().collect();
            let mut strings = Vec::with_capacity(n);
            for i in 0..n {
                let k = if chars.is_empty() {
                    0
                } else {
                    (i * 7) % chars.len()
                };
                let len = if chars.is_empty() { 0 } else { i % 5 };
                strings.push(chars.iter().cycle().skip(k).take(len).collect::<String>());
            }
            Some(zarrkit::ArrayBytes::from_strs(&strings))
        }
    }
}

/// A decoder target.
pub fn decode(d: &Decoder, data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((store, a)) = one_chunk_array(d) else {
        return;
    };
    let Ok(key) = StoreKey::new(format!("c/{}", vec!["0"; d.shape.len()].join("/"))) else {
        return;
    };
    if mode % 2 == 0 {
        if store.set(&key, rest.to_vec().into()).is_ok() {
            read_all_ways(&a, rest);
        }
        return;
    }
    // Valid, then corrupted: the first half of the input makes the elements, the second
    // the corruptions.
    let (seed, damage) = rest.split_at(rest.len() / 2);
    let Some(elements) = elements_from(d, &a, seed) else {
        return;
    };
    let all = ArraySubset::new_with_shape(d.shape.to_vec());
    if a.write_opt(all.clone(), &elements, &options()).is_err() {
        return;
    }
    let back = a.read_opt::<zarrkit::ArrayBytes>(all, &options());
    if !d.lossy {
        // Elements equal to the fill value may have been erased: both read the same.
        match &back {
            Ok(b) => assert!(
                *b == elements,
                "{}: a valid chunk did not decode to what was encoded",
                d.target
            ),
            Err(e) => panic!("{}: a valid chunk did not decode: {e}", d.target),
        }
    }
    let Ok(Some(stored)) = zarrkit::storage::ReadableStorageExt::get(&*store, &key) else {
        return;
    };
    let mut bytes = stored.to_vec();
    for op in damage.chunks(3) {
        if bytes.is_empty() {
            break;
        }
        let at =
            (usize::from(op[0]) | usize::from(op.get(1).copied().unwrap_or(0)) << 8) % bytes.len();
        match op.get(2).copied().unwrap_or(1) {
            0 => bytes.truncate(at),
            k @ 1..=8 => bytes[at] ^= 1 << (k - 1),
            x => bytes[at] = x,
        }
    }
    if store.set(&key, bytes.into()).is_ok() {
        read_all_ways(&a, damage);
    }
}

/// `zarr.json` bytes: parse, bind, read a little; a document that parses writes back to one
/// that parses to the same metadata.
pub fn metadata_v3(data: &[u8]) {
    let Ok(meta) = zarrkit::metadata::NodeMetadata::from_json(data, "/") else {
        return;
    };
    match meta {
        zarrkit::metadata::NodeMetadata::Array(m) => {
            if let zarrkit::metadata::ArrayMetadata::V3(v3) = &m {
                let again = zarrkit::metadata::NodeMetadata::from_json(&v3.to_json_pretty(), "/");
                match again {
                    Ok(zarrkit::metadata::NodeMetadata::Array(
                        zarrkit::metadata::ArrayMetadata::V3(w),
                    )) => {
                        assert_eq!(
                            w.to_json_pretty(),
                            v3.to_json_pretty(),
                            "array metadata write-back is unstable"
                        );
                    }
                    other => panic!("written-back array metadata does not parse: {other:?}"),
                }
            }
            let store = Arc::new(MemoryStore::new());
            if let Ok(a) = Array::new_with_metadata(store, "/", m) {
                small_read(&a);
            }
        }
        zarrkit::metadata::NodeMetadata::Group(g) => {
            if let zarrkit::metadata::GroupMetadata::V3(v3) = &g {
                let again = zarrkit::metadata::NodeMetadata::from_json(&v3.to_json_pretty(), "/");
                assert!(
                    again.is_ok(),
                    "written-back group metadata does not parse: {again:?}"
                );
            }
        }
    }
}

/// Read the first chunk's worth (fill values: nothing is stored) and the whole array.
fn small_read(a: &Array<MemoryStore>) {
    let o = options();
    if let Ok(c) = a.chunk_shape(&vec![0; a.shape().len()]) {
        let len: Vec<u64> = c.iter().zip(a.shape()).map(|(&c, &s)| c.min(s)).collect();
        if let Ok(sub) = ArraySubset::new(vec![0; len.len()], len) {
            let _ = a.read_opt::<zarrkit::ArrayBytes>(sub, &o);
        }
    }
    let _ = a.read_opt::<zarrkit::ArrayBytes>(ArraySubset::new_with_shape(a.shape().to_vec()), &o);
}

/// `.zarray` (and `.zattrs` after a `0xff` byte): parse, bind, convert to V3 and back.
pub fn metadata_v2(data: &[u8]) {
    let (zarray, zattrs) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(m) = ArrayMetadataV2::from_json(zarray, zattrs, "/") else {
        return;
    };
    let again = ArrayMetadataV2::from_json(&m.to_json_pretty(), zattrs, "/");
    assert!(
        again.is_ok(),
        "written-back .zarray does not parse: {again:?}"
    );
    let store = Arc::new(MemoryStore::new());
    let Ok(a) = Array::new_with_metadata(store.clone(), "/", m) else {
        return;
    };
    small_read(&a);
    if let Ok(v3) = a.to_v3() {
        let b = Array::new_with_metadata(store, "/", v3);
        assert!(
            b.is_ok(),
            "a V2 array converted to V3 does not bind: {:?}",
            b.err()
        );
        if let Ok(b) = b {
            let _ = b.to_v2();
        }
    }
}

/// A data type (chosen by the first byte among the registered ones, with a configuration
/// from the input where it needs one) and a JSON fill value; one that parses writes back to
/// JSON that parses to the same bytes.
pub fn fill_value(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let names = zarrkit::registry::DATA_TYPES.names();
    if names.is_empty() {
        return;
    }
    let name = names[usize::from(which) % names.len()];
    let (config, fill) = match rest.iter().position(|&b| b == 0xff) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let dt_json = if config.is_empty() {
        json!(name)
    } else {
        match zarrkit::json::parse(config) {
            Ok(Value::Object(c)) => json!({"name": name, "configuration": c}),
            _ => return,
        }
    };
    let Ok(md) = serde_json::from_value::<zarrkit::MetadataV3>(dt_json) else {
        return;
    };
    let Ok(dt) = zarrkit::registry::create_data_type(&md) else {
        return;
    };
    let Ok(fill) = zarrkit::json::parse(fill) else {
        return;
    };
    let fill = zarrkit::json::normalise_fill_value(&fill);
    if let Ok(fv) = dt.fill_value_from_json(&fill) {
        if let Ok(j) = dt.fill_value_to_json(&fv) {
            let back = dt.fill_value_from_json(&j);
            match back {
                Ok(b) => assert_eq!(
                    b.as_bytes(),
                    fv.as_bytes(),
                    "{name}: fill value {j} does not read back"
                ),
                Err(e) => panic!("{name}: written fill value {j} does not parse: {e}"),
            }
        }
    }
    let _ = dt.fill_value_from_json_v2(&fill);
}

/// A shard whose bytes are the input, in a sharded array with an index at the end or the
/// start (the first byte picks): exercises the index decoding and the bounds of every entry.
pub fn shard_index(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let d = if mode % 2 == 0 {
        "decode_sharding"
    } else {
        "decode_sharding_start"
    };
    if let Some(d) = DECODERS.iter().find(|x| x.target == d) {
        let mut input = vec![0u8];
        input.extend_from_slice(rest);
        decode(d, &input);
    }
}

/// A whole store from the input: records `key_len:u8 key value_len:u16le value`; opened at
/// the root as any node and read.
pub fn read_path(data: &[u8]) {
    let store = Arc::new(MemoryStore::new());
    let mut rest = data;
    let mut n = 0;
    while let Some((&klen, r)) = rest.split_first() {
        let klen = usize::from(klen);
        if r.len() < klen + 2 || n > 64 {
            break;
        }
        let (k, r) = r.split_at(klen);
        let vlen = usize::from(u16::from_le_bytes([r[0], r[1]]));
        let r = &r[2..];
        let (v, r) = r.split_at(vlen.min(r.len()));
        if let Ok(key) = StoreKey::new(String::from_utf8_lossy(k).into_owned()) {
            let _ = store.set(&key, v.to_vec().into());
        }
        rest = r;
        n += 1;
    }
    match Node::open(store.clone(), "/") {
        Ok(Node::Array(a)) => small_read(&a),
        Ok(Node::Group(g)) => {
            for child in g.children().unwrap_or_default() {
                if let Node::Array(a) = child {
                    small_read(&a);
                }
            }
        }
        Err(_) => {}
    }
}

/// Encode records for [`read_path`] (seeds from real stores).
pub fn read_path_input(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in files {
        let (Ok(kl), Ok(vl)) = (u8::try_from(k.len()), u16::try_from(v.len())) else {
            continue;
        };
        out.push(kl);
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&vl.to_le_bytes());
        out.extend_from_slice(v);
    }
    out
}
