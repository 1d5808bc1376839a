//! The one read/write API — [`Array::read`], [`Array::read_into`], [`Array::write`] (and their
//! `_opt` forms) over a [`Region`] and an output or input type — and the zarrs-named
//! methods, each a one-line wrapper.
//!
//! Typed access never copies the whole buffer: a read of `Vec<T>` allocates the vector and
//! decodes straight into its memory; a write of `&[T]` borrows it as bytes (each chunk's part
//! is copied once, as encoding needs).

use super::region::Region;
use super::Array;
use crate::array_bytes::{ArrayBytes, ArrayBytesRef};
use crate::config::CodecOptions;
use crate::data_type::{DataType, DataTypeSize};
use crate::element::{check_element, check_element_kind, elements_as_bytes, Element, ElementKind};
use crate::error::{ArrayError, CodecError};
use crate::storage::{ReadableStorageTraits, WritableStorageTraits};
use crate::subset::ArraySubset;

/// How a read hands data to an [`ArrayOutput`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayOutputKind {
    /// Fixed-size elements decoded into a zeroed `Vec<Elem>`.
    Fixed,
    /// Variable-size elements as [`ArrayBytes::Variable`].
    Variable,
}

/// A zero-initialised `Vec<T>` of `n` elements, or `None` if it cannot be allocated
/// (allocated zeroed: pages come zero from the OS, nothing is written before decoding).
pub fn zeroed_vec<T: Element>(n: usize) -> Option<Vec<T>> {
    if n == 0 || std::mem::size_of::<T>() == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(n).ok()?;
    // SAFETY: `layout` has a non-zero size.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: allocated by the global allocator with the layout of `[T; n]`; every element
    // is zero bytes, a valid value of every `Element` type.
    Some(unsafe { Vec::from_raw_parts(ptr.cast::<T>(), n, n) })
}

/// The bytes of a vector of elements, mutable. The caller must leave valid elements behind
/// (checked with [`Element::validate`] before the vector is handed out).
pub(crate) fn bytes_of_mut<T: Element>(v: &mut [T]) -> &mut [u8] {
    // SAFETY: `Element` types are plain old data without padding; the bytes are written only
    // as bytes and validated before they are read as `T`.
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
}

/// A type a read can produce: [`ArrayBytes`], `Vec<T>`, `Vec<String>`, `Vec<Vec<u8>>`,
/// `ndarray::ArrayD<T>`.
pub trait ArrayOutput: Sized + Send + 'static {
    /// The element type of the buffer a fixed-size read decodes into.
    type Elem: Element;
    /// Whether this type can hold elements of `data_type`, and how it receives them.
    fn kind(data_type: &DataType) -> Result<ArrayOutputKind, ArrayError>;
    /// The output from a decoded buffer of `shape` (checked and validated by the caller).
    fn from_fixed(buffer: Vec<Self::Elem>, shape: &[u64]) -> Result<Self, ArrayError>;
    /// The output from decoded variable-size elements of `shape`.
    fn from_variable(bytes: ArrayBytes, shape: &[u64]) -> Result<Self, ArrayError>;
}

fn variable_only<T>() -> Result<T, ArrayError> {
    Err(ArrayError::Internal(
        "variable-size output for a fixed-size read".into(),
    ))
}

fn fixed_only<T>() -> Result<T, ArrayError> {
    Err(ArrayError::Internal(
        "fixed-size output for a variable-size read".into(),
    ))
}

impl ArrayOutput for ArrayBytes {
    type Elem = u8;
    fn kind(data_type: &DataType) -> Result<ArrayOutputKind, ArrayError> {
        Ok(match data_type.size() {
            DataTypeSize::Fixed(_) => ArrayOutputKind::Fixed,
            DataTypeSize::Variable => ArrayOutputKind::Variable,
        })
    }
    fn from_fixed(buffer: Vec<u8>, _shape: &[u64]) -> Result<Self, ArrayError> {
        Ok(ArrayBytes::Fixed(buffer))
    }
    fn from_variable(bytes: ArrayBytes, _shape: &[u64]) -> Result<Self, ArrayError> {
        Ok(bytes)
    }
}

