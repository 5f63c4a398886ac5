/*
 * layer_conv.c - the Conv, MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool
 * operators: definitions (attributes, shapes, cost) and their layers on top of clnn_conv
 * (with the fused bias, activation and residual) and clnn_pool. Both can write into a slice
 * of a concatenation. 1-D layers ([N, C, L]) run as 2-D ones of height 1; global pooling
 * takes any number of spatial dimensions. 3-D layers ([N, C, D, H, W]) and MaxPool's Indices
 * output (a node of its own after lowering) run window3d.c's direct kernel instead, so the
 * tuned 2-D paths stay as they are.
 */
#include "conv.h"
#include "layer.h"
#include "pool.h"
#include "window3d.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const auto_pad_modes[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID",
                                             NULL};
enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };

/* Attributes of Conv and the pools (globals have none and read zeros). */
typedef struct window_attrs {
    int auto_pad;
    int64_t kernel_shape[3];
    int nkernel;
    int64_t strides[3];
    int nstrides;
    int64_t pads[6];
    int npads;
    int64_t dilations[3];
    int ndilations;
    int64_t group;
    int ceil_mode, count_include_pad, storage_order;
    /* Resolved by inference for the input's size: top, left, bottom, right. */
    int pad[4];
    int indices;  /* MaxPool writing its Indices output (set by lowering, never parsed) */
    w3_geom geo;  /* 3-D layers and Indices: the geometry, set by inference */
} window_attrs;

#define W_LIMIT (1 << 16)

/* The spatial rank the attributes describe must be the input's (1 to 3). */
static clnn_status check_window(gnode *n)
{
    const window_attrs *a = OP_A(n, window_attrs);
    int rank = a->nkernel ? a->nkernel : a->nstrides ? a->nstrides : a->ndilations;
    if (rank > 3 || (a->npads && a->npads != 2 * (rank ? rank : a->npads / 2)) ||
        (a->nstrides && rank && a->nstrides != rank) ||
        (a->ndilations && rank && a->ndilations != rank) || a->npads > 6)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "kernel_shape, strides, dilations and pads describe %d-D windows; clnn "
                       "supports 1-D, 2-D and 3-D ones (pads holding a begin and an end per "
                       "axis)", rank ? rank : a->npads / 2);
    return CLNN_STATUS_OK;
}

/* SAME padding of one axis: total = max((ceil(in/s) - 1) * s + eff - in, 0), the odd one at
 * the end (SAME_UPPER) or the beginning (SAME_LOWER). All in int64: model numbers. */
static clnn_status same_pads(const gnode *n, int64_t in, int64_t eff, int64_t s, bool upper,
                             int *begin, int *end)
{
    int64_t out = (in + s - 1) / s, total = (out - 1) * s + eff - in;
    if (total < 0) total = 0;
    if (total > W_LIMIT)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "SAME padding of %lld (at most %d)",
                       (long long)total, W_LIMIT);
    *begin = (int)(upper ? total / 2 : total - total / 2);
    *end = (int)(total - *begin);
    return CLNN_STATUS_OK;
}

/* Spatial sizes of input x as 2-D (a 1-D layer has height 1). */
static void spatial(const gtensor *x, int64_t *h, int64_t *w)
{
    *h = x->ndim == 4 ? x->dims[2] : 1;
    *w = x->dims[x->ndim - 1];
}

/* Attribute value of axis d (0: height, 1: width) for a layer of spatial rank r. */
static int64_t axis_val(const int64_t *v, int count, int r, int d, int64_t def)
{
    if (r == 1) return d == 0 ? def : (count ? v[0] : def);
    return count ? v[d] : def;
}

