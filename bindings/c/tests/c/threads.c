/* Concurrency: several C threads read one array handle at once (and write disjoint parts of
 * one chunk), each provoking and checking its own last error between a barrier; a handle
 * destroyed while other threads use it. Also runs under AddressSanitizer. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define THREADS 6
#define ITERATIONS 40
#define N 48  /* shape N x N */
#define C 8   /* chunks C x C */

static ZarrkitArray *array;
static ZarrkitArray *doomed; /* destroyed while the threads read it */
static pthread_barrier_t barrier;
static atomic_int failures;
static atomic_int doomed_ok, doomed_invalid;

static int32_t value(uint64_t i, uint64_t j) { return (int32_t)(i * 1000 + j); }

#define TFAIL(...)                                                                     \
    do {                                                                               \
        fprintf(stderr, "thread %d: ", id);                                            \
        fprintf(stderr, __VA_ARGS__);                                                  \
        fprintf(stderr, " (%s)\n", last_message());                                    \
        atomic_fetch_add(&failures, 1);                                                \
    } while (0)

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    int32_t buf[C * C];
    for (int it = 0; it < ITERATIONS; it++) {
        /* A region crossing chunk boundaries, different per thread and iteration. */
        uint64_t start[2] = {(uint64_t)((id * 7 + it * 3) % (N - 10)),
                             (uint64_t)((id * 5 + it * 11) % (N - 6))};
        uint64_t shape[2] = {10, 6};
        ZarrkitRegion r = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, start, shape, NULL};
        int32_t out[60];
        if (zarrkit_array_read_elements(array, &r, ZARRKIT_ELEMENT_TYPE_INT32, out, 60) !=
            ZARRKIT_STATUS_OK) {
            TFAIL("read of a subset failed");
            continue;
        }
        for (uint64_t i = 0; i < 10; i++)
            for (uint64_t j = 0; j < 6; j++)
                if (out[i * 6 + j] != value(start[0] + i, start[1] + j)) {
                    TFAIL("wrong element at %llu,%llu", (unsigned long long)(start[0] + i),
                          (unsigned long long)(start[1] + j));
                    i = 10;
                    break;
                }
        uint64_t chunk[2] = {(uint64_t)(it % (N / C)), (uint64_t)(id % (N / C))};
        ZarrkitRegion cr = {ZARRKIT_REGION_KIND_CHUNK, 2, chunk, NULL, NULL, NULL};
        if (zarrkit_array_read(array, &cr, buf, sizeof buf) != ZARRKIT_STATUS_OK)
            TFAIL("read of a chunk failed");
        else if (buf[C * C - 1] != value(chunk[0] * C + C - 1, chunk[1] * C + C - 1))
            TFAIL("wrong chunk element");
    }

    /* Every thread sets its own error, waits for all others to set theirs, then checks
     * that its last error is still its own. */
    uint64_t bad[2] = {100 + (uint64_t)id, 0};
    ZarrkitRegion br = {ZARRKIT_REGION_KIND_CHUNK, 2, bad, NULL, NULL, NULL};
    ZarrkitStatus st = zarrkit_array_read(array, &br, buf, sizeof buf);
    pthread_barrier_wait(&barrier);
    char want[64];
    snprintf(want, sizeof want, "[%d, 0]", 100 + id);
    if (st != ZARRKIT_STATUS_OUT_OF_BOUNDS || zarrkit_last_error_code() != st)
        TFAIL("expected OUT_OF_BOUNDS, got %s", zarrkit_status_name(st));
    if (strstr(last_message(), want) == NULL) TFAIL("last error is not this thread's (%s)", want);
    /* A different error kind per thread parity, checked the same way. */
    if (id % 2) {
        st = zarrkit_array_read(array, NULL, buf, sizeof buf);
    } else {
        st = zarrkit_array_read(array, &br, buf, 1);
    }
    pthread_barrier_wait(&barrier);
    ZarrkitStatus expected = id % 2 ? ZARRKIT_STATUS_NULL_POINTER : ZARRKIT_STATUS_OUT_OF_BOUNDS;
    if (st != expected || zarrkit_last_error_code() != expected)
        TFAIL("expected %s, got %s / %s", zarrkit_status_name(expected), zarrkit_status_name(st),
              zarrkit_status_name(zarrkit_last_error_code()));

    /* Concurrent partial writes of one chunk: each thread writes its own row of chunk
     * (0, 0) (read-modify-write under the chunk's lock: no row may be lost). */
    uint64_t row_start[2] = {(uint64_t)id, 0}, row_shape[2] = {1, C};
    ZarrkitRegion row = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, row_start, row_shape, NULL};
    int32_t vals[C];
    for (int j = 0; j < C; j++) vals[j] = -(id * 100 + j) - 1;
    if (zarrkit_array_write_elements(array, &row, ZARRKIT_ELEMENT_TYPE_INT32, vals, C) !=
        ZARRKIT_STATUS_OK)
        TFAIL("row write failed");

    /* Read the doomed handle until it is destroyed under us: each call either succeeds
     * with the right data or reports INVALID_HANDLE. */
    pthread_barrier_wait(&barrier);
    for (long it = 0; it < 10000000; it++) {
        uint64_t chunk[2] = {1, 1};
        ZarrkitRegion cr = {ZARRKIT_REGION_KIND_CHUNK, 2, chunk, NULL, NULL, NULL};
        st = zarrkit_array_read(doomed, &cr, buf, sizeof buf);
        if (st == ZARRKIT_STATUS_OK) {
            atomic_fetch_add(&doomed_ok, 1);
            if (buf[0] != value(C, C)) TFAIL("wrong data from the doomed handle");
        } else if (st == ZARRKIT_STATUS_INVALID_HANDLE) {
            atomic_fetch_add(&doomed_invalid, 1);
            break;
        } else {
            TFAIL("doomed handle: %s", zarrkit_status_name(st));
            break;
        }
    }
    return NULL;
}

