/*
 * conv_winograd.c - Winograd convolution F(2x2,3x3) and F(4x4,3x3) for 3x3, stride 1,
 * dilation 1, ungrouped layers: filters transformed once here (U = G g G^T, in double), then
 * per chunk of tiles: input transform (kernels/winograd.cl), ALPHA^2 products
 * U[xi] (K x C) * V[xi] (C x tiles) in kernels/gemm.cl, output transform with the epilogue.
 *
 * G is from Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks" (2016), for
 * the interpolation points 0, +-1 (F(2,3)) and 0, +-1, +-2 (F(4,3)), each with infinity.
 */
#include "conv.h"

#include <stdlib.h>
#include <string.h>

enum { I_M, I_TILES_H, I_TILES_W, I_TILES, I_CHUNK, I_LD, I_PER_XI };

static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
static const double G4[6][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1},
};

static const char *check_winograd(const conv_shape *s)
{
    const clnn_conv_params *p = &s->p;
    if (p->kernel_h != 3 || p->kernel_w != 3) return "Winograd F(m,3) needs a 3x3 kernel";
    if (p->stride_h != 1 || p->stride_w != 1) return "Winograd needs stride 1";
    if (p->dilation_h != 1 || p->dilation_w != 1) return "Winograd needs dilation 1";
    if (p->groups != 1) return "Winograd runs ungrouped layers only";
    return NULL;
}

/* U[xi][k][c] = (G g G^T)[xi] for every filter g = weights[k][c]. */
static void transform_filters(int m, const float *weights, int K, int C, float *U)
{
    const int a = m + 2;
    const double(*G)[3] = m == 2 ? G2 : G4;
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++) {
            const float *g = weights + ((size_t)k * C + c) * 9;
            double tmp[6][3]; /* G g */
            for (int i = 0; i < a; i++)
                for (int j = 0; j < 3; j++)
                    tmp[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
            for (int i = 0; i < a; i++)
                for (int j = 0; j < a; j++) {
                    double u = tmp[i][0] * G[j][0] + tmp[i][1] * G[j][1] + tmp[i][2] * G[j][2];
                    U[(((size_t)(i * a + j)) * K + k) * C + c] = (float)u;
                }
        }
}