/* Resolves padding (explicit, SAME or VALID, over the dilated span) for the input into a->pad. */
static clnn_status resolve_pads(const gnode *n, window_attrs *a, const gtensor *x,
                                const int64_t kernel[2])
{
    const int r = x->ndim - 2;
    int64_t in[2];
    spatial(x, &in[0], &in[1]);
    memset(a->pad, 0, sizeof a->pad);
    if (a->auto_pad == PAD_NOTSET && a->npads) {
        for (int d = 0; d < 2; d++) {
            int64_t b = r == 1 ? (d == 0 ? 0 : a->pads[0]) : a->pads[d];
            int64_t e = r == 1 ? (d == 0 ? 0 : a->pads[1]) : a->pads[2 + d];
            a->pad[d] = (int)b;
            a->pad[2 + d] = (int)e;
        }
    } else if (a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER) {
        for (int d = 0; d < 2; d++) {
            if (r == 1 && d == 0) continue;
            int64_t dil = axis_val(a->dilations, a->ndilations, r, d, 1);
            int64_t s = axis_val(a->strides, a->nstrides, r, d, 1);
            int64_t eff;
            if (!op_mul_ok(dil, kernel[d] - 1, &eff) || !op_add_ok(eff, 1, &eff))
                return op_fail(n, CLNN_STATUS_UNSUPPORTED, "dilated kernel too large");
            clnn_status st = same_pads(n, in[d], eff, s, a->auto_pad == PAD_SAME_UPPER,
                                       &a->pad[d], &a->pad[2 + d]);
            if (st != CLNN_STATUS_OK) return st;
        }
    }
    return CLNN_STATUS_OK;
}

/* The geometry of a 1-D to 3-D window node of the given kind on x (w: a convolution's
 * weight) into *q, padding resolved as resolve_pads does it, per axis. */
static clnn_status window_geom(const gnode *n, const window_attrs *a, const gtensor *x,
                               const gtensor *w, w3_kind kind, w3_geom *q)
{
    const int r = x->ndim - 2;
    memset(q, 0, sizeof *q);
    q->kind = kind;
    for (int i = 0; i < 2; i++)
        if (x->dims[i] < 1 || x->dims[i] > (1 << 24))
            return op_fail(n, CLNN_STATUS_UNSUPPORTED, "input dimension %d is %lld (at most "
                           "2^24)", i, (long long)x->dims[i]);
    q->N = (int)x->dims[0];
    q->C = (int)x->dims[1];
    if (kind == W3_CONV) {
        q->M = (int)w->dims[0];
        q->Cg = (int)w->dims[1];
        q->Mg = (int)(w->dims[0] / a->group);
    } else {
        q->M = q->C;
        q->Cg = q->Mg = 1;
    }
    q->ceil_mode = a->ceil_mode != 0;
    q->count_include_pad = a->count_include_pad != 0;
    q->col_major = a->storage_order != 0;
    for (int j = 0; j < 3; j++) q->in[j] = q->k[j] = q->s[j] = q->d[j] = q->out[j] = 1;
    for (int i = 0; i < r; i++) {
        const int j = 3 - r + i;
        const int64_t in = x->dims[2 + i];
        const int64_t k = kind == W3_CONV ? w->dims[2 + i] : a->kernel_shape[i];
        if (in < 1 || in > (1 << 24) || k < 1 || k > W_LIMIT)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "spatial size %lld and kernel %lld along axis %d (at most 2^24 and "
                           "%d)", (long long)in, (long long)k, 2 + i, W_LIMIT);
        q->in[j] = (int)in;
        q->k[j] = (int)k;
        q->s[j] = (int)(a->nstrides ? a->strides[i] : 1);
        q->d[j] = (int)(a->ndilations ? a->dilations[i] : 1);
        if (a->auto_pad == PAD_NOTSET && a->npads) {
            q->pb[j] = (int)a->pads[i];
            q->pe[j] = (int)a->pads[r + i];
        } else if (a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER) {
            const int64_t eff = (int64_t)(k - 1) * q->d[j] + 1; /* both at most 2^16 */
            clnn_status st = same_pads(n, in, eff, q->s[j], a->auto_pad == PAD_SAME_UPPER,
                                       &q->pb[j], &q->pe[j]);
            if (st != CLNN_STATUS_OK) return st;
        }
    }
    return clnn_w3_finish(n, q);
}

/* Output dims of a window node from its geometry: N, M and the spatial ones of rank r. */
static clnn_status set_geom_out(clnn_graph *g, gnode *n, int k, clnn_dtype type, const w3_geom *q,
                                int r)
{
    int64_t d[5] = {q->N, q->M};
    for (int i = 0; i < r; i++) d[2 + i] = q->out[3 - r + i];
    return op_set_out(g, n, k, type, d, r + 2);
}

