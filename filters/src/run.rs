//! JSON run configurations: a list of filter steps with named temporaries, as
//! zarrs_filter's run configuration.
//!
//! ```json
//! [
//!   {"filter": "reencode", "input": "in.zarr", "output": "$a", "chunk_shape": [32, 32]},
//!   {"filter": "gaussian", "sigma": [1.0, 1.0], "kernel_half_size": [3, 3], "output": "$b"},
//!   {"filter": "equal", "input": "$a", "value": 7, "output": "mask.zarr"}
//! ]
//! ```
//!
//! Each step is an object: `"filter"` names the filter and its parameters sit beside it
//! (see each filter), with `"input"` and `"output"` (a store URL or path, the array at its
//! root, or `$name`: a named temporary), the [`Encoding`] members (`data_type`,
//! `chunk_shape`, `shard_shape`, codecs, ...) and `"chunk_limit"`. An omitted `"input"` is
//! the previous step's output; an omitted `"output"` is an unnamed temporary; the first
//! step needs an input that is no temporary. Temporaries live in a temporary directory
//! (or in memory, [`RunOptions::temporaries_in_memory`]) and are deleted at the end.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::Array;

use crate::encoding::Encoding;
use crate::exec::ExecOptions;
use crate::filters::{run_filter, DynStore, Filter, OutputExists, OutputSpec};
use crate::progress::{FilterStats, ProgressStats};
use crate::FilterError;

/// One step of a run.
#[derive(Debug)]
pub struct Step {
    /// The filter and its parameters.
    pub filter: Box<dyn Filter>,
    /// The input: a store URL or path, `$name`, or `None` (the previous output).
    pub input: Option<String>,
    /// The output: a store URL or path, `$name`, or `None` (an unnamed temporary).
    pub output: Option<String>,
    /// The output encoding.
    pub encoding: Encoding,
    /// This step's chunk limit (default: the run's).
    pub chunk_limit: Option<usize>,
}

const STEP_KEYS: &[&str] = &["input", "output", "chunk_limit"];
const ENCODING_KEYS: &[&str] = &[
    "data_type",
    "fill_value",
    "chunk_shape",
    "shard_shape",
    "ignore_input_sharding",
    "array_to_array_codecs",
    "array_to_bytes_codec",
    "bytes_to_bytes_codecs",
    "separator",
    "dimension_names",
    "attributes",
    "attributes_append",
];

impl Step {
    /// Parse one step from its JSON object (`index` names it in errors).
    pub fn from_json(index: usize, value: Value) -> Result<Self, FilterError> {
        let err = |m: String| FilterError::RunConfig(format!("step {index}: {m}"));
        let Value::Object(mut map) = value else {
            return Err(err("a step must be a JSON object".into()));
        };
        let name = map
            .get("filter")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| err("missing member \"filter\" (the filter's name)".into()))?;
        let err = |m: String| FilterError::RunConfig(format!("step {index} ({name}): {m}"));
        let string =
            |map: &mut Map<String, Value>, k: &str| -> Result<Option<String>, FilterError> {
                match map.remove(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s)),
                    Some(v) => Err(err(format!("\"{k}\" must be a string, not {v}"))),
                }
            };
        let input = string(&mut map, "input")?;
        let output = string(&mut map, "output")?;
        let chunk_limit = match map.remove("chunk_limit") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        err(format!(
                            "\"chunk_limit\" must be a positive integer, not {v}"
                        ))
                    })?,
            ),
        };
        let mut enc = Map::new();
        for k in ENCODING_KEYS {
            if let Some(v) = map.remove(*k) {
                enc.insert((*k).to_string(), v);
            }
        }
        let encoding: Encoding = serde_path_to_error::deserialize(Value::Object(enc))
            .map_err(|e| err(format!("encoding member {}: {}", e.path(), e.inner())))?;
        // The tag first, so typetag reads the parameters without buffering them.
        let mut filter_map = Map::new();
        if let Some(tag) = map.remove("filter") {
            filter_map.insert("filter".into(), tag);
        }
        filter_map.extend(map);
        let filter: Box<dyn Filter> = serde_path_to_error::deserialize(Value::Object(filter_map))
            .map_err(|e| {
            let path = e.path().to_string();
            if path == "." {
                err(e.inner().to_string())
            } else {
                err(format!("parameter {path}: {}", e.inner()))
            }
        })?;
        Ok(Self {
            filter,
            input,
            output,
            encoding,
            chunk_limit,
        })
    }

    /// The step as a JSON object.
    pub fn to_json(&self) -> Result<Value, FilterError> {
        let f =
            serde_json::to_value(&self.filter).map_err(|e| FilterError::Other(e.to_string()))?;
        let Value::Object(mut map) = f else {
            return Err(FilterError::Other(
                "a filter serialised to a non-object".into(),
            ));
        };
        if let Some(i) = &self.input {
            map.insert("input".into(), Value::String(i.clone()));
        }
        if let Some(o) = &self.output {
            map.insert("output".into(), Value::String(o.clone()));
        }
        if let Some(c) = self.chunk_limit {
            map.insert("chunk_limit".into(), Value::from(c));
        }
        if let Value::Object(e) =
            serde_json::to_value(&self.encoding).map_err(|e| FilterError::Other(e.to_string()))?
        {
            map.extend(e);
        }
        debug_assert!(STEP_KEYS.iter().all(|k| !ENCODING_KEYS.contains(k)));
        Ok(Value::Object(map))
    }
}

