/*
 * test_pool.c - pooling kernels against the C reference (lib/ops/pool.c) over awkward
 * shapes, PyTorch's output-size and divisor rules checked by hand, and invalid parameters;
 * dilated windows (ONNX dilations) likewise, and their shape inference in graphs; MaxPool's
 * Indices output (lib/ops/window3d.c after lowering): kernel against reference over 1-D to
 * 3-D shapes, both storage orders, hand-computed values and refusals.
 *
 * Tolerance: max pooling must be exact (it selects an input); average pooling
 * |got - want| <= 1e-6 + 1e-6 * |want| (a sum of at most a few thousand values in [-1, 1]
 * in another order).
 */
#include "layertest.h"

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
    /* Rows wide enough for the CPU kernel's 16- and 8-float vectors: padded edges done per
     * output, a last vector moved back to overlap its neighbour, ceil mode at stride 2. */
    {CLNN_POOL_MAX, 1, 3, 9, 45, 3, 3, 1, 1, 1, 1, 1, 1, false, false},
    {CLNN_POOL_AVERAGE, 2, 2, 6, 37, 3, 3, 1, 1, 1, 2, 0, 1, false, true},
    {CLNN_POOL_AVERAGE, 2, 2, 6, 37, 3, 3, 1, 1, 1, 2, 0, 1, false, false},
    {CLNN_POOL_AVERAGE, 1, 1, 5, 64, 3, 3, 1, 1, 0, 1, 1, 0, false, true},
    {CLNN_POOL_MAX, 1, 2, 11, 111, 3, 3, 2, 2, 0, 0, 0, 0, true, false},
    {CLNN_POOL_AVERAGE, 1, 2, 7, 40, 2, 2, 2, 2, 0, 0, 0, 0, false, false},
    {CLNN_POOL_MAX, 1, 2, 5, 30, 5, 5, 2, 2, 2, 2, 2, 2, true, false},
    {CLNN_POOL_AVERAGE, 1, 2, 8, 29, 3, 3, 2, 2, 1, 1, 1, 1, true, true},
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
    snprintf(what, sizeof what,
             "pool kind %d n%d c%d %dx%d k%dx%d s%d,%d d%d,%d pad %d,%d,%d,%d ceil %d incl %d",
             (int)p->kind, p->batch, p->channels, p->in_height, p->in_width, p->kernel_h,
             p->kernel_w, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top,
             p->pad_left, p->pad_bottom, p->pad_right, p->ceil_mode, p->count_include_pad);
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

/* ---- dilations ------------------------------------------------------------------------------ */

typedef struct dcase {
    pcase c;
    int dh, dw;
} dcase;

static const dcase dcases[] = {
    {{CLNN_POOL_MAX, 1, 3, 9, 9, 3, 3, 1, 1, 0, 0, 0, 0, false, false}, 2, 2},
    {{CLNN_POOL_MAX, 2, 3, 13, 11, 3, 2, 2, 1, 2, 1, 1, 3, false, false}, 2, 3}, /* asymmetric */
    {{CLNN_POOL_MAX, 1, 2, 10, 10, 3, 3, 2, 2, 1, 1, 1, 1, true, false}, 2, 2},  /* ceil */
    {{CLNN_POOL_MAX, 1, 2, 1, 17, 1, 4, 1, 3, 0, 2, 0, 2, true, false}, 1, 3},   /* 1-D */
    {{CLNN_POOL_MAX, 1, 1, 6, 7, 2, 2, 1, 1, 0, 0, 0, 0, false, false}, 5, 6},   /* span = input */
    {{CLNN_POOL_AVERAGE, 1, 3, 9, 9, 3, 3, 1, 1, 0, 0, 0, 0, false, false}, 2, 2},
    {{CLNN_POOL_AVERAGE, 2, 3, 11, 12, 3, 3, 2, 2, 2, 2, 2, 2, false, false}, 2, 2},
    {{CLNN_POOL_AVERAGE, 2, 3, 11, 12, 3, 3, 2, 2, 2, 2, 2, 2, false, true}, 2, 2},
    {{CLNN_POOL_AVERAGE, 1, 2, 12, 13, 2, 3, 3, 2, 1, 3, 2, 0, true, false}, 3, 2}, /* ceil */
    {{CLNN_POOL_AVERAGE, 1, 2, 12, 13, 2, 3, 3, 2, 1, 3, 2, 0, true, true}, 3, 2},
    {{CLNN_POOL_AVERAGE, 1, 1, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, true, true}, 3, 3},
    {{CLNN_POOL_AVERAGE, 3, 5, 7, 9, 4, 5, 1, 1, 3, 4, 3, 4, false, false}, 2, 2}, /* big pad */
};

