/*
 * test_leak.c - a program that creates a context, loads a model, creates a session, runs it
 * and destroys everything, over and over, must not grow: after 30 warm-up cycles (the
 * allocator's and the OpenCL runtime's own caches fill), 90 more cycles may add at most
 * 1 MiB to the resident set (the lowest of ten samples at each end). (CLBlast's process-wide program cache once kept 2.6 MB per
 * context.) Skipped under AddressSanitizer, whose quarantine holds freed memory on purpose;
 * LeakSanitizer covers that build.
 */
#include "testutil.h"

#include <limits.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) v = atol(line + 6);
    fclose(f);
    return v;
}

static void cycle(const char *model)
{
    clnn_graph *g = NULL;
    clnn_context *ctx = NULL;
    clnn_session *s = NULL;
    assert_int_equal(clnn_graph_load_onnx(model, &g), CLNN_STATUS_OK);
    assert_int_equal(tu_context(&ctx), CLNN_STATUS_OK);
    clnn_session_options o = {.batch = 4};
    assert_int_equal(clnn_session_create(ctx, g, &o, &s), CLNN_STATUS_OK);
    static float x[4 * 28 * 28], y[4 * 10];
    assert_int_equal(clnn_session_set_input(s, NULL, x, sizeof x / sizeof x[0]), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_get_output(s, NULL, y, sizeof y / sizeof y[0]), CLNN_STATUS_OK);
    clnn_session_destroy(s);
    clnn_context_destroy(ctx);
    clnn_graph_destroy(g);
}

static void test_create_destroy_loop(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    skip();
#endif
    const char *model = getenv("CLNN_TEST_MODEL");
    assert_non_null(model);
    for (int i = 0; i < 30; i++) cycle(model);
    /* The resident set moves by a megabyte or two either way from one cycle to the next (the
     * allocator trimming or keeping its arenas): compare the lowest of the first ten samples
     * after the warm-up with the lowest of the last ten, 90 cycles later, so that a transient
     * step does not count and a leak (growth in every cycle) still shows. */
    long before = LONG_MAX, after = LONG_MAX;
    for (int i = 0; i < 100; i++) {
        cycle(model);
        const long r = rss_kib();
        assert_true(r > 0);
        if (i < 10 && r < before) before = r;
        if (i >= 90 && r < after) after = r;
    }
    print_message("resident set: %ld KiB after the warm-up, %ld KiB 90 cycles later "
                  "(%+ld KiB; lowest of ten samples each)\n", before, after, after - before);
    assert_true(after - before <= 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_create_destroy_loop)};
    return cmocka_run_group_tests_name("leak", tests, NULL, NULL);
}
