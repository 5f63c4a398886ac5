/*
 * test_conv3d.c - 3-D Conv, MaxPool and AveragePool (lib/ops/window3d.c,
 * kernels/window3d.cl): the direct kernel against the C reference over awkward shapes (odd
 * D/H/W, strides 2, dilations 2, groups and depthwise, asymmetric and auto padding, ceil_mode,
 * count_include_pad, batch 2), hand-computed cases that check the reference itself, a fused
 * activation and residual through a session, and refusals that name the node.
 *
 * Tolerances: convolutions |got - want| <= 1e-4 + 1e-4 |want| (float sums of at most 162
 * products of inputs in [-4, 4) and weights in [-1, 1) against double accumulation); max
 * pooling exact (it selects an input); average pooling 1e-6 + 1e-6 |want|.
 */
#include "layertest.h"

#include <math.h>

typedef struct c3_case {
    int64_t n, c, m, group;
    int64_t in[3], k[3], s[3], d[3]; /* strides, dilations (0: absent) */
    int64_t pads[6];                 /* begins then ends (all zero: absent) */
    const char *auto_pad;
    bool bias;
} c3_case;

static const c3_case conv_cases[] = {
    /* 3x3x3 on odd sizes, symmetric padding. */
    {.n = 1, .c = 3, .m = 4, .in = {5, 7, 9}, .k = {3, 3, 3}, .pads = {1, 1, 1, 1, 1, 1},
     .bias = true},
    /* Stride 2, asymmetric pads, batch 2, no bias. */
    {.n = 2, .c = 2, .m = 3, .in = {7, 6, 5}, .k = {3, 2, 3}, .s = {2, 2, 2},
     .pads = {1, 0, 2, 0, 1, 1}},
    /* Dilations 2 (and stride 2 with mixed dilations). */
    {.n = 1, .c = 2, .m = 2, .in = {7, 7, 8}, .k = {3, 3, 3}, .d = {2, 2, 2}, .bias = true},
    {.n = 1, .c = 3, .m = 2, .in = {9, 6, 7}, .k = {2, 3, 2}, .s = {2, 1, 2}, .d = {2, 1, 3},
     .pads = {1, 1, 0, 0, 1, 2}, .bias = true},
    /* Groups: 2 groups of 2 -> 3; depthwise with a multiplier of 2. */
    {.n = 2, .c = 4, .m = 6, .group = 2, .in = {3, 5, 4}, .k = {2, 3, 3}, .bias = true},
    {.n = 1, .c = 3, .m = 6, .group = 3, .in = {5, 5, 5}, .k = {3, 3, 3}, .s = {2, 2, 2},
     .pads = {1, 1, 1, 1, 1, 1}, .bias = true},
    /* 1x1x1, size-1 axes, and auto padding. */
    {.n = 1, .c = 5, .m = 3, .in = {1, 4, 1}, .k = {1, 1, 1}, .bias = true},
    {.n = 1, .c = 2, .m = 3, .in = {5, 6, 7}, .k = {3, 2, 4}, .s = {2, 3, 2},
     .auto_pad = "SAME_UPPER", .bias = true},
    {.n = 2, .c = 2, .m = 2, .in = {5, 6, 7}, .k = {3, 2, 4}, .s = {2, 3, 2},
     .auto_pad = "SAME_LOWER"},
    {.n = 1, .c = 2, .m = 2, .in = {4, 5, 6}, .k = {3, 3, 3}, .pads = {1, 1, 1, 1, 1, 1},
     .auto_pad = "VALID", .bias = true},
};

typedef struct p3_case {
    const char *op;
    int64_t n, c, in[3], k[3], s[3], d[3], pads[6];
    const char *auto_pad;
    bool ceil, incl;
} p3_case;

