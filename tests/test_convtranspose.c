/*
 * test_convtranspose.c - ConvTranspose (lib/ops/convtranspose.c, kernels/convtranspose.cl):
 * the gather-form kernel against the scatter-form C reference over awkward shapes (strides
 * 1-3, dilations, groups and depthwise, output_padding, asymmetric pads, odd sizes, batch 2,
 * kernels 1x1 to 5x5, 1-D and 3-D), hand-computed cases that check the reference itself,
 * output_shape and auto_pad shape inference, a fused activation through a session, and the
 * refusals of bad models, each naming the node.
 *
 * Tolerance: |got - want| <= 1e-4 + 1e-4 |want|: float sums of at most 144 products of
 * inputs in [-4, 4) and weights in [-1, 1) in another order, against double accumulation;
 * the outputs are O(1..20).
 */
#include "layertest.h"

#include <math.h>

#define CT_ATOL 1e-4f
#define CT_RTOL 1e-4f

typedef struct ct_case {
    int nd;                 /* spatial rank */
    int64_t n, c, m, group; /* batch, input and output channels, groups (0: attribute absent) */
    int64_t in[3], k[3];
    int64_t s[3], d[3], op[3]; /* strides, dilations, output_padding (0 rank: absent) */
    int64_t pads[6];           /* begins then ends (all zero: absent) */
    int64_t oshape[3];         /* output_shape (zero: absent) */
    const char *auto_pad;
    bool bias;
} ct_case;

static const ct_case cases[] = {
    /* ONNX's default case, and the DCGAN upsampling block. */
    {.nd = 2, .n = 1, .c = 1, .m = 2, .in = {3, 3}, .k = {3, 3}, .bias = true},
    {.nd = 2, .n = 2, .c = 5, .m = 3, .in = {7, 6}, .k = {4, 4}, .s = {2, 2},
     .pads = {1, 1, 1, 1}, .bias = true},
    /* Stride 3, output_padding 2, asymmetric pads, kernel 5. */
    {.nd = 2, .n = 1, .c = 3, .m = 4, .in = {5, 7}, .k = {5, 5}, .s = {3, 3}, .op = {2, 1},
     .pads = {2, 1, 0, 3}, .bias = true},
    /* Dilations 2 (with stride 1 and with stride 2 and output_padding). */
    {.nd = 2, .n = 1, .c = 4, .m = 2, .in = {6, 5}, .k = {3, 3}, .d = {2, 2},
     .pads = {1, 1, 1, 1}},
    {.nd = 2, .n = 1, .c = 2, .m = 3, .in = {5, 5}, .k = {3, 2}, .s = {2, 2}, .d = {2, 2},
     .op = {1, 1}, .bias = true},
    /* output_padding below the dilation but not the stride. */
    {.nd = 2, .n = 1, .c = 2, .m = 2, .in = {4, 5}, .k = {3, 3}, .d = {3, 2}, .op = {2, 1}},
    /* Groups: 2 of 2 -> 3 channels; depthwise; depthwise with a multiplier of 2; 3 groups
     * of 3 -> 1 without bias. */
    {.nd = 2, .n = 1, .c = 4, .m = 6, .group = 2, .in = {5, 4}, .k = {3, 3}, .s = {2, 2},
     .bias = true},
    {.nd = 2, .n = 2, .c = 6, .m = 6, .group = 6, .in = {5, 6}, .k = {3, 3}, .s = {2, 2},
     .op = {1, 1}, .pads = {1, 1, 1, 1}, .bias = true},
    {.nd = 2, .n = 1, .c = 3, .m = 6, .group = 3, .in = {4, 5}, .k = {4, 4}, .s = {2, 2},
     .bias = true},
    {.nd = 2, .n = 1, .c = 9, .m = 3, .group = 3, .in = {5, 3}, .k = {2, 2}, .s = {2, 2}},
    /* 1x1 at stride 2: every other output is the bias alone. */
    {.nd = 2, .n = 1, .c = 3, .m = 4, .in = {4, 5}, .k = {1, 1}, .s = {2, 2}, .bias = true},
    /* Mixed strides and dilations per axis, kernel 5. */
    {.nd = 2, .n = 1, .c = 2, .m = 2, .in = {6, 3}, .k = {5, 5}, .s = {1, 2}, .d = {1, 2},
     .op = {0, 1}, .bias = true},
    /* Batch 2, odd sizes, no bias. */
    {.nd = 2, .n = 2, .c = 7, .m = 5, .in = {13, 11}, .k = {3, 3}, .s = {2, 2}, .op = {1, 1}},
    /* A 1x1 input. */
    {.nd = 2, .n = 1, .c = 2, .m = 3, .in = {1, 1}, .k = {3, 3}, .s = {2, 2}, .bias = true},
    /* Pads larger than the stride cut whole input rows' contributions. */
    {.nd = 2, .n = 1, .c = 2, .m = 2, .in = {6, 6}, .k = {5, 5}, .s = {1, 1},
     .pads = {4, 3, 2, 4}, .bias = true},
    /* output_shape: 11 is the full size, 12 asks for one more column (negative end pad). */
    {.nd = 2, .n = 1, .c = 2, .m = 3, .in = {5, 5}, .k = {3, 3}, .s = {2, 2},
     .oshape = {11, 12}, .bias = true},
    {.nd = 2, .n = 1, .c = 2, .m = 3, .in = {5, 5}, .k = {3, 3}, .s = {2, 2},
     .oshape = {8, 9}, .bias = true},
    /* auto_pad. */
    {.nd = 2, .n = 1, .c = 3, .m = 2, .in = {5, 6}, .k = {4, 3}, .s = {2, 3},
     .auto_pad = "SAME_UPPER", .bias = true},
    {.nd = 2, .n = 2, .c = 3, .m = 2, .in = {5, 6}, .k = {4, 3}, .s = {2, 3},
     .auto_pad = "SAME_LOWER", .bias = true},
    {.nd = 2, .n = 1, .c = 3, .m = 2, .in = {5, 6}, .k = {4, 3}, .s = {2, 3},
     .pads = {1, 1, 1, 1}, .auto_pad = "VALID"},
    /* 1-D and 3-D. */
    {.nd = 1, .n = 2, .c = 3, .m = 2, .in = {11}, .k = {4}, .s = {3}, .op = {1},
     .pads = {1, 2}, .bias = true},
    {.nd = 3, .n = 1, .c = 2, .m = 3, .in = {3, 4, 5}, .k = {3, 3, 3}, .s = {1, 2, 2},
     .pads = {1, 1, 1, 1, 1, 1}, .bias = true},
    {.nd = 3, .n = 2, .c = 4, .m = 4, .group = 2, .in = {2, 3, 3}, .k = {2, 3, 2},
     .s = {2, 1, 3}, .d = {1, 2, 1}, .op = {1, 0, 2}},
};

