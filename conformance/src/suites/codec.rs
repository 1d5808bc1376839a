//! The codec suite: any codec (array→array, array→bytes or bytes→bytes), over data types
//! and chunk shapes.
//!
//! The codec runs inside a codec chain with the suite's own raw array→bytes codec where
//! it needs one (array→array: `[codec, raw]`; bytes→bytes: `[raw, codec]`), so the suite
//! needs no other plugin. For each data type and shape it checks:
//!
//! - the chain validates for the chunk representation;
//! - encode then decode gives the input back (lossy codecs: decoding is stable — encoding
//!   the decoded chunk again decodes to the same chunk);
//! - the encoded size agrees with the declared `BytesRepresentation`;
//! - `decode_into` of the whole chunk and of a region equals the decoded chunk (region);
//! - the chain's partial decode (the sans-I/O state machine, driven from memory) returns,
//!   for several subsets at once, exactly the subsets of the fully decoded chunk, also when
//!   decoding into output views; every range it asks for lies inside the encoded value; an
//!   out-of-bounds subset is an error;
//! - corrupt input (every truncation point of small encodings, some of large ones; a bit
//!   flipped at several positions; bytes appended) never panics and never decodes to more
//!   than the chunk; with [`CodecSuite::detects_corruption`], it must be an error unless
//!   it decodes to the original chunk.
//!
//! Bytes→bytes codecs are also checked directly on byte strings of several lengths: round
//! trip with an exact and a bounded decoded representation, `decode_ranges` (prefix,
//! suffix, middle, to the end, out of bounds) and the same corruption rules.

use std::sync::Arc;

use zarrkit_core::codec::{
    ArrayOutputView, ArrayToArrayCodecTraits, ArrayToBytesCodecTraits, Bytes, BytesRepresentation,
    BytesToBytesCodecTraits, ChunkRepresentation, Codec, CodecChain, CodecTraits, PartialDecode,
    PartialStep,
};
use zarrkit_core::data_type::DataTypeExtension;
use zarrkit_core::fill_value::FillValueError;
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::serde_json::Value;
use zarrkit_core::storage::ByteRange;
use zarrkit_core::{
    ArrayBytes, ArraySubset, CodecError, CodecOptions, DataType, DataTypeSize, FillValue,
};

use super::{guard, sample_bytes, SuiteError, SuiteReport};

/// The suite for one codec. Build it, choose data types and shapes, then [`Self::run`].
#[derive(Debug, Clone)]
pub struct CodecSuite {
    codec: Codec,
    data_types: Vec<DataType>,
    shapes: Vec<Vec<u64>>,
    byte_lengths: Vec<usize>,
    lossy: bool,
    detects_corruption: bool,
    options: CodecOptions,
}

impl CodecSuite {
    /// A suite for a codec instance. Default shapes: `[1]`, `[7]`, `[4, 5]`, `[3, 4, 5]`,
    /// `[2, 3, 2, 4]`, `[64, 64]`. Default data types: none for array→array and
    /// array→bytes codecs (give them with [`Self::data_types`]); for bytes→bytes codecs the
    /// suite's raw 1-, 2-, 4- and 8-byte types.
    pub fn new(codec: Codec) -> Self {
        let data_types = match &codec {
            Codec::BytesToBytes(_) => [1, 2, 4, 8]
                .into_iter()
                .map(|n| Arc::new(RawDataType(n)) as DataType)
                .collect(),
            _ => Vec::new(),
        };
        Self {
            codec,
            data_types,
            shapes: vec![
                vec![1],
                vec![7],
                vec![4, 5],
                vec![3, 4, 5],
                vec![2, 3, 2, 4],
                vec![64, 64],
            ],
            byte_lengths: vec![0, 1, 3, 64, 1000, 65_553],
            lossy: false,
            detects_corruption: false,
            options: CodecOptions::default(),
        }
    }

