/* Selections through the C API: orthogonal (integers, slices with negative steps, index
 * arrays, masks, new axes, ellipsis), vectorized (points and broadcast index arrays), mask,
 * blocks and inner blocks; reads into caller buffers checked element by element against
 * the values written, writes of selections, strings, and misuse. Also runs under
 * AddressSanitizer. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define R 9
#define C 7

static int32_t v(int64_t i, int64_t j) { return (int32_t)(i * 100 + j); }

static ZarrkitStore *store;
static ZarrkitArray *a; /* int32 [9, 7] in [4, 3] chunks, a[i][j] = v(i, j) */

static ZarrkitRegion sel_region(ZarrkitSelection *s) {
    ZarrkitRegion r = {ZARRKIT_REGION_KIND_SELECTION, 0, NULL, NULL, NULL, s};
    return r;
}

/* The result shape of a selection must be `ndim` dimensions equal to `want`. */
static void expect_shape(ZarrkitSelection *s, size_t ndim, const uint64_t *want) {
    ZarrkitRegion r = sel_region(s);
    size_t got_ndim = 99;
    OK(zarrkit_array_region_shape(a, &r, NULL, 0, &got_ndim));
    EXPECT(got_ndim == ndim, "ndim %zu, want %zu", got_ndim, ndim);
    uint64_t shape[8] = {0};
    OK(zarrkit_array_region_shape(a, &r, shape, 8, &got_ndim));
    for (size_t d = 0; d < ndim && d < 8; d++)
        EXPECT(shape[d] == want[d], "dimension %zu: %llu, want %llu", d,
               (unsigned long long)shape[d], (unsigned long long)want[d]);
}

/* Read a selection of `n` elements (after a size query) and compare with `want`. */
static void expect_read(ZarrkitSelection *s, size_t n, const int32_t *want, const char *what) {
    ZarrkitRegion r = sel_region(s);
    uint64_t count = 0;
    size_t bytes = 0;
    OK(zarrkit_array_region_size(a, &r, &count, &bytes));
    EXPECT(count == n && bytes == n * sizeof(int32_t), "%s: size %llu / %zu, want %zu", what,
           (unsigned long long)count, bytes, n);
    if (count != n) return;
    int32_t *got = malloc(n * sizeof *got + 1);
    OK(zarrkit_array_read_elements(a, &r, ZARRKIT_ELEMENT_TYPE_INT32, got, n));
    for (size_t k = 0; k < n; k++)
        if (got[k] != want[k]) {
            FAIL("%s: element %zu is %d, want %d", what, k, got[k], want[k]);
            break;
        }
    /* The raw-bytes form agrees. */
    int32_t *raw = malloc(n * sizeof *raw + 1);
    OK(zarrkit_array_read(a, &r, raw, n * sizeof *raw));
    EXPECT(memcmp(raw, got, n * sizeof *raw) == 0, "%s: raw read equals typed read", what);
    free(raw);
    free(got);
}

static void setup(void) {
    OK(zarrkit_store_create_memory(&store));
    uint64_t shape[2] = {R, C}, chunks[2] = {4, 3};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(2, shape, chunks, "int32", "-1", &b));
    OK(zarrkit_array_builder_set_codecs_json(
        b, "[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
           "{\"name\":\"zstd\",\"configuration\":{\"level\":1,\"checksum\":false}}]"));
    OK(zarrkit_array_builder_build(b, store, "/a", &a));
    OK(zarrkit_array_builder_destroy(b));
    int32_t all[R * C];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) all[i * C + j] = v(i, j);
    uint64_t z[2] = {0, 0};
    ZarrkitRegion whole = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, z, shape, NULL};
    OK(zarrkit_array_write(a, &whole, all, sizeof all));
}

