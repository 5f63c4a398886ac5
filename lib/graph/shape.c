/*
 * shape.c - graph validation and shape inference for a batch size. Nodes are kept in the
 * order they were added, which the builder makes topological (a node may only read tensors
 * that exist when it is added), so a cycle shows up as a dangling name at build time.
 *
 * Batch: the session's batch replaces dims[0] of every graph input, and a Reshape whose
 * target leads with the model's declared batch keeps the leading dimension as the batch.
 */
#include "graph.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(n, st, ...) node_fail(g, n, st, __VA_ARGS__)

static clnn_status node_fail(const clnn_graph *g, const gnode *n, clnn_status st,
                             const char *fmt, ...) CLNN_PRINTF(4, 5);

static clnn_status node_fail(const clnn_graph *g, const gnode *n, clnn_status st,
                             const char *fmt, ...)
{
    (void)g;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return clnn_fail(NULL, st, "node '%s' (%s): %s", n->name, clnn_op_name(n->op), msg);
}

static const gtensor *in_t(const clnn_graph *g, const gnode *n, int i)
{
    return i < n->ninputs && n->inputs[i] >= 0 ? &g->tensors[n->inputs[i]] : NULL;
}

static void set_out(clnn_graph *g, const gnode *n, const int64_t *dims, int ndim)
{
    gtensor *t = &g->tensors[n->outputs[0]];
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
}

static clnn_status need_rank(const clnn_graph *g, const gnode *n, const gtensor *t, int rank,
                             const char *what)
{
    char b[128];
    if (!t || t->ndim != rank)
        return FAIL(n, CLNN_STATUS_UNSUPPORTED, "%s '%s' has shape %s; clnn supports %d-D here",
                    what, t ? t->name : "?", t ? clnn_shape_str(t->dims, t->ndim, b, sizeof b) : "?",
                    rank);
    return CLNN_STATUS_OK;
}

static clnn_status need_const(const clnn_graph *g, const gnode *n, const gtensor *t,
                              const char *what)
{
    if (!t || !t->data)
        return FAIL(n, CLNN_STATUS_UNSUPPORTED,
                    "%s '%s' must be a constant (an initializer) of float type", what,
                    t ? t->name : "?");
    return CLNN_STATUS_OK;
}

/* SAME padding: total = max((ceil(in/s) - 1) * s + eff - in, 0), the odd one at the end
 * (SAME_UPPER) or the beginning (SAME_LOWER). */
static void same_pads(int in, int eff, int s, bool upper, int *begin, int *end)
{
    int out = (in + s - 1) / s;
    int total = (out - 1) * s + eff - in;
    if (total < 0) total = 0;
    *begin = upper ? total / 2 : total - total / 2;
    *end = total - *begin;
}

clnn_status clnn_node_conv_params(const clnn_graph *g, const gnode *n, clnn_conv_params *p)
{
    const gtensor *x = in_t(g, n, 0), *w = in_t(g, n, 1);
    memset(p, 0, sizeof *p);
    p->batch = (int)x->dims[0];
    p->in_channels = (int)x->dims[1];
    p->in_height = (int)x->dims[2];
    p->in_width = (int)x->dims[3];
    p->out_channels = (int)w->dims[0];
    p->kernel_h = (int)w->dims[2];
    p->kernel_w = (int)w->dims[3];
    p->stride_h = n->a.strides[0];
    p->stride_w = n->a.strides[1];
    p->dilation_h = n->a.dilations[0];
    p->dilation_w = n->a.dilations[1];
    p->groups = n->a.groups;
    p->pad_top = n->a.pads[0];
    p->pad_left = n->a.pads[1];
    p->pad_bottom = n->a.pads[2];
    p->pad_right = n->a.pads[3];
    p->has_bias = in_t(g, n, 2) != NULL;
    p->activation = n->fused.act;
    p->act_alpha = n->fused.act_a;
    p->act_beta = n->fused.act_b;
    p->residual = n->fused.residual >= 0 ? n->fused.residual_mode : CLNN_RESIDUAL_NONE;
    return CLNN_STATUS_OK;
}

