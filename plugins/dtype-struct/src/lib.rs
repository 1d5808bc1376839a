//! zarrkit plugin: the zarr-extensions `struct` data type (and the legacy `structured`), and
//! Zarr V2 structured (record) dtypes.
//!
//! # V3: `struct` (alias `structured`, the name read is written back)
//!
//! Configuration `{"fields": [{"name": "x", "data_type": <V3 data type metadata>}, ...]}`:
//! at least one field; names non-empty and unique (each nested struct has its own names);
//! each field object has exactly `name` and `data_type`; field types have a fixed size and
//! are resolved through the registry (any plugin's type: numeric, `numpy.datetime64`,
//! `raw_bytes`, ...). Nested structs are supported (a field whose `data_type` is `struct` or
//! `structured`), laid out inline, depth first. The legacy form of zarr-python 3.1
//! (`{"name": "structured", "configuration": {"fields": [["x", "int32"], ...]}}`) is read
//! under either name; the configuration is written back exactly as read.
//!
//! **Layout**: the fields packed in declaration order, no padding or alignment; the
//! element size is the sum of the field sizes (`{id: int32, flags: uint8, value: float64}` is
//! 13 bytes, offsets 0, 4, 5). In memory every field is in native byte order (as every
//! zarrkit data type); the `bytes` codec writes every multi-byte field in its one `endian`,
//! each swapped on its own (the spec: no per-field byte order in V3). Typed access:
//! `[u8; size]` records (element kind `RawBytes(size)`); `validate_elements` asks each field.
//!
//! **Fill value**: an object with every field (each in its own type's fill-value JSON,
//! nested objects for nested structs); a missing or unknown field is an error (the spec;
//! zarr-python is laxer and fills missing fields with defaults). The legacy form, a base64
//! string of the packed little-endian record (what zarr-python 3.1 writes), is read, and
//! never written: new metadata gets the object form.
//!
//! **Byte order and the `bytes` codec.** zarrkit-core's only byte-order capability is
//! `endianness_unit` (one unit for the whole element), which cannot describe a record of an
//! `int32` and a `float64`. This crate reports:
//! - no unit when no field has more than one byte;
//! - the common unit when every field is made of units of one size (`{f: float32, i: int32}`
//!   swaps each 4-byte unit: correct for both endians);
//! - otherwise the largest unit, so the `bytes` codec requires an explicit `endian` as the
//!   spec does; the `bytes` codec then asks for the byte ranges to swap through the core's
//!   `byte_swaps` capability ([`StructDataType::byte_swaps`]), so any record is stored
//!   correctly in either byte order.
//! - legacy `structured` on a little-endian host: no unit (zarr-python 3.1 writes `bytes`
//!   without `endian`, which the legacy README says to read as little-endian).
//!
//! # Zarr V2 structured dtypes
//!
//! A `.zarray` `dtype` that is a list (`[["a", "<i4"], ["b", "<f8", [2]], ["p", [["x",
//! ">f4"]]]]`) reaches this plugin's V2 hook as its compact JSON text (once the core keeps
//! list dtypes as text; core change "C1"). Each field dtype is resolved through the registry
//! (`data_type_from_v2`); nested records and subarray fields (`[name, dtype, shape]`) are
//! supported; unnamed fields (`""`, numpy's padding of records with explicit offsets) are
//! kept as fields. Not supported (the hook declines, so the core reports an unknown V2
//! dtype): field titles (`[["title", "name"], ...]`), object fields, malformed lists, records
//! over 2 GiB.
//!
//! Each field keeps its **declared byte order** (`<`, `>`, `|`): zarr-python 2 stores every
//! field in its own order inside the record, and writes the fill value as base64 of the raw
//! record (numpy's memory layout, each field in its declared order). Both are read and
//! written that way ([`DataTypeExtension::fill_value_from_json_v2`] /
//! [`DataTypeExtension::fill_value_to_json_v2`]).
//!
//! Mapping to V3 (`Array::to_v3`): the V3 configuration is the `struct` form of the record
//! (fields as V3 data types, in the same order and layout), the fill value its object form.
//! - One byte order for all multi-byte fields maps to `bytes` with that `endian` (the core
//!   finds it as the order whose [`DataTypeExtension::to_v2_dtype`] prints the dtype back:
//!   core change "C3"; today the V2 chain's `bytes` has no `endian` and the conversion is
//!   refused when it is bound).
//! - A record whose fields have **different byte orders** has no V3 form (the V3 `bytes`
//!   codec has one `endian` for all fields): its chain keeps `bytes` without `endian`, which
//!   a V3 `struct` refuses when the converted metadata is bound ("needs an explicit
//!   `endian` (a Zarr V2 record whose fields have different byte orders has no V3 form)").
//! - **Subarray fields** (V3 `struct` has none) are written with a `shape` member, which
//!   the V3 parser rejects naming the feature; **unnamed (padding) fields** keep their empty
//!   name, which the V3 parser rejects.
//!
//! With the current core, a V2 record whose multi-byte fields are all declared in the host's
//! byte order reads and writes through the V2 chain (`bytes` without `endian`: the record as
//! stored is the record in memory); others are refused with an error (the `bytes` codec
//! asks for an `endian`), never misread.
//!
//! # Other implementations
//!
//! - zarr-python 3.1.6 writes the legacy `structured` with `bytes` *without* `endian` and
//!   the record in numpy's memory order: for a big-endian numpy dtype it stores big-endian
//!   records under a configuration that says nothing, and reads them back as little-endian
//!   (garbled). zarrkit reads such a store as zarr-python 3.1.6 does (little-endian, as the
//!   legacy README says); the vector `v3/structured_be_dtype` records it.
//! - zarr-python fills fields missing from a fill-value object with defaults; zarrkit follows
//!   the spec (every field required). tensorstore rejects nested structs and configured
//!   field types; zarrkit supports both. zarrs has no struct type.
//! - zarr-python 2 writes `fill_value: 0` of a record as base64 of `np.array(0, dtype)`,
//!   which makes a `|S3` field `b"0"`: read as written.
//! - V3 → V2 (`Array::to_v2`) of a V3 struct: little-endian only (its V2 fill value is
//!   written little-endian; `to_v2_dtype('>')` declines), so a big-endian V3 struct is
//!   refused by the core's check with a clear error.
//!
//! Hostile input: sizes are checked (overflow, 2 GiB per record), the number of swap runs
//! is bounded, nesting depth is bounded by the JSON parser's recursion limit.

