//! Writes the `zarrs.squeeze` reference stores of `zarrkit-codec-squeeze` with zarrs itself.
//!
//! Run from the repository root (any target directory outside the repository):
//!
//! ```text
//! cargo run -j 1 --manifest-path plugins/codec-squeeze/vectors/zarrs-writer/Cargo.toml \
//!     --target-dir /tmp/zarrs-writer-target -- plugins/codec-squeeze/vectors
//! ```
//!
//! Every store is `<name>.zarr` (a zarrs `FilesystemStore`, the array at its root), written by
//! zarrs from the metadata below and read back by zarrs; `expected.json` holds, per store, the
//! element type, the array shape and every element in C order (floats as hex bit patterns).
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
    let squeeze = json!({"name": "zarrs.squeeze", "configuration": {}});

    // 1. uint16 [1,5,1,6] in [1,2,1,4] chunks: encoded chunks are [2,4]; edge chunks.
    {
        let codecs = json!([squeeze, {"name": "bytes", "configuration": {"endian": "little"}}]);
        let array = w.from_metadata(
            "squeeze_u16",
            metadata(&[1, 5, 1, 6], &[1, 2, 1, 4], "uint16", json!(0), codecs),
        );
        let v: Vec<u16> = (0..30u16).map(|i| i * 997 % 65521).collect();
        w.write("squeeze_u16", "uint16", &array, v);
    }

    // 2. float32 [3,1,4] in [3,1,2] chunks, then transpose of the squeezed [3,2] chunk.
    {
        let codecs = json!([
            squeeze,
            {"name": "transpose", "configuration": {"order": [1, 0]}},
            {"name": "bytes", "configuration": {"endian": "big"}}
        ]);
        let array = w.from_metadata(
            "squeeze_transpose_f32",
            metadata(&[3, 1, 4], &[3, 1, 2], "float32", json!(0.5), codecs),
        );
        let v: Vec<f32> = (0..12).map(|i| i as f32 * 1.25 - 3.0).collect();
        w.write("squeeze_transpose_f32", "float32", &array, v);
    }

    // 3. Every dimension 1: the encoded chunk is [1].
    {
        let codecs = json!([squeeze, {"name": "bytes"}]);
        let array = w.from_metadata(
            "squeeze_all_ones",
            metadata(&[1, 1, 1], &[1, 1, 1], "uint8", json!(0), codecs),
        );
        w.write("squeeze_all_ones", "uint8", &array, vec![42u8]);
    }

    // 4. Strings [1,4] in [1,2] chunks through vlen-utf8.
    {
        let codecs = json!([squeeze, {"name": "vlen-utf8", "configuration": {}}]);
        let array = w.from_metadata(
            "squeeze_string",
            metadata(&[1, 4], &[1, 2], "string", json!(""), codecs),
        );
        let v: Vec<String> = vec!["a".into(), "".into(), "héllo".into(), "zarrs ✓".into()];
        w.write("squeeze_string", "string", &array, v);
    }

    // 5. Nothing to squeeze: [3,2] uint32 chunks [2,2] (the codec is then the identity).
    {
        let codecs = json!([squeeze, {"name": "bytes", "configuration": {"endian": "little"}}]);
        let array = w.from_metadata(
            "squeeze_none",
            metadata(&[3, 2], &[2, 2], "uint32", json!(7), codecs),
        );
        let v: Vec<u32> = vec![1, 2, 3, 4, 5, u32::MAX];
        w.write("squeeze_none", "uint32", &array, v);
    }

    let out = json!({"zarrs": "0.23.14", "stores": w.expected});
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&out).unwrap() + "\n",
    )
    .unwrap();
    println!("wrote {} stores to {}", w.expected.len(), dir.display());
}
