//! The read primitive over HTTP range requests.
//!
//! One call of [`Shared::read`] plans its requests from the byte ranges, without asking for
//! the object's size first:
//! - the whole value (`ByteRange::ALL` among the ranges): one GET without a range, every
//!   range sliced from it;
//! - ranges with a start and a length, and prefixes (`Prefix(n)`: `bytes=0-(n-1)`, which the
//!   server clamps to the object), coalesced into bounded requests when at most `max_gap`
//!   bytes apart (`zarrkit_core::codec::coalesce`, the same coalescing the codecs use);
//! - a suffix is `bytes=-n` and an open range `bytes=o-`, each a request of its own;
//! - empty ranges need no bytes, only the size (from another response, or a HEAD when every
//!   range is empty or none was asked for).
//!
//! The requests of one read run concurrently (at most `read_concurrency` at once). Every
//! response carries the object's size (`Content-Range`) and version; the ranges are resolved
//! against that size here, so an out-of-bounds range is an error naming the key and the size,
//! whatever the server did with it (S3 clamps a range's end and answers a suffix longer than
//! the object with the whole object; both are errors for zarrkit). A range request the server
//! cannot satisfy (`416`: an open range at the very end, any range of an empty object) is
//! resolved the same way, with the size from another response or from a HEAD.
//!
//! **Versions.** With `if_version`, every request carries `If-Match: <ETag>` and every
//! response's version must equal the demanded one: a value replaced or erased since answers
//! [`StorageError::Changed`], never bytes. Without it, a read of several requests checks that
//! they all saw one version; if a writer replaced the value between them, the read is made
//! again with `If-Match` on a version it saw (at most [`MAX_ROUNDS`] times), so the bytes
//! returned are always of one version.

use std::ops::Range;

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange};
use zarrkit_core::codec::coalesce;
use zarrkit_core::storage::{ByteRange, ReadResult, StoreKey, Version};
use zarrkit_core::StorageError;

use crate::version::Parts;
use crate::Shared;

/// How many times a read without `if_version` is made again when a writer replaced the value
/// between its requests.
pub(crate) const MAX_ROUNDS: usize = 8;

/// One HTTP request of a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Req {
    /// The whole object.
    Whole,
    /// `bytes=a-(b-1)` (the server clamps `b` to the object's size).
    Bounded(Range<u64>),
    /// `bytes=o-`.
    Offset(u64),
    /// `bytes=-n`.
    Suffix(u64),
    /// A HEAD: size and version only.
    Head,
}

impl Req {
    fn options(&self, if_match: Option<&str>) -> GetOptions {
        let range = match self {
            Self::Whole | Self::Head => None,
            Self::Bounded(r) => Some(GetRange::Bounded(r.clone())),
            Self::Offset(o) => Some(GetRange::Offset(*o)),
            Self::Suffix(n) => Some(GetRange::Suffix(*n)),
        };
        GetOptions {
            range,
            if_match: if_match.map(str::to_string),
            head: matches!(self, Self::Head),
            ..Default::default()
        }
    }
}

/// The requests of a read and which request serves each range (`None`: a range that needs
/// no bytes, resolved from the size alone).
#[derive(Debug, PartialEq, Eq)]
struct Plan {
    reqs: Vec<Req>,
    of_range: Vec<Option<usize>>,
}

fn push_unique(reqs: &mut Vec<Req>, r: Req) -> usize {
    match reqs.iter().position(|x| *x == r) {
        Some(i) => i,
        None => {
            reqs.push(r);
            reqs.len() - 1
        }
    }
}

fn plan(ranges: &[ByteRange], max_gap: u64) -> Plan {
    if ranges.contains(&ByteRange::ALL) {
        return Plan {
            reqs: vec![Req::Whole],
            of_range: vec![Some(0); ranges.len()],
        };
    }
    let mut reqs = Vec::new();
    let mut of_range = vec![None; ranges.len()];
    let mut bounded: Vec<(u64, u64)> = Vec::new();
    let mut bounded_of: Vec<usize> = Vec::new();
    for (i, r) in ranges.iter().enumerate() {
        match *r {
            ByteRange::FromStart(_, Some(0)) | ByteRange::Suffix(0) | ByteRange::Prefix(0) => {}
            // Past u64::MAX: out of bounds whatever the size (an error from the size alone).
            ByteRange::FromStart(o, Some(l)) if o.checked_add(l).is_none() => {}
            ByteRange::FromStart(o, Some(l)) => {
                bounded.push((o, l));
                bounded_of.push(i);
            }
            ByteRange::Prefix(n) => {
                bounded.push((0, n));
                bounded_of.push(i);
            }
            ByteRange::FromStart(o, None) => {
                of_range[i] = Some(push_unique(&mut reqs, Req::Offset(o)));
            }
            ByteRange::Suffix(n) => {
                of_range[i] = Some(push_unique(&mut reqs, Req::Suffix(n)));
            }
        }
    }
    let c = coalesce(&bounded, max_gap);
    let base = reqs.len();
    for (k, &i) in bounded_of.iter().enumerate() {
        of_range[i] = c.members.get(k).map(|m| base + m.0);
    }
    for r in &c.requests {
        if let ByteRange::FromStart(o, Some(l)) = *r {
            reqs.push(Req::Bounded(o..o + l));
        }
    }
    if reqs.is_empty() {
        reqs.push(Req::Head);
    }
    Plan { reqs, of_range }
}

