/*
 * pad.cl - the Pad operator (lib/ops/pad.c).
 *
 * pad_copy: one work-item per output element (the global size is rounded up, hence the
 * check). Per axis k of the (coalesced) shape: output size out_k, input size in_k, begin pad
 * b_k (negative: cropped), kept input range [lo_k, lo_k + n_k). Output coordinate o reads
 * input coordinate c = o - b_k; outside the kept range mode 0 writes the value, 1 reflects
 * about the range's ends, 2 takes the nearest end, 3 wraps modulo n_k. The host checked that
 * every mapped coordinate lands inside the input (reflect pads smaller than n_k, n_k > 0
 * wherever an axis is padded in modes 1 to 3).
 */
__kernel void pad_copy(__global const float *X, __global float *Y, const int count,
                       const int ndim, const int mode, const float value, const int8 ov,
                       const int8 iv, const int8 bv, const int8 lv, const int8 nv)
{
    const int i = get_global_id(0);
    if (i >= count) return;
    const int od[8] = {ov.s0, ov.s1, ov.s2, ov.s3, ov.s4, ov.s5, ov.s6, ov.s7};
    const int id[8] = {iv.s0, iv.s1, iv.s2, iv.s3, iv.s4, iv.s5, iv.s6, iv.s7};
    const int b[8] = {bv.s0, bv.s1, bv.s2, bv.s3, bv.s4, bv.s5, bv.s6, bv.s7};
    const int lo[8] = {lv.s0, lv.s1, lv.s2, lv.s3, lv.s4, lv.s5, lv.s6, lv.s7};
    const int n[8] = {nv.s0, nv.s1, nv.s2, nv.s3, nv.s4, nv.s5, nv.s6, nv.s7};
    int rest = i, src = 0, stride = 1;
    bool outside = false;
    for (int k = 7; k >= 0; k--) {
        if (k >= ndim) continue;
        const int q = rest / od[k];
        int c = rest - q * od[k] - b[k];
        rest = q;
        const int hi = lo[k] + n[k];
        if (c < lo[k] || c >= hi) {
            if (mode == 0) {
                outside = true;
            } else if (mode == 1) {
                c = c < lo[k] ? 2 * lo[k] - c : 2 * (hi - 1) - c;
            } else if (mode == 2) {
                c = c < lo[k] ? lo[k] : hi - 1;
            } else {
                int m = (c - lo[k]) % n[k];
                c = lo[k] + (m < 0 ? m + n[k] : m);
            }
        }
        src += c * stride;
        stride *= id[k];
    }
    Y[i] = outside ? value : X[src];
}