static clnn_status prepare_winograd(clnn_conv *c, const float *weights, const float *bias)
{
    const clnn_conv_params *p = &c->s.p;
    const int m = c->algo == CLNN_CONV_ALGO_WINOGRAD_2X2 ? 2 : 4, a = m + 2, xi = a * a;
    const int C = p->in_channels, K = p->out_channels;
    const int tiles_h = clnn_div_up(c->s.P, m), tiles_w = clnn_div_up(c->s.Q, m);
    const long long tiles = (long long)p->batch * tiles_h * tiles_w;
    if (tiles > (1 << 30))
        return clnn_fail(c->ctx, CLNN_STATUS_INVALID_ARGUMENT, "Winograd: too many tiles");

    /* Chunks of tiles bound the scratch (V and the products) and keep it cache-sized on
     * CPUs. */
    const bool gpu = c->dev->info.type == CLNN_DEVICE_TYPE_GPU;
    const size_t budget = gpu ? (256u << 20) : (24u << 20);
    const size_t per_tile = (size_t)xi * (C + K) * sizeof(float);
    const size_t step = (size_t)c->knobs.v[1] * c->knobs.v[2] * c->knobs.v[3];
    size_t chunk = budget / per_tile;
    if (chunk < step) chunk = step;
    chunk = chunk / step * step;
    if (chunk > (size_t)tiles) chunk = (size_t)tiles;
    const size_t ld = clnn_round_up(chunk, 16);
    c->ints[I_M] = m;
    c->ints[I_TILES_H] = tiles_h;
    c->ints[I_TILES_W] = tiles_w;
    c->ints[I_TILES] = (int)tiles;
    c->ints[I_CHUNK] = (int)chunk;
    c->ints[I_LD] = (int)ld;

    clnn_gemm g;
    clnn_status st = clnn_gemm_prepare(c, &g, &c->knobs, 0);
    c->kernels[1] = g.kernel;
    if (st != CLNN_STATUS_OK) return st;
    clnn_strbuf opts = {0};
    clnn_strbuf_printf(&opts, "-DM=%d", m);
    clnn_conv_epilogue_options(p, &opts);
    st = opts.failed ? clnn_fail(c->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "options")
                     : clnn_kernel_create(c->ctx, c->dev, "winograd", opts.data,
                                          "winograd_input", &c->kernels[0]);
    if (st == CLNN_STATUS_OK)
        st = clnn_kernel_create(c->ctx, c->dev, "winograd", opts.data, "winograd_output",
                                &c->kernels[2]);
    clnn_strbuf_free(&opts);
    if (st != CLNN_STATUS_OK) return st;

    /* U, packed per transformed element for the GEMM. */
    const size_t per_xi = clnn_gemm_packed_count(g.TM, K, C);
    float *U = malloc((size_t)xi * K * C * sizeof *U);
    float *packed = malloc((size_t)xi * per_xi * sizeof *packed);
    if (!U || !packed) {
        free(U);
        free(packed);
        return clnn_fail(c->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "transforming filters");
    }
    transform_filters(m, weights, K, C, U);
    for (int e = 0; e < xi; e++)
        clnn_gemm_pack_a(g.TM, K, C, U + (size_t)e * K * C, (size_t)C, packed + e * per_xi);
    st = clnn_buffer_upload(c->ctx, c->dev, &c->weights, packed,
                            (size_t)xi * per_xi * sizeof *packed, "transformed filters");
    free(U);
    free(packed);
    c->ints[I_PER_XI] = (int)per_xi;
    if (st != CLNN_STATUS_OK) return st;
    st = clnn_conv_upload_bias(c, bias);
    if (st == CLNN_STATUS_OK)
        st = clnn_buffer_reserve(c->ctx, c->dev, &c->work[0], (size_t)xi * C * ld * sizeof(float),
                                 "Winograd transformed input");
    if (st == CLNN_STATUS_OK)
        st = clnn_buffer_reserve(c->ctx, c->dev, &c->work[1], (size_t)xi * K * ld * sizeof(float),
                                 "Winograd products");
    return st;
}

