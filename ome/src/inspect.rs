//! Reading an OME-Zarr group and checking its metadata against its arrays.

use std::sync::Arc;

use zarrkit_core::{Array, Group};
use zarrkit_filters::DynStore;

use crate::json::{index, join};
use crate::metadata::{Issue, OmeMetadata, OmeVersion, Severity};
use crate::OmeError;

/// Read the OME-Zarr metadata of the group at `path` (0.4 or 0.5).
pub fn open_ome(store: Arc<DynStore>, path: &str) -> Result<OmeMetadata, OmeError> {
    let g = Group::open(store, path)?;
    OmeMetadata::from_attributes(&g.attributes())
}

/// A level of a multiscale as found in the store.
#[derive(Debug, Clone)]
pub struct LevelInfo {
    /// The dataset path.
    pub path: String,
    /// The array's shape.
    pub shape: Vec<u64>,
    /// The array's data type.
    pub data_type: String,
    /// The array's Zarr format.
    pub zarr_format: u8,
}

/// What [`validate_group`] found.
#[derive(Debug, Clone)]
pub struct GroupReport {
    /// The metadata.
    pub metadata: OmeMetadata,
    /// The levels of the first multiscale (those that open).
    pub levels: Vec<LevelInfo>,
    /// Every issue (metadata rules and checks against the arrays).
    pub issues: Vec<Issue>,
}

impl GroupReport {
    /// Whether no issue is an error.
    pub fn is_valid(&self) -> bool {
        self.issues.iter().all(|i| i.severity != Severity::Error)
    }
}

fn issue(severity: Severity, path: String, message: String) -> Issue {
    Issue {
        severity,
        path,
        message,
    }
}

/// Read the group at `path`, validate its metadata and check it against the arrays: the
/// group's Zarr format is the version's (0.4: V2, 0.5: V3), every dataset opens as an array
/// of the version's format with one dimension per axis, levels do not grow, (0.5) the
/// arrays' `dimension_names` are the axis names, and listed labels exist.
pub fn validate_group(store: Arc<DynStore>, path: &str) -> Result<GroupReport, OmeError> {
    let g = Group::open(store.clone(), path)?;
    let metadata = OmeMetadata::from_attributes(&g.attributes())?;
    let mut issues = metadata.validate();
    let root = if metadata.version == OmeVersion::V0_5 {
        "ome"
    } else {
        ""
    };
    let fmt = metadata.version.zarr_format();
    if g.zarr_format() != fmt {
        issues.push(issue(
            Severity::Error,
            root.to_string(),
            format!(
                "OME-Zarr {} needs Zarr V{fmt}, the group is V{}",
                metadata.version.as_str(),
                g.zarr_format()
            ),
        ));
    }
    let mut levels = Vec::new();
    if let Some(ms) = &metadata.multiscales {
        for (mi, m) in ms.iter().enumerate() {
            let mp = index(&join(root, "multiscales"), mi);
            let mut prev: Option<Vec<u64>> = None;
            for (di, d) in m.datasets.iter().enumerate() {
                let dp = join(&index(&join(&mp, "datasets"), di), "path");
                let child = match g.path().child(&d.path) {
                    Ok(c) => c,
                    Err(e) => {
                        issues.push(issue(Severity::Error, dp, e.to_string()));
                        continue;
                    }
                };
                let a = match Array::open(store.clone(), child.as_str()) {
                    Ok(a) => a,
                    Err(e) => {
                        issues.push(issue(
                            Severity::Error,
                            dp,
                            format!("the array does not open: {e}"),
                        ));
                        continue;
                    }
                };
                if a.zarr_format() != fmt {
                    issues.push(issue(
                        Severity::Error,
                        dp.clone(),
                        format!(
                            "array is Zarr V{}, OME-Zarr {} needs V{fmt}",
                            a.zarr_format(),
                            metadata.version.as_str()
                        ),
                    ));
                }
                if a.dimensionality() != m.axes.len() {
                    issues.push(issue(
                        Severity::Error,
                        dp.clone(),
                        format!(
                            "array has {} dimensions for {} axes",
                            a.dimensionality(),
                            m.axes.len()
                        ),
                    ));
                }
                if let Some(p) = &prev {
                    if p.len() == a.shape().len() && p.iter().zip(a.shape()).any(|(p, s)| s > p) {
                        issues.push(issue(
                            Severity::Error,
                            dp.clone(),
                            format!(
                                "shape {:?} is larger than the previous level's {p:?}",
                                a.shape()
                            ),
                        ));
                    }
                }
                if metadata.version == OmeVersion::V0_5 {
                    let names: Vec<Option<String>> =
                        m.axes.iter().map(|a| Some(a.name.clone())).collect();
                    if a.dimension_names().map(<[Option<String>]>::to_vec) != Some(names.clone()) {
                        issues.push(issue(
                            Severity::Warning,
                            dp.clone(),
                            format!(
                                "dimension_names {:?} differ from the axis names",
                                a.dimension_names()
                            ),
                        ));
                    }
                }
                prev = Some(a.shape().to_vec());
                if mi == 0 {
                    levels.push(LevelInfo {
                        path: d.path.clone(),
                        shape: a.shape().to_vec(),
                        data_type: a.data_type().name(),
                        zarr_format: a.zarr_format(),
                    });
                }
            }
        }
    }
    if let Some(labels) = &metadata.labels {
        for (i, l) in labels.iter().enumerate() {
            let ok = g
                .path()
                .child(l)
                .ok()
                .and_then(|c| Group::open(store.clone(), c.as_str()).ok())
                .is_some();
            if !ok {
                issues.push(issue(
                    Severity::Warning,
                    index(&join(root, "labels"), i),
                    format!("label image {l:?} is not a group here"),
                ));
            }
        }
    }
    Ok(GroupReport {
        metadata,
        levels,
        issues,
    })
}
