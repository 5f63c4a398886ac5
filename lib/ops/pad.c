/*
 * pad.c - the Pad operator (kernel pad_copy in kernels/pad.cl): constant, reflect, edge and
 * wrap padding of any axes of any rank, negative pads cropping. Versions 1 and 2 take the
 * pads (`paddings` in version 1) and the value as attributes; from version 11 they are
 * inputs, which must be known when the session is created, and version 18 adds `axes`.
 *
 * Negative pads crop before anything is padded (onnxruntime's order): an axis of size d
 * with pads (b, e) keeps the n = d - max(0,-b) - max(0,-e) elements from lo = max(0,-b),
 * then output coordinate o reads input coordinate c = o - b, mapped into [lo, lo + n) by
 * the mode (outside: the value; reflect about the ends without repeating them; edge: the
 * nearest end; wrap: modulo n). One description (pad_geom) drives the shape, the host fold
 * (any element type), the C reference and the kernel, so they cannot disagree.
 */
#include "layer_small.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PAD_MODE_CONSTANT, PAD_MODE_REFLECT, PAD_MODE_EDGE, PAD_MODE_WRAP };
static const char *const pad_modes[] = {"constant", "reflect", "edge", "wrap", NULL};

/* Pads beyond this are refused: sizes stay far from int64 overflow and kernels use int. */
#define PAD_LIMIT (INT32_MAX / 2)

typedef struct pad_attrs {
    int64_t pads[2 * CLNN_MAX_DIMS];
    int npads;
    float value;
    int mode;
} pad_attrs;

/* Per axis: the output size, the input size, the begin pad, the kept range [lo, lo + n). */
typedef struct pad_geom {
    int ndim, mode;
    int64_t out[CLNN_MAX_DIMS], in[CLNN_MAX_DIMS], begin[CLNN_MAX_DIMS];
    int64_t lo[CLNN_MAX_DIMS], n[CLNN_MAX_DIMS];
    double fvalue;  /* the constant for FLOAT data */
    int64_t ivalue; /* for INT64 and BOOL data */
} pad_geom;

/* The pads of every axis of the input (begin[k], end[k]) from the attribute or the
 * constant inputs (with axes from version 18). */
static clnn_status pad_pads(const clnn_graph *g, const gnode *n, int64_t *begin, int64_t *end)
{
    const gtensor *x = op_in(g, n, 0);
    const pad_attrs *a = OP_A(n, pad_attrs);
    const int r = x->ndim;
    int64_t p[2 * CLNN_MAX_DIMS], ax[CLNN_MAX_DIMS];
    int np, na = r;
    if (n->version < 11) {
        np = a->npads;
        memcpy(p, a->pads, sizeof p);
    } else {
        clnn_status st = op_const_ints(g, n, 1, "pads", p, 2 * CLNN_MAX_DIMS, &np);
        if (st != CLNN_STATUS_OK) return st;
    }
    if (op_in(g, n, 3)) {
        clnn_status st = op_const_ints(g, n, 3, "axes", ax, CLNN_MAX_DIMS, &na);
        if (st != CLNN_STATUS_OK) return st;
    } else {
        for (int k = 0; k < r; k++) ax[k] = k;
    }
    if (np != 2 * na)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%d pads for %d axes of a %d-D input "
                       "(a begin and an end per axis)", np, na, r);
    for (int k = 0; k < r; k++) begin[k] = end[k] = 0;
    bool seen[CLNN_MAX_DIMS] = {false};
    for (int i = 0; i < na; i++) {
        const int k = op_norm_axis(ax[i], r);
        if (k < 0 || seen[k])
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range for a %d-D "
                           "input or repeated", (long long)ax[i], r);
        seen[k] = true;
        for (int j = 0; j < 2; j++) {
            const int64_t v = p[i + j * na];
            if (v < -PAD_LIMIT || v > PAD_LIMIT)
                return op_fail(n, CLNN_STATUS_UNSUPPORTED, "pad %lld on axis %d (at most %d "
                               "either way)", (long long)v, k, PAD_LIMIT);
        }
        begin[k] = p[i];
        end[k] = p[i + na];
    }
    return CLNN_STATUS_OK;
}

