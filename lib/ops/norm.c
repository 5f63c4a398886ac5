/*
 * norm.c - LayerNormalization, InstanceNormalization and GroupNormalization
 * (kernels/layernorm.cl) with their plain C reference in double.
 *
 * All three normalise contiguous rows of the input viewed as [rows, L] (kernels/layernorm.cl)
 * with y = (x - mean) / sqrt(var + epsilon) * scale + bias, the population variance:
 *   LayerNormalization     rows: the positions before `axis`; L: the product of the
 *                          dimensions from it; scale and B broadcast (numpy, right-aligned)
 *                          to those dimensions, B optional (zero).
 *   InstanceNormalization  rows: (image, channel); L: the spatial size; scale, B per channel.
 *   GroupNormalization     rows: (image, group) of `num_groups`; L: C / num_groups channels
 *                          times the spatial size; scale, bias per group (version 18).
 * The parameters must be constants (initializers): prepare uploads them once.
 *
 * LayerNormalization's optional outputs Mean and InvStdDev (the row statistics with the
 * normalised dimensions kept as 1) are computed by nodes of their own: lowering gives each
 * one a LayerNormalization node whose `stat` field (no ONNX attribute) makes it write the
 * statistic of each row instead of Y, as device layers write one output.
 */
#include "layer_small.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct rownorm_attrs {
    int64_t axis;   /* LayerNormalization */
    float epsilon;
    int stash_type; /* LayerNormalization: 1 (float) only */
    int num_groups; /* GroupNormalization */
    int resolved;   /* LayerNormalization: axis in [0, rank) after inference */
    int stat;       /* 0: Y; 1: Mean; 2: InvStdDev (set by lowering, never parsed) */
} rownorm_attrs;

/* The [rows, L] view; parameters: one per element of a row (rmod 0) or one per row index
 * modulo rmod, np of each. */
typedef struct rn_view {
    size_t rows, L, np;
    int rmod;
} rn_view;

static void rn_view_of(const clnn_graph *g, const gnode *n, rn_view *v)
{
    const gtensor *x = clnn_node_input(g, n, 0);
    const rownorm_attrs *a = OP_A(n, rownorm_attrs);
    if (n->op == OP_LAYER_NORM) {
        v->rows = (size_t)clnn_shape_count(x->dims, a->resolved);
        v->L = (size_t)clnn_shape_count(x->dims + a->resolved, x->ndim - a->resolved);
        v->rmod = 0;
        v->np = v->L;
    } else {
        const size_t C = (size_t)x->dims[1];
        const size_t inner = (size_t)clnn_shape_count(x->dims + 2, x->ndim - 2);
        const size_t G = n->op == OP_GROUP_NORM ? (size_t)a->num_groups : C;
        v->rows = (size_t)x->dims[0] * G;
        v->L = C / G * inner;
        v->rmod = (int)G;
        v->np = G;
    }
}

/* Offset in a tensor of shape s (rank sr) broadcast right-aligned to shape t (rank tr >= sr)
 * of the element at flat index i of t. */
static size_t bcast_index(const int64_t *t, int tr, const int64_t *s, int sr, size_t i)
{
    size_t off = 0, sstride = 1;
    for (int k = 1; k <= tr; k++) {
        const size_t td = (size_t)t[tr - k], c = i % td;
        i /= td;
        if (k > sr) continue;
        const size_t sd = (size_t)s[sr - k];
        if (sd != 1) off += c * sstride;
        sstride *= sd;
    }
    return off;
}

/* scale[np] then bias[np] (zeros for an absent LayerNormalization B), malloc'ed. */
static float *rn_params(const clnn_graph *g, const gnode *n, const rn_view *v)
{
    float *p = malloc(2 * (v->np ? v->np : 1) * sizeof *p);
    if (!p) return NULL;
    const gtensor *x = clnn_node_input(g, n, 0);
    for (int k = 0; k < 2; k++) {
        const gtensor *t = clnn_node_input(g, n, 1 + k);
        float *d = p + (size_t)k * v->np;
        if (!t) {
            memset(d, 0, v->np * sizeof *d);
        } else if (n->op == OP_LAYER_NORM) {
            const int a = OP_A(n, rownorm_attrs)->resolved;
            for (size_t i = 0; i < v->np; i++)
                d[i] = t->data[bcast_index(x->dims + a, x->ndim - a, t->dims, t->ndim, i)];
        } else {
            memcpy(d, t->data, v->np * sizeof *d);
        }
    }
    return p;
}

/* ---- the layer ------------------------------------------------------------------------ */

