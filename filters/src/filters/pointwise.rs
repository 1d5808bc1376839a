//! Element-wise filters: reencode, crop, rescale, clamp, equal, replace_value.

use num_traits::AsPrimitive;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zarrkit_core::{Array, ArraySubset, DataType};

use super::{check_rank, map_chunks, Context, DynStore, Filter};
use crate::numeric::{Buf, NumericType, Prim};
use crate::FilterError;

/// Copy the input into the output (another encoding, and with another data type: each
/// element cast with `as`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reencode {}

#[typetag::serde(name = "reencode")]
impl Filter for Reencode {
    fn name(&self) -> &'static str {
        "reencode"
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let out_ty = NumericType::of_checked(output.data_type())?;
        map_chunks(
            input,
            output,
            ctx,
            |s| Ok(s.clone()),
            |b, _, _| Ok(b.cast(out_ty)),
        )
    }
}

/// A box of the input: `offset` and `shape` per dimension.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    /// The first element of the box.
    pub offset: Vec<u64>,
    /// The box's shape (the output shape).
    pub shape: Vec<u64>,
}

#[typetag::serde(name = "crop")]
impl Filter for Crop {
    fn name(&self) -> &'static str {
        "crop"
    }
    fn output_shape(&self, input_shape: &[u64]) -> Result<Vec<u64>, FilterError> {
        check_rank("crop offset", &self.offset, input_shape.len())?;
        check_rank("crop shape", &self.shape, input_shape.len())?;
        for (d, ((o, s), n)) in self
            .offset
            .iter()
            .zip(&self.shape)
            .zip(input_shape)
            .enumerate()
        {
            if o.checked_add(*s).is_none_or(|e| e > *n) {
                return Err(FilterError::InvalidParameter(format!(
                    "crop offset {o} + shape {s} exceeds the extent {n} of dimension {d}"
                )));
            }
        }
        Ok(self.shape.clone())
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let out_ty = NumericType::of_checked(output.data_type())?;
        map_chunks(
            input,
            output,
            ctx,
            |s| Ok(s.offset_by(&self.offset)),
            |b, _, _| Ok(b.cast(out_ty)),
        )
    }
}

/// `x * multiply + add` (one `f64` fused multiply-add), or `(x + add) * multiply` with
/// `add_first`, computed in `f64`, then cast to the output type with `as`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rescale {
    /// The multiplier.
    pub multiply: f64,
    /// The addend.
    pub add: f64,
    /// Add before multiplying.
    #[serde(default)]
    pub add_first: bool,
}

impl Rescale {
    /// The function applied to each element.
    pub fn apply_value(&self, v: f64) -> f64 {
        if self.add_first {
            (v + self.add) * self.multiply
        } else {
            v.mul_add(self.multiply, self.add)
        }
    }
}

#[typetag::serde(name = "rescale")]
impl Filter for Rescale {
    fn name(&self) -> &'static str {
        "rescale"
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let out_ty = NumericType::of_checked(output.data_type())?;
        map_chunks(
            input,
            output,
            ctx,
            |s| Ok(s.clone()),
            |b, _, _| {
                let v: Vec<f64> = b
                    .to_f64()
                    .into_iter()
                    .map(|v| self.apply_value(v))
                    .collect();
                Ok(Buf::from_f64(out_ty, &v))
            },
        )
    }
}

/// Clamp to `[min, max]` in the input type (`min` and `max` cast to it with `as`), then cast
/// to the output type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clamp {
    /// The minimum.
    pub min: f64,
    /// The maximum.
    pub max: f64,
}

fn clamp_vec<T: Prim>(v: &mut [T], min: f64, max: f64)
where
    f64: AsPrimitive<T>,
{
    let lo: T = min.as_();
    let hi: T = max.as_();
    for x in v {
        if *x < lo {
            *x = lo;
        } else if *x > hi {
            *x = hi;
        }
    }
}

impl Clamp {
    /// Clamp a buffer in place.
    pub fn apply_buf(&self, b: &mut Buf) {
        crate::with_buf!(b, v => clamp_vec(v, self.min, self.max))
    }
}

#[typetag::serde(name = "clamp")]
impl Filter for Clamp {
    fn name(&self) -> &'static str {
        "clamp"
    }
    fn check(&self, _: &[u64], _: NumericType, _: NumericType) -> Result<(), FilterError> {
        if self.min.is_nan() || self.max.is_nan() || self.min > self.max {
            return Err(FilterError::InvalidParameter(format!(
                "clamp min {} must not be greater than max {}",
                self.min, self.max
            )));
        }
        Ok(())
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let out_ty = NumericType::of_checked(output.data_type())?;
        map_chunks(
            input,
            output,
            ctx,
            |s| Ok(s.clone()),
            |mut b, _, _| {
                self.apply_buf(&mut b);
                Ok(b.cast(out_ty))
            },
        )
    }
}

/// Parse a value given as a fill value of a data type (V3 JSON: numbers, `"NaN"`,
/// `"Infinity"`, hex bit patterns, booleans) into one element.
pub(crate) fn parse_value(
    data_type: &DataType,
    value: &Value,
    what: &str,
) -> Result<Buf, FilterError> {
    let ty = NumericType::of_checked(data_type)?;
    let fv = data_type.fill_value_from_json(value).map_err(|e| {
        FilterError::InvalidParameter(format!("{what} {value} for {}: {e}", data_type.name()))
    })?;
    Buf::from_fill_value(ty, &fv)
}

