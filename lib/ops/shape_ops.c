/*
 * shape_ops.c - the operators of exporters' shape arithmetic, computed on the host when a
 * session is created: Shape and Size (from the input's inferred shape alone), Cast,
 * ConstantOfShape and Range. Their values feed Reshape targets, Resize sizes and Pad
 * amounts; none of them reaches a device, except a Cast that changes nothing a device holds
 * (to FLOAT, or to the type it has), which the passes remove.
 */
#include "layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Elements a host-computed tensor may have (Range, ConstantOfShape). */
#define HOST_MAX_ELEMENTS ((int64_t)1 << 26)

typedef struct shape_attrs {
    int64_t start, end; /* Shape 15 */
    int64_t to;         /* Cast */
    int to_name;        /* Cast 1: the type as a string (its ONNX code: index in type_names) */
    int saturate;       /* Cast 19 (float8 only: meaningless here) */
    op_scalar value;    /* ConstantOfShape */
} shape_attrs;

/* ---- Shape, Size ------------------------------------------------------------------------- */

/* Shape's [start, end) clamped to the rank (version 15). */
static void shape_range(const gnode *n, int rank, int *b, int *e)
{
    const shape_attrs *a = OP_A(n, shape_attrs);
    int64_t s = a->start, t = op_attr_given(n, "end") ? a->end : rank;
    if (s < 0) s += rank;
    if (t < 0) t += rank;
    *b = (int)(s < 0 ? 0 : s > rank ? rank : s);
    *e = (int)(t < 0 ? 0 : t > rank ? rank : t);
    if (*e < *b) *e = *b;
}

static clnn_status shape_infer(clnn_graph *g, gnode *n)
{
    int b, e;
    shape_range(n, op_in(g, n, 0)->ndim, &b, &e);
    int64_t d = e - b;
    return op_set_out(g, n, 0, CLNN_DTYPE_INT64, &d, 1);
}

static clnn_status shape_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    int b, e;
    shape_range(n, x->ndim, &b, &e);
    int64_t *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    for (int i = b; i < e; i++) out[i - b] = x->dims[i];
    return CLNN_STATUS_OK;
}

static const op_attr shape_rows[] = {
    A_INT("start", shape_attrs, start, 0, INT64_MIN, INT64_MAX, .since = 15),
    A_INT("end", shape_attrs, end, 0, INT64_MIN, INT64_MAX, .since = 15),
};

const clnn_op_def clnn_op_shape = {
    .name = "Shape",
    .since = {1, 13, 15, 19},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(shape_rows),
    .attr_size = sizeof(shape_attrs),
    .flags = OPF_HOST_ONLY | OPF_SHAPE_ONLY,
    .infer = shape_infer,
    .fold = shape_fold,
    .notes = "computed when the session is created",
};

static clnn_status size_infer(clnn_graph *g, gnode *n)
{
    return op_set_out(g, n, 0, CLNN_DTYPE_INT64, NULL, 0);
}

static clnn_status size_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    int64_t *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    out[0] = clnn_shape_count(x->dims, x->ndim);
    return CLNN_STATUS_OK;
}

const clnn_op_def clnn_op_size = {
    .name = "Size",
    .since = {1, 13, 19},
    .min_in = 1, .max_in = 1, .max_out = 1,
    .flags = OPF_HOST_ONLY | OPF_SHAPE_ONLY,
    .infer = size_infer,
    .fold = size_fold,
    .notes = "computed when the session is created",
};

/* ---- Cast ------------------------------------------------------------------------------- */

/* ONNX element types Cast may name, and the type clnn carries them as. */
static clnn_dtype carried(int64_t onnx_type)
{
    switch (onnx_type) {
    case 1: return CLNN_DTYPE_FLOAT;
    case 6: /* INT32 */
    case 7: return CLNN_DTYPE_INT64;
    case 9: return CLNN_DTYPE_BOOL;
    default: return CLNN_DTYPE_UNDEFINED;
    }
}

static clnn_status cast_check(gnode *n)
{
    shape_attrs *a = n->attrs;
    if (n->version < 6) a->to = a->to_name;
    const int64_t to = a->to;
    if (carried(to) == CLNN_DTYPE_UNDEFINED)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                       "cast to ONNX element type %lld: clnn carries FLOAT, INT32 (as INT64), "
                       "INT64 and BOOL tensors", (long long)to);
    return CLNN_STATUS_OK;
}

