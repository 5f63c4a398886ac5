/*
 * test_pool.c - pooling kernels against the C reference (lib/ops/pool.c) over awkward
 * shapes, PyTorch's output-size and divisor rules checked by hand, and invalid parameters.
 *
 * Tolerance: max pooling must be exact (it selects an input); average pooling
 * |got - want| <= 1e-6 + 1e-6 * |want| (a sum of at most a few thousand values in [-1, 1]
 * in another order).
 */
#include "testutil.h"

#include "../lib/ops/pool.h"

#include <math.h>


typedef struct pcase {
    clnn_pool_kind kind;
    int n, c, h, w, kh, kw, sh, sw, pt, pl, pb, pr;
    bool ceil, incl;
} pcase;

static const pcase cases[] = {
    {CLNN_POOL_MAX, 1, 3, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, false, false},
    {CLNN_POOL_MAX, 3, 5, 13, 17, 2, 2, 2, 2, 0, 0, 0, 0, true, false},
    {CLNN_POOL_MAX, 2, 1, 17, 13, 3, 3, 2, 2, 0, 0, 0, 0, true, false}, /* ceil drops none */
    {CLNN_POOL_MAX, 1, 4, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, true, false},   /* ceil, window hangs off */
    {CLNN_POOL_MAX, 1, 2, 11, 9, 5, 3, 3, 1, 2, 0, 1, 2, false, false}, /* asymmetric */
    {CLNN_POOL_MAX, 2, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false, false},  /* 1x1 input */
    {CLNN_POOL_AVERAGE, 1, 3, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, false, true},
    {CLNN_POOL_AVERAGE, 1, 3, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, false, false},
    {CLNN_POOL_AVERAGE, 3, 5, 13, 11, 3, 3, 2, 2, 1, 1, 1, 1, true, true},
    {CLNN_POOL_AVERAGE, 3, 5, 13, 11, 3, 3, 2, 2, 1, 1, 1, 1, true, false},
    {CLNN_POOL_AVERAGE, 1, 2, 10, 10, 5, 5, 3, 3, 2, 1, 0, 2, true, true},
    {CLNN_POOL_AVERAGE, 2, 1, 9, 9, 2, 2, 2, 2, 0, 0, 1, 1, false, false},
    {CLNN_POOL_GLOBAL_MAX, 2, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, false, false},
    {CLNN_POOL_GLOBAL_MAX, 1, 7, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, false, false},
    {CLNN_POOL_GLOBAL_MAX, 3, 5, 56, 56, 0, 0, 0, 0, 0, 0, 0, 0, false, false},
    {CLNN_POOL_GLOBAL_AVERAGE, 2, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, false, false},
    {CLNN_POOL_GLOBAL_AVERAGE, 3, 13, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, false, false},
    {CLNN_POOL_GLOBAL_AVERAGE, 1, 2, 224, 224, 0, 0, 0, 0, 0, 0, 0, 0, false, false},
    {CLNN_POOL_GLOBAL_AVERAGE, 1, 3, 15, 17, 0, 0, 0, 0, 0, 0, 0, 0, false, false},
};

static clnn_pool_params params_of(const pcase *c)
{
    clnn_pool_params p;
    memset(&p, 0, sizeof p);
    p.kind = c->kind;
    p.batch = c->n;
    p.channels = c->c;
    p.in_height = c->h;
    p.in_width = c->w;
    p.kernel_h = c->kh;
    p.kernel_w = c->kw;
    p.stride_h = c->sh;
    p.stride_w = c->sw;
    p.pad_top = c->pt;
    p.pad_left = c->pl;
    p.pad_bottom = c->pb;
    p.pad_right = c->pr;
    p.ceil_mode = c->ceil;
    p.count_include_pad = c->incl;
    return p;
}