static void orthogonal(void) {
    ZarrkitSelection *s = NULL;

    /* a[2, 1:7:2] */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    OK(zarrkit_selection_push_int(s, 2));
    OK(zarrkit_selection_push_slice(s, 1, 7, 2, ZARRKIT_SLICE_HAS_START | ZARRKIT_SLICE_HAS_STOP));
    uint64_t sh1[1] = {3};
    expect_shape(s, 1, sh1);
    int32_t w1[3] = {v(2, 1), v(2, 3), v(2, 5)};
    expect_read(s, 3, w1, "a[2, 1:7:2]");
    char text[256];
    OK(zarrkit_selection_describe(s, text, sizeof text, NULL));
    EXPECT(strstr(text, "Orthogonal") && strstr(text, "Int(2)"), "describe: %s", text);
    OK(zarrkit_selection_destroy(s));

    /* a.oindex[[8, 0, -1, 3], mask] : arrays in any order with repeats, a mask. */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    int64_t rows[4] = {8, 0, -1, 3};
    uint8_t mask[C] = {1, 0, 0, 1, 0, 1, 1};
    OK(zarrkit_selection_push_array(s, rows, 4));
    OK(zarrkit_selection_push_mask(s, mask, C));
    uint64_t sh2[2] = {4, 4};
    expect_shape(s, 2, sh2);
    int64_t cols[4] = {0, 3, 5, 6}, rr[4] = {8, 0, 8, 3};
    int32_t w2[16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) w2[i * 4 + j] = v(rr[i], cols[j]);
    expect_read(s, 16, w2, "a.oindex[[8,0,-1,3], mask]");
    OK(zarrkit_selection_destroy(s));

    /* a[::-3, ...]: a negative step without start or stop, then an ellipsis. */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    OK(zarrkit_selection_push_slice(s, 0, 0, -3, 0));
    OK(zarrkit_selection_push_ellipsis(s));
    uint64_t sh3[2] = {3, C};
    expect_shape(s, 2, sh3);
    int32_t w3[3 * C];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < C; j++) w3[i * C + j] = v(8 - 3 * i, j);
    expect_read(s, 3 * C, w3, "a[::-3, ...]");
    OK(zarrkit_selection_destroy(s));

    /* a[newaxis, -4, 5:] : a new axis, a negative integer, a slice with only a start. */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    OK(zarrkit_selection_push_new_axis(s));
    OK(zarrkit_selection_push_int(s, -4));
    OK(zarrkit_selection_push_slice(s, 5, 0, 1, ZARRKIT_SLICE_HAS_START));
    uint64_t sh4[2] = {1, 2};
    expect_shape(s, 2, sh4);
    int32_t w4[2] = {v(5, 5), v(5, 6)};
    expect_read(s, 2, w4, "a[newaxis, -4, 5:]");
    OK(zarrkit_selection_destroy(s));

    /* An empty selection is the whole array; a[3, 4] is a 0-d result of one element. */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    uint64_t sh5[2] = {R, C};
    expect_shape(s, 2, sh5);
    OK(zarrkit_selection_push_int(s, 3));
    OK(zarrkit_selection_push_int(s, 4));
    expect_shape(s, 0, NULL);
    int32_t w5[1] = {v(3, 4)};
    expect_read(s, 1, w5, "a[3, 4]");
    OK(zarrkit_selection_destroy(s));
}

