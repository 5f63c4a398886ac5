/*
 * reduce.c - the reductions: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
 * ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp over any set of axes, and
 * ArgMax / ArgMin along one axis. One layer (kernels/reduce.cl) runs them all on a device; the
 * C reference below walks the input element by element in double, independently of the
 * kernel's merged view; integer inputs (shape values) fold on the host in int64 with overflow
 * checks.
 *
 * Axes: an attribute before version 13 (ReduceSum) or 18 (the others), an optional constant
 * input from then on. No axes, or an empty list, reduces every axis, unless
 * noop_with_empty_axes (input form only) is set: the output is then the input, for every
 * operator (ONNX's text: "the output tensor would be equivalent to input tensor").
 *
 * ArgMax / ArgMin produce INT64 indices. On a device they are held as exact floats (graph.h):
 * the output tensor stays INT64 in the graph, so a reader that would do arithmetic on it is
 * refused when the session is created (compile.c), and a graph output returns the indices as
 * floats while clnn_session_output_elem_type reports INT64. Axes of more than 2^24 elements
 * (indices no longer exact as floats) are refused on devices; folded indices are exact.
 */
#include "layer_small.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The kernel's OP codes (kernels/reduce.cl). */
typedef enum red_kind {
    RK_SUM, RK_MEAN, RK_MAX, RK_MIN, RK_PROD, RK_L1, RK_L2, RK_SUMSQ, RK_LOGSUM, RK_LOGSUMEXP,
    RK_ARGMAX, RK_ARGMIN,
} red_kind;

typedef struct reduce_attrs {
    int64_t axes[CLNN_MAX_DIMS]; /* the attribute form */
    int naxes;
    int keepdims;
    int noop_with_empty_axes;
    int64_t axis;                /* ArgMax, ArgMin */
    int select_last_index;
    /* After inference: bit d set when input dimension d is reduced, and whether the output
     * is the input (empty axes with noop_with_empty_axes; mask is then 0). */
    unsigned mask;
    bool noop;
} reduce_attrs;

static red_kind kind_of(clnn_op op)
{
    switch (op) {
    case OP_REDUCE_MEAN: return RK_MEAN;
    case OP_REDUCE_MAX: return RK_MAX;
    case OP_REDUCE_MIN: return RK_MIN;
    case OP_REDUCE_PROD: return RK_PROD;
    case OP_REDUCE_L1: return RK_L1;
    case OP_REDUCE_L2: return RK_L2;
    case OP_REDUCE_SUM_SQUARE: return RK_SUMSQ;
    case OP_REDUCE_LOG_SUM: return RK_LOGSUM;
    case OP_REDUCE_LOG_SUM_EXP: return RK_LOGSUMEXP;
    case OP_ARG_MAX: return RK_ARGMAX;
    case OP_ARG_MIN: return RK_ARGMIN;
    default: return RK_SUM;
    }
}

static bool is_arg(red_kind k) { return k == RK_ARGMAX || k == RK_ARGMIN; }

/* The noop case (empty axes with noop_with_empty_axes) computes like a maximum over one
 * element: a copy, NaN and -0 included. */
static red_kind effective_kind(const gnode *n)
{
    return OP_A(n, reduce_attrs)->noop ? RK_MAX : kind_of(n->op);
}

/* ---- the merged view (kernel arguments) ------------------------------------------------- */

/* Input dimensions of size 1 dropped, adjacent ones of the same kind merged: at most four
 * kept and four reduced runs (they alternate), innermost last, sizes and strides in floats. */
typedef struct red_view {
    int nk, nr;
    int kd[4], ks[4], rd[4], rs[4];
    int nout, R;
    bool inner_reduced; /* the innermost run is reduced (rows are contiguous) */
} red_view;

