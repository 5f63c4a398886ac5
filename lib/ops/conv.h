/*
 * conv.h - the convolution layer object and the interface each algorithm implements
 * (conv_direct.c, conv_1x1.c, conv_winograd.c). conv.c validates, chooses the algorithm and
 * dispatches.
 */
#ifndef CLNN_CONV_H
#define CLNN_CONV_H

#include "../tune/knobs.h"
#include "ops.h"

#define CLNN_CONV_MAX_KERNELS 4

/* A convolution's parameters with defaults applied (stride/dilation/groups >= 1) and the
 * derived sizes. */
typedef struct conv_shape {
    clnn_conv_params p;
    int P, Q;    /* output height, width */
    int Cg, Kg;  /* channels per group */
    size_t in_count, out_count, w_count;
} conv_shape;

struct clnn_conv {
    clnn_context *ctx;
    clnn_device *dev;
    conv_shape s;
    clnn_conv_algo algo;
    clnn_knob_config knobs;
    char config[160];

    cl_kernel kernels[CLNN_CONV_MAX_KERNELS];
    clnn_buffer weights; /* packed / transformed */
    clnn_buffer bias;    /* always allocated (zeros without bias) */
    clnn_buffer work[2]; /* scratch of the algorithm */
    size_t work_bytes[2];
    int ints[16];        /* algorithm-private sizes */
    clnn_staging staging;
};

typedef struct conv_algo_impl {
    clnn_conv_algo algo;
    const char *name;
    /* NULL if the algorithm applies, else why not. */
    const char *(*check)(const conv_shape *s);
    /* Builds kernels, packs/transforms and uploads weights and bias, sizes the scratch. */
    clnn_status (*prepare)(clnn_conv *c, const float *weights, const float *bias);
    /* Enqueues the layer: input, residual (or NULL), output are validated device buffers;
     * the output is written from out_off floats with out_img_stride floats per image. */
    clnn_status (*enqueue)(clnn_conv *c, cl_command_queue q, cl_mem in, cl_mem res, cl_mem out,
                           int out_off, int out_img_stride, cl_uint nw, const cl_event *w,
                           cl_event *done);
} conv_algo_impl;

extern const conv_algo_impl clnn_conv_direct_impl;
extern const conv_algo_impl clnn_conv_1x1_impl;
extern const conv_algo_impl clnn_conv_winograd2_impl;
extern const conv_algo_impl clnn_conv_winograd4_impl;
extern const conv_algo_impl clnn_conv_dw_impl;

/* Uploads the bias (zeros: one float, when the layer has none) into c->bias. */
clnn_status clnn_conv_upload_bias(clnn_conv *c, const float *bias);

/* Validates params and fills the shape. */
clnn_status clnn_conv_shape_init(const clnn_context *ctx, const clnn_conv_params *params,
                                 conv_shape *s);

/* Build options of the fused epilogue: -DACT=.. -DACT_A=.. -DACT_B=.. -DRESIDUAL=..
 * -DHAS_BIAS=.. */
void clnn_conv_epilogue_options(const clnn_conv_params *p, clnn_strbuf *sb);

/* clnn_conv_enqueue writing into a slice: out + out_off, out_img_stride floats per image
 * (buffers are not checked: the session executor sized them). */
clnn_status clnn_conv_enqueue_at(clnn_conv *c, cl_command_queue q, cl_mem in, cl_mem res,
                                 cl_mem out, int out_off, int out_img_stride, cl_uint nw,
                                 const cl_event *w, cl_event *done);

/* Creates a conv with explicit knobs (tuner); cfg NULL uses the defaults. */
clnn_status clnn_conv_create_knobs(clnn_context *ctx, size_t device,
                                   const clnn_conv_params *params, clnn_conv_algo algo,
                                   const clnn_knob_config *cfg, const float *weights,
                                   const float *bias, clnn_conv **conv);

/* The batched GEMM shared by the 1x1 and Winograd algorithms (gemm.c):
 * C[b] (M x N) = A[b] (M x Kd) * B[b] (Kd x N), A packed by clnn_gemm_pack_a. */
typedef struct clnn_gemm {
    cl_kernel kernel;
    int TM, VEC, TN, WGX, WGY;
    int epilogue; /* 0: raw C[b][m][n]; 1: convolution output with bias/act/residual */
} clnn_gemm;
/* Knob indices of gemm-based algorithms: TM, VEC, TN, WGX, WGY. */
clnn_status clnn_gemm_prepare(clnn_conv *c, clnn_gemm *g, const clnn_knob_config *knobs,
                              int epilogue);
/* Packs row-major A (M x Kd, leading dim lda) into [ceil(M/TM)][Kd][TM], zero rows padded;
 * `dst` holds clnn_gemm_packed_count() floats. */
size_t clnn_gemm_packed_count(int TM, int M, int Kd);
void clnn_gemm_pack_a(int TM, int M, int Kd, const float *a, size_t lda, float *dst);
typedef struct clnn_gemm_args {
    int batch, M, N, Kd;
    cl_mem A;
    int a_stride; /* floats between batches of packed A (0: shared) */
    cl_mem B;
    int ldb, b_stride;
    int b_extent; /* floats in B's buffer: batch * b_stride at least */
    cl_mem C;
    int c_off, ldc, c_stride;
    cl_mem bias, residual; /* epilogue 1 */
    int res_stride;        /* floats per batch entry of the (dense) residual */
} clnn_gemm_args;
clnn_status clnn_gemm_enqueue(clnn_conv *c, clnn_gemm *g, cl_command_queue q,
                              const clnn_gemm_args *a, cl_uint nw, const cl_event *w,
                              cl_event *done);
void clnn_gemm_release(clnn_gemm *g);

#endif
