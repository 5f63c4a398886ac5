/*
 * common.cl - prepended to every clnn program: shared helpers for the fused epilogues.
 * Activation codes match clnn_activation in clnn.h.
 */
#ifndef ACT_NONE
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_CLIP 2
#define ACT_LEAKY_RELU 3
#define ACT_SIGMOID 4
#endif

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
