//! Running the cases of a corpus against zarrkit.

use std::collections::BTreeSet;
use std::error::Error as StdError;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use zarrkit_core::error::{CodecError, ExtensionKind};
use zarrkit_core::storage::{ListableStorageTraits, ReadableStorageExt, ReadableStorageTraits};
use zarrkit_core::{
    Array, ArrayBytes, ArrayError, ArrayMetadata, ArraySubset, Group, GroupError, MetadataError,
    Node, NodeMetadata, NodePath, PluginError, StorageError,
};

use crate::canonical::{
    canonical_bytes, canonical_ragged_bytes, first_difference_in, sha256_hex, CanonicalForm,
};
use crate::json::{json_diff_exact, json_diff_numeric};
use crate::manifest::{corpus_relative, Case, CaseKind, Manifest};
use crate::report::{one_line, ArrayInfo, CaseResult, Report, Status};
use crate::CorpusError;

/// Options of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Run only the cases whose id contains this string.
    pub filter: Option<String>,
    /// Skip (instead of failing) an array case that zarrkit refuses with a typed
    /// unsupported-feature error ([`CodecError::Unsupported`] anywhere in the error's source
    /// chain) and nothing else wrong: for the foreign-data run, whose stores hold features
    /// zarrkit names as unsupported. The skip detail names the feature.
    pub unsupported_is_skip: bool,
}

/// Run every case of the corpus in `dir`, opening each case's store with `open_store`
/// (called with `<corpus>/<store>`), and call `on_result` after each case (for streaming
/// output). Each case runs inside `catch_unwind`: a panic is a failure of that case.
pub fn run_corpus_with<S, F, G>(
    dir: &Path,
    options: &RunOptions,
    open_store: F,
    mut on_result: G,
) -> Result<Report, CorpusError>
where
    S: ReadableStorageTraits + ListableStorageTraits + ?Sized + 'static,
    F: Fn(&Path) -> Result<Arc<S>, StorageError>,
    G: FnMut(&CaseResult),
{
    let manifest = Manifest::load(dir)?;
    let names = extension_names_of_valid_cases(dir, &manifest);
    let ctx = Context {
        corpus: dir,
        names: &names,
        unsupported_is_skip: options.unsupported_is_skip,
    };
    let mut report = Report::default();
    for case in &manifest.cases {
        if let Some(f) = &options.filter {
            if !case.id.contains(f.as_str()) {
                continue;
            }
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| run_case(&ctx, case, &open_store)))
            .unwrap_or_else(|payload| {
                Outcome::fail(format!("panicked: {}", panic_message(payload.as_ref())))
            });
        let result = CaseResult {
            id: case.id.clone(),
            kind: case.kind,
            zarr_format: case.zarr_format,
            status: outcome.status,
            detail: one_line(&outcome.detail),
            array: outcome.array,
        };
        on_result(&result);
        report.push(result);
    }
    Ok(report)
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// The extension names (data types, codecs, chunk grids, chunk key encodings, storage
/// transformers; V2 dtypes, compressor and filter ids) that appear in the metadata of the
/// valid (non-`invalid`) cases of a corpus. An `invalid` case rejected only because one of
/// these is unknown is rejected for the wrong reason (a plugin is missing), so it is skipped.
pub fn extension_names_of_valid_cases(dir: &Path, manifest: &Manifest) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for case in manifest
        .cases
        .iter()
        .filter(|c| c.kind != CaseKind::Invalid)
    {
        let Ok(store) = case.store_dir(dir) else {
            continue;
        };
        let node = store.join(case.node_dir());
        for file in ["zarr.json", ".zarray", ".zgroup", ".zmetadata"] {
            let Ok(bytes) = std::fs::read(node.join(file)) else {
                continue;
            };
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                collect_extension_names(&v, &mut names);
            }
        }
    }
    names
}

/// Collect extension names from Zarr metadata JSON (V3 or V2), recursing into
/// configurations (sharding's inner codecs) and consolidated metadata, not into attributes.
pub fn collect_extension_names(v: &Value, out: &mut BTreeSet<String>) {
    fn ext_name(x: &Value, out: &mut BTreeSet<String>) {
        match x {
            Value::String(s) => {
                out.insert(s.clone());
            }
            Value::Object(m) => {
                for k in ["name", "id"] {
                    if let Some(Value::String(s)) = m.get(k) {
                        out.insert(s.clone());
                    }
                }
            }
            _ => {}
        }
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match k.as_str() {
                    "attributes" | ".zattrs" => continue,
                    "data_type" | "chunk_grid" | "chunk_key_encoding" | "compressor" | "dtype" => {
                        ext_name(x, out)
                    }
                    "codecs" | "index_codecs" | "storage_transformers" | "filters" => {
                        if let Value::Array(a) = x {
                            a.iter().for_each(|c| ext_name(c, out));
                        }
                    }
                    _ => {}
                }
                collect_extension_names(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_extension_names(x, out)),
        _ => {}
    }
}

