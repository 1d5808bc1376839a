/* The C API end to end: stores, arrays (V3 and V2), reads and writes of every region kind,
 * typed access, sharding, strings, resize, erase, attributes, groups, consolidated metadata.
 * argv[1]: an empty directory for filesystem stores. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

static char dir[1024];

static void test_versions(void) {
    EXPECT(zarrkit_abi_version() == ZARRKIT_ABI_VERSION, "abi %u", zarrkit_abi_version());
    EXPECT(strlen(zarrkit_version()) > 0, "version");
    EXPECT(strcmp(zarrkit_status_name(ZARRKIT_STATUS_BUFFER_SIZE), "ZARRKIT_STATUS_BUFFER_SIZE") == 0,
           "status name %s", zarrkit_status_name(ZARRKIT_STATUS_BUFFER_SIZE));
    EXPECT(strcmp(zarrkit_status_name(12345), "unknown zarrkit status") == 0, "unknown status");
    size_t need = 0;
    OK(zarrkit_registered_plugins_json(NULL, 0, &need));
    char *plugins = malloc(need);
    OK(zarrkit_registered_plugins_json(plugins, need, &need));
    EXPECT(strstr(plugins, "\"zstd\"") && strstr(plugins, "\"sharding_indexed\"") &&
               strstr(plugins, "\"file\"") && strstr(plugins, "\"memory\""),
           "plugins %s", plugins);
    free(plugins);
}

/* Builder, whole-array and region reads and writes, chunk grid queries, typed access. */
static void test_array_roundtrip(void) {
    ZarrkitStore *store = NULL;
    OK(zarrkit_store_create_memory(&store));
    uint64_t shape[2] = {10, 7}, chunks[2] = {4, 3};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(2, shape, chunks, "uint16", "7", &b));
    OK(zarrkit_array_builder_set_codecs_json(
        b, "[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"big\"}},"
           "{\"name\":\"zstd\",\"configuration\":{\"level\":3,\"checksum\":true}}]"));
    const char *names[2] = {"y", NULL};
    OK(zarrkit_array_builder_set_dimension_names(b, names, 2));
    OK(zarrkit_array_builder_set_attributes_json(b, "{\"units\":\"m\"}"));
    ZarrkitArray *a = NULL;
    OK(zarrkit_array_builder_build(b, store, "/data", &a));
    OK(zarrkit_array_builder_destroy(b));

    size_t rank = 0;
    OK(zarrkit_array_rank(a, &rank));
    EXPECT(rank == 2, "rank %zu", rank);
    uint64_t s[2] = {0, 0};
    OK(zarrkit_array_shape(a, s, 2));
    EXPECT(s[0] == 10 && s[1] == 7, "shape");
    uint64_t grid[2];
    OK(zarrkit_array_chunk_grid_shape(a, grid, 2));
    EXPECT(grid[0] == 3 && grid[1] == 3, "grid %llu %llu", (unsigned long long)grid[0],
           (unsigned long long)grid[1]);
    uint64_t edge[2] = {2, 2}, cs[2], origin[2];
    OK(zarrkit_array_chunk_shape(a, edge, 2, cs));
    EXPECT(cs[0] == 4 && cs[1] == 3, "edge chunk shape is the full chunk shape");
    OK(zarrkit_array_chunk_origin(a, edge, 2, origin));
    EXPECT(origin[0] == 8 && origin[1] == 6, "origin");
    char dtype[32];
    size_t need = 0;
    OK(zarrkit_array_data_type(a, dtype, sizeof dtype, &need));
    EXPECT(strcmp(dtype, "uint16") == 0 && need == 7, "dtype %s %zu", dtype, need);
    size_t esize = 0;
    OK(zarrkit_array_element_size(a, &esize));
    EXPECT(esize == 2, "element size");
    ZarrkitElementType et = 0;
    OK(zarrkit_array_element_type(a, &et));
    EXPECT(et == ZARRKIT_ELEMENT_TYPE_UINT16, "element type %u", et);
    char fill[16];
    OK(zarrkit_array_fill_value_json(a, fill, sizeof fill, NULL));
    EXPECT(strcmp(fill, "7") == 0, "fill %s", fill);
    uint32_t format = 0;
    OK(zarrkit_array_zarr_format(a, &format));
    EXPECT(format == 3, "format");
    bool sharded = true;
    OK(zarrkit_array_is_sharded(a, &sharded));
    EXPECT(!sharded, "not sharded");
    char path[64];
    OK(zarrkit_array_path(a, path, sizeof path, NULL));
    EXPECT(strcmp(path, "/data") == 0, "path %s", path);

    /* Metadata JSON: size query, then fill. */
    OK(zarrkit_array_metadata_json(a, NULL, 0, &need));
    char *meta = malloc(need);
    OK(zarrkit_array_metadata_json(a, meta, need, &need));
    EXPECT(strlen(meta) + 1 == need, "metadata length");
    EXPECT(strstr(meta, "\"zstd\"") && strstr(meta, "\"dimension_names\"") &&
               strstr(meta, "\"units\""),
           "metadata %s", meta);
    free(meta);

    /* Write the whole array from a subset, read it back whole and by region kind. */
    uint16_t all[70];
    for (int i = 0; i < 70; i++) all[i] = (uint16_t)(i * 3 + 1);
    uint64_t start0[2] = {0, 0};
    ZarrkitRegion whole = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, start0, shape, NULL};
    uint64_t n = 0;
    size_t bytes = 0;
    OK(zarrkit_array_region_size(a, &whole, &n, &bytes));
    EXPECT(n == 70 && bytes == 140, "region size %llu %zu", (unsigned long long)n, bytes);
    OK(zarrkit_array_write(a, &whole, all, sizeof all));
    uint16_t back[70] = {0};
    OK(zarrkit_array_read(a, &whole, back, sizeof back));
    EXPECT(memcmp(all, back, sizeof all) == 0, "whole read back");

    /* A typed read of a subset. */
    uint64_t st[2] = {2, 1}, sh[2] = {3, 2};
    ZarrkitRegion sub = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, st, sh, NULL};
    uint16_t part[6];
    OK(zarrkit_array_read_elements(a, &sub, ZARRKIT_ELEMENT_TYPE_UINT16, part, 6));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            EXPECT(part[i * 2 + j] == all[(2 + i) * 7 + 1 + j], "subset element %d,%d", i, j);

    /* The edge chunk (2, 2): rows 8..10 of 12, columns 6..7 of 9; the rest is fill. */
    ZarrkitRegion chunk = {ZARRKIT_REGION_KIND_CHUNK, 2, edge, NULL, NULL, NULL};
    OK(zarrkit_array_region_size(a, &chunk, &n, &bytes));
    EXPECT(n == 12, "chunk elements %llu", (unsigned long long)n);
    uint16_t c[12];
    OK(zarrkit_array_read(a, &chunk, c, sizeof c));
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            uint16_t want = (8 + i < 10 && 6 + j < 7) ? all[(8 + i) * 7 + 6 + j] : 7;
            EXPECT(c[i * 3 + j] == want, "edge chunk element %d,%d = %u, want %u", i, j,
                   c[i * 3 + j], want);
        }

    /* A chunk subset write, then read of the same region of the chunk. */
    uint64_t one[2] = {1, 1}, cst[2] = {1, 0}, csh[2] = {2, 2};
    ZarrkitRegion csub = {ZARRKIT_REGION_KIND_CHUNK_SUBSET, 2, one, cst, csh, NULL};
    uint16_t w[4] = {1000, 1001, 1002, 1003}, r[4] = {0};
    OK(zarrkit_array_write_elements(a, &csub, ZARRKIT_ELEMENT_TYPE_UINT16, w, 4));
    OK(zarrkit_array_read(a, &csub, r, sizeof r));
    EXPECT(memcmp(w, r, sizeof w) == 0, "chunk subset round trip");
    /* ... which lands at array rows 5..7, columns 3..5. */
    uint64_t ast[2] = {5, 3}, ash[2] = {2, 2};
    ZarrkitRegion asub = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, ast, ash, NULL};
    OK(zarrkit_array_read(a, &asub, r, sizeof r));
    EXPECT(memcmp(w, r, sizeof w) == 0, "chunk subset lands at the chunk origin + start");

    /* A box of chunks: chunks (0..2, 0..1) cover rows 0..8, columns 0..3. */
    uint64_t bst[2] = {0, 0}, bsh[2] = {2, 1};
    ZarrkitRegion box = {ZARRKIT_REGION_KIND_CHUNKS, 2, NULL, bst, bsh, NULL};
    OK(zarrkit_array_region_size(a, &box, &n, NULL));
    EXPECT(n == 24, "chunks box elements %llu", (unsigned long long)n);

    /* Erase chunk (0, 0): it reads as the fill value. */
    uint64_t zero[2] = {0, 0};
    OK(zarrkit_array_erase_chunk(a, zero, 2));
    ZarrkitRegion c0 = {ZARRKIT_REGION_KIND_CHUNK, 2, zero, NULL, NULL, NULL};
    OK(zarrkit_array_read(a, &c0, c, sizeof c));
    for (int i = 0; i < 12; i++) EXPECT(c[i] == 7, "erased chunk reads fill");

    /* Resize and attributes, persisted by store_metadata, seen by a new open. */
    uint64_t bigger[2] = {12, 9};
    OK(zarrkit_array_resize(a, bigger, 2));
    OK(zarrkit_array_set_attribute_json(a, "answer", "42"));
    OK(zarrkit_array_store_metadata(a));
    ZarrkitArray *again = NULL;
    OK(zarrkit_array_open(store, "/data", &again));
    OK(zarrkit_array_shape(again, s, 2));
    EXPECT(s[0] == 12 && s[1] == 9, "resized shape persisted");
    char attrs[128];
    OK(zarrkit_array_attributes_json(again, attrs, sizeof attrs, NULL));
    EXPECT(strcmp(attrs, "{\"units\":\"m\",\"answer\":42}") == 0, "attributes %s", attrs);
    OK(zarrkit_array_set_attributes_json(again, "{\"replaced\":[1,2]}"));
    OK(zarrkit_array_attributes_json(again, attrs, sizeof attrs, NULL));
    EXPECT(strcmp(attrs, "{\"replaced\":[1,2]}") == 0, "attributes %s", attrs);

    /* Destroy order does not matter: the store first, the arrays still work. */
    OK(zarrkit_store_destroy(store));
    OK(zarrkit_array_read(again, &sub, part, sizeof part));
    OK(zarrkit_array_destroy(again));
    OK(zarrkit_array_destroy(a));
}

