/*
 * resize.c - Resize (versions 10, 11, 13, 18, 19) and Upsample (7, 9): nearest, n-linear
 * and cubic interpolation over any axes (kernels/resize.cl), with a plain C reference.
 *
 * Every output element is a weighted sum over the product of per-axis taps: along axis k,
 * output coordinate o maps to x = transform(o) in the input (coordinate_transformation_mode)
 * and takes 1 (nearest), 2 (linear) or 4 (cubic) input indices around floor(x), clamped to
 * the axis (ONNX pads the input by repeating its edges), with the mode's weights of
 * x - floor(x). tf_crop_and_resize maps through the roi and gives extrapolation_value where
 * x falls outside the input. The reference applies these formulas per element (rz_taps);
 * prepare tabulates the same taps per axis for the kernel, leaving out axes that map every
 * coordinate onto itself.
 *
 * Scales, sizes and roi must be constants (initializers, or folded shape arithmetic): the
 * output shape is inferred from them. Output size per axis: floor(in * scale) (times the
 * roi's extent for tf_crop_and_resize), or the sizes given (keep_aspect_ratio_policy
 * not_larger / not_smaller: round(in * scale) with one scale for all the axes).
 */
#include "layer_small.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RZ_R CLNN_MAX_DIMS
#define RZ_MAX_TAPS 4

enum { RZ_NEAREST, RZ_LINEAR, RZ_CUBIC };
enum { RZ_HALF_PIXEL, RZ_PYTORCH, RZ_ALIGN, RZ_ASYM, RZ_TF_NN, RZ_TF_CROP, RZ_SYMMETRIC };
enum { RZ_ROUND_FLOOR, RZ_ROUND_CEIL, RZ_FLOOR, RZ_CEIL };
enum { RZ_STRETCH, RZ_NOT_LARGER, RZ_NOT_SMALLER };

typedef struct resize_attrs {
    int mode;
    int ctm;
    int nearest_mode;
    float cubic_a;
    int64_t exclude_outside;
    float extrapolation;
    int64_t antialias;
    int64_t axes[RZ_R];
    int naxes;
    int keep_aspect;
    float scales[RZ_R]; /* Upsample 7 */
    int nscales;
} resize_attrs;

static const char *const rz_modes[] = {"nearest", "linear", "cubic", NULL};
static const char *const up_modes[] = {"nearest", "linear", NULL};
static const char *const rz_ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                      "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize",
                                      "half_pixel_symmetric", NULL};
static const char *const rz_nearest_modes[] = {"round_prefer_floor", "round_prefer_ceil",
                                               "floor", "ceil", NULL};
static const char *const rz_keep[] = {"stretch", "not_larger", "not_smaller", NULL};

/* Everything the taps depend on, from the attributes and the constant inputs. */
typedef struct rz_plan {
    int rank, mode, ctm, nearest, taps;
    bool exclude;
    double a;
    float extrap;
    int64_t in[RZ_R], out[RZ_R];
    double scale[RZ_R];  /* the scale the coordinates are transformed with */
    double length[RZ_R]; /* in * scale (ONNX's output_width before flooring) */
    double roi0[RZ_R], roi1[RZ_R];
} rz_plan;

static bool is_upsample(const gnode *n) { return n->op == OP_UPSAMPLE; }

/* Input i given with at least one value (ONNX models pass empty tensors for unused ones). */
static bool rz_present(const clnn_graph *g, const gnode *n, int i)
{
    const gtensor *t = op_in(g, n, i);
    return t && clnn_shape_count(t->dims, t->ndim) > 0;
}

