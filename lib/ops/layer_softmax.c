/*
 * layer_softmax.c - the Softmax and LogSoftmax operators (kernels/softmax.cl) and their
 * plain C reference in double.
 *
 * Version 13 and later: along `axis` alone, the tensor viewed as
 * [prod(dims[:axis]), dims[axis], prod(dims[axis+1:])]. Before 13: the tensor is flattened
 * to 2-D [prod(dims[:axis]), prod(dims[axis:])] and the rows are normalised, i.e. the same
 * view with L = prod(dims[axis:]) and inner = 1.
 */
#include "layer_small.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows (inner == 1) from this length reduce with a work-group; shorter ones, and strided
 * axes, take one work-item per row. */
#define ROW_GROUP_MIN 32
/* Work-items per row in softmax_rows: enough for PoCL's vectoriser on CPUs, a few warps on
 * GPUs (at most the device's work-group size, a power of two). */
#define SWG_CPU 16
#define SWG_GPU 256

typedef struct softmax_state {
    clnn_context *ctx;
    char *node;
    const char *op;
    cl_kernel k;
    bool rows;
    int outer, L, inner, swg;
    size_t count, local;
    char desc[64];
} softmax_state;

/* The [outer, L, inner] view of node n's input. */
static void softmax_view(const gtensor *x, const gnode *n, size_t *outer, size_t *L,
                         size_t *inner)
{
    const int axis = OP_A(n, axis_attrs)->resolved;
    *outer = (size_t)clnn_shape_count(x->dims, axis);
    if (n->version >= 13) {
        *L = (size_t)x->dims[axis];
        *inner = (size_t)clnn_shape_count(x->dims + axis + 1, x->ndim - axis - 1);
    } else {
        *L = (size_t)clnn_shape_count(x->dims + axis, x->ndim - axis);
        *inner = 1;
    }
}

static void softmax_destroy(void *state)
{
    softmax_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s);
}

static clnn_status softmax_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                   const gnode *n, void **state)
{
    *state = NULL;
    const gtensor *x = clnn_node_input(g, n, 0);
    const char *op = clnn_op_name(n->op);
    clnn_status st = small_count_ok(ctx, n->name, op, clnn_tensor_count(x));
    if (st != CLNN_STATUS_OK) return st;
    softmax_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->op = op;
    size_t outer, L, inner;
    softmax_view(x, n, &outer, &L, &inner);
    s->outer = (int)outer;
    s->L = (int)L;
    s->inner = (int)inner;
    s->count = clnn_tensor_count(x);
    s->rows = inner == 1 && L >= ROW_GROUP_MIN;
    char opts[64] = "";
    if (s->rows) {
        size_t want = dev->info.type == CLNN_DEVICE_TYPE_GPU ? SWG_GPU : SWG_CPU;
        size_t swg = 1;
        while (swg * 2 <= want && swg * 2 <= dev->info.max_work_group_size &&
               swg * 2 <= dev->info.max_work_item_sizes[0])
            swg *= 2;
        s->swg = (int)swg;
        s->local = swg;
    } else {
        s->local = small_local(dev, outer * inner);
    }
    /* Barriers in uniform loops make PoCL vectorise across work-items (kernels/softmax.cl). */
    snprintf(opts, sizeof opts, "-DSWG=%d -DLOOP_SYNC=%d -DLOG_SOFTMAX=%d", s->rows ? s->swg : 1,
             dev->info.type != CLNN_DEVICE_TYPE_GPU, n->op == OP_LOG_SOFTMAX);
    const char *kname = s->rows ? "softmax_rows" : "softmax_strided";
    st = clnn_kernel_create(ctx, dev, "softmax", opts, kname, &s->k);
    if (st != CLNN_STATUS_OK) {
        softmax_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    if (s->rows)
        snprintf(s->desc, sizeof s->desc, "%d rows of %d, %d items each", s->outer, s->L, s->swg);
    else
        snprintf(s->desc, sizeof s->desc, "strided, L %d inner %d", s->L, s->inner);
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status softmax_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                   cl_uint nw, const cl_event *w, cl_event *done)
{
    softmax_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], s->count, "input");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->out, s->count, "output");
    if (st != CLNN_STATUS_OK) return st;
    if (s->count == 0)
        return clnn_fail(s->ctx, CLNN_STATUS_INTERNAL, "node '%s' (%s): empty tensor",
                         s->node, s->op);
    if (s->rows) {
        clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out), CLNN_ARG(s->L)};
        st = clnn_set_args(s->ctx, s->k, "softmax_rows", args, CLNN_ARRAY_LEN(args));
        size_t g = (size_t)s->outer * s->local;
        if (st == CLNN_STATUS_OK)
            st = clnn_launch(s->ctx, q, s->k, "softmax_rows", 1, &g, &s->local, nw, w, done);
    } else {
        int positions = s->outer * s->inner;
        clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out), CLNN_ARG(s->L),
                           CLNN_ARG(s->inner), CLNN_ARG(positions)};
        st = clnn_set_args(s->ctx, s->k, "softmax_strided", args, CLNN_ARRAY_LEN(args));
        size_t g = (size_t)positions;
        if (st == CLNN_STATUS_OK)
            st = clnn_launch(s->ctx, q, s->k, "softmax_strided", 1, &g, &s->local, nw, w, done);
    }
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