clnn_status clnn_node_conv_params(const clnn_graph *g, const gnode *n, clnn_conv_params *p)
{
    const gtensor *x = op_in(g, n, 0), *w = op_in(g, n, 1);
    const window_attrs *a = OP_A(n, window_attrs);
    memset(p, 0, sizeof *p);
    /* 3-D convolutions have no 2-D parameters (window3d.c runs them). */
    if (x && x->ndim == 5) return CLNN_STATUS_UNSUPPORTED;
    if (!x || !w || x->ndim < 3 || x->ndim > 4 || w->ndim != x->ndim)
        return op_fail(n, CLNN_STATUS_INTERNAL, "convolution parameters before shapes");
    const int r = x->ndim - 2;
    int64_t h, wd;
    spatial(x, &h, &wd);
    p->batch = (int)x->dims[0];
    p->in_channels = (int)x->dims[1];
    p->in_height = (int)h;
    p->in_width = (int)wd;
    p->out_channels = (int)w->dims[0];
    p->kernel_h = r == 2 ? (int)w->dims[2] : 1;
    p->kernel_w = (int)w->dims[w->ndim - 1];
    p->stride_h = (int)axis_val(a->strides, a->nstrides, r, 0, 1);
    p->stride_w = (int)axis_val(a->strides, a->nstrides, r, 1, 1);
    p->dilation_h = (int)axis_val(a->dilations, a->ndilations, r, 0, 1);
    p->dilation_w = (int)axis_val(a->dilations, a->ndilations, r, 1, 1);
    p->groups = (int)a->group;
    p->pad_top = a->pad[0];
    p->pad_left = a->pad[1];
    p->pad_bottom = a->pad[2];
    p->pad_right = a->pad[3];
    p->has_bias = op_in(g, n, 2) != NULL;
    p->activation = n->fused.act;
    p->act_alpha = n->fused.act_a;
    p->act_beta = n->fused.act_b;
    p->residual = n->fused.residual >= 0 ? n->fused.residual_mode : CLNN_RESIDUAL_NONE;
    return CLNN_STATUS_OK;
}

clnn_status clnn_node_pool_params(const clnn_graph *g, const gnode *n, clnn_pool_params *p)
{
    const gtensor *x = op_in(g, n, 0);
    const window_attrs *a = OP_A(n, window_attrs);
    memset(p, 0, sizeof *p);
    if (!x || x->ndim < 3)
        return op_fail(n, CLNN_STATUS_INTERNAL, "pooling parameters before shapes");
    p->kind = n->op == OP_MAX_POOL           ? CLNN_POOL_MAX
              : n->op == OP_AVERAGE_POOL     ? CLNN_POOL_AVERAGE
              : n->op == OP_GLOBAL_MAX_POOL ? CLNN_POOL_GLOBAL_MAX
                                             : CLNN_POOL_GLOBAL_AVERAGE;
    p->batch = (int)x->dims[0];
    p->channels = (int)x->dims[1];
    if (p->kind == CLNN_POOL_GLOBAL_MAX || p->kind == CLNN_POOL_GLOBAL_AVERAGE) {
        /* Every spatial dimension at once: one row of their product. */
        p->in_height = 1;
        p->in_width = (int)clnn_shape_count(x->dims + 2, x->ndim - 2);
        return CLNN_STATUS_OK;
    }
    const int r = x->ndim - 2;
    int64_t h, w;
    spatial(x, &h, &w);
    p->in_height = (int)h;
    p->in_width = (int)w;
    p->kernel_h = (int)axis_val(a->kernel_shape, a->nkernel, r, 0, 1);
    p->kernel_w = (int)axis_val(a->kernel_shape, a->nkernel, r, 1, 1);
    p->stride_h = (int)axis_val(a->strides, a->nstrides, r, 0, 1);
    p->stride_w = (int)axis_val(a->strides, a->nstrides, r, 1, 1);
    p->dilation_h = (int)axis_val(a->dilations, a->ndilations, r, 0, 1);
    p->dilation_w = (int)axis_val(a->dilations, a->ndilations, r, 1, 1);
    p->pad_top = a->pad[0];
    p->pad_left = a->pad[1];
    p->pad_bottom = a->pad[2];
    p->pad_right = a->pad[3];
    p->ceil_mode = a->ceil_mode;
    p->count_include_pad = a->count_include_pad;
    return CLNN_STATUS_OK;
}

