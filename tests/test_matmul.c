/*
 * test_matmul.c - MatMul over N-D operands (numpy broadcasting of the batch dimensions, 1-D
 * operands promoted and their axis dropped) and Gemm with a computed C: the CLBlast layer
 * against its C reference, and both against an independent N-D product written here from
 * numpy's definition (coordinates, not offsets). Refusals name the node. The GEMV paths of
 * few-row Gemm layers (clnn's forced by CLNN_FC over awkward shapes, CLBlast's, the measured
 * choice).
 */
#include "layertest.h"

#include <math.h>
#include <string.h>

/* numpy.matmul of a (rank na) and b (rank nb) into y (shape yd[ny]) by output coordinates. */
static void numpy_matmul(const float *a, const int64_t *ad, int na, const float *b,
                         const int64_t *bd, int nb, float *y, const int64_t *yd, int ny)
{
    /* promoted shapes */
    int64_t pa[8], pb[8];
    int qa = na < 2 ? 2 : na, qb = nb < 2 ? 2 : nb;
    if (na == 1) {
        pa[0] = 1;
        pa[1] = ad[0];
    } else {
        memcpy(pa, ad, sizeof(int64_t) * (size_t)na);
    }
    if (nb == 1) {
        pb[0] = bd[0];
        pb[1] = 1;
    } else {
        memcpy(pb, bd, sizeof(int64_t) * (size_t)nb);
    }
    const int64_t K = pa[qa - 1];
    int64_t total = 1;
    for (int i = 0; i < ny; i++) total *= yd[i];
    for (int64_t idx = 0; idx < total; idx++) {
        int64_t c[8], r = idx; /* output coordinates */
        for (int i = ny - 1; i >= 0; i--) {
            c[i] = r % yd[i];
            r /= yd[i];
        }
        /* output coordinates split into batch, m, n */
        int nbatch = ny - (na == 1 ? 0 : 1) - (nb == 1 ? 0 : 1);
        int64_t m = na == 1 ? 0 : c[nbatch], n = nb == 1 ? 0 : c[ny - 1];
        double acc = 0;
        for (int64_t k = 0; k < K; k++) {
            int64_t oa = 0, ob = 0;
            /* a's batch dims right-aligned with the output's */
            for (int i = 0; i < qa - 2; i++) {
                int64_t ci = c[nbatch - (qa - 2) + i];
                oa = oa * pa[i] + (pa[i] == 1 ? 0 : ci);
            }
            oa = (oa * pa[qa - 2] + m) * K + k;
            for (int i = 0; i < qb - 2; i++) {
                int64_t ci = c[nbatch - (qb - 2) + i];
                ob = ob * pb[i] + (pb[i] == 1 ? 0 : ci);
            }
            ob = (ob * K + k) * pb[qb - 1] + n;
            acc += (double)a[oa] * b[ob];
        }
        y[idx] = (float)acc;
    }
}

static int close_all(const float *got, const float *want, size_t n, float atol, float rtol,
                     const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= atol + rtol * fabsf(want[i]))) {
            print_error("%s: element %zu is %g, expected %g\n", what, i, got[i], want[i]);
            return 0;
        }
    return 1;
}

typedef struct mm_case {
    int na, nb;
    int64_t a[5], b[5], y[6];
    int ny;
} mm_case;

static const mm_case cases[] = {
    {4, 3, {2, 1, 5, 3}, {4, 3, 7}, {2, 4, 5, 7}, 4},   /* both broadcast */
    {2, 3, {3, 4}, {2, 4, 5}, {2, 3, 5}, 3},             /* A 2-D against batched B */
    {4, 2, {2, 3, 5, 4}, {4, 6}, {2, 3, 5, 6}, 4},       /* constant-weight case: one GEMM */
    {3, 3, {1, 5, 3}, {2, 3, 9}, {2, 5, 9}, 3},          /* A's batch of 1 broadcasts */
    {4, 4, {5, 1, 3, 4}, {1, 6, 4, 2}, {5, 6, 3, 2}, 4}, /* each side broadcasts one dim */
    {1, 3, {4}, {2, 4, 5}, {2, 5}, 2},                   /* 1-D A */
    {3, 1, {2, 3, 4}, {4}, {2, 3}, 2},                   /* 1-D B */
    {1, 1, {7}, {7}, {0}, 0},                            /* dot product: a scalar */
    {1, 2, {6}, {6, 3}, {3}, 1},
    {2, 1, {3, 6}, {6}, {3}, 1},
    {3, 3, {1, 1, 3}, {1, 3, 2}, {1, 1, 2}, 3},          /* batch 1, one row */
    {2, 2, {7, 9}, {9, 5}, {7, 5}, 2},                   /* plain 2-D */
    {3, 2, {1, 1, 13}, {13, 17}, {1, 1, 17}, 3},         /* one row through 3-D */
    {3, 4, {3, 2, 5}, {2, 3, 5, 1}, {2, 3, 2, 1}, 4},    /* N = 1 */
};

