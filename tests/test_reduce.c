/*
 * test_reduce.c - the reductions (lib/ops/reduce.c, kernels/reduce.cl): ReduceSum, Mean, Max,
 * Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp and ArgMax / ArgMin on the device against
 * the C reference (which walks the input element by element in double, independently of the
 * kernel's merged view), over 1-D to 8-D shapes with odd sizes, size-1 axes, all axes,
 * non-adjacent, unsorted and negative axes, keepdims 0 / 1, axes as attribute (opset 11) and
 * as a constant input (opset 18), noop_with_empty_axes, long reductions for the work-group
 * path (>= 4096 elements, contiguous and strided); int64 folding of shape values in a graph;
 * whole graphs (the zoo's patterns) against their folded selves; refusals naming the node.
 *
 * Tolerances (|got - want| <= atol + rtol |want|), R the reduced count, m the largest
 * magnitude an element contributes (4 for inputs in [-4, 4), 16 for their squares):
 *   Max, Min, ArgMax, ArgMin, noop       exact (selections and copies)
 *   Sum                                  atol 2e-7 R m + 1e-6, rtol 1e-5: float sums
 *                                        (sequential or by tree) against double, signed
 *                                        terms cancelling; one lost element (|x| ~ 2 on
 *                                        average) is orders of magnitude beyond it
 *   Mean                                 Sum's tolerance divided by R
 *   L1, SumSquare, L2, LogSum            rtol 2e-5 (+ 1e-6): sums of non-negative terms
 *                                        (LogSum: that relative error becomes absolute)
 *   LogSumExp                            atol 2e-5, rtol 1e-6 (exp within 4 ulp, then as
 *                                        LogSum)
 *   Prod (inputs in [0.9, 1.1))          rtol 1e-7 R + 1e-6 (rounding of R products)
 */
#include "layertest.h"

#include "../lib/graph/op.h"

#include <math.h>

static const char *const reduce_ops[] = {"ReduceSum",  "ReduceMean",     "ReduceMax",
                                         "ReduceMin",  "ReduceProd",     "ReduceL1",
                                         "ReduceL2",   "ReduceSumSquare", "ReduceLogSum",
                                         "ReduceLogSumExp"};
#define NOPS 10

typedef struct rcase {
    int64_t dims[8];
    int nd;
    int64_t axes[8];
    int naxes; /* 0: every axis */
} rcase;

static const rcase rcases[] = {
    {{7}, 1, {0}, 1},
    {{7}, 1, {0}, 0},                         /* no axes: all */
    {{3, 5}, 2, {1}, 1},
    {{3, 5}, 2, {0}, 1},
    {{3, 5}, 2, {-1}, 1},
    {{2, 3, 4}, 3, {0, 2}, 2},                /* non-adjacent */
    {{2, 3, 4}, 3, {-3, -1}, 2},              /* negative, non-adjacent */
    {{2, 1, 5}, 3, {1}, 1},                   /* a size-1 axis alone: R = 1 */
    {{5, 1, 3}, 3, {0, 2}, 2},                /* merged across a size-1 dimension */
    {{3, 1, 1, 7}, 4, {1, 2}, 2},             /* only size-1 axes */
    {{2, 3, 4, 5}, 4, {2, 3}, 2},             /* spatial */
    {{2, 3, 4, 5}, 4, {1}, 1},                /* channels (strided) */
    {{2, 3, 4, 5}, 4, {0, 1, 2, 3}, 4},       /* all, listed */
    {{2, 3, 4, 5}, 4, {3, 1}, 2},             /* unsorted */
    {{3, 2, 1, 4, 3}, 5, {0, 2, 4}, 3},       /* 5-D */
    {{2, 3, 2, 3, 2, 3}, 6, {0, 2, 4}, 3},    /* 6-D, three reduced runs */
    {{2, 3, 2, 3, 2, 3}, 6, {1, 3, -1}, 3},   /* three kept runs, innermost reduced */
    {{2, 3, 2, 3, 2, 3, 2, 3}, 8, {0, 2, 4, 6}, 4}, /* 8-D: four runs of each kind */
    {{1, 96, 7, 7}, 4, {2, 3}, 2},            /* MnasNet's mean over 7x7 */
    {{2, 7, 7, 96}, 4, {-1}, 1},              /* ConvNeXt's LayerNorm mean: rows of 96 */
    {{2, 64, 56, 56}, 4, {2, 3}, 2},          /* 3136 per output: the tree */
    {{4099}, 1, {0}, 1},                      /* one long row */
    {{3, 4099}, 2, {1}, 1},
    {{5000, 3}, 2, {0}, 1},                   /* long and strided, few outputs: the tree */
    {{1500, 7}, 2, {-2}, 1},
    {{33, 1031}, 2, {0}, 1},                  /* strided and many outputs: one item each */
    {{4, 33, 9}, 3, {0, 2}, 2},               /* 36 per output, non-adjacent */
};

