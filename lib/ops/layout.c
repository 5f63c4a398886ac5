/*
 * layout.c - operators that move elements without arithmetic: Transpose, Slice (kernel
 * layout_copy in kernels/layout.cl) and Gather (layout_gather). Each is described on the
 * host as a strided map from output index to input index (lay_map): the same map drives the
 * device kernel, the plain C reference and the fold of int64 shape arithmetic (Gather and
 * Slice on Shape outputs), so the three cannot disagree.
 */
#include "layer_small.h"

#include <stdlib.h>
#include <string.h>

#define LAY_MAX CLNN_MAX_DIMS

typedef struct layout_attrs {
    int64_t perm[CLNN_MAX_DIMS]; /* Transpose */
    int nperm;
    int64_t starts[CLNN_MAX_DIMS], ends[CLNN_MAX_DIMS], axes[CLNN_MAX_DIMS]; /* Slice 1 */
    int nstarts, nends, naxes;
    int64_t axis; /* Gather */
    int64_t blocksize; /* DepthToSpace, SpaceToDepth */
    int mode;          /* DepthToSpace: 0 DCR, 1 CRD */
    int64_t split[CLNN_MAX_NODE_OUTPUTS]; /* Split before 13 */
    int nsplit;
    int64_t num_outputs; /* Split 18 */
} layout_attrs;

/* out[i] = in[base + sum_k r_k * stride[k]], r_k the digits of i in dims (mod[k] > 0: r_k
 * taken modulo mod[k]). */
typedef struct lay_map {
    int ndim;
    int64_t dims[LAY_MAX], stride[LAY_MAX], mod[LAY_MAX];
    int64_t base;
} lay_map;

static void strides_of(const gtensor *x, int64_t *s)
{
    int64_t acc = 1;
    for (int k = x->ndim - 1; k >= 0; k--) {
        s[k] = acc;
        acc *= x->dims[k];
    }
}

/* ---- Transpose ---------------------------------------------------------------------------- */

static clnn_status transpose_map(const clnn_graph *g, const gnode *n, lay_map *m)
{
    const gtensor *x = op_in(g, n, 0);
    const layout_attrs *a = OP_A(n, layout_attrs);
    int64_t perm[LAY_MAX], s[LAY_MAX];
    const int r = x->ndim;
    if (a->nperm) {
        bool seen[LAY_MAX] = {false};
        if (a->nperm != r)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "perm has %d values for a %d-D input",
                           a->nperm, r);
        for (int k = 0; k < r; k++) {
            if (a->perm[k] < 0 || a->perm[k] >= r || seen[a->perm[k]])
                return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                               "perm is not a permutation of 0..%d (value %lld at %d)", r - 1,
                               (long long)a->perm[k], k);
            seen[a->perm[k]] = true;
            perm[k] = a->perm[k];
        }
    } else {
        for (int k = 0; k < r; k++) perm[k] = r - 1 - k; /* default: reversed */
    }
    strides_of(x, s);
    memset(m, 0, sizeof *m);
    m->ndim = r;
    for (int k = 0; k < r; k++) {
        m->dims[k] = x->dims[perm[k]];
        m->stride[k] = s[perm[k]];
    }
    return CLNN_STATUS_OK;
}

/* ---- Slice -------------------------------------------------------------------------------- */