static void run_case(const clnn_pool_params *p, float lo, float hi, uint32_t seed)
{
    clnn_pool *pool = NULL;
    clnn_status st = clnn_pool_create(tu_ctx, 0, p, &pool);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    size_t nin = clnn_pool_input_count(pool), nout = clnn_pool_output_count(pool);
    float *x = malloc(nin * sizeof *x), *want = malloc(nout * sizeof *want);
    float *got = malloc(nout * sizeof *got);
    tu_fill_uniform(x, nin, seed, lo, hi);
    assert_int_equal(clnn_pool_reference(p, x, want), CLNN_STATUS_OK);
    assert_int_equal(clnn_pool_run(pool, x, nin, got, nout), CLNN_STATUS_OK);
    bool is_max = p->kind == CLNN_POOL_MAX || p->kind == CLNN_POOL_GLOBAL_MAX;
    char what[200];
    snprintf(what, sizeof what, "pool kind %d n%d c%d %dx%d k%dx%d s%d,%d pad %d,%d,%d,%d ceil %d incl %d",
             (int)p->kind, p->batch, p->channels, p->in_height, p->in_width, p->kernel_h,
             p->kernel_w, p->stride_h, p->stride_w, p->pad_top, p->pad_left, p->pad_bottom,
             p->pad_right, p->ceil_mode, p->count_include_pad);
    int ok = tu_allclose(got, want, nout, is_max ? 0.0f : 1e-6f, is_max ? 0.0f : 1e-6f, what);
    if (is_max)
        for (size_t i = 0; i < nout; i++) ok &= isfinite(got[i]) ? 1 : 0;
    clnn_pool_destroy(pool);
    free(x), free(want), free(got);
    assert_true(ok);
}

static void test_sweep(void **state)
{
    (void)state;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(cases); i++) {
        clnn_pool_params p = params_of(&cases[i]);
        run_case(&p, -1, 1, (uint32_t)i);
    }
}

/* Max pooling over only negative values: padding must never win as a 0. */
static void test_max_negative(void **state)
{
    (void)state;
    pcase c = {CLNN_POOL_MAX, 2, 3, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, true, false};
    clnn_pool_params p = params_of(&c);
    run_case(&p, -2, -1, 7);
    c.kind = CLNN_POOL_GLOBAL_MAX;
    p = params_of(&c);
    run_case(&p, -2, -1, 8);
}

/* Output sizes and divisors worked out by hand from PyTorch's rules. */
static void test_known_values(void **state)
{
    (void)state;
    int P, Q;
    /* 8 wide, k3 s2 p1, ceil: ceil(7/2)+1 = 5, and window 4 starts at 7 < 8+1: kept. */
    pcase c = {CLNN_POOL_MAX, 1, 1, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, true, false};
    clnn_pool_params p = params_of(&c);
    assert_int_equal(clnn_pool_output_size(&p, &P, &Q), CLNN_STATUS_OK);
    assert_int_equal(P, 5);
    p.ceil_mode = false;
    assert_int_equal(clnn_pool_output_size(&p, &P, &Q), CLNN_STATUS_OK);
    assert_int_equal(P, 4);
    /* 5 wide, k2 s2 p0 ceil: ceil(3/2)+1 = 3; window 2 starts at 4 < 5: kept. */
    p.in_height = p.in_width = 5;
    p.kernel_h = p.kernel_w = 2;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 0;
    p.ceil_mode = true;
    assert_int_equal(clnn_pool_output_size(&p, &P, &Q), CLNN_STATUS_OK);
    assert_int_equal(P, 3);
    /* 6 wide, k3 s3 p1 ceil: span 5, ceil(5/3)+1 = 3 but window 2 would start at 5 >= 6+1?
     * No: 2*3 = 6 >= 6 + 1 is false, kept -> 3. With 5 wide: span 4, ceil(4/3)+1 = 3, window
     * 2 starts at 6 >= 5 + 1 -> dropped -> 2. */
    p.in_height = p.in_width = 5;
    p.kernel_h = p.kernel_w = 3;
    p.stride_h = p.stride_w = 3;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    assert_int_equal(clnn_pool_output_size(&p, &P, &Q), CLNN_STATUS_OK);
    assert_int_equal(P, 2);

    /* Average 3x3 s1 p1 on a 2x2 of ones: corner with padding counted is 4/9, without 1. */
    float x[4] = {1, 1, 1, 1}, y[4];
    pcase a = {CLNN_POOL_AVERAGE, 1, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, false, true};
    clnn_pool_params pa = params_of(&a);
    clnn_pool *pool;
    assert_int_equal(clnn_pool_create(tu_ctx, 0, &pa, &pool), CLNN_STATUS_OK);
    assert_int_equal(clnn_pool_run(pool, x, 4, y, 4), CLNN_STATUS_OK);
    assert_float_equal(y[0], 4.0f / 9.0f, 1e-7);
    clnn_pool_destroy(pool);
    pa.count_include_pad = false;
    assert_int_equal(clnn_pool_create(tu_ctx, 0, &pa, &pool), CLNN_STATUS_OK);
    assert_int_equal(clnn_pool_run(pool, x, 4, y, 4), CLNN_STATUS_OK);
    assert_float_equal(y[0], 1.0f, 1e-7);
    clnn_pool_destroy(pool);
}

