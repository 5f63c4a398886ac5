/*
 * passes.c - graph rewrites before a session runs a graph, on the session's own copy:
 *   1. Identity and Dropout are removed (readers read their input).
 *   2. BatchNormalization after a Conv is folded into the Conv's weights and bias.
 *   3. Activations (Relu, Clip, LeakyRelu, Sigmoid) after a Conv or Gemm/MatMul, and a
 *      residual Add after a Conv, move into the producer's epilogue.
 * Shapes must be inferred before; the caller infers again afterwards.
 */
#include "graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How many live nodes read tensor t, and whether it is a graph output. */
static int consumers(const clnn_graph *g, int t, int *only)
{
    int n = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const gnode *nd = &g->nodes[i];
        if (nd->removed) continue;
        for (int k = 0; k < nd->ninputs; k++)
            if (nd->inputs[k] == t) {
                n++;
                if (only) *only = i;
            }
        if (nd->fused.residual == t) {
            n++;
            if (only) *only = i;
        }
    }
    return n;
}

static bool is_output(const clnn_graph *g, int t)
{
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i] == t) return true;
    return false;
}

/* Every reader of `from` reads `to` instead (graph outputs too). */
static void rewire(clnn_graph *g, int from, int to)
{
    for (int i = 0; i < g->nnodes; i++) {
        gnode *nd = &g->nodes[i];
        if (nd->removed) continue;
        for (int k = 0; k < nd->ninputs; k++)
            if (nd->inputs[k] == from) nd->inputs[k] = to;
        if (nd->fused.residual == from) nd->fused.residual = to;
    }
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i] == from) g->outputs[i] = to;
}

static int remove_views(clnn_graph *g)
{
    int changed = 0;
    for (int i = 0; i < g->nnodes; i++) {
        gnode *n = &g->nodes[i];
        if (n->removed || (n->op != OP_IDENTITY && n->op != OP_DROPOUT)) continue;
        n->removed = true;
        rewire(g, n->outputs[0], n->inputs[0]);
        changed++;
    }
    return changed;
}

/* Copies constant t into a new tensor owned by one node (when others share it). */
static int private_copy(clnn_graph *g, int t, const char *suffix)
{
    const gtensor *src = &g->tensors[t];
    char name[512];
    snprintf(name, sizeof name, "%.400s#%s%d", src->name, suffix, g->ntensors);
    int64_t dims[CLNN_MAX_DIMS];
    int nd = src->ndim;
    memcpy(dims, src->dims, sizeof dims);
    const float *data = src->data;
    if (clnn_graph_add_constant(g, name, dims, (size_t)nd, data) != CLNN_STATUS_OK) return -1;
    return g->ntensors - 1;
}

static int fold_batch_norm(clnn_graph *g)
{
    int changed = 0;
    for (int i = 0; i < g->nnodes; i++) {
        gnode *c = &g->nodes[i];
        if (c->removed || c->op != OP_CONV || c->fused.act || c->fused.residual >= 0) continue;
        int bi = -1, t = c->outputs[0];
        if (consumers(g, t, &bi) != 1 || is_output(g, t)) continue;
        gnode *b = &g->nodes[bi];
        if (b->op != OP_BATCH_NORM || b->inputs[0] != t) continue;
        const gtensor *sc = &g->tensors[b->inputs[1]], *sh = &g->tensors[b->inputs[2]];
        const gtensor *mu = &g->tensors[b->inputs[3]], *var = &g->tensors[b->inputs[4]];
        if (!sc->data || !sh->data || !mu->data || !var->data) continue;
        int w = c->inputs[1];
        if (consumers(g, w, NULL) > 1 && (w = private_copy(g, w, "bnw")) < 0) return -1;
        c = &g->nodes[i];
        b = &g->nodes[bi];
        int K = (int)g->tensors[w].dims[0];
        int64_t per = clnn_shape_count(g->tensors[w].dims, g->tensors[w].ndim) / K;
        int bias = c->ninputs > 2 ? c->inputs[2] : -1;
        if (bias >= 0 && consumers(g, bias, NULL) > 1 && (bias = private_copy(g, bias, "bnb")) < 0)
            return -1;
        if (bias < 0) {
            char name[512];
            snprintf(name, sizeof name, "%.400s#bias", c->name);
            float *zeros = calloc((size_t)K, sizeof *zeros);
            int64_t d = K;
            if (!zeros || clnn_graph_add_constant(g, name, &d, 1, zeros) != CLNN_STATUS_OK) {
                free(zeros);
                return -1;
            }
            free(zeros);
            bias = g->ntensors - 1;
            c = &g->nodes[i];
            b = &g->nodes[bi];
        }
        /* The tensors array may have moved: take the pointers again. */
        sc = &g->tensors[b->inputs[1]], sh = &g->tensors[b->inputs[2]];
        mu = &g->tensors[b->inputs[3]], var = &g->tensors[b->inputs[4]];
        float *wd = g->tensors[w].data, *bd = g->tensors[bias].data;
        for (int k = 0; k < K; k++) {
            double s = sc->data[k] / sqrt((double)var->data[k] + b->a.epsilon);
            for (int64_t j = 0; j < per; j++) wd[k * per + j] = (float)(wd[k * per + j] * s);
            bd[k] = (float)((bd[k] - mu->data[k]) * s + sh->data[k]);
        }
        c->inputs[1] = w;
        c->inputs[2] = bias;
        c->ninputs = 3;
        c->outputs[0] = b->outputs[0];
        g->tensors[c->outputs[0]].producer = i;
        b->removed = true;
        changed++;
    }
    return changed;
}

