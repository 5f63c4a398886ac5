/*
 * test_layers.c - the small layers of the session executor (lib/ops/layer_eltwise.c,
 * layer_norm.c, layer_softmax.c, layer_concat.c) on the device against their C references.
 * Each case builds a one-node graph with the public builder, infers shapes, then drives the
 * layer's prepare / enqueue / reference directly on an out-of-order queue: the buffers hold
 * NaN until a user event opened after the enqueue lets the writes of the inputs through, so a
 * layer that ignores its wait list (or returns an event that is not its last) reads or
 * leaves NaN. Outputs start as NaN too, so unwritten elements fail.
 *
 * Tolerances (|got - want| <= atol + rtol * |want|):
 *   Relu, Clip, LeakyRelu, Add, Mul, Concat      exact (the same float operation as the
 *                                                 reference, or a copy)
 *   Sigmoid (standalone or fused)                 1e-6 + 1e-6 (OpenCL exp is within 3 ulp)
 *   BatchNormalization                            1e-5 + 1e-5: the device runs the folded
 *                                                 x * k + t in float, the reference the
 *                                                 textbook formula in double; inputs and
 *                                                 parameters are O(1), so cancellation
 *                                                 costs a few float ulps of O(1) terms
 *   LRN                                           1e-6 + 1e-5 (float sum of <= 5 squares,
 *                                                 pow within 16 ulp)
 *   Softmax                                       1e-6 + 1e-5 (float sums of up to 40000
 *                                                 exps against double)
 */
#include "layertest.h"

#include <math.h>

/* ---- activations ----------------------------------------------------------------------- */

static void test_act(void **state)
{
    (void)state;
    static const int64_t shapes[][4] = {{3, 5, 7, 9}, {3, 13, 1, 1}, {3, 13, 0, 0}};
    static const int ranks[] = {4, 4, 2};
    int ok = 1;
    for (int s = 0; s < 3; s++)
        for (int op = 0; op < 6; op++)
            for (int inplace = 0; inplace < 2; inplace++) {
                clnn_graph *g = lt_graph(op == 1 ? 6 : 0); /* Clip attributes: before 11 */
                lt_input(g, "x", shapes[s], (size_t)ranks[s]);
                const char *ins[3] = {"x", "", ""};
                size_t nin = 1;
                clnn_attr at[2];
                size_t nat = 0;
                const char *type = "Relu";
                float tol = 0.0f;
                int64_t one = 1;
                switch (op) {
                case 1: /* opset < 11: bounds as attributes */
                    type = "Clip";
                    at[nat++] = CLNN_ATTR_F("min", -1.5f);
                    at[nat++] = CLNN_ATTR_F("max", 2.5f);
                    break;
                case 2: /* opset >= 11: a min input only, max unbounded */
                    type = "Clip";
                    lt_constant(g, "lo", &one, 0, 5, -0.5f, -0.4f);
                    ins[1] = "lo";
                    nin = 2;
                    break;
                case 3: /* max input only: min is -inf */
                    type = "Clip";
                    lt_constant(g, "hi", &one, 1, 6, 0.7f, 0.8f);
                    ins[2] = "hi";
                    nin = 3;
                    break;
                case 4:
                    type = "LeakyRelu";
                    at[nat++] = CLNN_ATTR_F("alpha", 0.2f);
                    break;
                case 5:
                    type = "Sigmoid";
                    tol = 1e-6f;
                    break;
                default: break;
                }
                lt_node(g, type, ins, nin, at, nat);
                run_opts ro = lt_defaults((uint32_t)(s * 12 + op * 2 + inplace));
                ro.in_place = inplace;
                char what[128], b[64];
                snprintf(what, sizeof what, "%s variant %d on %s, in place %d", type, op,
                         lt_shape_of(g, g->inputs[0], b, sizeof b), inplace);
                ok &= lt_check(&clnn_layer_act, g, &ro, tol, tol, what);
                clnn_graph_destroy(g);
            }
    assert_true(ok);
}

