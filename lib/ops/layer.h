/*
 * layer.h - how the session executor runs a graph node on a device. An operator's definition
 * (op.h) points at its clnn_layer_impl; views (Flatten, Reshape...) and operators computed on
 * the host only have none.
 *
 * prepare() sees the node with inferred shapes and its fused epilogue, builds kernels through
 * the context's program cache and uploads what it owns (weights). enqueue() reads device
 * buffers and writes the output at out_off floats with out_img_stride floats between images
 * (a slice of a concatenation) when strided_output is set, else densely at offset 0.
 * reference() recomputes the node on the host with the plain C references in lib/.
 */
#ifndef CLNN_LAYER_H
#define CLNN_LAYER_H

#include "../graph/op.h"
#include "ops.h"

typedef struct layer_io {
    cl_mem in[CLNN_MAX_NODE_INPUTS]; /* NULL for absent inputs and host_inputs */
    cl_mem residual;                 /* fused residual (n->fused.residual), else NULL */
    cl_mem out;
    int out_off;        /* floats */
    int out_img_stride; /* floats between images of the output */
} layer_io;

struct clnn_layer_impl {
    const char *name;
    /* Bit i set: input i is read from the graph by prepare (weights) and never uploaded by
     * the executor. */
    uint32_t host_inputs;
    /* The layer honours out_off / out_img_stride. */
    bool strided_output;
    clnn_status (*prepare)(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                           const gnode *n, void **state);
    clnn_status (*enqueue)(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                           const cl_event *w, cl_event *done);
    /* in[i]: host data of input i (constants from the graph; NULL when absent); residual as
     * for layer_io; out: dense output. */
    clnn_status (*reference)(const clnn_graph *g, const gnode *n, const float *const *in,
                             const float *residual, float *out);
    void (*destroy)(void *state);
    /* Optional: a description of the algorithm and knobs chosen by prepare ("" if NULL). */
    const char *(*describe)(const void *state);
};

/* The layer of an operator (its definition's), or NULL for views and host-only ones. */
static inline const clnn_layer_impl *clnn_layer_find(clnn_op op)
{
    return clnn_op_def_of(op)->layer;
}

/* Attributes of operators that take only an axis (Concat, Softmax, Flatten...): the value
 * given and, after inference, the axis in [0, rank). */
typedef struct axis_attrs {
    int64_t axis;
    int resolved;
} axis_attrs;

/* BatchNormalization's attributes (the passes fold it into a Conv). */
typedef struct bn_attrs {
    float epsilon;
    int spatial, is_test, training_mode;
} bn_attrs;

/* The convolution / pooling parameters of a Conv or pool node whose shapes are inferred
 * (fused epilogue included for Conv); layer_conv.c. */
clnn_status clnn_node_conv_params(const clnn_graph *g, const gnode *n, clnn_conv_params *p);
clnn_status clnn_node_pool_params(const clnn_graph *g, const gnode *n, clnn_pool_params *p);
/* A constant-mode Pad node of float data: its begin and end pads per axis of its input
 * (negative: cropped) and its value; false for other nodes, modes or types (pad.c). */
bool clnn_node_pad_constant(const clnn_graph *g, const gnode *n, int64_t *begin, int64_t *end,
                            float *value);
/* Makes a Conv, MaxPool or AveragePool node whose input is x (rank r + 2, shapes inferred)
 * compute what it computes on x padded by `value` (begin[d], end[d] >= 0 per spatial axis d)
 * by widening its own padding; false, the node unchanged, where that would not be exact
 * (auto padding, ceil mode, a value the node does not pad with, padding as large as a
 * pooling window) (layer_conv.c). */
bool clnn_node_absorb_pads(const clnn_graph *g, gnode *n, const int64_t *begin,
                           const int64_t *end, float value);
/* The product a Gemm or MatMul node computes on CLBlast (M x K times K x N, B transposed or
 * not); false for other nodes and for transposed A (layer_fc.c). */
bool clnn_node_fc_shape(const clnn_graph *g, const gnode *n, int *m, int *nn, int *k,
                        bool *trans_b);

/* The layers (one file each under lib/ops/). */
extern const clnn_layer_impl clnn_layer_conv;    /* layer_conv.c */
extern const clnn_layer_impl clnn_layer_pool;    /* layer_pool.c: all four pooling ops */
extern const clnn_layer_impl clnn_layer_fc;      /* layer_fc.c: Gemm and MatMul on CLBlast */
extern const clnn_layer_impl clnn_layer_act;     /* layer_eltwise.c: Relu, Clip, LeakyRelu, Sigmoid */
extern const clnn_layer_impl clnn_layer_binary;  /* layer_eltwise.c: Add, Mul (broadcast) */
extern const clnn_layer_impl clnn_layer_bn;      /* layer_norm.c: BatchNormalization */
extern const clnn_layer_impl clnn_layer_lrn;     /* layer_norm.c: LRN */
extern const clnn_layer_impl clnn_layer_softmax; /* layer_softmax.c */
extern const clnn_layer_impl clnn_layer_concat;  /* layer_concat.c: copies of inputs not
                                                    written in place */

/* Helpers for layers. */
const gtensor *clnn_node_input(const clnn_graph *g, const gnode *n, int i);
const gtensor *clnn_node_output(const clnn_graph *g, const gnode *n);
/* Elements of a tensor / per image (dims[0] is the batch). */
size_t clnn_tensor_count(const gtensor *t);

#endif
