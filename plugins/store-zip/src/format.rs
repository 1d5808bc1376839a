//! The zip records this crate reads and writes (PKWARE APPNOTE 6.3), parsed with bounds
//! checks: every field read is a checked slice of the bytes at hand, every offset sum is a
//! checked addition. Nothing here allocates more than the bytes it is given.

use std::borrow::Cow;

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;

/// Fixed part of a local file header.
pub(crate) const LOCAL_LEN: u64 = 30;
/// Fixed part of a central directory file header.
pub(crate) const CENTRAL_LEN: u64 = 46;
/// End of central directory record (without its comment).
pub(crate) const EOCD_LEN: u64 = 22;
/// ZIP64 end of central directory locator.
pub(crate) const ZIP64_LOCATOR_LEN: u64 = 20;
/// ZIP64 end of central directory record (without its extensible data).
pub(crate) const ZIP64_EOCD_LEN: u64 = 56;
/// The longest tail that can hold the end records: the EOCD with a comment of 65 535 bytes,
/// the ZIP64 locator and the ZIP64 record before it.
pub(crate) const MAX_END_RECORDS: u64 = EOCD_LEN + 65_535 + ZIP64_LOCATOR_LEN + ZIP64_EOCD_LEN;

/// Flag bit 0: the entry is encrypted.
pub(crate) const FLAG_ENCRYPTED: u16 = 1;
/// Flag bit 6: strong encryption.
pub(crate) const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
/// Flag bit 11: the name (and comment) are UTF-8.
pub(crate) const FLAG_UTF8: u16 = 1 << 11;
/// Flag bit 13: the central directory is encrypted (local header values masked).
pub(crate) const FLAG_MASKED: u16 = 1 << 13;

pub(crate) const METHOD_STORED: u16 = 0;
pub(crate) const METHOD_DEFLATED: u16 = 8;

/// The largest ratio of decoded to encoded bytes DEFLATE can reach (a 258-byte match per
/// bit, rounded up): a deflated entry declaring more is corrupt whatever it holds.
pub(crate) const DEFLATE_MAX_RATIO: u64 = 1032;

/// What is wrong with an archive or an entry. Turned into a [`zarrkit_core::StorageError`]
/// that names the archive's key by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ZipError {
    /// The bytes are not a valid zip archive (or entry).
    Corrupt(String),
    /// A valid zip feature this reader does not implement.
    Unsupported(String),
    /// A limit of [`crate::ZipStoreOptions`] refused the archive or the entry.
    Refused(String),
}

pub(crate) fn corrupt(m: impl Into<String>) -> ZipError {
    ZipError::Corrupt(m.into())
}

/// A little-endian reader over a byte slice; every read is bounds-checked.
pub(crate) struct Le<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Le<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Self { b, at: 0 }
    }
    pub(crate) fn remaining(&self) -> usize {
        self.b.len().saturating_sub(self.at)
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }
    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }
}

fn sig_at(b: &[u8], p: usize) -> Option<u32> {
    Le::new(b.get(p..)?).u32()
}

/// The end of central directory record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EndRecord {
    pub disk: u16,
    pub cd_disk: u16,
    pub entries_disk: u16,
    pub entries: u16,
    pub cd_size: u32,
    pub cd_offset: u32,
    pub comment_len: u16,
}

impl EndRecord {
    pub(crate) fn parse(b: &[u8]) -> Option<Self> {
        let mut r = Le::new(b);
        if r.u32()? != EOCD_SIG {
            return None;
        }
        Some(Self {
            disk: r.u16()?,
            cd_disk: r.u16()?,
            entries_disk: r.u16()?,
            entries: r.u16()?,
            cd_size: r.u32()?,
            cd_offset: r.u32()?,
            comment_len: r.u16()?,
        })
    }
}

/// The position of the end of central directory record in `tail` (the last bytes of the
/// archive). The record whose comment ends exactly at the end of the archive wins (a
/// signature inside a comment cannot fool it); failing that, the last signature whose
/// fixed part fits, with its comment cut short, as Python's `zipfile` accepts.
pub(crate) fn find_end_record(tail: &[u8]) -> Option<usize> {
    let len = tail.len();
    let last = len.checked_sub(EOCD_LEN as usize)?;
    let first = last.saturating_sub(65_535);
    let mut fallback = None;
    for p in (first..=last).rev() {
        if sig_at(tail, p) != Some(EOCD_SIG) {
            continue;
        }
        let Some(rec) = tail.get(p..).and_then(EndRecord::parse) else {
            continue;
        };
        if p + EOCD_LEN as usize + rec.comment_len as usize == len {
            return Some(p);
        }
        fallback.get_or_insert(p);
    }
    fallback
}

/// The ZIP64 end of central directory locator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Zip64Locator {
    pub disk: u32,
    pub record_offset: u64,
    pub disks: u32,
}

