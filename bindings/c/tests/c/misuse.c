/* Misuse of the C API: every case must be an error status with a useful last error, never
 * a crash (this program also runs under AddressSanitizer). */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

static ZarrkitStore *store;
static ZarrkitArray *f32; /* float32, shape [6, 4], chunks [3, 2] */
static ZarrkitArray *str; /* string, shape [3] */
static ZarrkitArray *flags; /* bool, shape [4] */

static void setup(void) {
    OK(zarrkit_store_create_memory(&store));
    uint64_t shape[2] = {6, 4}, chunks[2] = {3, 2};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(2, shape, chunks, "float32", "\"NaN\"", &b));
    OK(zarrkit_array_builder_build(b, store, "/f32", &f32));
    OK(zarrkit_array_builder_destroy(b));
    uint64_t s1[1] = {3}, c1[1] = {2};
    OK(zarrkit_array_builder_create(1, s1, c1, "string", "\"\"", &b));
    OK(zarrkit_array_builder_set_codecs_json(b, "[\"vlen-utf8\"]"));
    OK(zarrkit_array_builder_build(b, store, "/str", &str));
    OK(zarrkit_array_builder_destroy(b));
    uint64_t s2[1] = {4};
    OK(zarrkit_array_builder_create(1, s2, s2, "bool", "false", &b));
    OK(zarrkit_array_builder_build(b, store, "/flags", &flags));
    OK(zarrkit_array_builder_destroy(b));
}

static void null_pointers(void) {
    ZarrkitStore *s = (ZarrkitStore *)0x1;
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_store_open_url(NULL, &s));
    EXPECT(s == NULL, "out handle set to NULL on failure");
    MESSAGE_HAS("`url`");
    PATH_IS("");
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_store_open_url("memory://", NULL));
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_store_create_memory(NULL));
    ZarrkitArray *a = NULL;
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_open(NULL, "/f32", &a));
    MESSAGE_HAS("`store`");
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_open(store, NULL, &a));
    size_t rank;
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_rank(NULL, &rank));
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_rank(f32, NULL));
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_read(f32, NULL, NULL, 0));
    MESSAGE_HAS("`region`");
    uint64_t st[2] = {0, 0}, sh[2] = {1, 1};
    ZarrkitRegion r = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, st, sh, NULL};
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_read(f32, &r, NULL, 4));
    MESSAGE_HAS("`out`");
    r.start = NULL;
    float x;
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_read(f32, &r, &x, 4));
    MESSAGE_HAS("region.start");
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_metadata_json(f32, NULL, 10, NULL));
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_array_metadata_json(f32, NULL, 0, NULL));
    FAILS(ZARRKIT_STATUS_NULL_POINTER, zarrkit_group_children(NULL, NULL));
    /* Destroying NULL is a no-op, like free(NULL). */
    OK(zarrkit_store_destroy(NULL));
    OK(zarrkit_array_destroy(NULL));
    OK(zarrkit_group_destroy(NULL));
    OK(zarrkit_array_builder_destroy(NULL));
    OK(zarrkit_variable_data_destroy(NULL));
    OK(zarrkit_node_list_destroy(NULL));
}

static void invalid_handles(void) {
    ZarrkitStore *s = NULL;
    OK(zarrkit_store_create_memory(&s));
    OK(zarrkit_store_destroy(s));
    /* Double destroy and use after destroy are detected (handles are never reused). */
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_store_destroy(s));
    MESSAGE_HAS("not a live ZarrkitStore handle");
    ZarrkitArray *a = NULL;
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_open(s, "/f32", &a));
    /* A handle of another type. */
    size_t rank;
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_rank((ZarrkitArray *)store, &rank));
    MESSAGE_HAS("tagged as a ZarrkitStore handle");
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_store_destroy((ZarrkitStore *)f32));
    /* Made-up values, including a real pointer to C memory: never dereferenced. */
    int local = 0;
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_rank((ZarrkitArray *)&local, &rank));
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_rank((ZarrkitArray *)(uintptr_t)0xdeadbeef0, &rank));
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_destroy((ZarrkitArray *)(uintptr_t)-1));
    /* An array opened, destroyed twice. */
    OK(zarrkit_array_open(store, "/f32", &a));
    OK(zarrkit_array_destroy(a));
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_destroy(a));
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_rank(a, &rank));
}