static bool any(const int64_t *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i]) return true;
    return false;
}

/* The graph of case c (x an input, weights and bias constants), shapes inferred; the
 * optional act node (output "z" instead of "y" as the graph output). */
static clnn_graph *ct_graph(const ct_case *c, uint32_t seed, const char *act)
{
    clnn_graph *g = lt_graph(11);
    const int r = c->nd;
    const int64_t G = c->group ? c->group : 1;
    int64_t xd[5] = {c->n, c->c}, wd[5] = {c->c, c->m / G}, bd = c->m;
    for (int i = 0; i < r; i++) {
        xd[2 + i] = c->in[i];
        wd[2 + i] = c->k[i];
    }
    lt_input(g, "x", xd, (size_t)r + 2);
    lt_constant(g, "w", wd, (size_t)r + 2, seed, -1.0f, 1.0f);
    if (c->bias) lt_constant(g, "b", &bd, 1, seed + 1, -1.0f, 1.0f);
    clnn_attr at[9];
    size_t na = 0;
    at[na++] = CLNN_ATTR_IS("kernel_shape", c->k, (size_t)r);
    if (c->group) at[na++] = CLNN_ATTR_I("group", c->group);
    if (any(c->s, r)) at[na++] = CLNN_ATTR_IS("strides", c->s, (size_t)r);
    if (any(c->d, r)) at[na++] = CLNN_ATTR_IS("dilations", c->d, (size_t)r);
    if (any(c->op, r)) at[na++] = CLNN_ATTR_IS("output_padding", c->op, (size_t)r);
    if (any(c->pads, 2 * r)) at[na++] = CLNN_ATTR_IS("pads", c->pads, (size_t)(2 * r));
    if (any(c->oshape, r)) at[na++] = CLNN_ATTR_IS("output_shape", c->oshape, (size_t)r);
    if (c->auto_pad) at[na++] = CLNN_ATTR_S("auto_pad", c->auto_pad);
    const char *ins[] = {"x", "w", "b"};
    if (!act) {
        lt_node(g, "ConvTranspose", ins, c->bias ? 3 : 2, at, na);
        return g;
    }
    const char *y[] = {"y"}, *z[] = {"z"};
    assert_int_equal(clnn_graph_add_node(g, "ConvTranspose", "n0", ins, c->bias ? 3 : 2, y, 1,
                                         at, na),
                     CLNN_STATUS_OK);
    clnn_attr alpha = CLNN_ATTR_F("alpha", 0.125f);
    assert_int_equal(clnn_graph_add_node(g, act, "n1", y, 1, z, 1, &alpha,
                                         strcmp(act, "LeakyRelu") == 0 ? 1 : 0),
                     CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_output(g, "z"), CLNN_STATUS_OK);
    int *order = NULL, norder = 0;
    clnn_status st = clnn_graph_infer(g, 0, &order, &norder);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    free(order);
    return g;
}

