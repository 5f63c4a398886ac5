/*
 * pool.cl - max and average pooling, NCHW float32 (host side: lib/ops/pool.c).
 *
 * pool_max, pool_avg     windowed pooling with any window, stride and (asymmetric) padding.
 *                        NDRange (OW, OH, N*C): one work-item per output, dimension 0 along
 *                        the output row so that neighbouring work-items read neighbouring
 *                        inputs (PoCL vectorises across dimension 0, GPUs coalesce along it).
 *                        The window loops have the same trip count (KH x KW) in every
 *                        work-item and no early exit, so PoCL turns the work-item loop into
 *                        the innermost loop and vectorises it; taps are read through
 *                        clamped (always in-bounds) indices, which needs no masked loads:
 *                         - max: the clamped tap is the nearest input row/column, which is
 *                           always inside the same window (padding < window and every window
 *                           starts inside the input or its top/left padding), so edge
 *                           replication gives exactly "padding is ignored".
 *                         - average: a select zeroes taps outside the input; the divisor is
 *                           PyTorch's (count_include_pad: the window clipped to the padded
 *                           input; else the number of input elements in the window).
 * global_max, global_avg a reduction over each H*W plane. NDRange (RX, N*C) with local size
 *                        (RX, RY), RX * RY == RED_WG: RX work-items (a power of two) read one
 *                        plane with unit stride, each folding ceil(HW / RX) elements, then a
 *                        tree in local memory; RY planes share a work-group so that small
 *                        planes (7x7) still fill it. RX = 1 is one work-item per plane.
 *
 * Max propagates NaN like PyTorch (a NaN in the window gives NaN). Averages accumulate in
 * float and divide once.
 */
#ifndef RED_WG
#define RED_WG 64 // work-items per work-group of global_max/global_avg (a power of two)
#endif
#ifndef RED_UNROLL
#define RED_UNROLL 4 // independent accumulators per work-item in the global reduction
#endif

/* ---- windowed pooling --------------------------------------------------------------------- */

/* One output of a window; is_avg is a constant at both call sites, so each kernel keeps only
 * its own branch. */
inline void pool_window(__global const float *restrict in, __global float *restrict out,
                        const int H, const int W, const int OH, const int OW, const int KH,
                        const int KW, const int SH, const int SW, const int PT, const int PL,
                        const int PB, const int PR, const int include_pad, const int is_avg)
{
    const int gx = (int)get_global_id(0), gy = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    /* Work-items past the edge (the global size is rounded up to the work-group) compute a
     * copy of the last output and do not store it: no early return keeps the loops uniform. */
    const int ow = min(gx, OW - 1), oh = min(gy, OH - 1);
    const int hs = oh * SH - PT, ws = ow * SW - PL;
    in += plane * (size_t)H * (size_t)W;

    float acc = is_avg ? 0.0f : -INFINITY;
    for (int r = 0; r < KH; r++) {
        const int h = hs + r;
        const int hc = clamp(h, 0, H - 1);
        __global const float *row = in + hc * W;
        for (int s = 0; s < KW; s++) {
            const int w = ws + s;
            const int wc = clamp(w, 0, W - 1);
            const float v = row[wc];
            if (is_avg)
                acc += (h == hc && w == wc) ? v : 0.0f;
            else
                acc = (v > acc || isnan(v)) ? v : acc;
        }
    }
    if (is_avg) {
        int cnt;
        if (include_pad)
            cnt = (min(hs + KH, H + PB) - hs) * (min(ws + KW, W + PR) - ws);
        else
            cnt = (min(hs + KH, H) - max(hs, 0)) * (min(ws + KW, W) - max(ws, 0));
        acc /= (float)cnt;
    }
    if (gx < OW && gy < OH) out[(plane * (size_t)OH + (size_t)oh) * (size_t)OW + ow] = acc;
}

__kernel void pool_max(__global const float *restrict in, __global float *restrict out,
                       const int H, const int W, const int OH, const int OW, const int KH,
                       const int KW, const int SH, const int SW, const int PT, const int PL,
                       const int PB, const int PR, const int include_pad)
{
    pool_window(in, out, H, W, OH, OW, KH, KW, SH, SW, PT, PL, PB, PR, include_pad, 0);
}

__kernel void pool_avg(__global const float *restrict in, __global float *restrict out,
                       const int H, const int W, const int OH, const int OW, const int KH,
                       const int KW, const int SH, const int SW, const int PT, const int PL,
                       const int PB, const int PR, const int include_pad)
{
    pool_window(in, out, H, W, OH, OW, KH, KW, SH, SW, PT, PL, PB, PR, include_pad, 1);
}

/* ---- global pooling ----------------------------------------------------------------------- */

inline float red_op(float a, float b, const int is_avg)
{
    if (is_avg) return a + b;
    return (b > a || isnan(b)) ? b : a;
}

/* Reduces plane get_global_id(1) into out[plane]. scratch holds RED_WG floats. */
inline void pool_global(__global const float *restrict in, __global float *restrict out,
                        const int HW, const ulong planes, __local float *scratch,
                        const int is_avg)
{
    const int lx = (int)get_local_id(0), ly = (int)get_local_id(1);
    const int RX = (int)get_local_size(0);
    const ulong plane = get_global_id(1);
    /* Rows past the last plane (global size rounded up) reduce the last plane again. */
    const ulong p = min(plane, planes - 1);
    in += p * (ulong)HW;

    /* RED_UNROLL accumulators break the dependency chain of the fold. For max, reading the
     * last element again in place of a missing one changes nothing; for the sum it is
     * zeroed. The trip count is the same in every work-item of a row. */
    float acc[RED_UNROLL];
    for (int u = 0; u < RED_UNROLL; u++) acc[u] = is_avg ? 0.0f : -INFINITY;
    const int step = RX * RED_UNROLL;
    for (int base = 0; base < HW; base += step) {
        for (int u = 0; u < RED_UNROLL; u++) {
            const int i = base + u * RX + lx;
            const float v = in[min(i, HW - 1)];
            acc[u] = is_avg ? acc[u] + (i < HW ? v : 0.0f) : red_op(acc[u], v, 0);
        }
    }
    float a = acc[0];
    for (int u = 1; u < RED_UNROLL; u++) a = red_op(a, acc[u], is_avg);

    __local float *row = scratch + ly * RX;
    row[lx] = a;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int half = RX / 2; half > 0; half >>= 1) {
        if (lx < half) row[lx] = red_op(row[lx], row[lx + half], is_avg);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lx == 0 && plane < planes) out[plane] = is_avg ? row[0] / (float)HW : row[0];
}

__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1))) void
global_max_flat(__global const float *restrict in, __global float *restrict out, const int HW,
                const ulong planes)
{
    __local float scratch[RED_WG];
    pool_global(in, out, HW, planes, scratch, 0);
}

__kernel void global_max(__global const float *restrict in, __global float *restrict out,
                         const int HW, const ulong planes)
{
    __local float scratch[RED_WG];
    pool_global(in, out, HW, planes, scratch, 0);
}

__kernel void global_avg(__global const float *restrict in, __global float *restrict out,
                         const int HW, const ulong planes)
{
    __local float scratch[RED_WG];
    pool_global(in, out, HW, planes, scratch, 1);
}