mod base64;

use std::sync::Arc;

use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::{self, Map, Value};

/// The V3 name.
pub const STRUCT: &str = "struct";
/// The legacy V3 name (zarr-python 3.1).
pub const STRUCTURED: &str = "structured";

/// The largest record (numpy's limit on an item size).
const MAX_RECORD_SIZE: usize = i32::MAX as usize;
/// The most byte-order runs a record may have.
const MAX_RUNS: usize = 1 << 16;

const NATIVE_ORDER: char = if cfg!(target_endian = "little") {
    '<'
} else {
    '>'
};

/// `count` consecutive units of `unit` bytes from `offset` of a record, each of which the
/// `bytes` codec reverses to change the byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SwapRun {
    /// Offset in the record.
    pub offset: usize,
    /// Unit size (> 1).
    pub unit: usize,
    /// Number of consecutive units.
    pub count: usize,
}

/// A run with the byte order its field was declared with (V2 records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    run: SwapRun,
    /// `<` or `>` for a field of a V2 record; `None` for V3.
    order: Option<char>,
}

#[derive(Debug, Clone)]
enum FieldType {
    /// Any other data type (through the registry).
    Scalar(DataType),
    /// A nested struct.
    Struct(Arc<StructDataType>),
}

/// One field of a struct.
#[derive(Debug, Clone)]
pub struct StructField {
    name: String,
    ty: FieldType,
    /// Subarray dimensions (Zarr V2 records only); empty for a scalar field.
    shape: Vec<u64>,
    /// Number of elements (product of `shape`).
    count: usize,
    /// Size of one element of the field's type.
    elem_size: usize,
    /// Offset in the record.
    offset: usize,
    /// The byte-order character of the field's V2 dtype (V2 records only).
    v2_order: Option<char>,
}

