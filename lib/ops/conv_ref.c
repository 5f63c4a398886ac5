/*
 * conv_ref.c - the plain C reference convolution (double accumulation, then the epilogue in
 * float as the kernels do it). Slow and obviously right; tests, the tuner and
 * clnn-run --verify compare devices against it.
 */
#include "conv.h"

#include <math.h>

/* The transcendental ones in double, rounded once: the reference is the exact value. */
float clnn_ref_activate(float x, clnn_activation act, float a, float b)
{
    const double d = x;
    switch (act) {
    case CLNN_ACTIVATION_RELU: return x > 0.0f ? x : 0.0f;
    case CLNN_ACTIVATION_CLIP: return fminf(fmaxf(x, a), b);
    case CLNN_ACTIVATION_LEAKY_RELU: return x >= 0.0f ? x : a * x;
    case CLNN_ACTIVATION_SIGMOID: return (float)(1.0 / (1.0 + exp(-d)));
    case CLNN_ACTIVATION_TANH: return (float)tanh(d);
    case CLNN_ACTIVATION_HARD_SIGMOID: return (float)fmax(0.0, fmin(1.0, (double)a * d + b));
    case CLNN_ACTIVATION_HARD_SWISH: return (float)(d * fmax(0.0, fmin(1.0, d / 6.0 + 0.5)));
    case CLNN_ACTIVATION_SILU: return (float)(d / (1.0 + exp(-d)));
    case CLNN_ACTIVATION_MISH: return (float)(d * tanh(d > 30 ? d : log1p(exp(d))));
    case CLNN_ACTIVATION_ELU: return x >= 0.0f ? x : (float)(a * expm1(d));
    case CLNN_ACTIVATION_SELU: return (float)(b * (x > 0.0f ? d : a * expm1(d)));
    case CLNN_ACTIVATION_CELU: return (float)(fmax(0.0, d) + fmin(0.0, a * expm1(d / a)));
    case CLNN_ACTIVATION_SOFTPLUS: return (float)(d > 30 ? d : log1p(exp(d)));
    case CLNN_ACTIVATION_SOFTSIGN: return (float)(d / (1.0 + fabs(d)));
    case CLNN_ACTIVATION_GELU: return (float)(0.5 * d * (1.0 + erf(d / sqrt(2.0))));
    case CLNN_ACTIVATION_GELU_TANH:
        return (float)(0.5 * d * (1.0 + tanh(sqrt(2.0 / M_PI) * (d + 0.044715 * d * d * d))));
    case CLNN_ACTIVATION_ABS: return fabsf(x);
    case CLNN_ACTIVATION_NEG: return -x;
    case CLNN_ACTIVATION_EXP: return (float)exp(d);
    case CLNN_ACTIVATION_LOG: return (float)log(d);
    case CLNN_ACTIVATION_SQRT: return (float)sqrt(d);
    case CLNN_ACTIVATION_RECIPROCAL: return (float)(1.0 / d);
    case CLNN_ACTIVATION_FLOOR: return floorf(x);
    case CLNN_ACTIVATION_CEIL: return ceilf(x);
    case CLNN_ACTIVATION_ERF: return (float)erf(d);
    case CLNN_ACTIVATION_POW: return (float)pow(d, (double)a);
    case CLNN_ACTIVATION_THRESHOLDED_RELU: return x > a ? x : 0.0f;
    case CLNN_ACTIVATION_AFFINE: return (float)((double)a * d + b);
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
