//! Reading and writing [`Selection`]s, planned per chunk.
//!
//! A selection resolves to a rectangular subset (then the subset paths run: chunks decoded
//! straight into the output), to per-dimension positions (orthogonal), or to points. Each
//! chunk that holds selected elements becomes one task: the regions of the chunk to decode
//! (inside a shard, one region per inner chunk touched, so only those inner chunks are
//! fetched and decoded; for an uncompressed chunk, runs of consecutive positions, so only
//! their bytes are read; otherwise the bounding box, decoded once) and the mapping of the
//! decoded elements to result positions. Tasks run in parallel in bounded batches (sync:
//! rayon; async: up to `io_concurrency` in flight), so memory is the output plus the chunks
//! in flight (plus, for point selections, the points' coordinates). Writes are read-modify-
//! write of each touched chunk under its lock (compare-and-swap on stores with conditional
//! writes): exactly the selected elements change, the last of repeated positions wins.

// Loops over dimensions index several per-dimension vectors at once.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::typed::{bytes_of_mut, ArrayInput, ArrayOutput, ArrayOutputKind};
use super::Array;
use crate::array_bytes::{try_with_capacity, ArrayBytes, ArrayBytesRef};
use crate::codec::ArrayToBytesCodecTraits;
use crate::config::CodecOptions;
use crate::data_type::DataTypeSize;
use crate::error::ArrayError;
use crate::selection::{block_subset, Orthogonal, Points, Selection};
use crate::storage::{ReadableStorageTraits, WritableStorageTraits};
use crate::subset::ArraySubset;

/// How many chunk tasks are planned and run at a time.
const BATCH: usize = 1024;

/// The decoded selected elements of one chunk ([`Array::visit_selection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkVisit {
    /// The chunk's indices.
    pub chunk: Vec<u64>,
    /// For each element, its linear position in the result (C order of the result shape).
    pub positions: Vec<u64>,
    /// The elements, in the order of `positions`.
    pub elements: ArrayBytes,
}

/// A resolved selection.
#[derive(Debug, Clone)]
pub(crate) enum Plan {
    /// A rectangular subset, with the result shape (integers dropped, new axes added).
    Subset(ArraySubset, Vec<u64>),
    Orthogonal(Orthogonal),
    Points(Points),
}

impl Plan {
    pub(crate) fn shape(&self) -> &[u64] {
        match self {
            Self::Subset(_, s) => s,
            Self::Orthogonal(o) => &o.shape,
            Self::Points(p) => &p.shape,
        }
    }
}

/// How the positions of one dimension within one chunk are grouped into regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grouping {
    /// One bounding interval (the chunk is decoded whole anyway).
    Bounding,
    /// One interval per inner chunk of this extent.
    Inner(u64),
    /// Runs of consecutive positions (reads and writes touch exactly them).
    Runs,
}

/// The positions of one dimension that fall into one chunk.
#[derive(Debug, Clone)]
struct DimChunk {
    /// The chunk index along the dimension.
    chunk: u64,
    /// `(offset in the chunk, position in the result along this dimension)`.
    entries: Vec<(u64, u64)>,
    /// Interval `(start, end)` per group, and each entry's interval.
    intervals: Vec<(u64, u64)>,
    entry_interval: Vec<u32>,
}

impl DimChunk {
    fn group(&mut self, grouping: Grouping) {
        let mut offs: Vec<u64> = self.entries.iter().map(|e| e.0).collect();
        offs.sort_unstable();
        offs.dedup();
        let mut intervals: Vec<(u64, u64)> = Vec::new();
        for &o in &offs {
            let join = match (intervals.last(), grouping) {
                (None, _) => false,
                (Some(_), Grouping::Bounding) => true,
                (Some(&(s, _)), Grouping::Inner(n)) => s / n == o / n,
                (Some(&(_, e)), Grouping::Runs) => e == o,
            };
            match intervals.last_mut() {
                Some(last) if join => last.1 = o + 1,
                _ => intervals.push((o, o + 1)),
            }
        }
        self.entry_interval = self
            .entries
            .iter()
            .map(|e| intervals.partition_point(|iv| iv.1 <= e.0) as u32)
            .collect();
        self.intervals = intervals;
    }
}

/// One chunk's work.
#[derive(Debug, Clone)]
enum Task {
    /// An orthogonal selection's part of a chunk: one [`DimChunk`] per dimension.
    Orthogonal {
        indices: Vec<u64>,
        dims: Vec<Arc<DimChunk>>,
        /// Result strides per array dimension (0 for dropped ones).
        out_strides: Arc<Vec<u64>>,
    },
    /// Points of a chunk: regions and per point `(region, offset in region, result
    /// position)`.
    Points {
        indices: Vec<u64>,
        regions: Vec<ArraySubset>,
        picks: Vec<Pick>,
    },
}

impl Task {
    fn indices(&self) -> &[u64] {
        match self {
            Self::Orthogonal { indices, .. } | Self::Points { indices, .. } => indices,
        }
    }

    /// The regions of the chunk to decode (or write).
    fn regions(&self) -> Result<Vec<ArraySubset>, ArrayError> {
        match self {
            Self::Points { regions, .. } => Ok(regions.clone()),
            Self::Orthogonal { dims, .. } => {
                let counts: Vec<usize> = dims.iter().map(|d| d.intervals.len()).collect();
                let total: usize = counts.iter().product();
                let mut out = Vec::with_capacity(total);
                let mut idx = vec![0usize; dims.len()];
                for _ in 0..total {
                    let (start, len): (Vec<u64>, Vec<u64>) = dims
                        .iter()
                        .zip(&idx)
                        .map(|(d, &i)| (d.intervals[i].0, d.intervals[i].1 - d.intervals[i].0))
                        .unzip();
                    out.push(ArraySubset::new(start, len)?);
                    for k in (0..idx.len()).rev() {
                        idx[k] += 1;
                        if idx[k] < counts[k] {
                            break;
                        }
                        idx[k] = 0;
                    }
                }
                Ok(out)
            }
        }
    }