impl StructField {
    /// The field name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The byte offset in the record.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// The size in the record (all elements of a subarray field).
    pub fn size(&self) -> usize {
        self.elem_size * self.count
    }
    /// The subarray shape (empty for a scalar field).
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }
    /// The V3 name of the field's data type.
    pub fn data_type_name(&self) -> String {
        match &self.ty {
            FieldType::Scalar(d) => d.name(),
            FieldType::Struct(s) => s.name.to_string(),
        }
    }
}

/// The `struct` data type.
#[derive(Debug, Clone)]
pub struct StructDataType {
    name: &'static str,
    fields: Vec<StructField>,
    size: usize,
    runs: Vec<Run>,
    /// Made from a Zarr V2 dtype (fields keep their declared byte orders).
    from_v2: bool,
    configuration: Map<String, Value>,
}

/// Append a run, merged with the last one when contiguous with the same unit and order.
fn push_run(out: &mut Vec<Run>, r: Run) -> Result<(), String> {
    if let Some(last) = out.last_mut() {
        if last.order == r.order
            && last.run.unit == r.run.unit
            && last.run.offset + last.run.unit * last.run.count == r.run.offset
        {
            last.run.count += r.run.count;
            return Ok(());
        }
    }
    if out.len() >= MAX_RUNS {
        return Err(format!(
            "the record has more than {MAX_RUNS} byte-order runs"
        ));
    }
    out.push(r);
    Ok(())
}

fn field_runs(field: &StructField) -> Result<Vec<Run>, String> {
    let mut out: Vec<Run> = Vec::new();
    let push = push_run;
    match &field.ty {
        FieldType::Scalar(dt) => {
            if let Some(u) = dt.endianness_unit().filter(|&u| u > 1) {
                if !field.elem_size.is_multiple_of(u) {
                    return Err(format!(
                        "field `{}`: data type {} has a byte-order unit of {u} bytes that does not divide its size {}",
                        field.name,
                        dt.name(),
                        field.elem_size
                    ));
                }
                let order = field.v2_order.map(|c| {
                    if matches!(c, '<' | '>') {
                        c
                    } else {
                        NATIVE_ORDER
                    }
                });
                push(
                    &mut out,
                    Run {
                        run: SwapRun {
                            offset: field.offset,
                            unit: u,
                            count: field.size() / u,
                        },
                        order,
                    },
                )?;
            }
        }
        FieldType::Struct(s) => {
            for rep in 0..field.count {
                for r in &s.runs {
                    let mut r = *r;
                    r.run.offset += field.offset + rep * s.size;
                    push(&mut out, r)?;
                }
            }
        }
    }
    Ok(out)
}