struct Context<'a> {
    corpus: &'a Path,
    names: &'a BTreeSet<String>,
    unsupported_is_skip: bool,
}

/// The first [`CodecError::Unsupported`] in an error's source chain, as text.
fn unsupported_codec_error(e: &(dyn StdError + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(c @ CodecError::Unsupported { .. }) = err.downcast_ref::<CodecError>() {
            return Some(c.to_string());
        }
        cur = err.source();
    }
    None
}

struct Outcome {
    status: Status,
    detail: String,
    array: Option<ArrayInfo>,
}

impl Outcome {
    fn pass(detail: impl Into<String>) -> Self {
        Self {
            status: Status::Pass,
            detail: detail.into(),
            array: None,
        }
    }
    fn fail(detail: impl Into<String>) -> Self {
        Self {
            status: Status::Fail,
            detail: detail.into(),
            array: None,
        }
    }
    fn skip(detail: impl Into<String>) -> Self {
        Self {
            status: Status::Skip,
            detail: detail.into(),
            array: None,
        }
    }
    /// Pass with `detail` if there are no problems, else fail listing them.
    fn from_problems(problems: Vec<String>, detail: impl Into<String>) -> Self {
        if problems.is_empty() {
            Self::pass(detail)
        } else {
            Self::fail(problems.join("; "))
        }
    }
}

fn run_case<S, F>(ctx: &Context<'_>, case: &Case, open_store: &F) -> Outcome
where
    S: ReadableStorageTraits + ListableStorageTraits + ?Sized + 'static,
    F: Fn(&Path) -> Result<Arc<S>, StorageError>,
{
    if case.kind == CaseKind::Other {
        return Outcome::skip("unknown case kind (newer corpus?)");
    }
    let store_dir = match case.store_dir(ctx.corpus) {
        Ok(d) => d,
        Err(e) => return Outcome::fail(format!("manifest: {e}")),
    };
    if let Err(e) = NodePath::new(&case.path) {
        return Outcome::fail(format!("manifest: {e}"));
    }
    let store = match open_store(&store_dir) {
        Ok(s) => s,
        Err(e) => {
            return Outcome::fail(format!(
                "cannot open the store {}: {e}",
                store_dir.display()
            ))
        }
    };
    match case.kind {
        CaseKind::Array => check_array(ctx, case, store),
        CaseKind::Group => check_group(case, store),
        CaseKind::Invalid => check_invalid(ctx, case, store),
        CaseKind::Corrupt => check_corrupt(case, store),
        CaseKind::Other => Outcome::skip("unknown case kind"),
    }
}

/// Why opening a node failed, as far as the runner cares.
enum OpenFailure {
    /// A plugin is not registered.
    NeedsPlugin(ExtensionKind, String),
    /// No metadata (`zarr.json`, `.zarray` or `.zgroup`) at the path.
    NotFound,
    /// Anything else.
    Other,
}

/// Find a [`PluginError::Unknown`] in an error's source chain.
fn unknown_plugin(e: &(dyn StdError + 'static)) -> Option<(ExtensionKind, String)> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(PluginError::Unknown { kind, name }) = err.downcast_ref::<PluginError>() {
            return Some((*kind, name.clone()));
        }
        if let Some(m) = err.downcast_ref::<MetadataError>() {
            if let Some(PluginError::Unknown { kind, name }) = m.plugin_error() {
                return Some((*kind, name.clone()));
            }
        }
        cur = err.source();
    }
    None
}

fn classify_array_error(e: &ArrayError) -> OpenFailure {
    match e {
        ArrayError::NotFound(_) => OpenFailure::NotFound,
        ArrayError::Metadata(MetadataError::Plugin {
            source: PluginError::Unknown { kind, name },
            ..
        }) => OpenFailure::NeedsPlugin(*kind, name.clone()),
        other => match unknown_plugin(other) {
            Some((kind, name)) => OpenFailure::NeedsPlugin(kind, name),
            None => OpenFailure::Other,
        },
    }
}

fn classify_group_error(e: &GroupError) -> OpenFailure {
    match e {
        GroupError::NotFound(_) => OpenFailure::NotFound,
        GroupError::Array(a) => classify_array_error(a),
        other => match unknown_plugin(other) {
            Some((kind, name)) => OpenFailure::NeedsPlugin(kind, name),
            None => OpenFailure::Other,
        },
    }
}