/* A sharded array: inner chunk geometry and inner-chunk reads. */
static void test_sharded(void) {
    ZarrkitStore *store = NULL;
    OK(zarrkit_store_open_url("memory://", &store));
    uint64_t shape[2] = {8, 8}, shard[2] = {4, 8}, inner[2] = {2, 2};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(2, shape, shard, "float32", "0.0", &b));
    OK(zarrkit_array_builder_set_sharding(
        b, 2, inner,
        "[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"gzip\","
        "\"configuration\":{\"level\":1}}]"));
    ZarrkitArray *a = NULL;
    OK(zarrkit_array_builder_build(b, store, "/sharded", &a));
    OK(zarrkit_array_builder_destroy(b));
    bool sharded = false;
    OK(zarrkit_array_is_sharded(a, &sharded));
    EXPECT(sharded, "sharded");
    uint64_t ishape[2], igrid[2];
    OK(zarrkit_array_inner_chunk_shape(a, ishape, 2));
    EXPECT(ishape[0] == 2 && ishape[1] == 2, "inner shape");
    OK(zarrkit_array_inner_chunk_grid_shape(a, igrid, 2));
    EXPECT(igrid[0] == 4 && igrid[1] == 4, "inner grid");

    float v[64];
    for (int i = 0; i < 64; i++) v[i] = (float)i * 0.5f;
    uint64_t z[2] = {0, 0};
    ZarrkitRegion all = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, z, shape, NULL};
    OK(zarrkit_array_write_elements(a, &all, ZARRKIT_ELEMENT_TYPE_FLOAT32, v, 64));

    uint64_t ic[2] = {3, 1};
    ZarrkitRegion innerc = {ZARRKIT_REGION_KIND_INNER_CHUNK, 2, ic, NULL, NULL, NULL};
    float got[4];
    OK(zarrkit_array_read_elements(a, &innerc, ZARRKIT_ELEMENT_TYPE_FLOAT32, got, 4));
    EXPECT(got[0] == v[6 * 8 + 2] && got[1] == v[6 * 8 + 3] && got[2] == v[7 * 8 + 2] &&
               got[3] == v[7 * 8 + 3],
           "inner chunk (3, 1)");
    uint64_t ist[2] = {1, 1}, ish[2] = {2, 3};
    ZarrkitRegion inners = {ZARRKIT_REGION_KIND_INNER_CHUNKS, 2, NULL, ist, ish, NULL};
    float box[24];
    OK(zarrkit_array_read(a, &inners, box, sizeof box));
    EXPECT(box[0] == v[2 * 8 + 2] && box[23] == v[5 * 8 + 7], "inner chunk box");

    /* Reopen: the sharding codec comes back from the stored metadata. */
    ZarrkitArray *again = NULL;
    OK(zarrkit_array_open(store, "/sharded", &again));
    OK(zarrkit_array_read(again, &innerc, got, sizeof got));
    EXPECT(got[3] == v[7 * 8 + 3], "reopened inner chunk");
    OK(zarrkit_array_destroy(again));
    OK(zarrkit_array_destroy(a));
    OK(zarrkit_store_destroy(store));
}

