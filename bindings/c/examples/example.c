/* zarrkit from C: create a hierarchy on the filesystem, write and read back an array,
 * a sharded array read by inner chunk, strings, and a group listing.
 *
 *   example [DIR [BASE_URL]]
 *
 * DIR defaults to the current directory; the example writes DIR/example.zarr. With
 * BASE_URL, an HTTP server that serves DIR (`python3 -m http.server -d DIR`), it also reads
 * the hierarchy back over HTTP.
 *
 * Build with CMake (find_package(zarrkit), see CMakeLists.txt) or by hand:
 *   cc -std=c11 example.c -I PREFIX/include -L PREFIX/lib -lzarrkit_c -o example
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zarrkit.h"

/* Print the thread's last error and exit if `status` is not OK. */
static void check(ZarrkitStatus status, const char *what) {
    if (status == ZARRKIT_STATUS_OK) return;
    char message[1024] = "", path[256] = "";
    zarrkit_last_error_message(message, sizeof message, NULL);
    zarrkit_last_error_path(path, sizeof path, NULL);
    fprintf(stderr, "%s failed: %s: %s%s%s\n", what, zarrkit_status_name(status), message,
            path[0] ? " at " : "", path);
    exit(1);
}

int main(int argc, char **argv) {
    if (zarrkit_abi_version() != ZARRKIT_ABI_VERSION) {
        fprintf(stderr, "header ABI %d, library ABI %u\n", ZARRKIT_ABI_VERSION,
                zarrkit_abi_version());
        return 1;
    }
    char url[4096];
    snprintf(url, sizeof url, "file://%s/example.zarr", argc > 1 ? argv[1] : ".");

    ZarrkitStore *store;
    check(zarrkit_store_open_url(url, &store), "open store");
    ZarrkitGroup *root;
    check(zarrkit_group_create(store, "/", 3, "{\"description\": \"zarrkit C example\"}", &root),
          "create group");

    /* A 6 x 8 float64 array in 3 x 4 chunks, zstd-compressed. */
    uint64_t shape[2] = {6, 8}, chunks[2] = {3, 4};
    ZarrkitArrayBuilder *builder;
    check(zarrkit_array_builder_create(2, shape, chunks, "float64", "0.0", &builder), "builder");
    check(zarrkit_array_builder_set_codecs_json(
              builder, "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}},"
                       " {\"name\": \"zstd\", \"configuration\": {\"level\": 3, \"checksum\": false}}]"),
          "codecs");
    const char *dims[2] = {"y", "x"};
    check(zarrkit_array_builder_set_dimension_names(builder, dims, 2), "dimension names");
    ZarrkitArray *temps;
    check(zarrkit_array_builder_build(builder, store, "/temperature", &temps), "build");

    double values[48];
    for (int i = 0; i < 48; i++) values[i] = 20.0 + i * 0.25;
    uint64_t origin[2] = {0, 0};
    ZarrkitRegion all = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, origin, shape, NULL};
    check(zarrkit_array_write_elements(temps, &all, ZARRKIT_ELEMENT_TYPE_FLOAT64, values, 48),
          "write");

    /* Read back rows 2..4, columns 3..6: ask for the size, allocate, read. */
    uint64_t start[2] = {2, 3}, size[2] = {2, 3};
    ZarrkitRegion part = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, start, size, NULL};
    size_t nbytes;
    check(zarrkit_array_region_size(temps, &part, NULL, &nbytes), "region size");
    double *back = malloc(nbytes);
    check(zarrkit_array_read(temps, &part, back, nbytes), "read");
    printf("temperature[2:4, 3:6] =");
    for (size_t i = 0; i < nbytes / sizeof(double); i++) printf(" %.2f", back[i]);
    printf("\n");
    if (back[0] != values[2 * 8 + 3] || back[5] != values[3 * 8 + 5]) {
        fprintf(stderr, "read back wrong values\n");
        return 1;
    }
    free(back);

    /* An orthogonal selection: temperature.oindex[[5, 0], ::3] (rows 5 and 0, every third
     * column), 2 x 3 elements. */
    ZarrkitSelection *sel;
    check(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &sel), "selection");
    int64_t rows[2] = {5, 0};
    check(zarrkit_selection_push_array(sel, rows, 2), "selection rows");
    check(zarrkit_selection_push_slice(sel, 0, 0, 3, 0), "selection columns");
    ZarrkitRegion picked = {ZARRKIT_REGION_KIND_SELECTION, 0, NULL, NULL, NULL, sel};
    check(zarrkit_array_region_size(temps, &picked, NULL, &nbytes), "selection size");
    double picks[6];
    if (nbytes != sizeof picks) {
        fprintf(stderr, "selection of %zu bytes\n", nbytes);
        return 1;
    }
    check(zarrkit_array_read(temps, &picked, picks, sizeof picks), "read selection");
    printf("temperature.oindex[[5, 0], ::3] =");
    for (int i = 0; i < 6; i++) printf(" %.2f", picks[i]);
    printf("\n");
    if (picks[0] != values[5 * 8] || picks[5] != values[6]) {
        fprintf(stderr, "wrong selection values\n");
        return 1;
    }
    check(zarrkit_selection_destroy(sel), "destroy selection");

    /* A sharded array: 8 x 8 shards of 2 x 2 inner chunks; read one inner chunk. */
    uint64_t big[2] = {16, 16}, shard[2] = {8, 8}, inner[2] = {2, 2};
    ZarrkitArrayBuilder *sb;
    check(zarrkit_array_builder_create(2, big, shard, "uint8", "0", &sb), "sharded builder");
    check(zarrkit_array_builder_set_sharding(sb, 2, inner, NULL), "sharding");
    ZarrkitArray *mask;
    check(zarrkit_array_builder_build(sb, store, "/mask", &mask), "build sharded");
    uint8_t ones[256];
    for (int i = 0; i < 256; i++) ones[i] = (uint8_t)(i % 251);
    ZarrkitRegion whole = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, origin, big, NULL};
    check(zarrkit_array_write(mask, &whole, ones, sizeof ones), "write sharded");
    uint64_t which[2] = {5, 6};
    ZarrkitRegion one_inner = {ZARRKIT_REGION_KIND_INNER_CHUNK, 2, which, NULL, NULL, NULL};
    uint8_t got[4];
    check(zarrkit_array_read(mask, &one_inner, got, sizeof got), "read inner chunk");
    printf("mask inner chunk (5, 6) = %u %u %u %u\n", got[0], got[1], got[2], got[3]);
    if (got[0] != ones[10 * 16 + 12]) {
        fprintf(stderr, "wrong inner chunk\n");
        return 1;
    }

    /* Strings: offsets + bytes in, a size query and a copy out. */
    uint64_t n[1] = {3};
    ZarrkitArrayBuilder *tb;
    check(zarrkit_array_builder_create(1, n, n, "string", "\"\"", &tb), "string builder");
    check(zarrkit_array_builder_set_codecs_json(tb, "[\"vlen-utf8\"]"), "string codecs");
    ZarrkitArray *labels;
    check(zarrkit_array_builder_build(tb, store, "/labels", &labels), "build strings");
    const char text[] = "northeastsouth";
    uint64_t offsets[4] = {0, 5, 9, 14};
    uint64_t zero[1] = {0};
    ZarrkitRegion strings = {ZARRKIT_REGION_KIND_SUBSET, 1, NULL, zero, n, NULL};
    check(zarrkit_array_write_variable(labels, &strings, offsets, 4, (const uint8_t *)text, 14),
          "write strings");
    ZarrkitVariableData *data;
    check(zarrkit_array_read_variable(labels, &strings, &data), "read strings");
    size_t count, length;
    check(zarrkit_variable_data_size(data, &count, &length), "string sizes");
    uint64_t *o = malloc((count + 1) * sizeof *o);
    char *bytes = malloc(length);
    check(zarrkit_variable_data_copy(data, o, count + 1, (uint8_t *)bytes, length), "copy");
    for (size_t i = 0; i < count; i++)
        printf("labels[%zu] = %.*s\n", i, (int)(o[i + 1] - o[i]), bytes + o[i]);
    free(o);
    free(bytes);
    check(zarrkit_variable_data_destroy(data), "destroy data");

    /* Consolidate, then list the root's children from a fresh open. */
    size_t nodes;
    check(zarrkit_group_consolidate_metadata(root, &nodes), "consolidate");
    ZarrkitGroup *reopened;
    check(zarrkit_group_open(store, "/", &reopened), "open group");
    ZarrkitNodeList *children;
    check(zarrkit_group_children(reopened, &children), "children");
    size_t nchildren;
    check(zarrkit_node_list_count(children, &nchildren), "count");
    for (size_t i = 0; i < nchildren; i++) {
        char name[256];
        ZarrkitNodeKind kind;
        check(zarrkit_node_list_name(children, i, name, sizeof name, NULL), "name");
        check(zarrkit_node_list_kind(children, i, &kind), "kind");
        printf("child %s (%s)\n", name, kind == ZARRKIT_NODE_KIND_ARRAY ? "array" : "group");
    }
    if (nchildren != 3 || nodes != 3) {
        fprintf(stderr, "expected 3 children, listed %zu (consolidated %zu)\n", nchildren, nodes);
        return 1;
    }

    /* Remote: the same hierarchy over HTTP (read-only; the group lists its children from
     * the consolidated metadata, as HTTP cannot list). */
    if (argc > 2) {
        char http_url[4096];
        snprintf(http_url, sizeof http_url, "%s/example.zarr", argv[2]);
        ZarrkitStore *http;
        check(zarrkit_store_open_url(http_url, &http), "open HTTP store");
        ZarrkitGroup *remote_root;
        check(zarrkit_group_open(http, "/", &remote_root), "open remote group");
        ZarrkitArray *remote;
        check(zarrkit_group_open_array(remote_root, "temperature", &remote), "open remote array");
        double over_http[48];
        check(zarrkit_array_read_elements(remote, &all, ZARRKIT_ELEMENT_TYPE_FLOAT64, over_http, 48),
              "read over HTTP");
        if (memcmp(over_http, values, sizeof values) != 0) {
            fprintf(stderr, "the array read over HTTP differs\n");
            return 1;
        }
        printf("read temperature over HTTP from %s: identical\n", http_url);
        check(zarrkit_array_destroy(remote), "destroy remote array");
        check(zarrkit_group_destroy(remote_root), "destroy remote group");
        check(zarrkit_store_destroy(http), "destroy HTTP store");
    }

    /* Handles in any order: the store first. */
    check(zarrkit_store_destroy(store), "destroy store");
    check(zarrkit_node_list_destroy(children), "destroy list");
    check(zarrkit_group_destroy(reopened), "destroy group");
    check(zarrkit_group_destroy(root), "destroy root");
    check(zarrkit_array_destroy(labels), "destroy labels");
    check(zarrkit_array_destroy(mask), "destroy mask");
    check(zarrkit_array_destroy(temps), "destroy temperature");
    check(zarrkit_array_builder_destroy(tb), "destroy builder");
    check(zarrkit_array_builder_destroy(sb), "destroy builder");
    check(zarrkit_array_builder_destroy(builder), "destroy builder");
    if (zarrkit_live_handle_count() != 0) {
        fprintf(stderr, "%zu handles leaked\n", zarrkit_live_handle_count());
        return 1;
    }
    printf("example: ok\n");
    return 0;
}
