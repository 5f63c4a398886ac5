/*
 * test_layout.c - Transpose, Slice and Gather (lib/ops/layout.c) on the device against their
 * C references (exact: copies), over odd sizes, size-1 axes, 1-D to 6-D, negative axes,
 * negative steps and clamped bounds; Shape arithmetic through Gather/Slice folded into a
 * Reshape target; refusals naming the node.
 */
#include "layertest.h"

static clnn_graph *g_x(int opset, const int64_t *d, int nd)
{
    clnn_graph *g = lt_graph(opset);
    lt_input(g, "x", d, (size_t)nd);
    return g;
}

static void i64(clnn_graph *g, const char *name, const int64_t *v, int64_t n)
{
    assert_int_equal(clnn_graph_add_constant_int64(g, name, &n, 1, v), CLNN_STATUS_OK);
}

static void test_transpose(void **state)
{
    (void)state;
    static const struct { int64_t d[6]; int nd; int64_t perm[6]; int np; } c[] = {
        {{7}, 1, {0}, 1},
        {{3, 5}, 2, {1, 0}, 2},
        {{2, 3, 5}, 3, {0}, 0}, /* default: reversed */
        {{2, 5, 7, 3}, 4, {0, 2, 3, 1}, 4}, /* ConvNeXt */
        {{2, 5, 7, 3}, 4, {0, 3, 1, 2}, 4},
        {{2, 3, 4, 5, 6}, 5, {0, 2, 1, 3, 4}, 5}, /* ShuffleNet */
        {{1, 3, 1, 5, 2, 3}, 6, {5, 3, 1, 0, 4, 2}, 6},
    };
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++) {
        clnn_graph *g = g_x(0, c[i].d, c[i].nd);
        const char *ins[] = {"x"};
        clnn_attr at[] = {CLNN_ATTR_IS("perm", c[i].perm, (size_t)c[i].np)};
        lt_node(g, "Transpose", ins, 1, at, c[i].np ? 1 : 0);
        run_opts ro = lt_defaults((uint32_t)i);
        char what[64];
        snprintf(what, sizeof what, "Transpose case %zu", i);
        ok &= lt_check(clnn_layer_find(OP_TRANSPOSE), g, &ro, 0, 0, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

static void test_slice(void **state)
{
    (void)state;
    static const struct {
        int64_t d[4]; int nd;
        int64_t st[3], en[3], ax[3], sp[3]; int n, nax, nsp;
    } c[] = {
        {{3, 7, 5}, 3, {1, 2}, {3, -1}, {1, 2}, {0}, 2, 2, 0},
        {{3, 7, 5}, 3, {0}, {INT64_MAX}, {-1}, {2}, 1, 1, 1},
        {{3, 7, 5}, 3, {-1}, {INT64_MIN}, {1}, {-1}, 1, 1, 1},   /* reversed */
        {{3, 7, 5}, 3, {100, -100}, {-100, 100}, {1, 2}, {-3, 2}, 2, 2, 2}, /* clamped */
        {{4, 9}, 2, {1, 0}, {4, 9}, {0}, {0}, 2, 0, 0},            /* default axes */
        {{2, 3, 8, 5}, 4, {4}, {8}, {-2}, {1}, 1, 1, 1},           /* channel split */
        {{2, 1, 6, 3}, 4, {5, 2}, {0, 0}, {2, 3}, {-2, -5}, 2, 2, 2},
    };
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++)
        for (int form = 0; form < 2; form++) {
            if (form == 0 && (c[i].nsp || c[i].st[0] == 100)) continue; /* opset 1: no steps */
            clnn_graph *g = g_x(form ? 13 : 1, c[i].d, c[i].nd);
            const char *ins[] = {"x", "s", "e", c[i].nax ? "a" : "", "p"};
            size_t nin = 1;
            clnn_attr at[3];
            size_t nat = 0;
            if (form == 0) {
                at[nat++] = CLNN_ATTR_IS("starts", c[i].st, (size_t)c[i].n);
                at[nat++] = CLNN_ATTR_IS("ends", c[i].en, (size_t)c[i].n);
                if (c[i].nax) at[nat++] = CLNN_ATTR_IS("axes", c[i].ax, (size_t)c[i].nax);
            } else {
                i64(g, "s", c[i].st, c[i].n);
                i64(g, "e", c[i].en, c[i].n);
                nin = 3;
                if (c[i].nax) i64(g, "a", c[i].ax, c[i].nax), nin = 4;
                if (c[i].nsp) i64(g, "p", c[i].sp, c[i].nsp), nin = 5;
            }
            lt_node(g, "Slice", ins, nin, at, nat);
            run_opts ro = lt_defaults((uint32_t)i);
            char what[64];
            snprintf(what, sizeof what, "Slice case %zu form %d", i, form);
            ok &= lt_check(clnn_layer_find(OP_SLICE), g, &ro, 0, 0, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

/* Hand-checked: [0..6] reversed with step -2 is 6 4 2 0. */
static void test_slice_values(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(13);
    lt_input(g, "unused", &(int64_t){1}, 1); /* a graph has an input */
    int64_t d = 7, st = -1, en = INT64_MIN, sp = -2;
    float x[7] = {0, 1, 2, 3, 4, 5, 6};
    assert_int_equal(clnn_graph_add_constant(g, "x", &d, 1, x), CLNN_STATUS_OK);
    i64(g, "s", &st, 1);
    i64(g, "e", &en, 1);
    i64(g, "a", &(int64_t){0}, 1);
    i64(g, "p", &sp, 1);
    const char *ins[] = {"x", "s", "e", "a", "p"}, *out[] = {"y"};
    assert_int_equal(clnn_graph_add_node(g, "Slice", "sl", ins, 5, out, 1, NULL, 0), 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), 0);
    int *order, norder;
    assert_int_equal(clnn_graph_infer_fold(g, 0, true, &order, &norder), CLNN_STATUS_OK);
    free(order);
    const gtensor *y = &g->tensors[clnn_graph_find_tensor(g, "y")];
    assert_int_equal(y->dims[0], 4);
    for (int i = 0; i < 4; i++) assert_true(y->data[i] == (float)(6 - 2 * i));
    clnn_graph_destroy(g);
}

static void test_gather(void **state)
{
    (void)state;
    static const struct { int64_t d[4]; int nd; int64_t axis; int64_t id[4]; int nid; int ir; } c[] = {
        {{7}, 1, 0, {3}, 1, 0},               /* scalar index on 1-D: a scalar */
        {{5, 3}, 2, 0, {4, -5, 2}, 3, 1},
        {{5, 3}, 2, -1, {2, 0}, 2, 1},
        {{2, 5, 3, 4}, 4, 1, {1, 4, 0, -1}, 4, 2}, /* 2-D indices [2,2] */
        {{2, 5, 3, 4}, 4, 3, {2}, 1, 0},
    };
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++) {
        clnn_graph *g = g_x(13, c[i].d, c[i].nd);
        int64_t idims[2] = {c[i].nid, 1};
        if (c[i].ir == 2) idims[0] = 2, idims[1] = 2;
        assert_int_equal(clnn_graph_add_constant_int64(g, "i", idims, (size_t)c[i].ir, c[i].id),
                         CLNN_STATUS_OK);
        const char *ins[] = {"x", "i"};
        clnn_attr at[] = {CLNN_ATTR_I("axis", c[i].axis)};
        lt_node(g, "Gather", ins, 2, at, 1);
        run_opts ro = lt_defaults((uint32_t)i);
        char what[64];
        snprintf(what, sizeof what, "Gather case %zu", i);
        ok &= lt_check(clnn_layer_find(OP_GATHER), g, &ro, 0, 0, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* FCN/DeepLab's pattern: Shape -> Gather(axis 0) -> Unsqueeze -> Concat -> Reshape target,
 * plus Slice of the Shape; all folded when the session is created. */
static void test_shape_arith(void **state)
{
    (void)state;
    int64_t d[4] = {2, 3, 4, 5};
    clnn_graph *g = g_x(13, d, 4);
    int64_t zero = 0, one = 1, two = 2, mone = -1, big = INT64_MAX;
    assert_int_equal(clnn_graph_add_constant_int64(g, "i0", NULL, 0, &zero), CLNN_STATUS_OK);
    i64(g, "ax0", &zero, 1);
    i64(g, "s2", &two, 1);
    i64(g, "eb", &big, 1);
    i64(g, "m1", &mone, 1);
    (void)one;
    const char *o_sh[] = {"sh"}, *i_sh[] = {"x"};
    const char *i_ga[] = {"sh", "i0"}, *o_ga[] = {"n"};
    const char *i_un[] = {"n", "ax0"}, *o_un[] = {"n1"};
    const char *i_sl[] = {"sh", "s2", "eb"}, *o_sl[] = {"hw"};
    const char *i_ct[] = {"n1", "m1", "hw"}, *o_ct[] = {"tgt"};
    const char *i_rs[] = {"x", "tgt"}, *o_rs[] = {"y"};
    clnn_attr cat_axis[] = {CLNN_ATTR_I("axis", 0)};
    assert_int_equal(clnn_graph_add_node(g, "Shape", "shape", i_sh, 1, o_sh, 1, NULL, 0), 0);
    assert_int_equal(clnn_graph_add_node(g, "Gather", "gather", i_ga, 2, o_ga, 1, NULL, 0), 0);
    assert_int_equal(clnn_graph_add_node(g, "Unsqueeze", "unsq", i_un, 2, o_un, 1, NULL, 0), 0);
    assert_int_equal(clnn_graph_add_node(g, "Slice", "slice", i_sl, 3, o_sl, 1, NULL, 0), 0);
    assert_int_equal(clnn_graph_add_node(g, "Concat", "cat", i_ct, 3, o_ct, 1, cat_axis, 1), 0);
    assert_int_equal(clnn_graph_add_node(g, "Reshape", "rs", i_rs, 2, o_rs, 1, NULL, 0), 0);
    /* y: [2, 3, 4, 5] (the -1 is 3); then a device Transpose of it. */
    const char *i_tr[] = {"y"}, *o_tr[] = {"z"};
    int64_t perm[] = {3, 1, 0, 2};
    clnn_attr at[] = {CLNN_ATTR_IS("perm", perm, 4)};
    assert_int_equal(clnn_graph_add_node(g, "Transpose", "tr", i_tr, 1, o_tr, 1, at, 1), 0);
    assert_int_equal(clnn_graph_add_output(g, "z"), 0);
    int *order, norder;
    assert_int_equal(clnn_graph_infer_fold(g, 0, true, &order, &norder), CLNN_STATUS_OK);
    free(order);
    const gtensor *t = &g->tensors[clnn_graph_find_tensor(g, "tgt")];
    assert_non_null(t->idata);
    assert_int_equal(t->dims[0], 4);
    int64_t want[4] = {2, -1, 4, 5};
    for (int i = 0; i < 4; i++) assert_int_equal(t->idata[i], want[i]);
    clnn_graph_destroy(g);
}

static void refuse(clnn_graph *g, const char *op, const char *const *ins, size_t nin,
                   const clnn_attr *at, size_t nat, const char *text)
{
    const char *out[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, op, "bad_node", ins, nin, out, 1, at, nat);
    if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
    int *order = NULL, norder;
    if (st == CLNN_STATUS_OK) st = clnn_graph_infer(g, 0, &order, &norder);
    free(order);
    assert_int_not_equal(st, CLNN_STATUS_OK);
    assert_non_null(strstr(clnn_last_error(), "bad_node"));
    if (text && !strstr(clnn_last_error(), text)) fail_msg("%s", clnn_last_error());
    clnn_graph_destroy(g);
}

static void test_refusals(void **state)
{
    (void)state;
    int64_t d[3] = {2, 3, 4};
    const char *x[] = {"x"}, *xi[] = {"x", "i"};
    int64_t p1[] = {0, 0, 1}, p2[] = {0, 1}, p3[] = {0, 1, 3};
    clnn_attr a1[] = {CLNN_ATTR_IS("perm", p1, 3)}, a2[] = {CLNN_ATTR_IS("perm", p2, 2)},
              a3[] = {CLNN_ATTR_IS("perm", p3, 3)};
    refuse(g_x(13, d, 3), "Transpose", x, 1, a1, 1, "permutation");
    refuse(g_x(13, d, 3), "Transpose", x, 1, a2, 1, "perm");
    refuse(g_x(13, d, 3), "Transpose", x, 1, a3, 1, "permutation");
    int64_t bad[] = {1, 3};
    clnn_graph *g = g_x(13, d, 3);
    i64(g, "i", bad, 2);
    clnn_attr ax1[] = {CLNN_ATTR_I("axis", 1)};
    refuse(g, "Gather", xi, 2, ax1, 1, "out of range");
    int64_t neg[] = {-4};
    g = g_x(13, d, 3);
    i64(g, "i", neg, 1);
    refuse(g, "Gather", xi, 2, ax1, 1, "out of range");
    int64_t zero = 0, one = 1;
    g = g_x(13, d, 3);
    i64(g, "s", &zero, 1);
    i64(g, "e", &one, 1);
    i64(g, "a", &zero, 1);
    i64(g, "p", &zero, 1);
    const char *sl[] = {"x", "s", "e", "a", "p"};
    refuse(g, "Slice", sl, 5, NULL, 0, "step 0");
    g = g_x(13, d, 3);
    i64(g, "s", &zero, 1);
    i64(g, "e", &one, 1);
    int64_t ax5 = 5;
    i64(g, "a", &ax5, 1);
    refuse(g, "Slice", sl, 4, NULL, 0, "axis");
}

static void test_expand_tile_d2s(void **state)
{
    (void)state;
    int ok = 1;
    static const struct { int64_t d[4]; int nd; int64_t s[5]; int ns; } e[] = {
        {{3, 1}, 2, {2, 1, 6}, 3}, {{1}, 1, {3, 5}, 2}, {{2, 1, 3}, 3, {1, 1}, 2},
        {{5, 1, 7}, 3, {2, 1, 4, 7}, 4},
    };
    for (size_t i = 0; i < CLNN_ARRAY_LEN(e); i++) {
        clnn_graph *g = g_x(13, e[i].d, e[i].nd);
        i64(g, "s", e[i].s, e[i].ns);
        const char *ins[] = {"x", "s"};
        lt_node(g, "Expand", ins, 2, NULL, 0);
        run_opts ro = lt_defaults((uint32_t)i);
        ok &= lt_check(clnn_layer_find(OP_EXPAND), g, &ro, 0, 0, "Expand");
        clnn_graph_destroy(g);
    }
    static const struct { int64_t d[4]; int nd; int64_t r[4]; } t[] = {
        {{3}, 1, {4}}, {{2, 3}, 2, {1, 3}}, {{2, 1, 3, 5}, 4, {2, 3, 1, 2}},
    };
    for (size_t i = 0; i < CLNN_ARRAY_LEN(t); i++) {
        clnn_graph *g = g_x(13, t[i].d, t[i].nd);
        i64(g, "r", t[i].r, t[i].nd);
        const char *ins[] = {"x", "r"};
        lt_node(g, "Tile", ins, 2, NULL, 0);
        run_opts ro = lt_defaults((uint32_t)i);
        ok &= lt_check(clnn_layer_find(OP_TILE), g, &ro, 0, 0, "Tile");
        clnn_graph_destroy(g);
    }
    for (int mode = 0; mode < 3; mode++) {
        int64_t d[4] = {2, mode == 2 ? 3 : 18, mode == 2 ? 6 : 5, mode == 2 ? 9 : 7};
        clnn_graph *g = g_x(13, d, 4);
        const char *ins[] = {"x"};
        clnn_attr at[] = {CLNN_ATTR_I("blocksize", 3), CLNN_ATTR_S("mode", mode ? "CRD" : "DCR")};
        lt_node(g, mode == 2 ? "SpaceToDepth" : "DepthToSpace", ins, 1, at, mode == 2 ? 1 : 2);
        run_opts ro = lt_defaults((uint32_t)mode);
        ok &= lt_check(clnn_layer_find(mode == 2 ? OP_SPACE_TO_DEPTH : OP_DEPTH_TO_SPACE), g,
                       &ro, 0, 0, mode == 2 ? "SpaceToDepth" : "DepthToSpace");
        clnn_graph_destroy(g);
    }
    /* Tile 1: `tiles` copies along `axis`, the same as Tile 6 with repeats 1 elsewhere. */
    for (int axis = 0; axis < 3; axis++) {
        int64_t d[3] = {2, 3, 5}, tiles = 3, ax = axis;
        clnn_graph *g = g_x(5, d, 3);
        i64(g, "t", &tiles, 1);
        i64(g, "a", &ax, 1);
        const char *ins[] = {"x", "t", "a"};
        gnode *n = lt_node(g, "Tile", ins, 3, NULL, 0);
        const gtensor *y = &g->tensors[n->outputs[0]];
        assert_int_equal(y->ndim, 3);
        for (int k = 0; k < 3; k++) assert_int_equal(y->dims[k], d[k] * (k == axis ? 3 : 1));
        run_opts ro = lt_defaults(40 + (uint32_t)axis);
        ok &= lt_check(clnn_layer_find(OP_TILE), g, &ro, 0, 0, "Tile 1");
        clnn_graph_destroy(g);
    }
    {
        int64_t d[3] = {2, 3, 5}, tiles = 2, ax = 3;
        clnn_graph *g = g_x(5, d, 3);
        i64(g, "t", &tiles, 1);
        i64(g, "a", &ax, 1);
        const char *ins[] = {"x", "t", "a"};
        refuse(g, "Tile", ins, 3, NULL, 0, "axis");
        g = g_x(5, d, 3);
        i64(g, "t", &tiles, 1);
        refuse(g, "Tile", ins, 2, NULL, 0, "3 inputs");
    }
    assert_true(ok);
    int64_t d[4] = {1, 8, 2, 2};
    clnn_attr at[] = {CLNN_ATTR_I("blocksize", 3)};
    const char *x[] = {"x"};
    refuse(g_x(13, d, 4), "DepthToSpace", x, 1, at, 1, "blocksize");
}

/* Cast 1 names the type by a string; the value folds on the host. */
static void test_cast_v1(void **state)
{
    (void)state;
    int64_t d[2] = {2, 3}, two = 2;
    clnn_graph *g = g_x(5, d, 2);
    const float v[2] = {1.7f, -2.5f};
    assert_int_equal(clnn_graph_add_constant(g, "c", &two, 1, v), CLNN_STATUS_OK);
    const char *in[] = {"c"}, *out[] = {"ci"};
    clnn_attr at[] = {CLNN_ATTR_S("to", "INT64")};
    assert_int_equal(clnn_graph_add_node(g, "Cast", "cast", in, 1, out, 1, at, 1), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_output(g, "x"), CLNN_STATUS_OK);
    int *order = NULL, norder;
    assert_int_equal(clnn_graph_infer_fold(g, 0, true, &order, &norder), CLNN_STATUS_OK);
    free(order);
    const gtensor *t = &g->tensors[clnn_graph_find_tensor(g, "ci")];
    assert_int_equal(t->dtype, CLNN_DTYPE_INT64);
    assert_non_null(t->idata);
    assert_int_equal(t->idata[0], 1);
    assert_int_equal(t->idata[1], -2);
    clnn_graph_destroy(g);
    /* an integer `to` is version 6's form; a name clnn does not carry is refused */
    g = g_x(5, d, 2);
    clnn_attr ai[] = {CLNN_ATTR_I("to", 7)};
    const char *x[] = {"x"};
    refuse(g, "Cast", x, 1, ai, 1, "to");
    g = g_x(5, d, 2);
    clnn_attr as[] = {CLNN_ATTR_S("to", "DOUBLE")};
    refuse(g, "Cast", x, 1, as, 1, "element type 11");
}

/* Split lowered into Slices and run by a session vs the folded graph: attribute sizes
 * (opset 13 input form too), opset 18 num_outputs with an uneven last chunk, a bad sum. */
static void test_split(void **state)
{
    (void)state;
    int64_t d[4] = {2, 7, 3, 5};
    const char *outs[] = {"a", "b", "c"}, *x[] = {"x"}, *xs[] = {"x", "s"};
    int64_t sp[] = {1, 4, 2};
    for (int form = 0; form < 3; form++) {
        clnn_graph *g = g_x(form == 0 ? 11 : form == 1 ? 13 : 18, d, 4);
        clnn_attr at[2] = {CLNN_ATTR_I("axis", -3), CLNN_ATTR_IS("split", sp, 3)};
        size_t nat = 2;
        if (form == 1) i64(g, "s", sp, 3), nat = 1;
        if (form == 2) at[1] = CLNN_ATTR_I("num_outputs", 3); /* 3, 3, 1 */
        assert_int_equal(clnn_graph_add_node(g, "Split", "split", form == 1 ? xs : x,
                                             form == 1 ? 2 : 1, outs, 3, at, nat),
                         CLNN_STATUS_OK);
        for (int i = 0; i < 3; i++) assert_int_equal(clnn_graph_add_output(g, outs[i]), 0);
        assert_true(lt_compare_folded(g, (uint32_t)form, -3, 3, 0, 0, "Split"));
        int *order, norder;
        assert_int_equal(clnn_graph_infer(g, 0, &order, &norder), CLNN_STATUS_OK);
        free(order);
        const int64_t want = form == 2 ? 1 : 2;
        assert_int_equal(g->tensors[clnn_graph_find_tensor(g, "c")].dims[1], want);
        clnn_graph_destroy(g);
    }
    int64_t bad[] = {1, 4, 3};
    clnn_graph *g = g_x(11, d, 4);
    clnn_attr at[2] = {CLNN_ATTR_I("axis", 1), CLNN_ATTR_IS("split", bad, 3)};
    assert_int_equal(clnn_graph_add_node(g, "Split", "bad_split", x, 1, outs, 3, at, 2), 0);
    for (int i = 0; i < 3; i++) assert_int_equal(clnn_graph_add_output(g, outs[i]), 0);
    int *order = NULL, norder;
    assert_int_not_equal(clnn_graph_infer(g, 0, &order, &norder), CLNN_STATUS_OK);
    free(order);
    assert_non_null(strstr(clnn_last_error(), "bad_split"));
    clnn_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transpose),    cmocka_unit_test(test_slice),
        cmocka_unit_test(test_slice_values), cmocka_unit_test(test_gather),
        cmocka_unit_test(test_shape_arith),  cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_expand_tile_d2s),
        cmocka_unit_test(test_cast_v1), cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, lt_setup, lt_teardown);
}