static void buffer_sizes(void) {
    /* Strings: a size query, then a buffer one byte short. */
    size_t need = 0;
    OK(zarrkit_array_data_type(f32, NULL, 0, &need));
    EXPECT(need == 8, "\"float32\" + NUL = %zu", need);
    char small[7] = "XXXXXX";
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_array_data_type(f32, small, sizeof small, &need));
    EXPECT(strcmp(small, "XXXXXX") == 0, "a too-small buffer is left untouched");
    EXPECT(need == 8, "required is still reported");
    char exact[8];
    OK(zarrkit_array_data_type(f32, exact, sizeof exact, NULL));
    EXPECT(strcmp(exact, "float32") == 0, "exact buffer");

    /* The last error message itself, through a small buffer. */
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_array_data_type(f32, small, sizeof small, NULL));
    size_t mneed = 0;
    OK(zarrkit_last_error_message(NULL, 0, &mneed));
    char tiny[4];
    EXPECT(zarrkit_last_error_message(tiny, sizeof tiny, &mneed) == ZARRKIT_STATUS_BUFFER_SIZE,
           "message into a tiny buffer");
    EXPECT(zarrkit_last_error_code() == ZARRKIT_STATUS_BUFFER_SIZE,
           "reading the last error does not change it");

    /* Element buffers must be exactly the region's size. */
    uint64_t st[2] = {0, 0}, sh[2] = {2, 2};
    ZarrkitRegion r = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, st, sh, NULL};
    float four[4], five[5];
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_array_read(f32, &r, five, sizeof five));
    MESSAGE_HAS("20 bytes for a region of 16 bytes");
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_array_read(f32, &r, four, sizeof four - 1));
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_array_write(f32, &r, five, sizeof five));
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE,
          zarrkit_array_read_elements(f32, &r, ZARRKIT_ELEMENT_TYPE_FLOAT32, five, 5));
    OK(zarrkit_array_read(f32, &r, four, sizeof four));
    EXPECT(four[0] != four[0], "unwritten elements read as the NaN fill value");
    /* Shape outputs must hold exactly the rank. */
    uint64_t shape3[3];
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_array_shape(f32, shape3, 3));
    /* Variable data copies need the exact sizes. */
    uint64_t z[1] = {0}, n3[1] = {3};
    ZarrkitRegion all = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, z, n3, NULL};
    ZarrkitVariableData *d = NULL;
    OK(zarrkit_array_read_variable(str, &all, &d));
    size_t count = 0, nbytes = 0;
    OK(zarrkit_variable_data_size(d, &count, &nbytes));
    uint64_t offs[4];
    uint8_t bytes[1];
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE, zarrkit_variable_data_copy(d, offs, 3, bytes, nbytes));
    OK(zarrkit_variable_data_copy(d, offs, 4, bytes, nbytes));
    OK(zarrkit_variable_data_destroy(d));
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_variable_data_destroy(d));
}

