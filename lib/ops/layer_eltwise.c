/*
 * layer_eltwise.c - elementwise layers (kernels/eltwise.cl) with their plain C references:
 * standalone Relu, Clip, LeakyRelu and Sigmoid (safe in place: the executor may pass one
 * buffer as input and output), and Add / Mul with numpy broadcasting up to 8-D followed by
 * the node's fused activation.
 *
 * Broadcasting: both operands are aligned to the output's rank; dimensions of extent 1 are
 * dropped and neighbouring dimensions merge while each operand either steps through both
 * contiguously or repeats both. [N,C,H,W] + [C,1,1] becomes [N, C, H*W] with strides
 * (C*H*W, H*W, 1) and (0, 1, 0); same shapes or a scalar become one dimension. The kernel
 * walks the innermost remaining dimension across work-items, where each operand's stride is
 * 1 or 0 (compiled in), the next one along launch dimension 1 and the rest along dimension 2
 * (divided back into dimensions only when more than three are left).
 */
#include "layer_small.h"

#include <stdlib.h>
#include <string.h>

/* ---- activations ------------------------------------------------------------------------ */

typedef struct act_state {
    clnn_context *ctx;
    clnn_device *dev;
    char *node;
    const char *op;
    cl_kernel k;
    int count;
    float a, b;
    size_t local;
} act_state;

/* The activation a standalone activation node computes. */
static clnn_activation act_of(const gnode *n, float *a, float *b)
{
    *a = *b = 0.0f;
    switch (n->op) {
    case OP_RELU: return CLNN_ACTIVATION_RELU;
    case OP_CLIP:
        *a = n->a.clip_min;
        *b = n->a.clip_max;
        return CLNN_ACTIVATION_CLIP;
    case OP_LEAKY_RELU: *a = n->a.alpha; return CLNN_ACTIVATION_LEAKY_RELU;
    case OP_SIGMOID: return CLNN_ACTIVATION_SIGMOID;
    default: return CLNN_ACTIVATION_NONE;
    }
}

static void act_destroy(void *state)
{
    act_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s);
}

static clnn_status act_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                               const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    float a, b;
    clnn_activation act = act_of(n, &a, &b);
    if (act == CLNN_ACTIVATION_NONE)
        return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "node '%s' (%s): not an activation",
                         n->name, op);
    const size_t count = clnn_tensor_count(clnn_node_output(g, n));
    clnn_status st = small_count_ok(ctx, n->name, op, count);
    if (st != CLNN_STATUS_OK) return st;
    act_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->dev = dev;
    s->op = op;
    s->count = (int)count;
    s->a = a;
    s->b = b;
    s->local = small_local(dev, (size_t)s->count);
    char opts[32];
    snprintf(opts, sizeof opts, "-DACT=%d", (int)act);
    st = clnn_kernel_create(ctx, dev, "eltwise", opts, "act_forward", &s->k);
    if (st != CLNN_STATUS_OK) {
        act_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status act_enqueue(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                               const cl_event *w, cl_event *done)
{
    act_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], (size_t)s->count, "input");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->out, (size_t)s->count, "output");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out), CLNN_ARG(s->count),
                       CLNN_ARG(s->a), CLNN_ARG(s->b)};
    st = clnn_set_args(s->ctx, s->k, "act_forward", args, CLNN_ARRAY_LEN(args));
    size_t g = (size_t)s->count;
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "act_forward", 1, &g, &s->local, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

static clnn_status act_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                 const float *residual, float *out)
{
    (void)residual;
    float a, b;
    clnn_activation act = act_of(n, &a, &b);
    size_t count = clnn_tensor_count(clnn_node_output(g, n));
    for (size_t i = 0; i < count; i++) out[i] = clnn_ref_activate(in[0][i], act, a, b);
    return CLNN_STATUS_OK;
}

const clnn_layer_impl clnn_layer_act = {
    .name = "act",
    .prepare = act_prepare,
    .enqueue = act_enqueue,
    .reference = act_reference,
    .destroy = act_destroy,
};

/* ---- Add / Mul with broadcasting ------------------------------------------------------- */

typedef struct binary_state {
    clnn_context *ctx;
    clnn_device *dev;
    char *node;
    const char *op;
    cl_kernel k;
    cl_int8 shape, sa, sb; /* collapsed, innermost first */
    int rank, outer, rest; /* rest: the product of collapsed dimensions 2.. */
    bool split;            /* rows beyond a GPU's grid: the SPLIT_ROWS form */
    float act_a, act_b;
    size_t count, a_count, b_count, local;
    char desc[96];
} binary_state;

/* Aligns a and b to y's rank and collapses the broadcast (see the banner). Writes extents
 * and strides innermost first, padded with extent 1 / stride 0, and returns the rank (>= 1). */
static int collapse(const gtensor *y, const gtensor *a, const gtensor *b, int *dims, int *sa,
                    int *sb)
{
    const int nd = y->ndim;
    int64_t step_a = 1, step_b = 1;
    int r = 0;
    for (int i = 0; i < CLNN_MAX_DIMS; i++) dims[i] = 1, sa[i] = sb[i] = 0;
    for (int i = nd - 1; i >= 0; i--) {
        const int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        const int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        const int64_t d = y->dims[i];
        const int64_t xa = da == 1 ? 0 : step_a, xb = db == 1 ? 0 : step_b;
        step_a *= da;
        step_b *= db;
        if (d == 1) continue;
        if (r > 0 && xa == (int64_t)sa[r - 1] * dims[r - 1] &&
            xb == (int64_t)sb[r - 1] * dims[r - 1]) {
            dims[r - 1] *= (int)d;
            continue;
        }
        dims[r] = (int)d;
        sa[r] = (int)xa;
        sb[r] = (int)xb;
        r++;
    }
    return r ? r : 1;
}

