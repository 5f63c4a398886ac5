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

/* CPUs compute a vector of outputs per work-item and a work-group spanning the row; GPUs
 * want scalar work-items, many along the width. */
static void dw_default(const clnn_conv_params *p, const clnn_device_info *dev,
                       clnn_knob_config *cfg)
{
    const bool gpu = dev->type == CLNN_DEVICE_TYPE_GPU;
    int P = 1, Q = 1;
    clnn_conv_output_size(p, &P, &Q);
    /* The widest vector (up to the device's) whose blocks waste at most an eighth of a row. */
    int vec = 4;
    for (int v = dev->native_vector_width_float >= 16 ? 16 : 8; v > 4; v /= 2)
        if ((long)((Q + v - 1) / v) * v * 8 <= 9L * Q) {
            vec = v;
            break;
        }
    cfg->v[K_VEC] = gpu ? 1 : vec;
    /* Taller blocks share more input rows between output rows; on small maps one block
     * spanning the map also saves the launches of many tiny work-groups. */
    cfg->v[K_TH] = gpu ? 2 : P <= 8 ? 8 : P <= 28 ? 4 : 2;
    cfg->v[K_WGX] = gpu ? 32 : clnn_pow2_at_least((Q + vec - 1) / vec, 16);
    cfg->v[K_WGY] = gpu ? 4 : 1;
    while (cfg->v[K_WGY] > 1 && ((size_t)cfg->v[K_WGY] > dev->max_work_item_sizes[1] ||
                                 (size_t)cfg->v[K_WGX] * cfg->v[K_WGY] > dev->max_work_group_size))
        cfg->v[K_WGY] /= 2;
    while (cfg->v[K_WGX] > 1 && ((size_t)cfg->v[K_WGX] > dev->max_work_item_sizes[0] ||
                                 (size_t)cfg->v[K_WGX] * cfg->v[K_WGY] > dev->max_work_group_size))
        cfg->v[K_WGX] /= 2;
}

/* The block's accumulators and a row's taps in registers. */
static bool dw_knobs_ok(const clnn_knob_config *cfg, const clnn_device_info *dev,
                        const char **why)
{
    const int tw = cfg->v[K_VEC], th = cfg->v[K_TH], dwx = cfg->v[K_WGX], dwy = cfg->v[K_WGY];
    if ((size_t)dwx * dwy > dev->max_work_group_size ||
        (size_t)dwx > dev->max_work_item_sizes[0] || (size_t)dwy > dev->max_work_item_sizes[1]) {
        *why = "work-group larger than the device allows";
        return false;
    }
    if (tw * th > 64) {
        *why = "output block above 64 floats";
        return false;
    }
    *why = NULL;
    return true;
}

const clnn_conv_algo_def clnn_conv_dw_def = {
    .algo = CLNN_CONV_ALGO_DEPTHWISE,
    .name = "depthwise",
    .knobs = {4,
              {
                  {"VEC", "outputs per work-item along the width (a vector)", 5, {1, 2, 4, 8, 16}},
                  {"TH", "output rows per work-item", 4, {1, 2, 4, 8}},
                  {"WGX", "work-items per group along the width", 8, {1, 2, 4, 8, 16, 32, 64, 128}},
                  {"WGY", "work-items per group along rows", 4, {1, 2, 4, 8}},
              }},
    .check = dw_check,
    .default_knobs = dw_default,
    .knobs_ok = dw_knobs_ok,
    .prepare = dw_prepare,
    .enqueue = dw_enqueue,
};
