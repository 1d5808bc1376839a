//! zarrkit plugin: the `regular` chunk grid (every chunk has `chunk_shape`; edge chunks
//! extend past the array and are stored at full size).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::chunk_grid::{ChunkGrid, ChunkGridTraits};
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::ChunkGridPlugin;
use zarrkit_core::serde_json::{Map, Value};

/// The configuration of the regular grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegularChunkGridConfiguration {
    /// The shape of every chunk (each > 0).
    pub chunk_shape: Vec<u64>,
}

/// The regular chunk grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegularChunkGrid {
    chunk_shape: Vec<u64>,
}

impl RegularChunkGrid {
    /// A grid of `chunk_shape` chunks; every extent must be > 0.
    pub fn new(chunk_shape: Vec<u64>) -> Result<Self, String> {
        if chunk_shape.contains(&0) {
            return Err(format!("chunk_shape {chunk_shape:?} has a zero extent"));
        }
        Ok(Self { chunk_shape })
    }

    /// The chunk shape.
    pub fn chunk_shape_all(&self) -> &[u64] {
        &self.chunk_shape
    }
}

impl ChunkGridTraits for RegularChunkGrid {
    fn name(&self) -> &str {
        "regular"
    }

    fn configuration(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("chunk_shape".into(), Value::from(self.chunk_shape.clone()));
        m
    }

    fn dimensionality(&self) -> usize {
        self.chunk_shape.len()
    }

    fn validate(&self, array_shape: &[u64]) -> Result<(), String> {
        if array_shape.len() != self.chunk_shape.len() {
            return Err(format!(
                "chunk_shape {:?} has rank {} but the array shape {:?} has rank {}",
                self.chunk_shape,
                self.chunk_shape.len(),
                array_shape,
                array_shape.len()
            ));
        }
        Ok(())
    }

    fn grid_shape(&self, array_shape: &[u64]) -> Vec<u64> {
        array_shape
            .iter()
            .zip(&self.chunk_shape)
            .map(|(a, c)| a.div_ceil(*c))
            .collect()
    }

    fn chunk_shape(&self, chunk_indices: &[u64], _array_shape: &[u64]) -> Option<Vec<u64>> {
        (chunk_indices.len() == self.chunk_shape.len()).then(|| self.chunk_shape.clone())
    }

    fn chunk_origin(&self, chunk_indices: &[u64], _array_shape: &[u64]) -> Option<Vec<u64>> {
        if chunk_indices.len() != self.chunk_shape.len() {
            return None;
        }
        chunk_indices
            .iter()
            .zip(&self.chunk_shape)
            .map(|(i, c)| i.checked_mul(*c))
            .collect()
    }

    fn chunk_indices(&self, array_indices: &[u64], _array_shape: &[u64]) -> Option<Vec<u64>> {
        (array_indices.len() == self.chunk_shape.len()).then(|| {
            array_indices
                .iter()
                .zip(&self.chunk_shape)
                .map(|(i, c)| i / c)
                .collect()
        })
    }
}

fn create(metadata: &MetadataV3) -> Result<ChunkGrid, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::ChunkGrid, metadata.name(), m);
    let c: RegularChunkGridConfiguration = metadata.to_configuration().map_err(err)?;
    Ok(Arc::new(RegularChunkGrid::new(c.chunk_shape).map_err(err)?))
}

zarrkit_core::inventory::submit! {
    ChunkGridPlugin::new("regular", create)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use zarrkit_core::ArraySubset;

    #[test]
    fn registered_and_configured() -> Result<(), PluginError> {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(
            r#"{"name":"regular","configuration":{"chunk_shape":[8,10]}}"#,
        )
        .map_err(|e| PluginError::config(ExtensionKind::ChunkGrid, "regular", e))?;
        let g = zarrkit_core::registry::create_chunk_grid(&m)?;
        assert_eq!(g.grid_shape(&[20, 33]), vec![3, 4]);
        assert_eq!(g.chunk_origin(&[2, 3], &[20, 33]), Some(vec![16, 30]));
        assert!(g.validate(&[20]).is_err());
        for bad in [
            r#"{"name":"regular","configuration":{"chunk_shape":[0,10]}}"#,
            r#"{"name":"regular","configuration":{"chunk_shape":[-1]}}"#,
            r#"{"name":"regular"}"#,
            r#"{"name":"regular","configuration":{"chunk_shape":[1],"x":1}}"#,
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(bad)
                .map_err(|e| PluginError::config(ExtensionKind::ChunkGrid, "regular", e))?;
            assert!(
                zarrkit_core::registry::create_chunk_grid(&m).is_err(),
                "{bad}"
            );
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn chunks_in_subset_cover_exactly(
            shape in prop::collection::vec(1u64..30, 1..4),
            chunk in prop::collection::vec(1u64..8, 3),
            seed in prop::collection::vec((0u64..30, 0u64..30), 3),
        ) {
            let chunk = chunk[..shape.len()].to_vec();
            let g = RegularChunkGrid::new(chunk).map_err(TestCaseError::fail)?;
            let ranges: Vec<_> = shape.iter().zip(&seed).map(|(s, (a, b))| {
                let a = a % s; let b = b % (s - a + 1); a..a + b
            }).collect();
            let subset = ArraySubset::new_with_ranges(&ranges)?;
            let chunks = g.chunks_in_subset(&subset, &shape).ok_or_else(|| TestCaseError::fail("none"))?;
            // Every element of the subset lies in exactly one listed chunk, and every listed
            // chunk intersects the subset.
            let mut count = 0u64;
            for idx in chunks.indices() {
                let cs = g.chunk_subset(&idx, &shape).ok_or_else(|| TestCaseError::fail("cs"))?;
                let o = cs.overlap(&subset);
                prop_assert!(!o.is_empty());
                count += o.num_elements();
            }
            prop_assert_eq!(count, subset.num_elements());
        }
    }
}