/// The outcome of a valid case (array, group, corrupt) whose node did not open.
fn open_failed(
    failure: OpenFailure,
    error: &dyn std::fmt::Display,
    mut problems: Vec<String>,
) -> Outcome {
    let skip = match failure {
        OpenFailure::NeedsPlugin(kind, name) => Some(format!("needs {kind} plugin {name:?}")),
        _ => None,
    };
    match skip {
        Some(reason) if problems.is_empty() => Outcome::skip(reason),
        Some(reason) => {
            problems.push(format!("(then opening was skipped: {reason})"));
            Outcome::fail(problems.join("; "))
        }
        None => {
            problems.insert(0, format!("open failed: {error}"));
            Outcome::fail(problems.join("; "))
        }
    }
}

/// Parse `zarr.json` of a V3 node, write it back and parse that again: the written JSON
/// must equal the original (key order aside) and the re-parsed metadata the parsed one.
pub fn metadata_round_trip<S: ReadableStorageTraits + ?Sized>(
    store: &S,
    path: &str,
) -> Result<(), String> {
    let key = NodePath::new(path)
        .and_then(|p| p.key("zarr.json"))
        .map_err(|e| e.to_string())?;
    let Some(bytes) = store
        .get(&key)
        .map_err(|e| format!("reading zarr.json: {e}"))?
    else {
        return Err("no zarr.json".into());
    };
    metadata_round_trip_json(&bytes, path)
}

/// [`metadata_round_trip`] of given `zarr.json` bytes. Bare `NaN` / `Infinity` /
/// `-Infinity` tokens (as zarr-python writes non-finite attributes) are JSON as zarrkit
/// reads it ([`zarrkit_core::json::parse`]) and must be written back as the same tokens.
pub fn metadata_round_trip_json(bytes: &[u8], path: &str) -> Result<(), String> {
    let original: Value =
        zarrkit_core::json::parse(bytes).map_err(|e| format!("zarr.json is not JSON: {e}"))?;
    let parsed =
        NodeMetadata::from_json(bytes, path).map_err(|e| format!("parsing failed: {e}"))?;
    let map = match &parsed {
        NodeMetadata::Array(m) => m.to_map(),
        NodeMetadata::Group(m) => m.to_map(),
    };
    let written = Value::Object(map);
    // The text zarrkit writes: marker strings back as bare tokens.
    let text = zarrkit_core::json::to_vec_pretty(&written);
    if let Some(d) = json_diff_exact(&original, &written) {
        return Err(format!(
            "written JSON differs from zarr.json (original vs written) {d}"
        ));
    }
    match zarrkit_core::json::parse(&text) {
        Ok(w) if w == written => {}
        Ok(_) => return Err("the written zarr.json text reads back as other JSON".into()),
        Err(e) => return Err(format!("the written zarr.json is not JSON: {e}")),
    }
    let reparsed = NodeMetadata::from_json(&text, path)
        .map_err(|e| format!("re-parsing the written JSON failed: {e}"))?;
    if reparsed != parsed {
        return Err("re-parsed metadata differs from the parsed metadata".into());
    }
    Ok(())
}

fn round_trip_problems<S: ReadableStorageTraits + ?Sized>(case: &Case, store: &S) -> Vec<String> {
    if case.zarr_format != 3 {
        return Vec::new();
    }
    match metadata_round_trip(store, &case.path) {
        Ok(()) => Vec::new(),
        Err(e) => vec![format!("metadata round trip: {e}")],
    }
}

/// The V3 name of a numeric V2 dtype (`<i4` -> `int32`), if it is one.
pub fn v2_dtype_to_v3_name(dtype: &str) -> Option<&'static str> {
    let body = dtype.strip_prefix(['<', '>', '|', '=']).unwrap_or(dtype);
    Some(match body {
        "b1" => "bool",
        "i1" => "int8",
        "i2" => "int16",
        "i4" => "int32",
        "i8" => "int64",
        "u1" => "uint8",
        "u2" => "uint16",
        "u4" => "uint32",
        "u8" => "uint64",
        "f2" => "float16",
        "f4" => "float32",
        "f8" => "float64",
        "c8" => "complex64",
        "c16" => "complex128",
        _ => return None,
    })
}

/// Check the data type name: V3, the name as written in `zarr.json`; V2, the `dtype` string
/// of `.zarray`.
fn check_data_type<S: ?Sized>(case: &Case, array: &Array<S>, problems: &mut Vec<String>) {
    let Some(expected) = &case.expect.data_type else {
        return;
    };
    let name = match array.metadata() {
        ArrayMetadata::V3(m) => m.data_type.name(),
        ArrayMetadata::V2(m) => m.dtype.as_str(),
    };
    if name != expected {
        problems.push(format!("data_type is {name:?}, expected {expected:?}"));
    }
}

