/*
 * passes.c - graph rewrites before a session runs a graph, on the session's own copy:
 *   1. Operators with a lowering hook are rewritten (op.h: lower), and Identity and Dropout
 *      are removed (readers read their input).
 *   2. BatchNormalization after a Conv is folded into the Conv's weights and bias.
 *   3. Activations after a Conv or Gemm/MatMul (whatever a definition's activation() says it
 *      computes, and SiLU written as x * Sigmoid(x)), and a residual Add after a Conv, move
 *      into the producer's epilogue.
 * No pass changes a tensor another reader or a graph output sees: a constant shared with
 * anything else is copied before it is modified, and a tensor that is a graph output or has
 * other readers is never fused away. Shapes must be inferred before; the caller infers
 * again afterwards.
 */
#include "op.h"

#include "../ops/layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per tensor: live readers (inputs and fused residuals; a node reading it twice counts
 * twice), the last such node, and whether it is a graph output. */
typedef struct usage {
    int *readers, *reader;
    bool *output;
} usage;

static void usage_free(usage *u)
{
    free(u->readers), free(u->reader), free(u->output);
    memset(u, 0, sizeof *u);
}

static bool usage_build(const clnn_graph *g, usage *u)
{
    size_t n = (size_t)(g->ntensors ? g->ntensors : 1);
    u->readers = calloc(n, sizeof *u->readers);
    u->reader = malloc(n * sizeof *u->reader);
    u->output = calloc(n, sizeof *u->output);
    if (!u->readers || !u->reader || !u->output) {
        usage_free(u);
        return false;
    }
    for (int i = 0; i < g->nnodes; i++) {
        const gnode *nd = &g->nodes[i];
        if (nd->removed) continue;
        for (int k = 0; k <= nd->ninputs; k++) {
            int t = k < nd->ninputs ? nd->inputs[k] : nd->fused.residual;
            if (t < 0) continue;
            u->readers[t]++;
            u->reader[t] = i;
        }
    }
    for (int i = 0; i < g->noutputs; i++) u->output[g->outputs[i]] = true;
    return true;
}

/* The one live node reading t (once), when t is nothing else: not a graph output. */
static int sole_reader(const usage *u, int t)
{
    return u->readers[t] == 1 && !u->output[t] ? u->reader[t] : -1;
}

static clnn_status lower_and_remove(clnn_graph *g)
{
    const int nn = g->nnodes; /* lowering may append nodes: they need no lowering */
    for (int i = 0; i < nn; i++) {
        const clnn_op_def *def = clnn_op_def_of(g->nodes[i].op);
        if (g->nodes[i].removed || !def->lower) continue;
        clnn_status st = def->lower(g, i);
        if (st != CLNN_STATUS_OK) return st;
    }
    /* Removable nodes: one rewiring pass for all of them (from -> to, chains resolved). */
    int *to = malloc((size_t)(g->ntensors ? g->ntensors : 1) * sizeof *to);
    if (!to) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph passes");
    bool any = false;
    for (int t = 0; t < g->ntensors; t++) to[t] = t;
    for (int i = 0; i < g->nnodes; i++) {
        gnode *n = &g->nodes[i];
        if (n->removed || !(clnn_op_def_of(n->op)->flags & OPF_REMOVABLE)) continue;
        n->removed = true;
        to[n->outputs[0]] = n->inputs[0];
        any = true;
    }
    if (any) {
        for (int t = 0; t < g->ntensors; t++) {
            int r = to[t];
            while (to[r] != r) r = to[r]; /* acyclic: each step goes to an earlier tensor */
            to[t] = r;
        }
        for (int i = 0; i < g->nnodes; i++) {
            gnode *nd = &g->nodes[i];
            if (nd->removed) continue;
            for (int k = 0; k < nd->ninputs; k++)
                if (nd->inputs[k] >= 0) nd->inputs[k] = to[nd->inputs[k]];
            if (nd->fused.residual >= 0) nd->fused.residual = to[nd->fused.residual];
        }
        for (int i = 0; i < g->noutputs; i++) g->outputs[i] = to[g->outputs[i]];
    }
    free(to);
    return CLNN_STATUS_OK;
}

