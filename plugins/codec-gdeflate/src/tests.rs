use super::*;
use proptest::prelude::*;
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToBytesCodecTraits, CodecChain};
use zarrkit_core::serde_json::json;
use zarrkit_core::{Array, ArraySubset};

// Link the plugins the tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_vlen_utf8 as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn codec(config: Value) -> Result<Arc<dyn BytesToBytesCodecTraits>, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json!({"name": NAME, "configuration": config}))?;
    match zarrkit_core::registry::create_codec(&m)? {
        Codec::BytesToBytes(c) => Ok(c),
        _ => Err("not bytes->bytes".into()),
    }
}

fn data(n: usize, seed: u32) -> Vec<u8> {
    (0..n as u32)
        .map(|i| ((i / 5).wrapping_mul(seed) >> 3) as u8)
        .collect()
}

fn fixed(n: usize) -> BytesRepresentation {
    BytesRepresentation::Fixed(n as u64)
}

/// The JSON form of `expected.json` (`null` missing, `[v]` present, floats as hex bits, byte
/// strings as hex) of every element of `bytes`, decoded as `element` (`option<uint8>`,
/// `option<option<string>>`, ...).
#[allow(dead_code)]
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

#[test]
fn stream_layout() -> R {
    let c = codec(json!({"level": 6}))?;
    let o = CodecOptions::default();
    // Empty input: the header alone, no page.
    let e = c.encode(Vec::new(), &o)?;
    assert_eq!(e, [0u8; 16]);
    assert!(c.decode(Bytes::from(e), &fixed(0), &o)?.is_empty());
    // 200000 bytes: pages of 65536, 65536, 65536, 3392.
    let d = data(200_000, 7);
    let e = c.encode(d.clone(), &o)?;
    assert_eq!(read_u64(&e, 0), Some(200_000));
    assert_eq!(read_u64(&e, 8), Some(4));
    let sizes: Vec<u64> = (0..4).filter_map(|i| read_u64(&e, 16 + 8 * i)).collect();
    assert_eq!(sizes.iter().sum::<u64>() as usize, e.len() - 48);
    // Each page is a stream of its own: the last page alone decodes to the input's tail.
    let start = 48 + (sizes[0] + sizes[1] + sizes[2]) as usize;
    let one = [
        &3392u64.to_le_bytes()[..],
        &1u64.to_le_bytes(),
        &sizes[3].to_le_bytes(),
        &e[start..],
    ]
    .concat();
    assert_eq!(c.decode(Bytes::from(one), &fixed(3392), &o)?, &d[196_608..]);
    assert_eq!(c.decode(Bytes::from(e), &fixed(200_000), &o)?, d);
    Ok(())
}

#[test]
fn levels() -> R {
    let o = CodecOptions::default();
    let d = data(70_000, 3);
    let mut sizes = Vec::new();
    for level in 0..=12 {
        let c = codec(json!({"level": level}))?;
        let e = c.encode(d.clone(), &o)?;
        sizes.push(e.len());
        assert_eq!(
            c.decode(Bytes::from(e), &fixed(d.len()), &o)?,
            d,
            "level {level}"
        );
    }
    assert!(sizes[0] > d.len(), "level 0 stores");
    assert!(
        sizes[12] < sizes[1],
        "level 12 compresses better than 1: {sizes:?}"
    );
    // Out of range or missing: readable, but not encodable.
    for bad in [json!({"level": 13}), json!({"level": -1}), json!({})] {
        let c = codec(bad.clone())?;
        let e = codec(json!({"level": 1}))?.encode(d.clone(), &o)?;
        assert_eq!(c.decode(Bytes::from(e), &fixed(d.len()), &o)?, d);
        assert!(
            matches!(c.encode(d.clone(), &o), Err(CodecError::Unsupported { .. })),
            "{bad}"
        );
    }
    assert!(codec(json!({"level": 1, "x": 2})).is_err());
    assert!(GDeflateCodec::new(13).is_err());
    let v2 = zarrkit_core::registry::create_codec_v2(
        json!({"id": NAME, "level": 4}).as_object().ok_or("obj")?,
    )?;
    assert_eq!(
        v2.metadata().configuration(),
        json!({"level": 4}).as_object()
    );
    Ok(())
}