static clnn_status rz_plan_of(const clnn_graph *g, const gnode *n, rz_plan *p)
{
    const resize_attrs *a = OP_A(n, resize_attrs);
    const gtensor *x = op_in(g, n, 0);
    const int r = x->ndim;
    memset(p, 0, sizeof *p);
    p->rank = r;
    p->mode = a->mode;
    const bool old = is_upsample(n) || n->version < 11;
    /* Upsample and Resize 10: asymmetric coordinates, nearest rounds down (np.repeat for
     * integer scales). */
    p->ctm = old ? RZ_ASYM : a->ctm;
    p->nearest = old ? RZ_FLOOR : a->nearest_mode;
    p->exclude = !old && a->exclude_outside;
    p->a = a->cubic_a;
    p->extrap = a->extrapolation;
    p->taps = p->mode == RZ_NEAREST ? 1 : p->mode == RZ_LINEAR ? 2 : 4;
    if (r < 1)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "the input is a scalar");
    for (int k = 0; k < r; k++) {
        if (x->dims[k] < 1)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED, "axis %d of the input is empty", k);
        p->in[k] = x->dims[k];
        p->out[k] = x->dims[k];
        p->scale[k] = 1.0;
        p->length[k] = (double)x->dims[k];
        p->roi0[k] = 0.0, p->roi1[k] = 1.0;
    }
    /* Where the scales and sizes come from. */
    int scales_in = -1, sizes_in = -1, roi_in = -1;
    if (is_upsample(n) || n->version < 11)
        scales_in = n->version >= 9 ? 1 : -1;
    else
        roi_in = 1, scales_in = 2, sizes_in = 3;
    float sc[RZ_R];
    int64_t sz[RZ_R];
    int nsc = -1, nsz = -1;
    clnn_status st = CLNN_STATUS_OK;
    if (is_upsample(n) && n->version < 9) {
        nsc = a->nscales;
        memcpy(sc, a->scales, sizeof sc);
    } else if (scales_in >= 0 && rz_present(g, n, scales_in)) {
        st = op_const_floats(g, n, scales_in, "scales", sc, RZ_R, &nsc);
    }
    if (st == CLNN_STATUS_OK && sizes_in >= 0 && rz_present(g, n, sizes_in))
        st = op_const_ints(g, n, sizes_in, "sizes", sz, RZ_R, &nsz);
    if (st != CLNN_STATUS_OK) return st;
    if (nsc >= 0 && nsz >= 0)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "both scales and sizes are given");
    if (nsc < 0 && nsz < 0)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "neither scales nor sizes is given");
    /* The axes they apply to. */
    int ax[RZ_R], na = r;
    for (int k = 0; k < r; k++) ax[k] = k;
    if (!old && a->naxes) {
        bool seen[RZ_R] = {false};
        na = a->naxes;
        for (int j = 0; j < na; j++) {
            const int k = op_norm_axis(a->axes[j], r);
            if (k < 0 || seen[k])
                return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                               "axis %lld is out of range for a %d-D input or repeated",
                               (long long)a->axes[j], r);
            seen[k] = true;
            ax[j] = k;
        }
    }
    const int cnt = nsc >= 0 ? nsc : nsz;
    if (cnt != na)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%d %s for %d axes", cnt,
                       nsc >= 0 ? "scales" : "sizes", na);
    if (p->ctm == RZ_TF_CROP) {
        float roi[2 * RZ_R];
        int nroi = 0;
        if (roi_in < 0 || !rz_present(g, n, roi_in))
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "tf_crop_and_resize needs the roi input");
        st = op_const_floats(g, n, roi_in, "roi", roi, 2 * RZ_R, &nroi);
        if (st != CLNN_STATUS_OK) return st;
        if (nroi != 2 * na)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "roi has %d values for %d axes", nroi,
                           na);
        for (int j = 0; j < na; j++) {
            if (!isfinite(roi[j]) || !isfinite(roi[na + j]))
                return op_fail(n, CLNN_STATUS_INVALID_MODEL, "roi of axis %d is not finite",
                               ax[j]);
            p->roi0[ax[j]] = roi[j], p->roi1[ax[j]] = roi[na + j];
        }
    }
    if (nsc >= 0) {
        for (int j = 0; j < na; j++) {
            const int k = ax[j];
            if (!(sc[j] > 0.0f) || !isfinite(sc[j]))
                return op_fail(n, CLNN_STATUS_INVALID_MODEL, "scale %g on axis %d (scales must "
                               "be positive)", (double)sc[j], k);
            const double extent = p->ctm == RZ_TF_CROP ? p->roi1[k] - p->roi0[k] : 1.0;
            const double len = (double)p->in[k] * extent * (double)sc[j];
            if (!(len < (double)INT_MAX))
                return op_fail(n, CLNN_STATUS_UNSUPPORTED, "axis %d would have %g elements", k,
                               len);
            p->scale[k] = sc[j];
            p->length[k] = (double)p->in[k] * (double)sc[j];
            p->out[k] = (int64_t)floor(len);
            if (p->out[k] < 1)
                return op_fail(n, CLNN_STATUS_UNSUPPORTED, "axis %d would be empty (scale %g of "
                               "%lld)", k, (double)sc[j], (long long)p->in[k]);
        }
        return CLNN_STATUS_OK;
    }
    for (int j = 0; j < na; j++) {
        if (sz[j] < 0)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "sizes value %lld for axis %d",
                           (long long)sz[j], ax[j]);
        if (sz[j] == 0 || sz[j] > INT_MAX)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED, "sizes value %lld for axis %d (clnn "
                           "supports 1 to 2^31 - 1)", (long long)sz[j], ax[j]);
    }
    const int keep = old ? RZ_STRETCH : a->keep_aspect;
    double s = keep == RZ_NOT_LARGER ? INFINITY : 0.0;
    for (int j = 0; j < na; j++) {
        const double q = (double)sz[j] / (double)p->in[ax[j]];
        if (keep == RZ_NOT_LARGER && q < s) s = q;
        if (keep == RZ_NOT_SMALLER && q > s) s = q;
    }
    for (int j = 0; j < na; j++) {
        const int k = ax[j];
        if (keep == RZ_STRETCH) {
            p->out[k] = sz[j];
            p->scale[k] = (double)sz[j] / (double)p->in[k];
            p->length[k] = (double)sz[j];
        } else {
            const double len = floor(s * (double)p->in[k] + 0.5);
            if (!(len >= 1.0 && len < (double)INT_MAX))
                return op_fail(n, CLNN_STATUS_UNSUPPORTED, "axis %d would have %g elements", k,
                               len);
            p->out[k] = (int64_t)len;
            p->scale[k] = s;
            p->length[k] = s * (double)p->in[k];
        }
    }
    return CLNN_STATUS_OK;
}