/* A 4x4 input holding 0..15, window 3, stride 2, padding 1, ceil mode: windows hang off the
 * edge. Values worked out by hand from PyTorch's rules. */
static void test_hand_computed(void **state)
{
    (void)state;
    float x[16], y[9];
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    const float incl[9] = {10 / 9.f, 24 / 9.f, 10 / 6.f, 51 / 9.f, 10, 5.5f, 25 / 6.f, 7, 3.75f};
    const float excl[9] = {2.5f, 4, 5, 8.5f, 10, 11, 12.5f, 14, 15};
    const float mx[9] = {5, 7, 7, 13, 15, 15, 13, 15, 15};
    const float *want[3] = {incl, excl, mx};
    for (int v = 0; v < 3; v++) {
        pcase c = {v == 2 ? CLNN_POOL_MAX : CLNN_POOL_AVERAGE, 1, 1, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1,
                   true, v == 0};
        clnn_pool_params p = params_of(&c);
        clnn_pool *pool;
        assert_int_equal(clnn_pool_create(tu_ctx, 0, &p, &pool), CLNN_STATUS_OK);
        assert_int_equal(clnn_pool_output_count(pool), 9);
        assert_int_equal(clnn_pool_run(pool, x, 16, y, 9), CLNN_STATUS_OK);
        assert_true(tu_allclose(y, want[v], 9, 1e-6f, 1e-6f, "hand-computed device"));
        assert_int_equal(clnn_pool_reference(&p, x, y), CLNN_STATUS_OK);
        assert_true(tu_allclose(y, want[v], 9, 1e-6f, 1e-6f, "hand-computed reference"));
        clnn_pool_destroy(pool);
    }
}

/* A NaN in a window makes the maximum NaN (as in PyTorch), in windows and global pooling. */
static void test_max_nan(void **state)
{
    (void)state;
    float x[16], y[4];
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    x[5] = NAN;
    pcase c = {CLNN_POOL_MAX, 1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 0, 0, false, false};
    clnn_pool_params p = params_of(&c);
    clnn_pool *pool;
    assert_int_equal(clnn_pool_create(tu_ctx, 0, &p, &pool), CLNN_STATUS_OK);
    assert_int_equal(clnn_pool_run(pool, x, 16, y, 4), CLNN_STATUS_OK);
    assert_true(isnan(y[0]));
    assert_float_equal(y[1], 7, 0);
    assert_float_equal(y[3], 15, 0);
    clnn_pool_destroy(pool);
    c.kind = CLNN_POOL_GLOBAL_MAX;
    p = params_of(&c);
    assert_int_equal(clnn_pool_create(tu_ctx, 0, &p, &pool), CLNN_STATUS_OK);
    assert_int_equal(clnn_pool_run(pool, x, 16, y, 1), CLNN_STATUS_OK);
    assert_true(isnan(y[0]));
    clnn_pool_destroy(pool);
}

/* Padding of window - 1 is the largest accepted; global pooling ignores the window fields,
 * even nonsense in them. */
static void test_boundaries(void **state)
{
    (void)state;
    pcase c = {CLNN_POOL_AVERAGE, 1, 2, 6, 6, 3, 3, 1, 1, 2, 2, 2, 2, false, true};
    clnn_pool_params p = params_of(&c);
    run_case(&p, -1, 1, 31);
    pcase gl = {CLNN_POOL_GLOBAL_AVERAGE, 2, 3, 5, 5, -4, 0, -1, -7, -2, -3, 9, 1, true, true};
    p = params_of(&gl);
    run_case(&p, -1, 1, 32);
    /* A big window (baked into the kernel). */
    pcase big = {CLNN_POOL_MAX, 1, 2, 100, 90, 70, 80, 10, 5, 0, 0, 0, 0, false, false};
    p = params_of(&big);
    run_case(&p, -1, 1, 33);
    /* The reference leaves its output alone on bad parameters. */
    float in[4] = {0}, out[4] = {9, 9, 9, 9};
    p = params_of(&c);
    p.pad_top = 3;
    assert_int_equal(clnn_pool_reference(&p, in, out), CLNN_STATUS_INVALID_ARGUMENT);
    for (int i = 0; i < 4; i++) assert_float_equal(out[i], 9, 0);
}

static void expect_fail(const clnn_pool_params *p, clnn_status want, const char *text)
{
    clnn_pool *pool = (clnn_pool *)1;
    assert_int_equal(clnn_pool_create(tu_ctx, 0, p, &pool), want);
    assert_null(pool);
    if (!strstr(clnn_last_error(), text)) print_error("'%s' lacks '%s'\n", clnn_last_error(), text);
    assert_non_null(strstr(clnn_last_error(), text));
}