clnn_status clnn_node_pool_params(const clnn_graph *g, const gnode *n, clnn_pool_params *p)
{
    const gtensor *x = in_t(g, n, 0);
    memset(p, 0, sizeof *p);
    p->kind = n->op == OP_MAX_POOL           ? CLNN_POOL_MAX
              : n->op == OP_AVERAGE_POOL     ? CLNN_POOL_AVERAGE
              : n->op == OP_GLOBAL_MAX_POOL ? CLNN_POOL_GLOBAL_MAX
                                             : CLNN_POOL_GLOBAL_AVERAGE;
    p->batch = (int)x->dims[0];
    p->channels = (int)x->dims[1];
    p->in_height = (int)x->dims[2];
    p->in_width = (int)x->dims[3];
    p->kernel_h = n->a.kernel[0];
    p->kernel_w = n->a.kernel[1];
    p->stride_h = n->a.strides[0];
    p->stride_w = n->a.strides[1];
    p->pad_top = n->a.pads[0];
    p->pad_left = n->a.pads[1];
    p->pad_bottom = n->a.pads[2];
    p->pad_right = n->a.pads[3];
    p->ceil_mode = n->a.ceil_mode;
    p->count_include_pad = n->a.count_include_pad;
    return CLNN_STATUS_OK;
}

static clnn_status infer_conv(clnn_graph *g, gnode *n)
{
    const gtensor *x = in_t(g, n, 0), *w = in_t(g, n, 1), *b = in_t(g, n, 2);
    clnn_status st = need_rank(g, n, x, 4, "input");
    if (st == CLNN_STATUS_OK) st = need_rank(g, n, w, 4, "weight");
    if (st == CLNN_STATUS_OK) st = need_const(g, n, w, "weight");
    if (st == CLNN_STATUS_OK && b) st = need_const(g, n, b, "bias");
    if (st != CLNN_STATUS_OK) return st;
    if (b && (b->ndim != 1 || b->dims[0] != w->dims[0]))
        return FAIL(n, CLNN_STATUS_INVALID_MODEL, "bias has %lld elements for %lld filters",
                    (long long)clnn_shape_count(b->dims, b->ndim), (long long)w->dims[0]);
    if (n->a.kernel[0] && (n->a.kernel[0] != w->dims[2] || n->a.kernel[1] != w->dims[3]))
        return FAIL(n, CLNN_STATUS_INVALID_MODEL, "kernel_shape %dx%d but the weight is %lldx%lld",
                    n->a.kernel[0], n->a.kernel[1], (long long)w->dims[2], (long long)w->dims[3]);
    if (x->dims[1] != w->dims[1] * n->a.groups)
        return FAIL(n, CLNN_STATUS_INVALID_MODEL,
                    "input has %lld channels but the weight expects %lld x %d groups",
                    (long long)x->dims[1], (long long)w->dims[1], n->a.groups);
    if (n->a.auto_pad_same_upper || n->a.auto_pad_same_lower)
        for (int d = 0; d < 2; d++) {
            int eff = n->a.dilations[d] * ((int)w->dims[2 + d] - 1) + 1;
            same_pads((int)x->dims[2 + d], eff, n->a.strides[d], n->a.auto_pad_same_upper,
                      &n->a.pads[d], &n->a.pads[2 + d]);
        }
    clnn_conv_params p;
    clnn_node_conv_params(g, n, &p);
    p.residual = CLNN_RESIDUAL_NONE;
    int P, Q;
    st = clnn_conv_output_size(&p, &P, &Q);
    if (st != CLNN_STATUS_OK) return FAIL(n, st, "%s", clnn_last_error());
    int64_t d[4] = {x->dims[0], w->dims[0], P, Q};
    set_out(g, n, d, 4);
    return CLNN_STATUS_OK;
}

