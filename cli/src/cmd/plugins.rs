//! `zarrkit plugins`: what this binary can read and write — every registered codec, data
//! type, chunk grid, chunk key encoding and store scheme, with aliases and Zarr V2 ids.

use serde_json::{json, Value};
use zarrkit::registry::{self, PluginEntry};

use crate::cli::PluginsArgs;
use crate::error::CliError;
use crate::output::{Ctx, Outcome};

fn entries<P: PluginEntry + zarrkit::inventory::Collect>(
    r: &registry::Registry<P>,
    v2_label: &str,
) -> Vec<Value> {
    let mut v: Vec<Value> = r
        .entries()
        .iter()
        .map(|p| {
            let mut j = json!({"name": p.name(), "aliases": p.aliases()});
            if !v2_label.is_empty() {
                j[v2_label] = json!(p.v2_ids());
            }
            j
        })
        .collect();
    v.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    v.dedup_by(|a, b| a["name"] == b["name"]);
    v
}

/// Run `plugins`.
pub fn run(_args: &PluginsArgs, _cx: &Ctx) -> Result<Outcome, CliError> {
    let kinds = [
        ("codecs", "codec", entries(&registry::CODECS, "v2_ids")),
        (
            "data_types",
            "data type",
            entries(&registry::DATA_TYPES, "v2_object_codec_ids"),
        ),
        (
            "chunk_grids",
            "chunk grid",
            entries(&registry::CHUNK_GRIDS, ""),
        ),
        (
            "chunk_key_encodings",
            "chunk key encoding",
            entries(&registry::CHUNK_KEY_ENCODINGS, ""),
        ),
        ("stores", "store scheme", entries(&registry::STORES, "")),
    ];
    let mut json = serde_json::Map::new();
    let mut text = String::new();
    for (key, label, list) in kinds {
        text.push_str(&format!("{label}s ({}):\n", list.len()));
        for e in &list {
            let name = e["name"].as_str().unwrap_or_default();
            let mut line = format!("  {name}");
            let strs = |k: &str| -> Vec<String> {
                e.get(k)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let aliases = strs("aliases");
            if !aliases.is_empty() {
                line.push_str(&format!("  (aliases: {})", aliases.join(", ")));
            }
            let v2 = strs("v2_ids");
            if !v2.is_empty() {
                line.push_str(&format!("  (V2 ids: {})", v2.join(", ")));
            }
            let obj = strs("v2_object_codec_ids");
            if !obj.is_empty() {
                line.push_str(&format!("  (V2 |O with: {})", obj.join(", ")));
            }
            if key == "stores" {
                line.push_str("://");
            }
            text.push_str(&line);
            text.push('\n');
        }
        json.insert(key.into(), Value::Array(list));
    }
    let dups = registry::duplicate_names();
    if !dups.is_empty() {
        text.push_str(&format!("names claimed twice: {}\n", dups.join(", ")));
    }
    json.insert("duplicates".into(), json!(dups));
    Ok(Outcome::ok(
        text.trim_end().to_string(),
        Value::Object(json),
    ))
}
