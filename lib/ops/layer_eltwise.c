/*
 * layer_eltwise.c - the binary elementwise operators (kernel binary_nd in kernels/eltwise.cl)
 * with numpy broadcasting up to 8-D followed by the node's fused activation, and Where
 * (where_nd, the same broadcasting across three inputs), their plain C references, and their
 * folds for integer shape arithmetic. Comparisons give BOOL, held on a device as exact 0 / 1
 * floats, which And, Or, Xor, Equal and Where's condition read as such.
 *
 * Broadcasting: both operands are aligned to the output's rank; dimensions of extent 1 are
 * dropped and neighbouring dimensions merge while each operand either steps through both
 * contiguously or repeats both. [N,C,H,W] + [C,1,1] becomes [N, C, H*W] with strides
 * (C*H*W, H*W, 1) and (0, 1, 0); same shapes or a scalar become one dimension. The kernel
 * walks the innermost remaining dimension across work-items, where each operand's stride is
 * 1 or 0 (compiled in), the next one along launch dimension 1 and the rest along dimension 2
 * (divided back into dimensions only when more than three are left).
 */
#include "layer_small.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The binary functions, as kernels/eltwise.cl numbers them (BINARY_OP). */
enum binop {
    BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_POW, BIN_MIN, BIN_MAX, BIN_PRELU,
    BIN_EQUAL, BIN_LESS, BIN_GREATER, BIN_LESS_EQUAL, BIN_GREATER_EQUAL, BIN_MOD, BIN_FMOD,
    BIN_AND, BIN_OR, BIN_XOR, BIN_NONE
};

typedef struct binary_attrs {
    int fmod;      /* Mod */
    int broadcast; /* before version 7: numpy broadcasting is a superset of it */
    int64_t axis;  /* before version 7: an explicit alignment, refused */
} binary_attrs;

static enum binop binop_of(clnn_op op)
{
    switch (op) {
    case OP_ADD: case OP_SUM: case OP_MEAN: return BIN_ADD;
    case OP_SUB: return BIN_SUB;
    case OP_MUL: return BIN_MUL;
    case OP_DIV: return BIN_DIV;
    case OP_POW: return BIN_POW;
    case OP_MIN: return BIN_MIN;
    case OP_MAX: return BIN_MAX;
    case OP_PRELU: return BIN_PRELU;
    case OP_EQUAL: return BIN_EQUAL;
    case OP_LESS: return BIN_LESS;
    case OP_GREATER: return BIN_GREATER;
    case OP_LESS_OR_EQUAL: return BIN_LESS_EQUAL;
    case OP_GREATER_OR_EQUAL: return BIN_GREATER_EQUAL;
    case OP_MOD: return BIN_MOD;
    case OP_AND: return BIN_AND;
    case OP_OR: return BIN_OR;
    case OP_XOR: return BIN_XOR;
    default: return BIN_NONE;
    }
}

static bool is_comparison(enum binop b) { return b >= BIN_EQUAL && b <= BIN_GREATER_EQUAL; }
static bool is_logical(enum binop b) { return b >= BIN_AND && b <= BIN_XOR; }

/* The binary function of node n on floats (what the kernel computes, in the same float
 * operations where those are exact). */
static float binary_f(enum binop op, float a, float b)
{
    switch (op) {
    case BIN_ADD: return a + b;
    case BIN_SUB: return a - b;
    case BIN_MUL: return a * b;
    case BIN_DIV: return a / b;
    case BIN_POW: return (float)pow((double)a, (double)b);
    case BIN_MIN: return isnan(a) || a < b ? a : b;
    case BIN_MAX: return isnan(a) || a > b ? a : b;
    case BIN_PRELU: return a < 0.0f ? a * b : a;
    case BIN_EQUAL: return a == b;
    case BIN_LESS: return a < b;
    case BIN_GREATER: return a > b;
    case BIN_LESS_EQUAL: return a <= b;
    case BIN_GREATER_EQUAL: return a >= b;
    case BIN_FMOD: return fmodf(a, b);
    case BIN_AND: return (a != 0) && (b != 0);
    case BIN_OR: return (a != 0) || (b != 0);
    case BIN_XOR: return (a != 0) != (b != 0);
    default: return NAN;
    }
}