/* Work-items per row: a power of two, fewer for short rows (most would idle), at most the
 * device's work-group size. */
#define RN_WG_CPU 16
#define RN_WG_GPU 256

typedef struct rn_state {
    clnn_context *ctx;
    char *node;
    const char *op;
    cl_kernel k;
    rn_view v;
    int stat;
    float eps;
    size_t wg, in_count, out_count;
    clnn_buffer params;
    char desc[80];
} rn_state;

static void rn_destroy(void *state)
{
    rn_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    clnn_buffer_release(&s->params);
    free(s->node);
    free(s);
}

static size_t rn_wg(const clnn_device *dev, size_t L)
{
    size_t wg = RN_WG_CPU;
    if (dev->info.type == CLNN_DEVICE_TYPE_GPU)
        wg = L >= 2048 ? RN_WG_GPU : L >= 256 ? 128 : L >= 64 ? 64 : 32;
    while (wg > 1 && (wg > dev->info.max_work_group_size || wg > dev->info.max_work_item_sizes[0]))
        wg /= 2;
    return wg;
}

static clnn_status rn_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                              const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    const gtensor *x = clnn_node_input(g, n, 0);
    const size_t count = clnn_tensor_count(x);
    clnn_status st = small_count_ok(ctx, n->name, op, count);
    if (st != CLNN_STATUS_OK) return st;
    if (count == 0)
        return clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED, "node '%s' (%s): empty input", n->name,
                         op);
    for (int i = 1; i <= 2; i++) {
        const gtensor *t = clnn_node_input(g, n, i);
        if (t && !t->data)
            return clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED,
                             "node '%s' (%s): input %d must be a float constant", n->name, op, i);
    }
    rn_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->op = op;
    rn_view_of(g, n, &s->v);
    s->stat = OP_A(n, rownorm_attrs)->stat;
    s->eps = OP_A(n, rownorm_attrs)->epsilon;
    s->in_count = count;
    s->out_count = s->stat ? s->v.rows : count;
    s->wg = rn_wg(dev, s->v.L);
    float *p = rn_params(g, n, &s->v);
    if (!p) {
        rn_destroy(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    st = clnn_buffer_upload(ctx, dev, &s->params, p, 2 * s->v.np * sizeof *p,
                            "normalization parameters");
    free(p);
    char opts[64];
    snprintf(opts, sizeof opts, "-DWG=%zu -DSTAT=%d -DLOOP_SYNC=%d", s->wg, s->stat,
             dev->info.type != CLNN_DEVICE_TYPE_GPU);
    if (st == CLNN_STATUS_OK) st = clnn_kernel_create(ctx, dev, "layernorm", opts, "rownorm", &s->k);
    if (st != CLNN_STATUS_OK) {
        rn_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    snprintf(s->desc, sizeof s->desc, "%zu rows of %zu, %zu items each%s", s->v.rows, s->v.L,
             s->wg, s->stat == 1 ? ", mean" : s->stat == 2 ? ", inverse deviation" : "");
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status rn_enqueue(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                              const cl_event *w, cl_event *done)
{
    rn_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], s->in_count, "input");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->out, s->out_count, "output");
    if (st != CLNN_STATUS_OK) return st;
    const int L = (int)s->v.L, rmod = s->v.rmod, np = (int)s->v.np;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out), CLNN_ARG(s->params.mem),
                       CLNN_ARG(L),         CLNN_ARG(rmod),    CLNN_ARG(np),
                       CLNN_ARG(s->eps)};
    st = clnn_set_args(s->ctx, s->k, "rownorm", args, CLNN_ARRAY_LEN(args));
    const size_t global = s->v.rows * s->wg;
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "rownorm", 1, &global, &s->wg, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

/* Two passes in double: the mean, then the mean squared deviation. */
static clnn_status rn_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                const float *residual, float *out)
{
    (void)residual;
    rn_view v;
    rn_view_of(g, n, &v);
    const rownorm_attrs *a = OP_A(n, rownorm_attrs);
    float *p = rn_params(g, n, &v);
    if (!p) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s'", n->name);
    for (size_t r = 0; r < v.rows; r++) {
        const float *x = in[0] + r * v.L;
        double sum = 0.0, sq = 0.0;
        for (size_t l = 0; l < v.L; l++) sum += x[l];
        const double mean = v.L ? sum / (double)v.L : NAN;
        for (size_t l = 0; l < v.L; l++) sq += (x[l] - mean) * (x[l] - mean);
        const double inv = 1.0 / sqrt((v.L ? sq / (double)v.L : NAN) + (double)a->epsilon);
        if (a->stat) {
            out[r] = (float)(a->stat == 1 ? mean : inv);
            continue;
        }
        for (size_t l = 0; l < v.L; l++) {
            const size_t k = v.rmod ? r % (size_t)v.rmod : l;
            out[r * v.L + l] = (float)((x[l] - mean) * inv * p[k] + p[v.np + k]);
        }
    }
    free(p);
    return CLNN_STATUS_OK;
}

