//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::{documents_round_trip, fill_values_round_trip};
use zarrkit_core::serde_json::json;
use zarrkit_dtype_float8 as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn fill_values() -> TestResult {
    let common = [
        json!(0.0),
        json!(1.0),
        json!(-1.5),
        json!("0x01"),
        json!(0.5),
    ];
    let bad = [
        json!(null),
        json!("nan"),
        json!("0x100"),
        json!([1.0, 2.0]),
        json!(true),
    ];
    for (dt, extra_ok, extra_bad) in [
        (
            "float4_e2m1fn",
            vec![json!(6.0), json!(-0.0)],
            vec![json!("NaN"), json!("Infinity"), json!("0x10")],
        ),
        (
            "float6_e2m3fn",
            vec![json!(7.5)],
            vec![json!("NaN"), json!("0x40")],
        ),
        ("float6_e3m2fn", vec![json!(28.0)], vec![json!("-Infinity")]),
        (
            "float8_e3m4",
            vec![json!("NaN"), json!("Infinity"), json!("0xf9")],
            vec![],
        ),
        (
            "float8_e4m3",
            vec![json!("NaN"), json!("-Infinity"), json!(240.0)],
            vec![],
        ),
        (
            "float8_e4m3fn",
            vec![json!("NaN"), json!(448.0), json!("0xff")],
            vec![json!("Infinity")],
        ),
        (
            "float8_e4m3fnuz",
            vec![json!("NaN"), json!(240.0)],
            vec![json!("Infinity")],
        ),
        (
            "float8_e4m3b11fnuz",
            vec![json!("NaN"), json!(30.0)],
            vec![json!("-Infinity")],
        ),
        (
            "float8_e5m2",
            vec![json!("NaN"), json!(57344.0), json!("0x7f")],
            vec![],
        ),
        (
            "float8_e5m2fnuz",
            vec![json!("NaN")],
            vec![json!("Infinity")],
        ),
        (
            "float8_e8m0fnu",
            vec![json!("NaN"), json!(2f64.powi(127)), json!(2f64.powi(-127))],
            vec![json!("Infinity")],
        ),
    ] {
        let mut ok = common.to_vec();
        ok.extend(extra_ok);
        let mut no = bad.to_vec();
        no.extend(extra_bad);
        fill_values_round_trip(dt, &ok, &no)?;
    }
    fill_values_round_trip(
        "complex_float8_e5m2",
        &[json!([1.0, "NaN"]), json!(["-Infinity", "0x01"])],
        &[json!(1.0), json!([1.0]), json!(["x", 0.0])],
    )?;
    fill_values_round_trip(
        r#"{"name": "complex_float4_e2m1fn", "configuration": {}}"#,
        &[json!([0.5, -6.0])],
        &[json!(["NaN", 0.0])],
    )?;
    Ok(())
}

#[test]
fn array_metadata_documents() -> TestResult {
    documents_round_trip(&[
        // As tensorstore 0.1.86 writes it.
        r#"{"chunk_grid":{"configuration":{"chunk_shape":[256]},"name":"regular"},"chunk_key_encoding":{"name":"default"},"codecs":[{"name":"bytes"}],"data_type":"float8_e5m2","fill_value":"-Infinity","node_type":"array","shape":[320],"zarr_format":3}"#,
        r#"{"chunk_grid":{"configuration":{"chunk_shape":[4]},"name":"regular"},"chunk_key_encoding":{"name":"default"},"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"data_type":{"name":"complex_float6_e3m2fn","configuration":{}},"fill_value":[0.25,"0x3f"],"node_type":"array","shape":[4],"zarr_format":3,"attributes":{}}"#,
    ])?;
    Ok(())
}
