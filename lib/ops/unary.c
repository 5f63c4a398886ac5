/*
 * unary.c - the elementwise operators of one input: Relu, Clip, LeakyRelu, Sigmoid, Tanh,
 * HardSigmoid, HardSwish, Mish, Elu, Selu, Celu, Softplus, Softsign, Gelu, ThresholdedRelu,
 * Abs, Neg, Exp, Log, Sqrt, Reciprocal, Floor, Ceil, Erf. Each is one activation code of
 * kernels/common.cl (clnn_activation in clnn.h) with its parameters, so one kernel
 * (act_forward in kernels/eltwise.cl) runs them all standalone and any of them fuses into a
 * Conv or Gemm epilogue. The standalone layer is safe in place (the executor may pass one
 * buffer as input and output). Abs and Neg also fold integer shape values.
 */
#include "layer_small.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- activations ------------------------------------------------------------------------ */

typedef struct act_state {
    clnn_context *ctx;
    clnn_device *dev;
    char *node;
    const char *op;
    cl_kernel k;
    int count;
    float a, b;
    size_t local;
} act_state;

/* The function a standalone elementwise node computes (its definition says). */
static clnn_activation act_of(const gnode *n, float *a, float *b)
{
    clnn_activation act = CLNN_ACTIVATION_NONE;
    *a = *b = 0.0f;
    const clnn_op_def *def = clnn_op_def_of(n->op);
    if (!def->activation || !def->activation(n, &act, a, b)) return CLNN_ACTIVATION_NONE;
    return act;
}

static void act_destroy(void *state)
{
    act_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s);
}

static clnn_status act_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                               const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    float a, b;
    clnn_activation act = act_of(n, &a, &b);
    if (act == CLNN_ACTIVATION_NONE)
        return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "node '%s' (%s): not an activation",
                         n->name, op);
    const size_t count = clnn_tensor_count(clnn_node_output(g, n));
    clnn_status st = small_count_ok(ctx, n->name, op, count);
    if (st != CLNN_STATUS_OK) return st;
    act_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->dev = dev;
    s->op = op;
    s->count = (int)count;
    s->a = a;
    s->b = b;
    s->local = small_local(dev, (size_t)s->count);
    char opts[32];
    snprintf(opts, sizeof opts, "-DACT=%d", (int)act);
    st = clnn_kernel_create(ctx, dev, "eltwise", opts, "act_forward", &s->k);
    if (st != CLNN_STATUS_OK) {
        act_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status act_enqueue(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                               const cl_event *w, cl_event *done)
{
    act_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], (size_t)s->count, "input");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->out, (size_t)s->count, "output");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out), CLNN_ARG(s->count),
                       CLNN_ARG(s->a), CLNN_ARG(s->b)};
    st = clnn_set_args(s->ctx, s->k, "act_forward", args, CLNN_ARRAY_LEN(args));
    size_t g = (size_t)s->count;
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "act_forward", 1, &g, &s->local, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

static clnn_status act_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                 const float *residual, float *out)
{
    (void)residual;
    float a, b;
    clnn_activation act = act_of(n, &a, &b);
    size_t count = clnn_tensor_count(clnn_node_output(g, n));
    for (size_t i = 0; i < count; i++) out[i] = clnn_ref_activate(in[0][i], act, a, b);
    return CLNN_STATUS_OK;
}

const clnn_layer_impl clnn_layer_act = {
    .name = "act",
    .prepare = act_prepare,
    .enqueue = act_enqueue,
    .reference = act_reference,
    .destroy = act_destroy,
};


/* ---- definitions -------------------------------------------------------------------------- */

typedef struct unary_attrs {
    float alpha, beta; /* the operator's parameters, or Clip's bounds */
    int approximate;   /* Gelu: 0 none, 1 tanh */
} unary_attrs;

