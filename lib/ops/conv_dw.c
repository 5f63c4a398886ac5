/*
 * conv_dw.c - host side of the depthwise convolution (kernels/conv_dw.cl): groups equal to
 * the input channels, any channel multiplier, kernel size, stride, dilation and padding.
 * The direct algorithm runs these layers too, but pads its channel tile and copies the
 * input into a padded layout first; depthwise layers do so little arithmetic per input
 * that both show (MobileNet's, EfficientNet's), so they get a kernel that reads the input
 * once, in place.
 */
#include "conv.h"

#include <stdlib.h>

enum { K_VEC, K_TH, K_WGX, K_WGY };

static const char *dw_check(const conv_shape *s)
{
    if (s->p.groups != s->p.in_channels || s->Cg != 1)
        return "the layer is not depthwise (groups must equal the input channels)";
    if (s->p.kernel_h * s->p.kernel_w > 121) return "the kernel is larger than 11x11";
    return NULL;
}

static clnn_status dw_prepare(clnn_conv *c, const float *weights, const float *bias)
{
    const clnn_conv_params *p = &c->s.p;
    clnn_strbuf opts = {0};
    clnn_knobs_options(c->algo, &c->knobs, &opts);
    clnn_strbuf_printf(&opts, " -DKR=%d -DKS=%d -DSH=%d -DSW=%d -DDH=%d -DDW=%d -DCM=%d",
                       p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->dilation_h,
                       p->dilation_w, c->s.Kg);
    clnn_conv_epilogue_options(p, &opts);
    clnn_status st = opts.failed ? clnn_fail(c->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "options")
                                 : CLNN_STATUS_OK;
    if (st == CLNN_STATUS_OK)
        st = clnn_kernel_create(c->ctx, c->dev, "conv_dw", opts.data, "conv_dw", &c->kernels[0]);
    clnn_strbuf_free(&opts);
    if (st != CLNN_STATUS_OK) return st;
    /* Weights [K][1][R][S] are used as they come. */
    st = clnn_buffer_upload(c->ctx, c->dev, &c->weights, weights, c->s.w_count * sizeof(float),
                            "weights");
    if (st != CLNN_STATUS_OK) return st;
    return clnn_conv_upload_bias(c, bias);
}

static clnn_status dw_enqueue(clnn_conv *c, cl_command_queue q, cl_mem in, cl_mem res,
                              cl_mem out, int out_off, int out_img_stride, cl_uint nw,
                              const cl_event *w, cl_event *done)
{
    const clnn_conv_params *p = &c->s.p;
    const int TW = c->knobs.v[K_VEC], TH = c->knobs.v[K_TH], WGX = c->knobs.v[K_WGX],
              WGY = c->knobs.v[K_WGY];
    const int C = p->in_channels, H = p->in_height, W = p->in_width, P = c->s.P, Q = c->s.Q;
    cl_mem resid = res ? res : c->bias.mem;
    clnn_arg a[] = {CLNN_ARG(in),          CLNN_ARG(c->weights.mem), CLNN_ARG(c->bias.mem),
                    CLNN_ARG(resid),       CLNN_ARG(out),            CLNN_ARG(C),
                    CLNN_ARG(H),           CLNN_ARG(W),              CLNN_ARG(P),
                    CLNN_ARG(Q),           CLNN_ARG(p->pad_top),     CLNN_ARG(p->pad_left),
                    CLNN_ARG(out_off),     CLNN_ARG(out_img_stride)};
    clnn_status st = clnn_set_args(c->ctx, c->kernels[0], "conv_dw", a, CLNN_ARRAY_LEN(a));
    if (st != CLNN_STATUS_OK) return st;
    size_t gx = (size_t)clnn_div_up(clnn_div_up(Q, TW), WGX) * WGX;
    size_t gy = (size_t)clnn_div_up(clnn_div_up(P, TH), WGY) * WGY;
    size_t g[3] = {gx, gy, (size_t)p->batch * p->out_channels};
    size_t l[3] = {(size_t)WGX, (size_t)WGY, 1};
    return clnn_launch(c->ctx, q, c->kernels[0], "conv_dw", 3, g, l, nw, w, done);
}

const conv_algo_impl clnn_conv_dw_impl = {
    CLNN_CONV_ALGO_DEPTHWISE, "depthwise", dw_check, dw_prepare, dw_enqueue,
};
