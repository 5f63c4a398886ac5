/*
 * conv_ref.c - the plain C reference convolution (double accumulation, then the epilogue in
 * float as the kernels do it). Slow and obviously right; tests, the tuner and
 * clnn-run --verify compare devices against it.
 */
#include "conv.h"

#include <math.h>

float clnn_ref_activate(float x, clnn_activation act, float a, float b)
{
    switch (act) {
    case CLNN_ACTIVATION_RELU: return x > 0.0f ? x : 0.0f;
    case CLNN_ACTIVATION_CLIP: return fminf(fmaxf(x, a), b);
    case CLNN_ACTIVATION_LEAKY_RELU: return x >= 0.0f ? x : a * x;
    case CLNN_ACTIVATION_SIGMOID: return 1.0f / (1.0f + expf(-x));
    default: return x;
    }
}

clnn_status clnn_conv_reference(const clnn_conv_params *params, const float *input,
                                const float *weights, const float *bias, const float *residual,
                                float *output)
{
    conv_shape s;
    clnn_status st = clnn_conv_shape_init(NULL, params, &s);
    if (st != CLNN_STATUS_OK) return st;
    const clnn_conv_params *p = &s.p;
    if (!input || !weights || !output || (p->has_bias && !bias) ||
        (p->residual != CLNN_RESIDUAL_NONE && !residual))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_conv_reference: a required buffer is NULL");
    const int H = p->in_height, W = p->in_width, C = p->in_channels, K = p->out_channels;
    const int R = p->kernel_h, S = p->kernel_w;
    for (int n = 0; n < p->batch; n++)
        for (int k = 0; k < K; k++) {
            int g = k / s.Kg;
            const float *wk = weights + (size_t)k * s.Cg * R * S;
            for (int oh = 0; oh < s.P; oh++)
                for (int ow = 0; ow < s.Q; ow++) {
                    double acc = 0.0;
                    for (int c = 0; c < s.Cg; c++) {
                        const float *xc = input + ((size_t)n * C + (size_t)g * s.Cg + c) * H * W;
                        for (int r = 0; r < R; r++) {
                            int ih = oh * p->stride_h - p->pad_top + r * p->dilation_h;
                            if (ih < 0 || ih >= H) continue;
                            for (int q = 0; q < S; q++) {
                                int iw = ow * p->stride_w - p->pad_left + q * p->dilation_w;
                                if (iw < 0 || iw >= W) continue;
                                acc += (double)xc[(size_t)ih * W + iw] *
                                       (double)wk[((size_t)c * R + r) * S + q];
                            }
                        }
                    }
                    size_t o = (((size_t)n * K + k) * s.P + oh) * s.Q + ow;
                    float v = (float)acc + (p->has_bias ? bias[k] : 0.0f);
                    if (p->residual == CLNN_RESIDUAL_BEFORE_ACTIVATION) v += residual[o];
                    v = clnn_ref_activate(v, p->activation, p->act_alpha, p->act_beta);
                    if (p->residual == CLNN_RESIDUAL_AFTER_ACTIVATION) v += residual[o];
                    output[o] = v;
                }
        }
    return CLNN_STATUS_OK;
}