    /// Call `f(region, element offset in the region, result position)` for every selected
    /// element of the chunk.
    fn for_each_pick(&self, mut f: impl FnMut(usize, u64, u64)) {
        self.for_each_run(|r, o, p, n| {
            for i in 0..n {
                f(r, o + i, p + i);
            }
        });
    }

    /// Call `f(region, element offset in the region, result position, count)` for every
    /// run of selected elements that are consecutive both in their region and in the
    /// result (an orthogonal selection's consecutive positions along the last dimension;
    /// points are runs of one).
    fn for_each_run(&self, mut f: impl FnMut(usize, u64, u64, u64)) {
        match self {
            Self::Points { picks, .. } => {
                for &(r, o, p) in picks {
                    f(r as usize, o, p, 1);
                }
            }
            Self::Orthogonal {
                dims, out_strides, ..
            } => {
                let rank = dims.len();
                if dims.iter().any(|d| d.entries.is_empty()) {
                    return;
                }
                if rank == 0 {
                    f(0, 0, 0, 1);
                    return;
                }
                let last = rank - 1;
                // Runs `(first entry, count)` of the last dimension.
                let dl = &dims[last];
                let mut runs: Vec<(usize, u64)> = Vec::new();
                let mut i = 0;
                while i < dl.entries.len() {
                    let mut n = 1;
                    while out_strides[last] == 1
                        && i + n < dl.entries.len()
                        && dl.entry_interval[i + n] == dl.entry_interval[i]
                        && dl.entries[i + n].0 == dl.entries[i].0 + n as u64
                        && dl.entries[i + n].1 == dl.entries[i].1 + n as u64
                    {
                        n += 1;
                    }
                    runs.push((i, n as u64));
                    i += n;
                }
                // Region id strides (mixed radix over the interval counts).
                let mut rstride = vec![1usize; rank];
                for k in (0..last).rev() {
                    rstride[k] = rstride[k + 1] * dims[k + 1].intervals.len();
                }
                // Entry per dimension; for the last one, the run.
                let mut e = vec![0usize; rank];
                loop {
                    let (first, count) = runs[e[last]];
                    let mut region = 0usize;
                    let mut offset = 0u64;
                    let mut pos = 0u64;
                    let mut inner = 1u64;
                    for k in (0..rank).rev() {
                        let d = &dims[k];
                        let ek = if k == last { first } else { e[k] };
                        let iv = d.entry_interval[ek] as usize;
                        let (s, end) = d.intervals[iv];
                        region += iv * rstride[k];
                        offset += (d.entries[ek].0 - s) * inner;
                        inner *= end - s;
                        pos += d.entries[ek].1 * out_strides[k];
                    }
                    f(region, offset, pos, count);
                    let mut k = rank;
                    loop {
                        if k == 0 {
                            return;
                        }
                        k -= 1;
                        e[k] += 1;
                        let limit = if k == last {
                            runs.len()
                        } else {
                            dims[k].entries.len()
                        };
                        if e[k] < limit {
                            break;
                        }
                        e[k] = 0;
                    }
                }
            }
        }
    }
}

impl<S: ?Sized> Array<S> {
    /// The shape of the result of `selection`.
    pub fn selection_shape(&self, selection: &Selection) -> Result<Vec<u64>, ArrayError> {
        Ok(self
            .plan_selection(selection, &CodecOptions::default())?
            .shape()
            .to_vec())
    }

    /// Resolve a selection against this array.
    pub(crate) fn plan_selection(
        &self,
        selection: &Selection,
        options: &CodecOptions,
    ) -> Result<Plan, ArrayError> {
        let elem = self.element_size().unwrap_or(0) as u64;
        let plan = match selection {
            Selection::Orthogonal(idx) => {
                let o = Orthogonal::resolve(idx, self.shape())?;
                let n = u64::try_from(o.count()).map_err(|_| ArrayError::TooLarge(o.count()))?;
                options.check_request(n, elem)?;
                match o.as_subset() {
                    Some(s) => Plan::Subset(s, o.shape),
                    None => Plan::Orthogonal(o),
                }
            }
            Selection::Vectorized(idx) => {
                let rank = self.shape().len().max(1) as u64;
                let max = options.max_request_bytes / (8 * rank).max(elem.max(1));
                let p = Points::vectorized(idx, self.shape(), max)?;
                options.check_request(p.count() as u64, elem)?;
                Plan::Points(p)
            }
            Selection::Mask { shape, mask } => {
                let p = Points::from_mask(shape, mask, self.shape())?;
                options.check_request(p.count() as u64, elem)?;
                Plan::Points(p)
            }
            Selection::Blocks(idx) => {
                let grid = self.chunk_grid_shape();
                let (first, last) = block_subset(idx, &grid)?;
                let boxed = ArraySubset::new_with_ranges(
                    &first
                        .iter()
                        .zip(&last)
                        .map(|(&a, &b)| a..b)
                        .collect::<Vec<_>>(),
                )?;
                let s = self.chunks_subset_bounded(&boxed)?;
                let shape = s.shape().to_vec();
                Plan::Subset(s, shape)
            }
            Selection::InnerBlocks(idx) => {
                let grid = self.inner_chunk_grid_shape().ok_or_else(|| {
                    ArrayError::InvalidSelection("the array is not sharded: no inner chunks".into())
                })?;
                let (first, last) = block_subset(idx, &grid)?;
                let boxed = ArraySubset::new_with_ranges(
                    &first
                        .iter()
                        .zip(&last)
                        .map(|(&a, &b)| a..b)
                        .collect::<Vec<_>>(),
                )?;
                let s = self.inner_chunks_subset(&boxed)?;
                let shape = s.shape().to_vec();
                Plan::Subset(s, shape)
            }
        };
        Ok(plan)
    }

    /// How positions group into regions for reads (`write`: exact runs).
    fn grouping(&self, write: bool) -> Vec<Grouping> {
        let rank = self.shape().len();
        if write {
            return vec![Grouping::Runs; rank];
        }
        if let Some(inner) = self.inner_chunk_shape() {
            return inner
                .into_iter()
                .map(|n| Grouping::Inner(n.max(1)))
                .collect();
        }
        let zeros = vec![0u64; rank];
        let identity = self
            .chunk_representation(&zeros)
            .is_ok_and(|r| self.codecs.is_identity(&r));
        vec![
            if identity {
                Grouping::Runs
            } else {
                Grouping::Bounding
            };
            rank
        ]
    }

