/*
 * window3d.h - 3-D windows (window3d.c, kernels/window3d.cl): Conv, MaxPool and AveragePool
 * on rank-5 inputs, and MaxPool's Indices output at any rank, for layer_conv.c's layers.
 */
#ifndef CLNN_WINDOW3D_H
#define CLNN_WINDOW3D_H

#include "conv.h"
#include "layer.h"

typedef enum w3_kind { W3_CONV, W3_MAX, W3_AVG, W3_ARGMAX } w3_kind;

/* A node's geometry as 3-D (axis 0: depth, 1: height, 2: width; lower ranks have leading
 * sizes of 1). Pools: M = C and Cg = Mg = 1. pb / pe: padding at the beginning / end. */
typedef struct w3_geom {
    int kind;
    int N, C, M, Cg, Mg;
    int in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
    bool has_bias, ceil_mode, count_include_pad, col_major;
} w3_geom;

/* Checks q and computes q->out; errors name node n. */
clnn_status clnn_w3_finish(const gnode *n, w3_geom *q);

/* The plain C reference (double accumulation). ep: the epilogue (has_bias, activation,
 * residual) for W3_CONV, unused otherwise; W3_ARGMAX writes the indices as floats. */
clnn_status clnn_w3_reference(const w3_geom *q, const float *x, const float *w, const float *b,
                              const float *residual, const clnn_conv_params *ep, float *y);

/* The layer: prepare uploads the weights (input 1) and bias (input 2) of a convolution. */
clnn_status clnn_w3_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                            const gnode *n, const w3_geom *q, void **state);
clnn_status clnn_w3_enqueue(void *state, cl_command_queue cq, const layer_io *io, cl_uint nw,
                            const cl_event *w, cl_event *done);
void clnn_w3_destroy(void *state);
const char *clnn_w3_describe(const void *state);

#endif
