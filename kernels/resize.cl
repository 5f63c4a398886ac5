/*
 * resize.cl - Resize and Upsample (lib/ops/resize.c).
 *
 * resize_nd: Y[o] = sum over every combination of taps t_k of the resized axes of
 * prod_k W[(row_k + o_k) * taps + t_k] * X[sum_k I[(row_k + o_k) * taps + t_k] * stride_k],
 * the taps (input indices already clamped, weights) tabulated on the host per axis; axes
 * with row_k < 0 map o_k onto itself. An index -1 marks a coordinate outside the roi
 * (tf_crop_and_resize): the element is `extrap`, and no tap is read. One work-item per
 * output element; the global size is rounded up, hence the check.
 *
 * The eight axes are written out (RZ_AXES) rather than looped over: every per-axis value
 * lives in a scalar, with no private array indexed at run time. Intel's CPU runtime
 * vectorized the looped form (per-work-item arrays of rows filled at a divergent count)
 * into gathers that read unset slots and crashed. Axes past the rank have dims 1, stride 0
 * and row -1 (the host sets them), so they add nothing. The taps count is 1, 2 or 4: a
 * power of two, so a combination splits into taps with masks and shifts.
 */
#define RZ_AXES(X) X(7) X(6) X(5) X(4) X(3) X(2) X(1) X(0)

/* Axis K: its output coordinate (innermost axis first), its table row or its share of the
 * source offset, and whether it lies outside the roi. */
#define RZ_SPLIT(K)                                                                           \
    int row##K = 0;                                                                           \
    {                                                                                         \
        const int q = c / dv.s##K;                                                            \
        const int o = c - q * dv.s##K;                                                        \
        c = q;                                                                                \
        if (rv.s##K < 0) {                                                                    \
            base += o * sv.s##K;                                                              \
        } else {                                                                              \
            row##K = (rv.s##K + o) * taps;                                                    \
            outside |= I[row##K] < 0;                                                         \
            shift += lg;                                                                      \
        }                                                                                     \
    }

/* Axis K's tap of combination mm (its low lg bits), its weight and source offset. */
#define RZ_TAP(K)                                                                             \
    if (rv.s##K >= 0) {                                                                       \
        const int t = row##K + (mm & mask);                                                   \
        mm >>= lg;                                                                            \
        w *= W[t];                                                                            \
        src += I[t] * sv.s##K;                                                                \
    }

__kernel void resize_nd(__global const float *X, __global float *Y, __global const int *I,
                        __global const float *W, const int count, const int taps,
                        const int8 dv, const int8 sv, const int8 rv, const float extrap)
{
    const int i = get_global_id(0);
    if (i >= count) return;
    const int lg = taps >> 1, mask = taps - 1; /* taps 1, 2, 4: log2 0, 1, 2 */
    int c = i, base = 0, shift = 0;
    bool outside = false;
    RZ_AXES(RZ_SPLIT)
    float acc = extrap;
    if (!outside) {
        const int combos = 1 << shift;
        acc = 0.0f;
        for (int m = 0; m < combos; m++) {
            int mm = m, src = base;
            float w = 1.0f;
            RZ_AXES(RZ_TAP)
            acc += w * X[src];
        }
    }
    Y[i] = acc;
}