/// A run configuration: steps run in order.
#[derive(Debug, Default)]
pub struct RunConfig {
    /// The steps.
    pub steps: Vec<Step>,
}

impl RunConfig {
    /// Parse a JSON run configuration (a list of steps), checking the temporaries: the
    /// first step's input is given and no temporary, and every `$name` read was written
    /// by an earlier step.
    pub fn from_json(text: &str) -> Result<Self, FilterError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| FilterError::RunConfig(format!("invalid JSON: {e}")))?;
        let Value::Array(items) = v else {
            return Err(FilterError::RunConfig(
                "a run configuration is a JSON list of steps".into(),
            ));
        };
        if items.is_empty() {
            return Err(FilterError::RunConfig("no steps".into()));
        }
        let steps = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| Step::from_json(i, v))
            .collect::<Result<Vec<_>, _>>()?;
        let config = Self { steps };
        config.check()?;
        Ok(config)
    }

    /// Check the inputs and outputs of the steps (see [`RunConfig::from_json`]).
    pub fn check(&self) -> Result<(), FilterError> {
        let mut written: Vec<&str> = Vec::new();
        for (i, s) in self.steps.iter().enumerate() {
            let err =
                |m: String| FilterError::RunConfig(format!("step {i} ({}): {m}", s.filter.name()));
            match (&s.input, i) {
                (None, 0) => return Err(err("the first step needs an \"input\"".into())),
                (Some(t), _) if is_temporary(t) && !written.contains(&t.as_str()) => {
                    return Err(err(format!(
                        "input {t:?} is a temporary no earlier step writes"
                    )))
                }
                _ => {}
            }
            if let Some(o) = &s.output {
                if Some(o) == s.input.as_ref() {
                    return Err(err(format!("the output {o:?} is also the input")));
                }
                if is_temporary(o) {
                    written.push(o);
                }
            }
        }
        Ok(())
    }

    /// The configuration as JSON.
    pub fn to_json(&self) -> Result<Value, FilterError> {
        Ok(Value::Array(
            self.steps
                .iter()
                .map(Step::to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ))
    }
}

fn is_temporary(s: &str) -> bool {
    s.starts_with('$')
}

/// Progress of a run: the step index and that step's progress.
pub type RunProgressCallback<'a> = &'a (dyn Fn(usize, &ProgressStats) + Sync);

/// Options of [`run`].
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Where temporaries go (default: the system's temporary directory).
    pub tmp_dir: Option<PathBuf>,
    /// Keep temporaries in memory instead (small arrays, tests).
    pub temporaries_in_memory: bool,
    /// What to do with an existing output (default: erase it, as zarrs_filter does).
    pub exists: OutputExists,
    /// The execution options (a step's `chunk_limit` overrides the chunk limit).
    pub exec: ExecOptions,
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// The filter's name.
    pub filter: &'static str,
    /// The input as configured (the resolved path for the previous output).
    pub input: String,
    /// The output as configured (`$name` or a URL; unnamed temporaries are `$<step>`).
    pub output: String,
    /// The output shape.
    pub shape: Vec<u64>,
    /// The output data type.
    pub data_type: String,
    /// Statistics.
    pub stats: FilterStats,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// One report per step.
    pub steps: Vec<StepReport>,
}