static clnn_status enqueue_winograd(clnn_conv *c, cl_command_queue q, cl_mem in, cl_mem res,
                                    cl_mem out, int out_off, int out_img_stride, cl_uint nw,
                                    const cl_event *w, cl_event *done)
{
    const clnn_conv_params *p = &c->s.p;
    const int m = c->ints[I_M], xi = (m + 2) * (m + 2);
    const int C = p->in_channels, K = p->out_channels, H = p->in_height, W = p->in_width;
    const int P = c->s.P, Q = c->s.Q;
    const int tiles_h = c->ints[I_TILES_H], tiles_w = c->ints[I_TILES_W];
    const int tiles = c->ints[I_TILES], chunk = c->ints[I_CHUNK], ld = c->ints[I_LD];
    const int per_xi = c->ints[I_PER_XI];
    cl_mem V = c->work[0].mem, Mx = c->work[1].mem;
    cl_mem resid = res ? res : c->bias.mem;
    clnn_gemm g = {c->kernels[1], c->knobs.v[0], c->knobs.v[1], c->knobs.v[2], c->knobs.v[3],
                   c->knobs.v[4], 0};

    /* Each launch waits for the previous one, so any queue (even out-of-order) is safe. */
    cl_event prev = NULL;
    clnn_status st = CLNN_STATUS_OK;
    for (int t0 = 0; t0 < tiles && st == CLNN_STATUS_OK; t0 += chunk) {
        const int nt = tiles - t0 < chunk ? tiles - t0 : chunk;
        const bool last = t0 + chunk >= tiles;
        cl_event e1 = NULL, e2 = NULL, e3 = NULL;

        clnn_arg ai[] = {CLNN_ARG(in),      CLNN_ARG(V),           CLNN_ARG(C),
                         CLNN_ARG(H),       CLNN_ARG(W),           CLNN_ARG(p->pad_top),
                         CLNN_ARG(p->pad_left), CLNN_ARG(tiles_h), CLNN_ARG(tiles_w),
                         CLNN_ARG(t0),      CLNN_ARG(nt),          CLNN_ARG(ld)};
        st = clnn_set_args(c->ctx, c->kernels[0], "winograd_input", ai, CLNN_ARRAY_LEN(ai));
        size_t gi[2] = {(size_t)nt, (size_t)C};
        if (st == CLNN_STATUS_OK)
            st = clnn_launch(c->ctx, q, c->kernels[0], "winograd_input", 2, gi, NULL,
                             prev ? 1 : nw, prev ? &prev : w, &e1);
        if (st == CLNN_STATUS_OK) {
            clnn_gemm_args ga = {
                .batch = xi, .M = K, .N = nt, .Kd = C,
                .A = c->weights.mem, .a_stride = per_xi,
                .B = V, .ldb = ld, .b_stride = C * ld, .b_extent = xi * C * ld,
                .C = Mx, .c_off = 0, .ldc = ld, .c_stride = K * ld,
            };
            st = clnn_gemm_enqueue(c, &g, q, &ga, 1, &e1, &e2);
        }
        if (st == CLNN_STATUS_OK) {
            clnn_arg ao[] = {CLNN_ARG(Mx),      CLNN_ARG(out),     CLNN_ARG(c->bias.mem),
                             CLNN_ARG(resid),   CLNN_ARG(K),       CLNN_ARG(P),
                             CLNN_ARG(Q),       CLNN_ARG(tiles_h), CLNN_ARG(tiles_w),
                             CLNN_ARG(t0),      CLNN_ARG(nt),      CLNN_ARG(ld),
                             CLNN_ARG(out_off), CLNN_ARG(out_img_stride)};
            st = clnn_set_args(c->ctx, c->kernels[2], "winograd_output", ao,
                               CLNN_ARRAY_LEN(ao));
            size_t go[2] = {(size_t)nt, (size_t)K};
            if (st == CLNN_STATUS_OK)
                st = clnn_launch(c->ctx, q, c->kernels[2], "winograd_output", 2, go, NULL, 1,
                                 &e2, &e3);
        }
        if (prev) clReleaseEvent(prev);
        if (e1) clReleaseEvent(e1);
        if (e2) clReleaseEvent(e2);
        prev = e3;
        if (st == CLNN_STATUS_OK && last && done) {
            *done = e3;
            prev = NULL;
        }
    }
    if (prev) clReleaseEvent(prev);
    return st;
}

/* The products' columns are the tiles of F(m x m, 3x3). */
static void default_winograd(int m, const clnn_conv_params *p, const clnn_device_info *dev,
                             clnn_knob_config *cfg)
{
    int P = 1, Q = 1;
    clnn_conv_output_size(p, &P, &Q);
    clnn_tile_knobs_default(p->out_channels / (p->groups > 0 ? p->groups : 1), p->out_channels,
                            (long)p->batch * ((P + m - 1) / m) * ((Q + m - 1) / m), dev, cfg);
}

static void default_winograd2(const clnn_conv_params *p, const clnn_device_info *dev,
                              clnn_knob_config *cfg)
{
    default_winograd(2, p, dev, cfg);
}

static void default_winograd4(const clnn_conv_params *p, const clnn_device_info *dev,
                              clnn_knob_config *cfg)
{
    default_winograd(4, p, dev, cfg);
}

const clnn_conv_algo_def clnn_conv_winograd2_def = {
    .algo = CLNN_CONV_ALGO_WINOGRAD_2X2,
    .name = "winograd2x2",
    .knobs = {5, {CLNN_GEMM_KNOBS}},
    .check = check_winograd,
    .default_knobs = default_winograd2,
    .knobs_ok = clnn_tile_knobs_ok,
    .prepare = prepare_winograd,
    .enqueue = enqueue_winograd,
};
const clnn_conv_algo_def clnn_conv_winograd4_def = {
    .algo = CLNN_CONV_ALGO_WINOGRAD_4X4,
    .name = "winograd4x4",
    .knobs = {5, {CLNN_GEMM_KNOBS}},
    .check = check_winograd,
    .default_knobs = default_winograd4,
    .knobs_ok = clnn_tile_knobs_ok,
    .prepare = prepare_winograd,
    .enqueue = enqueue_winograd,
};