static void red_view_of(const gtensor *x, unsigned mask, red_view *v)
{
    memset(v, 0, sizeof *v);
    int64_t stride[CLNN_MAX_DIMS], s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        stride[d] = s;
        s *= x->dims[d];
    }
    int64_t nout = 1, R = 1;
    int size[2 * CLNN_MAX_DIMS], str[2 * CLNN_MAX_DIMS];
    bool red[2 * CLNN_MAX_DIMS];
    int nruns = 0;
    for (int d = 0; d < x->ndim; d++) {
        const bool r = mask >> d & 1;
        if (r)
            R *= x->dims[d];
        else
            nout *= x->dims[d];
        if (x->dims[d] == 1) continue;
        if (nruns && red[nruns - 1] == r) {
            size[nruns - 1] *= (int)x->dims[d];
            str[nruns - 1] = (int)stride[d];
        } else {
            size[nruns] = (int)x->dims[d];
            str[nruns] = (int)stride[d];
            red[nruns++] = r;
        }
    }
    v->nout = (int)nout;
    v->R = (int)R;
    for (int i = 0; i < 4; i++) v->kd[i] = v->rd[i] = 1, v->ks[i] = v->rs[i] = 0;
    if (s == 0) return; /* an empty input: nothing is read (R == 0) */
    int nk = 0, nr = 0;
    for (int i = 0; i < nruns; i++) nk += !red[i], nr += red[i];
    v->nk = nk;
    v->nr = nr;
    int ik = 4 - nk, ir = 4 - nr;
    for (int i = 0; i < nruns; i++) {
        if (red[i]) {
            v->rd[ir] = size[i];
            v->rs[ir++] = str[i];
        } else {
            v->kd[ik] = size[i];
            v->ks[ik++] = str[i];
        }
    }
    v->inner_reduced = nruns > 0 && red[nruns - 1];
}

/* ---- device layer ----------------------------------------------------------------------- */

/* A reduction of at least this many elements takes a work-group per output when its rows are
 * contiguous; strided ones from REDUCE_GROUP_STRIDED when the outputs are too few to fill a
 * device with one work-item each. */
#define REDUCE_GROUP_MIN 32
#define REDUCE_GROUP_STRIDED 1024
#define REDUCE_FEW_OUTPUTS 16384
/* Work-items per output in reduce_group (at most; a power of two within device limits). */
#define REDUCE_WG_CPU 16
#define REDUCE_WG_GPU 256

typedef struct reduce_state {
    clnn_context *ctx;
    char *node;
    const char *op;
    cl_kernel k;
    bool group;
    red_view v;
    size_t in_count, local;
    char desc[96];
} reduce_state;

static void reduce_destroy(void *state)
{
    reduce_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s);
}

static clnn_status reduce_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                  const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    const gtensor *x = clnn_node_input(g, n, 0);
    const size_t count = clnn_tensor_count(x);
    clnn_status st = small_count_ok(ctx, n->name, op, count);
    if (st != CLNN_STATUS_OK) return st;
    const red_kind kind = effective_kind(n);
    reduce_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->op = op;
    s->in_count = count;
    red_view_of(x, OP_A(n, reduce_attrs)->mask, &s->v);
    if (is_arg(kind) && s->v.R > (1 << 24)) {
        const int R = s->v.R;
        reduce_destroy(s);
        return clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED,
                         "node '%s' (%s): the axis has %d elements; indices from 2^24 on are "
                         "not exact in the floats a device holds them in",
                         n->name, op, R);
    }
    const int R = s->v.R;
    s->group = R >= REDUCE_GROUP_MIN &&
               (s->v.inner_reduced || (R >= REDUCE_GROUP_STRIDED && s->v.nout < REDUCE_FEW_OUTPUTS));
    int wg = 1;
    if (s->group) {
        const size_t want = dev->info.type == CLNN_DEVICE_TYPE_GPU ? REDUCE_WG_GPU : REDUCE_WG_CPU;
        while ((size_t)wg * 2 <= want && (size_t)wg * 2 <= dev->info.max_work_group_size &&
               (size_t)wg * 2 <= dev->info.max_work_item_sizes[0] && wg * 2 <= R)
            wg *= 2;
        s->local = (size_t)wg;
    } else {
        s->local = small_local(dev, (size_t)s->v.nout);
    }
    char opts[64];
    snprintf(opts, sizeof opts, "-DOP=%d -DWG=%d -DLAST=%d", (int)kind, wg,
             OP_A(n, reduce_attrs)->select_last_index);
    const char *kname = s->group ? "reduce_group" : "reduce_loop";
    st = clnn_kernel_create(ctx, dev, "reduce", opts, kname, &s->k);
    if (st != CLNN_STATUS_OK) {
        reduce_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    if (s->group)
        snprintf(s->desc, sizeof s->desc, "%d outputs of %d, %d items each", s->v.nout, R, wg);
    else
        snprintf(s->desc, sizeof s->desc, "%d outputs of %d, one item each", s->v.nout, R);
    *state = s;
    return CLNN_STATUS_OK;
}