static const char *rn_describe(const void *state) { return ((const rn_state *)state)->desc; }

static const clnn_layer_impl rownorm_layer = {
    .name = "rownorm",
    .host_inputs = 0x6u, /* scale, bias: uploaded by prepare */
    .prepare = rn_prepare,
    .enqueue = rn_enqueue,
    .reference = rn_reference,
    .destroy = rn_destroy,
    .describe = rn_describe,
};

/* ---- definitions -------------------------------------------------------------------------- */

static clnn_status rn_check(gnode *n)
{
    const rownorm_attrs *a = OP_A(n, rownorm_attrs);
    if (!(a->epsilon >= 0))
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "attribute 'epsilon' must be >= 0");
    if (n->op == OP_LAYER_NORM && a->stash_type != 1)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "stash_type %d; clnn computes the statistics in float (stash_type 1)",
                       a->stash_type);
    return CLNN_STATUS_OK;
}

/* Input i is a float constant of shape [count] (what: its role). */
static clnn_status rn_need_vector(const clnn_graph *g, const gnode *n, int i, int64_t count,
                                  const char *what)
{
    const gtensor *t = op_in(g, n, i);
    if (!t->data)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "%s '%s' must be a float constant (an initializer)", what, t->name);
    if (t->ndim != 1 || t->dims[0] != count)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%s '%s' must have %lld values", what,
                       t->name, (long long)count);
    return CLNN_STATUS_OK;
}

static clnn_status channel_norm_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    clnn_status st = op_need_float(g, n, 0);
    if (st != CLNN_STATUS_OK) return st;
    if (x->ndim < 2)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "input of rank %d has no channels",
                       x->ndim);
    int64_t np = x->dims[1];
    if (n->op == OP_GROUP_NORM) {
        const int G = OP_A(n, rownorm_attrs)->num_groups;
        if (x->dims[1] % G)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "%lld channels do not divide into num_groups %d groups",
                           (long long)x->dims[1], G);
        np = G;
    }
    const char *what = n->op == OP_GROUP_NORM ? "per-group parameter" : "per-channel parameter";
    st = rn_need_vector(g, n, 1, np, what);
    if (st == CLNN_STATUS_OK) st = rn_need_vector(g, n, 2, np, what);
    return st == CLNN_STATUS_OK ? op_same_as(g, n, 0, 0) : st;
}

static clnn_status layer_norm_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    rownorm_attrs *a = n->attrs;
    clnn_status st = op_need_float(g, n, 0);
    if (st != CLNN_STATUS_OK) return st;
    a->resolved = op_norm_axis(a->axis, x->ndim);
    if (x->ndim < 1 || a->resolved < 0)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range for %d-D input",
                       (long long)a->axis, x->ndim);
    const int ax = a->resolved, nr = x->ndim - ax;
    for (int i = 1; i <= 2; i++) {
        const gtensor *t = op_in(g, n, i);
        if (!t) continue;
        const char *what = i == 1 ? "Scale" : "B";
        if (!t->data)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "%s '%s' must be a float constant (an initializer)", what, t->name);
        bool ok = t->ndim <= nr;
        for (int k = 1; ok && k <= t->ndim; k++)
            ok = t->dims[t->ndim - k] == 1 || t->dims[t->ndim - k] == x->dims[x->ndim - k];
        if (!ok) {
            char b1[96], b2[96];
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "%s '%s' of shape %s does not broadcast to the normalised shape %s",
                           what, t->name, clnn_shape_str(t->dims, t->ndim, b1, sizeof b1),
                           clnn_shape_str(x->dims + ax, nr, b2, sizeof b2));
        }
    }
    int64_t sdims[CLNN_MAX_DIMS];
    memcpy(sdims, x->dims, (size_t)x->ndim * sizeof *sdims);
    for (int k = ax; k < x->ndim; k++) sdims[k] = 1;
    if (a->stat) return op_set_out(g, n, 0, CLNN_DTYPE_FLOAT, sdims, x->ndim);
    st = op_same_as(g, n, 0, 0);
    for (int k = 1; k < 3 && st == CLNN_STATUS_OK; k++)
        if (op_out(g, n, k)) st = op_set_out(g, n, k, CLNN_DTYPE_FLOAT, sdims, x->ndim);
    return st;
}

