/*
 * convtranspose.c - ConvTranspose (kernels/convtranspose.cl) with its plain C reference.
 *
 * X [N, C, spatial...], W [C, M / group, k...], optional B [M]; 1-D, 2-D and 3-D, run as
 * 3-D with leading spatial sizes of 1. Along each axis the full output is
 *     s * (in - 1) + output_padding + (k - 1) * d + 1
 * from which pads (begin, end) are cut. output_shape, when given, fixes the output size and
 * the pads follow from it as the ONNX reference computes them (floor halves; SAME_UPPER puts
 * the odd one at the end, everything else at the beginning); a negative total is extra
 * output at the end, as output_padding gives. auto_pad SAME_* without output_shape asks for
 * in * s; VALID cuts nothing.
 *
 * The kernel is the gather form: each output element sums the input elements and taps that
 * map onto it (no atomics). The reference is the scatter form in double, so the two share
 * no index arithmetic. Weights and bias are constants uploaded by prepare; a fused
 * activation (passes.c) runs in the kernel's epilogue.
 */
#include "conv.h"
#include "layer_small.h"

#include <stdlib.h>
#include <string.h>

#define CT_LIMIT (1 << 16)  /* kernel sizes, strides, dilations, pads, output padding */
#define CT_SIZES (1 << 24)  /* channels and spatial sizes */

static const char *const ct_auto_pad_modes[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID",
                                                NULL};
enum { CT_NOTSET, CT_SAME_UPPER, CT_SAME_LOWER, CT_VALID };

/* The geometry of a node after inference, as 3-D (axis 0: depth, 1: height, 2: width). */
typedef struct ct_geom {
    int N, C, M, Cg, Mg;
    int in[3], k[3], s[3], d[3], pb[3], out[3];
    bool has_bias;
} ct_geom;

typedef struct convt_attrs {
    int auto_pad;
    int64_t kernel_shape[3];
    int nkernel;
    int64_t strides[3];
    int nstrides;
    int64_t pads[6];
    int npads;
    int64_t dilations[3];
    int ndilations;
    int64_t output_padding[3];
    int noutput_padding;
    int64_t output_shape[5]; /* spatial sizes, or N, C and the spatial sizes */
    int noutput_shape;
    int64_t group;
    ct_geom geo; /* set by inference */
} convt_attrs;

/* floor(t / 2) for any sign. */
static int64_t floor_half(int64_t t) { return t >= 0 ? t / 2 : -((1 - t) / 2); }

/* ---- the C reference ------------------------------------------------------------------------- */

/* Scatters every input element times every tap into a double accumulator, then adds the
 * bias and applies the activation in float as the kernel does. */
static clnn_status ct_ref(const ct_geom *q, const float *x, const float *w, const float *b,
                          clnn_activation act, float aa, float ab, float *y)
{
    const size_t ospat = (size_t)q->out[0] * q->out[1] * q->out[2];
    const size_t ispat = (size_t)q->in[0] * q->in[1] * q->in[2];
    const size_t taps = (size_t)q->k[0] * q->k[1] * q->k[2];
    double *acc = calloc((size_t)q->N * q->M * ospat, sizeof *acc);
    if (!acc) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "ConvTranspose reference");
    for (int n = 0; n < q->N; n++)
        for (int c = 0; c < q->C; c++) {
            const int g = c / q->Cg;
            const float *xc = x + ((size_t)n * q->C + c) * ispat;
            for (int mm = 0; mm < q->Mg; mm++) {
                const int m = g * q->Mg + mm;
                const float *wk = w + ((size_t)c * q->Mg + mm) * taps;
                double *yo = acc + ((size_t)n * q->M + m) * ospat;
                for (int i0 = 0; i0 < q->in[0]; i0++)
                    for (int i1 = 0; i1 < q->in[1]; i1++)
                        for (int i2 = 0; i2 < q->in[2]; i2++) {
                            const double v = xc[((size_t)i0 * q->in[1] + i1) * q->in[2] + i2];
                            for (int k0 = 0; k0 < q->k[0]; k0++) {
                                const long o0 = (long)i0 * q->s[0] - q->pb[0] + (long)k0 * q->d[0];
                                if (o0 < 0 || o0 >= q->out[0]) continue;
                                for (int k1 = 0; k1 < q->k[1]; k1++) {
                                    const long o1 =
                                        (long)i1 * q->s[1] - q->pb[1] + (long)k1 * q->d[1];
                                    if (o1 < 0 || o1 >= q->out[1]) continue;
                                    for (int k2 = 0; k2 < q->k[2]; k2++) {
                                        const long o2 =
                                            (long)i2 * q->s[2] - q->pb[2] + (long)k2 * q->d[2];
                                        if (o2 < 0 || o2 >= q->out[2]) continue;
                                        const size_t t = ((size_t)k0 * q->k[1] + k1) * q->k[2] + k2;
                                        yo[((size_t)o0 * q->out[1] + o1) * q->out[2] + o2] +=
                                            v * wk[t];
                                    }
                                }
                            }
                        }
            }
        }
    for (int n = 0; n < q->N; n++)
        for (int m = 0; m < q->M; m++) {
            const size_t base = ((size_t)n * q->M + m) * ospat;
            for (size_t i = 0; i < ospat; i++) {
                float v = (float)acc[base + i] + (b ? b[m] : 0.0f);
                y[base + i] = clnn_ref_activate(v, act, aa, ab);
            }
        }
    free(acc);
    return CLNN_STATUS_OK;
}

