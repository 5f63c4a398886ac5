/*
 * shape.c - the execution order, type and shape inference through each operator's
 * definition, constant folding, and the helpers definitions use (op.h).
 *
 * Order: Kahn's algorithm over live nodes, always taking the ready node added first, so a
 * graph built in ONNX's order runs in that order and nodes passes append run as soon as
 * their inputs are ready.
 *
 * Batch: the session's batch replaces dims[0] of every graph input declared free and of
 * every input whose dims[0] is the first input's (the model's batch); operators that read
 * target shapes (Reshape) treat a leading model batch the same way.
 *
 * Folding: a node whose inputs are all known on the host (initializers, folded values, or
 * for Shape and Size only the input's shape) is computed on the host by its definition's
 * fold(), or for float operators its layer's C reference, and its outputs become
 * constants. Shape arithmetic (Shape, Gather, Concat, Cast... feeding Reshape or Resize) so
 * never reaches a device.
 */
#include "op.h"

#include "../ops/layer.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Folding computes at most this many elements per node on the host. */
#define FOLD_MAX_ELEMENTS ((int64_t)1 << 26)

/* ---- helpers for definitions ------------------------------------------------------------ */

const gtensor *op_in(const clnn_graph *g, const gnode *n, int i)
{
    return i >= 0 && i < n->ninputs && n->inputs[i] >= 0 ? &g->tensors[n->inputs[i]] : NULL;
}

gtensor *op_out(const clnn_graph *g, const gnode *n, int i)
{
    return i >= 0 && i < n->noutputs && n->outputs[i] >= 0 ? &g->tensors[n->outputs[i]] : NULL;
}

clnn_status op_fail(const gnode *n, clnn_status st, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return clnn_fail(NULL, st, "node '%s' (%s): %s", n->name, clnn_op_name(n->op), msg);
}

clnn_status op_set_out(clnn_graph *g, const gnode *n, int i, clnn_dtype dtype,
                       const int64_t *dims, int ndim)
{
    gtensor *t = op_out(g, n, i);
    if (!t) return CLNN_STATUS_OK; /* an unused optional output */
    if (ndim < 0 || ndim > CLNN_MAX_DIMS)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "output '%s' would have %d dimensions (clnn "
                       "supports at most %d)", t->name, ndim, CLNN_MAX_DIMS);
    int64_t count = 1;
    for (int k = 0; k < ndim; k++) {
        char b[160];
        if (dims[k] < 0)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "output '%s' would have shape %s",
                           t->name, clnn_shape_str(dims, ndim, b, sizeof b));
        if (!op_mul_ok(count, dims[k], &count) || count > ((int64_t)1 << 31))
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "output '%s' would have shape %s: 2^31 elements or more", t->name,
                           clnn_shape_str(dims, ndim, b, sizeof b));
    }
    t->dtype = dtype;
    t->ndim = ndim;
    if (ndim) memmove(t->dims, dims, (size_t)ndim * sizeof *dims);
    return CLNN_STATUS_OK;
}

clnn_status op_same_as(clnn_graph *g, const gnode *n, int i, int j)
{
    const gtensor *x = op_in(g, n, j);
    return op_set_out(g, n, i, x->dtype, x->dims, x->ndim);
}

clnn_status op_need_rank(const clnn_graph *g, const gnode *n, int i, int rank, const char *what)
{
    const gtensor *t = op_in(g, n, i);
    char b[160];
    if (!t || t->ndim != rank)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "%s '%s' has shape %s; clnn supports %d-D here",
                       what, t ? t->name : "?",
                       t ? clnn_shape_str(t->dims, t->ndim, b, sizeof b) : "?", rank);
    return CLNN_STATUS_OK;
}

clnn_status op_need_float(const clnn_graph *g, const gnode *n, int i)
{
    const gtensor *t = op_in(g, n, i);
    if (t && t->dtype != CLNN_DTYPE_FLOAT)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "input '%s' is %s; the operator runs on FLOAT tensors in clnn", t->name,
                       clnn_dtype_name(t->dtype));
    return CLNN_STATUS_OK;
}