static const p3_case pool_cases[] = {
    {"MaxPool", 1, 3, {5, 7, 9}, {3, 3, 3}, {2, 2, 2}, {0}, {1, 1, 1, 1, 1, 1}, NULL, false, false},
    {"MaxPool", 2, 2, {6, 5, 7}, {2, 3, 2}, {2, 2, 2}, {0}, {0}, NULL, true, false},
    {"MaxPool", 1, 2, {7, 8, 9}, {3, 2, 3}, {1, 2, 2}, {2, 1, 2}, {1, 0, 2, 0, 1, 1}, NULL, false,
     false},
    {"MaxPool", 1, 1, {5, 6, 7}, {3, 3, 2}, {2, 3, 2}, {0}, {0}, "SAME_LOWER", false, false},
    {"AveragePool", 1, 3, {5, 7, 9}, {3, 3, 3}, {2, 2, 2}, {0}, {1, 1, 1, 1, 1, 1}, NULL, false,
     false},
    {"AveragePool", 1, 3, {5, 7, 9}, {3, 3, 3}, {2, 2, 2}, {0}, {1, 1, 1, 1, 1, 1}, NULL, false,
     true},
    {"AveragePool", 2, 2, {6, 7, 5}, {2, 3, 2}, {2, 2, 2}, {0}, {1, 0, 1, 0, 1, 1}, NULL, true,
     true},
    {"AveragePool", 2, 2, {6, 7, 5}, {2, 3, 2}, {2, 2, 2}, {0}, {1, 0, 1, 0, 1, 1}, NULL, true,
     false},
    {"AveragePool", 1, 2, {7, 9, 8}, {3, 2, 2}, {2, 1, 2}, {2, 2, 1}, {1, 1, 0, 1, 0, 1}, NULL,
     true, true},
    {"AveragePool", 1, 2, {5, 6, 7}, {2, 3, 4}, {2, 2, 3}, {0}, {0}, "SAME_UPPER", false, true},
};

static bool any(const int64_t *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i]) return true;
    return false;
}

/* Conv case c: x an input, weight and bias constants; act / add append an activation node
 * or a residual Add of a second input "r" (the graph output then "z"). Shapes inferred. */
static clnn_graph *conv_graph(const c3_case *c, uint32_t seed, const char *act, bool add)
{
    clnn_graph *g = lt_graph(11);
    const int64_t G = c->group ? c->group : 1;
    int64_t xd[5] = {c->n, c->c}, wd[5] = {c->m, c->c / G}, bd = c->m;
    for (int i = 0; i < 3; i++) {
        xd[2 + i] = c->in[i];
        wd[2 + i] = c->k[i];
    }
    lt_input(g, "x", xd, 5);
    lt_constant(g, "w", wd, 5, seed, -1.0f, 1.0f);
    if (c->bias) lt_constant(g, "b", &bd, 1, seed + 1, -1.0f, 1.0f);
    clnn_attr at[7];
    size_t na = 0;
    at[na++] = CLNN_ATTR_IS("kernel_shape", c->k, 3);
    if (c->group) at[na++] = CLNN_ATTR_I("group", c->group);
    if (any(c->s, 3)) at[na++] = CLNN_ATTR_IS("strides", c->s, 3);
    if (any(c->d, 3)) at[na++] = CLNN_ATTR_IS("dilations", c->d, 3);
    if (any(c->pads, 6)) at[na++] = CLNN_ATTR_IS("pads", c->pads, 6);
    if (c->auto_pad) at[na++] = CLNN_ATTR_S("auto_pad", c->auto_pad);
    const char *ins[] = {"x", "w", "b"};
    if (!act && !add) {
        lt_node(g, "Conv", ins, c->bias ? 3 : 2, at, na);
        return g;
    }
    const char *y[] = {"y"}, *z[] = {"z"};
    assert_int_equal(clnn_graph_add_node(g, "Conv", "n0", ins, c->bias ? 3 : 2, y, 1, at, na),
                     CLNN_STATUS_OK);
    if (act) {
        clnn_attr alpha = CLNN_ATTR_F("alpha", 0.125f);
        assert_int_equal(clnn_graph_add_node(g, act, "n1", y, 1, z, 1, &alpha,
                                             strcmp(act, "LeakyRelu") == 0 ? 1 : 0),
                         CLNN_STATUS_OK);
    } else {
        /* The residual: another input of the output's shape, from the same Conv's shape. */
        clnn_graph *probe = conv_graph(c, seed, NULL, false);
        const gtensor *yt = clnn_node_output(probe, &probe->nodes[0]);
        lt_input(g, "r", yt->dims, (size_t)yt->ndim);
        clnn_graph_destroy(probe);
        const char *yr[] = {"y", "r"};
        assert_int_equal(clnn_graph_add_node(g, "Add", "n1", yr, 2, z, 1, NULL, 0),
                         CLNN_STATUS_OK);
    }
    assert_int_equal(clnn_graph_add_output(g, "z"), CLNN_STATUS_OK);
    int *order = NULL, norder = 0;
    clnn_status st = clnn_graph_infer(g, 0, &order, &norder);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    free(order);
    return g;
}

