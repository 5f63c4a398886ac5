/*
 * test_pad.c - Pad (lib/ops/pad.c): the kernel against the C reference (exact: copies and
 * the constant) over 1-D to 8-D shapes, size-1 axes, pads larger than 1, reflect with the
 * largest pad an axis allows, negative pads cropping, crop and pad on one axis, edge, wrap
 * beyond the axis' size, axes (version 18), the attribute form (versions 1 and 2); values
 * checked by hand on the host; ONNX's node cases' data; whole graphs through sessions; the pass that folds a zero
 * Pad into the Conv or pool after it (one layer fewer, the same result as the unfused
 * graph folded on the host, and not where it would differ); refusals naming the node.
 */
#include "layertest.h"

#include "../lib/onnx/onnx.h"

#include <math.h>
#include <unistd.h>

static void i64(clnn_graph *g, const char *name, const int64_t *v, int64_t n)
{
    assert_int_equal(clnn_graph_add_constant_int64(g, name, &n, 1, v), CLNN_STATUS_OK);
}

static void scalar(clnn_graph *g, const char *name, float v)
{
    assert_int_equal(clnn_graph_add_constant(g, name, NULL, 0, &v), CLNN_STATUS_OK);
}

typedef struct pad_case {
    int64_t d[8];
    int nd;
    const char *mode;
    int64_t pads[16];
    int npads;           /* 2 * (axes or rank) */
    int64_t axes[8];
    int naxes;           /* version 18 axes input (0: none) */
    float value;
} pad_case;

static const pad_case cases[] = {
    {{7}, 1, "constant", {2, 3}, 2, {0}, 0, 1.5f},
    {{3, 5}, 2, "reflect", {1, 0, 0, 2}, 4, {0}, 0, 0},
    {{2, 1, 5}, 3, "edge", {0, 2, 1, 1, 0, 3}, 6, {0}, 0, 0},     /* edge of a size-1 axis */
    {{2, 3, 5, 4}, 4, "constant", {0, 0, 1, 1, 0, 0, 1, 1}, 8, {0}, 0, 0}, /* Inception */
    {{1, 3, 6, 5}, 4, "reflect", {0, 0, 5, 4, 0, 0, 5, 4}, 8, {0}, 0, 0},  /* pad = size - 1 */
    {{2, 3, 4, 1, 3}, 5, "constant", {0, -1, -1, 0, 1, 0, 0, -2, 0, -1}, 10, {0}, 0, -2.0f},
    {{1, 2, 7, 6}, 4, "reflect", {0, 0, -2, 3, 0, 0, 2, -1}, 8, {0}, 0, 0}, /* crop + pad */
    {{1, 2, 7, 6}, 4, "edge", {0, 1, -3, 2, 0, -1, 3, -2}, 8, {0}, 0, 0},
    {{2, 3, 4}, 3, "wrap", {0, 5, 1, 0, 2, 6}, 6, {0}, 0, 0},          /* beyond the size */
    {{2, 3, 4}, 3, "wrap", {0, -1, 2, 0, 2, -2}, 6, {0}, 0, 0},        /* wrap after a crop */
    {{2, 3, 5, 4}, 4, "edge", {1, 2, 3, 0}, 4, {-1, 2}, 2, 0},         /* axes */
    {{2, 3, 5, 4}, 4, "constant", {-1, 2}, 2, {1}, 1, 7.0f},
    {{2, 1, 2, 1, 3, 1, 2, 2}, 8, "constant",
     {0, 1, 0, 2, 1, 0, 0, 3, 1, 0, 1, 0, 2, 1, 0, 0}, 16, {0}, 0, 0.5f}, /* 8-D */
    {{3, 1, 1}, 3, "edge", {0, 3, 3, 0, 3, 3}, 6, {0}, 0, 0},
    {{5, 1}, 2, "reflect", {-1, 0, -2, 0}, 4, {0}, 0, 0}, /* crop only: no reflection */
    {{1, 2, 67}, 3, "reflect", {0, 0, 33, 0, 0, 66}, 6, {0}, 0, 0}, /* tails off vectors */
};