static void vectorized_mask_blocks(void) {
    ZarrkitSelection *s = NULL;

    /* Points: a.vindex[[0, 8, 4], [6, 0, 3]] */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_VECTORIZED, &s));
    int64_t pi[3] = {0, 8, 4}, pj[3] = {6, 0, 3};
    OK(zarrkit_selection_push_array(s, pi, 3));
    OK(zarrkit_selection_push_array(s, pj, 3));
    uint64_t sh1[1] = {3};
    expect_shape(s, 1, sh1);
    int32_t w1[3] = {v(0, 6), v(8, 0), v(4, 3)};
    expect_read(s, 3, w1, "a.vindex[[0,8,4],[6,0,3]]");
    OK(zarrkit_selection_destroy(s));

    /* Broadcasting: index arrays of shapes [2, 1] and [1, 3] give a [2, 3] result. */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_VECTORIZED, &s));
    uint64_t s21[2] = {2, 1}, s13[2] = {1, 3};
    int64_t bi[2] = {1, -1}, bj[3] = {0, 2, 4};
    OK(zarrkit_selection_push_array_nd(s, 2, s21, bi, 2));
    OK(zarrkit_selection_push_array_nd(s, 2, s13, bj, 3));
    uint64_t sh2[2] = {2, 3};
    expect_shape(s, 2, sh2);
    int32_t w2[6] = {v(1, 0), v(1, 2), v(1, 4), v(8, 0), v(8, 2), v(8, 4)};
    expect_read(s, 6, w2, "broadcast vindex");
    OK(zarrkit_selection_destroy(s));

    /* A mask of the array's shape: the elements where (i + j) % 5 == 0, in C order. */
    uint8_t m[R * C];
    int32_t w3[R * C];
    size_t n3 = 0;
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) {
            m[i * C + j] = (i + j) % 5 == 0;
            if (m[i * C + j]) w3[n3++] = v(i, j);
        }
    uint64_t shape[2] = {R, C};
    OK(zarrkit_selection_create_mask(2, shape, m, R * C, &s));
    uint64_t sh3[1] = {n3};
    expect_shape(s, 1, sh3);
    expect_read(s, n3, w3, "mask");
    OK(zarrkit_selection_destroy(s));

    /* Blocks: chunk row 1, chunk columns 1..3 = rows 4..8, columns 3..7 (clipped). */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_BLOCKS, &s));
    OK(zarrkit_selection_push_int(s, 1));
    OK(zarrkit_selection_push_slice(s, 1, 3, 1, ZARRKIT_SLICE_HAS_START | ZARRKIT_SLICE_HAS_STOP));
    uint64_t sh4[2] = {4, 4};
    expect_shape(s, 2, sh4);
    int32_t w4[16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) w4[i * 4 + j] = v(4 + i, 3 + j);
    expect_read(s, 16, w4, "blocks[1, 1:3]");
    OK(zarrkit_selection_destroy(s));
}

static void inner_blocks(void) {
    uint64_t shape[2] = {8, 8}, shard[2] = {4, 4}, inner[2] = {2, 2};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(2, shape, shard, "int32", "0", &b));
    OK(zarrkit_array_builder_set_sharding(b, 2, inner, NULL));
    ZarrkitArray *sh = NULL;
    OK(zarrkit_array_builder_build(b, store, "/sharded", &sh));
    OK(zarrkit_array_builder_destroy(b));
    int32_t all[64];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) all[i * 8 + j] = v(i, j);
    uint64_t z[2] = {0, 0};
    ZarrkitRegion whole = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, z, shape, NULL};
    OK(zarrkit_array_write(sh, &whole, all, sizeof all));

    /* Inner chunk rows 1..3, the last inner chunk column: rows 2..6, columns 6..8. */
    ZarrkitSelection *s = NULL;
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_INNER_BLOCKS, &s));
    OK(zarrkit_selection_push_slice(s, 1, 3, 1, ZARRKIT_SLICE_HAS_START | ZARRKIT_SLICE_HAS_STOP));
    OK(zarrkit_selection_push_int(s, -1));
    ZarrkitRegion r = sel_region(s);
    uint64_t got_shape[2] = {0, 0};
    size_t ndim = 0;
    OK(zarrkit_array_region_shape(sh, &r, got_shape, 2, &ndim));
    EXPECT(ndim == 2 && got_shape[0] == 4 && got_shape[1] == 2, "inner blocks shape");
    int32_t got[8];
    OK(zarrkit_array_read_elements(sh, &r, ZARRKIT_ELEMENT_TYPE_INT32, got, 8));
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            EXPECT(got[i * 2 + j] == v(2 + i, 6 + j), "inner blocks element %d,%d", i, j);
    /* The same selection on the unsharded array is an error, not a wrong read. */
    ZarrkitStatus st = zarrkit_array_read_elements(a, &r, ZARRKIT_ELEMENT_TYPE_INT32, got, 8);
    EXPECT(st != ZARRKIT_STATUS_OK && zarrkit_last_error_code() == st,
           "inner blocks of an unsharded array: %s", zarrkit_status_name(st));
    OK(zarrkit_selection_destroy(s));
    OK(zarrkit_array_destroy(sh));
}