    /// The chunk index and in-chunk offset of position `c` along dimension `d`, with a
    /// cache of the last chunk's extent (sorted positions cost one grid query per chunk).
    fn dim_chunk(
        &self,
        d: usize,
        c: u64,
        cache: &mut Option<(u64, u64, u64)>,
    ) -> Result<(u64, u64), ArrayError> {
        if let Some((k, start, end)) = *cache {
            if (start..end).contains(&c) {
                return Ok((k, c - start));
            }
        }
        let rank = self.shape().len();
        let mut coord = vec![0u64; rank];
        coord[d] = c;
        let bad = || ArrayError::Internal(format!("position {c} of dimension {d} has no chunk"));
        let idx = self
            .chunk_grid
            .chunk_indices(&coord, self.shape())
            .ok_or_else(bad)?;
        let origin = self
            .chunk_grid
            .chunk_origin(&idx, self.shape())
            .ok_or_else(bad)?;
        let shape = self
            .chunk_grid
            .chunk_shape(&idx, self.shape())
            .ok_or_else(bad)?;
        *cache = Some((idx[d], origin[d], origin[d] + shape[d]));
        Ok((idx[d], c - origin[d]))
    }

    /// The chunk tasks of an orthogonal selection, lazily in batches.
    fn orthogonal_tasks(&self, o: &Orthogonal, write: bool) -> Result<OrthoTasks, ArrayError> {
        let rank = o.positions.len();
        let grouping = self.grouping(write);
        let mut per_dim: Vec<Vec<Arc<DimChunk>>> = Vec::with_capacity(rank);
        for d in 0..rank {
            let mut by_chunk: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
            let mut cache = None;
            for (j, &c) in o.positions[d].iter().enumerate() {
                let (k, off) = self.dim_chunk(d, c, &mut cache)?;
                by_chunk.entry(k).or_default().push((off, j as u64));
            }
            let mut list = Vec::with_capacity(by_chunk.len());
            for (k, mut entries) in by_chunk {
                if write {
                    // The last of repeated positions wins (NumPy's assignment).
                    let mut last: BTreeMap<u64, u64> = BTreeMap::new();
                    for (off, j) in entries {
                        last.insert(off, j);
                    }
                    entries = last.into_iter().collect();
                }
                let mut dc = DimChunk {
                    chunk: k,
                    entries,
                    intervals: Vec::new(),
                    entry_interval: Vec::new(),
                };
                dc.group(grouping[d]);
                list.push(Arc::new(dc));
            }
            per_dim.push(list);
        }
        // Result strides over the kept dimensions (new axes have length 1).
        let mut out_strides = vec![0u64; rank];
        let mut s = 1u64;
        for d in (0..rank).rev() {
            if o.kept[d] {
                out_strides[d] = s;
                s = s.saturating_mul(o.positions[d].len() as u64);
            }
        }
        let empty = per_dim.iter().any(Vec::is_empty);
        Ok(OrthoTasks {
            per_dim,
            out_strides: Arc::new(out_strides),
            next: vec![0; rank],
            done: empty,
        })
    }

    /// The chunk tasks of a point selection (points grouped by chunk, chunk by chunk).
    fn point_tasks(&self, p: &Points, write: bool) -> Result<Vec<Task>, ArrayError> {
        let rank = p.rank;
        let n = p.count();
        let grouping = self.grouping(write);
        // Each point's chunk indices and in-chunk offsets, flat (`n × rank` each).
        let grid = self.chunk_grid.grid_shape(self.shape());
        let mut maps = (0..rank)
            .map(|d| DimMap::new(self, &grid, d, n))
            .collect::<Vec<_>>();
        let cells = n.checked_mul(rank).ok_or(ArrayError::TooLarge(u128::MAX))?;
        let mut chunk = zeros::<u64>(cells)?;
        let mut off = zeros::<u64>(cells)?;
        for (i, c) in p.coordinates.chunks_exact(rank.max(1)).take(n).enumerate() {
            for d in 0..rank {
                let (k, o) = maps[d].locate(self, d, c[d])?;
                chunk[i * rank + d] = k;
                off[i * rank + d] = o;
            }
        }
        // The points in chunk order (C order of the chunk indices), by result position
        // within a chunk: by a linear chunk key when the grid's size fits in u64.
        let ck = |i: usize| &chunk[i * rank..(i + 1) * rank];
        let mut order = zeros::<usize>(n)?;
        for (i, o) in order.iter_mut().enumerate() {
            *o = i;
        }
        match checked_c_strides(&grid).filter(|_| grid.len() == rank) {
            Some(st) => {
                let mut keys = zeros::<u64>(n)?;
                for (i, key) in keys.iter_mut().enumerate() {
                    *key = ck(i).iter().zip(&st).map(|(k, s)| k * s).sum();
                }
                order.sort_unstable_by_key(|&i| (keys[i], i));
            }
            None => order.sort_by(|&a, &b| ck(a).cmp(ck(b)).then(a.cmp(&b))),
        }
        let mut tasks = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let mut j = i + 1;
            while j < order.len() && ck(order[j]) == ck(order[i]) {
                j += 1;
            }
            let mut members = order[i..j].to_vec();
            if write {
                // The last write of a position wins; the survivors in offset order.
                let oo = |x: usize| &off[x * rank..(x + 1) * rank];
                members.sort_by(|&a, &b| oo(a).cmp(oo(b)).then(a.cmp(&b)));
                let mut kept: Vec<usize> = Vec::with_capacity(members.len());
                for m in members {
                    match kept.last_mut() {
                        Some(last) if oo(*last) == oo(m) => *last = m,
                        _ => kept.push(m),
                    }
                }
                members = kept;
            }
            let (regions, picks) = point_regions(&members, &off, &grouping, rank)?;
            tasks.push(Task::Points {
                indices: ck(order[i]).to_vec(),
                regions,
                picks,
            });
            i = j;
        }
        Ok(tasks)
    }
}

