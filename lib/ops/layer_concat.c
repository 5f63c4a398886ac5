/*
 * layer_concat.c - the Concat operator along any axis (kernel concat_copy in
 * kernels/eltwise.cl), its plain C reference, and its fold for integer shape tensors. Viewed as [outer, dims[axis] * inner], every input is a block of
 * columns of the output. Inputs whose producer already wrote them into their slice (the
 * executor passes NULL for them) are skipped; the others are copied by independent launches
 * that all wait on the caller's events, joined by a marker.
 */
#include "layer_small.h"

#include <stdlib.h>
#include <string.h>

typedef struct concat_state {
    clnn_context *ctx;
    clnn_device *dev;
    char *node;
    cl_kernel k;
    int ninputs;
    int outer, out_len;
    int *len, *off; /* floats per outer index, per input */
    size_t out_count;
} concat_state;

#define OP_NAME "Concat"

static void concat_destroy(void *state)
{
    concat_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s->len);
    free(s->off);
    free(s);
}

/* outer = prod(dims[:axis]) and inner = prod(dims[axis+1:]) of the output. */
static void concat_view(const gtensor *y, int axis, size_t *outer, size_t *inner)
{
    *outer = (size_t)clnn_shape_count(y->dims, axis);
    *inner = (size_t)clnn_shape_count(y->dims + axis + 1, y->ndim - axis - 1);
}

static clnn_status concat_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                  const gnode *n, void **state)
{
    *state = NULL;
    const gtensor *y = clnn_node_output(g, n);
    const int axis = OP_A(n, axis_attrs)->resolved;
    if (axis < 0 || axis >= y->ndim)
        return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "node '%s' (Concat): axis %d for %d-D",
                         n->name, axis, y->ndim);
    clnn_status st = small_count_ok(ctx, n->name, OP_NAME, clnn_tensor_count(y));
    if (st != CLNN_STATUS_OK) return st;
    concat_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (Concat)", n->name);
    }
    s->ctx = ctx;
    s->dev = dev;
    s->ninputs = n->ninputs;
    s->len = malloc((size_t)n->ninputs * sizeof *s->len);
    s->off = malloc((size_t)n->ninputs * sizeof *s->off);
    if (!s->len || !s->off) {
        concat_destroy(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (Concat)", n->name);
    }
    size_t outer, inner;
    concat_view(y, axis, &outer, &inner);
    s->outer = (int)outer;
    s->out_len = (int)(y->dims[axis] * (int64_t)inner);
    s->out_count = clnn_tensor_count(y);
    int off = 0;
    for (int i = 0; i < n->ninputs; i++) {
        const gtensor *x = clnn_node_input(g, n, i);
        s->len[i] = (int)(x->dims[axis] * (int64_t)inner);
        s->off[i] = off;
        off += s->len[i];
    }
    st = clnn_kernel_create(ctx, dev, "eltwise", "", "concat_copy", &s->k);
    if (st != CLNN_STATUS_OK) {
        concat_destroy(s);
        return small_fail(ctx, n->name, OP_NAME, st);
    }
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status concat_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                  cl_uint nw, const cl_event *w, cl_event *done)
{
    concat_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, OP_NAME, io->out, s->out_count, "output");
    for (int i = 0; st == CLNN_STATUS_OK && i < s->ninputs; i++)
        if (io->in[i] && s->len[i] > 0)
            st = small_check(s->ctx, s->node, OP_NAME, io->in[i],
                             (size_t)s->len[i] * (size_t)s->outer, "input");
    if (st != CLNN_STATUS_OK) return st;
    cl_event *ev = malloc((size_t)s->ninputs * sizeof *ev);
    cl_uint nev = 0;
    if (!ev) return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (Concat)", s->node);
    for (int i = 0; st == CLNN_STATUS_OK && i < s->ninputs; i++) {
        if (!io->in[i] || s->len[i] == 0) continue; /* written in place by its producer */
        clnn_arg args[] = {CLNN_ARG(io->in[i]), CLNN_ARG(io->out), CLNN_ARG(s->len[i]),
                           CLNN_ARG(s->outer),  CLNN_ARG(s->out_len), CLNN_ARG(s->off[i])};
        st = clnn_set_args(s->ctx, s->k, "concat_copy", args, CLNN_ARRAY_LEN(args));
        size_t g[3] = {(size_t)s->len[i], 1, 1}, l[3] = {small_local(s->dev, g[0]), 1, 1};
        small_split((size_t)s->outer, &g[1], &g[2]);
        if (st == CLNN_STATUS_OK)
            st = clnn_launch(s->ctx, q, s->k, "concat_copy", 3, g, l, nw, w, &ev[nev]);
        if (st == CLNN_STATUS_OK) nev++;
    }
    if (st == CLNN_STATUS_OK && done) {
        if (nev == 1) {
            *done = ev[0];
            nev = 0;
        } else {
            /* No copies: the marker stands for the caller's events (all earlier commands
             * when there are none). */
            cl_int err = nev ? clEnqueueMarkerWithWaitList(q, nev, ev, done)
                             : clEnqueueMarkerWithWaitList(q, nw, nw ? w : NULL, done);
            if (err != CL_SUCCESS)
                st = clnn_fail_cl(s->ctx, err, "marker after the copies");
        }
    }
    for (cl_uint i = 0; i < nev; i++) clReleaseEvent(ev[i]);
    free(ev);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, OP_NAME, st);
}