impl StructDataType {
    fn build(
        name: &'static str,
        mut fields: Vec<StructField>,
        from_v2: bool,
        configuration: Map<String, Value>,
    ) -> Result<Self, String> {
        if fields.is_empty() {
            return Err("a struct needs at least one field".into());
        }
        let mut offset = 0usize;
        let mut runs = Vec::new();
        for f in &mut fields {
            f.offset = offset;
            let size = f
                .elem_size
                .checked_mul(f.count)
                .filter(|&s| s <= MAX_RECORD_SIZE)
                .ok_or_else(|| format!("field `{}` is too large", f.name))?;
            offset = offset
                .checked_add(size)
                .filter(|&s| s <= MAX_RECORD_SIZE)
                .ok_or("the record is larger than 2 GiB")?;
            for r in field_runs(f)? {
                push_run(&mut runs, r)?;
            }
        }
        Ok(Self {
            name,
            fields,
            size: offset,
            runs,
            from_v2,
            configuration,
        })
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[StructField] {
        &self.fields
    }

    /// The record size in bytes.
    pub fn record_size(&self) -> usize {
        self.size
    }

    /// Whether this type was made from a Zarr V2 record dtype.
    pub fn is_from_v2(&self) -> bool {
        self.from_v2
    }

    /// The byte-order runs of the record (every multi-byte unit of every field).
    pub fn swap_runs(&self) -> Vec<SwapRun> {
        self.runs.iter().map(|r| r.run).collect()
    }

    /// Whether every byte of the record belongs to a byte-order unit of one size (or no field
    /// has more than one byte): then the core's `bytes` codec, which swaps
    /// `endianness_unit` groups, encodes the record correctly in both byte orders. Otherwise
    /// only the host's byte order is right until the core uses [`Self::byte_swaps`].
    pub fn is_uniform(&self) -> bool {
        let Some(max) = self.runs.iter().map(|r| r.run.unit).max() else {
            return true;
        };
        let covered: usize = self.runs.iter().map(|r| r.run.unit * r.run.count).sum();
        self.runs.iter().all(|r| r.run.unit == max) && covered == self.size
    }

    /// Whether this V2 record has multi-byte fields declared in both byte orders.
    pub fn has_mixed_byte_order(&self) -> bool {
        let mut orders = self.runs.iter().filter_map(|r| r.order);
        match orders.next() {
            Some(first) => orders.any(|o| o != first),
            None => false,
        }
    }

    /// **The byte-order capability the `bytes` codec needs** (not yet in zarrkit-core): the
    /// runs of each record to reverse between memory (native order) and the encoding of a
    /// `bytes` codec whose `endian` is `little` (`Some(true)`), `big` (`Some(false)`) or
    /// absent (`None`). An empty list: the encoding is the memory layout.
    /// - An explicit `endian`: every multi-byte field in that order.
    /// - No `endian`: a V2 record keeps each field in its declared order (the V2 chain); the
    ///   legacy `structured` is little-endian (its README); a `struct` with multi-byte
    ///   fields is an error, as the spec requires an `endian`.
    pub fn byte_swaps(&self, little: Option<bool>) -> Result<Vec<SwapRun>, String> {
        let host_little = cfg!(target_endian = "little");
        let all = || self.runs.iter().map(|r| r.run).collect::<Vec<_>>();
        match little {
            Some(l) if l == host_little => Ok(Vec::new()),
            Some(_) => Ok(all()),
            None if self.runs.is_empty() => Ok(Vec::new()),
            None if self.from_v2 => Ok(self
                .runs
                .iter()
                .filter(|r| r.order.is_some_and(|o| o != NATIVE_ORDER))
                .map(|r| r.run)
                .collect()),
            None if self.name == STRUCTURED => Ok(if host_little { Vec::new() } else { all() }),
            None => Err(format!(
                "data type {} has multi-byte fields: the `bytes` codec needs an explicit `endian` (a Zarr V2 record whose fields have different byte orders has no V3 form)",
                self.name
            )),
        }
    }

    /// Reverse the given runs of every record of `bytes` (a whole number of records).
    pub fn swap_records(&self, bytes: &mut [u8], runs: &[SwapRun]) {
        if runs.is_empty() || self.size == 0 {
            return;
        }
        for rec in bytes.chunks_exact_mut(self.size) {
            for r in runs {
                let end = r.offset + r.unit * r.count;
                if let Some(s) = rec.get_mut(r.offset..end) {
                    s.chunks_exact_mut(r.unit).for_each(<[u8]>::reverse);
                }
            }
        }
    }

    /// Runs of a V2-encoded record (fields in their declared orders; little-endian for a
    /// V3 type) to reverse to get memory.
    fn v2_runs(&self) -> Vec<SwapRun> {
        self.runs
            .iter()
            .filter(|r| r.order.unwrap_or('<') != NATIVE_ORDER)
            .map(|r| r.run)
            .collect()
    }

    fn err(&self, json: &Value, reason: impl Into<String>) -> FillValueError {
        FillValueError::new(self.name, json, reason)
    }

    /// A field value (or subarray of values) as JSON → bytes.
    fn field_from_json(f: &StructField, v: &Value) -> Result<Vec<u8>, String> {
        let one = |v: &Value| -> Result<Vec<u8>, String> {
            let b = match &f.ty {
                FieldType::Scalar(dt) => dt
                    .fill_value_from_json(v)
                    .map_err(|e| e.reason)?
                    .as_bytes()
                    .to_vec(),
                FieldType::Struct(s) => s
                    .fill_value_from_json(v)
                    .map_err(|e| e.reason)?
                    .as_bytes()
                    .to_vec(),
            };
            if b.len() != f.elem_size {
                return Err(format!("{} bytes, expected {}", b.len(), f.elem_size));
            }
            Ok(b)
        };
        if f.shape.is_empty() {
            return one(v);
        }
        // A subarray field: nested lists of the subarray's shape.
        fn flatten<'a>(
            v: &'a Value,
            shape: &[u64],
            out: &mut Vec<&'a Value>,
        ) -> Result<(), String> {
            match shape.split_first() {
                None => {
                    out.push(v);
                    Ok(())
                }
                Some((&n, rest)) => match v {
                    Value::Array(a) if a.len() as u64 == n => {
                        a.iter().try_for_each(|x| flatten(x, rest, out))
                    }
                    _ => Err(format!("expected a list of {n} values")),
                },
            }
        }
        let mut values = Vec::new();
        flatten(v, &f.shape, &mut values)?;
        let mut out = Vec::new();
        for x in values {
            out.extend(one(x)?);
        }
        Ok(out)
    }