static cl_int4 int4_of(const int *v)
{
    cl_int4 r;
    for (int i = 0; i < 4; i++) r.s[i] = v[i];
    return r;
}

static clnn_status reduce_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                  cl_uint nw, const cl_event *w, cl_event *done)
{
    reduce_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], s->in_count, "input");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->out, (size_t)s->v.nout, "output");
    if (st != CLNN_STATUS_OK) return st;
    if (s->v.nout == 0)
        return clnn_fail(s->ctx, CLNN_STATUS_INTERNAL, "node '%s' (%s): empty output", s->node,
                         s->op);
    cl_int4 kd = int4_of(s->v.kd), ks = int4_of(s->v.ks), rd = int4_of(s->v.rd),
            rs = int4_of(s->v.rs);
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out), CLNN_ARG(s->v.nout),
                       CLNN_ARG(s->v.R), CLNN_ARG(kd), CLNN_ARG(ks), CLNN_ARG(rd), CLNN_ARG(rs)};
    const char *kname = s->group ? "reduce_group" : "reduce_loop";
    st = clnn_set_args(s->ctx, s->k, kname, args, CLNN_ARRAY_LEN(args));
    size_t g = s->group ? (size_t)s->v.nout * s->local : (size_t)s->v.nout;
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, kname, 1, &g, &s->local, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

static const char *reduce_describe(const void *state)
{
    return ((const reduce_state *)state)->desc;
}

/* ---- the reference ---------------------------------------------------------------------- */

/* Walks the input in order, giving for each element its output index (the reduced
 * coordinates dropped) and, for ArgMax / ArgMin, its coordinate along the axis. */
typedef struct walk {
    int nd;
    int64_t dims[CLNN_MAX_DIMS], coord[CLNN_MAX_DIMS], ostride[CLNN_MAX_DIMS];
    int64_t out;
} walk;

static void walk_init(walk *w, const gtensor *x, unsigned mask)
{
    memset(w, 0, sizeof *w);
    w->nd = x->ndim;
    int64_t s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        w->dims[d] = x->dims[d];
        w->ostride[d] = mask >> d & 1 ? 0 : s;
        if (!(mask >> d & 1)) s *= x->dims[d];
    }
}

static void walk_next(walk *w)
{
    for (int d = w->nd - 1; d >= 0; d--) {
        w->out += w->ostride[d];
        if (++w->coord[d] < w->dims[d]) return;
        w->out -= w->ostride[d] * w->coord[d];
        w->coord[d] = 0;
    }
}

static int64_t reduced_count(const gtensor *x, unsigned mask)
{
    int64_t r = 1;
    for (int d = 0; d < x->ndim; d++)
        if (mask >> d & 1) r *= x->dims[d];
    return r;
}

static int arg_axis(unsigned mask)
{
    for (int d = 0; d < CLNN_MAX_DIMS; d++)
        if (mask >> d & 1) return d;
    return -1;
}

