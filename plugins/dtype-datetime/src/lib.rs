//! zarrkit plugin: the `numpy.datetime64` and `numpy.timedelta64` data types, as zarr-python 3
//! writes them.
//!
//! - V3: `{"name": "numpy.datetime64", "configuration": {"unit": "ms", "scale_factor": 10}}`
//!   (likewise `numpy.timedelta64`). `unit` is one of NumPy's: `Y M W D h m s ms us μs ns ps
//!   fs as generic`; `scale_factor` is an integer in `1..2^31`. Both members are required,
//!   and no others are allowed (as zarr-python checks).
//! - Elements are 8-byte signed integers counting `scale_factor` units since the Unix epoch
//!   (datetime) or as a duration (timedelta); `NaT` (not a time) is `i64::MIN`. Typed access
//!   reads and writes them as `i64` ([`ElementKind::Int64`]); the `bytes` codec swaps 8-byte
//!   units.
//! - Fill values: a JSON integer, or `"NaT"` when read; written as an integer (`NaT` as
//!   `-9223372036854775808`), as zarr-python writes them.
//! - Zarr V2: the NumPy dtype strings `<M8`, `>M8[ns]`, `<m8[10s]`, ... (a bare `M8`/`m8` is
//!   the generic unit), through the data type registry's `from_v2` hook; written back the same
//!   way with the byte order of the `bytes` codec.

use std::sync::Arc;

use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{parse_int_json, FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::{Map, Value};

/// The V3 name of the datetime type.
pub const DATETIME64: &str = "numpy.datetime64";
/// The V3 name of the timedelta type.
pub const TIMEDELTA64: &str = "numpy.timedelta64";

/// The element value of `NaT` (not a time).
pub const NAT: i64 = i64::MIN;

/// The time units NumPy (and zarr-python) accept.
pub const UNITS: [&str; 15] = [
    "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as", "generic",
];

/// The largest scale factor plus one (zarr-python requires `scale_factor < 2^31`).
const SCALE_LIMIT: u64 = 1 << 31;

/// Datetime or timedelta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeKind {
    /// `numpy.datetime64`: a point in time since the Unix epoch.
    DateTime,
    /// `numpy.timedelta64`: a duration.
    TimeDelta,
}

impl TimeKind {
    /// The V3 name.
    pub fn name(self) -> &'static str {
        match self {
            Self::DateTime => DATETIME64,
            Self::TimeDelta => TIMEDELTA64,
        }
    }

    /// The NumPy type character of the V2 dtype (`M` or `m`).
    pub fn v2_char(self) -> char {
        match self {
            Self::DateTime => 'M',
            Self::TimeDelta => 'm',
        }
    }
}

/// A `numpy.datetime64` or `numpy.timedelta64` data type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeDataType {
    kind: TimeKind,
    unit: &'static str,
    scale_factor: u32,
}

impl TimeDataType {
    /// A data type of `kind` counting `scale_factor` units (`unit` one of [`UNITS`]).
    pub fn new(kind: TimeKind, unit: &str, scale_factor: u64) -> Result<Self, String> {
        let unit = UNITS
            .iter()
            .find(|u| **u == unit)
            .ok_or_else(|| format!("unit {unit:?} is not one of {UNITS:?}"))?;
        if scale_factor == 0 || scale_factor >= SCALE_LIMIT {
            return Err(format!(
                "scale_factor must be in 1..{SCALE_LIMIT}, got {scale_factor}"
            ));
        }
        Ok(Self {
            kind,
            unit,
            scale_factor: scale_factor as u32,
        })
    }

    /// Datetime or timedelta.
    pub fn kind(&self) -> TimeKind {
        self.kind
    }