impl<T: Element> ArrayOutput for Vec<T> {
    type Elem = T;
    fn kind(data_type: &DataType) -> Result<ArrayOutputKind, ArrayError> {
        check_element::<T>(&**data_type)?;
        Ok(ArrayOutputKind::Fixed)
    }
    fn from_fixed(buffer: Vec<T>, _shape: &[u64]) -> Result<Self, ArrayError> {
        Ok(buffer)
    }
    fn from_variable(_: ArrayBytes, _: &[u64]) -> Result<Self, ArrayError> {
        fixed_only()
    }
}

fn variable_view(b: &ArrayBytes) -> Result<crate::array_bytes::VariableView<'_>, ArrayError> {
    b.as_variable().ok_or_else(|| {
        ArrayError::Internal("expected well-formed variable-size element bytes".into())
    })
}

impl ArrayOutput for Vec<String> {
    type Elem = u8;
    fn kind(data_type: &DataType) -> Result<ArrayOutputKind, ArrayError> {
        check_element_kind(&**data_type, &[ElementKind::Utf8String], "String")?;
        Ok(ArrayOutputKind::Variable)
    }
    fn from_fixed(_: Vec<u8>, _: &[u64]) -> Result<Self, ArrayError> {
        variable_only()
    }
    fn from_variable(bytes: ArrayBytes, _shape: &[u64]) -> Result<Self, ArrayError> {
        variable_view(&bytes)?
            .strs()
            .map(|s| {
                s.map(str::to_string).map_err(|e| ArrayError::Codec {
                    key: String::new(),
                    source: CodecError::InvalidElements(e.to_string()),
                })
            })
            .collect()
    }
}

impl ArrayOutput for Vec<Vec<u8>> {
    type Elem = u8;
    fn kind(data_type: &DataType) -> Result<ArrayOutputKind, ArrayError> {
        check_element_kind(
            &**data_type,
            &[ElementKind::ByteString, ElementKind::Utf8String],
            "Vec<u8>",
        )?;
        Ok(ArrayOutputKind::Variable)
    }
    fn from_fixed(_: Vec<u8>, _: &[u64]) -> Result<Self, ArrayError> {
        variable_only()
    }
    fn from_variable(bytes: ArrayBytes, _shape: &[u64]) -> Result<Self, ArrayError> {
        Ok(variable_view(&bytes)?.iter().map(<[u8]>::to_vec).collect())
    }
}

#[cfg(feature = "ndarray")]
impl<T: Element> ArrayOutput for ndarray::ArrayD<T> {
    type Elem = T;
    fn kind(data_type: &DataType) -> Result<ArrayOutputKind, ArrayError> {
        check_element::<T>(&**data_type)?;
        Ok(ArrayOutputKind::Fixed)
    }
    fn from_fixed(buffer: Vec<T>, shape: &[u64]) -> Result<Self, ArrayError> {
        let shape: Vec<usize> = shape
            .iter()
            .map(|&s| usize::try_from(s).map_err(|_| ArrayError::TooLarge(u128::from(s))))
            .collect::<Result<_, _>>()?;
        ndarray::ArrayD::from_shape_vec(shape, buffer)
            .map_err(|e| ArrayError::Internal(e.to_string()))
    }
    fn from_variable(_: ArrayBytes, _: &[u64]) -> Result<Self, ArrayError> {
        fixed_only()
    }
}

/// Input bytes of a write: borrowed from the caller where possible.
pub enum InputBytes<'a> {
    /// Borrowed.
    Borrowed(ArrayBytesRef<'a>),
    /// Converted (strings to variable-size bytes, a non-contiguous ndarray).
    Owned(ArrayBytes),
}

impl InputBytes<'_> {
    /// The bytes.
    pub fn as_ref(&self) -> ArrayBytesRef<'_> {
        match self {
            Self::Borrowed(b) => *b,
            Self::Owned(b) => b.as_bytes_ref(),
        }
    }

    /// The bytes, owned (a copy only if borrowed).
    pub fn into_owned(self) -> Result<ArrayBytes, String> {
        match self {
            Self::Borrowed(b) => b.to_owned_bytes(),
            Self::Owned(b) => Ok(b),
        }
    }
}

/// A type a write takes: [`ArrayBytes`] (raw element bytes), `&[T]` / `Vec<T>` of
/// [`Element`]s, strings, byte strings, `ndarray` views.
pub trait ArrayInput {
    /// The element bytes, checked against the array's data type.
    fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError>;
}

