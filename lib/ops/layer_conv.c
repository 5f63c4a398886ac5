/*
 * layer_conv.c - Conv nodes (with their fused bias, activation and residual) as graph layers
 * on top of clnn_conv, and Global/Max/Average pooling nodes on top of clnn_pool. Both can
 * write into a slice of a concatenation.
 */
#include "conv.h"
#include "layer.h"
#include "pool.h"

static clnn_status conv_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                const gnode *n, void **state)
{
    clnn_conv_params p;
    clnn_node_conv_params(g, n, &p);
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
    return clnn_conv_enqueue_at(state, q, io->in[0], io->residual, io->out, io->out_off,
                                io->out_img_stride, nw, w, done);
}

static clnn_status conv_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                  const float *residual, float *out)
{
    clnn_conv_params p;
    clnn_node_conv_params(g, n, &p);
    return clnn_conv_reference(&p, in[0], in[1], in[2], residual, out);
}

static void conv_destroy(void *state) { clnn_conv_destroy(state); }
static const char *conv_describe(const void *state) { return clnn_conv_config(state); }

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

static clnn_status pool_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                const gnode *n, void **state)
{
    clnn_pool_params p;
    clnn_node_pool_params(g, n, &p);
    clnn_pool *pool = NULL;
    clnn_status st = clnn_pool_create(ctx, dev->index, &p, &pool);
    if (st != CLNN_STATUS_OK)
        return clnn_fail(ctx, st, "node '%s' (%s): %s", n->name, clnn_op_name(n->op),
                         clnn_last_error());
    *state = pool;
    return CLNN_STATUS_OK;
}

static clnn_status pool_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                cl_uint nw, const cl_event *w, cl_event *done)
{
    return clnn_pool_enqueue_at(state, q, io->in[0], io->out, io->out_off, io->out_img_stride,
                                nw, w, done);
}

static clnn_status pool_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                  const float *residual, float *out)
{
    (void)residual;
    clnn_pool_params p;
    clnn_node_pool_params(g, n, &p);
    return clnn_pool_reference(&p, in[0], out);
}

static void pool_destroy(void *state) { clnn_pool_destroy(state); }

const clnn_layer_impl clnn_layer_pool = {
    .name = "pool",
    .strided_output = true,
    .prepare = pool_prepare,
    .enqueue = pool_enqueue,
    .reference = pool_reference,
    .destroy = pool_destroy,
};