/* The same on integers (shape arithmetic, folded): false on overflow or division by 0. */
static bool binary_i(enum binop op, int64_t a, int64_t b, int64_t *r)
{
    switch (op) {
    case BIN_ADD: return op_add_ok(a, b, r);
    case BIN_SUB: return !__builtin_sub_overflow(a, b, r);
    case BIN_MUL: return op_mul_ok(a, b, r);
    case BIN_DIV: /* truncation toward zero, as C and ONNX's reference */
        if (b == 0 || (a == INT64_MIN && b == -1)) return false;
        *r = a / b;
        return true;
    case BIN_MOD: /* the sign of the divisor (fmod 0), as Python's % */
    case BIN_FMOD: /* the sign of the dividend (fmod 1), as C's % */
        if (b == 0 || (a == INT64_MIN && b == -1)) return false;
        *r = a % b;
        if (op == BIN_MOD && *r != 0 && ((*r < 0) != (b < 0))) *r += b;
        return true;
    case BIN_POW: { /* by squaring: at most 63 steps before any |a| > 1 overflows */
        if (b < 0) return false;
        int64_t v = 1, base = a;
        if (a == 0 || a == 1) {
            *r = b == 0 ? 1 : a;
            return true;
        }
        if (a == -1) {
            *r = b % 2 ? -1 : 1;
            return true;
        }
        for (int64_t e = b; e > 0; e >>= 1) {
            if ((e & 1) && !op_mul_ok(v, base, &v)) return false;
            if (e > 1 && !op_mul_ok(base, base, &base)) return false;
        }
        *r = v;
        return true;
    }
    case BIN_MIN: *r = a < b ? a : b; return true;
    case BIN_MAX: *r = a > b ? a : b; return true;
    case BIN_EQUAL: *r = a == b; return true;
    case BIN_LESS: *r = a < b; return true;
    case BIN_GREATER: *r = a > b; return true;
    case BIN_LESS_EQUAL: *r = a <= b; return true;
    case BIN_GREATER_EQUAL: *r = a >= b; return true;
    case BIN_AND: *r = a && b; return true;
    case BIN_OR: *r = a || b; return true;
    case BIN_XOR: *r = !a != !b; return true;
    default: return false;
    }
}

static enum binop node_binop(const gnode *n)
{
    enum binop b = binop_of(n->op);
    if (b == BIN_MOD && OP_A(n, binary_attrs)->fmod) b = BIN_FMOD;
    return b;
}

/* Offset of output element i (of y) in input t under numpy broadcasting. */
static size_t bcast_offset(const gtensor *y, const gtensor *t, size_t i)
{
    size_t off = 0, step = 1;
    for (int d = y->ndim - 1; d >= 0; d--) {
        const size_t q = i % (size_t)y->dims[d];
        i /= (size_t)y->dims[d];
        const int dt = d - (y->ndim - t->ndim);
        if (dt < 0) break;
        if (t->dims[dt] != 1) off += q * step;
        step *= (size_t)t->dims[dt];
    }
    return off;
}

/* ---- Add / Mul with broadcasting ------------------------------------------------------- */

typedef struct binary_state {
    clnn_context *ctx;
    clnn_device *dev;
    char *node;
    const char *op;
    cl_kernel k;
    cl_int8 shape, sa, sb; /* collapsed, innermost first */
    int rank, outer, rest; /* rest: the product of collapsed dimensions 2.. */
    bool split;            /* rows beyond a GPU's grid: the SPLIT_ROWS form */
    float act_a, act_b;
    size_t count, a_count, b_count, local;
    char desc[96];
} binary_state;

/* Aligns the nt operands t[] to y's rank and collapses the broadcast (see the banner).
 * Writes extents and each operand's strides innermost first, padded with extent 1 / stride
 * 0, and returns the rank (>= 1). */