static clnn_status ct_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                const float *residual, float *out)
{
    (void)g;
    if (residual || n->fused.residual >= 0)
        return clnn_fail(NULL, CLNN_STATUS_INTERNAL, "node '%s' (ConvTranspose): a residual",
                         n->name);
    const ct_geom *q = &OP_A(n, convt_attrs)->geo;
    return ct_ref(q, in[0], in[1], q->has_bias ? in[2] : NULL, n->fused.act, n->fused.act_a,
                  n->fused.act_b, out);
}

/* ---- the layer ------------------------------------------------------------------------------- */

typedef struct ct_state {
    clnn_context *ctx;
    char *node;
    cl_kernel k;
    ct_geom q;
    clnn_buffer w, b;
    size_t in_count, out_count, local;
    char desc[96];
} ct_state;

static void ct_destroy(void *state)
{
    ct_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    clnn_buffer_release(&s->w);
    clnn_buffer_release(&s->b);
    free(s->node);
    free(s);
}

/* W [C][Mg][taps] as [M][taps][Cg]: the kernel's innermost loop (the group's input channels)
 * reads consecutive weights. */
static float *ct_pack(const ct_geom *q, const float *w)
{
    const size_t taps = (size_t)q->k[0] * q->k[1] * q->k[2];
    float *p = malloc((size_t)q->M * taps * q->Cg * sizeof *p);
    if (!p) return NULL;
    for (int c = 0; c < q->C; c++) {
        const int g = c / q->Cg, cg = c - g * q->Cg;
        for (int mm = 0; mm < q->Mg; mm++) {
            const size_t m = (size_t)g * q->Mg + mm;
            for (size_t t = 0; t < taps; t++)
                p[(m * taps + t) * q->Cg + cg] = w[((size_t)c * q->Mg + mm) * taps + t];
        }
    }
    return p;
}