bool clnn_node_absorb_pads(const clnn_graph *g, gnode *n, const int64_t *begin,
                           const int64_t *end, float value)
{
    window_attrs *a = n->attrs;
    const gtensor *x = op_in(g, n, 0);
    if (!x || x->ndim < 3 || x->ndim > 4) return false;
    const int r = x->ndim - 2;
    const bool conv = n->op == OP_CONV, avg = n->op == OP_AVERAGE_POOL;
    if (!conv && !avg && n->op != OP_MAX_POOL) return false;
    /* Indices number the elements of the padded input. */
    if (a->indices || n->noutputs > 1) return false;
    /* Conv and AveragePool pad with zeros, MaxPool with -inf (a pad never wins). */
    if (conv || avg ? value != 0.0f : !(isinf(value) && value < 0)) return false;
    if (a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER) return false;
    /* Ceil mode keeps a last window starting in the Pad's padding but drops one starting
     * in its own: not the same windows. */
    if (!conv && a->ceil_mode) return false;
    int64_t p[4] = {0, 0, 0, 0};
    bool own = false;
    for (int i = 0; i < 2 * r && a->auto_pad == PAD_NOTSET && i < a->npads; i++)
        p[i] = a->pads[i], own |= p[i] != 0;
    /* Without count_include_pad an average divides by the elements of x only, where the
     * Pad's zeros counted: exact only when the pool counts padding, which a pool without
     * padding of its own can be told to. */
    if (avg && own && !a->count_include_pad) return false;
    for (int d = 0; d < r; d++) {
        if (begin[d] < 0 || end[d] < 0) return false;
        p[d] += begin[d];
        p[r + d] += end[d];
        if (p[d] > W_LIMIT || p[r + d] > W_LIMIT) return false;
        /* A pool refuses padding that can fill a window. */
        if (!conv && (p[d] >= a->kernel_shape[d] || p[r + d] >= a->kernel_shape[d]))
            return false;
    }
    for (int i = 0; i < 2 * r; i++) a->pads[i] = p[i];
    a->npads = 2 * r;
    a->auto_pad = PAD_NOTSET;
    if (avg) a->count_include_pad = 1;
    return true;
}

static clnn_status conv_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0), *w = op_in(g, n, 1), *b = op_in(g, n, 2);
    window_attrs *a = n->attrs;
    clnn_status st = op_need_float(g, n, 0);
    if (st == CLNN_STATUS_OK && (x->ndim < 3 || x->ndim > 5))
        st = op_fail(n, CLNN_STATUS_UNSUPPORTED,
                     "input '%s' has %d dimensions; clnn runs 1-D, 2-D and 3-D convolutions (3 "
                     "to 5 dimensions)", x->name, x->ndim);
    if (st == CLNN_STATUS_OK) st = op_need_rank(g, n, 1, x->ndim, "weight");
    if (st == CLNN_STATUS_OK && !w->data)
        st = op_fail(n, CLNN_STATUS_UNSUPPORTED, "weight '%s' must be a float constant (an "
                     "initializer)", w->name);
    if (st == CLNN_STATUS_OK && b && !b->data)
        st = op_fail(n, CLNN_STATUS_UNSUPPORTED, "bias '%s' must be a float constant (an "
                     "initializer)", b->name);
    if (st != CLNN_STATUS_OK) return st;
    const int r = x->ndim - 2;
    if ((a->nkernel && a->nkernel != r) || (a->nstrides && a->nstrides != r) ||
        (a->ndilations && a->ndilations != r) || (a->npads && a->npads != 2 * r))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "the attributes describe another number of spatial axes than the "
                       "input's %d", r);
    if (b && (b->ndim != 1 || b->dims[0] != w->dims[0]))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "bias has %lld elements for %lld filters",
                       (long long)clnn_shape_count(b->dims, b->ndim), (long long)w->dims[0]);
    for (int d = 0; d < r && a->nkernel; d++)
        if (a->kernel_shape[d] != w->dims[2 + d])
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "kernel_shape[%d] is %lld but the weight has %lld", d,
                           (long long)a->kernel_shape[d], (long long)w->dims[2 + d]);
    if (w->dims[0] % a->group)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%lld filters do not split into %lld "
                       "groups", (long long)w->dims[0], (long long)a->group);
    int64_t want_c;
    if (!op_mul_ok(w->dims[1], a->group, &want_c) || x->dims[1] != want_c)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "input has %lld channels but the weight expects %lld x %lld groups",
                       (long long)x->dims[1], (long long)w->dims[1], (long long)a->group);
    if (r == 3) {
        st = window_geom(n, a, x, w, W3_CONV, &a->geo);
        return st == CLNN_STATUS_OK ? set_geom_out(g, n, 0, CLNN_DTYPE_FLOAT, &a->geo, r) : st;
    }
    int64_t k[2] = {r == 2 ? w->dims[2] : 1, w->dims[w->ndim - 1]};
    st = resolve_pads(n, a, x, k);
    if (st != CLNN_STATUS_OK) return st;
    clnn_conv_params p;
    clnn_node_conv_params(g, n, &p);
    p.activation = CLNN_ACTIVATION_NONE;
    p.residual = CLNN_RESIDUAL_NONE;
    int P, Q;
    st = clnn_conv_output_size(&p, &P, &Q);
    if (st != CLNN_STATUS_OK) return op_fail(n, st, "%s", clnn_last_error());
    int64_t d[4] = {x->dims[0], w->dims[0], P, Q};
    if (r == 1) d[2] = Q;
    return op_set_out(g, n, 0, CLNN_DTYPE_FLOAT, d, x->ndim);
}

