/*
 * view.c - operators whose output holds the input's elements in the same order under another
 * shape: Flatten, Reshape, Squeeze, Unsqueeze (views of their input's storage on a device,
 * no kernel), and Identity and Dropout (removed by the passes: readers read the input).
 * Each folds any element type on the host (shape values) by copying.
 */
#include "layer.h"

#include <stdlib.h>
#include <string.h>

typedef struct view_attrs {
    int64_t axis;           /* Flatten */
    int64_t axes[CLNN_MAX_DIMS]; /* Squeeze, Unsqueeze before version 13 */
    int naxes;
    int64_t shape[CLNN_MAX_DIMS]; /* Reshape version 1 */
    int nshape;
    int allowzero;          /* Reshape 14 */
    float ratio;            /* Dropout (meaningless at inference) */
    int is_test;
} view_attrs;

/* The same bytes under the output's shape. */
static clnn_status view_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    gtensor *y = op_out(g, n, 0);
    void *out = op_out_alloc(g, n, 0);
    if (!out) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    memcpy(out, op_host_data(x), clnn_tensor_count(x) * op_host_esize(y));
    return CLNN_STATUS_OK;
}

static node_work no_work(const clnn_graph *g, const gnode *n)
{
    (void)g, (void)n;
    return (node_work){0, 0, 0};
}

/* ---- Flatten ------------------------------------------------------------------------------ */

static clnn_status flatten_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    const int64_t axis = OP_A(n, view_attrs)->axis;
    if (axis < -x->ndim || axis > x->ndim || (n->version < 11 && axis < 0))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range for %d-D input",
                       (long long)axis, x->ndim);
    const int a = (int)(axis < 0 ? axis + x->ndim : axis);
    int64_t d[2] = {clnn_shape_count(x->dims, a), clnn_shape_count(x->dims + a, x->ndim - a)};
    return op_set_out(g, n, 0, x->dtype, d, 2);
}

static const op_attr flatten_rows[] = {
    A_INT("axis", view_attrs, axis, 1, -CLNN_MAX_DIMS, CLNN_MAX_DIMS),
};

const clnn_op_def clnn_op_flatten = {
    .name = "Flatten",
    .since = {1, 9, 11, 13},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(flatten_rows),
    .attr_size = sizeof(view_attrs),
    .flags = OPF_VIEW | OPF_ANY_TYPE,
    .infer = flatten_infer,
    .fold = view_fold,
    .work = no_work,
    .notes = "any axis",
};

/* ---- Reshape ------------------------------------------------------------------------------ */

/* The target shape: an attribute in version 1, a constant input from version 5. A leading
 * dimension equal to the model's declared batch follows the session's batch (models exported
 * with a fixed batch write it into their Reshapes). */
static clnn_status reshape_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    const view_attrs *a = OP_A(n, view_attrs);
    int64_t target[CLNN_MAX_DIMS];
    int nd = 0;
    if (n->version < 5) {
        nd = a->nshape;
        memcpy(target, a->shape, sizeof target);
    } else {
        clnn_status st = op_const_ints(g, n, 1, "the target shape", target, CLNN_MAX_DIMS, &nd);
        if (st != CLNN_STATUS_OK) return st;
    }
    const int64_t total = clnn_shape_count(x->dims, x->ndim);
    int64_t d[CLNN_MAX_DIMS], known = 1;
    int infer = -1;
    for (int i = 0; i < nd; i++) {
        int64_t v = target[i];
        if (i == 0 && g->batch > 0 && v == g->model_batch && g->model_batch != g->batch)
            v = g->batch;
        if (v == 0 && !a->allowzero) {
            if (i >= x->ndim)
                return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                               "target dimension %d is 0 (copy the input's) but the input has "
                               "only %d", i, x->ndim);
            v = x->dims[i];
        }
        if (v == -1) {
            if (infer >= 0) return op_fail(n, CLNN_STATUS_INVALID_MODEL, "two -1 dimensions");
            infer = i;
            v = 1;
        } else if (v < 0 || v > ((int64_t)1 << 31)) {
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "target dimension %d is %lld", i,
                           (long long)v);
        }
        d[i] = v;
        if (!op_mul_ok(known, v, &known) || known > ((int64_t)1 << 31))
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "the target shape holds 2^31 elements or more");
    }
    if (infer >= 0) {
        if (known == 0 || total % known)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "cannot infer the -1 dimension: %lld elements into %lld",
                           (long long)total, (long long)known);
        d[infer] = total / known;
        known = total;
    }
    if (known != total) {
        char s1[160], s2[160];
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "cannot reshape %s into %s",
                       clnn_shape_str(x->dims, x->ndim, s1, sizeof s1),
                       clnn_shape_str(d, nd, s2, sizeof s2));
    }
    return op_set_out(g, n, 0, x->dtype, d, nd);
}