static clnn_status infer_pool(clnn_graph *g, gnode *n)
{
    const gtensor *x = in_t(g, n, 0);
    clnn_status st = need_rank(g, n, x, 4, "input");
    if (st != CLNN_STATUS_OK) return st;
    if ((n->op == OP_MAX_POOL || n->op == OP_AVERAGE_POOL) &&
        (n->a.auto_pad_same_upper || n->a.auto_pad_same_lower))
        for (int d = 0; d < 2; d++)
            same_pads((int)x->dims[2 + d], n->a.kernel[d], n->a.strides[d],
                      n->a.auto_pad_same_upper, &n->a.pads[d], &n->a.pads[2 + d]);
    clnn_pool_params p;
    clnn_node_pool_params(g, n, &p);
    int P, Q;
    st = clnn_pool_output_size(&p, &P, &Q);
    if (st != CLNN_STATUS_OK) return FAIL(n, st, "%s", clnn_last_error());
    int64_t d[4] = {x->dims[0], x->dims[1], P, Q};
    set_out(g, n, d, 4);
    return CLNN_STATUS_OK;
}

static clnn_status infer_gemm(clnn_graph *g, gnode *n)
{
    const gtensor *a = in_t(g, n, 0), *b = in_t(g, n, 1), *c = in_t(g, n, 2);
    clnn_status st = need_rank(g, n, a, 2, "input A");
    if (st == CLNN_STATUS_OK) st = need_rank(g, n, b, 2, "input B");
    if (st != CLNN_STATUS_OK) return st;
    bool ta = n->op == OP_GEMM && n->a.trans_a, tb = n->op == OP_GEMM && n->a.trans_b;
    int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
    int64_t K2 = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
    if (K != K2)
        return FAIL(n, CLNN_STATUS_INVALID_MODEL, "inner dimensions differ: %lld and %lld",
                    (long long)K, (long long)K2);
    if (c) {
        st = need_const(g, n, c, "input C");
        if (st != CLNN_STATUS_OK) return st;
        /* C broadcasts to [M, N]: [N], [1, N], [M, N], [M, 1], scalars. */
        int64_t cm = c->ndim == 2 ? c->dims[0] : 1, cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
        if (c->ndim > 2 || (cm != 1 && cm != M) || (cn != 1 && cn != N))
            return FAIL(n, CLNN_STATUS_INVALID_MODEL, "input C does not broadcast to [%lld,%lld]",
                        (long long)M, (long long)N);
    }
    if (n->op == OP_GEMM && ta)
        return FAIL(n, CLNN_STATUS_UNSUPPORTED, "transA=1 is not supported");
    int64_t d[2] = {M, N};
    set_out(g, n, d, 2);
    return CLNN_STATUS_OK;
}

static clnn_status infer_broadcast(clnn_graph *g, gnode *n)
{
    const gtensor *a = in_t(g, n, 0), *b = in_t(g, n, 1);
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t d[CLNN_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char s1[128], s2[128];
            return FAIL(n, CLNN_STATUS_INVALID_MODEL, "shapes %s and %s do not broadcast",
                        clnn_shape_str(a->dims, a->ndim, s1, sizeof s1),
                        clnn_shape_str(b->dims, b->ndim, s2, sizeof s2));
        }
        d[i] = da == 1 ? db : da;
    }
    set_out(g, n, d, nd);
    return CLNN_STATUS_OK;
}

static int norm_axis(int axis, int ndim) { return axis < 0 ? axis + ndim : axis; }

static clnn_status infer_concat(clnn_graph *g, gnode *n)
{
    const gtensor *x0 = in_t(g, n, 0);
    int axis = norm_axis(n->a.axis, x0->ndim);
    if (axis < 0 || axis >= x0->ndim)
        return FAIL(n, CLNN_STATUS_INVALID_MODEL, "axis %d out of range for %d-D inputs",
                    n->a.axis, x0->ndim);
    int64_t d[CLNN_MAX_DIMS];
    memcpy(d, x0->dims, sizeof d);
    d[axis] = 0;
    for (int i = 0; i < n->ninputs; i++) {
        const gtensor *x = in_t(g, n, i);
        if (!x || x->ndim != x0->ndim)
            return FAIL(n, CLNN_STATUS_INVALID_MODEL, "input %d has another rank", i);
        for (int k = 0; k < x->ndim; k++)
            if (k != axis && x->dims[k] != x0->dims[k])
                return FAIL(n, CLNN_STATUS_INVALID_MODEL,
                            "input %d differs in dimension %d (%lld vs %lld)", i, k,
                            (long long)x->dims[k], (long long)x0->dims[k]);
        d[axis] += x->dims[axis];
    }
    n->a.axis = axis;
    set_out(g, n, d, x0->ndim);
    return CLNN_STATUS_OK;
}