static node_work conv_work(const clnn_graph *g, const gnode *n)
{
    node_work w = op_io_work(g, n);
    const gtensor *wt = op_in(g, n, 1), *out = op_out(g, n, 0);
    /* K x Cg x R x S weights, each used once per output pixel and image. */
    double per_out = (double)clnn_shape_count(wt->dims, wt->ndim) / (double)wt->dims[0];
    double out_n = (double)clnn_shape_count(out->dims, out->ndim);
    w.flops = 2.0 * out_n * per_out;
    w.kernels = 3;
    if (n->fused.residual >= 0) w.bytes += 4.0 * out_n;
    return w;
}

#define WINDOW_ROWS(st)                                                                       \
    A_ENUM("auto_pad", st, auto_pad, auto_pad_modes, PAD_NOTSET),                             \
    A_INTS("strides", st, strides, nstrides, 1, W_LIMIT),                                     \
    A_INTS("pads", st, pads, npads, 0, W_LIMIT)

static const op_attr conv_rows[] = {
    WINDOW_ROWS(window_attrs),
    A_INTS("kernel_shape", window_attrs, kernel_shape, nkernel, 1, W_LIMIT),
    A_INTS("dilations", window_attrs, dilations, ndilations, 1, W_LIMIT),
    A_INT("group", window_attrs, group, 1, 1, 1 << 24),
};

/* A Conv layer's state: the 2-D convolution, or a 3-D window (window3d.c). */
typedef struct conv_layer {
    clnn_conv *conv;
    void *w3;
} conv_layer;

static clnn_status conv_prepare_2d(clnn_context *ctx, const clnn_device *dev,
                                   const clnn_graph *g, const gnode *n, void **state);

static clnn_status conv_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                const gnode *n, void **state)
{
    *state = NULL;
    conv_layer *l = calloc(1, sizeof *l);
    if (!l) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (Conv)", n->name);
    const gtensor *x = clnn_node_input(g, n, 0);
    clnn_status st = x->ndim == 5
                         ? clnn_w3_prepare(ctx, dev, g, n, &OP_A(n, window_attrs)->geo, &l->w3)
                         : conv_prepare_2d(ctx, dev, g, n, (void **)&l->conv);
    if (st != CLNN_STATUS_OK) {
        free(l);
        return st;
    }
    *state = l;
    return CLNN_STATUS_OK;
}

static clnn_status conv_prepare_2d(clnn_context *ctx, const clnn_device *dev,
                                   const clnn_graph *g, const gnode *n, void **state)
{
    clnn_conv_params p;
    clnn_status pst = clnn_node_conv_params(g, n, &p);
    if (pst != CLNN_STATUS_OK) return pst;
    const gtensor *w = clnn_node_input(g, n, 1), *b = clnn_node_input(g, n, 2);
    clnn_conv *conv = NULL;
    clnn_status st = clnn_conv_create(ctx, dev->index, &p, CLNN_CONV_ALGO_AUTO, w->data,
                                      b ? b->data : NULL, &conv);
    if (st != CLNN_STATUS_OK)
        return clnn_fail(ctx, st, "node '%s' (Conv): %s", n->name, clnn_last_error());
    *state = conv;
    return CLNN_STATUS_OK;
}

static clnn_status conv_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                cl_uint nw, const cl_event *w, cl_event *done)
{
    conv_layer *l = state;
    if (l->w3) return clnn_w3_enqueue(l->w3, q, io, nw, w, done);
    return clnn_conv_enqueue_at(l->conv, q, io->in[0], io->residual, io->out, io->out_off,
                                io->out_img_stride, nw, w, done);
}