static clnn_status reshape_check(gnode *n)
{
    if ((n->version < 5) != (n->ninputs == 1))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%d inputs: version %d takes the shape as %s", n->ninputs, n->version,
                       n->version < 5 ? "an attribute" : "a second input");
    if (n->version < 5 && !op_attr_given(n, "shape"))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "attribute 'shape' is required");
    return CLNN_STATUS_OK;
}

static const op_attr reshape_rows[] = {
    A_INTS("shape", view_attrs, shape, nshape, -1, (int64_t)1 << 31, .until = 5),
    A_IGNORE("consumed_inputs", .until = 5),
    A_INT("allowzero", view_attrs, allowzero, 0, 0, 1, .since = 14),
};

const clnn_op_def clnn_op_reshape = {
    .name = "Reshape",
    .since = {1, 5, 13, 14, 19},
    .min_in = 1, .max_in = 2, .max_out = 1,
    OP_ATTRS(reshape_rows),
    .attr_size = sizeof(view_attrs),
    .flags = OPF_VIEW | OPF_ANY_TYPE,
    .check = reshape_check,
    .infer = reshape_infer,
    .fold = view_fold,
    .work = no_work,
    .notes = "the shape known when the session is created (constant or computed from shapes); "
             "allowzero",
};

/* ---- Squeeze, Unsqueeze ------------------------------------------------------------------- */

/* The axes: the attribute before version 13, the optional constant input from 13. */
static clnn_status axes_of(const clnn_graph *g, const gnode *n, int64_t *axes, int *count)
{
    const view_attrs *a = OP_A(n, view_attrs);
    if (n->version < 13) {
        memcpy(axes, a->axes, sizeof a->axes);
        *count = a->naxes;
        return CLNN_STATUS_OK;
    }
    *count = 0;
    if (!op_in(g, n, 1)) return CLNN_STATUS_OK;
    return op_const_ints(g, n, 1, "axes", axes, CLNN_MAX_DIMS, count);
}

static clnn_status squeeze_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    int64_t axes[CLNN_MAX_DIMS];
    int naxes;
    clnn_status st = axes_of(g, n, axes, &naxes);
    if (st != CLNN_STATUS_OK) return st;
    bool drop[CLNN_MAX_DIMS] = {false};
    for (int i = 0; i < naxes; i++) {
        int ax = op_norm_axis(axes[i], x->ndim);
        if (ax < 0 || drop[ax])
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range or repeated",
                           (long long)axes[i]);
        if (x->dims[ax] != 1)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %d has size %lld, not 1", ax,
                           (long long)x->dims[ax]);
        drop[ax] = true;
    }
    int64_t d[CLNN_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < x->ndim; i++)
        if (naxes ? !drop[i] : x->dims[i] != 1) d[nd++] = x->dims[i];
    return op_set_out(g, n, 0, x->dtype, d, nd);
}

static clnn_status unsqueeze_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    int64_t axes[CLNN_MAX_DIMS];
    int naxes;
    clnn_status st = axes_of(g, n, axes, &naxes);
    if (st != CLNN_STATUS_OK) return st;
    const int out_rank = x->ndim + naxes;
    if (naxes == 0 || out_rank > CLNN_MAX_DIMS)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "%d axes for a %d-D input (the output may "
                       "have 1 to %d dimensions)", naxes, x->ndim, CLNN_MAX_DIMS);
    bool ins[CLNN_MAX_DIMS] = {false};
    for (int i = 0; i < naxes; i++) {
        int ax = op_norm_axis(axes[i], out_rank);
        if (ax < 0 || ins[ax])
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "axis %lld is out of range or repeated",
                           (long long)axes[i]);
        ins[ax] = true;
    }
    int64_t d[CLNN_MAX_DIMS];
    for (int i = 0, k = 0; i < out_rank; i++) d[i] = ins[i] ? 1 : x->dims[k++];
    return op_set_out(g, n, 0, x->dtype, d, out_rank);
}

static clnn_status axes_check(gnode *n)
{
    if (n->version < 13 && n->ninputs > 1)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%d inputs; before version 13 the axes are an attribute", n->ninputs);
    if (n->op == OP_UNSQUEEZE && (n->version < 13 ? !op_attr_given(n, "axes") : n->ninputs < 2))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "the axes are required");
    return CLNN_STATUS_OK;
}

static const op_attr axes_rows[] = {
    A_INTS("axes", view_attrs, axes, naxes, -CLNN_MAX_DIMS, CLNN_MAX_DIMS - 1, .until = 13),
};