/* Whether v at index iv replaces the best b at ib (ib < 0: none yet); as the kernel. */
static bool arg_takes(red_kind k, bool last, double v, int64_t iv, double b, int64_t ib)
{
    if (ib < 0) return true;
    const bool vn = isnan(v), bn = isnan(b);
    if (vn || bn) return vn && bn ? (last ? iv > ib : iv < ib) : vn;
    if (v == b) return last ? iv > ib : iv < ib;
    return k == RK_ARGMAX ? v > b : v < b;
}

/* Float reference (also the fold of float inputs): out receives the result, ArgMax /
 * ArgMin indices as floats. */
static clnn_status reduce_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                    const float *residual, float *out)
{
    (void)residual;
    const gtensor *x = clnn_node_input(g, n, 0);
    const reduce_attrs *a = OP_A(n, reduce_attrs);
    const red_kind k = effective_kind(n);
    const size_t count = clnn_tensor_count(x), nout = clnn_tensor_count(clnn_node_output(g, n));
    double *acc = malloc((nout ? nout : 1) * sizeof *acc);
    double *m = malloc((nout ? nout : 1) * sizeof *m);
    int64_t *idx = malloc((nout ? nout : 1) * sizeof *idx);
    if (!acc || !m || !idx) {
        free(acc), free(m), free(idx);
        return op_fail(n, CLNN_STATUS_OUT_OF_HOST_MEMORY, "reference");
    }
    const double init = k == RK_MAX ? -INFINITY : k == RK_MIN ? INFINITY : k == RK_PROD ? 1 : 0;
    for (size_t o = 0; o < nout; o++) acc[o] = init, m[o] = -INFINITY, idx[o] = -1;
    const int axis = arg_axis(a->mask);
    walk w;
    if (k == RK_LOGSUMEXP) { /* the maxima first */
        walk_init(&w, x, a->mask);
        for (size_t i = 0; i < count; i++, walk_next(&w)) {
            const double v = in[0][i];
            if (v > m[w.out] || isnan(v)) m[w.out] = isnan(m[w.out]) ? m[w.out] : v;
        }
    }
    walk_init(&w, x, a->mask);
    for (size_t i = 0; i < count; i++, walk_next(&w)) {
        const double v = in[0][i];
        double *c = &acc[w.out];
        switch (k) {
        case RK_MAX:
            if (!isnan(*c) && (v > *c || isnan(v))) *c = v;
            break;
        case RK_MIN:
            if (!isnan(*c) && (v < *c || isnan(v))) *c = v;
            break;
        case RK_PROD: *c *= v; break;
        case RK_L1: *c += fabs(v); break;
        case RK_L2:
        case RK_SUMSQ: *c += v * v; break;
        case RK_LOGSUMEXP: *c += exp(v - m[w.out]); break;
        case RK_ARGMAX:
        case RK_ARGMIN: {
            const int64_t iv = w.coord[axis];
            if (arg_takes(k, a->select_last_index, v, iv, *c, idx[w.out]))
                *c = v, idx[w.out] = iv;
            break;
        }
        default: *c += v; break;
        }
    }
    const double R = (double)reduced_count(x, a->mask);
    for (size_t o = 0; o < nout; o++) {
        double r = acc[o];
        switch (k) {
        case RK_MEAN: r = acc[o] / R; break;
        case RK_L2: r = sqrt(acc[o]); break;
        case RK_LOGSUM: r = log(acc[o]); break;
        case RK_LOGSUMEXP: r = isfinite(m[o]) ? m[o] + log(acc[o]) : m[o]; break;
        case RK_ARGMAX:
        case RK_ARGMIN: r = (double)(idx[o] < 0 ? 0 : idx[o]); break;
        default: break;
        }
        out[o] = (float)r;
    }
    free(acc), free(m), free(idx);
    return CLNN_STATUS_OK;
}