static int collapse(const gtensor *y, const gtensor *const *t, int nt, int *dims,
                    int (*st)[CLNN_MAX_DIMS])
{
    const int nd = y->ndim;
    int64_t step[3] = {1, 1, 1};
    int r = 0;
    for (int i = 0; i < CLNN_MAX_DIMS; i++) {
        dims[i] = 1;
        for (int k = 0; k < nt; k++) st[k][i] = 0;
    }
    for (int i = nd - 1; i >= 0; i--) {
        const int64_t d = y->dims[i];
        int64_t x[3];
        bool merge = r > 0;
        for (int k = 0; k < nt; k++) {
            const int ik = i - (nd - t[k]->ndim);
            const int64_t dk = ik >= 0 ? t[k]->dims[ik] : 1;
            x[k] = dk == 1 ? 0 : step[k];
            step[k] *= dk;
            if (r > 0 && x[k] != (int64_t)st[k][r - 1] * dims[r - 1]) merge = false;
        }
        if (d == 1) continue;
        if (merge) {
            dims[r - 1] *= (int)d;
            continue;
        }
        dims[r] = (int)d;
        for (int k = 0; k < nt; k++) st[k][r] = (int)x[k];
        r++;
    }
    return r ? r : 1;
}

static void binary_destroy(void *state)
{
    binary_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s);
}

static clnn_status binary_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                  const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    const enum binop bop = node_binop(n);
    if (bop == BIN_NONE || bop == BIN_MOD || n->ninputs != 2)
        return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "node '%s' (%s): not a binary layer",
                         n->name, op);
    const gtensor *a = clnn_node_input(g, n, 0), *b = clnn_node_input(g, n, 1);
    const gtensor *y = clnn_node_output(g, n);
    clnn_status st = small_count_ok(ctx, n->name, op, clnn_tensor_count(y));
    if (st != CLNN_STATUS_OK) return st;
    binary_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->dev = dev;
    s->op = op;
    s->count = clnn_tensor_count(y);
    s->a_count = clnn_tensor_count(a);
    s->b_count = clnn_tensor_count(b);
    int dims[CLNN_MAX_DIMS], str[2][CLNN_MAX_DIMS];
    const gtensor *ops[2] = {a, b};
    s->rank = collapse(y, ops, 2, dims, str);
    const int *sa = str[0], *sb = str[1];
    for (int i = 0; i < CLNN_MAX_DIMS; i++) {
        s->shape.s[i] = dims[i];
        s->sa.s[i] = sa[i];
        s->sb.s[i] = sb[i];
    }
    s->outer = (int)(s->count / (size_t)dims[0]);
    s->act_a = n->fused.act_a;
    s->act_b = n->fused.act_b;
    s->local = small_local(dev, (size_t)dims[0]);
    /* The innermost stride of an operand is 1 or 0 (every dimension inside it has extent 1). */
    if ((sa[0] != 0 && sa[0] != 1) || (sb[0] != 0 && sb[0] != 1)) {
        binary_destroy(s);
        return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "node '%s' (%s): innermost strides %d, %d",
                         n->name, op, sa[0], sb[0]);
    }
    s->rest = s->outer / dims[1];
    s->split = dims[1] > SMALL_MAX_GROUPS_YZ || s->rest > SMALL_MAX_GROUPS_YZ;
    char opts[128];
    snprintf(opts, sizeof opts,
             "-DACT=%d -DBINARY_OP=%d -DA_INNER=%d -DB_INNER=%d -DNDIM=%d -DSPLIT_ROWS=%d",
             (int)n->fused.act, (int)bop, sa[0], sb[0], s->rank, s->split);
    st = clnn_kernel_create(ctx, dev, "eltwise", opts, "binary_nd", &s->k);
    if (st != CLNN_STATUS_OK) {
        binary_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    snprintf(s->desc, sizeof s->desc, "broadcast over %d dim%s, %d x %d", s->rank,
             s->rank == 1 ? "" : "s", dims[0], s->outer);
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status binary_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                  cl_uint nw, const cl_event *w, cl_event *done)
{
    binary_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], s->a_count, "input A");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->in[1], s->b_count, "input B");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->out, s->count, "output");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->in[1]), CLNN_ARG(io->out),
                       CLNN_ARG(s->shape),  CLNN_ARG(s->sa),    CLNN_ARG(s->sb),
                       CLNN_ARG(s->outer),  CLNN_ARG(s->act_a), CLNN_ARG(s->act_b)};
    st = clnn_set_args(s->ctx, s->k, "binary_nd", args, CLNN_ARRAY_LEN(args));
    size_t g[3] = {(size_t)s->shape.s[0], (size_t)s->shape.s[1], (size_t)s->rest};
    size_t l[3] = {s->local, 1, 1};
    if (s->split) small_split((size_t)s->outer, &g[1], &g[2]);
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "binary_nd", 3, g, l, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