/// A vector of `n` zeros (default values), or a "too large" error instead of an abort.
fn zeros<T: Default + Clone>(n: usize) -> Result<Vec<T>, ArrayError> {
    let mut v = try_with_capacity(n)
        .map_err(|_| ArrayError::TooLarge(n as u128 * std::mem::size_of::<T>() as u128))?;
    v.resize(n, T::default());
    Ok(v)
}

/// Row-major (C order) strides of `extents`, if their product fits in u64.
fn checked_c_strides(extents: &[u64]) -> Option<Vec<u64>> {
    let mut strides = vec![1u64; extents.len()];
    let mut acc = 1u64;
    for d in (0..extents.len()).rev() {
        strides[d] = acc;
        acc = acc.checked_mul(extents[d].max(1))?;
    }
    Some(strides)
}

/// Where the positions of one dimension fall in the chunk grid: the chunk boundaries
/// along it, queried from the grid once (a division when they are regular), or the grid
/// asked per position when the dimension has more chunks than are worth tabulating.
enum DimMap {
    /// Chunks of `size` elements (the last one may be shorter).
    Regular { size: u64 },
    /// The start of each chunk, ascending.
    Starts(Vec<u64>),
    /// The grid per position, with the last chunk's extent cached.
    Grid(Option<(u64, u64, u64)>),
}

impl DimMap {
    /// The map of dimension `d` for a selection of `points` points: a table only when
    /// the dimension has at most `4 × points + 64` chunks (and at most 2^20).
    fn new<S: ?Sized>(array: &Array<S>, grid: &[u64], d: usize, points: usize) -> Self {
        let shape = array.shape();
        let Some(&count) = grid.get(d) else {
            return Self::Grid(None);
        };
        let limit = (points as u64)
            .saturating_mul(4)
            .saturating_add(64)
            .min(1 << 20);
        if count == 0 || count > limit {
            return Self::Grid(None);
        }
        let mut starts: Vec<u64> = Vec::with_capacity(count as usize);
        let mut idx = vec![0u64; shape.len()];
        for k in 0..count {
            idx[d] = k;
            match array.chunk_grid.chunk_origin(&idx, shape) {
                Some(o) if starts.last().map_or(o[d] == 0, |&l| o[d] > l) => starts.push(o[d]),
                _ => return Self::Grid(None),
            }
        }
        let size = starts.get(1).copied().unwrap_or(u64::MAX);
        // Regular: equal starts, and the last chunk no longer than the others.
        let regular = starts
            .iter()
            .enumerate()
            .all(|(k, &s)| (k as u64).checked_mul(size) == Some(s))
            && count.checked_mul(size).is_none_or(|end| shape[d] <= end);
        if regular {
            Self::Regular { size }
        } else {
            Self::Starts(starts)
        }
    }

    /// The chunk index and in-chunk offset of position `c` (in bounds of the array).
    fn locate<S: ?Sized>(
        &mut self,
        array: &Array<S>,
        d: usize,
        c: u64,
    ) -> Result<(u64, u64), ArrayError> {
        match self {
            Self::Regular { size } => Ok((c / *size, c % *size)),
            Self::Starts(starts) => {
                let k = starts.partition_point(|&s| s <= c).saturating_sub(1);
                Ok((k as u64, c - starts[k]))
            }
            Self::Grid(cache) => array.dim_chunk(d, c, cache),
        }
    }
}

/// The regions of a chunk's points and each point's `(region, offset, result position)`:
/// one region per inner chunk (bounding box of its points) in shards, one per point where
/// reads are exact (uncompressed) or for writes, one bounding box otherwise.
/// A point's `(region, offset in the region, result position)`.
type Pick = (u32, u64, u64);

