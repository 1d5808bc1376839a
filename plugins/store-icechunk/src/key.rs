//! Zarr keys as icechunk sees them: a node's `zarr.json`, or a chunk key of the default
//! chunk key encoding (`<array>/c/<i>/<j>/...`, `c` alone for a zero-dimensional array).
//! Anything else (Zarr V2 documents, other key encodings) cannot be held by icechunk.

use icechunk::format::{ChunkIndices, Path};

/// A key icechunk can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// A node's `zarr.json`.
    Metadata(Path),
    /// A chunk of the array at the path.
    Chunk(Path, ChunkIndices),
}

/// Why a key cannot be held by icechunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotIcechunk {
    /// A Zarr V2 document (`.zarray`, `.zgroup`, `.zattrs`, `.zmetadata`).
    ZarrV2,
    /// Any other key (not `zarr.json`, not a `c/`-separated chunk key).
    Other(&'static str),
}

const V2_DOCS: [&str; 4] = [".zarray", ".zgroup", ".zattrs", ".zmetadata"];

fn node_path(dir: &str) -> Result<Path, NotIcechunk> {
    Path::try_from(format!("/{dir}").as_str())
        .map_err(|_| NotIcechunk::Other("its node path is not a valid icechunk path"))
}

fn coords(rest: &str) -> Option<ChunkIndices> {
    if rest.is_empty() {
        return Some(ChunkIndices(vec![]));
    }
    rest.strip_prefix('/')?
        .split('/')
        .map(|c| {
            // Canonical decimal only ("01" or "+1" would name the chunk of "1" twice).
            let ok = !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_digit())
                && (c == "0" || !c.starts_with('0'));
            if ok {
                c.parse::<u32>().ok()
            } else {
                None
            }
        })
        .collect::<Option<Vec<_>>>()
        .map(ChunkIndices)
}

/// Parse a zarrkit key (already a valid `StoreKey`) as icechunk does, accepting only the
/// keys whose meaning is unambiguous: `zarr.json` and chunk keys whose `c` is a whole path
/// component followed by decimal coordinates.
pub(crate) fn parse(key: &str) -> Result<Key, NotIcechunk> {
    if key == "zarr.json" {
        return Ok(Key::Metadata(Path::root()));
    }
    if let Some(dir) = key.strip_suffix("/zarr.json") {
        return Ok(Key::Metadata(node_path(dir)?));
    }
    let last = key.rsplit('/').next().unwrap_or(key);
    if V2_DOCS.contains(&last) {
        return Err(NotIcechunk::ZarrV2);
    }
    // The last `c` component followed only by coordinates. Coordinates are digits, so it is
    // the last `c` character of the key, as icechunk's own parser finds it.
    let Some(i) = key.rfind('c') else {
        return Err(NotIcechunk::Other(
            "not zarr.json and not a chunk key of the default encoding (`c/` prefix)",
        ));
    };
    let (before, rest) = (&key[..i], &key[i + 1..]);
    let dir = match before {
        "" => "",
        b => b.strip_suffix('/').ok_or(NotIcechunk::Other(
            "the chunk key's `c` is not a whole path component",
        ))?,
    };
    let coords = coords(rest).ok_or(NotIcechunk::Other(
        "a chunk key's coordinates must be `/`-separated decimal integers below 2^32",
    ))?;
    Ok(Key::Chunk(node_path(dir)?, coords))
}

/// The store key of a node's metadata.
pub(crate) fn metadata_key(path: &Path) -> String {
    let p = path.to_string();
    match p.trim_start_matches('/') {
        "" => "zarr.json".to_string(),
        rel => format!("{rel}/zarr.json"),
    }
}

/// The directory of an array's chunks (`<array>/c`, `c` at the root).
pub(crate) fn chunk_dir(path: &Path) -> String {
    let p = path.to_string();
    match p.trim_start_matches('/') {
        "" => "c".to_string(),
        rel => format!("{rel}/c"),
    }
}

/// The store key of a chunk.
pub(crate) fn chunk_key(path: &Path, coords: &ChunkIndices) -> String {
    let mut k = chunk_dir(path);
    for c in &coords.0 {
        k.push('/');
        k.push_str(&c.to_string());
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Path {
        Path::try_from(s).unwrap_or_else(|_| Path::root())
    }

    #[test]
    fn parses_metadata_and_chunks() {
        assert_eq!(parse("zarr.json"), Ok(Key::Metadata(Path::root())));
        assert_eq!(parse("a/b/zarr.json"), Ok(Key::Metadata(p("/a/b"))));
        assert_eq!(
            parse("a/c/0/12"),
            Ok(Key::Chunk(p("/a"), ChunkIndices(vec![0, 12])))
        );
        assert_eq!(
            parse("c/3"),
            Ok(Key::Chunk(Path::root(), ChunkIndices(vec![3])))
        );
        assert_eq!(
            parse("c"),
            Ok(Key::Chunk(Path::root(), ChunkIndices(vec![])))
        );
        assert_eq!(parse("x/c"), Ok(Key::Chunk(p("/x"), ChunkIndices(vec![]))));
        // An array named `c`.
        assert_eq!(
            parse("g/c/c/1"),
            Ok(Key::Chunk(p("/g/c"), ChunkIndices(vec![1])))
        );
        assert_eq!(parse("g/c/zarr.json"), Ok(Key::Metadata(p("/g/c"))));
    }

    #[test]
    fn refuses_other_keys() {
        assert_eq!(parse(".zarray"), Err(NotIcechunk::ZarrV2));
        assert_eq!(parse("a/.zattrs"), Err(NotIcechunk::ZarrV2));
        for k in [
            "a/0.0",
            "xc/0",
            "a/c/x",
            "a/c/01",
            "a/c/4294967296",
            "a/c/-1",
            "a/b",
        ] {
            assert!(
                matches!(parse(k), Err(NotIcechunk::Other(_))),
                "{k} accepted"
            );
        }
    }

    #[test]
    fn keys_round_trip() {
        for k in [
            "zarr.json",
            "a/zarr.json",
            "a/b/c/1/2",
            "c/0",
            "c",
            "g/c/c/7",
        ] {
            let back = match parse(k) {
                Ok(Key::Metadata(p)) => metadata_key(&p),
                Ok(Key::Chunk(p, c)) => chunk_key(&p, &c),
                Err(e) => panic!("{k}: {e:?}"),
            };
            assert_eq!(back, k);
        }
    }
}