const clnn_op_def clnn_op_squeeze = {
    .name = "Squeeze",
    .since = {1, 11, 13},
    .min_in = 1, .max_in = 2, .max_out = 1,
    .optional_in = 1u << 1,
    OP_ATTRS(axes_rows),
    .attr_size = sizeof(view_attrs),
    .flags = OPF_VIEW | OPF_ANY_TYPE,
    .check = axes_check,
    .infer = squeeze_infer,
    .fold = view_fold,
    .work = no_work,
};

const clnn_op_def clnn_op_unsqueeze = {
    .name = "Unsqueeze",
    .since = {1, 11, 13},
    .min_in = 1, .max_in = 2, .max_out = 1,
    OP_ATTRS(axes_rows),
    .attr_size = sizeof(view_attrs),
    .flags = OPF_VIEW | OPF_ANY_TYPE,
    .check = axes_check,
    .infer = unsqueeze_infer,
    .fold = view_fold,
    .work = no_work,
};

/* ---- Identity, Dropout --------------------------------------------------------------------- */

static clnn_status identity_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    clnn_status st = op_same_as(g, n, 0, 0);
    /* Dropout's mask: all true at inference. */
    if (st == CLNN_STATUS_OK && n->noutputs > 1)
        st = op_set_out(g, n, 1, CLNN_DTYPE_BOOL, x->dims, x->ndim);
    return st;
}

static clnn_status identity_fold(clnn_graph *g, gnode *n)
{
    clnn_status st = view_fold(g, n);
    if (st != CLNN_STATUS_OK || n->noutputs < 2 || n->outputs[1] < 0) return st;
    int64_t *mask = op_out_alloc(g, n, 1);
    if (!mask) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i < clnn_tensor_count(op_out(g, n, 1)); i++) mask[i] = 1;
    return CLNN_STATUS_OK;
}

/* The pass removes the node (readers read its input); a mask somebody reads becomes the
 * constant it is at inference, all true. */
static clnn_status dropout_lower(clnn_graph *g, int node)
{
    gnode *n = &g->nodes[node];
    if (n->noutputs < 2 || n->outputs[1] < 0) return CLNN_STATUS_OK;
    gtensor *m = &g->tensors[n->outputs[1]];
    const size_t count = clnn_tensor_count(m);
    int64_t *ones = malloc((count ? count : 1) * sizeof *ones);
    if (!ones) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "Dropout mask");
    for (size_t i = 0; i < count; i++) ones[i] = 1;
    clnn_tensor_set_const(m, CLNN_DTYPE_BOOL, m->dims, m->ndim, ones);
    m->producer = -1;
    n->outputs[1] = -1;
    return CLNN_STATUS_OK;
}

static clnn_status dropout_check(gnode *n)
{
    if (n->version < 12 && n->ninputs > 1)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%d inputs; before version 12 the ratio is an attribute", n->ninputs);
    return CLNN_STATUS_OK;
}

/* Version 12 takes the ratio and training_mode as inputs; training_mode must be false. */
static clnn_status dropout_infer(clnn_graph *g, gnode *n)
{
    const gtensor *t = op_in(g, n, 2);
    if (t) {
        if (!t->idata || clnn_shape_count(t->dims, t->ndim) != 1)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                           "training_mode '%s' must be a constant (clnn runs inference)",
                           t->name);
        if (t->idata[0])
            return op_fail(n, CLNN_STATUS_UNSUPPORTED, "training_mode is true; clnn runs "
                           "inference only");
    }
    return identity_infer(g, n);
}

const clnn_op_def clnn_op_identity = {
    .name = "Identity",
    .since = {1, 13, 14, 16, 19},
    .min_in = 1, .max_in = 1, .max_out = 1,
    .flags = OPF_VIEW | OPF_ANY_TYPE | OPF_REMOVABLE,
    .infer = identity_infer,
    .fold = identity_fold,
    .work = no_work,
};

static const op_attr dropout_rows[] = {
    A_FLOAT("ratio", view_attrs, ratio, 0.5, .until = 12),
    A_INT("is_test", view_attrs, is_test, 0, 0, 1, .until = 7),
    A_IGNORE("consumed_inputs", .until = 6),
    A_IGNORE("seed", .since = 12),
};

const clnn_op_def clnn_op_dropout = {
    .name = "Dropout",
    .since = {1, 6, 7, 10, 12, 13},
    .min_in = 1, .max_in = 3, .max_out = 2,
    .optional_in = 6u,
    OP_ATTRS(dropout_rows),
    .attr_size = sizeof(view_attrs),
    .flags = OPF_VIEW | OPF_ANY_TYPE | OPF_REMOVABLE,
    .check = dropout_check,
    .infer = dropout_infer,
    .fold = identity_fold,
    .work = no_work,
    .lower = dropout_lower,
    .notes = "inference: the identity, its mask all true",
};
