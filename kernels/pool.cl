/*
 * pool.cl - max and average pooling (any window, stride, asymmetric padding, ceil mode,
 * count_include_pad, dilations) and global max / average pooling, NCHW float32.
 *
 * Outputs go to Y + out_off with out_img_stride floats between images, so a pooling layer
 * can write straight into its channel slice of a concatenation.
 *
 * The window size is compiled in (KH, KW): measured on PoCL, 1.3-1.7x faster than passing it
 * as an argument. Max pooling propagates NaN, as PyTorch does.
 */
#define MAX_NAN(a, x) ((x) > (a) || isnan(x) ? (x) : (a))
#ifndef GWG
#define GWG 64 // work-items per plane in the global pooling reduction
#endif
#ifndef KH
#define KH 3 // window height (baked in so the window loops unroll)
#endif
#ifndef KW
#define KW 3 // window width
#endif
#ifndef DH
#define DH 1 // dilation: taps DH rows and DW columns apart
#endif
#ifndef DW
#define DW 1
#endif
#ifndef IS_MAX
#define IS_MAX 1
#endif
#define EH ((KH - 1) * DH + 1) // the span of the window
#define EW ((KW - 1) * DW + 1)
#ifndef INCLUDE_PAD
#define INCLUDE_PAD 0
#endif

/* Small windows unroll; big ones (a 70x80 window would be 5,600 copies of the body and a
 * minute of compilation) stay loops. */
#if KH * KW <= 64
#define WINDOW_UNROLL _Pragma("unroll")
#else
#define WINDOW_UNROLL
#endif

/* One output of plane x (H x W) whose window starts at row hs, column ws. */
static float pool_one(const __global float *x, int H, int W, int hs, int ws, int pb, int pr)
{
#if IS_MAX
    float acc = -INFINITY;
#else
    float acc = 0.0f;
#endif
    if (hs >= 0 && hs + EH <= H && ws >= 0 && ws + EW <= W) {
        /* Inside the input (most windows): no bounds to check, so the loops unroll and PoCL
         * vectorises across work-items (1.6x on the pooling benchmark). */
        const __global float *xr = x + hs * W + ws;
        WINDOW_UNROLL
        for (int i = 0; i < KH; i++)
            WINDOW_UNROLL
            for (int j = 0; j < KW; j++) {
#if IS_MAX
                acc = MAX_NAN(acc, xr[i * DH * W + j * DW]);
#else
                acc += xr[i * DH * W + j * DW];
#endif
            }
    } else {
        for (int i = 0; i < KH; i++) {
            const int h = hs + i * DH;
            if (h < 0 || h >= H) continue;
            for (int j = 0; j < KW; j++) {
                const int w = ws + j * DW;
                if (w < 0 || w >= W) continue;
#if IS_MAX
                acc = MAX_NAN(acc, x[h * W + w]);
#else
                acc += x[h * W + w];
#endif
            }
        }
    }
#if !IS_MAX
#if DH == 1 && DW == 1
#if INCLUDE_PAD
    const int he = min(hs + KH, H + pb), we = min(ws + KW, W + pr);
    const int count = (he - hs) * (we - ws);
#else
    const int count = (min(hs + KH, H) - max(hs, 0)) * (min(ws + KW, W) - max(ws, 0));
#endif
#else
    /* Taps of a dilated window below an end e (the input's or the padding's) and, without
     * the padding counted, at or after 0. */
#if INCLUDE_PAD
    const int rows = min(KH, (H + pb - hs + DH - 1) / DH);
    const int cols = min(KW, (W + pr - ws + DW - 1) / DW);
#else
    const int h0 = hs < 0 ? (-hs + DH - 1) / DH : 0, w0 = ws < 0 ? (-ws + DW - 1) / DW : 0;
    const int rows = min(KH, (H - hs + DH - 1) / DH) - h0;
    const int cols = min(KW, (W - ws + DW - 1) / DW) - w0;
#endif
    const int count = rows * cols;
#endif
    acc /= (float)count;
#endif
    return acc;
}

/* One work-item per output element: dimension 0 along the output width. */
__kernel void pool2d(__global const float *X, __global float *Y, int C, int H, int W, int P,
                     int Q, int sh, int sw, int pt, int pl, int pb, int pr, int out_off,
                     int out_img_stride)
{
    const int q = get_global_id(0), p = get_global_id(1), nc = get_global_id(2);
    if (q >= Q || p >= P) return;
    const int img = nc / C, c = nc - img * C;
    const __global float *x = X + (size_t)nc * H * W;
    Y[out_off + (size_t)img * out_img_stride + ((size_t)c * P + p) * Q + q] =
        pool_one(x, H, W, p * sh - pt, q * sw - pl, pb, pr);
}