/* The epilogue of node n as convolution parameters (bias, activation, residual). */
static clnn_conv_params node_epilogue(const clnn_graph *g, const gnode *n)
{
    clnn_conv_params ep;
    memset(&ep, 0, sizeof ep);
    ep.has_bias = op_in(g, n, 2) != NULL;
    ep.activation = n->fused.act;
    ep.act_alpha = n->fused.act_a;
    ep.act_beta = n->fused.act_b;
    ep.residual = n->fused.residual >= 0 ? n->fused.residual_mode : CLNN_RESIDUAL_NONE;
    return ep;
}

static clnn_status conv_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                  const float *residual, float *out)
{
    if (op_in(g, n, 0)->ndim == 5) {
        const clnn_conv_params ep = node_epilogue(g, n);
        return clnn_w3_reference(&OP_A(n, window_attrs)->geo, in[0], in[1], in[2], residual,
                                 &ep, out);
    }
    clnn_conv_params p;
    clnn_status st = clnn_node_conv_params(g, n, &p);
    return st == CLNN_STATUS_OK ? clnn_conv_reference(&p, in[0], in[1], in[2], residual, out) : st;
}

static void conv_destroy(void *state)
{
    conv_layer *l = state;
    if (!l) return;
    clnn_conv_destroy(l->conv);
    clnn_w3_destroy(l->w3);
    free(l);
}

static const char *conv_describe(const void *state)
{
    const conv_layer *l = state;
    return l->w3 ? clnn_w3_describe(l->w3) : clnn_conv_config(l->conv);
}

const clnn_layer_impl clnn_layer_conv = {
    .name = "conv",
    .host_inputs = (1u << 1) | (1u << 2),
    .strided_output = true,
    .prepare = conv_prepare,
    .enqueue = conv_enqueue,
    .reference = conv_reference,
    .destroy = conv_destroy,
    .describe = conv_describe,
};

/* Pools that window3d.c runs: 3-D windows and MaxPool's Indices. */
static bool pool_is_w3(const clnn_graph *g, const gnode *n)
{
    const bool global = n->op == OP_GLOBAL_MAX_POOL || n->op == OP_GLOBAL_AVERAGE_POOL;
    return !global && (OP_A(n, window_attrs)->indices || op_in(g, n, 0)->ndim == 5);
}

/* A pooling layer's state: the 2-D pool, or a 3-D window (window3d.c). */
typedef struct pool_layer {
    clnn_pool *pool;
    void *w3;
} pool_layer;

static clnn_status pool_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                const gnode *n, void **state)
{
    *state = NULL;
    pool_layer *l = calloc(1, sizeof *l);
    if (!l)
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name,
                         clnn_op_name(n->op));
    clnn_status st;
    if (pool_is_w3(g, n)) {
        st = clnn_w3_prepare(ctx, dev, g, n, &OP_A(n, window_attrs)->geo, &l->w3);
    } else {
        clnn_pool_params p;
        st = clnn_node_pool_params(g, n, &p);
        if (st == CLNN_STATUS_OK) {
            st = clnn_pool_create(ctx, dev->index, &p, &l->pool);
            if (st != CLNN_STATUS_OK)
                st = clnn_fail(ctx, st, "node '%s' (%s): %s", n->name, clnn_op_name(n->op),
                               clnn_last_error());
        }
    }
    if (st != CLNN_STATUS_OK) {
        free(l);
        return st;
    }
    *state = l;
    return CLNN_STATUS_OK;
}

static clnn_status pool_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                cl_uint nw, const cl_event *w, cl_event *done)
{
    pool_layer *l = state;
    if (l->w3) return clnn_w3_enqueue(l->w3, q, io, nw, w, done);
    return clnn_pool_enqueue_at(l->pool, q, io->in[0], io->out, io->out_off, io->out_img_stride,
                                nw, w, done);
}

static clnn_status pool_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                  const float *residual, float *out)
{
    (void)residual;
    if (pool_is_w3(g, n))
        return clnn_w3_reference(&OP_A(n, window_attrs)->geo, in[0], NULL, NULL, NULL, NULL,
                                 out);
    clnn_pool_params p;
    clnn_status st = clnn_node_pool_params(g, n, &p);
    return st == CLNN_STATUS_OK ? clnn_pool_reference(&p, in[0], out) : st;
}

static void pool_destroy(void *state)
{
    pool_layer *l = state;
    if (!l) return;
    clnn_pool_destroy(l->pool);
    clnn_w3_destroy(l->w3);
    free(l);
}