static const clnn_layer_impl clnn_layer_reduce = {
    .name = "reduce",
    .host_inputs = 1u << 1, /* the axes */
    .prepare = reduce_prepare,
    .enqueue = reduce_enqueue,
    .reference = reduce_reference,
    .destroy = reduce_destroy,
    .describe = reduce_describe,
};

/* ---- folding ---------------------------------------------------------------------------- */

/* Integer inputs (shape values; BOOL for ReduceMax / ReduceMin) in int64: every sum and
 * product checked for overflow; the mean truncates toward zero (as integer division). */
static clnn_status reduce_fold_int(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    const reduce_attrs *a = OP_A(n, reduce_attrs);
    const red_kind k = effective_kind(n);
    const size_t count = clnn_tensor_count(x), nout = clnn_tensor_count(op_out(g, n, 0));
    const int64_t R = reduced_count(x, a->mask);
    if (k == RK_MEAN && R == 0)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "the mean of no integers");
    int64_t *best = is_arg(k) ? malloc((nout ? nout : 1) * sizeof *best) : NULL;
    int64_t *y = (!is_arg(k) || best) ? op_out_alloc(g, n, 0) : NULL;
    if (!y) {
        free(best);
        return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    }
    const int64_t init = k == RK_MAX ? INT64_MIN : k == RK_MIN ? INT64_MAX : k == RK_PROD ? 1 : 0;
    for (size_t o = 0; o < nout; o++) y[o] = is_arg(k) ? -1 : init;
    const int axis = arg_axis(a->mask);
    walk w;
    walk_init(&w, x, a->mask);
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++, walk_next(&w)) {
        const int64_t v = x->idata[i];
        int64_t *c = &y[w.out], t;
        switch (k) {
        case RK_MAX: *c = v > *c ? v : *c; break;
        case RK_MIN: *c = v < *c ? v : *c; break;
        case RK_PROD: ok = op_mul_ok(*c, v, c); break;
        case RK_L1: ok = v != INT64_MIN && op_add_ok(*c, v < 0 ? -v : v, c); break;
        case RK_SUMSQ: ok = op_mul_ok(v, v, &t) && op_add_ok(*c, t, c); break;
        case RK_ARGMAX:
        case RK_ARGMIN: {
            const int64_t iv = w.coord[axis];
            const bool take = *c < 0 || (v == best[w.out] ? (a->select_last_index ? iv > *c : false)
                                         : k == RK_ARGMAX ? v > best[w.out] : v < best[w.out]);
            if (take) *c = iv, best[w.out] = v;
            break;
        }
        default: ok = op_add_ok(*c, v, c); break;
        }
    }
    free(best);
    if (!ok)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "the %s of the integer input overflows "
                       "int64", k == RK_PROD ? "product" : "sum");
    if (k == RK_MEAN)
        for (size_t o = 0; o < nout; o++) y[o] /= R;
    return CLNN_STATUS_OK;
}

static clnn_status reduce_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    if (x->dtype != CLNN_DTYPE_FLOAT) return reduce_fold_int(g, n);
    const float *in[2] = {x->data, NULL};
    if (!is_arg(kind_of(n->op))) {
        float *y = op_out_alloc(g, n, 0);
        if (!y) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        return reduce_reference(g, n, in, NULL, y);
    }
    const size_t nout = clnn_tensor_count(op_out(g, n, 0));
    float *f = malloc((nout ? nout : 1) * sizeof *f);
    int64_t *y = f ? op_out_alloc(g, n, 0) : NULL;
    clnn_status st = y ? reduce_reference(g, n, in, NULL, f) : CLNN_STATUS_OUT_OF_HOST_MEMORY;
    for (size_t o = 0; st == CLNN_STATUS_OK && o < nout; o++) y[o] = (int64_t)f[o];
    free(f);
    return st;
}

/* ---- definitions ------------------------------------------------------------------------ */