    /// A suite for the codec that the registry creates from V3 codec metadata JSON (e.g.
    /// `{"name": "zstd", "configuration": {"level": 3, "checksum": true}}`); the plugin must
    /// be linked into the test binary (`use my_plugin as _;`).
    pub fn from_metadata(json: &str) -> Result<Self, String> {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)
            .map_err(|e| format!("invalid codec metadata {json}: {e}"))?;
        let codec = zarrkit_core::registry::create_codec(&m)
            .map_err(|e| format!("cannot create codec {json}: {e}"))?;
        Ok(Self::new(codec))
    }

    /// Use these data types, resolved by V3 name through the registry (the data type
    /// plugins must be linked).
    pub fn data_types(mut self, names: &[&str]) -> Result<Self, String> {
        self.data_types = names
            .iter()
            .map(|n| {
                zarrkit_core::registry::data_type_by_name(n)
                    .map_err(|e| format!("data type {n:?}: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// Use these data type instances.
    pub fn with_data_types(mut self, data_types: Vec<DataType>) -> Self {
        self.data_types = data_types;
        self
    }

    /// For bytes→bytes codecs: the lengths of the byte strings of the direct checks
    /// (default 0, 1, 3, 64, 1000 and 65553).
    pub fn byte_lengths(mut self, lengths: &[usize]) -> Self {
        self.byte_lengths = lengths.to_vec();
        self
    }

    /// Use these chunk shapes (every dimension > 0).
    pub fn shapes(mut self, shapes: &[&[u64]]) -> Self {
        self.shapes = shapes.iter().map(|s| s.to_vec()).collect();
        self
    }

    /// The codec is lossy (bitround, ...): require a stable decoding instead of equality.
    pub fn lossy(mut self) -> Self {
        self.lossy = true;
        self
    }

    /// Whether the codec detects corruption (checksums, framed compressed streams): then
    /// a corrupted encoding must decode to an error (or to the original data).
    pub fn detects_corruption(mut self, yes: bool) -> Self {
        self.detects_corruption = yes;
        self
    }

    /// Use these codec options.
    pub fn options(mut self, options: CodecOptions) -> Self {
        self.options = options;
        self
    }

    /// Run every check.
    pub fn run(&self) -> Result<SuiteReport, SuiteError> {
        let mut report = SuiteReport::new(format!("codec suite of {}", self.codec.name()));
        if self.data_types.is_empty() {
            report.fail("set-up", "no data types given (CodecSuite::data_types)");
        }
        if let Codec::BytesToBytes(c) = &self.codec {
            for &len in &self.byte_lengths {
                self.bytes_checks(&mut report, c, len);
            }
        }
        let chain = match &self.codec {
            Codec::ArrayToArray(c) => {
                CodecChain::new(vec![c.clone()], Arc::new(RawCodec), Vec::new())
            }
            Codec::ArrayToBytes(c) => CodecChain::new(Vec::new(), c.clone(), Vec::new()),
            Codec::BytesToBytes(c) => {
                CodecChain::new(Vec::new(), Arc::new(RawCodec), vec![c.clone()])
            }
        };
        let chain = Arc::new(chain);
        for dt in &self.data_types {
            for shape in &self.shapes {
                self.array_checks(&mut report, &chain, dt, shape);
            }
        }
        report.into_result()
    }

    fn bytes_checks(
        &self,
        report: &mut SuiteReport,
        c: &Arc<dyn BytesToBytesCodecTraits>,
        len: usize,
    ) {
        let o = &self.options;
        let input = sample_bytes(len, len as u64 + 1);
        let what = |s: &str| format!("{len} bytes: {s}");
        let exact = BytesRepresentation::Fixed(len as u64);
        let encoded = match guard(|| c.encode(input.clone(), o).map_err(|e| e.to_string())) {
            Ok(e) => Bytes::from(e),
            Err(e) => {
                report.fail(what("encode"), e);
                return;
            }
        };
        report.check(
            what("encoded size within the declared representation"),
            || match c.encoded_representation(&exact) {
                BytesRepresentation::Fixed(n) if n != encoded.len() as u64 => Err(format!(
                    "declared exactly {n} bytes, encoded {}",
                    encoded.len()
                )),
                BytesRepresentation::Bounded(n) if (encoded.len() as u64) > n => Err(format!(
                    "declared at most {n} bytes, encoded {}",
                    encoded.len()
                )),
                _ => Ok(()),
            },
        );
        for repr in [exact, BytesRepresentation::Bounded(len as u64)] {
            report.check(what(&format!("round trip ({repr:?})")), || {
                let d = c
                    .decode(encoded.clone(), &repr, o)
                    .map_err(|e| e.to_string())?;
                same_bytes(&d, &input)
            });
        }
        report.check(what("decode_ranges equals full decoding"), || {
            let n = len as u64;
            let ranges = [
                ByteRange::FromStart(0, Some(n.min(5))),
                ByteRange::Suffix(n.min(3)),
                ByteRange::FromStart(n / 3, Some(n / 3)),
                ByteRange::FromStart(n / 2, None),
                ByteRange::ALL,
            ];
            for repr in [exact, BytesRepresentation::Bounded(n)] {
                let parts = c
                    .decode_ranges(encoded.clone(), &ranges, &repr, o)
                    .map_err(|e| e.to_string())?;
                if parts.len() != ranges.len() {
                    return Err(format!(
                        "{} ranges gave {} parts",
                        ranges.len(),
                        parts.len()
                    ));
                }
                for (r, p) in ranges.iter().zip(&parts) {
                    let want = r.to_range(n).ok_or("range out of bounds")?;
                    same_bytes(p, &input[want.start as usize..want.end as usize])
                        .map_err(|e| format!("range {r} ({repr:?}): {e}"))?;
                }
            }
            match c.decode_ranges(
                encoded.clone(),
                &[ByteRange::FromStart(n + 1, Some(1))],
                &exact,
                o,
            ) {
                Ok(_) => Err("a range past the end was not an error".into()),
                Err(_) => Ok(()),
            }
        });
        if len >= 64 {
            for (label, bad) in corruptions(&encoded) {
                report.check(what(&format!("corrupt input ({label})")), || {
                    let r = guard(|| {
                        c.decode(Bytes::from(bad), &exact, o)
                            .map_err(|e| e.to_string())
                    });
                    match r {
                        Err(e) if e.starts_with("panicked") => Err(e),
                        Err(_) => Ok(()),
                        Ok(out) if out == input => Ok(()),
                        Ok(out) if out.len() > len => Err(format!(
                            "decoded to {} bytes, more than the {len} bytes it may",
                            out.len()
                        )),
                        Ok(_) if self.detects_corruption => {
                            Err("decoded to different data without an error".into())
                        }
                        Ok(_) => Ok(()),
                    }
                });
            }
        }
    }

    fn array_checks(
        &self,
        report: &mut SuiteReport,
        chain: &Arc<CodecChain>,
        dt: &DataType,
        shape: &[u64],
    ) {
        let o = &self.options;
        let what = |s: &str| format!("{} {shape:?}: {s}", dt.name());
        let fill = match dt.size() {
            DataTypeSize::Fixed(n) => FillValue::new(vec![0; n]),
            DataTypeSize::Variable => FillValue::new(Vec::new()),
        };
        let repr = ChunkRepresentation::new(shape.to_vec(), dt.clone(), fill);
        if let Err(e) = guard(|| chain.validate(&repr).map_err(|e| e.to_string())) {
            report.fail(what("the codec does not accept this chunk"), e);
            return;
        }
        let n = match repr.num_elements_usize() {
            Ok(n) => n,
            Err(e) => {
                report.fail(what("set-up"), e);
                return;
            }
        };
        let input = sample_elements(dt, n, shape.iter().sum::<u64>() + 7);
        let encoded = match guard(|| {
            chain
                .encode(input.clone(), &repr, o)
                .map_err(|e| e.to_string())
        }) {
            Ok(e) => Bytes::from(e),
            Err(e) => {
                report.fail(what("encode"), e);
                return;
            }
        };
        report.check(
            what("encoded size within the declared representation"),
            || match chain
                .encoded_representation(&repr)
                .map_err(|e| e.to_string())?
            {
                BytesRepresentation::Fixed(b) if b != encoded.len() as u64 => Err(format!(
                    "declared exactly {b} bytes, encoded {}",
                    encoded.len()
                )),
                BytesRepresentation::Bounded(b) if encoded.len() as u64 > b => Err(format!(
                    "declared at most {b} bytes, encoded {}",
                    encoded.len()
                )),
                _ => Ok(()),
            },
        );
        let decoded = match guard(|| {
            chain
                .decode(encoded.clone(), &repr, o)
                .map_err(|e| e.to_string())
        }) {
            Ok(d) => d,
            Err(e) => {
                report.fail(what("decode"), e);
                return;
            }
        };
        report.check(what("round trip"), || {
            if !self.lossy {
                return same_array_bytes(&decoded, &input);
            }
            let again = chain
                .encode(decoded.clone(), &repr, o)
                .and_then(|e| chain.decode(Bytes::from(e), &repr, o))
                .map_err(|e| e.to_string())?;
            same_array_bytes(&again, &decoded)
                .map_err(|e| format!("lossy decoding is not stable: {e}"))
        });
        let size = dt.size();
        if let (DataTypeSize::Fixed(elem), ArrayBytes::Fixed(full)) = (size, &decoded) {
            report.check(what("decode_into of the whole chunk"), || {
                let mut buf = vec![0u8; full.len()];
                let whole = repr.subset();
                let mut view = ArrayOutputView::new(&mut buf, shape, whole.clone());
                chain
                    .decode_into(encoded.clone(), &repr, &whole, &mut view, o)
                    .map_err(|e| e.to_string())?;
                same_bytes(&buf, full)
            });
            let region = inner_region(shape);
            report.check(what(&format!("decode_into of region {region}")), || {
                let want =
                    zarrkit_core::array_bytes::extract_subset(&decoded, shape, &region, size)?;
                let out_shape = region.shape().to_vec();
                let count = region.num_elements() as usize;
                let mut buf = vec![0u8; count * elem];
                let mut view = ArrayOutputView::new(
                    &mut buf,
                    &out_shape,
                    ArraySubset::new_with_shape(out_shape.clone()),
                );
                chain
                    .decode_into(encoded.clone(), &repr, &region, &mut view, o)
                    .map_err(|e| e.to_string())?;
                same_bytes(&buf, want.as_fixed().unwrap_or_default())
            });
        }
        report.check(what("partial decoding equals full decoding"), || {
            let subsets = subsets_of(shape);
            let machine = chain
                .partial_decode(&repr, &subsets, None, o)
                .map_err(|e| e.to_string())?;
            let parts = drive_checked(machine, &encoded)?;
            if parts.len() != subsets.len() {
                return Err(format!(
                    "{} subsets gave {} parts",
                    subsets.len(),
                    parts.len()
                ));
            }
            for (s, p) in subsets.iter().zip(&parts) {
                let want = zarrkit_core::array_bytes::extract_subset(&decoded, shape, s, size)?;
                same_array_bytes(p, &want).map_err(|e| format!("subset {s}: {e}"))?;
            }
            let mut end = shape.to_vec();
            end[0] += 1;
            let outside = ArraySubset::new_with_shape(end);
            match chain.partial_decode(&repr, &[outside], None, o) {
                Ok(_) => Err("an out-of-bounds subset was not an error".into()),
                Err(_) => Ok(()),
            }
        });
        if let (DataTypeSize::Fixed(elem), ArrayBytes::Fixed(_)) = (size, &decoded) {
            report.check(what("partial decoding into output views"), || {
                let subsets = subsets_of(shape);
                let mut machine = chain
                    .partial_decode(&repr, &subsets, None, o)
                    .map_err(|e| e.to_string())?;
                drive_only(machine.as_mut(), &encoded)?;
                let shapes: Vec<Vec<u64>> = subsets.iter().map(|s| s.shape().to_vec()).collect();
                let mut bufs: Vec<Vec<u8>> = subsets
                    .iter()
                    .map(|s| vec![0u8; s.num_elements() as usize * elem])
                    .collect();
                {
                    let mut views: Vec<ArrayOutputView<'_>> = bufs
                        .iter_mut()
                        .zip(&shapes)
                        .map(|(b, sh)| {
                            ArrayOutputView::new(b, sh, ArraySubset::new_with_shape(sh.clone()))
                        })
                        .collect();
                    machine.finish_into(&mut views).map_err(|e| e.to_string())?;
                }
                for (s, b) in subsets.iter().zip(&bufs) {
                    let want = zarrkit_core::array_bytes::extract_subset(&decoded, shape, s, size)?;
                    same_bytes(b, want.as_fixed().unwrap_or_default())
                        .map_err(|e| format!("subset {s}: {e}"))?;
                }
                Ok(())
            });
        }
        // Corruption of stored bytes (not for array→array codecs: their input is an array).
        if !matches!(self.codec, Codec::ArrayToArray(_)) && encoded.len() >= 8 {
            for (label, bad) in corruptions(&encoded) {
                report.check(what(&format!("corrupt input ({label})")), || {
                    match guard(|| {
                        chain
                            .decode(Bytes::from(bad), &repr, o)
                            .map_err(|e| e.to_string())
                    }) {
                        Err(e) if e.starts_with("panicked") => Err(e),
                        Err(_) => Ok(()),
                        Ok(out) if out == decoded => Ok(()),
                        Ok(_) if self.detects_corruption => {
                            Err("decoded to different data without an error".into())
                        }
                        Ok(out) => out
                            .validate(n, size.fixed())
                            .map_err(|e| format!("decoded to a malformed chunk: {e}")),
                    }
                });
            }
        }
    }
}

/// Drive a partial decode over encoded bytes in memory, checking that every range it asks
/// for lies inside them, and decode.
fn drive_checked(
    machine: Box<dyn PartialDecode>,
    encoded: &Bytes,
) -> Result<Vec<ArrayBytes>, String> {
    let mut machine = machine;
    drive_only(machine.as_mut(), encoded)?;
    machine.finish().map_err(|e| e.to_string())
}

fn drive_only(machine: &mut dyn PartialDecode, encoded: &Bytes) -> Result<(), String> {
    let n = encoded.len() as u64;
    let mut step = machine.start().map_err(|e| e.to_string())?;
    for _ in 0..64 {
        match step {
            PartialStep::Ready => return Ok(()),
            PartialStep::Need(ranges) => {
                let mut parts = Vec::with_capacity(ranges.len());
                for r in &ranges {
                    let rr = r
                        .to_range(n)
                        .ok_or_else(|| format!("asked for range {r} of a {n}-byte value"))?;
                    parts.push(encoded.slice(rr.start as usize..rr.end as usize));
                }
                step = machine.supply(parts, n).map_err(|e| e.to_string())?;
            }
        }
    }
    Err("the partial decode did not finish in 64 rounds".into())
}

fn same_bytes(got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    let i = got.iter().zip(want).position(|(a, b)| a != b);
    Err(match i {
        Some(i) => format!(
            "differs at byte {i} of {} (got {:#04x}, expected {:#04x})",
            want.len(),
            got[i],
            want[i]
        ),
        None => format!("got {} bytes, expected {}", got.len(), want.len()),
    })
}

fn same_array_bytes(got: &ArrayBytes, want: &ArrayBytes) -> Result<(), String> {
    match (got, want) {
        (ArrayBytes::Fixed(a), ArrayBytes::Fixed(b)) => same_bytes(a, b),
        (
            ArrayBytes::Variable {
                bytes: a,
                offsets: oa,
            },
            ArrayBytes::Variable {
                bytes: b,
                offsets: ob,
            },
        ) => {
            if oa != ob {
                return Err(format!(
                    "element offsets differ ({} vs {} offsets)",
                    oa.len(),
                    ob.len()
                ));
            }
            same_bytes(a, b)
        }
        _ => Err("fixed-size vs variable-size data".into()),
    }
}

/// Corrupted variants of an encoding: truncations, flipped bits, appended bytes.
fn corruptions(encoded: &[u8]) -> Vec<(String, Vec<u8>)> {
    let n = encoded.len();
    let mut cuts: Vec<usize> = if n <= 48 {
        (0..n).collect()
    } else {
        vec![0, 1, 4, 8, n / 4, n / 2, n - 8, n - 4, n - 1]
    };
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<(String, Vec<u8>)> = cuts
        .into_iter()
        .map(|k| {
            (
                format!("truncated to {k} of {n} bytes"),
                encoded[..k].to_vec(),
            )
        })
        .collect();
    let mut flips = vec![0, 1, n / 3, n / 2, n.saturating_sub(5), n - 1];
    flips.sort_unstable();
    flips.dedup();
    for i in flips {
        let mut b = encoded.to_vec();
        b[i] ^= 0x10;
        out.push((format!("bit 4 of byte {i} of {n} flipped"), b));
    }
    let mut b = encoded.to_vec();
    b.extend_from_slice(&[0xA5; 7]);
    out.push((format!("7 bytes appended to {n}"), b));
    out
}

/// A region strictly inside a chunk where possible (each dimension from 1/3 to 2/3).
fn inner_region(shape: &[u64]) -> ArraySubset {
    let ranges: Vec<std::ops::Range<u64>> = shape
        .iter()
        .map(|&d| {
            let start = d / 3;
            let end = ((2 * d).div_ceil(3)).max(start + 1).min(d);
            start..end
        })
        .collect();
    from_ranges(&ranges)
}

/// A subset from well-formed ranges (start <= end).
fn from_ranges(ranges: &[std::ops::Range<u64>]) -> ArraySubset {
    let start: Vec<u64> = ranges.iter().map(|r| r.start).collect();
    ArraySubset::new_with_shape(
        ranges
            .iter()
            .map(|r| r.end.saturating_sub(r.start))
            .collect(),
    )
    .offset_by(&start)
}

/// Subsets for the partial decoder: the whole chunk, its first and last element, an inner
/// region, and the first row.
fn subsets_of(shape: &[u64]) -> Vec<ArraySubset> {
    let first: Vec<std::ops::Range<u64>> = shape.iter().map(|_| 0..1).collect();
    let last: Vec<std::ops::Range<u64>> = shape.iter().map(|&d| d - 1..d).collect();
    let row: Vec<std::ops::Range<u64>> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if i + 1 == shape.len() { 0..d } else { 0..1 })
        .collect();
    vec![
        ArraySubset::new_with_shape(shape.to_vec()),
        from_ranges(&first),
        from_ranges(&last),
        inner_region(shape),
        from_ranges(&row),
    ]
}

/// Deterministic sample elements of a data type: fixed-size elements alternate ramps and
/// pseudo-random bytes, replaced by `[i % 2, 0, ...]` or zeros where the data type rejects
/// them (`validate_elements`, e.g. bools); variable-size elements are UTF-8 strings,
/// empty, non-ASCII and longer than 255 bytes among them.
pub fn sample_elements(dt: &DataType, n: usize, seed: u64) -> ArrayBytes {
    match dt.size() {
        DataTypeSize::Fixed(size) => {
            let mut bytes = sample_bytes(n * size, seed);
            for (i, e) in bytes.chunks_exact_mut(size.max(1)).enumerate() {
                if dt.validate_elements(e).is_err() {
                    e.fill(0);
                    e[0] = (i % 2) as u8;
                    if dt.validate_elements(e).is_err() {
                        e.fill(0);
                    }
                }
            }
            ArrayBytes::Fixed(bytes)
        }
        DataTypeSize::Variable => {
            let elements: Vec<String> = (0..n)
                .map(|i| match i % 5 {
                    0 => String::new(),
                    1 => format!("élément {i} ✓"),
                    2 if i % 10 == 2 => "long ".repeat(60) + &i.to_string(),
                    _ => format!("{}-{seed}", "x".repeat(i % 13)),
                })
                .collect();
            ArrayBytes::from_byte_strings(&elements)
        }
    }
}

/// The suite's own fixed-size data type: `n` opaque bytes, no endianness (used for
/// bytes→bytes codecs, which never look at the data type).
#[derive(Debug, Clone, Copy)]
pub struct RawDataType(pub usize);

impl DataTypeExtension for RawDataType {
    fn name(&self) -> String {
        format!("zarrkit-conformance.r{}", self.0 * 8)
    }
    fn size(&self) -> DataTypeSize {
        DataTypeSize::Fixed(self.0)
    }
    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        match json.as_u64() {
            Some(0) => Ok(FillValue::new(vec![0; self.0])),
            _ => Err(FillValueError::new(
                &self.name(),
                json,
                "only 0 is supported",
            )),
        }
    }
    fn fill_value_to_json(&self, _fill_value: &FillValue) -> Result<Value, FillValueError> {
        Ok(Value::from(0))
    }
}

/// The suite's own array→bytes codec for fixed-size data types: the element bytes as they
/// are in memory.
#[derive(Debug, Clone, Copy)]
pub struct RawCodec;

const RAW: &str = "zarrkit-conformance.raw";

impl CodecTraits for RawCodec {
    fn name(&self) -> &str {
        RAW
    }
    fn configuration(&self) -> Option<zarrkit_core::serde_json::Map<String, Value>> {
        None
    }
}

impl ArrayToBytesCodecTraits for RawCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        decoded
            .fixed_size()
            .map(BytesRepresentation::Fixed)
            .ok_or_else(|| CodecError::new(RAW, "only fixed-size data types"))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let n = decoded.num_elements_usize()?;
        input
            .validate(n, decoded.element_size())
            .map_err(|e| CodecError::new(RAW, e))?;
        input
            .into_fixed()
            .ok_or_else(|| CodecError::new(RAW, "only fixed-size data"))
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let want = decoded
            .fixed_size()
            .ok_or_else(|| CodecError::new(RAW, "only fixed-size data types"))?;
        if input.len() as u64 != want {
            return Err(CodecError::new(
                RAW,
                format!("{} bytes, expected {want}", input.len()),
            ));
        }
        Ok(ArrayBytes::Fixed(Vec::from(input)))
    }
}

/// Make an [`ArrayToArrayCodecTraits`] object a [`Codec`].
pub fn array_to_array(c: impl ArrayToArrayCodecTraits + 'static) -> Codec {
    Codec::ArrayToArray(Arc::new(c))
}

/// Make an [`ArrayToBytesCodecTraits`] object a [`Codec`].
pub fn array_to_bytes(c: impl ArrayToBytesCodecTraits + 'static) -> Codec {
    Codec::ArrayToBytes(Arc::new(c))
}

/// Make a [`BytesToBytesCodecTraits`] object a [`Codec`].
pub fn bytes_to_bytes(c: impl BytesToBytesCodecTraits + 'static) -> Codec {
    Codec::BytesToBytes(Arc::new(c))
}