clnn_status op_const_ints(const clnn_graph *g, const gnode *n, int i, const char *what,
                          int64_t *vals, int cap, int *count)
{
    const gtensor *t = op_in(g, n, i);
    *count = 0;
    if (!t) return op_fail(n, CLNN_STATUS_INVALID_MODEL, "input %d (%s) is missing", i, what);
    if (!t->idata)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "input '%s' (%s) must be an integer tensor known when the session is "
                       "created (an initializer, or computed from shapes and initializers)",
                       t->name, what);
    int64_t c = clnn_shape_count(t->dims, t->ndim);
    if (t->ndim > 1 || c > cap)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "input '%s' (%s) has %lld values (at most %d "
                       "in one dimension are supported)", t->name, what, (long long)c, cap);
    for (int64_t k = 0; k < c; k++) vals[k] = t->idata[k];
    *count = (int)c;
    return CLNN_STATUS_OK;
}

clnn_status op_const_floats(const clnn_graph *g, const gnode *n, int i, const char *what,
                            float *vals, int cap, int *count)
{
    const gtensor *t = op_in(g, n, i);
    *count = 0;
    if (!t) return op_fail(n, CLNN_STATUS_INVALID_MODEL, "input %d (%s) is missing", i, what);
    if (!t->data)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "input '%s' (%s) must be a float tensor known when the session is "
                       "created (an initializer, or computed from initializers)",
                       t->name, what);
    int64_t c = clnn_shape_count(t->dims, t->ndim);
    if (c > cap)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "input '%s' (%s) has %lld values (at most %d "
                       "are supported)", t->name, what, (long long)c, cap);
    for (int64_t k = 0; k < c; k++) vals[k] = t->data[k];
    *count = (int)c;
    return CLNN_STATUS_OK;
}

int op_norm_axis(int64_t axis, int rank)
{
    if (axis < -rank || axis >= rank) return -1;
    return (int)(axis < 0 ? axis + rank : axis);
}

bool op_broadcast(const int64_t *a, int na, const int64_t *b, int nb, int64_t *out, int *nd)
{
    int n = na > nb ? na : nb;
    int64_t r[CLNN_MAX_DIMS]; /* out may be a or b */
    for (int i = 0; i < n; i++) {
        int ia = i - (n - na), ib = i - (n - nb);
        int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da != db && da != 1 && db != 1) return false;
        r[i] = da == 1 ? db : da;
    }
    memcpy(out, r, (size_t)n * sizeof *r);
    *nd = n;
    return true;
}

node_work op_io_work(const clnn_graph *g, const gnode *n)
{
    node_work w = {0, 0, 1};
    double in_n = 0, out_n = 0;
    for (int i = 0; i < n->ninputs; i++) {
        const gtensor *t = op_in(g, n, i);
        if (t) in_n += (double)clnn_shape_count(t->dims, t->ndim);
    }
    for (int i = 0; i < n->noutputs; i++) {
        const gtensor *t = op_out(g, n, i);
        if (t) out_n += (double)clnn_shape_count(t->dims, t->ndim);
    }
    w.bytes = 4.0 * (in_n + out_n);
    w.flops = out_n;
    return w;
}

void *op_out_alloc(clnn_graph *g, const gnode *n, int i)
{
    gtensor *t = op_out(g, n, i);
    int64_t count = clnn_shape_count(t->dims, t->ndim);
    void *p = calloc((size_t)(count ? count : 1), op_host_esize(t));
    if (!p) {
        clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s': folding %lld values", n->name,
                  (long long)count);
        return NULL;
    }
    if (t->dtype == CLNN_DTYPE_FLOAT) {
        free(t->data);
        t->data = p;
    } else {
        free(t->idata);
        t->idata = p;
    }
    return p;
}

/* ---- order ------------------------------------------------------------------------------ */

/* A binary min-heap of node indices. */
typedef struct heap {
    int *v, n;
} heap;

static void heap_push(heap *h, int x)
{
    int i = h->n++;
    h->v[i] = x;
    while (i > 0 && h->v[(i - 1) / 2] > h->v[i]) {
        int p = (i - 1) / 2, t = h->v[p];
        h->v[p] = h->v[i];
        h->v[i] = t;
        i = p;
    }
}

static int heap_pop(heap *h)
{
    int top = h->v[0], i = 0;
    h->v[0] = h->v[--h->n];
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->v[l] < h->v[m]) m = l;
        if (r < h->n && h->v[r] < h->v[m]) m = r;
        if (m == i) break;
        int t = h->v[m];
        h->v[m] = h->v[i];
        h->v[i] = t;
        i = m;
    }
    return top;
}

