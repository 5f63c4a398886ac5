/*
 * gemm.cl - batched C[b] (M x N) = A[b] (M x Kd) * B[b] (Kd x N) for the GEMM-shaped
 * convolutions: 1x1 layers (M = output channels, Kd = input channels, N = pixels, one batch
 * entry per image) and the Winograd products (one batch entry per transformed element).
 *
 * A is packed on the host as [ceil(M/TM)][Kd][TM] (zero rows past M) so a work-item reads its
 * TM weights contiguously; B and C are row-major with leading dimensions. A work-item holds
 * a TM x TN*VEC register tile; columns past N are guarded (tail tiles only). b_extent is
 * the number of floats in B's buffer from B[0], so tail tiles know how far they may read.
 * C is written from C + c_off; with the convolution epilogue the residual is read densely
 * (res_stride floats per batch entry, leading dimension ldc).
 */
#ifndef TM
#define TM 8 // rows (output channels) per work-item
#endif
#ifndef VEC
#define VEC 16 // columns per vector (1, 2, 4, 8, 16)
#endif
#ifndef TN
#define TN 2 // vectors per work-item
#endif
#ifndef WGX
#define WGX 1 // work-items per group along columns
#endif
#ifndef WGY
#define WGY 1 // work-items per group along rows
#endif
#ifndef EPILOGUE
#define EPILOGUE 0 // 0: plain store; 1: convolution epilogue (bias, residual, activation)
#endif

#if VEC == 1
#define VT float
#define VLOAD(p) (*(p))
#define VSTORE(v, p) (*(p) = (v))
#else
#define VT CAT(float, VEC)
#define VLOAD(p) CAT(vload, VEC)(0, (p))
#define VSTORE(v, p) CAT(vstore, VEC)((v), 0, (p))
#endif

/* Loads VEC columns starting at n of row p, zero past N. */
inline VT load_tail(const __global float *p, int n, int N)
{
    float t[VEC];
    for (int l = 0; l < VEC; l++) t[l] = n + l < N ? p[n + l] : 0.0f;
#if VEC == 1
    return t[0];
#else
    return CAT(vload, VEC)(0, t);
#endif
}

inline float epilogue(float v, int m, size_t o, __global const float *bias,
                      __global const float *res)
{
#if EPILOGUE == 1
#if HAS_BIAS
    v += bias[m];
#endif
#if RESIDUAL == 1
    v += res[o];
#endif
    v = clnn_activate(v, ACT, ACT_A, ACT_B);
#if RESIDUAL == 2
    v += res[o];
#endif
#endif
    return v;
}

__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1))) void
gemm(int M, int N, int Kd, __global const float *A, int a_stride, __global const float *B,
     int ldb, int b_stride, int b_extent, __global float *C, int c_off, int ldc, int c_stride,
     __global const float *bias, __global const float *res, int res_stride)
{
    const int b = get_global_id(2);
    const int mt = get_global_id(1);
    const int n0 = (get_group_id(0) * WGX * TN + get_local_id(0)) * VEC;
    if (mt * TM >= M || n0 >= N) return;
    const __global float *ap = A + (size_t)b * a_stride + (size_t)mt * Kd * TM;
    const __global float *bp = B + (size_t)b * b_stride + n0;

    VT acc[TM][TN];
    for (int i = 0; i < TM; i++)
        for (int j = 0; j < TN; j++) acc[i][j] = (VT)0.0f;

    /* Rows whose vectors stay inside B even past column N: their extra columns are dropped
     * later, so they load whole vectors. Only the last rows of the buffer need guarding. */
    const long room = (long)b_extent - (long)b * b_stride - n0 - (long)((TN - 1) * WGX + 1) * VEC;
    int k_full = room < 0 ? 0 : (int)min((long)Kd, room / ldb + 1);
    if (n0 + ((TN - 1) * WGX + 1) * VEC <= N) k_full = Kd; /* a whole tile: no guard at all */
    int k = 0;
    for (; k < k_full; k++) {
        VT x[TN];
#pragma unroll
        for (int j = 0; j < TN; j++) x[j] = VLOAD(bp + j * WGX * VEC);
#pragma unroll
        for (int i = 0; i < TM; i++) {
            const VT a = (VT)ap[i];
#pragma unroll
            for (int j = 0; j < TN; j++) acc[i][j] = fma(a, x[j], acc[i][j]);
        }
        ap += TM;
        bp += ldb;
    }
    for (; k < Kd; k++) {
        VT x[TN];
        for (int j = 0; j < TN; j++) x[j] = load_tail(bp - n0, n0 + j * WGX * VEC, N);
        for (int i = 0; i < TM; i++) {
            const VT a = (VT)ap[i];
            for (int j = 0; j < TN; j++) acc[i][j] = fma(a, x[j], acc[i][j]);
        }
        ap += TM;
        bp += ldb;
    }

    __global float *cb = C + c_off + (size_t)b * c_stride;
    const size_t rb = (size_t)b * res_stride; /* the residual is dense: [b][m][n] */
    for (int i = 0; i < TM; i++) {
        const int m = mt * TM + i;
        if (m >= M) break;
        for (int j = 0; j < TN; j++) {
            const int n = n0 + j * WGX * VEC;
            const size_t o = (size_t)m * ldc + n;
            if (n + VEC <= N) {
#if EPILOGUE == 0
                VSTORE(acc[i][j], cb + o);
#else
                float t[VEC];
#if VEC == 1
                t[0] = acc[i][j];
#else
                CAT(vstore, VEC)(acc[i][j], 0, t);
#endif
                for (int l = 0; l < VEC; l++) cb[o + l] = epilogue(t[l], m, rb + o + l, bias, res);
#endif
            } else {
                float t[VEC];
#if VEC == 1
                t[0] = acc[i][j];
#else
                CAT(vstore, VEC)(acc[i][j], 0, t);
#endif
                for (int l = 0; l < VEC && n + l < N; l++)
                    cb[o + l] = epilogue(t[l], m, rb + o + l, bias, res);
            }
        }
    }
}
