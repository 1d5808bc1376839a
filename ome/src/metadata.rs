//! Typed OME-Zarr metadata: 0.4 (V2 `.zattrs`: `multiscales`, `omero`, `image-label`,
//! `labels` at the top level, `version` inside each multiscale and `image-label`) and 0.5
//! (V3 `zarr.json` attributes under `ome`, with `ome.version`).
//!
//! Parsing checks JSON types and required members and names the JSON path of the first
//! problem; [`OmeMetadata::validate`] checks the rules of the specification and the JSON
//! schemas (axis counts, kinds and order, one `scale` first and at most one `translation`
//! after it with one value per axis, unique names, label colours) and returns every issue
//! with its path. Unknown members are kept and written back; numbers keep their literal
//! text (so a document read and written again is the same JSON). `plate`, `well` and
//! `bioformats2raw.layout` are kept as JSON, not typed.

use serde_json::{Map, Number, Value};

use crate::json::{as_integer, err, index, join, num, numbers, Obj};
use crate::OmeError;

/// An OME-Zarr version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OmeVersion {
    /// 0.4: Zarr V2, metadata at the top level of `.zattrs`.
    #[serde(rename = "0.4")]
    V0_4,
    /// 0.5: Zarr V3, metadata under `ome` in `zarr.json` attributes.
    #[serde(rename = "0.5")]
    V0_5,
}

impl OmeVersion {
    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V0_4 => "0.4",
            Self::V0_5 => "0.5",
        }
    }
    /// The Zarr format of the version's nodes.
    pub fn zarr_format(self) -> u8 {
        match self {
            Self::V0_4 => 2,
            Self::V0_5 => 3,
        }
    }
}

impl std::str::FromStr for OmeVersion {
    type Err = OmeError;
    fn from_str(s: &str) -> Result<Self, OmeError> {
        match s {
            "0.4" => Ok(Self::V0_4),
            "0.5" => Ok(Self::V0_5),
            v => Err(OmeError::UnsupportedVersion(v.to_string())),
        }
    }
}

/// The kind of an axis.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AxisType {
    /// `space`.
    Space,
    /// `time`.
    Time,
    /// `channel`.
    Channel,
    /// Any other type (allowed, as a custom axis type).
    Custom(String),
}

impl AxisType {
    /// The JSON string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Space => "space",
            Self::Time => "time",
            Self::Channel => "channel",
            Self::Custom(s) => s,
        }
    }
    /// From the JSON string.
    pub fn parse(s: &str) -> Self {
        match s {
            "space" => Self::Space,
            "time" => Self::Time,
            "channel" => Self::Channel,
            s => Self::Custom(s.to_string()),
        }
    }
}

/// The space units the specification lists (UDUNITS-2 names).
pub const SPACE_UNITS: &[&str] = &[
    "angstrom",
    "attometer",
    "centimeter",
    "decimeter",
    "exameter",
    "femtometer",
    "foot",
    "gigameter",
    "hectometer",
    "inch",
    "kilometer",
    "megameter",
    "meter",
    "micrometer",
    "mile",
    "millimeter",
    "nanometer",
    "parsec",
    "petameter",
    "picometer",
    "terameter",
    "yard",
    "yoctometer",
    "yottameter",
    "zeptometer",
    "zettameter",
];

/// The time units the specification lists.
pub const TIME_UNITS: &[&str] = &[
    "attosecond",
    "centisecond",
    "day",
    "decisecond",
    "exasecond",
    "femtosecond",
    "gigasecond",
    "hectosecond",
    "hour",
    "kilosecond",
    "megasecond",
    "microsecond",
    "millisecond",
    "minute",
    "nanosecond",
    "petasecond",
    "picosecond",
    "second",
    "terasecond",
    "yoctosecond",
    "yottasecond",
    "zeptosecond",
    "zettasecond",
];

/// An axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The name (unique in a multiscale).
    pub name: String,
    /// The type (`None`: untyped, allowed).
    pub r#type: Option<AxisType>,
    /// The unit (space and time units are listed by the specification).
    pub unit: Option<String>,
    /// Unknown members.
    pub extra: Map<String, Value>,
}

impl Axis {
    /// An axis of a name, type and unit.
    pub fn new(name: impl Into<String>, r#type: Option<AxisType>, unit: Option<String>) -> Self {
        Self {
            name: name.into(),
            r#type,
            unit,
            extra: Map::new(),
        }
    }
}

/// A coordinate transformation of a dataset or a multiscale.
#[derive(Debug, Clone, PartialEq)]
pub enum CoordinateTransformation {
    /// `{"type": "scale", "scale": [...]}` (one value per axis).
    Scale(Vec<Number>),
    /// `{"type": "translation", "translation": [...]}`.
    Translation(Vec<Number>),
    /// A scale or translation read from a binary file at `path` (allowed by the
    /// specification, not by its JSON schema).
    Path {
        /// `scale` or `translation`.
        r#type: String,
        /// The path.
        path: String,
    },
    /// `{"type": "identity"}` (allowed in 0.4's prose, not in the JSON schemas).
    Identity,
}