static void test_invalid(void **state)
{
    (void)state;
    pcase c = {CLNN_POOL_MAX, 1, 2, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, false, false};
    clnn_pool_params p = params_of(&c);
    p.channels = 0;
    expect_fail(&p, CLNN_STATUS_INVALID_ARGUMENT, "channels");
    p = params_of(&c);
    p.kernel_w = -1;
    expect_fail(&p, CLNN_STATUS_INVALID_ARGUMENT, "kernel_w");
    p = params_of(&c);
    p.pad_bottom = 3;
    expect_fail(&p, CLNN_STATUS_INVALID_ARGUMENT, "padding");
    p = params_of(&c);
    p.pad_left = -1;
    expect_fail(&p, CLNN_STATUS_INVALID_ARGUMENT, "pad_left");
    p = params_of(&c);
    p.kernel_h = 12;
    p.pad_top = 1;
    expect_fail(&p, CLNN_STATUS_SHAPE_MISMATCH, "larger than the padded input");
    p = params_of(&c);
    p.kind = (clnn_pool_kind)9;
    expect_fail(&p, CLNN_STATUS_INVALID_ARGUMENT, "unknown kind");
    p = params_of(&c);
    p.batch = 1 << 20;
    p.channels = 1 << 12;
    expect_fail(&p, CLNN_STATUS_INVALID_ARGUMENT, "2^31");
    assert_int_equal(clnn_pool_create(tu_ctx, 0, NULL, NULL), CLNN_STATUS_INVALID_ARGUMENT);
    p = params_of(&c);
    clnn_pool *pool = NULL;
    assert_int_equal(clnn_pool_create(tu_ctx, 5, &p, &pool), CLNN_STATUS_INVALID_ARGUMENT);
}

static void test_mismatched_buffers(void **state)
{
    (void)state;
    pcase c = {CLNN_POOL_AVERAGE, 1, 2, 8, 8, 2, 2, 2, 2, 0, 0, 0, 0, false, false};
    clnn_pool_params p = params_of(&c);
    clnn_pool *pool;
    assert_int_equal(clnn_pool_create(tu_ctx, 0, &p, &pool), CLNN_STATUS_OK);
    assert_int_equal(clnn_pool_input_count(pool), 128);
    assert_int_equal(clnn_pool_output_count(pool), 32);
    float x[128] = {0}, y[33];
    for (int i = 0; i < 33; i++) y[i] = -7.0f;
    assert_int_equal(clnn_pool_run(pool, x, 127, y, 32), CLNN_STATUS_SHAPE_MISMATCH);
    assert_int_equal(clnn_pool_run(pool, x, 128, y, 33), CLNN_STATUS_SHAPE_MISMATCH);
    assert_int_equal(clnn_pool_run(pool, NULL, 128, y, 32), CLNN_STATUS_INVALID_ARGUMENT);
    for (int i = 0; i < 33; i++) assert_float_equal(y[i], -7.0f, 0);
    cl_context clctx;
    assert_int_equal(clnn_context_cl_handles(tu_ctx, 0, &clctx, NULL, NULL), CLNN_STATUS_OK);
    cl_int err;
    cl_mem small = clCreateBuffer(clctx, CL_MEM_READ_WRITE, 16 * sizeof(float), NULL, &err);
    cl_mem in = clCreateBuffer(clctx, CL_MEM_READ_WRITE, 128 * sizeof(float), NULL, &err);
    assert_int_equal(clnn_pool_enqueue(pool, NULL, in, small, 0, NULL, NULL),
                     CLNN_STATUS_SHAPE_MISMATCH);
    assert_int_equal(clnn_pool_enqueue(pool, NULL, small, in, 0, NULL, NULL),
                     CLNN_STATUS_SHAPE_MISMATCH);
    assert_int_equal(clnn_pool_enqueue(pool, NULL, in, in, 1, NULL, NULL),
                     CLNN_STATUS_INVALID_ARGUMENT);
    clReleaseMemObject(small);
    clReleaseMemObject(in);
    clnn_pool_destroy(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep),         cmocka_unit_test(test_max_negative),
        cmocka_unit_test(test_known_values),  cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_hand_computed), cmocka_unit_test(test_max_nan),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_mismatched_buffers),
    };
    return cmocka_run_group_tests_name("pool", tests, tu_group_setup, tu_group_teardown);
}
