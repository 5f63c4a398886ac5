/*
 * compile.c - a graph compiled once for a session's batch, shared by the scheduler and every
 * device instance: a private copy, inference with constant folding, nodes whose results
 * nobody reads dropped, the passes, inference again, and the checks that what is left can
 * run on a device (float tensors, operators with a device layer or views).
 */
#include "op.h"

#include "../ops/layer.h"

#include <stdlib.h>
#include <string.h>

/* Removes live nodes none of whose outputs is read by a live node or is a graph output. */
static clnn_status drop_dead(clnn_graph *g, const int *order, int n)
{
    int *readers = calloc((size_t)(g->ntensors ? g->ntensors : 1), sizeof *readers);
    if (!readers) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph");
    for (int oi = 0; oi < n; oi++) {
        const gnode *nd = &g->nodes[order[oi]];
        for (int k = 0; k < nd->ninputs; k++)
            if (nd->inputs[k] >= 0) readers[nd->inputs[k]]++;
        if (nd->fused.residual >= 0) readers[nd->fused.residual]++;
    }
    for (int i = 0; i < g->noutputs; i++) readers[g->outputs[i]]++;
    for (int oi = n - 1; oi >= 0; oi--) {
        gnode *nd = &g->nodes[order[oi]];
        bool used = false;
        for (int k = 0; k < nd->noutputs && !used; k++)
            used = nd->outputs[k] >= 0 && readers[nd->outputs[k]] > 0;
        if (used) continue;
        nd->removed = true;
        for (int k = 0; k < nd->ninputs; k++)
            if (nd->inputs[k] >= 0) readers[nd->inputs[k]]--;
        if (nd->fused.residual >= 0) readers[nd->fused.residual]--;
    }
    free(readers);
    return CLNN_STATUS_OK;
}

/* What remains must run on a device: operators with a layer (or views of their input) on
 * float tensors, integer tensors only where an operator just moves values, BOOL ones where
 * it reads them as 0 / 1. */
static clnn_status check_runnable(const clnn_graph *g, const int *order, int n)
{
    for (int oi = 0; oi < n; oi++) {
        const gnode *nd = &g->nodes[order[oi]];
        const clnn_op_def *def = clnn_op_def_of(nd->op);
        if (!def->layer && !(def->flags & OPF_VIEW))
            return op_fail(nd, CLNN_STATUS_UNSUPPORTED,
                           "clnn computes this operator on the host only, while the session "
                           "is created, so its inputs must be known then (initializers, or "
                           "values computed from shapes and initializers)");
        for (int k = 0; k < nd->ninputs; k++) {
            const gtensor *t = op_in(g, nd, k);
            if (!t || clnn_tensor_is_const(t) || t->dtype == CLNN_DTYPE_FLOAT) continue;
            if (t->dtype == CLNN_DTYPE_BOOL && (def->flags & OPF_BOOL_IN)) continue;
            if (!(def->flags & OPF_ANY_TYPE))
                return op_fail(nd, CLNN_STATUS_UNSUPPORTED,
                               "input '%s' is a %s tensor computed while the network runs; "
                               "clnn computes such tensors on the host only",
                               t->name, clnn_dtype_name(t->dtype));
        }
        for (int k = 0; k < nd->noutputs; k++) {
            const gtensor *t = op_out(g, nd, k);
            if (t && clnn_shape_count(t->dims, t->ndim) == 0)
                return op_fail(nd, CLNN_STATUS_UNSUPPORTED,
                               "output '%s' is empty (a dimension of 0); clnn runs only "
                               "non-empty tensors on devices",
                               t->name);
        }
    }
    return CLNN_STATUS_OK;
}

void clnn_compiled_destroy(clnn_compiled *c)
{
    if (!c) return;
    clnn_graph_destroy(c->g);
    free(c->order);
    free(c);
}

clnn_status clnn_graph_compile(const clnn_graph *graph, int batch, bool fuse,
                               clnn_compiled **out)
{
    *out = NULL;
    for (int i = 0; i < graph->ninputs; i++) {
        const gtensor *x = &graph->tensors[graph->inputs[i]];
        if (x->dtype != CLNN_DTYPE_FLOAT)
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "graph input '%s' holds %s values: sessions take float32 inputs; "
                             "give its value first with clnn_graph_bind_input_int64",
                             x->name, clnn_dtype_name(x->dtype));
    }
    clnn_compiled *c = calloc(1, sizeof *c);
    if (!c) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph compilation");
    clnn_status st = clnn_graph_clone(graph, &c->g);
    if (st == CLNN_STATUS_OK) st = clnn_graph_infer_fold(c->g, batch, true, &c->order, &c->norder);
    if (st == CLNN_STATUS_OK) st = drop_dead(c->g, c->order, c->norder);
    if (st == CLNN_STATUS_OK) st = clnn_graph_optimize(c->g, fuse);
    if (st == CLNN_STATUS_OK) {
        free(c->order);
        c->order = NULL;
        st = clnn_graph_infer_fold(c->g, batch, true, &c->order, &c->norder);
    }
    if (st == CLNN_STATUS_OK) st = drop_dead(c->g, c->order, c->norder);
    if (st == CLNN_STATUS_OK) {
        int live = 0;
        for (int i = 0; i < c->norder; i++)
            if (!c->g->nodes[c->order[i]].removed) c->order[live++] = c->order[i];
        c->norder = live;
        st = check_runnable(c->g, c->order, c->norder);
    }
    if (st != CLNN_STATUS_OK) {
        clnn_compiled_destroy(c);
        return st;
    }
    c->batch = (int)c->g->tensors[c->g->inputs[0]].dims[0];
    *out = c;
    return CLNN_STATUS_OK;
}