/* Copies constant t into a new tensor (to be modified by one node only). */
static int private_copy(clnn_graph *g, int t, const char *suffix)
{
    const gtensor *src = &g->tensors[t];
    char name[512];
    snprintf(name, sizeof name, "%.400s#%s%d", src->name, suffix, g->ntensors);
    int64_t dims[CLNN_MAX_DIMS];
    int nd = src->ndim;
    memcpy(dims, src->dims, sizeof dims);
    if (clnn_graph_add_constant(g, name, dims, (size_t)nd, src->data) != CLNN_STATUS_OK) return -1;
    return g->ntensors - 1;
}

static bool shared(const usage *u, int t) { return u->readers[t] > 1 || u->output[t]; }

static int fold_batch_norm(clnn_graph *g)
{
    usage u;
    if (!usage_build(g, &u)) return -1;
    int changed = 0;
    for (int i = 0; i < g->nnodes; i++) {
        gnode *c = &g->nodes[i];
        if (c->removed || c->op != OP_CONV || c->fused.act || c->fused.residual >= 0) continue;
        int t = c->outputs[0], bi = sole_reader(&u, t);
        if (bi < 0) continue;
        gnode *b = &g->nodes[bi];
        if (b->op != OP_BATCH_NORM || b->inputs[0] != t) continue;
        const gtensor *sc = &g->tensors[b->inputs[1]], *sh = &g->tensors[b->inputs[2]];
        const gtensor *mu = &g->tensors[b->inputs[3]], *var = &g->tensors[b->inputs[4]];
        int w = c->inputs[1];
        if (!sc->data || !sh->data || !mu->data || !var->data || !g->tensors[w].data) continue;
        /* The weights and bias change: a copy unless this Conv is their only reader. */
        if (shared(&u, w) && (w = private_copy(g, w, "bnw")) < 0) goto oom;
        int bias = c->ninputs > 2 ? c->inputs[2] : -1;
        if (bias >= 0 && shared(&u, bias) && (bias = private_copy(g, bias, "bnb")) < 0) goto oom;
        c = &g->nodes[i];
        b = &g->nodes[bi];
        int K = (int)g->tensors[w].dims[0];
        if (bias < 0) {
            char name[512];
            snprintf(name, sizeof name, "%.400s#bias", c->name);
            float *zeros = calloc((size_t)K, sizeof *zeros);
            int64_t d = K;
            if (!zeros || clnn_graph_add_constant(g, name, &d, 1, zeros) != CLNN_STATUS_OK) {
                free(zeros);
                goto oom;
            }
            free(zeros);
            bias = g->ntensors - 1;
        }
        int64_t per = clnn_shape_count(g->tensors[w].dims, g->tensors[w].ndim) / K;
        /* The tensors array may have moved: take the pointers again. */
        sc = &g->tensors[b->inputs[1]], sh = &g->tensors[b->inputs[2]];
        mu = &g->tensors[b->inputs[3]], var = &g->tensors[b->inputs[4]];
        const float eps = OP_A(b, bn_attrs)->epsilon;
        float *wd = g->tensors[w].data, *bd = g->tensors[bias].data;
        for (int k = 0; k < K; k++) {
            double s = sc->data[k] / sqrt((double)var->data[k] + eps);
            for (int64_t j = 0; j < per; j++) wd[k * per + j] = (float)(wd[k * per + j] * s);
            bd[k] = (float)((bd[k] - mu->data[k]) * s + sh->data[k]);
        }
        if (c->ninputs < 3) {
            int *in = realloc(c->inputs, 3 * sizeof *in);
            if (!in) goto oom;
            c->inputs = in;
        }
        c->inputs[1] = w;
        c->inputs[2] = bias;
        c->ninputs = 3;
        c->outputs[0] = b->outputs[0];
        g->tensors[c->outputs[0]].producer = i;
        b->removed = true;
        changed++;
        /* The arrays grew (new constants) and t has gone: rebuild the counts. */
        usage_free(&u);
        if (!usage_build(g, &u)) return -1;
    }
    usage_free(&u);
    return changed;
oom:
    usage_free(&u);
    return -1;
}

static void add_label(gnode *n, const char *what)
{
    size_t len = strlen(n->fused.label);
    if (len == 0) len = (size_t)snprintf(n->fused.label, sizeof n->fused.label, "%s", clnn_op_name(n->op));
    snprintf(n->fused.label + len, sizeof n->fused.label - len, "+%s", what);
}

