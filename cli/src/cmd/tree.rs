//! `zarrkit tree URL`: the hierarchy below a group, from its consolidated metadata when it
//! has some (children are then listed and opened without listing the store). A child whose
//! metadata cannot be opened is shown with its error instead of failing the whole tree.

use serde_json::{json, Value};
use zarrkit::{Array, DynStore, Group, GroupError, Node};

use crate::cli::TreeArgs;
use crate::cmd::info::codec_text;
use crate::error::{one_line, CliError, Context};
use crate::location;
use crate::output::{shape_text, Ctx, Outcome};

/// Run `tree`.
pub fn run(args: &TreeArgs, _cx: &Ctx) -> Result<Outcome, CliError> {
    let what = || format!("tree {}", location::where_(&args.url, &args.node));
    let node = location::group_or_array(&args.url, &args.node).map_err(|e| e.context(what()))?;
    let mut text = String::new();
    let json = match node {
        Node::Array(a) => {
            text.push_str(&format!("{} {}", label(a.path().as_str()), array_line(&a)));
            array_json(&a)
        }
        Node::Group(g) => {
            text.push_str(&format!(
                "{} (group, zarr v{}{})",
                label(g.path().as_str()),
                g.zarr_format(),
                if g.has_consolidated_metadata() {
                    ", consolidated metadata"
                } else {
                    ""
                }
            ));
            let mut j = group_json(&g);
            let children = walk(&g, "", args.depth, 1, &mut text).map_err(|e| e.context(what()))?;
            j["children"] = Value::Array(children);
            j
        }
    };
    Ok(Outcome::ok(text, json))
}

fn label(path: &str) -> String {
    if path == "/" {
        "/".into()
    } else {
        path.rsplit('/').next().unwrap_or(path).to_string()
    }
}

/// One line for an array: data type, shape, chunks, codecs.
fn array_line(a: &Array<DynStore>) -> String {
    let zeros = vec![0u64; a.dimensionality()];
    let chunks = a.chunk_shape(&zeros).ok();
    let mut s = format!("{} {}", a.data_type().name(), shape_text(a.shape()));
    match (a.inner_chunk_shape(), chunks) {
        (Some(inner), Some(c)) => s.push_str(&format!(
            " shards {} inner {}",
            shape_text(&c),
            shape_text(&inner)
        )),
        (None, Some(c)) => s.push_str(&format!(" chunks {}", shape_text(&c))),
        _ => {}
    }
    let codecs: Vec<String> = a
        .codecs()
        .create_metadatas()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    s.push_str(&format!(" [{}] (v{})", codecs.join(", "), a.zarr_format()));
    s
}

fn array_json(a: &Array<DynStore>) -> Value {
    let zeros = vec![0u64; a.dimensionality()];
    json!({
        "path": a.path().as_str(),
        "name": label(a.path().as_str()),
        "node_type": "array",
        "zarr_format": a.zarr_format(),
        "shape": a.shape(),
        "data_type": a.data_type().name(),
        "chunk_shape": a.chunk_shape(&zeros).ok(),
        "inner_chunk_shape": a.inner_chunk_shape(),
        "codecs": a.codecs().create_metadatas().iter().map(codec_text).collect::<Vec<_>>(),
        "dimension_names": a.dimension_names(),
    })
}

fn group_json(g: &Group<DynStore>) -> Value {
    json!({
        "path": g.path().as_str(),
        "name": label(g.path().as_str()),
        "node_type": "group",
        "zarr_format": g.zarr_format(),
        "consolidated_metadata": g.has_consolidated_metadata(),
        "attributes": g.attributes(),
        "children": [],
    })
}

fn walk(
    g: &Group<DynStore>,
    indent: &str,
    depth: Option<usize>,
    level: usize,
    text: &mut String,
) -> Result<Vec<Value>, CliError> {
    if depth.is_some_and(|d| level > d) {
        return Ok(Vec::new());
    }
    let names = g
        .child_names()
        .ctx(|| format!("cannot list the children of {}", g.path()))?;
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let last = i + 1 == names.len();
        let (branch, more) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        text.push('\n');
        text.push_str(indent);
        text.push_str(branch);
        match g.open_group(name) {
            Ok(child) => {
                text.push_str(&format!("{name} (group)"));
                let mut j = group_json(&child);
                let sub = walk(&child, &format!("{indent}{more}"), depth, level + 1, text)?;
                j["children"] = Value::Array(sub);
                out.push(j);
            }
            Err(GroupError::NotAGroup(_)) => match g.open_array(name) {
                Ok(a) => {
                    text.push_str(&format!("{name} {}", array_line(&a)));
                    out.push(array_json(&a));
                }
                Err(e) => out.push(broken(name, &e.to_string(), text)),
            },
            Err(e) => out.push(broken(name, &e.to_string(), text)),
        }
    }
    Ok(out)
}

fn broken(name: &str, e: &str, text: &mut String) -> Value {
    let e = one_line(e);
    text.push_str(&format!("{name} (cannot open: {e})"));
    json!({"name": name, "node_type": null, "error": e})
}
