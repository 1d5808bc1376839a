//! Pure pieces of the HTTP protocol the store needs: the `Range` header of a byte range, the
//! `Content-Range` of an answer, validators (ETag / Last-Modified) and versions, key
//! encoding. No I/O here, so every rule is unit-tested.

use zarrkit_core::storage::{ByteRange, StoreKey, Version};

/// How one requested byte range is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// No request: the range is empty whatever the value (its bounds are checked once the
    /// size is known). HTTP cannot ask for zero bytes.
    Empty,
    /// A `GET` without a `Range` header: the whole value.
    Whole,
    /// A `GET` with this `Range` header value.
    Ranged(String),
}

/// The request for a byte range. A range whose end overflows `u64` is asked for open-ended
/// (`bytes=o-`): it is out of bounds of any value, and the answer's size shows it.
pub(crate) fn plan(r: &ByteRange) -> Plan {
    match *r {
        ByteRange::FromStart(0, None) => Plan::Whole,
        ByteRange::FromStart(_, Some(0)) | ByteRange::Suffix(0) | ByteRange::Prefix(0) => {
            Plan::Empty
        }
        ByteRange::FromStart(o, None) => Plan::Ranged(format!("bytes={o}-")),
        ByteRange::FromStart(o, Some(l)) => match o.checked_add(l) {
            // l > 0 here, so o + l - 1 does not underflow.
            Some(end) => Plan::Ranged(format!("bytes={o}-{}", end - 1)),
            None => Plan::Ranged(format!("bytes={o}-")),
        },
        ByteRange::Suffix(n) => Plan::Ranged(format!("bytes=-{n}")),
        ByteRange::Prefix(n) => Plan::Ranged(format!("bytes=0-{}", n - 1)),
    }
}

/// A parsed `Content-Range` header (RFC 9110 §14.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentRange {
    /// `bytes first-last/total` (`total` is `None` for `*`).
    Bytes {
        first: u64,
        last: u64,
        total: Option<u64>,
    },
    /// `bytes */total` (in a 416 answer).
    Unsatisfied { total: u64 },
}

fn number(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parse a `Content-Range` value; `None` if it is malformed or inconsistent (last before
/// first, last at or past the total).
pub(crate) fn parse_content_range(v: &str) -> Option<ContentRange> {
    let v = v.trim();
    let (unit, rest) = v.split_once(' ')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let (span, total) = rest.trim().split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(number(t)?),
    };
    if span.trim() == "*" {
        return Some(ContentRange::Unsatisfied { total: total? });
    }
    let (first, last) = span.split_once('-')?;
    let (first, last) = (number(first)?, number(last)?);
    if last < first || total.is_some_and(|t| last >= t) {
        return None;
    }
    Some(ContentRange::Bytes { first, last, total })
}

/// What identifies the version of a value in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Validator {
    /// An entity tag as sent (`"..."` or `W/"..."`).
    ETag(String),
    /// A `Last-Modified` date as sent (only when there is no ETag).
    LastModified(String),
    /// Neither: the server gives nothing to tell two values of the same size apart.
    Nothing,
}

impl Validator {
    /// The validator of an answer's headers.
    pub(crate) fn of(headers: &reqwest::header::HeaderMap) -> Self {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        if let Some(e) = text(reqwest::header::ETAG) {
            Validator::ETag(e)
        } else if let Some(d) = text(reqwest::header::LAST_MODIFIED) {
            Validator::LastModified(d)
        } else {
            Validator::Nothing
        }
    }

    /// Whether the headers carry any validator (a 416 answer often carries none, which
    /// says nothing about the value).
    pub(crate) fn present_in(headers: &reqwest::header::HeaderMap) -> bool {
        !matches!(Self::of(headers), Validator::Nothing)
    }

    /// The [`Version`] of a value with this validator and size: the ETag itself; otherwise
    /// the date and the size, or the size alone.
    pub(crate) fn version(&self, size: u64) -> Version {
        match self {
            Validator::ETag(e) => Version::from_string(e.clone()),
            Validator::LastModified(d) => {
                Version::from_string(format!("{LAST_MODIFIED_TAG}{d}{SIZE_TAG}{size}"))
            }
            Validator::Nothing => Version::from_string(format!("size: {size}")),
        }
    }
}

const LAST_MODIFIED_TAG: &str = "last-modified: ";
const SIZE_TAG: &str = "; size: ";

/// The precondition header for a demanded version: `If-Match` for a strong ETag,
/// `If-Unmodified-Since` for a date. A weak ETag never matches under `If-Match` (RFC 9110
/// strong comparison), so none is sent for it; every answer's version is compared anyway.
pub(crate) fn precondition(v: &Version) -> Option<(reqwest::header::HeaderName, String)> {
    let s = v.as_str()?;
    if s.starts_with('"') {
        return Some((reqwest::header::IF_MATCH, s.to_string()));
    }
    let date = s.strip_prefix(LAST_MODIFIED_TAG)?;
    let (date, _) = date.rsplit_once(SIZE_TAG)?;
    Some((reqwest::header::IF_UNMODIFIED_SINCE, date.to_string()))
}

