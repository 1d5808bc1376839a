//! Writes the reference stores of `zarrkit-dtype-optional` with zarrs itself: `zarrs.optional`
//! arrays over several inner data types and fill values (zarrs' default codecs for each).
//!
//! Run from the repository root (any target directory outside the repository):
//!
//! ```text
//! cargo run -j 1 --manifest-path plugins/dtype-optional/vectors/zarrs-writer/Cargo.toml \
//!     --target-dir /tmp/zarrs-writer-target -- plugins/dtype-optional/vectors
//! ```
//!
//! Every store is `<name>.zarr` (a zarrs `FilesystemStore`, the array at its root): shape [6],
//! chunks of 3; the first chunk is written, the second is left to the fill value (not
//! stored). `expected.json` holds, per store, the element type, the shape, every element in C
//! order (`null` = missing, `[v]` = present `v`, nested for nested optionals) and the
//! fill value JSON zarrs wrote.
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

impl ToJson for i64 {
    fn to_json(&self) -> Value {
        json!(self)
    }
}
impl ToJson for f64 {
    fn to_json(&self) -> Value {
        json!(format!("0x{:016x}", self.to_bits()))
    }
}
impl ToJson for bool {
    fn to_json(&self) -> Value {
        json!(self)
    }
}

fn optional(inner: Value) -> Value {
    match inner {
        Value::String(n) => {
            json!({"name": "zarrs.optional", "configuration": {"name": n, "configuration": {}}})
        }
        other => {
            json!({"name": "zarrs.optional", "configuration": {"name": other["name"], "configuration": other["configuration"]}})
        }
    }
}

/// An array of zarrs' default codecs for `data_type` (built from metadata without codecs is
/// not possible: the builder picks the default codecs).
fn case<T>(
    w: &mut Writer,
    name: &str,
    element: &str,
    data_type: Value,
    fill: Value,
    first_chunk: [T; 3],
    fill_elem: T,
) where
    T: Element + ElementOwned + ToJson + PartialEq + std::fmt::Debug + Clone,
{
    let md = serde_json::json!({
        "zarr_format": 3, "node_type": "array", "shape": [6], "data_type": data_type,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [3]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill, "codecs": [{"name": "bytes"}]});
    // Let zarrs choose its default array->bytes codec for the data type.
    let md = ArrayMetadata::try_from(md.to_string().as_str()).unwrap();
    let ArrayMetadata::V3(md3) = md else {
        unreachable!()
    };
    let dt = zarrs::array::DataType::from_metadata(&md3.data_type).unwrap();
    let fv = dt
        .fill_value(&md3.fill_value, zarrs::plugin::ZarrVersion::V3)
        .unwrap();
    let array = ArrayBuilder::new(vec![6], vec![3], dt, fv)
        .build(w.store(name), "/")
        .unwrap();
    array.store_metadata().unwrap();
    let mut v: Vec<T> = first_chunk.to_vec();
    v.extend([fill_elem.clone(), fill_elem.clone(), fill_elem]);
    w.write(name, element, &array, v);
    let zj: Value = serde_json::from_str(
        &std::fs::read_to_string(w.dir.join(format!("{name}.zarr/zarr.json"))).unwrap(),
    )
    .unwrap();
    let e = w.expected.get_mut(name).unwrap();
    e["fill_value"] = zj["fill_value"].clone();
    e["data_type"] = zj["data_type"].clone();
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

    case(
        &mut w,
        "opt_uint8_fill_42",
        "option<uint8>",
        optional(json!("uint8")),
        json!([42]),
        [Some(1u8), None, Some(255)],
        Some(42),
    );
    case(
        &mut w,
        "opt_int64_null",
        "option<int64>",
        optional(json!("int64")),
        json!(null),
        [Some(i64::MIN), Some(-1), None],
        None,
    );
    case(
        &mut w,
        "opt_float64_fill",
        "option<float64>",
        optional(json!("float64")),
        json!([-1.5]),
        [None, Some(f64::NAN), Some(1e300)],
        Some(-1.5),
    );
    case(
        &mut w,
        "opt_bool_true",
        "option<bool>",
        optional(json!("bool")),
        json!([true]),
        [Some(false), None, Some(true)],
        Some(true),
    );
    case(
        &mut w,
        "opt_string_na",
        "option<string>",
        optional(json!("string")),
        json!(["NA"]),
        [Some("x".to_string()), None, Some(String::new())],
        Some("NA".to_string()),
    );
    case(
        &mut w,
        "opt_bytes_null",
        "option<bytes>",
        optional(json!("bytes")),
        json!(null),
        [Some(vec![1u8, 2]), None, Some(vec![])],
        None,
    );
    case(
        &mut w,
        "opt_datetime64_nat",
        "option<numpy.datetime64>",
        optional(
            json!({"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1}}),
        ),
        json!(["NaT"]),
        [Some(0i64), None, Some(1_700_000_000)],
        Some(i64::MIN),
    );
    case(
        &mut w,
        "opt_opt_uint8_some_none",
        "option<option<uint8>>",
        optional(optional(json!("uint8"))),
        json!([null]),
        [None, Some(Some(3u8)), Some(None)],
        Some(None),
    );
    case(
        &mut w,
        "opt_opt_uint8_some_some",
        "option<option<uint8>>",
        optional(optional(json!("uint8"))),
        json!([[42]]),
        [None, Some(None), Some(Some(0u8))],
        Some(Some(42)),
    );

    let out = json!({"zarrs": "0.23.14", "stores": w.expected});
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&out).unwrap() + "\n",
    )
    .unwrap();
    println!("wrote {} stores to {}", w.expected.len(), dir.display());
}