static clnn_status cast_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    return op_set_out(g, n, 0, carried(OP_A(n, shape_attrs)->to), x->dims, x->ndim);
}

static clnn_status cast_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    const gtensor *y = op_out(g, n, 0);
    const int64_t to = OP_A(n, shape_attrs)->to;
    const size_t count = clnn_tensor_count(x);
    void *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i < count; i++) {
        if (y->dtype == CLNN_DTYPE_FLOAT) {
            ((float *)out)[i] = x->data ? x->data[i] : (float)x->idata[i];
            continue;
        }
        int64_t v;
        if (x->data) {
            const float f = x->data[i];
            if (y->dtype == CLNN_DTYPE_BOOL) {
                v = f != 0.0f;
            } else {
                /* Float to integer truncates toward zero; out of range is an error. */
                if (!(fabsf(f) < 9.2e18f))
                    return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                                   "value %g at %zu does not fit an integer", (double)f, i);
                v = (int64_t)f;
            }
        } else {
            v = x->idata[i];
            if (y->dtype == CLNN_DTYPE_BOOL) v = v != 0;
        }
        if (to == 6) v = (int32_t)(uint32_t)(uint64_t)v; /* INT32 wraps */
        ((int64_t *)out)[i] = v;
    }
    return CLNN_STATUS_OK;
}

/* At run time a Cast changes nothing a device holds when it casts to FLOAT (integers and
 * booleans are held as floats there) or to the input's own type: the pass removes it.
 * Float to integer on a device is refused (clnn_graph_compile). */
static clnn_status cast_lower(clnn_graph *g, int node)
{
    gnode *n = &g->nodes[node];
    const gtensor *x = op_in(g, n, 0), *y = op_out(g, n, 0);
    if (y->dtype == CLNN_DTYPE_FLOAT || y->dtype == x->dtype) {
        n->op = OP_IDENTITY;
        n->version = 1;
    }
    return CLNN_STATUS_OK;
}

/* TensorProto.DataType names in code order (Cast 1 names the type). */
static const char *const type_names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
    "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", NULL,
};

static const op_attr cast_rows[] = {
    A_ENUM("to", shape_attrs, to_name, type_names, 0, .until = 6, .required = true),
    A_INT("to", shape_attrs, to, 0, 0, 64, .since = 6, .required = true),
    A_INT("saturate", shape_attrs, saturate, 1, 0, 1, .since = 19),
};

const clnn_op_def clnn_op_cast = {
    .name = "Cast",
    .since = {1, 6, 9, 13, 19},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(cast_rows),
    .attr_size = sizeof(shape_attrs),
    .flags = OPF_ANY_TYPE,
    .check = cast_check,
    .infer = cast_infer,
    .fold = cast_fold,
    .lower = cast_lower,
    .notes = "FLOAT, INT32, INT64, BOOL; on a device only to FLOAT",
};

/* ---- ConstantOfShape, Range -------------------------------------------------------------- */

static clnn_status cos_infer(clnn_graph *g, gnode *n)
{
    int64_t dims[CLNN_MAX_DIMS];
    int nd;
    clnn_status st = op_const_ints(g, n, 0, "the shape", dims, CLNN_MAX_DIMS, &nd);
    if (st != CLNN_STATUS_OK) return st;
    int64_t count = 1;
    for (int i = 0; i < nd; i++)
        if (dims[i] < 0 || !op_mul_ok(count, dims[i], &count) || count > HOST_MAX_ELEMENTS)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "shape dimension %d is %lld (at most 2^26 elements in all)", i,
                           (long long)dims[i]);
    const op_scalar *v = &OP_A(n, shape_attrs)->value;
    clnn_dtype t = op_attr_given(n, "value") ? v->dtype : CLNN_DTYPE_FLOAT;
    return op_set_out(g, n, 0, t, dims, nd);
}

