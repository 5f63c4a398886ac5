/*
 * se.c - squeeze-and-excitation's gate as one layer: the passes (passes.c) replace
 *   GlobalAveragePool(x) -> 1x1 Conv (+ activation) -> 1x1 Conv (+ gate activation)
 * by this internal operator, which computes the [N, C, 1, 1] gate in one launch
 * (kernels/se.cl); the Mul that scales x by it stays a broadcasting binary layer. Models
 * never name it (OPF_INTERNAL): MobileNet-v3, EfficientNet, RegNet-Y and MnasNet repeat the
 * block, and three launches of tiny work each become one.
 *
 * Inputs: x [N, C, H, W], w1 [R, C, 1, 1] (the first Conv's weight), b1 [R] or absent,
 * w2 [C, R, 1, 1], b2 [C] or absent, all but x constants. Attributes: the two activations with parameters.
 */
#include "conv.h"
#include "layer_small.h"

#include <stdlib.h>
#include <string.h>

typedef struct se_attrs {
    int act1, act2; /* clnn_activation */
    float a1, b1, a2, b2;
} se_attrs;

/* Local memory the kernel takes (C + R floats) stays within OpenCL's minimum of 32 KiB. */
#define SE_MAX_LOCAL_FLOATS 6144

typedef struct se_view {
    int N, C, R, HW;
} se_view;

static void se_view_of(const clnn_graph *g, const gnode *n, se_view *v)
{
    const gtensor *x = op_in(g, n, 0), *w1 = op_in(g, n, 1);
    v->N = (int)x->dims[0];
    v->C = (int)x->dims[1];
    v->HW = (int)(x->dims[2] * x->dims[3]);
    v->R = (int)w1->dims[0];
}

static clnn_status se_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0), *w1 = op_in(g, n, 1), *w2 = op_in(g, n, 3);
    const gtensor *b1 = op_in(g, n, 2), *b2 = op_in(g, n, 4);
    if (x->ndim != 4 || w1->ndim < 2 || w2->ndim < 2 || !w1->data || !w2->data)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "inconsistent squeeze-and-excitation inputs");
    const int64_t C = x->dims[1], R = w1->dims[0];
    if (w1->dims[1] != C || clnn_shape_count(w1->dims, w1->ndim) != R * C || w2->dims[0] != C ||
        clnn_shape_count(w2->dims, w2->ndim) != R * C ||
        (b1 && (!b1->data || clnn_shape_count(b1->dims, b1->ndim) != R)) ||
        (b2 && (!b2->data || clnn_shape_count(b2->dims, b2->ndim) != C)))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "inconsistent squeeze-and-excitation inputs");
    const int64_t d[4] = {x->dims[0], x->dims[1], 1, 1};
    return op_set_out(g, n, 0, CLNN_DTYPE_FLOAT, d, 4);
}

static node_work se_work(const clnn_graph *g, const gnode *n)
{
    se_view v;
    se_view_of(g, n, &v);
    node_work w = {0};
    w.flops = (double)v.N * ((double)v.C * v.HW + 4.0 * v.C * v.R);
    w.bytes = 4.0 * ((double)v.N * v.C * (v.HW + 1) + 2.0 * v.C * v.R + v.C + v.R);
    w.kernels = 1;
    return w;
}

/* ---- the layer ------------------------------------------------------------------------ */

typedef struct se_state {
    clnn_context *ctx;
    char *node;
    cl_kernel k;
    se_view v;
    size_t wg;
    clnn_buffer w1, b1, w2, b2;
    char desc[64];
} se_state;

static void se_destroy(void *state)
{
    se_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    clnn_buffer_release(&s->w1), clnn_buffer_release(&s->b1);
    clnn_buffer_release(&s->w2), clnn_buffer_release(&s->b2);
    free(s->node);
    free(s);
}

/* A bias input's values, or zeros when it is absent (malloc'ed). */
static float *bias_or_zeros(const gtensor *b, int count)
{
    float *v = calloc((size_t)(count ? count : 1), sizeof *v);
    if (v && b) memcpy(v, b->data, (size_t)count * sizeof *v);
    return v;
}

