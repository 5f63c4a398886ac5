/*
 * conv_1x1.c - 1x1 convolutions (the inception and bottleneck reductions) as a batched GEMM:
 * per image, [K x C] weights times the [C x P*Q] input, with the fused epilogue. Strided
 * layers first gather every stride-th pixel (kernels/conv_1x1.cl).
 */
#include "conv.h"

#include <stdlib.h>

static const char *check_1x1(const conv_shape *s)
{
    const clnn_conv_params *p = &s->p;
    if (p->kernel_h != 1 || p->kernel_w != 1) return "the kernel is not 1x1";
    if (p->groups != 1) return "grouped 1x1 layers run on the direct algorithm";
    if (p->pad_top || p->pad_left || p->pad_bottom || p->pad_right) return "the layer is padded";
    if (p->stride_h > 2 || p->stride_w > 2) return "the stride is larger than 2";
    return NULL;
}

static bool strided(const clnn_conv *c) { return c->s.p.stride_h > 1 || c->s.p.stride_w > 1; }

static clnn_status prepare_1x1(clnn_conv *c, const float *weights, const float *bias)
{
    const clnn_conv_params *p = &c->s.p;
    clnn_gemm g;
    clnn_status st = clnn_gemm_prepare(c, &g, &c->knobs, 1);
    c->kernels[0] = g.kernel; /* released with the conv */
    const int TM = g.TM;
    if (st != CLNN_STATUS_OK) return st;
    if (strided(c)) {
        char opts[64];
        snprintf(opts, sizeof opts, "-DSTRIDE_H=%d -DSTRIDE_W=%d", p->stride_h, p->stride_w);
        st = clnn_kernel_create(c->ctx, c->dev, "conv_1x1", opts, "conv1x1_subsample",
                                &c->kernels[1]);
        if (st != CLNN_STATUS_OK) return st;
        st = clnn_buffer_reserve(c->ctx, c->dev, &c->work[0],
                                 (size_t)p->batch * p->in_channels * c->s.P * c->s.Q *
                                     sizeof(float),
                                 "subsampled input of the 1x1 convolution");
        if (st != CLNN_STATUS_OK) return st;
    }
    size_t n = clnn_gemm_packed_count(TM, p->out_channels, p->in_channels);
    float *w = malloc(n * sizeof *w);
    if (!w) return clnn_fail(c->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "packing weights");
    clnn_gemm_pack_a(TM, p->out_channels, p->in_channels, weights, (size_t)p->in_channels, w);
    st = clnn_buffer_upload(c->ctx, c->dev, &c->weights, w, n * sizeof *w, "weights");
    free(w);
    if (st != CLNN_STATUS_OK) return st;
    return clnn_conv_upload_bias(c, bias);
}

static clnn_status enqueue_1x1(clnn_conv *c, cl_command_queue q, cl_mem in, cl_mem res,
                               cl_mem out, int out_off, int out_img_stride, cl_uint nw,
                               const cl_event *w, cl_event *done)
{
    const clnn_conv_params *p = &c->s.p;
    const int C = p->in_channels, K = p->out_channels, PQ = c->s.P * c->s.Q;
    cl_event sub_done = NULL;
    cl_mem src = in;
    clnn_status st;
    if (strided(c)) {
        const int H = p->in_height, W = p->in_width, P = c->s.P, Q = c->s.Q;
        src = c->work[0].mem;
        clnn_arg a[] = {CLNN_ARG(in), CLNN_ARG(src), CLNN_ARG(C), CLNN_ARG(H),
                        CLNN_ARG(W),  CLNN_ARG(P),   CLNN_ARG(Q)};
        st = clnn_set_args(c->ctx, c->kernels[1], "conv1x1_subsample", a, CLNN_ARRAY_LEN(a));
        if (st != CLNN_STATUS_OK) return st;
        size_t g[3] = {(size_t)Q, (size_t)C * P, (size_t)p->batch};
        st = clnn_launch(c->ctx, q, c->kernels[1], "conv1x1_subsample", 3, g, NULL, nw, w,
                         &sub_done);
        if (st != CLNN_STATUS_OK) return st;
    }
    clnn_gemm g = {c->kernels[0], c->knobs.v[0], c->knobs.v[1], c->knobs.v[2], c->knobs.v[3],
                   c->knobs.v[4], 1};
    clnn_gemm_args a = {
        .batch = p->batch, .M = K, .N = PQ, .Kd = C,
        .A = c->weights.mem, .a_stride = 0,
        .B = src, .ldb = PQ, .b_stride = C * PQ, .b_extent = p->batch * C * PQ,
        .C = out, .c_off = out_off, .ldc = PQ, .c_stride = out_img_stride,
        .bias = c->bias.mem, .residual = res, .res_stride = K * PQ,
    };
    if (sub_done)
        st = clnn_gemm_enqueue(c, &g, q, &a, 1, &sub_done, done);
    else
        st = clnn_gemm_enqueue(c, &g, q, &a, nw, w, done);
    if (sub_done) clReleaseEvent(sub_done);
    return st;
}

static void default_1x1(const clnn_conv_params *p, const clnn_device_info *dev,
                        clnn_knob_config *cfg)
{
    int P = 1, Q = 1;
    clnn_conv_output_size(p, &P, &Q);
    clnn_tile_knobs_default(p->out_channels / (p->groups > 0 ? p->groups : 1), p->out_channels,
                            (long)P * Q, dev, cfg);
}

const clnn_conv_algo_def clnn_conv_1x1_def = {
    .algo = CLNN_CONV_ALGO_GEMM_1X1,
    .name = "gemm1x1",
    .knobs = {5, {CLNN_GEMM_KNOBS}},
    .check = check_1x1,
    .default_knobs = default_1x1,
    .knobs_ok = clnn_tile_knobs_ok,
    .prepare = prepare_1x1,
    .enqueue = enqueue_1x1,
};