/* ---- Add / Mul ------------------------------------------------------------------------- */

typedef struct bcase {
    int64_t a[8], b[8];
    int na, nb;          /* ranks (0: a scalar) */
    bool a_const, b_const;
} bcase;

static const bcase bcases[] = {
    {{3, 5, 7, 9}, {3, 5, 7, 9}, 4, 4, false, false},         /* same shape */
    {{3, 5, 7, 9}, {5, 1, 1}, 4, 3, false, true},             /* per-channel [C,1,1] */
    {{3, 5, 7, 9}, {1, 5, 1, 1}, 4, 4, false, true},          /* [1,C,1,1] */
    {{3, 5, 7, 9}, {0}, 4, 0, false, true},                   /* 0-D scalar */
    {{3, 5, 7, 9}, {1}, 4, 1, false, true},                   /* [1] scalar */
    {{3, 13}, {13}, 2, 1, false, true},                       /* [N,C] + [C] */
    {{5, 1, 1}, {3, 5, 7, 9}, 3, 4, true, false},             /* first operand broadcast */
    {{0}, {3, 13}, 0, 2, true, false},                        /* scalar first */
    {{13}, {3, 13}, 1, 2, true, false},                       /* [C] + [N,C] */
    {{3, 1, 7, 9}, {3, 5, 1, 1}, 4, 4, false, false},         /* both broadcast */
    {{3, 5, 7, 9}, {3, 5, 1, 1}, 4, 4, false, false},         /* squeeze-excitation */
    {{3, 5, 7, 1}, {5, 1, 9}, 4, 3, false, true},             /* A repeats along dim 0 */
    {{3, 2, 1, 3, 1, 2, 5, 1}, {1, 2, 4, 1, 3, 2, 1, 7}, 8, 8, false, false}, /* 8-D */
    {{2, 3, 1, 5, 1}, {3, 4, 1, 6}, 5, 4, false, false},      /* ranks differ, 5-D */
    {{70000, 3}, {3}, 2, 1, false, true},                     /* rows beyond 65535 */
    {{1, 1}, {1}, 2, 1, false, true},                         /* nothing left to collapse */
};