static clnn_status infer_bn(clnn_graph *g, gnode *n)
{
    const gtensor *x = in_t(g, n, 0);
    if (x->ndim < 2) return FAIL(n, CLNN_STATUS_UNSUPPORTED, "input must have channels");
    for (int i = 1; i < 5; i++) {
        const gtensor *t = in_t(g, n, i);
        clnn_status st = need_const(g, n, t, "parameter");
        if (st != CLNN_STATUS_OK) return st;
        if (t->ndim != 1 || t->dims[0] != x->dims[1])
            return FAIL(n, CLNN_STATUS_INVALID_MODEL, "parameter '%s' must have %lld values",
                        t->name, (long long)x->dims[1]);
    }
    set_out(g, n, x->dims, x->ndim);
    return CLNN_STATUS_OK;
}

static clnn_status infer_reshape(clnn_graph *g, gnode *n, int batch, int64_t model_batch)
{
    const gtensor *x = in_t(g, n, 0), *s = in_t(g, n, 1);
    if (!s->idata || s->ndim != 1)
        return FAIL(n, CLNN_STATUS_UNSUPPORTED,
                    "the shape input '%s' must be a 1-D int64 constant", s->name);
    int nd = (int)s->dims[0];
    if (nd < 1 || nd > CLNN_MAX_DIMS)
        return FAIL(n, CLNN_STATUS_UNSUPPORTED, "target rank %d", nd);
    int64_t d[CLNN_MAX_DIMS], total = clnn_shape_count(x->dims, x->ndim), known = 1;
    int infer = -1;
    for (int i = 0; i < nd; i++) {
        int64_t v = s->idata[i];
        if (i == 0 && batch > 0 && v == model_batch && model_batch != batch) v = batch;
        if (v == 0 && !n->a.allowzero) {
            if (i >= x->ndim) return FAIL(n, CLNN_STATUS_INVALID_MODEL, "0 copies a missing dimension");
            v = x->dims[i];
        }
        if (v == -1) {
            if (infer >= 0) return FAIL(n, CLNN_STATUS_INVALID_MODEL, "two -1 dimensions");
            infer = i;
            v = 1;
        } else if (v < 0 || v > (1 << 30)) {
            return FAIL(n, CLNN_STATUS_INVALID_MODEL, "target dimension %lld", (long long)v);
        }
        d[i] = v;
        known *= v;
    }
    if (infer >= 0) {
        if (known == 0 || total % known)
            return FAIL(n, CLNN_STATUS_INVALID_MODEL, "cannot infer -1: %lld elements into %lld",
                        (long long)total, (long long)known);
        d[infer] = total / known;
        known = total;
    }
    if (known != total) {
        char s1[128], s2[128];
        return FAIL(n, CLNN_STATUS_INVALID_MODEL, "cannot reshape %s into %s",
                    clnn_shape_str(x->dims, x->ndim, s1, sizeof s1),
                    clnn_shape_str(d, nd, s2, sizeof s2));
    }
    set_out(g, n, d, nd);
    return CLNN_STATUS_OK;
}

/* Reads Clip's optional min/max inputs (opset >= 11), which must be constants. */
static clnn_status infer_clip(clnn_graph *g, gnode *n)
{
    for (int i = 1; i < n->ninputs; i++) {
        const gtensor *t = in_t(g, n, i);
        if (!t) continue;
        if (!t->data || clnn_shape_count(t->dims, t->ndim) != 1)
            return FAIL(n, CLNN_STATUS_UNSUPPORTED, "%s bound '%s' must be a scalar constant",
                        i == 1 ? "min" : "max", t->name);
        if (i == 1)
            n->a.clip_min = t->data[0], n->a.has_clip_min = true;
        else
            n->a.clip_max = t->data[0], n->a.has_clip_max = true;
    }
    if (!n->a.has_clip_min) n->a.clip_min = -INFINITY;
    if (!n->a.has_clip_max) n->a.clip_max = INFINITY;
    const gtensor *x = in_t(g, n, 0);
    set_out(g, n, x->dims, x->ndim);
    return CLNN_STATUS_OK;
}