static void test_sweep(void **state)
{
    (void)state;
    const clnn_layer_impl *impl = clnn_layer_find(OP_CONV_TRANSPOSE);
    assert_non_null(impl);
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(cases); i++) {
        clnn_graph *g = ct_graph(&cases[i], (uint32_t)i * 5 + 3, NULL);
        run_opts ro = lt_defaults((uint32_t)i + 11);
        char what[160], xs[64], ys[64];
        snprintf(what, sizeof what, "case %zu: ConvTranspose %s -> %s", i,
                 lt_shape_of(g, g->inputs[0], xs, sizeof xs),
                 lt_shape_of(g, g->nodes[0].outputs[0], ys, sizeof ys));
        ok &= lt_check(impl, g, &ro, CT_ATOL, CT_RTOL, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* ConvTranspose -> LeakyRelu / Relu through a session (the activation fused into the
 * kernel's epilogue) against the graph folded on the host (the reference, then the
 * activation's own). */
static void test_fused_activation(void **state)
{
    (void)state;
    static const size_t pick[] = {1, 7, 16};
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(pick); i++) {
        const char *act = i == 1 ? "Relu" : "LeakyRelu";
        clnn_graph *g = ct_graph(&cases[pick[i]], (uint32_t)i + 40, act);
        /* The pass fuses it. */
        clnn_graph *o = NULL;
        assert_int_equal(clnn_graph_clone(g, &o), CLNN_STATUS_OK);
        assert_int_equal(clnn_graph_optimize(o, true), CLNN_STATUS_OK);
        assert_int_not_equal(o->nodes[0].fused.act, CLNN_ACTIVATION_NONE);
        clnn_graph_destroy(o);
        char what[64];
        snprintf(what, sizeof what, "ConvTranspose case %zu + %s", pick[i], act);
        ok &= lt_compare_folded(g, (uint32_t)i + 50, -4.0f, 4.0f, CT_ATOL, CT_RTOL, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* ---- hand-computed ------------------------------------------------------------------------- */

/* One 1-D node: x [1, C, 3] an input, w [C, M/group, 3] and b [M] constants of the given
 * values; the reference's output (want_count values) must equal want. */
static void hand_case(int64_t C, int64_t Mg, int64_t G, const float *x, const float *w,
                      const float *b, const clnn_attr *at, size_t nat, const float *want,
                      size_t want_count, const char *what)
{
    clnn_graph *g = lt_graph(11);
    const int64_t xd[3] = {1, C, 3}, wd[3] = {C, Mg, 3}, bd = Mg * G;
    lt_input(g, "x", xd, 3);
    assert_int_equal(clnn_graph_add_constant(g, "w", wd, 3, w), CLNN_STATUS_OK);
    if (b) assert_int_equal(clnn_graph_add_constant(g, "b", &bd, 1, b), CLNN_STATUS_OK);
    const char *ins[] = {"x", "w", "b"};
    gnode *n = lt_node(g, "ConvTranspose", ins, b ? 3 : 2, at, nat);
    const gtensor *y = clnn_node_output(g, n), *wt = clnn_node_input(g, n, 1);
    const gtensor *bt = clnn_node_input(g, n, 2);
    if (clnn_tensor_count(y) != want_count)
        print_error("%s: %zu outputs, want %zu\n", what, clnn_tensor_count(y), want_count);
    assert_int_equal(clnn_tensor_count(y), want_count);
    float out[16];
    const float *in[3] = {x, wt->data, bt ? bt->data : NULL};
    assert_int_equal(clnn_layer_find(OP_CONV_TRANSPOSE)->reference(g, n, in, NULL, out),
                     CLNN_STATUS_OK);
    assert_true(tu_allclose(out, want, want_count, 0.0f, 0.0f, what));
    clnn_graph_destroy(g);
}

/* x = 1 2 3 and w = 1 10 100 at stride 2 give the full output
 *   1 10 102 20 203 30 300
 * (o = 2 i + k). SAME_UPPER asks for 6 and cuts the odd one at the end, SAME_LOWER at the
 * beginning; pads (2, 1) cut two and one; output_padding adds a bias-only one. */
static void test_hand_computed(void **state)
{
    (void)state;
    const float x[3] = {1, 2, 3}, w[3] = {1, 10, 100}, half[1] = {0.5f};
    static const int64_t s2[] = {2}, d2[] = {2}, p21[] = {2, 1}, op1[] = {1}, os5[] = {5};
    const float full[7] = {1, 10, 102, 20, 203, 30, 300};
    clnn_attr at[2] = {CLNN_ATTR_IS("strides", s2, 1)};
    hand_case(1, 1, 1, x, w, NULL, at, 1, full, 7, "stride 2");
    at[1] = CLNN_ATTR_S("auto_pad", "SAME_UPPER");
    hand_case(1, 1, 1, x, w, NULL, at, 2, full, 6, "SAME_UPPER");
    at[1] = CLNN_ATTR_S("auto_pad", "SAME_LOWER");
    hand_case(1, 1, 1, x, w, NULL, at, 2, full + 1, 6, "SAME_LOWER");
    at[1] = CLNN_ATTR_IS("pads", p21, 2);
    hand_case(1, 1, 1, x, w, NULL, at, 2, full + 2, 4, "pads 2, 1");
    /* output_shape 5 of the full 7: total padding 2, one at each end. */
    at[1] = CLNN_ATTR_IS("output_shape", os5, 1);
    hand_case(1, 1, 1, x, w, NULL, at, 2, full + 1, 5, "output_shape 5");
    const float padded[8] = {1.5f, 10.5f, 102.5f, 20.5f, 203.5f, 30.5f, 300.5f, 0.5f};
    at[1] = CLNN_ATTR_IS("output_padding", op1, 1);
    hand_case(1, 1, 1, x, w, half, at, 2, padded, 8, "output_padding 1, bias 0.5");
    /* Dilation 2 at stride 1: o = i + 2 k. */
    const float dil[7] = {1, 2, 13, 20, 130, 200, 300};
    at[0] = CLNN_ATTR_IS("dilations", d2, 1);
    hand_case(1, 1, 1, x, w, NULL, at, 1, dil, 7, "dilation 2");
    /* Two channels: x0 = 1 2 3, x1 = 4 5 6; w0 = 1 10 100, w1 = 1 1 1. One group sums both
     * full convolutions (1 12 123 230 300 and 4 9 15 11 6); two groups keep them apart. */
    const float x2[6] = {1, 2, 3, 4, 5, 6}, w2[6] = {1, 10, 100, 1, 1, 1};
    const float sum[5] = {5, 21, 138, 241, 306};
    const float apart[10] = {1, 12, 123, 230, 300, 4, 9, 15, 11, 6};
    hand_case(2, 1, 1, x2, w2, NULL, NULL, 0, sum, 5, "2 channels, 1 group");
    clnn_attr g2 = CLNN_ATTR_I("group", 2);
    hand_case(2, 1, 2, x2, w2, NULL, &g2, 1, apart, 10, "2 groups");
}

/* ---- shape inference ----------------------------------------------------------------------- */

/* Output shape of a 2-D node on x [1, 1, h, w] and w [1, 2, kh, kw]. */
static void expect_shape(int64_t h, int64_t w, int64_t kh, int64_t kw, const clnn_attr *at,
                         size_t nat, int64_t want_h, int64_t want_w)
{
    clnn_graph *g = lt_graph(11);
    const int64_t xd[4] = {1, 1, h, w}, wd[4] = {1, 2, kh, kw};
    lt_input(g, "x", xd, 4);
    lt_constant(g, "w", wd, 4, 1, -1.0f, 1.0f);
    const char *ins[] = {"x", "w"};
    gnode *n = lt_node(g, "ConvTranspose", ins, 2, at, nat);
    const gtensor *y = clnn_node_output(g, n);
    assert_int_equal(y->ndim, 4);
    if (y->dims[2] != want_h || y->dims[3] != want_w)
        print_error("output %lld x %lld, want %lld x %lld\n", (long long)y->dims[2],
                    (long long)y->dims[3], (long long)want_h, (long long)want_w);
    assert_int_equal(y->dims[1], 2);
    assert_int_equal(y->dims[2], want_h);
    assert_int_equal(y->dims[3], want_w);
    clnn_graph_destroy(g);
}

static void test_shapes(void **state)
{
    (void)state;
    static const int64_t s32[] = {3, 2}, s2[] = {2, 2}, s3[] = {3, 3}, os[] = {10, 8},
                         osnc[] = {1, 2, 10, 8}, op[] = {1, 1}, pads[] = {1, 2, 1, 2},
                         d2[] = {2, 2};
    /* 3 -> (3 - 1) + 3 = 5 */
    expect_shape(3, 3, 3, 3, NULL, 0, 5, 5);
    clnn_attr at[3] = {CLNN_ATTR_IS("strides", s32, 2)};
    /* s (in - 1) + k: 9 x 7; output_padding: 10 x 8; pads (1, 2, 1, 2): 7 x 3. */
    expect_shape(3, 3, 3, 3, at, 1, 9, 7);
    at[1] = CLNN_ATTR_IS("output_padding", op, 2);
    expect_shape(3, 3, 3, 3, at, 2, 10, 8);
    at[1] = CLNN_ATTR_IS("pads", pads, 4);
    expect_shape(3, 3, 3, 3, at, 2, 7, 3);
    /* output_shape (spatial, or with N and C), pads ignored. */
    at[1] = CLNN_ATTR_IS("output_shape", os, 2);
    expect_shape(3, 3, 3, 3, at, 2, 10, 8);
    at[1] = CLNN_ATTR_IS("output_shape", osnc, 4);
    expect_shape(3, 3, 3, 3, at, 2, 10, 8);
    at[2] = CLNN_ATTR_IS("pads", pads, 4);
    expect_shape(3, 3, 3, 3, at, 3, 10, 8);
    /* SAME_*: in * stride whatever the kernel; VALID: the full size. */
    at[0] = CLNN_ATTR_IS("strides", s2, 2);
    at[1] = CLNN_ATTR_S("auto_pad", "SAME_UPPER");
    expect_shape(3, 3, 3, 3, at, 2, 6, 6);
    at[0] = CLNN_ATTR_IS("strides", s3, 2);
    at[1] = CLNN_ATTR_S("auto_pad", "SAME_LOWER");
    expect_shape(7, 4, 5, 2, at, 2, 21, 12);
    at[1] = CLNN_ATTR_S("auto_pad", "VALID");
    expect_shape(7, 4, 5, 2, at, 2, 23, 11);
    /* Dilation 2: span 2 (k - 1) + 1. */
    at[0] = CLNN_ATTR_IS("dilations", d2, 2);
    expect_shape(4, 5, 3, 2, at, 1, 8, 7);
}

/* ---- refusals ------------------------------------------------------------------------------- */

/* One node n0 on x [1, 4, 5, 5] (x1: [1, 4, 5], x6: 6-D), constants w [4, 2, 3, 3], w3
 * [3, 2, 3, 3], w1 [4, 2, 3], b2 [2], b6 [6]; "in" an input [4, 2, 3, 3]. Expects status
 * `want` with a message naming n0 and holding `needle`. */
static void expect_refusal(const char *const *ins, size_t nin, const clnn_attr *at, size_t nat,
                           clnn_status want, const char *needle)
{
    clnn_graph *g = lt_graph(11);
    static const int64_t xd[] = {1, 4, 5, 5}, x1[] = {1, 4, 5}, x6[] = {1, 4, 2, 2, 2, 2},
                         wd[] = {4, 2, 3, 3}, w3[] = {3, 2, 3, 3}, w1[] = {4, 2, 3}, b6 = 6,
                         b2 = 2;
    lt_input(g, "x", xd, 4);
    lt_input(g, "x1", x1, 3);
    lt_input(g, "x6", x6, 6);
    lt_input(g, "in", wd, 4);
    lt_constant(g, "w", wd, 4, 1, -1.0f, 1.0f);
    lt_constant(g, "w3", w3, 4, 2, -1.0f, 1.0f);
    lt_constant(g, "w1", w1, 3, 3, -1.0f, 1.0f);
    lt_constant(g, "b6", &b6, 1, 4, -1.0f, 1.0f);
    lt_constant(g, "b2", &b2, 1, 5, -1.0f, 1.0f);
    const char *outs[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, "ConvTranspose", "n0", ins, nin, outs, 1, at, nat);
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
    const char *ok[] = {"x", "w", "b2"};
    static const int64_t s2[] = {2, 2}, s1[] = {1, 1}, d2[] = {2, 1}, op2[] = {2, 0},
                         op1[] = {1, 0}, k5[] = {5, 5}, big[] = {4, 3, 4, 3}, s3v[] = {2, 2, 2},
                         os3[] = {10, 10, 10}, osc[] = {1, 3, 10, 10}, neg[] = {-1, 0, 0, 0},
                         os0[] = {0, 10};
    /* output_padding must be below the stride or the dilation. */
    clnn_attr at[3] = {CLNN_ATTR_IS("strides", s2, 2), CLNN_ATTR_IS("output_padding", op2, 2)};
    expect_refusal(ok, 3, at, 2, bad, "output_padding[0] is 2");
    at[0] = CLNN_ATTR_IS("strides", s1, 2);
    at[1] = CLNN_ATTR_IS("output_padding", op1, 2);
    expect_refusal(ok, 3, at, 2, bad, "output_padding");
    at[2] = CLNN_ATTR_IS("dilations", d2, 2); /* below dilation 2: accepted */
    {
        clnn_graph *g = lt_graph(11);
        static const int64_t xd[] = {1, 4, 5, 5}, wd[] = {4, 2, 3, 3};
        lt_input(g, "x", xd, 4);
        lt_constant(g, "w", wd, 4, 1, -1.0f, 1.0f);
        const char *ins[] = {"x", "w"};
        const gtensor *y = clnn_node_output(g, lt_node(g, "ConvTranspose", ins, 2, at, 3));
        assert_int_equal(y->dims[2], (5 - 1) + 1 + 5); /* (in - 1) s + padding + span */
        clnn_graph_destroy(g);
    }
    /* Groups that do not divide the channels; weight and bias shapes. */
    clnn_attr g3 = CLNN_ATTR_I("group", 3), g2 = CLNN_ATTR_I("group", 2);
    expect_refusal(ok, 3, &g3, 1, bad, "group 3");
    const char *wb8[] = {"x", "w", "b6"};
    expect_refusal(wb8, 3, &g2, 1, bad, "bias 'b6' has 6");
    const char *w3[] = {"x", "w3"}, *w1[] = {"x", "w1"}, *win[] = {"x", "in"};
    expect_refusal(w3, 2, NULL, 0, bad, "weight 'w3' has 3");
    expect_refusal(w1, 2, NULL, 0, unsup, "weight 'w1'");
    expect_refusal(win, 2, NULL, 0, unsup, "constant");
    clnn_attr k = CLNN_ATTR_IS("kernel_shape", k5, 2);
    expect_refusal(ok, 3, &k, 1, bad, "kernel_shape[0] is 5");
    /* Attribute lengths, pads that leave nothing, output_shape. */
    clnn_attr p = CLNN_ATTR_IS("pads", big, 4);
    expect_refusal(ok, 3, &p, 1, bad, "leave an output");
    clnn_attr s3 = CLNN_ATTR_IS("strides", s3v, 3);
    expect_refusal(ok, 3, &s3, 1, bad, "strides");
    clnn_attr o = CLNN_ATTR_IS("output_shape", os3, 3);
    expect_refusal(ok, 3, &o, 1, bad, "output_shape");
    o = CLNN_ATTR_IS("output_shape", osc, 4);
    expect_refusal(ok, 3, &o, 1, bad, "output_shape starts with 1 x 3");
    o = CLNN_ATTR_IS("output_shape", os0, 2);
    expect_refusal(ok, 3, &o, 1, bad, "output size 0");
    p = CLNN_ATTR_IS("pads", neg, 4);
    expect_refusal(ok, 3, &p, 1, unsup, "'pads'[0] is -1");
    static const int64_t dhuge[] = {65536, 65536};
    clnn_attr dh = CLNN_ATTR_IS("dilations", dhuge, 2);
    expect_refusal(ok, 3, &dh, 1, unsup, "2^31 elements");
    /* Ranks. */
    const char *x6[] = {"x6", "w"}, *x1w[] = {"x1", "w"};
    expect_refusal(x6, 2, NULL, 0, unsup, "6 dimensions");
    expect_refusal(x1w, 2, NULL, 0, unsup, "weight 'w'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_fused_activation),
    };
    return cmocka_run_group_tests_name("convtranspose", tests, lt_setup, lt_teardown);
}