/* Per operator: its activation code and how alpha / beta map to its parameters. */
static bool unary_activation(const gnode *n, clnn_activation *act, float *a, float *b)
{
    const unary_attrs *u = OP_A(n, unary_attrs);
    *a = u->alpha;
    *b = u->beta;
    switch (n->op) {
    case OP_RELU: *act = CLNN_ACTIVATION_RELU; break;
    case OP_CLIP: *act = CLNN_ACTIVATION_CLIP; break;
    case OP_LEAKY_RELU: *act = CLNN_ACTIVATION_LEAKY_RELU; break;
    case OP_SIGMOID: *act = CLNN_ACTIVATION_SIGMOID; break;
    case OP_TANH: *act = CLNN_ACTIVATION_TANH; break;
    case OP_HARD_SIGMOID: *act = CLNN_ACTIVATION_HARD_SIGMOID; break;
    case OP_HARD_SWISH: *act = CLNN_ACTIVATION_HARD_SWISH; break;
    case OP_MISH: *act = CLNN_ACTIVATION_MISH; break;
    case OP_ELU: *act = CLNN_ACTIVATION_ELU; break;
    case OP_SELU: *act = CLNN_ACTIVATION_SELU; break;
    case OP_CELU: *act = CLNN_ACTIVATION_CELU; break;
    case OP_SOFTPLUS: *act = CLNN_ACTIVATION_SOFTPLUS; break;
    case OP_SOFTSIGN: *act = CLNN_ACTIVATION_SOFTSIGN; break;
    case OP_GELU: *act = u->approximate ? CLNN_ACTIVATION_GELU_TANH : CLNN_ACTIVATION_GELU; break;
    case OP_THRESHOLDED_RELU: *act = CLNN_ACTIVATION_THRESHOLDED_RELU; break;
    case OP_ABS: *act = CLNN_ACTIVATION_ABS; break;
    case OP_NEG: *act = CLNN_ACTIVATION_NEG; break;
    case OP_EXP: *act = CLNN_ACTIVATION_EXP; break;
    case OP_LOG: *act = CLNN_ACTIVATION_LOG; break;
    case OP_SQRT: *act = CLNN_ACTIVATION_SQRT; break;
    case OP_RECIPROCAL: *act = CLNN_ACTIVATION_RECIPROCAL; break;
    case OP_FLOOR: *act = CLNN_ACTIVATION_FLOOR; break;
    case OP_CEIL: *act = CLNN_ACTIVATION_CEIL; break;
    case OP_ERF: *act = CLNN_ACTIVATION_ERF; break;
    default: return false;
    }
    return true;
}

static clnn_status unary_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    /* Integers reach here only as shape values (folded): Abs and Neg keep their type. */
    if (x->dtype != CLNN_DTYPE_FLOAT && !(x->dtype == CLNN_DTYPE_INT64 &&
                                          (n->op == OP_ABS || n->op == OP_NEG)))
        return op_need_float(g, n, 0);
    return op_same_as(g, n, 0, 0);
}

/* Clip's bounds: attributes before version 11, optional constant inputs after. */
static clnn_status clip_infer(clnn_graph *g, gnode *n)
{
    unary_attrs *u = n->attrs;
    clnn_status st = op_need_float(g, n, 0);
    if (st != CLNN_STATUS_OK) return st;
    if (n->version >= 11) {
        u->alpha = -INFINITY;
        u->beta = INFINITY;
        for (int i = 1; i < n->ninputs; i++) {
            const gtensor *t = op_in(g, n, i);
            if (!t) continue;
            if (!t->data || clnn_shape_count(t->dims, t->ndim) != 1)
                return op_fail(n, CLNN_STATUS_UNSUPPORTED,
                               "%s bound '%s' must be a float scalar known when the session is "
                               "created (an initializer)",
                               i == 1 ? "min" : "max", t->name);
            if (i == 1)
                u->alpha = t->data[0];
            else
                u->beta = t->data[0];
        }
    }
    return op_same_as(g, n, 0, 0);
}

static clnn_status clip_check(gnode *n)
{
    if (n->version < 11 && n->ninputs > 1)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "%d inputs; before version 11 the bounds are attributes", n->ninputs);
    return CLNN_STATUS_OK;
}

static clnn_status unary_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    const size_t count = clnn_tensor_count(x);
    if (x->dtype == CLNN_DTYPE_INT64) {
        int64_t *y = op_out_alloc(g, n, 0);
        if (!y) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        for (size_t i = 0; i < count; i++) {
            const int64_t v = x->idata[i];
            if (v == INT64_MIN)
                return op_fail(n, CLNN_STATUS_INVALID_MODEL, "value %lld overflows", (long long)v);
            y[i] = n->op == OP_NEG ? -v : v < 0 ? -v : v;
        }
        return CLNN_STATUS_OK;
    }
    float *y = op_out_alloc(g, n, 0);
    if (!y) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    const float *in[1] = {x->data};
    return clnn_layer_act.reference(g, n, in, NULL, y);
}

