/*
 * conv_direct.c - host side of the direct convolution (kernels/conv_direct.cl): any kernel
 * size, stride, padding, dilation and groups. A pre-pass lays the input out zero-padded and
 * split by stride phase; the main kernel then reads every tap as one contiguous vector.
 */
#include "conv.h"

#include <stdlib.h>
#include <string.h>

enum { K_TK, K_VEC, K_TV, K_WGX, K_WGY, K_UNROLL };
enum { I_HPH, I_WPH, I_KTILES, I_NTILES, I_XP_FLOATS };

static const char *direct_check(const conv_shape *s)
{
    (void)s;
    return NULL; /* every valid convolution */
}

static clnn_status direct_prepare(clnn_conv *c, const float *weights, const float *bias)
{
    const clnn_conv_params *p = &c->s.p;
    const int TK = c->knobs.v[K_TK], VEC = c->knobs.v[K_VEC], TV = c->knobs.v[K_TV],
              WGX = c->knobs.v[K_WGX];
    const int R = p->kernel_h, S = p->kernel_w;
    const int HPH = c->s.P + ((R - 1) * p->dilation_h) / p->stride_h;
    const int WPH = c->s.Q + ((S - 1) * p->dilation_w) / p->stride_w;
    const int ktiles = clnn_div_up(c->s.Kg, TK);
    const long long tile_n = (long long)VEC * TV * WGX;
    const long long flat = (long long)c->s.P * WPH;
    const long long ntiles = (flat + tile_n - 1) / tile_n;
    size_t xp = 1;
    if (!clnn_mul_checked(&xp, p->batch, 1ull << 40) ||
        !clnn_mul_checked(&xp, p->in_channels, 1ull << 40) ||
        !clnn_mul_checked(&xp, (long long)p->stride_h * p->stride_w, 1ull << 40) ||
        !clnn_mul_checked(&xp, (long long)HPH * WPH, 1ull << 40) || xp > (1u << 31) ||
        ntiles * WGX > (1ll << 31))
        return clnn_fail(c->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "direct convolution: the padded input of this layer is too large");
    xp += (size_t)tile_n + (size_t)WPH + 16; /* reads of the dropped tail outputs */
    c->ints[I_HPH] = HPH;
    c->ints[I_WPH] = WPH;
    c->ints[I_KTILES] = ktiles;
    c->ints[I_NTILES] = (int)ntiles;

    clnn_strbuf opts = {0};
    clnn_knobs_options(c->algo, &c->knobs, &opts);
    clnn_strbuf_printf(&opts, " -DKR=%d -DKS=%d -DSH=%d -DSW=%d -DDH=%d -DDW=%d", R, S,
                       p->stride_h, p->stride_w, p->dilation_h, p->dilation_w);
    clnn_conv_epilogue_options(p, &opts);
    clnn_status st = opts.failed ? clnn_fail(c->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "options")
                                 : CLNN_STATUS_OK;
    if (st == CLNN_STATUS_OK)
        st = clnn_kernel_create(c->ctx, c->dev, "conv_direct", opts.data, "conv_prep",
                                &c->kernels[0]);
    if (st == CLNN_STATUS_OK)
        st = clnn_kernel_create(c->ctx, c->dev, "conv_direct", opts.data, "conv_direct",
                                &c->kernels[1]);
    clnn_strbuf_free(&opts);
    if (st != CLNN_STATUS_OK) return st;

    /* Weights [K][Cg][R][S] -> [G][ktiles][Cg][R][S][TK], zero past Kg. */
    const int G = p->groups, Cg = c->s.Cg, Kg = c->s.Kg;
    size_t packed = (size_t)G * ktiles * Cg * R * S * TK;
    float *w = calloc(packed, sizeof *w);
    if (!w) return clnn_fail(c->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "packing weights");
    for (int g = 0; g < G; g++)
        for (int k = 0; k < Kg; k++) {
            int kt = k / TK, i = k % TK;
            for (int ch = 0; ch < Cg; ch++)
                for (int rs = 0; rs < R * S; rs++)
                    w[((((size_t)g * ktiles + kt) * Cg + ch) * R * S + rs) * TK + i] =
                        weights[(((size_t)g * Kg + k) * Cg + ch) * R * S + rs];
        }
    st = clnn_buffer_upload(c->ctx, c->dev, &c->weights, w, packed * sizeof *w, "weights");
    free(w);
    if (st != CLNN_STATUS_OK) return st;
    st = clnn_conv_upload_bias(c, bias);
    if (st != CLNN_STATUS_OK) return st;
    return clnn_buffer_reserve(c->ctx, c->dev, &c->work[0], xp * sizeof(float),
                               "padded input of the direct convolution");
}

