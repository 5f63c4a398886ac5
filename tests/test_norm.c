/*
 * test_norm.c - the normalisation operators on the device against their C references:
 * LayerNormalization, InstanceNormalization, GroupNormalization (lib/ops/norm.c,
 * kernels/layernorm.cl) and BatchNormalization standalone (lib/ops/layer_norm.c: after a
 * Concat, where no Conv can absorb it), plus the refusals of bad models, each naming the
 * node. Layers run on the NaN-gated queue of layertest.h; graphs (LayerNormalization's Mean
 * and InvStdDev outputs, BatchNormalization after a Concat) through a session against the
 * same graph folded on the host.
 *
 * Tolerances (|got - want| <= atol + rtol * |want|):
 *   Layer-, Instance-, GroupNormalization   2e-5 + 1e-4: float sums of up to 8320 inputs
 *                                            in [-4, 4) (per work-item, then a tree),
 *                                            against the two-pass reference in double; the
 *                                            outputs are O(1..4)
 *   BatchNormalization                      1e-5 + 1e-5 (test_layers.c's reasoning)
 */
#include "layertest.h"

#include <math.h>

#define NORM_ATOL 2e-5f
#define NORM_RTOL 1e-4f

/* ---- LayerNormalization ------------------------------------------------------------------ */

typedef struct ln_case {
    int64_t dims[5];
    int nd;
    int axis;               /* 99: the default (-1) */
    int64_t sdims[3];       /* Scale's shape (0 rank: the normalised shape) */
    int snd;
    int bias;               /* 0: no B; 1: B like Scale; 2: B of shape [1] */
    float eps;
} ln_case;

static const ln_case ln_cases[] = {
    {{2, 7, 5, 96}, 4, -1, {0}, 0, 1, 1e-6f},   /* ConvNeXt: channels last */
    {{2, 7, 5, 96}, 4, 99, {0}, 0, 0, 1e-5f},   /* the default axis, no B */
    {{3, 5}, 2, -1, {0}, 0, 1, 1e-5f},          /* 2-D */
    {{3, 5}, 2, 0, {0}, 0, 1, 1e-5f},           /* everything one row */
    {{3, 5}, 2, 1, {0}, 0, 2, 1e-5f},
    {{2, 3, 17}, 3, -1, {0}, 0, 1, 1e-5f},      /* 3-D, odd sizes */
    {{2, 3, 17}, 3, 1, {0}, 0, 1, 1e-3f},       /* axis 1: rows of 51 */
    {{2, 3, 17}, 3, -2, {17}, 1, 1, 1e-5f},     /* Scale broadcast over dimension 1 */
    {{2, 3, 17}, 3, 1, {3, 1}, 2, 1, 1e-5f},    /* and over dimension 2 */
    {{2, 4099}, 2, -1, {0}, 0, 1, 1e-5f},       /* long rows: a work-group loops */
    {{1, 8193}, 2, -1, {0}, 0, 1, 1e-5f},
    {{2, 3, 4, 5, 6}, 5, 2, {0}, 0, 1, 1e-5f},  /* 5-D, rows of 120 */
    {{2, 3, 4, 5, 6}, 5, -1, {1}, 1, 2, 1e-5f}, /* one scale for all */
    {{4, 1}, 2, -1, {0}, 0, 1, 1e-5f},          /* rows of 1: y = B */
    {{3, 1, 1, 1}, 4, 1, {0}, 0, 1, 1e-5f},
};

/* Adds a LayerNormalization graph of case c with output "y" (and "mean", "inv" when
 * stats), shapes inferred. */
static clnn_graph *ln_graph(const ln_case *c, uint32_t seed, bool stats)
{
    clnn_graph *g = lt_graph(17);
    lt_input(g, "x", c->dims, (size_t)c->nd);
    const int ax = c->axis == 99 ? c->nd - 1 : (c->axis + c->nd) % c->nd;
    const int64_t *sd = c->snd ? c->sdims : c->dims + ax;
    const int snd = c->snd ? c->snd : c->nd - ax;
    lt_constant(g, "scale", sd, (size_t)snd, seed, 0.5f, 2.0f);
    static const int64_t one = 1;
    if (c->bias == 1) lt_constant(g, "B", sd, (size_t)snd, seed + 1, -1.0f, 1.0f);
    if (c->bias == 2) lt_constant(g, "B", &one, 1, seed + 1, -1.0f, 1.0f);
    const char *ins[] = {"x", "scale", "B"};
    clnn_attr at[2];
    size_t nat = 0;
    at[nat++] = CLNN_ATTR_F("epsilon", c->eps);
    if (c->axis != 99) at[nat++] = CLNN_ATTR_I("axis", c->axis);
    const char *outs[] = {"y", "mean", "inv"};
    const size_t nout = stats ? 3 : 1;
    assert_int_equal(clnn_graph_add_node(g, "LayerNormalization", "n0", ins, c->bias ? 3 : 2,
                                         outs, nout, at, nat),
                     CLNN_STATUS_OK);
    for (size_t i = 0; i < nout; i++)
        assert_int_equal(clnn_graph_add_output(g, outs[i]), CLNN_STATUS_OK);
    int *order = NULL, norder = 0;
    clnn_status st = clnn_graph_infer(g, 0, &order, &norder);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    free(order);
    return g;
}