impl ArrayInput for ArrayBytes {
    fn input_bytes(&self, _: &DataType) -> Result<InputBytes<'_>, ArrayError> {
        Ok(InputBytes::Borrowed(self.as_bytes_ref()))
    }
}

impl ArrayInput for ArrayBytesRef<'_> {
    fn input_bytes(&self, _: &DataType) -> Result<InputBytes<'_>, ArrayError> {
        Ok(InputBytes::Borrowed(*self))
    }
}

impl<T: Element> ArrayInput for [T] {
    fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
        check_element::<T>(&**data_type)?;
        Ok(InputBytes::Borrowed(ArrayBytesRef::Fixed(
            elements_as_bytes(self),
        )))
    }
}

impl<T: Element, const N: usize> ArrayInput for [T; N] {
    fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
        self.as_slice().input_bytes(data_type)
    }
}

impl<T: Element> ArrayInput for Vec<T> {
    fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
        self.as_slice().input_bytes(data_type)
    }
}

impl<T: ArrayInput + ?Sized> ArrayInput for &T {
    fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
        (**self).input_bytes(data_type)
    }
}

macro_rules! string_input {
    ($($t:ty),*) => {$(
        impl ArrayInput for [$t] {
            fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
                check_element_kind(&**data_type, &[ElementKind::Utf8String], "&str")?;
                Ok(InputBytes::Owned(ArrayBytes::from_strs(self)))
            }
        }
        impl ArrayInput for Vec<$t> {
            fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
                self.as_slice().input_bytes(data_type)
            }
        }
    )*};
}
string_input!(String, &str);

macro_rules! byte_string_input {
    ($($t:ty),*) => {$(
        impl ArrayInput for [$t] {
            fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
                check_element_kind(&**data_type, &[ElementKind::ByteString], "&[u8]")?;
                Ok(InputBytes::Owned(ArrayBytes::from_byte_strings(self)))
            }
        }
        impl ArrayInput for Vec<$t> {
            fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
                self.as_slice().input_bytes(data_type)
            }
        }
    )*};
}
byte_string_input!(Vec<u8>, &[u8]);

#[cfg(feature = "ndarray")]
fn ndarray_input<'a, T: Element, D: ndarray::Dimension>(
    a: ndarray::ArrayView<'a, T, D>,
    data_type: &DataType,
) -> Result<InputBytes<'a>, ArrayError> {
    check_element::<T>(&**data_type)?;
    Ok(match a.to_slice() {
        Some(s) => InputBytes::Borrowed(ArrayBytesRef::Fixed(elements_as_bytes(s))),
        // Not in standard layout: copied in C order.
        None => InputBytes::Owned(ArrayBytes::Fixed(
            elements_as_bytes(&a.iter().copied().collect::<Vec<T>>()).to_vec(),
        )),
    })
}

#[cfg(feature = "ndarray")]
impl<T: Element, D: ndarray::Dimension> ArrayInput for ndarray::ArrayView<'_, T, D> {
    fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
        ndarray_input(self.view(), data_type)
    }
}

#[cfg(feature = "ndarray")]
impl<T: Element, D: ndarray::Dimension> ArrayInput for ndarray::Array<T, D> {
    fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
        ndarray_input(self.view(), data_type)
    }
}

impl<S: ?Sized> Array<S> {
    /// Allocate the zeroed buffer of a fixed-size read of `shape` into `T`.
    pub(crate) fn output_buffer<T: ArrayOutput>(
        &self,
        shape: &[u64],
        options: &CodecOptions,
    ) -> Result<Vec<T::Elem>, ArrayError> {
        let elem = self
            .element_size()
            .ok_or_else(|| ArrayError::Internal("fixed output of a variable type".into()))?;
        let n = ArraySubset::new_with_shape(shape.to_vec()).num_elements();
        options.check_request(n, elem as u64)?;
        let bytes = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(elem))
            .ok_or(ArrayError::TooLarge(u128::from(n) * elem as u128))?;
        let unit = std::mem::size_of::<T::Elem>();
        if unit == 0 || bytes % unit != 0 {
            return Err(ArrayError::ElementTypeMismatch {
                requested: std::any::type_name::<T::Elem>().to_string(),
                data_type: self.data_type.name(),
            });
        }
        zeroed_vec::<T::Elem>(bytes / unit).ok_or(ArrayError::TooLarge(bytes as u128))
    }

    /// Check decoded element bytes (bools must be 0 or 1, ...) before they become `T`s.
    pub(crate) fn validate_output<T: Element>(&self, buf: &mut [T]) -> Result<(), ArrayError> {
        let bytes = bytes_of_mut(buf);
        let invalid = |e: String| ArrayError::Codec {
            key: self.path.to_string(),
            source: CodecError::InvalidElements(e),
        };
        self.data_type.validate_elements(bytes).map_err(invalid)?;
        T::validate(bytes).map_err(invalid)
    }
}

