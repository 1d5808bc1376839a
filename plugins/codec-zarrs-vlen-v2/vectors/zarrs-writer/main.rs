//! Writes the `zarrs.vlen_v2` reference stores of `zarrkit-codec-zarrs-vlen-v2` with zarrs itself.
//!
//! Run from the repository root (any target directory outside the repository):
//!
//! ```text
//! cargo run -j 1 --manifest-path plugins/codec-zarrs-vlen-v2/vectors/zarrs-writer/Cargo.toml \
//!     --target-dir /tmp/zarrs-writer-target -- plugins/codec-zarrs-vlen-v2/vectors
//! ```
//!
//! Every store is `<name>.zarr` (a zarrs `FilesystemStore`, the array at its root), written by
//! zarrs from the metadata below and read back by zarrs; `expected.json` holds, per store, the
//! element type, the array shape and every element in C order (byte strings in hex). Stores
//! with `derived_from` in `expected.json` are copies whose `zarr.json` was edited afterwards
//! into what older zarrs versions wrote (see each case).
#![allow(unused_imports, dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use zarrs::array::{Array, ArrayBuilder, ArrayMetadata, Element, ElementOwned, FillValue};
use zarrs::filesystem::FilesystemStore;

trait ToJson {
    fn to_json(&self) -> Value;
}
impl ToJson for u8 {
    fn to_json(&self) -> Value {
        json!(self)
    }
}
impl ToJson for u16 {
    fn to_json(&self) -> Value {
        json!(self)
    }
}
impl ToJson for i32 {
    fn to_json(&self) -> Value {
        json!(self)
    }
}
impl ToJson for f32 {
    fn to_json(&self) -> Value {
        // The bit pattern, so NaN, infinities and -0.0 survive JSON.
        json!(format!("0x{:08x}", self.to_bits()))
    }
}
impl ToJson for u32 {
    fn to_json(&self) -> Value {
        json!(self)
    }
}
impl ToJson for Vec<u8> {
    fn to_json(&self) -> Value {
        // Hex, so any byte string survives JSON.
        json!(self.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }
}
impl ToJson for String {
    fn to_json(&self) -> Value {
        json!(self)
    }
}
impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        match self {
            None => Value::Null,
            Some(v) => json!([v.to_json()]),
        }
    }
}

struct Writer {
    dir: PathBuf,
    expected: serde_json::Map<String, Value>,
}

impl Writer {
    fn store(&self, name: &str) -> Arc<FilesystemStore> {
        let path = self.dir.join(format!("{name}.zarr"));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Arc::new(FilesystemStore::new(&path).unwrap())
    }

    fn from_metadata(&self, name: &str, metadata: Value) -> Array<FilesystemStore> {
        let md = ArrayMetadata::try_from(metadata.to_string().as_str()).unwrap();
        let array = Array::new_with_metadata(self.store(name), "/", md).unwrap();
        array.store_metadata().unwrap();
        array
    }

    /// Write every element (chunks equal to the fill value are not stored) and read it back.
    fn write<T>(
        &mut self,
        name: &str,
        element: &str,
        array: &Array<FilesystemStore>,
        values: Vec<T>,
    ) where
        T: Element + ElementOwned + ToJson + PartialEq + std::fmt::Debug + Clone,
    {
        array
            .store_array_subset(&array.subset_all(), values.clone())
            .unwrap();
        let back: Vec<T> = array.retrieve_array_subset(&array.subset_all()).unwrap();
        // NaN != NaN: compare the JSON forms (bit patterns).
        let j = |v: &[T]| v.iter().map(ToJson::to_json).collect::<Vec<_>>();
        assert_eq!(
            j(&back),
            j(&values),
            "{name}: zarrs reads back what it wrote"
        );
        self.expected.insert(
            name.to_string(),
            json!({
                "element": element,
                "shape": array.shape(),
                "values": values_json(j(&values)),
                "zarrs_reads_back": true,
            }),
        );
    }