/* Cubic convolution weights of the taps floor(x) - 1 .. floor(x) + 2 at t = x - floor(x). */
static void rz_cubic(double A, double t, double *w)
{
    const double u = t + 1, v = 1 - t, z = 2 - t;
    w[0] = ((A * u - 5 * A) * u + 8 * A) * u - 4 * A;
    w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
    w[2] = ((A + 2) * v - (A + 3)) * v * v + 1;
    w[3] = ((A * z - 5 * A) * z + 8 * A) * z - 4 * A;
}

/* The p->taps input indices (clamped to the axis) and weights of output coordinate o along
 * axis k; false when tf_crop_and_resize maps it outside the input. */
static bool rz_taps(const rz_plan *p, int k, int64_t o, int64_t *idx, double *w)
{
    const double in = (double)p->in[k], s = p->scale[k], len = p->length[k], y = (double)o;
    double x;
    switch (p->ctm) {
    case RZ_PYTORCH: x = len > 1 ? (y + 0.5) / s - 0.5 : -0.5; break;
    case RZ_ALIGN: x = len == 1 ? 0.0 : y * (in - 1) / (len - 1); break;
    case RZ_ASYM: x = y / s; break;
    case RZ_TF_NN: x = (y + 0.5) / s; break;
    case RZ_TF_CROP: {
        const double r0 = p->roi0[k], r1 = p->roi1[k];
        x = len == 1 ? (r1 - r0) * (in - 1) / 2 : y * (r1 - r0) * (in - 1) / (len - 1);
        x += r0 * (in - 1);
        if (x < 0 || x > in - 1) return false;
        break;
    }
    case RZ_SYMMETRIC: {
        const double adj = (double)p->out[k] / len, off = in / 2 * (1 - adj);
        x = off + (y + 0.5) / s - 0.5;
        break;
    }
    default: x = (y + 0.5) / s - 0.5; break; /* half_pixel */
    }
    const double f = floor(x), t = x - f;
    const int64_t b = (int64_t)f;
    int64_t first;
    if (p->mode == RZ_NEAREST) {
        bool up;
        switch (p->nearest) {
        case RZ_ROUND_CEIL: up = t >= 0.5; break;
        case RZ_FLOOR: up = false; break;
        case RZ_CEIL: up = t > 0; break;
        default: up = t > 0.5; break;
        }
        first = b + up;
        w[0] = 1;
    } else if (p->mode == RZ_LINEAR) {
        first = b;
        w[0] = 1 - t, w[1] = t;
    } else {
        first = b - 1;
        rz_cubic(p->a, t, w);
    }
    double sum = 0;
    for (int j = 0; j < p->taps; j++) {
        const int64_t i = first + j;
        if (p->exclude && (i < 0 || i >= p->in[k])) w[j] = 0;
        sum += w[j];
        idx[j] = i < 0 ? 0 : i >= p->in[k] ? p->in[k] - 1 : i;
    }
    if (p->exclude && sum != 0) /* every tap outside cannot happen: x stays near the axis */
        for (int j = 0; j < p->taps; j++) w[j] /= sum;
    return true;
}