static void writes(void) {
    ZarrkitArray *w = NULL;
    uint64_t shape[2] = {R, C}, chunks[2] = {4, 3};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(2, shape, chunks, "int32", "-1", &b));
    OK(zarrkit_array_builder_build(b, store, "/w", &w));
    OK(zarrkit_array_builder_destroy(b));

    /* a.oindex[[1, 7], [0, 6, 2]] = ... : six elements in four chunks. */
    ZarrkitSelection *s = NULL;
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    int64_t rows[2] = {1, 7}, cols[3] = {0, 6, 2};
    OK(zarrkit_selection_push_array(s, rows, 2));
    OK(zarrkit_selection_push_array(s, cols, 3));
    ZarrkitRegion r = sel_region(s);
    int32_t vals[6] = {10, 11, 12, 13, 14, 15};
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE,
          zarrkit_array_write_elements(w, &r, ZARRKIT_ELEMENT_TYPE_INT32, vals, 5));
    OK(zarrkit_array_write_elements(w, &r, ZARRKIT_ELEMENT_TYPE_INT32, vals, 6));
    OK(zarrkit_selection_destroy(s));

    /* Exactly those six elements changed. */
    int32_t all[R * C];
    uint64_t z[2] = {0, 0};
    ZarrkitRegion whole = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, z, shape, NULL};
    OK(zarrkit_array_read(w, &whole, all, sizeof all));
    int changed = 0;
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) {
            int32_t want = -1;
            for (int p = 0; p < 2; p++)
                for (int q = 0; q < 3; q++)
                    if (rows[p] == i && cols[q] == j) want = vals[p * 3 + q];
            if (want != -1) changed++;
            EXPECT(all[i * C + j] == want, "after the write, [%d][%d] = %d, want %d", i, j,
                   all[i * C + j], want);
        }
    EXPECT(changed == 6, "six elements written");

    /* Points with a repeat: the last value of a repeated position wins. */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_VECTORIZED, &s));
    int64_t pi[3] = {0, 0, 8}, pj[3] = {0, 0, 6};
    OK(zarrkit_selection_push_array(s, pi, 3));
    OK(zarrkit_selection_push_array(s, pj, 3));
    r = sel_region(s);
    int32_t pv[3] = {100, 200, 300};
    OK(zarrkit_array_write(w, &r, pv, sizeof pv));
    int32_t back[3];
    OK(zarrkit_array_read(w, &r, back, sizeof back));
    EXPECT(back[0] == 200 && back[1] == 200 && back[2] == 300, "points: %d %d %d", back[0],
           back[1], back[2]);
    OK(zarrkit_selection_destroy(s));
    OK(zarrkit_array_destroy(w));
}