static void wrong_types_and_regions(void) {
    uint64_t st[2] = {0, 0}, sh[2] = {1, 2};
    ZarrkitRegion r = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, st, sh, NULL};
    int32_t i[2];
    /* A typed read with another element type. */
    FAILS(ZARRKIT_STATUS_DATA_TYPE,
          zarrkit_array_read_elements(f32, &r, ZARRKIT_ELEMENT_TYPE_INT32, i, 2));
    MESSAGE_HAS("float32");
    PATH_IS("/f32");
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_array_read_elements(f32, &r, 999, i, 2));
    /* Fixed-size calls on a string array and the reverse. */
    uint64_t z[1] = {0}, n1[1] = {1};
    ZarrkitRegion one = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, z, n1, NULL};
    char c[8];
    FAILS(ZARRKIT_STATUS_DATA_TYPE, zarrkit_array_read(str, &one, c, 8));
    size_t nbytes;
    FAILS(ZARRKIT_STATUS_DATA_TYPE, zarrkit_array_region_size(str, &one, NULL, &nbytes));
    uint64_t n = 0;
    OK(zarrkit_array_region_size(str, &one, &n, NULL));
    EXPECT(n == 1, "element count of a variable-size region");
    ZarrkitVariableData *d = (ZarrkitVariableData *)0x10;
    FAILS(ZARRKIT_STATUS_DATA_TYPE, zarrkit_array_read_variable(f32, &r, &d));
    EXPECT(d == NULL, "out handle NULL on failure");
    uint64_t offs[2] = {0, 1};
    FAILS(ZARRKIT_STATUS_DATA_TYPE,
          zarrkit_array_write_variable(f32, &r, offs, 2, (const uint8_t *)"a", 1));
    /* Invalid UTF-8 in a string array, malformed offsets, the wrong offset count. */
    FAILS(ZARRKIT_STATUS_DATA_TYPE,
          zarrkit_array_write_variable(str, &one, offs, 2, (const uint8_t *)"\xff", 1));
    MESSAGE_HAS("not UTF-8");
    uint64_t bad[2] = {1, 1};
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT,
          zarrkit_array_write_variable(str, &one, bad, 2, (const uint8_t *)"a", 1));
    uint64_t three[3] = {0, 1, 1};
    FAILS(ZARRKIT_STATUS_BUFFER_SIZE,
          zarrkit_array_write_variable(str, &one, three, 3, (const uint8_t *)"a", 1));
    /* Bools must be 0 or 1. */
    uint64_t n4[1] = {4};
    ZarrkitRegion fl = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, z, n4, NULL};
    uint8_t two[4] = {0, 1, 2, 0};
    FAILS(ZARRKIT_STATUS_DATA_TYPE, zarrkit_array_write(flags, &fl, two, 4));
    MESSAGE_HAS("bool element 2");
    bool ok[4] = {true, false, true, true};
    OK(zarrkit_array_write_elements(flags, &fl, ZARRKIT_ELEMENT_TYPE_BOOL, ok, 4));

    /* Regions: the wrong rank, outside the array, an unknown kind, chunk indices outside
     * the grid, inner chunks of an unsharded array, an overflowing box. */
    float f[2];
    r.rank = 1;
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_array_read(f32, &r, f, sizeof f));
    MESSAGE_HAS("rank 1");
    r.rank = 2;
    uint64_t far[2] = {6, 0};
    r.start = far;
    FAILS(ZARRKIT_STATUS_OUT_OF_BOUNDS, zarrkit_array_read(f32, &r, f, sizeof f));
    r.start = st;
    r.kind = 77;
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_array_read(f32, &r, f, sizeof f));
    MESSAGE_HAS("unknown region kind 77");
    uint64_t chunk[2] = {2, 0};
    ZarrkitRegion ch = {ZARRKIT_REGION_KIND_CHUNK, 2, chunk, NULL, NULL, NULL};
    float c6[6];
    FAILS(ZARRKIT_STATUS_OUT_OF_BOUNDS, zarrkit_array_read(f32, &ch, c6, sizeof c6));
    FAILS(ZARRKIT_STATUS_OUT_OF_BOUNDS, zarrkit_array_erase_chunk(f32, chunk, 2));
    uint64_t cshape[2];
    FAILS(ZARRKIT_STATUS_OUT_OF_BOUNDS, zarrkit_array_chunk_shape(f32, chunk, 2, cshape));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_array_chunk_shape(f32, chunk, 1, cshape));
    chunk[0] = 0;
    ZarrkitRegion inner = {ZARRKIT_REGION_KIND_INNER_CHUNK, 2, chunk, NULL, NULL, NULL};
    FAILS(ZARRKIT_STATUS_UNSUPPORTED, zarrkit_array_read(f32, &inner, c6, sizeof c6));
    FAILS(ZARRKIT_STATUS_UNSUPPORTED, zarrkit_array_inner_chunk_shape(f32, cshape, 2));
    uint64_t huge[2] = {UINT64_MAX, 1};
    ZarrkitRegion ovf = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, huge, huge, NULL};
    FAILS(ZARRKIT_STATUS_OUT_OF_BOUNDS, zarrkit_array_read(f32, &ovf, f, sizeof f));
    /* A resize of the wrong rank leaves the array unchanged. */
    uint64_t s3[3] = {1, 1, 1};
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_array_resize(f32, s3, 3));
    uint64_t s2[2];
    OK(zarrkit_array_shape(f32, s2, 2));
    EXPECT(s2[0] == 6 && s2[1] == 4, "unchanged after a failed resize");
}

