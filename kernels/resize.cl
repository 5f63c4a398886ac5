/*
 * resize.cl - Resize and Upsample (lib/ops/resize.c).
 *
 * resize_nd: Y[o] = sum over every combination of taps t_k of the resized axes of
 * prod_k W[(row_k + o_k) * taps + t_k] * X[sum_k I[(row_k + o_k) * taps + t_k] * stride_k],
 * the taps (input indices already clamped, weights) tabulated on the host per axis; axes
 * with row_k < 0 map o_k onto itself. An index -1 marks a coordinate outside the roi
 * (tf_crop_and_resize): the element is `extrap`. One work-item per output element; the
 * global size is rounded up, hence the check.
 */
__kernel void resize_nd(__global const float *X, __global float *Y, __global const int *I,
                        __global const float *W, const int count, const int ndim,
                        const int taps, const int8 dv, const int8 sv, const int8 rv,
                        const float extrap)
{
    const int i = get_global_id(0);
    if (i >= count) return;
    const int d[8] = {dv.s0, dv.s1, dv.s2, dv.s3, dv.s4, dv.s5, dv.s6, dv.s7};
    const int s[8] = {sv.s0, sv.s1, sv.s2, sv.s3, sv.s4, sv.s5, sv.s6, sv.s7};
    const int r[8] = {rv.s0, rv.s1, rv.s2, rv.s3, rv.s4, rv.s5, rv.s6, rv.s7};
    int row[8], rs[8];
    int c = i, base = 0, nt = 0, combos = 1;
    for (int k = 7; k >= 0; k--) {
        if (k >= ndim) continue;
        const int q = c / d[k];
        const int o = c - q * d[k];
        c = q;
        if (r[k] < 0) {
            base += o * s[k];
            continue;
        }
        row[nt] = (r[k] + o) * taps;
        rs[nt] = s[k];
        if (I[row[nt]] < 0) {
            Y[i] = extrap;
            return;
        }
        nt++;
        combos *= taps;
    }
    float acc = 0.0f;
    for (int m = 0; m < combos; m++) {
        int mm = m, src = base;
        float w = 1.0f;
        for (int j = 0; j < nt; j++) {
            const int t = mm % taps;
            mm /= taps;
            w *= W[row[j] + t];
            src += I[row[j] + t] * rs[j];
        }
        acc += w * X[src];
    }
    Y[i] = acc;
}
