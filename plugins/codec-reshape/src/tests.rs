use super::*;
use proptest::prelude::*;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::FillValue;

use zarrkit_dtype_numeric as _;

fn codec(shape: Value) -> Result<ReshapeCodec, PluginError> {
    let m = MetadataV3::new_with_configuration(NAME, {
        let mut c = Map::new();
        c.insert("shape".into(), shape);
        c
    });
    match zarrkit_core::registry::create_codec(&m)? {
        Codec::ArrayToArray(_) => {}
        _ => return Err(PluginError::config(ExtensionKind::Codec, NAME, "kind")),
    }
    // The registry gives a trait object; parse again for the concrete type.
    let conf = m.configuration().cloned().unwrap_or_default();
    let dims = match conf.get("shape") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| parse_dim(v, i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PluginError::config(ExtensionKind::Codec, NAME, e))?,
        _ => return Err(PluginError::config(ExtensionKind::Codec, NAME, "shape")),
    };
    ReshapeCodec::new(dims).map_err(|e| PluginError::config(ExtensionKind::Codec, NAME, e))
}

fn create_err(conf: Value) -> String {
    let m: MetadataV3 = match serde_json::from_value(json!({"name": NAME, "configuration": conf})) {
        Ok(m) => m,
        Err(e) => return e.to_string(),
    };
    match zarrkit_core::registry::create_codec(&m) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn spec_and_zarrs_shapes() -> Result<(), Box<dyn std::error::Error>> {
    // (shape config, decoded chunk shape, encoded shape): the README example, zarrs' tests.
    let cases: &[(Value, &[u64], &[u64])] = &[
        (json!([[0, 1], [2], 3]), &[100, 50, 64, 3], &[5000, 64, 3]),
        (json!([[0, 1], [2], 3]), &[5, 4, 4, 3], &[20, 4, 3]),
        (json!([[0, 1], [2], -1]), &[5, 4, 4, 3], &[20, 4, 3]),
        (json!([[0, 1, 2], 3]), &[5, 4, 4, 3], &[80, 3]),
        (json!([[0], -1, [2, 3]]), &[5, 4, 4, 3], &[5, 4, 12]),
        (json!([[0], -1, [3]]), &[5, 4, 4, 3], &[5, 16, 3]),
        (json!([-1, 2, 2, [3]]), &[5, 4, 4, 3], &[20, 2, 2, 3]),
        (json!([-1]), &[3, 4], &[12]),
        (json!([[0, 1], 10, [3, 4]]), &[2, 3, 10, 4, 5], &[6, 10, 20]),
        (json!([[0, 1], -1, [3], 4]), &[2, 3, 8, 4, 4], &[6, 8, 4, 4]),
        (json!([2, 3, 2]), &[12], &[2, 3, 2]),
        (json!([[], [0], []]), &[7], &[1, 7, 1]),
        // The shape zarrs rejects when parsing: valid here where it lines up (-1 is 1).
        (json!([[0, 1], -1, [2], 3]), &[2, 2, 5, 3], &[4, 1, 5, 3]),
    ];
    for (shape, decoded, encoded) in cases {
        let c = codec(shape.clone())?;
        assert_eq!(
            c.encoded_shape(decoded).as_deref(),
            Ok(*encoded),
            "{shape} on {decoded:?}"
        );
        // Written back as read.
        assert_eq!(
            c.configuration().and_then(|m| m.get("shape").cloned()),
            Some(shape.clone())
        );
    }
    Ok(())
}

#[test]
fn invalid_configurations() {
    for (conf, needle) in [
        (json!({"shape": [[1], [0]]}), "out of order"),
        (json!({"shape": [[1, 0], 10, [3, 4]]}), "out of order"),
        (json!({"shape": [[3, 4], 10, [0, 1]]}), "out of order"),
        (json!({"shape": [[0, 0]]}), "out of order"),
        (json!({"shape": [-1, -1]}), "at most once"),
        (json!({"shape": [0]}), "at least 1"),
        (json!({"shape": [-2]}), "expected a positive integer"),
        (json!({"shape": [1.5]}), "expected a positive integer"),
        (json!({"shape": ["a"]}), "expected a positive integer"),
        (json!({"shape": [[-1]]}), "non-negative"),
        (json!({"shape": []}), "at least one"),
        (json!({"shape": 4}), "must be an array"),
        (json!({}), "missing `shape`"),
        (
            json!({"shape": [4], "order": "C"}),
            "unknown configuration member",
        ),
    ] {
        let e = create_err(conf.clone());
        assert!(e.contains(needle), "{conf}: {e:?}");
    }
}

#[test]
fn binding_errors() -> Result<(), Box<dyn std::error::Error>> {
    let cases: &[(Value, &[u64], &str)] = &[
        // zarrs' invalid cases.
        (json!([-1, 2, 2, [4]]), &[5, 4, 4, 3], "has 4 dimensions"),
        (json!([2, 2, 2]), &[5, 4, 4, 3], "would have 8 elements"),
        (json!([-1, 7]), &[5, 4], "no size makes"),
        // Products that do not line up with the chunk.
        (
            json!([[0, 1], -1, [2], 3]),
            &[5, 4, 4, 6],
            "does not line up",
        ),
        (json!([3, [0], 2]), &[2, 3, 2], "does not line up"),
        (json!([[2], 6]), &[2, 3, 2], "does not line up"),
        // Overflow of the element count.
        (json!([-1]), &[u64::MAX, 2], "too large"),
    ];
    for (shape, decoded, needle) in cases {
        let c = codec(shape.clone())?;
        match c.encoded_shape(decoded) {
            Ok(s) => panic!("{shape} on {decoded:?} gave {s:?}"),
            Err(e) => assert!(e.contains(needle), "{shape} on {decoded:?}: {e}"),
        }
    }
    Ok(())
}

#[test]
fn bytes_pass_through_and_wrong_sizes_are_errors() -> Result<(), Box<dyn std::error::Error>> {
    let c = codec(json!([-1, 2]))?;
    let dt = zarrkit_core::registry::data_type_by_name("uint16")?;
    let repr = ChunkRepresentation::new(vec![3, 4], dt, FillValue::from(0u16));
    let enc = c.encoded_representation(&repr)?;
    assert_eq!(enc.shape, vec![6, 2]);
    let input: Vec<u8> = (0..24).collect();
    let o = CodecOptions::default();
    let e = c.encode(ArrayBytes::Fixed(input.clone()), &repr, &o)?;
    assert_eq!(e.as_fixed(), Some(input.as_slice()));
    let d = c.decode(e, &repr, &o)?;
    assert_eq!(d.as_fixed(), Some(input.as_slice()));
    // A decoded representation the codec cannot bind to, and input of the wrong size.
    let bad = ChunkRepresentation::new(vec![3, 3], repr.data_type.clone(), FillValue::from(0u16));
    assert!(c.decode(ArrayBytes::Fixed(vec![0; 18]), &bad, &o).is_err());
    assert!(c.decode(ArrayBytes::Fixed(vec![0; 23]), &repr, &o).is_err());
    assert!(c.encode(ArrayBytes::Fixed(vec![0; 26]), &repr, &o).is_err());
    Ok(())
}

fn dims_strategy() -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::vec(1u64..6, 1..5)
}