static clnn_status ct_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                              const gnode *n, void **state)
{
    *state = NULL;
    const char *op = "ConvTranspose";
    const gtensor *w = clnn_node_input(g, n, 1), *b = clnn_node_input(g, n, 2);
    const gtensor *x = clnn_node_input(g, n, 0), *y = clnn_node_output(g, n);
    if (n->fused.residual >= 0)
        return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "node '%s' (%s): a fused residual", n->name,
                         op);
    if (!w->data || (b && !b->data))
        return clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED,
                         "node '%s' (%s): weight and bias must be float constants", n->name, op);
    clnn_status st = small_count_ok(ctx, n->name, op, clnn_tensor_count(x));
    if (st == CLNN_STATUS_OK) st = small_count_ok(ctx, n->name, op, clnn_tensor_count(y));
    if (st != CLNN_STATUS_OK) return st;
    ct_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->q = OP_A(n, convt_attrs)->geo;
    s->in_count = clnn_tensor_count(x);
    s->out_count = clnn_tensor_count(y);
    s->local = small_local(dev, s->out_count);
    float *packed = ct_pack(&s->q, w->data);
    if (!packed) {
        ct_destroy(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    const size_t wcount = clnn_tensor_count(w);
    st = clnn_buffer_upload(ctx, dev, &s->w, packed, wcount * sizeof(float), "weights");
    free(packed);
    const float zero = 0.0f;
    if (st == CLNN_STATUS_OK)
        st = s->q.has_bias
                 ? clnn_buffer_upload(ctx, dev, &s->b, b->data, (size_t)s->q.M * sizeof(float),
                                      "bias")
                 : clnn_buffer_upload(ctx, dev, &s->b, &zero, sizeof zero, "bias");
    /* The convolutions' epilogue options: bias, activation (no residual here). */
    clnn_conv_params ep;
    memset(&ep, 0, sizeof ep);
    ep.has_bias = s->q.has_bias;
    ep.activation = n->fused.act;
    ep.act_alpha = n->fused.act_a;
    ep.act_beta = n->fused.act_b;
    ep.residual = CLNN_RESIDUAL_NONE;
    clnn_strbuf sb = {0};
    clnn_conv_epilogue_options(&ep, &sb);
    if (st == CLNN_STATUS_OK && sb.failed)
        st = clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "kernel options");
    if (st == CLNN_STATUS_OK)
        st = clnn_kernel_create(ctx, dev, "convtranspose", sb.data, "convtranspose", &s->k);
    clnn_strbuf_free(&sb);
    if (st != CLNN_STATUS_OK) {
        ct_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    snprintf(s->desc, sizeof s->desc, "gather, %d groups, stride %dx%dx%d", s->q.C / s->q.Cg,
             s->q.s[0], s->q.s[1], s->q.s[2]);
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status ct_enqueue(void *state, cl_command_queue cq, const layer_io *io, cl_uint nw,
                              const cl_event *w, cl_event *done)
{
    ct_state *s = state;
    const ct_geom *q = &s->q;
    const char *op = "ConvTranspose";
    clnn_status st = small_check(s->ctx, s->node, op, io->in[0], s->in_count, "input");
    if (st != CLNN_STATUS_OK) return st;
    const int total = (int)s->out_count;
    clnn_arg a[] = {
        CLNN_ARG(io->in[0]), CLNN_ARG(s->w.mem), CLNN_ARG(s->b.mem), CLNN_ARG(io->out),
        CLNN_ARG(total),     CLNN_ARG(q->C),     CLNN_ARG(q->Cg),    CLNN_ARG(q->Mg),
        CLNN_ARG(q->M),      CLNN_ARG(q->in[0]), CLNN_ARG(q->in[1]), CLNN_ARG(q->in[2]),
        CLNN_ARG(q->out[0]), CLNN_ARG(q->out[1]), CLNN_ARG(q->out[2]), CLNN_ARG(q->k[0]),
        CLNN_ARG(q->k[1]),   CLNN_ARG(q->k[2]),  CLNN_ARG(q->s[0]),  CLNN_ARG(q->s[1]),
        CLNN_ARG(q->s[2]),   CLNN_ARG(q->d[0]),  CLNN_ARG(q->d[1]),  CLNN_ARG(q->d[2]),
        CLNN_ARG(q->pb[0]),  CLNN_ARG(q->pb[1]), CLNN_ARG(q->pb[2]), CLNN_ARG(io->out_off),
        CLNN_ARG(io->out_img_stride)};
    st = clnn_set_args(s->ctx, s->k, "convtranspose", a, CLNN_ARRAY_LEN(a));
    const size_t global = s->out_count;
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, cq, s->k, "convtranspose", 1, &global, &s->local, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, op, st);
}

static const char *ct_describe(const void *state) { return ((const ct_state *)state)->desc; }

static const clnn_layer_impl ct_layer = {
    .name = "convtranspose",
    .host_inputs = (1u << 1) | (1u << 2),
    .strided_output = true,
    .prepare = ct_prepare,
    .enqueue = ct_enqueue,
    .reference = ct_reference,
    .destroy = ct_destroy,
    .describe = ct_describe,
};

/* ---- the definition -------------------------------------------------------------------------- */

/* Attribute counts must fit the input's spatial rank r (output_shape may add N and C). */
static clnn_status ct_check_counts(const gnode *n, const convt_attrs *a, int r)
{
    struct {
        const char *name;
        int count, want;
    } f[] = {{"kernel_shape", a->nkernel, r},      {"strides", a->nstrides, r},
             {"dilations", a->ndilations, r},      {"output_padding", a->noutput_padding, r},
             {"pads", a->npads, 2 * r}};
    for (size_t i = 0; i < CLNN_ARRAY_LEN(f); i++)
        if (f[i].count && f[i].count != f[i].want)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "attribute '%s' has %d values for an input of %d spatial axes "
                           "(want %d)", f[i].name, f[i].count, r, f[i].want);
    if (a->noutput_shape && a->noutput_shape != r && a->noutput_shape != r + 2)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "attribute 'output_shape' has %d values for an input of %d spatial axes",
                       a->noutput_shape, r);
    return CLNN_STATUS_OK;
}