static void test_dilated_sweep(void **state)
{
    (void)state;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(dcases); i++) {
        clnn_pool_params p = params_of(&dcases[i].c);
        p.dilation_h = dcases[i].dh;
        p.dilation_w = dcases[i].dw;
        run_case(&p, -1, 1, (uint32_t)(100 + i));
    }
}

/* A 5x5 input holding 0..24, window 2 dilated by 3 (span 4), stride 2, padding 1, ceil
 * mode: 3 x 3 outputs. Along each axis window 0 has taps -1, 2 (one inside, both inside
 * the padding), window 1 taps 1, 4, window 2 taps 3, 6 (one inside, 6 beyond the padding).
 * Worked out by hand. */
static void test_dilated_hand_computed(void **state)
{
    (void)state;
    float x[25], y[9];
    for (int i = 0; i < 25; i++) x[i] = (float)i;
    const float excl[9] = {12, 12.5f, 13, 14.5f, 15, 15.5f, 17, 17.5f, 18};
    const float incl[9] = {3, 6.25f, 6.5f, 7.25f, 15, 15.5f, 8.5f, 17.5f, 18};
    const float mx[9] = {12, 14, 13, 22, 24, 23, 17, 19, 18};
    const float *want[3] = {incl, excl, mx};
    for (int v = 0; v < 3; v++) {
        pcase c = {v == 2 ? CLNN_POOL_MAX : CLNN_POOL_AVERAGE, 1, 1, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1,
                   true, v == 0};
        clnn_pool_params p = params_of(&c);
        p.dilation_h = p.dilation_w = 3;
        int P, Q;
        assert_int_equal(clnn_pool_output_size(&p, &P, &Q), CLNN_STATUS_OK);
        assert_int_equal(P, 3);
        assert_int_equal(Q, 3);
        clnn_pool *pool;
        assert_int_equal(clnn_pool_create(tu_ctx, 0, &p, &pool), CLNN_STATUS_OK);
        assert_int_equal(clnn_pool_run(pool, x, 25, y, 9), CLNN_STATUS_OK);
        assert_true(tu_allclose(y, want[v], 9, 1e-6f, 1e-6f, "dilated hand-computed device"));
        assert_int_equal(clnn_pool_reference(&p, x, y), CLNN_STATUS_OK);
        assert_true(tu_allclose(y, want[v], 9, 1e-6f, 1e-6f, "dilated hand-computed reference"));
        clnn_pool_destroy(pool);
        /* Without ceil mode window 2 is dropped: span 4 in 5 + 2 at stride 2 gives 2. */
        p.ceil_mode = false;
        assert_int_equal(clnn_pool_output_size(&p, &P, &Q), CLNN_STATUS_OK);
        assert_int_equal(P, 2);
    }
}

static void test_dilated_invalid(void **state)
{
    (void)state;
    pcase c = {CLNN_POOL_MAX, 1, 2, 8, 8, 2, 2, 1, 1, 0, 0, 0, 0, false, false};
    clnn_pool_params p = params_of(&c);
    p.dilation_h = -1;
    expect_fail(&p, CLNN_STATUS_INVALID_ARGUMENT, "dilation_h");
    /* Span 3: padding 3 could give a window of padding only, 2 is accepted. */
    p = params_of(&c);
    p.dilation_w = 2;
    p.pad_right = 3;
    expect_fail(&p, CLNN_STATUS_INVALID_ARGUMENT, "padding");
    p.pad_right = 2;
    run_case(&p, -1, 1, 41);
    /* Span 8 is larger than the padded 7. */
    p = params_of(&c);
    p.in_height = 7;
    p.dilation_h = 7;
    expect_fail(&p, CLNN_STATUS_SHAPE_MISMATCH, "larger than the padded input");
    /* 2 rows, taps -1 and 2: both outside the input. */
    pcase o = {CLNN_POOL_AVERAGE, 1, 1, 2, 2, 2, 1, 1, 1, 1, 0, 1, 0, false, false};
    p = params_of(&o);
    p.dilation_h = 3;
    expect_fail(&p, CLNN_STATUS_INVALID_ARGUMENT, "only padding");
}