    /// The unit.
    pub fn unit(&self) -> &'static str {
        self.unit
    }

    /// The scale factor.
    pub fn scale_factor(&self) -> u32 {
        self.scale_factor
    }

    /// Parse a NumPy V2 dtype string: `<M8`, `>M8[ns]`, `=m8[10s]`, ...
    pub fn from_v2_dtype(dtype: &str) -> Option<Self> {
        let mut chars = dtype.chars();
        if !matches!(chars.next(), Some('<' | '>' | '=')) {
            return None;
        }
        let kind = match chars.next() {
            Some('M') => TimeKind::DateTime,
            Some('m') => TimeKind::TimeDelta,
            _ => return None,
        };
        let rest = chars.as_str().strip_prefix('8')?;
        if rest.is_empty() {
            return Self::new(kind, "generic", 1).ok();
        }
        let inner = rest.strip_prefix('[')?.strip_suffix(']')?;
        let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
        let (scale, unit) = inner.split_at(digits);
        let scale = if scale.is_empty() {
            1
        } else {
            scale.parse().ok()?
        };
        if unit == "generic" {
            return None; // NumPy writes the generic unit without brackets.
        }
        Self::new(kind, unit, scale).ok()
    }

    fn from_configuration(kind: TimeKind, c: Option<&Map<String, Value>>) -> Result<Self, String> {
        let c = c.ok_or("a configuration with \"unit\" and \"scale_factor\" is required")?;
        if let Some(k) = c
            .keys()
            .find(|k| !matches!(k.as_str(), "unit" | "scale_factor"))
        {
            return Err(format!("unknown configuration member {k:?}"));
        }
        let unit = match c.get("unit") {
            Some(Value::String(u)) => u.as_str(),
            Some(v) => return Err(format!("unit {v} is not a string")),
            None => return Err("missing member \"unit\"".into()),
        };
        let scale = match c.get("scale_factor") {
            Some(v) => v
                .as_u64()
                .ok_or_else(|| format!("scale_factor {v} is not a positive integer"))?,
            None => return Err("missing member \"scale_factor\"".into()),
        };
        Self::new(kind, unit, scale)
    }
}

impl DataTypeExtension for TimeDataType {
    fn name(&self) -> String {
        self.kind.name().to_string()
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("unit".into(), Value::String(self.unit.to_string()));
        m.insert("scale_factor".into(), Value::from(self.scale_factor));
        Some(m)
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Fixed(8)
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        let v = match json {
            Value::String(s) if s == "NaT" => NAT,
            _ => parse_int_json(json, i64::MIN.into(), i64::MAX.into())
                .and_then(|i| i64::try_from(i).ok())
                .ok_or_else(|| {
                    FillValueError::new(
                        self.kind.name(),
                        json,
                        "expected a 64-bit integer or \"NaT\"",
                    )
                })?,
        };
        Ok(FillValue::from(v))
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        let b: [u8; 8] = fill_value.as_bytes().try_into().map_err(|_| {
            FillValueError::new(
                self.kind.name(),
                &Value::Null,
                format!("fill value has {} bytes, not 8", fill_value.size()),
            )
        })?;
        Ok(Value::from(i64::from_ne_bytes(b)))
    }

    fn endianness_unit(&self) -> Option<usize> {
        Some(8)
    }

    fn element_kind(&self) -> Option<ElementKind> {
        Some(ElementKind::Int64)
    }

    fn to_v2_dtype(&self, byte_order: char) -> Option<String> {
        let order = if byte_order == '>' { '>' } else { '<' };
        let c = self.kind.v2_char();
        match (self.unit, self.scale_factor) {
            ("generic", 1) => Some(format!("{order}{c}8")),
            ("generic", _) => None,
            (unit, 1) => Some(format!("{order}{c}8[{unit}]")),
            (unit, s) => Some(format!("{order}{c}8[{s}{unit}]")),
        }
    }
}

fn create(kind: TimeKind, metadata: &MetadataV3) -> Result<DataType, PluginError> {
    TimeDataType::from_configuration(kind, metadata.configuration())
        .map(|d| Arc::new(d) as DataType)
        .map_err(|e| PluginError::config(ExtensionKind::DataType, metadata.name(), e))
}

fn create_datetime(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    create(TimeKind::DateTime, metadata)
}

fn create_timedelta(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    create(TimeKind::TimeDelta, metadata)
}

fn from_v2_kind(dtype: &str, kind: TimeKind) -> Option<DataType> {
    TimeDataType::from_v2_dtype(dtype)
        .filter(|d| d.kind == kind)
        .map(|d| Arc::new(d) as DataType)
}

fn datetime_from_v2(dtype: &str) -> Option<DataType> {
    from_v2_kind(dtype, TimeKind::DateTime)
}

fn timedelta_from_v2(dtype: &str) -> Option<DataType> {
    from_v2_kind(dtype, TimeKind::TimeDelta)
}

zarrkit_core::inventory::submit! {
    DataTypePlugin::new(DATETIME64, create_datetime).with_from_v2(datetime_from_v2)
}

zarrkit_core::inventory::submit! {
    DataTypePlugin::new(TIMEDELTA64, create_timedelta).with_from_v2(timedelta_from_v2)
}

#[cfg(test)]
mod tests;