static clnn_status slice_map(const clnn_graph *g, const gnode *n, lay_map *m)
{
    const gtensor *x = op_in(g, n, 0);
    const layout_attrs *a = OP_A(n, layout_attrs);
    int64_t st[LAY_MAX], en[LAY_MAX], ax[LAY_MAX], sp[LAY_MAX];
    int ns, ne, na, nsp;
    clnn_status s = CLNN_STATUS_OK;
    if (n->version < 10) {
        ns = a->nstarts, ne = a->nends, na = a->naxes;
        memcpy(st, a->starts, sizeof st);
        memcpy(en, a->ends, sizeof en);
        memcpy(ax, a->axes, sizeof ax);
        nsp = 0;
    } else {
        s = op_const_ints(g, n, 1, "starts", st, LAY_MAX, &ns);
        if (s == CLNN_STATUS_OK) s = op_const_ints(g, n, 2, "ends", en, LAY_MAX, &ne);
        na = nsp = 0;
        if (s == CLNN_STATUS_OK && op_in(g, n, 3))
            s = op_const_ints(g, n, 3, "axes", ax, LAY_MAX, &na);
        if (s == CLNN_STATUS_OK && op_in(g, n, 4))
            s = op_const_ints(g, n, 4, "steps", sp, LAY_MAX, &nsp);
        if (s != CLNN_STATUS_OK) return s;
        if (!op_in(g, n, 3)) na = -1;
    }
    if (n->version < 10 && na == 0) na = -1;
    if (na < 0) { /* axes absent: the first ns */
        na = ns;
        for (int k = 0; k < ns; k++) ax[k] = k;
    }
    if (ne != ns || na != ns || (nsp && nsp != ns) || ns > x->ndim)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%d starts, %d ends, %d axes, %d steps for a %d-D input", ns, ne, na,
                       nsp, x->ndim);
    int64_t s0[LAY_MAX];
    strides_of(x, s0);
    memset(m, 0, sizeof *m);
    m->ndim = x->ndim;
    for (int k = 0; k < x->ndim; k++) m->dims[k] = x->dims[k], m->stride[k] = s0[k];
    bool done[LAY_MAX] = {false};
    for (int i = 0; i < ns; i++) {
        const int k = op_norm_axis(ax[i], x->ndim);
        if (k < 0 || done[k])
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range or repeated",
                           (long long)ax[i]);
        done[k] = true;
        const int64_t d = x->dims[k];
        int64_t step = nsp ? sp[i] : 1, b = st[i], e = en[i];
        if (step == 0) return op_fail(n, CLNN_STATUS_INVALID_MODEL, "step 0 on axis %d", k);
        /* A step longer than the axis takes one element at most: clamped so that products
         * cannot overflow. */
        if (step > d + 1) step = d + 1;
        if (step < -(d + 1)) step = -(d + 1);
        if (b < 0) b += d;
        if (e < 0) e += d;
        int64_t cnt;
        if (step > 0) {
            b = b < 0 ? 0 : b > d ? d : b;
            e = e < 0 ? 0 : e > d ? d : e;
            cnt = e > b ? (e - b + step - 1) / step : 0;
        } else {
            b = b < 0 ? 0 : b > d - 1 ? d - 1 : b;
            e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
            cnt = b > e ? (b - e - step - 1) / -step : 0;
        }
        m->dims[k] = cnt;
        if (cnt > 0) m->base += b * s0[k];
        m->stride[k] = step * s0[k];
    }
    return CLNN_STATUS_OK;
}

/* ---- Expand, Tile ----------------------------------------------------------------------- */

static clnn_status expand_map(const clnn_graph *g, const gnode *n, lay_map *m)
{
    const gtensor *x = op_in(g, n, 0);
    int64_t shape[LAY_MAX], out[LAY_MAX], s[LAY_MAX];
    int ns, nd;
    clnn_status st = op_const_ints(g, n, 1, "shape", shape, LAY_MAX, &ns);
    if (st != CLNN_STATUS_OK) return st;
    for (int k = 0; k < ns; k++)
        if (shape[k] < 0)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "shape value %lld at %d",
                           (long long)shape[k], k);
    if (!op_broadcast(x->dims, x->ndim, shape, ns, out, &nd)) {
        char b1[160], b2[160];
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%s does not broadcast to %s",
                       clnn_shape_str(x->dims, x->ndim, b1, sizeof b1),
                       clnn_shape_str(shape, ns, b2, sizeof b2));
    }
    strides_of(x, s);
    memset(m, 0, sizeof *m);
    m->ndim = nd;
    for (int k = 0; k < nd; k++) {
        const int j = k - (nd - x->ndim);
        m->dims[k] = out[k];
        m->stride[k] = j < 0 || x->dims[j] == 1 ? 0 : s[j];
    }
    return CLNN_STATUS_OK;
}

static clnn_status tile_map(const clnn_graph *g, const gnode *n, lay_map *m)
{
    const gtensor *x = op_in(g, n, 0);
    int64_t rep[LAY_MAX], s[LAY_MAX];
    int nr;
    clnn_status st;
    if (n->version < 6) { /* Tile 1: `tiles` copies along one `axis` */
        int64_t tiles, axis;
        int c1, c2;
        st = op_const_ints(g, n, 1, "tiles", &tiles, 1, &c1);
        if (st == CLNN_STATUS_OK) st = op_const_ints(g, n, 2, "axis", &axis, 1, &c2);
        if (st != CLNN_STATUS_OK) return st;
        if (c1 != 1 || c2 != 1 || axis < 0 || axis >= x->ndim)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "tiles and axis must be one value each, axis in [0, %d)", x->ndim);
        for (int k = 0; k < x->ndim; k++) rep[k] = k == axis ? tiles : 1;
        nr = x->ndim;
    } else {
        st = op_const_ints(g, n, 1, "repeats", rep, LAY_MAX, &nr);
        if (st != CLNN_STATUS_OK) return st;
    }
    if (nr != x->ndim)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%d repeats for a %d-D input", nr, x->ndim);
    strides_of(x, s);
    memset(m, 0, sizeof *m);
    m->ndim = x->ndim;
    for (int k = 0; k < x->ndim; k++) {
        if (rep[k] < 0 || !op_mul_ok(rep[k], x->dims[k], &m->dims[k]))
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "repeat %lld on axis %d",
                           (long long)rep[k], k);
        m->stride[k] = s[k];
        m->mod[k] = rep[k] > 1 ? x->dims[k] : 0;
    }
    return CLNN_STATUS_OK;
}

