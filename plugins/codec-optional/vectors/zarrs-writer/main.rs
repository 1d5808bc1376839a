//! Writes the `zarrs.optional` reference stores of `zarrkit-codec-optional` with zarrs itself.
//!
//! Run from the repository root (any target directory outside the repository):
//!
//! ```text
//! cargo run -j 1 --manifest-path plugins/codec-optional/vectors/zarrs-writer/Cargo.toml \
//!     --target-dir /tmp/zarrs-writer-target -- plugins/codec-optional/vectors
//! ```
//!
//! Every store is `<name>.zarr` (a zarrs `FilesystemStore`, the array at its root), written by
//! zarrs from the metadata below and read back by zarrs; `expected.json` holds, per store, the
//! element type, the array shape and every element in C order (`null` = missing, `[v]` = a
//! present `v`, nested for nested optionals). Stores whose name ends in `_oldname` /
//! `_https_name` are copies whose `zarr.json` was renamed afterwards to the names older zarrs
//! wrote (the bytes of the chunks are the same format).

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

fn metadata(shape: &[u64], chunks: &[u64], data_type: Value, fill: Value, codecs: Value) -> Value {
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

fn opt_codec(mask: Value, data: Value) -> Value {
    json!({"name": "zarrs.optional", "configuration": {"mask_codecs": mask, "data_codecs": data}})
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

    // 1. zarrs' default codecs for Option<u8> (mask: packbits, data: bytes), fill null.
    {
        let array = ArrayBuilder::new(
            vec![4, 4],
            vec![2, 2],
            zarrs::array::data_type::uint8().to_optional(),
            FillValue::new_optional_null(),
        )
        .build(w.store("opt_u8_default"), "/")
        .unwrap();
        array.store_metadata().unwrap();
        let v: Vec<Option<u8>> = vec![
            Some(0),
            None,
            Some(2),
            Some(3),
            None,
            Some(5),
            None,
            Some(7),
            Some(8),
            Some(9),
            None,
            None,
            Some(12),
            None,
            None,
            None,
        ];
        w.write("opt_u8_default", "option<uint8>", &array, v);
    }

    // 2. Option<u16>, compressed mask and data, fill [7]: an all-missing chunk, all-present
    //    chunks, a chunk equal to the fill value (not stored), edge chunks.
    {
        let codecs = json!([opt_codec(
            json!([{"name": "packbits", "configuration": {}}, {"name": "gzip", "configuration": {"level": 5}}]),
            json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "gzip", "configuration": {"level": 1}}]),
        )]);
        let array = w.from_metadata(
            "opt_u16_gzip",
            metadata(
                &[5, 6],
                &[2, 4],
                optional(json!("uint16")),
                json!([7]),
                codecs,
            ),
        );
        let mut v: Vec<Option<u16>> = Vec::new();
        for r in 0..5u16 {
            for c in 0..6u16 {
                v.push(match (r, c) {
                    (0..=1, 0..=3) => None,               // chunk (0,0): all missing
                    (0..=1, _) => Some(1000 + r * 6 + c), // chunk (0,1): all present
                    (2..=3, 0..=3) => Some(7),            // chunk (1,0): the fill value
                    (2..=3, _) => {
                        if c == 4 {
                            None
                        } else {
                            Some(65535 - r)
                        }
                    }
                    _ => {
                        if (r + c) % 3 == 0 {
                            None
                        } else {
                            Some(r * 100 + c)
                        }
                    } // edge row
                });
            }
        }
        w.write("opt_u16_gzip", "option<uint16>", &array, v);
    }

    // 3. Option<i32>: the mask through `bytes` (one byte per bool), data big endian.
    {
        let codecs = json!([opt_codec(
            json!([{"name": "bytes"}]),
            json!([{"name": "bytes", "configuration": {"endian": "big"}}]),
        )]);
        let array = w.from_metadata(
            "opt_i32_bytes_mask_be",
            metadata(&[7], &[7], optional(json!("int32")), json!(null), codecs),
        );
        let v = vec![
            Some(-1),
            None,
            Some(i32::MIN),
            Some(i32::MAX),
            None,
            None,
            Some(258),
        ];
        w.write("opt_i32_bytes_mask_be", "option<int32>", &array, v);
    }

    // 4. Option<f32> with special values, fill ["NaN"].
    {
        let codecs = json!([opt_codec(
            json!([{"name": "packbits", "configuration": {}}]),
            json!([{"name": "bytes", "configuration": {"endian": "little"}}]),
        )]);
        let array = w.from_metadata(
            "opt_f32_nan",
            metadata(
                &[3, 3],
                &[3, 3],
                optional(json!("float32")),
                json!(["NaN"]),
                codecs,
            ),
        );
        let v = vec![
            Some(1.5f32),
            None,
            Some(f32::NAN),
            Some(f32::INFINITY),
            Some(-0.0),
            None,
            Some(f32::MIN_POSITIVE),
            Some(-3.25),
            None,
        ];
        w.write("opt_f32_nan", "option<float32>", &array, v);
    }

    // 5. Option<String>: data through vlen-utf8; Some("") is not None.
    {
        let codecs = json!([opt_codec(
            json!([{"name": "packbits", "configuration": {}}]),
            json!([{"name": "vlen-utf8", "configuration": {}}]),
        )]);
        let array = w.from_metadata(
            "opt_string",
            metadata(
                &[2, 3],
                &[2, 3],
                optional(json!("string")),
                json!(null),
                codecs,
            ),
        );
        let v: Vec<Option<String>> = vec![
            Some("a".into()),
            None,
            Some(String::new()),
            Some("héllo ✓".into()),
            None,
            Some("x".repeat(300)),
        ];
        w.write("opt_string", "option<string>", &array, v);
    }

    // 6. Option<Option<u8>>: zarrs' default (nested) codecs, fill Some(None) = [null].
    {
        let array = ArrayBuilder::new(
            vec![4, 4],
            vec![2, 2],
            zarrs::array::data_type::uint8().to_optional().to_optional(),
            FillValue::new_optional_null().into_optional(),
        )
        .build(w.store("opt_opt_u8_default"), "/")
        .unwrap();
        array.store_metadata().unwrap();
        let v: Vec<Option<Option<u8>>> = vec![
            None,
            Some(None),
            Some(Some(2)),
            Some(Some(3)),
            None,
            Some(Some(5)),
            None,
            Some(Some(7)),
            Some(None),
            Some(None),
            None,
            None,
            Some(None),
            Some(None),
            None,
            None,
        ];
        w.write("opt_opt_u8_default", "option<option<uint8>>", &array, v);
    }

    // 7. Option<Option<Option<u16>>> with explicit nested codecs (gzip on one mask), fill [[null]].
    {
        let inner2 = opt_codec(
            json!([{"name": "packbits", "configuration": {}}]),
            json!([{"name": "bytes", "configuration": {"endian": "little"}}]),
        );
        let inner1 = opt_codec(
            json!([{"name": "packbits", "configuration": {}}, {"name": "gzip", "configuration": {"level": 1}}]),
            json!([inner2]),
        );
        let codecs = json!([opt_codec(
            json!([{"name": "packbits", "configuration": {}}]),
            json!([inner1])
        )]);
        let dt = optional(optional(optional(json!("uint16"))));
        let array = w.from_metadata(
            "opt_opt_opt_u16",
            metadata(&[9], &[4], dt, json!([[null]]), codecs),
        );
        let v: Vec<Option<Option<Option<u16>>>> = vec![
            None,
            Some(None),
            Some(Some(None)),
            Some(Some(Some(1))),
            Some(Some(None)),
            Some(Some(None)),
            Some(Some(None)),
            Some(Some(None)),
            Some(Some(Some(40000))),
        ];
        w.write(
            "opt_opt_opt_u16",
            "option<option<option<uint16>>>",
            &array,
            v,
        );
    }

    // 8. Option<Option<String>>, fill null.
    {
        let inner = opt_codec(
            json!([{"name": "packbits", "configuration": {}}]),
            json!([{"name": "vlen-utf8", "configuration": {}}]),
        );
        let codecs = json!([opt_codec(
            json!([{"name": "packbits", "configuration": {}}]),
            json!([inner])
        )]);
        let array = w.from_metadata(
            "opt_opt_string",
            metadata(
                &[5],
                &[5],
                optional(optional(json!("string"))),
                json!(null),
                codecs,
            ),
        );
        let v: Vec<Option<Option<String>>> = vec![
            None,
            Some(None),
            Some(Some(String::new())),
            Some(Some("zarrs".into())),
            None,
        ];
        w.write("opt_opt_string", "option<option<string>>", &array, v);
    }

    // Older names (same chunk format): `optional` for the data type and the codec, and the
    // URL name of the codec.
    w.derive("opt_u8_default", "opt_u8_oldname", |t| {
        t.replace("\"zarrs.optional\"", "\"optional\"")
    });
    w.derive("opt_u8_default", "opt_u8_https_name", |t| {
        // Only the codec (the first "zarrs.optional" is the data type's name).
        let (dt, codecs) = t.split_at(t.find("\"codecs\"").unwrap());
        format!(
            "{dt}{}",
            codecs.replacen(
                "\"zarrs.optional\"",
                "\"https://codec.zarrs.dev/array_to_bytes/optional\"",
                1
            )
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