/// A response: the bytes of `range` of an object of `size` bytes at `version`.
pub(crate) struct Fetched {
    pub range: Range<u64>,
    pub frames: Vec<Bytes>,
    pub size: u64,
    pub version: Parts,
}

/// What one request found.
pub(crate) enum Outcome {
    Found(Fetched),
    Absent,
    /// `If-Match` failed (412, or 304).
    Precondition,
    /// `416 Range Not Satisfiable`.
    Unsatisfiable,
}

/// Whether an error is a `416 Range Not Satisfiable` answer (object_store keeps the status in
/// a private error type; its message names it), or object_store's own error for a range that
/// starts past the end (from stores that are not HTTP, such as `InMemory`).
fn is_unsatisfiable(e: &object_store::Error) -> bool {
    if !matches!(e, object_store::Error::Generic { .. }) {
        return false;
    }
    let t = crate::error_text(e);
    t.contains("416 Range Not Satisfiable") || t.contains("Wanted range starting at")
}

/// The body of a response: every frame, exactly `expect` bytes in all.
pub(crate) async fn collect_frames(
    key: &StoreKey,
    mut body: futures::stream::BoxStream<'static, object_store::Result<Bytes>>,
    expect: u64,
) -> Result<Vec<Bytes>, StorageError> {
    let mut frames = Vec::new();
    let mut total = 0u64;
    while let Some(frame) = body.next().await {
        let frame = frame.map_err(|e| crate::remote(key, e))?;
        if frame.is_empty() {
            continue;
        }
        total = total.saturating_add(frame.len() as u64);
        if total > expect {
            break;
        }
        frames.push(frame);
    }
    if total != expect {
        return Err(StorageError::Remote {
            key: key.to_string(),
            message: format!(
                "the server sent {} {total} bytes of a response of {expect} bytes",
                if total > expect { "more than" } else { "only" }
            ),
        });
    }
    Ok(frames)
}

/// The bytes of `want` from a response covering `range`, if it does.
fn slice(f: &Fetched, want: &Range<u64>) -> Option<Bytes> {
    if want.start < f.range.start || want.end > f.range.end {
        return None;
    }
    let (s, e) = (want.start - f.range.start, want.end - f.range.start);
    // Most responses are one frame; otherwise find the frames the range spans.
    let mut at = 0u64;
    let mut parts: Vec<Bytes> = Vec::new();
    for fr in &f.frames {
        let (fs, fe) = (at, at + fr.len() as u64);
        at = fe;
        if fe <= s || fs >= e {
            continue;
        }
        let a = s.max(fs) - fs;
        let b = e.min(fe) - fs;
        parts.push(fr.slice(a as usize..b as usize));
    }
    match parts.len() {
        0 => Some(Bytes::new()),
        1 => parts.pop(),
        _ => {
            let mut v = Vec::new();
            v.try_reserve_exact((e - s) as usize).ok()?;
            for p in &parts {
                v.extend_from_slice(p);
            }
            Some(Bytes::from(v))
        }
    }
}

enum Round {
    Done(Option<ReadResult>),
    /// The value changed between the requests: again, with `If-Match` on this version (or
    /// unconditionally).
    Again(Option<Parts>),
}