/* CPUs: one work-item per output row, PV outputs at a time as vectors. Undilated windows,
 * the column stride SW (1 or 2) compiled in: a window column j of PV neighbouring outputs
 * is one vector load (SW 2: the even lanes of a load twice as long), so the loads stay
 * contiguous where one work-item per output makes them strided gathers. Rows in the padding
 * are skipped (their taps are -inf or, for the average, not counted); vectors whose columns
 * reach into the padding or past the row's end take pool_one per output. */
#ifndef PV
#define PV 8
#endif
#ifndef SW
#define SW 1
#endif
#define PCAT_(a, b) a##b
#define PCAT(a, b) PCAT_(a, b)
#define FV PCAT(float, PV)
#if SW == 1
#define TAPS(ptr) PCAT(vload, PV)(0, ptr)
#else
#define TAPS(ptr) PCAT(vload, PV2)(0, ptr).even
#endif
__kernel void pool2d_rows(__global const float *X, __global float *Y, int C, int H, int W,
                          int P, int Q, int sh, int pt, int pl, int pb, int pr, int out_off,
                          int out_img_stride, int qlo, int qhi)
{
    const int p = get_global_id(0), nc = get_global_id(1);
    if (p >= P) return;
    const int img = nc / C, c = nc - img * C;
    const __global float *x = X + (size_t)nc * H * W;
    __global float *y = Y + out_off + (size_t)img * out_img_stride + ((size_t)c * P + p) * Q;
    const int hs = p * sh - pt;
    const int i0 = max(0, -hs), i1 = min(KH, H - hs); /* the window's rows inside the input */
#if !IS_MAX
#if INCLUDE_PAD
    const float count = (float)((min(hs + KH, H + pb) - hs) * KW);
#else
    const float count = (float)((i1 - i0) * KW);
#endif
#endif
    /* Whole vectors where every tap column is in [0, W), starting at qlo to qhi (the host's
     * pool_vector_span, qhi >= qlo); the last vector moves back to start at qhi, overlapping
     * its neighbour (both write the same values). The edges go per output. */
    const int vend = qhi + PV; /* outputs before vend are done */
    for (int q = 0; q < min(qlo, Q); q++) y[q] = pool_one(x, H, W, hs, q * SW - pl, pb, pr);
    for (int q0 = qlo; q0 < vend; q0 += PV) {
        q0 = min(q0, qhi);
        const int ws = q0 * SW - pl;
#if IS_MAX
        FV acc = (FV)(-INFINITY);
#else
        FV acc = (FV)(0.0f);
#endif
        for (int i = i0; i < i1; i++) {
            const __global float *xr = x + (hs + i) * W + ws;
            WINDOW_UNROLL
            for (int j = 0; j < KW; j++) {
                const FV v = TAPS(xr + j);
#if IS_MAX
                acc = select(acc, v, v > acc || isnan(v));
#else
                acc += v;
#endif
            }
        }
#if !IS_MAX
        acc /= count;
#endif
        PCAT(vstore, PV)(acc, 0, y + q0);
    }
    for (int q = vend; q < Q; q++) y[q] = pool_one(x, H, W, hs, q * SW - pl, pb, pr);
}
#undef TAPS

/* Global pooling of small planes: one work-item per (image, channel) plane. */
__kernel void global_pool_small(__global const float *X, __global float *Y, int C, int HW,
                                int out_off, int out_img_stride)
{
    const int nc = get_global_id(0);
    const int img = nc / C, c = nc - img * C;
    const __global float *x = X + (size_t)nc * HW;
#if IS_MAX
    float acc = -INFINITY;
    for (int i = 0; i < HW; i++) acc = MAX_NAN(acc, x[i]);
#else
    float acc = 0.0f;
    for (int i = 0; i < HW; i++) acc += x[i];
    acc /= (float)HW;
#endif
    Y[out_off + (size_t)img * out_img_stride + c] = acc;
}

/* Global pooling of large planes: a work-group of GWG items per plane, strided partial
 * results, then a tree reduction in local memory. */
__kernel __attribute__((reqd_work_group_size(GWG, 1, 1))) void
global_pool_large(__global const float *X, __global float *Y, int C, int HW, int out_off,
                  int out_img_stride)
{
    __local float part[GWG];
    const int lid = get_local_id(0);
    const int nc = get_group_id(0);
    const int img = nc / C, c = nc - img * C;
    const __global float *x = X + (size_t)nc * HW;
#if IS_MAX
    float acc = -INFINITY;
    for (int i = lid; i < HW; i += GWG) acc = MAX_NAN(acc, x[i]);
#else
    float acc = 0.0f;
    for (int i = lid; i < HW; i += GWG) acc += x[i];
#endif
    part[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = GWG / 2; s > 0; s >>= 1) {
        if (lid < s) {
#if IS_MAX
            part[lid] = MAX_NAN(part[lid], part[lid + s]);
#else
            part[lid] += part[lid + s];
#endif
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
#if IS_MAX
        Y[out_off + (size_t)img * out_img_stride + c] = part[0];
#else
        Y[out_off + (size_t)img * out_img_stride + c] = part[0] / (float)HW;
#endif
    }
}