/* Strings through offsets + bytes. */
static void test_strings(void) {
    ZarrkitStore *store = NULL;
    OK(zarrkit_store_open_json("{\"scheme\": \"memory\"}", &store));
    uint64_t shape[1] = {5}, chunk[1] = {2};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(1, shape, chunk, "string", "\"\"", &b));
    OK(zarrkit_array_builder_set_codecs_json(b, "[{\"name\":\"vlen-utf8\"}]"));
    ZarrkitArray *a = NULL;
    OK(zarrkit_array_builder_build(b, store, "/s", &a));
    OK(zarrkit_array_builder_destroy(b));
    size_t esize = 99;
    OK(zarrkit_array_element_size(a, &esize));
    EXPECT(esize == 0, "variable element size is 0");
    ZarrkitElementType et = 0;
    OK(zarrkit_array_element_type(a, &et));
    EXPECT(et == ZARRKIT_ELEMENT_TYPE_STRING, "string element type");

    const char text[] = "ab" "" "héllo" "x" "zz"; /* five strings, one empty */
    uint64_t offsets[6] = {0, 2, 2, 8, 9, 11};
    uint64_t s0[1] = {0};
    ZarrkitRegion all = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, s0, shape, NULL};
    OK(zarrkit_array_write_variable(a, &all, offsets, 6, (const uint8_t *)text, 11));

    uint64_t s1[1] = {1}, n3[1] = {3};
    ZarrkitRegion mid = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, s1, n3, NULL};
    ZarrkitVariableData *d = NULL;
    OK(zarrkit_array_read_variable(a, &mid, &d));
    size_t count = 0, nbytes = 0;
    OK(zarrkit_variable_data_size(d, &count, &nbytes));
    EXPECT(count == 3 && nbytes == 7, "sizes %zu %zu", count, nbytes);
    uint64_t *o = malloc((count + 1) * sizeof *o);
    uint8_t *bytes = malloc(nbytes);
    OK(zarrkit_variable_data_copy(d, o, count + 1, bytes, nbytes));
    EXPECT(o[0] == 0 && o[1] == 0 && o[2] == 6 && o[3] == 7, "offsets");
    EXPECT(memcmp(bytes, "héllox", 7) == 0, "bytes");
    free(o);
    free(bytes);
    OK(zarrkit_variable_data_destroy(d));

    /* A whole chunk of strings. */
    uint64_t c2[1] = {2};
    ZarrkitRegion last = {ZARRKIT_REGION_KIND_CHUNK, 1, c2, NULL, NULL, NULL};
    OK(zarrkit_array_read_variable(a, &last, &d));
    OK(zarrkit_variable_data_size(d, &count, &nbytes));
    EXPECT(count == 2 && nbytes == 2, "edge chunk of strings: %zu %zu", count, nbytes);
    OK(zarrkit_variable_data_destroy(d));
    OK(zarrkit_array_destroy(a));
    OK(zarrkit_store_destroy(store));
}