static const char *pool_describe(const void *state)
{
    const pool_layer *l = state;
    return l->w3 ? clnn_w3_describe(l->w3) : "";
}

const clnn_layer_impl clnn_layer_pool = {
    .name = "pool",
    .strided_output = true,
    .prepare = pool_prepare,
    .enqueue = pool_enqueue,
    .reference = pool_reference,
    .destroy = pool_destroy,
    .describe = pool_describe,
};

const clnn_op_def clnn_op_conv = {
    .name = "Conv",
    .since = {1, 11},
    .min_in = 2, .max_in = 3, .max_out = 1,
    .optional_in = 1u << 2,
    OP_ATTRS(conv_rows),
    .attr_size = sizeof(window_attrs),
    .check = check_window,
    .infer = conv_infer,
    .layer = &clnn_layer_conv,
    .work = conv_work,
    .notes = "1-D, 2-D and 3-D; groups, depthwise, dilation, asymmetric and auto padding; "
             "bias, activations and a residual Add fused",
};

/* ---- pooling ------------------------------------------------------------------------------ */

static clnn_status pool_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    window_attrs *a = n->attrs;
    clnn_status st = op_need_float(g, n, 0);
    if (st != CLNN_STATUS_OK) return st;
    const bool global = n->op == OP_GLOBAL_MAX_POOL || n->op == OP_GLOBAL_AVERAGE_POOL;
    if (x->ndim < 3 || (!global && x->ndim > 5))
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "input '%s' has %d dimensions; clnn pools 1-D, 2-D and 3-D maps%s",
                       x->name, x->ndim, global ? "" : " (and globally any)");
    if (global) {
        int64_t d[CLNN_MAX_DIMS];
        for (int i = 0; i < x->ndim; i++) d[i] = i < 2 ? x->dims[i] : 1;
        return op_set_out(g, n, 0, CLNN_DTYPE_FLOAT, d, x->ndim);
    }
    const int r = x->ndim - 2;
    if (a->nkernel != r || (a->nstrides && a->nstrides != r) ||
        (a->ndilations && a->ndilations != r) || (a->npads && a->npads != 2 * r))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "the attributes describe another number of spatial axes than the "
                       "input's %d", r);
    const w3_kind kind = n->op == OP_MAX_POOL ? W3_MAX : W3_AVG;
    /* MaxPool's Indices: its own node after lowering, a second output before. */
    if (a->indices) {
        st = window_geom(n, a, x, NULL, W3_ARGMAX, &a->geo);
        return st == CLNN_STATUS_OK ? set_geom_out(g, n, 0, CLNN_DTYPE_INT64, &a->geo, r) : st;
    }
    if (n->noutputs > 1 && op_out(g, n, 1)) {
        w3_geom q;
        st = window_geom(n, a, x, NULL, W3_ARGMAX, &q);
        if (st == CLNN_STATUS_OK) st = set_geom_out(g, n, 1, CLNN_DTYPE_INT64, &q, r);
        if (st != CLNN_STATUS_OK) return st;
    }
    if (r == 3) {
        st = window_geom(n, a, x, NULL, kind, &a->geo);
        return st == CLNN_STATUS_OK ? set_geom_out(g, n, 0, CLNN_DTYPE_FLOAT, &a->geo, r) : st;
    }
    int64_t k[2] = {axis_val(a->kernel_shape, a->nkernel, r, 0, 1),
                    axis_val(a->kernel_shape, a->nkernel, r, 1, 1)};
    st = resolve_pads(n, a, x, k);
    if (st != CLNN_STATUS_OK) return st;
    clnn_pool_params p;
    clnn_node_pool_params(g, n, &p);
    int P, Q;
    st = clnn_pool_output_size(&p, &P, &Q);
    if (st != CLNN_STATUS_OK) return op_fail(n, st, "%s", clnn_last_error());
    int64_t d[4] = {x->dims[0], x->dims[1], P, Q};
    if (r == 1) d[2] = Q;
    return op_set_out(g, n, 0, CLNN_DTYPE_FLOAT, d, x->ndim);
}

static node_work pool_work(const clnn_graph *g, const gnode *n)
{
    node_work w = op_io_work(g, n);
    const window_attrs *a = OP_A(n, window_attrs);
    const gtensor *out = op_out(g, n, 0);
    double k = 1;
    for (int i = 0; i < a->nkernel; i++) k *= (double)a->kernel_shape[i];
    w.flops = (double)clnn_shape_count(out->dims, out->ndim) * k;
    return w;
}

