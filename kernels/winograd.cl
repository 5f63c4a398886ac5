/*
 * winograd.cl - input and output transforms of Winograd convolution F(MxM, 3x3), M = 2 or 4
 * (tile ALPHA = M + 2), NCHW float32. The products between them run in gemm.cl.
 *
 * The transform matrices are those of Lavin and Gray, "Fast Algorithms for Convolutional
 * Neural Networks" (CVPR 2016): F(2,3) with interpolation points 0, 1, -1 (and infinity),
 * F(4,3) with 0, 1, -1, 2, -2 (and infinity). They are written out below as 1-D transforms
 * applied along columns, then rows; multiplying by the zero entries is not left to the
 * compiler because x * 0 may not be folded in strict IEEE mode.
 *
 * Layouts: V[xi][c][t] and Mx[xi][k][t] with xi = ALPHA*ALPHA transformed elements, t the
 * tile index inside the current chunk of tiles, leading dimension ld.
 */
#ifndef M
#define M 4
#endif
#define ALPHA (M + 2)

/* o = B^T d along one line of ALPHA values with stride 1. */
inline void input_1d(const float *d, float *o)
{
#if M == 2
    o[0] = d[0] - d[2];
    o[1] = d[1] + d[2];
    o[2] = d[2] - d[1];
    o[3] = d[1] - d[3];
#else
    o[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
    o[1] = -4.0f * (d[1] + d[2]) + d[3] + d[4];
    o[2] = 4.0f * (d[1] - d[2]) - d[3] + d[4];
    o[3] = -2.0f * (d[1] - d[3]) - d[2] + d[4];
    o[4] = 2.0f * (d[1] - d[3]) - d[2] + d[4];
    o[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
#endif
}

/* y = A^T m along one line. */
inline void output_1d(const float *m, float *y)
{
#if M == 2
    y[0] = m[0] + m[1] + m[2];
    y[1] = m[1] - m[2] - m[3];
#else
    const float a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], d = m[3] - m[4];
    y[0] = m[0] + a + c;
    y[1] = b + 2.0f * d;
    y[2] = a + 4.0f * c;
    y[3] = b + 8.0f * d + m[5];
#endif
}

/* One work-item per (tile, channel): V[:, c, t] = B^T d B for the input patch of tile
 * t0 + t. Tiles run over (img, ty, tx) with tiles_h x tiles_w per image. */
__kernel void winograd_input(__global const float *X, __global float *V, int C, int H, int W,
                             int pad_t, int pad_l, int tiles_h, int tiles_w, int t0, int nt,
                             int ld)
{
    const int t = get_global_id(0);
    const int c = get_global_id(1);
    if (t >= nt || c >= C) return;
    const int tg = t0 + t;
    const int per_img = tiles_h * tiles_w;
    const int img = tg / per_img;
    const int r = tg - img * per_img;
    const int ty = r / tiles_w, tx = r - ty * tiles_w;
    const int h0 = ty * M - pad_t, w0 = tx * M - pad_l;
    const __global float *xc = X + ((size_t)img * C + c) * H * W;

    float d[ALPHA][ALPHA];
    for (int i = 0; i < ALPHA; i++) {
        const int h = h0 + i;
        for (int j = 0; j < ALPHA; j++) {
            const int w = w0 + j;
            d[i][j] = (h >= 0 && h < H && w >= 0 && w < W) ? xc[h * W + w] : 0.0f;
        }
    }
    float tmp[ALPHA][ALPHA];
    for (int j = 0; j < ALPHA; j++) { /* columns: tmp = B^T d */
        float col[ALPHA], o[ALPHA];
        for (int i = 0; i < ALPHA; i++) col[i] = d[i][j];
        input_1d(col, o);
        for (int i = 0; i < ALPHA; i++) tmp[i][j] = o[i];
    }
    const size_t plane = (size_t)C * ld;
    __global float *v = V + (size_t)c * ld + t;
    for (int i = 0; i < ALPHA; i++) { /* rows: V = tmp B */
        float o[ALPHA];
        input_1d(tmp[i], o);
        for (int j = 0; j < ALPHA; j++) v[(i * ALPHA + j) * plane] = o[j];
    }
}

/* One work-item per (tile, output channel): Y tile = A^T Mx A, then bias, residual and
 * activation, written where it lies inside the P x Q output. */
__kernel void winograd_output(__global const float *Mx, __global float *Y,
                              __global const float *bias, __global const float *res, int K,
                              int P, int Q, int tiles_h, int tiles_w, int t0, int nt, int ld,
                              int out_off, int out_img_stride)
{
    const int t = get_global_id(0);
    const int k = get_global_id(1);
    if (t >= nt || k >= K) return;
    const int tg = t0 + t;
    const int per_img = tiles_h * tiles_w;
    const int img = tg / per_img;
    const int r = tg - img * per_img;
    const int ty = r / tiles_w, tx = r - ty * tiles_w;

    const size_t plane = (size_t)K * ld;
    const __global float *mp = Mx + (size_t)k * ld + t;
    float m[ALPHA][ALPHA];
    for (int i = 0; i < ALPHA; i++)
        for (int j = 0; j < ALPHA; j++) m[i][j] = mp[(i * ALPHA + j) * plane];
    float tmp[M][ALPHA];
    for (int j = 0; j < ALPHA; j++) { /* columns */
        float col[ALPHA], y[M];
        for (int i = 0; i < ALPHA; i++) col[i] = m[i][j];
        output_1d(col, y);
        for (int i = 0; i < M; i++) tmp[i][j] = y[i];
    }
#if HAS_BIAS
    const float b = bias[k];
#else
    const float b = 0.0f;
#endif
    const size_t rbase = ((size_t)img * K + k) * P * Q; /* residual: dense */
    const size_t obase = out_off + (size_t)img * out_img_stride + (size_t)k * P * Q;
    for (int i = 0; i < M; i++) { /* rows */
        float y[M];
        output_1d(tmp[i], y);
        const int p = ty * M + i;
        if (p >= P) break;
        for (int j = 0; j < M; j++) {
            const int q = tx * M + j;
            if (q >= Q) break;
            const size_t pq = (size_t)p * Q + q;
            float v = y[j] + b;
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