static int64_t reduced_of(const rcase *c)
{
    if (c->naxes == 0) return clnn_shape_count(c->dims, c->nd);
    int64_t r = 1;
    for (int i = 0; i < c->naxes; i++)
        r *= c->dims[c->axes[i] < 0 ? c->axes[i] + c->nd : c->axes[i]];
    return r;
}

/* Input range and tolerances of an operator over R elements. */
static void op_setup(int op, int64_t R, run_opts *ro, float *atol, float *rtol)
{
    const float r = (float)R;
    *atol = *rtol = 0.0f;
    switch (op) {
    case 0: *atol = 2e-7f * r * 4 + 1e-6f, *rtol = 1e-5f; break;
    case 1: *atol = (2e-7f * r * 4 + 1e-6f) / r, *rtol = 1e-5f; break;
    case 4:
        ro->lo = 0.9f, ro->hi = 1.1f;
        *atol = 1e-6f, *rtol = 1e-7f * r + 1e-6f;
        break;
    case 5:
    case 6:
    case 7: *atol = 1e-6f, *rtol = 2e-5f; break;
    case 8:
        ro->lo = 0.1f, ro->hi = 2.0f;
        *atol = 2e-5f, *rtol = 1e-6f;
        break;
    case 9: *atol = 2e-5f, *rtol = 1e-6f; break;
    default: break; /* Max, Min: exact */
    }
}

/* A one-node reduction: axes as an attribute (opset < 18, ReduceSum < 13) or as a constant
 * input "axes" (naxes < 0: no axes input at all; naxes 0 with as_input: an empty one). */
static gnode *reduce_node(clnn_graph *g, const char *op, const int64_t *axes, int naxes,
                          int keepdims, int noop)
{
    const bool as_input = g->opset >= (strcmp(op, "ReduceSum") ? 18 : 13);
    clnn_attr at[3];
    size_t nat = 0;
    const char *ins[2] = {"x", "axes"};
    size_t nin = 1;
    if (as_input) {
        if (naxes >= 0) {
            static const int64_t none[1] = {0};
            const int64_t n = naxes;
            assert_int_equal(clnn_graph_add_constant_int64(g, "axes", &n, 1, axes ? axes : none),
                             CLNN_STATUS_OK);
            nin = 2;
        }
        if (noop >= 0) at[nat++] = CLNN_ATTR_I("noop_with_empty_axes", noop);
    } else if (naxes > 0) {
        at[nat++] = CLNN_ATTR_IS("axes", axes, (size_t)naxes);
    }
    if (keepdims >= 0) at[nat++] = CLNN_ATTR_I("keepdims", keepdims);
    return lt_node(g, op, ins, nin, at, nat);
}

static const clnn_layer_impl *layer_of(const clnn_graph *g)
{
    return clnn_op_def_of(g->nodes[0].op)->layer;
}

static void test_reduce_shapes(void **state)
{
    (void)state;
    int ok = 1;
    for (size_t c = 0; c < CLNN_ARRAY_LEN(rcases); c++)
        for (int op = 0; op < NOPS; op++)
            for (int form = 0; form < 2; form++) {
                const rcase *rc = &rcases[c];
                clnn_graph *g = lt_graph(form ? 18 : 11);
                lt_input(g, "x", rc->dims, (size_t)rc->nd);
                const int keepdims = (int)((c + (size_t)form) & 1);
                reduce_node(g, reduce_ops[op], rc->axes, rc->naxes, keepdims, -1);
                run_opts ro = lt_defaults((uint32_t)(c * 40 + (size_t)op * 2 + (size_t)form));
                float atol, rtol;
                op_setup(op, reduced_of(rc), &ro, &atol, &rtol);
                char what[160], b[64];
                snprintf(what, sizeof what, "%s case %zu %s, keepdims %d, opset %d",
                         reduce_ops[op], c, lt_shape_of(g, g->inputs[0], b, sizeof b), keepdims,
                         g->opset);
                ok &= lt_check(layer_of(g), g, &ro, atol, rtol, what);
                clnn_graph_destroy(g);
            }
    assert_true(ok);
}