static clnn_status resize_infer(clnn_graph *g, gnode *n)
{
    clnn_status st = op_need_float(g, n, 0);
    if (st != CLNN_STATUS_OK) return st;
    rz_plan p;
    st = rz_plan_of(g, n, &p);
    if (st != CLNN_STATUS_OK) return st;
    return op_set_out(g, n, 0, CLNN_DTYPE_FLOAT, p.out, p.rank);
}

/* The formulas element by element: a sum over every combination of the axes' taps. */
static clnn_status resize_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                    const float *residual, float *out)
{
    (void)residual;
    rz_plan p;
    clnn_status st = rz_plan_of(g, n, &p);
    if (st != CLNN_STATUS_OK) return st;
    if (!in[0])
        return op_fail(n, CLNN_STATUS_INVALID_ARGUMENT, "the reference needs the input's data");
    const int r = p.rank;
    int64_t stride[RZ_R], acc = 1;
    for (int k = r - 1; k >= 0; k--) stride[k] = acc, acc *= p.in[k];
    const int64_t count = clnn_shape_count(p.out, r);
    int64_t o[RZ_R] = {0};
    for (int64_t e = 0; e < count; e++) {
        int64_t idx[RZ_R][RZ_MAX_TAPS];
        double w[RZ_R][RZ_MAX_TAPS];
        bool inside = true;
        for (int k = 0; k < r && inside; k++) inside = rz_taps(&p, k, o[k], idx[k], w[k]);
        double sum = 0;
        if (inside) {
            int t[RZ_R] = {0};
            for (;;) {
                double wt = 1;
                int64_t src = 0;
                for (int k = 0; k < r; k++) wt *= w[k][t[k]], src += idx[k][t[k]] * stride[k];
                sum += wt * in[0][src];
                int k = r - 1;
                while (k >= 0 && ++t[k] == p.taps) t[k--] = 0;
                if (k < 0) break;
            }
        }
        out[e] = inside ? (float)sum : p.extrap;
        for (int k = r - 1; k >= 0; k--) {
            if (++o[k] < p.out[k]) break;
            o[k] = 0;
        }
    }
    return CLNN_STATUS_OK;
}

/* ---- the layer ---------------------------------------------------------------------------- */

typedef struct resize_state {
    clnn_context *ctx;
    clnn_device *dev;
    char *node;
    const char *op;
    cl_kernel k;
    clnn_buffer idx, w;
    int count, in_count, taps;
    float extrap;
    cl_int8 dims, strides, rows;
} resize_state;

static void resize_destroy(void *state)
{
    resize_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    clnn_buffer_release(&s->idx);
    clnn_buffer_release(&s->w);
    free(s->node);
    free(s);
}

/* Tabulates the taps of every resized axis (rows[k]: axis k's first row, -1 for axes that
 * map every coordinate onto itself); an index -1 marks an extrapolated coordinate. */