int main(void) {
    ZarrkitStore *store = NULL;
    OK(zarrkit_store_create_memory(&store));
    uint64_t shape[2] = {N, N}, chunks[2] = {C, C};
    ZarrkitArrayBuilder *b = NULL;
    OK(zarrkit_array_builder_create(2, shape, chunks, "int32", "0", &b));
    OK(zarrkit_array_builder_set_codecs_json(
        b, "[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
           "{\"name\":\"zstd\",\"configuration\":{\"level\":1,\"checksum\":false}}]"));
    OK(zarrkit_array_builder_build(b, store, "/t", &array));
    OK(zarrkit_array_builder_destroy(b));
    static int32_t data[N * N];
    for (uint64_t i = 0; i < N; i++)
        for (uint64_t j = 0; j < N; j++) data[i * N + j] = value(i, j);
    uint64_t z[2] = {0, 0};
    ZarrkitRegion all = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, z, shape, NULL};
    OK(zarrkit_array_write(array, &all, data, sizeof data));
    OK(zarrkit_array_open(store, "/t", &doomed));

    pthread_barrier_init(&barrier, NULL, THREADS + 1);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    /* The main thread takes part in the barriers; then destroys the doomed handle while
     * the workers read it. */
    pthread_barrier_wait(&barrier);
    pthread_barrier_wait(&barrier);
    pthread_barrier_wait(&barrier);
    OK(zarrkit_array_destroy(doomed));
    FAILS(ZARRKIT_STATUS_INVALID_HANDLE, zarrkit_array_destroy(doomed));
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    EXPECT(atomic_load(&failures) == 0, "%d failures in threads", atomic_load(&failures));
    EXPECT(atomic_load(&doomed_invalid) == THREADS, "every thread saw the destroyed handle (%d)",
           atomic_load(&doomed_invalid));
    printf("doomed handle: %d reads succeeded before the destroy\n", atomic_load(&doomed_ok));

    /* Every thread's row of chunk (0, 0) survived the concurrent read-modify-writes. */
    uint64_t c0[2] = {0, 0};
    ZarrkitRegion cr = {ZARRKIT_REGION_KIND_CHUNK, 2, c0, NULL, NULL, NULL};
    int32_t chunk[C * C];
    OK(zarrkit_array_read(array, &cr, chunk, sizeof chunk));
    for (int id = 0; id < THREADS; id++)
        for (int j = 0; j < C; j++)
            EXPECT(chunk[id * C + j] == -(id * 100 + j) - 1, "row %d element %d", id, j);
    for (int i = THREADS; i < C; i++)
        EXPECT(chunk[i * C] == value((uint64_t)i, 0), "untouched row %d", i);

    OK(zarrkit_array_destroy(array));
    OK(zarrkit_store_destroy(store));
    EXPECT(zarrkit_live_handle_count() == 0, "%zu handles leaked", zarrkit_live_handle_count());
    return check_report("threads");
}