static clnn_status ct_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0), *w = op_in(g, n, 1), *b = op_in(g, n, 2);
    convt_attrs *a = n->attrs;
    clnn_status st = op_need_float(g, n, 0);
    if (st == CLNN_STATUS_OK && (x->ndim < 3 || x->ndim > 5))
        st = op_fail(n, CLNN_STATUS_UNSUPPORTED,
                     "input '%s' has %d dimensions; clnn runs 1-D, 2-D and 3-D transposed "
                     "convolutions (3 to 5 dimensions)", x->name, x->ndim);
    if (st == CLNN_STATUS_OK) st = op_need_rank(g, n, 1, x->ndim, "weight");
    if (st == CLNN_STATUS_OK && !w->data)
        st = op_fail(n, CLNN_STATUS_UNSUPPORTED,
                     "weight '%s' must be a float constant (an initializer)", w->name);
    if (st == CLNN_STATUS_OK && b && !b->data)
        st = op_fail(n, CLNN_STATUS_UNSUPPORTED,
                     "bias '%s' must be a float constant (an initializer)", b->name);
    if (st != CLNN_STATUS_OK) return st;
    const int r = x->ndim - 2;
    st = ct_check_counts(n, a, r);
    if (st != CLNN_STATUS_OK) return st;
    for (int i = 0; i < x->ndim; i++)
        if (x->dims[i] < 1 || x->dims[i] > CT_SIZES || w->dims[i] < 1 || w->dims[i] > CT_SIZES)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "input and weight sizes must be in [1, %d] (dimension %d: %lld and "
                           "%lld)", CT_SIZES, i, (long long)x->dims[i], (long long)w->dims[i]);
    const int64_t C = x->dims[1], G = a->group;
    if (w->dims[0] != C)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "input has %lld channels but weight '%s' has %lld (its first dimension)",
                       (long long)C, w->name, (long long)w->dims[0]);
    if (C % G)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%lld input channels do not split into group %lld groups", (long long)C,
                       (long long)G);
    const int64_t M = w->dims[1] * G; /* both at most 2^24 */
    if (M > CT_SIZES)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "%lld output channels (at most %d)",
                       (long long)M, CT_SIZES);
    if (b && (b->ndim != 1 || b->dims[0] != M))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "bias '%s' has %lld elements for %lld output channels", b->name,
                       (long long)clnn_shape_count(b->dims, b->ndim), (long long)M);
    for (int i = 0; i < a->nkernel; i++)
        if (a->kernel_shape[i] != w->dims[2 + i])
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "kernel_shape[%d] is %lld but weight '%s' has %lld", i,
                           (long long)a->kernel_shape[i], w->name, (long long)w->dims[2 + i]);
    if (a->noutput_shape == r + 2 &&
        (a->output_shape[0] != x->dims[0] || a->output_shape[1] != M))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "output_shape starts with %lld x %lld but the output is %lld x %lld",
                       (long long)a->output_shape[0], (long long)a->output_shape[1],
                       (long long)x->dims[0], (long long)M);

    ct_geom *q = &a->geo;
    memset(q, 0, sizeof *q);
    q->N = (int)x->dims[0];
    q->C = (int)C;
    q->M = (int)M;
    q->Cg = (int)(C / G);
    q->Mg = (int)w->dims[1];
    q->has_bias = b != NULL;
    int64_t out_dims[5] = {x->dims[0], M};
    for (int j = 0; j < 3; j++) {
        q->in[j] = q->k[j] = q->s[j] = q->d[j] = q->out[j] = 1;
        q->pb[j] = 0;
    }
    for (int i = 0; i < r; i++) {
        const int j = 3 - r + i;
        const int64_t in = x->dims[2 + i], k = w->dims[2 + i];
        const int64_t s = a->nstrides ? a->strides[i] : 1;
        const int64_t d = a->ndilations ? a->dilations[i] : 1;
        const int64_t op = a->noutput_padding ? a->output_padding[i] : 0;
        if (k > CT_LIMIT)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED, "kernel size %lld (at most %d)",
                           (long long)k, CT_LIMIT);
        if ((k - 1) * d + 1 > CT_SIZES)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "kernel %lld dilated by %lld spans more than %d", (long long)k,
                           (long long)d, CT_SIZES);
        if (op >= s && op >= d)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "output_padding[%d] is %lld; it must be smaller than the stride "
                           "(%lld) or the dilation (%lld)", i, (long long)op, (long long)s,
                           (long long)d);
        /* in < 2^24 and the rest < 2^17: no overflow in int64. */
        const int64_t full = s * (in - 1) + op + (k - 1) * d + 1;
        int64_t pb = 0, pe = 0;
        const bool same = a->auto_pad == CT_SAME_UPPER || a->auto_pad == CT_SAME_LOWER;
        if (a->noutput_shape || same) {
            const int64_t want =
                a->noutput_shape ? a->output_shape[a->noutput_shape - r + i] : in * s;
            if (want < 1 || want > CT_SIZES)
                return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                               "output size %lld along spatial axis %d (must be in [1, %d])",
                               (long long)want, i, CT_SIZES);
            const int64_t total = full - want;
            if (a->auto_pad == CT_SAME_UPPER) {
                pb = floor_half(total);
                pe = total - pb;
            } else {
                pe = floor_half(total);
                pb = total - pe;
            }
        } else if (a->auto_pad == CT_NOTSET && a->npads) {
            pb = a->pads[i];
            pe = a->pads[r + i];
        }
        const int64_t out = full - pb - pe;
        if (out < 1)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "the pads (%lld, %lld) leave an output of %lld along spatial axis %d",
                           (long long)pb, (long long)pe, (long long)out, i);
        if (out > CT_SIZES || pb > CT_SIZES || pb < -CT_SIZES)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "output size %lld along spatial axis %d (at most %d)",
                           (long long)out, i, CT_SIZES);
        q->in[j] = (int)in;
        q->k[j] = (int)k;
        q->s[j] = (int)s;
        q->d[j] = (int)d;
        q->pb[j] = (int)pb;
        q->out[j] = (int)out;
        out_dims[2 + i] = out;
    }
    return op_set_out(g, n, 0, CLNN_DTYPE_FLOAT, out_dims, x->ndim);
}