/* V2 arrays from .zarray JSON, and on the filesystem through a URL. */
static void test_v2_and_filesystem(void) {
    char url[1200];
    snprintf(url, sizeof url, "file://%s/v2.zarr", dir);
    ZarrkitStore *store = NULL;
    OK(zarrkit_store_open_url(url, &store));
    const char *zarray =
        "{\"zarr_format\":2,\"shape\":[6],\"chunks\":[4],\"dtype\":\"<i4\",\"compressor\":"
        "{\"id\":\"zlib\",\"level\":1},\"fill_value\":-1,\"order\":\"C\",\"filters\":null}";
    ZarrkitArray *a = NULL;
    OK(zarrkit_array_create_json(store, "/x", zarray, &a));
    int32_t v[6] = {1, -2, 3, -4, 5, -6};
    uint64_t z[1] = {0}, sh[1] = {6};
    ZarrkitRegion all = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, z, sh, NULL};
    OK(zarrkit_array_write_elements(a, &all, ZARRKIT_ELEMENT_TYPE_INT32, v, 6));
    OK(zarrkit_array_set_attributes_json(a, "{\"v2\":true}"));
    OK(zarrkit_array_store_metadata(a));
    OK(zarrkit_array_destroy(a));
    OK(zarrkit_store_destroy(store));

    /* Reopen through the JSON configuration form of the same store. */
    char config[1300];
    snprintf(config, sizeof config, "{\"scheme\":\"file\",\"path\":\"%s/v2.zarr\"}", dir);
    OK(zarrkit_store_open_json(config, &store));
    ZarrkitNodeKind kind = ZARRKIT_NODE_KIND_NONE;
    OK(zarrkit_store_node_kind(store, "/x", &kind));
    EXPECT(kind == ZARRKIT_NODE_KIND_ARRAY, "node kind %d", kind);
    OK(zarrkit_store_node_kind(store, "/nothing", &kind));
    EXPECT(kind == ZARRKIT_NODE_KIND_NONE, "no node");
    OK(zarrkit_array_open(store, "/x", &a));
    uint32_t format = 0;
    OK(zarrkit_array_zarr_format(a, &format));
    EXPECT(format == 2, "V2");
    char dtype[32];
    OK(zarrkit_array_data_type(a, dtype, sizeof dtype, NULL));
    EXPECT(strcmp(dtype, "int32") == 0, "V2 dtype reads as %s", dtype);
    int32_t back[6];
    OK(zarrkit_array_read_elements(a, &all, ZARRKIT_ELEMENT_TYPE_INT32, back, 6));
    EXPECT(memcmp(v, back, sizeof v) == 0, "V2 round trip");
    char attrs[64];
    OK(zarrkit_array_attributes_json(a, attrs, sizeof attrs, NULL));
    EXPECT(strcmp(attrs, "{\"v2\":true}") == 0, "V2 attributes %s", attrs);
    OK(zarrkit_array_destroy(a));
    OK(zarrkit_store_destroy(store));
}