/// `members` are point numbers (their result positions); their in-chunk offsets are at
/// `off[m × rank..]`. Regions come in C order of their cells; picks in `members` order.
fn point_regions(
    members: &[usize],
    off: &[u64],
    grouping: &[Grouping],
    rank: usize,
) -> Result<(Vec<ArraySubset>, Vec<Pick>), ArrayError> {
    let o = |m: usize| &off[m * rank..(m + 1) * rank];
    let cell = |x: u64, d: usize| match grouping[d] {
        Grouping::Bounding => 0,
        Grouping::Inner(n) => x / n,
        Grouping::Runs => x,
    };
    let cell_cmp = |a: usize, b: usize| {
        let (oa, ob) = (o(a), o(b));
        (0..rank)
            .map(|d| cell(oa[d], d).cmp(&cell(ob[d], d)))
            .find(|c| c.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    // Member numbers sorted by cell (equal cells keep their order): by a linear cell key
    // (C order over the cells the members span) when it fits in u64.
    let mut by_cell: Vec<u32> = (0..members.len() as u32).collect();
    let mut span = vec![1u64; rank];
    for &m in members {
        for (d, &x) in o(m).iter().enumerate() {
            span[d] = span[d].max(cell(x, d).saturating_add(1));
        }
    }
    match checked_c_strides(&span) {
        Some(st) => by_cell.sort_unstable_by_key(|&k| {
            let om = o(members[k as usize]);
            let key: u64 = (0..rank).map(|d| cell(om[d], d) * st[d]).sum();
            (key, k)
        }),
        None => by_cell.sort_by(|&a, &b| cell_cmp(members[a as usize], members[b as usize])),
    }
    let mut region_of = vec![0u32; members.len()];
    let mut regions = Vec::new();
    let mut lo = vec![0u64; rank];
    let mut hi = vec![0u64; rank];
    let mut i = 0;
    while i < by_cell.len() {
        let first = members[by_cell[i] as usize];
        lo.copy_from_slice(o(first));
        hi.copy_from_slice(o(first));
        let mut j = i;
        while j < by_cell.len() && cell_cmp(first, members[by_cell[j] as usize]).is_eq() {
            let om = o(members[by_cell[j] as usize]);
            for d in 0..rank {
                lo[d] = lo[d].min(om[d]);
                hi[d] = hi[d].max(om[d]);
            }
            region_of[by_cell[j] as usize] = regions.len() as u32;
            j += 1;
        }
        let len: Vec<u64> = lo.iter().zip(&hi).map(|(a, b)| b - a + 1).collect();
        regions.push(ArraySubset::new(lo.clone(), len)?);
        i = j;
    }
    let mut picks = Vec::with_capacity(members.len());
    for (k, &m) in members.iter().enumerate() {
        let r = region_of[k];
        let reg = &regions[r as usize];
        let om = o(m);
        let mut at = 0u64;
        for d in 0..rank {
            at = at * reg.shape()[d] + (om[d] - reg.start()[d]);
        }
        picks.push((r, at, m as u64));
    }
    Ok((regions, picks))
}

/// The chunk tasks of an orthogonal selection: the product of each dimension's chunks.
struct OrthoTasks {
    per_dim: Vec<Vec<Arc<DimChunk>>>,
    out_strides: Arc<Vec<u64>>,
    next: Vec<usize>,
    done: bool,
}

impl OrthoTasks {
    fn next_batch(&mut self) -> Vec<Task> {
        let mut out = Vec::new();
        while !self.done && out.len() < BATCH {
            let dims: Vec<Arc<DimChunk>> = self
                .per_dim
                .iter()
                .zip(&self.next)
                .map(|(l, &i)| l[i].clone())
                .collect();
            out.push(Task::Orthogonal {
                indices: dims.iter().map(|d| d.chunk).collect(),
                dims,
                out_strides: self.out_strides.clone(),
            });
            let mut k = self.next.len();
            loop {
                if k == 0 {
                    self.done = true;
                    break;
                }
                k -= 1;
                self.next[k] += 1;
                if self.next[k] < self.per_dim[k].len() {
                    break;
                }
                self.next[k] = 0;
            }
        }
        out
    }
}

/// A raw pointer to the result buffer shared by tasks that write disjoint positions.
#[derive(Clone, Copy)]
struct Out(*mut u8, usize);
// SAFETY: tasks write disjoint result positions (each result element belongs to exactly one
// chunk), and the buffer outlives every task of the read.
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

/// Variable-size results: one slot per result element, written by disjoint tasks.
#[derive(Clone, Copy)]
struct Slots(*mut Vec<u8>, usize);
// SAFETY: as for `Out`.
unsafe impl Send for Slots {}
unsafe impl Sync for Slots {}

/// Copy a task's selected elements out of its decoded regions.
fn gather_fixed(
    task: &Task,
    parts: &[ArrayBytes],
    elem: usize,
    out: Out,
) -> Result<(), ArrayError> {
    let regions: Vec<&[u8]> = parts
        .iter()
        .map(|p| {
            p.as_fixed()
                .ok_or_else(|| ArrayError::Internal("variable part".into()))
        })
        .collect::<Result<_, _>>()?;
    let mut bad = false;
    task.for_each_run(|r, o, p, n| {
        let (o, p, len) = (o as usize * elem, p as usize * elem, n as usize * elem);
        match (
            regions.get(r).and_then(|b| b.get(o..o + len)),
            p + len <= out.1,
        ) {
            (Some(src), true) => {
                // SAFETY: `p + len <= len` of the live result buffer; positions of
                // distinct tasks are disjoint.
                unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), out.0.add(p), len) }
            }
            _ => bad = true,
        }
    });
    if bad {
        return Err(ArrayError::Internal(
            "a selected element lies outside its region".into(),
        ));
    }
    Ok(())
}

fn gather_variable(task: &Task, parts: &[ArrayBytes], slots: Slots) -> Result<(), ArrayError> {
    let views: Vec<_> = parts
        .iter()
        .map(|p| {
            p.as_variable()
                .ok_or_else(|| ArrayError::Internal("fixed part".into()))
        })
        .collect::<Result<_, _>>()?;
    let mut bad = false;
    task.for_each_pick(|r, o, p| {
        match (
            views.get(r).and_then(|v| v.get(o as usize)),
            (p as usize) < slots.1,
        ) {
            (Some(e), true) => {
                // SAFETY: `p < len` of the live slot vector; positions are disjoint.
                unsafe { *slots.0.add(p as usize) = e.to_vec() }
            }
            _ => bad = true,
        }
    });
    if bad {
        return Err(ArrayError::Internal(
            "a selected element lies outside its region".into(),
        ));
    }
    Ok(())
}

/// The selected elements of a task in pick order, with their result positions.
fn visit_of(
    task: &Task,
    parts: &[ArrayBytes],
    elem: Option<usize>,
) -> Result<ChunkVisit, ArrayError> {
    let mut positions = Vec::new();
    let mut bad = false;
    let elements = match elem {
        Some(elem) => {
            let regions: Vec<&[u8]> = parts.iter().filter_map(ArrayBytes::as_fixed).collect();
            let mut bytes = Vec::new();
            task.for_each_pick(|r, o, p| {
                let o = o as usize * elem;
                match regions.get(r).and_then(|b| b.get(o..o + elem)) {
                    Some(src) => bytes.extend_from_slice(src),
                    None => bad = true,
                }
                positions.push(p);
            });
            ArrayBytes::Fixed(bytes)
        }
        None => {
            let views: Vec<_> = parts.iter().filter_map(ArrayBytes::as_variable).collect();
            let mut bytes = Vec::new();
            let mut offsets = vec![0usize];
            task.for_each_pick(|r, o, p| {
                match views.get(r).and_then(|v| v.get(o as usize)) {
                    Some(e) => bytes.extend_from_slice(e),
                    None => bad = true,
                }
                offsets.push(bytes.len());
                positions.push(p);
            });
            ArrayBytes::Variable { bytes, offsets }
        }
    };
    if bad {
        return Err(ArrayError::Internal(
            "a selected element lies outside its region".into(),
        ));
    }
    Ok(ChunkVisit {
        chunk: task.indices().to_vec(),
        positions,
        elements,
    })
}

