use super::*;
use proptest::prelude::*;
use zarrkit_core::codec::CodecChain;
use zarrkit_core::serde_json::json;
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::{Array, ArrayBuilder, ArraySubset};
use zarrkit_dtype_optional::{decode_fixed, encode_fixed, from_byte_strings, to_byte_strings};

// Link the plugins the tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_gzip as _;
use zarrkit_codec_packbits as _;
use zarrkit_codec_vlen_utf8 as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn data_type(json: Value) -> Result<DataType, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json)?;
    Ok(zarrkit_core::registry::create_data_type(&m)?)
}

fn opt(inner: &str) -> Value {
    json!({"name": "zarrs.optional", "configuration": {"name": inner, "configuration": {}}})
}

fn codec(config: Value) -> Result<Arc<dyn ArrayToBytesCodecTraits>, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json!({"name": NAME, "configuration": config}))?;
    match zarrkit_core::registry::create_codec(&m)? {
        Codec::ArrayToBytes(c) => Ok(c),
        _ => Err("not array->bytes".into()),
    }
}

fn simple() -> Result<Arc<dyn ArrayToBytesCodecTraits>, Box<dyn std::error::Error>> {
    codec(
        json!({"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}),
    )
}

fn repr(dtype: Value, shape: Vec<u64>) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let d = data_type(dtype)?;
    let f = d.fill_value_from_json(&Value::Null)?;
    Ok(ChunkRepresentation::new(shape, d, f))
}

/// The JSON form of `expected.json` (`null` missing, `[v]` present, floats as hex bits, byte
/// strings as hex) of every element of `bytes`, decoded as `element` (`option<uint8>`,
/// `option<option<string>>`, ...).
fn elements_json(element: &str, bytes: &ArrayBytes) -> Result<Vec<Value>, String> {
    match (bytes, element_size(element)) {
        (ArrayBytes::Fixed(b), Some(s)) => b
            .chunks_exact(s.max(1))
            .map(|e| element_json(element, e))
            .collect(),
        (ArrayBytes::Variable { .. }, None) => {
            let v = bytes.as_variable().ok_or("malformed variable-size bytes")?;
            v.iter().map(|e| element_json(element, e)).collect()
        }
        _ => Err(format!("{element}: bytes of the wrong kind")),
    }
}

fn element_size(element: &str) -> Option<usize> {
    if let Some(inner) = element
        .strip_prefix("option<")
        .and_then(|s| s.strip_suffix('>'))
    {
        return element_size(inner).map(|s| s + 1);
    }
    match element {
        "bool" | "uint8" => Some(1),
        "uint16" => Some(2),
        "int32" | "uint32" | "float32" => Some(4),
        "int64" | "float64" | "numpy.datetime64" => Some(8),
        _ => None,
    }
}

fn element_json(element: &str, e: &[u8]) -> Result<Value, String> {
    if let Some(inner) = element
        .strip_prefix("option<")
        .and_then(|s| s.strip_suffix('>'))
    {
        return match e.split_first() {
            Some((0, rest)) => {
                if rest.iter().any(|&b| b != 0) && element_size(inner).is_some() {
                    return Err(format!("a missing element with a payload: {e:?}"));
                }
                if element_size(inner).is_none() && !rest.is_empty() {
                    return Err(format!("a missing variable element with a payload: {e:?}"));
                }
                Ok(Value::Null)
            }
            Some((1, rest)) => Ok(Value::Array(vec![element_json(inner, rest)?])),
            _ => Err(format!("bad optional element {e:?}")),
        };
    }
    let arr = |n: usize| -> Result<[u8; 8], String> {
        if e.len() != n {
            return Err(format!("{element}: {} bytes", e.len()));
        }
        let mut a = [0u8; 8];
        a[..n].copy_from_slice(e);
        Ok(a)
    };
    Ok(match element {
        "bool" => Value::Bool(arr(1)?[0] != 0),
        "uint8" => json!(arr(1)?[0]),
        "uint16" => json!(u16::from_ne_bytes(e.try_into().map_err(|_| "size")?)),
        "uint32" => json!(u32::from_ne_bytes(e.try_into().map_err(|_| "size")?)),
        "int32" => json!(i32::from_ne_bytes(e.try_into().map_err(|_| "size")?)),
        "int64" | "numpy.datetime64" => json!(i64::from_ne_bytes(arr(8)?)),
        "float32" => json!(format!(
            "0x{:08x}",
            f32::from_ne_bytes(e.try_into().map_err(|_| "size")?).to_bits()
        )),
        "float64" => json!(format!("0x{:016x}", f64::from_ne_bytes(arr(8)?).to_bits())),
        "string" => json!(std::str::from_utf8(e).map_err(|x| x.to_string())?),
        "bytes" => json!(e.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        _ => return Err(format!("unknown element type {element}")),
    })
}

/// `expected.json`'s `values`: the list itself, or (large arrays) its count, FNV-1a 64 hash
/// of the compact JSON text and first 8 values.
fn check_values(name: &str, expected: &Value, got: &[Value]) -> Result<(), String> {
    if let Some(list) = expected.as_array() {
        if list.as_slice() != got {
            return Err(format!("{name}: read {got:?}, zarrs wrote {list:?}"));
        }
        return Ok(());
    }
    let count = expected["count"].as_u64().ok_or("no count")? as usize;
    if got.len() != count {
        return Err(format!("{name}: {} elements, expected {count}", got.len()));
    }
    if expected["head"].as_array().map(Vec::as_slice) != got.get(..8) {
        return Err(format!("{name}: first elements {:?}", got.get(..8)));
    }
    let text = zarrkit_core::serde_json::to_string(got).map_err(|e| e.to_string())?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    if expected["fnv1a64"].as_str() != Some(format!("{h:016x}").as_str()) {
        return Err(format!(
            "{name}: the elements' hash differs from zarrs' ({h:016x})"
        ));
    }
    Ok(())
}

/// The encoding of a small chunk, byte for byte (zarrs' format: header, packbits mask,
/// present elements only).
#[test]
fn encoding_layout() -> R {
    let c = simple()?;
    let r = repr(opt("uint16"), vec![5])?;
    let o = CodecOptions::default();
    let input = encode_fixed(&[Some(0x0102u16), None, None, Some(0xfffe), Some(7)]);
    let enc = c.encode(ArrayBytes::Fixed(input.clone()), &r, &o)?;
    let mut want = vec![1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
    want.push(0b1_1001);
    want.extend_from_slice(&[0x02, 0x01, 0xfe, 0xff, 7, 0]);
    assert_eq!(enc, want);
    assert_eq!(
        c.decode(Bytes::from(enc), &r, &o)?,
        ArrayBytes::Fixed(input)
    );
    // No present element: the data stream is empty.
    let none = encode_fixed::<u16>(&[None; 5]);
    let enc = c.encode(ArrayBytes::Fixed(none.clone()), &r, &o)?;
    assert_eq!(enc, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(c.decode(Bytes::from(enc), &r, &o)?, ArrayBytes::Fixed(none));
    // The payload of a missing element is not stored: it decodes as zeros.
    let enc = c.encode(
        ArrayBytes::Fixed(vec![0, 9, 9, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        &r,
        &o,
    )?;
    assert_eq!(
        c.decode(Bytes::from(enc), &r, &o)?.as_fixed(),
        Some(&[0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..])
    );
    Ok(())
}

#[test]
fn strings_and_nesting() -> R {
    let o = CodecOptions::default();
    let c = codec(
        json!({"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "vlen-utf8"}]}),
    )?;
    let r = repr(opt("string"), vec![4])?;
    let input = from_byte_strings(&[Some("ab"), None, Some(""), Some("✓")]);
    let enc = c.encode(input.clone(), &r, &o)?;
    // Mask 0b1101, then vlen-utf8 of ["ab", "", "✓"].
    let mut want = vec![1, 0, 0, 0, 0, 0, 0, 0, 21, 0, 0, 0, 0, 0, 0, 0, 0b1101];
    want.extend_from_slice(&[3, 0, 0, 0, 2, 0, 0, 0, b'a', b'b', 0, 0, 0, 0, 3, 0, 0, 0]);
    want.extend_from_slice("✓".as_bytes());
    assert_eq!(enc, want);
    let dec = c.decode(Bytes::from(enc), &r, &o)?;
    assert_eq!(dec, input);
    assert_eq!(
        to_byte_strings(&dec)?,
        vec![Some(&b"ab"[..]), None, Some(&b""[..]), Some("✓".as_bytes())]
    );

    let inner = json!({"name": "zarrs.optional", "configuration": {"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "bytes"}]}});
    let c = codec(json!({"mask_codecs": [{"name": "packbits"}], "data_codecs": [inner]}))?;
    let r = repr(
        json!({"name": "zarrs.optional", "configuration": opt("uint8")}),
        vec![4],
    )?;
    // None, Some(None), Some(Some(5)), Some(Some(0)).
    let input = vec![0, 0, 0, 1, 0, 0, 1, 1, 5, 1, 1, 0];
    let enc = c.encode(ArrayBytes::Fixed(input.clone()), &r, &o)?;
    // Outer mask 0b1110; data = the inner codec's encoding of [None, Some(5), Some(0)]:
    // mask 0b110, data [5, 0].
    let inner_enc = [
        1u8, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0b110, 5, 0,
    ];
    let mut want = vec![
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        inner_enc.len() as u8,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0b1110,
    ];
    want.extend_from_slice(&inner_enc);
    assert_eq!(enc, want);
    assert_eq!(
        c.decode(Bytes::from(enc), &r, &o)?,
        ArrayBytes::Fixed(input)
    );
    Ok(())
}

#[test]
fn bad_input_is_an_error() -> R {
    let c = simple()?;
    let r = repr(opt("uint16"), vec![5])?;
    let o = CodecOptions::default();
    let good = c.encode(
        ArrayBytes::Fixed(encode_fixed(&[Some(1u16), None, Some(3), None, Some(5)])),
        &r,
        &o,
    )?;
    // Every truncation, and bytes appended.
    for n in 0..good.len() {
        assert!(
            c.decode(Bytes::copy_from_slice(&good[..n]), &r, &o)
                .is_err(),
            "truncated to {n}"
        );
    }
    let mut long = good.clone();
    long.push(0);
    assert!(c.decode(Bytes::from(long), &r, &o).is_err());
    // Hostile lengths: overflowing, huge, swapped.
    for (m, d) in [
        (u64::MAX, 1u64),
        (1, u64::MAX),
        (u64::MAX, u64::MAX),
        (1 << 40, 0),
        (0, 7),
        (7, 0),
    ] {
        let mut h = good.clone();
        h[..8].copy_from_slice(&m.to_le_bytes());
        h[8..16].copy_from_slice(&d.to_le_bytes());
        assert!(c.decode(Bytes::from(h), &r, &o).is_err(), "lengths {m} {d}");
    }
    // A mask saying more elements are present than the data holds.
    let mut h = good.clone();
    h[16] = 0b1_1111;
    assert!(c.decode(Bytes::from(h), &r, &o).is_err());
    // A mask saying fewer: the data has bytes left over (the bytes codec refuses them).
    let mut h = good.clone();
    h[16] = 0b1;
    assert!(c.decode(Bytes::from(h), &r, &o).is_err());
    // Mask bytes other than 0/1 and malformed elements are refused on encode.
    assert!(matches!(
        c.encode(
            ArrayBytes::Fixed(vec![2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            &r,
            &o
        ),
        Err(CodecError::InvalidElements(_))
    ));
    assert!(c.encode(ArrayBytes::Fixed(vec![0; 14]), &r, &o).is_err());
    let cs = codec(
        json!({"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "vlen-utf8"}]}),
    )?;
    let rs = repr(opt("string"), vec![2])?;
    let empty = ArrayBytes::Variable {
        bytes: vec![1],
        offsets: vec![0, 0, 1],
    };
    assert!(matches!(
        cs.encode(empty, &rs, &o),
        Err(CodecError::InvalidElements(_))
    ));
    // The string data decoding to the wrong count is an error.
    let enc = cs.encode(from_byte_strings(&[Some("a"), Some("b")]), &rs, &o)?;
    let mut h = enc.clone();
    h[16] = 0b01;
    assert!(cs.decode(Bytes::from(h), &rs, &o).is_err());
    Ok(())
}

#[test]
fn data_types_and_configurations_are_checked() -> R {
    let c = simple()?;
    let u16_type = zarrkit_core::registry::data_type_by_name("uint16")?;
    let r = ChunkRepresentation::new(vec![3], u16_type, FillValue::new(vec![0, 0]));
    assert!(matches!(
        c.encoded_representation(&r),
        Err(CodecError::Unsupported { .. })
    ));
    // The data codecs must suit the inner type (bytes refuses strings).
    let rs = repr(opt("string"), vec![3])?;
    assert!(c.encoded_representation(&rs).is_err());
    for bad in [
        json!({"mask_codecs": [{"name": "packbits"}]}),
        json!({"data_codecs": [{"name": "bytes"}]}),
        json!({"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "bytes"}], "x": 1}),
        json!({"mask_codecs": [], "data_codecs": [{"name": "bytes"}]}),
        json!({"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "no-such-codec"}]}),
    ] {
        assert!(codec(bad.clone()).is_err(), "{bad}");
    }
    // Names: the one read is written back.
    for name in [
        NAME,
        "optional",
        "https://codec.zarrs.dev/array_to_bytes/optional",
    ] {
        let m: MetadataV3 = serde_json::from_value(
            json!({"name": name, "configuration": {"mask_codecs": ["packbits"], "data_codecs": ["bytes"]}}),
        )?;
        let chain = zarrkit_core::array::codecs_from_metadata("/", std::slice::from_ref(&m))?;
        let written = chain.create_metadatas();
        assert_eq!(
            serde_json::to_value(&written[0])?,
            serde_json::to_value(&m)?
        );
    }
    // The bound: header + packbits mask + every element present.
    let r = repr(opt("uint16"), vec![10])?;
    assert_eq!(
        c.encoded_representation(&r)?,
        BytesRepresentation::Bounded(16 + 2 + 20)
    );
    Ok(())
}

proptest! {
    #[test]
    fn round_trip_fixed(v in proptest::collection::vec(proptest::option::of(any::<u16>()), 1..200)) {
        let run = || -> Result<Vec<Option<u16>>, Box<dyn std::error::Error>> {
            let c = codec(json!({"mask_codecs": [{"name": "packbits"}, {"name": "gzip", "configuration": {"level": 1}}], "data_codecs": [{"name": "bytes", "configuration": {"endian": "big"}}]}))?;
            let r = repr(opt("uint16"), vec![v.len() as u64])?;
            let o = CodecOptions::default();
            let enc = c.encode(ArrayBytes::Fixed(encode_fixed(&v)), &r, &o)?;
            let dec = c.decode(Bytes::from(enc), &r, &o)?;
            Ok(decode_fixed::<u16>(dec.as_fixed().ok_or("not fixed")?)?)
        };
        prop_assert_eq!(run().map_err(|e| TestCaseError::fail(e.to_string()))?, v);
    }

    #[test]
    fn round_trip_strings(v in proptest::collection::vec(proptest::option::of(".{0,12}"), 1..60)) {
        let run = || -> Result<ArrayBytes, Box<dyn std::error::Error>> {
            let c = codec(json!({"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "vlen-utf8"}]}))?;
            let r = repr(opt("string"), vec![v.len() as u64])?;
            let o = CodecOptions::default();
            let enc = c.encode(from_byte_strings(&v), &r, &o)?;
            Ok(c.decode(Bytes::from(enc), &r, &o)?)
        };
        prop_assert_eq!(run().map_err(|e| TestCaseError::fail(e.to_string()))?, from_byte_strings(&v));
    }
}

/// Arrays through the Array API on a `MemoryStore`: a chunk of missing elements only, a
/// partial write into an existing chunk, a region read across chunks.
#[test]
fn array_round_trip_memory() -> R {
    let store = Arc::new(MemoryStore::new());
    let array = ArrayBuilder::new(vec![6, 5], vec![4, 2], NAME, json!(null))
        .data_type(serde_json::from_value(opt("int32"))?)
        .codecs_metadata(vec![serde_json::from_value(
            json!({"name": NAME, "configuration": {
            "mask_codecs": [{"name": "packbits"}],
            "data_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}),
        )?])
        .build(store.clone(), "/")?;
    array.store_metadata()?;
    let v: Vec<Option<i32>> = (0..30)
        .map(|i| if i % 3 == 0 { None } else { Some(i * -7) })
        .collect();
    let all = ArraySubset::new_with_shape(vec![6, 5]);
    array.store_array_subset(&all, encode_fixed(&v))?;
    let part = ArraySubset::new_with_ranges(&[1..3, 1..4])?;
    let w: Vec<Option<i32>> = vec![Some(1), None, Some(3), Some(4), None, Some(6)];
    array.store_array_subset(&part, encode_fixed(&w))?;
    let mut want = v.clone();
    for (k, (r, c)) in [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
        .into_iter()
        .enumerate()
    {
        want[r * 5 + c] = w[k];
    }
    let back = Array::open(store.clone(), "/")?;
    let got = back.retrieve_array_subset(&all)?;
    assert_eq!(decode_fixed::<i32>(got.as_fixed().ok_or("fixed")?)?, want);
    let region = ArraySubset::new_with_ranges(&[3..6, 1..3])?;
    let got = back.retrieve_array_subset(&region)?;
    let want_region: Vec<Option<i32>> = (3..6)
        .flat_map(|r| (1..3).map(move |c| (r, c)))
        .map(|(r, c)| want[r * 5 + c])
        .collect();
    assert_eq!(
        decode_fixed::<i32>(got.as_fixed().ok_or("fixed")?)?,
        want_region
    );
    // All missing: equal to the fill value null, so the chunks are erased.
    array.store_array_subset(&all, encode_fixed::<i32>(&[None; 30]))?;
    assert!(back.retrieve_encoded_chunk(&[0, 0])?.is_none());
    Ok(())
}

/// zarrs 0.23.14's own stores (see `vectors/zarrs-writer`): every element read through the
/// Array API equals what zarrs wrote, and re-encoding each stored chunk with zarrkit gives
/// zarrs' bytes exactly (chains without gzip, whose header bytes are the writer's choice;
/// those round-trip).
#[test]
fn zarrs_vectors() -> R {
    let expected: Value = serde_json::from_str(include_str!("../vectors/expected.json"))?;
    let stores = expected["stores"].as_object().ok_or("no stores")?;
    assert!(stores.len() >= 10);
    let o = CodecOptions::default();
    let mut exact = 0;
    for (name, e) in stores {
        let dir = format!("{}/vectors/{name}.zarr", env!("CARGO_MANIFEST_DIR"));
        let store = Arc::new(zarrkit_store_filesystem::FilesystemStore::new(&dir)?);
        let array = Array::open(store, "/")?;
        let shape: Vec<u64> = serde_json::from_value(e["shape"].clone())?;
        let got = array.retrieve_array_subset(&ArraySubset::new_with_shape(shape.clone()))?;
        let element = e["element"].as_str().ok_or("no element")?;
        let got = elements_json(element, &got).map_err(|m| format!("{name}: {m}"))?;
        check_values(name, &e["values"], &got)?;
        let gzip = std::fs::read_to_string(format!("{dir}/zarr.json"))?.contains("gzip");
        let chain: &CodecChain = array.codecs();
        let grid = array.chunk_grid().grid_shape(&shape);
        for idx in ArraySubset::new_with_shape(grid).indices() {
            let Some(stored) = array.retrieve_encoded_chunk(&idx)? else {
                continue;
            };
            let r = array.chunk_representation(&idx)?;
            let decoded = chain.decode(Bytes::from(stored.clone()), &r, &o)?;
            let again = chain.encode(decoded.clone(), &r, &o)?;
            if gzip {
                assert_eq!(
                    chain.decode(Bytes::from(again), &r, &o)?,
                    decoded,
                    "{name} {idx:?}"
                );
            } else {
                assert_eq!(
                    again, stored,
                    "{name} chunk {idx:?}: zarrkit's encoding differs from zarrs'"
                );
                exact += 1;
            }
        }
    }
    assert!(exact >= 10, "only {exact} chunks compared byte for byte");
    Ok(())
}