/* ---- DepthToSpace, SpaceToDepth: transposes of 6-D views ------------------------------ */

static clnn_status d2s_map(const clnn_graph *g, const gnode *n, lay_map *m, int64_t *out)
{
    const gtensor *x = op_in(g, n, 0);
    const layout_attrs *a = OP_A(n, layout_attrs);
    const int64_t b = a->blocksize;
    if (x->ndim != 4)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "the input is %d-D, not 4-D", x->ndim);
    const int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    const bool d2s = n->op == OP_DEPTH_TO_SPACE;
    if (b < 1 || (d2s ? C % (b * b) : H % b || W % b))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "blocksize %lld does not divide %s",
                       (long long)b, d2s ? "the channels by its square" : "the height and width");
    memset(m, 0, sizeof *m);
    m->ndim = 6;
    if (d2s) {
        const int64_t c = C / (b * b);
        /* DCR: [N, b1, b2, c, H, W]; CRD: [N, c, b1, b2, H, W]; both read as
         * [N, c, H, b1, W, b2]. */
        const int64_t sc = a->mode ? b * b * H * W : H * W;
        const int64_t sb1 = a->mode ? b * H * W : b * c * H * W;
        const int64_t sb2 = a->mode ? H * W : c * H * W;
        const int64_t d[6] = {N, c, H, b, W, b}, st[6] = {C * H * W, sc, W, sb1, 1, sb2};
        memcpy(m->dims, d, sizeof d), memcpy(m->stride, st, sizeof st);
        out[0] = N, out[1] = c, out[2] = H * b, out[3] = W * b;
    } else {
        /* [N, C, H/b, b1, W/b, b2] read as [N, b1, b2, C, H/b, W/b]. */
        const int64_t d[6] = {N, b, b, C, H / b, W / b};
        const int64_t st[6] = {C * H * W, W, 1, H * W, b * W, b};
        memcpy(m->dims, d, sizeof d), memcpy(m->stride, st, sizeof st);
        out[0] = N, out[1] = C * b * b, out[2] = H / b, out[3] = W / b;
    }
    return CLNN_STATUS_OK;
}

/* ---- the maps ----------------------------------------------------------------------------- */

static clnn_status map_of(const clnn_graph *g, const gnode *n, lay_map *m)
{
    int64_t out[4];
    switch (n->op) {
    case OP_EXPAND: return expand_map(g, n, m);
    case OP_TILE: return tile_map(g, n, m);
    case OP_DEPTH_TO_SPACE:
    case OP_SPACE_TO_DEPTH: return d2s_map(g, n, m, out);
    case OP_TRANSPOSE: return transpose_map(g, n, m);
    case OP_SLICE: return slice_map(g, n, m);
    default: return op_fail(n, CLNN_STATUS_INTERNAL, "no layout map");
    }
}

/* The output's shape (a map's dims are the output's, except for operators whose map views
 * it in more dimensions). */
static clnn_status map_infer(clnn_graph *g, gnode *n)
{
    lay_map m;
    int64_t out[4];
    clnn_status st = n->op == OP_DEPTH_TO_SPACE || n->op == OP_SPACE_TO_DEPTH
                         ? d2s_map(g, n, &m, out)
                         : map_of(g, n, &m);
    if (st != CLNN_STATUS_OK) return st;
    if (n->op == OP_DEPTH_TO_SPACE || n->op == OP_SPACE_TO_DEPTH)
        return op_set_out(g, n, 0, op_in(g, n, 0)->dtype, out, 4);
    return op_set_out(g, n, 0, op_in(g, n, 0)->dtype, m.dims, m.ndim);
}

static void map_apply(const lay_map *m, const void *in, void *out, size_t es)
{
    size_t count = (size_t)clnn_shape_count(m->dims, m->ndim);
    int64_t idx[LAY_MAX] = {0};
    for (size_t i = 0; i < count; i++) {
        int64_t src = m->base;
        for (int k = 0; k < m->ndim; k++)
            src += (m->mod[k] > 0 ? idx[k] % m->mod[k] : idx[k]) * m->stride[k];
        memcpy((char *)out + i * es, (const char *)in + (size_t)src * es, es);
        for (int k = m->ndim - 1; k >= 0; k--) {
            if (++idx[k] < m->dims[k]) break;
            idx[k] = 0;
        }
    }
}