/// The updates of a write task: each region (exactly selected elements) with its elements
/// taken from `input` at their result positions.
fn updates_of(
    task: &Task,
    input: ArrayBytesRef<'_>,
    elem: Option<usize>,
) -> Result<Vec<(ArraySubset, ArrayBytes)>, ArrayError> {
    let regions = task.regions()?;
    let mut bad = false;
    let out = match (input, elem) {
        (ArrayBytesRef::Fixed(src), Some(elem)) => {
            let mut bufs: Vec<Vec<u8>> = regions
                .iter()
                .map(|r| vec![0u8; r.num_elements() as usize * elem])
                .collect();
            task.for_each_pick(|r, o, p| {
                let (o, p) = (o as usize * elem, p as usize * elem);
                match (
                    src.get(p..p + elem),
                    bufs.get_mut(r).and_then(|b| b.get_mut(o..o + elem)),
                ) {
                    (Some(s), Some(d)) => d.copy_from_slice(s),
                    _ => bad = true,
                }
            });
            bufs.into_iter().map(ArrayBytes::Fixed).collect::<Vec<_>>()
        }
        (ArrayBytesRef::Variable { bytes, offsets }, None) => {
            let mut elems: Vec<Vec<Option<&[u8]>>> = regions
                .iter()
                .map(|r| vec![None; r.num_elements() as usize])
                .collect();
            task.for_each_pick(|r, o, p| {
                let p = p as usize;
                let e = offsets
                    .get(p)
                    .zip(offsets.get(p + 1))
                    .and_then(|(&a, &b)| bytes.get(a..b));
                match (e, elems.get_mut(r).and_then(|v| v.get_mut(o as usize))) {
                    (Some(e), Some(slot)) => *slot = Some(e),
                    _ => bad = true,
                }
            });
            elems
                .into_iter()
                .map(|v| {
                    let v: Vec<&[u8]> = v.into_iter().map(|e| e.unwrap_or_default()).collect();
                    ArrayBytes::from_byte_strings(&v)
                })
                .collect()
        }
        _ => {
            return Err(ArrayError::InvalidInput(
                "fixed-size input for a variable-size array, or the reverse".into(),
            ))
        }
    };
    if bad {
        return Err(ArrayError::InvalidInput(
            "the input does not hold an element for every selected position".into(),
        ));
    }
    Ok(regions.into_iter().zip(out).collect())
}

/// The tasks of a plan, batch by batch.
enum TaskSource {
    Orthogonal(OrthoTasks),
    Points(std::vec::IntoIter<Task>),
}

impl TaskSource {
    fn next_batch(&mut self) -> Vec<Task> {
        match self {
            Self::Orthogonal(o) => o.next_batch(),
            Self::Points(p) => p.by_ref().take(BATCH).collect(),
        }
    }
}

impl<S: ?Sized> Array<S> {
    fn tasks(&self, plan: &Plan, write: bool) -> Result<TaskSource, ArrayError> {
        Ok(match plan {
            Plan::Orthogonal(o) => TaskSource::Orthogonal(self.orthogonal_tasks(o, write)?),
            Plan::Points(p) => TaskSource::Points(self.point_tasks(p, write)?.into_iter()),
            Plan::Subset(..) => return Err(ArrayError::Internal("a subset has no tasks".into())),
        })
    }
}

impl<S: ReadableStorageTraits + ?Sized + 'static> Array<S> {
    /// Read a selection as `T` (see [`crate::selection`]): the result has the selection's
    /// shape ([`Array::selection_shape`]).
    pub fn read_selection<T: ArrayOutput>(&self, selection: &Selection) -> Result<T, ArrayError> {
        self.read_selection_opt(selection, &CodecOptions::default())
    }

    /// [`Array::read_selection`] with options.
    pub fn read_selection_opt<T: ArrayOutput>(
        &self,
        selection: &Selection,
        options: &CodecOptions,
    ) -> Result<T, ArrayError> {
        let plan = self.plan_selection(selection, options)?;
        let shape = plan.shape().to_vec();
        match T::kind(&self.data_type)? {
            ArrayOutputKind::Fixed => {
                let mut buf = self.output_buffer::<T>(&shape, options)?;
                match &plan {
                    Plan::Subset(s, _) => self.read_fixed_into(
                        &super::region::Resolved::Array(s.clone()),
                        bytes_of_mut(&mut buf),
                        options,
                    )?,
                    _ => self.read_plan_fixed(&plan, bytes_of_mut(&mut buf), options)?,
                }
                self.validate_output(&mut buf)?;
                T::from_fixed(buf, &shape)
            }
            ArrayOutputKind::Variable => {
                let bytes = match &plan {
                    Plan::Subset(s, _) => {
                        self.read_variable(&super::region::Resolved::Array(s.clone()), options)?
                    }
                    _ => self.read_plan_variable(&plan, options)?,
                };
                T::from_variable(bytes, &shape)
            }
        }
    }

    fn read_plan_fixed(
        &self,
        plan: &Plan,
        out: &mut [u8],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let elem = self.element_size().unwrap_or(1);
        let ptr = Out(out.as_mut_ptr(), out.len());
        let mut tasks = self.tasks(plan, false)?;
        loop {
            let batch = tasks.next_batch();
            if batch.is_empty() {
                return Ok(());
            }
            let opts = Self::split_concurrency(options, batch.len());
            let run = |t: &Task| -> Result<(), ArrayError> {
                let parts = self.read_chunk_regions(t.indices(), &t.regions()?, &opts)?;
                gather_fixed(t, &parts, elem, ptr)
            };
            if batch.len() == 1 || options.concurrent_target <= 1 {
                batch.iter().try_for_each(run)?;
            } else {
                batch.par_iter().try_for_each(run)?;
            }
        }
    }

    fn read_plan_variable(
        &self,
        plan: &Plan,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        let n = usize::try_from(plan.shape().iter().product::<u64>())
            .map_err(|_| ArrayError::TooLarge(u128::MAX))?;
        let mut slots: Vec<Vec<u8>> = Vec::new();
        slots
            .try_reserve_exact(n)
            .map_err(|_| ArrayError::TooLarge(n as u128 * 24))?;
        slots.resize_with(n, Vec::new);
        let ptr = Slots(slots.as_mut_ptr(), slots.len());
        let mut tasks = self.tasks(plan, false)?;
        loop {
            let batch = tasks.next_batch();
            if batch.is_empty() {
                break;
            }
            let opts = Self::split_concurrency(options, batch.len());
            let run = |t: &Task| -> Result<(), ArrayError> {
                let parts = self.read_chunk_regions(t.indices(), &t.regions()?, &opts)?;
                gather_variable(t, &parts, ptr)
            };
            if batch.len() == 1 || options.concurrent_target <= 1 {
                batch.iter().try_for_each(run)?;
            } else {
                batch.par_iter().try_for_each(run)?;
            }
        }
        Ok(ArrayBytes::from_byte_strings(&slots))
    }

    /// Visit every chunk holding elements of `selection` with its decoded selected elements
    /// and their result positions, in parallel (`f` runs on the rayon pool), without
    /// materialising the whole result: memory is the chunks in flight. A rectangular
    /// selection is visited as orthogonal ranges.
    pub fn visit_selection<E: From<ArrayError> + Send>(
        &self,
        selection: &Selection,
        options: &CodecOptions,
        f: impl Fn(ChunkVisit) -> Result<(), E> + Sync,
    ) -> Result<(), E> {
        let plan = match self.plan_selection(selection, options)? {
            Plan::Subset(s, shape) => {
                let idx = s
                    .start()
                    .iter()
                    .zip(s.shape())
                    .map(|(&a, &n)| crate::selection::Index::range(a as i64..(a + n) as i64))
                    .collect::<Vec<_>>();
                let mut o = Orthogonal::resolve(&idx, self.shape())?;
                o.shape = shape;
                Plan::Orthogonal(o)
            }
            p => p,
        };
        let elem = self.element_size();
        let mut tasks = self.tasks(&plan, false)?;
        loop {
            let batch = tasks.next_batch();
            if batch.is_empty() {
                return Ok(());
            }
            let opts = Self::split_concurrency(options, batch.len());
            batch.par_iter().try_for_each(|t| -> Result<(), E> {
                let parts = self.read_chunk_regions(t.indices(), &t.regions()?, &opts)?;
                f(visit_of(t, &parts, elem)?)
            })?;
        }
    }
}

