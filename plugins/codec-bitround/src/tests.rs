use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_by_name};
use zarrkit_core::FillValue;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn opts() -> CodecOptions {
    CodecOptions::default()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}

/// Little-endian reference bytes as native-endian element bytes.
fn le_to_ne(b: &[u8], size: usize) -> Vec<u8> {
    let mut v = b.to_vec();
    if cfg!(target_endian = "big") {
        v.chunks_exact_mut(size).for_each(|c| c.reverse());
    }
    v
}

fn repr(dt: &str, n: u64) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let d = data_type_by_name(dt)?;
    let size = d.size().fixed().ok_or("fixed")?;
    Ok(ChunkRepresentation::new(
        vec![n],
        d,
        FillValue::new(vec![0; size]),
    ))
}

/// `np.array([3.14159265, -2.7182817, 1e-40, inf, nan, 65504.0, 0.1, -0.0], "<f4")`.
const F4_IN: &str = "db0f494054f82dc0c21601000000807f0000c07f00e07f47cdcccc3d00000080";

/// numcodecs 0.16.6 `BitRound(5).encode(F4_IN)`.
const F4_K5: &str = "0000484000002cc0000000000000807f0000c07f000080470000cc3d00000080";

/// numcodecs 0.16.6 `BitRound(0).encode(F4_IN)` (NaN wraps to 0x80000000).
const F4_K0: &str = "00008040000000c0000000000000807f00000080000080470000003e00000080";

/// `np.array([pi, -1e-310, 123456.789, 0.1], "<f8")`.
const F8_IN: &str = "182d4454fb2109402be6708b68120080c976be9f0c24fe409a9999999999b93f";

/// numcodecs 0.16.6 `BitRound(12).encode(F8_IN)`.
const F8_K12: &str = "00000000002209400000000000120080000000000024fe4000000000009ab93f";

/// `np.array([3.14, -0.001, 60000, 1.0], "<f2")`.
const F2_IN: &str = "48421994537b003c";

/// numcodecs 0.16.6 `BitRound(3).encode(F2_IN)`.
const F2_K3: &str = "80420094807b003c";

fn run(
    c: &BitroundCodec,
    dt: &str,
    size: usize,
    input: &str,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let input = le_to_ne(&hex(input), size);
    let r = repr(dt, (input.len() / size) as u64)?;
    let out = c.encode(ArrayBytes::Fixed(input), &r, &opts())?;
    Ok(out.into_fixed().ok_or("fixed")?)
}

