//! Range coalescing: merge nearby byte ranges into fewer, larger requests. Used by every
//! plan that reads parts of a value (the `bytes` codec's rows, a shard's inner chunks, nested
//! partial decodes), so no plugin writes its own.

use bytes::Bytes;

use crate::error::CodecError;
use crate::storage::ByteRange;

/// Byte ranges `(offset, len)` merged into requests, and where each range lies in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coalesced {
    /// The merged requests, sorted by offset (each `FromStart(offset, Some(len))`).
    pub requests: Vec<ByteRange>,
    /// For each input range, in input order: (request index, offset inside the request).
    pub members: Vec<(usize, u64)>,
    lens: Vec<u64>,
}

/// Merge `ranges` (`(offset, len)`, any order, duplicates and overlaps allowed) into requests
/// whose gaps are at most `max_gap` bytes. Empty ranges join the request they fall in (or get
/// an empty one of their own).
pub fn coalesce(ranges: &[(u64, u64)], max_gap: u64) -> Coalesced {
    let mut order: Vec<usize> = (0..ranges.len()).collect();
    order.sort_unstable_by_key(|&i| (ranges[i].0, ranges[i].1));
    let mut spans: Vec<(u64, u64)> = Vec::new(); // (start, end)
    let mut members = vec![(0usize, 0u64); ranges.len()];
    for i in order {
        let (o, l) = ranges[i];
        let end = o.saturating_add(l);
        let n = spans.len();
        match spans.last_mut() {
            Some(last) if o <= last.1.saturating_add(max_gap) => {
                last.1 = last.1.max(end);
                members[i] = (n - 1, o - last.0);
            }
            _ => {
                spans.push((o, end));
                members[i] = (spans.len() - 1, 0);
            }
        }
    }
    Coalesced {
        requests: spans
            .iter()
            .map(|&(s, e)| ByteRange::FromStart(s, Some(e - s)))
            .collect(),
        members,
        lens: ranges.iter().map(|r| r.1).collect(),
    }
}

impl Coalesced {
    /// The bytes of input range `i`, sliced (no copy) from the fetched requests.
    pub fn take(&self, fetched: &[Bytes], i: usize, codec: &str) -> Result<Bytes, CodecError> {
        let bad = || CodecError::Internal(format!("{codec}: coalesced range {i} not fetched"));
        let (g, at) = *self.members.get(i).ok_or_else(bad)?;
        let len = *self.lens.get(i).ok_or_else(bad)?;
        let b = fetched.get(g).ok_or_else(bad)?;
        let (s, e) = (at as usize, (at + len) as usize);
        if e > b.len() {
            return Err(CodecError::Corrupt {
                codec: codec.into(),
                message: format!(
                    "the input returned {} bytes for a range of {}",
                    b.len(),
                    e - s
                ),
            });
        }
        Ok(b.slice(s..e))
    }

    /// The bytes of input range `i`, borrowed from the fetched requests (no reference count
    /// touched: for loops over many small ranges).
    pub fn slice<'a>(
        &self,
        fetched: &'a [Bytes],
        i: usize,
        codec: &str,
    ) -> Result<&'a [u8], CodecError> {
        let bad = || CodecError::Internal(format!("{codec}: coalesced range {i} not fetched"));
        let (g, at) = *self.members.get(i).ok_or_else(bad)?;
        let len = *self.lens.get(i).ok_or_else(bad)?;
        let b = fetched.get(g).ok_or_else(bad)?;
        b.get(at as usize..(at + len) as usize)
            .ok_or_else(|| CodecError::Corrupt {
                codec: codec.into(),
                message: format!(
                    "the input returned {} bytes for a request that must hold {}",
                    b.len(),
                    at + len
                ),
            })
    }

    /// Whether nothing is requested.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn merges_within_the_gap() {
        let c = coalesce(&[(100, 10), (0, 10), (15, 5), (200, 0), (105, 20)], 5);
        assert_eq!(
            c.requests,
            vec![
                ByteRange::new(0, 20),
                ByteRange::new(100, 25),
                ByteRange::new(200, 0)
            ]
        );
        assert_eq!(c.members, vec![(1, 0), (0, 0), (0, 15), (2, 0), (1, 5)]);
    }

    proptest! {
        /// Every range is served with exactly its bytes, whatever the order and gaps.
        #[test]
        fn serves_every_range(
            ranges in proptest::collection::vec((0u64..500, 0u64..50), 0..30),
            gap in 0u64..100,
        ) {
            let value: Vec<u8> = (0..600u32).map(|i| (i % 251) as u8).collect();
            let c = coalesce(&ranges, gap);
            let fetched: Vec<Bytes> = c
                .requests
                .iter()
                .map(|r| {
                    let rr = r.to_range(600).unwrap_or(0..0);
                    Bytes::copy_from_slice(&value[rr.start as usize..rr.end as usize])
                })
                .collect();
            for w in c.requests.windows(2) {
                let (ByteRange::FromStart(a, Some(la)), ByteRange::FromStart(b, _)) = (w[0], w[1]) else {
                    return Err(TestCaseError::fail("not from-start ranges"));
                };
                prop_assert!(b > a + la + gap, "requests {a}+{la} and {b} should have merged");
            }
            for (i, &(o, l)) in ranges.iter().enumerate() {
                let got = c.take(&fetched, i, "t").map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&got[..], &value[o as usize..(o + l) as usize]);
            }
        }
    }
}