static void resize_tables(const rz_plan *p, int *idx, float *w, cl_int8 *rows)
{
    int row = 0;
    for (int k = 0; k < p->rank; k++) {
        bool same = p->out[k] == p->in[k];
        for (int64_t o = 0; o < p->out[k]; o++) {
            int64_t ti[RZ_MAX_TAPS];
            double tw[RZ_MAX_TAPS];
            int *ri = idx + (size_t)(row + o) * (size_t)p->taps;
            float *rw = w + (size_t)(row + o) * (size_t)p->taps;
            if (!rz_taps(p, k, o, ti, tw)) {
                for (int j = 0; j < p->taps; j++) ri[j] = -1, rw[j] = 0;
                same = false;
                continue;
            }
            double self = 0;
            for (int j = 0; j < p->taps; j++) {
                ri[j] = (int)ti[j], rw[j] = (float)tw[j];
                if (ti[j] == o) self += tw[j];
                else if (tw[j] != 0) same = false;
            }
            if (self != 1.0) same = false;
        }
        rows->s[k] = same ? -1 : row;
        if (!same) row += (int)p->out[k];
    }
    for (int k = p->rank; k < RZ_R; k++) rows->s[k] = -1;
}

static clnn_status resize_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                  const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    clnn_status st = small_count_ok(ctx, n->name, op, clnn_tensor_count(clnn_node_output(g, n)));
    if (st == CLNN_STATUS_OK)
        st = small_count_ok(ctx, n->name, op, clnn_tensor_count(clnn_node_input(g, n, 0)));
    if (st != CLNN_STATUS_OK) return st;
    rz_plan p;
    st = rz_plan_of(g, n, &p);
    if (st != CLNN_STATUS_OK) return st;
    size_t rows = 0;
    for (int k = 0; k < p.rank; k++) rows += (size_t)p.out[k];
    const size_t cells = (rows ? rows : 1) * (size_t)p.taps;
    if (cells > (size_t)INT_MAX)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "%zu interpolation taps", cells);
    resize_state *s = calloc(1, sizeof *s);
    int *idx = malloc(cells * sizeof *idx);
    float *w = malloc(cells * sizeof *w);
    if (!s || !idx || !w || !(s->node = clnn_strdup(n->name))) {
        free(s), free(idx), free(w);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->dev = dev;
    s->op = op;
    s->count = (int)clnn_tensor_count(clnn_node_output(g, n));
    s->in_count = (int)clnn_tensor_count(clnn_node_input(g, n, 0));
    s->taps = p.taps;
    s->extrap = p.extrap;
    int acc = 1;
    for (int k = RZ_R - 1; k >= 0; k--) {
        s->dims.s[k] = k < p.rank ? (cl_int)p.out[k] : 1;
        s->strides.s[k] = k < p.rank ? acc : 0;
        if (k < p.rank) acc *= (int)p.in[k];
    }
    resize_tables(&p, idx, w, &s->rows);
    st = clnn_buffer_upload(ctx, dev, &s->idx, idx, cells * sizeof *idx, "Resize taps");
    if (st == CLNN_STATUS_OK)
        st = clnn_buffer_upload(ctx, dev, &s->w, w, cells * sizeof *w, "Resize weights");
    if (st == CLNN_STATUS_OK) st = clnn_kernel_create(ctx, dev, "resize", "", "resize_nd", &s->k);
    free(idx);
    free(w);
    if (st != CLNN_STATUS_OK) {
        resize_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status resize_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                  cl_uint nw, const cl_event *w, cl_event *done)
{
    resize_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->out, (size_t)s->count, "output");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->in[0], (size_t)s->in_count, "input");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out),     CLNN_ARG(s->idx.mem),
                       CLNN_ARG(s->w.mem),  CLNN_ARG(s->count),    CLNN_ARG(s->taps),
                       CLNN_ARG(s->dims),   CLNN_ARG(s->strides),  CLNN_ARG(s->rows),
                       CLNN_ARG(s->extrap)};
    st = clnn_set_args(s->ctx, s->k, "resize_nd", args, CLNN_ARRAY_LEN(args));
    size_t gs = (size_t)s->count, l = small_local(s->dev, gs);
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "resize_nd", 1, &gs, &l, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