impl Zip64Locator {
    pub(crate) fn parse(b: &[u8]) -> Option<Self> {
        let mut r = Le::new(b);
        if r.u32()? != ZIP64_LOCATOR_SIG {
            return None;
        }
        Some(Self {
            disk: r.u32()?,
            record_offset: r.u64()?,
            disks: r.u32()?,
        })
    }
}

/// The ZIP64 end of central directory record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Zip64EndRecord {
    pub disk: u32,
    pub cd_disk: u32,
    pub entries_disk: u64,
    pub entries: u64,
    pub cd_size: u64,
    pub cd_offset: u64,
}

impl Zip64EndRecord {
    pub(crate) fn parse(b: &[u8]) -> Option<Self> {
        let mut r = Le::new(b);
        if r.u32()? != ZIP64_EOCD_SIG {
            return None;
        }
        let _record_size = r.u64()?;
        let _made_by = r.u16()?;
        let _needed = r.u16()?;
        Some(Self {
            disk: r.u32()?,
            cd_disk: r.u32()?,
            entries_disk: r.u64()?,
            entries: r.u64()?,
            cd_size: r.u64()?,
            cd_offset: r.u64()?,
        })
    }
}

/// A central directory file header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CentralEntry<'a> {
    pub flags: u16,
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    pub local_header_offset: u64,
    pub disk: u32,
    pub name: &'a [u8],
    pub extra_len: u16,
}

/// Parse one central directory file header (and its name, extra field and comment) at the
/// reader's position. Sizes and offsets of 0xFFFFFFFF are taken from the ZIP64 extra field.
pub(crate) fn parse_central<'a>(r: &mut Le<'a>) -> Result<CentralEntry<'a>, ZipError> {
    let short = || corrupt("a central directory entry is cut short");
    if r.u32().ok_or_else(short)? != CENTRAL_SIG {
        return Err(corrupt("bad central directory entry signature"));
    }
    let _made_by = r.u16().ok_or_else(short)?;
    let _needed = r.u16().ok_or_else(short)?;
    let flags = r.u16().ok_or_else(short)?;
    let method = r.u16().ok_or_else(short)?;
    let _time = r.u16().ok_or_else(short)?;
    let _date = r.u16().ok_or_else(short)?;
    let crc32 = r.u32().ok_or_else(short)?;
    let csize = r.u32().ok_or_else(short)?;
    let size = r.u32().ok_or_else(short)?;
    let name_len = r.u16().ok_or_else(short)?;
    let extra_len = r.u16().ok_or_else(short)?;
    let comment_len = r.u16().ok_or_else(short)?;
    let disk = r.u16().ok_or_else(short)?;
    let _internal = r.u16().ok_or_else(short)?;
    let _external = r.u32().ok_or_else(short)?;
    let lho = r.u32().ok_or_else(short)?;
    let name = r.take(name_len.into()).ok_or_else(|| {
        corrupt(format!(
            "a central directory entry's name of {name_len} bytes runs past the directory"
        ))
    })?;
    let extra = r.take(extra_len.into()).ok_or_else(|| {
        corrupt("a central directory entry's extra field runs past the directory")
    })?;
    r.take(comment_len.into())
        .ok_or_else(|| corrupt("a central directory entry's comment runs past the directory"))?;
    let z = zip64_extra(
        extra,
        [size == u32::MAX, csize == u32::MAX, lho == u32::MAX],
        disk == u16::MAX,
    )
    .map_err(|m| corrupt(format!("entry {}: {m}", String::from_utf8_lossy(name))))?;
    Ok(CentralEntry {
        flags,
        method,
        crc32,
        compressed_size: z[1].unwrap_or(csize.into()),
        size: z[0].unwrap_or(size.into()),
        local_header_offset: z[2].unwrap_or(lho.into()),
        disk: z[3].map_or(disk.into(), |d| d as u32),
        name,
        extra_len,
    })
}

/// The values of the ZIP64 extended information extra field (header ID 1) that the record
/// says are there: uncompressed size, compressed size, local header offset (each present
/// only if its 32-bit field is 0xFFFFFFFF) and disk number (if its field is 0xFFFF).
fn zip64_extra(extra: &[u8], want: [bool; 3], want_disk: bool) -> Result<[Option<u64>; 4], String> {
    let mut out = [None; 4];
    if !want.iter().any(|w| *w) && !want_disk {
        return Ok(out);
    }
    let mut r = Le::new(extra);
    while r.remaining() >= 4 {
        let (Some(id), Some(len)) = (r.u16(), r.u16()) else {
            break;
        };
        let Some(data) = r.take(len.into()) else {
            break;
        };
        if id != 1 {
            continue;
        }
        let mut d = Le::new(data);
        for (i, w) in want.iter().enumerate() {
            if *w {
                out[i] = Some(
                    d.u64()
                        .ok_or("the ZIP64 extra field lacks a value its record needs")?,
                );
            }
        }
        if want_disk {
            out[3] = Some(
                d.u32()
                    .ok_or("the ZIP64 extra field lacks the disk number")?
                    .into(),
            );
        }
        return Ok(out);
    }
    Err("sizes or offset of 0xFFFFFFFF without a ZIP64 extra field".into())
}

