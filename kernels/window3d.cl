/*
 * window3d.cl - 3-D windows (lib/ops/window3d.c), NCDHW float32: Conv, MaxPool and
 * AveragePool on rank-5 inputs, and MaxPool's Indices output at any rank (1-D and 2-D ones
 * have leading spatial sizes of 1). One work-item per output element walks its window
 * directly; slow but simple, the 2-D paths keep their own kernels.
 *
 * MODE 0: convolution, weights [M][Cg][KD][KH][KW] as ONNX stores them, epilogue bias,
 * residual and activation (common.cl). MODE 1: max. MODE 2: average (COUNT_PAD: divide by
 * the window clipped to the padded input, else by the taps inside the input). MODE 3: the
 * flat index (batch and channel included) of the first maximum, as an exact float;
 * COL_MAJOR numbers the spatial part column-major (storage_order 1).
 */
#ifndef MODE
#define MODE 0
#endif
#ifndef COUNT_PAD
#define COUNT_PAD 0
#endif
#ifndef COL_MAJOR
#define COL_MAJOR 0
#endif

__kernel void window3d(__global const float *X, __global const float *Wt,
                       __global const float *B, __global const float *R, __global float *Y,
                       int total, int C, int Cg, int Mg, int M, int ID, int IH, int IW, int OD,
                       int OH, int OW, int KD, int KH, int KW, int SD, int SH, int SW, int DD,
                       int DH, int DW, int PD, int PH, int PW, int ED, int EH, int EW,
                       int out_off, int out_img_stride)
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
    const int d0 = od * SD - PD, h0 = oh * SH - PH, w0 = ow * SW - PW;
    const size_t IHW = (size_t)IH * IW, IDHW = (size_t)ID * IHW;
#if MODE == 0
    const int g = m / Mg;
    const __global float *x = X + ((size_t)n * C + (size_t)g * Cg) * IDHW;
    const __global float *w = Wt + (size_t)m * Cg * KD * KH * KW;
    float acc = 0.0f;
    for (int c = 0; c < Cg; c++)
        for (int kd = 0; kd < KD; kd++) {
            const int id = d0 + kd * DD;
            if (id < 0 || id >= ID) continue;
            for (int kh = 0; kh < KH; kh++) {
                const int ih = h0 + kh * DH;
                if (ih < 0 || ih >= IH) continue;
                for (int kw = 0; kw < KW; kw++) {
                    const int iw = w0 + kw * DW;
                    if (iw < 0 || iw >= IW) continue;
                    acc += x[c * IDHW + ((size_t)id * IH + ih) * IW + iw] *
                           w[((c * KD + kd) * KH + kh) * KW + kw];
                }
            }
        }
#if HAS_BIAS
    acc += B[m];
#endif
    const size_t o = (((size_t)n * M + m) * OD + od) * OH * OW + (size_t)oh * OW + ow;
#if RESIDUAL == 1
    acc += R[o];
#endif
    acc = clnn_activate(acc, ACT, ACT_A, ACT_B);
#if RESIDUAL == 2
    acc += R[o];
#endif
#else
    const __global float *x = X + ((size_t)n * C + m) * IDHW;
#if MODE == 2
    float acc = 0.0f;
#else
    float acc = -INFINITY;
    int best = -1;
#endif
    int taps = 0, nd = 0, nh = 0, nw = 0; /* taps inside the input; inside the padded one */
    for (int kd = 0; kd < KD; kd++) {
        const int id = d0 + kd * DD;
        nd += id < ID + ED;
        if (id < 0 || id >= ID) continue;
        for (int kh = 0; kh < KH; kh++) {
            const int ih = h0 + kh * DH;
            if (ih < 0 || ih >= IH) continue;
            for (int kw = 0; kw < KW; kw++) {
                const int iw = w0 + kw * DW;
                if (iw < 0 || iw >= IW) continue;
                const float v = x[((size_t)id * IH + ih) * IW + iw];
#if MODE == 2
                acc += v;
#else
                if (v > acc || isnan(v) || best < 0) {
                    acc = v;
#if COL_MAJOR
                    best = (iw * IH + ih) * ID + id;
#else
                    best = (id * IH + ih) * IW + iw;
#endif
                }
#endif
                taps++;
            }
        }
    }
#if MODE == 2
#if COUNT_PAD
    for (int kh = 0; kh < KH; kh++) nh += h0 + kh * DH < IH + EH;
    for (int kw = 0; kw < KW; kw++) nw += w0 + kw * DW < IW + EW;
    acc /= (float)(nd * nh * nw);
#else
    acc /= (float)taps;
#endif
#elif MODE == 3
    acc = (float)((size_t)(n * C + m) * IDHW + (size_t)best);
#endif
#endif
    Y[out_off + (size_t)n * out_img_stride +
      (((size_t)m * OD + od) * OH + oh) * OW + ow] = acc;
}