fn check_shape<S: ?Sized>(case: &Case, array: &Array<S>, problems: &mut Vec<String>) {
    if let Some(shape) = &case.expect.shape {
        if array.shape() != shape.as_slice() {
            problems.push(format!("shape is {:?}, expected {shape:?}", array.shape()));
        }
    }
}

fn check_array_metadata<S: ?Sized>(case: &Case, array: &Array<S>, problems: &mut Vec<String>) {
    let e = &case.expect;
    let v3 = case.zarr_format == 3;
    check_shape(case, array, problems);
    check_data_type(case, array, problems);
    if let Some(fill) = &e.fill_value {
        // The fill_value JSON as written (V2: null and "" included).
        let actual = match array.metadata() {
            ArrayMetadata::V3(m) => &m.fill_value,
            ArrayMetadata::V2(m) => &m.fill_value,
        };
        if let Some(d) = json_diff_numeric(actual, fill) {
            problems.push(format!("fill_value differs (actual vs expected) {d}"));
        }
    }
    if let Some(expected) = &e.chunk_shape {
        let chunk_shape = match array.metadata() {
            ArrayMetadata::V3(m) => m
                .chunk_grid
                .configuration()
                .and_then(|c| c.get("chunk_shape"))
                .cloned()
                .ok_or_else(|| m.chunk_grid.name().to_string()),
            ArrayMetadata::V2(m) => Ok(Value::from(m.chunks.clone())),
        };
        match chunk_shape {
            Ok(v) => {
                let expected_json = Value::from(expected.clone());
                if json_diff_numeric(&v, &expected_json).is_some() {
                    problems.push(format!("chunk_shape is {v}, expected {expected_json}"));
                }
            }
            Err(grid) => problems.push(format!(
                "chunk grid {grid:?} has no configuration.chunk_shape (expected {expected:?})"
            )),
        }
    }
    let names = array.dimension_names();
    let show = |n: &[Option<String>]| {
        Value::from(
            n.iter()
                .map(|x| x.clone().map_or(Value::Null, Value::String))
                .collect::<Vec<_>>(),
        )
    };
    match (&e.dimension_names, names) {
        (Some(expected), Some(actual)) if expected.as_slice() != actual => {
            problems.push(format!(
                "dimension_names are {}, expected {}",
                show(actual),
                show(expected)
            ));
        }
        (Some(expected), None) => problems.push(format!(
            "dimension_names are absent, expected {}",
            show(expected)
        )),
        (None, Some(actual)) if v3 => problems.push(format!(
            "dimension_names are {}, expected none",
            show(actual)
        )),
        _ => {}
    }
    if let Some(attrs) = &e.attributes {
        let actual = Value::Object(array.attributes().clone());
        if let Some(d) = json_diff_numeric(&actual, &Value::Object(attrs.clone())) {
            problems.push(format!("attributes differ (actual vs expected) {d}"));
        }
    }
}

fn read_whole<S: ReadableStorageTraits + ?Sized + 'static>(
    array: &Array<S>,
) -> Result<ArrayBytes, ArrayError> {
    array.retrieve_array_subset(&ArraySubset::new_with_shape(array.shape().to_vec()))
}