/* The case as a one-node graph, input form (version 18 for axes, 19 for wrap, else 13). */
static clnn_graph *case_graph(const pad_case *c)
{
    const int opset = !strcmp(c->mode, "wrap") ? 19 : c->naxes ? 18 : 13;
    clnn_graph *g = lt_graph(opset);
    lt_input(g, "x", c->d, (size_t)c->nd);
    i64(g, "p", c->pads, c->npads);
    scalar(g, "v", c->value);
    if (c->naxes) i64(g, "a", c->axes, c->naxes);
    const char *ins[] = {"x", "p", "v", "a"};
    clnn_attr at[] = {CLNN_ATTR_S("mode", c->mode)};
    lt_node(g, "Pad", ins, c->naxes ? 4 : 3, at, 1);
    return g;
}

static void test_layer(void **state)
{
    (void)state;
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(cases); i++) {
        clnn_graph *g = case_graph(&cases[i]);
        run_opts ro = lt_defaults((uint32_t)i);
        char what[64];
        snprintf(what, sizeof what, "Pad case %zu (%s)", i, cases[i].mode);
        ok &= lt_check(clnn_layer_find(OP_PAD), g, &ro, 0, 0, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* Versions 1 (paddings) and 2 (pads), attributes; the same shape as the input form. */
static void test_attribute_form(void **state)
{
    (void)state;
    int ok = 1;
    static const int64_t d[] = {3, 4, 5}, pads[] = {1, 0, 2, 0, 3, -1};
    for (int version = 1; version <= 2; version++)
        for (int m = 0; m < 3; m++) {
            static const char *const modes[] = {"constant", "reflect", "edge"};
            clnn_graph *g = lt_graph(version);
            lt_input(g, "x", d, 3);
            const char *ins[] = {"x"};
            clnn_attr at[] = {CLNN_ATTR_S("mode", modes[m]),
                              CLNN_ATTR_IS(version == 1 ? "paddings" : "pads", pads, 6),
                              CLNN_ATTR_F("value", 2.5f)};
            gnode *n = lt_node(g, "Pad", ins, 1, at, 3);
            const gtensor *y = clnn_node_output(g, n);
            assert_int_equal(y->dims[0], 4);
            assert_int_equal(y->dims[1], 7);
            assert_int_equal(y->dims[2], 6);
            run_opts ro = lt_defaults((uint32_t)m);
            char what[64];
            snprintf(what, sizeof what, "Pad version %d %s", version, modes[m]);
            ok &= lt_check(clnn_layer_find(OP_PAD), g, &ro, 0, 0, what);
            clnn_graph_destroy(g);
        }
    assert_true(ok);
}

/* numpy.pad's results for [1, 2, 3, 4] (written out by hand), folded on the host. */
static void test_values(void **state)
{
    (void)state;
    static const struct {
        const char *mode;
        int64_t b, e;
        int n;
        float want[9];
    } c[] = {
        {"constant", 2, 3, 9, {9, 9, 1, 2, 3, 4, 9, 9, 9}},
        {"reflect", 2, 3, 9, {3, 2, 1, 2, 3, 4, 3, 2, 1}},
        {"edge", 2, 3, 9, {1, 1, 1, 2, 3, 4, 4, 4, 4}},
        {"wrap", 2, 3, 9, {3, 4, 1, 2, 3, 4, 1, 2, 3}},
        {"wrap", 5, 0, 9, {4, 1, 2, 3, 4, 1, 2, 3, 4}},
        {"reflect", -1, 2, 5, {2, 3, 4, 3, 2}}, /* cropped first: [2, 3, 4] reflected */
        {"edge", 1, -3, 2, {1, 1}},
        {"constant", -1, -1, 2, {2, 3}},
    };
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++) {
        clnn_graph *g = lt_graph(19);
        lt_input(g, "unused", &(int64_t){1}, 1);
        int64_t d = 4, p[2] = {c[i].b, c[i].e};
        float x[4] = {1, 2, 3, 4};
        assert_int_equal(clnn_graph_add_constant(g, "x", &d, 1, x), CLNN_STATUS_OK);
        i64(g, "p", p, 2);
        scalar(g, "v", 9);
        const char *ins[] = {"x", "p", "v"}, *out[] = {"y"};
        clnn_attr at[] = {CLNN_ATTR_S("mode", c[i].mode)};
        assert_int_equal(clnn_graph_add_node(g, "Pad", "pad", ins, 3, out, 1, at, 1), 0);
        assert_int_equal(clnn_graph_add_output(g, "y"), 0);
        int *order, norder;
        assert_int_equal(clnn_graph_infer_fold(g, 0, true, &order, &norder), CLNN_STATUS_OK);
        free(order);
        const gtensor *y = &g->tensors[clnn_graph_find_tensor(g, "y")];
        assert_int_equal(y->dims[0], c[i].n);
        for (int k = 0; k < c[i].n; k++)
            if (y->data[k] != c[i].want[k])
                fail_msg("%s (%lld, %lld): element %d is %g, not %g", c[i].mode,
                         (long long)c[i].b, (long long)c[i].e, k, y->data[k], c[i].want[k]);
        clnn_graph_destroy(g);
    }
    /* INT64 shape values fold too, with an INT64 constant. */
    clnn_graph *g = lt_graph(13);
    lt_input(g, "unused", &(int64_t){1}, 1);
    int64_t v[3] = {5, 6, 7}, p[2] = {1, 2}, fill = -1;
    i64(g, "x", v, 3);
    i64(g, "p", p, 2);
    assert_int_equal(clnn_graph_add_constant_int64(g, "v", NULL, 0, &fill), CLNN_STATUS_OK);
    const char *ins[] = {"x", "p", "v"}, *out[] = {"y"};
    assert_int_equal(clnn_graph_add_node(g, "Pad", "pad", ins, 3, out, 1, NULL, 0), 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), 0);
    int *order, norder;
    assert_int_equal(clnn_graph_infer_fold(g, 0, true, &order, &norder), CLNN_STATUS_OK);
    free(order);
    const gtensor *y = &g->tensors[clnn_graph_find_tensor(g, "y")];
    assert_non_null(y->idata);
    static const int64_t want[6] = {-1, 5, 6, 7, -1, -1};
    for (int k = 0; k < 6; k++) assert_int_equal(y->idata[k], want[k]);
    clnn_graph_destroy(g);
}

