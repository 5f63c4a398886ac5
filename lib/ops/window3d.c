/*
 * window3d.c - 3-D windows (kernels/window3d.cl) with their plain C reference: Conv, MaxPool
 * and AveragePool on rank-5 (NCDHW) inputs, and MaxPool's Indices output at any rank. The
 * 1-D and 2-D Conv and pools keep their own tuned paths (conv.c, pool.c); layer_conv.c routes
 * only these cases here.
 *
 * Pool semantics are pool.c's: ceil mode keeps a last window only if it starts inside the
 * input or its beginning padding; count_include_pad divides by the window clipped to the
 * padded input, else by the taps inside the input. Indices are ONNX's: the flat position of
 * the first maximum in the whole input (batch and channel included), the spatial part
 * column-major for storage_order 1; on a device they are exact floats, so inputs of more than
 * 2^24 elements are refused.
 */
#include "window3d.h"

#include "layer_small.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W3_SIZES (1 << 24)
#define W3_EXACT (1 << 24) /* floats hold every integer up to here */

static const char *const axis_names[3] = {"depth", "height", "width"};

/* ---- geometry -------------------------------------------------------------------------------- */

clnn_status clnn_w3_finish(const gnode *n, w3_geom *q)
{
    const bool conv = q->kind == W3_CONV;
    size_t in_count = (size_t)q->N * q->C, out_count = (size_t)q->N * q->M;
    for (int j = 0; j < 3; j++) {
        const long long eff = (long long)(q->k[j] - 1) * q->d[j] + 1;
        const long long padded = (long long)q->in[j] + q->pb[j] + q->pe[j];
        if (eff > W3_SIZES)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "the dilated window spans %lld along the %s (at most %d)", eff,
                           axis_names[j], W3_SIZES);
        if (!conv && (q->pb[j] >= eff || q->pe[j] >= eff))
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "padding (%d, %d) along the %s must be smaller than the window "
                           "(%lld), or a window could hold only padding",
                           q->pb[j], q->pe[j], axis_names[j], eff);
        if (eff > padded)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "the window (%lld) is larger than the padded input (%lld) along the "
                           "%s", eff, padded, axis_names[j]);
        const long long span = padded - eff, s = q->s[j];
        long long o = (q->ceil_mode && !conv ? (span + s - 1) / s : span / s) + 1;
        if (q->ceil_mode && !conv && (o - 1) * s >= (long long)q->in[j] + q->pb[j]) o--;
        if (o > W3_SIZES)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED, "output size %lld along the %s", o,
                           axis_names[j]);
        q->out[j] = (int)o;
        /* A dilated window can straddle a short input, every tap in the padding. */
        for (int oi = 0; !conv && q->d[j] > 1 && oi < q->out[j]; oi++) {
            bool hit = false;
            for (int i = 0; i < q->k[j] && !hit; i++) {
                const long long t = (long long)oi * s - q->pb[j] + (long long)i * q->d[j];
                hit = t >= 0 && t < q->in[j];
            }
            if (!hit)
                return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                               "with dilation %d along the %s a window holds only padding",
                               q->d[j], axis_names[j]);
        }
        in_count *= (size_t)q->in[j];
        out_count *= (size_t)q->out[j];
    }
    /* Sizes are at most 2^24 each: the products cannot wrap size_t before the checks. */
    if (in_count > (size_t)INT_MAX || out_count > (size_t)INT_MAX)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "more than 2^31 elements per tensor (input %zu, output %zu)", in_count,
                       out_count);
    if (q->kind == W3_ARGMAX && in_count > W3_EXACT)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "the Indices output of an input of %zu elements: indices from 2^24 on "
                       "are not exact in the floats a device holds them in", in_count);
    return CLNN_STATUS_OK;
}

/* ---- the C reference ------------------------------------------------------------------------- */

/* Position t = o * s - pb + i * d of tap i of output o along axis j. */
static long tap(const w3_geom *q, int j, int o, int i)
{
    return (long)o * q->s[j] - q->pb[j] + (long)i * q->d[j];
}

static float conv_at(const w3_geom *q, const float *x, const float *w, int n, int m,
                     const int o[3])
{
    const int g = m / q->Mg;
    const size_t ispat = (size_t)q->in[0] * q->in[1] * q->in[2];
    double acc = 0.0;
    for (int c = 0; c < q->Cg; c++) {
        const float *xc = x + ((size_t)n * q->C + (size_t)g * q->Cg + c) * ispat;
        const float *wc = w + ((size_t)m * q->Cg + c) * q->k[0] * q->k[1] * q->k[2];
        for (int a = 0; a < q->k[0]; a++) {
            const long t0 = tap(q, 0, o[0], a);
            if (t0 < 0 || t0 >= q->in[0]) continue;
            for (int b = 0; b < q->k[1]; b++) {
                const long t1 = tap(q, 1, o[1], b);
                if (t1 < 0 || t1 >= q->in[1]) continue;
                for (int e = 0; e < q->k[2]; e++) {
                    const long t2 = tap(q, 2, o[2], e);
                    if (t2 < 0 || t2 >= q->in[2]) continue;
                    acc += (double)xc[((size_t)t0 * q->in[1] + t1) * q->in[2] + t2] *
                           wc[((size_t)a * q->k[1] + b) * q->k[2] + e];
                }
            }
        }
    }
    return (float)acc;
}