/* Every input element meets every tap of its group's output channels once. */
static node_work ct_work(const clnn_graph *g, const gnode *n)
{
    node_work w = op_io_work(g, n);
    const ct_geom *q = &OP_A(n, convt_attrs)->geo;
    w.flops = 2.0 * (double)clnn_tensor_count(op_in(g, n, 0)) * q->Mg * q->k[0] * q->k[1] *
              q->k[2];
    return w;
}

static const op_attr ct_rows[] = {
    A_ENUM("auto_pad", convt_attrs, auto_pad, ct_auto_pad_modes, CT_NOTSET),
    A_INTS("kernel_shape", convt_attrs, kernel_shape, nkernel, 1, CT_LIMIT),
    A_INTS("strides", convt_attrs, strides, nstrides, 1, CT_LIMIT),
    A_INTS("pads", convt_attrs, pads, npads, 0, CT_LIMIT),
    A_INTS("dilations", convt_attrs, dilations, ndilations, 1, CT_LIMIT),
    A_INTS("output_padding", convt_attrs, output_padding, noutput_padding, 0, CT_LIMIT),
    A_INTS("output_shape", convt_attrs, output_shape, noutput_shape, 0, CT_SIZES),
    A_INT("group", convt_attrs, group, 1, 1, CT_SIZES),
};

const clnn_op_def clnn_op_conv_transpose = {
    .name = "ConvTranspose",
    .since = {1, 11},
    .min_in = 2, .max_in = 3, .max_out = 1,
    .optional_in = 1u << 2,
    OP_ATTRS(ct_rows),
    .attr_size = sizeof(convt_attrs),
    .infer = ct_infer,
    .layer = &ct_layer,
    .work = ct_work,
    .notes = "1-D, 2-D and 3-D; groups, dilations, output_padding, output_shape, auto "
             "padding; bias and activations fused",
};