/* Any element type: the same map on the host's values. */
static clnn_status map_fold(clnn_graph *g, gnode *n)
{
    lay_map m;
    clnn_status st = map_of(g, n, &m);
    if (st != CLNN_STATUS_OK) return st;
    const gtensor *x = op_in(g, n, 0);
    void *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    map_apply(&m, op_host_data(x), out, op_host_esize(x));
    return CLNN_STATUS_OK;
}

/* Size-1 dimensions dropped and neighbours that are one run in the input merged, so the
 * kernel decomposes as few digits as possible (Transpose [0,2,3,1] becomes 3-D). */
static void map_coalesce(lay_map *m)
{
    lay_map c;
    memset(&c, 0, sizeof c);
    c.base = m->base;
    for (int k = 0; k < m->ndim; k++) {
        if (m->dims[k] == 1) continue;
        if (c.ndim > 0 && !m->mod[k] && !c.mod[c.ndim - 1] &&
            c.stride[c.ndim - 1] == m->stride[k] * m->dims[k]) {
            c.dims[c.ndim - 1] *= m->dims[k];
            c.stride[c.ndim - 1] = m->stride[k];
            continue;
        }
        c.dims[c.ndim] = m->dims[k];
        c.stride[c.ndim] = m->stride[k];
        c.mod[c.ndim] = m->mod[k];
        c.ndim++;
    }
    if (c.ndim == 0) c.ndim = 1, c.dims[0] = 1, c.stride[0] = 0;
    *m = c;
}

/* ---- the layout layer --------------------------------------------------------------------- */

typedef struct layout_state {
    clnn_context *ctx;
    clnn_device *dev;
    char *node;
    const char *op;
    cl_kernel k;
    int count, in_count, ndim, base;
    cl_int8 dims, strides, mods;
    /* Gather */
    clnn_buffer idx;
    int nidx, inner, axis_dim;
} layout_state;

static void layout_destroy(void *state)
{
    layout_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    clnn_buffer_release(&s->idx);
    free(s->node);
    free(s);
}

static layout_state *state_new(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                               const gnode *n)
{
    layout_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name,
                  clnn_op_name(n->op));
        return NULL;
    }
    s->ctx = ctx;
    s->dev = dev;
    s->op = clnn_op_name(n->op);
    s->count = (int)clnn_tensor_count(clnn_node_output(g, n));
    s->in_count = (int)clnn_tensor_count(clnn_node_input(g, n, 0));
    return s;
}

static clnn_status layout_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                  const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    clnn_status st = small_count_ok(ctx, n->name, op, clnn_tensor_count(clnn_node_output(g, n)));
    if (st == CLNN_STATUS_OK)
        st = small_count_ok(ctx, n->name, op, clnn_tensor_count(clnn_node_input(g, n, 0)));
    if (st != CLNN_STATUS_OK) return st;
    lay_map m;
    st = map_of(g, n, &m);
    if (st != CLNN_STATUS_OK) return st;
    map_coalesce(&m);
    layout_state *s = state_new(ctx, dev, g, n);
    if (!s) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    s->ndim = m.ndim;
    s->base = (int)m.base;
    for (int k = 0; k < LAY_MAX; k++) {
        s->dims.s[k] = k < m.ndim ? (cl_int)m.dims[k] : 1;
        s->strides.s[k] = k < m.ndim ? (cl_int)m.stride[k] : 0;
        s->mods.s[k] = k < m.ndim ? (cl_int)m.mod[k] : 0;
    }
    st = clnn_kernel_create(ctx, dev, "layout", "", "layout_copy", &s->k);
    if (st != CLNN_STATUS_OK) {
        layout_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status layout_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                  cl_uint nw, const cl_event *w, cl_event *done)
{
    layout_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->out, (size_t)s->count, "output");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->in[0], (size_t)s->in_count, "input");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out),     CLNN_ARG(s->count),
                       CLNN_ARG(s->base),   CLNN_ARG(s->ndim),     CLNN_ARG(s->dims),
                       CLNN_ARG(s->strides), CLNN_ARG(s->mods)};
    st = clnn_set_args(s->ctx, s->k, "layout_copy", args, CLNN_ARRAY_LEN(args));
    size_t gs = (size_t)s->count, l = small_local(s->dev, gs);
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "layout_copy", 1, &gs, &l, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