/* Plain N-D broadcasting over the original shapes (no collapsing), then the activation. */
static clnn_status binary_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                    const float *residual, float *out)
{
    (void)residual;
    const gtensor *a = clnn_node_input(g, n, 0), *b = clnn_node_input(g, n, 1);
    const gtensor *y = clnn_node_output(g, n);
    const enum binop op = node_binop(n);
    const size_t count = clnn_tensor_count(y);
    for (size_t i = 0; i < count; i++) {
        const float v = binary_f(op, in[0][bcast_offset(y, a, i)], in[1][bcast_offset(y, b, i)]);
        out[i] = clnn_ref_activate(v, n->fused.act, n->fused.act_a, n->fused.act_b);
    }
    return CLNN_STATUS_OK;
}

static const char *binary_describe(const void *state)
{
    return ((const binary_state *)state)->desc;
}

const clnn_layer_impl clnn_layer_binary = {
    .name = "binary",
    .strided_output = false,
    .prepare = binary_prepare,
    .enqueue = binary_enqueue,
    .reference = binary_reference,
    .destroy = binary_destroy,
    .describe = binary_describe,
};

/* ---- definitions -------------------------------------------------------------------------- */

/* PRelu before version 7 applies a 1-D slope of C values along the channels (axis 1), not
 * numpy-style: the node reads a copy of the slope shaped [C, 1, ..., 1] instead. */
static clnn_status legacy_prelu_slope(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0), *s = op_in(g, n, 1);
    if (n->op != OP_PRELU || n->version >= 7 || x->ndim < 3 || s->ndim != 1 ||
        s->dims[0] != x->dims[1] || s->dims[0] == 1)
        return CLNN_STATUS_OK;
    if (!s->data)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "the slope '%s' must be a constant", s->name);
    char name[600];
    snprintf(name, sizeof name, "%.500s#slope", n->name);
    int64_t d[CLNN_MAX_DIMS];
    const int nd = x->ndim - 1;
    for (int i = 0; i < nd; i++) d[i] = i == 0 ? s->dims[0] : 1;
    int t = clnn_graph_find_tensor(g, name);
    if (t < 0) {
        clnn_status st = clnn_graph_add_constant(g, name, d, (size_t)nd, op_in(g, n, 1)->data);
        if (st != CLNN_STATUS_OK) return st;
        t = g->ntensors - 1;
    }
    n->inputs[1] = t;
    return CLNN_STATUS_OK;
}

/* Types: both float, both integer (shape values, folded), or Pow's float base with an
 * integer exponent; comparisons give BOOL, the logical ones take BOOL. */
static clnn_status nary_infer(clnn_graph *g, gnode *n)
{
    const enum binop op = node_binop(n);
    clnn_status lst = legacy_prelu_slope(g, n);
    if (lst != CLNN_STATUS_OK) return lst;
    const gtensor *x0 = op_in(g, n, 0);
    int64_t d[CLNN_MAX_DIMS];
    int nd = x0->ndim;
    memcpy(d, x0->dims, sizeof d);
    for (int i = 1; i < n->ninputs; i++) {
        const gtensor *x = op_in(g, n, i);
        char s1[160], s2[160];
        if (!op_broadcast(d, nd, x->dims, x->ndim, d, &nd))
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "shapes %s and %s do not broadcast",
                           clnn_shape_str(x0->dims, x0->ndim, s1, sizeof s1),
                           clnn_shape_str(x->dims, x->ndim, s2, sizeof s2));
        const bool mixed_pow = op == BIN_POW && x0->dtype == CLNN_DTYPE_FLOAT;
        if (op == BIN_POW && x0->dtype != CLNN_DTYPE_FLOAT && x->dtype == CLNN_DTYPE_FLOAT)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "an integer base with a float exponent is not supported");
        if (x->dtype != x0->dtype && !mixed_pow)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "inputs of types %s and %s",
                           clnn_dtype_name(x0->dtype), clnn_dtype_name(x->dtype));
    }
    if (is_logical(op) && x0->dtype != CLNN_DTYPE_BOOL)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "inputs must be BOOL");
    if (op == BIN_MOD && x0->dtype == CLNN_DTYPE_FLOAT)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "fmod must be 1 for float inputs");
    clnn_dtype out = is_comparison(op) ? CLNN_DTYPE_BOOL : x0->dtype;
    return op_set_out(g, n, 0, out, d, nd);
}