/* A pool's value (or, for W3_ARGMAX, its index) at output o of plane (n, c). */
static double pool_at(const w3_geom *q, const float *x, int n, int c, const int o[3])
{
    const size_t ispat = (size_t)q->in[0] * q->in[1] * q->in[2];
    const float *xc = x + ((size_t)n * q->C + c) * ispat;
    double acc = q->kind == W3_AVG ? 0.0 : -INFINITY;
    long best = -1;
    int taps = 0, inside[3] = {0, 0, 0};
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < q->k[j]; i++) inside[j] += tap(q, j, o[j], i) < q->in[j] + q->pe[j];
    for (int a = 0; a < q->k[0]; a++) {
        const long t0 = tap(q, 0, o[0], a);
        if (t0 < 0 || t0 >= q->in[0]) continue;
        for (int b = 0; b < q->k[1]; b++) {
            const long t1 = tap(q, 1, o[1], b);
            if (t1 < 0 || t1 >= q->in[1]) continue;
            for (int e = 0; e < q->k[2]; e++) {
                const long t2 = tap(q, 2, o[2], e);
                if (t2 < 0 || t2 >= q->in[2]) continue;
                const double v = xc[((size_t)t0 * q->in[1] + t1) * q->in[2] + t2];
                taps++;
                if (q->kind == W3_AVG) {
                    acc += v;
                } else if (v > acc || isnan(v) || best < 0) {
                    acc = v;
                    best = q->col_major ? (t2 * q->in[1] + t1) * q->in[0] + t0
                                        : (t0 * q->in[1] + t1) * q->in[2] + t2;
                }
            }
        }
    }
    if (q->kind == W3_AVG)
        return acc / (q->count_include_pad ? inside[0] * inside[1] * inside[2] : taps);
    if (q->kind == W3_ARGMAX) return (double)(((size_t)n * q->C + c) * ispat + (size_t)best);
    return acc;
}

clnn_status clnn_w3_reference(const w3_geom *q, const float *x, const float *w, const float *b,
                              const float *residual, const clnn_conv_params *ep, float *y)
{
    const bool conv = q->kind == W3_CONV;
    if (!x || !y || (conv && (!w || !ep || (ep->has_bias && !b) ||
                              (ep->residual != CLNN_RESIDUAL_NONE && !residual))))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "3-D window reference: a required buffer is NULL");
    size_t i = 0;
    for (int n = 0; n < q->N; n++)
        for (int m = 0; m < q->M; m++) {
            int o[3];
            for (o[0] = 0; o[0] < q->out[0]; o[0]++)
                for (o[1] = 0; o[1] < q->out[1]; o[1]++)
                    for (o[2] = 0; o[2] < q->out[2]; o[2]++, i++) {
                        if (!conv) {
                            y[i] = (float)pool_at(q, x, n, m, o);
                            continue;
                        }
                        float v = conv_at(q, x, w, n, m, o) + (ep->has_bias ? b[m] : 0.0f);
                        if (ep->residual == CLNN_RESIDUAL_BEFORE_ACTIVATION) v += residual[i];
                        v = clnn_ref_activate(v, ep->activation, ep->act_alpha, ep->act_beta);
                        if (ep->residual == CLNN_RESIDUAL_AFTER_ACTIVATION) v += residual[i];
                        y[i] = v;
                    }
        }
    return CLNN_STATUS_OK;
}

/* ---- the layer ------------------------------------------------------------------------------- */

typedef struct w3_state {
    clnn_context *ctx;
    char *node;
    const char *op;
    cl_kernel k;
    w3_geom q;
    bool residual;
    clnn_buffer w, b;
    size_t in_count, out_count, local;
    char desc[96];
} w3_state;

void clnn_w3_destroy(void *state)
{
    w3_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    clnn_buffer_release(&s->w);
    clnn_buffer_release(&s->b);
    free(s->node);
    free(s);
}

