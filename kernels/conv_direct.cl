/*
 * conv_direct.cl - direct convolution for any kernel size, stride, padding, dilation and
 * groups, NCHW float32, with the fused epilogue.
 *
 * Two kernels:
 *  conv_prep   copies the input into a zero-padded, stride-phase-split layout X' per image:
 *              [C][SH][SW][HPH][WPH], so that for a fixed tap (r, s) the inputs of
 *              consecutive outputs q are consecutive in memory whatever the stride.
 *  conv_direct computes output "rows" flattened as n = p * WPH + q over the phase planes:
 *              every tap is then one contiguous vector load at a constant offset, and the
 *              WPH - Q columns past the edge are computed and dropped. A work-item holds a
 *              TK (output channels) x TV*VEC (outputs) register tile; weights are packed as
 *              [group][K tile][Cg][R][S][TK] so a work-item reads them contiguously.
 *              The output goes to Y + out_off with out_img_stride floats between images (a
 *              slice of a concatenation); the residual is dense.
 */
#ifndef TK
#define TK 8 // output channels per work-item
#endif
#ifndef VEC
#define VEC 16 // outputs per vector (1, 2, 4, 8, 16)
#endif
#ifndef TV
#define TV 2 // vectors per work-item along the flattened output
#endif
#ifndef WGX
#define WGX 1 // work-items per group along the outputs (GPUs: 32-256, CPUs: 1)
#endif
#ifndef WGY
#define WGY 1 // work-items per group along the output channels
#endif
#ifndef UNROLL
#define UNROLL 1 // 1: unroll the tap loops (r, s) fully; 0: keep them loops (big windows
                 // compile much faster and may run as fast)
#endif
#if UNROLL
#define TAP_UNROLL _Pragma("unroll")
#else
#define TAP_UNROLL _Pragma("unroll 1")
#endif
/* Layer geometry, baked in so that the tap loops can unroll and their offsets fold. */
#ifndef KR
#define KR 3
#endif
#ifndef KS
#define KS 3
#endif
#ifndef SH
#define SH 1
#endif
#ifndef SW
#define SW 1
#endif
#ifndef DH
#define DH 1
#endif
#ifndef DW
#define DW 1
#endif

#if VEC == 1
#define VT float
#define VLOAD(p) (*(p))
#else
#define VT CAT(float, VEC)
#define VLOAD(p) CAT(vload, VEC)(0, (p))
#endif

/* X'[img][c][ph][pw][i][j] = X[img][c][i*SH + ph - pad_t][j*SW + pw - pad_l] or 0. One
 * work-item per element of X' (dimension 0 along j). */
__kernel void conv_prep(__global const float *X, __global float *Xp, int C, int H, int W,
                        int pad_t, int pad_l, int HPH, int WPH)
{
    int j = get_global_id(0);
    int row = get_global_id(1); /* (c, ph, pw, i) flattened */
    int img = get_global_id(2);
    if (j >= WPH || row >= C * SH * SW * HPH) return;
    int i = row % HPH;
    int t = row / HPH;
    int pw = t % SW;
    t /= SW;
    int ph = t % SH;
    int c = t / SH;
    int ih = i * SH + ph - pad_t;
    int iw = j * SW + pw - pad_l;
    float v = 0.0f;
    if (ih >= 0 && ih < H && iw >= 0 && iw < W)
        v = X[(((size_t)img * C + c) * H + ih) * W + iw];
    Xp[((size_t)img * C * SH * SW * HPH + row) * WPH + j] = v;
}

__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1))) void
conv_direct(__global const float *Xp, __global const float *Wp, __global const float *bias,
            __global const float *res, __global float *Y, int Cg, int Kg, int G, int P, int Q,
            int HPH, int WPH, int ktiles, int out_off, int out_img_stride)
{
    const int plane = HPH * WPH;
    const int kt = get_global_id(1);
    const int img = get_global_id(2) / G;
    const int g = get_global_id(2) % G;
    const int n0 = (get_group_id(0) * WGX * TV + get_local_id(0)) * VEC;
    if (kt >= ktiles) return;

    const __global float *xb =
        Xp + ((size_t)img * G + g) * (size_t)Cg * SH * SW * plane + n0;
    const __global float *wb = Wp + ((size_t)g * ktiles + kt) * (size_t)Cg * KR * KS * TK;

    VT acc[TK][TV];
    for (int i = 0; i < TK; i++)
        for (int j = 0; j < TV; j++) acc[i][j] = (VT)0.0f;

    for (int c = 0; c < Cg; c++) {
        TAP_UNROLL
        for (int r = 0; r < KR; r++) {
            TAP_UNROLL
            for (int s = 0; s < KS; s++) {
                const int off = (((r * DH) % SH) * SW + (s * DW) % SW) * plane +
                                ((r * DH) / SH) * WPH + (s * DW) / SW;
                VT x[TV];
#pragma unroll
                for (int j = 0; j < TV; j++) x[j] = VLOAD(xb + off + j * WGX * VEC);
                const __global float *w = wb + (r * KS + s) * TK;
#pragma unroll
                for (int i = 0; i < TK; i++) {
                    const VT wv = (VT)w[i];
#pragma unroll
                    for (int j = 0; j < TV; j++) acc[i][j] = fma(wv, x[j], acc[i][j]);
                }
            }
        }
        xb += SH * SW * plane;
        wb += KR * KS * TK;
    }

    /* Epilogue: drop the columns past Q and rows past P, add bias, residual, activation. */
    const int K = Kg * G;
    for (int j = 0; j < TV; j++) {
        const int nj = n0 + j * WGX * VEC;
        float lanes[TK][VEC];
        for (int i = 0; i < TK; i++) {
#if VEC == 1
            lanes[i][0] = acc[i][j];
#else
            CAT(vstore, VEC)(acc[i][j], 0, lanes[i]);
#endif
        }
        const int p0 = nj / WPH;
        const int q0 = nj - p0 * WPH;
        for (int i = 0; i < TK; i++) {
            if (kt * TK + i >= Kg) break;
            const int k = g * Kg + kt * TK + i;
            const size_t rbase = ((size_t)img * K + k) * P * Q; /* residual: dense */
            const size_t obase = out_off + (size_t)img * out_img_stride + (size_t)k * P * Q;
#if HAS_BIAS
            const float b = bias[k];
#else
            const float b = 0.0f;
#endif
            int p = p0, q = q0;
            for (int l = 0; l < VEC; l++) {
                if (p < P && q < Q) {
                    const size_t pq = (size_t)p * Q + q;
                    float v = lanes[i][l] + b;
#if RESIDUAL == 1
                    v += res[rbase + pq];
#endif
                    v = clnn_activate(v, ACT, ACT_A, ACT_B);
#if RESIDUAL == 2
                    v += res[rbase + pq];
#endif
                    Y[obase + pq] = v;
                }
                if (++q == WPH) {
                    q = 0;
                    p++;
                }
            }
        }
    }
}