static clnn_status layout_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                    const float *residual, float *out)
{
    (void)residual;
    lay_map m;
    clnn_status st = map_of(g, n, &m);
    if (st != CLNN_STATUS_OK) return st;
    if (!in[0])
        return op_fail(n, CLNN_STATUS_INVALID_ARGUMENT, "the reference needs the input's data");
    map_apply(&m, in[0], out, sizeof(float));
    return CLNN_STATUS_OK;
}

static const clnn_layer_impl clnn_layer_layout = {
    .name = "layout",
    .host_inputs = 0x1eu, /* Slice's starts/ends/axes/steps, Expand's shape, Tile's repeats */
    .prepare = layout_prepare,
    .enqueue = layout_enqueue,
    .reference = layout_reference,
    .destroy = layout_destroy,
};

/* ---- Gather ------------------------------------------------------------------------------- */

typedef struct gather_geom {
    int axis;
    int64_t outer, axis_dim, inner, nidx;
} gather_geom;

static clnn_status gather_geom_of(const clnn_graph *g, const gnode *n, gather_geom *q)
{
    const gtensor *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
    const int64_t axis = OP_A(n, layout_attrs)->axis;
    q->axis = op_norm_axis(axis, x->ndim);
    if (x->ndim == 0 || q->axis < 0)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range for %d-D data",
                       (long long)axis, x->ndim);
    if (ix->dtype != CLNN_DTYPE_INT64)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "indices '%s' are %s, not integers",
                       ix->name, clnn_dtype_name(ix->dtype));
    q->outer = clnn_shape_count(x->dims, q->axis);
    q->axis_dim = x->dims[q->axis];
    q->inner = clnn_shape_count(x->dims + q->axis + 1, x->ndim - q->axis - 1);
    q->nidx = clnn_shape_count(ix->dims, ix->ndim);
    return CLNN_STATUS_OK;
}

/* Index i of the constant indices normalised to [0, axis_dim); an error naming the node when
 * it is outside [-axis_dim, axis_dim). */
static clnn_status gather_index(const gnode *n, const gtensor *ix, const gather_geom *q,
                                int64_t i, int64_t *v)
{
    int64_t k = ix->idata[i];
    if (k < -q->axis_dim || k >= q->axis_dim)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "index %lld (element %lld of '%s') is out of range for axis %d of size "
                       "%lld", (long long)k, (long long)i, ix->name, q->axis, (long long)q->axis_dim);
    *v = k < 0 ? k + q->axis_dim : k;
    return CLNN_STATUS_OK;
}

static clnn_status gather_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
    gather_geom q;
    clnn_status st = gather_geom_of(g, n, &q);
    if (st != CLNN_STATUS_OK) return st;
    if (x->ndim + ix->ndim - 1 > CLNN_MAX_DIMS)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "the output would have %d dimensions",
                       x->ndim + ix->ndim - 1);
    if (ix->idata)
        for (int64_t i = 0; i < q.nidx; i++) {
            int64_t v = 0;
            st = gather_index(n, ix, &q, i, &v);
            if (st != CLNN_STATUS_OK) return st;
        }
    int64_t d[CLNN_MAX_DIMS];
    int nd = 0;
    for (int k = 0; k < q.axis; k++) d[nd++] = x->dims[k];
    for (int k = 0; k < ix->ndim; k++) d[nd++] = ix->dims[k];
    for (int k = q.axis + 1; k < x->ndim; k++) d[nd++] = x->dims[k];
    return op_set_out(g, n, 0, x->dtype, d, nd);
}

static clnn_status gather_apply(const clnn_graph *g, const gnode *n, const void *in, void *out,
                                size_t es)
{
    const gtensor *ix = op_in(g, n, 1);
    gather_geom q;
    clnn_status st = gather_geom_of(g, n, &q);
    if (st != CLNN_STATUS_OK) return st;
    if (!ix->idata)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "indices '%s' must be known when the "
                       "session is created", ix->name);
    const size_t row = (size_t)q.inner * es;
    for (int64_t o = 0; o < q.outer; o++)
        for (int64_t j = 0; j < q.nidx; j++) {
            int64_t v = 0;
            st = gather_index(n, ix, &q, j, &v);
            if (st != CLNN_STATUS_OK) return st;
            memcpy((char *)out + (size_t)(o * q.nidx + j) * row,
                   (const char *)in + (size_t)(o * q.axis_dim + v) * row, row);
        }
    return CLNN_STATUS_OK;
}

static clnn_status gather_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    void *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    return gather_apply(g, n, op_host_data(x), out, op_host_esize(x));
}

static clnn_status gather_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                    const float *residual, float *out)
{
    (void)residual;
    if (!in[0])
        return op_fail(n, CLNN_STATUS_INVALID_ARGUMENT, "the reference needs the data");
    return gather_apply(g, n, in[0], out, sizeof(float));
}