#[test]
fn matches_numcodecs_exactly() -> TestResult {
    let k = |n| BitroundCodec::new(n);
    assert_eq!(run(&k(5)?, "float32", 4, F4_IN)?, le_to_ne(&hex(F4_K5), 4));
    assert_eq!(
        run(&k(12)?, "float64", 8, F8_IN)?,
        le_to_ne(&hex(F8_K12), 8)
    );
    assert_eq!(run(&k(3)?, "float16", 2, F2_IN)?, le_to_ne(&hex(F2_K3), 2));
    // keepbits 0 only through numcodecs' V2 configuration.
    let v2: Map<String, Value> =
        zarrkit_core::serde_json::from_str(r#"{"id":"bitround","keepbits":0}"#)?;
    let Codec::ArrayToArray(c) = create_codec_v2(&v2)? else {
        return Err("not array-to-array".into());
    };
    let r = repr("float32", 8)?;
    let out = c.encode(ArrayBytes::Fixed(le_to_ne(&hex(F4_IN), 4)), &r, &opts())?;
    assert_eq!(out, ArrayBytes::Fixed(le_to_ne(&hex(F4_K0), 4)));
    // Full mantissa: unchanged.
    assert_eq!(run(&k(23)?, "float32", 4, F4_IN)?, le_to_ne(&hex(F4_IN), 4));
    Ok(())
}

#[test]
fn complex_rounds_each_component() -> TestResult {
    let c = BitroundCodec::new(5)?;
    let f4 = hex(F4_IN);
    let r = repr("complex64", 4)?;
    let out = c.encode(ArrayBytes::Fixed(le_to_ne(&f4, 4)), &r, &opts())?;
    assert_eq!(out, ArrayBytes::Fixed(le_to_ne(&hex(F4_K5), 4)));
    Ok(())
}

#[test]
fn integers_round_from_the_top_set_bit() -> TestResult {
    let c = BitroundCodec::new(3)?;
    let r = repr("uint16", 6)?;
    let v: [u16; 6] = [0, 5, 0b1011_0111, 0b1011_1000, 0xffff, 7];
    let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
    let out = c
        .encode(ArrayBytes::Fixed(b), &r, &opts())?
        .into_fixed()
        .ok_or("fixed")?;
    let got: Vec<u16> = out
        .chunks_exact(2)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .collect();
    // 0b1011_0111 -> 0b1100_0000 (round up), 0b1011_1000 is a tie -> even 0b1100_0000,
    // 0xffff saturates then masks to 0xe000.
    assert_eq!(got, vec![0, 5, 0b1100_0000, 0b1100_0000, 0xe000, 7]);
    Ok(())
}

#[test]
fn binding_errors() -> TestResult {
    assert!(BitroundCodec::new(0).is_err());
    let c = BitroundCodec::new(11)?;
    // keepbits above float16's 10 mantissa bits: opens and decodes (the identity), as
    // numcodecs reads it; encoding is the error.
    let half = repr("float16", 2)?;
    assert!(c.encoded_representation(&half).is_ok());
    let hb = ArrayBytes::Fixed(vec![1, 2, 3, 4]);
    assert_eq!(c.decode(hb.clone(), &half, &opts())?, hb);
    let e = c
        .encode(hb, &half, &opts())
        .expect_err("keepbits > mantissa");
    assert!(e.to_string().contains("mantissa"), "{e}");
    assert!(c.encoded_representation(&repr("float32", 1)?).is_ok());
    assert!(c.encoded_representation(&repr("bool", 1)?).is_err());
    // Decoding is the identity.
    let r = repr("float32", 2)?;
    let b = ArrayBytes::Fixed(vec![1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(c.decode(b.clone(), &r, &opts())?, b);
    assert!(c
        .encode(ArrayBytes::Fixed(vec![0; 7]), &r, &opts())
        .is_err());
    Ok(())
}

#[test]
fn configuration() -> TestResult {
    for (json, name) in [
        (
            r#"{"name":"bitround","configuration":{"keepbits":10}}"#,
            "bitround",
        ),
        (
            r#"{"name":"numcodecs.bitround","configuration":{"keepbits":3}}"#,
            "numcodecs.bitround",
        ),
    ] {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
        let c = create_codec(&m)?;
        assert_eq!(c.name(), name);
        assert_eq!(
            zarrkit_core::serde_json::to_value(c.metadata())?,
            zarrkit_core::serde_json::to_value(&m)?
        );
    }
    for bad in [
        r#"{"name":"bitround"}"#,
        r#"{"name":"bitround","configuration":{"keepbits":0}}"#,
        r#"{"name":"bitround","configuration":{"keepbits":-1}}"#,
        r#"{"name":"bitround","configuration":{"keepbits":3,"x":1}}"#,
    ] {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(bad)?;
        assert!(
            matches!(
                create_codec(&m),
                Err(PluginError::InvalidConfiguration { .. })
            ),
            "{bad}"
        );
    }
    let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"bitround"}"#)?;
    assert!(create_codec_v2(&v2).is_err());
    Ok(())
}

proptest! {
    #[test]
    fn rounding_is_idempotent_and_close(v in prop::collection::vec(any::<f32>(), 0..50), keep in 1u32..=23) {
        let c = BitroundCodec::new(keep).map_err(TestCaseError::fail)?;
        let r = repr("float32", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
        let once = c.encode(ArrayBytes::Fixed(b), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let twice = c.encode(once.clone(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&once, &twice);
        let out = once.into_fixed().unwrap_or_default();
        for (x, c) in v.iter().zip(out.chunks_exact(4)) {
            let y = f32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
            if x.is_normal() && y.is_normal() {
                prop_assert!(((y - x) / x).abs() <= 2f32.powi(-(keep as i32)), "{x} -> {y}");
            }
        }
    }
}
