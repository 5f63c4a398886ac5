/*
 * test_session.c - graphs built by hand and run through sessions: results against the C
 * references chained by hand, fusion (BN folding, activations, residual adds), concatenation
 * in place at batch > 1, the memory plan, batch override, verification, and errors.
 *
 * Tolerance: 1e-4 * max(1, |want|) per element (the layers' own tolerances, compounded over
 * a few layers; Winograd is not chosen at these sizes).
 */
#include "testutil.h"

#include <math.h>


static float *rnd(size_t n, uint32_t seed)
{
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    tu_fill_uniform(x, n, seed, -1, 1);
    return x;
}

static void add_const(clnn_graph *g, const char *name, const int64_t *dims, size_t nd,
                      const float *data)
{
    clnn_status st = clnn_graph_add_constant(g, name, dims, nd, data);
    if (st) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

static void add_node(clnn_graph *g, const char *op, const char *name,
                     const char *const *in, size_t nin, const char *out,
                     const clnn_attr *attrs, size_t nattrs)
{
    clnn_status st = clnn_graph_add_node(g, op, name, in, nin, &out, 1, attrs, nattrs);
    if (st) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

static void conv_params(clnn_conv_params *p, int n, int c, int h, int w, int k, int r, int pad)
{
    memset(p, 0, sizeof *p);
    p->batch = n, p->in_channels = c, p->in_height = h, p->in_width = w;
    p->out_channels = k, p->kernel_h = p->kernel_w = r;
    p->pad_top = p->pad_left = p->pad_bottom = p->pad_right = pad;
}

static void relu(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
}

static clnn_session *make_session(const clnn_graph *g, int batch, bool fuse)
{
    clnn_session_options o = {.batch = batch, .disable_fusion = !fuse};
    clnn_session *s = NULL;
    clnn_status st = clnn_session_create(tu_ctx, g, &o, &s);
    if (st) print_error("session: %s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    return s;
}

static void run_session(clnn_session *s, const float *x, size_t nx, float *y, size_t ny)
{
    assert_int_equal(clnn_session_set_input(s, NULL, x, nx), CLNN_STATUS_OK);
    clnn_status st = clnn_session_run(s);
    if (st) print_error("run: %s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    assert_int_equal(clnn_session_get_output(s, NULL, y, ny), CLNN_STATUS_OK);
}

static void expect_close(const float *got, const float *want, size_t n, const char *what)
{
    float scale = 1;
    for (size_t i = 0; i < n; i++) scale = fmaxf(scale, fabsf(want[i]));
    assert_true(tu_allclose(got, want, n, 1e-4f * scale, 0, what));
}

/* x[N,3,13,11] -> Conv 3x3 (8) + BN + Relu -> MaxPool 2 -> Conv 1x1 (6) + Relu
 *   -> GlobalAveragePool -> Flatten -> Gemm (5, transB) */
static void test_small_cnn(void **state)
{
    (void)state;
    const int N = 3;
    clnn_graph *g;
    assert_int_equal(clnn_graph_create(&g), CLNN_STATUS_OK);
    int64_t xd[4] = {-1, 3, 13, 11};
    assert_int_equal(clnn_graph_add_input(g, "x", xd, 4), CLNN_STATUS_OK);
    float *w1 = rnd(8 * 3 * 9, 1), *b1 = rnd(8, 2), *w2 = rnd(6 * 8, 3), *wf = rnd(5 * 6, 4),
          *bf = rnd(5, 5);
    float sc[8], sh[8], mu[8], var[8];
    tu_fill_uniform(sc, 8, 6, 0.5f, 1.5f);
    tu_fill_uniform(sh, 8, 7, -1, 1);
    tu_fill_uniform(mu, 8, 8, -1, 1);
    tu_fill_uniform(var, 8, 9, 0.5f, 2);
    add_const(g, "w1", (int64_t[]){8, 3, 3, 3}, 4, w1);
    add_const(g, "b1", (int64_t[]){8}, 1, b1);
    add_const(g, "sc", (int64_t[]){8}, 1, sc);
    add_const(g, "sh", (int64_t[]){8}, 1, sh);
    add_const(g, "mu", (int64_t[]){8}, 1, mu);
    add_const(g, "var", (int64_t[]){8}, 1, var);
    add_const(g, "w2", (int64_t[]){6, 8, 1, 1}, 4, w2);
    add_const(g, "wf", (int64_t[]){5, 6}, 2, wf);
    add_const(g, "bf", (int64_t[]){5}, 1, bf);
    int64_t pads[4] = {1, 1, 1, 1}, k2[2] = {2, 2};
    clnn_attr conv_a[] = {CLNN_ATTR_IS("pads", pads, 4)};
    add_node(g, "Conv", "conv1", (const char *[]){"x", "w1", "b1"}, 3, "c1", conv_a, 1);
    add_node(g, "BatchNormalization", "bn1", (const char *[]){"c1", "sc", "sh", "mu", "var"}, 5,
             "n1", (clnn_attr[]){CLNN_ATTR_F("epsilon", 1e-3f)}, 1);
    add_node(g, "Relu", "relu1", (const char *[]){"n1"}, 1, "r1", NULL, 0);
    add_node(g, "MaxPool", "pool1", (const char *[]){"r1"}, 1, "p1",
             (clnn_attr[]){CLNN_ATTR_IS("kernel_shape", k2, 2), CLNN_ATTR_IS("strides", k2, 2)}, 2);
    add_node(g, "Conv", "conv2", (const char *[]){"p1", "w2"}, 2, "c2", NULL, 0);
    add_node(g, "Relu", "relu2", (const char *[]){"c2"}, 1, "r2", NULL, 0);
    add_node(g, "GlobalAveragePool", "gap", (const char *[]){"r2"}, 1, "g", NULL, 0);
    add_node(g, "Flatten", "flat", (const char *[]){"g"}, 1, "f", NULL, 0);
    add_node(g, "Gemm", "fc", (const char *[]){"f", "wf", "bf"}, 3, "y",
             (clnn_attr[]){CLNN_ATTR_I("transB", 1)}, 1);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_validate(g, N), CLNN_STATUS_OK);

    /* The expected result, from the references. */
    size_t nx = (size_t)N * 3 * 13 * 11;
    float *x = rnd(nx, 10);
    clnn_conv_params p;
    conv_params(&p, N, 3, 13, 11, 8, 3, 1);
    p.has_bias = true;
    float *c1 = malloc((size_t)N * 8 * 13 * 11 * sizeof *c1);
    assert_int_equal(clnn_conv_reference(&p, x, w1, b1, NULL, c1), CLNN_STATUS_OK);
    for (int n = 0; n < N; n++)
        for (int c = 0; c < 8; c++)
            for (int i = 0; i < 13 * 11; i++) {
                float *v = &c1[((size_t)n * 8 + c) * 143 + i];
                *v = (*v - mu[c]) / sqrtf(var[c] + 1e-3f) * sc[c] + sh[c];
            }
    relu(c1, (size_t)N * 8 * 143);
    clnn_pool_params pp = {.kind = CLNN_POOL_MAX, .batch = N, .channels = 8, .in_height = 13,
                           .in_width = 11, .kernel_h = 2, .kernel_w = 2, .stride_h = 2,
                           .stride_w = 2};
    float *p1 = malloc((size_t)N * 8 * 6 * 5 * sizeof *p1);
    assert_int_equal(clnn_pool_reference(&pp, c1, p1), CLNN_STATUS_OK);
    conv_params(&p, N, 8, 6, 5, 6, 1, 0);
    float *c2 = malloc((size_t)N * 6 * 30 * sizeof *c2);
    assert_int_equal(clnn_conv_reference(&p, p1, w2, NULL, NULL, c2), CLNN_STATUS_OK);
    relu(c2, (size_t)N * 6 * 30);
    float want[3 * 5];
    for (int n = 0; n < N; n++)
        for (int o = 0; o < 5; o++) {
            double acc = bf[o];
            for (int c = 0; c < 6; c++) {
                double m = 0;
                for (int i = 0; i < 30; i++) m += c2[((size_t)n * 6 + c) * 30 + i];
                acc += m / 30 * wf[o * 6 + c];
            }
            want[n * 5 + o] = (float)acc;
        }

    for (int fuse = 1; fuse >= 0; fuse--) {
        clnn_session *s = make_session(g, N, fuse);
        const int64_t *od;
        size_t ond;
        assert_int_equal(clnn_session_output_shape(s, NULL, &od, &ond), CLNN_STATUS_OK);
        assert_int_equal(ond, 2);
        assert_int_equal(od[0], N);
        assert_int_equal(od[1], 5);
        float y[15];
        run_session(s, x, nx, y, 15);
        expect_close(y, want, 15, fuse ? "small cnn, fused" : "small cnn, unfused");
        /* Fused: conv1+bn+relu, pool, conv2+relu, gap, gemm = 5 layers (flatten is a view). */
        if (fuse) {
            assert_int_equal(clnn_session_layer_count(s), 5);
            clnn_layer_info L;
            assert_int_equal(clnn_session_layer(s, 0, &L), CLNN_STATUS_OK);
            assert_string_equal(L.op, "Conv+Relu");
            assert_string_equal(L.name, "conv1");
            assert_non_null(strstr(L.algorithm, "direct"));
        } else {
            assert_int_equal(clnn_session_layer_count(s), 8);
        }
        assert_int_equal(clnn_session_verify(s), CLNN_STATUS_OK);
        for (size_t i = 0; i < clnn_session_layer_count(s); i++) {
            clnn_layer_info L;
            clnn_session_layer(s, i, &L);
            if (!(L.max_error < 1e-4)) print_error("layer %s error %g\n", L.name, L.max_error);
            assert_true(L.max_error < 1e-4);
        }
        clnn_session_destroy(s);
    }
    clnn_graph_destroy(g);
    free(w1), free(b1), free(w2), free(wf), free(bf), free(x), free(c1), free(p1), free(c2);
}

/* x -> Conv A (pad 1) -> Add(x) -> Relu, and Conv B (1x1) -> Concat(A', B', MaxPool(x))
 * along channels: a fused residual, and a concatenation written in place at batch 2. */
static void test_residual_and_concat(void **state)
{
    (void)state;
    const int N = 2, C = 4, H = 7, W = 9;
    clnn_graph *g;
    assert_int_equal(clnn_graph_create(&g), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_input(g, "x", (int64_t[]){N, C, H, W}, 4), CLNN_STATUS_OK);
    float *wa = rnd(C * C * 9, 20), *wb = rnd(5 * C, 21);
    add_const(g, "wa", (int64_t[]){C, C, 3, 3}, 4, wa);
    add_const(g, "wb", (int64_t[]){5, C, 1, 1}, 4, wb);
    int64_t pads[4] = {1, 1, 1, 1}, k3[2] = {3, 3};
    add_node(g, "Conv", "convA", (const char *[]){"x", "wa"}, 2, "a",
             (clnn_attr[]){CLNN_ATTR_IS("pads", pads, 4)}, 1);
    add_node(g, "Add", "add", (const char *[]){"a", "x"}, 2, "s", NULL, 0);
    add_node(g, "Relu", "relu", (const char *[]){"s"}, 1, "r", NULL, 0);
    add_node(g, "Conv", "convB", (const char *[]){"x", "wb"}, 2, "b", NULL, 0);
    add_node(g, "MaxPool", "pool", (const char *[]){"x"}, 1, "m",
             (clnn_attr[]){CLNN_ATTR_IS("kernel_shape", k3, 2), CLNN_ATTR_IS("pads", pads, 4)}, 2);
    add_node(g, "Concat", "cat", (const char *[]){"r", "b", "m"}, 3, "y",
             (clnn_attr[]){CLNN_ATTR_I("axis", 1)}, 1);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);

    size_t nx = (size_t)N * C * H * W, plane = (size_t)H * W, ny = (size_t)N * 13 * plane;
    float *x = rnd(nx, 22), *want = malloc(ny * sizeof *want), *got = malloc(ny * sizeof *got);
    float *a = malloc((size_t)N * C * plane * sizeof *a), *b = malloc((size_t)N * 5 * plane * sizeof *b);
    float *m = malloc(nx * sizeof *m);
    clnn_conv_params p;
    conv_params(&p, N, C, H, W, C, 3, 1);
    assert_int_equal(clnn_conv_reference(&p, x, wa, NULL, NULL, a), CLNN_STATUS_OK);
    for (size_t i = 0; i < nx; i++) a[i] = fmaxf(a[i] + x[i], 0);
    conv_params(&p, N, C, H, W, 5, 1, 0);
    assert_int_equal(clnn_conv_reference(&p, x, wb, NULL, NULL, b), CLNN_STATUS_OK);
    clnn_pool_params pp = {.kind = CLNN_POOL_MAX, .batch = N, .channels = C, .in_height = H,
                           .in_width = W, .kernel_h = 3, .kernel_w = 3, .pad_top = 1,
                           .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
    assert_int_equal(clnn_pool_reference(&pp, x, m), CLNN_STATUS_OK);
    for (int n = 0; n < N; n++) {
        float *o = want + (size_t)n * 13 * plane;
        memcpy(o, a + (size_t)n * C * plane, C * plane * sizeof *o);
        memcpy(o + C * plane, b + (size_t)n * 5 * plane, 5 * plane * sizeof *o);
        memcpy(o + 9 * plane, m + (size_t)n * C * plane, C * plane * sizeof *o);
    }
    for (int fuse = 1; fuse >= 0; fuse--) {
        clnn_session *s = make_session(g, N, fuse);
        run_session(s, x, nx, got, ny);
        expect_close(got, want, ny, fuse ? "residual+concat fused" : "residual+concat unfused");
        if (fuse) {
            clnn_layer_info L;
            assert_int_equal(clnn_session_layer(s, 0, &L), CLNN_STATUS_OK);
            assert_string_equal(L.op, "Conv+Add+Relu");
            /* convA, convB, pool, concat (every input written in place) */
            assert_int_equal(clnn_session_layer_count(s), 4);
            size_t planned, naive;
            clnn_session_memory(s, &planned, &naive);
            /* y itself (13 planes) is all that the plan holds: the slices are inside it. */
            assert_true(planned >= ny * sizeof(float));
            assert_true(planned < ny * sizeof(float) + 4096);
            assert_true(naive >= 2 * ny * sizeof(float));
        }
        assert_int_equal(clnn_session_verify(s), CLNN_STATUS_OK);
        for (size_t i = 0; i < clnn_session_layer_count(s); i++) {
            clnn_layer_info L;
            clnn_session_layer(s, i, &L);
            if (!(L.max_error < 1e-4)) print_error("layer %s error %g\n", L.name, L.max_error);
            assert_true(L.max_error < 1e-4);
        }
        clnn_session_destroy(s);
    }
    clnn_graph_destroy(g);
    free(wa), free(wb), free(x), free(want), free(got), free(a), free(b), free(m);
}

/* A chain of 12 convolutions: buffers are reused, so the plan needs far less than one
 * buffer per tensor. The model declares batch 1; the session runs batch 2. */
static void test_memory_plan_and_batch(void **state)
{
    (void)state;
    clnn_graph *g;
    assert_int_equal(clnn_graph_create(&g), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_input(g, "x", (int64_t[]){1, 8, 16, 16}, 4), CLNN_STATUS_OK);
    float *w = rnd(8 * 8 * 9, 30);
    for (int i = 0; i < 8 * 8 * 9; i++) w[i] *= 0.2f;
    add_const(g, "w", (int64_t[]){8, 8, 3, 3}, 4, w);
    int64_t pads[4] = {1, 1, 1, 1};
    char prev[16] = "x", cur[16];
    for (int i = 0; i < 12; i++) {
        snprintf(cur, sizeof cur, "t%d", i);
        add_node(g, "Conv", cur, (const char *[]){prev, "w"}, 2, cur,
                 (clnn_attr[]){CLNN_ATTR_IS("pads", pads, 4)}, 1);
        snprintf(prev, sizeof prev, "%s", cur);
    }
    assert_int_equal(clnn_graph_add_output(g, prev), CLNN_STATUS_OK);
    clnn_session *s = make_session(g, 2, true);
    size_t planned, naive;
    clnn_session_memory(s, &planned, &naive);
    size_t one = 2 * 8 * 16 * 16 * sizeof(float);
    assert_int_equal(naive, 12 * one);
    assert_true(planned <= 2 * one + 1024);
    const int64_t *d;
    size_t nd;
    assert_int_equal(clnn_session_input_shape(s, "x", &d, &nd), CLNN_STATUS_OK);
    assert_int_equal(d[0], 2);
    float *x = rnd(2 * 8 * 256, 31), *y = malloc(2 * 8 * 256 * sizeof *y);
    float *ref = malloc(2 * 8 * 256 * sizeof *ref), *tmp = malloc(2 * 8 * 256 * sizeof *tmp);
    run_session(s, x, 2 * 8 * 256, y, 2 * 8 * 256);
    clnn_conv_params p;
    conv_params(&p, 2, 8, 16, 16, 8, 3, 1);
    memcpy(ref, x, 2 * 8 * 256 * sizeof *x);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(clnn_conv_reference(&p, ref, w, NULL, NULL, tmp), CLNN_STATUS_OK);
        memcpy(ref, tmp, 2 * 8 * 256 * sizeof *x);
    }
    expect_close(y, ref, 2 * 8 * 256, "conv chain");

    /* Errors leave the session usable. */
    assert_int_equal(clnn_session_set_input(s, NULL, x, 7), CLNN_STATUS_SHAPE_MISMATCH);
    assert_non_null(strstr(clnn_last_error(), "takes 4096 floats"));
    assert_int_equal(clnn_session_set_input(s, "nope", x, 4096), CLNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clnn_session_get_output(s, NULL, y, 5), CLNN_STATUS_SHAPE_MISMATCH);
    assert_int_equal(clnn_session_get_output(s, "t3", y, 4096), CLNN_STATUS_INVALID_ARGUMENT);
    run_session(s, x, 2 * 8 * 256, y, 2 * 8 * 256);
    expect_close(y, ref, 2 * 8 * 256, "conv chain again");
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
    free(w), free(x), free(y), free(ref), free(tmp);
}

static void test_graph_errors(void **state)
{
    (void)state;
    clnn_graph *g;
    assert_int_equal(clnn_graph_create(&g), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_input(g, "x", (int64_t[]){1, 3, 8, 8}, 4), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_input(g, "x", (int64_t[]){1, 3, 8, 8}, 4), CLNN_STATUS_INVALID_MODEL);
    assert_int_equal(clnn_graph_add_input(g, "z", (int64_t[]){1, -3, 8, 8}, 4),
                     CLNN_STATUS_INVALID_ARGUMENT);
    const char *out = "y";
    assert_int_equal(clnn_graph_add_node(g, "StringNormalizer", "sp", (const char *[]){"x"}, 1, &out, 1, NULL, 0),
                     CLNN_STATUS_UNSUPPORTED);
    assert_non_null(strstr(clnn_last_error(), "'sp'"));
    assert_non_null(strstr(clnn_last_error(), "StringNormalizer"));
    assert_int_equal(clnn_graph_add_node(g, "Relu", "r", (const char *[]){"missing"}, 1, &out, 1, NULL, 0),
                     CLNN_STATUS_INVALID_MODEL);
    assert_non_null(strstr(clnn_last_error(), "missing"));
    clnn_attr bad = CLNN_ATTR_I("frobnicate", 1);
    assert_int_equal(clnn_graph_add_node(g, "Relu", "r", (const char *[]){"x"}, 1, &out, 1, &bad, 1),
                     CLNN_STATUS_UNSUPPORTED);
    assert_non_null(strstr(clnn_last_error(), "frobnicate"));
    int64_t four[4] = {1, 1, 1, 1}; /* 4-D windows: beyond clnn's 1-D to 3-D */
    clnn_attr k3 = CLNN_ATTR_IS("kernel_shape", four, 4);
    assert_int_equal(clnn_graph_add_node(g, "MaxPool", "mp", (const char *[]){"x"}, 1, &out, 1, &k3, 1),
                     CLNN_STATUS_UNSUPPORTED);
    assert_int_equal(clnn_graph_add_node(g, "MaxPool", "mp", (const char *[]){"x"}, 1, &out, 1, NULL, 0),
                     CLNN_STATUS_INVALID_MODEL); /* kernel_shape is required */
    /* Shape errors surface at validation with the node named. */
    float w[2 * 5 * 9] = {0};
    add_const(g, "w", (int64_t[]){2, 5, 3, 3}, 4, w);
    add_node(g, "Conv", "badconv", (const char *[]){"x", "w"}, 2, "y", NULL, 0);
    assert_int_equal(clnn_graph_validate(g, 1), CLNN_STATUS_INVALID_MODEL); /* no outputs */
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_validate(g, 1), CLNN_STATUS_INVALID_MODEL);
    assert_non_null(strstr(clnn_last_error(), "badconv"));
    assert_non_null(strstr(clnn_last_error(), "channels"));
    clnn_session *s = (clnn_session *)1;
    assert_int_equal(clnn_session_create(tu_ctx, g, NULL, &s), CLNN_STATUS_INVALID_MODEL);
    assert_null(s);
    assert_int_equal(clnn_graph_add_output(g, "nothing"), CLNN_STATUS_INVALID_MODEL);
    clnn_graph_destroy(g);
    clnn_graph_destroy(NULL);
    clnn_session_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_cnn),
        cmocka_unit_test(test_residual_and_concat),
        cmocka_unit_test(test_memory_plan_and_batch),
        cmocka_unit_test(test_graph_errors),
    };
    return cmocka_run_group_tests_name("session", tests, tu_group_setup, tu_group_teardown);
}