/* The output of Identity/Dropout of a constant becomes a constant itself. */
static clnn_status copy_constant(clnn_graph *g, const gnode *n)
{
    const gtensor *x = in_t(g, n, 0);
    gtensor *o = &g->tensors[n->outputs[0]];
    size_t cnt = (size_t)clnn_shape_count(x->dims, x->ndim);
    size_t esize = x->data ? sizeof(float) : sizeof(int64_t);
    void *copy = malloc((cnt ? cnt : 1) * esize);
    if (!copy) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "constant copy");
    if (cnt) memcpy(copy, x->data ? (const void *)x->data : (const void *)x->idata, cnt * esize);
    free(o->data);
    free(o->idata);
    o->data = x->data ? copy : NULL;
    o->idata = x->data ? NULL : copy;
    set_out(g, n, x->dims, x->ndim);
    return CLNN_STATUS_OK;
}

static clnn_status infer_node(clnn_graph *g, gnode *n, int batch, int64_t model_batch)
{
    for (int i = 0; i < n->ninputs; i++) {
        const gtensor *t = in_t(g, n, i);
        if (t && t->ndim < 0)
            return FAIL(n, CLNN_STATUS_INVALID_MODEL, "input '%s' has no shape", t->name);
    }
    const gtensor *x = in_t(g, n, 0);
    switch (n->op) {
    case OP_CONV: return infer_conv(g, n);
    case OP_MAX_POOL:
    case OP_AVERAGE_POOL:
    case OP_GLOBAL_AVERAGE_POOL:
    case OP_GLOBAL_MAX_POOL: return infer_pool(g, n);
    case OP_GEMM:
    case OP_MATMUL: return infer_gemm(g, n);
    case OP_ADD:
    case OP_MUL: return infer_broadcast(g, n);
    case OP_CONCAT: return infer_concat(g, n);
    case OP_BATCH_NORM: return infer_bn(g, n);
    case OP_RESHAPE: return infer_reshape(g, n, batch, model_batch);
    case OP_CLIP: return infer_clip(g, n);
    case OP_LRN: {
        clnn_status st = need_rank(g, n, x, 4, "input");
        if (st != CLNN_STATUS_OK) return st;
        set_out(g, n, x->dims, x->ndim);
        return CLNN_STATUS_OK;
    }
    case OP_SOFTMAX: {
        int axis = norm_axis(n->a.axis, x->ndim);
        if (axis < 0 || axis >= x->ndim)
            return FAIL(n, CLNN_STATUS_INVALID_MODEL, "axis %d out of range", n->a.axis);
        n->a.axis = axis;
        set_out(g, n, x->dims, x->ndim);
        return CLNN_STATUS_OK;
    }
    case OP_FLATTEN: {
        int axis = norm_axis(n->a.axis, x->ndim);
        if (axis < 0 || axis > x->ndim)
            return FAIL(n, CLNN_STATUS_INVALID_MODEL, "axis %d out of range", n->a.axis);
        n->a.axis = axis;
        int64_t d[2] = {clnn_shape_count(x->dims, axis), clnn_shape_count(x->dims + axis, x->ndim - axis)};
        set_out(g, n, d, 2);
        return CLNN_STATUS_OK;
    }
    case OP_DROPOUT:
        if (n->noutputs == 2 && n->outputs[1] >= 0) {
            /* The mask is only meaningful in training; it must not be used. */
            g->tensors[n->outputs[1]].ndim = 0;
        }
        /* fall through */
    case OP_IDENTITY:
        /* Exporters route shared weights through Identity: the output is that constant. */
        if (x->data || x->idata) return copy_constant(g, n);
        set_out(g, n, x->dims, x->ndim);
        return CLNN_STATUS_OK;
    default:
        set_out(g, n, x->dims, x->ndim);
        return CLNN_STATUS_OK;
    }
}