/* Output shapes: keepdims, all axes, negative axes. */
static void test_reduce_out_shapes(void **state)
{
    (void)state;
    static const int64_t dims[] = {2, 3, 4, 5};
    struct {
        int64_t axes[4];
        int naxes, keepdims;
        int64_t want[4];
        int nwant;
    } cases[] = {
        {{1, 3}, 2, 1, {2, 1, 4, 1}, 4},
        {{1, 3}, 2, 0, {2, 4}, 2},
        {{-1}, 1, 1, {2, 3, 4, 1}, 4},
        {{0}, 0, 0, {0}, 0},            /* all: a scalar */
        {{0}, 0, 1, {1, 1, 1, 1}, 4},
        {{-4, 2}, 2, 0, {3, 5}, 2},
    };
    for (size_t i = 0; i < CLNN_ARRAY_LEN(cases); i++)
        for (int opset = 11; opset <= 18; opset += 7) {
            clnn_graph *g = lt_graph(opset);
            lt_input(g, "x", dims, 4);
            gnode *n = reduce_node(g, "ReduceMean", cases[i].axes, cases[i].naxes,
                                   cases[i].keepdims, -1);
            const gtensor *y = op_out(g, n, 0);
            assert_int_equal(y->ndim, cases[i].nwant);
            for (int d = 0; d < y->ndim; d++) assert_int_equal(y->dims[d], cases[i].want[d]);
            clnn_graph_destroy(g);
        }
}

/* noop_with_empty_axes: without axes (absent or empty input) every operator copies its input;
 * with noop 0 an empty axes input reduces everything. */
static void test_reduce_noop(void **state)
{
    (void)state;
    static const int64_t dims[] = {3, 5, 7};
    int ok = 1;
    for (int op = 0; op < NOPS; op++)
        for (int variant = 0; variant < 3; variant++) {
            clnn_graph *g = lt_graph(18);
            lt_input(g, "x", dims, 3);
            /* 0: no axes input, noop 1; 1: an empty axes input, noop 1; 2: empty, noop 0 */
            gnode *n = reduce_node(g, reduce_ops[op], NULL, variant == 0 ? -1 : 0, 1,
                                   variant < 2 ? 1 : 0);
            const gtensor *y = op_out(g, n, 0);
            run_opts ro = lt_defaults((uint32_t)(op * 3 + variant));
            float atol, rtol;
            op_setup(op, variant < 2 ? 1 : 105, &ro, &atol, &rtol);
            char what[128];
            snprintf(what, sizeof what, "%s noop variant %d", reduce_ops[op], variant);
            if (variant < 2) {
                assert_int_equal(clnn_tensor_count(y), 105);
                float *got, *want;
                size_t cnt;
                lt_run_node(layer_of(g), g, n, &ro, &got, &want, &cnt);
                /* The reference copied the input: regenerate it to compare exactly. */
                float *x = malloc(cnt * sizeof *x);
                tu_fill_uniform(x, cnt, ro.seed * 31u, ro.lo, ro.hi);
                ok &= tu_allclose(got, x, cnt, 0, 0, what) & tu_allclose(want, x, cnt, 0, 0, what);
                free(x), free(got), free(want);
            } else {
                assert_int_equal(clnn_tensor_count(y), 1);
                ok &= lt_check(layer_of(g), g, &ro, atol, rtol, what);
            }
            clnn_graph_destroy(g);
        }
    /* ReduceSum from version 13 as well (its axes became an input there). */
    clnn_graph *g = lt_graph(13);
    lt_input(g, "x", dims, 3);
    gnode *n = reduce_node(g, "ReduceSum", NULL, -1, 0, 1);
    assert_int_equal(op_out(g, n, 0)->ndim, 3);
    run_opts ro = lt_defaults(77);
    ok &= lt_check(layer_of(g), g, &ro, 0, 0, "ReduceSum-13 noop");
    clnn_graph_destroy(g);
    assert_true(ok);
}

/* LogSumExp of large values (exp overflows float without the maximum subtracted), and
 * special values through constants: NaN and infinities. */
static bool same_float(float a, float b, float tol)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b)) return a == b;
    return fabsf(a - b) <= tol + tol * fabsf(b);
}

