/*
 * convtranspose.cl - ConvTranspose (lib/ops/convtranspose.c), NCDHW float32 (1-D and 2-D
 * layers have leading spatial sizes of 1), in the gather form: one work-item per output
 * element sums the input elements and kernel taps that land on it, so no two work-items
 * write the same element and no atomics are needed.
 *
 * Output o along an axis receives input i through tap k when o + pad = i * s + k * d: a tap
 * contributes only where o + pad - k * d is a non-negative multiple of s below the input
 * size. Weights are packed [M][taps][Cg] so the innermost loop (the group's input channels)
 * reads them consecutively. Epilogue: bias and the fused activation (common.cl).
 */
__kernel void convtranspose(__global const float *X, __global const float *Wt,
                            __global const float *B, __global float *Y, int total, int C,
                            int Cg, int Mg, int M, int ID, int IH, int IW, int OD, int OH,
                            int OW, int KD, int KH, int KW, int SD, int SH, int SW, int DD,
                            int DH, int DW, int PD, int PH, int PW, int out_off,
                            int out_img_stride)
{
    const int i = get_global_id(0);
    if (i >= total) return;
    const int ow = i % OW;
    int t = i / OW;
    const int oh = t % OH;
    t /= OH;
    const int od = t % OD;
    t /= OD;
    const int m = t % M, n = t / M;
    const int g = m / Mg;
    const size_t IHW = (size_t)IH * IW, IDHW = (size_t)ID * IHW;
    const __global float *x = X + ((size_t)n * C + (size_t)g * Cg) * IDHW;
    const __global float *w = Wt + (size_t)m * KD * KH * KW * Cg;
    float acc = 0.0f;
    for (int kd = 0; kd < KD; kd++) {
        const int td = od + PD - kd * DD;
        if (td < 0 || td % SD) continue;
        const int id = td / SD;
        if (id >= ID) continue;
        for (int kh = 0; kh < KH; kh++) {
            const int th = oh + PH - kh * DH;
            if (th < 0 || th % SH) continue;
            const int ih = th / SH;
            if (ih >= IH) continue;
            for (int kw = 0; kw < KW; kw++) {
                const int tw = ow + PW - kw * DW;
                if (tw < 0 || tw % SW) continue;
                const int iw = tw / SW;
                if (iw >= IW) continue;
                const __global float *xp = x + ((size_t)id * IH + ih) * IW + iw;
                const __global float *wp = w + (size_t)((kd * KH + kh) * KW + kw) * Cg;
                for (int c = 0; c < Cg; c++) acc += xp[c * IDHW] * wp[c];
            }
        }
    }
#if HAS_BIAS
    acc += B[m];
#endif
    acc = clnn_activate(acc, ACT, ACT_A, ACT_B);
    Y[out_off + (size_t)n * out_img_stride + (((size_t)m * OD + od) * OH + oh) * OW + ow] = acc;
}
