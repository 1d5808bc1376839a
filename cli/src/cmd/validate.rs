//! `zarrkit validate A B`: element-wise equality of two arrays whatever their encodings.
//!
//! The arrays are equal when their shapes, data types (name and configuration) and every
//! element's bytes (in memory: native byte order; NaNs compared by their bits) are equal;
//! codecs, chunking, key encodings, fill values and attributes may differ. The comparison
//! reads the first array's chunks (in parts of inner chunks when sharded), in parallel, and
//! the same regions of the second. It reports the first differing element in C order: once
//! a difference is found, only blocks that start before it are still compared.

use std::sync::Mutex;

use serde_json::{json, Value};
use zarrkit::{Array, ArrayBytes, CodecOptions, DataType, DynStore, FillValue};

use crate::blocks::{self, Flow};
use crate::cast::Caster;
use crate::cli::ValidateArgs;
use crate::error::{CliError, Context, EXIT_DIFFER, EXIT_ERROR_VALIDATE};
use crate::location;
use crate::output::{compact, shape_text, Ctx, Outcome};
use crate::spec::same_data_type;

/// The first difference between two arrays.
#[derive(Debug, Clone)]
pub struct Difference {
    /// Why they differ (`shape`, `data type`, `element`).
    pub what: String,
    /// The element's indices (for an element difference).
    pub indices: Option<Vec<u64>>,
    /// The first array's value (JSON).
    pub first: Value,
    /// The second array's value (JSON).
    pub second: Value,
}

impl Difference {
    /// As text.
    pub fn text(&self) -> String {
        match &self.indices {
            Some(i) => format!(
                "element {} differs: {} vs {}",
                shape_text(i),
                compact(&self.first),
                compact(&self.second)
            ),
            None => format!(
                "{} differs: {} vs {}",
                self.what,
                compact(&self.first),
                compact(&self.second)
            ),
        }
    }

    /// As JSON.
    pub fn json(&self) -> Value {
        json!({"what": self.what, "indices": self.indices, "first": self.first, "second": self.second})
    }
}

/// What a comparison found.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The first difference, if any.
    pub difference: Option<Difference>,
    /// Elements compared.
    pub elements: u64,
}

/// Run `validate`.
pub fn run(args: &ValidateArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    let what = || format!("validate {} {}", args.first, args.second);
    let err = |e: CliError| e.context(what()).with_code(EXIT_ERROR_VALIDATE);
    if args.direct_io {
        cx.note("--direct-io is ignored (the filesystem store has no direct I/O mode)");
    }
    let a = location::array(&args.first, "/").map_err(err)?;
    let b = location::array(&args.second, "/").map_err(err)?;
    let (workers, codec) =
        blocks::concurrency(args.concurrency.concurrent_chunks, blocks::chunk_count(&a));
    let opts = blocks::options(codec, !args.ignore_checksums);
    let t = std::time::Instant::now();
    let c = compare(&a, &b, None, workers, &opts, cx).map_err(err)?;
    let secs = t.elapsed().as_secs_f64();
    Ok(match &c.difference {
        None => Outcome::ok(
            format!(
                "equal: {} and {} ({} elements of {} in {:.2} s)",
                args.first,
                args.second,
                c.elements,
                a.data_type().name(),
                secs
            ),
            json!({"equal": true, "first": args.first, "second": args.second,
                   "elements": c.elements, "seconds": secs}),
        ),
        Some(d) => Outcome {
            text: format!(
                "different: {} and {}: {}",
                args.first,
                args.second,
                d.text()
            ),
            json: json!({"equal": false, "first": args.first, "second": args.second,
                         "difference": d.json()}),
            code: EXIT_DIFFER,
        },
    })
}

fn element_json(dt: &DataType, bytes: &[u8]) -> Value {
    dt.fill_value_to_json(&FillValue::new(bytes.to_vec()))
        .unwrap_or_else(|_| {
            json!(format!(
                "0x{}",
                bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ))
        })
}

/// The index of the first element that differs between two decoded blocks (C order of the
/// block), with both elements' bytes.
fn first_difference(
    a: &ArrayBytes,
    b: &ArrayBytes,
    size: Option<usize>,
) -> Option<(u64, Vec<u8>, Vec<u8>)> {
    match (a, b, size) {
        (ArrayBytes::Fixed(x), ArrayBytes::Fixed(y), Some(s)) if s > 0 => {
            if x == y {
                return None;
            }
            let p = x
                .iter()
                .zip(y.iter())
                .position(|(p, q)| p != q)
                .unwrap_or(x.len().min(y.len()));
            let i = p / s;
            let get = |v: &Vec<u8>| v.get(i * s..(i + 1) * s).unwrap_or(&[]).to_vec();
            Some((i as u64, get(x), get(y)))
        }
        _ => {
            let (va, vb) = (a.as_variable()?, b.as_variable()?);
            let n = va.len().max(vb.len());
            (0..n).find_map(|i| {
                let (p, q) = (va.get(i), vb.get(i));
                (p != q).then(|| {
                    (
                        i as u64,
                        p.unwrap_or(&[]).to_vec(),
                        q.unwrap_or(&[]).to_vec(),
                    )
                })
            })
        }
    }
}