    fn field_to_json(f: &StructField, bytes: &[u8]) -> Result<Value, String> {
        let one = |b: &[u8]| -> Result<Value, String> {
            let fv = FillValue::new(b.to_vec());
            match &f.ty {
                FieldType::Scalar(dt) => dt.fill_value_to_json(&fv).map_err(|e| e.reason),
                FieldType::Struct(s) => s.fill_value_to_json(&fv).map_err(|e| e.reason),
            }
        };
        if f.shape.is_empty() {
            return one(bytes);
        }
        fn nest(
            chunks: &mut std::slice::ChunksExact<'_, u8>,
            shape: &[u64],
            one: &dyn Fn(&[u8]) -> Result<Value, String>,
        ) -> Result<Value, String> {
            match shape.split_first() {
                None => one(chunks.next().ok_or("short subarray")?),
                Some((&n, rest)) => (0..n)
                    .map(|_| nest(chunks, rest, one))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array),
            }
        }
        if f.elem_size == 0 {
            return Ok(Value::Array(Vec::new()));
        }
        nest(&mut bytes.chunks_exact(f.elem_size), &f.shape, &one)
    }

    fn v2_value(&self, c: char) -> Option<Value> {
        let mut list = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            let dtype = match &f.ty {
                FieldType::Struct(s) => s.v2_value(c)?,
                FieldType::Scalar(dt) => {
                    let order = match c {
                        '<' | '>' => c,
                        _ => f.v2_order.unwrap_or('<'),
                    };
                    Value::String(dt.to_v2_dtype(order)?)
                }
            };
            let mut entry = vec![Value::String(f.name.clone()), dtype];
            if !f.shape.is_empty() {
                entry.push(Value::from(f.shape.clone()));
            }
            list.push(Value::Array(entry));
        }
        Some(Value::Array(list))
    }
}

impl DataTypeExtension for StructDataType {
    fn name(&self) -> String {
        self.name.to_string()
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(self.configuration.clone())
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Fixed(self.size)
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        match json {
            Value::Object(m) => {
                if let Some(k) = m
                    .keys()
                    .find(|k| !self.fields.iter().any(|f| &f.name == *k))
                {
                    return Err(self.err(json, format!("no field named {k:?}")));
                }
                let mut out = Vec::with_capacity(self.size);
                for f in &self.fields {
                    let v = m.get(&f.name).ok_or_else(|| {
                        self.err(
                            json,
                            format!("missing field {:?} (every field needs a value)", f.name),
                        )
                    })?;
                    out.extend(
                        Self::field_from_json(f, v)
                            .map_err(|e| self.err(json, format!("field {:?}: {e}", f.name)))?,
                    );
                }
                Ok(FillValue::new(out))
            }
            // The legacy form: base64 of the packed little-endian record (read, never written).
            Value::String(s) => {
                let mut b = base64::decode(s).map_err(|e| self.err(json, e))?;
                if b.len() != self.size {
                    return Err(self.err(
                        json,
                        format!(
                            "the base64 value has {} bytes, the record {}",
                            b.len(),
                            self.size
                        ),
                    ));
                }
                if cfg!(target_endian = "big") {
                    let runs = self.swap_runs();
                    self.swap_records(&mut b, &runs);
                }
                Ok(FillValue::new(b))
            }
            _ => Err(self.err(
                json,
                "expected an object with a value for every field (or the legacy base64 string)",
            )),
        }
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        let b = fill_value.as_bytes();
        if b.len() != self.size {
            return Err(self.err(
                &Value::Null,
                format!("fill value has {} bytes, the record {}", b.len(), self.size),
            ));
        }
        let mut m = Map::new();
        for f in &self.fields {
            let part = b
                .get(f.offset..f.offset + f.size())
                .ok_or_else(|| self.err(&Value::Null, "field outside the record"))?;
            let v = Self::field_to_json(f, part)
                .map_err(|e| self.err(&Value::Null, format!("field {:?}: {e}", f.name)))?;
            m.insert(f.name.clone(), v);
        }
        Ok(Value::Object(m))
    }