impl Shared {
    /// One request.
    pub(crate) async fn fetch(
        &self,
        key: &StoreKey,
        path: &Path,
        req: &Req,
        if_match: Option<&str>,
    ) -> Result<Outcome, StorageError> {
        match self.store.get_opts(path, req.options(if_match)).await {
            Ok(r) => {
                let size = r.meta.size;
                let version = Parts::of(&r.meta, &r.attributes);
                let range = r.range.clone();
                let frames = if *req == Req::Head {
                    Vec::new()
                } else {
                    let expect = range.end.saturating_sub(range.start);
                    collect_frames(key, r.into_stream(), expect).await?
                };
                let range = if *req == Req::Head { 0..0 } else { range };
                Ok(Outcome::Found(Fetched {
                    range,
                    frames,
                    size,
                    version,
                }))
            }
            Err(e @ object_store::Error::NotFound { .. }) if !crate::no_bucket(&e) => {
                Ok(Outcome::Absent)
            }
            Err(
                object_store::Error::Precondition { .. } | object_store::Error::NotModified { .. },
            ) => Ok(Outcome::Precondition),
            Err(e) if is_unsatisfiable(&e) => Ok(Outcome::Unsatisfiable),
            // Azure Blob Storage has no suffix ranges (object_store refuses them before
            // sending anything): the size from a HEAD, then a bounded GET.
            Err(object_store::Error::NotSupported { .. }) if matches!(req, Req::Suffix(_)) => {
                let Req::Suffix(n) = *req else {
                    return Ok(Outcome::Unsatisfiable);
                };
                Box::pin(self.fetch_suffix(key, path, n, if_match)).await
            }
            Err(e) => Err(crate::remote(key, e)),
        }
    }

    /// The last `n` bytes without a suffix range: the size from a GET of the first byte (a
    /// HEAD would do, but its answer has no body, so a missing container could not be told
    /// from a missing blob), then a GET of the range it gives, with `If-Match` on the first
    /// answer's ETag (a value replaced in between answers [`Outcome::Precondition`]: the
    /// caller reads again or reports the change). An empty object answers `416` to the first
    /// GET, as a server answers any range of it.
    async fn fetch_suffix(
        &self,
        key: &StoreKey,
        path: &Path,
        n: u64,
        if_match: Option<&str>,
    ) -> Result<Outcome, StorageError> {
        let first = match self.fetch(key, path, &Req::Bounded(0..1), if_match).await? {
            Outcome::Found(h) => h,
            other => return Ok(other),
        };
        let range = first.size.saturating_sub(n)..first.size;
        if range.start >= first.range.start && range.end <= first.range.end {
            return Ok(Outcome::Found(first));
        }
        let cond = first.version.e_tag.as_deref().or(if_match);
        match self.fetch(key, path, &Req::Bounded(range), cond).await? {
            Outcome::Found(f) if f.version != first.version || f.size != first.size => {
                Ok(Outcome::Precondition)
            }
            Outcome::Absent | Outcome::Unsatisfiable => Ok(Outcome::Precondition),
            other => Ok(other),
        }
    }