/* The live node that computes tensor t, or -1. */
static int live_producer(const clnn_graph *g, int t)
{
    int p = g->tensors[t].producer;
    return p >= 0 && !g->nodes[p].removed && !g->tensors[t].is_input ? p : -1;
}

/* Topological order of the live nodes into ord (capacity nnodes); the count, or -1 when
 * some node waits on itself (a cycle: only passes could make one). */
static int topo_order(const clnn_graph *g, int *ord)
{
    const int nn = g->nnodes;
    int *pending = calloc((size_t)(nn ? nn : 1), sizeof *pending);
    int *start = calloc((size_t)nn + 1, sizeof *start);
    heap h = {malloc((size_t)(nn ? nn : 1) * sizeof(int)), 0};
    int *readers = NULL, count = 0;
    if (!pending || !start || !h.v) goto out;
    /* Edges producer -> reader, in CSR form by producer (a reader once per input slot). */
    size_t edges = 0;
    for (int i = 0; i < nn; i++) {
        const gnode *n = &g->nodes[i];
        if (n->removed) continue;
        for (int k = 0; k <= n->ninputs; k++) {
            int t = k < n->ninputs ? n->inputs[k] : n->fused.residual;
            int p = t >= 0 ? live_producer(g, t) : -1;
            if (p >= 0) start[p + 1]++, pending[i]++, edges++;
        }
    }
    for (int i = 0; i < nn; i++) start[i + 1] += start[i];
    readers = malloc((edges ? edges : 1) * sizeof *readers);
    int *fill = malloc((size_t)(nn ? nn : 1) * sizeof *fill);
    if (!readers || !fill) {
        free(fill);
        count = -2;
        goto out;
    }
    memcpy(fill, start, (size_t)nn * sizeof *fill);
    for (int i = 0; i < nn; i++) {
        const gnode *n = &g->nodes[i];
        if (n->removed) continue;
        for (int k = 0; k <= n->ninputs; k++) {
            int t = k < n->ninputs ? n->inputs[k] : n->fused.residual;
            int p = t >= 0 ? live_producer(g, t) : -1;
            if (p >= 0) readers[fill[p]++] = i;
        }
        if (pending[i] == 0) heap_push(&h, i);
    }
    free(fill);
    int live = 0;
    for (int i = 0; i < nn; i++) live += !g->nodes[i].removed;
    while (h.n) {
        int i = heap_pop(&h);
        ord[count++] = i;
        for (int e = start[i]; e < start[i + 1]; e++)
            if (--pending[readers[e]] == 0) heap_push(&h, readers[e]);
    }
    if (count != live) count = -1;
out:
    if (!pending || !start || !h.v) count = -2;
    free(pending), free(start), free(h.v), free(readers);
    return count;
}

/* ---- inference and folding ---------------------------------------------------------------- */

static bool foldable(const clnn_graph *g, const gnode *n, const clnn_op_def *def)
{
    if (def->flags & OPF_SHAPE_ONLY) return def->fold != NULL;
    if (n->fused.residual >= 0 || n->fused.act != CLNN_ACTIVATION_NONE) return false;
    for (int k = 0; k < n->ninputs; k++) {
        const gtensor *t = op_in(g, n, k);
        if (t && !clnn_tensor_is_const(t)) return false;
    }
    for (int k = 0; k < n->noutputs; k++) {
        const gtensor *t = op_out(g, n, k);
        if (t && clnn_shape_count(t->dims, t->ndim) > FOLD_MAX_ELEMENTS) return false;
    }
    if (def->fold) return true;
    /* Float operators fold through their layer's C reference. */
    if (!def->layer || !def->layer->reference || n->noutputs != 1) return false;
    return op_out(g, n, 0)->dtype == CLNN_DTYPE_FLOAT;
}