static void test_binary(void **state)
{
    (void)state;
    static const clnn_activation acts[] = {CLNN_ACTIVATION_NONE, CLNN_ACTIVATION_RELU,
                                           CLNN_ACTIVATION_CLIP, CLNN_ACTIVATION_LEAKY_RELU,
                                           CLNN_ACTIVATION_SIGMOID};
    int ok = 1;
    for (size_t c = 0; c < CLNN_ARRAY_LEN(bcases); c++)
        for (int op = 0; op < 2; op++) {
            const bcase *bc = &bcases[c];
            clnn_graph *g = lt_graph(0);
            if (bc->a_const)
                lt_constant(g, "a", bc->a, (size_t)bc->na, (uint32_t)c, -2.0f, 2.0f);
            else
                lt_input(g, "a", bc->a, (size_t)bc->na);
            if (bc->b_const)
                lt_constant(g, "b", bc->b, (size_t)bc->nb, (uint32_t)c + 100, -2.0f, 2.0f);
            else
                lt_input(g, "b", bc->b, (size_t)bc->nb);
            const char *ins[] = {"a", "b"};
            gnode *n = lt_node(g, op ? "Mul" : "Add", ins, 2, NULL, 0);
            /* The fused epilogue, as the passes would set it. */
            n->fused.act = acts[(c + (size_t)op) % CLNN_ARRAY_LEN(acts)];
            n->fused.act_a = n->fused.act == CLNN_ACTIVATION_CLIP ? -0.5f : 0.1f;
            n->fused.act_b = 1.5f;
            run_opts ro = lt_defaults((uint32_t)(c * 2 + (size_t)op));
            char what[256], s1[64], s2[64];
            snprintf(what, sizeof what, "%s %s %s with activation %d", op ? "Mul" : "Add",
                     clnn_shape_str(bc->a, bc->na, s1, sizeof s1),
                     clnn_shape_str(bc->b, bc->nb, s2, sizeof s2), (int)n->fused.act);
            float tol = n->fused.act == CLNN_ACTIVATION_SIGMOID ? 1e-6f : 0.0f;
            ok &= lt_check(&clnn_layer_binary, g, &ro, tol, tol, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

/* ---- BatchNormalization and LRN -------------------------------------------------------- */

static void test_bn(void **state)
{
    (void)state;
    /* [70000,1,16]: more images than a GPU grid holds (the split row form). */
    static const int64_t shapes[][4] = {{3, 5, 7, 9}, {3, 13},     {3, 7, 2, 2},
                                        {3, 3, 20},   {3, 6, 1, 17}, {70000, 1, 16}};
    static const int ranks[] = {4, 2, 4, 3, 4, 3};
    static const clnn_activation acts[] = {CLNN_ACTIVATION_NONE, CLNN_ACTIVATION_RELU,
                                           CLNN_ACTIVATION_CLIP, CLNN_ACTIVATION_LEAKY_RELU,
                                           CLNN_ACTIVATION_SIGMOID};
    int ok = 1;
    for (int s = 0; s < 6; s++)
        for (int a = 0; a < 2; a++) {
            clnn_graph *g = lt_graph(0);
            lt_input(g, "x", shapes[s], (size_t)ranks[s]);
            const int64_t C = shapes[s][1];
            lt_constant(g, "scale", &C, 1, (uint32_t)s * 4 + 1, 0.5f, 2.0f);
            lt_constant(g, "B", &C, 1, (uint32_t)s * 4 + 2, -1.0f, 1.0f);
            lt_constant(g, "mean", &C, 1, (uint32_t)s * 4 + 3, -1.0f, 1.0f);
            lt_constant(g, "var", &C, 1, (uint32_t)s * 4 + 4, 0.1f, 2.0f);
            const char *ins[] = {"x", "scale", "B", "mean", "var"};
            clnn_attr at[] = {CLNN_ATTR_F("epsilon", 1e-3f)};
            gnode *n = lt_node(g, "BatchNormalization", ins, 5, at, 1);
            n->fused.act = acts[(s * 2 + a) % CLNN_ARRAY_LEN(acts)];
            n->fused.act_a = n->fused.act == CLNN_ACTIVATION_CLIP ? 0.0f : 0.1f;
            n->fused.act_b = 1.0f;
            run_opts ro = lt_defaults((uint32_t)(s * 2 + a));
            ro.in_place = a == 1;
            char what[128], b[64];
            snprintf(what, sizeof what, "BatchNormalization %s activation %d in place %d",
                     lt_shape_of(g, g->inputs[0], b, sizeof b), (int)n->fused.act, a);
            ok &= lt_check(&clnn_layer_bn, g, &ro, 1e-5f, 1e-5f, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

static void test_lrn(void **state)
{
    (void)state;
    /* 16: every channel of the written-out window; 17: the loop beyond it. */
    static const int sizes[] = {3, 5, 4, 1, 16, 17};
    static const int channels[] = {2, 3, 7, 20};
    /* 0.75, 0.5 and 1 take exact shortcuts in the kernel, 0.6 the general pow. */
    static const float betas[] = {0.75f, 0.6f, 0.5f, 1.0f};
    int ok = 1, i = 0;
    for (size_t s = 0; s < CLNN_ARRAY_LEN(sizes); s++)
        for (size_t c = 0; c < CLNN_ARRAY_LEN(channels); c++, i++) {
            clnn_graph *g = lt_graph(0);
            int64_t dims[4] = {3, channels[c], 5, 6};
            lt_input(g, "x", dims, 4);
            const char *ins[] = {"x"};
            /* Alternate a strong normalisation with AlexNet's alpha. */
            const float beta = betas[(size_t)i % CLNN_ARRAY_LEN(betas)];
            clnn_attr at[] = {CLNN_ATTR_I("size", sizes[s]),
                              CLNN_ATTR_F("alpha", i % 2 ? 1e-4f : 0.5f),
                              CLNN_ATTR_F("beta", beta), CLNN_ATTR_F("bias", i % 3 ? 2.0f : 1.0f)};
            lt_node(g, "LRN", ins, 1, at, 4);
            run_opts ro = lt_defaults((uint32_t)i);
            ro.lo = -2.0f;
            ro.hi = 2.0f;
            char what[128];
            snprintf(what, sizeof what, "LRN size %d over %d channels, beta %g", sizes[s],
                     channels[c], (double)beta);
            ok &= lt_check(&clnn_layer_lrn, g, &ro, 1e-6f, 1e-5f, what);
            clnn_graph_destroy(g);
        }
    /* More images than a GPU grid holds: the split row form. */
    clnn_graph *g = lt_graph(0);
    int64_t dims[4] = {70000, 3, 1, 1};
    lt_input(g, "x", dims, 4);
    const char *ins[] = {"x"};
    clnn_attr at[] = {CLNN_ATTR_I("size", 3), CLNN_ATTR_F("alpha", 0.5f)};
    lt_node(g, "LRN", ins, 1, at, 2);
    run_opts ro = lt_defaults(99);
    ok &= lt_check(&clnn_layer_lrn, g, &ro, 1e-6f, 1e-5f, "LRN of 70000 images");
    clnn_graph_destroy(g);
    assert_true(ok);
}

/* ---- Softmax --------------------------------------------------------------------------- */

typedef struct scase {
    int opset;
    int64_t dims[4];
    int nd;
    int axis; /* 99: the default */
} scase;

static const scase scases[] = {
    {13, {3, 1000}, 2, 99},       /* classifier: a work-group per row */
    {13, {3, 10}, 2, 99},         /* short rows */
    {13, {3, 5, 4, 6}, 4, 1},     /* over channels: strided */
    {13, {3, 5, 4, 6}, 4, -1},    /* last axis, short */
    {13, {3, 5, 4, 6}, 4, 3},
    {13, {3, 5, 4, 6}, 4, 2},     /* a middle axis */
    {13, {3, 5, 4, 40}, 4, -1},   /* last axis, long rows */
    {13, {2, 40000}, 2, 99},      /* very long rows */
    {12, {3, 5, 4, 6}, 4, 99},    /* default axis 1: rows of 120 */
    {12, {3, 5, 4, 6}, 4, 1},
    {12, {3, 5, 4, 6}, 4, -1},    /* rows of 6 */
    {12, {3, 5, 4, 6}, 4, 2},     /* rows of 24 */
    {12, {3, 5, 4, 6}, 4, 0},     /* one row of everything */
    {12, {3, 1000}, 2, 99},
};

static void test_softmax(void **state)
{
    (void)state;
    int ok = 1;
    for (size_t c = 0; c < CLNN_ARRAY_LEN(scases); c++)
        for (int range = 0; range < 2; range++) {
            const scase *sc = &scases[c];
            clnn_graph *g = lt_graph(sc->opset);
            lt_input(g, "x", sc->dims, (size_t)sc->nd);
            const char *ins[] = {"x"};
            clnn_attr at[] = {CLNN_ATTR_I("axis", sc->axis)};
            lt_node(g, "Softmax", ins, 1, at, sc->axis == 99 ? 0 : 1);
            run_opts ro = lt_defaults((uint32_t)(c * 2 + (size_t)range));
            /* Large logits, spread wider than float's exp() range: exact only when the row's
             * maximum (not any other value) is subtracted. */
            ro.lo = range ? -50.0f : -10.0f;
            ro.hi = range ? 100.0f : 10.0f;
            ro.in_place = c % 3 == 2;
            char what[128], b[64];
            snprintf(what, sizeof what, "Softmax opset %d %s axis %d inputs in [%g, %g)",
                     sc->opset, clnn_shape_str(sc->dims, sc->nd, b, sizeof b), sc->axis,
                     (double)ro.lo, (double)ro.hi);
            ok &= lt_check(&clnn_layer_softmax, g, &ro, 1e-6f, 1e-5f, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

/* The two opset semantics worked out by hand on [2,3,2,2], axis 1: opset 13 normalises the 3
 * channels at every position, opset 12 each image's 12 values. Checks the reference too. */
static void test_softmax_semantics(void **state)
{
    (void)state;
    for (int opset = 12; opset <= 13; opset++) {
        clnn_graph *g = lt_graph(opset);
        int64_t dims[4] = {2, 3, 2, 2};
        lt_input(g, "x", dims, 4);
        const char *ins[] = {"x"};
        clnn_attr at[] = {CLNN_ATTR_I("axis", 1)};
        gnode *n = lt_node(g, "Softmax", ins, 1, at, 1);
        assert_int_equal(n->version >= 13, opset == 13);
        float *got, *want;
        size_t cnt;
        run_opts ro = lt_defaults(77);
        lt_run_node(&clnn_layer_softmax, g, n, &ro, &got, &want, &cnt);
        assert_int_equal(cnt, 24);
        for (int img = 0; img < 2; img++) {
            if (opset == 13) {
                for (int p = 0; p < 4; p++) {
                    double s = 0, r = 0;
                    for (int ch = 0; ch < 3; ch++) {
                        s += got[img * 12 + ch * 4 + p];
                        r += want[img * 12 + ch * 4 + p];
                    }
                    assert_true(fabs(s - 1.0) < 1e-5 && fabs(r - 1.0) < 1e-6);
                }
            } else {
                double s = 0, r = 0;
                for (int i = 0; i < 12; i++) s += got[img * 12 + i], r += want[img * 12 + i];
                assert_true(fabs(s - 1.0) < 1e-5 && fabs(r - 1.0) < 1e-6);
            }
        }
        /* Under opset 12 a position's channels do not sum to 1 (almost surely). */
        if (opset == 12) {
            double s = got[0] + got[4] + got[8];
            assert_true(fabs(s - 1.0) > 1e-3);
        }
        free(got);
        free(want);
        clnn_graph_destroy(g);
    }
}

/* ---- Concat ---------------------------------------------------------------------------- */

typedef struct ccase {
    int64_t dims[3][4];
    int nd, ninputs, axis;
    uint32_t null_inputs;
    bool const_input; /* input 1 is a constant */
} ccase;

static const ccase ccases[] = {
    {{{3, 2, 4, 5}, {3, 3, 4, 5}, {3, 1, 4, 5}}, 4, 3, 1, 0, false},
    {{{3, 2, 4, 5}, {3, 3, 4, 5}, {3, 1, 4, 5}}, 4, 3, 1, 2, false}, /* middle in place */
    {{{3, 2, 4, 5}, {3, 3, 4, 5}, {3, 1, 4, 5}}, 4, 3, 1, 1, false}, /* first in place */
    {{{3, 2, 4, 5}, {3, 3, 4, 5}, {3, 1, 4, 5}}, 4, 3, 1, 7, false}, /* all in place */
    {{{3, 2, 4, 5}, {3, 3, 4, 5}, {3, 1, 4, 5}}, 4, 3, 1, 0, true},
    {{{3, 2, 1, 5}, {3, 2, 3, 5}, {3, 2, 2, 5}}, 4, 3, 2, 0, false},
    {{{3, 2, 1, 5}, {3, 2, 3, 5}, {3, 2, 2, 5}}, 4, 3, 2, 4, false}, /* last in place */
    {{{3, 2, 1, 5}, {3, 2, 3, 5}, {3, 2, 2, 5}}, 4, 3, -2, 2, false},
    {{{3, 100, 250, 1}, {3, 100, 250, 2}, {3, 100, 250, 1}}, 4, 3, 3, 0, false}, /* > 65535 rows */
    {{{3, 4}, {1, 4}, {2, 4}}, 2, 3, 0, 0, false},
    {{{3, 4}, {3, 5}}, 2, 2, -1, 0, false},
    {{{3, 7, 2, 2}}, 4, 1, 1, 0, false},
};

#define SENTINEL 1234.5f

static void test_concat(void **state)
{
    (void)state;
    static const char *names[] = {"x0", "x1", "x2"};
    int ok = 1;
    /* Each case with and without an event back: no copies (a marker), one copy (its own
     * event) and several (joined by a marker) all have to order the read after them. */
    for (size_t c = 0; c < 2 * CLNN_ARRAY_LEN(ccases); c++) {
        const ccase *cc = &ccases[c / 2];
        clnn_graph *g = lt_graph(0);
        for (int i = 0; i < cc->ninputs; i++) {
            if (cc->const_input && i == 1)
                lt_constant(g, names[i], cc->dims[i], (size_t)cc->nd, (uint32_t)c, -3.0f, 3.0f);
            else
                lt_input(g, names[i], cc->dims[i], (size_t)cc->nd);
        }
        clnn_attr at[] = {CLNN_ATTR_I("axis", cc->axis)};
        gnode *n = lt_node(g, "Concat", names, (size_t)cc->ninputs, at, 1);
        run_opts ro = lt_defaults((uint32_t)c);
        ro.null_inputs = cc->null_inputs;
        ro.sentinel = SENTINEL;
        ro.no_done = c % 2;
        float *got, *want;
        size_t cnt;
        lt_run_node(&clnn_layer_concat, g, n, &ro, &got, &want, &cnt);
        /* Inputs written in place keep what the output held: the layer must not touch them. */
        const gtensor *y = clnn_node_output(g, n);
        const int axis = OP_A(n, axis_attrs)->resolved;
        size_t outer = (size_t)clnn_shape_count(y->dims, axis);
        size_t inner = (size_t)clnn_shape_count(y->dims + axis + 1, y->ndim - axis - 1);
        size_t out_len = (size_t)y->dims[axis] * inner, off = 0;
        for (int i = 0; i < cc->ninputs; i++) {
            size_t len = (size_t)cc->dims[i][axis] * inner;
            if (cc->null_inputs >> i & 1)
                for (size_t o = 0; o < outer; o++)
                    for (size_t j = 0; j < len; j++) want[o * out_len + off + j] = SENTINEL;
            off += len;
        }
        char what[128], b[64];
        snprintf(what, sizeof what, "Concat of %d into %s axis %d, in place 0x%x, event %d",
                 cc->ninputs, clnn_shape_str(y->dims, y->ndim, b, sizeof b), axis,
                 cc->null_inputs, !ro.no_done);
        ok &= tu_allclose(got, want, cnt, 0.0f, 0.0f, what);
        free(got);
        free(want);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* ---- events, errors, the table --------------------------------------------------------- */

/* Every layer also works when the caller wants no event back (the executor without
 * profiling). */
static void test_no_done(void **state)
{
    (void)state;
    int64_t dims[4] = {3, 5, 7, 9}, c5 = 5;
    int ok = 1;
    for (int l = 0; l < 5; l++) {
        clnn_graph *g = lt_graph(0);
        lt_input(g, "x", dims, 4);
        const clnn_layer_impl *impl;
        const char *ins[5] = {"x", "x", "s", "s", "v"}, *bn_ins[5] = {"x", "s", "s", "s", "v"};
        if (l == 0) {
            lt_node(g, "Sigmoid", ins, 1, NULL, 0);
            impl = &clnn_layer_act;
        } else if (l == 1) {
            lt_node(g, "Add", ins, 2, NULL, 0);
            impl = &clnn_layer_binary;
        } else if (l == 2) {
            lt_constant(g, "s", &c5, 1, 1, 0.5f, 1.0f);
            lt_constant(g, "v", &c5, 1, 2, 0.5f, 1.0f);
            lt_node(g, "BatchNormalization", bn_ins, 5, NULL, 0);
            impl = &clnn_layer_bn;
        } else if (l == 3) {
            clnn_attr at[] = {CLNN_ATTR_I("size", 3)};
            lt_node(g, "LRN", ins, 1, at, 1);
            impl = &clnn_layer_lrn;
        } else {
            clnn_attr at[] = {CLNN_ATTR_I("axis", 1)};
            lt_node(g, "Softmax", ins, 1, at, 1);
            impl = &clnn_layer_softmax;
        }
        run_opts ro = lt_defaults((uint32_t)l);
        ro.no_done = true;
        ok &= lt_check(impl, g, &ro, 1e-5f, 2e-5f, impl->name);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* A buffer smaller than the tensor is refused with a message naming the node. */
static void test_small_buffer(void **state)
{
    (void)state;
    int64_t dims[2] = {3, 13}, c13 = 13;
    clnn_graph *g = lt_graph(0);
    lt_input(g, "x", dims, 2);
    lt_constant(g, "b", &c13, 1, 1, -1.0f, 1.0f);
    const char *ins[] = {"x", "b"};
    const char *out[] = {"y"};
    assert_int_equal(clnn_graph_add_node(g, "Mul", "scale_me", ins, 2, out, 1, NULL, 0),
                     CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    int *order, norder;
    assert_int_equal(clnn_graph_infer(g, 0, &order, &norder), CLNN_STATUS_OK);
    free(order);
    void *st = NULL;
    assert_int_equal(clnn_layer_binary.prepare(lt_ctx, lt_dev, g, &g->nodes[0], &st), CLNN_STATUS_OK);
    cl_int err;
    cl_mem big = clCreateBuffer(lt_cl_ctx, CL_MEM_READ_WRITE, 39 * sizeof(float), NULL, &err);
    cl_mem small = clCreateBuffer(lt_cl_ctx, CL_MEM_READ_WRITE, 38 * sizeof(float), NULL, &err);
    layer_io io;
    memset(&io, 0, sizeof io);
    io.in[0] = big;
    io.in[1] = big;
    io.out = small;
    assert_int_equal(clnn_layer_binary.enqueue(st, lt_queue, &io, 0, NULL, NULL),
                     CLNN_STATUS_SHAPE_MISMATCH);
    assert_non_null(strstr(clnn_last_error(), "scale_me"));
    io.out = big;
    io.in[1] = NULL;
    assert_int_equal(clnn_layer_binary.enqueue(st, lt_queue, &io, 0, NULL, NULL),
                     CLNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clnn_last_error(), "scale_me"));
    clnn_layer_binary.destroy(st);
    clReleaseMemObject(big);
    clReleaseMemObject(small);
    clnn_graph_destroy(g);
}

static void test_table(void **state)
{
    (void)state;
    assert_ptr_equal(clnn_layer_find(OP_RELU), &clnn_layer_act);
    assert_ptr_equal(clnn_layer_find(OP_SIGMOID), &clnn_layer_act);
    assert_ptr_equal(clnn_layer_find(OP_MUL), &clnn_layer_binary);
    assert_ptr_equal(clnn_layer_find(OP_BATCH_NORM), &clnn_layer_bn);
    assert_ptr_equal(clnn_layer_find(OP_LRN), &clnn_layer_lrn);
    assert_ptr_equal(clnn_layer_find(OP_SOFTMAX), &clnn_layer_softmax);
    assert_ptr_equal(clnn_layer_find(OP_CONCAT), &clnn_layer_concat);
    assert_int_equal(clnn_layer_bn.host_inputs, 0x1eu);
    assert_false(clnn_layer_concat.strided_output);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_act),         cmocka_unit_test(test_binary),
        cmocka_unit_test(test_bn),          cmocka_unit_test(test_lrn),
        cmocka_unit_test(test_softmax),     cmocka_unit_test(test_softmax_semantics),
        cmocka_unit_test(test_concat),      cmocka_unit_test(test_no_done),
        cmocka_unit_test(test_small_buffer), cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, lt_setup, lt_teardown);
}