/* The constant: the attribute before version 11, else the optional scalar input. */
static clnn_status pad_value(const clnn_graph *g, const gnode *n, pad_geom *q)
{
    q->fvalue = n->version < 11 ? OP_A(n, pad_attrs)->value : 0.0;
    q->ivalue = (int64_t)q->fvalue;
    const gtensor *v = n->version >= 11 ? op_in(g, n, 2) : NULL;
    if (!v) return CLNN_STATUS_OK;
    if (clnn_shape_count(v->dims, v->ndim) != 1 || (!v->data && !v->idata))
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "constant_value '%s' must be a scalar known "
                       "when the session is created (an initializer)", v->name);
    if (v->data) {
        q->fvalue = v->data[0];
        q->ivalue = (int64_t)v->data[0];
    } else {
        q->ivalue = v->idata[0];
        q->fvalue = (double)v->idata[0];
    }
    return CLNN_STATUS_OK;
}

static clnn_status pad_geom_of(const clnn_graph *g, const gnode *n, pad_geom *q)
{
    const gtensor *x = op_in(g, n, 0);
    int64_t begin[CLNN_MAX_DIMS], end[CLNN_MAX_DIMS];
    memset(q, 0, sizeof *q);
    q->ndim = x->ndim;
    q->mode = OP_A(n, pad_attrs)->mode;
    clnn_status st = pad_pads(g, n, begin, end);
    if (st == CLNN_STATUS_OK) st = pad_value(g, n, q);
    if (st != CLNN_STATUS_OK) return st;
    for (int k = 0; k < x->ndim; k++) {
        const int64_t d = x->dims[k], b = begin[k], e = end[k];
        const int64_t cb = b < 0 ? -b : 0, ce = e < 0 ? -e : 0;
        if (cb + ce > d)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "pads (%lld, %lld) crop more than the "
                           "%lld elements of axis %d", (long long)b, (long long)e,
                           (long long)d, k);
        const int64_t kept = d - cb - ce, grow = (b > 0 ? b : 0) + (e > 0 ? e : 0);
        if (grow > 0 && q->mode == PAD_MODE_REFLECT && (b >= kept || e >= kept))
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "reflect pads (%lld, %lld) on axis "
                           "%d of %lld element%s%s: each must be smaller than the axis",
                           (long long)b, (long long)e, k, (long long)kept, kept == 1 ? "" : "s",
                           kept != d ? " after cropping" : "");
        if (grow > 0 && kept == 0 && q->mode != PAD_MODE_CONSTANT)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%s padding of axis %d, which is "
                           "empty", pad_modes[q->mode], k);
        q->in[k] = d;
        q->out[k] = kept + grow;
        q->begin[k] = b;
        q->lo[k] = cb;
        q->n[k] = kept;
    }
    return CLNN_STATUS_OK;
}

static clnn_status pad_check(gnode *n)
{
    const pad_attrs *a = OP_A(n, pad_attrs);
    if (a->mode == PAD_MODE_WRAP && n->version < 19)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "mode 'wrap' exists from version 19; this "
                       "is version %d", n->version);
    if (n->version < 11 && n->ninputs > 1)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%d inputs; before version 11 the pads and value are attributes",
                       n->ninputs);
    if (n->version < 11 && !op_attr_given(n, n->version < 2 ? "paddings" : "pads"))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "attribute '%s' is required",
                       n->version < 2 ? "paddings" : "pads");
    if (n->version >= 11 && (n->ninputs < 2 || n->inputs[1] < 0))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "the pads input is required");
    if (n->version < 18 && n->ninputs > 3)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%d inputs; the axes input exists from "
                       "version 18", n->ninputs);
    return CLNN_STATUS_OK;
}

static clnn_status pad_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    if (x->dtype != CLNN_DTYPE_FLOAT && x->dtype != CLNN_DTYPE_INT64 &&
        x->dtype != CLNN_DTYPE_BOOL)
        return op_need_float(g, n, 0);
    pad_geom q;
    clnn_status st = pad_geom_of(g, n, &q);
    if (st != CLNN_STATUS_OK) return st;
    return op_set_out(g, n, 0, x->dtype, q.out, q.ndim);
}