impl CoordinateTransformation {
    /// A scale transformation.
    pub fn scale(v: &[f64]) -> Self {
        Self::Scale(v.iter().map(|&x| num(x)).collect())
    }
    /// A translation.
    pub fn translation(v: &[f64]) -> Self {
        Self::Translation(v.iter().map(|&x| num(x)).collect())
    }
    /// The JSON `type`.
    pub fn type_name(&self) -> &str {
        match self {
            Self::Scale(_) => "scale",
            Self::Translation(_) => "translation",
            Self::Path { r#type, .. } => r#type,
            Self::Identity => "identity",
        }
    }
    /// The values as `f64` (`None` for path and identity transformations).
    pub fn values(&self) -> Option<Vec<f64>> {
        match self {
            Self::Scale(v) | Self::Translation(v) => {
                Some(v.iter().map(|n| n.as_f64().unwrap_or(f64::NAN)).collect())
            }
            _ => None,
        }
    }
}

/// One resolution level.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The array's path relative to the multiscale group.
    pub path: String,
    /// Its transformations (one `scale`, then at most one `translation`).
    pub coordinate_transformations: Vec<CoordinateTransformation>,
    /// Unknown members.
    pub extra: Map<String, Value>,
}

/// A multiscale image: its axes and its levels, largest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Multiscale {
    /// `version` (0.4 only; 0.5 keeps the version in `ome.version`).
    pub version: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `type`: the downscaling method.
    pub r#type: Option<String>,
    /// The axes.
    pub axes: Vec<Axis>,
    /// The levels.
    pub datasets: Vec<Dataset>,
    /// Transformations applied after each dataset's.
    pub coordinate_transformations: Option<Vec<CoordinateTransformation>>,
    /// `metadata`: free-form information about the downscaling.
    pub metadata: Option<Value>,
    /// Unknown members.
    pub extra: Map<String, Value>,
}

/// An `omero` channel window.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// `min`.
    pub min: Number,
    /// `max`.
    pub max: Number,
    /// `start`.
    pub start: Number,
    /// `end`.
    pub end: Number,
    /// Unknown members.
    pub extra: Map<String, Value>,
}

/// An `omero` channel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OmeroChannel {
    /// `active`.
    pub active: Option<bool>,
    /// `coefficient`.
    pub coefficient: Option<Number>,
    /// `color` (hex RGB, e.g. `"FF0000"`).
    pub color: Option<String>,
    /// `family`.
    pub family: Option<String>,
    /// `inverted`.
    pub inverted: Option<bool>,
    /// `label`.
    pub label: Option<String>,
    /// `window`.
    pub window: Option<Window>,
    /// Unknown members.
    pub extra: Map<String, Value>,
}

/// The transitional `omero` block (rendering settings).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Omero {
    /// `id`.
    pub id: Option<Number>,
    /// `name`.
    pub name: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `channels`.
    pub channels: Vec<OmeroChannel>,
    /// `rdefs` (kept as JSON).
    pub rdefs: Option<Value>,
    /// Unknown members.
    pub extra: Map<String, Value>,
}

/// A label colour.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelColor {
    /// `label-value`.
    pub label_value: Number,
    /// `rgba` (four integers 0–255).
    pub rgba: Option<Vec<Number>>,
    /// Unknown members.
    pub extra: Map<String, Value>,
}

/// Label properties (free-form members besides `label-value`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelProperty {
    /// `label-value` (an integer).
    pub label_value: Number,
    /// The other members.
    pub extra: Map<String, Value>,
}

/// `image-label`: what a label image's values mean.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageLabel {
    /// `version` (0.4 only).
    pub version: Option<String>,
    /// `colors`.
    pub colors: Option<Vec<LabelColor>>,
    /// `properties`.
    pub properties: Option<Vec<LabelProperty>>,
    /// `source.image`: the path of the labelled image (default `../../`).
    pub source: Option<Map<String, Value>>,
    /// Unknown members.
    pub extra: Map<String, Value>,
}

/// The OME-Zarr metadata of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct OmeMetadata {
    /// The version.
    pub version: OmeVersion,
    /// `multiscales`.
    pub multiscales: Option<Vec<Multiscale>>,
    /// `omero`.
    pub omero: Option<Omero>,
    /// `image-label`.
    pub image_label: Option<ImageLabel>,
    /// `labels`: the label images below a `labels` group.
    pub labels: Option<Vec<String>>,
    /// Other members of the OME namespace (`plate`, `well`, `bioformats2raw.layout`, ...),
    /// kept as JSON.
    pub extra: Map<String, Value>,
    /// Attributes outside the OME namespace (0.5: members beside `ome`; 0.4: non-OME
    /// members), kept for writing back.
    pub other_attributes: Map<String, Value>,
}

