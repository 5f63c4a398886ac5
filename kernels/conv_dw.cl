/*
 * conv_dw.cl - depthwise convolution (groups == input channels, one input channel per
 * group, a channel multiplier CM = K / C output channels each), NCHW float32, any kernel
 * size, stride, dilation and padding, with the fused epilogue.
 *
 * One work-item computes a TH x VEC block of outputs of one output channel: VEC
 * consecutive outputs of a row as one vector (CPUs: SIMD lanes; GPUs: VEC 1 and
 * consecutive work-items along the width), TH rows. It walks the (TH - 1) * SH +
 * (KR - 1) * DH + 1 input rows its block needs once, adding each to every output row and
 * tap that uses it, so every input row is read once per work-item rather than once per
 * output row. The input is read in place: no padded copy. Blocks whose columns lie inside
 * the image load each tap as one vector (stride 1: one vload; stride 2: the even lanes of
 * a double-width vload); blocks at the left and right edges gather with bounds checks.
 * The geometry is baked in, so the loops unroll and the tap selection folds.
 * Dimension 0 runs along the width, 1 along row blocks, 2 over (image, output channel).
 */
#ifndef VEC
#define VEC 8 // outputs per work-item along the width (1, 2, 4, 8, 16)
#endif
#ifndef TH
#define TH 2 // output rows per work-item
#endif
#ifndef WGX
#define WGX 8 // work-items per group along the width
#endif
#ifndef WGY
#define WGY 1 // work-items per group along row blocks
#endif
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
#ifndef CM
#define CM 1 // channel multiplier: output channels per input channel
#endif

#define IN_H ((TH - 1) * SH + (KR - 1) * DH + 1) // input rows a work-item reads
/* Columns past the block's first input that its vector loads touch. */
#define SPAN ((VEC - 1) * SW + (KS - 1) * DW + (SW == 2 && VEC > 1 ? 1 : 0) + 1)

#if VEC == 1
#define VT float
#define VLOAD(p) (*(p))
#define VSTORE(v, p) (*(p) = (v))
#else
#define VT CAT(float, VEC)
#define VLOAD(p) CAT(vload, VEC)(0, (p))
#define VSTORE(v, p) CAT(vstore, VEC)((v), 0, (p))
#endif

#define VEC_X2_2 4
#define VEC_X2_4 8
#define VEC_X2_8 16

/* VEC inputs SW apart from p (every one inside the image, or a private copy of the row). */
#if VEC == 1 || SW == 1
#define LOAD_TAPS(p) VLOAD(p)
#elif SW == 2 && VEC <= 8
#define LOAD_TAPS(p) CAT(vload, CAT(VEC_X2_, VEC))(0, (p)).even
#elif SW == 2 && VEC == 16
#define LOAD_TAPS(p) ((float16)(vload16(0, (p)).even, vload16(0, (p) + 16).even))
#else
#define LOAD_TAPS(p) gather_taps(p)
static inline VT gather_taps(const float *p)
{
    float t[VEC];
#pragma unroll
    for (int j = 0; j < VEC; j++) t[j] = p[j * SW];
    return VLOAD(t);
}
#endif

__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1))) void
conv_dw(__global const float *X, __global const float *Wt, __global const float *bias,
        __global const float *res, __global float *Y, int C, int H, int Wd, int P, int Q,
        int pad_t, int pad_l, int out_off, int out_img_stride)
{
    const int q0 = get_global_id(0) * VEC;
    const int p0 = get_global_id(1) * TH;
    const int K = C * CM;
    const int img = get_global_id(2) / K;
    const int k = get_global_id(2) - img * K;
    if (q0 >= Q || p0 >= P) return;
    const int c = k / CM;

    float w[KR][KS];
#pragma unroll
    for (int r = 0; r < KR; r++)
#pragma unroll
        for (int s = 0; s < KS; s++) w[r][s] = Wt[(k * KR + r) * KS + s];

    VT acc[TH];
#pragma unroll
    for (int t = 0; t < TH; t++) acc[t] = (VT)0.0f;

    const __global float *xc = X + ((size_t)img * C + c) * H * Wd;
    const int ih0 = p0 * SH - pad_t;
    const int iw0 = q0 * SW - pad_l;
    /* Every column the block's loads touch is inside the image. */
    const bool inner = iw0 >= 0 && iw0 + SPAN <= Wd;

#pragma unroll
    for (int ir = 0; ir < IN_H; ir++) {
        const int ih = ih0 + ir;
        if (ih < 0 || ih >= H) continue;
        const __global float *row = xc + (size_t)ih * Wd;
        VT x[KS];
        if (inner) {
#if VEC == 1 || SW <= 2
#pragma unroll
            for (int s = 0; s < KS; s++) x[s] = LOAD_TAPS(row + iw0 + s * DW);
#else
            float seg[SPAN];
#pragma unroll
            for (int i = 0; i < SPAN; i++) seg[i] = row[iw0 + i];
#pragma unroll
            for (int s = 0; s < KS; s++) x[s] = LOAD_TAPS(seg + s * DW);
#endif
        } else {
            /* At an edge: the row's segment with zeros outside the image, then the taps. */
            float seg[SPAN];
#pragma unroll
            for (int i = 0; i < SPAN; i++) {
                const int iw = iw0 + i;
                seg[i] = iw >= 0 && iw < Wd ? row[iw] : 0.0f;
            }
#pragma unroll
            for (int s = 0; s < KS; s++) x[s] = LOAD_TAPS(seg + s * DW);
        }
        /* Output row t uses input row ir through tap r when ir == t * SH + r * DH. */
#pragma unroll
        for (int t = 0; t < TH; t++) {
            const int d = ir - t * SH;
            if (d < 0 || d % DH != 0 || d / DH >= KR) continue;
            const int r = d / DH;
#pragma unroll
            for (int s = 0; s < KS; s++) acc[t] = fma((VT)w[r][s], x[s], acc[t]);
        }
    }

#if HAS_BIAS
    const float b = bias[k];
#else
    const float b = 0.0f;
#endif
    const size_t obase = out_off + (size_t)img * out_img_stride + (size_t)k * P * Q;
    const size_t rbase = ((size_t)img * K + k) * P * Q; /* residual: dense */
#pragma unroll
    for (int t = 0; t < TH; t++) {
        const int p = p0 + t;
        if (p >= P) break;
        float lanes[VEC];
        VSTORE(acc[t], lanes);
#pragma unroll
        for (int j = 0; j < VEC; j++) {
            const int q = q0 + j;
            if (q >= Q) break;
            const size_t pq = (size_t)p * Q + q;
            float v = lanes[j] + b;
#if RESIDUAL == 1
            v += res[rbase + pq];
#endif
            v = clnn_activate(v, ACT, ACT_A, ACT_B);
#if RESIDUAL == 2
            v += res[rbase + pq];
#endif
            Y[obase + pq] = v;
        }
    }
}