static clnn_graph *pool_graph(const p3_case *c)
{
    clnn_graph *g = lt_graph(19);
    const int64_t xd[5] = {c->n, c->c, c->in[0], c->in[1], c->in[2]};
    lt_input(g, "x", xd, 5);
    clnn_attr at[7];
    size_t na = 0;
    at[na++] = CLNN_ATTR_IS("kernel_shape", c->k, 3);
    if (any(c->s, 3)) at[na++] = CLNN_ATTR_IS("strides", c->s, 3);
    if (any(c->d, 3)) at[na++] = CLNN_ATTR_IS("dilations", c->d, 3);
    if (any(c->pads, 6)) at[na++] = CLNN_ATTR_IS("pads", c->pads, 6);
    if (c->auto_pad) at[na++] = CLNN_ATTR_S("auto_pad", c->auto_pad);
    if (c->ceil) at[na++] = CLNN_ATTR_I("ceil_mode", 1);
    if (c->incl) at[na++] = CLNN_ATTR_I("count_include_pad", 1);
    const char *ins[] = {"x"};
    lt_node(g, c->op, ins, 1, at, na);
    return g;
}

static void test_conv_sweep(void **state)
{
    (void)state;
    const clnn_layer_impl *impl = clnn_layer_find(OP_CONV);
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(conv_cases); i++) {
        clnn_graph *g = conv_graph(&conv_cases[i], (uint32_t)i * 7 + 1, NULL, false);
        run_opts ro = lt_defaults((uint32_t)i + 3);
        char what[160], xs[64], ys[64];
        snprintf(what, sizeof what, "case %zu: Conv %s -> %s", i,
                 lt_shape_of(g, g->inputs[0], xs, sizeof xs),
                 lt_shape_of(g, g->nodes[0].outputs[0], ys, sizeof ys));
        ok &= lt_check(impl, g, &ro, 1e-4f, 1e-4f, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

static void test_pool_sweep(void **state)
{
    (void)state;
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(pool_cases); i++) {
        const p3_case *c = &pool_cases[i];
        const bool max = strcmp(c->op, "MaxPool") == 0;
        clnn_graph *g = pool_graph(c);
        run_opts ro = lt_defaults((uint32_t)i + 5);
        char what[160], xs[64], ys[64];
        snprintf(what, sizeof what, "case %zu: %s %s -> %s", i, c->op,
                 lt_shape_of(g, g->inputs[0], xs, sizeof xs),
                 lt_shape_of(g, g->nodes[0].outputs[0], ys, sizeof ys));
        ok &= lt_check(clnn_layer_find(max ? OP_MAX_POOL : OP_AVERAGE_POOL), g, &ro,
                       max ? 0.0f : 1e-6f, max ? 0.0f : 1e-6f, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* Conv -> LeakyRelu / Relu and Conv -> Add through a session (fused into the kernel's
 * epilogue) against the graph folded on the host. */
static void test_fused(void **state)
{
    (void)state;
    static const size_t pick[] = {0, 3, 5};
    int ok = 1;
    for (size_t i = 0; i < 4; i++) {
        const char *act = i == 3 ? NULL : i == 1 ? "Relu" : "LeakyRelu";
        const c3_case *c = &conv_cases[pick[i % 3]];
        clnn_graph *g = conv_graph(c, (uint32_t)i + 40, act, act == NULL);
        clnn_graph *o = NULL;
        assert_int_equal(clnn_graph_clone(g, &o), CLNN_STATUS_OK);
        assert_int_equal(clnn_graph_optimize(o, true), CLNN_STATUS_OK);
        if (act)
            assert_int_not_equal(o->nodes[0].fused.act, CLNN_ACTIVATION_NONE);
        else
            assert_true(o->nodes[0].fused.residual >= 0);
        clnn_graph_destroy(o);
        char what[64];
        snprintf(what, sizeof what, "Conv 3-D case %zu + %s", pick[i % 3], act ? act : "Add");
        ok &= lt_compare_folded(g, (uint32_t)i + 50, -4.0f, 4.0f, 1e-4f, 1e-4f, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* ---- hand-computed ------------------------------------------------------------------------- */

/* Node 0 of g through its layer's reference with input x; compares count values. */
static void expect_reference(clnn_graph *g, const float *x, const float *want, size_t count,
                             const char *what)
{
    const gnode *n = &g->nodes[0];
    const gtensor *y = clnn_node_output(g, n), *w = clnn_node_input(g, n, 1);
    const gtensor *b = clnn_node_input(g, n, 2);
    if (clnn_tensor_count(y) != count)
        print_error("%s: %zu outputs, want %zu\n", what, clnn_tensor_count(y), count);
    assert_int_equal(clnn_tensor_count(y), count);
    float out[16];
    const float *in[3] = {x, w ? w->data : NULL, b ? b->data : NULL};
    assert_int_equal(clnn_layer_find(n->op)->reference(g, n, in, NULL, out), CLNN_STATUS_OK);
    assert_true(tu_allclose(out, want, count, 0.0f, 0.0f, what));
}

/* x [1, 1, 2, 2, 2] = 1..8 (d, h, w). */
static const float x8[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static clnn_graph *hand_conv(const int64_t *k, const float *w, const float *b)
{
    clnn_graph *g = lt_graph(11);
    static const int64_t xd[5] = {1, 1, 2, 2, 2}, one = 1;
    const int64_t wd[5] = {1, 1, k[0], k[1], k[2]};
    lt_input(g, "x", xd, 5);
    assert_int_equal(clnn_graph_add_constant(g, "w", wd, 5, w), CLNN_STATUS_OK);
    if (b) assert_int_equal(clnn_graph_add_constant(g, "b", &one, 1, b), CLNN_STATUS_OK);
    const char *ins[] = {"x", "w", "b"};
    lt_node(g, "Conv", ins, b ? 3 : 2, NULL, 0);
    return g;
}

static clnn_graph *hand_pool(const char *op, bool incl)
{
    clnn_graph *g = lt_graph(19);
    static const int64_t xd[5] = {1, 1, 2, 2, 2}, k[3] = {2, 2, 2}, p[6] = {1, 1, 1, 1, 1, 1};
    lt_input(g, "x", xd, 5);
    clnn_attr at[4] = {CLNN_ATTR_IS("kernel_shape", k, 3), CLNN_ATTR_IS("strides", k, 3),
                       CLNN_ATTR_IS("pads", p, 6), CLNN_ATTR_I("count_include_pad", incl)};
    const char *ins[] = {"x"};
    lt_node(g, op, ins, 1, at, strcmp(op, "AveragePool") == 0 ? 4 : 3);
    return g;
}

static void test_hand_computed(void **state)
{
    (void)state;
    /* Kernel 1x1x2 = (1, 10): x[d][h][0] + 10 x[d][h][1]. */
    static const int64_t kw[3] = {1, 1, 2}, kd[3] = {2, 1, 1};
    const float w10[2] = {1, 10}, w100[2] = {1, 100}, half = 0.5f;
    const float along_w[4] = {21, 43, 65, 87};
    clnn_graph *g = hand_conv(kw, w10, NULL);
    expect_reference(g, x8, along_w, 4, "conv along the width");
    clnn_graph_destroy(g);
    /* Kernel 2x1x1 = (1, 100) and bias 0.5: x[0][h][w] + 100 x[1][h][w] + 0.5. */
    const float along_d[4] = {501.5f, 602.5f, 703.5f, 804.5f};
    g = hand_conv(kd, w100, &half);
    expect_reference(g, x8, along_d, 4, "conv along the depth, bias");
    clnn_graph_destroy(g);
    /* Pads 1 all round, kernel 2, stride 2: every window holds one element of x, the one at
     * the corner it shares with x; the padded input is 4 long, so every window lies inside
     * it (divisor 8 with count_include_pad). */
    const float maxes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const float eighths[8] = {0.125f, 0.25f, 0.375f, 0.5f, 0.625f, 0.75f, 0.875f, 1.0f};
    g = hand_pool("MaxPool", false);
    expect_reference(g, x8, maxes, 8, "max, one element per window");
    clnn_graph_destroy(g);
    g = hand_pool("AveragePool", false);
    expect_reference(g, x8, maxes, 8, "average without padding counted");
    clnn_graph_destroy(g);
    g = hand_pool("AveragePool", true);
    expect_reference(g, x8, eighths, 8, "average with padding counted");
    clnn_graph_destroy(g);
}

/* ---- refusals ------------------------------------------------------------------------------- */

/* One node n0 of op on input x (dims xd of rank nx; w [2, 2, 2, 2, 2] for Conv); expects
 * status want with a message naming n0 and holding needle. */
static void expect_refusal(const char *op, const int64_t *xd, size_t nx, const clnn_attr *at,
                           size_t nat, clnn_status want, const char *needle)
{
    clnn_graph *g = lt_graph(19);
    static const int64_t wd[6] = {2, 2, 2, 2, 2, 2};
    lt_input(g, "x", xd, nx);
    lt_constant(g, "w", wd, nx, 1, -1.0f, 1.0f);
    const char *ins[] = {"x", "w"}, *outs[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, op, "n0", ins, strcmp(op, "Conv") ? 1 : 2, outs, 1,
                                         at, nat);
    if (st == CLNN_STATUS_OK) {
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        int *order = NULL, norder = 0;
        st = clnn_graph_infer(g, 0, &order, &norder);
        free(order);
    }
    if (st != want || !strstr(clnn_last_error(), "n0") || !strstr(clnn_last_error(), needle))
        print_error("status %d, message '%s'; expected %d and '%s'\n", (int)st,
                    clnn_last_error(), (int)want, needle);
    assert_int_equal(st, want);
    assert_non_null(strstr(clnn_last_error(), "n0"));
    assert_non_null(strstr(clnn_last_error(), needle));
    clnn_graph_destroy(g);
}

static void test_refusals(void **state)
{
    (void)state;
    const clnn_status bad = CLNN_STATUS_INVALID_MODEL, unsup = CLNN_STATUS_UNSUPPORTED;
    static const int64_t x5[5] = {1, 2, 4, 4, 4}, x6[6] = {1, 2, 3, 3, 3, 3},
                         k2[3] = {2, 2, 2}, k4[4] = {2, 2, 2, 2}, k9[3] = {9, 2, 2},
                         p2[6] = {2, 0, 0, 0, 0, 0}, d3[3] = {3, 1, 1};
    clnn_attr k = CLNN_ATTR_IS("kernel_shape", k4, 4);
    expect_refusal("MaxPool", x6, 6, &k, 1, unsup, "at most 3");
    expect_refusal("Conv", x6, 6, NULL, 0, unsup, "6 dimensions");
    /* The pool's window larger than the padded input; padding filling a window. */
    clnn_attr at[3] = {CLNN_ATTR_IS("kernel_shape", k9, 3)};
    expect_refusal("AveragePool", x5, 5, at, 1, bad, "larger than the padded input");
    at[0] = CLNN_ATTR_IS("kernel_shape", k2, 3);
    at[1] = CLNN_ATTR_IS("pads", p2, 6);
    expect_refusal("MaxPool", x5, 5, at, 2, unsup, "must be smaller than the window");
    /* Depth 2, dilation 3, pads (2, 2): the second window's taps fall at -1 and 2, both in
     * the padding. */
    static const int64_t x2[5] = {1, 2, 2, 4, 4}, p22[6] = {2, 0, 0, 2, 0, 0};
    at[0] = CLNN_ATTR_IS("kernel_shape", k2, 3);
    at[1] = CLNN_ATTR_IS("dilations", d3, 3);
    at[2] = CLNN_ATTR_IS("pads", p22, 6);
    expect_refusal("MaxPool", x2, 5, at, 3, unsup, "holds only padding");
    /* Conv: the weight's rank, and attributes of another rank. */
    static const int64_t k3x2[2] = {2, 2};
    clnn_attr kc = CLNN_ATTR_IS("kernel_shape", k3x2, 2);
    expect_refusal("Conv", x5, 5, &kc, 1, bad, "another number of spatial axes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_conv_sweep),
        cmocka_unit_test(test_pool_sweep),
        cmocka_unit_test(test_fused),
    };
    return cmocka_run_group_tests_name("conv3d", tests, lt_setup, lt_teardown);
}