/* The input index output element `idx` (digits per axis) reads, or -1 for the constant. */
static int64_t pad_source(const pad_geom *q, const int64_t *idx)
{
    int64_t src = 0;
    for (int k = 0; k < q->ndim; k++) {
        int64_t c = idx[k] - q->begin[k];
        const int64_t lo = q->lo[k], hi = q->lo[k] + q->n[k];
        if (c < lo || c >= hi) {
            switch (q->mode) {
            case PAD_MODE_CONSTANT: return -1;
            case PAD_MODE_EDGE: c = c < lo ? lo : hi - 1; break;
            case PAD_MODE_REFLECT: c = c < lo ? 2 * lo - c : 2 * (hi - 1) - c; break;
            default: { /* wrap */
                int64_t m = (c - lo) % q->n[k];
                c = lo + (m < 0 ? m + q->n[k] : m);
            }
            }
        }
        src = src * q->in[k] + c;
    }
    return src;
}

/* Any element size: es 4 (float, constant fvalue) or 8 (int64, ivalue). */
static void pad_apply(const pad_geom *q, const void *in, void *out, size_t es)
{
    const size_t count = (size_t)clnn_shape_count(q->out, q->ndim);
    const float fv = (float)q->fvalue;
    int64_t idx[CLNN_MAX_DIMS] = {0};
    for (size_t i = 0; i < count; i++) {
        const int64_t src = pad_source(q, idx);
        char *dst = (char *)out + i * es;
        if (src >= 0)
            memcpy(dst, (const char *)in + (size_t)src * es, es);
        else if (es == sizeof(float))
            memcpy(dst, &fv, es);
        else
            memcpy(dst, &q->ivalue, es);
        for (int k = q->ndim - 1; k >= 0; k--) {
            if (++idx[k] < q->out[k]) break;
            idx[k] = 0;
        }
    }
}

static clnn_status pad_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    pad_geom q;
    clnn_status st = pad_geom_of(g, n, &q);
    if (st != CLNN_STATUS_OK) return st;
    void *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    pad_apply(&q, op_host_data(x), out, op_host_esize(x));
    return CLNN_STATUS_OK;
}

static clnn_status pad_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                 const float *residual, float *out)
{
    (void)residual;
    pad_geom q;
    clnn_status st = pad_geom_of(g, n, &q);
    if (st != CLNN_STATUS_OK) return st;
    if (!in[0])
        return op_fail(n, CLNN_STATUS_INVALID_ARGUMENT, "the reference needs the input's data");
    pad_apply(&q, in[0], out, sizeof(float));
    return CLNN_STATUS_OK;
}

bool clnn_node_pad_constant(const clnn_graph *g, const gnode *n, int64_t *begin, int64_t *end,
                            float *value)
{
    pad_geom q;
    if (n->op != OP_PAD || pad_geom_of(g, n, &q) != CLNN_STATUS_OK ||
        q.mode != PAD_MODE_CONSTANT || op_in(g, n, 0)->dtype != CLNN_DTYPE_FLOAT)
        return false;
    for (int k = 0; k < q.ndim; k++) {
        begin[k] = q.begin[k];
        end[k] = q.out[k] - q.in[k] - q.begin[k];
    }
    *value = (float)q.fvalue;
    return true;
}

/* Axes that are neither padded nor cropped, next to each other, are one run of the input:
 * merged, so the kernel decomposes fewer digits (padding H and W of NCHW leaves 3 axes). */
static void pad_coalesce(pad_geom *q)
{
    pad_geom c = *q;
    c.ndim = 0;
    for (int k = 0; k < q->ndim; k++) {
        const bool plain = q->out[k] == q->in[k] && q->begin[k] == 0;
        if (plain && q->in[k] == 1) continue;
        if (plain && c.ndim > 0 && c.out[c.ndim - 1] == c.in[c.ndim - 1] &&
            c.begin[c.ndim - 1] == 0) {
            c.out[c.ndim - 1] *= q->in[k];
            c.in[c.ndim - 1] *= q->in[k];
            c.n[c.ndim - 1] *= q->in[k];
            continue;
        }
        c.out[c.ndim] = q->out[k];
        c.in[c.ndim] = q->in[k];
        c.begin[c.ndim] = q->begin[k];
        c.lo[c.ndim] = q->lo[k];
        c.n[c.ndim] = q->n[k];
        c.ndim++;
    }
    if (c.ndim == 0) c.ndim = 1, c.out[0] = c.in[0] = c.n[0] = 1, c.begin[0] = c.lo[0] = 0;
    *q = c;
}

/* ---- the layer ---------------------------------------------------------------------------- */

