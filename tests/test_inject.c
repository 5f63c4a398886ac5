/*
 * test_inject.c - failure injection, as SQLite's harness does it. This binary is linked with
 * -Wl,--wrap for the host allocator (malloc, calloc, realloc, strdup, strndup) and for the
 * OpenCL calls that allocate or launch (clCreateBuffer, clCreateSubBuffer, clCreateKernel,
 * clBuildProgram, clEnqueueNDRangeKernel, clEnqueueReadBuffer, clEnqueueWriteBuffer), so
 * every call libclnn makes goes through a counter here; calls inside other libraries (PoCL,
 * CLBlast, protobuf-c, json-c) are not counted. With the injection armed at N, the Nth
 * counted call fails (NULL, or CL_OUT_OF_RESOURCES / CL_MEM_OBJECT_ALLOCATION_FAILURE).
 *
 * For every N until a whole pass completes without reaching N, the same job runs: load the
 * Fashion-MNIST model, create a session, set the input, run, read the output. Each step
 * must either succeed with the right output (some failures are absorbed by design: a cache
 * write, a device fallback) or return a status with a non-empty message; then everything is
 * destroyed (the sanitizer build checks that nothing leaks) and, every few N, the job is run
 * again without injection and must succeed. The counts covered are printed.
 *
 * A second test fails every buffer allocation on the first of two devices: the session
 * moves its layers to the second device and still computes the right output.
 */
#include "testutil.h"

#include <CL/cl.h>
#include <math.h>
#include <execinfo.h>
#include <stdatomic.h>

/* ---- the counter --------------------------------------------------------------------------- */

static atomic_long calls;    /* counted calls since arming */
static atomic_long fail_at;  /* 0: disarmed */
static atomic_bool fired;
static cl_context fail_context; /* test 2: every buffer of this context fails */

static atomic_long kind_calls[2]; /* since arming: host allocations, OpenCL calls */

static bool inject_kind(int kind)
{
    long at = atomic_load(&fail_at);
    if (!at) return false;
    atomic_fetch_add(&kind_calls[kind], 1);
    if (atomic_fetch_add(&calls, 1) + 1 != at) return false;
    atomic_store(&fired, true);
    if (getenv("CLNN_INJECT_TRACE")) { /* where the failing call comes from */
        void *frames[16];
        backtrace_symbols_fd(frames, backtrace(frames, 16), 2);
    }
    return true;
}

static void arm(long n)
{
    atomic_store(&calls, 0);
    atomic_store(&kind_calls[0], 0);
    atomic_store(&kind_calls[1], 0);
    atomic_store(&fired, false);
    atomic_store(&fail_at, n);
}

static void disarm(void) { atomic_store(&fail_at, 0); }

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n) { return inject_kind(0) ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t s) { return inject_kind(0) ? NULL : __real_calloc(n, s); }
void *__wrap_realloc(void *p, size_t n) { return inject_kind(0) ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return inject_kind(0) ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return inject_kind(0) ? NULL : __real_strndup(s, n); }

cl_mem __real_clCreateBuffer(cl_context, cl_mem_flags, size_t, void *, cl_int *);
cl_mem __wrap_clCreateBuffer(cl_context c, cl_mem_flags f, size_t n, void *h, cl_int *e)
{
    if ((fail_context && c == fail_context) || inject_kind(1)) {
        if (e) *e = CL_MEM_OBJECT_ALLOCATION_FAILURE;
        return NULL;
    }
    return __real_clCreateBuffer(c, f, n, h, e);
}
cl_mem __real_clCreateSubBuffer(cl_mem, cl_mem_flags, cl_buffer_create_type, const void *,
                                cl_int *);