/// The variable lengths of a local file header: `(name, name_len, extra_len)`.
pub(crate) fn parse_local(b: &[u8]) -> Result<(&[u8], u16, u16), ZipError> {
    let mut r = Le::new(b);
    let short = || corrupt("the local file header is cut short");
    if r.u32().ok_or_else(short)? != LOCAL_SIG {
        return Err(corrupt(
            "no local file header where the central directory points",
        ));
    }
    r.take(22).ok_or_else(short)?;
    let name_len = r.u16().ok_or_else(short)?;
    let extra_len = r.u16().ok_or_else(short)?;
    let name = r.take(name_len.into()).unwrap_or_default();
    Ok((name, name_len, extra_len))
}

/// A name as text: UTF-8 when flag bit 11 is set (`None` if it is not valid UTF-8), else IBM
/// code page 437, as Python's `zipfile` decodes it.
pub(crate) fn decode_name(name: &[u8], flags: u16) -> Option<Cow<'_, str>> {
    if flags & FLAG_UTF8 != 0 {
        return std::str::from_utf8(name).ok().map(Cow::Borrowed);
    }
    if name.is_ascii() {
        return std::str::from_utf8(name).ok().map(Cow::Borrowed);
    }
    Some(Cow::Owned(
        name.iter()
            .map(|&b| {
                if b < 0x80 {
                    b as char
                } else {
                    CP437_HIGH[(b - 0x80) as usize]
                }
            })
            .collect(),
    ))
}

/// Code page 437, bytes 0x80 to 0xFF (as Python's `cp437` codec maps them).
const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// The name of a compression method, for error messages.
pub(crate) fn method_name(m: u16) -> String {
    match m {
        0 => "stored".into(),
        8 => "deflate".into(),
        9 => "deflate64".into(),
        12 => "bzip2".into(),
        14 => "lzma".into(),
        93 => "zstandard".into(),
        95 => "xz".into(),
        98 => "ppmd".into(),
        99 => "AES encryption".into(),
        m => format!("compression method {m}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_record_search_prefers_the_exact_comment() {
        // A comment that itself holds an end record signature followed by junk.
        let mut fake = vec![0u8; 22];
        fake[..4].copy_from_slice(&EOCD_SIG.to_le_bytes());
        fake[20..22].copy_from_slice(&100u16.to_le_bytes());
        let mut real = vec![0u8; 22];
        real[..4].copy_from_slice(&EOCD_SIG.to_le_bytes());
        real[20..22].copy_from_slice(&(fake.len() as u16).to_le_bytes());
        let mut tail = b"prefix".to_vec();
        tail.extend(&real);
        tail.extend(&fake);
        assert_eq!(find_end_record(&tail), Some(6));
        // No comment ends exactly at the end (the real record says 50 bytes): the last
        // signature whose fixed part fits (Python's choice).
        let mut lying = tail.clone();
        lying[6 + 20..6 + 22].copy_from_slice(&50u16.to_le_bytes());
        assert_eq!(find_end_record(&lying), Some(6 + 22));
        assert_eq!(find_end_record(&tail[..10]), None);
        assert_eq!(find_end_record(&[]), None);
    }

    #[test]
    fn zip64_extra_values() {
        let mut extra = vec![];
        // An unrelated field first, then ZIP64 with size, compressed size and offset.
        extra.extend(0x5455u16.to_le_bytes());
        extra.extend(1u16.to_le_bytes());
        extra.push(0);
        extra.extend(1u16.to_le_bytes());
        extra.extend(24u16.to_le_bytes());
        for v in [5u64 << 32, 6 << 32, 7 << 32] {
            extra.extend(v.to_le_bytes());
        }
        let got = zip64_extra(&extra, [true, true, true], false);
        assert_eq!(got, Ok([Some(5 << 32), Some(6 << 32), Some(7 << 32), None]));
        // Only the offset wanted: it is the first value then.
        let mut one = vec![];
        one.extend(1u16.to_le_bytes());
        one.extend(8u16.to_le_bytes());
        one.extend(9u64.to_le_bytes());
        assert_eq!(
            zip64_extra(&one, [false, false, true], false),
            Ok([None, None, Some(9), None])
        );
        assert!(zip64_extra(&one, [true, true, true], false).is_err());
        assert!(zip64_extra(&[], [true, false, false], false).is_err());
        assert!(zip64_extra(&[1, 0, 200, 0], [true, false, false], false).is_err());
    }

    #[test]
    fn cp437_names() {
        assert_eq!(decode_name(b"a/b", 0).as_deref(), Some("a/b"));
        assert_eq!(
            decode_name(&[0x80, 0xe1, 0xff], 0).as_deref(),
            Some("Çß\u{a0}")
        );
        assert_eq!(decode_name("é".as_bytes(), FLAG_UTF8).as_deref(), Some("é"));
        assert_eq!(decode_name(&[0xff], FLAG_UTF8), None);
    }
}
