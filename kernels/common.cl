/*
 * common.cl - prepended to every clnn program: the fused epilogue's options and helpers, and
 * token pasting for vector types. Activation codes match clnn_activation in clnn.h.
 */
#ifndef ACT_NONE
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_CLIP 2
#define ACT_LEAKY_RELU 3
#define ACT_SIGMOID 4
#define ACT_TANH 5
#define ACT_HARD_SIGMOID 6
#define ACT_HARD_SWISH 7
#define ACT_SILU 8
#define ACT_MISH 9
#define ACT_ELU 10
#define ACT_SELU 11
#define ACT_CELU 12
#define ACT_SOFTPLUS 13
#define ACT_SOFTSIGN 14
#define ACT_GELU 15
#define ACT_GELU_TANH 16
#define ACT_ABS 17
#define ACT_NEG 18
#define ACT_EXP 19
#define ACT_LOG 20
#define ACT_SQRT 21
#define ACT_RECIPROCAL 22
#define ACT_FLOOR 23
#define ACT_CEIL 24
#define ACT_ERF 25
#define ACT_POW 26
#define ACT_THRESHOLDED_RELU 27
#define ACT_AFFINE 28
#endif

/* Epilogue options, set by the host with -D (lib/ops/conv.c clnn_conv_epilogue_options). */
#ifndef ACT
#define ACT 0 // activation code
#endif
#ifndef ACT_A
#define ACT_A 0.0f // leaky slope, clip low
#endif
#ifndef ACT_B
#define ACT_B 0.0f // clip high
#endif
#ifndef RESIDUAL
#define RESIDUAL 0 // 0 none, 1 added before the activation, 2 after
#endif
#ifndef HAS_BIAS
#define HAS_BIAS 0
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

/* log(1 + exp(x)) without overflow: x itself where exp(x) dwarfs 1. */
inline float clnn_softplus(float x) { return x > 20.0f ? x : log1p(exp(x)); }

/* Applies activation `act` with parameters a and b (clnn_activation in clnn.h says what
 * each means). `act` is a compile-time constant in every kernel, so the switch folds. */
inline float clnn_activate(float x, int act, float a, float b)
{
    switch (act) {
    case ACT_RELU: return fmax(x, 0.0f);
    case ACT_CLIP: return fmin(fmax(x, a), b);
    case ACT_LEAKY_RELU: return x >= 0.0f ? x : a * x;
    case ACT_SIGMOID: return 1.0f / (1.0f + exp(-x));
    case ACT_TANH: return tanh(x);
    case ACT_HARD_SIGMOID: return fmax(0.0f, fmin(1.0f, a * x + b));
    case ACT_HARD_SWISH: return x * fmax(0.0f, fmin(1.0f, x * (1.0f / 6.0f) + 0.5f));
    case ACT_SILU: return x / (1.0f + exp(-x));
    case ACT_MISH: return x * tanh(clnn_softplus(x));
    case ACT_ELU: return x >= 0.0f ? x : a * (exp(x) - 1.0f);
    case ACT_SELU: return b * (x > 0.0f ? x : a * (exp(x) - 1.0f));
    case ACT_CELU: return fmax(0.0f, x) + fmin(0.0f, a * (exp(x / a) - 1.0f));
    case ACT_SOFTPLUS: return clnn_softplus(x);
    case ACT_SOFTSIGN: return x / (1.0f + fabs(x));
    case ACT_GELU: return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
    case ACT_GELU_TANH:
        return 0.5f * x * (1.0f + tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case ACT_ABS: return fabs(x);
    case ACT_NEG: return -x;
    case ACT_EXP: return exp(x);
    case ACT_LOG: return log(x);
    case ACT_SQRT: return sqrt(x);
    case ACT_RECIPROCAL: return 1.0f / x;
    case ACT_FLOOR: return floor(x);
    case ACT_CEIL: return ceil(x);
    case ACT_ERF: return erf(x);
    case ACT_POW: return a == 2.0f ? x * x : a == 1.0f ? x : a == 0.5f ? sqrt(x) : pow(x, a);
    case ACT_THRESHOLDED_RELU: return x > a ? x : 0.0f;
    case ACT_AFFINE: return a * x + b;
    default: return x;
    }
}
