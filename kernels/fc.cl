/*
 * fc.cl - fully-connected layers: the epilogue of those run on CLBlast, Y = act(Y + beta * C)
 * with C broadcast over rows (cm == 1) and/or columns (cn == 1), and clnn's own GEMV for a
 * few rows (M <= 8) with that epilogue fused: Y[m,n] = act(alpha * X[m,:] . W(n) + beta * C).
 */
#ifndef HAS_C
#define HAS_C 1
#endif
#ifndef ROWS
#define ROWS 1 // rows of X computed together (each weight read once for all of them)
#endif
#ifndef VW
#define VW 8 // vector width of the loads along K (fc_gemv_t) or N (fc_gemv_n): 4, 8 or 16
#endif

#define floatV CAT(float, VW)
#define vloadV CAT(vload, VW)

/* Dimension 0 along the N columns. */
__kernel void fc_epilogue(__global float *Y, __global const float *C, int M, int N, int cm,
                          int cn, float beta)
{
    const int n = get_global_id(0), m = get_global_id(1);
    if (n >= N || m >= M) return;
    float v = Y[(size_t)m * N + n];
#if HAS_C
    v += beta * C[(size_t)(cm == 1 ? 0 : m) * cn + (cn == 1 ? 0 : n)];
#endif
    Y[(size_t)m * N + n] = clnn_activate(v, ACT, ACT_A, ACT_B);
}

inline float fc_hsum(floatV v)
{
#if VW == 16
    float8 a = v.lo + v.hi;
    float4 b = a.lo + a.hi;
#elif VW == 8
    float4 b = v.lo + v.hi;
#else
    float4 b = v;
#endif
    return (b.x + b.y) + (b.z + b.w);
}

inline void fc_store(__global float *Y, __global const float *C, int m, int n, int N, int cm,
                     int cn, float alpha, float beta, float acc)
{
    float v = alpha * acc;
#if HAS_C
    v += beta * C[(size_t)(cm == 1 ? 0 : m) * cn + (cn == 1 ? 0 : n)];
#endif
    Y[(size_t)m * N + n] = clnn_activate(v, ACT, ACT_A, ACT_B);
}

/* W [N,K] row-major (Gemm transB = 1, or a [K,N] constant transposed at prepare): one
 * work-item per output column n, a dot product of contiguous rows, VW floats a load: aligned
 * vector loads when K % VW == 0 (every row then starts on a vector; vloadn is about half as
 * fast on PoCL), else vloadn and K's tail (K % VW) in scalars. */
__kernel void fc_gemv_t(__global const float *X, __global const float *W, __global const float *C,
                        __global float *Y, int N, int K, int cm, int cn, float alpha, float beta)
{
    const int n = get_global_id(0);
    if (n >= N) return;
    const __global float *w = W + (size_t)n * K;
    floatV acc[ROWS];
    for (int m = 0; m < ROWS; m++) acc[m] = (floatV)(0.0f);
    int k = 0;
    if (K % VW == 0) {
        const __global floatV *wq = (const __global floatV *)w;
        const __global floatV *xq = (const __global floatV *)X;
        const int KV = K / VW;
        for (int q = 0; q < KV; q++) {
            const floatV wv = wq[q];
            for (int m = 0; m < ROWS; m++) acc[m] = mad(xq[m * KV + q], wv, acc[m]);
        }
        k = K;
    }
    for (; k + VW <= K; k += VW) {
        const floatV wv = vloadV(0, w + k);
        for (int m = 0; m < ROWS; m++) acc[m] = mad(vloadV(0, X + (size_t)m * K + k), wv, acc[m]);
    }
    float s[ROWS];
    for (int m = 0; m < ROWS; m++) s[m] = fc_hsum(acc[m]);
    for (; k < K; k++) {
        const float wv = w[k];
        for (int m = 0; m < ROWS; m++) s[m] = mad(X[(size_t)m * K + k], wv, s[m]);
    }
    for (int m = 0; m < ROWS; m++) fc_store(Y, C, m, n, N, cm, cn, alpha, beta, s[m]);
}

/* W [K,N] row-major (MatMul, Gemm transB = 0): one work-item per VW consecutive columns,
 * a row of W a step along K, so neighbouring work-items read neighbouring floats; the last
 * columns (N % VW) in scalars. */
__kernel void fc_gemv_n(__global const float *X, __global const float *W, __global const float *C,
                        __global float *Y, int N, int K, int cm, int cn, float alpha, float beta)
{
    const int n0 = get_global_id(0) * VW;
    if (n0 >= N) return;
    if (n0 + VW <= N) {
        floatV acc[ROWS];
        for (int m = 0; m < ROWS; m++) acc[m] = (floatV)(0.0f);
        for (int k = 0; k < K; k++) {
            const floatV wv = vloadV(0, W + (size_t)k * N + n0);
            for (int m = 0; m < ROWS; m++) acc[m] = mad((floatV)(X[(size_t)m * K + k]), wv, acc[m]);
        }
        for (int m = 0; m < ROWS; m++) {
            float a[VW];
            CAT(vstore, VW)(acc[m], 0, a);
            for (int j = 0; j < VW; j++) fc_store(Y, C, m, n0 + j, N, cm, cn, alpha, beta, a[j]);
        }
        return;
    }
    for (int n = n0; n < N; n++) {
        float s[ROWS];
        for (int m = 0; m < ROWS; m++) s[m] = 0.0f;
        for (int k = 0; k < K; k++) {
            const float wv = W[(size_t)k * N + n];
            for (int m = 0; m < ROWS; m++) s[m] = mad(X[(size_t)m * K + k], wv, s[m]);
        }
        for (int m = 0; m < ROWS; m++) fc_store(Y, C, m, n, N, cm, cn, alpha, beta, s[m]);
    }
}