/// How serious an [`Issue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Breaks a MUST of the specification or its JSON schema.
    Error,
    /// Breaks a SHOULD (e.g. a unit the specification does not list).
    Warning,
}

/// A validation finding, with the JSON path it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// The JSON path (e.g. `ome.multiscales[0].datasets[1].coordinateTransformations`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{s} at {}: {}", self.path, self.message)
    }
}

const OME_KEYS_04: &[&str] = &[
    "multiscales",
    "omero",
    "image-label",
    "labels",
    "plate",
    "well",
    "bioformats2raw.layout",
];

// ------------------------------------------------------------------ parsing

fn parse_axis(path: &str, v: &Value) -> Result<Axis, OmeError> {
    let mut o = Obj::new(path, v)?;
    Ok(Axis {
        name: o.req_str("name")?,
        r#type: o.opt_str("type")?.map(|s| AxisType::parse(&s)),
        unit: o.opt_str("unit")?,
        extra: o.rest,
    })
}

fn parse_ct(path: &str, v: &Value) -> Result<CoordinateTransformation, OmeError> {
    let mut o = Obj::new(path, v)?;
    let t = o.req_str("type")?;
    let ct = match t.as_str() {
        "scale" | "translation" => {
            if let Some(p) = o.opt_str("path")? {
                CoordinateTransformation::Path { r#type: t, path: p }
            } else {
                let key = t.as_str();
                let p = o.p(key);
                let vals = numbers(&p, o.req_list(key)?)?;
                if key == "scale" {
                    CoordinateTransformation::Scale(vals)
                } else {
                    CoordinateTransformation::Translation(vals)
                }
            }
        }
        "identity" => CoordinateTransformation::Identity,
        other => {
            return Err(err(
                &o.p("type"),
                format!("unknown coordinate transformation type {other:?} (scale, translation)"),
            ))
        }
    };
    if let Some(k) = o.rest.keys().next() {
        return Err(err(
            &o.p(k),
            "unexpected member of a coordinate transformation",
        ));
    }
    Ok(ct)
}

fn parse_cts(path: &str, v: Vec<Value>) -> Result<Vec<CoordinateTransformation>, OmeError> {
    v.iter()
        .enumerate()
        .map(|(i, v)| parse_ct(&index(path, i), v))
        .collect()
}

fn parse_multiscale(path: &str, v: &Value) -> Result<Multiscale, OmeError> {
    let mut o = Obj::new(path, v)?;
    let version = o.opt_str("version")?;
    let name = o.opt_str("name")?;
    let r#type = o.opt_str("type")?;
    let ap = o.p("axes");
    let axes = o
        .req_list("axes")?
        .iter()
        .enumerate()
        .map(|(i, v)| parse_axis(&index(&ap, i), v))
        .collect::<Result<Vec<_>, _>>()?;
    let dp = o.p("datasets");
    let datasets = o
        .req_list("datasets")?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let p = index(&dp, i);
            let mut d = Obj::new(&p, v)?;
            let path = d.req_str("path")?;
            let cp = d.p("coordinateTransformations");
            let cts = parse_cts(&cp, d.req_list("coordinateTransformations")?)?;
            Ok(Dataset {
                path,
                coordinate_transformations: cts,
                extra: d.rest,
            })
        })
        .collect::<Result<Vec<_>, OmeError>>()?;
    let cp = o.p("coordinateTransformations");
    let cts = match o.opt_list("coordinateTransformations")? {
        Some(v) => Some(parse_cts(&cp, v)?),
        None => None,
    };
    Ok(Multiscale {
        version,
        name,
        r#type,
        axes,
        datasets,
        coordinate_transformations: cts,
        metadata: o.take("metadata"),
        extra: o.rest,
    })
}

fn parse_omero(path: &str, v: &Value) -> Result<Omero, OmeError> {
    let mut o = Obj::new(path, v)?;
    let id = o.opt_num("id")?;
    let name = o.opt_str("name")?;
    let version = o.opt_str("version")?;
    let cp = o.p("channels");
    let channels = o
        .req_list("channels")?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut c = Obj::new(&index(&cp, i), v)?;
            let window = match c.take("window") {
                None => None,
                Some(w) => {
                    let mut w = Obj::new(&c.p("window"), &w)?;
                    Some(Window {
                        min: w.req_num("min")?,
                        max: w.req_num("max")?,
                        start: w.req_num("start")?,
                        end: w.req_num("end")?,
                        extra: w.rest,
                    })
                }
            };
            Ok(OmeroChannel {
                active: c.opt_bool("active")?,
                coefficient: c.opt_num("coefficient")?,
                color: c.opt_str("color")?,
                family: c.opt_str("family")?,
                inverted: c.opt_bool("inverted")?,
                label: c.opt_str("label")?,
                window,
                extra: c.rest,
            })
        })
        .collect::<Result<Vec<_>, OmeError>>()?;
    Ok(Omero {
        id,
        name,
        version,
        channels,
        rdefs: o.take("rdefs"),
        extra: o.rest,
    })
}