static void add_label(gnode *n, const char *what)
{
    size_t len = strlen(n->fused.label);
    if (len == 0) len = (size_t)snprintf(n->fused.label, sizeof n->fused.label, "%s", clnn_op_name(n->op));
    snprintf(n->fused.label + len, sizeof n->fused.label - len, "+%s", what);
}

/* Conv/Gemm -> activation. */
static int fuse_activation(clnn_graph *g, int i)
{
    gnode *c = &g->nodes[i];
    if (c->fused.act != CLNN_ACTIVATION_NONE) return 0;
    int ai = -1, t = c->outputs[0];
    if (consumers(g, t, &ai) != 1 || is_output(g, t)) return 0;
    gnode *a = &g->nodes[ai];
    if (a->inputs[0] != t) return 0;
    switch (a->op) {
    case OP_RELU: c->fused.act = CLNN_ACTIVATION_RELU; break;
    case OP_CLIP:
        c->fused.act = CLNN_ACTIVATION_CLIP;
        c->fused.act_a = a->a.clip_min;
        c->fused.act_b = a->a.clip_max;
        break;
    case OP_LEAKY_RELU:
        c->fused.act = CLNN_ACTIVATION_LEAKY_RELU;
        c->fused.act_a = a->a.alpha;
        break;
    case OP_SIGMOID: c->fused.act = CLNN_ACTIVATION_SIGMOID; break;
    default: return 0;
    }
    add_label(c, clnn_op_name(a->op));
    c->outputs[0] = a->outputs[0];
    g->tensors[c->outputs[0]].producer = i;
    a->removed = true;
    return 1;
}

/* Conv -> Add(other): the Conv reads `other` as its residual, provided `other` is computed
 * before the Conv runs (its producer comes earlier in node order) and has the same shape. */
static int fuse_residual(clnn_graph *g, int i)
{
    gnode *c = &g->nodes[i];
    if (c->op != OP_CONV || c->fused.residual >= 0) return 0;
    int ai = -1, t = c->outputs[0];
    if (consumers(g, t, &ai) != 1 || is_output(g, t)) return 0;
    gnode *a = &g->nodes[ai];
    if (a->op != OP_ADD || a->inputs[0] == a->inputs[1]) return 0;
    int other = a->inputs[0] == t ? a->inputs[1] : a->inputs[0];
    const gtensor *to = &g->tensors[other], *tt = &g->tensors[t];
    if (to->ndim != tt->ndim || memcmp(to->dims, tt->dims, (size_t)tt->ndim * sizeof tt->dims[0]))
        return 0;
    if (to->data || to->idata) return 0;
    if (to->producer >= i) return 0; /* computed after the Conv would need it */
    c->fused.residual = other;
    c->fused.residual_mode = c->fused.act ? CLNN_RESIDUAL_AFTER_ACTIVATION
                                          : CLNN_RESIDUAL_BEFORE_ACTIVATION;
    add_label(c, "Add");
    c->outputs[0] = a->outputs[0];
    g->tensors[c->outputs[0]].producer = i;
    a->removed = true;
    return 1;
}

clnn_status clnn_graph_optimize(clnn_graph *g, bool fuse)
{
    remove_views(g);
    if (!fuse) return CLNN_STATUS_OK;
    if (fold_batch_norm(g) < 0)
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "folding batch normalization");
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < g->nnodes; i++) {
            gnode *n = &g->nodes[i];
            if (n->removed) continue;
            if (n->op == OP_CONV || n->op == OP_GEMM || n->op == OP_MATMUL)
                changed += fuse_activation(g, i);
            if (n->op == OP_CONV) changed += fuse_residual(g, i);
        }
    }
    return CLNN_STATUS_OK;
}
