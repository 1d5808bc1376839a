use super::*;
use proptest::prelude::*;
use zarrkit_core::serde_json::json;

use zarrkit_dtype_datetime as _;
use zarrkit_dtype_fixed as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn v3(conf: Value) -> Result<StructDataType, String> {
    parse_v3(STRUCT, conf.as_object())
}

fn v2(list: Value) -> Result<StructDataType, String> {
    from_v2_value(&list)
}

fn spec_example() -> Result<StructDataType, String> {
    v3(json!({"fields": [
        {"name": "id", "data_type": "int32"},
        {"name": "flags", "data_type": "uint8"},
        {"name": "value", "data_type": "float64"}
    ]}))
}

#[test]
fn layout_of_the_spec_example() -> R {
    let s = spec_example()?;
    assert_eq!(s.record_size(), 13);
    let offsets: Vec<usize> = s.fields().iter().map(StructField::offset).collect();
    assert_eq!(offsets, vec![0, 4, 5]);
    assert_eq!(
        s.swap_runs(),
        vec![
            SwapRun {
                offset: 0,
                unit: 4,
                count: 1
            },
            SwapRun {
                offset: 5,
                unit: 8,
                count: 1
            }
        ]
    );
    assert!(!s.is_uniform());
    assert_eq!(s.size(), DataTypeSize::Fixed(13));
    assert_eq!(s.element_kind(), Some(ElementKind::RawBytes(13)));
    // Through the registry, under both names; the configuration is written back as read.
    let conf = json!({"fields": [{"name": "a", "data_type": {"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1}}}]});
    for name in [STRUCT, STRUCTURED] {
        let d = zarrkit_core::registry::create_data_type(&MetadataV3::new_with_configuration(
            name,
            conf.as_object().cloned().unwrap_or_default(),
        ))?;
        assert_eq!(d.name(), name);
        assert_eq!(d.configuration().map(Value::Object), Some(conf.clone()));
        assert_eq!(d.size(), DataTypeSize::Fixed(8));
    }
    Ok(())
}

#[test]
fn nested_and_uniform_layouts() -> R {
    let s = v3(json!({"fields": [
        {"name": "p", "data_type": {"name": "struct", "configuration": {"fields": [
            {"name": "x", "data_type": "float32"}, {"name": "y", "data_type": "int32"}]}}},
        {"name": "c", "data_type": "complex64"},
        {"name": "q", "data_type": {"name": "structured", "configuration": {"fields": [["u", "uint32"]]}}}
    ]}))?;
    assert_eq!(s.record_size(), 20);
    // Every unit 4 bytes, contiguous: one run of 5 units, and uniform.
    assert_eq!(
        s.swap_runs(),
        vec![SwapRun {
            offset: 0,
            unit: 4,
            count: 5
        }]
    );
    assert!(s.is_uniform());
    assert_eq!(s.endianness_unit(), Some(4));
    let bytes_only = v3(
        json!({"fields": [{"name": "a", "data_type": "uint8"}, {"name": "b", "data_type": "bool"}]}),
    )?;
    assert_eq!(bytes_only.endianness_unit(), None);
    assert!(bytes_only.is_uniform());
    // A raw field between units: not uniform even with one unit size.
    let raw = v3(
        json!({"fields": [{"name": "r", "data_type": {"name": "raw_bytes", "configuration": {"length_bytes": 4}}}, {"name": "i", "data_type": "int32"}]}),
    )?;
    assert!(!raw.is_uniform());
    Ok(())
}

#[test]
fn invalid_v3_configurations() {
    for (conf, needle) in [
        (json!({}), "missing `fields`"),
        (json!({"fields": []}), "at least one field"),
        (json!({"fields": {}}), "must be an array"),
        (
            json!({"fields": [{"name": "a", "data_type": "int8"}], "packed": true}),
            "unknown configuration member",
        ),
        (
            json!({"fields": [{"name": "a", "data_type": "int8"}, {"name": "a", "data_type": "int16"}]}),
            "duplicate field name",
        ),
        (
            json!({"fields": [{"name": "", "data_type": "int8"}]}),
            "non-empty",
        ),
        (
            json!({"fields": [{"name": 3, "data_type": "int8"}]}),
            "must be a string",
        ),
        (json!({"fields": [{"data_type": "int8"}]}), "missing `name`"),
        (json!({"fields": [{"name": "a"}]}), "missing `data_type`"),
        (
            json!({"fields": [{"name": "a", "data_type": "int8", "offset": 0}]}),
            "unknown member `offset`",
        ),
        (
            json!({"fields": [{"name": "a", "data_type": "int8", "shape": [2]}]}),
            "subarray fields",
        ),
        (json!({"fields": [["a", "int8", [2]]]}), "subarray fields"),
        (
            json!({"fields": [{"name": "a", "data_type": "string"}]}),
            "variable size",
        ),
        (
            json!({"fields": [{"name": "a", "data_type": "no_such_type"}]}),
            "field \"a\"",
        ),
        (
            json!({"fields": [{"name": "a", "data_type": 7}]}),
            "`data_type`",
        ),
        (json!({"fields": [17]}), "must be an object"),
        (
            json!({"fields": [{"name": "p", "data_type": {"name": "struct", "configuration": {"fields": []}}}]}),
            "nested struct",
        ),
        (
            json!({"fields": [{"name": "p", "data_type": {"name": "struct"}}]}),
            "missing configuration",
        ),
    ] {
        let e = v3(conf.clone()).err().unwrap_or_default();
        assert!(e.contains(needle), "{conf}: {e:?}");
    }
    let e = zarrkit_core::registry::create_data_type(&MetadataV3::new(STRUCT));
    assert!(e.is_err_and(|e| e.to_string().contains("missing configuration")));
}

#[test]
fn fill_values_object_form() -> R {
    let s = spec_example()?;
    let fv = s.fill_value_from_json(&json!({"id": -2, "flags": 255, "value": "NaN"}))?;
    let mut want = (-2i32).to_ne_bytes().to_vec();
    want.push(255);
    want.extend(f64::NAN.to_ne_bytes());
    assert_eq!(fv.as_bytes(), want.as_slice());
    assert_eq!(
        s.fill_value_to_json(&fv)?,
        json!({"id": -2, "flags": 255, "value": "NaN"})
    );
    for (bad, needle) in [
        (json!({"id": 1, "flags": 2}), "missing field \"value\""),
        (
            json!({"id": 1, "flags": 2, "value": 0, "extra": 1}),
            "no field named \"extra\"",
        ),
        (json!({"id": 1.5, "flags": 2, "value": 0}), "field \"id\""),
        (
            json!({"id": 1, "flags": 256, "value": 0}),
            "field \"flags\"",
        ),
        (json!([1, 2, 3]), "expected an object"),
        (json!(0), "expected an object"),
        (json!("AAAA"), "3 bytes, the record 13"),
        (json!("!!!!"), "invalid base64"),
    ] {
        let e = s
            .fill_value_from_json(&bad)
            .err()
            .ok_or(format!("{bad} accepted"))?;
        assert!(e.to_string().contains(needle), "{bad}: {e}");
    }
    // Nested: the README's example.
    let n = v3(json!({"fields": [
        {"name": "point", "data_type": {"name": "struct", "configuration": {"fields": [
            {"name": "x", "data_type": "float64"}, {"name": "y", "data_type": "float64"}]}}},
        {"name": "value", "data_type": "float64"}
    ]}))?;
    let j = json!({"point": {"x": 1.0, "y": 2.0}, "value": 3.25});
    let fv = n.fill_value_from_json(&j)?;
    assert_eq!(
        fv.as_bytes(),
        [
            1.0f64.to_ne_bytes(),
            2.0f64.to_ne_bytes(),
            3.25f64.to_ne_bytes()
        ]
        .concat()
    );
    assert_eq!(n.fill_value_to_json(&fv)?, j);
    assert!(n
        .fill_value_from_json(&json!({"point": {"x": 1.0}, "value": 3.25}))
        .is_err_and(|e| e.to_string().contains("missing field \\\"y\\\"")
            || e.to_string().contains("\"y\"")));
    Ok(())
}

#[test]
fn legacy_base64_fill_is_little_endian_and_read_only() -> R {
    // zarr-python 3.1.6: {a: int32, b: float64, c: uint8} fill (1, 2.5, 3).
    let s = v3(
        json!({"fields": [{"name": "a", "data_type": "int32"}, {"name": "b", "data_type": "float64"}, {"name": "c", "data_type": "uint8"}]}),
    )?;
    let fv = s.fill_value_from_json(&json!("AQAAAAAAAAAAAARAAw=="))?;
    assert_eq!(
        s.fill_value_to_json(&fv)?,
        json!({"a": 1, "b": 2.5, "c": 3}),
        "written in the object form"
    );
    Ok(())
}

#[test]
fn byte_swaps_capability() -> R {
    let host_little = cfg!(target_endian = "little");
    let s = spec_example()?;
    assert_eq!(s.byte_swaps(Some(host_little))?, vec![]);
    assert_eq!(s.byte_swaps(Some(!host_little))?, s.swap_runs());
    let e = s.byte_swaps(None).err().ok_or("struct without endian")?;
    assert!(e.contains("needs an explicit `endian`"), "{e}");
    let legacy = parse_v3(
        STRUCTURED,
        json!({"fields": [["a", "int32"], ["b", "float64"]]}).as_object(),
    )?;
    assert_eq!(
        legacy.byte_swaps(None)?.is_empty(),
        host_little,
        "legacy structured without endian is little-endian"
    );
    let bytes_only = v3(json!({"fields": [{"name": "a", "data_type": "int8"}]}))?;
    assert_eq!(bytes_only.byte_swaps(None)?, vec![]);
    // V2 records: without `endian`, each field in its declared order.
    let mixed = v2(json!([
        ["a", "<i4"],
        ["b", ">f8"],
        ["c", "|u1"],
        ["d", "<u2"]
    ]))?;
    assert!(mixed.has_mixed_byte_order());
    let swapped = mixed.byte_swaps(None)?;
    let want: Vec<SwapRun> = if host_little {
        vec![SwapRun {
            offset: 4,
            unit: 8,
            count: 1,
        }]
    } else {
        vec![
            SwapRun {
                offset: 0,
                unit: 4,
                count: 1,
            },
            SwapRun {
                offset: 13,
                unit: 2,
                count: 1,
            },
        ]
    };
    assert_eq!(swapped, want);
    // A record stored by zarr-python 2 decodes by swapping those runs.
    let mut rec = Vec::new();
    rec.extend(7i32.to_le_bytes());
    rec.extend(2.5f64.to_be_bytes());
    rec.push(9);
    rec.extend(513u16.to_le_bytes());
    mixed.swap_records(&mut rec, &swapped);
    let mut native = 7i32.to_ne_bytes().to_vec();
    native.extend(2.5f64.to_ne_bytes());
    native.push(9);
    native.extend(513u16.to_ne_bytes());
    assert_eq!(rec, native);
    Ok(())
}

#[test]
fn endianness_unit_with_the_current_core() -> R {
    let native = if cfg!(target_endian = "little") {
        "<"
    } else {
        ">"
    };
    let foreign = if cfg!(target_endian = "little") {
        ">"
    } else {
        "<"
    };
    // V2 records declared in the host's order: the V2 chain's `bytes` (no endian) copies.
    let n = v2(json!([
        ["a", format!("{native}i4")],
        ["b", format!("{native}f8")]
    ]))?;
    assert_eq!(n.endianness_unit(), None);
    // Declared in the other order: `endian` required, an error rather than a misread.
    let f = v2(json!([["a", format!("{foreign}i4")], ["b", "|u1"]]))?;
    assert_eq!(f.endianness_unit(), Some(4));
    let mixed = v2(json!([["a", "<i4"], ["b", ">i4"]]))?;
    assert_eq!(mixed.endianness_unit(), Some(4));
    Ok(())
}

#[test]
fn v2_dtypes_parse_and_print_back() -> R {
    for text in [
        r#"[["a","<i4"],["b","<f8"],["c","|u1"]]"#,
        r#"[["a",">i4"],["b",">f8"]]"#,
        r#"[["id","<u2"],["p",[["x","<f4"],["y","<f4"]]],["flag","|b1"]]"#,
        r#"[["a","<i2",[3]],["b","<f4",[2,2]],["c","|u1"]]"#,
        r#"[["q",[["u",">u2"],["v","|i1"]],[2]],["w",">f2"]]"#,
        r#"[["a","<i4"],["b","|S3"],["t","<M8[s]"],["f","|b1"]]"#,
        r#"[["a","|u1"],["","|V3"],["b","<i4"],["","|V4"]]"#,
        r#"[["s","<U3"],["c","<c8"]]"#,
    ] {
        let d = from_v2(text).ok_or(format!("{text} not parsed"))?;
        let order = if text.contains("\">") { '>' } else { '<' };
        assert_eq!(d.to_v2_dtype(order).as_deref(), Some(text), "{text}");
        assert_eq!(
            d.to_v2_dtype('|').as_deref(),
            Some(text),
            "{text} (declared orders)"
        );
        assert_eq!(d.name(), STRUCT);
    }
    // Mixed byte order: no single order prints the record back.
    let m = from_v2(r#"[["a","<i4"],["b",">f8"]]"#).ok_or("mixed")?;
    assert_ne!(
        m.to_v2_dtype('<').as_deref(),
        Some(r#"[["a","<i4"],["b",">f8"]]"#)
    );
    assert_ne!(
        m.to_v2_dtype('>').as_deref(),
        Some(r#"[["a","<i4"],["b",">f8"]]"#)
    );
    assert_eq!(
        m.to_v2_dtype('|').as_deref(),
        Some(r#"[["a","<i4"],["b",">f8"]]"#)
    );
    // The V3 configuration of a V2 record: the `struct` form, with what V3 cannot say.
    let sub = from_v2(r#"[["a","<i2",[3]],["","|V2"]]"#).ok_or("sub")?;
    assert_eq!(
        sub.configuration().map(Value::Object),
        Some(json!({"fields": [
            {"name": "a", "data_type": "int16", "shape": [3]},
            {"name": "", "data_type": {"name": "raw_bytes", "configuration": {"length_bytes": 2}}}
        ]}))
    );
    Ok(())
}

#[test]
fn v2_dtypes_declined() {
    for text in [
        "<i4",
        "[]",
        "[[]]",
        r#"[["a"]]"#,
        r#"[["a","<i4"],["a","<f8"]]"#,
        r#"[[["title","a"],"<i4"]]"#,
        r#"[["a","|O"]]"#,
        r#"[["a","<x9"]]"#,
        r#"[["a","<i4",[-1]]]"#,
        r#"[["a","<i4",3]]"#,
        r#"[["a","<i4",[1099511627776,1099511627776]]]"#,
        r#"[["a","<f8",[300000000]]]"#,
        r#"[["a",[]]]"#,
        r#"[["a",5]]"#,
        "[not json",
        r#"{"a": "<i4"}"#,
    ] {
        assert!(from_v2(text).is_none(), "{text} accepted");
    }
    // Deeply nested records: bounded by the JSON parser's recursion limit, no stack overflow.
    let deep = format!("{}{}", "[[\"a\",".repeat(2000), "]]".repeat(2000));
    assert!(from_v2(&deep).is_none());
}

#[test]
fn v2_fill_values_in_declared_byte_order() -> R {
    // zarr-python 2, mixed record [a <i4, b >f8, c <u2, d |b1] fill (5, -0.5, 7, True).
    let m = from_v2(r#"[["a","<i4"],["b",">f8"],["c","<u2"],["d","|b1"]]"#).ok_or("mixed")?;
    let mut raw = 5i32.to_le_bytes().to_vec();
    raw.extend((-0.5f64).to_be_bytes());
    raw.extend(7u16.to_le_bytes());
    raw.push(1);
    let b64 = base64::encode(&raw);
    let fv = m.fill_value_from_json_v2(&json!(b64))?;
    assert_eq!(
        m.fill_value_to_json(&fv)?,
        json!({"a": 5, "b": -0.5, "c": 7, "d": true})
    );
    assert_eq!(m.fill_value_to_json_v2(&fv)?, json!(b64));
    // A V3 struct writes its V2 fill value little-endian.
    let s = spec_example()?;
    let fv = s.fill_value_from_json(&json!({"id": 1, "flags": 2, "value": 0.5}))?;
    let mut le = 1i32.to_le_bytes().to_vec();
    le.push(2);
    le.extend(0.5f64.to_le_bytes());
    assert_eq!(s.fill_value_to_json_v2(&fv)?, json!(base64::encode(&le)));
    assert_eq!(
        s.to_v2_dtype('<').as_deref(),
        Some(r#"[["id","<i4"],["flags","|u1"],["value","<f8"]]"#)
    );
    assert_eq!(s.to_v2_dtype('>'), None);
    assert!(m.fill_value_from_json_v2(&json!("AAAA")).is_err());
    Ok(())
}

#[test]
fn validate_elements_asks_each_field() -> R {
    let s = v3(
        json!({"fields": [{"name": "n", "data_type": "uint8"}, {"name": "ok", "data_type": "bool"}]}),
    )?;
    assert!(s.validate_elements(&[7, 1, 9, 0]).is_ok());
    let e = s
        .validate_elements(&[7, 1, 9, 2])
        .err()
        .ok_or("bool 2 accepted")?;
    assert!(e.contains("record 1") && e.contains("\"ok\""), "{e}");
    let sub = from_v2(r#"[["b","|b1",[2]]]"#).ok_or("sub")?;
    assert!(sub.validate_elements(&[1, 3]).is_err());
    Ok(())
}

#[test]
fn conformance_fill_values() -> R {
    zarrkit_conformance::suites::metadata::fill_values_round_trip(
        r#"{"name": "struct", "configuration": {"fields": [{"name": "a", "data_type": "int16"}, {"name": "b", "data_type": "float32"}, {"name": "c", "data_type": "bool"}]}}"#,
        &[
            json!({"a": 1, "b": 2.5, "c": true}),
            json!({"a": -32768, "b": "NaN", "c": false}),
            json!({"a": 0, "b": "0x7fc00001", "c": false}),
            json!({"a": 0, "b": "-Infinity", "c": true}),
            json!("AQAAAAAAAA=="),
        ],
        &[
            json!({"a": 1, "b": 2.5}),
            json!({"a": 1, "b": 2.5, "c": 1}),
            json!(null),
            json!("AQ=="),
        ],
    )?;
    Ok(())
}

fn field_types() -> impl Strategy<Value = Vec<&'static str>> {
    proptest::collection::vec(
        prop::sample::select(vec![
            "int8",
            "uint8",
            "int16",
            "uint16",
            "int32",
            "uint32",
            "int64",
            "uint64",
            "float16",
            "bfloat16",
            "float32",
            "float64",
            "complex64",
            "complex128",
        ]),
        1..8,
    )
}

proptest! {
    /// Any record bytes of numeric fields round-trip through the object fill value exactly
    /// (hex bit patterns keep NaN payloads), and through the V2 base64 form.
    #[test]
    fn fill_value_round_trip(types in field_types(), seed in any::<u64>()) {
        let fields: Vec<Value> = types.iter().enumerate().map(|(i, t)| json!({"name": format!("f{i}"), "data_type": t})).collect();
        let s = v3(json!({"fields": fields})).map_err(TestCaseError::fail)?;
        let mut x = seed;
        let bytes: Vec<u8> = (0..s.record_size()).map(|_| { x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (x >> 56) as u8 }).collect();
        let fv = FillValue::new(bytes);
        let j = s.fill_value_to_json(&fv).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = s.fill_value_from_json(&j).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &fv);
        let j2 = s.fill_value_to_json_v2(&fv).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back2 = s.fill_value_from_json_v2(&j2).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back2, &fv);
    }

    /// Swapping to the other byte order twice is the identity, and swaps each field as its
    /// own type would.
    #[test]
    fn swaps_are_per_field(types in field_types(), seed in any::<u8>()) {
        let fields: Vec<Value> = types.iter().enumerate().map(|(i, t)| json!({"name": format!("f{i}"), "data_type": t})).collect();
        let s = v3(json!({"fields": fields})).map_err(TestCaseError::fail)?;
        let host_little = cfg!(target_endian = "little");
        let runs = s.byte_swaps(Some(!host_little)).map_err(TestCaseError::fail)?;
        let orig: Vec<u8> = (0..s.record_size() * 3).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let mut b = orig.clone();
        s.swap_records(&mut b, &runs);
        // Expected: each field's bytes reversed per its endianness unit.
        let mut want = orig.clone();
        for rec in want.chunks_exact_mut(s.record_size()) {
            for f in s.fields() {
                let FieldType::Scalar(dt) = &f.ty else { continue };
                if let Some(u) = dt.endianness_unit().filter(|&u| u > 1) {
                    rec[f.offset()..f.offset() + f.size()].chunks_exact_mut(u).for_each(<[u8]>::reverse);
                }
            }
        }
        prop_assert_eq!(&b, &want);
        s.swap_records(&mut b, &runs);
        prop_assert_eq!(&b, &orig);
    }

    /// Arbitrary V2 dtype text never panics.
    #[test]
    fn v2_text_never_panics(s in "[\\[\\]\",<>|a-z0-9 ]{0,60}") {
        let _ = from_v2(&s);
    }
}