static const op_attr no_rows[] = {A_IGNORE("consumed_inputs", .until = 6)};
static const op_attr leaky_rows[] = {
    A_FLOAT("alpha", unary_attrs, alpha, 0.01),
    A_IGNORE("consumed_inputs", .until = 6),
};
static const op_attr hard_sigmoid_rows[] = {
    A_FLOAT("alpha", unary_attrs, alpha, 0.2),
    A_FLOAT("beta", unary_attrs, beta, 0.5),
    A_IGNORE("consumed_inputs", .until = 6),
};
static const op_attr elu_rows[] = {
    A_FLOAT("alpha", unary_attrs, alpha, 1.0),
    A_IGNORE("consumed_inputs", .until = 6),
};
static const op_attr selu_rows[] = {
    A_FLOAT("alpha", unary_attrs, alpha, 1.67326319217681884765625),
    A_FLOAT("gamma", unary_attrs, beta, 1.05070102214813232421875),
    A_IGNORE("consumed_inputs", .until = 6),
};
static const op_attr celu_rows[] = {A_FLOAT("alpha", unary_attrs, alpha, 1.0)};
static const op_attr thresholded_rows[] = {A_FLOAT("alpha", unary_attrs, alpha, 1.0)};
static const char *const gelu_modes[] = {"none", "tanh", NULL};
static const op_attr gelu_rows[] = {A_ENUM("approximate", unary_attrs, approximate, gelu_modes, 0)};
/* Before version 11 the bounds are attributes, defaulting to the float range. */
static const op_attr clip_rows[] = {
    A_FLOAT("min", unary_attrs, alpha, -FLT_MAX, .until = 11),
    A_FLOAT("max", unary_attrs, beta, FLT_MAX, .until = 11),
    A_IGNORE("consumed_inputs", .until = 6),
};

static clnn_status celu_check(gnode *n)
{
    if (OP_A(n, unary_attrs)->alpha == 0.0f)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "alpha must not be 0");
    return CLNN_STATUS_OK;
}

#define UNARY(var, nm, rows, ...)                                                             \
    const clnn_op_def var = {                                                                 \
        .name = nm,                                                                           \
        .min_in = 1, .max_in = 1, .max_out = 1,                                               \
        OP_ATTRS(rows),                                                                       \
        .attr_size = sizeof(unary_attrs),                                                     \
        .infer = unary_infer,                                                                 \
        .fold = unary_fold,                                                                   \
        .layer = &clnn_layer_act,                                                             \
        .activation = unary_activation,                                                       \
        __VA_ARGS__}

UNARY(clnn_op_relu, "Relu", no_rows, .since = {1, 6, 13, 14});
UNARY(clnn_op_leaky_relu, "LeakyRelu", leaky_rows, .since = {1, 6, 16});
UNARY(clnn_op_sigmoid, "Sigmoid", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_tanh, "Tanh", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_hard_sigmoid, "HardSigmoid", hard_sigmoid_rows, .since = {1, 6});
UNARY(clnn_op_hard_swish, "HardSwish", no_rows, .since = {14});
UNARY(clnn_op_mish, "Mish", no_rows, .since = {18});
UNARY(clnn_op_elu, "Elu", elu_rows, .since = {1, 6});
UNARY(clnn_op_selu, "Selu", selu_rows, .since = {1, 6});
UNARY(clnn_op_celu, "Celu", celu_rows, .since = {12}, .check = celu_check);
UNARY(clnn_op_softplus, "Softplus", no_rows, .since = {1});
UNARY(clnn_op_softsign, "Softsign", no_rows, .since = {1});
UNARY(clnn_op_gelu, "Gelu", gelu_rows, .since = {20}, .notes = "both approximations");
UNARY(clnn_op_thresholded_relu, "ThresholdedRelu", thresholded_rows, .since = {10});
UNARY(clnn_op_abs, "Abs", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_neg, "Neg", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_exp, "Exp", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_log, "Log", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_sqrt, "Sqrt", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_reciprocal, "Reciprocal", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_floor, "Floor", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_ceil, "Ceil", no_rows, .since = {1, 6, 13});
UNARY(clnn_op_erf, "Erf", no_rows, .since = {9, 13});

const clnn_op_def clnn_op_clip = {
    .name = "Clip",
    .since = {1, 6, 11, 12, 13},
    .min_in = 1, .max_in = 3, .max_out = 1,
    .optional_in = 6u,
    OP_ATTRS(clip_rows),
    .attr_size = sizeof(unary_attrs),
    .check = clip_check,
    .infer = clip_infer,
    .fold = unary_fold,
    .layer = &clnn_layer_act,
    .activation = unary_activation,
    .notes = "constant bounds (attributes before version 11, inputs after)",
};