    fn byte_swaps(
        &self,
        little: Option<bool>,
    ) -> Option<Result<Vec<(usize, usize, usize)>, String>> {
        Some(
            StructDataType::byte_swaps(self, little)
                .map(|v| v.into_iter().map(|r| (r.offset, r.unit, r.count)).collect()),
        )
    }

    fn endianness_unit(&self) -> Option<usize> {
        let max = self.runs.iter().map(|r| r.run.unit).max()?;
        if self.from_v2 {
            // Bound to the V2 chain's `bytes` without `endian`: no unit when every field is
            // declared in the host's order (stored = memory); otherwise the codec must be
            // told, which it cannot be yet: an error, never a misread.
            if self.runs.iter().all(|r| r.order == Some(NATIVE_ORDER)) {
                return None;
            }
            return Some(max);
        }
        if self.name == STRUCTURED && cfg!(target_endian = "little") {
            return None;
        }
        // Exact when every byte of the record belongs to a unit of this one size; otherwise
        // it only makes `endian` required (see the crate documentation).
        Some(max)
    }

    fn element_kind(&self) -> Option<ElementKind> {
        Some(ElementKind::RawBytes(self.size))
    }

    fn fill_value_from_json_v2(&self, json: &Value) -> Result<FillValue, FillValueError> {
        match json {
            // zarr-python 2: base64 of the raw record, each field in its declared order.
            Value::String(s) => {
                let mut b = base64::decode(s).map_err(|e| self.err(json, e))?;
                if b.len() != self.size {
                    return Err(self.err(
                        json,
                        format!(
                            "the base64 value has {} bytes, the record {}",
                            b.len(),
                            self.size
                        ),
                    ));
                }
                let runs = self.v2_runs();
                self.swap_records(&mut b, &runs);
                Ok(FillValue::new(b))
            }
            other => self.fill_value_from_json(other),
        }
    }

    fn fill_value_to_json_v2(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        let mut b = fill_value.as_bytes().to_vec();
        if b.len() != self.size {
            return Err(self.err(
                &Value::Null,
                format!("fill value has {} bytes, the record {}", b.len(), self.size),
            ));
        }
        let runs = self.v2_runs();
        self.swap_records(&mut b, &runs);
        Ok(Value::String(base64::encode(&b)))
    }

    /// The V2 record dtype (compact JSON text) with every multi-byte field in `byte_order`
    /// (`|`: a V2 record's declared orders; little-endian for a V3 struct). A V3 struct with
    /// multi-byte fields has none for `>`: its V2 fill value is written little-endian.
    fn to_v2_dtype(&self, byte_order: char) -> Option<String> {
        if !self.from_v2 && byte_order == '>' && !self.runs.is_empty() {
            return None;
        }
        serde_json::to_string(&self.v2_value(byte_order)?).ok()
    }

    fn validate_elements(&self, bytes: &[u8]) -> Result<(), String> {
        if self.size == 0 {
            return Ok(());
        }
        for (i, rec) in bytes.chunks_exact(self.size).enumerate() {
            for f in &self.fields {
                let part = rec.get(f.offset..f.offset + f.size()).unwrap_or_default();
                let r = match &f.ty {
                    FieldType::Scalar(dt) => dt.validate_elements(part),
                    FieldType::Struct(s) => s.validate_elements(part),
                };
                r.map_err(|e| format!("record {i}, field {:?}: {e}", f.name))?;
            }
        }
        Ok(())
    }
}

// ----- V3 metadata -----

fn is_struct_name(name: &str) -> Option<&'static str> {
    match name {
        STRUCT => Some(STRUCT),
        STRUCTURED => Some(STRUCTURED),
        _ => None,
    }
}