clnn_status clnn_w3_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                            const gnode *n, const w3_geom *q, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    const bool conv = q->kind == W3_CONV;
    const gtensor *w = conv ? clnn_node_input(g, n, 1) : NULL;
    const gtensor *b = conv ? clnn_node_input(g, n, 2) : NULL;
    if (conv && (!w || !w->data || (b && !b->data)))
        return clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED,
                         "node '%s' (%s): weight and bias must be float constants", n->name, op);
    w3_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->op = op;
    s->q = *q;
    s->in_count = (size_t)q->N * q->C * q->in[0] * q->in[1] * q->in[2];
    s->out_count = (size_t)q->N * q->M * q->out[0] * q->out[1] * q->out[2];
    s->local = small_local(dev, s->out_count);
    s->residual = conv && n->fused.residual >= 0;
    const float zero = 0.0f;
    clnn_status st =
        conv ? clnn_buffer_upload(ctx, dev, &s->w, w->data, clnn_tensor_count(w) * sizeof(float),
                                  "weights")
             : clnn_buffer_upload(ctx, dev, &s->w, &zero, sizeof zero, "weights");
    if (st == CLNN_STATUS_OK)
        st = conv && b ? clnn_buffer_upload(ctx, dev, &s->b, b->data,
                                            (size_t)q->M * sizeof(float), "bias")
                       : clnn_buffer_upload(ctx, dev, &s->b, &zero, sizeof zero, "bias");
    clnn_conv_params ep;
    memset(&ep, 0, sizeof ep);
    if (conv) {
        ep.has_bias = b != NULL;
        ep.activation = n->fused.act;
        ep.act_alpha = n->fused.act_a;
        ep.act_beta = n->fused.act_b;
        ep.residual = s->residual ? n->fused.residual_mode : CLNN_RESIDUAL_NONE;
    }
    clnn_strbuf sb = {0};
    clnn_strbuf_printf(&sb, "-DMODE=%d -DCOUNT_PAD=%d -DCOL_MAJOR=%d", q->kind,
                       q->count_include_pad ? 1 : 0, q->col_major ? 1 : 0);
    clnn_conv_epilogue_options(&ep, &sb);
    if (st == CLNN_STATUS_OK && sb.failed)
        st = clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "kernel options");
    if (st == CLNN_STATUS_OK)
        st = clnn_kernel_create(ctx, dev, "window3d", sb.data, "window3d", &s->k);
    clnn_strbuf_free(&sb);
    if (st != CLNN_STATUS_OK) {
        clnn_w3_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    static const char *const kinds[] = {"conv", "max", "average", "indices"};
    snprintf(s->desc, sizeof s->desc, "direct 3-D %s, stride %dx%dx%d", kinds[q->kind], q->s[0],
             q->s[1], q->s[2]);
    *state = s;
    return CLNN_STATUS_OK;
}

clnn_status clnn_w3_enqueue(void *state, cl_command_queue cq, const layer_io *io, cl_uint nw,
                            const cl_event *w, cl_event *done)
{
    w3_state *s = state;
    const w3_geom *q = &s->q;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], s->in_count, "input");
    if (st == CLNN_STATUS_OK && s->residual)
        st = small_check(s->ctx, s->node, s->op, io->residual, s->out_count, "residual");
    if (st != CLNN_STATUS_OK) return st;
    const int total = (int)s->out_count;
    cl_mem res = s->residual ? io->residual : s->b.mem;
    clnn_arg a[] = {
        CLNN_ARG(io->in[0]), CLNN_ARG(s->w.mem),  CLNN_ARG(s->b.mem),  CLNN_ARG(res),
        CLNN_ARG(io->out),   CLNN_ARG(total),     CLNN_ARG(q->C),      CLNN_ARG(q->Cg),
        CLNN_ARG(q->Mg),     CLNN_ARG(q->M),      CLNN_ARG(q->in[0]),  CLNN_ARG(q->in[1]),
        CLNN_ARG(q->in[2]),  CLNN_ARG(q->out[0]), CLNN_ARG(q->out[1]), CLNN_ARG(q->out[2]),
        CLNN_ARG(q->k[0]),   CLNN_ARG(q->k[1]),   CLNN_ARG(q->k[2]),   CLNN_ARG(q->s[0]),
        CLNN_ARG(q->s[1]),   CLNN_ARG(q->s[2]),   CLNN_ARG(q->d[0]),   CLNN_ARG(q->d[1]),
        CLNN_ARG(q->d[2]),   CLNN_ARG(q->pb[0]),  CLNN_ARG(q->pb[1]),  CLNN_ARG(q->pb[2]),
        CLNN_ARG(q->pe[0]),  CLNN_ARG(q->pe[1]),  CLNN_ARG(q->pe[2]),  CLNN_ARG(io->out_off),
        CLNN_ARG(io->out_img_stride)};
    st = clnn_set_args(s->ctx, s->k, "window3d", a, CLNN_ARRAY_LEN(a));
    const size_t global = s->out_count;
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, cq, s->k, "window3d", 1, &global, &s->local, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

const char *clnn_w3_describe(const void *state) { return ((const w3_state *)state)->desc; }