/* Any number of inputs on the host: floats through binary_f, integers checked. */
static clnn_status nary_fold(clnn_graph *g, gnode *n)
{
    const enum binop op = node_binop(n);
    const gtensor *y = op_out(g, n, 0), *x0 = op_in(g, n, 0);
    const size_t count = clnn_tensor_count(y);
    void *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    const bool ints = x0->dtype != CLNN_DTYPE_FLOAT;
    for (size_t i = 0; i < count; i++) {
        if (ints) {
            int64_t acc = x0->idata[bcast_offset(y, x0, i)];
            for (int k = 1; k < n->ninputs; k++) {
                const gtensor *x = op_in(g, n, k);
                if (!binary_i(op, acc, x->idata[bcast_offset(y, x, i)], &acc))
                    return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                                   "integer overflow or division by zero at element %zu", i);
            }
            if (n->op == OP_MEAN) acc /= n->ninputs;
            ((int64_t *)out)[i] = acc;
        } else {
            float acc = x0->data[bcast_offset(y, x0, i)];
            for (int k = 1; k < n->ninputs; k++) {
                const gtensor *x = op_in(g, n, k);
                const size_t o = bcast_offset(y, x, i);
                acc = binary_f(op, acc, x->data ? x->data[o] : (float)x->idata[o]);
            }
            if (n->op == OP_MEAN) acc /= (float)n->ninputs;
            if (y->dtype == CLNN_DTYPE_FLOAT)
                ((float *)out)[i] = acc;
            else
                ((int64_t *)out)[i] = acc != 0.0f;
        }
    }
    return CLNN_STATUS_OK;
}

/* Variadic Sum, Mean, Min, Max run as a chain of binary layers (the last of a Mean scaled
 * by 1 / n in its epilogue); one input is an Identity. */
static clnn_status nary_lower(clnn_graph *g, int node)
{
    gnode *n = &g->nodes[node];
    const int count = n->ninputs;
    if (count == 2 && n->op != OP_MEAN) return CLNN_STATUS_OK;
    if (count == 1) {
        if (n->op == OP_MEAN || n->op == OP_SUM || n->op == OP_MIN || n->op == OP_MAX) {
            n->op = OP_IDENTITY;
            n->version = 1;
        }
        return CLNN_STATUS_OK;
    }
    const clnn_op binop = n->op == OP_MEAN || n->op == OP_SUM ? OP_ADD : n->op;
    int acc = n->inputs[0];
    char name[600];
    for (int k = 1; k < count; k++) {
        const bool last = k == count - 1;
        int out = g->nodes[node].outputs[0];
        if (!last) {
            snprintf(name, sizeof name, "%.500s#%d", g->nodes[node].name, k);
            out = clnn_graph_new_tensor(g, name);
            if (out < 0) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        }
        int ins[2] = {acc, g->nodes[node].inputs[k]};
        snprintf(name, sizeof name, "%.500s%s%d", g->nodes[node].name, last ? "" : "#", k);
        int idx = clnn_graph_append_node(g, binop, 14, last ? g->nodes[node].name : name, ins, 2,
                                         &out, 1, NULL);
        if (idx < 0) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        if (last && g->nodes[node].op == OP_MEAN) {
            gnode *m = &g->nodes[idx];
            m->fused.act = CLNN_ACTIVATION_AFFINE;
            m->fused.act_a = 1.0f / (float)count;
            m->fused.act_b = 0.0f;
            snprintf(m->fused.label, sizeof m->fused.label, "Mean");
        }
        acc = out;
    }
    g->nodes[node].removed = true;
    return CLNN_STATUS_OK;
}

