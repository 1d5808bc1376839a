//! Writes the `zarrs.gdeflate` reference stores of `zarrkit-codec-gdeflate` with zarrs itself.
//!
//! Run from the repository root (any target directory outside the repository):
//!
//! ```text
//! cargo run -j 1 --manifest-path plugins/codec-gdeflate/vectors/zarrs-writer/Cargo.toml \
//!     --target-dir /tmp/zarrs-writer-target -- plugins/codec-gdeflate/vectors
//! ```
//!
//! Every store is `<name>.zarr` (a zarrs `FilesystemStore`, the array at its root), written by
//! zarrs from the metadata below; `expected.json` holds, per store, the element type, the array
//! shape, every element in C order and whether zarrs 0.23.14 reads the store back (it does not
//! for chunks of more than one 64 KiB page: its decoder asserts that the first page fills the
//! whole output, and panics).
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

fn gdeflate(level: u32) -> Value {
    json!({"name": "zarrs.gdeflate", "configuration": {"level": level}})
}

/// Like `Writer::write`, for chunks zarrs cannot read back: the read's panic is recorded.
fn write_unreadable<T>(
    w: &mut Writer,
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
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        array.retrieve_array_subset::<Vec<T>>(&array.subset_all())
    }));
    let reads_back = matches!(&read, Ok(Ok(v)) if *v == values);
    let note = match &read {
        Ok(Ok(_)) => "read back".to_string(),
        Ok(Err(e)) => format!("zarrs read error: {e}"),
        Err(_) => "zarrs panicked while reading".to_string(),
    };
    w.expected.insert(
        name.to_string(),
        json!({
            "element": element,
            "shape": array.shape(),
            "values": values_json(values.iter().map(ToJson::to_json).collect()),
            "zarrs_reads_back": reads_back,
            "note": note,
        }),
    );
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
    let bytes_le = json!({"name": "bytes", "configuration": {"endian": "little"}});

    // 1. 100 bytes (one short page), level 1.
    {
        let codecs = json!([{"name": "bytes"}, gdeflate(1)]);
        let array = w.from_metadata(
            "gdeflate_u8_l1",
            metadata(&[100], &[100], "uint8", json!(0), codecs),
        );
        let v: Vec<u8> = (0..100u32).map(|i| (i * i % 251) as u8).collect();
        w.write("gdeflate_u8_l1", "uint8", &array, v);
    }

    // 2. Exactly one full page (65536 bytes), level 4; and level 0 (stored blocks).
    {
        let codecs = json!([bytes_le, gdeflate(4)]);
        let array = w.from_metadata(
            "gdeflate_f32_l4_one_page",
            metadata(&[16384], &[16384], "float32", json!(0.0), codecs),
        );
        let v: Vec<f32> = (0..16384).map(|i| (i / 64) as f32 * 0.5).collect();
        w.write("gdeflate_f32_l4_one_page", "float32", &array, v);
        let codecs = json!([bytes_le, gdeflate(0)]);
        let array = w.from_metadata(
            "gdeflate_f32_l0",
            metadata(&[300], &[300], "float32", json!(0.0), codecs),
        );
        let v: Vec<f32> = (0..300).map(|i| (i as f32).sqrt()).collect();
        w.write("gdeflate_f32_l0", "float32", &array, v);
    }

    // 3. 2D uint32 chunks of 4096 bytes, level 6; one chunk equal to the fill (not stored).
    {
        let codecs = json!([bytes_le, gdeflate(6)]);
        let array = w.from_metadata(
            "gdeflate_u32_l6_2d",
            metadata(&[64, 48], &[32, 32], "uint32", json!(3), codecs),
        );
        let v: Vec<u32> = (0..64 * 48u32)
            .map(|i| {
                if (i / 48) >= 32 && (i % 48) < 32 {
                    3
                } else {
                    i.wrapping_mul(2_654_435_761) >> 20
                }
            })
            .collect();
        w.write("gdeflate_u32_l6_2d", "uint32", &array, v);
    }

    // 4. Strings through vlen-utf8 then gdeflate level 9.
    {
        let codecs = json!([{"name": "vlen-utf8", "configuration": {}}, gdeflate(9)]);
        let array = w.from_metadata(
            "gdeflate_string_l9",
            metadata(&[6], &[3], "string", json!(""), codecs),
        );
        let v: Vec<String> = vec![
            "gdeflate".into(),
            "".into(),
            "ünïcode ✓".into(),
            "a".repeat(1000),
            "b".into(),
            "zarrs".into(),
        ];
        w.write("gdeflate_string_l9", "string", &array, v);
    }

    // 5. More than one page: 40000 uint16 = 80000 bytes (pages of 65536 + 14464), level 12.
    //    zarrs 0.23.14 writes it but cannot read it back.
    {
        let codecs = json!([bytes_le, gdeflate(12)]);
        let array = w.from_metadata(
            "gdeflate_u16_l12_two_pages",
            metadata(&[40000], &[40000], "uint16", json!(0), codecs),
        );
        let v: Vec<u16> = (0..40000u32)
            .map(|i| ((i / 7) % 1000) as u16 * 3 + (i % 3) as u16)
            .collect();
        write_unreadable(&mut w, "gdeflate_u16_l12_two_pages", "uint16", &array, v);
    }

    // The URL name older zarrs wrote (same bytes).
    w.derive("gdeflate_u8_l1", "gdeflate_u8_l1_https_name", |t| {
        t.replace(
            "\"zarrs.gdeflate\"",
            "\"https://codec.zarrs.dev/bytes_to_bytes/gdeflate\"",
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