    /// The read primitive (see the module documentation).
    pub(crate) async fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let path = self.path(key)?;
        let demanded = match if_version {
            None => None,
            Some(v) => match Parts::parse(v) {
                Some(p) => Some(p),
                // Not a version of this store: it cannot be current.
                None => return Err(changed(key)),
            },
        };
        let plan = plan(ranges, self.opts.max_gap);
        let mut cond = demanded.clone();
        for _ in 0..MAX_ROUNDS {
            match self
                .read_round(key, &path, ranges, &plan, demanded.as_ref(), cond.as_ref())
                .await?
            {
                Round::Done(r) => return Ok(r),
                Round::Again(c) => cond = c,
            }
        }
        Err(StorageError::Remote {
            key: key.to_string(),
            message: format!("the value kept changing while it was read ({MAX_ROUNDS} attempts)"),
        })
    }

    async fn read_round(
        &self,
        key: &StoreKey,
        path: &Path,
        ranges: &[ByteRange],
        plan: &Plan,
        demanded: Option<&Parts>,
        cond: Option<&Parts>,
    ) -> Result<Round, StorageError> {
        let if_match = cond.and_then(|c| c.e_tag.as_deref());
        let requests: Vec<_> = plan
            .reqs
            .iter()
            .map(|r| self.fetch(key, path, r, if_match))
            .collect();
        let outcomes: Vec<Outcome> = stream::iter(requests)
            .buffered(self.opts.read_concurrency.max(1))
            .try_collect()
            .await?;
        let mut found: Vec<&Fetched> = Vec::new();
        let (mut absent, mut precondition) = (0usize, 0usize);
        for o in &outcomes {
            match o {
                Outcome::Found(f) => found.push(f),
                Outcome::Absent => absent += 1,
                Outcome::Precondition => precondition += 1,
                Outcome::Unsatisfiable => {}
            }
        }
        if let Some(d) = demanded {
            // The server checked the ETag (if it honours `If-Match` on reads at all); the
            // whole version is checked here: a value rewritten with the same bytes has the
            // same ETag but another write ID, and must not pass as the demanded version.
            if absent > 0 || precondition > 0 || found.iter().any(|f| f.version != *d) {
                return Err(changed(key));
            }
        } else {
            if absent == outcomes.len() {
                return Ok(Round::Done(None));
            }
            let first = found.first().map(|f| &f.version);
            if absent > 0 || precondition > 0 || found.iter().any(|f| Some(&f.version) != first) {
                // A writer replaced (or erased) the value between the requests: read again,
                // with `If-Match` on the newest version seen (or unconditionally if none
                // was), and check again that every response saw one version.
                return Ok(Round::Again(found.last().map(|f| f.version.clone())));
            }
        }
        // The size (and version): from the responses, or a HEAD when every request was
        // unsatisfiable.
        let head;
        let (size, version) = match found.first() {
            Some(f) => {
                if found.iter().any(|g| g.size != f.size) {
                    return self.inconsistent(key, demanded);
                }
                (f.size, f.version.clone())
            }
            None => {
                head = self.fetch(key, path, &Req::Head, if_match).await?;
                match &head {
                    Outcome::Found(h) => {
                        if demanded.is_some_and(|d| h.version != *d) {
                            return Err(changed(key));
                        }
                        (h.size, h.version.clone())
                    }
                    Outcome::Absent if demanded.is_none() && cond.is_none() => {
                        return Ok(Round::Done(None))
                    }
                    _ => return self.inconsistent(key, demanded),
                }
            }
        };
        let mut bytes = Vec::with_capacity(ranges.len());
        for (i, r) in ranges.iter().enumerate() {
            let want = r.resolve(key, size)?;
            if want.is_empty() {
                bytes.push(Bytes::new());
                continue;
            }
            let served = plan
                .of_range
                .get(i)
                .copied()
                .flatten()
                .and_then(|q| outcomes.get(q));
            match served {
                Some(Outcome::Found(f)) => match slice(f, &want) {
                    Some(b) => bytes.push(b),
                    None => {
                        return Err(StorageError::Remote {
                            key: key.to_string(),
                            message: format!(
                                "the server answered bytes {}..{} where {}..{} were asked for",
                                f.range.start, f.range.end, want.start, want.end
                            ),
                        })
                    }
                },
                // A request found unsatisfiable although the range lies in the value: the
                // value changed between the requests.
                _ => return self.inconsistent(key, demanded),
            }
        }
        Ok(Round::Done(Some(ReadResult {
            bytes,
            size,
            version: version.to_version(),
        })))
    }

    fn inconsistent(
        &self,
        key: &StoreKey,
        demanded: Option<&Parts>,
    ) -> Result<Round, StorageError> {
        match demanded {
            Some(_) => Err(changed(key)),
            None => Ok(Round::Again(None)),
        }
    }
}

pub(crate) fn changed(key: &StoreKey) -> StorageError {
    StorageError::Changed {
        key: key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let p = plan(&[ByteRange::ALL, ByteRange::Suffix(4)], 0);
        assert_eq!(p.reqs, vec![Req::Whole]);
        assert_eq!(p.of_range, vec![Some(0), Some(0)]);
        let p = plan(
            &[
                ByteRange::new(0, 10),
                ByteRange::new(12, 4),
                ByteRange::new(1000, 8),
                ByteRange::Suffix(16),
                ByteRange::Suffix(16),
                ByteRange::FromStart(5, None),
                ByteRange::new(3, 0),
                ByteRange::Prefix(7),
                ByteRange::FromStart(u64::MAX, Some(2)),
            ],
            2,
        );
        assert_eq!(
            p.reqs,
            vec![
                Req::Suffix(16),
                Req::Offset(5),
                Req::Bounded(0..16),
                Req::Bounded(1000..1008)
            ]
        );
        assert_eq!(
            p.of_range,
            vec![
                Some(2),
                Some(2),
                Some(3),
                Some(0),
                Some(0),
                Some(1),
                None,
                Some(2),
                None
            ]
        );
        assert_eq!(plan(&[], 0).reqs, vec![Req::Head]);
        assert_eq!(plan(&[ByteRange::Suffix(0)], 0).reqs, vec![Req::Head]);
    }

    #[test]
    fn slices_across_frames() {
        let f = Fetched {
            range: 10..20,
            frames: vec![
                Bytes::from_static(b"abc"),
                Bytes::from_static(b"defg"),
                Bytes::from_static(b"hij"),
            ],
            size: 100,
            version: Parts::default(),
        };
        assert_eq!(slice(&f, &(10..13)).as_deref(), Some(&b"abc"[..]));
        assert_eq!(slice(&f, &(12..18)).as_deref(), Some(&b"cdefgh"[..]));
        assert_eq!(slice(&f, &(14..16)).as_deref(), Some(&b"ef"[..]));
        assert_eq!(slice(&f, &(10..20)).as_deref(), Some(&b"abcdefghij"[..]));
        assert_eq!(slice(&f, &(9..12)), None);
        assert_eq!(slice(&f, &(15..21)), None);
    }
}