/* Conv/Gemm -> activation. */
static int fuse_activation(clnn_graph *g, const usage *u, int i)
{
    gnode *c = &g->nodes[i];
    if (c->fused.act != CLNN_ACTIVATION_NONE) return 0;
    int t = c->outputs[0], ai = sole_reader(u, t);
    if (ai < 0) return 0;
    gnode *a = &g->nodes[ai];
    const clnn_op_def *def = clnn_op_def_of(a->op);
    clnn_activation act;
    float pa, pb;
    if (a->inputs[0] != t || !def->activation || !def->activation(a, &act, &pa, &pb)) return 0;
    c->fused.act = act;
    c->fused.act_a = pa;
    c->fused.act_b = pb;
    add_label(c, def->name);
    c->outputs[0] = a->outputs[0];
    g->tensors[c->outputs[0]].producer = i;
    a->removed = true;
    return 1;
}

/* Conv/Gemm -> Sigmoid and Mul(output, sigmoid): SiLU (swish) in the epilogue. The
 * producer's output has exactly these two readers and the sigmoid's only reader is the Mul. */
static int fuse_silu(clnn_graph *g, const usage *u, int i)
{
    gnode *c = &g->nodes[i];
    const int t = c->outputs[0];
    if (c->fused.act != CLNN_ACTIVATION_NONE || u->readers[t] != 2 || u->output[t]) return 0;
    int sig = -1, mul = -1;
    for (int k = 0; k < g->nnodes; k++) {
        const gnode *r = &g->nodes[k];
        if (r->removed || k == i) continue;
        bool reads = false;
        for (int j = 0; j < r->ninputs; j++) reads |= r->inputs[j] == t;
        if (!reads) continue;
        if (r->op == OP_SIGMOID && r->inputs[0] == t)
            sig = k;
        else if (r->op == OP_MUL)
            mul = k;
        else
            return 0;
    }
    if (sig < 0 || mul < 0) return 0;
    gnode *s = &g->nodes[sig], *m = &g->nodes[mul];
    const int st = s->outputs[0];
    if (sole_reader(u, st) != mul) return 0;
    if (!((m->inputs[0] == t && m->inputs[1] == st) || (m->inputs[0] == st && m->inputs[1] == t)))
        return 0;
    c->fused.act = CLNN_ACTIVATION_SILU;
    c->fused.act_a = c->fused.act_b = 0.0f;
    add_label(c, "SiLU");
    c->outputs[0] = m->outputs[0];
    g->tensors[c->outputs[0]].producer = i;
    s->removed = m->removed = true;
    return 1;
}

/* Conv -> Add(other): the Conv reads `other` as its residual, provided `other` is computed
 * before the Conv runs (its producer comes earlier in node order) and has the same shape. */
static int fuse_residual(clnn_graph *g, const usage *u, int i)
{
    gnode *c = &g->nodes[i];
    if (c->op != OP_CONV || c->fused.residual >= 0) return 0;
    int t = c->outputs[0], ai = sole_reader(u, t);
    if (ai < 0) return 0;
    gnode *a = &g->nodes[ai];
    if (a->op != OP_ADD || a->inputs[0] == a->inputs[1]) return 0;
    int other = a->inputs[0] == t ? a->inputs[1] : a->inputs[0];
    const gtensor *to = &g->tensors[other], *tt = &g->tensors[t];
    if (to->ndim != tt->ndim || memcmp(to->dims, tt->dims, (size_t)tt->ndim * sizeof tt->dims[0]))
        return 0;
    if (clnn_tensor_is_const(to) || to->dtype != CLNN_DTYPE_FLOAT) return 0;
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
    clnn_status st = lower_and_remove(g);
    if (st != CLNN_STATUS_OK || !fuse) return st;
    if (fold_batch_norm(g) < 0)
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "folding batch normalization");
    for (int changed = 1; changed;) {
        changed = 0;
        usage u;
        if (!usage_build(g, &u))
            return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph passes");
        for (int i = 0; i < g->nnodes; i++) {
            gnode *n = &g->nodes[i];
            if (n->removed) continue;
            if (n->op == OP_CONV || n->op == OP_CONV_TRANSPOSE || n->op == OP_GEMM ||
                n->op == OP_MATMUL) {
                int f = fuse_activation(g, &u, i);
                changed += f ? f : fuse_silu(g, &u, i);
            }
            if (n->op == OP_CONV) changed += fuse_residual(g, &u, i);
        }
        usage_free(&u);
    }
    return CLNN_STATUS_OK;
}