    /// A copy of store `from` whose zarr.json is edited by `edit` (older zarrs names).
    fn derive(&mut self, from: &str, to: &str, edit: impl Fn(&str) -> String) {
        let src = self.dir.join(format!("{from}.zarr"));
        let dst = self.dir.join(format!("{to}.zarr"));
        let _ = std::fs::remove_dir_all(&dst);
        copy_dir(&src, &dst);
        let zj = dst.join("zarr.json");
        let text = std::fs::read_to_string(&zj).unwrap();
        std::fs::write(&zj, edit(&text)).unwrap();
        let mut e = self.expected[from].clone();
        e["derived_from"] = json!(from);
        self.expected.insert(to.to_string(), e);
    }
}

/// The elements as JSON, or for more than 256 elements the FNV-1a 64 hash of their compact
/// JSON text (`serde_json::to_string` of the list) and the first 8 (to keep the files small).
fn values_json(v: Vec<Value>) -> Value {
    if v.len() <= 256 {
        return Value::Array(v);
    }
    let text = serde_json::to_string(&v).unwrap();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    json!({"count": v.len(), "fnv1a64": format!("{h:016x}"), "head": v[..8].to_vec()})
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let q = dst.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &q);
        } else {
            std::fs::copy(&p, &q).unwrap();
        }
    }
}

fn metadata(shape: &[u64], chunks: &[u64], data_type: &str, fill: Value, codecs: Value) -> Value {
    json!({
        "zarr_format": 3,
        "node_type": "array",
        "shape": shape,
        "data_type": data_type,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill,
        "codecs": codecs,
    })
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: zarrs-writer OUTPUT_DIR"),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let mut w = Writer {
        dir: dir.clone(),
        expected: serde_json::Map::new(),
    };
    let vlen_v2 = json!({"name": "zarrs.vlen_v2", "configuration": {}});

    // 1. Strings, 2D with edge chunks.
    {
        let codecs = json!([vlen_v2]);
        let array = w.from_metadata(
            "vlen_v2_string",
            metadata(&[3, 5], &[2, 2], "string", json!(""), codecs),
        );
        let v = strings(&[
            "a",
            "bb",
            "",
            "héllo ✓",
            "x",
            "",
            "",
            "",
            "zarrs",
            "vlen",
            "0123456789",
            "",
            "k",
            "l",
            "m",
        ]);
        w.write("vlen_v2_string", "string", &array, v);
    }

    // 2. Byte strings.
    {
        let codecs = json!([vlen_v2]);
        let array = w.from_metadata(
            "vlen_v2_bytes",
            metadata(&[5], &[5], "bytes", json!([]), codecs),
        );
        let v: Vec<Vec<u8>> = vec![
            vec![0, 1, 2],
            vec![],
            vec![255; 10],
            vec![0],
            (0..=255).collect(),
        ];
        w.write("vlen_v2_bytes", "bytes", &array, v);
    }

    // 3. Strings, then gzip.
    {
        let codecs = json!([vlen_v2, {"name": "gzip", "configuration": {"level": 6}}]);
        let array = w.from_metadata(
            "vlen_v2_string_gzip",
            metadata(&[6], &[4], "string", json!("NA"), codecs),
        );
        let v = strings(&["one", "two", "", "four", "NA", "NA"]);
        w.write("vlen_v2_string_gzip", "string", &array, v);
    }

    // The names older zarrs wrote: `vlen_v2` (0.19, never registered by zarrs itself) and the
    // URL name of zarrs < 0.20.
    w.derive("vlen_v2_string", "vlen_v2_oldname", |t| {
        t.replace("\"zarrs.vlen_v2\"", "\"vlen_v2\"")
    });
    w.derive("vlen_v2_string", "vlen_v2_https_name", |t| {
        t.replace(
            "\"zarrs.vlen_v2\"",
            "\"https://codec.zarrs.dev/array_to_bytes/vlen_v2\"",
        )
    });

    let out = json!({"zarrs": "0.23.14", "stores": w.expected});
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&out).unwrap() + "\n",
    )
    .unwrap();
    println!("wrote {} stores to {}", w.expected.len(), dir.display());
}