impl<S: ReadableStorageTraits + WritableStorageTraits + ?Sized + 'static> Array<S> {
    /// Write a selection from `input` (its elements in C order of the selection's shape):
    /// each touched chunk is read, updated at exactly the selected elements (the last of
    /// repeated positions wins) and written back under the chunk's lock.
    pub fn write_selection<I: ArrayInput + ?Sized>(
        &self,
        selection: &Selection,
        input: &I,
    ) -> Result<(), ArrayError> {
        self.write_selection_opt(selection, input, &CodecOptions::default())
    }

    /// [`Array::write_selection`] with options.
    pub fn write_selection_opt<I: ArrayInput + ?Sized>(
        &self,
        selection: &Selection,
        input: &I,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let plan = self.plan_selection(selection, options)?;
        let bytes = input.input_bytes(&self.data_type)?;
        let input = bytes.as_ref();
        let n: u64 = plan.shape().iter().product();
        self.check_bytes(input, n)?;
        if let Plan::Subset(s, _) = &plan {
            return self.write_resolved(
                &super::region::Resolved::Array(s.clone()),
                super::InputBytes::Borrowed(input),
                options,
            );
        }
        let elem = match self.data_type.size() {
            DataTypeSize::Fixed(n) => Some(n),
            DataTypeSize::Variable => None,
        };
        let mut tasks = self.tasks(&plan, true)?;
        loop {
            let batch = tasks.next_batch();
            if batch.is_empty() {
                return Ok(());
            }
            let opts = Self::split_concurrency(options, batch.len());
            let run = |t: &Task| -> Result<(), ArrayError> {
                let updates = updates_of(t, input, elem)?;
                let repr = self.chunk_representation(t.indices())?;
                let key = self.chunk_key(t.indices())?;
                if updates.len() == 1 && updates[0].0.shape() == repr.shape.as_slice() {
                    let (_, bytes) = updates
                        .into_iter()
                        .next()
                        .ok_or_else(|| ArrayError::Internal("no update".into()))?;
                    self.store_whole_chunk(&key, &repr, bytes, &opts)
                } else {
                    self.update_chunk(&key, &repr, &updates, &opts)
                }
            };
            if batch.len() == 1 || options.concurrent_target <= 1 {
                batch.iter().try_for_each(run)?;
            } else {
                batch.par_iter().try_for_each(run)?;
            }
        }
    }
}

#[cfg(feature = "async")]
mod asynchronous {
    use futures::stream::{self, StreamExt, TryStreamExt};
    use parking_lot::Mutex;

    use super::*;
    use crate::storage::asynchronous::{AsyncReadableStorageTraits, AsyncWritableStorageTraits};

    impl<S: AsyncReadableStorageTraits + ?Sized + 'static> Array<S> {
        /// Read a selection (see [`Array::read_selection`]) from an async store: up to
        /// `io_concurrency` chunks in flight, each decoded on the rayon pool.
        pub async fn read_selection_async<T: ArrayOutput>(
            &self,
            selection: &Selection,
        ) -> Result<T, ArrayError> {
            self.read_selection_async_opt(selection, &CodecOptions::default())
                .await
        }

