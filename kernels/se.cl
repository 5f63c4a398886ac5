/*
 * se.cl - the squeeze-and-excitation gate of an image in one work-group (lib/ops/se.c):
 *   mean[c] = average of x[n, c, :, :]
 *   hid[r]  = act1(b1[r] + sum_c w1[r, c] mean[c])
 *   out[n, c] = act2(b2[c] + sum_r w2[c, r] hid[r])
 * The means and the hidden vector stay in local memory (C + R floats). Each work-item sums
 * whole channels (contiguous rows), then whole dot products; a device with more images than
 * compute units runs one group per unit.
 */
#ifndef ACT1
#define ACT1 0
#define ACT1_A 0.0f
#define ACT1_B 0.0f
#endif
#ifndef ACT2
#define ACT2 0
#define ACT2_A 0.0f
#define ACT2_B 0.0f
#endif

__kernel void squeeze_excite(__global const float *restrict x, __global const float *restrict w1,
                             __global const float *restrict b1, __global const float *restrict w2,
                             __global const float *restrict b2, __global float *restrict out,
                             int C, int R, int HW, __local float *buf)
{
    const int n = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    __global const float *xn = x + (size_t)n * C * HW;
    __local float *mean = buf, *hid = buf + C;
    const float inv = 1.0f / (float)HW;
    for (int c = lid; c < C; c += ls) {
        __global const float *row = xn + (size_t)c * HW;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        int i = 0;
        for (; i + 4 <= HW; i += 4) {
            s0 += row[i];
            s1 += row[i + 1];
            s2 += row[i + 2];
            s3 += row[i + 3];
        }
        for (; i < HW; i++) s0 += row[i];
        mean[c] = ((s0 + s1) + (s2 + s3)) * inv;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int r = lid; r < R; r += ls) {
        __global const float *w = w1 + (size_t)r * C;
        float s = b1[r];
        for (int c = 0; c < C; c++) s = fma(w[c], mean[c], s);
        hid[r] = clnn_activate(s, ACT1, ACT1_A, ACT1_B);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int c = lid; c < C; c += ls) {
        __global const float *w = w2 + (size_t)c * R;
        float s = b2[c];
        for (int r = 0; r < R; r++) s = fma(w[r], hid[r], s);
        out[(size_t)n * C + c] = clnn_activate(s, ACT2, ACT2_A, ACT2_B);
    }
}