typedef struct pad_state {
    clnn_context *ctx;
    clnn_device *dev;
    char *node;
    cl_kernel k;
    int count, in_count, ndim, mode;
    float value;
    cl_int8 out, in, begin, lo, n;
} pad_state;

static void pad_destroy(void *state)
{
    pad_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s);
}

static clnn_status pad_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                               const gnode *n, void **state)
{
    *state = NULL;
    const size_t count = clnn_tensor_count(clnn_node_output(g, n));
    const size_t in_count = clnn_tensor_count(clnn_node_input(g, n, 0));
    clnn_status st = small_count_ok(ctx, n->name, "Pad", count);
    if (st == CLNN_STATUS_OK) st = small_count_ok(ctx, n->name, "Pad", in_count);
    if (st != CLNN_STATUS_OK) return st;
    pad_geom q;
    st = pad_geom_of(g, n, &q);
    if (st != CLNN_STATUS_OK) return st;
    pad_coalesce(&q);
    pad_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (Pad)", n->name);
    }
    s->ctx = ctx;
    s->dev = dev;
    s->count = (int)count;
    s->in_count = (int)in_count;
    s->ndim = q.ndim;
    s->mode = q.mode;
    s->value = (float)q.fvalue;
    for (int k = 0; k < CLNN_MAX_DIMS; k++) {
        const bool used = k < q.ndim;
        s->out.s[k] = used ? (cl_int)q.out[k] : 1;
        s->in.s[k] = used ? (cl_int)q.in[k] : 1;
        s->begin.s[k] = used ? (cl_int)q.begin[k] : 0;
        s->lo.s[k] = used ? (cl_int)q.lo[k] : 0;
        s->n.s[k] = used ? (cl_int)q.n[k] : 1;
    }
    st = clnn_kernel_create(ctx, dev, "pad", "", "pad_copy", &s->k);
    if (st != CLNN_STATUS_OK) {
        pad_destroy(s);
        return small_fail(ctx, n->name, "Pad", st);
    }
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status pad_enqueue(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                               const cl_event *w, cl_event *done)
{
    pad_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, "Pad", io->out, (size_t)s->count, "output");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, "Pad", io->in[0], (size_t)s->in_count, "input");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out), CLNN_ARG(s->count),
                       CLNN_ARG(s->ndim),   CLNN_ARG(s->mode), CLNN_ARG(s->value),
                       CLNN_ARG(s->out),    CLNN_ARG(s->in),   CLNN_ARG(s->begin),
                       CLNN_ARG(s->lo),     CLNN_ARG(s->n)};
    st = clnn_set_args(s->ctx, s->k, "pad_copy", args, CLNN_ARRAY_LEN(args));
    size_t gs = (size_t)s->count, l = small_local(s->dev, gs);
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "pad_copy", 1, &gs, &l, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, "Pad", st);
}

static const clnn_layer_impl clnn_layer_pad = {
    .name = "pad",
    .host_inputs = 0xeu, /* pads, constant_value, axes */
    .prepare = pad_prepare,
    .enqueue = pad_enqueue,
    .reference = pad_reference,
    .destroy = pad_destroy,
};

/* ---- definition --------------------------------------------------------------------------- */

static const op_attr pad_rows[] = {
    A_ENUM("mode", pad_attrs, mode, pad_modes, PAD_MODE_CONSTANT),
    A_INTS("paddings", pad_attrs, pads, npads, INT64_MIN, INT64_MAX, .until = 2),
    A_INTS("pads", pad_attrs, pads, npads, INT64_MIN, INT64_MAX, .since = 2, .until = 11),
    A_FLOAT("value", pad_attrs, value, 0.0, .until = 11),
};

const clnn_op_def clnn_op_pad = {
    .name = "Pad",
    .since = {1, 2, 11, 13, 18, 19},
    .min_in = 1, .max_in = 4, .max_out = 1,
    .optional_in = 3u << 2,
    OP_ATTRS(pad_rows),
    .attr_size = sizeof(pad_attrs),
    .flags = OPF_ANY_TYPE,
    .check = pad_check,
    .infer = pad_infer,
    .fold = pad_fold,
    .layer = &clnn_layer_pad,
    .notes = "constant, reflect, edge and wrap; any rank and axes; negative pads crop; pads, "
             "value and axes known when the session is created; zero padding of the spatial "
             "axes folded into a following Conv (or pool, where exact)",
};