/* Shape inference of dilated MaxPool / AveragePool nodes; an output of {-1} expects a
 * refusal naming the node and containing `needle`. */
static void pool_graph(const char *op, int opset, int64_t size, const clnn_attr *at, size_t nat,
                       int64_t want, const char *needle)
{
    clnn_graph *g = lt_graph(opset);
    const int64_t dims[4] = {1, 2, size, size + 1};
    lt_input(g, "x", dims, 4);
    const char *ins[] = {"x"}, *outs[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, op, "n0", ins, 1, outs, 1, at, nat);
    if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
    int *order = NULL, norder = 0;
    if (st == CLNN_STATUS_OK) st = clnn_graph_infer(g, 0, &order, &norder);
    free(order);
    if (needle) {
        if (st == CLNN_STATUS_OK || !strstr(clnn_last_error(), "n0") ||
            !strstr(clnn_last_error(), needle))
            print_error("%s: status %d, '%s' should name n0 and '%s'\n", op, (int)st,
                        clnn_last_error(), needle);
        assert_int_not_equal(st, CLNN_STATUS_OK);
        assert_non_null(strstr(clnn_last_error(), "n0"));
        assert_non_null(strstr(clnn_last_error(), needle));
    } else {
        if (st != CLNN_STATUS_OK) print_error("%s: %s\n", op, clnn_last_error());
        assert_int_equal(st, CLNN_STATUS_OK);
        const gtensor *y = &g->tensors[g->nodes[0].outputs[0]];
        assert_int_equal(y->ndim, 4);
        if (y->dims[2] != want) print_error("%s: height %lld, want %lld\n", op,
                                            (long long)y->dims[2], (long long)want);
        assert_int_equal(y->dims[2], want);
    }
    clnn_graph_destroy(g);
}