static void test_matmul_nd(void **state)
{
    (void)state;
    int ok = 1;
    for (size_t c = 0; c < CLNN_ARRAY_LEN(cases); c++) {
        const mm_case *t = &cases[c];
        for (int const_b = 0; const_b < 1; const_b++) { /* all-constant graphs do not infer here */
            clnn_graph *g = lt_graph(13);
            lt_constant(g, "a", t->a, (size_t)t->na, (uint32_t)(100 + c), -2.0f, 2.0f);
            if (const_b)
                lt_constant(g, "b", t->b, (size_t)t->nb, (uint32_t)(200 + c), -2.0f, 2.0f);
            else
                lt_input(g, "b", t->b, (size_t)t->nb);
            const char *ins[] = {"a", "b"};
            gnode *n = lt_node(g, "MatMul", ins, 2, NULL, 0);
            const gtensor *y = clnn_node_output(g, n);
            char what[96], sh[64];
            snprintf(what, sizeof what, "MatMul case %zu (B %s) -> %s", c,
                     const_b ? "constant" : "input", lt_shape_of(g, n->outputs[0], sh, sizeof sh));
            assert_int_equal(y->ndim, t->ny);
            for (int i = 0; i < t->ny; i++) assert_int_equal(y->dims[i], t->y[i]);
            run_opts ro = lt_defaults((uint32_t)c);
            ro.lo = -2.0f;
            ro.hi = 2.0f;
            float *got, *want;
            size_t count;
            lt_run_node(&clnn_layer_fc, g, n, &ro, &got, &want, &count);
            /* B's values as lt_run_node made them: regenerate for the independent product */
            const gtensor *bt = clnn_node_input(g, n, 1);
            size_t nbv = clnn_tensor_count(bt);
            float *bv = malloc((nbv ? nbv : 1) * sizeof *bv);
            if (bt->data)
                memcpy(bv, bt->data, nbv * sizeof *bv);
            else
                tu_fill_uniform(bv, nbv, ro.seed * 31u + 1u, ro.lo, ro.hi);
            float *ind = malloc((count ? count : 1) * sizeof *ind);
            numpy_matmul(clnn_node_input(g, n, 0)->data, t->a, t->na, bv, t->b, t->nb, ind,
                         t->y, t->ny);
            /* K <= 13 products of values in [-2, 2): float summation order differs only */
            ok &= close_all(want, ind, count, 1e-5f, 1e-5f, "reference vs numpy");
            ok &= close_all(got, ind, count, 1e-4f, 1e-4f, what);
            free(bv);
            free(ind);
            free(got);
            free(want);
            clnn_graph_destroy(g);
        }
    }
    assert_true(ok);
}