/* The version from which the axes are an input rather than an attribute. */
static int axes_input_version(clnn_op op) { return op == OP_REDUCE_SUM ? 13 : 18; }

static clnn_status reduce_check(gnode *n)
{
    const int v = axes_input_version(n->op);
    if (!is_arg(kind_of(n->op)) && n->version < v && n->ninputs > 1)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%d inputs; before version %d the axes are an attribute", n->ninputs, v);
    return CLNN_STATUS_OK;
}

static clnn_status reduce_infer(clnn_graph *g, gnode *n)
{
    reduce_attrs *a = n->attrs;
    const gtensor *x = op_in(g, n, 0);
    const red_kind k = kind_of(n->op);
    const bool int_ok = k != RK_L2 && k != RK_LOGSUM && k != RK_LOGSUMEXP;
    if (!(x->dtype == CLNN_DTYPE_FLOAT || (x->dtype == CLNN_DTYPE_INT64 && int_ok) ||
          (x->dtype == CLNN_DTYPE_BOOL && (k == RK_MAX || k == RK_MIN))))
        return op_need_float(g, n, 0);
    int64_t axes[CLNN_MAX_DIMS];
    int count = 0;
    const bool input_form = !is_arg(k) && n->version >= axes_input_version(n->op);
    if (is_arg(k)) {
        axes[0] = a->axis;
        count = 1;
    } else if (input_form) {
        if (op_in(g, n, 1)) {
            clnn_status st = op_const_ints(g, n, 1, "axes", axes, CLNN_MAX_DIMS, &count);
            if (st != CLNN_STATUS_OK) return st;
        }
    } else {
        memcpy(axes, a->axes, sizeof axes);
        count = a->naxes;
    }
    unsigned mask = 0;
    for (int i = 0; i < count; i++) {
        const int d = op_norm_axis(axes[i], x->ndim);
        if (d < 0)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range for %d-D input",
                           (long long)axes[i], x->ndim);
        if (mask >> d & 1)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is repeated",
                           (long long)axes[i]);
        mask |= 1u << d;
    }
    a->noop = count == 0 && input_form && a->noop_with_empty_axes;
    if (count == 0 && !a->noop) mask = (1u << x->ndim) - 1;
    a->mask = mask;
    if (is_arg(k) && x->dims[arg_axis(mask)] == 0)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld has no elements to index",
                       (long long)a->axis);
    int64_t d[CLNN_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < x->ndim; i++)
        if (!(mask >> i & 1))
            d[nd++] = x->dims[i];
        else if (a->keepdims)
            d[nd++] = 1;
    return op_set_out(g, n, 0, is_arg(k) ? CLNN_DTYPE_INT64 : x->dtype, d, nd);
}

static node_work reduce_work(const clnn_graph *g, const gnode *n)
{
    node_work w = op_io_work(g, n);
    w.flops = (double)clnn_tensor_count(op_in(g, n, 0));
    if (kind_of(n->op) == RK_LOGSUMEXP) w.flops *= 4;
    return w;
}

static const op_attr sum_rows[] = {
    A_INTS("axes", reduce_attrs, axes, naxes, INT32_MIN, INT32_MAX, .until = 13),
    A_INT("keepdims", reduce_attrs, keepdims, 1, 0, 1),
    A_INT("noop_with_empty_axes", reduce_attrs, noop_with_empty_axes, 0, 0, 1, .since = 13),
};
static const op_attr reduce_rows[] = {
    A_INTS("axes", reduce_attrs, axes, naxes, INT32_MIN, INT32_MAX, .until = 18),
    A_INT("keepdims", reduce_attrs, keepdims, 1, 0, 1),
    A_INT("noop_with_empty_axes", reduce_attrs, noop_with_empty_axes, 0, 0, 1, .since = 18),
};
static const op_attr arg_rows[] = {
    A_INT("axis", reduce_attrs, axis, 0, INT32_MIN, INT32_MAX),
    A_INT("keepdims", reduce_attrs, keepdims, 1, 0, 1),
    A_INT("select_last_index", reduce_attrs, select_last_index, 0, 0, 1, .since = 12),
};

