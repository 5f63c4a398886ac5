/*
 * passes.c - graph rewrites before a session runs a graph, on the session's own copy:
 *   1. Operators with a lowering hook are rewritten (op.h: lower), and Identity and Dropout
 *      are removed (readers read their input).
 *   2. BatchNormalization after a Conv is folded into the Conv's weights and bias.
 *   3. A constant Pad of the spatial axes before a Conv or pool becomes the Conv's or pool's
 *      own padding where that computes the same (clnn_node_absorb_pads says where).
 *   4. Activations after a Conv or Gemm/MatMul (whatever a definition's activation() says it
 *      computes, and SiLU written as x * Sigmoid(x)), and a residual Add after a Conv, move
 *      into the producer's epilogue.
 *      LayerNormalization written out (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div and
 *      an optional Mul and Add, as exports before opset 17 have it) becomes one node.
 *   5. Squeeze-and-excitation gates (GlobalAveragePool, two 1x1 Convs with their fused
 *      activations) become one layer (lib/ops/se.c).
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

/* Pad (constant, spatial axes only, growing) -> Conv / MaxPool / AveragePool reading it as
 * its data: the Pad goes, the reader pads its input itself. */
static int fold_pads(clnn_graph *g)
{
    usage u;
    if (!usage_build(g, &u)) return -1;
    int changed = 0;
    for (int i = 0; i < g->nnodes; i++) {
        gnode *p = &g->nodes[i];
        if (p->removed || p->op != OP_PAD) continue;
        const int t = p->outputs[0], ci = sole_reader(&u, t);
        if (ci < 0 || g->nodes[ci].inputs[0] != t) continue;
        const gtensor *x = &g->tensors[p->inputs[0]];
        int64_t b[CLNN_MAX_DIMS], e[CLNN_MAX_DIMS];
        float value;
        if (x->ndim < 3 || x->ndim > 4 || !clnn_node_pad_constant(g, p, b, e, &value)) continue;
        if (b[0] || e[0] || b[1] || e[1]) continue; /* batch or channels padded */
        if (!clnn_node_absorb_pads(g, &g->nodes[ci], b + 2, e + 2, value)) continue;
        /* The reader's input shape changes: inference runs again after the passes. */
        g->nodes[ci].inputs[0] = p->inputs[0];
        p->removed = true;
        u.readers[t]--;
        changed++;
    }
    usage_free(&u);
    return changed;
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

/* The gating activation x * f(x) that a chain of one-input nodes f computes: SiLU for
 * Sigmoid, HardSwish for HardSigmoid(1/6, 1/2), Mish for Softplus then Tanh (what exports
 * before HardSwish and Mish existed in ONNX write); NONE for anything else. */
static clnn_activation gate_of(const clnn_graph *g, const int *chain, int len)
{
    clnn_activation act[2];
    float a[2], b[2];
    for (int k = 0; k < len; k++) {
        const gnode *n = &g->nodes[chain[k]];
        const clnn_op_def *def = clnn_op_def_of(n->op);
        if (!def->activation || !def->activation(n, &act[k], &a[k], &b[k]))
            return CLNN_ACTIVATION_NONE;
    }
    if (len == 1 && act[0] == CLNN_ACTIVATION_SIGMOID) return CLNN_ACTIVATION_SILU;
    if (len == 1 && act[0] == CLNN_ACTIVATION_HARD_SIGMOID && fabsf(a[0] - 1.0f / 6.0f) < 1e-6f &&
        b[0] == 0.5f)
        return CLNN_ACTIVATION_HARD_SWISH;
    if (len == 2 && act[0] == CLNN_ACTIVATION_SOFTPLUS && act[1] == CLNN_ACTIVATION_TANH)
        return CLNN_ACTIVATION_MISH;
    return CLNN_ACTIVATION_NONE;
}

/* Conv/Gemm -> f and Mul(output, f(output)) with f a gate_of chain: SiLU, HardSwish or Mish
 * in the epilogue. The producer's output has exactly these two readers (the chain's first
 * node and the Mul), and each node of the chain has the next as its only reader. */
static int fuse_silu(clnn_graph *g, const usage *u, int i)
{
    gnode *c = &g->nodes[i];
    const int t = c->outputs[0];
    if (c->fused.act != CLNN_ACTIVATION_NONE || u->readers[t] != 2 || u->output[t]) return 0;
    int first = -1, mul = -1;
    for (int k = 0; k < g->nnodes; k++) {
        const gnode *r = &g->nodes[k];
        if (r->removed || k == i) continue;
        bool reads = false;
        for (int j = 0; j < r->ninputs; j++) reads |= r->inputs[j] == t;
        if (!reads) continue;
        if (r->op == OP_MUL && mul < 0 && (r->inputs[0] == t) != (r->inputs[1] == t))
            mul = k;
        else if (first < 0 && r->inputs[0] == t && r->ninputs == 1)
            first = k;
        else
            return 0;
    }
    if (first < 0 || mul < 0) return 0;
    int chain[2] = {first, -1}, len = 1, end = g->nodes[first].outputs[0];
    if (sole_reader(u, end) != mul) { /* a second link */
        const int next = sole_reader(u, end);
        if (next < 0 || g->nodes[next].ninputs != 1 || g->nodes[next].inputs[0] != end) return 0;
        chain[len++] = next;
        end = g->nodes[next].outputs[0];
        if (sole_reader(u, end) != mul) return 0;
    }
    gnode *m = &g->nodes[mul];
    if (!((m->inputs[0] == t && m->inputs[1] == end) || (m->inputs[0] == end && m->inputs[1] == t)))
        return 0;
    const clnn_activation act = gate_of(g, chain, len);
    if (act == CLNN_ACTIVATION_NONE) return 0;
    c->fused.act = act;
    c->fused.act_a = c->fused.act_b = 0.0f;
    add_label(c, act == CLNN_ACTIVATION_SILU ? "SiLU" : act == CLNN_ACTIVATION_MISH ? "Mish"
                                                                                    : "HardSwish");
    c->outputs[0] = m->outputs[0];
    g->tensors[c->outputs[0]].producer = i;
    for (int k = 0; k < len; k++) g->nodes[chain[k]].removed = true;
    m->removed = true;
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

/* The live nodes reading tensor t (at most max of them); returns how many read it. */
static int readers_of(const clnn_graph *g, int t, int *out, int max)
{
    int n = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const gnode *nd = &g->nodes[i];
        if (nd->removed) continue;
        bool reads = nd->fused.residual == t;
        for (int k = 0; k < nd->ninputs; k++) reads |= nd->inputs[k] == t;
        if (reads && n++ < max) out[n - 1] = i;
    }
    return n;
}

/* The value of a one-element float constant, or NAN when t is something else. */
static float const_scalar(const clnn_graph *g, int t)
{
    const gtensor *x = t >= 0 ? &g->tensors[t] : NULL;
    if (!x || !x->data || x->dtype != CLNN_DTYPE_FLOAT || clnn_shape_count(x->dims, x->ndim) != 1)
        return NAN;
    return x->data[0];
}

/* Node `b` (an elementwise binary of operator op) reads t and one other input; returns
 * that other input, or -1. */
static int other_input(const clnn_graph *g, int b, clnn_op op, int t)
{
    const gnode *n = &g->nodes[b];
    if (n->removed || n->op != op || n->ninputs != 2) return -1;
    if (n->inputs[0] == t && n->inputs[1] != t) return n->inputs[1];
    if (n->inputs[1] == t && n->inputs[0] != t) return n->inputs[0];
    return -1;
}

/* A float constant that broadcasts onto the normalised trailing dimensions [first, ndim) of
 * x without adding any: a LayerNormalization Scale or B. */
static bool trailing_param(const clnn_graph *g, int p, const gtensor *x, int first)
{
    const gtensor *c = &g->tensors[p];
    if (!c->data || c->dtype != CLNN_DTYPE_FLOAT || c->ndim > x->ndim - first) return false;
    for (int i = 0; i < c->ndim; i++)
        if (c->dims[c->ndim - 1 - i] != x->dims[x->ndim - 1 - i]) return false;
    return clnn_shape_count(c->dims, c->ndim) == clnn_shape_count(x->dims + first, x->ndim - first);
}

/* LayerNormalization as exports before opset 17 write it, one layer instead of eight:
 *   m = ReduceMean(x) over trailing axes, d = x - m, v = ReduceMean(d ^ 2),
 *   y = d / Sqrt(v + eps) [* scale] [+ bias]
 * with every intermediate read only inside the pattern. Node i is the first ReduceMean. */
static int fuse_layer_norm(clnn_graph *g, const usage *u, int i)
{
    const gnode *m1 = &g->nodes[i];
    const int first = clnn_reduce_mean_trailing(g, m1);
    if (first < 0) return 0;
    const int x = m1->inputs[0], mean = m1->outputs[0];
    const gtensor *xt = &g->tensors[x];
    if (xt->dtype != CLNN_DTYPE_FLOAT) return 0;
    int r[3];
    /* Sub(x, mean); its output read by Pow(d, 2) and Div(d, ...) only */
    int sub = sole_reader(u, mean);
    if (sub < 0 || g->nodes[sub].op != OP_SUB || g->nodes[sub].inputs[0] != x ||
        g->nodes[sub].inputs[1] != mean)
        return 0;
    const int d = g->nodes[sub].outputs[0];
    if (u->output[d] || readers_of(g, d, r, 3) != 2) return 0;
    int pw = g->nodes[r[0]].op == OP_POW ? r[0] : r[1], dv = pw == r[0] ? r[1] : r[0];
    if (g->nodes[pw].op != OP_POW || g->nodes[pw].inputs[0] != d ||
        const_scalar(g, g->nodes[pw].inputs[1]) != 2.0f)
        return 0;
    if (g->nodes[dv].op != OP_DIV || g->nodes[dv].inputs[0] != d) return 0;
    /* ReduceMean(d ^ 2) over the same axes, + eps, Sqrt, the Div's divisor */
    int m2 = sole_reader(u, g->nodes[pw].outputs[0]);
    if (m2 < 0 || g->nodes[m2].inputs[0] != g->nodes[pw].outputs[0] ||
        clnn_reduce_mean_trailing(g, &g->nodes[m2]) != first)
        return 0;
    const int var = g->nodes[m2].outputs[0];
    int add = sole_reader(u, var);
    if (add < 0) return 0;
    const float eps = const_scalar(g, other_input(g, add, OP_ADD, var));
    if (!(eps >= 0.0f)) return 0;
    int sq = sole_reader(u, g->nodes[add].outputs[0]);
    if (sq < 0 || g->nodes[sq].op != OP_SQRT || sole_reader(u, g->nodes[sq].outputs[0]) != dv ||
        g->nodes[dv].inputs[1] != g->nodes[sq].outputs[0])
        return 0;
    /* optional affine part: Mul(scale), then Add(bias) */
    int y = g->nodes[dv].outputs[0], mul = sole_reader(u, y), scale = -1, bias = -1, badd = -1;
    if (mul >= 0 && (scale = other_input(g, mul, OP_MUL, y)) >= 0 &&
        trailing_param(g, scale, xt, first)) {
        y = g->nodes[mul].outputs[0];
        badd = sole_reader(u, y);
        if (badd >= 0 && (bias = other_input(g, badd, OP_ADD, y)) >= 0 &&
            trailing_param(g, bias, xt, first))
            y = g->nodes[badd].outputs[0];
        else
            badd = bias = -1;
    } else {
        mul = scale = -1;
    }
    if (scale < 0) { /* LayerNormalization needs a Scale: ones */
        int64_t dims[CLNN_MAX_DIMS];
        const int nd = xt->ndim - first;
        memcpy(dims, xt->dims + first, (size_t)nd * sizeof *dims);
        const size_t cnt = (size_t)clnn_shape_count(dims, nd);
        float *ones = malloc((cnt ? cnt : 1) * sizeof *ones);
        if (!ones) return -1;
        for (size_t k = 0; k < cnt; k++) ones[k] = 1.0f;
        char name[512];
        snprintf(name, sizeof name, "%.400s#ones%d", g->nodes[i].name, g->ntensors);
        clnn_status st = clnn_graph_add_constant(g, name, dims, (size_t)nd, ones);
        free(ones);
        if (st != CLNN_STATUS_OK) return -1;
        scale = g->ntensors - 1;
    }
    const int chain[] = {i, sub, pw, m2, add, sq, dv, mul, badd};
    for (size_t k = 0; k < CLNN_ARRAY_LEN(chain); k++)
        if (chain[k] >= 0) g->nodes[chain[k]].removed = true;
    char name[512];
    snprintf(name, sizeof name, "%.400s#LayerNormalization", g->nodes[i].name);
    if (clnn_layer_norm_append(g, name, x, scale, bias, y, first, eps) < 0) return -1;
    return 1;
}

/* A 1x1 Conv reading tensor `in` on 1x1 maps (stride 1, no padding, one group, constant
 * weight and bias, no residual); its parameters, fused activation included, in *p. */
static bool pointwise_conv(const clnn_graph *g, int c, int in, clnn_conv_params *p)
{
    const gnode *n = &g->nodes[c];
    if (n->removed || n->op != OP_CONV || n->inputs[0] != in || n->fused.residual >= 0 ||
        clnn_node_conv_params(g, n, p) != CLNN_STATUS_OK)
        return false;
    const int b = n->ninputs > 2 ? n->inputs[2] : -1;
    return p->kernel_h == 1 && p->kernel_w == 1 && p->in_height == 1 && p->in_width == 1 &&
           p->stride_h == 1 && p->stride_w == 1 && p->groups == 1 && !p->pad_top &&
           !p->pad_left && !p->pad_bottom && !p->pad_right && g->tensors[n->inputs[1]].data &&
           (b < 0 || g->tensors[b].data);
}

/* Squeeze-and-excitation's gate, GlobalAveragePool(x) -> 1x1 Conv (+ act) -> 1x1 Conv
 * (+ gate), as one layer (se.c) when its intermediates have no other reader; node i is the
 * GlobalAveragePool. The Mul by x stays. */
static int fuse_squeeze_excite(clnn_graph *g, const usage *u, int i)
{
    const gnode *gap = &g->nodes[i];
    const gtensor *x = &g->tensors[gap->inputs[0]];
    if (x->ndim != 4 || x->dtype != CLNN_DTYPE_FLOAT) return 0;
    clnn_conv_params p1, p2;
    const int c1 = sole_reader(u, gap->outputs[0]);
    if (c1 < 0 || !pointwise_conv(g, c1, gap->outputs[0], &p1)) return 0;
    const int c2 = sole_reader(u, g->nodes[c1].outputs[0]);
    if (c2 < 0 || !pointwise_conv(g, c2, g->nodes[c1].outputs[0], &p2)) return 0;
    if (p2.out_channels != x->dims[1]) return 0;
    const gnode *n1 = &g->nodes[c1], *n2 = &g->nodes[c2];
    const int ins[5] = {gap->inputs[0], n1->inputs[1], n1->ninputs > 2 ? n1->inputs[2] : -1,
                        n2->inputs[1], n2->ninputs > 2 ? n2->inputs[2] : -1};
    const int out = n2->outputs[0];
    char name[512];
    snprintf(name, sizeof name, "%.400s#SqueezeExcitation", gap->name);
    const int k = clnn_squeeze_excite_append(g, name, ins, out, p1.activation, p1.act_alpha,
                                             p1.act_beta, p2.activation, p2.act_alpha,
                                             p2.act_beta);
    if (k == -2) return 0;
    if (k < 0) return -1;
    g->nodes[i].removed = g->nodes[c1].removed = g->nodes[c2].removed = true;
    g->tensors[out].producer = k;
    return 1;
}

clnn_status clnn_graph_optimize(clnn_graph *g, bool fuse)
{
    clnn_status st = lower_and_remove(g);
    if (st != CLNN_STATUS_OK || !fuse) return st;
    if (fold_batch_norm(g) < 0)
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "folding batch normalization");
    if (fold_pads(g) < 0) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "folding pads");
    for (int changed = 1; changed;) {
        changed = 0;
        usage u;
        if (!usage_build(g, &u))
            return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph passes");
        const int nn = g->nnodes; /* fusions may append nodes: they fuse no further */
        for (int i = 0; i < nn; i++) {
            gnode *n = &g->nodes[i];
            if (n->removed) continue;
            if (n->op == OP_REDUCE_MEAN) {
                int f = fuse_layer_norm(g, &u, i);
                if (f < 0)
                    st = clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph passes");
                changed += f > 0;
                if (f) break; /* the usage counts are stale now */
                continue;
            }
            if (n->op == OP_CONV || n->op == OP_CONV_TRANSPOSE || n->op == OP_GEMM ||
                n->op == OP_MATMUL) {
                int f = fuse_activation(g, &u, i);
                changed += f ? f : fuse_silu(g, &u, i);
            }
            if (n->op == OP_CONV) changed += fuse_residual(g, &u, i);
        }
        usage_free(&u);
        if (st != CLNN_STATUS_OK) return st;
    }
    /* Once the activations sit in the convolutions: squeeze-and-excitation gates. The
     * blocks are disjoint, so one usage count serves them all. */
    usage u;
    if (!usage_build(g, &u)) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph passes");
    const int nn = g->nnodes;
    for (int i = 0; i < nn && st == CLNN_STATUS_OK; i++)
        if (!g->nodes[i].removed && g->nodes[i].op == OP_GLOBAL_AVERAGE_POOL &&
            fuse_squeeze_excite(g, &u, i) < 0)
            st = clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph passes");
    usage_free(&u);
    return st;
}