static const op_attr max_pool_rows[] = {
    WINDOW_ROWS(window_attrs),
    A_INTS("kernel_shape", window_attrs, kernel_shape, nkernel, 1, W_LIMIT, .required = true),
    A_INT("ceil_mode", window_attrs, ceil_mode, 0, 0, 1, .since = 10),
    A_INTS("dilations", window_attrs, dilations, ndilations, 1, W_LIMIT, .since = 10),
    A_INT("storage_order", window_attrs, storage_order, 0, 0, 1, .since = 8),
};

static const op_attr average_pool_rows[] = {
    WINDOW_ROWS(window_attrs),
    A_INTS("kernel_shape", window_attrs, kernel_shape, nkernel, 1, W_LIMIT, .required = true),
    A_INT("ceil_mode", window_attrs, ceil_mode, 0, 0, 1, .since = 10),
    A_INT("count_include_pad", window_attrs, count_include_pad, 0, 0, 1, .since = 7),
    A_INTS("dilations", window_attrs, dilations, ndilations, 1, W_LIMIT, .since = 19),
};

/* The Indices output came with version 8. */
static clnn_status max_pool_check(gnode *n)
{
    if (n->noutputs > 1 && n->version < 8)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%d outputs; MaxPool %d has one (Indices came with version 8)",
                       n->noutputs, n->version);
    return check_window(n);
}

/* Indices: a node of its own (the layer writes one output), the original keeps Y. */
static clnn_status max_pool_lower(clnn_graph *g, int node)
{
    gnode *n = &g->nodes[node];
    if (n->noutputs < 2) return CLNN_STATUS_OK;
    if (n->outputs[1] >= 0) {
        window_attrs a = *OP_A(n, window_attrs);
        a.indices = 1;
        /* The geometry now: the caller may run the layer before inferring again. */
        clnn_status st = window_geom(n, &a, op_in(g, n, 0), NULL, W3_ARGMAX, &a.geo);
        if (st != CLNN_STATUS_OK) return st;
        char name[600];
        snprintf(name, sizeof name, "%.500s#Indices", n->name);
        const int in = n->inputs[0], out = n->outputs[1];
        if (clnn_graph_append_node(g, OP_MAX_POOL, n->version, name, &in, 1, &out, 1, &a) < 0)
            return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        n = &g->nodes[node]; /* the array may have moved */
        n->outputs[1] = -1;
    }
    n->noutputs = 1;
    if (n->outputs[0] < 0) n->removed = true;
    return CLNN_STATUS_OK;
}

const clnn_op_def clnn_op_max_pool = {
    .name = "MaxPool",
    .since = {1, 8, 10, 11, 12},
    .min_in = 1, .max_in = 1, .max_out = 2,
    OP_ATTRS(max_pool_rows),
    .attr_size = sizeof(window_attrs),
    .check = max_pool_check,
    .infer = pool_infer,
    .layer = &clnn_layer_pool,
    .work = pool_work,
    .lower = max_pool_lower,
    .notes = "1-D, 2-D and 3-D; ceil_mode, dilations, auto padding; the Indices output "
             "(storage_order 0 and 1) held as exact floats on devices, inputs up to 2^24 "
             "elements",
};

const clnn_op_def clnn_op_average_pool = {
    .name = "AveragePool",
    .since = {1, 7, 10, 11, 19},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(average_pool_rows),
    .attr_size = sizeof(window_attrs),
    .check = check_window,
    .infer = pool_infer,
    .layer = &clnn_layer_pool,
    .work = pool_work,
    .notes = "1-D, 2-D and 3-D; ceil_mode, count_include_pad, dilations, auto padding",
};

const clnn_op_def clnn_op_global_average_pool = {
    .name = "GlobalAveragePool",
    .since = {1},
    .min_in = 1, .max_in = 1, .max_out = 1,
    .attr_size = sizeof(window_attrs),
    .infer = pool_infer,
    .layer = &clnn_layer_pool,
};

const clnn_op_def clnn_op_global_max_pool = {
    .name = "GlobalMaxPool",
    .since = {1},
    .min_in = 1, .max_in = 1, .max_out = 1,
    .attr_size = sizeof(window_attrs),
    .infer = pool_infer,
    .layer = &clnn_layer_pool,
};
