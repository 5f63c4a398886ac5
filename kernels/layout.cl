/*
 * layout.cl - data movement without arithmetic (lib/ops/layout.c).
 *
 * layout_copy: Y[i] = X[base + sum_k r_k * stride_k], r_k the k-th digit of i in the output's
 * (coalesced) dims, taken modulo mod_k when mod_k > 0 (Tile); strides may be 0 (Expand) or
 * negative (Slice with negative steps). Every source index is inside X by construction on
 * the host. One work-item per output element; the global size is rounded up, hence the check.
 *
 * layout_gather: Y[o, j, t] = X[o, idx[j], t] over [outer, nidx, inner], indices already
 * normalised to [0, axis_dim) and validated on the host.
 */
__kernel void layout_copy(__global const float *X, __global float *Y, const int count,
                          const int base, const int ndim, const int8 dv, const int8 sv,
                          const int8 mv)
{
    const int i = get_global_id(0);
    if (i >= count) return;
    const int d[8] = {dv.s0, dv.s1, dv.s2, dv.s3, dv.s4, dv.s5, dv.s6, dv.s7};
    const int s[8] = {sv.s0, sv.s1, sv.s2, sv.s3, sv.s4, sv.s5, sv.s6, sv.s7};
    const int m[8] = {mv.s0, mv.s1, mv.s2, mv.s3, mv.s4, mv.s5, mv.s6, mv.s7};
    int c = i, src = base;
    for (int k = 7; k >= 0; k--) {
        if (k >= ndim) continue;
        const int q = c / d[k];
        int r = c - q * d[k];
        if (m[k] > 0) r %= m[k];
        src += r * s[k];
        c = q;
    }
    Y[i] = X[src];
}

__kernel void layout_gather(__global const float *X, __global float *Y,
                            __global const int *idx, const int count, const int nidx,
                            const int inner, const int axis_dim)
{
    const int i = get_global_id(0);
    if (i >= count) return;
    const int t = i % inner, r = i / inner;
    const int j = r % nidx, o = r / nidx;
    Y[i] = X[(o * axis_dim + idx[j]) * inner + t];
}
