/*
 * test_logic.c - the operators on BOOL tensors: And, Or, Xor (binary_nd), Where (where_nd,
 * broadcast across three inputs), Not, IsNaN, IsInf (logic_unary), on the device against
 * their C references over broadcasting in every direction (size-1 axes, rank differences,
 * scalars, rows beyond a GPU grid), with BOOL inputs held as 0 / 1 floats the way a
 * comparison computed on a device leaves them; whole graphs (comparisons -> Or -> Where,
 * integer values from ArgMax) through a session against their host-folded selves; the
 * exact int64 fold of shape arithmetic; refusals naming the node.
 *
 * Tolerances: exact everywhere (the results are 0 / 1 or values moved unchanged).
 */
#include "layertest.h"

#include <float.h>
#include <math.h>

static void add(clnn_graph *g, const char *op, const char *const *ins, size_t nin,
                const char *out, const clnn_attr *at, size_t nat)
{
    const char *outs[] = {out};
    clnn_status st = clnn_graph_add_node(g, op, out, ins, nin, outs, 1, at, nat);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

static void bool_input(clnn_graph *g, const char *name, const int64_t *dims, int nd)
{
    assert_int_equal(clnn_graph_add_input_typed(g, name, CLNN_DTYPE_BOOL, dims, (size_t)nd),
                     CLNN_STATUS_OK);
}

/* A BOOL constant of random 0 / 1. */
static void bool_constant(clnn_graph *g, const char *name, const int64_t *dims, int nd,
                          uint32_t seed)
{
    const size_t n = (size_t)clnn_shape_count(dims, nd);
    float *f = malloc((n ? n : 1) * sizeof *f);
    int64_t *v = malloc((n ? n : 1) * sizeof *v);
    tu_fill_uniform(f, n, seed, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i++) v[i] = f[i] >= 0.5f;
    assert_int_equal(clnn_graph_add_constant_typed(g, name, CLNN_DTYPE_BOOL, dims, (size_t)nd, v),
                     CLNN_STATUS_OK);
    free(f);
    free(v);
}

/* Shapes of two operands and whether each is a constant. */
typedef struct bcase {
    int64_t a[8], b[8];
    int na, nb;
    bool a_const, b_const;
} bcase;

static const bcase bcases[] = {
    {{3, 5, 7}, {3, 5, 7}, 3, 3, false, false},               /* same shapes */
    {{37}, {37}, 1, 1, false, true},                          /* tail off vector widths */
    {{3, 5, 7, 9}, {0}, 4, 0, false, true},                   /* 0-D scalar */
    {{0}, {3, 13}, 0, 2, true, false},                        /* scalar first */
    {{3, 13}, {13}, 2, 1, false, false},                      /* rank differs */
    {{13}, {3, 13}, 1, 2, true, false},                       /* first operand broadcast */
    {{3, 1, 7, 9}, {3, 5, 1, 1}, 4, 4, false, false},         /* both broadcast */
    {{3, 5, 7, 1}, {5, 1, 9}, 4, 3, false, false},            /* A repeats along dim 0 */
    {{3, 2, 1, 3, 1, 2, 5, 1}, {1, 2, 4, 1, 3, 2, 1, 7}, 8, 8, false, false}, /* 8-D */
    {{2, 3, 1, 5, 1}, {3, 4, 1, 6}, 5, 4, false, true},       /* ranks differ, 5-D */
    {{70000, 3}, {3}, 2, 1, false, false},                    /* rows beyond 65535 */
    {{1, 1}, {1}, 2, 1, false, false},                        /* nothing left to collapse */
};

static void test_logical_binary(void **state)
{
    (void)state;
    static const char *const ops[] = {"And", "Or", "Xor", "Equal"};
    int ok = 1;
    for (size_t c = 0; c < CLNN_ARRAY_LEN(bcases); c++)
        for (size_t o = 0; o < CLNN_ARRAY_LEN(ops); o++) {
            const bcase *bc = &bcases[c];
            clnn_graph *g = lt_graph(0);
            if (bc->a_const)
                bool_constant(g, "a", bc->a, bc->na, (uint32_t)c);
            else
                bool_input(g, "a", bc->a, bc->na);
            if (bc->b_const)
                bool_constant(g, "b", bc->b, bc->nb, (uint32_t)c + 100);
            else
                bool_input(g, "b", bc->b, bc->nb);
            const char *ins[] = {"a", "b"};
            lt_node(g, ops[o], ins, 2, NULL, 0);
            assert_int_equal(g->tensors[clnn_graph_find_tensor(g, "y")].dtype, CLNN_DTYPE_BOOL);
            run_opts ro = lt_defaults((uint32_t)(c * 4 + o));
            char what[256], s1[64], s2[64];
            snprintf(what, sizeof what, "%s %s %s", ops[o],
                     clnn_shape_str(bc->a, bc->na, s1, sizeof s1),
                     clnn_shape_str(bc->b, bc->nb, s2, sizeof s2));
            ok &= lt_check(clnn_layer_find(g->nodes[0].op), g, &ro, 0, 0, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

/* The references agree with the truth tables (so that agreeing with them means something). */
static void test_truth_tables(void **state)
{
    (void)state;
    static const char *const ops[] = {"And", "Or", "Xor", "Not"};
    static const float want[][4] = {{0, 0, 0, 1}, {0, 1, 1, 1}, {0, 1, 1, 0}, {1, 1, 0, 0}};
    static const float a[] = {0, 0, 1, 1}, b[] = {0, 1, 0, 1};
    for (size_t o = 0; o < CLNN_ARRAY_LEN(ops); o++) {
        clnn_graph *g = lt_graph(0);
        static const int64_t four = 4;
        bool_input(g, "a", &four, 1);
        bool_input(g, "b", &four, 1);
        const char *ins[] = {"a", "b"};
        lt_node(g, ops[o], ins, o == 3 ? 1 : 2, NULL, 0);
        const float *in[] = {a, b};
        float got[4];
        assert_int_equal(clnn_layer_find(g->nodes[0].op)
                             ->reference(g, &g->nodes[0], in, NULL, got),
                         CLNN_STATUS_OK);
        assert_true(tu_allclose(got, want[o], 4, 0, 0, ops[o]));
        clnn_graph_destroy(g);
    }
}

/* Where: shapes of the condition, X and Y; which are constants (bit 0 C, 1 X, 2 Y). */
typedef struct wcase {
    int64_t c[8], x[8], y[8];
    int nc, nx, ny;
    unsigned consts;
} wcase;

static const wcase wcases[] = {
    {{3, 5, 7}, {3, 5, 7}, {3, 5, 7}, 3, 3, 3, 0},            /* same shapes */
    {{37}, {37}, {37}, 1, 1, 1, 6},                           /* tail; X, Y constants */
    {{3, 1, 7}, {5, 1}, {0}, 3, 2, 0, 4},                     /* C, X, Y all broadcast */
    {{0}, {2, 3, 4}, {4}, 0, 3, 1, 1},                        /* scalar condition */
    {{0}, {2, 3, 4}, {4}, 0, 3, 1, 5},                        /* ... and Y constants */
    {{4}, {2, 1, 4}, {2, 3, 1}, 1, 3, 3, 0},                  /* ranks differ */
    {{2, 3, 1, 5}, {3, 4, 1}, {1, 5}, 4, 3, 2, 2},            /* the output larger than each */
    {{6, 7}, {1}, {6, 7}, 2, 1, 2, 0},                        /* only X broadcast */
    {{6, 7}, {6, 7}, {7}, 2, 2, 1, 0},                        /* only Y broadcast */
    {{6, 1}, {6, 7}, {6, 7}, 2, 2, 2, 0},                     /* only C broadcast */
    {{3, 2, 1, 3, 1, 2, 5, 1}, {1, 2, 4, 1, 3, 2, 1, 7}, {4, 1, 3, 1, 1, 7}, 8, 8, 6, 0},
    {{70000, 1}, {3}, {70000, 3}, 2, 1, 2, 0},                /* rows beyond 65535 */
    {{1, 1}, {1}, {0}, 2, 1, 0, 4},                           /* nothing to collapse */
};

static void test_where(void **state)
{
    (void)state;
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(wcases); i++) {
        const wcase *w = &wcases[i];
        clnn_graph *g = lt_graph(0);
        if (w->consts & 1)
            bool_constant(g, "c", w->c, w->nc, (uint32_t)i);
        else
            bool_input(g, "c", w->c, w->nc);
        if (w->consts & 2)
            lt_constant(g, "x", w->x, (size_t)w->nx, (uint32_t)i + 50, -2.0f, 2.0f);
        else
            lt_input(g, "x", w->x, (size_t)w->nx);
        if (w->consts & 4)
            lt_constant(g, "v", w->y, (size_t)w->ny, (uint32_t)i + 90, 10.0f, 12.0f);
        else
            lt_input(g, "v", w->y, (size_t)w->ny);
        const char *ins[] = {"c", "x", "v"};
        lt_node(g, "Where", ins, 3, NULL, 0);
        run_opts ro = lt_defaults((uint32_t)i);
        char what[256], s1[64], s2[64], s3[64];
        snprintf(what, sizeof what, "Where %s %s %s", clnn_shape_str(w->c, w->nc, s1, sizeof s1),
                 clnn_shape_str(w->x, w->nx, s2, sizeof s2),
                 clnn_shape_str(w->y, w->ny, s3, sizeof s3));
        ok &= lt_check(clnn_layer_find(OP_WHERE), g, &ro, 0, 0, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* Not over odd sizes; IsNaN and IsInf (every attribute pair) over the special values. */
static void test_unary(void **state)
{
    (void)state;
    int ok = 1;
    static const int64_t sizes[][3] = {{1, 1, 1}, {3, 5, 7}, {2, 1, 67}, {1000, 3, 3}};
    for (size_t i = 0; i < CLNN_ARRAY_LEN(sizes); i++) {
        clnn_graph *g = lt_graph(0);
        bool_input(g, "x", sizes[i], 3);
        const char *ins[] = {"x"};
        lt_node(g, "Not", ins, 1, NULL, 0);
        run_opts ro = lt_defaults((uint32_t)i);
        ok &= lt_check(clnn_layer_find(OP_NOT), g, &ro, 0, 0, "Not");
        clnn_graph_destroy(g);
    }
    /* Values with their IsNaN, IsInf(-), IsInf(+), repeated to 37 (a tail). */
    static const struct { float v; float nan, ninf, pinf; } sv[] = {
        {NAN, 1, 0, 0},      {-NAN, 1, 0, 0},      {INFINITY, 0, 0, 1}, {-INFINITY, 0, 1, 0},
        {0.0f, 0, 0, 0},     {-0.0f, 0, 0, 0},     {FLT_MAX, 0, 0, 0},  {-FLT_MAX, 0, 0, 0},
        {FLT_MIN / 4, 0, 0, 0}, {1.5f, 0, 0, 0},  {-3.0f, 0, 0, 0},
    };
    enum { N = 37 };
    float x[N], want_nan[N], want_inf[4][N];
    for (int i = 0; i < N; i++) {
        const int k = i % (int)CLNN_ARRAY_LEN(sv);
        x[i] = sv[k].v;
        want_nan[i] = sv[k].nan;
        for (int m = 0; m < 4; m++) /* m: bit 0 detect_negative, bit 1 detect_positive */
            want_inf[m][i] = ((m & 1) && sv[k].ninf) || ((m & 2) && sv[k].pinf) ? 1.0f : 0.0f;
    }
    static const int64_t n = N;
    for (int m = -1; m < 4; m++) {
        clnn_graph *g = lt_graph(0);
        lt_input(g, "unused", &n, 1); /* a graph needs an input */
        assert_int_equal(clnn_graph_add_constant(g, "x", &n, 1, x), CLNN_STATUS_OK);
        const char *ins[] = {"x"};
        clnn_attr at[] = {CLNN_ATTR_I("detect_negative", m & 1),
                          CLNN_ATTR_I("detect_positive", (m >> 1) & 1)};
        lt_node(g, m < 0 ? "IsNaN" : "IsInf", ins, 1, at, m < 0 ? 0 : 2);
        const clnn_layer_impl *impl = clnn_layer_find(g->nodes[0].op);
        run_opts ro = lt_defaults((uint32_t)m + 7);
        float *got, *want;
        size_t cnt;
        lt_run_node(impl, g, &g->nodes[0], &ro, &got, &want, &cnt);
        char what[64];
        snprintf(what, sizeof what, "%s mode %d", m < 0 ? "IsNaN" : "IsInf", m);
        assert_int_equal(cnt, N);
        ok &= tu_allclose(got, want, cnt, 0, 0, what);
        ok &= tu_allclose(want, m < 0 ? want_nan : want_inf[m], cnt, 0, 0, what);
        free(got);
        free(want);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* Comparisons -> Or / And / Xor / Not -> Where through a session, the BOOL tensors computed
 * on the device; integer values from ArgMax moved by Where; against the folded graph. */
static void test_graphs(void **state)
{
    (void)state;
    int ok = 1;
    for (int variant = 0; variant < 3; variant++) {
        clnn_graph *g = lt_graph(13);
        static const int64_t da[] = {2, 3, 4}, db[] = {3, 1}, dc[] = {4}, one = 1;
        lt_input(g, "a", da, 3);
        lt_input(g, "b", db, 2);
        lt_input(g, "c", dc, 1);
        const char *ab[] = {"a", "b"}, *bc[] = {"b", "c"}, *ac[] = {"a", "c"};
        add(g, "Less", ab, 2, "lt", NULL, 0);
        add(g, variant == 1 ? "LessOrEqual" : "GreaterOrEqual", bc, 2, "ge", NULL, 0);
        add(g, "Greater", ac, 2, "gt", NULL, 0);
        const char *ge[] = {"ge"}, *a1[] = {"a"};
        add(g, "Not", ge, 1, "nge", NULL, 0);
        add(g, "IsNaN", a1, 1, "nan", NULL, 0);
        const char *o1[] = {"lt", "nge"}, *o2[] = {"or", "gt"}, *o3[] = {"x", "nan"};
        add(g, "Or", o1, 2, "or", NULL, 0);
        add(g, variant == 2 ? "Xor" : "And", o2, 2, "x", NULL, 0);
        add(g, "Or", o3, 2, "cond", NULL, 0);
        if (variant < 2) {
            const char *w[] = {"cond", "a", "c"};
            add(g, "Where", w, 3, "y", NULL, 0);
        } else {
            /* Integer values computed on the device: ArgMax's indices or a constant. */
            clnn_attr at[] = {CLNN_ATTR_I("axis", 2), CLNN_ATTR_I("keepdims", 1)};
            add(g, "ArgMax", a1, 1, "am", at, 2);
            static const int64_t k[] = {-7};
            assert_int_equal(clnn_graph_add_constant_int64(g, "k", &one, 1, k), CLNN_STATUS_OK);
            const char *w[] = {"cond", "am", "k"};
            add(g, "Where", w, 3, "y", NULL, 0);
        }
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        assert_int_equal(clnn_graph_add_output(g, "cond"), CLNN_STATUS_OK);
        char what[64];
        snprintf(what, sizeof what, "comparisons -> Or -> Where, variant %d", variant);
        ok &= lt_compare_folded(g, (uint32_t)variant, -2.0f, 2.0f, 0, 0, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* Shape arithmetic on constants still folds on the host, exactly on int64 beyond float's
 * 2^24: Where, Not, And over constants. */
static void test_fold_int64(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(13);
    static const int64_t two = 2, dx[] = {2, 3};
    lt_input(g, "x", dx, 2);
    static const int64_t big[] = {((int64_t)1 << 53) + 1, -((int64_t)1 << 40) - 3};
    static const int64_t small[] = {5, 6}, m[] = {1, 0}, n2[] = {1, 1};
    assert_int_equal(clnn_graph_add_constant_int64(g, "big", &two, 1, big), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant_int64(g, "small", &two, 1, small), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant_typed(g, "m", CLNN_DTYPE_BOOL, &two, 1, m),
                     CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant_typed(g, "n", CLNN_DTYPE_BOOL, &two, 1, n2),
                     CLNN_STATUS_OK);
    const char *mn[] = {"m", "n"}, *an[] = {"and"}, *w[] = {"not", "small", "big"};
    add(g, "And", mn, 2, "and", NULL, 0); /* {1, 0} */
    add(g, "Not", an, 1, "not", NULL, 0); /* {0, 1} */
    add(g, "Where", w, 3, "w", NULL, 0);  /* {big[0], small[1]} */
    const char *r[] = {"x", "x"};
    add(g, "Add", r, 2, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_output(g, "w"), CLNN_STATUS_OK);
    int *order = NULL, norder = 0;
    assert_int_equal(clnn_graph_infer_fold(g, 0, true, &order, &norder), CLNN_STATUS_OK);
    free(order);
    const gtensor *t = &g->tensors[clnn_graph_find_tensor(g, "w")];
    assert_non_null(t->idata);
    assert_int_equal(t->dtype, CLNN_DTYPE_INT64);
    assert_true(t->idata[0] == big[0]);
    assert_true(t->idata[1] == small[1]);
    clnn_graph_destroy(g);
}

/* Bad inputs and attributes are refused, naming the node. */
static void test_refusals(void **state)
{
    (void)state;
    static const int64_t d[] = {2, 3};
    static const struct { const char *op; int nin; bool bool_in; int attr; const char *msg; } c[] = {
        {"Not", 1, false, 0, "not BOOL"},
        {"And", 2, false, 0, "BOOL"},
        {"Where", 3, false, 0, "BOOL"},
        {"IsNaN", 1, true, 0, "n0"},
        {"IsInf", 1, false, 2, "detect_negative"},
    };
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++) {
        clnn_graph *g = lt_graph(0);
        if (c[i].bool_in)
            bool_input(g, "x", d, 2);
        else
            lt_input(g, "x", d, 2);
        const char *ins[] = {"x", "x", "x"}, *out[] = {"y"};
        clnn_attr at[] = {CLNN_ATTR_I("detect_negative", c[i].attr)};
        clnn_status st = clnn_graph_add_node(g, c[i].op, "n0", ins, (size_t)c[i].nin, out, 1,
                                             at, c[i].attr ? 1 : 0);
        if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
        int *order = NULL, norder = 0;
        if (st == CLNN_STATUS_OK) st = clnn_graph_infer(g, 0, &order, &norder);
        free(order);
        if (st == CLNN_STATUS_OK) print_error("%s: accepted\n", c[i].op);
        assert_int_not_equal(st, CLNN_STATUS_OK);
        if (!strstr(clnn_last_error(), "n0") || !strstr(clnn_last_error(), c[i].msg))
            print_error("%s: %s\n", c[i].op, clnn_last_error());
        assert_non_null(strstr(clnn_last_error(), "n0"));
        assert_non_null(strstr(clnn_last_error(), c[i].msg));
        clnn_graph_destroy(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logical_binary), cmocka_unit_test(test_truth_tables),
        cmocka_unit_test(test_where),          cmocka_unit_test(test_unary),
        cmocka_unit_test(test_graphs),         cmocka_unit_test(test_fold_int64),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, lt_setup, lt_teardown);
}
