/*
 * layer_norm.c - the BatchNormalization (inference) and LRN operators (kernels/norm.cl) with
 * their plain C references.
 *
 * BatchNormalization: prepare folds the constant inputs scale, B, mean and var (host_inputs
 * 1-4) with epsilon into y = x * k + t per channel, k = scale / sqrt(var + eps) and
 * t = B - mean * k, computed in double and uploaded once; the fused activation follows.
 * LRN follows ONNX: the sum of squares runs over channels [c - floor((size-1)/2),
 * c + ceil((size-1)/2)] clipped to [0, C), y = x / (bias + alpha / size * sum)^beta.
 */
#include "layer_small.h"

#include <math.h>

typedef struct lrn_attrs {
    int size;
    float alpha, beta, bias;
} lrn_attrs;
#include <stdlib.h>
#include <string.h>

/* Planes from this many floats take bn_planes (dimension 0 along the plane); smaller ones
 * ([N, C], 2x2 maps) take bn_flat, whose division per element is cheaper than idle lanes. */
#define BN_PLANE_MIN 16

typedef struct norm_state {
    clnn_context *ctx;
    clnn_device *dev;
    char *node;
    const char *op;
    cl_kernel k;
    const char *kname;
    int C, inner, rows;
    size_t count;
    /* BatchNormalization */
    clnn_buffer params; /* k[C] then t[C] */
    bool planes;
    bool split; /* (image, channel) beyond a GPU's grid: the SPLIT_ROWS form */
    float act_a, act_b;
    /* LRN */
    float alpha_n, beta, bias;
    size_t local;
    char desc[64];
} norm_state;

static void norm_destroy(void *state)
{
    norm_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    clnn_buffer_release(&s->params);
    free(s->node);
    free(s);
}

/* State shared by both layers: the [N, C, inner] view of the input. */
static clnn_status norm_new(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                            const gnode *n, norm_state **out)
{
    *out = NULL;
    const char *op = clnn_op_name(n->op);
    const gtensor *x = clnn_node_input(g, n, 0);
    if (x->ndim < 2)
        return clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED, "node '%s' (%s): the input has no channels",
                         n->name, op);
    clnn_status st = small_count_ok(ctx, n->name, op, clnn_tensor_count(x));
    if (st != CLNN_STATUS_OK) return st;
    norm_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->dev = dev;
    s->op = op;
    s->count = clnn_tensor_count(x);
    s->C = (int)x->dims[1];
    s->inner = (int)clnn_shape_count(x->dims + 2, x->ndim - 2);
    s->rows = (int)(x->dims[0] * x->dims[1]);
    *out = s;
    return CLNN_STATUS_OK;
}

/* Channels along launch dimension 1 and images along dimension 2, unless a GPU's grid is
 * too small for them. */
static bool norm_split(const norm_state *s)
{
    return s->C > SMALL_MAX_GROUPS_YZ || (s->C && s->rows / s->C > SMALL_MAX_GROUPS_YZ);
}

static void norm_grid(const norm_state *s, size_t g[3])
{
    g[0] = (size_t)s->inner;
    g[1] = (size_t)s->C;
    g[2] = s->C ? (size_t)(s->rows / s->C) : 1;
    if (s->split) small_split((size_t)s->rows, &g[1], &g[2]);
}

/* k and t of channel c in double. */
static void bn_fold(const clnn_graph *g, const gnode *n, int c, double *k, double *t)
{
    const float *scale = clnn_node_input(g, n, 1)->data, *b = clnn_node_input(g, n, 2)->data;
    const float *mean = clnn_node_input(g, n, 3)->data, *var = clnn_node_input(g, n, 4)->data;
    *k = scale[c] / sqrt((double)var[c] + OP_A(n, bn_attrs)->epsilon);
    *t = b[c] - mean[c] * *k;
}