static void test_reduce_special(void **state)
{
    (void)state;
    int ok = 1;
    {
        static const int64_t dims[] = {3, 4100};
        clnn_graph *g = lt_graph(11);
        lt_input(g, "x", dims, 2);
        static const int64_t ax[] = {1};
        reduce_node(g, "ReduceLogSumExp", ax, 1, 1, -1);
        run_opts ro = lt_defaults(5);
        ro.lo = 80.0f, ro.hi = 100.0f;
        ok &= lt_check(layer_of(g), g, &ro, 2e-5f, 1e-6f, "ReduceLogSumExp of [80, 100)");
        clnn_graph_destroy(g);
    }
    /* Rows: a NaN, +inf, -inf everywhere, mixed infinities, plain; one short (loop) and one
     * long (tree) row length each. */
    for (int len = 5; len <= 70; len += 65) {
        const int rows = 5;
        float *v = malloc((size_t)(rows * len) * sizeof *v);
        tu_fill_uniform(v, (size_t)(rows * len), 9, -4, 4);
        v[0 * len + 2] = NAN;
        v[1 * len + 1] = INFINITY;
        for (int i = 0; i < len; i++) v[2 * len + i] = -INFINITY;
        v[3 * len + 0] = INFINITY, v[3 * len + len - 1] = -INFINITY;
        for (int op = 0; op < NOPS + 2; op++) {
            clnn_graph *g = lt_graph(11);
            static const int64_t one = 1;
            lt_input(g, "unused", &one, 1);
            const int64_t dims[] = {rows, len};
            assert_int_equal(clnn_graph_add_constant(g, "x", dims, 2, v), CLNN_STATUS_OK);
            static const int64_t ax[] = {1};
            const char *type = op < NOPS ? reduce_ops[op] : op == NOPS ? "ArgMax" : "ArgMin";
            if (op < NOPS) {
                reduce_node(g, type, ax, 1, 0, -1);
            } else {
                const char *ins[] = {"x"};
                clnn_attr at[] = {CLNN_ATTR_I("axis", 1), CLNN_ATTR_I("keepdims", 0)};
                lt_node(g, type, ins, 1, at, 2);
            }
            float *got, *want;
            size_t n;
            run_opts ro = lt_defaults(1);
            lt_run_node(layer_of(g), g, &g->nodes[0], &ro, &got, &want, &n);
            for (size_t i = 0; i < n; i++)
                if (!same_float(got[i], want[i], 1e-4f)) {
                    print_error("%s special row %zu (length %d): got %g, want %g\n", type, i, len,
                                got[i], want[i]);
                    ok = 0;
                }
            /* What the rows must give, independent of the reference. */
            if (!strcmp(type, "ReduceMax")) {
                ok &= isnan(got[0]) && got[1] == INFINITY && got[2] == -INFINITY &&
                      got[3] == INFINITY;
            } else if (!strcmp(type, "ReduceLogSumExp")) {
                ok &= isnan(got[0]) && got[1] == INFINITY && got[2] == -INFINITY;
            } else if (!strcmp(type, "ArgMax")) {
                ok &= got[0] == 2.0f && got[1] == 1.0f && got[2] == 0.0f && got[3] == 0.0f;
            } else if (!strcmp(type, "ArgMin")) {
                ok &= got[0] == 2.0f && got[3] == (float)(len - 1);
            }
            free(got), free(want);
            clnn_graph_destroy(g);
        }
        free(v);
    }
    assert_true(ok);
}

/* ---- ArgMax / ArgMin ----------------------------------------------------------------------- */

