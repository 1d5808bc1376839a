use super::*;
use zarrkit_core::registry::{create_data_type, data_type_from_v2_object_codec};
use zarrkit_core::serde_json::{self as serde_json, json};
use zarrkit_dtype_numeric as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn md(v: Value) -> Result<MetadataV3, Box<dyn std::error::Error>> {
    Ok(serde_json::from_value(v)?)
}

#[test]
fn resolves_by_name_and_v2_object_codec() -> R {
    let d = data_type_from_v2_object_codec("vlen-array")?;
    assert_eq!(d.name(), NAME);
    assert_eq!(d.configuration(), None);
    assert_eq!(d.size(), DataTypeSize::Variable);
    assert_eq!(d.to_v2_dtype('|').as_deref(), Some("|O"));
    let typed = create_data_type(&md(
        json!({"name": NAME, "configuration": {"data_type": "int32"}}),
    )?)?;
    assert_eq!(
        typed.configuration(),
        json!({"data_type": "int32"}).as_object().cloned()
    );
    for bad in [
        json!({"name": NAME, "configuration": {"data_type": "string"}}),
        json!({"name": NAME, "configuration": {"data_type": "nope"}}),
        json!({"name": NAME, "configuration": {"data_type": 3}}),
        json!({"name": NAME, "configuration": {"dtype": "<i4"}}),
    ] {
        assert!(create_data_type(&md(bad.clone())?).is_err(), "{bad}");
    }
    Ok(())
}

#[test]
fn fill_values() -> R {
    let t = create_data_type(&md(
        json!({"name": NAME, "configuration": {"data_type": "int16"}}),
    )?)?;
    let f = t.fill_value_from_json(&json!([1, -2, 300]))?;
    assert_eq!(f.as_bytes(), &[1, 0, 0xfe, 0xff, 0x2c, 0x01]);
    assert_eq!(t.fill_value_to_json(&f)?, json!([1, -2, 300]));
    assert_eq!(
        t.fill_value_to_json(&t.fill_value_from_json(&json!([]))?)?,
        json!([])
    );
    assert!(t.fill_value_from_json(&json!([1.5])).is_err());
    assert!(t.fill_value_from_json(&json!(1)).is_err());
    assert!(t.fill_value_to_json(&FillValue::new(vec![1])).is_err());
    let u = VlenArrayDataType::untyped();
    assert_eq!(u.fill_value_from_json(&json!([]))?.as_bytes(), b"");
    assert!(u.fill_value_from_json(&json!([1])).is_err());
    assert!(u.fill_value_to_json(&FillValue::new(vec![1])).is_err());
    let f = create_data_type(&md(
        json!({"name": NAME, "configuration": {"data_type": "float64"}}),
    )?)?;
    let nan = f.fill_value_from_json(&json!(["NaN", 1.5]))?;
    assert_eq!(f.fill_value_to_json(&nan)?, json!(["NaN", 1.5]));
    Ok(())
}

#[test]
fn validates_elements() -> R {
    let b = create_data_type(&md(
        json!({"name": NAME, "configuration": {"data_type": "bool"}}),
    )?)?;
    assert!(b.validate_elements(&[0, 1, 1]).is_ok());
    assert!(b.validate_elements(&[0, 2]).is_err());
    let i = create_data_type(&md(
        json!({"name": NAME, "configuration": {"data_type": "int32"}}),
    )?)?;
    assert!(i.validate_elements(&[0; 8]).is_ok());
    assert!(i.validate_elements(&[0; 7]).is_err());
    Ok(())
}

#[test]
fn ragged_conversions() -> R {
    let r = Ragged(vec![vec![1i32, -2, 3], vec![], vec![i32::MAX]]);
    let b = r.to_array_bytes();
    assert_eq!(
        b,
        ArrayBytes::Variable {
            bytes: [1i32, -2, 3, i32::MAX]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
            offsets: vec![0, 12, 12, 16]
        }
    );
    assert_eq!(Ragged::<i32>::from_array_bytes(&b)?, r);
    // Not a whole number of i32s.
    assert!(
        Ragged::<i32>::from_array_bytes(&ArrayBytes::from_byte_strings(&[&[1u8, 2, 3][..]]))
            .is_err()
    );
    assert!(Ragged::<i32>::from_array_bytes(&ArrayBytes::Fixed(vec![0; 4])).is_err());
    // Typed access checks a configured element type, and the data type.
    let typed = create_data_type(&md(
        json!({"name": NAME, "configuration": {"data_type": "int32"}}),
    )?)?;
    assert!(<Ragged<i32> as ArrayOutput>::kind(&typed).is_ok());
    assert!(<Ragged<f32> as ArrayOutput>::kind(&typed).is_err());
    assert!(<Ragged<u32> as ArrayOutput>::kind(&typed).is_err());
    let untyped: DataType = Arc::new(VlenArrayDataType::untyped());
    assert!(<Ragged<f64> as ArrayOutput>::kind(&untyped).is_ok());
    let other = zarrkit_core::registry::data_type_by_name("int32")?;
    assert!(<Ragged<i32> as ArrayOutput>::kind(&other).is_err());
    assert!(r.input_bytes(&other).is_err());
    assert!(r.input_bytes(&typed).is_ok());
    Ok(())
}