static node_work binary_work(const clnn_graph *g, const gnode *n)
{
    node_work w = op_io_work(g, n);
    w.kernels = n->ninputs > 1 ? n->ninputs - 1 : 1;
    return w;
}

static const op_attr legacy_axis_rows[] = {
    A_INT("broadcast", binary_attrs, broadcast, 0, 0, 1, .until = 7),
    A_IGNORE("consumed_inputs", .until = 6),
    A_INT("axis", binary_attrs, axis, 0, INT64_MIN, INT64_MAX, .until = 7),
};
static const op_attr mod_rows[] = {A_INT("fmod", binary_attrs, fmod, 0, 0, 1)};
static const op_attr no_rows[] = {A_IGNORE("consumed_inputs", .until = 6)};

/* Before version 7 an explicit broadcast axis aligned B elsewhere than numpy does. */
static clnn_status legacy_check(gnode *n)
{
    if (op_attr_given(n, "axis"))
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "attribute 'axis' (legacy broadcasting) is not supported");
    return CLNN_STATUS_OK;
}

#define BINARY(var, nm, rows, ...)                                                            \
    const clnn_op_def var = {                                                                 \
        .name = nm,                                                                           \
        .min_in = 2, .max_in = 2, .max_out = 1,                                               \
        OP_ATTRS(rows),                                                                       \
        .attr_size = sizeof(binary_attrs),                                                    \
        .infer = nary_infer,                                                                  \
        .fold = nary_fold,                                                                    \
        .layer = &clnn_layer_binary,                                                          \
        .work = binary_work,                                                                  \
        __VA_ARGS__}
#define NARY(var, nm, ...)                                                                    \
    const clnn_op_def var = {                                                                 \
        .name = nm,                                                                           \
        .min_in = 1, .max_in = CLNN_MAX_NODE_INPUTS, .max_out = 1,                            \
        OP_ATTRS(no_rows),                                                                    \
        .attr_size = sizeof(binary_attrs),                                                    \
        .infer = nary_infer,                                                                  \
        .fold = nary_fold,                                                                    \
        .layer = &clnn_layer_binary,                                                          \
        .work = binary_work,                                                                  \
        .lower = nary_lower,                                                                  \
        .notes = "numpy broadcasting, any number of inputs",                                  \
        __VA_ARGS__}

#define BCAST_NOTE "numpy broadcasting"
BINARY(clnn_op_add, "Add", legacy_axis_rows, .since = {1, 6, 7, 13, 14}, .check = legacy_check,
       .notes = BCAST_NOTE "; a residual Add after a Conv is fused into it");
BINARY(clnn_op_sub, "Sub", legacy_axis_rows, .since = {1, 6, 7, 13, 14}, .check = legacy_check,
       .notes = BCAST_NOTE);
BINARY(clnn_op_mul, "Mul", legacy_axis_rows, .since = {1, 6, 7, 13, 14}, .check = legacy_check,
       .notes = BCAST_NOTE);
BINARY(clnn_op_div, "Div", legacy_axis_rows, .since = {1, 6, 7, 13, 14}, .check = legacy_check,
       .notes = BCAST_NOTE);
BINARY(clnn_op_pow, "Pow", legacy_axis_rows, .since = {1, 7, 12, 13, 15}, .check = legacy_check,
       .notes = BCAST_NOTE);
BINARY(clnn_op_prelu, "PRelu", no_rows, .since = {1, 6, 7, 9, 16},
       .notes = "slope broadcasting to the input");
BINARY(clnn_op_equal, "Equal", legacy_axis_rows, .since = {1, 7, 11, 13, 19},
       .check = legacy_check, .flags = OPF_BOOL_IN);
BINARY(clnn_op_less, "Less", legacy_axis_rows, .since = {1, 7, 9, 13}, .check = legacy_check);
BINARY(clnn_op_greater, "Greater", legacy_axis_rows, .since = {1, 7, 9, 13},
       .check = legacy_check);
