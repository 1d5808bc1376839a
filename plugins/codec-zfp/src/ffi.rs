//! Safe wrappers around the few zfp-sys calls the codec makes. Every object is freed on
//! drop; buffers handed to zfp are 8-byte aligned and sized by zfp's own bounds.

use std::ffi::c_void;

use zfp_sys as z;

use crate::ZfpMode;

/// zfp's scalar types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZfpType {
    Int32,
    Int64,
    Float,
    Double,
}

impl ZfpType {
    fn raw(self) -> z::zfp_type {
        match self {
            Self::Int32 => z::zfp_type_zfp_type_int32,
            Self::Int64 => z::zfp_type_zfp_type_int64,
            Self::Float => z::zfp_type_zfp_type_float,
            Self::Double => z::zfp_type_zfp_type_double,
        }
    }

    /// Bytes per value.
    pub(crate) fn size(self) -> usize {
        match self {
            Self::Int32 | Self::Float => 4,
            Self::Int64 | Self::Double => 8,
        }
    }
}

/// An 8-byte aligned byte buffer (zfp reads and writes its streams and fields through
/// typed pointers).
pub(crate) struct AlignedBuffer {
    words: Vec<u64>,
}

impl AlignedBuffer {
    /// A zeroed buffer of at least `len` bytes, or `None` if it cannot be allocated.
    pub(crate) fn zeroed(len: usize) -> Option<Self> {
        let n = len.div_ceil(8);
        let mut words = Vec::new();
        words.try_reserve_exact(n).ok()?;
        words.resize(n, 0);
        Some(Self { words })
    }

    /// A buffer holding `bytes` (zero-padded to a whole word).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        let words = bytes
            .chunks(8)
            .map(|c| {
                let mut w = [0u8; 8];
                w[..c.len()].copy_from_slice(c);
                u64::from_ne_bytes(w)
            })
            .collect();
        Self { words }
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut c_void {
        self.words.as_mut_ptr().cast()
    }

    fn byte_len(&self) -> usize {
        self.words.len() * 8
    }

    /// The first `len` bytes.
    pub(crate) fn into_bytes(self, len: usize) -> Vec<u8> {
        self.words
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .take(len)
            .collect()
    }
}

/// A `zfp_field` describing `dims` (`[nx, ny, nz, nw]`, 1 to 4) values of a type at a
/// pointer (which must stay valid, and hold the whole field, while zfp uses it).
pub(crate) struct Field(*mut z::zfp_field);

impl Field {
    pub(crate) fn new(ty: ZfpType, dims: &[usize], data: *mut c_void) -> Option<Self> {
        let t = ty.raw();
        // SAFETY: the zfp_field_Nd constructors only allocate and record the arguments.
        let f = unsafe {
            match *dims {
                [nx] => z::zfp_field_1d(data, t, nx),
                [nx, ny] => z::zfp_field_2d(data, t, nx, ny),
                [nx, ny, nz] => z::zfp_field_3d(data, t, nx, ny, nz),
                [nx, ny, nz, nw] => z::zfp_field_4d(data, t, nx, ny, nz, nw),
                _ => return None,
            }
        };
        (!f.is_null()).then_some(Self(f))
    }
}

impl Drop for Field {
    fn drop(&mut self) {
        // SAFETY: allocated by zfp_field_Nd, freed once.
        unsafe { z::zfp_field_free(self.0) }
    }
}

/// A `zfp_stream` set to a mode.
pub(crate) struct Stream(*mut z::zfp_stream);

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: allocated by zfp_stream_open, closed once. Its bit stream (if any) is
        // closed by the call that attached it.
        unsafe { z::zfp_stream_close(self.0) }
    }
}

/// A `bitstream` over a buffer, closed on drop.
struct BitStream(*mut z::bitstream);

impl Drop for BitStream {
    fn drop(&mut self) {
        // SAFETY: allocated by stream_open, closed once.
        unsafe { z::stream_close(self.0) }
    }
}