static clnn_status se_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                              const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    const se_attrs *a = OP_A(n, se_attrs);
    se_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    se_view_of(g, n, &s->v);
    clnn_status st = small_count_ok(ctx, n->name, op, clnn_tensor_count(op_in(g, n, 0)));
    if (st == CLNN_STATUS_OK && s->v.C + s->v.R > SE_MAX_LOCAL_FLOATS)
        st = clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED, "node '%s' (%s): %d channels", n->name, op,
                       s->v.C);
    float *b1 = bias_or_zeros(op_in(g, n, 2), s->v.R), *b2 = bias_or_zeros(op_in(g, n, 4), s->v.C);
    if (st == CLNN_STATUS_OK && (!b1 || !b2))
        st = clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    const size_t cr = (size_t)s->v.C * (size_t)s->v.R * sizeof(float);
    if (st == CLNN_STATUS_OK)
        st = clnn_buffer_upload(ctx, dev, &s->w1, op_in(g, n, 1)->data, cr, "SE weights");
    if (st == CLNN_STATUS_OK)
        st = clnn_buffer_upload(ctx, dev, &s->w2, op_in(g, n, 3)->data, cr, "SE weights");
    if (st == CLNN_STATUS_OK)
        st = clnn_buffer_upload(ctx, dev, &s->b1, b1, (size_t)s->v.R * sizeof *b1, "SE bias");
    if (st == CLNN_STATUS_OK)
        st = clnn_buffer_upload(ctx, dev, &s->b2, b2, (size_t)s->v.C * sizeof *b2, "SE bias");
    free(b1), free(b2);
    s->wg = small_local(dev, (size_t)s->v.C);
    char opts[320], f[4][40];
    snprintf(opts, sizeof opts, "-DACT1=%d -DACT1_A=%s -DACT1_B=%s -DACT2=%d -DACT2_A=%s -DACT2_B=%s",
             a->act1, clnn_float_literal(a->a1, f[0]), clnn_float_literal(a->b1, f[1]), a->act2,
             clnn_float_literal(a->a2, f[2]), clnn_float_literal(a->b2, f[3]));
    if (st == CLNN_STATUS_OK) st = clnn_kernel_create(ctx, dev, "se", opts, "squeeze_excite", &s->k);
    if (st != CLNN_STATUS_OK) {
        se_destroy(s);
        return st == CLNN_STATUS_UNSUPPORTED ? st : small_fail(ctx, n->name, op, st);
    }
    snprintf(s->desc, sizeof s->desc, "C %d, R %d, %d pixels, %zu items", s->v.C, s->v.R,
             s->v.HW, s->wg);
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status se_enqueue(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                              const cl_event *w, cl_event *done)
{
    se_state *s = state;
    const char *op = clnn_op_name(OP_SQUEEZE_EXCITE);
    const size_t in = (size_t)s->v.N * s->v.C * s->v.HW, out = (size_t)s->v.N * s->v.C;
    clnn_status st = small_check(s->ctx, s->node, op, io->in[0], in, "input");
    if (st == CLNN_STATUS_OK) st = small_check(s->ctx, s->node, op, io->out, out, "output");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]),  CLNN_ARG(s->w1.mem), CLNN_ARG(s->b1.mem),
                       CLNN_ARG(s->w2.mem),  CLNN_ARG(s->b2.mem), CLNN_ARG(io->out),
                       CLNN_ARG(s->v.C),     CLNN_ARG(s->v.R),    CLNN_ARG(s->v.HW),
                       CLNN_LOCAL_ARG((size_t)(s->v.C + s->v.R) * sizeof(float))};
    st = clnn_set_args(s->ctx, s->k, "squeeze_excite", args, CLNN_ARRAY_LEN(args));
    const size_t global = (size_t)s->v.N * s->wg;
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "squeeze_excite", 1, &global, &s->wg, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, op, st);
}

/* In double, each step's result rounded to float as the separate layers would. */
static clnn_status se_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                const float *residual, float *out)
{
    (void)residual;
    se_view v;
    se_view_of(g, n, &v);
    const se_attrs *a = OP_A(n, se_attrs);
    float *mean = malloc((size_t)(v.C + v.R) * sizeof *mean);
    if (!mean) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s'", n->name);
    float *hid = mean + v.C;
    for (int i = 0; i < v.N; i++) {
        const float *x = in[0] + (size_t)i * v.C * v.HW;
        for (int c = 0; c < v.C; c++) {
            double s = 0.0;
            for (int p = 0; p < v.HW; p++) s += x[(size_t)c * v.HW + p];
            mean[c] = (float)(s / v.HW);
        }
        for (int r = 0; r < v.R; r++) {
            double s = in[2] ? in[2][r] : 0.0;
            for (int c = 0; c < v.C; c++) s += (double)in[1][(size_t)r * v.C + c] * mean[c];
            hid[r] = clnn_ref_activate((float)s, (clnn_activation)a->act1, a->a1, a->b1);
        }
        for (int c = 0; c < v.C; c++) {
            double s = in[4] ? in[4][c] : 0.0;
            for (int r = 0; r < v.R; r++) s += (double)in[3][(size_t)c * v.R + r] * hid[r];
            out[(size_t)i * v.C + c] =
                clnn_ref_activate((float)s, (clnn_activation)a->act2, a->a2, a->b2);
        }
    }
    free(mean);
    return CLNN_STATUS_OK;
}

static const char *se_describe(const void *state) { return ((const se_state *)state)->desc; }

static const clnn_layer_impl se_layer = {
    .name = "squeeze_excite",
    .host_inputs = 0x1eu, /* the weights and biases: uploaded by prepare */
    .prepare = se_prepare,
    .enqueue = se_enqueue,
    .reference = se_reference,
    .destroy = se_destroy,
    .describe = se_describe,
};

const clnn_op_def clnn_op_squeeze_excite = {
    .name = "clnn.SqueezeExcitation",
    .since = {1},
    .min_in = 5, .max_in = 5, .min_out = 1, .max_out = 1,
    .optional_in = 0x14u,
    .attr_size = sizeof(se_attrs),
    .flags = OPF_INTERNAL,
    .infer = se_infer,
    .layer = &se_layer,
    .work = se_work,
};

int clnn_squeeze_excite_append(clnn_graph *g, const char *name, const int *inputs, int out,
                               clnn_activation act1, float a1, float b1, clnn_activation act2,
                               float a2, float b2)
{
    const gtensor *x = &g->tensors[inputs[0]], *w1 = &g->tensors[inputs[1]];
    if (x->ndim != 4 || x->dims[1] + w1->dims[0] > SE_MAX_LOCAL_FLOATS) return -2;
    se_attrs a = {.act1 = (int)act1, .act2 = (int)act2, .a1 = a1, .b1 = b1, .a2 = a2, .b2 = b2};
    return clnn_graph_append_node(g, OP_SQUEEZE_EXCITE, 1, name, inputs, 5, &out, 1, &a);
}