        /// [`Array::read_selection_async`] with options.
        pub async fn read_selection_async_opt<T: ArrayOutput>(
            &self,
            selection: &Selection,
            options: &CodecOptions,
        ) -> Result<T, ArrayError> {
            let plan = self.plan_selection(selection, options)?;
            let shape = plan.shape().to_vec();
            if let Plan::Subset(s, _) = &plan {
                let resolved = crate::array::region::Resolved::Array(s.clone());
                return match T::kind(&self.data_type)? {
                    ArrayOutputKind::Fixed => {
                        let buf = self.output_buffer::<T>(s.shape(), options)?;
                        let shared = crate::buffer::SharedBuffer::new(buf);
                        self.read_fixed_async(&resolved, shared.clone(), options)
                            .await?;
                        let mut buf: Vec<T::Elem> =
                            crate::buffer::SharedBuffer::into_inner(shared)?;
                        self.validate_output(&mut buf)?;
                        T::from_fixed(buf, &shape)
                    }
                    ArrayOutputKind::Variable => {
                        let bytes = self.read_variable_async(&resolved, options).await?;
                        T::from_variable(bytes, &shape)
                    }
                };
            }
            let fixed = matches!(T::kind(&self.data_type)?, ArrayOutputKind::Fixed);
            let elem = self.element_size().unwrap_or(1);
            let n = usize::try_from(shape.iter().product::<u64>())
                .map_err(|_| ArrayError::TooLarge(u128::MAX))?;
            let buf = Mutex::new(if fixed {
                self.output_buffer::<T>(&shape, options)?
            } else {
                Vec::new()
            });
            let slots: Mutex<Vec<Vec<u8>>> = Mutex::new(if fixed {
                Vec::new()
            } else {
                let mut v = Vec::new();
                v.try_reserve_exact(n)
                    .map_err(|_| ArrayError::TooLarge(n as u128 * 24))?;
                v.resize_with(n, Vec::new);
                v
            });
            let mut tasks = self.tasks(&plan, false)?;
            loop {
                let batch = tasks.next_batch();
                if batch.is_empty() {
                    break;
                }
                let k = options.io_concurrency.max(1);
                let opts = Self::split_concurrency(options, batch.len().min(k));
                let (buf, slots, opts) = (&buf, &slots, &opts);
                stream::iter(batch.into_iter().map(Ok::<Task, ArrayError>))
                    .try_for_each_concurrent(k, |t| async move {
                        let parts = self
                            .read_chunk_regions_async(t.indices(), t.regions()?, opts)
                            .await?;
                        if fixed {
                            let mut b = buf.lock();
                            let out = bytes_of_mut(&mut b[..]);
                            gather_fixed(&t, &parts, elem, Out(out.as_mut_ptr(), out.len()))
                        } else {
                            let mut s = slots.lock();
                            gather_variable(&t, &parts, Slots(s.as_mut_ptr(), s.len()))
                        }
                    })
                    .await?;
            }
            if fixed {
                let mut b = buf.into_inner();
                self.validate_output(&mut b)?;
                T::from_fixed(b, &shape)
            } else {
                T::from_variable(ArrayBytes::from_byte_strings(&slots.into_inner()), &shape)
            }
        }

        /// Visit the chunks of a selection (see [`Array::visit_selection`]) as a stream:
        /// up to `io_concurrency` chunks in flight, in no particular order.
        pub fn visit_selection_async<'a>(
            &'a self,
            selection: &Selection,
            options: &'a CodecOptions,
        ) -> Result<impl futures::Stream<Item = Result<ChunkVisit, ArrayError>> + 'a, ArrayError>
        {
            let plan = match self.plan_selection(selection, options)? {
                Plan::Subset(s, shape) => {
                    let idx = s
                        .start()
                        .iter()
                        .zip(s.shape())
                        .map(|(&a, &n)| crate::selection::Index::range(a as i64..(a + n) as i64))
                        .collect::<Vec<_>>();
                    let mut o = Orthogonal::resolve(&idx, self.shape())?;
                    o.shape = shape;
                    Plan::Orthogonal(o)
                }
                p => p,
            };
            let elem = self.element_size();
            let mut source = self.tasks(&plan, false)?;
            let batches = stream::iter(std::iter::from_fn(move || {
                let b = source.next_batch();
                (!b.is_empty()).then_some(b)
            }))
            .flat_map(stream::iter);
            Ok(batches
                .map(move |t| async move {
                    let parts = self
                        .read_chunk_regions_async(t.indices(), t.regions()?, options)
                        .await?;
                    visit_of(&t, &parts, elem)
                })
                .buffer_unordered(options.io_concurrency.max(1)))
        }
    }

    impl<S: AsyncReadableStorageTraits + AsyncWritableStorageTraits + ?Sized + 'static> Array<S> {
        /// Write a selection (see [`Array::write_selection`]) to an async store.
        pub async fn write_selection_async<I: ArrayInput + ?Sized>(
            &self,
            selection: &Selection,
            input: &I,
        ) -> Result<(), ArrayError> {
            self.write_selection_async_opt(selection, input, &CodecOptions::default())
                .await
        }

        /// [`Array::write_selection_async`] with options.
        pub async fn write_selection_async_opt<I: ArrayInput + ?Sized>(
            &self,
            selection: &Selection,
            input: &I,
            options: &CodecOptions,
        ) -> Result<(), ArrayError> {
            let plan = self.plan_selection(selection, options)?;
            let bytes = input.input_bytes(&self.data_type)?;
            let input_ref = bytes.as_ref();
            let n: u64 = plan.shape().iter().product();
            self.check_bytes(input_ref, n)?;
            if let Plan::Subset(s, _) = &plan {
                let owned = input_ref
                    .to_owned_bytes()
                    .map_err(ArrayError::InvalidInput)?;
                return Box::pin(self.write_resolved_async(
                    crate::array::region::Resolved::Array(s.clone()),
                    owned.into(),
                    options,
                ))
                .await;
            }
            let elem = match self.data_type.size() {
                DataTypeSize::Fixed(n) => Some(n),
                DataTypeSize::Variable => None,
            };
            let mut tasks = self.tasks(&plan, true)?;
            loop {
                let batch = tasks.next_batch();
                if batch.is_empty() {
                    return Ok(());
                }
                let k = options.io_concurrency.max(1);
                let opts = Self::split_concurrency(options, batch.len().min(k));
                // The updates are made here, from the borrowed input, before any await.
                let work: Vec<(Task, Vec<(ArraySubset, ArrayBytes)>)> = batch
                    .into_iter()
                    .map(|t| updates_of(&t, input_ref, elem).map(|u| (t, u)))
                    .collect::<Result<_, _>>()?;
                let opts = &opts;
                stream::iter(work.into_iter().map(Ok::<_, ArrayError>))
                    .try_for_each_concurrent(k, |(t, updates)| async move {
                        let repr = self.chunk_representation(t.indices())?;
                        let key = self.chunk_key(t.indices())?;
                        self.update_chunk_async(&key, &repr, updates, opts).await
                    })
                    .await?;
            }
        }
    }
}