/// The URL of a key under `base` (which has no trailing `/`): each component
/// percent-encoded but for RFC 3986's unreserved characters.
pub(crate) fn key_url(base: &str, key: &StoreKey) -> String {
    let mut url = String::with_capacity(base.len() + key.as_str().len() + 8);
    url.push_str(base);
    for component in key.as_str().split('/') {
        url.push('/');
        for b in component.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                url.push(char::from(b));
            } else {
                url.push_str(&format!("%{b:02X}"));
            }
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_headers() {
        let p = |r| plan(&r);
        assert_eq!(p(ByteRange::ALL), Plan::Whole);
        assert_eq!(p(ByteRange::new(10, 5)), Plan::Ranged("bytes=10-14".into()));
        assert_eq!(p(ByteRange::new(0, 1)), Plan::Ranged("bytes=0-0".into()));
        assert_eq!(
            p(ByteRange::FromStart(7, None)),
            Plan::Ranged("bytes=7-".into())
        );
        assert_eq!(p(ByteRange::Suffix(4)), Plan::Ranged("bytes=-4".into()));
        assert_eq!(p(ByteRange::Prefix(3)), Plan::Ranged("bytes=0-2".into()));
        for empty in [
            ByteRange::new(5, 0),
            ByteRange::Suffix(0),
            ByteRange::Prefix(0),
        ] {
            assert_eq!(p(empty), Plan::Empty);
        }
        // An end past u64::MAX is asked open-ended; the size then shows it out of bounds.
        assert_eq!(
            p(ByteRange::FromStart(1, Some(u64::MAX))),
            Plan::Ranged("bytes=1-".into())
        );
        assert_eq!(
            p(ByteRange::FromStart(u64::MAX, Some(1))),
            Plan::Ranged(format!("bytes={}-", u64::MAX))
        );
    }

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 0-99/1000"),
            Some(ContentRange::Bytes {
                first: 0,
                last: 99,
                total: Some(1000)
            })
        );
        assert_eq!(
            parse_content_range(" Bytes 5-5/*"),
            Some(ContentRange::Bytes {
                first: 5,
                last: 5,
                total: None
            })
        );
        assert_eq!(
            parse_content_range("bytes */42"),
            Some(ContentRange::Unsatisfied { total: 42 })
        );
        for bad in [
            "",
            "bytes",
            "bytes 9-3/10",
            "bytes 0-10/10",
            "bytes -1-3/10",
            "bytes 0-3",
            "bits 0-3/10",
            "bytes */*",
            "bytes 0-3/1x",
            "bytes 0-99999999999999999999/1",
            "bytes +1-3/10",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn versions_and_preconditions() -> Result<(), String> {
        let etag = Validator::ETag("\"5f-3e8\"".into());
        let v = etag.version(1000);
        assert_eq!(v.as_str(), Some("\"5f-3e8\""));
        assert_eq!(
            precondition(&v),
            Some((reqwest::header::IF_MATCH, "\"5f-3e8\"".to_string()))
        );
        // Weak ETags get no If-Match (it would always fail).
        assert_eq!(
            precondition(&Validator::ETag("W/\"x\"".into()).version(1)),
            None
        );
        let lm = Validator::LastModified("Tue, 01 Jul 2025 10:00:00 GMT".into());
        let v = lm.version(12);
        assert_eq!(
            precondition(&v),
            Some((
                reqwest::header::IF_UNMODIFIED_SINCE,
                "Tue, 01 Jul 2025 10:00:00 GMT".to_string()
            ))
        );
        // The size is part of a date's version: same date, other size, other version.
        assert_ne!(lm.version(12), lm.version(13));
        assert_ne!(
            Validator::Nothing.version(12),
            Validator::Nothing.version(13)
        );
        assert_eq!(precondition(&Validator::Nothing.version(12)), None);
        assert_eq!(precondition(&Version::from_u64(3)), None);
        Ok(())
    }

    #[test]
    fn key_urls() -> Result<(), zarrkit_core::StorageError> {
        let k = StoreKey::new("a/c/0.1")?;
        assert_eq!(key_url("http://h/x.zarr", &k), "http://h/x.zarr/a/c/0.1");
        let k = StoreKey::new("unicode/é ß#?%+")?;
        assert_eq!(
            key_url("http://h", &k),
            "http://h/unicode/%C3%A9%20%C3%9F%23%3F%25%2B"
        );
        Ok(())
    }
}
