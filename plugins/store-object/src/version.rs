//! A stored value's [`Version`]: the object's ETag, its version or generation where the
//! service has one (GCS generation, S3 version ID in a versioned bucket, Azure version ID)
//! and the write ID this store attaches to every object it writes.
//!
//! S3 ETags of single-part uploads are the MD5 of the bytes, so writing the same bytes again
//! gives the same ETag. The write ID (a random 128-bit value in the user metadata
//! `zarrkitwriteid`, i.e. `x-amz-meta-zarrkitwriteid`, `x-goog-meta-…`, `x-ms-meta-…`)
//! makes every write a new version, as the store contract asks. The name is letters only:
//! Azure takes only C# identifiers as metadata names (a `-` is `400 InvalidMetadata`), and
//! proxies drop header names with `_`. Servers compare only the ETag (or generation) in `If-Match`;
//! the rest is compared by this store on each response, so a read demanding a version never
//! returns bytes of another write.
//!
//! Encoding (opaque to zarrkit): `e:<etag>`, `v:<version>` and `w:<write id>` lines, each
//! only when present, joined by `\n` (HTTP header values cannot hold a newline).

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use object_store::{Attribute, AttributeValue, Attributes, ObjectMeta, UpdateVersion};
use zarrkit_core::storage::Version;

/// The user-metadata name of the write ID (valid on S3, GCS and Azure).
pub(crate) const WRITE_ID: &str = "zarrkitwriteid";

/// The parts of a version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Parts {
    pub e_tag: Option<String>,
    pub version: Option<String>,
    pub write_id: Option<String>,
}

impl Parts {
    /// The version of the object a response describes.
    pub(crate) fn of(meta: &ObjectMeta, attributes: &Attributes) -> Self {
        Self {
            e_tag: meta.e_tag.clone(),
            version: meta.version.clone(),
            write_id: attributes
                .get(&Attribute::Metadata(WRITE_ID.into()))
                .map(|v| v.as_ref().to_string()),
        }
    }

    pub(crate) fn to_version(&self) -> Version {
        let mut s = String::new();
        for (tag, v) in [
            ("e:", &self.e_tag),
            ("v:", &self.version),
            ("w:", &self.write_id),
        ] {
            if let Some(v) = v {
                if !s.is_empty() {
                    s.push('\n');
                }
                s.push_str(tag);
                s.push_str(v);
            }
        }
        Version::from_string(s)
    }

    /// The parts of a version this store made, or `None` for any other bytes.
    pub(crate) fn parse(v: &Version) -> Option<Self> {
        let s = v.as_str()?;
        let mut p = Self::default();
        for line in s.split('\n') {
            let (tag, rest) = line.split_at_checked(2)?;
            let slot = match tag {
                "e:" => &mut p.e_tag,
                "v:" => &mut p.version,
                "w:" => &mut p.write_id,
                _ => return None,
            };
            if slot.replace(rest.to_string()).is_some() {
                return None;
            }
        }
        (p.e_tag.is_some() || p.version.is_some()).then_some(p)
    }

    /// The condition of a compare-and-swap on this version.
    pub(crate) fn update_version(&self) -> UpdateVersion {
        UpdateVersion {
            e_tag: self.e_tag.clone(),
            version: self.version.clone(),
        }
    }
}

/// A new write ID: 128 bits from two randomly keyed SipHashes of a process-wide counter, the
/// process ID and the time (unique across writers; not a secret).
pub(crate) fn new_write_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut out = String::with_capacity(32);
    for salt in [0x9e37_79b9_7f4a_7c15u64, 0xc2b2_ae3d_27d4_eb4f] {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.write_u128(nanos);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// The attributes every write of this store carries (its write ID), or none.
pub(crate) fn write_attributes(write_ids: bool) -> Attributes {
    let mut a = Attributes::new();
    if write_ids {
        a.insert(
            Attribute::Metadata(WRITE_ID.into()),
            AttributeValue::from(new_write_id()),
        );
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip() {
        let p = Parts {
            e_tag: Some("\"abc\"".into()),
            version: None,
            write_id: Some("0123".into()),
        };
        let v = p.to_version();
        assert_eq!(v.as_str(), Some("e:\"abc\"\nw:0123"));
        assert_eq!(Parts::parse(&v), Some(p));
        let g = Parts {
            e_tag: Some("e".into()),
            version: Some("17".into()),
            write_id: None,
        };
        assert_eq!(Parts::parse(&g.to_version()), Some(g));
        for bad in [
            Version::from_u64(7),
            Version::from_string(""),
            Version::from_string("w:1"),
            Version::from_string("e:1\ne:2"),
            Version::from_string("x:1"),
        ] {
            assert_eq!(Parts::parse(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn write_ids_differ() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_write_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|i| i.len() == 32));
    }
}