static void test_arg(void **state)
{
    (void)state;
    static const struct {
        int64_t dims[6];
        int nd;
    } shapes[] = {{{7}, 1},        {{3, 5}, 2},       {{2, 3, 4}, 3}, {{2, 1, 5, 3}, 4},
                  {{2, 3, 2, 3, 2}, 5}, {{1, 21, 9, 11}, 4}, {{3, 5000}, 2}, {{4099, 2}, 2}};
    int ok = 1;
    for (size_t s = 0; s < CLNN_ARRAY_LEN(shapes); s++) {
        const int nd = shapes[s].nd;
        const size_t count = (size_t)clnn_shape_count(shapes[s].dims, nd);
        /* Few distinct values: ties everywhere, so the first / last index matters. */
        float *v = malloc(count * sizeof *v);
        tu_fill_uniform(v, count, (uint32_t)s, -3, 3);
        for (size_t i = 0; i < count; i++) v[i] = floorf(v[i]);
        for (int axis = -nd; axis < nd; axis++)
            for (int variant = 0; variant < 8; variant++) {
                const bool argmin = variant & 1, last = variant >> 1 & 1, keep = variant >> 2 & 1;
                clnn_graph *g = lt_graph(last ? 13 : (axis < 0 ? 11 : 1));
                static const int64_t one = 1;
                lt_input(g, "unused", &one, 1);
                assert_int_equal(clnn_graph_add_constant(g, "x", shapes[s].dims, (size_t)nd, v),
                                 CLNN_STATUS_OK);
                const char *ins[] = {"x"};
                clnn_attr at[3] = {CLNN_ATTR_I("axis", axis), CLNN_ATTR_I("keepdims", keep)};
                size_t nat = 2;
                if (last) at[nat++] = CLNN_ATTR_I("select_last_index", 1);
                gnode *n = lt_node(g, argmin ? "ArgMin" : "ArgMax", ins, 1, at, nat);
                const gtensor *y = op_out(g, n, 0);
                assert_int_equal(y->dtype, CLNN_DTYPE_INT64);
                assert_int_equal(y->ndim, keep ? nd : nd - 1);
                run_opts ro = lt_defaults(0);
                char what[128], b[64];
                snprintf(what, sizeof what, "%s on %s axis %d keepdims %d last %d",
                         argmin ? "ArgMin" : "ArgMax", lt_shape_of(g, n->inputs[0], b, sizeof b),
                         axis, keep, last);
                ok &= lt_check(layer_of(g), g, &ro, 0, 0, what);
                clnn_graph_destroy(g);
            }
        free(v);
    }
    /* A hand-checked case: [[1, 3, 3], [2, 2, 0]] along 1 -> first 1, 0; last 2, 1. */
    static const float m[] = {1, 3, 3, 2, 2, 0};
    static const float want[4][2] = {{1, 0}, {2, 1}, {0, 2}, {0, 2}};
    for (int variant = 0; variant < 4; variant++) {
        clnn_graph *g = lt_graph(13);
        static const int64_t one = 1, dims[] = {2, 3};
        lt_input(g, "unused", &one, 1);
        assert_int_equal(clnn_graph_add_constant(g, "x", dims, 2, m), CLNN_STATUS_OK);
        const char *ins[] = {"x"};
        clnn_attr at[] = {CLNN_ATTR_I("axis", 1), CLNN_ATTR_I("keepdims", 0),
                          CLNN_ATTR_I("select_last_index", variant & 1)};
        lt_node(g, variant < 2 ? "ArgMax" : "ArgMin", ins, 1, at, 3);
        float *got, *ref;
        size_t n;
        run_opts ro = lt_defaults(0);
        lt_run_node(layer_of(g), g, &g->nodes[0], &ro, &got, &ref, &n);
        assert_int_equal(n, 2);
        ok &= tu_allclose(got, want[variant], 2, 0, 0, "ArgMax/ArgMin by hand") &
              tu_allclose(ref, want[variant], 2, 0, 0, "ArgMax/ArgMin reference by hand");
        free(got), free(ref);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* ---- graphs: int64 folding, sessions ------------------------------------------------------- */

static void add(clnn_graph *g, const char *op, const char *const *ins, size_t nin,
                const char *out, const clnn_attr *at, size_t nat)
{
    const char *outs[] = {out};
    clnn_status st = clnn_graph_add_node(g, op, out, ins, nin, outs, 1, at, nat);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

static const gtensor *tensor(const clnn_graph *g, const char *name)
{
    int t = clnn_graph_find_tensor(g, name);
    assert_true(t >= 0);
    return &g->tensors[t];
}

/* Shape values: x [2,3,4] -> Shape -> ReduceProd / Sum / Max / Min / Mean / L1 / SumSquare,
 * ArgMax / ArgMin, folded in int64; the product feeds a Reshape run by a session. */
static void test_int64_fold(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(18);
    static const int64_t dims[] = {2, 3, 4};
    lt_input(g, "x", dims, 3);
    const char *x[] = {"x"};
    add(g, "Shape", x, 1, "s", NULL, 0);
    const char *s[] = {"s"};
    clnn_attr keep = CLNN_ATTR_I("keepdims", 1), drop = CLNN_ATTR_I("keepdims", 0);
    add(g, "ReduceProd", s, 1, "prod", &keep, 1);
    add(g, "ReduceMax", s, 1, "max", &drop, 1);
    add(g, "ReduceMin", s, 1, "min", &drop, 1);
    add(g, "ReduceMean", s, 1, "mean", &drop, 1);
    add(g, "ReduceL1", s, 1, "l1", &drop, 1);
    add(g, "ReduceSumSquare", s, 1, "ss", &drop, 1);
    static const int64_t zero = 0, one = 1;
    assert_int_equal(clnn_graph_add_constant_int64(g, "ax0", &one, 1, &zero), CLNN_STATUS_OK);
    const char *sa[] = {"s", "ax0"};
    add(g, "ReduceSum", sa, 2, "sum", &drop, 1);
    add(g, "ArgMax", s, 1, "amax", &drop, 1);
    add(g, "ArgMin", s, 1, "amin", &drop, 1);
    const char *r[] = {"x", "prod"};
    add(g, "Reshape", r, 2, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    /* Graph outputs, so that no folded value is dropped as unread. */
    static const char *const folded[] = {"prod", "max", "min", "mean", "l1", "ss", "sum",
                                         "amax", "amin"};
    for (size_t i = 0; i < CLNN_ARRAY_LEN(folded); i++)
        assert_int_equal(clnn_graph_add_output(g, folded[i]), CLNN_STATUS_OK);
    clnn_compiled *cg = NULL;
    clnn_status st = clnn_graph_compile(g, 0, true, &cg);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    static const struct {
        const char *name;
        int64_t want;
        int ndim;
    } want[] = {{"prod", 24, 1}, {"max", 4, 0}, {"min", 2, 0}, {"mean", 3, 0}, {"l1", 9, 0},
                {"ss", 29, 0},   {"sum", 9, 0}, {"amax", 2, 0}, {"amin", 0, 0}};
    for (size_t i = 0; i < CLNN_ARRAY_LEN(want); i++) {
        const gtensor *t = tensor(cg->g, want[i].name);
        assert_int_equal(t->dtype, CLNN_DTYPE_INT64);
        assert_non_null(t->idata);
        assert_int_equal(t->ndim, want[i].ndim);
        if (t->idata[0] != want[i].want)
            print_error("%s folded to %lld\n", want[i].name, (long long)t->idata[0]);
        assert_int_equal(t->idata[0], want[i].want);
    }
    clnn_compiled_destroy(cg);
    /* The session reshapes through the folded product. */
    clnn_session *ss = NULL;
    st = clnn_session_create(lt_ctx, g, NULL, &ss);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    const int64_t *od;
    size_t ond;
    assert_int_equal(clnn_session_output_shape(ss, "y", &od, &ond), CLNN_STATUS_OK);
    assert_int_equal(ond, 1);
    assert_int_equal(od[0], 24);
    clnn_session_destroy(ss);
    clnn_graph_destroy(g);

    /* Overflow of an integer product is an error naming the node. */
    g = lt_graph(18);
    lt_input(g, "x", dims, 3);
    static const int64_t two = 2, big[] = {(int64_t)1 << 40, (int64_t)1 << 40};
    assert_int_equal(clnn_graph_add_constant_int64(g, "b", &two, 1, big), CLNN_STATUS_OK);
    const char *b[] = {"b"};
    add(g, "ReduceProd", b, 1, "p", &keep, 1);
    const char *r2[] = {"x", "p"};
    add(g, "Reshape", r2, 2, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    cg = NULL;
    st = clnn_graph_compile(g, 0, true, &cg);
    assert_int_equal(st, CLNN_STATUS_INVALID_MODEL);
    assert_non_null(strstr(clnn_last_error(), "node 'p' (ReduceProd)"));
    assert_non_null(strstr(clnn_last_error(), "overflows"));
    clnn_graph_destroy(g);
}

/* Whole graphs through a session against their folded selves: the zoo's patterns. */
static void test_graphs(void **state)
{
    (void)state;
    int ok = 1;
    /* MnasNet's head: ReduceMean over [2, 3], keepdims 0. */
    {
        clnn_graph *g = lt_graph(13);
        static const int64_t dims[] = {2, 40, 7, 7}, ax[] = {2, 3};
        lt_input(g, "x", dims, 4);
        const char *x[] = {"x"};
        clnn_attr at[] = {CLNN_ATTR_IS("axes", ax, 2), CLNN_ATTR_I("keepdims", 0)};
        add(g, "ReduceMean", x, 1, "y", at, 2);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        ok &= lt_compare_folded(g, 1, -4, 4, 1e-5f, 1e-5f, "ReduceMean [2,3] keepdims 0");
        clnn_graph_destroy(g);
    }
    /* ConvNeXt's decomposed LayerNorm over the last axis (opsets 13 and 18). */
    for (int opset = 13; opset <= 18; opset += 5) {
        clnn_graph *g = lt_graph(opset);
        static const int64_t dims[] = {2, 7, 7, 96}, ax[] = {-1}, one = 1;
        lt_input(g, "x", dims, 4);
        clnn_attr at[2] = {CLNN_ATTR_I("keepdims", 1), CLNN_ATTR_IS("axes", ax, 1)};
        const size_t nat = opset >= 18 ? 1 : 2;
        const char *x[] = {"x", "ax"}, *xm[] = {"x", "m"}, *dd[] = {"d", "d"};
        const char *v[] = {"d2", "ax"}, *ve[] = {"var", "eps"}, *q[] = {"d", "sd"};
        if (opset >= 18)
            assert_int_equal(clnn_graph_add_constant_int64(g, "ax", &one, 1, ax), CLNN_STATUS_OK);
        const float eps = 1e-6f;
        assert_int_equal(clnn_graph_add_constant(g, "eps", &one, 0, &eps), CLNN_STATUS_OK);
        add(g, "ReduceMean", x, opset >= 18 ? 2 : 1, "m", at, nat);
        add(g, "Sub", xm, 2, "d", NULL, 0);
        add(g, "Mul", dd, 2, "d2", NULL, 0);
        add(g, "ReduceMean", v, opset >= 18 ? 2 : 1, "var", at, nat);
        add(g, "Add", ve, 2, "ve", NULL, 0);
        const char *sq[] = {"ve"};
        add(g, "Sqrt", sq, 1, "sd", NULL, 0);
        add(g, "Div", q, 2, "y", NULL, 0);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        ok &= lt_compare_folded(g, 2, -4, 4, 1e-4f, 1e-4f, "decomposed LayerNorm");
        clnn_graph_destroy(g);
    }
    /* A segmentation head: ArgMax over channels as the graph output (INT64, as floats). */
    {
        clnn_graph *g = lt_graph(13);
        static const int64_t dims[] = {1, 21, 17, 19};
        lt_input(g, "x", dims, 4);
        const char *x[] = {"x"};
        clnn_attr at[] = {CLNN_ATTR_I("axis", 1), CLNN_ATTR_I("keepdims", 0)};
        add(g, "ArgMax", x, 1, "y", at, 2);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        ok &= lt_compare_folded(g, 3, -4, 4, 0, 0, "ArgMax head");
        clnn_session *s = NULL;
        assert_int_equal(clnn_session_create(lt_ctx, g, NULL, &s), CLNN_STATUS_OK);
        assert_int_equal(clnn_session_output_elem_type(s, "y"), 7);
        clnn_session_destroy(s);
        clnn_graph_destroy(g);
    }
    /* Arithmetic on a device-computed index is refused when the session is created. */
    {
        clnn_graph *g = lt_graph(13);
        static const int64_t dims[] = {2, 5};
        lt_input(g, "x", dims, 2);
        const char *x[] = {"x"}, *aa[] = {"a", "a"};
        clnn_attr at[] = {CLNN_ATTR_I("axis", 1)};
        add(g, "ArgMax", x, 1, "a", at, 1);
        add(g, "Add", aa, 2, "y", NULL, 0);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        clnn_session *s = NULL;
        assert_int_equal(clnn_session_create(lt_ctx, g, NULL, &s), CLNN_STATUS_UNSUPPORTED);
        assert_non_null(strstr(clnn_last_error(), "node 'y' (Add)"));
        assert_non_null(strstr(clnn_last_error(), "INT64"));
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* ---- refusals ----------------------------------------------------------------------------- */

/* Adding node "bad" and inferring must fail with st and a message naming it and holding
 * `needle`. */
static void expect_refused(clnn_graph *g, const char *op, const char *const *ins, size_t nin,
                           const clnn_attr *at, size_t nat, clnn_status want, const char *needle)
{
    const char *outs[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, op, "bad", ins, nin, outs, 1, at, nat);
    if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
    if (st == CLNN_STATUS_OK) st = clnn_graph_validate(g, 0);
    if (st != want || !strstr(clnn_last_error(), "node 'bad'") ||
        !strstr(clnn_last_error(), needle))
        print_error("%s: status %d, message: %s (wanted %d and '%s')\n", op, (int)st,
                    clnn_last_error(), (int)want, needle);
    assert_int_equal(st, want);
    assert_non_null(strstr(clnn_last_error(), "node 'bad'"));
    assert_non_null(strstr(clnn_last_error(), needle));
}

static void test_refusals(void **state)
{
    (void)state;
    static const int64_t dims[] = {2, 3, 4}, dup[] = {1, -2}, out3[] = {3}, outm4[] = {-4};
    static const int64_t two = 2, one = 1;
    const char *x[] = {"x"}, *xa[] = {"x", "axes"};
    struct {
        int opset;
        const char *op;
        int form; /* 0: axes attribute, 1: axes input, 2: axis attribute */
        const int64_t *axes;
        int naxes;
        clnn_status want;
        const char *needle;
    } cases[] = {
        {11, "ReduceMean", 0, dup, 2, CLNN_STATUS_INVALID_MODEL, "repeated"},
        {18, "ReduceMean", 1, dup, 2, CLNN_STATUS_INVALID_MODEL, "repeated"},
        {13, "ReduceSum", 1, dup, 2, CLNN_STATUS_INVALID_MODEL, "repeated"},
        {11, "ReduceMax", 0, out3, 1, CLNN_STATUS_INVALID_MODEL, "out of range"},
        {18, "ReduceL2", 1, outm4, 1, CLNN_STATUS_INVALID_MODEL, "out of range"},
        {13, "ArgMax", 2, out3, 1, CLNN_STATUS_INVALID_MODEL, "out of range"},
        {13, "ArgMin", 2, outm4, 1, CLNN_STATUS_INVALID_MODEL, "out of range"},
        {13, "ReduceMean", 1, dup, 2, CLNN_STATUS_INVALID_MODEL, "before version 18"},
    };
    for (size_t i = 0; i < CLNN_ARRAY_LEN(cases); i++) {
        clnn_graph *g = lt_graph(cases[i].opset);
        lt_input(g, "x", dims, 3);
        clnn_attr at[1];
        size_t nat = 0, nin = 1;
        if (cases[i].form == 0)
            at[nat++] = CLNN_ATTR_IS("axes", cases[i].axes, (size_t)cases[i].naxes);
        if (cases[i].form == 2) at[nat++] = CLNN_ATTR_I("axis", cases[i].axes[0]);
        if (cases[i].form == 1) {
            const int64_t n = cases[i].naxes;
            assert_int_equal(clnn_graph_add_constant_int64(g, "axes", &n, 1, cases[i].axes),
                             CLNN_STATUS_OK);
            nin = 2;
        }
        expect_refused(g, cases[i].op, nin == 2 ? xa : x, nin, at, nat, cases[i].want,
                       cases[i].needle);
        clnn_graph_destroy(g);
    }
    /* Axes computed while the network runs (a float graph input) are refused. */
    {
        clnn_graph *g = lt_graph(18);
        lt_input(g, "x", dims, 3);
        lt_input(g, "axes", &two, 1);
        expect_refused(g, "ReduceSum", xa, 2, NULL, 0, CLNN_STATUS_UNSUPPORTED, "axes");
        clnn_graph_destroy(g);
    }
    /* Logarithms of integers are not shape arithmetic. */
    {
        clnn_graph *g = lt_graph(18);
        lt_input(g, "x", dims, 3);
        static const int64_t v[] = {3, 4};
        assert_int_equal(clnn_graph_add_constant_int64(g, "i", &two, 1, v), CLNN_STATUS_OK);
        const char *in[] = {"i"};
        expect_refused(g, "ReduceLogSum", in, 1, NULL, 0, CLNN_STATUS_UNSUPPORTED, "INT64");
        clnn_graph_destroy(g);
    }
    /* keepdims outside 0..1, select_last_index before version 12. */
    {
        clnn_graph *g = lt_graph(11);
        lt_input(g, "x", dims, 3);
        clnn_attr at[] = {CLNN_ATTR_I("keepdims", 2)};
        expect_refused(g, "ReduceMean", x, 1, at, 1, CLNN_STATUS_UNSUPPORTED, "keepdims");
        clnn_graph_destroy(g);
        g = lt_graph(11);
        lt_input(g, "x", dims, 3);
        clnn_attr sl[] = {CLNN_ATTR_I("select_last_index", 1)};
        expect_refused(g, "ArgMax", x, 1, sl, 1, CLNN_STATUS_INVALID_MODEL, "select_last_index");
        clnn_graph_destroy(g);
    }
    (void)one;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reduce_out_shapes), cmocka_unit_test(test_reduce_shapes),
        cmocka_unit_test(test_reduce_noop),       cmocka_unit_test(test_reduce_special),
        cmocka_unit_test(test_arg),               cmocka_unit_test(test_int64_fold),
        cmocka_unit_test(test_graphs),            cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests_name("reduce", tests, lt_setup, lt_teardown);
}
