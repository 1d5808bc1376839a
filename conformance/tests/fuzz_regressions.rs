//! Every input kept under `fuzz/regressions/<target>/` (crashes the fuzzers found, after the
//! fix) and every seed of `fuzz/seeds/<target>/` replayed through its target on every
//! `cargo test`; and every target run on a few synthetic inputs, so the harness itself is
//! tested even where no fuzzer runs. See `zarrkit_conformance::fuzzing` and `cargo xtask fuzz`.

use std::path::Path;

use zarrkit_conformance::fuzzing;

type R = Result<(), Box<dyn std::error::Error>>;

fn replay(dir: &Path) -> Result<usize, Box<dyn std::error::Error>> {
    let mut n = 0;
    if !dir.exists() {
        return Ok(0);
    }
    for target in std::fs::read_dir(dir)? {
        let target = target?;
        let name = target.file_name().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(target.path())?.collect::<Result<_, _>>()?;
        files.sort_by_key(|e| e.file_name());
        for f in files {
            let data = std::fs::read(f.path())?;
            assert!(
                fuzzing::run(&name, &data),
                "{}: no target {name}",
                dir.display()
            );
            n += 1;
        }
    }
    Ok(n)
}

#[test]
fn kept_inputs_replay_cleanly() -> R {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let n = replay(&root.join("regressions"))? + replay(&root.join("seeds"))?;
    eprintln!("replayed {n} kept fuzz inputs");
    Ok(())
}

#[test]
fn every_target_runs_on_synthetic_inputs() {
    let inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![1],
        (0..=255u8).collect(),
        std::iter::once(1)
            .chain((0..400).map(|i| (i * 37 % 251) as u8))
            .collect(),
        b"\x00{\"zarr_format\":3,\"node_type\":\"array\"}".to_vec(),
        vec![1; 2000],
    ];
    for t in fuzzing::targets() {
        for i in &inputs {
            assert!(fuzzing::run(t, i), "{t}");
        }
    }
}

/// The valid-then-corrupted mode really round-trips valid data (a decoder that returned
/// wrong data would fail here, not only under the fuzzer).
#[test]
fn valid_chunks_round_trip_in_every_decoder_target() {
    for d in fuzzing::DECODERS {
        let mut input = vec![1u8];
        input.extend((0..512).map(|i| (i * 13 % 256) as u8));
        fuzzing::decode(d, &input);
    }
}

#[test]
fn every_target_has_a_fuzz_binary() -> R {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/fuzz_targets");
    for t in fuzzing::targets() {
        let f = dir.join(format!("{t}.rs"));
        assert!(f.exists(), "missing {}", f.display());
        let text = std::fs::read_to_string(&f)?;
        assert!(
            text.contains(&format!("\"{t}\"")),
            "{} does not run {t}",
            f.display()
        );
    }
    Ok(())
}