fn parse_v3(
    name: &'static str,
    conf: Option<&Map<String, Value>>,
) -> Result<StructDataType, String> {
    let conf = conf.ok_or("missing configuration (it needs `fields`)")?;
    if let Some(k) = conf.keys().find(|k| k.as_str() != "fields") {
        return Err(format!("unknown configuration member `{k}`"));
    }
    let list = match conf.get("fields") {
        Some(Value::Array(a)) => a,
        Some(other) => return Err(format!("`fields` must be an array, got {other}")),
        None => return Err("missing `fields`".into()),
    };
    let mut fields: Vec<StructField> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let (fname, dt_json) = match item {
            Value::Object(m) => {
                for k in m.keys() {
                    match k.as_str() {
                        "name" | "data_type" => {}
                        "shape" => {
                            return Err(format!(
                                "fields[{i}]: `shape`: subarray fields (from a Zarr V2 record dtype) have no Zarr V3 form"
                            ))
                        }
                        other => return Err(format!("fields[{i}]: unknown member `{other}`")),
                    }
                }
                (m.get("name"), m.get("data_type"))
            }
            // The legacy `structured` form: [name, data_type].
            Value::Array(a) if a.len() == 2 => (a.first(), a.get(1)),
            Value::Array(a) if a.len() == 3 => {
                return Err(format!(
                    "fields[{i}]: subarray fields (from a Zarr V2 record dtype) have no Zarr V3 form (got {})",
                    Value::Array(a.clone())
                ))
            }
            other => {
                return Err(format!(
                    "fields[{i}] must be an object {{\"name\", \"data_type\"}}, got {other}"
                ))
            }
        };
        let fname = match fname {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::String(_)) => {
                return Err(format!(
                    "fields[{i}]: field names must be non-empty (an unnamed padding field of a Zarr V2 record has no Zarr V3 form)"
                ))
            }
            Some(other) => return Err(format!("fields[{i}]: `name` must be a string, got {other}")),
            None => return Err(format!("fields[{i}]: missing `name`")),
        };
        if fields.iter().any(|f| f.name == fname) {
            return Err(format!("fields[{i}]: duplicate field name {fname:?}"));
        }
        let dt_json = dt_json.ok_or_else(|| format!("field {fname:?}: missing `data_type`"))?;
        let meta: MetadataV3 = serde_json::from_value(dt_json.clone())
            .map_err(|e| format!("field {fname:?}: `data_type`: {e}"))?;
        let (ty, elem_size) = match is_struct_name(meta.name()) {
            Some(n) => {
                let s = parse_v3(n, meta.configuration())
                    .map_err(|e| format!("field {fname:?} (a nested {n}): {e}"))?;
                let size = s.size;
                (FieldType::Struct(Arc::new(s)), size)
            }
            None => {
                let dt = zarrkit_core::registry::create_data_type(&meta)
                    .map_err(|e| format!("field {fname:?}: {e}"))?;
                let size = dt.size().fixed().ok_or_else(|| {
                    format!(
                        "field {fname:?}: data type {} has a variable size (struct fields must have a fixed size)",
                        dt.name()
                    )
                })?;
                (FieldType::Scalar(dt), size)
            }
        };
        fields.push(StructField {
            name: fname,
            ty,
            shape: Vec::new(),
            count: 1,
            elem_size,
            offset: 0,
            v2_order: None,
        });
    }
    StructDataType::build(name, fields, false, conf.clone())
}

/// Parse a V3 configuration of the type named `name` (`struct` or `structured`).
pub fn parse_configuration(name: &str, configuration: &Value) -> Result<StructDataType, String> {
    let name = is_struct_name(name).ok_or_else(|| format!("{name:?} is not a struct type"))?;
    parse_v3(name, configuration.as_object())
}

fn create(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    let name = is_struct_name(metadata.name()).unwrap_or(STRUCT);
    parse_v3(name, metadata.configuration())
        .map(|s| Arc::new(s) as DataType)
        .map_err(|e| PluginError::config(ExtensionKind::DataType, metadata.name(), e))
}

// ----- Zarr V2 -----