/// Compare `a` (converted by `cast` if given) with `b`, block by block with `workers`
/// threads.
pub fn compare(
    a: &Array<DynStore>,
    b: &Array<DynStore>,
    cast: Option<&Caster>,
    workers: usize,
    opts: &CodecOptions,
    cx: &Ctx,
) -> Result<Comparison, CliError> {
    if a.shape() != b.shape() {
        return Ok(Comparison {
            difference: Some(Difference {
                what: "shape".into(),
                indices: None,
                first: json!(a.shape()),
                second: json!(b.shape()),
            }),
            elements: 0,
        });
    }
    if cast.is_none() && !same_data_type(a.data_type(), b.data_type()) {
        let md = |d: &DataType| {
            serde_json::to_value(crate::spec::data_type_metadata(d)).unwrap_or(Value::Null)
        };
        return Ok(Comparison {
            difference: Some(Difference {
                what: "data type".into(),
                indices: None,
                first: md(a.data_type()),
                second: md(b.data_type()),
            }),
            elements: 0,
        });
    }
    let shape = a.shape().to_vec();
    let size = b.data_type().size().fixed();
    let unit = blocks::read_unit(a);
    let max_elems = size.map_or(1 << 20, |s| blocks::MAX_BLOCK_BYTES / s.max(1) as u64);
    let total = size.map_or(0, |s| {
        shape.iter().product::<u64>().saturating_mul(s as u64)
    });
    let bar = cx.bytes_bar(total, "validate");
    // The first difference so far: its linear index, indices and the two values.
    let best: Mutex<Option<(u128, Difference)>> = Mutex::new(None);
    let best_index = || best.lock().ok().and_then(|g| g.as_ref().map(|(i, _)| *i));
    let elements = std::sync::atomic::AtomicU64::new(0);
    blocks::run(blocks::chunk_indices(a), workers, |idx| {
        let region = blocks::chunk_region(a, &idx)?;
        if best_index().is_some_and(|bi| blocks::linear_index(region.start(), &shape) >= bi) {
            // Chunks come in C order of their origins: none from here on starts earlier.
            return Ok(Flow::Stop);
        }
        for piece in blocks::pieces(&region, &unit, max_elems) {
            if best_index().is_some_and(|bi| blocks::linear_index(piece.start(), &shape) >= bi) {
                break;
            }
            let read = |x: &Array<DynStore>, which: &str| {
                x.read_opt::<ArrayBytes>(&piece, opts)
                    .ctx(|| format!("cannot read region {piece} of the {which} array"))
            };
            let mut x = read(a, "first")?;
            let y = read(b, "second")?;
            let original = if let Some(c) = cast {
                let raw = x.as_fixed().unwrap_or(&[]).to_vec();
                let converted = c.cast(&raw).map_err(|f| {
                    CliError::new(format!(
                        "element {} of the first array: {} cannot be converted to {}",
                        shape_text(&blocks::element_indices(&piece, f.index as u64)),
                        f.value,
                        c.target()
                    ))
                })?;
                x = ArrayBytes::Fixed(converted);
                Some(raw)
            } else {
                None
            };
            elements.fetch_add(piece.num_elements(), std::sync::atomic::Ordering::Relaxed);
            bar.inc(x.size() as u64);
            if let Some((i, p, q)) = first_difference(&x, &y, size) {
                let indices = blocks::element_indices(&piece, i);
                let li = blocks::linear_index(&indices, &shape);
                let first = match (&original, a.data_type().size().fixed()) {
                    (Some(raw), Some(s)) => {
                        let orig = raw.get(i as usize * s..(i as usize + 1) * s).unwrap_or(&[]);
                        json!({"value": element_json(a.data_type(), orig),
                               "converted": element_json(b.data_type(), &p)})
                    }
                    _ => element_json(a.data_type(), &p),
                };
                let d = Difference {
                    what: "element".into(),
                    indices: Some(indices),
                    first,
                    second: element_json(b.data_type(), &q),
                };
                if let Ok(mut g) = best.lock() {
                    if g.as_ref().is_none_or(|(bi, _)| li < *bi) {
                        *g = Some((li, d));
                    }
                }
                break;
            }
        }
        Ok(Flow::Continue)
    })?;
    bar.finish_and_clear();
    let difference = best.into_inner().ok().flatten().map(|(_, d)| d);
    Ok(Comparison {
        difference,
        elements: elements.into_inner(),
    })
}