#define REDUCE_NOTES                                                                          \
    "any axes (attribute, or constant input from version 13 / 18), keepdims, "               \
    "noop_with_empty_axes"

#define REDUCE(var, nm, rows, maxin, notes_, ...)                                             \
    const clnn_op_def var = {                                                                 \
        .name = nm,                                                                           \
        .min_in = 1, .max_in = maxin, .max_out = 1,                                           \
        .optional_in = 2u,                                                                    \
        OP_ATTRS(rows),                                                                       \
        .attr_size = sizeof(reduce_attrs),                                                    \
        .check = reduce_check,                                                                \
        .infer = reduce_infer,                                                                \
        .fold = reduce_fold,                                                                  \
        .layer = &clnn_layer_reduce,                                                          \
        .work = reduce_work,                                                                  \
        .notes = notes_,                                                                      \
        __VA_ARGS__}

REDUCE(clnn_op_reduce_sum, "ReduceSum", sum_rows, 2, REDUCE_NOTES "; INT64 shape values fold",
       .since = {1, 11, 13});
REDUCE(clnn_op_reduce_mean, "ReduceMean", reduce_rows, 2, REDUCE_NOTES, .since = {1, 11, 13, 18});
REDUCE(clnn_op_reduce_max, "ReduceMax", reduce_rows, 2,
       REDUCE_NOTES "; INT64 and BOOL shape values fold", .since = {1, 11, 12, 13, 18, 20});
REDUCE(clnn_op_reduce_min, "ReduceMin", reduce_rows, 2,
       REDUCE_NOTES "; INT64 and BOOL shape values fold", .since = {1, 11, 12, 13, 18, 20});
REDUCE(clnn_op_reduce_prod, "ReduceProd", reduce_rows, 2,
       REDUCE_NOTES "; INT64 shape values fold", .since = {1, 11, 13, 18});
REDUCE(clnn_op_reduce_l1, "ReduceL1", reduce_rows, 2, REDUCE_NOTES, .since = {1, 11, 13, 18});
REDUCE(clnn_op_reduce_l2, "ReduceL2", reduce_rows, 2, REDUCE_NOTES, .since = {1, 11, 13, 18});
REDUCE(clnn_op_reduce_sum_square, "ReduceSumSquare", reduce_rows, 2, REDUCE_NOTES,
       .since = {1, 11, 13, 18});
REDUCE(clnn_op_reduce_log_sum, "ReduceLogSum", reduce_rows, 2, REDUCE_NOTES,
       .since = {1, 11, 13, 18});
REDUCE(clnn_op_reduce_log_sum_exp, "ReduceLogSumExp", reduce_rows, 2,
       REDUCE_NOTES "; the maximum subtracted before exp", .since = {1, 11, 13, 18});
REDUCE(clnn_op_arg_max, "ArgMax", arg_rows, 1,
       "any axis, keepdims, select_last_index; INT64 indices held as exact floats on devices",
       .since = {1, 11, 12, 13});
REDUCE(clnn_op_arg_min, "ArgMin", arg_rows, 1, "as ArgMax", .since = {1, 11, 12, 13});

int clnn_reduce_mean_trailing(const clnn_graph *g, const gnode *n)
{
    if (n->op != OP_REDUCE_MEAN || n->ninputs < 1) return -1;
    const reduce_attrs *a = OP_A(n, reduce_attrs);
    const gtensor *x = op_in(g, n, 0);
    if (!x || a->noop || !a->keepdims || x->ndim < 1 || !a->mask) return -1;
    const unsigned all = (1u << x->ndim) - 1;
    int first = x->ndim;
    while (first > 0 && (a->mask >> (first - 1) & 1)) first--;
    return (a->mask & all) == (all & ~((1u << first) - 1)) ? first : -1;
}