fn parse_image_label(path: &str, v: &Value) -> Result<ImageLabel, OmeError> {
    let mut o = Obj::new(path, v)?;
    let version = o.opt_str("version")?;
    let cp = o.p("colors");
    let colors = match o.opt_list("colors")? {
        None => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, v)| {
                    let mut c = Obj::new(&index(&cp, i), v)?;
                    let label_value = c.req_num("label-value")?;
                    let rp = c.p("rgba");
                    let rgba = match c.opt_list("rgba")? {
                        Some(l) => Some(numbers(&rp, l)?),
                        None => None,
                    };
                    Ok(LabelColor {
                        label_value,
                        rgba,
                        extra: c.rest,
                    })
                })
                .collect::<Result<Vec<_>, OmeError>>()?,
        ),
    };
    let pp = o.p("properties");
    let properties = match o.opt_list("properties")? {
        None => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, v)| {
                    let mut c = Obj::new(&index(&pp, i), v)?;
                    Ok(LabelProperty {
                        label_value: c.req_num("label-value")?,
                        extra: c.rest,
                    })
                })
                .collect::<Result<Vec<_>, OmeError>>()?,
        ),
    };
    let source = match o.take("source") {
        None => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => return Err(err(&o.p("source"), "must be an object")),
    };
    Ok(ImageLabel {
        version,
        colors,
        properties,
        source,
        extra: o.rest,
    })
}

fn parse_labels(path: &str, v: Value) -> Result<Vec<String>, OmeError> {
    match v {
        Value::Array(a) => a
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s),
                _ => Err(err(&index(path, i), "must be a string")),
            })
            .collect(),
        _ => Err(err(path, "must be a list of label image paths")),
    }
}

impl OmeMetadata {
    /// An empty document of a version.
    pub fn new(version: OmeVersion) -> Self {
        Self {
            version,
            multiscales: None,
            omero: None,
            image_label: None,
            labels: None,
            extra: Map::new(),
            other_attributes: Map::new(),
        }
    }

    /// Whether the attributes hold OME-Zarr metadata (0.5 `ome`, or 0.4 members).
    pub fn is_ome(attributes: &Map<String, Value>) -> bool {
        attributes.contains_key("ome") || OME_KEYS_04.iter().any(|k| attributes.contains_key(*k))
    }

