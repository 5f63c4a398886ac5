/*
 * fc.cl - the epilogue of fully-connected layers run on CLBlast: Y = act(Y + beta * C) with
 * C broadcast over rows (cm == 1) and/or columns (cn == 1).
 */
#ifndef HAS_C
#define HAS_C 1
#endif

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
