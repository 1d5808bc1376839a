//! Codec micro-benchmarks: each codec's encode and decode through zarrkit (the codec as the
//! registry builds it from metadata, called through its trait) against calling the underlying
//! library directly on the same buffer.
//!
//! Run: `cargo bench --bench codecs`. Each group has a `zarrkit` and a `direct` function per
//! operation; the ratio of the two is what matters (target: zarrkit within 1.1x).
//!
//! Buffers are a 64^3 uint16 chunk (512 KiB, like the harness's data) and, for zstd, also a
//! 32^3 inner chunk (64 KiB, the harness's sharded inner chunks). The zarrkit side consumes
//! its input (`Vec<u8>` by value), so its input copy is made outside the timed region
//! (`iter_batched`).

// Benchmarks are not library code: failing loudly on a broken set-up is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::ffi::{c_int, c_void};
use std::io::{Read, Write};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use zarrkit::codec::{
    ArrayToBytesCodecTraits, BytesRepresentation, BytesToBytesCodecTraits, ChunkRepresentation,
    Codec,
};
use zarrkit::serde_json::{json, Value};
use zarrkit::{ArrayBytes, CodecOptions, FillValue, MetadataV3};

fn md(name: &str, configuration: Value) -> MetadataV3 {
    match configuration {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

fn b2b(name: &str, configuration: Value) -> Arc<dyn BytesToBytesCodecTraits> {
    match zarrkit::registry::create_codec(&md(name, configuration)) {
        Ok(Codec::BytesToBytes(c)) => c,
        other => panic!("{name}: not a bytes->bytes codec: {other:?}"),
    }
}

fn chunk(edge: usize) -> Vec<u8> {
    common::volume([edge, edge, edge])
}

/// Encode/decode through zarrkit vs `direct_encode`/`direct_decode` on the same buffer.
fn compare_b2b(
    c: &mut Criterion,
    group: &str,
    codec: Arc<dyn BytesToBytesCodecTraits>,
    data: &[u8],
    direct_encode: &dyn Fn(&[u8]) -> Vec<u8>,
    direct_decode: &dyn Fn(&[u8], usize) -> Vec<u8>,
) {
    let opts = CodecOptions::default();
    let n = data.len();
    let repr = BytesRepresentation::Fixed(n as u64);
    let encoded = codec.encode(data.to_vec(), &opts).expect("encode");
    assert_eq!(
        codec
            .decode(encoded.clone().into(), &repr, &opts)
            .expect("decode"),
        data
    );
    let direct = direct_encode(data);
    let direct = if direct.len() == 4 {
        // crc32c: the direct side computes the checksum only; it decodes zarrkit's encoding.
        encoded.clone()
    } else {
        assert_eq!(
            direct_decode(&direct, n),
            data,
            "{group}: direct round trip"
        );
        direct
    };

    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes(n as u64));
    g.bench_function("encode/zarrkit", |b| {
        b.iter_batched(
            || data.to_vec(),
            |input| codec.encode(input, &opts).expect("encode"),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("encode/direct", |b| b.iter(|| direct_encode(data)));
    g.bench_function("decode/zarrkit", |b| {
        b.iter_batched(
            || encoded.clone(),
            |input| codec.decode(input.into(), &repr, &opts).expect("decode"),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("decode/direct", |b| b.iter(|| direct_decode(&direct, n)));
    g.finish();
}

fn zstd_benches(c: &mut Criterion) {
    for (edge, label) in [(64, "zstd3/512KiB"), (32, "zstd3/64KiB")] {
        let data = chunk(edge);
        // The direct side reuses its contexts: the best the library allows.
        let cctx = std::sync::Mutex::new(zstd::bulk::Compressor::new(3).expect("cctx"));
        let dctx = std::sync::Mutex::new(zstd::bulk::Decompressor::new().expect("dctx"));
        compare_b2b(
            c,
            label,
            b2b("zstd", json!({"level": 3, "checksum": false})),
            &data,
            &|d| cctx.lock().expect("lock").compress(d).expect("compress"),
            &|d, n| {
                dctx.lock()
                    .expect("lock")
                    .decompress(d, n)
                    .expect("decompress")
            },
        );
    }
}

fn gzip_benches(c: &mut Criterion) {
    let data = chunk(64);
    compare_b2b(
        c,
        "gzip5/512KiB",
        b2b("gzip", json!({"level": 5})),
        &data,
        &|d| {
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(d.len()),
                flate2::Compression::new(5),
            );
            e.write_all(d).expect("gzip");
            e.finish().expect("gzip")
        },
        &|d, n| {
            let mut out = Vec::with_capacity(n);
            flate2::read::GzDecoder::new(d)
                .read_to_end(&mut out)
                .expect("gunzip");
            out
        },
    );
}

fn blosc_benches(c: &mut Criterion) {
    let data = chunk(64);
    let blosc_compress = |d: &[u8]| -> Vec<u8> {
        let cap = d.len() + blosc_src::BLOSC_MAX_OVERHEAD as usize;
        let mut out = vec![0u8; cap];
        // SAFETY: valid buffers of the given sizes; the `_ctx` functions use no global state.
        let n = unsafe {
            blosc_src::blosc_compress_ctx(
                9,
                blosc_src::BLOSC_BITSHUFFLE as c_int,
                2,
                d.len(),
                d.as_ptr().cast::<c_void>(),
                out.as_mut_ptr().cast::<c_void>(),
                cap,
                c"blosclz".as_ptr(),
                0,
                1,
            )
        };
        out.truncate(usize::try_from(n).expect("blosc compress"));
        out
    };
    let blosc_decompress = |d: &[u8], n: usize| -> Vec<u8> {
        let mut out = vec![0u8; n];
        // SAFETY: as above.
        let r = unsafe {
            blosc_src::blosc_decompress_ctx(
                d.as_ptr().cast::<c_void>(),
                out.as_mut_ptr().cast::<c_void>(),
                n,
                1,
            )
        };
        assert_eq!(r as usize, n, "blosc decompress");
        out
    };
    compare_b2b(
        c,
        "blosc_blosclz9_bitshuffle/512KiB",
        b2b(
            "blosc",
            json!({"cname": "blosclz", "clevel": 9, "shuffle": "bitshuffle", "typesize": 2, "blocksize": 0}),
        ),
        &data,
        &blosc_compress,
        &blosc_decompress,
    );
}

fn crc32c_benches(c: &mut Criterion) {
    let data = chunk(64);
    compare_b2b(
        c,
        "crc32c/512KiB",
        b2b("crc32c", Value::Null),
        &data,
        // Direct: the checksum alone (the codec's floor: it appends or strips 4 bytes in place).
        &|d| crc32c::crc32c(d).to_le_bytes().to_vec(),
        &|d, n| {
            let (data, crc) = d.split_at(n);
            assert_eq!(crc32c::crc32c(data).to_le_bytes(), crc);
            Vec::new()
        },
    );
}

/// `bytes` with big-endian uint16: a byte swap of every element, both ways.
fn bytes_benches(c: &mut Criterion) {
    let data = chunk(64);
    let n = data.len();
    let codec: Arc<dyn ArrayToBytesCodecTraits> =
        match zarrkit::registry::create_codec(&md("bytes", json!({"endian": "big"}))) {
            Ok(Codec::ArrayToBytes(c)) => c,
            other => panic!("bytes: {other:?}"),
        };
    let repr = ChunkRepresentation::new(
        vec![64, 64, 64],
        zarrkit::registry::data_type_by_name("uint16").expect("uint16"),
        FillValue::new(vec![0, 0]),
    );
    let opts = CodecOptions::default();
    let swap = |d: &[u8]| -> Vec<u8> {
        d.chunks_exact(2)
            .flat_map(|c| u16::from_le_bytes([c[0], c[1]]).to_be_bytes())
            .collect()
    };
    let encoded = codec
        .encode(ArrayBytes::Fixed(data.clone()), &repr, &opts)
        .expect("encode");
    assert_eq!(encoded, swap(&data));
    let mut g = c.benchmark_group("bytes_big_endian/512KiB");
    g.throughput(Throughput::Bytes(n as u64));
    g.bench_function("encode/zarrkit", |b| {
        b.iter_batched(
            || ArrayBytes::Fixed(data.clone()),
            |input| codec.encode(input, &repr, &opts).expect("encode"),
            BatchSize::LargeInput,
        )
    });
    // Direct: swap in place (what the codec has to do), on a copy made outside the timer.
    let swap_in_place = |mut v: Vec<u8>| -> Vec<u8> {
        for c in v.chunks_exact_mut(2) {
            let x = u16::from_ne_bytes([c[0], c[1]]).swap_bytes();
            c.copy_from_slice(&x.to_ne_bytes());
        }
        v
    };
    g.bench_function("encode/direct", |b| {
        b.iter_batched(|| data.clone(), swap_in_place, BatchSize::LargeInput)
    });
    g.bench_function("decode/zarrkit", |b| {
        b.iter_batched(
            || encoded.clone(),
            |input| codec.decode(input.into(), &repr, &opts).expect("decode"),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("decode/direct", |b| {
        b.iter_batched(|| encoded.clone(), swap_in_place, BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = zstd_benches, gzip_benches, blosc_benches, crc32c_benches, bytes_benches
}
criterion_main!(benches);