    /// Parse a group's attributes, detecting the version: `ome` (with `ome.version`) is 0.5;
    /// top-level `multiscales` / `image-label` / ... are 0.4 (their `version` must be 0.4
    /// where given).
    pub fn from_attributes(attributes: &Map<String, Value>) -> Result<Self, OmeError> {
        if let Some(ome) = attributes.get("ome") {
            let mut o = Obj::new("ome", ome)?;
            // `ome.version` is required by 0.5, but ome-zarr-py (0.18) writes a `labels`
            // group as `{"ome": {"labels": [...]}}` without it: read a missing version as
            // 0.5 (the only version with an `ome` namespace); writing adds it.
            let v = o.opt_str("version")?.unwrap_or_else(|| "0.5".into());
            let version: OmeVersion = v
                .parse()
                .map_err(|_| err("ome.version", format!("unsupported version {v:?} (0.5)")))?;
            if version != OmeVersion::V0_5 {
                return Err(err(
                    "ome.version",
                    format!("version {v:?} under \"ome\" (0.5 expected)"),
                ));
            }
            let mut m = Self::read_members(o, version)?;
            m.other_attributes = attributes
                .iter()
                .filter(|(k, _)| k.as_str() != "ome")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            return Ok(m);
        }
        if !Self::is_ome(attributes) {
            return Err(OmeError::NotOme);
        }
        // 0.4: the version lives in each multiscale / image-label.
        let mut found: Option<(String, String)> = None;
        if let Some(Value::Array(ms)) = attributes.get("multiscales") {
            for (i, m) in ms.iter().enumerate() {
                if let Some(v) = m.get("version").and_then(Value::as_str) {
                    found.get_or_insert((format!("multiscales[{i}].version"), v.to_string()));
                }
            }
        }
        if let Some(v) = attributes
            .get("image-label")
            .and_then(|l| l.get("version"))
            .and_then(Value::as_str)
        {
            found.get_or_insert(("image-label.version".into(), v.to_string()));
        }
        if let Some((p, v)) = found {
            if v != "0.4" {
                return Err(OmeError::Invalid {
                    path: p,
                    message: format!(
                        "unsupported version {v:?} (0.4 at the top level, 0.5 under \"ome\")"
                    ),
                });
            }
        }
        let o = Obj {
            path: String::new(),
            rest: attributes
                .iter()
                .filter(|(k, _)| OME_KEYS_04.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        let mut m = Self::read_members(o, OmeVersion::V0_4)?;
        m.other_attributes = attributes
            .iter()
            .filter(|(k, _)| !OME_KEYS_04.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(m)
    }

    fn read_members(mut o: Obj, version: OmeVersion) -> Result<Self, OmeError> {
        let mp = o.p("multiscales");
        let multiscales = match o.opt_list("multiscales")? {
            None => None,
            Some(l) => Some(
                l.iter()
                    .enumerate()
                    .map(|(i, v)| parse_multiscale(&index(&mp, i), v))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let omero = match o.take("omero") {
            None => None,
            Some(v) => Some(parse_omero(&o.p("omero"), &v)?),
        };
        let image_label = match o.take("image-label") {
            None => None,
            Some(v) => Some(parse_image_label(&o.p("image-label"), &v)?),
        };
        let labels = match o.take("labels") {
            None => None,
            Some(v) => Some(parse_labels(&o.p("labels"), v)?),
        };
        Ok(Self {
            version,
            multiscales,
            omero,
            image_label,
            labels,
            extra: o.rest,
            other_attributes: Map::new(),
        })
    }

    /// The group attributes in the layout of [`OmeMetadata::version`]: 0.5 under `ome` with
    /// `ome.version`; 0.4 at the top level with `version: "0.4"` in each multiscale and
    /// `image-label` (added where missing). Attributes outside the namespace are kept.
    pub fn to_attributes(&self) -> Map<String, Value> {
        let v04 = self.version == OmeVersion::V0_4;
        let mut ns = Map::new();
        if !v04 {
            ns.insert("version".into(), Value::String("0.5".into()));
        }
        if let Some(ms) = &self.multiscales {
            ns.insert(
                "multiscales".into(),
                Value::Array(ms.iter().map(|m| multiscale_json(m, v04)).collect()),
            );
        }
        if let Some(o) = &self.omero {
            ns.insert("omero".into(), omero_json(o));
        }
        if let Some(l) = &self.image_label {
            ns.insert("image-label".into(), image_label_json(l, v04));
        }
        if let Some(l) = &self.labels {
            ns.insert(
                "labels".into(),
                Value::Array(l.iter().cloned().map(Value::String).collect()),
            );
        }
        for (k, v) in &self.extra {
            ns.insert(k.clone(), v.clone());
        }
        let mut out = self.other_attributes.clone();
        if v04 {
            out.extend(ns);
        } else {
            out.insert("ome".into(), Value::Object(ns));
        }
        out
    }

    /// The same metadata in another version's layout (0.4 `version` members are dropped or
    /// added by [`OmeMetadata::to_attributes`]).
    pub fn with_version(&self, version: OmeVersion) -> Self {
        let mut m = self.clone();
        m.version = version;
        if version != self.version {
            // The per-block versions belong to the old layout: 0.5 drops them, 0.4 writes
            // `"0.4"` in their place.
            if let Some(ms) = &mut m.multiscales {
                ms.iter_mut().for_each(|m| m.version = None);
            }
            if let Some(l) = &mut m.image_label {
                l.version = None;
            }
        }
        m
    }

    /// Check the specification's rules; every finding with its JSON path (empty: valid).
    pub fn validate(&self) -> Vec<Issue> {
        let mut v = Validator { issues: Vec::new() };
        let root = if self.version == OmeVersion::V0_5 {
            "ome"
        } else {
            ""
        };
        if let Some(ms) = &self.multiscales {
            let p = join(root, "multiscales");
            if ms.is_empty() {
                v.error(&p, "must hold at least one multiscale");
            }
            for (i, m) in ms.iter().enumerate() {
                v.multiscale(&index(&p, i), m, self.version);
            }
        }
        if let Some(o) = &self.omero {
            let p = join(root, "omero");
            for (i, c) in o.channels.iter().enumerate() {
                let cp = index(&join(&p, "channels"), i);
                // The 0.4 schema requires both on every channel (0.5's does not).
                if self.version == OmeVersion::V0_4 {
                    if c.window.is_none() {
                        v.error(&cp, "missing member \"window\" (required in OME-Zarr 0.4)");
                    }
                    if c.color.is_none() {
                        v.error(&cp, "missing member \"color\" (required in OME-Zarr 0.4)");
                    }
                }
                if let Some(col) = &c.color {
                    if !(col.len() == 6 && col.chars().all(|c| c.is_ascii_hexdigit())) {
                        v.warning(
                            &join(&index(&join(&p, "channels"), i), "color"),
                            format!("{col:?} is not a 6-digit hex RGB colour"),
                        );
                    }
                }
            }
        }
        if let Some(l) = &self.image_label {
            v.image_label(&join(root, "image-label"), l, self.version);
        }
        v.issues
    }

    /// [`OmeMetadata::validate`] as a `Result`: the first error, if any.
    pub fn check(&self) -> Result<Vec<Issue>, OmeError> {
        let issues = self.validate();
        match issues.iter().find(|i| i.severity == Severity::Error) {
            Some(i) => Err(OmeError::Invalid {
                path: i.path.clone(),
                message: i.message.clone(),
            }),
            None => Ok(issues),
        }
    }
}

// ------------------------------------------------------------------ writing

fn ct_json(ct: &CoordinateTransformation) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String(ct.type_name().to_string()));
    match ct {
        CoordinateTransformation::Scale(v) => {
            m.insert(
                "scale".into(),
                Value::Array(v.iter().cloned().map(Value::Number).collect()),
            );
        }
        CoordinateTransformation::Translation(v) => {
            m.insert(
                "translation".into(),
                Value::Array(v.iter().cloned().map(Value::Number).collect()),
            );
        }
        CoordinateTransformation::Path { path, .. } => {
            m.insert("path".into(), Value::String(path.clone()));
        }
        CoordinateTransformation::Identity => {}
    }
    Value::Object(m)
}

fn put_opt_str(m: &mut Map<String, Value>, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        m.insert(k.into(), Value::String(v.clone()));
    }
}

fn multiscale_json(ms: &Multiscale, v04: bool) -> Value {
    let mut m = Map::new();
    // 0.4: each multiscale names its version; 0.5 keeps one only if the document had it.
    if v04 {
        m.insert(
            "version".into(),
            Value::String(ms.version.clone().unwrap_or_else(|| "0.4".into())),
        );
    } else {
        put_opt_str(&mut m, "version", &ms.version);
    }
    put_opt_str(&mut m, "name", &ms.name);
    m.insert(
        "axes".into(),
        Value::Array(
            ms.axes
                .iter()
                .map(|a| {
                    let mut o = Map::new();
                    o.insert("name".into(), Value::String(a.name.clone()));
                    if let Some(t) = &a.r#type {
                        o.insert("type".into(), Value::String(t.as_str().to_string()));
                    }
                    put_opt_str(&mut o, "unit", &a.unit);
                    o.extend(a.extra.clone());
                    Value::Object(o)
                })
                .collect(),
        ),
    );
    m.insert(
        "datasets".into(),
        Value::Array(
            ms.datasets
                .iter()
                .map(|d| {
                    let mut o = Map::new();
                    o.insert("path".into(), Value::String(d.path.clone()));
                    o.insert(
                        "coordinateTransformations".into(),
                        Value::Array(d.coordinate_transformations.iter().map(ct_json).collect()),
                    );
                    o.extend(d.extra.clone());
                    Value::Object(o)
                })
                .collect(),
        ),
    );
    if let Some(cts) = &ms.coordinate_transformations {
        m.insert(
            "coordinateTransformations".into(),
            Value::Array(cts.iter().map(ct_json).collect()),
        );
    }
    put_opt_str(&mut m, "type", &ms.r#type);
    if let Some(md) = &ms.metadata {
        m.insert("metadata".into(), md.clone());
    }
    m.extend(ms.extra.clone());
    Value::Object(m)
}

fn omero_json(o: &Omero) -> Value {
    let mut m = Map::new();
    if let Some(id) = &o.id {
        m.insert("id".into(), Value::Number(id.clone()));
    }
    put_opt_str(&mut m, "name", &o.name);
    put_opt_str(&mut m, "version", &o.version);
    m.insert(
        "channels".into(),
        Value::Array(
            o.channels
                .iter()
                .map(|c| {
                    let mut x = Map::new();
                    if let Some(a) = c.active {
                        x.insert("active".into(), Value::Bool(a));
                    }
                    if let Some(v) = &c.coefficient {
                        x.insert("coefficient".into(), Value::Number(v.clone()));
                    }
                    put_opt_str(&mut x, "color", &c.color);
                    put_opt_str(&mut x, "family", &c.family);
                    if let Some(a) = c.inverted {
                        x.insert("inverted".into(), Value::Bool(a));
                    }
                    put_opt_str(&mut x, "label", &c.label);
                    if let Some(w) = &c.window {
                        let mut y = Map::new();
                        y.insert("min".into(), Value::Number(w.min.clone()));
                        y.insert("max".into(), Value::Number(w.max.clone()));
                        y.insert("start".into(), Value::Number(w.start.clone()));
                        y.insert("end".into(), Value::Number(w.end.clone()));
                        y.extend(w.extra.clone());
                        x.insert("window".into(), Value::Object(y));
                    }
                    x.extend(c.extra.clone());
                    Value::Object(x)
                })
                .collect(),
        ),
    );
    if let Some(r) = &o.rdefs {
        m.insert("rdefs".into(), r.clone());
    }
    m.extend(o.extra.clone());
    Value::Object(m)
}

fn image_label_json(l: &ImageLabel, v04: bool) -> Value {
    let mut m = Map::new();
    // 0.4: `image-label` names its version; in 0.5 it is kept only if the document had it
    // (ome-zarr-py writes `"version": "0.5"` there).
    if v04 {
        m.insert(
            "version".into(),
            Value::String(l.version.clone().unwrap_or_else(|| "0.4".into())),
        );
    } else {
        put_opt_str(&mut m, "version", &l.version);
    }
    if let Some(c) = &l.colors {
        m.insert(
            "colors".into(),
            Value::Array(
                c.iter()
                    .map(|c| {
                        let mut x = Map::new();
                        x.insert("label-value".into(), Value::Number(c.label_value.clone()));
                        if let Some(r) = &c.rgba {
                            x.insert(
                                "rgba".into(),
                                Value::Array(r.iter().cloned().map(Value::Number).collect()),
                            );
                        }
                        x.extend(c.extra.clone());
                        Value::Object(x)
                    })
                    .collect(),
            ),
        );
    }
    if let Some(p) = &l.properties {
        m.insert(
            "properties".into(),
            Value::Array(
                p.iter()
                    .map(|p| {
                        let mut x = Map::new();
                        x.insert("label-value".into(), Value::Number(p.label_value.clone()));
                        x.extend(p.extra.clone());
                        Value::Object(x)
                    })
                    .collect(),
            ),
        );
    }
    if let Some(s) = &l.source {
        m.insert("source".into(), Value::Object(s.clone()));
    }
    m.extend(l.extra.clone());
    Value::Object(m)
}

// ------------------------------------------------------------------ validation

struct Validator {
    issues: Vec<Issue>,
}

impl Validator {
    fn error(&mut self, path: &str, m: impl Into<String>) {
        self.issues.push(Issue {
            severity: Severity::Error,
            path: path.to_string(),
            message: m.into(),
        });
    }
    fn warning(&mut self, path: &str, m: impl Into<String>) {
        self.issues.push(Issue {
            severity: Severity::Warning,
            path: path.to_string(),
            message: m.into(),
        });
    }

    fn cts(&mut self, path: &str, cts: &[CoordinateTransformation], n_axes: usize) {
        if cts.is_empty() {
            self.error(path, "must hold a scale transformation");
            return;
        }
        let scales = cts.iter().filter(|c| c.type_name() == "scale").count();
        let translations = cts
            .iter()
            .filter(|c| c.type_name() == "translation")
            .count();
        if scales != 1 {
            self.error(
                path,
                format!("must hold exactly one scale transformation, not {scales}"),
            );
        } else if cts.first().map(|c| c.type_name()) != Some("scale") {
            self.error(path, "the scale transformation must come first");
        }
        if translations > 1 {
            self.error(
                path,
                format!("may hold at most one translation, not {translations}"),
            );
        }
        if cts.len() > scales + translations {
            self.error(
                path,
                "only scale and translation transformations are allowed here",
            );
        }
        for (i, c) in cts.iter().enumerate() {
            let p = index(path, i);
            match c {
                CoordinateTransformation::Scale(v) | CoordinateTransformation::Translation(v) => {
                    let key = c.type_name();
                    if v.len() != n_axes {
                        self.error(
                            &join(&p, key),
                            format!("has {} values for {n_axes} axes", v.len()),
                        );
                    }
                    if key == "scale" {
                        for (j, n) in v.iter().enumerate() {
                            if n.as_f64().is_none_or(|f| f <= 0.0 || !f.is_finite()) {
                                self.warning(
                                    &index(&join(&p, key), j),
                                    format!("scale {n} is not positive"),
                                );
                            }
                        }
                    }
                }
                CoordinateTransformation::Path { .. } => {
                    self.warning(&p, "transformations stored in a file are not checked (and not allowed by the JSON schema)");
                }
                CoordinateTransformation::Identity => {}
            }
        }
    }

    fn multiscale(&mut self, path: &str, m: &Multiscale, version: OmeVersion) {
        if let Some(v) = &m.version {
            if version == OmeVersion::V0_4 && v != "0.4" {
                self.error(
                    &join(path, "version"),
                    format!("version {v:?} in OME-Zarr 0.4"),
                );
            }
        }
        let ap = join(path, "axes");
        let n = m.axes.len();
        if !(2..=5).contains(&n) {
            self.error(&ap, format!("must hold 2 to 5 axes, not {n}"));
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, a) in m.axes.iter().enumerate() {
            if names.contains(&a.name.as_str()) {
                self.error(
                    &join(&index(&ap, i), "name"),
                    format!("duplicate axis name {:?}", a.name),
                );
            }
            names.push(&a.name);
            if let (Some(t), Some(u)) = (&a.r#type, &a.unit) {
                let ok = match t {
                    AxisType::Space => SPACE_UNITS.contains(&u.as_str()),
                    AxisType::Time => TIME_UNITS.contains(&u.as_str()),
                    _ => true,
                };
                if !ok {
                    self.warning(
                        &join(&index(&ap, i), "unit"),
                        format!("{u:?} is not a {} unit the specification lists", t.as_str()),
                    );
                }
            }
        }
        let kind = |a: &Axis| a.r#type.clone();
        let space = m
            .axes
            .iter()
            .filter(|a| kind(a) == Some(AxisType::Space))
            .count();
        let time = m
            .axes
            .iter()
            .filter(|a| kind(a) == Some(AxisType::Time))
            .count();
        let channel = m
            .axes
            .iter()
            .filter(|a| kind(a) == Some(AxisType::Channel))
            .count();
        let other = n - space - time - channel;
        if !(2..=3).contains(&space) {
            self.error(
                &ap,
                format!("must hold 2 or 3 axes of type \"space\", not {space}"),
            );
        }
        if time > 1 {
            self.error(
                &ap,
                format!("may hold at most one axis of type \"time\", not {time}"),
            );
        }
        if channel + other > 1 {
            self.error(
                &ap,
                "may hold at most one axis of type \"channel\" or of a custom or no type",
            );
        }
        // Order: time, then channel / custom, then space.
        let rank = |a: &Axis| match &a.r#type {
            Some(AxisType::Time) => 0,
            Some(AxisType::Space) => 2,
            _ => 1,
        };
        if m.axes.windows(2).any(|w| rank(&w[0]) > rank(&w[1])) {
            self.error(
                &ap,
                "axes must be ordered time, then channel (or custom), then space",
            );
        }
        let dp = join(path, "datasets");
        if m.datasets.is_empty() {
            self.error(&dp, "must hold at least one dataset");
        }
        let mut paths: Vec<&str> = Vec::new();
        for (i, d) in m.datasets.iter().enumerate() {
            let p = index(&dp, i);
            if paths.contains(&d.path.as_str()) {
                self.error(
                    &join(&p, "path"),
                    format!("duplicate dataset path {:?}", d.path),
                );
            }
            paths.push(&d.path);
            self.cts(
                &join(&p, "coordinateTransformations"),
                &d.coordinate_transformations,
                n,
            );
        }
        if let Some(cts) = &m.coordinate_transformations {
            self.cts(&join(path, "coordinateTransformations"), cts, n);
        }
    }

    fn image_label(&mut self, path: &str, l: &ImageLabel, version: OmeVersion) {
        if let Some(v) = &l.version {
            match version {
                OmeVersion::V0_4 if v != "0.4" => {
                    self.error(
                        &join(path, "version"),
                        format!("version {v:?} in OME-Zarr 0.4"),
                    );
                }
                OmeVersion::V0_5 if v != "0.5" => {
                    self.warning(
                        &join(path, "version"),
                        format!("version {v:?} in OME-Zarr 0.5"),
                    );
                }
                _ => {}
            }
        }
        if let Some(colors) = &l.colors {
            let cp = join(path, "colors");
            if colors.is_empty() {
                self.error(&cp, "must hold at least one colour when present");
            }
            let mut seen: Vec<String> = Vec::new();
            for (i, c) in colors.iter().enumerate() {
                let p = index(&cp, i);
                let key = c.label_value.to_string();
                if seen.contains(&key) {
                    self.warning(
                        &join(&p, "label-value"),
                        format!("label value {key} has more than one colour"),
                    );
                }
                seen.push(key);
                if let Some(rgba) = &c.rgba {
                    if rgba.len() != 4 {
                        self.error(
                            &join(&p, "rgba"),
                            format!("must hold 4 values, not {}", rgba.len()),
                        );
                    }
                    for (j, n) in rgba.iter().enumerate() {
                        if as_integer(n).is_none_or(|v| !(0..=255).contains(&v)) {
                            self.error(
                                &index(&join(&p, "rgba"), j),
                                format!("{n} is not an integer 0–255"),
                            );
                        }
                    }
                }
            }
            if colors
                .iter()
                .enumerate()
                .any(|(i, c)| colors.iter().skip(i + 1).any(|d| d == c))
            {
                self.error(&cp, "colours must be unique");
            }
        }
        if let Some(props) = &l.properties {
            let pp = join(path, "properties");
            if props.is_empty() {
                self.error(&pp, "must hold at least one entry when present");
            }
            for (i, p) in props.iter().enumerate() {
                if as_integer(&p.label_value).is_none() {
                    self.error(
                        &join(&index(&pp, i), "label-value"),
                        format!("{} is not an integer", p.label_value),
                    );
                }
            }
            if props
                .iter()
                .enumerate()
                .any(|(i, c)| props.iter().skip(i + 1).any(|d| d == c))
            {
                self.error(&pp, "properties must be unique");
            }
        }
    }
}