static const clnn_layer_impl clnn_layer_resize = {
    .name = "resize",
    .host_inputs = 0xeu, /* roi, scales, sizes (Upsample's scales) */
    .prepare = resize_prepare,
    .enqueue = resize_enqueue,
    .reference = resize_reference,
    .destroy = resize_destroy,
};

/* ---- definitions -------------------------------------------------------------------------- */

static clnn_status resize_check(gnode *n)
{
    const resize_attrs *a = OP_A(n, resize_attrs);
    const int need = is_upsample(n) ? (n->version >= 9 ? 2 : 1) : n->version < 11 ? 2 : 1;
    if (n->ninputs < need)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%d inputs; version %d needs %d",
                       n->ninputs, n->version, need);
    if (is_upsample(n) && n->version < 9 && n->ninputs > 1)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%d inputs; version 7 takes scales as an "
                       "attribute", n->ninputs);
    if (is_upsample(n) && n->version < 9 && !op_attr_given(n, "scales"))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "attribute 'scales' is required");
    if (!is_upsample(n) && n->version < 11 && n->ninputs > 2)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%d inputs; version 10 takes X and scales",
                       n->ninputs);
    if (n->version < 11 && a->mode == RZ_CUBIC)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "mode 'cubic' needs version 11");
    if (n->version < 19 && a->ctm == RZ_SYMMETRIC)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "half_pixel_symmetric needs version 19");
    if (a->antialias)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "antialias is not supported");
    return CLNN_STATUS_OK;
}

static const op_attr resize_rows[] = {
    A_ENUM("mode", resize_attrs, mode, rz_modes, RZ_NEAREST),
    A_ENUM("coordinate_transformation_mode", resize_attrs, ctm, rz_ctms, RZ_HALF_PIXEL,
           .since = 11),
    A_FLOAT("cubic_coeff_a", resize_attrs, cubic_a, -0.75, .since = 11),
    A_INT("exclude_outside", resize_attrs, exclude_outside, 0, 0, 1, .since = 11),
    A_FLOAT("extrapolation_value", resize_attrs, extrapolation, 0, .since = 11),
    A_ENUM("nearest_mode", resize_attrs, nearest_mode, rz_nearest_modes, RZ_ROUND_FLOOR,
           .since = 11),
    A_INT("antialias", resize_attrs, antialias, 0, 0, 1, .since = 18),
    A_INTS("axes", resize_attrs, axes, naxes, INT64_MIN, INT64_MAX, .since = 18),
    A_ENUM("keep_aspect_ratio_policy", resize_attrs, keep_aspect, rz_keep, RZ_STRETCH,
           .since = 18),
};

const clnn_op_def clnn_op_resize = {
    .name = "Resize",
    .since = {10, 11, 13, 18, 19},
    .min_in = 1, .max_in = 4, .max_out = 1,
    .optional_in = 0xeu,
    OP_ATTRS(resize_rows),
    .attr_size = sizeof(resize_attrs),
    .check = resize_check,
    .infer = resize_infer,
    .layer = &clnn_layer_resize,
    .notes = "nearest (every nearest_mode), n-linear and cubic (cubic_coeff_a, "
             "exclude_outside) over any axes; every coordinate_transformation_mode, "
             "tf_crop_and_resize with extrapolation_value; axes, keep_aspect_ratio_policy; "
             "roi, scales and sizes known when the session is created; no antialias",
};

static const op_attr upsample_rows[] = {
    A_ENUM("mode", resize_attrs, mode, up_modes, RZ_NEAREST),
    A_FLOATS("scales", resize_attrs, scales, nscales, .until = 9),
};

const clnn_op_def clnn_op_upsample = {
    .name = "Upsample",
    .since = {1, 7, 9},
    .first = 7, /* version 1 names the scales height_scale and width_scale */
    .last_opset = 9,
    .min_in = 1, .max_in = 2, .max_out = 1,
    OP_ATTRS(upsample_rows),
    .attr_size = sizeof(resize_attrs),
    .check = resize_check,
    .infer = resize_infer,
    .layer = &clnn_layer_resize,
    .notes = "nearest and n-linear (asymmetric coordinates); scales known when the session "
             "is created",
};
