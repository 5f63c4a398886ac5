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

/* Applies activation `act` with parameters a (leaky slope, clip low) and b (clip high). */
inline float clnn_activate(float x, int act, float a, float b)
{
    switch (act) {
    case ACT_RELU: return fmax(x, 0.0f);
    case ACT_CLIP: return fmin(fmax(x, a), b);
    case ACT_LEAKY_RELU: return x >= 0.0f ? x : a * x;
    case ACT_SIGMOID: return 1.0f / (1.0f + exp(-x));
    default: return x;
    }
}