/// The V3 `data_type` JSON of a field type.
fn v3_json_of(ty: &FieldType) -> Value {
    match ty {
        FieldType::Struct(s) => {
            let mut m = Map::new();
            m.insert("name".into(), Value::String(s.name.into()));
            m.insert(
                "configuration".into(),
                Value::Object(s.configuration.clone()),
            );
            Value::Object(m)
        }
        FieldType::Scalar(dt) => match dt.configuration() {
            Some(c) if !c.is_empty() => {
                let mut m = Map::new();
                m.insert("name".into(), Value::String(dt.name()));
                m.insert("configuration".into(), Value::Object(c));
                Value::Object(m)
            }
            _ => Value::String(dt.name()),
        },
    }
}

/// A struct from a parsed V2 record dtype (`[[name, dtype(, shape)], ...]`).
pub fn from_v2_value(v: &Value) -> Result<StructDataType, String> {
    let Value::Array(list) = v else {
        return Err("a record dtype is a list of fields".into());
    };
    let mut fields: Vec<StructField> = Vec::with_capacity(list.len());
    let mut v3_fields = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let Value::Array(entry) = item else {
            return Err(format!(
                "[{i}]: a field is [name, dtype] or [name, dtype, shape]"
            ));
        };
        let (fname, dtype, shape) = match entry.as_slice() {
            [n, d] => (n, d, None),
            [n, d, s] => (n, d, Some(s)),
            _ => {
                return Err(format!(
                    "[{i}]: a field is [name, dtype] or [name, dtype, shape]"
                ))
            }
        };
        let Value::String(fname) = fname else {
            return Err(format!(
                "[{i}]: field titles are not supported (name {fname})"
            ));
        };
        if !fname.is_empty() && fields.iter().any(|f| &f.name == fname) {
            return Err(format!("[{i}]: duplicate field name {fname:?}"));
        }
        let shape: Vec<u64> = match shape {
            None => Vec::new(),
            Some(Value::Array(s)) => s
                .iter()
                .map(|x| {
                    x.as_u64()
                        .ok_or_else(|| format!("[{i}]: bad subarray shape"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(format!("[{i}]: the subarray shape must be a list")),
        };
        let count = shape
            .iter()
            .try_fold(1u64, |a, &b| a.checked_mul(b))
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n <= MAX_RECORD_SIZE)
            .ok_or_else(|| format!("[{i}]: subarray shape {shape:?} is too large"))?;
        let (ty, elem_size, v2_order) = match dtype {
            Value::String(s) => {
                let dt = zarrkit_core::registry::data_type_from_v2(s)
                    .map_err(|e| format!("field {fname:?}: {e}"))?;
                let size = dt
                    .size()
                    .fixed()
                    .ok_or_else(|| format!("field {fname:?}: {s} has a variable size"))?;
                let order = s
                    .chars()
                    .next()
                    .filter(|c| matches!(c, '<' | '>' | '|' | '='));
                (FieldType::Scalar(dt), size, order)
            }
            nested @ Value::Array(_) => {
                let s = from_v2_value(nested).map_err(|e| format!("field {fname:?}: {e}"))?;
                let size = s.size;
                (FieldType::Struct(Arc::new(s)), size, None)
            }
            other => return Err(format!("field {fname:?}: bad dtype {other}")),
        };
        let mut fm = Map::new();
        fm.insert("name".into(), Value::String(fname.clone()));
        fm.insert("data_type".into(), v3_json_of(&ty));
        if !shape.is_empty() {
            // Faithful, and refused by the V3 parser: V3 structs have no subarray fields.
            fm.insert("shape".into(), Value::from(shape.clone()));
        }
        v3_fields.push(Value::Object(fm));
        fields.push(StructField {
            name: fname.clone(),
            ty,
            shape,
            count,
            elem_size,
            offset: 0,
            v2_order,
        });
    }
    let mut conf = Map::new();
    conf.insert("fields".into(), Value::Array(v3_fields));
    StructDataType::build(STRUCT, fields, true, conf)
}

fn from_v2(dtype: &str) -> Option<DataType> {
    if !dtype.trim_start().starts_with('[') {
        return None;
    }
    let v: Value = serde_json::from_str(dtype).ok()?;
    from_v2_value(&v).ok().map(|s| Arc::new(s) as DataType)
}

zarrkit_core::inventory::submit! {
    DataTypePlugin::new(STRUCT, create)
        .with_aliases(&[STRUCTURED])
        .with_from_v2(from_v2)
}

#[cfg(test)]
mod tests;