fn eq_mask<T: Prim>(v: &[T], s: &[T]) -> Vec<bool> {
    match s.first() {
        Some(s) => v.iter().map(|x| x == s).collect(),
        None => vec![false; v.len()],
    }
}

/// Which elements equal the one element of `scalar` (typed `==`: NaN equals nothing,
/// -0 equals 0).
pub(crate) fn mask_equal(b: &Buf, scalar: &Buf) -> Result<Vec<bool>, FilterError> {
    Ok(match (b, scalar) {
        (Buf::Bool(v), Buf::Bool(s)) => eq_mask(v, s),
        (Buf::Int8(v), Buf::Int8(s)) => eq_mask(v, s),
        (Buf::Int16(v), Buf::Int16(s)) => eq_mask(v, s),
        (Buf::Int32(v), Buf::Int32(s)) => eq_mask(v, s),
        (Buf::Int64(v), Buf::Int64(s)) => eq_mask(v, s),
        (Buf::UInt8(v), Buf::UInt8(s)) => eq_mask(v, s),
        (Buf::UInt16(v), Buf::UInt16(s)) => eq_mask(v, s),
        (Buf::UInt32(v), Buf::UInt32(s)) => eq_mask(v, s),
        (Buf::UInt64(v), Buf::UInt64(s)) => eq_mask(v, s),
        (Buf::Float16(v), Buf::Float16(s)) => eq_mask(v, s),
        (Buf::BFloat16(v), Buf::BFloat16(s)) => eq_mask(v, s),
        (Buf::Float32(v), Buf::Float32(s)) => eq_mask(v, s),
        (Buf::Float64(v), Buf::Float64(s)) => eq_mask(v, s),
        _ => {
            return Err(FilterError::Other(format!(
                "internal: comparing {} with {}",
                b.numeric_type().name(),
                scalar.numeric_type().name()
            )))
        }
    })
}

/// A binary image: `true` (or 1) where the input equals `value` (given as a fill value of the
/// input's data type). The output is `bool` (fill `false`) unless the encoding says `uint8`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equal {
    /// The value to compare with.
    pub value: Value,
}

#[typetag::serde(name = "equal")]
impl Filter for Equal {
    fn name(&self) -> &'static str {
        "equal"
    }
    fn output_data_type(&self, _input: NumericType) -> Option<(NumericType, Value)> {
        Some((NumericType::Bool, Value::Bool(false)))
    }
    fn check(&self, _: &[u64], _: NumericType, output: NumericType) -> Result<(), FilterError> {
        match output {
            NumericType::Bool | NumericType::UInt8 => Ok(()),
            t => Err(FilterError::UnsupportedDataType(format!(
                "{} (equal writes bool or uint8)",
                t.name()
            ))),
        }
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let out_ty = NumericType::of_checked(output.data_type())?;
        let value = parse_value(input.data_type(), &self.value, "equal value")?;
        map_chunks(
            input,
            output,
            ctx,
            |s| Ok(s.clone()),
            |b, _, _| {
                let m: Vec<u8> = mask_equal(&b, &value)?.into_iter().map(u8::from).collect();
                Ok(match out_ty {
                    NumericType::Bool => Buf::Bool(m),
                    _ => Buf::UInt8(m),
                })
            },
        )
    }
}

/// Replace `value` (a fill value of the input's data type) with `replace` (a fill value of
/// the output's data type); every other element is cast with `as`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceValue {
    /// The value to replace.
    pub value: Value,
    /// Its replacement.
    pub replace: Value,
}

/// Overwrite element `i` of `out` with the one element of `with` where `mask[i]`.
pub(crate) fn put_where(out: &mut Buf, mask: &[bool], with: &Buf) -> Result<(), FilterError> {
    let size = with.numeric_type().size();
    let w = with.as_bytes().to_vec();
    if out.numeric_type() != with.numeric_type() || w.len() != size {
        return Err(FilterError::Other(
            "internal: replacement of another type".into(),
        ));
    }
    let bytes = out.as_bytes_mut();
    for (i, _) in mask.iter().enumerate().filter(|(_, m)| **m) {
        if let Some(dst) = bytes.get_mut(i * size..(i + 1) * size) {
            dst.copy_from_slice(&w);
        }
    }
    Ok(())
}

#[typetag::serde(name = "replace_value")]
impl Filter for ReplaceValue {
    fn name(&self) -> &'static str {
        "replace_value"
    }
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError> {
        let out_ty = NumericType::of_checked(output.data_type())?;
        let value = parse_value(input.data_type(), &self.value, "replace_value value")?;
        let replace = parse_value(output.data_type(), &self.replace, "replace_value replace")?;
        map_chunks(
            input,
            output,
            ctx,
            |s: &ArraySubset| Ok(s.clone()),
            |b, _, _| {
                let mask = mask_equal(&b, &value)?;
                let mut out = b.cast(out_ty);
                put_where(&mut out, &mask, &replace)?;
                Ok(out)
            },
        )
    }
}