/* MatMul with a fused activation on an N-D product runs the epilogue over every row. */
static void test_matmul_fused(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(13);
    const int64_t ad[] = {2, 7, 6}, bd[] = {6, 11};
    lt_input(g, "a", ad, 3);
    lt_constant(g, "w", bd, 2, 9, -1.0f, 1.0f);
    const char *i1[] = {"a", "w"}, *o1[] = {"t"}, *i2[] = {"t"}, *o2[] = {"y"};
    assert_int_equal(clnn_graph_add_node(g, "MatMul", "mm", i1, 2, o1, 1, NULL, 0),
                     CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_node(g, "Relu", "r", i2, 1, o2, 1, NULL, 0), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    assert_true(lt_compare_folded(g, 3, -2.0f, 2.0f, 1e-4f, 1e-4f, "MatMul 3-D + Relu"));
    clnn_graph_destroy(g);
}

/* Gemm's C computed on the device, every broadcast ONNX allows, with transA/transB. */
static void test_gemm_c_input(void **state)
{
    (void)state;
    static const int64_t cshapes[][2] = {{0, 0}, {5, 0}, {1, 5}, {7, 1}, {7, 5}, {1, 1}};
    static const int cranks[] = {0, 1, 2, 2, 2, 2};
    int ok = 1;
    /* a rank-0 graph input is refused by the builder (inputs carry a batch dimension) */
    for (int s = 1; s < 6; s++)
        for (int tr = 0; tr < 4; tr++) {
            const int ta = tr & 1, tb = tr >> 1;
            clnn_graph *g = lt_graph(13);
            const int64_t ad[] = {ta ? 9 : 7, ta ? 7 : 9}, bd[] = {tb ? 5 : 9, tb ? 9 : 5};
            lt_input(g, "a", ad, 2);
            lt_input(g, "b", bd, 2);
            lt_input(g, "c", cshapes[s], (size_t)cranks[s]);
            const char *ins[] = {"a", "b", "c"};
            clnn_attr at[] = {CLNN_ATTR_I("transA", ta), CLNN_ATTR_I("transB", tb),
                              CLNN_ATTR_F("alpha", 0.75f), CLNN_ATTR_F("beta", -1.5f)};
            lt_node(g, "Gemm", ins, 3, at, 4);
            char what[96];
            snprintf(what, sizeof what, "Gemm C rank %d shape %d, transA %d transB %d",
                     cranks[s], s, ta, tb);
            run_opts ro = lt_defaults((uint32_t)(s * 4 + tr));
            ok &= lt_check(&clnn_layer_fc, g, &ro, 1e-4f, 1e-4f, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

/* The path prepare chose for node 0 of g: its description. */
static void fc_desc(clnn_graph *g, char *buf, size_t cap)
{
    void *state = NULL;
    clnn_status st = clnn_layer_fc.prepare(lt_ctx, lt_dev, g, &g->nodes[0], &state);
    if (st != CLNN_STATUS_OK) print_error("prepare: %s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    snprintf(buf, cap, "%s", clnn_layer_fc.describe(state));
    clnn_layer_fc.destroy(state);
}

/* A Gemm of a few rows with a constant weight, for the GEMV paths: x [M,K] (transposed when
 * trans_a), W [N,K] (trans_b) or [K,N], C none, [N] or [M,1]; act fused as the passes would. */
static clnn_graph *gemv_graph_w(int M, int K, int N, int trans_a, int trans_b, int cshape,
                                clnn_activation act, uint32_t seed, bool w_input)
{
    clnn_graph *g = lt_graph(13);
    const int64_t ad[] = {trans_a ? K : M, trans_a ? M : K};
    const int64_t wd[] = {trans_b ? N : K, trans_b ? K : N};
    lt_input(g, "a", ad, 2);
    if (w_input)
        lt_input(g, "w", wd, 2);
    else
        lt_constant(g, "w", wd, 2, seed, -1.0f, 1.0f);
    const int64_t cn[] = {N}, cm[] = {M, 1};
    if (cshape == 1) lt_constant(g, "c", cn, 1, seed + 7u, -1.0f, 1.0f);
    if (cshape == 2) lt_constant(g, "c", cm, 2, seed + 7u, -1.0f, 1.0f);
    const char *ins[] = {"a", "w", "c"};
    clnn_attr at[] = {CLNN_ATTR_I("transA", trans_a), CLNN_ATTR_I("transB", trans_b),
                      CLNN_ATTR_F("alpha", cshape ? 0.5f : 1.0f),
                      CLNN_ATTR_F("beta", cshape ? -2.0f : 1.0f)};
    gnode *n = lt_node(g, "Gemm", ins, cshape ? 3 : 2, at, 4);
    n->fused.act = act;
    if (act == CLNN_ACTIVATION_CLIP) {
        n->fused.act_a = -0.75f;
        n->fused.act_b = 1.5f;
    }
    return g;
}

static clnn_graph *gemv_graph(int M, int K, int N, int trans_a, int trans_b, int cshape,
                              clnn_activation act, uint32_t seed)
{
    return gemv_graph_w(M, K, N, trans_a, trans_b, cshape, act, seed, false);
}

/* clnn's GEMV forced (CLNN_FC=clnn-gemv) over awkward K (tails off every vector width) and N
 * (one column, fewer than a vector, tails), both layouts of W (a constant [K,N] one is
 * transposed at prepare; one computed on the device runs the column kernel), with and without
 * C and an activation, 1 and 3 rows; checked against the C reference, and the path it took
 * checked. */
static void test_gemv_forced(void **state)
{
    (void)state;
    static const int Ks[] = {1, 3, 17, 1280, 2049}, Ns[] = {1, 5, 1000}, Ms[] = {1, 3};
    setenv("CLNN_FC", "clnn-gemv", 1);
    int ok = 1, i = 0;
    for (size_t mi = 0; mi < CLNN_ARRAY_LEN(Ms); mi++)
        for (size_t ki = 0; ki < CLNN_ARRAY_LEN(Ks); ki++)
            for (size_t ni = 0; ni < CLNN_ARRAY_LEN(Ns); ni++)
                for (int v = 0; v < 4; v++, i++) {
                    const int M = Ms[mi], K = Ks[ki], N = Ns[ni], tb = v & 1;
                    const int cshape = (v >> 1) ? (i % 3 == 0 ? 2 : 1) : 0;
                    const clnn_activation act = v == 3   ? CLNN_ACTIVATION_CLIP
                                                : v == 1 ? CLNN_ACTIVATION_RELU
                                                         : CLNN_ACTIVATION_NONE;
                    clnn_graph *g = gemv_graph(M, K, N, 0, tb, cshape, act, (uint32_t)i);
                    char desc[96], what[192];
                    fc_desc(g, desc, sizeof desc);
                    snprintf(what, sizeof what, "GEMV M=%d K=%d N=%d transB %d C %d act %d (%s)",
                             M, K, N, tb, cshape, (int)act, desc);
                    if (!strstr(desc, "clnn gemv")) {
                        print_error("%s: not clnn's GEMV\n", what);
                        ok = 0;
                    }
                    run_opts ro = lt_defaults((uint32_t)i);
                    ro.lo = -1.0f;
                    ro.hi = 1.0f;
                    /* |x w| < 1: K <= 2049 terms round to well under 1e-3 */
                    ok &= lt_check(&clnn_layer_fc, g, &ro, 1e-3f, 1e-4f, what);
                    clnn_graph_destroy(g);
                }
    /* W computed (a graph input): [K,N] read by columns, [N,K] by rows */
    static const int Kw[] = {3, 17, 1280}, Nw[] = {5, 1000};
    for (size_t ki = 0; ki < CLNN_ARRAY_LEN(Kw); ki++)
        for (size_t ni = 0; ni < CLNN_ARRAY_LEN(Nw); ni++)
            for (int v = 0; v < 4; v++, i++) {
                const int M = v & 2 ? 3 : 1, tb = v & 1;
                clnn_graph *g = gemv_graph_w(M, Kw[ki], Nw[ni], 0, tb, 1, CLNN_ACTIVATION_RELU,
                                             (uint32_t)i, true);
                char desc[96], what[192];
                fc_desc(g, desc, sizeof desc);
                snprintf(what, sizeof what, "GEMV W input M=%d K=%d N=%d transB %d (%s)", M,
                         Kw[ki], Nw[ni], tb, desc);
                if (!strstr(desc, tb ? "[N,K]" : "B [K,N], ")) ok = 0, print_error("%s\n", what);
                run_opts ro = lt_defaults((uint32_t)i);
                ro.lo = -1.0f;
                ro.hi = 1.0f;
                ok &= lt_check(&clnn_layer_fc, g, &ro, 1e-3f, 1e-4f, what);
                clnn_graph_destroy(g);
            }
    /* transposed A of one row is the same K floats; 8 rows, the most the kernel takes */
    const int more[][3] = {{1, 1}, {8, 0}};
    for (size_t c = 0; c < CLNN_ARRAY_LEN(more); c++) {
        clnn_graph *g = gemv_graph(more[c][0], 37, 29, more[c][1], (int)c, 1,
                                   CLNN_ACTIVATION_RELU, 900u + (uint32_t)c);
        char desc[96], what[192];
        fc_desc(g, desc, sizeof desc);
        snprintf(what, sizeof what, "GEMV M=%d transA %d (%s)", more[c][0], more[c][1], desc);
        if (!strstr(desc, "clnn gemv")) ok = 0, print_error("%s: not clnn's GEMV\n", what);
        run_opts ro = lt_defaults(77u + (uint32_t)c);
        ok &= lt_check(&clnn_layer_fc, g, &ro, 1e-3f, 1e-4f, what);
        clnn_graph_destroy(g);
    }
    /* where it does not apply (9 rows, transposed A of 3 rows) the layer runs CLBlast's GEMM */
    const int gemm[][2] = {{9, 0}, {3, 1}};
    for (size_t c = 0; c < CLNN_ARRAY_LEN(gemm); c++) {
        clnn_graph *g = gemv_graph(gemm[c][0], 19, 23, gemm[c][1], 1, 1, CLNN_ACTIVATION_NONE,
                                   950u + (uint32_t)c);
        char desc[96];
        fc_desc(g, desc, sizeof desc);
        if (strcmp(desc, "clblast sgemm")) ok = 0, print_error("M=%d: %s\n", gemm[c][0], desc);
        run_opts ro = lt_defaults(88u + (uint32_t)c);
        ok &= lt_check(&clnn_layer_fc, g, &ro, 1e-3f, 1e-4f, desc);
        clnn_graph_destroy(g);
    }
    unsetenv("CLNN_FC");
    assert_true(ok);
}

/* Each CLBlast path forced on one awkward shape, the automatic choice (measured) on the
 * 1280x1000 classifier, and a bad CLNN_FC refused with a message naming it and the node. */
static void test_fc_paths(void **state)
{
    (void)state;
    int ok = 1;
    static const char *const forced[] = {"gemm", "clblast-gemv", "auto"};
    static const char *const want[] = {"clblast sgemm", "clblast sgemv", NULL};
    for (int f = 0; f < 3; f++) {
        setenv("CLNN_FC", forced[f], 1);
        const int K = f == 2 ? 1280 : 17, N = f == 2 ? 1000 : 5;
        clnn_graph *g = gemv_graph(1, K, N, 0, 1, 1, CLNN_ACTIVATION_RELU, 960u + (uint32_t)f);
        char desc[96], what[160];
        fc_desc(g, desc, sizeof desc);
        snprintf(what, sizeof what, "CLNN_FC=%s: %s", forced[f], desc);
        if (want[f] && strcmp(desc, want[f])) ok = 0, print_error("%s\n", what);
        run_opts ro = lt_defaults(99u + (uint32_t)f);
        ro.lo = -1.0f;
        ro.hi = 1.0f;
        ok &= lt_check(&clnn_layer_fc, g, &ro, 1e-3f, 1e-4f, what);
        clnn_graph_destroy(g);
    }
    setenv("CLNN_FC", "fastest", 1);
    clnn_graph *g = gemv_graph(1, 3, 5, 0, 1, 0, CLNN_ACTIVATION_NONE, 970u);
    void *st = NULL;
    assert_int_equal(clnn_layer_fc.prepare(lt_ctx, lt_dev, g, &g->nodes[0], &st),
                     CLNN_STATUS_INVALID_ARGUMENT);
    clnn_layer_fc.destroy(st);
    const char *msg = clnn_last_error();
    if (!strstr(msg, "CLNN_FC") || !strstr(msg, "fastest") || !strstr(msg, "n0") ||
        !strstr(msg, "clnn-gemv"))
        ok = 0, print_error("message: %s\n", msg);
    clnn_graph_destroy(g);
    unsetenv("CLNN_FC");
    assert_true(ok);
}

static void expect_refused(const char *op, const int64_t *ad, int na, const int64_t *bd, int nb,
                           const char *text)
{
    clnn_graph *g = lt_graph(13);
    lt_input(g, "a", ad, (size_t)na);
    lt_input(g, "b", bd, (size_t)nb);
    const char *ins[] = {"a", "b"}, *out[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, op, "bad_product", ins, 2, out, 1, NULL, 0);
    if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
    int *order = NULL, norder = 0;
    if (st == CLNN_STATUS_OK) st = clnn_graph_infer(g, 0, &order, &norder);
    free(order);
    assert_int_not_equal(st, CLNN_STATUS_OK);
    assert_non_null(strstr(clnn_last_error(), "bad_product"));
    if (!strstr(clnn_last_error(), text)) print_error("%s\n", clnn_last_error());
    assert_non_null(strstr(clnn_last_error(), text));
    clnn_graph_destroy(g);
}

static void test_refusals(void **state)
{
    (void)state;
    const int64_t a[] = {2, 3, 4}, b[] = {5, 6}, c[] = {3, 4, 6}, d[] = {5};
    expect_refused("MatMul", a, 3, b, 2, "inner dimensions");
    expect_refused("MatMul", a, 3, c, 3, "broadcast");
    expect_refused("MatMul", d, 1, a, 3, "inner dimensions");
    expect_refused("MatMul", a, 3, d, 1, "inner dimensions");
    const int64_t e[] = {3, 4}, f[] = {5, 6};
    expect_refused("Gemm", e, 2, f, 2, "inner dimensions");
    expect_refused("Gemm", a, 3, f, 2, "2-D");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_nd),
        cmocka_unit_test(test_matmul_fused),
        cmocka_unit_test(test_gemm_c_input),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_gemv_forced),
        cmocka_unit_test(test_fc_paths),
    };
    return cmocka_run_group_tests(tests, lt_setup, lt_teardown);
}
