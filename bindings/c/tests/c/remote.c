/* Remote and archive stores through the C API: a hierarchy written to the filesystem is
 * read back over HTTP (a server on 127.0.0.1 started by the Rust test, serving DIR) and from
 * zip archives written by zarrkit_store_write_zip (zip+file:// and zip+http://).
 *
 *   remote DIR BASE_URL      (BASE_URL serves DIR, e.g. http://127.0.0.1:PORT) */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

static char dir[1024], base[256];

/* The root group's attributes: an OME-Zarr version, which an .ozx archive needs. */
#define ROOT_ATTRS "{\"origin\":\"remote.c\",\"ome\":{\"version\":\"0.5\"}}"

static int16_t value(int i, int j) { return (int16_t)(i * 10 - j); }

/* Write the hierarchy: a group with consolidated metadata, a gzip array, a sharded
 * array and a string array. */
static void write_hierarchy(void) {
    char url[1400];
    snprintf(url, sizeof url, "file://%s/remote.zarr", dir);
    ZarrkitStore *store = NULL;
    OK(zarrkit_store_open_url(url, &store));
    ZarrkitGroup *root = NULL;
    OK(zarrkit_group_create(store, "/", 3, ROOT_ATTRS, &root));

    uint64_t shape[2] = {20, 10}, chunks[2] = {8, 4};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(2, shape, chunks, "int16", "0", &b));
    OK(zarrkit_array_builder_set_codecs_json(
        b, "[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
           "{\"name\":\"gzip\",\"configuration\":{\"level\":5}}]"));
    ZarrkitArray *data = NULL;
    OK(zarrkit_array_builder_build(b, store, "/data", &data));
    OK(zarrkit_array_builder_destroy(b));
    int16_t all[200];
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 10; j++) all[i * 10 + j] = value(i, j);
    uint64_t z[2] = {0, 0};
    ZarrkitRegion whole = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, z, shape, NULL};
    OK(zarrkit_array_write(data, &whole, all, sizeof all));

    uint64_t sshape[1] = {64}, shard[1] = {32}, inner[1] = {8};
    OK(zarrkit_array_builder_create(1, sshape, shard, "uint32", "0", &b));
    OK(zarrkit_array_builder_set_sharding(b, 1, inner, NULL));
    ZarrkitArray *sharded = NULL;
    OK(zarrkit_array_builder_build(b, store, "/sharded", &sharded));
    OK(zarrkit_array_builder_destroy(b));
    uint32_t sv[64];
    for (int i = 0; i < 64; i++) sv[i] = (uint32_t)(i * i);
    uint64_t z1[1] = {0};
    ZarrkitRegion sall = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, z1, sshape, NULL};
    OK(zarrkit_array_write(sharded, &sall, sv, sizeof sv));

    uint64_t n3[1] = {3};
    OK(zarrkit_array_builder_create(1, n3, n3, "string", "\"\"", &b));
    OK(zarrkit_array_builder_set_codecs_json(b, "[\"vlen-utf8\"]"));
    ZarrkitArray *names = NULL;
    OK(zarrkit_array_builder_build(b, store, "/names", &names));
    OK(zarrkit_array_builder_destroy(b));
    uint64_t offsets[4] = {0, 3, 6, 11};
    ZarrkitRegion nall = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, z1, n3, NULL};
    OK(zarrkit_array_write_variable(names, &nall, offsets, 4, (const uint8_t *)"onetwothree", 11));

    size_t nodes = 0;
    OK(zarrkit_group_consolidate_metadata(root, &nodes));
    EXPECT(nodes == 3, "consolidated %zu nodes", nodes);

    /* Two zip archives of the hierarchy in DIR: plain and OME-Zarr (.ozx) layout. */
    ZarrkitStore *parent = NULL;
    OK(zarrkit_store_open_url(dir, &parent));
    size_t entries = 0;
    OK(zarrkit_store_write_zip(store, parent, "remote.zip", false, &entries));
    EXPECT(entries >= 8, "zip entries %zu", entries);
    OK(zarrkit_store_write_zip(store, parent, "remote.ozx", true, NULL));
    FAILS(ZARRKIT_STATUS_INVALID_ARGUMENT, zarrkit_store_write_zip(store, parent, "/bad/", false, NULL));
    /* An .ozx archive of a hierarchy that is not OME-Zarr is refused. */
    ZarrkitStore *plain = NULL;
    ZarrkitGroup *g = NULL;
    OK(zarrkit_store_create_memory(&plain));
    OK(zarrkit_group_create(plain, "/", 3, NULL, &g));
    FAILS(ZARRKIT_STATUS_STORAGE, zarrkit_store_write_zip(plain, parent, "plain.ozx", true, NULL));
    MESSAGE_HAS("ome");
    OK(zarrkit_group_destroy(g));
    OK(zarrkit_store_destroy(plain));
    OK(zarrkit_store_destroy(parent));

    OK(zarrkit_array_destroy(names));
    OK(zarrkit_array_destroy(sharded));
    OK(zarrkit_array_destroy(data));
    OK(zarrkit_group_destroy(root));
    OK(zarrkit_store_destroy(store));
}

/* Read the hierarchy back from a store (HTTP or zip): through the group's consolidated
 * metadata (no listing needed), a subset, an inner chunk, strings. */