static clnn_status concat_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                    const float *residual, float *out)
{
    (void)residual;
    const gtensor *y = clnn_node_output(g, n);
    const int axis = OP_A(n, axis_attrs)->resolved;
    size_t outer, inner;
    concat_view(y, axis, &outer, &inner);
    const size_t out_len = (size_t)y->dims[axis] * inner;
    size_t off = 0;
    for (int i = 0; i < n->ninputs; i++) {
        const size_t len = (size_t)clnn_node_input(g, n, i)->dims[axis] * inner;
        if (!in[i])
            return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                             "node '%s' (Concat): the reference needs the data of input %d",
                             n->name, i);
        for (size_t o = 0; o < outer; o++)
            memcpy(out + o * out_len + off, in[i] + o * len, len * sizeof *out);
        off += len;
    }
    return CLNN_STATUS_OK;
}

const clnn_layer_impl clnn_layer_concat = {
    .name = "concat",
    .prepare = concat_prepare,
    .enqueue = concat_enqueue,
    .reference = concat_reference,
    .destroy = concat_destroy,
};

static clnn_status concat_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x0 = op_in(g, n, 0);
    axis_attrs *a = n->attrs;
    int axis = op_norm_axis(a->axis, x0->ndim);
    if (x0->ndim == 0 || axis < 0)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range for %d-D inputs",
                       (long long)a->axis, x0->ndim);
    int64_t d[CLNN_MAX_DIMS];
    memcpy(d, x0->dims, sizeof d);
    d[axis] = 0;
    for (int i = 0; i < n->ninputs; i++) {
        const gtensor *x = op_in(g, n, i);
        if (x->ndim != x0->ndim || x->dtype != x0->dtype)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "input %d ('%s') has another rank or element type than input 0", i,
                           x->name);
        for (int k = 0; k < x->ndim; k++)
            if (k != axis && x->dims[k] != x0->dims[k])
                return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                               "input %d differs in dimension %d (%lld vs %lld)", i, k,
                               (long long)x->dims[k], (long long)x0->dims[k]);
        if (!op_add_ok(d[axis], x->dims[axis], &d[axis]))
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "dimension %d overflows", axis);
    }
    a->resolved = axis;
    return op_set_out(g, n, 0, x0->dtype, d, x0->ndim);
}

/* Any element type: the same copies on bytes. */
static clnn_status concat_fold(clnn_graph *g, gnode *n)
{
    const gtensor *y = op_out(g, n, 0);
    const int axis = OP_A(n, axis_attrs)->resolved;
    const size_t es = op_host_esize(y);
    unsigned char *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    size_t outer, inner;
    concat_view(y, axis, &outer, &inner);
    const size_t out_len = (size_t)y->dims[axis] * inner;
    size_t off = 0;
    for (int i = 0; i < n->ninputs; i++) {
        const gtensor *x = op_in(g, n, i);
        const size_t len = (size_t)x->dims[axis] * inner;
        const unsigned char *src = op_host_data(x);
        for (size_t o = 0; o < outer && len; o++)
            memcpy(out + (o * out_len + off) * es, src + o * len * es, len * es);
        off += len;
    }
    return CLNN_STATUS_OK;
}

static const op_attr concat_rows[] = {
    A_INT("axis", axis_attrs, axis, 1, -CLNN_MAX_DIMS, CLNN_MAX_DIMS - 1, .until = 4),
    A_INT("axis", axis_attrs, axis, 1, -CLNN_MAX_DIMS, CLNN_MAX_DIMS - 1, .since = 4,
          .required = true),
};

const clnn_op_def clnn_op_concat = {
    .name = "Concat",
    .since = {1, 4, 11, 13},
    .min_in = 1, .max_in = CLNN_MAX_NODE_INPUTS, .max_out = 1,
    OP_ATTRS(concat_rows),
    .attr_size = sizeof(axis_attrs),
    .flags = OPF_ANY_TYPE,
    .infer = concat_infer,
    .fold = concat_fold,
    .layer = &clnn_layer_concat,
    .notes = "any axis; inputs written in place by their producers where they can",
};