static clnn_status gather_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                  const gnode *n, void **state)
{
    *state = NULL;
    const gtensor *ix = clnn_node_input(g, n, 1);
    clnn_status st = small_count_ok(ctx, n->name, "Gather",
                                    clnn_tensor_count(clnn_node_output(g, n)));
    if (st == CLNN_STATUS_OK)
        st = small_count_ok(ctx, n->name, "Gather", clnn_tensor_count(clnn_node_input(g, n, 0)));
    if (st != CLNN_STATUS_OK) return st;
    if (!ix->idata)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "indices '%s' must be known when the "
                       "session is created (an initializer, or computed from shapes)", ix->name);
    gather_geom q;
    st = gather_geom_of(g, n, &q);
    if (st != CLNN_STATUS_OK) return st;
    int *idx = malloc((size_t)(q.nidx ? q.nidx : 1) * sizeof *idx);
    if (!idx) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (Gather)", n->name);
    for (int64_t i = 0; i < q.nidx && st == CLNN_STATUS_OK; i++) {
        int64_t v = 0;
        st = gather_index(n, ix, &q, i, &v);
        idx[i] = (int)v;
    }
    layout_state *s = st == CLNN_STATUS_OK ? state_new(ctx, dev, g, n) : NULL;
    if (st == CLNN_STATUS_OK && !s) st = CLNN_STATUS_OUT_OF_HOST_MEMORY;
    if (st == CLNN_STATUS_OK) {
        s->nidx = (int)q.nidx;
        s->inner = (int)q.inner;
        s->axis_dim = (int)q.axis_dim;
        st = clnn_buffer_upload(ctx, dev, &s->idx, idx, (size_t)(q.nidx ? q.nidx : 1) * sizeof *idx,
                                "Gather indices");
        if (st == CLNN_STATUS_OK)
            st = clnn_kernel_create(ctx, dev, "layout", "", "layout_gather", &s->k);
        if (st != CLNN_STATUS_OK) st = small_fail(ctx, n->name, "Gather", st);
    }
    free(idx);
    if (st != CLNN_STATUS_OK) {
        layout_destroy(s);
        return st;
    }
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status gather_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                  cl_uint nw, const cl_event *w, cl_event *done)
{
    layout_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->out, (size_t)s->count, "output");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->in[0], (size_t)s->in_count, "data");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out),   CLNN_ARG(s->idx.mem),
                       CLNN_ARG(s->count),  CLNN_ARG(s->nidx),   CLNN_ARG(s->inner),
                       CLNN_ARG(s->axis_dim)};
    st = clnn_set_args(s->ctx, s->k, "layout_gather", args, CLNN_ARRAY_LEN(args));
    size_t gs = (size_t)s->count, l = small_local(s->dev, gs);
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "layout_gather", 1, &gs, &l, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

static const clnn_layer_impl clnn_layer_gather = {
    .name = "gather",
    .host_inputs = 0x2u,
    .prepare = gather_prepare,
    .enqueue = gather_enqueue,
    .reference = gather_reference,
    .destroy = layout_destroy,
};

/* ---- definitions -------------------------------------------------------------------------- */

static const op_attr transpose_rows[] = {
    A_INTS("perm", layout_attrs, perm, nperm, INT64_MIN, INT64_MAX),
};

const clnn_op_def clnn_op_transpose = {
    .name = "Transpose",
    .since = {1, 13},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(transpose_rows),
    .attr_size = sizeof(layout_attrs),
    .flags = OPF_ANY_TYPE,
    .infer = map_infer,
    .fold = map_fold,
    .layer = &clnn_layer_layout,
    .notes = "any permutation; default reversed",
};

static clnn_status slice_check(gnode *n)
{
    if (n->version < 10 && n->ninputs > 1)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%d inputs; before version 10 starts and ends are attributes", n->ninputs);
    if (n->version >= 10 && n->ninputs < 3)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "starts and ends inputs are required");
    if (n->version < 10 && (!op_attr_given(n, "starts") || !op_attr_given(n, "ends")))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "attributes 'starts' and 'ends' are "
                       "required");
    return CLNN_STATUS_OK;
}

static const op_attr slice_rows[] = {
    A_INTS("starts", layout_attrs, starts, nstarts, INT64_MIN, INT64_MAX, .until = 10),
    A_INTS("ends", layout_attrs, ends, nends, INT64_MIN, INT64_MAX, .until = 10),
    A_INTS("axes", layout_attrs, axes, naxes, INT64_MIN, INT64_MAX, .until = 10),
};