static void read_back(ZarrkitStore *store, const char *what) {
    ZarrkitGroup *root = NULL;
    OK(zarrkit_group_open(store, "/", &root));
    if (!root) {
        FAIL("%s: no root group", what);
        return;
    }
    bool uses = false;
    OK(zarrkit_group_uses_consolidated_metadata(root, &uses));
    EXPECT(uses, "%s: consolidated metadata", what);
    char attrs[128];
    OK(zarrkit_group_attributes_json(root, attrs, sizeof attrs, NULL));
    EXPECT(strcmp(attrs, ROOT_ATTRS) == 0, "%s: attributes %s", what, attrs);
    ZarrkitNodeList *list = NULL;
    OK(zarrkit_group_children(root, &list));
    size_t count = 0;
    OK(zarrkit_node_list_count(list, &count));
    EXPECT(count == 3, "%s: %zu children", what, count);
    OK(zarrkit_node_list_destroy(list));

    ZarrkitArray *data = NULL;
    OK(zarrkit_group_open_array(root, "data", &data));
    uint64_t st[2] = {5, 2}, sh[2] = {10, 7};
    ZarrkitRegion sub = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, st, sh, NULL};
    int16_t got[70];
    OK(zarrkit_array_read_elements(data, &sub, ZARRKIT_ELEMENT_TYPE_INT16, got, 70));
    int bad = 0;
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 7; j++) bad += got[i * 7 + j] != value(5 + i, 2 + j);
    EXPECT(bad == 0, "%s: %d wrong elements in the subset", what, bad);
    /* Read-only stores refuse writes with an error. */
    ZarrkitStatus st_w = zarrkit_array_write(data, &sub, got, sizeof got);
    EXPECT(st_w == ZARRKIT_STATUS_UNSUPPORTED || st_w == ZARRKIT_STATUS_STORAGE,
           "%s: a write is refused (%s)", what, zarrkit_status_name(st_w));
    OK(zarrkit_array_destroy(data));

    ZarrkitArray *sharded = NULL;
    OK(zarrkit_array_open(store, "/sharded", &sharded));
    uint64_t ic[1] = {5};
    ZarrkitRegion inner = {ZARRKIT_REGION_KIND_INNER_CHUNK, 1, ic, NULL, NULL, NULL};
    uint32_t iv[8];
    OK(zarrkit_array_read(sharded, &inner, iv, sizeof iv));
    EXPECT(iv[0] == 40 * 40 && iv[7] == 47 * 47, "%s: inner chunk 5", what);
    OK(zarrkit_array_destroy(sharded));

    ZarrkitArray *names = NULL;
    OK(zarrkit_group_open_array(root, "names", &names));
    uint64_t c0[1] = {0};
    ZarrkitRegion ch = {ZARRKIT_REGION_KIND_CHUNK, 1, c0, NULL, NULL, NULL};
    ZarrkitVariableData *d = NULL;
    OK(zarrkit_array_read_variable(names, &ch, &d));
    size_t n = 0, nbytes = 0;
    OK(zarrkit_variable_data_size(d, &n, &nbytes));
    EXPECT(n == 3 && nbytes == 11, "%s: strings %zu %zu", what, n, nbytes);
    OK(zarrkit_variable_data_destroy(d));
    OK(zarrkit_array_destroy(names));

    ZarrkitArray *missing = NULL;
    FAILS(ZARRKIT_STATUS_NOT_FOUND, zarrkit_array_open(store, "/missing", &missing));
    PATH_IS("/missing");
    OK(zarrkit_group_destroy(root));
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: remote DIR BASE_URL\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    snprintf(base, sizeof base, "%s", argv[2]);
    write_hierarchy();

    char url[1400];
    ZarrkitStore *store = NULL;
    snprintf(url, sizeof url, "%s/remote.zarr", base);
    OK(zarrkit_store_open_url(url, &store));
    read_back(store, "http");
    OK(zarrkit_store_destroy(store));

    /* The JSON configuration form, and zip archives locally and over HTTP. */
    char config[1500];
    snprintf(config, sizeof config, "{\"url\": \"%s/remote.zarr\"}", base);
    OK(zarrkit_store_open_json(config, &store));
    read_back(store, "http (JSON configuration)");
    OK(zarrkit_store_destroy(store));

    snprintf(url, sizeof url, "zip+file://%s/remote.zip", dir);
    OK(zarrkit_store_open_url(url, &store));
    read_back(store, "zip+file");
    OK(zarrkit_store_destroy(store));

    snprintf(url, sizeof url, "zip+%s/remote.ozx", base);
    OK(zarrkit_store_open_url(url, &store));
    read_back(store, "zip+http (.ozx)");
    OK(zarrkit_store_destroy(store));

    /* A server path that does not exist: opening works (HTTP has no directories), and
     * there is no node. */
    snprintf(url, sizeof url, "%s/nothing.zarr", base);
    OK(zarrkit_store_open_url(url, &store));
    ZarrkitNodeKind kind = ZARRKIT_NODE_KIND_ARRAY;
    OK(zarrkit_store_node_kind(store, "/", &kind));
    EXPECT(kind == ZARRKIT_NODE_KIND_NONE, "no node at %s", url);
    OK(zarrkit_store_destroy(store));

    EXPECT(zarrkit_live_handle_count() == 0, "%zu handles leaked", zarrkit_live_handle_count());
    return check_report("remote");
}