fn check_array<S>(ctx: &Context<'_>, case: &Case, store: Arc<S>) -> Outcome
where
    S: ReadableStorageTraits + ListableStorageTraits + ?Sized + 'static,
{
    let mut problems = round_trip_problems(case, &*store);
    let array = match Array::open(store, &case.path) {
        Ok(a) => a,
        Err(e) => {
            if let Some(u) = unsupported_codec_error(&e).filter(|_| ctx.unsupported_is_skip) {
                if problems.is_empty() {
                    return Outcome::skip(format!("zarrkit refuses to open it: {u}"));
                }
            }
            return open_failed(classify_array_error(&e), &e, problems);
        }
    };
    check_array_metadata(case, &array, &mut problems);
    let mut refused = None;
    match read_whole(&array) {
        Err(e) => {
            refused = unsupported_codec_error(&e).filter(|_| ctx.unsupported_is_skip);
            problems.push(format!("reading the whole array failed: {e}"));
        }
        Ok(bytes) => check_data(ctx, case, &array, &bytes, &mut problems),
    }
    let mut outcome = match refused {
        Some(u) if problems.len() == 1 => Outcome::skip(format!("zarrkit refuses to read it: {u}")),
        _ => Outcome::from_problems(problems, ""),
    };
    outcome.array = Some(array_info(&array));
    outcome
}

/// The data type and codec names zarrkit bound for an array (nested codecs included).
pub fn array_info<S: ?Sized>(array: &Array<S>) -> ArrayInfo {
    fn walk(m: &Value, out: &mut Vec<String>) {
        let Value::Object(o) = m else { return };
        if let Some(Value::String(n)) = o.get("name") {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        if let Some(Value::Object(conf)) = o.get("configuration") {
            for k in ["codecs", "index_codecs"] {
                if let Some(Value::Array(a)) = conf.get(k) {
                    a.iter().for_each(|c| walk(c, out));
                }
            }
        }
    }
    let mut codecs = Vec::new();
    for m in array.codecs().create_metadatas() {
        // Short-form metadata serialises as a bare string.
        match serde_json::to_value(&m) {
            Ok(Value::String(n)) if !codecs.contains(&n) => codecs.push(n),
            Ok(v) => walk(&v, &mut codecs),
            Err(_) => {}
        }
    }
    ArrayInfo {
        data_type: array.data_type().name(),
        codecs,
    }
}

/// The V3 data type name of ragged arrays (`dtype-vlen-array`).
const RAGGED_DATA_TYPE: &str = "zarrkit.vlen_array";

/// The size of one number of a ragged array's elements (`zarrkit.vlen_array`), or `None` if
/// the array is not ragged: the data type's configured element type, else the `dtype` of
/// its `vlen-array` codec (a V2 array binds the data type without an element type).
pub fn ragged_number_size<S: ?Sized>(array: &Array<S>) -> Result<Option<usize>, String> {
    let dt = array.data_type();
    if dt.name() != RAGGED_DATA_TYPE {
        return Ok(None);
    }
    let fixed = |d: zarrkit_core::DataType| {
        d.size()
            .fixed()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("ragged element type {} has no fixed size", d.name()))
    };
    if let Some(element) = dt.configuration().and_then(|c| c.get("data_type").cloned()) {
        let m: zarrkit_core::metadata::MetadataV3 =
            serde_json::from_value(element).map_err(|e| format!("ragged element type: {e}"))?;
        let d = zarrkit_core::registry::create_data_type(&m)
            .map_err(|e| format!("ragged element type: {e}"))?;
        return fixed(d).map(Some);
    }
    for m in array.codecs().create_metadatas() {
        if !matches!(m.name(), "numcodecs.vlen-array" | "vlen-array") {
            continue;
        }
        let Some(Value::String(dtype)) = m.configuration().and_then(|c| c.get("dtype")) else {
            return Err("the vlen-array codec has no dtype".into());
        };
        let d = zarrkit_core::registry::data_type_from_v2(dtype)
            .map_err(|e| format!("ragged element type {dtype:?}: {e}"))?;
        return fixed(d).map(Some);
    }
    Err("a ragged array without an element type or vlen-array codec".into())
}

/// The canonical bytes of an array's decoded data (`num_elements` elements) and how they
/// split into elements: [`canonical_bytes`], or [`canonical_ragged_bytes`] for ragged
/// arrays (see the extensions in [`crate::canonical`]).
pub fn array_canonical_bytes<S: ?Sized>(
    array: &Array<S>,
    bytes: &ArrayBytes,
    num_elements: usize,
) -> Result<(Vec<u8>, CanonicalForm), String> {
    match ragged_number_size(array)? {
        Some(size) => Ok((
            canonical_ragged_bytes(bytes, size, num_elements)?,
            CanonicalForm::CountPrefixed(size),
        )),
        None => Ok((
            canonical_bytes(bytes, array.data_type(), num_elements)?,
            array.data_type().size().into(),
        )),
    }
}

/// How an array's canonical bytes split into elements (see [`array_canonical_bytes`]).
pub fn canonical_form<S: ?Sized>(array: &Array<S>) -> CanonicalForm {
    match ragged_number_size(array) {
        Ok(Some(size)) => CanonicalForm::CountPrefixed(size),
        _ => array.data_type().size().into(),
    }
}

fn check_data<S: ?Sized>(
    ctx: &Context<'_>,
    case: &Case,
    array: &Array<S>,
    bytes: &ArrayBytes,
    problems: &mut Vec<String>,
) {
    let n = array
        .shape()
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .and_then(|n| usize::try_from(n).ok());
    let Some(n) = n else {
        problems.push(format!("shape {:?} has too many elements", array.shape()));
        return;
    };
    let (canonical, form) = match array_canonical_bytes(array, bytes, n) {
        Ok(c) => c,
        Err(e) => {
            problems.push(format!("decoded data: {e}"));
            return;
        }
    };
    let Some(expected_sha) = &case.expect.sha256 else {
        return;
    };
    let sha = sha256_hex(&canonical);
    if sha.eq_ignore_ascii_case(expected_sha) {
        return;
    }
    let mut msg = format!("sha256 of the canonical bytes is {sha}, expected {expected_sha}");
    if let Some(file) = &case.expect.elements_file {
        match corpus_relative(ctx.corpus, file)
            .and_then(|p| std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display())))
        {
            Ok(expected) => {
                if let Some(d) = first_difference_in(&canonical, &expected, form) {
                    msg.push_str(&format!("; {d}"));
                }
            }
            Err(e) => msg.push_str(&format!("; cannot read elements_file: {e}")),
        }
    }
    problems.push(msg);
}