static void test_dilated_graphs(void **state)
{
    (void)state;
    static const int64_t k3[] = {3, 3}, d2[] = {2, 2}, s2[] = {2, 2}, d0[] = {0, 2};
    /* Span 5 on 9: 5 outputs. */
    clnn_attr a[4] = {CLNN_ATTR_IS("kernel_shape", k3, 2), CLNN_ATTR_IS("dilations", d2, 2)};
    pool_graph("MaxPool", 12, 9, a, 2, 5, NULL);
    pool_graph("AveragePool", 19, 9, a, 2, 5, NULL);
    /* Stride 2 on 10: floor(5 / 2) + 1 = 3, ceil mode 4 (window 3 starts at 6 < 10). */
    a[2] = CLNN_ATTR_IS("strides", s2, 2);
    pool_graph("MaxPool", 12, 10, a, 3, 3, NULL);
    a[3] = CLNN_ATTR_I("ceil_mode", 1);
    pool_graph("MaxPool", 12, 10, a, 4, 4, NULL);
    pool_graph("AveragePool", 19, 10, a, 4, 4, NULL);
    /* SAME_UPPER: ceil(9 / 2) = 5 whatever the span (its padding uses the span). */
    a[3] = CLNN_ATTR_S("auto_pad", "SAME_UPPER");
    pool_graph("MaxPool", 12, 9, a, 4, 5, NULL);
    /* Span 5 does not fit 3 rows. */
    pool_graph("MaxPool", 12, 3, a, 2, -1, "larger than the padded input");
    /* Dilations arrived in MaxPool 10 and AveragePool 19. */
    pool_graph("AveragePool", 18, 9, a, 2, -1, "dilations");
    pool_graph("MaxPool", 8, 9, a, 2, -1, "dilations");
    a[1] = CLNN_ATTR_IS("dilations", d0, 2);
    pool_graph("MaxPool", 12, 9, a, 2, -1, "dilations");
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

/* ---- MaxPool's Indices ---------------------------------------------------------------------- */

/* MaxPool n0 (outputs y and i, both graph outputs) on x of dims xd, optimised (Indices
 * lowered into a node of its own). On success *idx is that node; else st holds the status. */
static clnn_graph *indices_graph(const int64_t *xd, size_t nx, const clnn_attr *at, size_t nat,
                                 int opset, const gnode **idx, clnn_status *st)
{
    clnn_graph *g = lt_graph(opset);
    lt_input(g, "x", xd, nx);
    const char *ins[] = {"x"}, *outs[] = {"y", "i"};
    *idx = NULL;
    *st = clnn_graph_add_node(g, "MaxPool", "n0", ins, 1, outs, 2, at, nat);
    if (*st == CLNN_STATUS_OK) *st = clnn_graph_add_output(g, "y");
    if (*st == CLNN_STATUS_OK) *st = clnn_graph_add_output(g, "i");
    int *order = NULL, norder = 0;
    if (*st == CLNN_STATUS_OK) *st = clnn_graph_infer(g, 0, &order, &norder);
    free(order);
    if (*st == CLNN_STATUS_OK) *st = clnn_graph_optimize(g, true);
    if (*st != CLNN_STATUS_OK) return g;
    const int it = g->outputs[1];
    assert_int_equal(g->tensors[it].dtype, CLNN_DTYPE_INT64);
    for (int k = 0; k < g->nnodes; k++)
        if (!g->nodes[k].removed && g->nodes[k].noutputs == 1 && g->nodes[k].outputs[0] == it)
            *idx = &g->nodes[k];
    assert_non_null(*idx);
    assert_int_equal((*idx)->op, OP_MAX_POOL);
    /* The values keep their own node (the 2-D path for ranks 3 and 4). */
    assert_int_equal(g->nodes[0].noutputs, 1);
    assert_int_equal(g->nodes[0].outputs[0], g->outputs[0]);
    return g;
}

/* The indices of x through the device and through the reference: both must equal want. */
static void expect_indices(const int64_t *xd, size_t nx, const float *x, const clnn_attr *at,
                           size_t nat, const float *want, size_t count, const char *what)
{
    const gnode *n;
    clnn_status st;
    clnn_graph *g = indices_graph(xd, nx, at, nat, 12, &n, &st);
    if (st != CLNN_STATUS_OK) print_error("%s: %s\n", what, clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    assert_int_equal(clnn_tensor_count(clnn_node_output(g, n)), count);
    /* Reference. */
    float ref[16];
    const float *in[1] = {x};
    assert_int_equal(clnn_layer_find(OP_MAX_POOL)->reference(g, n, in, NULL, ref),
                     CLNN_STATUS_OK);
    assert_true(tu_allclose(ref, want, count, 0.0f, 0.0f, what));
    /* Device: the layer run directly on x. */
    const clnn_layer_impl *impl = clnn_layer_find(OP_MAX_POOL);
    void *state = NULL;
    assert_int_equal(impl->prepare(lt_ctx, lt_dev, g, n, &state), CLNN_STATUS_OK);
    size_t nin = clnn_tensor_count(clnn_node_input(g, n, 0));
    cl_int err;
    cl_mem xm = clCreateBuffer(lt_cl_ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                               nin * sizeof(float), (void *)x, &err);
    assert_int_equal(err, CL_SUCCESS);
    cl_mem ym = clCreateBuffer(lt_cl_ctx, CL_MEM_READ_WRITE, count * sizeof(float), NULL, &err);
    assert_int_equal(err, CL_SUCCESS);
    layer_io io;
    memset(&io, 0, sizeof io);
    io.in[0] = xm;
    io.out = ym;
    io.out_img_stride = (int)(count / (size_t)xd[0]);
    cl_event done = NULL;
    assert_int_equal(impl->enqueue(state, lt_queue, &io, 0, NULL, &done), CLNN_STATUS_OK);
    float got[16];
    assert_int_equal(clEnqueueReadBuffer(lt_queue, ym, CL_TRUE, 0, count * sizeof(float), got, 1,
                                         &done, NULL),
                     CL_SUCCESS);
    clReleaseEvent(done);
    clReleaseMemObject(xm);
    clReleaseMemObject(ym);
    impl->destroy(state);
    assert_true(tu_allclose(got, want, count, 0.0f, 0.0f, what));
    clnn_graph_destroy(g);
}

static void test_indices_hand_computed(void **state)
{
    (void)state;
    /* Image 0:  1 5 2   image 1 (10 - image 0):  9 5 8
     *           7 3 9                            3 7 1
     *           4 8 6                            6 2 4
     * 2x2 windows at stride 1: maxima 7 9 / 8 9 at (1,0) (1,2) / (2,1) (1,2), and 9 8 / 7 7
     * at (0,0) (0,2) / (1,1) (1,1); image 1's indices start at 9. storage_order 1 numbers
     * the positions h + 3 w. */
    static const int64_t xd[4] = {2, 1, 3, 3}, k2[2] = {2, 2};
    const float x[18] = {1, 5, 2, 7, 3, 9, 4, 8, 6, 9, 5, 8, 3, 7, 1, 6, 2, 4};
    const float rows[8] = {3, 5, 7, 5, 9, 11, 13, 13};
    const float cols[8] = {1, 7, 5, 7, 9, 15, 13, 13};
    clnn_attr at[2] = {CLNN_ATTR_IS("kernel_shape", k2, 2), CLNN_ATTR_I("storage_order", 1)};
    expect_indices(xd, 4, x, at, 1, rows, 8, "2-D, storage_order 0");
    expect_indices(xd, 4, x, at, 2, cols, 8, "2-D, storage_order 1");
    /* Ties keep the first maximum; 1-D. */
    static const int64_t x1d[3] = {1, 1, 4}, k1[1] = {2};
    const float ties[4] = {2, 2, 1, 2}, first[3] = {0, 1, 3};
    at[0] = CLNN_ATTR_IS("kernel_shape", k1, 1);
    expect_indices(x1d, 3, ties, at, 1, first, 3, "1-D ties");
    /* Padding is never chosen (inputs below zero, padding -inf): pads (1, 1), kernel 2,
     * stride 2 on 3 elements: windows {pad, x0}, {x1, x2}. */
    static const int64_t p11[2] = {1, 1}, s2[1] = {2};
    const float neg[3] = {-3, -1, -2}, padded[2] = {0, 1};
    clnn_attr pa[3] = {CLNN_ATTR_IS("kernel_shape", k1, 1), CLNN_ATTR_IS("pads", p11, 2),
                       CLNN_ATTR_IS("strides", s2, 1)};
    static const int64_t x3[3] = {1, 1, 3};
    expect_indices(x3, 3, neg, pa, 3, padded, 2, "1-D padded");
}

typedef struct icase {
    int nd;
    int64_t x[5], k[3], s[3], d[3], pads[6];
    bool ceil;
    int order;
} icase;

static const icase icases[] = {
    {1, {2, 3, 11}, {3}, {2}, {0}, {1, 1}, false, 0},
    {2, {2, 3, 7, 9}, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, false, 0},
    {2, {2, 3, 7, 9}, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, false, 1},
    {2, {1, 2, 8, 7}, {3, 2}, {2, 1}, {2, 2}, {1, 0, 2, 1}, true, 1},
    {2, {1, 4, 13, 11}, {2, 2}, {2, 2}, {0}, {0}, true, 0},
    {3, {2, 2, 5, 6, 7}, {2, 3, 2}, {2, 2, 2}, {0}, {1, 1, 0, 0, 1, 1}, true, 0},
    {3, {1, 2, 5, 6, 7}, {3, 2, 2}, {1, 2, 3}, {2, 1, 1}, {1, 0, 1, 1, 1, 0}, false, 1},
};

static void test_indices_sweep(void **state)
{
    (void)state;
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(icases); i++) {
        const icase *c = &icases[i];
        const size_t r = (size_t)c->nd;
        clnn_attr at[6];
        size_t na = 0;
        at[na++] = CLNN_ATTR_IS("kernel_shape", c->k, r);
        at[na++] = CLNN_ATTR_IS("strides", c->s, r);
        if (c->d[0]) at[na++] = CLNN_ATTR_IS("dilations", c->d, r);
        if (c->pads[0] || c->pads[r]) at[na++] = CLNN_ATTR_IS("pads", c->pads, 2 * r);
        at[na++] = CLNN_ATTR_I("ceil_mode", c->ceil);
        at[na++] = CLNN_ATTR_I("storage_order", c->order);
        const gnode *n;
        clnn_status st;
        clnn_graph *g = indices_graph(c->x, r + 2, at, na, 12, &n, &st);
        if (st != CLNN_STATUS_OK) print_error("case %zu: %s\n", i, clnn_last_error());
        assert_int_equal(st, CLNN_STATUS_OK);
        run_opts ro = lt_defaults((uint32_t)i + 7);
        float *got, *want;
        size_t count;
        lt_run_node(clnn_layer_find(OP_MAX_POOL), g, n, &ro, &got, &want, &count);
        const double all = (double)clnn_tensor_count(clnn_node_input(g, n, 0));
        char what[96];
        snprintf(what, sizeof what, "indices case %zu (%d-D, storage_order %d)", i, c->nd,
                 c->order);
        ok &= tu_allclose(got, want, count, 0.0f, 0.0f, what);
        for (size_t j = 0; j < count; j++)
            ok &= want[j] >= 0 && want[j] < all && want[j] == floorf(want[j]);
        free(got);
        free(want);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

static void expect_indices_refused(const int64_t *xd, size_t nx, int opset, const char *needle)
{
    static const int64_t k2[2] = {2, 2};
    clnn_attr at = CLNN_ATTR_IS("kernel_shape", k2, 2);
    const gnode *n;
    clnn_status st;
    clnn_graph *g = indices_graph(xd, nx, &at, 1, opset, &n, &st);
    if (st == CLNN_STATUS_OK || !strstr(clnn_last_error(), "n0") ||
        !strstr(clnn_last_error(), needle))
        print_error("status %d, '%s' should name n0 and '%s'\n", (int)st, clnn_last_error(),
                    needle);
    assert_int_not_equal(st, CLNN_STATUS_OK);
    assert_non_null(strstr(clnn_last_error(), "n0"));
    assert_non_null(strstr(clnn_last_error(), needle));
    clnn_graph_destroy(g);
}

static void test_indices_refusals(void **state)
{
    (void)state;
    /* 4097^2 > 2^24 elements: not exact as floats. 4096^2 = 2^24 is. */
    static const int64_t big[4] = {1, 1, 4097, 4097}, edge[4] = {1, 1, 4096, 4096},
                         small[4] = {1, 1, 4, 4};
    expect_indices_refused(big, 4, 12, "2^24");
    const gnode *n;
    clnn_status st;
    static const int64_t k2[2] = {2, 2};
    clnn_attr at = CLNN_ATTR_IS("kernel_shape", k2, 2);
    clnn_graph *g = indices_graph(edge, 4, &at, 1, 12, &n, &st);
    assert_int_equal(st, CLNN_STATUS_OK);
    clnn_graph_destroy(g);
    /* Indices came with MaxPool 8. */
    expect_indices_refused(small, 4, 7, "version 8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep),         cmocka_unit_test(test_max_negative),
        cmocka_unit_test(test_known_values),  cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_hand_computed), cmocka_unit_test(test_max_nan),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_mismatched_buffers),
        cmocka_unit_test(test_dilated_sweep),
        cmocka_unit_test(test_dilated_hand_computed),
        cmocka_unit_test(test_dilated_invalid),
        cmocka_unit_test(test_dilated_graphs),
    };
    const struct CMUnitTest indices[] = {
        cmocka_unit_test(test_indices_hand_computed),
        cmocka_unit_test(test_indices_sweep),
        cmocka_unit_test(test_indices_refusals),
    };
    int failed = cmocka_run_group_tests_name("pool", tests, tu_group_setup, tu_group_teardown);
    return failed | cmocka_run_group_tests_name("pool indices", indices, lt_setup, lt_teardown);
}