cl_mem __wrap_clCreateSubBuffer(cl_mem m, cl_mem_flags f, cl_buffer_create_type t,
                                const void *r, cl_int *e)
{
    if (inject_kind(1)) {
        if (e) *e = CL_OUT_OF_RESOURCES;
        return NULL;
    }
    return __real_clCreateSubBuffer(m, f, t, r, e);
}
cl_kernel __real_clCreateKernel(cl_program, const char *, cl_int *);
cl_kernel __wrap_clCreateKernel(cl_program p, const char *name, cl_int *e)
{
    if (inject_kind(1)) {
        if (e) *e = CL_OUT_OF_RESOURCES;
        return NULL;
    }
    return __real_clCreateKernel(p, name, e);
}
cl_int __real_clBuildProgram(cl_program, cl_uint, const cl_device_id *, const char *,
                             void (*)(cl_program, void *), void *);
cl_int __wrap_clBuildProgram(cl_program p, cl_uint n, const cl_device_id *d, const char *o,
                             void (*cb)(cl_program, void *), void *u)
{
    return inject_kind(1) ? CL_OUT_OF_RESOURCES : __real_clBuildProgram(p, n, d, o, cb, u);
}
cl_int __real_clEnqueueNDRangeKernel(cl_command_queue, cl_kernel, cl_uint, const size_t *,
                                     const size_t *, const size_t *, cl_uint, const cl_event *,
                                     cl_event *);
cl_int __wrap_clEnqueueNDRangeKernel(cl_command_queue q, cl_kernel k, cl_uint d,
                                     const size_t *o, const size_t *g, const size_t *l,
                                     cl_uint nw, const cl_event *w, cl_event *e)
{
    return inject_kind(1) ? CL_OUT_OF_RESOURCES
                    : __real_clEnqueueNDRangeKernel(q, k, d, o, g, l, nw, w, e);
}
cl_int __real_clEnqueueReadBuffer(cl_command_queue, cl_mem, cl_bool, size_t, size_t, void *,
                                  cl_uint, const cl_event *, cl_event *);
cl_int __wrap_clEnqueueReadBuffer(cl_command_queue q, cl_mem m, cl_bool b, size_t o, size_t n,
                                  void *p, cl_uint nw, const cl_event *w, cl_event *e)
{
    return inject_kind(1) ? CL_OUT_OF_RESOURCES
                    : __real_clEnqueueReadBuffer(q, m, b, o, n, p, nw, w, e);
}
cl_int __real_clEnqueueWriteBuffer(cl_command_queue, cl_mem, cl_bool, size_t, size_t,
                                   const void *, cl_uint, const cl_event *, cl_event *);
cl_int __wrap_clEnqueueWriteBuffer(cl_command_queue q, cl_mem m, cl_bool b, size_t o, size_t n,
                                   const void *p, cl_uint nw, const cl_event *w, cl_event *e)
{
    return inject_kind(1) ? CL_OUT_OF_RESOURCES
                    : __real_clEnqueueWriteBuffer(q, m, b, o, n, p, nw, w, e);
}

/* ---- the job ------------------------------------------------------------------------------- */

#define BATCH 3
static float input[BATCH * 28 * 28], want[BATCH * 10];

/* One whole job on ctx; the first failing status (OK when everything worked). */
static clnn_status job(clnn_context *ctx, const char *model, float *out)
{
    clnn_graph *g = NULL;
    clnn_session *s = NULL;
    clnn_status st = clnn_graph_load_onnx(model, &g);
    clnn_session_options o = {.batch = BATCH};
    if (st == CLNN_STATUS_OK) st = clnn_session_create(ctx, g, &o, &s);
    if (st == CLNN_STATUS_OK) st = clnn_session_set_input(s, NULL, input, BATCH * 28 * 28);
    if (st == CLNN_STATUS_OK) st = clnn_session_run(s);
    if (st == CLNN_STATUS_OK) st = clnn_session_get_output(s, NULL, out, BATCH * 10);
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
    return st;
}