fn check_group<S>(case: &Case, store: Arc<S>) -> Outcome
where
    S: ReadableStorageTraits + ListableStorageTraits + ?Sized + 'static,
{
    let mut problems = round_trip_problems(case, &*store);
    let group = match Group::open(store, &case.path) {
        Ok(g) => g,
        Err(e) => return open_failed(classify_group_error(&e), &e, problems),
    };
    let e = &case.expect;
    if let Some(attrs) = &e.attributes {
        let actual = Value::Object(group.attributes());
        if let Some(d) = json_diff_numeric(&actual, &Value::Object(attrs.clone())) {
            problems.push(format!("attributes differ (actual vs expected) {d}"));
        }
    }
    if let Some(children) = &e.children {
        match group.child_names() {
            Ok(actual) if &actual != children => {
                problems.push(format!("children are {actual:?}, expected {children:?}"));
            }
            Ok(_) => {}
            Err(err) => problems.push(format!("listing children failed: {err}")),
        }
    }
    if e.consolidated == Some(true) && !group.has_consolidated_metadata() {
        problems.push("consolidated metadata not recognised".into());
    }
    Outcome::from_problems(problems, "")
}

fn check_invalid<S>(ctx: &Context<'_>, case: &Case, store: Arc<S>) -> Outcome
where
    S: ReadableStorageTraits + ListableStorageTraits + ?Sized + 'static,
{
    match Node::open(store, &case.path) {
        Ok(Node::Array(array)) => match read_whole(&array) {
            Err(e) => Outcome::pass(format!("rejected when reading: {e}")),
            Ok(_) => Outcome::fail(
                "accepted: the array opened and the whole array was read without error",
            ),
        },
        Ok(Node::Group(_)) => Outcome::fail("accepted: the node opened as a group"),
        Err(e) => match classify_array_error(&e) {
            OpenFailure::NotFound => {
                Outcome::fail(format!("no metadata found (store or corpus broken?): {e}"))
            }
            OpenFailure::NeedsPlugin(kind, name) if ctx.names.contains(&name) => Outcome::skip(
                format!("needs {kind} plugin {name:?} (rejected only because it is missing: {e})"),
            ),
            _ => Outcome::pass(format!("rejected: {e}")),
        },
    }
}

fn check_corrupt<S>(case: &Case, store: Arc<S>) -> Outcome
where
    S: ReadableStorageTraits + ListableStorageTraits + ?Sized + 'static,
{
    let mut problems = round_trip_problems(case, &*store);
    let array = match Array::open(store, &case.path) {
        Ok(a) => a,
        Err(e) => return open_failed(classify_array_error(&e), &e, problems),
    };
    check_shape(case, &array, &mut problems);
    check_data_type(case, &array, &mut problems);
    match read_whole(&array) {
        Ok(bytes) => {
            problems.push(format!(
                "accepted: reading the whole array returned data ({} bytes) instead of an error",
                bytes.size()
            ));
            Outcome::fail(problems.join("; "))
        }
        Err(e) => Outcome::from_problems(problems, format!("rejected: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_names_are_collected() -> Result<(), serde_json::Error> {
        let v3: Value = serde_json::from_str(
            r#"{"zarr_format": 3, "node_type": "array", "data_type": "int32",
                "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
                "chunk_key_encoding": {"name": "default"},
                "codecs": [{"name": "sharding_indexed", "configuration": {
                    "codecs": ["bytes", {"name": "zstd"}], "index_codecs": [{"name": "crc32c"}]}}],
                "attributes": {"codecs": [{"name": "not-a-codec"}]}}"#,
        )?;
        let mut names = BTreeSet::new();
        collect_extension_names(&v3, &mut names);
        let want: BTreeSet<String> = [
            "int32",
            "regular",
            "default",
            "sharding_indexed",
            "bytes",
            "zstd",
            "crc32c",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(names, want);
        let v2: Value = serde_json::from_str(
            r#"{"zarr_format": 2, "dtype": "<i4", "compressor": {"id": "zlib", "level": 1},
                "filters": [{"id": "delta", "dtype": "<i4"}]}"#,
        )?;
        let mut names = BTreeSet::new();
        collect_extension_names(&v2, &mut names);
        assert!(names.contains("zlib") && names.contains("delta") && names.contains("<i4"));
        Ok(())
    }

    #[test]
    fn v2_dtypes() {
        assert_eq!(v2_dtype_to_v3_name("<i4"), Some("int32"));
        assert_eq!(v2_dtype_to_v3_name(">c16"), Some("complex128"));
        assert_eq!(v2_dtype_to_v3_name("|b1"), Some("bool"));
        assert_eq!(v2_dtype_to_v3_name("|O"), None);
        assert_eq!(v2_dtype_to_v3_name("<U5"), None);
    }

    #[test]
    fn unknown_plugin_found_in_chain() {
        let e = ArrayError::Metadata(MetadataError::Plugin {
            node: "/".into(),
            source: PluginError::Unknown {
                kind: ExtensionKind::Codec,
                name: "gzip".into(),
            },
        });
        assert!(
            matches!(classify_array_error(&e), OpenFailure::NeedsPlugin(ExtensionKind::Codec, n) if n == "gzip")
        );
        let g = GroupError::Metadata(MetadataError::Plugin {
            node: "/".into(),
            source: PluginError::Unknown {
                kind: ExtensionKind::DataType,
                name: "int8".into(),
            },
        });
        assert!(
            matches!(classify_group_error(&g), OpenFailure::NeedsPlugin(ExtensionKind::DataType, n) if n == "int8")
        );
        let other = ArrayError::Metadata(MetadataError::invalid("/", "bad"));
        assert!(matches!(classify_array_error(&other), OpenFailure::Other));
        assert!(matches!(
            classify_array_error(&ArrayError::NotFound("/".into())),
            OpenFailure::NotFound
        ));
    }

    #[test]
    fn round_trip_of_metadata() {
        let array =
            br#"{"zarr_format": 3, "node_type": "array", "shape": [2], "data_type": "int32",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0.0,
            "codecs": ["bytes"], "attributes": {"x": 1e3}}"#;
        assert_eq!(metadata_round_trip_json(array, "/"), Ok(()));
        let group = br#"{"node_type": "group", "attributes": {"a": 1}, "zarr_format": 3}"#;
        assert_eq!(metadata_round_trip_json(group, "/"), Ok(()));
        assert!(metadata_round_trip_json(b"{", "/").is_err());
        // Bare non-finite attributes (zarr-python) round-trip as the same tokens.
        let nan_group =
            br#"{"node_type": "group", "attributes": {"a": NaN, "b": [-Infinity, 1.5]}, "zarr_format": 3}"#;
        assert_eq!(metadata_round_trip_json(nan_group, "/"), Ok(()));
    }

    #[test]
    fn unsupported_errors_are_found_in_the_chain() {
        let e = ArrayError::Codec {
            key: "0".into(),
            source: CodecError::unsupported("numcodecs.msgpack2", "element 1: bytes"),
        };
        let u = unsupported_codec_error(&e).unwrap_or_default();
        assert!(u.contains("unsupported: element 1: bytes"), "{u}");
        let corrupt = ArrayError::Codec {
            key: "0".into(),
            source: CodecError::new("numcodecs.msgpack2", "truncated"),
        };
        assert_eq!(unsupported_codec_error(&corrupt), None);
    }
}

#[cfg(test)]
mod corpus_tests {
    //! A tiny synthetic corpus run end to end with no plugin registered.

    use std::path::Path;

    use super::*;
    use crate::store::memory_store_from_dir;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn write(root: &Path, rel: &str, text: &str) -> TestResult {
        let p = root.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, text)?;
        Ok(())
    }

    const ARRAY: &str = r#"{"zarr_format": 3, "node_type": "array", "shape": [2, 3],
        "data_type": "x-test-int", "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 3]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [{"name": "x-test-codec"}],
        "attributes": {}}"#;

    #[test]
    fn synthetic_corpus() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        write(
            root,
            "stores/g/zarr.json",
            r#"{"zarr_format": 3, "node_type": "group", "attributes": {"n": 1.0}}"#,
        )?;
        write(root, "stores/g/a/zarr.json", ARRAY)?;
        write(
            root,
            "stores/g/b/zarr.json",
            r#"{"zarr_format": 3, "node_type": "group"}"#,
        )?;
        write(root, "stores/g/notanode/x", "")?;
        write(
            root,
            "stores/bad/zarr.json",
            r#"{"zarr_format": 3, "node_type": "#,
        )?;
        write(
            root,
            "stores/unknown-codec/zarr.json",
            &ARRAY.replace("x-test-codec", "x-never-used"),
        )?;
        write(
            root,
            "stores/missing-plugin/zarr.json",
            &ARRAY.replace("[2, 3]}}", "[2]}}"),
        )?;
        write(
            root,
            "stores/v2/.zarray",
            r#"{"zarr_format": 2, "shape": [2], "chunks": [2], "dtype": "<x9", "fill_value": null,
                "order": "C", "filters": null, "compressor": null}"#,
        )?;
        let manifest = r#"{"format": 1, "future_field": [1, 2], "cases": [
          {"id": "group", "store": "stores/g", "path": "/", "zarr_format": 3, "kind": "group",
           "expect": {"attributes": {"n": 1}, "children": ["a", "b"]}},
          {"id": "group-wrong", "store": "stores/g", "path": "/", "zarr_format": 3, "kind": "group",
           "expect": {"attributes": {}, "children": ["a"]}},
          {"id": "array", "store": "stores/g", "path": "/a", "zarr_format": 3, "kind": "array",
           "expect": {"shape": [2, 3], "data_type": "x-test-int", "fill_value": 0, "sha256": "00"}},
          {"id": "invalid-json", "store": "stores/bad", "path": "/", "zarr_format": 3, "kind": "invalid",
           "expect": {"error": "not JSON"}},
          {"id": "invalid-codec", "store": "stores/unknown-codec", "path": "/", "zarr_format": 3, "kind": "invalid",
           "expect": {"error": "unknown codec"}},
          {"id": "invalid-needs-plugin", "store": "stores/missing-plugin", "path": "/", "zarr_format": 3,
           "kind": "invalid", "expect": {"error": "chunk rank"}},
          {"id": "v2", "store": "stores/v2", "path": "/", "zarr_format": 2, "kind": "array",
           "expect": {"fill_value": null}},
          {"id": "escape", "store": "../outside", "path": "/", "zarr_format": 3, "kind": "group"},
          {"id": "future-kind", "store": "stores/g", "path": "/", "zarr_format": 3, "kind": "hologram"}
        ]}"#;
        write(root, "manifest.json", manifest)?;

        let m = Manifest::load(root)?;
        assert_eq!(m.cases.len(), 9);
        assert_eq!(m.cases[6].expect.fill_value, Some(Value::Null));
        assert_eq!(m.cases[8].kind, CaseKind::Other);

        let mut streamed = Vec::new();
        let open = |p: &Path| memory_store_from_dir(p).map(Arc::new);
        let report = run_corpus_with(root, &RunOptions::default(), open, |r| {
            streamed.push(r.id.clone())
        })?;
        let status: Vec<(&str, Status)> = report
            .cases
            .iter()
            .map(|c| (c.id.as_str(), c.status))
            .collect();
        assert_eq!(
            status,
            vec![
                ("group", Status::Pass),
                ("group-wrong", Status::Fail),
                ("array", Status::Skip),
                ("invalid-json", Status::Pass),
                ("invalid-codec", Status::Pass),
                ("invalid-needs-plugin", Status::Skip),
                ("v2", Status::Skip),
                ("escape", Status::Fail),
                ("future-kind", Status::Skip),
            ],
            "{report}"
        );
        assert_eq!(streamed.len(), 9);
        assert_eq!(report.summary_line(), "3 passed, 2 failed, 4 skipped");
        let detail = |id: &str| {
            report
                .cases
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.detail.clone())
                .unwrap_or_default()
        };
        assert!(
            detail("array").starts_with("needs codec plugin \"x-test-codec\""),
            "{}",
            detail("array")
        );
        assert!(
            detail("invalid-needs-plugin").contains("x-test-codec"),
            "{}",
            detail("invalid-needs-plugin")
        );
        assert!(
            detail("v2").starts_with("needs data type plugin \"V2 dtype <x9\""),
            "{}",
            detail("v2")
        );
        assert!(
            detail("group-wrong").contains("children"),
            "{}",
            detail("group-wrong")
        );

        let filtered = run_corpus_with(
            root,
            &RunOptions {
                filter: Some("invalid".into()),
                ..RunOptions::default()
            },
            open,
            |_| {},
        )?;
        assert_eq!(filtered.cases.len(), 3);
        Ok(())
    }

    #[test]
    fn panics_are_failures() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        write(
            root,
            "stores/g/zarr.json",
            r#"{"zarr_format": 3, "node_type": "group"}"#,
        )?;
        write(
            root,
            "manifest.json",
            r#"{"format": 1, "cases": [{"id": "p", "store": "stores/g", "path": "/", "zarr_format": 3, "kind": "group"}]}"#,
        )?;
        #[allow(clippy::panic)]
        let open = |_: &Path| -> Result<Arc<zarrkit_core::storage::MemoryStore>, StorageError> {
            panic!("store exploded")
        };
        let report = run_corpus_with(root, &RunOptions::default(), open, |_| {})?;
        assert_eq!(report.failed, 1);
        assert_eq!(report.cases[0].detail, "panicked: store exploded");
        Ok(())
    }
}