static void case_name(const ln_case *c, char *buf, size_t cap, const clnn_graph *g)
{
    char b[64];
    snprintf(buf, cap, "LayerNormalization %s axis %d scale rank %d B %d",
             lt_shape_of(g, g->inputs[0], b, sizeof b), c->axis, c->snd, c->bias);
}

static void test_layer_norm(void **state)
{
    (void)state;
    const clnn_layer_impl *impl = clnn_layer_find(OP_LAYER_NORM);
    assert_non_null(impl);
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(ln_cases); i++)
        for (int inplace = 0; inplace < 2; inplace++) {
            const ln_case *c = &ln_cases[i];
            clnn_graph *g = ln_graph(c, (uint32_t)i * 7 + 1, false);
            run_opts ro = lt_defaults((uint32_t)(i * 2 + (size_t)inplace));
            ro.in_place = inplace == 1;
            char what[160];
            case_name(c, what, sizeof what, g);
            ok &= lt_check(impl, g, &ro, NORM_ATOL, NORM_RTOL, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

/* Mean and InvStdDev through a session (their own nodes after lowering), against the
 * graph folded on the host. */
static void test_layer_norm_stats(void **state)
{
    (void)state;
    int ok = 1;
    static const size_t pick[] = {0, 3, 6, 9, 11, 13};
    for (size_t k = 0; k < CLNN_ARRAY_LEN(pick); k++) {
        const ln_case *c = &ln_cases[pick[k]];
        clnn_graph *g = ln_graph(c, (uint32_t)k + 40, true);
        const gtensor *m = &g->tensors[clnn_graph_find_tensor(g, "mean")];
        assert_int_equal(m->ndim, c->nd); /* the normalised dimensions kept as 1 */
        assert_int_equal(m->dims[c->nd - 1], 1);
        char what[160];
        case_name(c, what, sizeof what, g);
        ok &= lt_compare_folded(g, (uint32_t)k, -4.0f, 4.0f, NORM_ATOL, NORM_RTOL, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* ---- InstanceNormalization, GroupNormalization ------------------------------------------- */

typedef struct cn_case {
    int64_t dims[5];
    int nd;
    int groups; /* 0: InstanceNormalization */
} cn_case;

static const cn_case cn_cases[] = {
    {{2, 3, 5, 7}, 4, 0},   {{1, 1, 9, 9}, 4, 0},      /* C = 1 */
    {{2, 4, 1, 1}, 4, 0},                              /* 1x1: y = B */
    {{2, 3, 17}, 3, 0},     {{1, 2, 3, 4, 5}, 5, 0},   /* 3-D, 5-D */
    {{1, 2, 70, 70}, 4, 0},                            /* rows of 4900 */
    {{2, 5}, 2, 0},                                    /* no spatial dimensions */
    {{2, 6, 5, 7}, 4, 3},   {{2, 6, 5, 7}, 4, 1},   {{2, 6, 5, 7}, 4, 6},
    {{1, 4, 1, 1}, 4, 2},   {{2, 8, 9}, 3, 4},      {{1, 4, 2, 3, 5}, 5, 2},
    {{1, 2, 64, 65}, 4, 1},                            /* one row of 8320 */
    {{3, 1, 3, 3}, 4, 1},
};

static void test_channel_norm(void **state)
{
    (void)state;
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(cn_cases); i++)
        for (int inplace = 0; inplace < 2; inplace++) {
            const cn_case *c = &cn_cases[i];
            const bool gn = c->groups > 0;
            clnn_graph *g = lt_graph(gn ? 18 : (inplace ? 1 : 6));
            lt_input(g, "x", c->dims, (size_t)c->nd);
            const int64_t np = gn ? c->groups : c->dims[1];
            lt_constant(g, "scale", &np, 1, (uint32_t)i * 3 + 1, 0.5f, 2.0f);
            lt_constant(g, "B", &np, 1, (uint32_t)i * 3 + 2, -1.0f, 1.0f);
            const char *ins[] = {"x", "scale", "B"};
            clnn_attr at[] = {CLNN_ATTR_F("epsilon", i % 2 ? 1e-3f : 1e-5f),
                              CLNN_ATTR_I("num_groups", c->groups)};
            const char *op = gn ? "GroupNormalization" : "InstanceNormalization";
            gnode *n = lt_node(g, op, ins, 3, at, gn ? 2 : 1);
            run_opts ro = lt_defaults((uint32_t)(i * 2 + (size_t)inplace));
            ro.in_place = inplace == 1;
            char what[160], b[64];
            snprintf(what, sizeof what, "%s %s groups %d in place %d", op,
                     lt_shape_of(g, g->inputs[0], b, sizeof b), c->groups, inplace);
            ok &= lt_check(clnn_layer_find(n->op), g, &ro, NORM_ATOL, NORM_RTOL, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

/* ---- BatchNormalization standalone ------------------------------------------------------- */

/* Concat(x1, x2) -> BatchNormalization, as in DenseNet: nothing to fold it into. */
static void test_batch_norm_standalone(void **state)
{
    (void)state;
    static const int64_t shapes[][5] = {{3, 5}, {2, 3, 7}, {2, 3, 4, 5}, {1, 2, 3, 4, 5},
                                        {2, 1, 1, 1}};
    static const int ranks[] = {2, 3, 4, 5, 4};
    static const int opsets[] = {6, 7, 9, 14, 15};
    int ok = 1;
    for (size_t s = 0; s < CLNN_ARRAY_LEN(ranks); s++)
        for (size_t o = 0; o < CLNN_ARRAY_LEN(opsets); o++) {
            clnn_graph *g = lt_graph(opsets[o]);
            int64_t d[5];
            memcpy(d, shapes[s], sizeof d);
            lt_input(g, "x1", d, (size_t)ranks[s]);
            d[1] += 2;
            lt_input(g, "x2", d, (size_t)ranks[s]);
            const int64_t C = 2 * shapes[s][1] + 2;
            lt_constant(g, "scale", &C, 1, (uint32_t)s * 4 + 1, 0.5f, 2.0f);
            lt_constant(g, "B", &C, 1, (uint32_t)s * 4 + 2, -1.0f, 1.0f);
            lt_constant(g, "mean", &C, 1, (uint32_t)s * 4 + 3, -1.0f, 1.0f);
            lt_constant(g, "var", &C, 1, (uint32_t)s * 4 + 4, 0.1f, 2.0f);
            const char *cin[] = {"x1", "x2"}, *cout[] = {"c"}, *bout[] = {"y"};
            const char *bin[] = {"c", "scale", "B", "mean", "var"};
            clnn_attr cat[] = {CLNN_ATTR_I("axis", 1)};
            clnn_attr bat[] = {CLNN_ATTR_F("epsilon", 1e-3f), CLNN_ATTR_I("is_test", 1)};
            assert_int_equal(clnn_graph_add_node(g, "Concat", "cat", cin, 2, cout, 1, cat, 1),
                             CLNN_STATUS_OK);
            clnn_status st = clnn_graph_add_node(g, "BatchNormalization", "bn", bin, 5, bout, 1,
                                                 bat, opsets[o] < 7 ? 2 : 1);
            if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
            assert_int_equal(st, CLNN_STATUS_OK);
            assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
            char what[128], b[64];
            snprintf(what, sizeof what, "Concat -> BatchNormalization opset %d, %s", opsets[o],
                     clnn_shape_str(d, ranks[s], b, sizeof b));
            ok &= lt_compare_folded(g, (uint32_t)(s * 8 + o), -4.0f, 4.0f, 1e-5f, 1e-5f, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

/* ---- refusals ------------------------------------------------------------------------------- */

/* Builds one node n0 (inputs x [2,6,4,5] and constants s6 [6], s3 [3], s5 [5], s7 [7]; in
 * an input [6]) and expects status `want` at adding or inference, with a message naming n0
 * and holding `needle`. */
static void expect_refusal(int opset, const char *op, const char *const *ins, size_t nin,
                           size_t nout, const clnn_attr *at, size_t nat, clnn_status want,
                           const char *needle)
{
    clnn_graph *g = lt_graph(opset);
    static const int64_t xd[] = {2, 6, 4, 5}, c6 = 6, c3 = 3, c5 = 5, c7 = 7;
    lt_input(g, "x", xd, 4);
    lt_input(g, "in", &c6, 1);
    lt_constant(g, "s6", &c6, 1, 1, 0.5f, 1.0f);
    lt_constant(g, "s3", &c3, 1, 2, 0.5f, 1.0f);
    lt_constant(g, "s5", &c5, 1, 3, 0.5f, 1.0f);
    lt_constant(g, "s7", &c7, 1, 4, 0.5f, 1.0f);
    const char *outs[] = {"y", "o1", "o2", "o3", "o4"};
    clnn_status st = clnn_graph_add_node(g, op, "n0", ins, nin, outs, nout, at, nat);
    if (st == CLNN_STATUS_OK) {
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        int *order = NULL, norder = 0;
        st = clnn_graph_infer(g, 0, &order, &norder);
        free(order);
    }
    if (st != want || !strstr(clnn_last_error(), "n0") || !strstr(clnn_last_error(), needle))
        print_error("%s: status %d, message '%s'; expected %d and '%s'\n", op, (int)st,
                    clnn_last_error(), (int)want, needle);
    assert_int_equal(st, want);
    assert_non_null(strstr(clnn_last_error(), "n0"));
    assert_non_null(strstr(clnn_last_error(), needle));
    clnn_graph_destroy(g);
}

static void test_refusals(void **state)
{
    (void)state;
    const clnn_status unsup = CLNN_STATUS_UNSUPPORTED, bad = CLNN_STATUS_INVALID_MODEL;
    const char *ln5[] = {"x", "s5", "s5"}, *ln7[] = {"x", "s7"}, *lnin[] = {"x", "in"};
    clnn_attr ax4[] = {CLNN_ATTR_I("axis", 4)}, axm5[] = {CLNN_ATTR_I("axis", -5)};
    clnn_attr st0[] = {CLNN_ATTR_I("stash_type", 11)}, epsn[] = {CLNN_ATTR_F("epsilon", -1.0f)};
    expect_refusal(17, "LayerNormalization", ln5, 3, 1, ax4, 1, bad, "axis 4");
    expect_refusal(17, "LayerNormalization", ln5, 3, 1, axm5, 1, bad, "axis -5");
    expect_refusal(17, "LayerNormalization", ln5, 3, 1, st0, 1, unsup, "stash_type 11");
    expect_refusal(17, "LayerNormalization", ln5, 3, 1, epsn, 1, unsup, "epsilon");
    expect_refusal(17, "LayerNormalization", ln7, 2, 1, NULL, 0, bad, "does not broadcast");
    clnn_attr ax1[] = {CLNN_ATTR_I("axis", 1)};
    expect_refusal(17, "LayerNormalization", lnin, 2, 1, ax1, 1, unsup, "constant");
    expect_refusal(16, "LayerNormalization", ln5, 3, 1, NULL, 0, bad, "opset 16");

    const char *in6[] = {"x", "s6", "s6"}, *in3[] = {"x", "s3", "s6"}, *inin[] = {"x", "in", "s6"};
    expect_refusal(6, "InstanceNormalization", in3, 3, 1, NULL, 0, bad, "6 values");
    expect_refusal(6, "InstanceNormalization", inin, 3, 1, NULL, 0, unsup, "constant");
    expect_refusal(6, "InstanceNormalization", in6, 3, 1, epsn, 1, unsup, "epsilon");

    const char *gn3[] = {"x", "s3", "s3"};
    clnn_attr g4[] = {CLNN_ATTR_I("num_groups", 4)}, g3[] = {CLNN_ATTR_I("num_groups", 3)};
    clnn_attr g0[] = {CLNN_ATTR_I("num_groups", 0)};
    expect_refusal(18, "GroupNormalization", gn3, 3, 1, g4, 1, bad, "num_groups 4");
    expect_refusal(18, "GroupNormalization", in6, 3, 1, g3, 1, bad, "3 values");
    expect_refusal(18, "GroupNormalization", gn3, 3, 1, NULL, 0, bad, "num_groups");
    expect_refusal(18, "GroupNormalization", gn3, 3, 1, g0, 1, unsup, "num_groups");
    expect_refusal(17, "GroupNormalization", gn3, 3, 1, g3, 1, bad, "opset 17");

    const char *bn[] = {"x", "s6", "s6", "s6", "s6"}, *bnin[] = {"x", "s6", "in", "s6", "s6"};
    clnn_attr train[] = {CLNN_ATTR_I("training_mode", 1)};
    expect_refusal(15, "BatchNormalization", bn, 5, 1, train, 1, unsup, "training_mode 1");
    expect_refusal(15, "BatchNormalization", bn, 5, 3, NULL, 0, unsup, "3 outputs");
    expect_refusal(15, "BatchNormalization", bnin, 5, 1, NULL, 0, unsup, "constant");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layer_norm),
        cmocka_unit_test(test_layer_norm_stats),
        cmocka_unit_test(test_channel_norm),
        cmocka_unit_test(test_batch_norm_standalone),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, lt_setup, lt_teardown);
}