static void binary_destroy(void *state)
{
    binary_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s);
}

static clnn_status binary_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                  const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    if (n->op != OP_ADD && n->op != OP_MUL)
        return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "node '%s' (%s): not Add or Mul", n->name,
                         op);
    const gtensor *a = clnn_node_input(g, n, 0), *b = clnn_node_input(g, n, 1);
    const gtensor *y = clnn_node_output(g, n);
    clnn_status st = small_count_ok(ctx, n->name, op, clnn_tensor_count(y));
    if (st != CLNN_STATUS_OK) return st;
    binary_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->dev = dev;
    s->op = op;
    s->count = clnn_tensor_count(y);
    s->a_count = clnn_tensor_count(a);
    s->b_count = clnn_tensor_count(b);
    int dims[CLNN_MAX_DIMS], sa[CLNN_MAX_DIMS], sb[CLNN_MAX_DIMS];
    s->rank = collapse(y, a, b, dims, sa, sb);
    for (int i = 0; i < CLNN_MAX_DIMS; i++) {
        s->shape.s[i] = dims[i];
        s->sa.s[i] = sa[i];
        s->sb.s[i] = sb[i];
    }
    s->outer = (int)(s->count / (size_t)dims[0]);
    s->act_a = n->fused.act_a;
    s->act_b = n->fused.act_b;
    s->local = small_local(dev, (size_t)dims[0]);
    /* The innermost stride of an operand is 1 or 0 (every dimension inside it has extent 1). */
    if ((sa[0] != 0 && sa[0] != 1) || (sb[0] != 0 && sb[0] != 1)) {
        binary_destroy(s);
        return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "node '%s' (%s): innermost strides %d, %d",
                         n->name, op, sa[0], sb[0]);
    }
    s->rest = s->outer / dims[1];
    s->split = dims[1] > SMALL_MAX_GROUPS_YZ || s->rest > SMALL_MAX_GROUPS_YZ;
    char opts[128];
    snprintf(opts, sizeof opts,
             "-DACT=%d -DBINARY_MUL=%d -DA_INNER=%d -DB_INNER=%d -DNDIM=%d -DSPLIT_ROWS=%d",
             (int)n->fused.act, n->op == OP_MUL, sa[0], sb[0], s->rank, s->split);
    st = clnn_kernel_create(ctx, dev, "eltwise", opts, "binary_nd", &s->k);
    if (st != CLNN_STATUS_OK) {
        binary_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    snprintf(s->desc, sizeof s->desc, "broadcast over %d dim%s, %d x %d", s->rank,
             s->rank == 1 ? "" : "s", dims[0], s->outer);
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status binary_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                  cl_uint nw, const cl_event *w, cl_event *done)
{
    binary_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], s->a_count, "input A");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->in[1], s->b_count, "input B");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->out, s->count, "output");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->in[1]), CLNN_ARG(io->out),
                       CLNN_ARG(s->shape),  CLNN_ARG(s->sa),    CLNN_ARG(s->sb),
                       CLNN_ARG(s->outer),  CLNN_ARG(s->act_a), CLNN_ARG(s->act_b)};
    st = clnn_set_args(s->ctx, s->k, "binary_nd", args, CLNN_ARRAY_LEN(args));
    size_t g[3] = {(size_t)s->shape.s[0], (size_t)s->shape.s[1], (size_t)s->rest};
    size_t l[3] = {s->local, 1, 1};
    if (s->split) small_split((size_t)s->outer, &g[1], &g[2]);
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "binary_nd", 3, g, l, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

/* Plain N-D broadcasting over the original shapes (no collapsing), then the activation. */
static clnn_status binary_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                    const float *residual, float *out)
{
    (void)residual;
    const gtensor *a = clnn_node_input(g, n, 0), *b = clnn_node_input(g, n, 1);
    const gtensor *y = clnn_node_output(g, n);
    const int nd = y->ndim;
    const size_t count = clnn_tensor_count(y);
    for (size_t i = 0; i < count; i++) {
        size_t r = i, ia = 0, ib = 0, step_a = 1, step_b = 1;
        for (int d = nd - 1; d >= 0; d--) {
            const size_t q = r % (size_t)y->dims[d];
            r /= (size_t)y->dims[d];
            const int da = d - (nd - a->ndim), db = d - (nd - b->ndim);
            if (da >= 0) {
                if (a->dims[da] != 1) ia += q * step_a;
                step_a *= (size_t)a->dims[da];
            }
            if (db >= 0) {
                if (b->dims[db] != 1) ib += q * step_b;
                step_b *= (size_t)b->dims[db];
            }
        }
        const float v = n->op == OP_MUL ? in[0][ia] * in[1][ib] : in[0][ia] + in[1][ib];
        out[i] = clnn_ref_activate(v, n->fused.act, n->fused.act_a, n->fused.act_b);
    }
    return CLNN_STATUS_OK;
}

static const char *binary_describe(const void *state)
{
    return ((const binary_state *)state)->desc;
}

const clnn_layer_impl clnn_layer_binary = {
    .name = "binary",
    .prepare = binary_prepare,
    .enqueue = binary_enqueue,
    .reference = binary_reference,
    .destroy = binary_destroy,
    .describe = binary_describe,
};