/* Whole graphs through sessions (the executor, host inputs) against the folded graph. */
static void test_graphs(void **state)
{
    (void)state;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(cases); i += 3) {
        clnn_graph *g = case_graph(&cases[i]);
        assert_true(lt_compare_folded(g, (uint32_t)i, -3, 3, 0, 0, "Pad graph"));
        clnn_graph_destroy(g);
    }
    static const int64_t d[] = {2, 3, 4, 5}, pads[] = {0, 0, 1, 2, 0, 0, 3, 1};
    clnn_graph *g = lt_graph(2);
    lt_input(g, "x", d, 4);
    const char *ins[] = {"x"};
    clnn_attr at[] = {CLNN_ATTR_S("mode", "reflect"), CLNN_ATTR_IS("pads", pads, 8)};
    lt_node(g, "Pad", ins, 1, at, 2);
    assert_true(lt_compare_folded(g, 7, -3, 3, 0, 0, "Pad graph version 2"));
    clnn_graph_destroy(g);
}

/* ONNX's node cases test_constant_pad, test_edge_pad and test_reflect_pad, their data
 * replayed through the builder: the conformance suite skips them for their graph input
 * types (pads an INT64 input; x INT32 in edge and reflect, exact as floats here). */
static void test_onnx_data(void **state)
{
    (void)state;
    static const struct { const char *name, *mode; } c[] = {
        {"test_constant_pad", "constant"}, {"test_edge_pad", "edge"},
        {"test_reflect_pad", "reflect"},
    };
    const char *base = getenv("CLNN_ONNX_TESTDATA");
    if (!base || !*base) base = "/usr/include/onnx/backend/test/data";
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++) {
        char dir[1024], path[1100];
        snprintf(dir, sizeof dir, "%s/node/%s/test_data_set_0", base, c[i].name);
        snprintf(path, sizeof path, "%s/input_0.pb", dir);
        if (access(path, R_OK) != 0) {
            print_message("skip %s: no data\n", c[i].name);
            continue;
        }
        float *x = NULL, *p = NULL, *v = NULL, *want = NULL;
        int64_t xd[CLNN_MAX_DIMS], pd[CLNN_MAX_DIMS], vd[CLNN_MAX_DIMS], wd[CLNN_MAX_DIMS];
        int xn, pn, vn = 0, wn;
        assert_int_equal(onnx_read_tensor_file(path, &x, xd, &xn), CLNN_STATUS_OK);
        snprintf(path, sizeof path, "%s/input_1.pb", dir);
        assert_int_equal(onnx_read_tensor_file(path, &p, pd, &pn), CLNN_STATUS_OK);
        snprintf(path, sizeof path, "%s/input_2.pb", dir);
        const bool has_v = access(path, R_OK) == 0;
        if (has_v) assert_int_equal(onnx_read_tensor_file(path, &v, vd, &vn), CLNN_STATUS_OK);
        snprintf(path, sizeof path, "%s/output_0.pb", dir);
        assert_int_equal(onnx_read_tensor_file(path, &want, wd, &wn), CLNN_STATUS_OK);
        clnn_graph *g = lt_graph(13);
        lt_input(g, "x", xd, (size_t)xn);
        int64_t pads[16];
        assert_true(pn == 1 && pd[0] <= 16);
        for (int64_t k = 0; k < pd[0]; k++) pads[k] = (int64_t)p[k];
        i64(g, "p", pads, pd[0]);
        if (has_v) assert_int_equal(clnn_graph_add_constant(g, "v", vd, (size_t)vn, v), 0);
        const char *ins[] = {"x", "p", "v"}, *out[] = {"y"};
        clnn_attr at[] = {CLNN_ATTR_S("mode", c[i].mode)};
        assert_int_equal(clnn_graph_add_node(g, "Pad", "pad", ins, has_v ? 3 : 2, out, 1, at, 1),
                         CLNN_STATUS_OK);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        clnn_session *s = NULL;
        clnn_status st = clnn_session_create(lt_ctx, g, NULL, &s);
        if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
        assert_int_equal(st, CLNN_STATUS_OK);
        const size_t nx = (size_t)clnn_shape_count(xd, xn), nw = (size_t)clnn_shape_count(wd, wn);
        float *got = malloc(nw * sizeof *got);
        assert_int_equal(clnn_session_set_input(s, "x", x, nx), CLNN_STATUS_OK);
        assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
        assert_int_equal(clnn_session_get_output(s, "y", got, nw), CLNN_STATUS_OK);
        assert_true(tu_allclose(got, want, nw, 0, 0, c[i].name));
        clnn_session_destroy(s);
        clnn_graph_destroy(g);
        free(got), free(x), free(p), free(v), free(want);
    }
}