static clnn_status cos_fold(clnn_graph *g, gnode *n)
{
    const gtensor *y = op_out(g, n, 0);
    const op_scalar *v = &OP_A(n, shape_attrs)->value;
    const size_t count = clnn_tensor_count(y);
    void *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i < count; i++) {
        if (y->dtype == CLNN_DTYPE_FLOAT)
            ((float *)out)[i] = (float)v->f;
        else
            ((int64_t *)out)[i] = v->i;
    }
    return CLNN_STATUS_OK;
}

static const op_attr cos_rows[] = {A_SCALAR("value", shape_attrs, value)};

const clnn_op_def clnn_op_constant_of_shape = {
    .name = "ConstantOfShape",
    .since = {9, 20},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(cos_rows),
    .attr_size = sizeof(shape_attrs),
    .flags = OPF_HOST_ONLY,
    .infer = cos_infer,
    .fold = cos_fold,
    .notes = "computed when the session is created",
};

/* Range's three scalars as doubles (floats) or integers. */
static clnn_status range_args(const clnn_graph *g, const gnode *n, double *f, int64_t *v)
{
    for (int i = 0; i < 3; i++) {
        const gtensor *t = op_in(g, n, i);
        if (clnn_shape_count(t->dims, t->ndim) != 1 || t->ndim > 1)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "input '%s' must be a scalar", t->name);
        if (!clnn_tensor_is_const(t))
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "input '%s' must be known when the session is created", t->name);
        if (t->dtype != op_in(g, n, 0)->dtype)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "the inputs have different types");
        f[i] = t->data ? t->data[0] : (double)t->idata[0];
        v[i] = t->data ? 0 : t->idata[0];
    }
    return CLNN_STATUS_OK;
}

static clnn_status range_count(const gnode *n, const gtensor *t0, const double *f,
                               const int64_t *v, int64_t *count)
{
    double c;
    if (t0->dtype == CLNN_DTYPE_FLOAT) {
        if (f[2] == 0 || !isfinite(f[0]) || !isfinite(f[1]) || !isfinite(f[2]))
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "start, limit and delta must be finite "
                           "and delta not 0");
        c = ceil((f[1] - f[0]) / f[2]);
    } else {
        if (v[2] == 0) return op_fail(n, CLNN_STATUS_INVALID_MODEL, "delta is 0");
        c = ceil(((double)v[1] - (double)v[0]) / (double)v[2]);
    }
    if (c < 0) c = 0;
    if (c > (double)HOST_MAX_ELEMENTS)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "%g elements (at most 2^26)", c);
    *count = (int64_t)c;
    return CLNN_STATUS_OK;
}

static clnn_status range_infer(clnn_graph *g, gnode *n)
{
    double f[3];
    int64_t v[3], count = 0;
    const gtensor *t0 = op_in(g, n, 0);
    if (t0->dtype == CLNN_DTYPE_BOOL)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "BOOL inputs");
    /* Before folding the inputs may not be known yet: then the node must fold later. */
    for (int i = 0; i < 3; i++)
        if (!clnn_tensor_is_const(op_in(g, n, i)))
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "input '%s' must be known when the session is created (clnn "
                           "computes Range on the host)", op_in(g, n, i)->name);
    clnn_status st = range_args(g, n, f, v);
    if (st == CLNN_STATUS_OK) st = range_count(n, t0, f, v, &count);
    return st == CLNN_STATUS_OK ? op_set_out(g, n, 0, t0->dtype, &count, 1) : st;
}

static clnn_status range_fold(clnn_graph *g, gnode *n)
{
    double f[3];
    int64_t v[3];
    clnn_status st = range_args(g, n, f, v);
    if (st != CLNN_STATUS_OK) return st;
    const gtensor *y = op_out(g, n, 0);
    const size_t count = clnn_tensor_count(y);
    void *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i < count; i++) {
        if (y->dtype == CLNN_DTYPE_FLOAT)
            ((float *)out)[i] = (float)f[0] + (float)i * (float)f[2];
        else
            ((int64_t *)out)[i] = v[0] + (int64_t)i * v[2];
    }
    return CLNN_STATUS_OK;
}

const clnn_op_def clnn_op_range = {
    .name = "Range",
    .since = {11},
    .min_in = 3, .max_in = 3, .max_out = 1,
    .flags = OPF_HOST_ONLY,
    .infer = range_infer,
    .fold = range_fold,
    .notes = "computed when the session is created",
};