static clnn_status softmax_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                     const float *residual, float *out)
{
    (void)residual;
    size_t outer, L, inner;
    softmax_view(clnn_node_input(g, n, 0), n, &outer, &L, &inner);
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            const float *x = in[0] + o * L * inner + i;
            float *y = out + o * L * inner + i;
            double m = -INFINITY, sum = 0.0;
            for (size_t l = 0; l < L; l++) m = fmax(m, x[l * inner]);
            for (size_t l = 0; l < L; l++) sum += exp(x[l * inner] - m);
            const bool log_sm = n->op == OP_LOG_SOFTMAX;
            for (size_t l = 0; l < L; l++)
                y[l * inner] = (float)(log_sm ? x[l * inner] - m - log(sum)
                                              : exp(x[l * inner] - m) / sum);
        }
    return CLNN_STATUS_OK;
}

static const char *softmax_describe(const void *state)
{
    return ((const softmax_state *)state)->desc;
}

const clnn_layer_impl clnn_layer_softmax = {
    .name = "softmax",
    .prepare = softmax_prepare,
    .enqueue = softmax_enqueue,
    .reference = softmax_reference,
    .destroy = softmax_destroy,
    .describe = softmax_describe,
};

static clnn_status softmax_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    axis_attrs *a = n->attrs;
    clnn_status st = op_need_float(g, n, 0);
    if (st != CLNN_STATUS_OK) return st;
    /* A scalar has one element along its only (implicit) axis. */
    a->resolved = x->ndim == 0 ? 0 : op_norm_axis(a->axis, x->ndim);
    if (a->resolved < 0)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range for %d-D input",
                       (long long)a->axis, x->ndim);
    return op_same_as(g, n, 0, 0);
}

static node_work softmax_work(const clnn_graph *g, const gnode *n)
{
    node_work w = op_io_work(g, n);
    w.flops *= 4;
    return w;
}

/* The default axis changed in version 13 (1 before: the flattened rows). */
static const op_attr softmax_rows_attr[] = {
    A_INT("axis", axis_attrs, axis, 1, -CLNN_MAX_DIMS, CLNN_MAX_DIMS - 1, .until = 13),
    A_INT("axis", axis_attrs, axis, -1, -CLNN_MAX_DIMS, CLNN_MAX_DIMS - 1, .since = 13),
};

const clnn_op_def clnn_op_softmax = {
    .name = "Softmax",
    .since = {1, 11, 13},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(softmax_rows_attr),
    .attr_size = sizeof(axis_attrs),
    .infer = softmax_infer,
    .layer = &clnn_layer_softmax,
    .work = softmax_work,
    .notes = "any axis; the flattening semantics of versions before 13",
};

const clnn_op_def clnn_op_log_softmax = {
    .name = "LogSoftmax",
    .since = {1, 11, 13},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(softmax_rows_attr),
    .attr_size = sizeof(axis_attrs),
    .infer = softmax_infer,
    .layer = &clnn_layer_softmax,
    .work = softmax_work,
    .notes = "as Softmax",
};