BINARY(clnn_op_less_or_equal, "LessOrEqual", no_rows, .since = {12, 16});
BINARY(clnn_op_greater_or_equal, "GreaterOrEqual", no_rows, .since = {12, 16});
BINARY(clnn_op_and, "And", legacy_axis_rows, .since = {1, 7}, .check = legacy_check,
       .flags = OPF_BOOL_IN, .notes = BCAST_NOTE);
BINARY(clnn_op_or, "Or", legacy_axis_rows, .since = {1, 7}, .check = legacy_check,
       .flags = OPF_BOOL_IN, .notes = BCAST_NOTE);
BINARY(clnn_op_xor, "Xor", legacy_axis_rows, .since = {1, 7}, .check = legacy_check,
       .flags = OPF_BOOL_IN, .notes = BCAST_NOTE);
BINARY(clnn_op_mod, "Mod", mod_rows, .since = {10, 13},
       .notes = "integers (folded) and floats with fmod 1");
NARY(clnn_op_sum, "Sum", .since = {1, 6, 8, 13});
NARY(clnn_op_mean, "Mean", .since = {1, 6, 8, 13});
NARY(clnn_op_min, "Min", .since = {1, 6, 8, 12, 13});
NARY(clnn_op_max, "Max", .since = {1, 6, 8, 12, 13});

/* ---- Where ---------------------------------------------------------------------------- */

/* Y = C ? X : Y broadcast across all three (kernel where_nd): the condition is BOOL, 0 / 1
 * floats on the device; the values float or integers held as floats, moved unchanged. With
 * every input a constant it folds on the host instead, exactly on integers (shape values). */
typedef struct where_state {
    clnn_context *ctx;
    char *node;
    cl_kernel k;
    cl_int8 shape, sc, sx, sy;
    int outer, rest;
    bool split;
    size_t count, in_count[3], local;
    char desc[96];
} where_state;

static void where_destroy(void *state)
{
    where_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s);
}

static clnn_status where_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                 const gnode *n, void **state)
{
    *state = NULL;
    const gtensor *y = clnn_node_output(g, n);
    const gtensor *ops[3];
    for (int k = 0; k < 3; k++) {
        ops[k] = clnn_node_input(g, n, k);
        if (!ops[k])
            return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "node '%s' (Where): input %d missing",
                             n->name, k);
    }
    clnn_status st = small_count_ok(ctx, n->name, "Where", clnn_tensor_count(y));
    if (st != CLNN_STATUS_OK) return st;
    where_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (Where)", n->name);
    }
    s->ctx = ctx;
    s->count = clnn_tensor_count(y);
    for (int k = 0; k < 3; k++) s->in_count[k] = clnn_tensor_count(ops[k]);
    int dims[CLNN_MAX_DIMS], str[3][CLNN_MAX_DIMS];
    const int rank = collapse(y, ops, 3, dims, str);
    for (int i = 0; i < CLNN_MAX_DIMS; i++) {
        s->shape.s[i] = dims[i];
        s->sc.s[i] = str[0][i];
        s->sx.s[i] = str[1][i];
        s->sy.s[i] = str[2][i];
    }
    for (int k = 0; k < 3; k++)
        if (str[k][0] != 0 && str[k][0] != 1) {
            where_destroy(s);
            return clnn_fail(ctx, CLNN_STATUS_INTERNAL,
                             "node '%s' (Where): innermost stride %d of input %d", n->name,
                             str[k][0], k);
        }
    s->outer = (int)(s->count / (size_t)dims[0]);
    s->rest = s->outer / dims[1];
    s->split = dims[1] > SMALL_MAX_GROUPS_YZ || s->rest > SMALL_MAX_GROUPS_YZ;
    s->local = small_local(dev, (size_t)dims[0]);
    char opts[128];
    snprintf(opts, sizeof opts, "-DC_INNER=%d -DA_INNER=%d -DB_INNER=%d -DNDIM=%d -DSPLIT_ROWS=%d",
             str[0][0], str[1][0], str[2][0], rank, s->split);
    st = clnn_kernel_create(ctx, dev, "eltwise", opts, "where_nd", &s->k);
    if (st != CLNN_STATUS_OK) {
        where_destroy(s);
        return small_fail(ctx, n->name, "Where", st);
    }
    snprintf(s->desc, sizeof s->desc, "broadcast over %d dim%s, %d x %d", rank,
             rank == 1 ? "" : "s", dims[0], s->outer);
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status where_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                 cl_uint nw, const cl_event *w, cl_event *done)
{
    where_state *s = state;
    static const char *const what[3] = {"condition", "input X", "input Y"};
    clnn_status st = CLNN_STATUS_OK;
    for (int k = 0; k < 3 && st == CLNN_STATUS_OK; k++)
        st = small_check(s->ctx, s->node, "Where", io->in[k], s->in_count[k], what[k]);
    if (st == CLNN_STATUS_OK) st = small_check(s->ctx, s->node, "Where", io->out, s->count, "output");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->in[1]), CLNN_ARG(io->in[2]),
                       CLNN_ARG(io->out),   CLNN_ARG(s->shape),  CLNN_ARG(s->sc),
                       CLNN_ARG(s->sx),     CLNN_ARG(s->sy),     CLNN_ARG(s->outer)};
    st = clnn_set_args(s->ctx, s->k, "where_nd", args, CLNN_ARRAY_LEN(args));
    size_t g[3] = {(size_t)s->shape.s[0], (size_t)s->shape.s[1], (size_t)s->rest};
    size_t l[3] = {s->local, 1, 1};
    if (s->split) small_split((size_t)s->outer, &g[1], &g[2]);
    if (st == CLNN_STATUS_OK) st = clnn_launch(s->ctx, q, s->k, "where_nd", 3, g, l, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, "Where", st);
}

