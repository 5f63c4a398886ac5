/*
 * gemm.c - host side of kernels/gemm.cl, the batched GEMM under the 1x1 and Winograd
 * convolutions: weight packing, program build and launch geometry.
 */
#include "conv.h"

#include <string.h>

enum { K_TM, K_VEC, K_TN, K_WGX, K_WGY };

size_t clnn_gemm_packed_count(int TM, int M, int Kd)
{
    return (size_t)clnn_div_up(M, TM) * TM * Kd;
}

void clnn_gemm_pack_a(int TM, int M, int Kd, const float *a, size_t lda, float *dst)
{
    const int tiles = clnn_div_up(M, TM);
    for (int t = 0; t < tiles; t++)
        for (int k = 0; k < Kd; k++)
            for (int i = 0; i < TM; i++) {
                int m = t * TM + i;
                dst[((size_t)t * Kd + k) * TM + i] = m < M ? a[(size_t)m * lda + k] : 0.0f;
            }
}

clnn_status clnn_gemm_prepare(clnn_conv *c, clnn_gemm *g, const clnn_knob_config *knobs,
                              int epilogue)
{
    memset(g, 0, sizeof *g);
    g->TM = knobs->v[K_TM];
    g->VEC = knobs->v[K_VEC];
    g->TN = knobs->v[K_TN];
    g->WGX = knobs->v[K_WGX];
    g->WGY = knobs->v[K_WGY];
    g->epilogue = epilogue;
    clnn_strbuf opts = {0};
    clnn_strbuf_printf(&opts, "-DTM=%d -DVEC=%d -DTN=%d -DWGX=%d -DWGY=%d -DEPILOGUE=%d",
                       g->TM, g->VEC, g->TN, g->WGX, g->WGY, epilogue);
    if (epilogue == 1) clnn_conv_epilogue_options(&c->s.p, &opts);
    clnn_status st = opts.failed ? clnn_fail(c->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "options")
                                 : clnn_kernel_create(c->ctx, c->dev, "gemm", opts.data, "gemm",
                                                      &g->kernel);
    clnn_strbuf_free(&opts);
    return st;
}

clnn_status clnn_gemm_enqueue(clnn_conv *c, clnn_gemm *g, cl_command_queue q,
                              const clnn_gemm_args *a, cl_uint nw, const cl_event *w,
                              cl_event *done)
{
    cl_mem bias = a->bias ? a->bias : a->C, res = a->residual ? a->residual : a->C;
    clnn_arg args[] = {CLNN_ARG(a->M),   CLNN_ARG(a->N),        CLNN_ARG(a->Kd),
                       CLNN_ARG(a->A),   CLNN_ARG(a->a_stride), CLNN_ARG(a->B),
                       CLNN_ARG(a->ldb), CLNN_ARG(a->b_stride), CLNN_ARG(a->b_extent),
                       CLNN_ARG(a->C),   CLNN_ARG(a->c_off),    CLNN_ARG(a->ldc),
                       CLNN_ARG(a->c_stride), CLNN_ARG(bias),   CLNN_ARG(res),
                       CLNN_ARG(a->res_stride)};
    clnn_status st = clnn_set_args(c->ctx, g->kernel, "gemm", args, CLNN_ARRAY_LEN(args));
    if (st != CLNN_STATUS_OK) return st;
    size_t cols_per_group = (size_t)g->VEC * g->TN * g->WGX;
    size_t groups_x = (a->N + cols_per_group - 1) / cols_per_group;
    size_t global[3] = {groups_x * g->WGX, (size_t)clnn_div_up(a->M, g->TM), (size_t)a->batch};
    size_t local[3] = {(size_t)g->WGX, (size_t)g->WGY, 1};
    return clnn_launch(c->ctx, q, g->kernel, "gemm", 3, global, local, nw, w, done);
}

void clnn_gemm_release(clnn_gemm *g)
{
    if (g->kernel) clReleaseKernel(g->kernel);
    g->kernel = NULL;
}
