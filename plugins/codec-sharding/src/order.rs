//! The physical order of inner chunks in the data section of a shard the codec writes
//! ([`SubchunkWriteOrder`]). The index is always in C order of the inner chunk grid; only the
//! offsets its entries point at follow the write order. Readers need no setting: they follow
//! the index.

use zarrkit_core::config::SubchunkWriteOrder;
use zarrkit_core::error::CodecError;

use crate::ShardingCodec;

/// The C-order linear indices of the inner chunks of `grid`, in the order `order` writes them.
pub(crate) fn write_order(
    grid: &[u64],
    order: SubchunkWriteOrder,
) -> Result<Vec<usize>, CodecError> {
    let n = ShardingCodec::num_inner(grid)?;
    Ok(match order {
        SubchunkWriteOrder::Lexicographic => (0..n).collect(),
        SubchunkWriteOrder::Colexicographic => {
            // Position `p` of Fortran order is the chunk whose coordinates are `p` unravelled
            // with the first dimension fastest: the reversed grid's C order, reversed back.
            let reversed: Vec<u64> = grid.iter().rev().copied().collect();
            (0..n)
                .map(|p| {
                    let mut c = coords(&reversed, p);
                    c.reverse();
                    ravel(grid, &c)
                })
                .collect()
        }
        SubchunkWriteOrder::Morton => {
            let bits: Vec<u32> = grid.iter().map(|&g| bits_for(g)).collect();
            if bits.iter().sum::<u32>() > 128 {
                return Err(CodecError::unsupported(
                    crate::NAME,
                    format!(
                        "a shard grid of {grid:?} inner chunks has too many dimensions for \
                         Morton order (more than 128 bits of coordinates)"
                    ),
                ));
            }
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by_cached_key(|&i| morton_code(&coords(grid, i), &bits));
            idx
        }
    })
}

/// Bits needed to index `g` values (0 for a dimension of one chunk).
fn bits_for(g: u64) -> u32 {
    u64::BITS - g.saturating_sub(1).leading_zeros()
}

/// The coordinates of C-order linear index `i` in `grid` (every extent non-zero).
pub(crate) fn coords(grid: &[u64], i: usize) -> Vec<u64> {
    let mut rem = i as u64;
    let mut c = vec![0u64; grid.len()];
    for d in (0..grid.len()).rev() {
        c[d] = rem % grid[d];
        rem /= grid[d];
    }
    c
}

/// The C-order linear index of coordinates `c` in `grid`.
fn ravel(grid: &[u64], c: &[u64]) -> usize {
    grid.iter().zip(c).fold(0u64, |a, (&g, &x)| a * g + x) as usize
}

/// The compressed Morton code of `c` (as Neuroglancer and zarr-python define it): bit `k` of
/// every dimension that has a bit `k`, dimension 0 first, from the lowest bit up.
fn morton_code(c: &[u64], bits: &[u32]) -> u128 {
    let max = bits.iter().copied().max().unwrap_or(0);
    let (mut z, mut out_bit) = (0u128, 0u32);
    for k in 0..max {
        for (d, &b) in bits.iter().enumerate() {
            if k < b {
                z |= u128::from((c[d] >> k) & 1) << out_bit;
                out_bit += 1;
            }
        }
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_coords(grid: &[u64], order: SubchunkWriteOrder) -> Vec<Vec<u64>> {
        write_order(grid, order)
            .unwrap()
            .into_iter()
            .map(|i| coords(grid, i))
            .collect()
    }

    #[test]
    fn morton_matches_zarr_python() {
        // zarr-python 3.4.2: list(morton_order_iter((3, 2))) — compressed Morton code, out
        // of bounds codes of the 4 x 2 ceiling skipped.
        assert_eq!(
            as_coords(&[3, 2], SubchunkWriteOrder::Morton),
            [[0, 0], [1, 0], [0, 1], [1, 1], [2, 0], [2, 1]]
        );
        // Dimensions of different bit counts drop out once their bits are used up.
        assert_eq!(
            as_coords(&[2, 4], SubchunkWriteOrder::Morton),
            [
                [0, 0],
                [1, 0],
                [0, 1],
                [1, 1],
                [0, 2],
                [1, 2],
                [0, 3],
                [1, 3]
            ]
        );
        assert_eq!(
            as_coords(&[2, 2, 2], SubchunkWriteOrder::Morton),
            [
                [0, 0, 0],
                [1, 0, 0],
                [0, 1, 0],
                [1, 1, 0],
                [0, 0, 1],
                [1, 0, 1],
                [0, 1, 1],
                [1, 1, 1]
            ]
        );
    }

    #[test]
    fn lexicographic_and_colexicographic() {
        assert_eq!(
            as_coords(&[3, 2], SubchunkWriteOrder::Lexicographic),
            [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]]
        );
        assert_eq!(
            as_coords(&[3, 2], SubchunkWriteOrder::Colexicographic),
            [[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1]]
        );
    }

    #[test]
    fn every_order_is_a_permutation() {
        for grid in [&[1u64][..], &[5, 3, 7], &[1, 9, 1, 2], &[17]] {
            for o in [
                SubchunkWriteOrder::Lexicographic,
                SubchunkWriteOrder::Colexicographic,
                SubchunkWriteOrder::Morton,
            ] {
                let mut v = write_order(grid, o).unwrap();
                v.sort_unstable();
                assert_eq!(v, (0..v.len()).collect::<Vec<_>>(), "{grid:?} {o:?}");
            }
        }
    }
}