/* Groups: create, attributes, children, consolidated metadata. */
static void test_groups(void) {
    char url[1200];
    snprintf(url, sizeof url, "%s/tree.zarr", dir); /* a plain path works too */
    ZarrkitStore *store = NULL;
    OK(zarrkit_store_open_url(url, &store));
    ZarrkitGroup *root = NULL, *sub = NULL;
    OK(zarrkit_group_create(store, "/", 3, "{\"title\":\"root\"}", &root));
    OK(zarrkit_group_create(store, "/sub", 3, NULL, &sub));
    uint64_t shape[1] = {4}, chunk[1] = {4};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(1, shape, chunk, "int8", "0", &b));
    ZarrkitArray *a1 = NULL, *a2 = NULL;
    OK(zarrkit_array_builder_build(b, store, "/b_array", &a1));
    OK(zarrkit_array_builder_build(b, store, "/sub/deep", &a2));
    OK(zarrkit_array_builder_destroy(b));
    OK(zarrkit_group_destroy(sub));
    int8_t v[4] = {1, 2, 3, 4};
    uint64_t z[1] = {0};
    ZarrkitRegion all = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, z, shape, NULL};
    OK(zarrkit_array_write(a2, &all, v, 4));

    ZarrkitNodeList *list = NULL;
    OK(zarrkit_group_children(root, &list));
    size_t count = 0;
    OK(zarrkit_node_list_count(list, &count));
    EXPECT(count == 2, "children %zu", count);
    char name[64];
    ZarrkitNodeKind kind;
    OK(zarrkit_node_list_name(list, 0, name, sizeof name, NULL));
    OK(zarrkit_node_list_kind(list, 0, &kind));
    EXPECT(strcmp(name, "b_array") == 0 && kind == ZARRKIT_NODE_KIND_ARRAY, "child 0 %s %d",
           name, kind);
    OK(zarrkit_node_list_name(list, 1, name, sizeof name, NULL));
    OK(zarrkit_node_list_kind(list, 1, &kind));
    EXPECT(strcmp(name, "sub") == 0 && kind == ZARRKIT_NODE_KIND_GROUP, "child 1 %s %d", name,
           kind);
    FAILS(ZARRKIT_STATUS_OUT_OF_BOUNDS, zarrkit_node_list_kind(list, 2, &kind));
    OK(zarrkit_node_list_destroy(list));

    OK(zarrkit_group_set_attribute_json(root, "version", "2"));
    OK(zarrkit_group_store_metadata(root));
    size_t nodes = 0;
    OK(zarrkit_group_consolidate_metadata(root, &nodes));
    EXPECT(nodes == 3, "consolidated %zu nodes", nodes);
    bool uses = false;
    OK(zarrkit_group_uses_consolidated_metadata(root, &uses));
    EXPECT(uses, "the handle uses consolidated metadata");

    /* A fresh open uses it; a descendant opens through it. */
    ZarrkitGroup *reopened = NULL;
    OK(zarrkit_group_open(store, "/", &reopened));
    OK(zarrkit_group_uses_consolidated_metadata(reopened, &uses));
    EXPECT(uses, "reopened group uses consolidated metadata");
    char attrs[128];
    OK(zarrkit_group_attributes_json(reopened, attrs, sizeof attrs, NULL));
    EXPECT(strcmp(attrs, "{\"title\":\"root\",\"version\":2}") == 0, "group attributes %s",
           attrs);
    ZarrkitArray *deep = NULL;
    OK(zarrkit_group_open_array(reopened, "sub/deep", &deep));
    int8_t back[4];
    OK(zarrkit_array_read(deep, &all, back, 4));
    EXPECT(memcmp(v, back, 4) == 0, "descendant through consolidated metadata");
    ZarrkitGroup *g2 = NULL;
    OK(zarrkit_group_open_group(reopened, "sub", &g2));
    FAILS(ZARRKIT_STATUS_NODE_KIND, zarrkit_group_open_group(reopened, "b_array", &sub));
    EXPECT(sub == NULL, "out handle NULL on failure");

    /* A V2 group. */
    ZarrkitGroup *v2 = NULL;
    OK(zarrkit_group_create(store, "/v2group", 2, "{\"a\":1}", &v2));
    uint32_t format = 0;
    OK(zarrkit_group_zarr_format(v2, &format));
    EXPECT(format == 2, "V2 group");
    OK(zarrkit_store_node_kind(store, "/v2group", &kind));
    EXPECT(kind == ZARRKIT_NODE_KIND_GROUP, "V2 group kind");

    OK(zarrkit_group_destroy(v2));
    OK(zarrkit_group_destroy(g2));
    OK(zarrkit_array_destroy(deep));
    OK(zarrkit_group_destroy(reopened));
    OK(zarrkit_array_destroy(a1));
    OK(zarrkit_array_destroy(a2));
    OK(zarrkit_group_destroy(root));
    OK(zarrkit_store_destroy(store));
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: api DIR\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    test_versions();
    test_array_roundtrip();
    test_sharded();
    test_strings();
    test_v2_and_filesystem();
    test_groups();
    EXPECT(zarrkit_live_handle_count() == 0, "%zu handles leaked", zarrkit_live_handle_count());
    return check_report("api");
}