struct Temporaries {
    dir: Option<tempfile::TempDir>,
    stores: HashMap<String, Arc<DynStore>>,
}

fn open_url(url: &str) -> Result<Arc<DynStore>, FilterError> {
    Ok(zarrkit_core::registry::open_store(url)?)
}

impl Temporaries {
    fn store(&mut self, name: &str, options: &RunOptions) -> Result<Arc<DynStore>, FilterError> {
        if let Some(s) = self.stores.get(name) {
            return Ok(s.clone());
        }
        let store: Arc<DynStore> = if options.temporaries_in_memory {
            Arc::new(MemoryStore::new())
        } else {
            if self.dir.is_none() {
                let dir = match &options.tmp_dir {
                    Some(d) => tempfile::Builder::new()
                        .prefix("zarrkit-filter-")
                        .tempdir_in(d)?,
                    None => tempfile::Builder::new()
                        .prefix("zarrkit-filter-")
                        .tempdir()?,
                };
                self.dir = Some(dir);
            }
            let dir = self
                .dir
                .as_ref()
                .ok_or_else(|| FilterError::Other("no temporary directory".into()))?;
            let safe: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let path = dir.path().join(format!("{safe}.zarr"));
            std::fs::create_dir_all(&path)?;
            open_url(&path.to_string_lossy())?
        };
        self.stores.insert(name.to_string(), store.clone());
        Ok(store)
    }
}

/// Run every step of a configuration in order. Inputs and outputs are opened through the
/// store registry (`zarrkit_core::registry::open_store`: paths and registered URL schemes);
/// each output's metadata is written when its step finishes.
pub fn run(
    config: &RunConfig,
    options: &RunOptions,
    progress: Option<RunProgressCallback<'_>>,
) -> Result<RunReport, FilterError> {
    config.check()?;
    let mut temps = Temporaries {
        dir: None,
        stores: HashMap::new(),
    };
    let mut report = RunReport::default();
    let mut previous: Option<(String, Arc<DynStore>)> = None;
    for (i, step) in config.steps.iter().enumerate() {
        let ctx = |e: FilterError| match e {
            FilterError::RunConfig(m) => FilterError::RunConfig(m),
            e => FilterError::RunConfig(format!("step {i} ({}): {e}", step.filter.name())),
        };
        let (in_name, in_store) = match &step.input {
            None => previous
                .clone()
                .ok_or_else(|| FilterError::RunConfig(format!("step {i}: no input")))?,
            Some(t) if is_temporary(t) => (t.clone(), temps.store(t, options)?),
            Some(url) => (url.clone(), open_url(url).map_err(ctx)?),
        };
        let out_name = step.output.clone().unwrap_or_else(|| format!("${i}"));
        let out_store = if is_temporary(&out_name) {
            temps.store(&out_name, options)?
        } else {
            open_url(&out_name).map_err(ctx)?
        };
        let input = Array::open(in_store, "/").map_err(|e| ctx(e.into()))?;
        let mut exec = options.exec;
        if step.chunk_limit.is_some() {
            exec.chunk_limit = step.chunk_limit;
        }
        let spec = OutputSpec {
            encoding: step.encoding.clone(),
            exists: if is_temporary(&out_name) {
                OutputExists::Erase
            } else {
                options.exists
            },
        };
        let cb = progress.map(|p| move |s: &ProgressStats| p(i, s));
        let cb_ref: Option<&(dyn Fn(&ProgressStats) + Sync)> =
            cb.as_ref().map(|c| c as &(dyn Fn(&ProgressStats) + Sync));
        let (output, stats) = run_filter(
            step.filter.as_ref(),
            &input,
            out_store.clone(),
            "/",
            &spec,
            &exec,
            cb_ref,
        )
        .map_err(ctx)?;
        report.steps.push(StepReport {
            filter: step.filter.name(),
            input: in_name,
            output: out_name.clone(),
            shape: output.shape().to_vec(),
            data_type: output.data_type().name(),
            stats,
        });
        previous = Some((out_name, out_store));
    }
    Ok(report)
}
