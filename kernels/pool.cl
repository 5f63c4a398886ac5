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

/* One work-item per output element: dimension 0 along the output width. */
__kernel void pool2d(__global const float *X, __global float *Y, int C, int H, int W, int P,
                     int Q, int sh, int sw, int pt, int pl, int pb, int pr, int out_off,
                     int out_img_stride)
{
    const int q = get_global_id(0), p = get_global_id(1), nc = get_global_id(2);
    if (q >= Q || p >= P) return;
    const int img = nc / C, c = nc - img * C;
    const int hs = p * sh - pt, ws = q * sw - pl;
    const __global float *x = X + (size_t)nc * H * W;
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
    Y[out_off + (size_t)img * out_img_stride + ((size_t)c * P + p) * Q + q] = acc;
}

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