static clnn_status bn_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                              const gnode *n, void **state)
{
    *state = NULL;
    norm_state *s;
    clnn_status st = norm_new(ctx, dev, g, n, &s);
    if (st != CLNN_STATUS_OK) return st;
    for (int i = 1; i <= 4; i++) {
        const gtensor *p = clnn_node_input(g, n, i);
        if (!p || !p->data || clnn_tensor_count(p) != (size_t)s->C) {
            norm_destroy(s);
            return clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED,
                             "node '%s' (BatchNormalization): input %d must be a constant of %d "
                             "floats",
                             n->name, i, s->C);
        }
    }
    float *p = malloc(2 * (size_t)s->C * sizeof *p);
    if (!p) {
        norm_destroy(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (BatchNormalization)",
                         n->name);
    }
    for (int c = 0; c < s->C; c++) {
        double k, t;
        bn_fold(g, n, c, &k, &t);
        p[c] = (float)k;
        p[s->C + c] = (float)t;
    }
    st = clnn_buffer_upload(ctx, dev, &s->params, p, 2 * (size_t)s->C * sizeof *p,
                            "batch normalization parameters");
    free(p);
    s->planes = s->inner >= BN_PLANE_MIN;
    s->kname = s->planes ? "bn_planes" : "bn_flat";
    s->act_a = n->fused.act_a;
    s->act_b = n->fused.act_b;
    s->local = small_local(dev, s->planes ? (size_t)s->inner : s->count);
    s->split = norm_split(s);
    char opts[48];
    snprintf(opts, sizeof opts, "-DACT=%d -DSPLIT_ROWS=%d", (int)n->fused.act, s->split);
    if (st == CLNN_STATUS_OK) st = clnn_kernel_create(ctx, dev, "norm", opts, s->kname, &s->k);
    if (st != CLNN_STATUS_OK) {
        norm_destroy(s);
        return small_fail(ctx, n->name, "BatchNormalization", st);
    }
    snprintf(s->desc, sizeof s->desc, "%s", s->kname);
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status norm_check(norm_state *s, const layer_io *io)
{
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], s->count, "input");
    if (st == CLNN_STATUS_OK) st = small_check(s->ctx, s->node, s->op, io->out, s->count, "output");
    return st;
}

static clnn_status bn_enqueue(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                              const cl_event *w, cl_event *done)
{
    norm_state *s = state;
    clnn_status st = norm_check(s, io);
    if (st != CLNN_STATUS_OK) return st;
    const int last = s->planes ? s->rows : (int)s->count;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out),   CLNN_ARG(s->params.mem),
                       CLNN_ARG(s->C),      CLNN_ARG(s->inner),  CLNN_ARG(last),
                       CLNN_ARG(s->act_a),  CLNN_ARG(s->act_b)};
    st = clnn_set_args(s->ctx, s->k, s->kname, args, CLNN_ARRAY_LEN(args));
    if (st == CLNN_STATUS_OK) {
        if (s->planes) {
            size_t g[3], l[3] = {s->local, 1, 1};
            norm_grid(s, g);
            st = clnn_launch(s->ctx, q, s->k, s->kname, 3, g, l, nw, w, done);
        } else {
            st = clnn_launch(s->ctx, q, s->k, s->kname, 1, &s->count, &s->local, nw, w, done);
        }
    }
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

/* The textbook formula in double, not the folded one the device runs. */
static clnn_status bn_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                const float *residual, float *out)
{
    (void)residual;
    const gtensor *x = clnn_node_input(g, n, 0);
    const float *scale = clnn_node_input(g, n, 1)->data, *b = clnn_node_input(g, n, 2)->data;
    const float *mean = clnn_node_input(g, n, 3)->data, *var = clnn_node_input(g, n, 4)->data;
    const size_t C = (size_t)x->dims[1], inner = (size_t)clnn_shape_count(x->dims + 2, x->ndim - 2);
    const size_t count = clnn_tensor_count(x);
    for (size_t o = 0; o < count; o++) {
        const size_t c = o / inner % C;
        double v = ((double)in[0][o] - mean[c]) / sqrt((double)var[c] + OP_A(n, bn_attrs)->epsilon) * scale[c] +
                   b[c];
        out[o] = clnn_ref_activate((float)v, n->fused.act, n->fused.act_a, n->fused.act_b);
    }
    return CLNN_STATUS_OK;
}