impl<S: ReadableStorageTraits + ?Sized + 'static> Array<S> {
    /// Read a region as `T` (see [`ArrayOutput`]): `array.read::<Vec<f32>>(&subset)?`.
    pub fn read<T: ArrayOutput>(&self, region: impl Into<Region>) -> Result<T, ArrayError> {
        self.read_opt(region, &CodecOptions::default())
    }

    /// [`Array::read`] with options.
    pub fn read_opt<T: ArrayOutput>(
        &self,
        region: impl Into<Region>,
        options: &CodecOptions,
    ) -> Result<T, ArrayError> {
        let region = region.into();
        if let Region::Selection(sel) = &region {
            return self.read_selection_opt(sel, options);
        }
        let region = self.resolve(&region)?;
        let shape = region.shape().to_vec();
        match T::kind(&self.data_type)? {
            ArrayOutputKind::Fixed => {
                let mut buf = self.output_buffer::<T>(&shape, options)?;
                self.read_fixed_into(&region, bytes_of_mut(&mut buf), options)?;
                self.validate_output(&mut buf)?;
                T::from_fixed(buf, &shape)
            }
            ArrayOutputKind::Variable => {
                let bytes = self.read_variable(&region, options)?;
                T::from_variable(bytes, &shape)
            }
        }
    }

    /// Read a region of fixed-size elements into a caller's buffer (exactly the region's
    /// element count, C order).
    pub fn read_into<T: Element>(
        &self,
        region: impl Into<Region>,
        out: &mut [T],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        check_element::<T>(&*self.data_type)?;
        let region = self.resolve(&region.into())?;
        self.read_fixed_into(&region, bytes_of_mut(out), options)?;
        self.validate_output(out)
    }

    /// Read a region as raw element bytes into a caller's buffer (exactly its size).
    pub fn read_bytes_into(
        &self,
        region: impl Into<Region>,
        out: &mut [u8],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let region = self.resolve(&region.into())?;
        self.read_fixed_into(&region, out, options)
    }

    // ----- zarrs-named wrappers -----

    /// Decode a chunk (the fill value if not stored). Edge chunks have the full chunk shape.
    pub fn retrieve_chunk_opt(
        &self,
        chunk_indices: &[u64],
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        self.read_opt(Region::Chunk(chunk_indices.to_vec()), options)
    }
    /// Decode a chunk (the fill value if not stored).
    pub fn retrieve_chunk(&self, chunk_indices: &[u64]) -> Result<ArrayBytes, ArrayError> {
        self.read(Region::Chunk(chunk_indices.to_vec()))
    }
    /// Decode a chunk as typed elements.
    pub fn retrieve_chunk_elements<T: Element>(
        &self,
        chunk_indices: &[u64],
    ) -> Result<Vec<T>, ArrayError> {
        self.read(Region::Chunk(chunk_indices.to_vec()))
    }
    /// Decode a chunk as typed elements, with options.
    pub fn retrieve_chunk_elements_opt<T: Element>(
        &self,
        chunk_indices: &[u64],
        options: &CodecOptions,
    ) -> Result<Vec<T>, ArrayError> {
        self.read_opt(Region::Chunk(chunk_indices.to_vec()), options)
    }
    /// Decode a chunk of a string array as one `String` per element (full chunk shape).
    pub fn retrieve_chunk_strings(&self, chunk_indices: &[u64]) -> Result<Vec<String>, ArrayError> {
        self.read(Region::Chunk(chunk_indices.to_vec()))
    }
    /// Decode a chunk as an `ndarray` (full chunk shape).
    #[cfg(feature = "ndarray")]
    pub fn retrieve_chunk_ndarray<T: Element>(
        &self,
        chunk_indices: &[u64],
    ) -> Result<ndarray::ArrayD<T>, ArrayError> {
        self.read(Region::Chunk(chunk_indices.to_vec()))
    }
    /// Decode a region of one chunk (`chunk_subset` is relative to the chunk), with options.
    pub fn retrieve_chunk_subset_opt(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        self.read_opt(
            Region::ChunkSubset(chunk_indices.to_vec(), chunk_subset.clone()),
            options,
        )
    }
    /// Decode a region of one chunk (`chunk_subset` is relative to the chunk).
    pub fn retrieve_chunk_subset(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
    ) -> Result<ArrayBytes, ArrayError> {
        self.read(Region::ChunkSubset(
            chunk_indices.to_vec(),
            chunk_subset.clone(),
        ))
    }
    /// Decode a region of one chunk as typed elements.
    pub fn retrieve_chunk_subset_elements<T: Element>(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
    ) -> Result<Vec<T>, ArrayError> {
        self.read(Region::ChunkSubset(
            chunk_indices.to_vec(),
            chunk_subset.clone(),
        ))
    }
    /// Decode the chunks in a box of chunk indices, as one C-order array covering them
    /// (clipped to the array).
    pub fn retrieve_chunks(&self, chunks: &ArraySubset) -> Result<ArrayBytes, ArrayError> {
        self.read(Region::Chunks(chunks.clone()))
    }
    /// [`Array::retrieve_chunks`] with options.
    pub fn retrieve_chunks_opt(
        &self,
        chunks: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        self.read_opt(Region::Chunks(chunks.clone()), options)
    }
    /// Decode the chunks in a box of chunk indices as typed elements.
    pub fn retrieve_chunks_elements<T: Element>(
        &self,
        chunks: &ArraySubset,
    ) -> Result<Vec<T>, ArrayError> {
        self.read(Region::Chunks(chunks.clone()))
    }
    /// Decode one inner chunk of a sharded array (clipped to the array). Reads the shard
    /// index and that inner chunk only.
    pub fn retrieve_inner_chunk(&self, inner_indices: &[u64]) -> Result<ArrayBytes, ArrayError> {
        self.read(Region::InnerChunk(inner_indices.to_vec()))
    }
    /// Decode one inner chunk of a sharded array as typed elements.
    pub fn retrieve_inner_chunk_elements<T: Element>(
        &self,
        inner_indices: &[u64],
    ) -> Result<Vec<T>, ArrayError> {
        self.read(Region::InnerChunk(inner_indices.to_vec()))
    }
    /// Decode the region of a sharded array covered by a box of inner chunk indices.
    pub fn retrieve_inner_chunks(
        &self,
        inner_chunks: &ArraySubset,
    ) -> Result<ArrayBytes, ArrayError> {
        self.read(Region::InnerChunks(inner_chunks.clone()))
    }
    /// Decode a region of the array.
    pub fn retrieve_array_subset(&self, subset: &ArraySubset) -> Result<ArrayBytes, ArrayError> {
        self.read(subset)
    }
    /// Decode a region of the array with options.
    pub fn retrieve_array_subset_opt(
        &self,
        subset: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        self.read_opt(subset, options)
    }
    /// Decode a region of a fixed-size array into `output` (C order, exactly the subset's
    /// size in bytes), each chunk straight into its place.
    pub fn retrieve_array_subset_into(
        &self,
        subset: &ArraySubset,
        output: &mut [u8],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        self.read_bytes_into(subset, output, options)
    }
    /// Decode a region of the array into a caller's typed buffer.
    pub fn retrieve_array_subset_elements_into<T: Element>(
        &self,
        subset: &ArraySubset,
        output: &mut [T],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        self.read_into(subset, output, options)
    }
    /// Decode a region of the array as typed elements (C order).
    pub fn retrieve_array_subset_elements<T: Element>(
        &self,
        subset: &ArraySubset,
    ) -> Result<Vec<T>, ArrayError> {
        self.read(subset)
    }
    /// Decode a region of the array as typed elements, with options.
    pub fn retrieve_array_subset_elements_opt<T: Element>(
        &self,
        subset: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<Vec<T>, ArrayError> {
        self.read_opt(subset, options)
    }
    /// Decode a region of a string array (element kind [`ElementKind::Utf8String`], e.g.
    /// `string`) as one `String` per element, C order. To read without allocating per
    /// element, read [`ArrayBytes`] and borrow the elements through
    /// [`ArrayBytes::as_variable`].
    pub fn retrieve_array_subset_strings(
        &self,
        subset: &ArraySubset,
    ) -> Result<Vec<String>, ArrayError> {
        self.read(subset)
    }
    /// Decode a region of a variable-length array (element kind [`ElementKind::ByteString`]
    /// or [`ElementKind::Utf8String`]) as one byte vector per element, C order.
    pub fn retrieve_array_subset_byte_strings(
        &self,
        subset: &ArraySubset,
    ) -> Result<Vec<Vec<u8>>, ArrayError> {
        self.read(subset)
    }
    /// Decode a region of the array as an `ndarray`.
    #[cfg(feature = "ndarray")]
    pub fn retrieve_array_subset_ndarray<T: Element>(
        &self,
        subset: &ArraySubset,
    ) -> Result<ndarray::ArrayD<T>, ArrayError> {
        self.read(subset)
    }
}