const clnn_op_def clnn_op_slice = {
    .name = "Slice",
    .since = {1, 10, 11, 13},
    .min_in = 1, .max_in = 5, .max_out = 1,
    .optional_in = 3u << 3,
    OP_ATTRS(slice_rows),
    .attr_size = sizeof(layout_attrs),
    .flags = OPF_ANY_TYPE,
    .check = slice_check,
    .infer = map_infer,
    .fold = map_fold,
    .layer = &clnn_layer_layout,
    .notes = "starts, ends, axes and steps known when the session is created; negative steps",
};

static const op_attr gather_rows[] = {
    A_INT("axis", layout_attrs, axis, 0, -CLNN_MAX_DIMS, CLNN_MAX_DIMS - 1),
};

const clnn_op_def clnn_op_gather = {
    .name = "Gather",
    .since = {1, 11, 13},
    .min_in = 2, .max_in = 2, .max_out = 1,
    OP_ATTRS(gather_rows),
    .attr_size = sizeof(layout_attrs),
    .flags = OPF_ANY_TYPE,
    .infer = gather_infer,
    .fold = gather_fold,
    .layer = &clnn_layer_gather,
    .notes = "any axis; indices known when the session is created",
};

const clnn_op_def clnn_op_expand = {
    .name = "Expand",
    .since = {8, 13},
    .min_in = 2, .max_in = 2, .max_out = 1,
    .attr_size = sizeof(layout_attrs),
    .flags = OPF_ANY_TYPE,
    .infer = map_infer,
    .fold = map_fold,
    .layer = &clnn_layer_layout,
    .notes = "the shape known when the session is created",
};

/* Version 1 takes `tiles` and `axis` inputs, later ones `repeats`. */
static clnn_status tile_check(gnode *n)
{
    const int want = n->version < 6 ? 3 : 2;
    if (n->ninputs != want)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "version %d takes %d inputs, not %d",
                       n->version, want, n->ninputs);
    return CLNN_STATUS_OK;
}

const clnn_op_def clnn_op_tile = {
    .name = "Tile",
    .since = {1, 6, 13},
    .min_in = 2, .max_in = 3, .max_out = 1,
    .check = tile_check,
    .attr_size = sizeof(layout_attrs),
    .flags = OPF_ANY_TYPE,
    .infer = map_infer,
    .fold = map_fold,
    .layer = &clnn_layer_layout,
    .notes = "the repeats known when the session is created",
};

static const char *const d2s_modes[] = {"DCR", "CRD", NULL};

static const op_attr d2s_rows[] = {
    A_INT("blocksize", layout_attrs, blocksize, 0, 1, 1 << 16, .required = true),
    A_ENUM("mode", layout_attrs, mode, d2s_modes, 0, .since = 11),
};

const clnn_op_def clnn_op_depth_to_space = {
    .name = "DepthToSpace",
    .since = {1, 11, 13},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(d2s_rows),
    .attr_size = sizeof(layout_attrs),
    .flags = OPF_ANY_TYPE,
    .infer = map_infer,
    .fold = map_fold,
    .layer = &clnn_layer_layout,
    .notes = "DCR and CRD",
};

static const op_attr s2d_rows[] = {
    A_INT("blocksize", layout_attrs, blocksize, 0, 1, 1 << 16, .required = true),
};

const clnn_op_def clnn_op_space_to_depth = {
    .name = "SpaceToDepth",
    .since = {1, 13},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(s2d_rows),
    .attr_size = sizeof(layout_attrs),
    .flags = OPF_ANY_TYPE,
    .infer = map_infer,
    .fold = map_fold,
    .layer = &clnn_layer_layout,
};

/* ---- Split: folded on the host, or lowered into one Slice per output ---------------------- */

static clnn_status split_sizes(const clnn_graph *g, const gnode *n, int *axis, int64_t *sz)
{
    const gtensor *x = op_in(g, n, 0);
    const layout_attrs *a = OP_A(n, layout_attrs);
    *axis = op_norm_axis(a->axis, x->ndim);
    if (x->ndim == 0 || *axis < 0)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range for %d-D input",
                       (long long)a->axis, x->ndim);
    const int64_t d = x->dims[*axis];
    const int no = n->noutputs;
    int ns = 0;
    if (op_in(g, n, 1)) {
        clnn_status st = op_const_ints(g, n, 1, "split", sz, CLNN_MAX_NODE_OUTPUTS, &ns);
        if (st != CLNN_STATUS_OK) return st;
    } else if (a->nsplit) {
        ns = a->nsplit;
        memcpy(sz, a->split, (size_t)ns * sizeof *sz);
    }
    if (ns) {
        int64_t sum = 0;
        for (int i = 0; i < ns; i++)
            if (sz[i] < 0 || !op_add_ok(sum, sz[i], &sum))
                return op_fail(n, CLNN_STATUS_INVALID_MODEL, "split value %lld", (long long)sz[i]);
        if (ns != no || sum != d)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "%d split values summing to %lld for %d outputs of an axis of %lld",
                           ns, (long long)sum, no, (long long)d);
        return CLNN_STATUS_OK;
    }
    if (op_attr_given(n, "num_outputs")) {
        if (a->num_outputs != no)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "num_outputs %lld but %d outputs",
                           (long long)a->num_outputs, no);
        const int64_t chunk = (d + no - 1) / no; /* the last chunk is smaller */
        for (int i = 0; i < no; i++) {
            int64_t b = i * chunk;
            sz[i] = b >= d ? 0 : d - b < chunk ? d - b : chunk;
        }
        return CLNN_STATUS_OK;
    }
    if (d % no)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "an axis of %lld does not split into %d "
                       "equal parts", (long long)d, no);
    for (int i = 0; i < no; i++) sz[i] = d / no;
    return CLNN_STATUS_OK;
}