static void bad_metadata_and_stores(void) {
    ZarrkitStore *s = NULL;
    FAILS(ZARRKIT_STATUS_UNKNOWN_SCHEME, zarrkit_store_open_url("nosuch://x", &s));
    PATH_IS("nosuch://x");
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_store_open_json("{\"url\": 1}", &s));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT,
          zarrkit_store_open_json("{\"url\": \"memory://\", \"secret\": \"x\"}", &s));
    MESSAGE_HAS("unknown member `secret`");
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_store_open_url("\xff\xfe", &s));
    MESSAGE_HAS("not UTF-8");

    ZarrkitArray *a = NULL;
    FAILS(ZARRKIT_STATUS_NOT_FOUND, zarrkit_array_open(store, "/missing", &a));
    PATH_IS("/missing");
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_array_open(store, "/a/../b", &a));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_array_create_json(store, "/j", "{not json", &a));
    FAILS(ZARRKIT_STATUS_METADATA,
          zarrkit_array_create_json(store, "/j", "{\"zarr_format\":3,\"node_type\":\"array\"}", &a));
    PATH_IS("/j");
    FAILS(ZARRKIT_STATUS_NODE_KIND,
          zarrkit_array_create_json(store, "/j", "{\"zarr_format\":3,\"node_type\":\"group\"}", &a));
    const char *unknown_codec =
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[2],\"data_type\":\"uint8\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":0,"
        "\"codecs\":[{\"name\":\"bytes\"},{\"name\":\"no.such.codec\"}]}";
    FAILS(ZARRKIT_STATUS_UNKNOWN_PLUGIN, zarrkit_array_create_json(store, "/u", unknown_codec, &a));
    MESSAGE_HAS("no.such.codec");

    uint64_t shape[1] = {4};
    ZarrkitArrayBuilder *b = NULL;
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT,
          zarrkit_array_builder_create(1, shape, shape, "uint8", "not json", &b));
    OK(zarrkit_array_builder_create(1, shape, shape, "no_such_type", "0", &b));
    FAILS(ZARRKIT_STATUS_UNKNOWN_PLUGIN, zarrkit_array_builder_build(b, store, "/t", &a));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_array_builder_set_codecs_json(b, "{}"));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_array_builder_set_attributes_json(b, "[1]"));
    OK(zarrkit_array_builder_destroy(b));
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_builder_destroy(b));

    /* Inner chunks that do not divide the shard. */
    uint64_t shard[1] = {4}, inner[1] = {3};
    OK(zarrkit_array_builder_create(1, shape, shard, "uint8", "0", &b));
    OK(zarrkit_array_builder_set_sharding(b, 1, inner, NULL));
    FAILS(ZARRKIT_STATUS_METADATA, zarrkit_array_builder_build(b, store, "/bad_shards", &a));
    OK(zarrkit_array_builder_destroy(b));

    ZarrkitGroup *g = NULL;
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_group_create(store, "/g", 4, NULL, &g));
    FAILS(ZARRKIT_STATUS_NODE_KIND, zarrkit_group_open(store, "/f32", &g));
    FAILS(ZARRKIT_STATUS_NOT_FOUND, zarrkit_group_open(store, "/", &g));
    OK(zarrkit_group_create(store, "/grp", 3, NULL, &g));
    FAILS(ZARRKIT_STATUS_NODE_KIND, zarrkit_array_open(store, "/grp", &a));
    PATH_IS("/grp");
    OK(zarrkit_group_destroy(g));
}

static void panics_are_caught(void) {
    FAILS(ZARRKIT_STATUS_PANIC, zarrkit_debug_panic());
    MESSAGE_HAS("zarrkit_debug_panic called");
    /* The library keeps working after a caught panic. */
    size_t rank = 0;
    OK(zarrkit_array_rank(f32, &rank));
    EXPECT(zarrkit_last_error_code() == ZARRKIT_STATUS_OK, "success clears the last error");
    char m[4] = "abc";
    OK(zarrkit_last_error_message(m, sizeof m, NULL));
    EXPECT(m[0] == 0, "empty message after success");
    zarrkit_last_error_clear();
}

int main(void) {
    setup();
    null_pointers();
    invalid_handles();
    buffer_sizes();
    wrong_types_and_regions();
    bad_metadata_and_stores();
    panics_are_caught();
    OK(zarrkit_array_destroy(f32));
    OK(zarrkit_array_destroy(str));
    OK(zarrkit_array_destroy(flags));
    OK(zarrkit_store_destroy(store));
    EXPECT(zarrkit_live_handle_count() == 0, "%zu handles leaked", zarrkit_live_handle_count());
    return check_report("misuse");
}