/* ---- the pass: Pad folded into a following Conv or pool ------------------------------- */

static void add(clnn_graph *g, const char *op, const char *name, const char *const *in,
                size_t nin, const char *out, const clnn_attr *at, size_t nat)
{
    clnn_status st = clnn_graph_add_node(g, op, name, in, nin, &out, 1, at, nat);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

static size_t layers_of(const clnn_graph *g)
{
    clnn_session *s = NULL;
    clnn_status st = clnn_session_create(lt_ctx, g, NULL, &s);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    size_t n = clnn_session_layer_count(s);
    clnn_session_destroy(s);
    return n;
}

typedef struct fold_case {
    const char *what;
    int rank;              /* spatial */
    const char *mode;
    int64_t pads[8];       /* of the Pad (N, C, spatial) */
    float value;
    const char *reader;    /* Conv, MaxPool, AveragePool */
    int64_t own[4];        /* the reader's pads */
    int nown;
    int count_include_pad;
    bool pad_is_output;    /* the Pad's output is also a graph output */
    size_t layers;         /* expected */
} fold_case;

static void test_fold(void **state)
{
    (void)state;
    static const fold_case c[] = {
        {"Pad -> Conv", 2, "constant", {0, 0, 1, 2, 0, 0, 2, 1}, 0, "Conv", {1, 0, 0, 1}, 4, 0,
         false, 1},
        {"Pad -> Conv 1-D", 1, "constant", {0, 0, 2, 0, 0, 3}, 0, "Conv", {0}, 0, 0, false, 1},
        {"Pad -> AveragePool (Inception)", 2, "constant", {0, 0, 1, 1, 0, 0, 1, 1}, 0,
         "AveragePool", {0}, 0, 0, false, 1},
        {"Pad -> AveragePool counting its pads", 2, "constant", {0, 0, 1, 0, 0, 0, 0, 1}, 0,
         "AveragePool", {1, 1, 0, 0}, 4, 1, false, 1},
        {"Pad -> AveragePool not counting its pads", 2, "constant", {0, 0, 1, 0, 0, 0, 0, 1},
         0, "AveragePool", {1, 1, 0, 0}, 4, 0, false, 2},
        {"Pad(-inf) -> MaxPool", 2, "constant", {0, 0, 1, 1, 0, 0, 1, 1}, -INFINITY,
         "MaxPool", {0}, 0, 0, false, 1},
        {"Pad(0) -> MaxPool", 2, "constant", {0, 0, 1, 1, 0, 0, 1, 1}, 0, "MaxPool", {0}, 0, 0,
         false, 2},
        {"Pad(1) -> Conv", 2, "constant", {0, 0, 1, 1, 0, 0, 1, 1}, 1, "Conv", {0}, 0, 0,
         false, 2},
        {"Pad reflect -> Conv", 2, "reflect", {0, 0, 1, 1, 0, 0, 1, 1}, 0, "Conv", {0}, 0, 0,
         false, 2},
        {"Pad of channels -> Conv", 2, "constant", {0, 1, 1, 1, 0, 0, 1, 1}, 0, "Conv", {0},
         0, 0, false, 2},
        {"Pad cropping -> Conv", 2, "constant", {0, 0, -1, 1, 0, 0, 1, 1}, 0, "Conv", {0}, 0,
         0, false, 2},
        {"Pad read twice -> Conv", 2, "constant", {0, 0, 1, 1, 0, 0, 1, 1}, 0, "Conv", {0}, 0,
         0, true, 2},
        {"Pad -> AveragePool, padding as large as the window", 2, "constant",
         {0, 0, 3, 0, 0, 0, 0, 0}, 0, "AveragePool", {0}, 0, 0, false, 2},
    };
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++) {
        const int r = c[i].rank;
        clnn_graph *g = lt_graph(13);
        const int64_t xd[] = {2, 4, 9, 11}, wd[] = {5, 4, 3, 3};
        int64_t xs[4] = {2, 4, 9, 11}, ws[4] = {5, 4, 3, 3};
        if (r == 1) xs[2] = xd[3], ws[2] = wd[3];
        ws[1] += c[i].pads[1] + c[i].pads[r + 3]; /* channels padded: a wider filter */
        lt_input(g, "x", xs, (size_t)r + 2);
        i64(g, "p", c[i].pads, 2 * (r + 2));
        scalar(g, "v", c[i].value);
        const char *pin[] = {"x", "p", "v"};
        clnn_attr pat[] = {CLNN_ATTR_S("mode", c[i].mode)};
        add(g, "Pad", "pad", pin, 3, "xp", pat, 1);
        const int64_t ks[2] = {3, 3}, strides[2] = {2, 1};
        clnn_attr at[4] = {CLNN_ATTR_IS("pads", c[i].own, (size_t)c[i].nown)};
        size_t nat = c[i].nown ? 1 : 0;
        if (!strcmp(c[i].reader, "Conv")) {
            lt_constant(g, "w", ws, (size_t)r + 2, (uint32_t)i, -0.5f, 0.5f);
            const char *in[] = {"xp", "w"};
            add(g, "Conv", "conv", in, 2, "y", at, nat);
        } else {
            at[nat++] = CLNN_ATTR_IS("kernel_shape", ks, (size_t)r);
            at[nat++] = CLNN_ATTR_IS("strides", strides, (size_t)r);
            if (c[i].count_include_pad) at[nat++] = CLNN_ATTR_I("count_include_pad", 1);
            const char *in[] = {"xp"};
            add(g, c[i].reader, "pool", in, 1, "y", at, nat);
        }
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        if (c[i].pad_is_output) assert_int_equal(clnn_graph_add_output(g, "xp"), CLNN_STATUS_OK);
        const size_t layers = layers_of(g);
        if (layers != c[i].layers) {
            print_error("%s: %zu layers, not %zu\n", c[i].what, layers, c[i].layers);
            ok = 0;
        }
        ok &= lt_compare_folded(g, (uint32_t)i, -2, 2, 1e-5f, 1e-4f, c[i].what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* ---- refusals ----------------------------------------------------------------------------- */

static void refuse(clnn_graph *g, const char *const *ins, size_t nin, const clnn_attr *at,
                   size_t nat, const char *text)
{
    const char *out[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, "Pad", "bad_node", ins, nin, out, 1, at, nat);
    if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
    int *order = NULL, norder;
    if (st == CLNN_STATUS_OK) st = clnn_graph_infer(g, 0, &order, &norder);
    free(order);
    if (st == CLNN_STATUS_OK) fail_msg("accepted; wanted an error with '%s'", text ? text : "");
    if (!strstr(clnn_last_error(), "bad_node") || (text && !strstr(clnn_last_error(), text)))
        fail_msg("wanted 'bad_node' and '%s' in: %s", text ? text : "", clnn_last_error());
    clnn_graph_destroy(g);
}

static clnn_graph *refusal_graph(int opset, const int64_t *pads, int npads)
{
    static const int64_t d[] = {2, 3, 4};
    clnn_graph *g = lt_graph(opset);
    lt_input(g, "x", d, 3);
    if (pads) i64(g, "p", pads, npads);
    return g;
}

static void test_refusals(void **state)
{
    (void)state;
    const char *xp[] = {"x", "p"}, *x[] = {"x"};
    clnn_attr reflect[] = {CLNN_ATTR_S("mode", "reflect")}, edge[] = {CLNN_ATTR_S("mode", "edge")};
    clnn_attr wrap[] = {CLNN_ATTR_S("mode", "wrap")};
    static const int64_t p_big[] = {0, 0, 4, 0, 0, 0};     /* reflect 4 on an axis of 4 */
    static const int64_t p_crop[] = {0, -1, 0, 0, 2, 0};   /* 2 kept, reflect 2 */
    static const int64_t p_short[] = {0, 0, 1, 0, 0};
    static const int64_t p_over[] = {0, -2, 0, 0, -2, 0}; /* crops 4 of 3 */
    static const int64_t p_ok[] = {0, 0, 1, 0, 0, 1};
    refuse(refusal_graph(13, p_big, 6), xp, 2, reflect, 1, "reflect");
    refuse(refusal_graph(13, p_crop, 6), xp, 2, reflect, 1, "after cropping");
    refuse(refusal_graph(13, p_short, 5), xp, 2, NULL, 0, "5 pads");
    refuse(refusal_graph(13, p_over, 6), xp, 2, edge, 1, "crop more");
    refuse(refusal_graph(13, p_ok, 6), xp, 2, wrap, 1, "version 19");
    /* The pads computed while the network runs (a float graph input): refused, saying so. */
    clnn_graph *g = refusal_graph(13, NULL, 0);
    lt_input(g, "p", (int64_t[]){6}, 1);
    refuse(g, xp, 2, NULL, 0, "known when the session is created");
    /* The constant value not known. */
    g = refusal_graph(13, p_ok, 6);
    lt_input(g, "v", (int64_t[]){1}, 1);
    const char *xpv[] = {"x", "p", "v"};
    refuse(g, xpv, 3, NULL, 0, "constant_value");
    /* Axes repeated or out of range (version 18). */
    static const int64_t ax_rep[] = {1, -2}, ax_out[] = {3}, p4[] = {1, 1, 1, 1}, p2[] = {1, 1};
    g = refusal_graph(18, p4, 4);
    i64(g, "a", ax_rep, 2);
    const char *xpva[] = {"x", "p", "", "a"};
    refuse(g, xpva, 4, NULL, 0, "repeated");
    g = refusal_graph(18, p2, 2);
    i64(g, "a", ax_out, 1);
    refuse(g, xpva, 4, NULL, 0, "out of range");
    /* Attribute form: pads required, count checked, inputs refused. */
    refuse(refusal_graph(2, NULL, 0), x, 1, reflect, 1, "'pads' is required");
    clnn_attr short_pads[] = {CLNN_ATTR_IS("pads", p_short, 5)};
    refuse(refusal_graph(2, NULL, 0), x, 1, short_pads, 1, "5 pads");
    refuse(refusal_graph(2, p_ok, 6), xp, 2, NULL, 0, "attributes");
    /* The pads input missing from version 11. */
    refuse(refusal_graph(13, NULL, 0), x, 1, NULL, 0, "pads input");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layer),  cmocka_unit_test(test_attribute_form),
        cmocka_unit_test(test_values), cmocka_unit_test(test_graphs),
        cmocka_unit_test(test_onnx_data), cmocka_unit_test(test_fold),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, lt_setup, lt_teardown);
}