proptest! {
    /// Any split of the decoded dimensions into consecutive groups (each group an
    /// `input_dims` entry, or `-1` for one of them) binds, keeps the element count, and
    /// round-trips the bytes.
    #[test]
    fn grouping_round_trip(dims in dims_strategy(), cuts in proptest::collection::vec(any::<bool>(), 0..5), auto in any::<prop::sample::Index>()) {
        let mut groups: Vec<Vec<usize>> = vec![vec![]];
        for i in 0..dims.len() {
            if i > 0 && cuts.get(i).copied().unwrap_or(false) {
                groups.push(vec![]);
            }
            if let Some(g) = groups.last_mut() { g.push(i); }
        }
        let a = auto.index(groups.len());
        let shape: Vec<ReshapeDim> = groups.iter().enumerate().map(|(i, g)| if i == a { ReshapeDim::Auto } else { ReshapeDim::InputDims(g.clone()) }).collect();
        let c = ReshapeCodec::new(shape).map_err(TestCaseError::fail)?;
        let out = c.encoded_shape(&dims).map_err(TestCaseError::fail)?;
        prop_assert_eq!(out.len(), groups.len());
        prop_assert_eq!(product(&out), product(&dims));
        for (g, o) in groups.iter().zip(&out) {
            let p: u64 = g.iter().map(|&i| dims[i]).product();
            prop_assert_eq!(p, *o);
        }
        let dt = zarrkit_core::registry::data_type_by_name("int32").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let repr = ChunkRepresentation::new(dims.clone(), dt, FillValue::from(0i32));
        let n = product(&dims).unwrap_or(0) as usize * 4;
        let bytes: Vec<u8> = (0..n).map(|i| (i * 7) as u8).collect();
        let o = CodecOptions::default();
        let e = c.encode(ArrayBytes::Fixed(bytes.clone()), &repr, &o).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let d = c.decode(e, &repr, &o).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(d.as_fixed(), Some(bytes.as_slice()));
    }

    /// Arbitrary configurations never panic, whatever the chunk shape.
    #[test]
    fn arbitrary_shapes_never_panic(entries in proptest::collection::vec(prop_oneof![
        (1u64..8).prop_map(ReshapeDim::Size),
        Just(ReshapeDim::Auto),
        proptest::collection::vec(0usize..6, 0..3).prop_map(ReshapeDim::InputDims),
    ], 1..5), dims in proptest::collection::vec(1u64..9, 0..5)) {
        if let Ok(c) = ReshapeCodec::new(entries) {
            if let Ok(out) = c.encoded_shape(&dims) {
                prop_assert_eq!(product(&out), product(&dims));
            }
        }
    }
}