static clnn_status where_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                   const float *residual, float *out)
{
    (void)residual;
    const gtensor *c = clnn_node_input(g, n, 0), *x = clnn_node_input(g, n, 1);
    const gtensor *yv = clnn_node_input(g, n, 2), *o = clnn_node_output(g, n);
    const size_t count = clnn_tensor_count(o);
    for (size_t i = 0; i < count; i++)
        out[i] = in[0][bcast_offset(o, c, i)] != 0.0f ? in[1][bcast_offset(o, x, i)]
                                                      : in[2][bcast_offset(o, yv, i)];
    return CLNN_STATUS_OK;
}

static const char *where_describe(const void *state)
{
    return ((const where_state *)state)->desc;
}

static const clnn_layer_impl clnn_layer_where = {
    .name = "where",
    .prepare = where_prepare,
    .enqueue = where_enqueue,
    .reference = where_reference,
    .destroy = where_destroy,
    .describe = where_describe,
};

static clnn_status where_infer(clnn_graph *g, gnode *n)
{
    const gtensor *c = op_in(g, n, 0), *x = op_in(g, n, 1), *y = op_in(g, n, 2);
    int64_t d[CLNN_MAX_DIMS];
    int nd;
    if (c->dtype != CLNN_DTYPE_BOOL || x->dtype != y->dtype)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "the condition must be BOOL and both values of one type");
    if (!op_broadcast(c->dims, c->ndim, x->dims, x->ndim, d, &nd) ||
        !op_broadcast(d, nd, y->dims, y->ndim, d, &nd))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "the inputs do not broadcast");
    return op_set_out(g, n, 0, x->dtype, d, nd);
}

static clnn_status where_fold(clnn_graph *g, gnode *n)
{
    const gtensor *c = op_in(g, n, 0), *x = op_in(g, n, 1), *y = op_in(g, n, 2);
    const gtensor *o = op_out(g, n, 0);
    const size_t count = clnn_tensor_count(o), es = op_host_esize(o);
    unsigned char *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i < count; i++) {
        const gtensor *src = c->idata[bcast_offset(o, c, i)] ? x : y;
        memcpy(out + i * es, (const unsigned char *)op_host_data(src) + bcast_offset(o, src, i) * es,
               es);
    }
    return CLNN_STATUS_OK;
}

const clnn_op_def clnn_op_where = {
    .name = "Where",
    .since = {9, 16},
    .min_in = 3, .max_in = 3, .max_out = 1,
    .flags = OPF_ANY_TYPE, /* moves X / Y; reads the BOOL condition as 0 / 1 */
    .infer = where_infer,
    .fold = where_fold,
    .layer = &clnn_layer_where,
    .work = op_io_work,
    .notes = "numpy broadcasting across all three",
};
