/*
 * test_threads.c - the thread-safety rules of clnn.h: a context may be shared by threads, a
 * session is used by one thread at a time. Several threads load the same model, each
 * creates its own session on one shared context at the same moment (the program cache, the
 * calibration and the tuning database are shared and filled concurrently) and runs it many
 * times on its own input; every output must equal what one thread alone computes, bit for
 * bit (the same kernels on the same device). The ThreadSanitizer build (scripts/test.sh
 * --tsan) runs this suite to find data races.
 */
#include "testutil.h"

#include <pthread.h>

#define THREADS 4
#define RUNS 8
#define BATCH 2

typedef struct worker {
    const char *model;
    clnn_context *ctx;
    pthread_barrier_t *start;
    float in[BATCH * 28 * 28], out[RUNS][BATCH * 10];
    clnn_status st;
    char err[512];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    clnn_graph *g = NULL;
    clnn_session *s = NULL;
    pthread_barrier_wait(w->start);
    w->st = clnn_graph_load_onnx(w->model, &g);
    clnn_session_options o = {.batch = BATCH};
    if (w->st == CLNN_STATUS_OK) w->st = clnn_session_create(w->ctx, g, &o, &s);
    for (int r = 0; r < RUNS && w->st == CLNN_STATUS_OK; r++) {
        w->st = clnn_session_set_input(s, NULL, w->in, BATCH * 28 * 28);
        if (w->st == CLNN_STATUS_OK) w->st = clnn_session_run(s);
        if (w->st == CLNN_STATUS_OK) w->st = clnn_session_get_output(s, NULL, w->out[r], BATCH * 10);
    }
    if (w->st != CLNN_STATUS_OK) snprintf(w->err, sizeof w->err, "%s", clnn_last_error());
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
    return NULL;
}

static void test_sessions_on_one_context(void **state)
{
    (void)state;
    const char *model = getenv("CLNN_TEST_MODEL");
    assert_non_null(model);
    static worker w[THREADS], alone;
    pthread_barrier_t start;
    /* The reference: one thread alone on its own context. */
    assert_int_equal(pthread_barrier_init(&start, NULL, 1), 0);
    alone.model = model;
    alone.start = &start;
    tu_fill_uniform(alone.in, sizeof alone.in / sizeof alone.in[0], 1, 0, 1);
    assert_int_equal(tu_context(&alone.ctx), CLNN_STATUS_OK);
    work(&alone);
    assert_int_equal(alone.st, CLNN_STATUS_OK);
    clnn_context_destroy(alone.ctx);
    pthread_barrier_destroy(&start);

    clnn_context *ctx = NULL;
    assert_int_equal(tu_context(&ctx), CLNN_STATUS_OK);
    assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i].model = model;
        w[i].ctx = ctx;
        w[i].start = &start;
        /* Thread 0 computes the reference's input; the others their own. */
        tu_fill_uniform(w[i].in, sizeof w[i].in / sizeof w[i].in[0], 1 + (uint32_t)(i % 2) * 7,
                        0, 1);
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < THREADS; i++) {
        if (w[i].st != CLNN_STATUS_OK) fail_msg("thread %d: %s", i, w[i].err);
        for (int r = 0; r < RUNS; r++) {
            /* Same input, same output as alone; every run of a thread the same. */
            const float *want = i % 2 == 0 ? alone.out[0] : w[1].out[0];
            assert_memory_equal(w[i].out[r], want, sizeof w[i].out[r]);
        }
    }
    clnn_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sessions_on_one_context)};
    return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