impl<S: ReadableStorageTraits + WritableStorageTraits + ?Sized + 'static> Array<S> {
    /// Write a region from `input` (its elements in C order; see [`ArrayInput`]):
    /// `array.write(&subset, &values)?`.
    pub fn write<I: ArrayInput + ?Sized>(
        &self,
        region: impl Into<Region>,
        input: &I,
    ) -> Result<(), ArrayError> {
        self.write_opt(region, input, &CodecOptions::default())
    }

    /// [`Array::write`] with options.
    pub fn write_opt<I: ArrayInput + ?Sized>(
        &self,
        region: impl Into<Region>,
        input: &I,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let region = region.into();
        if let Region::Selection(sel) = &region {
            return self.write_selection_opt(sel, input, options);
        }
        let region = self.resolve(&region)?;
        let bytes = input.input_bytes(&self.data_type)?;
        self.write_resolved(&region, bytes, options)
    }

    /// [`Array::write`] taking the elements by value (see [`Array::write_owned_opt`]).
    pub fn write_owned(
        &self,
        region: impl Into<Region>,
        bytes: impl Into<ArrayBytes>,
    ) -> Result<(), ArrayError> {
        self.write_owned_opt(region, bytes, &CodecOptions::default())
    }

    /// [`Array::write_opt`] taking the elements by value. A borrowed write copies each chunk's
    /// elements out of the input, since codecs encode owned buffers (the `bytes` codec hands
    /// its input on as the encoded value); here a region that is exactly one whole chunk
    /// (inside the array) is encoded from `bytes` itself, without that copy — what a
    /// chunk-by-chunk copy (`zarrkit reencode`) does. Any other region is written as by
    /// [`Array::write_opt`].
    pub fn write_owned_opt(
        &self,
        region: impl Into<Region>,
        bytes: impl Into<ArrayBytes>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let (region, bytes) = (region.into(), bytes.into());
        if let Region::Selection(sel) = &region {
            return self.write_selection_opt(sel, &bytes, options);
        }
        let region = self.resolve(&region)?;
        self.write_resolved(&region, InputBytes::Owned(bytes), options)
    }

    // ----- zarrs-named wrappers -----

    /// Store a whole chunk from typed elements.
    pub fn store_chunk_elements<T: Element>(
        &self,
        chunk_indices: &[u64],
        elements: &[T],
    ) -> Result<(), ArrayError> {
        self.write(Region::Chunk(chunk_indices.to_vec()), elements)
    }
    /// Store a whole chunk of a string array (full chunk shape, C order).
    pub fn store_chunk_strings<T: AsRef<str>>(
        &self,
        chunk_indices: &[u64],
        elements: &[T],
    ) -> Result<(), ArrayError> {
        check_element_kind(&*self.data_type, &[ElementKind::Utf8String], "&str")?;
        self.write(
            Region::Chunk(chunk_indices.to_vec()),
            &ArrayBytes::from_strs(elements),
        )
    }
    /// Store the chunks of a box of chunk indices from one C-order array covering them
    /// (clipped to the array).
    pub fn store_chunks(
        &self,
        chunks: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
    ) -> Result<(), ArrayError> {
        let bytes: ArrayBytes = bytes.into();
        self.write(Region::Chunks(chunks.clone()), &bytes)
    }
    /// Store the chunks of a box of chunk indices from typed elements.
    pub fn store_chunks_elements<T: Element>(
        &self,
        chunks: &ArraySubset,
        elements: &[T],
    ) -> Result<(), ArrayError> {
        self.write(Region::Chunks(chunks.clone()), elements)
    }
    /// Overwrite a region of one chunk (`chunk_subset` relative to the chunk):
    /// read-modify-write under the chunk's lock.
    pub fn store_chunk_subset_opt(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let bytes: ArrayBytes = bytes.into();
        self.write_opt(
            Region::ChunkSubset(chunk_indices.to_vec(), chunk_subset.clone()),
            &bytes,
            options,
        )
    }
    /// Overwrite a region of one chunk.
    pub fn store_chunk_subset(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
    ) -> Result<(), ArrayError> {
        self.store_chunk_subset_opt(chunk_indices, chunk_subset, bytes, &CodecOptions::default())
    }
    /// Overwrite a region of one chunk with typed elements.
    pub fn store_chunk_subset_elements<T: Element>(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
        elements: &[T],
    ) -> Result<(), ArrayError> {
        self.write(
            Region::ChunkSubset(chunk_indices.to_vec(), chunk_subset.clone()),
            elements,
        )
    }
    /// Overwrite a region of the array with C-order element bytes. Chunks fully covered
    /// (within the array) are encoded without reading the old chunk; others are
    /// read-modify-write under their lock. Chunks are processed in parallel.
    pub fn store_array_subset_opt(
        &self,
        subset: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let bytes: ArrayBytes = bytes.into();
        self.write_opt(subset, &bytes, options)
    }
    /// Overwrite a region of the array with C-order element bytes.
    pub fn store_array_subset(
        &self,
        subset: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
    ) -> Result<(), ArrayError> {
        let bytes: ArrayBytes = bytes.into();
        self.write(subset, &bytes)
    }
    /// Overwrite a region of the array with typed elements (C order); the slice is not
    /// copied whole.
    pub fn store_array_subset_elements<T: Element>(
        &self,
        subset: &ArraySubset,
        elements: &[T],
    ) -> Result<(), ArrayError> {
        self.write(subset, elements)
    }
    /// [`Array::store_array_subset_elements`] with options.
    pub fn store_array_subset_elements_opt<T: Element>(
        &self,
        subset: &ArraySubset,
        elements: &[T],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        self.write_opt(subset, elements, options)
    }
    /// Overwrite a region of a string array (element kind [`ElementKind::Utf8String`]) with
    /// strings, C order (one per element of the subset).
    pub fn store_array_subset_strings<T: AsRef<str>>(
        &self,
        subset: &ArraySubset,
        elements: &[T],
    ) -> Result<(), ArrayError> {
        check_element_kind(&*self.data_type, &[ElementKind::Utf8String], "&str")?;
        check_count(elements.len(), subset.num_elements())?;
        self.write(subset, &ArrayBytes::from_strs(elements))
    }
    /// Overwrite a region of a byte-string array (element kind [`ElementKind::ByteString`])
    /// with byte strings, C order.
    pub fn store_array_subset_byte_strings<T: AsRef<[u8]>>(
        &self,
        subset: &ArraySubset,
        elements: &[T],
    ) -> Result<(), ArrayError> {
        check_element_kind(&*self.data_type, &[ElementKind::ByteString], "&[u8]")?;
        check_count(elements.len(), subset.num_elements())?;
        self.write(subset, &ArrayBytes::from_byte_strings(elements))
    }
    /// Overwrite the region starting at `start` with an `ndarray`.
    #[cfg(feature = "ndarray")]
    pub fn store_array_subset_ndarray<T: Element, D: ndarray::Dimension>(
        &self,
        start: &[u64],
        array: ndarray::ArrayView<'_, T, D>,
    ) -> Result<(), ArrayError> {
        let shape: Vec<u64> = array.shape().iter().map(|&s| s as u64).collect();
        let subset = ArraySubset::new(start.to_vec(), shape)?;
        self.write(&subset, &array)
    }
}

/// Check that `given` elements were passed for `expected` elements.
fn check_count(given: usize, expected: u64) -> Result<(), ArrayError> {
    if given as u64 == expected {
        Ok(())
    } else {
        Err(ArrayError::InvalidInput(format!(
            "{given} elements given for {expected} elements"
        )))
    }
}
