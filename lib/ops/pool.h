/*
 * pool.h - the pooling layer object (pool.c), shared with the graph executor.
 */
#ifndef CLNN_POOL_H
#define CLNN_POOL_H

#include "ops.h"

struct clnn_pool {
    clnn_context *ctx;
    clnn_device *dev;
    clnn_pool_params p; /* defaults applied */
    int P, Q;
    size_t in_count, out_count;
    cl_kernel kernel;
    bool large; /* global pooling through the work-group reduction */
    bool rows;  /* pool2d_rows: a work-item per output row, vectors along it (CPUs) */
    int qlo, qhi; /* its whole vectors' first and last starts (pool_vector_span) */
    int gwg;    /* its work-group size */
    clnn_staging staging;
};

/* Validates params (defaults applied into *out) and computes the output size. */
clnn_status clnn_pool_check(const clnn_context *ctx, const clnn_pool_params *params,
                            clnn_pool_params *out, int *P, int *Q);

/* Enqueues writing to out + out_off (floats), out_img_stride floats between images. */
clnn_status clnn_pool_enqueue_at(clnn_pool *pool, cl_command_queue q, cl_mem in, cl_mem out,
                                 int out_off, int out_img_stride, cl_uint nw,
                                 const cl_event *w, cl_event *done);
#endif