static clnn_status direct_enqueue(clnn_conv *c, cl_command_queue q, cl_mem in, cl_mem res,
                                  cl_mem out, int out_off, int out_img_stride, cl_uint nw,
                                  const cl_event *w, cl_event *done)
{
    const clnn_conv_params *p = &c->s.p;
    const int HPH = c->ints[I_HPH], WPH = c->ints[I_WPH], ktiles = c->ints[I_KTILES];
    const int C = p->in_channels, H = p->in_height, W = p->in_width;
    const int G = p->groups, Cg = c->s.Cg, Kg = c->s.Kg, P = c->s.P, Q = c->s.Q;
    cl_mem xp = c->work[0].mem;
    cl_mem resid = res ? res : c->bias.mem;

    clnn_arg a0[] = {CLNN_ARG(in), CLNN_ARG(xp), CLNN_ARG(C), CLNN_ARG(H), CLNN_ARG(W),
                     CLNN_ARG(p->pad_top), CLNN_ARG(p->pad_left), CLNN_ARG(HPH), CLNN_ARG(WPH)};
    clnn_status st = clnn_set_args(c->ctx, c->kernels[0], "conv_prep", a0, CLNN_ARRAY_LEN(a0));
    if (st != CLNN_STATUS_OK) return st;
    size_t g0[3] = {(size_t)WPH, (size_t)C * p->stride_h * p->stride_w * HPH, (size_t)p->batch};
    cl_event prep_done = NULL;
    st = clnn_launch(c->ctx, q, c->kernels[0], "conv_prep", 3, g0, NULL, nw, w, &prep_done);
    if (st != CLNN_STATUS_OK) return st;

    clnn_arg a1[] = {CLNN_ARG(xp),   CLNN_ARG(c->weights.mem), CLNN_ARG(c->bias.mem),
                     CLNN_ARG(resid), CLNN_ARG(out), CLNN_ARG(Cg), CLNN_ARG(Kg), CLNN_ARG(G),
                     CLNN_ARG(P),    CLNN_ARG(Q),  CLNN_ARG(HPH), CLNN_ARG(WPH),
                     CLNN_ARG(ktiles), CLNN_ARG(out_off), CLNN_ARG(out_img_stride)};
    st = clnn_set_args(c->ctx, c->kernels[1], "conv_direct", a1, CLNN_ARRAY_LEN(a1));
    if (st == CLNN_STATUS_OK) {
        const int WGX = c->knobs.v[K_WGX], WGY = c->knobs.v[K_WGY];
        size_t g1[3] = {(size_t)c->ints[I_NTILES] * WGX, (size_t)ktiles, (size_t)p->batch * G};
        size_t l1[3] = {(size_t)WGX, (size_t)WGY, 1};
        st = clnn_launch(c->ctx, q, c->kernels[1], "conv_direct", 3, g1, l1, 1, &prep_done,
                         done);
    }
    clReleaseEvent(prep_done);
    return st;
}

static void direct_default(const clnn_conv_params *p, const clnn_device_info *dev,
                           clnn_knob_config *cfg)
{
    const int Kg = p->out_channels / (p->groups > 0 ? p->groups : 1);
    int P = 1, Q = 1;
    clnn_conv_output_size(p, &P, &Q);
    clnn_tile_knobs_default(Kg, Kg, (long)P * Q, dev, cfg);
    cfg->v[K_UNROLL] = 1;
}

const clnn_conv_algo_def clnn_conv_direct_def = {
    .algo = CLNN_CONV_ALGO_DIRECT,
    .name = "direct",
    .knobs = {6,
              {
                  {"TK", "output channels per work-item", 8, {1, 2, 4, 8, 12, 16, 24, 32}},
                  {"VEC", "outputs per vector", 5, {1, 2, 4, 8, 16}},
                  {"TV", "vectors per work-item", 4, {1, 2, 3, 4}},
                  {"WGX", "work-items per group along outputs", 8, {1, 2, 4, 8, 16, 32, 64, 128}},
                  {"WGY", "work-items per group along channels", 4, {1, 2, 4, 8}},
                  {"UNROLL", "kernel-window loops unrolled (1) or kept (0)", 2, {0, 1}},
              }},
    .check = direct_check,
    .default_knobs = direct_default,
    .knobs_ok = clnn_tile_knobs_ok,
    .prepare = direct_prepare,
    .enqueue = direct_enqueue,
};