/* Mean and InvStdDev: a node each (the layer writes one output), Y's node keeps Y only. */
static clnn_status layer_norm_lower(clnn_graph *g, int node)
{
    static const char *const suffix[3] = {"", "#Mean", "#InvStdDev"};
    for (int k = 1; k < 3; k++) {
        gnode *n = &g->nodes[node];
        if (k >= n->noutputs || n->outputs[k] < 0) continue;
        rownorm_attrs a = *OP_A(n, rownorm_attrs);
        a.stat = k;
        char name[600];
        snprintf(name, sizeof name, "%.500s%s", n->name, suffix[k]);
        const int out = n->outputs[k];
        int ins[3];
        memcpy(ins, n->inputs, (size_t)n->ninputs * sizeof *ins);
        if (clnn_graph_append_node(g, OP_LAYER_NORM, n->version, name, ins, n->ninputs, &out, 1,
                                   &a) < 0)
            return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        g->nodes[node].outputs[k] = -1; /* the array may have moved */
    }
    gnode *n = &g->nodes[node];
    n->noutputs = 1;
    if (n->outputs[0] < 0) n->removed = true;
    return CLNN_STATUS_OK;
}

/* Three reads of the input (mean, deviation, output) and a write. */
static node_work rn_work(const clnn_graph *g, const gnode *n)
{
    node_work w = op_io_work(g, n);
    const double count = (double)clnn_tensor_count(op_in(g, n, 0));
    w.flops = 6 * count;
    w.bytes += 2 * count * sizeof(float);
    return w;
}

static const op_attr layer_norm_rows[] = {
    A_INT("axis", rownorm_attrs, axis, -1, -CLNN_MAX_DIMS, CLNN_MAX_DIMS - 1),
    A_FLOAT("epsilon", rownorm_attrs, epsilon, 1e-5),
    A_INT("stash_type", rownorm_attrs, stash_type, 1, INT_MIN, INT_MAX),
};

const clnn_op_def clnn_op_layer_norm = {
    .name = "LayerNormalization",
    .since = {17},
    .min_in = 2, .max_in = 3, .max_out = 3,
    .optional_in = 4u,
    OP_ATTRS(layer_norm_rows),
    .attr_size = sizeof(rownorm_attrs),
    .check = rn_check,
    .infer = layer_norm_infer,
    .layer = &rownorm_layer,
    .work = rn_work,
    .lower = layer_norm_lower,
    .notes = "any axis; Scale and B constants broadcast to the normalised shape; Mean and "
             "InvStdDev outputs; stash_type 1",
};

static const op_attr instance_norm_rows[] = {
    A_FLOAT("epsilon", rownorm_attrs, epsilon, 1e-5),
    A_IGNORE("consumed_inputs", .until = 6),
};

const clnn_op_def clnn_op_instance_norm = {
    .name = "InstanceNormalization",
    .since = {1, 6},
    .min_in = 3, .max_in = 3, .max_out = 1,
    OP_ATTRS(instance_norm_rows),
    .attr_size = sizeof(rownorm_attrs),
    .check = rn_check,
    .infer = channel_norm_infer,
    .layer = &rownorm_layer,
    .work = rn_work,
    .notes = "any rank >= 2; scale and B constants",
};

static const op_attr group_norm_rows[] = {
    A_FLOAT("epsilon", rownorm_attrs, epsilon, 1e-5),
    A_INT("num_groups", rownorm_attrs, num_groups, 0, 1, INT_MAX, .required = true),
};

/* Version 21 (per-channel scale and bias) lies beyond CLNN_OPSET_MAX: such models are
 * refused by their opset. */
const clnn_op_def clnn_op_group_norm = {
    .name = "GroupNormalization",
    .since = {18},
    .min_in = 3, .max_in = 3, .max_out = 1,
    OP_ATTRS(group_norm_rows),
    .attr_size = sizeof(rownorm_attrs),
    .check = rn_check,
    .infer = channel_norm_infer,
    .layer = &rownorm_layer,
    .work = rn_work,
    .notes = "version 18 (scale and bias per group, constants); not version 21",
};

int clnn_layer_norm_append(clnn_graph *g, const char *name, int x, int scale, int bias, int y,
                           int axis, float epsilon)
{
    rownorm_attrs a = {.axis = axis, .epsilon = epsilon, .stash_type = 1};
    const int ins[3] = {x, scale, bias};
    return clnn_graph_append_node(g, OP_LAYER_NORM, 17, name, ins, bias >= 0 ? 3 : 2, &y, 1, &a);
}
