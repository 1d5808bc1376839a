/* Test helpers for the C test programs (compiled by tests/c_api.rs). */
#ifndef ZARRKIT_TEST_CHECK_H
#define ZARRKIT_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zarrkit.h"

static int check_failures = 0;
static int check_passes = 0;

/* The calling thread's last error message (a static buffer per call site is enough here). */
static const char *last_message(void) {
    static _Thread_local char buf[4096];
    size_t required = 0;
    if (zarrkit_last_error_message(buf, sizeof buf, &required) != ZARRKIT_STATUS_OK) {
        snprintf(buf, sizeof buf, "(message of %zu bytes does not fit)", required);
    }
    return buf;
}

static const char *last_path(void) {
    static _Thread_local char buf[4096];
    size_t required = 0;
    if (zarrkit_last_error_path(buf, sizeof buf, &required) != ZARRKIT_STATUS_OK) {
        snprintf(buf, sizeof buf, "(path of %zu bytes does not fit)", required);
    }
    return buf;
}

#define FAIL(...)                                                                      \
    do {                                                                               \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                \
        fprintf(stderr, __VA_ARGS__);                                                  \
        fprintf(stderr, "\n");                                                         \
        check_failures++;                                                              \
    } while (0)

/* A call that must succeed. */
#define OK(call)                                                                       \
    do {                                                                               \
        ZarrkitStatus st_ = (call);                                                    \
        if (st_ != ZARRKIT_STATUS_OK) {                                                \
            FAIL("%s -> %s: %s [path %s]", #call, zarrkit_status_name(st_),            \
                 last_message(), last_path());                                         \
        } else {                                                                       \
            check_passes++;                                                            \
        }                                                                              \
    } while (0)

/* A call that must fail with `expected`, with the same code as the thread's last error. */
#define FAILS(expected, call)                                                          \
    do {                                                                               \
        ZarrkitStatus st_ = (call);                                                    \
        if (st_ != (expected)) {                                                       \
            FAIL("%s -> %s, expected %s (%s)", #call, zarrkit_status_name(st_),        \
                 zarrkit_status_name(expected), last_message());                       \
        } else if (zarrkit_last_error_code() != (expected)) {                          \
            FAIL("%s: last error code %s, expected %s", #call,                         \
                 zarrkit_status_name(zarrkit_last_error_code()),                       \
                 zarrkit_status_name(expected));                                       \
        } else {                                                                       \
            check_passes++;                                                            \
        }                                                                              \
    } while (0)

#define EXPECT(cond, ...)                                                              \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            FAIL("expected %s: ", #cond);                                              \
            fprintf(stderr, __VA_ARGS__);                                              \
            fprintf(stderr, "\n");                                                     \
        } else {                                                                       \
            check_passes++;                                                            \
        }                                                                              \
    } while (0)

/* The last error message contains `needle`. */
#define MESSAGE_HAS(needle)                                                            \
    EXPECT(strstr(last_message(), (needle)) != NULL, "message %s lacks %s",            \
           last_message(), (needle))

/* The last error path equals `expected`. */
#define PATH_IS(expected)                                                              \
    EXPECT(strcmp(last_path(), (expected)) == 0, "path %s, expected %s", last_path(),  \
           (expected))

/* The closing line the Rust test reads, and the exit status. */
static int check_report(const char *name) {
    printf("%s: %d passed, %d failed\n", name, check_passes, check_failures);
    return check_failures == 0 ? 0 : 1;
}

#endif