static void strings(void) {
    uint64_t shape[1] = {6}, chunk[1] = {4};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(1, shape, chunk, "string", "\"\"", &b));
    OK(zarrkit_array_builder_set_codecs_json(b, "[\"vlen-utf8\"]"));
    ZarrkitArray *s6 = NULL;
    OK(zarrkit_array_builder_build(b, store, "/strings", &s6));
    OK(zarrkit_array_builder_destroy(b));
    const char text[] = "zeroonetwothreefourfive";
    uint64_t offsets[7] = {0, 4, 7, 10, 15, 19, 23};
    uint64_t z[1] = {0};
    ZarrkitRegion all = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, z, shape, NULL};
    OK(zarrkit_array_write_variable(s6, &all, offsets, 7, (const uint8_t *)text, 23));

    /* s.oindex[[5, 0, 0, 2]] across both chunks, with a repeat. */
    ZarrkitSelection *s = NULL;
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    int64_t idx[4] = {5, 0, 0, 2};
    OK(zarrkit_selection_push_array(s, idx, 4));
    ZarrkitRegion r = sel_region(s);
    ZarrkitVariableData *d = NULL;
    OK(zarrkit_array_read_variable(s6, &r, &d));
    size_t count = 0, nbytes = 0;
    OK(zarrkit_variable_data_size(d, &count, &nbytes));
    EXPECT(count == 4 && nbytes == 15, "sizes %zu %zu", count, nbytes);
    uint64_t o[5];
    char bytes[15];
    if (count == 4 && nbytes == 15) {
        OK(zarrkit_variable_data_copy(d, o, 5, (uint8_t *)bytes, 15));
        EXPECT(memcmp(bytes, "fivezerozerotwo", 15) == 0, "bytes %.15s", bytes);
        EXPECT(o[1] == 4 && o[2] == 8 && o[3] == 12 && o[4] == 15, "offsets");
    }
    OK(zarrkit_variable_data_destroy(d));
    /* The fixed-size calls refuse a string selection. */
    size_t sz = 0;
    FAILS(ZARRKIT_STATUS_DATA_TYPE, zarrkit_array_region_size(s6, &r, NULL, &sz));
    OK(zarrkit_selection_destroy(s));

    /* s[1::2] = ["A", "", "CCC"] */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    OK(zarrkit_selection_push_slice(s, 1, 0, 2, ZARRKIT_SLICE_HAS_START));
    r = sel_region(s);
    uint64_t wo[4] = {0, 1, 1, 4};
    OK(zarrkit_array_write_variable(s6, &r, wo, 4, (const uint8_t *)"ACCC", 4));
    OK(zarrkit_selection_destroy(s));
    OK(zarrkit_array_read_variable(s6, &all, &d));
    OK(zarrkit_variable_data_size(d, &count, &nbytes));
    char whole[64] = {0};
    uint64_t wo2[7];
    if (count == 6 && nbytes < sizeof whole) {
        OK(zarrkit_variable_data_copy(d, wo2, 7, (uint8_t *)whole, nbytes));
        EXPECT(strcmp(whole, "zeroAtwofourCCC") == 0, "after the string write: %s", whole);
    } else {
        FAIL("string array of %zu elements, %zu bytes", count, nbytes);
    }
    OK(zarrkit_variable_data_destroy(d));
    OK(zarrkit_array_destroy(s6));
}