clnn_status clnn_graph_infer(clnn_graph *g, int batch, int **order, int *norder)
{
    *order = NULL;
    *norder = 0;
    if (g->ninputs == 0)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "the graph has no inputs (a graph of constants only)");
    if (g->noutputs == 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "the graph has no outputs");
    /* The batch dimension: dims[0] of inputs declared free, and of inputs whose dims[0] is
     * the first input's (the model's batch). */
    for (int i = 0; i < g->ninputs; i++)
        if (g->tensors[g->inputs[i]].ndim == 0)
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "graph input '%s' is a scalar; clnn's graph inputs have a batch "
                             "dimension (clnn_graph_bind_input can make it a constant)",
                             g->tensors[g->inputs[i]].name);
    if (!g->model_batch) g->model_batch = g->tensors[g->inputs[0]].dims[0];
    int64_t model_batch = g->model_batch;
    for (int i = 0; i < g->ninputs; i++) {
        gtensor *t = &g->tensors[g->inputs[i]];
        if (batch > 0 && (t->batch_free || t->dims[0] == model_batch)) t->dims[0] = batch;
    }
    for (int i = 0; i < g->ntensors; i++)
        if (g->tensors[i].producer >= 0) g->tensors[i].ndim = -1;
    int *ord = malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *ord);
    if (!ord) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph order");
    int n = 0;
    for (int i = 0; i < g->nnodes; i++) {
        gnode *nd = &g->nodes[i];
        if (nd->removed) continue;
        clnn_status st = infer_node(g, nd, batch, model_batch);
        if (st == CLNN_STATUS_OK) {
            const gtensor *o = &g->tensors[nd->outputs[0]];
            if (clnn_shape_count(o->dims, o->ndim) > ((int64_t)1 << 31) || o->ndim < 0)
                st = FAIL(nd, CLNN_STATUS_INVALID_MODEL, "output has more than 2^31 elements");
        }
        if (st != CLNN_STATUS_OK) {
            free(ord);
            return st;
        }
        ord[n++] = i;
    }
    /* A Dropout mask may not be read by anyone. */
    for (int i = 0; i < g->nnodes; i++)
        for (int k = 0; k < g->nodes[i].ninputs; k++) {
            int t = g->nodes[i].inputs[k];
            if (t < 0) continue;
            int p = g->tensors[t].producer;
            if (p >= 0 && g->nodes[p].op == OP_DROPOUT && g->nodes[p].noutputs == 2 &&
                g->nodes[p].outputs[1] == t)
                return free(ord), clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                                            "node '%s' reads the training mask of Dropout '%s'",
                                            g->nodes[i].name, g->nodes[p].name);
        }
    for (int i = 0; i < g->noutputs; i++) {
        const gtensor *t = &g->tensors[g->outputs[i]];
        int p = t->producer;
        if (p >= 0 && g->nodes[p].op == OP_DROPOUT && g->nodes[p].noutputs == 2 &&
            g->nodes[p].outputs[1] == g->outputs[i]) {
            free(ord);
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "graph output '%s' is the training mask of Dropout '%s'", t->name,
                             g->nodes[p].name);
        }
        if (t->ndim < 0 || (t->producer < 0 && !t->is_input && !t->data)) {
            free(ord);
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "graph output '%s' is never computed",
                             t->name);
        }
    }
    *order = ord;
    *norder = n;
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_validate(const clnn_graph *graph, int batch)
{
    if (!graph) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "graph is NULL");
    clnn_graph *copy;
    clnn_status st = clnn_graph_clone(graph, &copy);
    if (st != CLNN_STATUS_OK) return st;
    int *order, n;
    st = clnn_graph_infer(copy, batch, &order, &n);
    free(order);
    clnn_graph_destroy(copy);
    return st;
}
