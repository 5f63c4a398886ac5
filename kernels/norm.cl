/*
 * norm.cl - BatchNormalization in inference form (a per-channel scale and shift the host
 * folded from scale, B, mean, var and epsilon) with a fused activation, and LRN across
 * channels; NC... float32 (C = dims[1], inner = the product of the dimensions after it).
 *
 * Dimension 0 walks the inner (contiguous) index, dimension 1 the channel and dimension 2
 * the image, so a work-item finds its channel without dividing (a division per element costs
 * PoCL a third of the bandwidth). A GPU may cap dimensions 1 and 2 (NVIDIA's OpenCL at 65535
 * work-groups): with SPLIT_ROWS the host folds (image, channel) into one row index
 * r = id(1) + size(1) * id(2) instead and the kernel divides it. The host rounds dimension 0
 * up to the local size: every kernel checks its bounds. Rows are never looped over inside a
 * work-item: PoCL vectorises only kernels without inner loops.
 *
 * Options set by the host: ACT (activation code of common.cl; its parameters are kernel
 * arguments), SPLIT_ROWS, LRN_SIZE (the channel window, baked in so the window is written
 * out, as pool.cl does with the pooling window) and LRN_POW (below).
 */
#ifndef SPLIT_ROWS
#define SPLIT_ROWS 0
#endif
#ifndef LRN_SIZE
#define LRN_SIZE 5
#endif
/* The window around channel c is [c - LRN_LO, c - LRN_LO + LRN_SIZE), clipped to [0, C):
 * floor((size - 1) / 2) channels before it, ceil((size - 1) / 2) after it (ONNX). */
#define LRN_LO ((LRN_SIZE - 1) / 2)

/* The (channel, row = image * C + channel) of this work-item; returns from the kernel when
 * it lies beyond the tensor. */
#if SPLIT_ROWS
#define ROW_OF(i, inner, C, rows)                                                            \
    const int r = get_global_id(1) + get_global_size(1) * get_global_id(2);                  \
    if (i >= inner || r >= rows) return;                                                      \
    const int c = r % C
#else
#define ROW_OF(i, inner, C, rows)                                                            \
    const int c = get_global_id(1);                                                           \
    const int r = get_global_id(2) * C + c;                                                   \
    if (i >= inner) return
#endif

/* Y = act(X * P[c] + P[C + c]) for planes of at least a few floats. */
__kernel void bn_planes(__global const float *X, __global float *Y, __global const float *P,
                        int C, int inner, int rows, float act_a, float act_b)
{
    const int i = get_global_id(0);
    ROW_OF(i, inner, C, rows);
    const size_t o = (size_t)r * inner + i;
    Y[o] = clnn_activate(fma(X[o], P[c], P[C + c]), ACT, act_a, act_b);
}

/* The same for small planes ([N, C] and the like): one flat index along dimension 0. */
__kernel void bn_flat(__global const float *X, __global float *Y, __global const float *P,
                      int C, int inner, int count, float act_a, float act_b)
{
    const int o = get_global_id(0);
    if (o >= count) return;
    const int c = (o / inner) % C;
    Y[o] = clnn_activate(fma(X[o], P[c], P[C + c]), ACT, act_a, act_b);
}

/* One channel of the LRN window, written out rather than looped: PoCL vectorises across
 * work-items only kernels without inner loops (a loop over 5 channels costs it 10x). Channels
 * outside [0, C) load channel c and weigh 0, so every load is in bounds and unconditional. */
#define LRN_TERM(k)                                                                           \
    if ((k) < LRN_SIZE) {                                                                     \
        const int cc = c - LRN_LO + (k);                                                      \
        const bool in = cc >= 0 && cc < C;                                                    \
        const float v = x[(size_t)(in ? cc : c) * inner];                                     \
        sum = fma(in ? v : 0.0f, v, sum);                                                     \
    }

/* base^-beta: pow is a scalar library call on PoCL (~90 ns an element, 60x the rest of the
 * kernel); the betas networks use have closed forms (host option LRN_POW: 1 for 0.75, 2 for
 * 0.5, 3 for 1, 0 any other beta). */
#ifndef LRN_POW
#define LRN_POW 0
#endif
inline float lrn_scale(float base, float beta)
{
#if LRN_POW == 1
    return rsqrt(base) * rsqrt(sqrt(base));
#elif LRN_POW == 2
    return rsqrt(base);
#elif LRN_POW == 3
    return 1.0f / base;
#else
    return pow(base, -beta);
#endif
}

/* Y = X / (bias + alpha / size * sum of X^2 over the channel window)^beta; alpha_n is
 * alpha / size. */
__kernel void lrn(__global const float *X, __global float *Y, int C, int inner, int rows,
                  float alpha_n, float beta, float bias)
{
    const int i = get_global_id(0);
    ROW_OF(i, inner, C, rows);
    const __global float *x = X + (size_t)(r - c) * inner + i; /* channel 0 of the image */
    float sum = 0.0f;
#if LRN_SIZE <= 16
    LRN_TERM(0) LRN_TERM(1) LRN_TERM(2) LRN_TERM(3) LRN_TERM(4) LRN_TERM(5) LRN_TERM(6)
    LRN_TERM(7) LRN_TERM(8) LRN_TERM(9) LRN_TERM(10) LRN_TERM(11) LRN_TERM(12) LRN_TERM(13)
    LRN_TERM(14) LRN_TERM(15)
#else
    for (int k = 0; k < LRN_SIZE; k++) LRN_TERM(k)
#endif
    const float v = x[(size_t)c * inner];
    Y[(size_t)r * inner + i] = v * lrn_scale(fma(alpha_n, sum, bias), beta);
}