static void misuse(void) {
    ZarrkitSelection *s = (ZarrkitSelection *)0x1;
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_selection_create(77, &s));
    EXPECT(s == NULL, "out handle NULL on failure");
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT,
          zarrkit_selection_create(ZARRKIT_SELECTION_KIND_MASK, &s));
    FAILS(ZARRKIT_STATUS_NULL_POINTER,
          zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, NULL));
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_selection_push_int(NULL, 1));

    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    FAILS(ZARRKIT_STATUS_INVALID_SELECTION, zarrkit_selection_push_slice(s, 0, 0, 0, 0));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_selection_push_slice(s, 0, 0, 1, 8));
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_selection_push_array(s, NULL, 2));
    uint8_t bad_mask[2] = {1, 2};
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_selection_push_mask(s, bad_mask, 2));
    MESSAGE_HAS("mask[1]");
    int64_t one[1] = {0};
    uint64_t s1[1] = {1};
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_selection_push_array_nd(s, 1, s1, one, 1));

    /* Out of range: an error naming the dimension, on use. */
    OK(zarrkit_selection_push_int(s, 0));
    OK(zarrkit_selection_push_int(s, 7));
    ZarrkitRegion r = sel_region(s);
    uint64_t n = 0;
    FAILS(ZARRKIT_STATUS_INVALID_SELECTION, zarrkit_array_region_size(a, &r, &n, NULL));
    MESSAGE_HAS("dimension 1");
    PATH_IS("/a");
    int32_t x[4];
    FAILS(ZARRKIT_STATUS_INVALID_SELECTION, zarrkit_array_read(a, &r, x, 4));
    /* More indices than dimensions. */
    OK(zarrkit_selection_destroy(s));
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    for (int k = 0; k < 3; k++) OK(zarrkit_selection_push_int(s, 0));
    r = sel_region(s);
    FAILS(ZARRKIT_STATUS_INVALID_SELECTION, zarrkit_array_read(a, &r, x, 4));
    OK(zarrkit_selection_destroy(s));
    /* Two ellipses. */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    OK(zarrkit_selection_push_ellipsis(s));
    OK(zarrkit_selection_push_ellipsis(s));
    r = sel_region(s);
    FAILS(ZARRKIT_STATUS_INVALID_SELECTION, zarrkit_array_region_size(a, &r, &n, NULL));
    OK(zarrkit_selection_destroy(s));
    /* A dimension mask of the wrong length. */
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    uint8_t m2[2] = {1, 0};
    OK(zarrkit_selection_push_mask(s, m2, 2));
    r = sel_region(s);
    FAILS(ZARRKIT_STATUS_INVALID_SELECTION, zarrkit_array_region_size(a, &r, &n, NULL));
    MESSAGE_HAS("mask");
    /* Wrong buffer sizes: exact sizes only. */
    OK(zarrkit_selection_destroy(s));
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &s));
    OK(zarrkit_selection_push_int(s, 0));
    r = sel_region(s);
    int32_t row[C + 1];
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_array_read(a, &r, row, sizeof row));
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE,
          zarrkit_array_read_elements(a, &r, ZARRKIT_ELEMENT_TYPE_INT32, row, C - 1));
    OK(zarrkit_array_read_elements(a, &r, ZARRKIT_ELEMENT_TYPE_INT32, row, C));
    EXPECT(row[C - 1] == v(0, C - 1), "row 0");
    /* A shape buffer too small: ndim is still reported. */
    uint64_t shape0[1];
    size_t ndim = 0;
    OK(zarrkit_array_region_shape(a, &r, shape0, 1, &ndim));
    OK(zarrkit_selection_push_new_axis(s));
    OK(zarrkit_selection_push_new_axis(s));
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_array_region_shape(a, &r, shape0, 1, &ndim));
    EXPECT(ndim == 3, "ndim %zu reported with a small buffer", ndim);
    /* Pushes that the kind does not take. */
    ZarrkitSelection *vs = NULL;
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_VECTORIZED, &vs));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_selection_push_mask(vs, m2, 2));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_selection_push_ellipsis(vs));
    OK(zarrkit_selection_destroy(vs));
    OK(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_BLOCKS, &vs));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_selection_push_array(vs, one, 1));
    /* A block slice with a step other than 1. */
    OK(zarrkit_selection_push_slice(vs, 0, 2, 2, ZARRKIT_SLICE_HAS_START | ZARRKIT_SLICE_HAS_STOP));
    ZarrkitRegion br = sel_region(vs);
    FAILS(ZARRKIT_STATUS_INVALID_SELECTION, zarrkit_array_region_size(a, &br, &n, NULL));
    OK(zarrkit_selection_destroy(vs));
    /* A mask selection of the wrong shape or size. */
    uint64_t mshape[2] = {2, 2};
    uint8_t m4[4] = {1, 0, 0, 1};
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_selection_create_mask(2, mshape, m4, 3, &vs));
    OK(zarrkit_selection_create_mask(2, mshape, m4, 4, &vs));
    br = sel_region(vs);
    FAILS(ZARRKIT_STATUS_INVALID_SELECTION, zarrkit_array_region_size(a, &br, &n, NULL));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_selection_push_int(vs, 0));
    OK(zarrkit_selection_destroy(vs));

    /* A NULL or destroyed selection in a region; a selection handle used as an array. */
    ZarrkitRegion nr = sel_region(NULL);
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_region_size(a, &nr, &n, NULL));
    MESSAGE_HAS("region.selection");
    size_t rank = 0;
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_rank((ZarrkitArray *)s, &rank));
    MESSAGE_HAS("tagged as a ZarrkitSelection handle");
    OK(zarrkit_selection_destroy(s));
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_selection_destroy(s));
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_region_size(a, &r, &n, NULL));
    OK(zarrkit_selection_destroy(NULL));
}

int main(void) {
    setup();
    orthogonal();
    vectorized_mask_blocks();
    inner_blocks();
    writes();
    strings();
    misuse();
    OK(zarrkit_array_destroy(a));
    OK(zarrkit_store_destroy(store));
    EXPECT(zarrkit_live_handle_count() == 0, "%zu handles leaked", zarrkit_live_handle_count());
    return check_report("selection");
}