impl Stream {
    /// A stream in `mode` for fields of type `ty` with `ndims` dimensions, or `None` if zfp
    /// rejects the parameters.
    pub(crate) fn new(mode: ZfpMode, ty: ZfpType, ndims: usize) -> Option<Self> {
        // SAFETY: a stream without a bit stream; the setters only record parameters.
        let s = unsafe { z::zfp_stream_open(std::ptr::null_mut()) };
        if s.is_null() {
            return None;
        }
        let stream = Self(s);
        // SAFETY: `s` is a valid stream.
        let ok = unsafe {
            match mode {
                ZfpMode::Reversible => {
                    z::zfp_stream_set_reversible(s);
                    true
                }
                ZfpMode::FixedRate { rate } => {
                    z::zfp_stream_set_rate(s, rate, ty.raw(), ndims as z::uint, 0) > 0.0
                }
                ZfpMode::FixedPrecision { precision } => {
                    z::zfp_stream_set_precision(s, precision) > 0
                }
                ZfpMode::FixedAccuracy { tolerance } => {
                    z::zfp_stream_set_accuracy(s, tolerance) >= 0.0
                }
                ZfpMode::Expert {
                    minbits,
                    maxbits,
                    maxprec,
                    minexp,
                } => z::zfp_stream_set_params(s, minbits, maxbits, maxprec, minexp) != 0,
            }
        };
        ok.then_some(stream)
    }

    /// The most bytes a stream of this mode can take for `field` (0: unknown/invalid).
    pub(crate) fn maximum_size(&self, field: &Field) -> usize {
        // SAFETY: both objects are valid.
        unsafe { z::zfp_stream_maximum_size(self.0, field.0) }
    }

    fn attach(&self, buffer: &mut AlignedBuffer) -> Option<BitStream> {
        // SAFETY: the buffer outlives the returned bit stream, which the caller drops
        // before the buffer.
        let bs = unsafe { z::stream_open(buffer.as_mut_ptr(), buffer.byte_len()) };
        if bs.is_null() {
            return None;
        }
        // SAFETY: valid stream and bit stream.
        unsafe {
            z::zfp_stream_set_bit_stream(self.0, bs);
            z::zfp_stream_rewind(self.0);
        }
        Some(BitStream(bs))
    }

    fn detach(&self) {
        // SAFETY: valid stream; detaching before the bit stream is closed.
        unsafe { z::zfp_stream_set_bit_stream(self.0, std::ptr::null_mut()) }
    }

    /// Compress the field's values (its pointer must hold them all).
    pub(crate) fn compress(&self, field: &Field) -> Option<Vec<u8>> {
        let max = self.maximum_size(field);
        if max == 0 {
            return None;
        }
        let mut buffer = AlignedBuffer::zeroed(max)?;
        let bs = self.attach(&mut buffer)?;
        // SAFETY: the field's data and the buffer are valid for their full sizes; the
        // buffer holds zfp's maximum size for this field and mode.
        let n = unsafe { z::zfp_compress(self.0, field.0) };
        self.detach();
        drop(bs);
        (n > 0 && n <= max).then(|| buffer.into_bytes(n))
    }

    /// Decompress `input` into the field's values (its pointer must have room for them
    /// all). Returns the bytes of stream consumed, which exceeds `input.len()` for a
    /// truncated stream.
    pub(crate) fn decompress(&self, field: &Field, input: &[u8]) -> Option<usize> {
        let max = self.maximum_size(field);
        if max == 0 {
            return None;
        }
        // zfp does not bound its reads by the buffer: give it a zero-padded copy as large
        // as any stream of this mode and field can be (plus a word of slack).
        let words = max.max(input.len()).checked_add(8)?.div_ceil(8);
        let mut buffer = AlignedBuffer::from_bytes(input);
        buffer
            .words
            .try_reserve_exact(words.saturating_sub(buffer.words.len()))
            .ok()?;
        buffer.words.resize(words.max(buffer.words.len()), 0);
        let bs = self.attach(&mut buffer)?;
        // SAFETY: the field's data has room for every value; the stream buffer is at
        // least zfp's maximum size for this field and mode.
        let n = unsafe { z::zfp_decompress(self.0, field.0) };
        self.detach();
        drop(bs);
        (n > 0).then_some(n)
    }
}
