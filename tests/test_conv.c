/*
 * test_conv.c - every convolution algorithm against the C reference (lib/ops/conv_ref.c)
 * over awkward shapes and all epilogues, knob settings other than the defaults, and the
 * refusal of invalid parameters.
 *
 * Tolerance: |got - want| <= tol * scale, scale = max(1, max |want|) over the output, with
 * inputs and weights uniform in [-1, 1]:
 *   direct, gemm1x1:  tol = 2e-5 (float accumulation in another order)
 *   depthwise:        tol = 2e-5
 *   winograd2x2:      tol = 5e-5
 *   winograd4x4:      tol = 5e-4 (its transforms scale values by up to 8 and back; the
 *                     issue allows 1e-3 of the output's scale). The worst error measured over
 *                     this sweep is printed by the test.
 */
#include "testutil.h"

#include "../lib/ops/conv.h"

#include <math.h>

typedef struct shape {
    int n, c, h, w, k, r, s, sh, sw, pt, pl, pb, pr, dh, dw, g;
} shape;

static const shape shapes[] = {
    /* n  c   h   w   k   r  s sh sw pt pl pb pr dh dw g */
    {1, 3, 7, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},      /* tiny, odd */
    {3, 5, 13, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* batch 3, prime sizes */
    {1, 16, 17, 17, 19, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},  /* stride 2 */
    {2, 8, 9, 13, 6, 3, 3, 1, 1, 0, 2, 1, 0, 1, 1, 1},     /* asymmetric padding */
    {1, 6, 15, 15, 10, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1},   /* dilation 2 */
    {2, 12, 10, 10, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},  /* groups 3 */
    {1, 24, 11, 11, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 24}, /* depthwise */
    {1, 24, 12, 12, 48, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 24}, /* depthwise x2, stride 2 */
    {1, 32, 14, 14, 48, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1},  /* 5x5 */
    {1, 7, 1, 1, 9, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},      /* 1x1 spatial */
    {2, 33, 8, 8, 65, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},    /* 1x1, awkward channels */
    {1, 20, 15, 15, 17, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1},  /* 1x1 stride 2 */
    {3, 9, 7, 5, 3, 1, 1, 2, 1, 0, 0, 0, 0, 1, 1, 1},      /* 1x1 mixed strides */
    {1, 1, 3, 3, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},      /* 1x1 output */
    {1, 256, 6, 6, 300, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* wide, small map */
    {1, 3, 35, 35, 10, 11, 11, 4, 4, 2, 2, 2, 2, 1, 1, 1}, /* AlexNet-like 11x11/4 */
    {1, 8, 12, 12, 8, 1, 7, 1, 1, 0, 3, 0, 3, 1, 1, 1},    /* 1x7 */
    {2, 8, 12, 9, 8, 7, 1, 1, 1, 3, 0, 3, 0, 1, 1, 1},     /* 7x1 */
    {1, 17, 9, 11, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* Winograd: partial tiles */
    {3, 16, 7, 7, 16, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},    /* Winograd: 5x5 output */
    {1, 64, 30, 30, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* a real-sized 3x3 layer */
    {1, 3, 29, 31, 16, 3, 3, 2, 2, 0, 1, 1, 0, 1, 1, 1},   /* stem-like, stride 2, odd pads */
    {2, 13, 23, 37, 13, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 13}, /* depthwise 5x5/2, odd map */
    {1, 7, 19, 21, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 7},    /* depthwise dilated */
    {1, 5, 9, 113, 5, 3, 3, 1, 1, 0, 1, 2, 0, 1, 1, 5},    /* depthwise asymmetric pads */
    {3, 4, 1, 1, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4},     /* depthwise x3 on a 1x1 map */
    {1, 6, 16, 16, 6, 7, 7, 3, 3, 3, 3, 3, 3, 1, 1, 6},    /* depthwise 7x7/3 */
};

typedef struct epilogue {
    bool bias;
    clnn_activation act;
    float a, b;
    clnn_residual res;
} epilogue;

static const epilogue epilogues[] = {
    {true, CLNN_ACTIVATION_RELU, 0, 0, CLNN_RESIDUAL_NONE},
    {false, CLNN_ACTIVATION_NONE, 0, 0, CLNN_RESIDUAL_NONE},
    {true, CLNN_ACTIVATION_CLIP, 0, 6, CLNN_RESIDUAL_BEFORE_ACTIVATION},
    {true, CLNN_ACTIVATION_LEAKY_RELU, 0.1f, 0, CLNN_RESIDUAL_AFTER_ACTIVATION},
    {false, CLNN_ACTIVATION_SIGMOID, 0, 0, CLNN_RESIDUAL_NONE},
    {true, CLNN_ACTIVATION_RELU, 0, 0, CLNN_RESIDUAL_BEFORE_ACTIVATION},
};

static clnn_context *ctx;
static double worst[CLNN_CONV_ALGO_COUNT];

static int setup(void **state)
{
    (void)state;
    return tu_context(&ctx) == CLNN_STATUS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clnn_context_destroy(ctx);
    return 0;
}

static clnn_conv_params params_of(const shape *s, const epilogue *e)
{
    clnn_conv_params p;
    memset(&p, 0, sizeof p);
    p.batch = s->n;
    p.in_channels = s->c;
    p.in_height = s->h;
    p.in_width = s->w;
    p.out_channels = s->k;
    p.kernel_h = s->r;
    p.kernel_w = s->s;
    p.stride_h = s->sh;
    p.stride_w = s->sw;
    p.pad_top = s->pt;
    p.pad_left = s->pl;
    p.pad_bottom = s->pb;
    p.pad_right = s->pr;
    p.dilation_h = s->dh;
    p.dilation_w = s->dw;
    p.groups = s->g;
    p.has_bias = e->bias;
    p.activation = e->act;
    p.act_alpha = e->a;
    p.act_beta = e->b;
    p.residual = e->res;
    return p;
}

static float tolerance(clnn_conv_algo a)
{
    switch (a) {
    case CLNN_CONV_ALGO_WINOGRAD_2X2: return 5e-5f;
    case CLNN_CONV_ALGO_WINOGRAD_4X4: return 5e-4f;
    default: return 2e-5f;
    }
}

/* Runs one layer with one algorithm (cfg NULL: default knobs) and compares. */
static void check_layer(const clnn_conv_params *p, clnn_conv_algo algo,
                        const clnn_knob_config *cfg, uint32_t seed)
{
    int P, Q;
    assert_int_equal(clnn_conv_output_size(p, &P, &Q), CLNN_STATUS_OK);
    int g = p->groups ? p->groups : 1;
    size_t nin = (size_t)p->batch * p->in_channels * p->in_height * p->in_width;
    size_t nout = (size_t)p->batch * p->out_channels * P * Q;
    size_t nw = (size_t)p->out_channels * (p->in_channels / g) * p->kernel_h * p->kernel_w;
    float *x = malloc(nin * sizeof *x), *w = malloc(nw * sizeof *w);
    float *b = malloc((size_t)p->out_channels * sizeof *b), *r = malloc(nout * sizeof *r);
    float *want = malloc(nout * sizeof *want), *got = malloc(nout * sizeof *got);
    tu_fill_uniform(x, nin, seed, -1, 1);
    tu_fill_uniform(w, nw, seed + 1, -1, 1);
    tu_fill_uniform(b, (size_t)p->out_channels, seed + 2, -1, 1);
    tu_fill_uniform(r, nout, seed + 3, -1, 1);
    const float *res = p->residual ? r : NULL;
    assert_int_equal(clnn_conv_reference(p, x, w, p->has_bias ? b : NULL, res, want),
                     CLNN_STATUS_OK);

    clnn_conv *conv = NULL;
    clnn_status st = clnn_conv_create_knobs(ctx, 0, p, algo, cfg, w, p->has_bias ? b : NULL,
                                            &conv);
    if (st != CLNN_STATUS_OK) print_error("create %s: %s\n", clnn_conv_algo_name(algo),
                                          clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    assert_int_equal(clnn_conv_algorithm(conv), algo);
    st = clnn_conv_run(conv, x, nin, res, res ? nout : 0, got, nout);
    if (st != CLNN_STATUS_OK) print_error("run: %s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);

    double scale = 1.0, err = 0.0;
    for (size_t i = 0; i < nout; i++) scale = fmax(scale, fabs(want[i]));
    for (size_t i = 0; i < nout; i++) err = fmax(err, fabs(got[i] - want[i]) / scale);
    if (err > worst[algo]) worst[algo] = err;
    char what[256];
    snprintf(what, sizeof what,
             "%s [%s] n%d c%d %dx%d k%d %dx%d s%d,%d pad %d,%d,%d,%d d%d,%d g%d act %d res %d",
             clnn_conv_algo_name(algo), clnn_conv_config(conv), p->batch, p->in_channels,
             p->in_height, p->in_width, p->out_channels, p->kernel_h, p->kernel_w, p->stride_h,
             p->stride_w, p->pad_top, p->pad_left, p->pad_bottom, p->pad_right, p->dilation_h,
             p->dilation_w, g, (int)p->activation, (int)p->residual);
    int ok = tu_allclose(got, want, nout, tolerance(algo) * (float)scale, 0, what);
    clnn_conv_destroy(conv);
    free(x), free(w), free(b), free(r), free(want), free(got);
    assert_true(ok);
}

static void test_sweep(clnn_conv_algo algo)
{
    int ran = 0;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(shapes); i++) {
        const epilogue *e = &epilogues[i % CLNN_ARRAY_LEN(epilogues)];
        clnn_conv_params p = params_of(&shapes[i], e);
        if (clnn_conv_algo_check(&p, algo) != CLNN_STATUS_OK) continue;
        const shape *sh = &shapes[i];
        if (tu_small() && (double)sh->n * sh->k * sh->h * sh->w * sh->c / sh->g * sh->r * sh->s > 4e5)
            continue; /* a simulator run (CLNN_TEST_SMALL): the small layers only */
        check_layer(&p, algo, NULL, (uint32_t)(i * 7 + algo));
        ran++;
    }
    assert_true(ran >= 3); /* the sweep really covers the algorithm */
    print_message("%s: %d layers, worst error %.3g of the output scale\n",
                  clnn_conv_algo_name(algo), ran, worst[algo]);
}

static void test_direct(void **state)
{
    (void)state;
    test_sweep(CLNN_CONV_ALGO_DIRECT);
}
static void test_gemm1x1(void **state)
{
    (void)state;
    test_sweep(CLNN_CONV_ALGO_GEMM_1X1);
}
static void test_winograd2(void **state)
{
    (void)state;
    test_sweep(CLNN_CONV_ALGO_WINOGRAD_2X2);
}
static void test_winograd4(void **state)
{
    (void)state;
    test_sweep(CLNN_CONV_ALGO_WINOGRAD_4X4);
}
static void test_depthwise(void **state)
{
    (void)state;
    test_sweep(CLNN_CONV_ALGO_DEPTHWISE);
}

/* The depthwise kernel's blocks (TW x TH outputs per work-item) and work-groups: blocks
 * wider and taller than the map, scalar work-items in wide groups, tails in both
 * directions. */
static void test_depthwise_knobs(void **state)
{
    (void)state;
    static const int cfgs[][4] = {
        {1, 1, 1, 1}, {16, 4, 1, 1}, {2, 2, 32, 4}, {8, 8, 1, 8}, {4, 1, 16, 1}, {1, 8, 128, 1},
    };
    const shape sh[] = {
        {2, 9, 13, 19, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 9},
        {1, 8, 15, 17, 16, 3, 3, 2, 2, 1, 0, 0, 1, 1, 1, 8},
        {1, 3, 11, 12, 3, 5, 5, 1, 2, 2, 2, 2, 2, 2, 1, 3},
    };
    for (size_t l = 0; l < CLNN_ARRAY_LEN(sh); l++)
        for (size_t i = 0; i < CLNN_ARRAY_LEN(cfgs); i++) {
            clnn_knob_config cfg;
            memset(&cfg, 0, sizeof cfg);
            for (int j = 0; j < 4; j++) cfg.v[j] = cfgs[i][j];
            clnn_conv_params p = params_of(&sh[l], &epilogues[(i + l) % CLNN_ARRAY_LEN(epilogues)]);
            check_layer(&p, CLNN_CONV_ALGO_DEPTHWISE, &cfg, (uint32_t)(100 + l * 10 + i));
        }
}

/* Knob settings other than the CPU defaults: GPU-style scalar work-items in wide groups,
 * odd tiles; each must still be exact. */
static void test_knob_variants(void **state)
{
    (void)state;
    /* TK/TM, VEC, TV/TN, WGX, WGY, and for direct UNROLL (ignored by the others) */
    static const int cfgs[][6] = {
        {4, 1, 4, 32, 1, 0}, {12, 4, 3, 2, 2, 1}, {1, 8, 1, 1, 1, 0}, {32, 2, 2, 8, 1, 1},
        {2, 16, 4, 1, 4, 0},
    };
    const shape sh[] = {
        {2, 12, 10, 10, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},
        {2, 33, 8, 8, 65, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
        {1, 17, 9, 11, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    };
    const clnn_conv_algo algos[] = {CLNN_CONV_ALGO_DIRECT, CLNN_CONV_ALGO_GEMM_1X1,
                                    CLNN_CONV_ALGO_WINOGRAD_4X4};
    for (size_t a = 0; a < CLNN_ARRAY_LEN(algos); a++)
        for (size_t i = 0; i < CLNN_ARRAY_LEN(cfgs); i++) {
            clnn_knob_config cfg;
            memset(&cfg, 0, sizeof cfg);
            for (int j = 0; j < 5; j++) cfg.v[j] = cfgs[i][j];
            if (algos[a] == CLNN_CONV_ALGO_DIRECT) cfg.v[5] = cfgs[i][5];
            clnn_conv_params p = params_of(&sh[a], &epilogues[i % CLNN_ARRAY_LEN(epilogues)]);
            check_layer(&p, algos[a], &cfg, (uint32_t)(100 + i));
        }
}

static clnn_conv_params valid_params(void)
{
    shape s = {1, 4, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    return params_of(&s, &epilogues[1]);
}

static void expect_create_fails(const clnn_conv_params *p, clnn_conv_algo algo,
                                clnn_status want, const char *text)
{
    float w[4096] = {0};
    clnn_conv *conv = (clnn_conv *)1;
    clnn_status st = clnn_conv_create(ctx, 0, p, algo, w, NULL, &conv);
    assert_int_equal(st, want);
    assert_null(conv);
    if (!strstr(clnn_last_error(), text))
        print_error("message '%s' lacks '%s'\n", clnn_last_error(), text);
    assert_non_null(strstr(clnn_last_error(), text));
}

static void test_invalid(void **state)
{
    (void)state;
    clnn_conv_params p = valid_params();
    p.in_channels = 0;
    expect_create_fails(&p, CLNN_CONV_ALGO_AUTO, CLNN_STATUS_INVALID_ARGUMENT, "in_channels");
    p = valid_params();
    p.batch = -2;
    expect_create_fails(&p, CLNN_CONV_ALGO_AUTO, CLNN_STATUS_INVALID_ARGUMENT, "batch");
    p = valid_params();
    p.pad_left = -1;
    expect_create_fails(&p, CLNN_CONV_ALGO_AUTO, CLNN_STATUS_INVALID_ARGUMENT, "pad_left");
    p = valid_params();
    p.kernel_h = 11; /* larger than the padded 10 x 10 input */
    expect_create_fails(&p, CLNN_CONV_ALGO_AUTO, CLNN_STATUS_SHAPE_MISMATCH, "larger");
    p = valid_params();
    p.groups = 3;
    expect_create_fails(&p, CLNN_CONV_ALGO_AUTO, CLNN_STATUS_INVALID_ARGUMENT, "divisible");
    p = valid_params();
    p.kernel_h = p.kernel_w = 5;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 2;
    expect_create_fails(&p, CLNN_CONV_ALGO_WINOGRAD_4X4, CLNN_STATUS_UNSUPPORTED, "3x3");
    expect_create_fails(&p, CLNN_CONV_ALGO_WINOGRAD_2X2, CLNN_STATUS_UNSUPPORTED, "3x3");
    assert_int_equal(clnn_conv_algo_check(&p, CLNN_CONV_ALGO_WINOGRAD_4X4),
                     CLNN_STATUS_UNSUPPORTED);
    p = valid_params();
    expect_create_fails(&p, CLNN_CONV_ALGO_GEMM_1X1, CLNN_STATUS_UNSUPPORTED, "1x1");
    p.stride_h = 2;
    expect_create_fails(&p, CLNN_CONV_ALGO_WINOGRAD_2X2, CLNN_STATUS_UNSUPPORTED, "stride");
    p = valid_params();
    expect_create_fails(&p, (clnn_conv_algo)42, CLNN_STATUS_INVALID_ARGUMENT, "unknown");
    p.has_bias = true; /* bias NULL */
    expect_create_fails(&p, CLNN_CONV_ALGO_DIRECT, CLNN_STATUS_INVALID_ARGUMENT, "bias");
    p = valid_params();
    p.activation = CLNN_ACTIVATION_CLIP;
    p.act_alpha = NAN; /* crossed bounds are valid (ONNX gives the upper one); NaN is not */
    p.act_beta = 0;
    expect_create_fails(&p, CLNN_CONV_ALGO_DIRECT, CLNN_STATUS_INVALID_ARGUMENT, "clip");
    p = valid_params();
    p.in_height = 1 << 20;
    p.in_width = 1 << 20;
    expect_create_fails(&p, CLNN_CONV_ALGO_DIRECT, CLNN_STATUS_INVALID_ARGUMENT, "2^31");
    p = valid_params();
    clnn_conv *conv = (clnn_conv *)1;
    assert_int_equal(clnn_conv_create(ctx, 0, &p, CLNN_CONV_ALGO_DIRECT, NULL, NULL, &conv),
                     CLNN_STATUS_INVALID_ARGUMENT);
    assert_null(conv);
    float w[4 * 4 * 9] = {0};
    assert_int_equal(clnn_conv_create(ctx, 7, &p, CLNN_CONV_ALGO_DIRECT, w, NULL, &conv),
                     CLNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clnn_conv_create(NULL, 0, &p, CLNN_CONV_ALGO_DIRECT, w, NULL, &conv),
                     CLNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clnn_conv_output_size(NULL, NULL, NULL), CLNN_STATUS_INVALID_ARGUMENT);
}

/* Wrong buffer sizes are refused and leave the output untouched. */
static void test_mismatched_buffers(void **state)
{
    (void)state;
    clnn_conv_params p = valid_params();
    float w[4 * 4 * 9];
    tu_fill_uniform(w, CLNN_ARRAY_LEN(w), 5, -1, 1);
    clnn_conv *conv;
    assert_int_equal(clnn_conv_create(ctx, 0, &p, CLNN_CONV_ALGO_AUTO, w, NULL, &conv),
                     CLNN_STATUS_OK);
    size_t nin = clnn_conv_input_count(conv), nout = clnn_conv_output_count(conv);
    assert_int_equal(nin, 4 * 8 * 8);
    assert_int_equal(nout, 4 * 8 * 8);
    float x[256], out[257], r[256];
    tu_fill_uniform(x, 256, 1, -1, 1);
    for (int i = 0; i < 257; i++) out[i] = 12345.0f;
    assert_int_equal(clnn_conv_run(conv, x, nin - 1, NULL, 0, out, nout), CLNN_STATUS_SHAPE_MISMATCH);
    assert_non_null(strstr(clnn_last_error(), "input has 255"));
    assert_int_equal(clnn_conv_run(conv, x, nin, NULL, 0, out, nout + 1), CLNN_STATUS_SHAPE_MISMATCH);
    assert_int_equal(clnn_conv_run(conv, x, nin, r, nout, out, nout), CLNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clnn_conv_run(conv, NULL, nin, NULL, 0, out, nout), CLNN_STATUS_INVALID_ARGUMENT);
    for (int i = 0; i < 257; i++) assert_float_equal(out[i], 12345.0f, 0);

    /* Device buffers too small for the layer. */
    cl_context clctx;
    cl_command_queue q;
    assert_int_equal(clnn_context_cl_handles(ctx, 0, &clctx, NULL, &q), CLNN_STATUS_OK);
    cl_int err;
    cl_mem small = clCreateBuffer(clctx, CL_MEM_READ_WRITE, 100 * sizeof(float), NULL, &err);
    cl_mem big = clCreateBuffer(clctx, CL_MEM_READ_WRITE, 256 * sizeof(float), NULL, &err);
    assert_int_equal(clnn_conv_enqueue(conv, NULL, small, NULL, big, 0, NULL, NULL),
                     CLNN_STATUS_SHAPE_MISMATCH);
    assert_non_null(strstr(clnn_last_error(), "input buffer"));
    assert_int_equal(clnn_conv_enqueue(conv, NULL, big, NULL, small, 0, NULL, NULL),
                     CLNN_STATUS_SHAPE_MISMATCH);
    assert_int_equal(clnn_conv_enqueue(conv, NULL, big, NULL, NULL, 0, NULL, NULL),
                     CLNN_STATUS_INVALID_ARGUMENT);
    /* The right sizes work through the zero-copy path, with an event. */
    cl_mem in = clCreateBuffer(clctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, 256 * 4, x, &err);
    cl_event done = NULL;
    assert_int_equal(clnn_conv_enqueue(conv, q, in, NULL, big, 0, NULL, &done), CLNN_STATUS_OK);
    assert_non_null(done);
    clWaitForEvents(1, &done);
    clReleaseEvent(done);
    float want[256];
    assert_int_equal(clnn_conv_reference(&p, x, w, NULL, NULL, want), CLNN_STATUS_OK);
    assert_int_equal(clEnqueueReadBuffer(q, big, CL_TRUE, 0, sizeof want, out, 0, NULL, NULL),
                     CL_SUCCESS);
    assert_true(tu_allclose(out, want, 256, 1e-4f, 1e-5f, "enqueue path"));
    clReleaseMemObject(in);
    clReleaseMemObject(small);
    clReleaseMemObject(big);
    clnn_conv_destroy(conv);
}

/* Every algorithm writes into a slice of a larger tensor (a concatenation in place): out_off
 * floats in, out_img_stride floats per image, nothing outside the slice touched. */
static void test_strided_output(void **state)
{
    (void)state;
    const shape sh = {2, 16, 9, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    const shape sh1 = {2, 16, 9, 9, 16, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1};
    const shape shd = {2, 16, 9, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16};
    const clnn_conv_algo algos[] = {CLNN_CONV_ALGO_DIRECT, CLNN_CONV_ALGO_GEMM_1X1,
                                    CLNN_CONV_ALGO_WINOGRAD_2X2, CLNN_CONV_ALGO_WINOGRAD_4X4,
                                    CLNN_CONV_ALGO_DEPTHWISE};
    for (size_t a = 0; a < CLNN_ARRAY_LEN(algos); a++) {
        clnn_conv_params p = params_of(algos[a] == CLNN_CONV_ALGO_GEMM_1X1   ? &sh1
                                       : algos[a] == CLNN_CONV_ALGO_DEPTHWISE ? &shd
                                                                              : &sh,
                                       &epilogues[5]); /* bias, residual, relu */
        size_t nin = 2 * 16 * 81, nout = 2 * 16 * 81,
               nw = 16 * (size_t)(16 / p.groups) * p.kernel_h * p.kernel_w;
        float *x = malloc(nin * 4), *w = malloc(nw * 4), *b = malloc(16 * 4), *r = malloc(nout * 4);
        float *want = malloc(nout * 4);
        tu_fill_uniform(x, nin, 1, -1, 1);
        tu_fill_uniform(w, nw, 2, -1, 1);
        tu_fill_uniform(b, 16, 3, -1, 1);
        tu_fill_uniform(r, nout, 4, -1, 1);
        assert_int_equal(clnn_conv_reference(&p, x, w, b, r, want), CLNN_STATUS_OK);
        clnn_conv *conv;
        assert_int_equal(clnn_conv_create(ctx, 0, &p, algos[a], w, b, &conv), CLNN_STATUS_OK);
        /* The output is channels 5..20 of a 40-channel tensor. */
        const int total = 40, off = 5 * 81, stride = total * 81;
        size_t big = 2 * (size_t)stride;
        float *y = malloc(big * 4);
        for (size_t i = 0; i < big; i++) y[i] = -99.0f;
        cl_context cc;
        cl_command_queue q;
        clnn_context_cl_handles(ctx, 0, &cc, NULL, &q);
        cl_int err;
        cl_mem in = clCreateBuffer(cc, CL_MEM_COPY_HOST_PTR, nin * 4, x, &err);
        cl_mem res = clCreateBuffer(cc, CL_MEM_COPY_HOST_PTR, nout * 4, r, &err);
        cl_mem out = clCreateBuffer(cc, CL_MEM_COPY_HOST_PTR, big * 4, y, &err);
        assert_int_equal(clnn_conv_enqueue_at(conv, q, in, res, out, off, stride, 0, NULL, NULL),
                         CLNN_STATUS_OK);
        clEnqueueReadBuffer(q, out, CL_TRUE, 0, big * 4, y, 0, NULL, NULL);
        for (int n = 0; n < 2; n++) {
            float *slice = y + (size_t)n * stride + off;
            assert_true(tu_allclose(slice, want + (size_t)n * 16 * 81, 16 * 81, 1e-3f, 1e-4f,
                                    clnn_conv_algo_name(algos[a])));
            for (int i = 0; i < off; i++) assert_float_equal(y[(size_t)n * stride + i], -99.0f, 0);
            for (int i = off + 16 * 81; i < stride; i++)
                assert_float_equal(y[(size_t)n * stride + i], -99.0f, 0);
        }
        clReleaseMemObject(in), clReleaseMemObject(res), clReleaseMemObject(out);
        clnn_conv_destroy(conv);
        free(x), free(w), free(b), free(r), free(want), free(y);
    }
}

/* The heuristic picks an algorithm that applies and names it. */
static void test_auto_choice(void **state)
{
    (void)state;
    const shape sh[] = {
        {1, 128, 28, 28, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {1, 64, 28, 28, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
        {1, 3, 28, 28, 8, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1},
        {1, 32, 28, 28, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 32},
    };
    const clnn_conv_algo want[] = {CLNN_CONV_ALGO_WINOGRAD_4X4, CLNN_CONV_ALGO_GEMM_1X1,
                                   CLNN_CONV_ALGO_DIRECT, CLNN_CONV_ALGO_DEPTHWISE};
    for (size_t i = 0; i < CLNN_ARRAY_LEN(sh); i++) {
        clnn_conv_params p = params_of(&sh[i], &epilogues[1]);
        size_t nw = (size_t)p.out_channels * p.in_channels * p.kernel_h * p.kernel_w;
        float *w = calloc(nw, sizeof *w);
        clnn_conv *conv;
        /* The built-in heuristic: no knobs given, so no tuning database is consulted (the
         * shipped one may know nearby shapes; tests/test_tune.c covers that path). */
        assert_int_equal(clnn_conv_create_knobs(ctx, 0, &p, CLNN_CONV_ALGO_AUTO, NULL, w, NULL,
                                                &conv),
                         CLNN_STATUS_OK);
        assert_int_equal(clnn_conv_algorithm(conv), want[i]);
        assert_non_null(strstr(clnn_conv_config(conv), clnn_conv_algo_name(want[i])));
        clnn_conv_destroy(conv);
        free(w);
    }
    assert_string_equal(clnn_conv_algo_name(CLNN_CONV_ALGO_AUTO), "auto");
    assert_string_equal(clnn_conv_algo_name((clnn_conv_algo)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct),        cmocka_unit_test(test_gemm1x1),
        cmocka_unit_test(test_winograd2),     cmocka_unit_test(test_winograd4),
        cmocka_unit_test(test_depthwise), cmocka_unit_test(test_depthwise_knobs),
        cmocka_unit_test(test_knob_variants), cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_mismatched_buffers), cmocka_unit_test(test_auto_choice),
        cmocka_unit_test(test_strided_output),
    };
    return cmocka_run_group_tests_name("conv", tests, setup, teardown);
}