static const char *norm_describe(const void *state) { return ((const norm_state *)state)->desc; }

const clnn_layer_impl clnn_layer_bn = {
    .name = "batchnorm",
    .host_inputs = 0x1eu, /* scale, B, mean, var: folded by prepare */
    .prepare = bn_prepare,
    .enqueue = bn_enqueue,
    .reference = bn_reference,
    .destroy = norm_destroy,
    .describe = norm_describe,
};

/* ---- LRN ------------------------------------------------------------------------------- */

static clnn_status lrn_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                               const gnode *n, void **state)
{
    *state = NULL;
    const lrn_attrs *a = OP_A(n, lrn_attrs);
    norm_state *s;
    clnn_status st = norm_new(ctx, dev, g, n, &s);
    if (st != CLNN_STATUS_OK) return st;
    s->kname = "lrn";
    s->alpha_n = a->alpha / (float)a->size;
    s->beta = a->beta;
    s->bias = a->bias;
    s->local = small_local(dev, (size_t)s->inner);
    s->split = norm_split(s);
    const float beta = a->beta;
    const int pw = beta == 0.75f ? 1 : beta == 0.5f ? 2 : beta == 1.0f ? 3 : 0;
    char opts[64];
    snprintf(opts, sizeof opts, "-DLRN_SIZE=%d -DLRN_POW=%d -DSPLIT_ROWS=%d", a->size, pw,
             s->split);
    st = clnn_kernel_create(ctx, dev, "norm", opts, "lrn", &s->k);
    if (st != CLNN_STATUS_OK) {
        norm_destroy(s);
        return small_fail(ctx, n->name, "LRN", st);
    }
    snprintf(s->desc, sizeof s->desc, "lrn size %d", a->size);
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status lrn_enqueue(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                               const cl_event *w, cl_event *done)
{
    norm_state *s = state;
    clnn_status st = norm_check(s, io);
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out),  CLNN_ARG(s->C),
                       CLNN_ARG(s->inner),  CLNN_ARG(s->rows),  CLNN_ARG(s->alpha_n),
                       CLNN_ARG(s->beta),   CLNN_ARG(s->bias)};
    st = clnn_set_args(s->ctx, s->k, "lrn", args, CLNN_ARRAY_LEN(args));
    size_t g[3], l[3] = {s->local, 1, 1};
    norm_grid(s, g);
    if (st == CLNN_STATUS_OK) st = clnn_launch(s->ctx, q, s->k, "lrn", 3, g, l, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

static clnn_status lrn_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                 const float *residual, float *out)
{
    (void)residual;
    const gtensor *x = clnn_node_input(g, n, 0);
    const long C = (long)x->dims[1];
    const size_t inner = (size_t)clnn_shape_count(x->dims + 2, x->ndim - 2);
    const size_t count = clnn_tensor_count(x);
    const lrn_attrs *a = OP_A(n, lrn_attrs);
    const int size = a->size;
    const long before = (size - 1) / 2, after = size / 2; /* floor and ceil of (size-1)/2 */
    for (size_t o = 0; o < count; o++) {
        const size_t i = o % inner, img = o / inner / (size_t)C;
        const long c = (long)(o / inner % (size_t)C);
        double sum = 0.0;
        for (long cc = c - before; cc <= c + after; cc++) {
            if (cc < 0 || cc >= C) continue;
            const double v = in[0][(img * (size_t)C + (size_t)cc) * inner + i];
            sum += v * v;
        }
        const double base = (double)a->bias + (double)a->alpha / size * sum;
        out[o] = (float)(in[0][o] / pow(base, (double)a->beta));
    }
    return CLNN_STATUS_OK;
}