#[test]
fn hostile_streams() -> R {
    let c = codec(json!({"level": 5}))?;
    let o = CodecOptions::default();
    let d = data(70_000, 11);
    let e = c.encode(d.clone(), &o)?;
    let n = d.len();
    let dec = |b: Vec<u8>, r: BytesRepresentation| c.decode(Bytes::from(b), &r, &o);
    // Truncations (every length of the headers, then a spread), bytes appended.
    for k in (0..40).chain((40..e.len()).step_by(97)) {
        assert!(dec(e[..k].to_vec(), fixed(n)).is_err(), "truncated to {k}");
    }
    assert!(dec([&e[..], &[0]].concat(), fixed(n)).is_err());
    let set = |at: usize, v: u64| {
        let mut h = e.clone();
        h[at..at + 8].copy_from_slice(&v.to_le_bytes());
        h
    };
    // A decoded length other than the chunk's, or beyond a bound.
    assert!(matches!(
        dec(set(0, n as u64 + 1), fixed(n)),
        Err(CodecError::UnexpectedSize { .. })
    ));
    assert!(dec(set(0, 1 << 40), BytesRepresentation::Bounded(1 << 20)).is_err());
    // Page counts: too few for the length, absurd, or overflowing.
    for count in [1, 3, 1 << 40, u64::MAX, u64::MAX / 8 + 1] {
        assert!(dec(set(8, count), fixed(n)).is_err(), "count {count}");
    }
    // Page sizes that overflow or do not add up.
    for v in [u64::MAX, u64::MAX - 10, 0, 1 << 33] {
        assert!(dec(set(16, v), fixed(n)).is_err(), "size {v}");
    }
    // A shorter decoded length than the pages hold: the last page gives too many bytes.
    assert!(dec(set(0, n as u64 - 1), BytesRepresentation::Bounded(n as u64)).is_err());
    // Corrupted page bytes never panic; with a fixed size they cannot give more.
    for at in (40..e.len()).step_by(13) {
        let mut h = e.clone();
        h[at] ^= 0x5a;
        if let Ok(out) = dec(h, fixed(n)) {
            assert_eq!(out.len(), n);
        }
    }
    // An extra page after the needed ones must decode to nothing: a copy of a real page
    // does not; an empty one never panics.
    let count = read_u64(&e, 8).ok_or("count")? as usize;
    let sizes: Vec<u8> = e[16..16 + 8 * count].to_vec();
    let pages = &e[16 + 8 * count..];
    let first = read_u64(&e, 16).ok_or("size")? as usize;
    let extra = [
        &e[..8],
        &(count as u64 + 1).to_le_bytes(),
        &sizes,
        &(first as u64).to_le_bytes(),
        pages,
        &pages[..first],
    ]
    .concat();
    assert!(dec(extra, fixed(n)).is_err());
    let empty = [
        &e[..8],
        &(count as u64 + 1).to_le_bytes(),
        &sizes,
        &0u64.to_le_bytes(),
        pages,
    ]
    .concat();
    if let Ok(out) = dec(empty, fixed(n)) {
        assert_eq!(out, d);
    }
    Ok(())
}

proptest! {
    #[test]
    fn round_trip_and_ranges(n in 0usize..300_000, seed in 1u32..1000, a in 0usize..300_000, len in 0usize..140_000) {
        let run = || -> Result<(), Box<dyn std::error::Error>> {
            let c = codec(json!({"level": 1}))?;
            let o = CodecOptions::default();
            let d = data(n, seed);
            let e = Bytes::from(c.encode(d.clone(), &o)?);
            if c.decode(e.clone(), &fixed(n), &o)? != d { return Err("round trip".into()); }
            let a = a.min(n);
            let len = len.min(n - a);
            let ranges = [ByteRange::new(a as u64, len as u64), ByteRange::Suffix((len / 3) as u64), ByteRange::FromStart(a as u64, None)];
            let got = c.decode_ranges(e, &ranges, &fixed(n), &o)?;
            let want = [&d[a..a + len], &d[n - len / 3..], &d[a..]];
            for (g, w) in got.iter().zip(want) {
                if g.as_ref() != w { return Err(format!("range of {} bytes differs", w.len()).into()); }
            }
            Ok(())
        };
        run().map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}

/// zarrs 0.23.14's own stores (see `vectors/zarrs-writer`): every element read through the
/// Array API equals what zarrs wrote — the two-page chunk too, which zarrs itself cannot
/// read back — and re-encoding each chunk gives zarrs' bytes exactly (same C library).
#[test]
fn zarrs_vectors() -> R {
    let expected: Value = serde_json::from_str(include_str!("../vectors/expected.json"))?;
    let stores = expected["stores"].as_object().ok_or("no stores")?;
    assert!(stores.len() >= 6);
    assert_eq!(
        stores["gdeflate_u16_l12_two_pages"]["zarrs_reads_back"],
        json!(false)
    );
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
        let chain: &CodecChain = array.codecs();
        for idx in ArraySubset::new_with_shape(array.chunk_grid().grid_shape(&shape)).indices() {
            let Some(stored) = array.retrieve_encoded_chunk(&idx)? else {
                continue;
            };
            let r = array.chunk_representation(&idx)?;
            let decoded: ArrayBytes = chain.decode(Bytes::from(stored.clone()), &r, &o)?;
            assert_eq!(
                chain.encode(decoded, &r, &o)?,
                stored,
                "{name} chunk {idx:?}"
            );
            exact += 1;
        }
    }
    assert!(exact >= 8, "{exact}");
    // A region read of the two-page chunk decodes only the pages it needs.
    let dir = format!(
        "{}/vectors/gdeflate_u16_l12_two_pages.zarr",
        env!("CARGO_MANIFEST_DIR")
    );
    let array = Array::open(
        Arc::new(zarrkit_store_filesystem::FilesystemStore::new(&dir)?),
        "/",
    )?;
    let got: Vec<u16> =
        array.retrieve_array_subset_elements(&ArraySubset::new(vec![39_990], vec![10])?)?;
    let want: Vec<u16> = (39_990..40_000u32)
        .map(|i| ((i / 7) % 1000) as u16 * 3 + (i % 3) as u16)
        .collect();
    assert_eq!(got, want);
    Ok(())
}