static bool close_to_want(const float *out)
{
    for (int i = 0; i < BATCH * 10; i++)
        if (!(fabsf(out[i] - want[i]) <= 1e-4f + 1e-4f * fabsf(want[i]))) return false;
    return true;
}

static void test_every_failure(void **state)
{
    (void)state;
    const char *model = getenv("CLNN_TEST_MODEL");
    assert_non_null(model);
    tu_fill_uniform(input, sizeof input / sizeof input[0], 5, 0, 1);
    clnn_context *ctx = NULL;
    assert_int_equal(clnn_context_create("0:0", &ctx), CLNN_STATUS_OK);
    float out[BATCH * 10];
    assert_int_equal(job(ctx, model, want), CLNN_STATUS_OK);
    long failed = 0, absorbed = 0, n, allocs = 0, cl_calls = 0;
    for (n = 1;; n++) {
        arm(n);
        clnn_status st = job(ctx, model, out);
        disarm();
        if (!atomic_load(&fired)) { /* the whole job made fewer than n calls */
            allocs = atomic_load(&kind_calls[0]);
            cl_calls = atomic_load(&kind_calls[1]);
            break;
        }
        if (st == CLNN_STATUS_OK) {
            if (!close_to_want(out)) fail_msg("call %ld failed silently: the output is wrong", n);
            absorbed++;
        } else {
            const char *msg = clnn_last_error();
            if (!msg || !*msg) fail_msg("call %ld: status %d without a message", n, (int)st);
            failed++;
        }
        if (n % 16 == 0) {
            assert_int_equal(job(ctx, model, out), CLNN_STATUS_OK);
            assert_true(close_to_want(out));
        }
    }
    assert_int_equal(job(ctx, model, out), CLNN_STATUS_OK);
    assert_true(close_to_want(out));
    print_message("job of %ld counted calls (%ld host allocations, %ld OpenCL calls), each "
                  "failed in turn: %ld reported with a status and message, %ld absorbed with "
                  "the right output\n",
                  n - 1, allocs, cl_calls, failed, absorbed);
    assert_true(n > 100);
    /* Context creation too. */
    clnn_context_destroy(ctx);
    long ctx_calls;
    for (ctx_calls = 1;; ctx_calls++) {
        clnn_context *c = NULL;
        arm(ctx_calls);
        clnn_status st = clnn_context_create("0:0", &c);
        disarm();
        bool hit = atomic_load(&fired);
        if (st == CLNN_STATUS_OK) {
            clnn_context_destroy(c);
        } else {
            assert_null(c);
            assert_true(*clnn_last_error());
        }
        if (!hit) break;
    }
    print_message("context creation: %ld counted calls, each failure handled\n", ctx_calls - 1);
}

/* Every buffer of the first device fails: its layers and activations go to the second. */
static void test_device_fallback(void **state)
{
    (void)state;
    const char *model = getenv("CLNN_TEST_MODEL");
    if (!want[0] && !want[1]) skip(); /* the first test computes the reference */
    clnn_context *ctx = NULL;
    if (clnn_context_create("all", &ctx) != CLNN_STATUS_OK || clnn_context_device_count(ctx) < 2) {
        clnn_context_destroy(ctx);
        print_message("skip: needs two devices (POCL_DEVICES='pthread pthread')\n");
        skip();
    }
    cl_context c0;
    cl_device_id d0;
    cl_command_queue q0;
    assert_int_equal(clnn_context_cl_handles(ctx, 0, &c0, &d0, &q0), CLNN_STATUS_OK);
    float out[BATCH * 10];
    tu_log_capture_begin();
    fail_context = c0;
    clnn_status st = job(ctx, model, out);
    fail_context = NULL;
    tu_log_capture_end();
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    assert_true(close_to_want(out));
    assert_non_null(strstr(tu_log_text(), "device"));
    clnn_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_failure),
        cmocka_unit_test(test_device_fallback),
    };
    return cmocka_run_group_tests_name("inject", tests, NULL, NULL);
}