const clnn_layer_impl clnn_layer_lrn = {
    .name = "lrn",
    .prepare = lrn_prepare,
    .enqueue = lrn_enqueue,
    .reference = lrn_reference,
    .destroy = norm_destroy,
    .describe = norm_describe,
};

/* ---- definitions -------------------------------------------------------------------------- */

static clnn_status bn_check(gnode *n)
{
    if (OP_A(n, bn_attrs)->training_mode)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "training_mode 1 (statistics of the batch, running statistics updated) "
                       "is not supported; clnn runs inference (training_mode 0)");
    if (n->noutputs > 1)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "%d outputs; clnn computes only the first (training mode is not "
                       "supported)", n->noutputs);
    if (!(OP_A(n, bn_attrs)->epsilon >= 0))
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "attribute 'epsilon' must be >= 0");
    return CLNN_STATUS_OK;
}

static clnn_status bn_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    clnn_status st = op_need_float(g, n, 0);
    if (st != CLNN_STATUS_OK) return st;
    if (x->ndim < 2) return op_fail(n, CLNN_STATUS_UNSUPPORTED, "input must have channels");
    for (int i = 1; i < 5; i++) {
        const gtensor *t = op_in(g, n, i);
        if (!t->data)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "parameter '%s' must be a float constant (an initializer)", t->name);
        if (t->ndim != 1 || t->dims[0] != x->dims[1])
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "parameter '%s' must have %lld values",
                           t->name, (long long)x->dims[1]);
    }
    return op_same_as(g, n, 0, 0);
}

static const op_attr bn_rows[] = {
    A_FLOAT("epsilon", bn_attrs, epsilon, 1e-5),
    A_IGNORE("momentum"),
    A_INT("spatial", bn_attrs, spatial, 1, 1, 1, .until = 9),
    A_INT("is_test", bn_attrs, is_test, 0, 0, 1, .until = 7),
    A_IGNORE("consumed_inputs", .until = 6),
    A_INT("training_mode", bn_attrs, training_mode, 0, 0, 1, .since = 14),
};

const clnn_op_def clnn_op_batch_norm = {
    .name = "BatchNormalization",
    .since = {1, 6, 7, 9, 14, 15},
    .min_in = 5, .max_in = 5, .max_out = 5,
    OP_ATTRS(bn_rows),
    .attr_size = sizeof(bn_attrs),
    .check = bn_check,
    .infer = bn_infer,
    .layer = &clnn_layer_bn,
    .notes = "inference (training_mode 0); folded into a preceding Conv, else standalone on "
             "any rank >= 2",
};

static clnn_status lrn_infer(clnn_graph *g, gnode *n)
{
    clnn_status st = op_need_float(g, n, 0);
    if (st == CLNN_STATUS_OK) st = op_need_rank(g, n, 0, 4, "input");
    return st == CLNN_STATUS_OK ? op_same_as(g, n, 0, 0) : st;
}

static node_work lrn_work(const clnn_graph *g, const gnode *n)
{
    node_work w = op_io_work(g, n);
    w.flops *= OP_A(n, lrn_attrs)->size + 8;
    return w;
}

static const op_attr lrn_rows[] = {
    A_INT("size", lrn_attrs, size, 0, 1, 1 << 16, .required = true),
    A_FLOAT("alpha", lrn_attrs, alpha, 1e-4),
    A_FLOAT("beta", lrn_attrs, beta, 0.75),
    A_FLOAT("bias", lrn_attrs, bias, 1.0),
};

const clnn_op_def clnn_op_lrn = {
    .name = "LRN",
    .since = {1, 13},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(lrn_rows),
    .attr_size = sizeof(lrn_attrs),
    .infer = lrn_infer,
    .layer = &clnn_layer_lrn,
    .work = lrn_work,
};