static clnn_status split_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    int64_t sz[CLNN_MAX_NODE_OUTPUTS];
    int axis;
    clnn_status st = split_sizes(g, n, &axis, sz);
    for (int i = 0; st == CLNN_STATUS_OK && i < n->noutputs; i++) {
        int64_t d[CLNN_MAX_DIMS];
        memcpy(d, x->dims, sizeof d);
        d[axis] = sz[i];
        st = op_set_out(g, n, i, x->dtype, d, x->ndim);
    }
    return st;
}

static clnn_status split_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    int64_t sz[CLNN_MAX_NODE_OUTPUTS], s[LAY_MAX], off = 0;
    int axis;
    clnn_status st = split_sizes(g, n, &axis, sz);
    if (st != CLNN_STATUS_OK) return st;
    strides_of(x, s);
    for (int i = 0; i < n->noutputs; off += sz[i], i++) {
        if (!op_out(g, n, i)) continue;
        lay_map m;
        memset(&m, 0, sizeof m);
        m.ndim = x->ndim;
        for (int k = 0; k < x->ndim; k++) m.dims[k] = x->dims[k], m.stride[k] = s[k];
        m.dims[axis] = sz[i];
        m.base = off * s[axis];
        void *out = op_out_alloc(g, n, i);
        if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        map_apply(&m, op_host_data(x), out, op_host_esize(x));
    }
    return CLNN_STATUS_OK;
}

/* The executor runs nodes of one output: each used output becomes a Slice (version 1,
 * attributes) of the input. */
static clnn_status split_lower(clnn_graph *g, int node)
{
    int64_t sz[CLNN_MAX_NODE_OUTPUTS], off = 0;
    int axis;
    clnn_status st = split_sizes(g, &g->nodes[node], &axis, sz);
    if (st != CLNN_STATUS_OK) return st;
    const int no = g->nodes[node].noutputs, in = g->nodes[node].inputs[0];
    for (int i = 0; i < no; off += sz[i], i++) {
        const int out = g->nodes[node].outputs[i]; /* nodes may move as they grow */
        if (out < 0) continue;
        layout_attrs a;
        memset(&a, 0, sizeof a);
        a.nstarts = a.nends = a.naxes = 1;
        a.starts[0] = off;
        a.ends[0] = off + sz[i];
        a.axes[0] = axis;
        char name[512];
        snprintf(name, sizeof name, "%.400s#%d", g->nodes[node].name, i);
        if (clnn_graph_append_node(g, OP_SLICE, 1, name, &in, 1, &out, 1, &a) < 0)
            return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    }
    g->nodes[node].removed = true;
    return CLNN_STATUS_OK;
}

static const op_attr split_rows[] = {
    A_INT("axis", layout_attrs, axis, 0, -CLNN_MAX_DIMS, CLNN_MAX_DIMS - 1),
    A_INTS("split", layout_attrs, split, nsplit, 0, INT64_MAX, .until = 13),
    A_INT("num_outputs", layout_attrs, num_outputs, 0, 1, CLNN_MAX_NODE_OUTPUTS, .since = 18),
};

const clnn_op_def clnn_op_split = {
    .name = "Split",
    .since = {1, 2, 11, 13, 18},
    .min_in = 1, .max_in = 2, .max_out = CLNN_MAX_NODE_OUTPUTS,
    .optional_in = 1u << 1,
    OP_ATTRS(split_rows),
    .attr_size = sizeof(layout_attrs),
    .flags = OPF_ANY_TYPE,
    .infer = split_infer,
    .fold = split_fold,
    .lower = split_lower,
    .notes = "split sizes known when the session is created; num_outputs; runs as Slices",
};
