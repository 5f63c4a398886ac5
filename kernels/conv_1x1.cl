/*
 * conv_1x1.cl - the pre-pass of strided 1x1 convolutions: picks every STRIDE-th pixel so the
 * product in gemm.cl runs over a dense [C][P*Q] matrix per image.
 */
#ifndef STRIDE_H
#define STRIDE_H 2
#endif
#ifndef STRIDE_W
#define STRIDE_W 2
#endif

/* Xs[img][c][p][q] = X[img][c][p*STRIDE_H][q*STRIDE_W]; dimension 0 along q. */
__kernel void conv1x1_subsample(__global const float *X, __global float *Xs, int C, int H,
                                int W, int P, int Q)
{
    const int q = get_global_id(0);
    const int row = get_global_id(1); /* c * P + p */
    const int img = get_global_id(2);
    if (q >= Q || row >= C * P) return;
    const int c = row / P, p = row - c * P;
    Xs[((size_t)img * C * P + row) * Q + q] =
        X[(((size_t)img * C + c) * H + p * STRIDE_H) * W + q * STRIDE_W];
}
