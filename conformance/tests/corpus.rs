//! Runs the shared conformance corpus (if present) through the `zarrkit` facade: no case
//! may fail or panic. Cases that need a plugin or Zarr V2 support zarrkit lacks are skipped.

use std::sync::Arc;

use zarrkit::storage::MemoryStore;
use zarrkit::{ArrayBuilder, ArraySubset};
use zarrkit_conformance::{canonical_bytes, default_corpus_dir, run_corpus, RunOptions, Status};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn shared_corpus_has_no_failures() -> TestResult {
    let dir = default_corpus_dir();
    if !dir.join("manifest.json").is_file() {
        println!("note: no conformance corpus at {}; skipping", dir.display());
        return Ok(());
    }
    let report = run_corpus(&dir, &RunOptions::default())?;
    for case in &report.cases {
        println!("{case}");
    }
    println!("{}", report.summary_line());
    let failures: Vec<String> = report.failures().map(|c| c.line()).collect();
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(!report
        .cases
        .iter()
        .any(|c| c.detail.starts_with("panicked")));
    assert_eq!(
        report.passed + report.failed + report.skipped,
        report.cases.len()
    );
    Ok(())
}

#[test]
fn canonical_bytes_of_an_in_memory_array() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let array = match ArrayBuilder::new(vec![3, 4], vec![2, 3], "int32", -1).build(store, "/") {
        Ok(a) => a,
        Err(e) => {
            println!("note: cannot build an int32 array (plugin missing?): {e}; skipping");
            return Ok(());
        }
    };
    let values: Vec<i32> = (0..12).map(|i| i * 1000 - 5000).collect();
    let subset = ArraySubset::new_with_shape(vec![3, 4]);
    array.store_array_subset_elements(&subset, &values)?;
    let bytes = array.retrieve_array_subset(&subset)?;
    let canonical = canonical_bytes(&bytes, array.data_type(), 12).map_err(|e| e.to_string())?;
    let expected: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    assert_eq!(canonical, expected);
    assert_eq!(Status::Pass.as_str(), "PASS");
    Ok(())
}

#[test]
fn elements_as_fill_value_json() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let array = match ArrayBuilder::new(vec![2, 2], vec![1, 2], "float32", "NaN").build(store, "/")
    {
        Ok(a) => a,
        Err(e) => {
            println!("note: cannot build a float32 array (plugin missing?): {e}; skipping");
            return Ok(());
        }
    };
    array.store_array_subset_elements(
        &ArraySubset::new_with_ranges(&[0..1, 0..2])?,
        &[1.5f32, f32::NEG_INFINITY],
    )?;
    let mut out = Vec::new();
    let n = zarrkit_conformance::write_elements_json(&array, &mut out)?;
    assert_eq!(n, 4);
    let text = String::from_utf8(out)?;
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        vec!["1.5", "\"-Infinity\"", "\"NaN\"", "\"NaN\""]
    );
    Ok(())
}
