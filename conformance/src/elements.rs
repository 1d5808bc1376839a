//! The external contract of the zarr-conformance-tests suite: an implementation's CLI is
//! run as `CLI --array_path=PATH` and prints every element of the array at `PATH` in C
//! order, one per line, each as its fill-value JSON (`1`, `-2.5`, `"NaN"`, `[1.0, -2.0]`,
//! `true`, `"text"`), and exits with status 0; an array it cannot read is a non-zero exit
//! with the error on stderr.

use std::io::Write;

use zarrkit_core::storage::ReadableStorageTraits;
use zarrkit_core::{Array, ArrayBytes, ArraySubset, DataTypeSize, FillValue};

/// Read the whole array and write each element as the data type's fill-value JSON
/// ([`zarrkit_core::data_type::DataTypeExtension::fill_value_to_json`]), one per line in C
/// order. Returns the number of elements written.
pub fn write_elements_json<S, W>(array: &Array<S>, out: &mut W) -> Result<u64, String>
where
    S: ReadableStorageTraits + ?Sized + 'static,
    W: Write,
{
    let bytes = array
        .retrieve_array_subset(&ArraySubset::new_with_shape(array.shape().to_vec()))
        .map_err(|e| format!("reading the array failed: {e}"))?;
    let dt = array.data_type();
    let mut n = 0u64;
    let mut emit = |element: &[u8]| -> Result<(), String> {
        let json = dt
            .fill_value_to_json(&FillValue::new(element.to_vec()))
            .map_err(|e| format!("element {n}: {e}"))?;
        writeln!(out, "{json}").map_err(|e| format!("cannot write the output: {e}"))?;
        n += 1;
        Ok(())
    };
    match (dt.size(), &bytes) {
        (DataTypeSize::Fixed(0), _) => {}
        (DataTypeSize::Fixed(size), ArrayBytes::Fixed(b)) => {
            for e in b.chunks_exact(size) {
                emit(e)?;
            }
        }
        (DataTypeSize::Variable, ArrayBytes::Variable { bytes, offsets }) => {
            let view = zarrkit_core::array_bytes::VariableView::new(bytes, offsets)
                .map_err(|e| format!("invalid element offsets: {e}"))?;
            for e in view.iter() {
                emit(e)?;
            }
        }
        _ => return Err("decoded data do not match the data type's size".into()),
    }
    out.flush()
        .map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(n)
}