static clnn_status fold_node(clnn_graph *g, gnode *n, const clnn_op_def *def)
{
    clnn_status st;
    if (def->fold) {
        st = def->fold(g, n);
    } else {
        /* References may look at optional inputs past ninputs (NULL: absent). */
        const float **in = calloc((size_t)n->ninputs + 8, sizeof *in);
        float *out = in ? op_out_alloc(g, n, 0) : NULL;
        if (!in || !out) {
            free(in);
            return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s': folding", n->name);
        }
        for (int k = 0; k < n->ninputs; k++) {
            const gtensor *t = op_in(g, n, k);
            in[k] = t ? t->data : NULL;
        }
        st = def->layer->reference(g, n, (const float *const *)in, NULL, out);
        free(in);
    }
    if (st != CLNN_STATUS_OK) return st;
    for (int k = 0; k < n->noutputs; k++) {
        gtensor *t = op_out(g, n, k);
        if (!t) continue;
        if (!clnn_tensor_is_const(t) && !op_out_alloc(g, n, k))
            return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        t->producer = -1;
    }
    n->removed = true;
    return CLNN_STATUS_OK;
}

static clnn_status infer_node(clnn_graph *g, gnode *n, bool fold)
{
    const clnn_op_def *def = clnn_op_def_of(n->op);
    for (int i = 0; i < n->ninputs; i++) {
        const gtensor *t = op_in(g, n, i);
        if (t && t->ndim < 0)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "input '%s' has no shape", t->name);
    }
    for (int i = 0; i < n->noutputs; i++) {
        gtensor *t = op_out(g, n, i);
        if (t) t->dtype = CLNN_DTYPE_UNDEFINED, t->ndim = -1;
    }
    clnn_status st = def->infer(g, n);
    if (st != CLNN_STATUS_OK) return st;
    for (int i = 0; i < n->noutputs; i++) {
        const gtensor *t = op_out(g, n, i);
        if (t && (t->ndim < 0 || t->dtype == CLNN_DTYPE_UNDEFINED))
            return op_fail(n, CLNN_STATUS_INTERNAL, "output %d has no inferred shape", i);
    }
    if (fold && foldable(g, n, def)) return fold_node(g, n, def);
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_infer_fold(clnn_graph *g, int batch, bool fold, int **order, int *norder)
{
    *order = NULL;
    *norder = 0;
    if (g->ninputs == 0)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "the graph has no inputs (a graph of constants only)");
    if (g->noutputs == 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "the graph has no outputs");
    for (int i = 0; i < g->ninputs; i++)
        if (g->tensors[g->inputs[i]].ndim == 0)
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "graph input '%s' is a scalar; clnn's graph inputs have a batch "
                             "dimension (clnn_graph_bind_input can make it a constant)",
                             g->tensors[g->inputs[i]].name);
    /* The batch dimension: dims[0] of inputs declared free, and of inputs whose dims[0] is
     * the first input's (the model's batch). */
    if (!g->model_batch) g->model_batch = g->tensors[g->inputs[0]].dims[0];
    for (int i = 0; i < g->ninputs; i++) {
        gtensor *t = &g->tensors[g->inputs[i]];
        if (batch > 0 && (t->batch_free || t->dims[0] == g->model_batch)) t->dims[0] = batch;
    }
    g->batch = batch;
    for (int i = 0; i < g->ntensors; i++)
        if (live_producer(g, i) >= 0) g->tensors[i].ndim = -1;
    int *ord = malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *ord);
    if (!ord) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph order");
    int n = topo_order(g, ord);
    if (n < 0) {
        free(ord);
        return n == -2 ? clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph order")
                       : clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "the graph has a cycle");
    }
    int live = 0;
    for (int oi = 0; oi < n; oi++) {
        gnode *nd = &g->nodes[ord[oi]];
        clnn_status st = infer_node(g, nd, fold);
        if (st != CLNN_STATUS_OK) {
            free(ord);
            return st;
        }
        if (!nd->removed) ord[live++] = ord[oi];
    }
    for (int i = 0; i < g->noutputs; i++) {
        const gtensor *t = &g->tensors[g->outputs[i]];
        if (t->ndim < 0 || (live_producer(g, g->outputs[i]) < 0 && !t->is_input &&
                            !clnn_tensor_is_const(t))) {
            free(ord);
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "graph output '%s' is never computed",
                             t->name);
        }
    }
    *order = ord;
    *norder = live;
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_infer(clnn_graph *g, int batch, int **order, int *norder)
{
    return clnn_graph_infer_fold(g, batch, false, order, norder);
}

clnn_status clnn_graph_validate(const clnn_graph *graph, int batch)
{
    if (!graph) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "graph is NULL");
    clnn_compiled *c;
    clnn_status st = clnn_graph_compile(graph, batch, false, &c);
    clnn_compiled_destroy(c);
    return st;
}
