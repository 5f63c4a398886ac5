/*
 * logic.c - the elementwise operators of one input that give BOOL: Not, IsNaN, IsInf (kernel
 * logic_unary in kernels/eltwise.cl). On a device a BOOL tensor holds exact 0 / 1 floats, so
 * Not reads its input that way; with a constant input each folds on the host instead.
 */
#include "layer_small.h"

#include <math.h>
#include <stdlib.h>

typedef struct isinf_attrs {
    int neg, pos; /* detect_negative, detect_positive */
} isinf_attrs;

/* The function of node n, as kernels/eltwise.cl numbers them (LOGIC_OP). */
enum logic_op { LOGIC_NOT, LOGIC_ISNAN, LOGIC_ISINF };

static enum logic_op logic_of(const gnode *n)
{
    return n->op == OP_NOT ? LOGIC_NOT : n->op == OP_IS_NAN ? LOGIC_ISNAN : LOGIC_ISINF;
}

/* 1 or 0: the function of node n on one value (Not's a BOOL as 0 / 1). */
static bool logic_f(const gnode *n, float x)
{
    switch (logic_of(n)) {
    case LOGIC_NOT: return x == 0.0f;
    case LOGIC_ISNAN: return isnan(x);
    default: {
        const isinf_attrs *a = OP_A(n, isinf_attrs);
        return isinf(x) && (x < 0.0f ? a->neg : a->pos);
    }
    }
}

typedef struct logic_state {
    clnn_context *ctx;
    char *node;
    const char *op;
    cl_kernel k;
    int count, neg, pos;
    size_t local;
} logic_state;

static void logic_destroy(void *state)
{
    logic_state *s = state;
    if (!s) return;
    if (s->k) clReleaseKernel(s->k);
    free(s->node);
    free(s);
}

static clnn_status logic_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                                 const gnode *n, void **state)
{
    *state = NULL;
    const char *op = clnn_op_name(n->op);
    const size_t count = clnn_tensor_count(clnn_node_output(g, n));
    clnn_status st = small_count_ok(ctx, n->name, op, count);
    if (st != CLNN_STATUS_OK) return st;
    logic_state *s = calloc(1, sizeof *s);
    if (!s || !(s->node = clnn_strdup(n->name))) {
        free(s);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s' (%s)", n->name, op);
    }
    s->ctx = ctx;
    s->op = op;
    s->count = (int)count;
    if (n->op == OP_IS_INF) {
        s->neg = OP_A(n, isinf_attrs)->neg;
        s->pos = OP_A(n, isinf_attrs)->pos;
    }
    s->local = small_local(dev, count);
    char opts[32];
    snprintf(opts, sizeof opts, "-DLOGIC_OP=%d", (int)logic_of(n));
    st = clnn_kernel_create(ctx, dev, "eltwise", opts, "logic_unary", &s->k);
    if (st != CLNN_STATUS_OK) {
        logic_destroy(s);
        return small_fail(ctx, n->name, op, st);
    }
    *state = s;
    return CLNN_STATUS_OK;
}

static clnn_status logic_enqueue(void *state, cl_command_queue q, const layer_io *io,
                                 cl_uint nw, const cl_event *w, cl_event *done)
{
    logic_state *s = state;
    clnn_status st = small_check(s->ctx, s->node, s->op, io->in[0], (size_t)s->count, "input");
    if (st == CLNN_STATUS_OK)
        st = small_check(s->ctx, s->node, s->op, io->out, (size_t)s->count, "output");
    if (st != CLNN_STATUS_OK) return st;
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(io->out), CLNN_ARG(s->count),
                       CLNN_ARG(s->neg), CLNN_ARG(s->pos)};
    st = clnn_set_args(s->ctx, s->k, "logic_unary", args, CLNN_ARRAY_LEN(args));
    size_t g = (size_t)s->count;
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(s->ctx, q, s->k, "logic_unary", 1, &g, &s->local, nw, w, done);
    return st == CLNN_STATUS_OK ? st : small_fail(s->ctx, s->node, s->op, st);
}

static clnn_status logic_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                   const float *residual, float *out)
{
    (void)residual;
    const size_t count = clnn_tensor_count(clnn_node_output(g, n));
    for (size_t i = 0; i < count; i++) out[i] = logic_f(n, in[0][i]) ? 1.0f : 0.0f;
    return CLNN_STATUS_OK;
}

static const clnn_layer_impl clnn_layer_logic = {
    .name = "logic",
    .prepare = logic_prepare,
    .enqueue = logic_enqueue,
    .reference = logic_reference,
    .destroy = logic_destroy,
};

/* Not takes BOOL, IsNaN and IsInf floats; all give BOOL of the input's shape. */
static clnn_status logic_infer(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    if (n->op == OP_NOT) {
        if (x->dtype != CLNN_DTYPE_BOOL)
            return op_fail(n, CLNN_STATUS_INVALID_MODEL, "input '%s' is %s, not BOOL", x->name,
                           clnn_dtype_name(x->dtype));
    } else {
        clnn_status st = op_need_float(g, n, 0);
        if (st != CLNN_STATUS_OK) return st;
    }
    return op_set_out(g, n, 0, CLNN_DTYPE_BOOL, x->dims, x->ndim);
}

static clnn_status logic_fold(clnn_graph *g, gnode *n)
{
    const gtensor *x = op_in(g, n, 0);
    const size_t count = clnn_tensor_count(x);
    int64_t *y = op_out_alloc(g, n, 0);
    if (!y) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i < count; i++)
        y[i] = x->data ? logic_f(n, x->data[i]) : x->idata[i] == 0;
    return CLNN_STATUS_OK;
}

static const op_attr isinf_rows[] = {
    A_INT("detect_negative", isinf_attrs, neg, 1, 0, 1),
    A_INT("detect_positive", isinf_attrs, pos, 1, 0, 1),
};

const clnn_op_def clnn_op_not = {
    .name = "Not",
    .since = {1},
    .min_in = 1, .max_in = 1, .max_out = 1,
    .flags = OPF_BOOL_IN,
    .infer = logic_infer,
    .fold = logic_fold,
    .layer = &clnn_layer_logic,
    .work = op_io_work,
};

const clnn_op_def clnn_op_is_nan = {
    .name = "IsNaN",
    .since = {9, 13, 20},
    .min_in = 1, .max_in = 1, .max_out = 1,
    .infer = logic_infer,
    .fold = logic_fold,
    .layer = &clnn_layer_logic,
    .work = op_io_work,
    .notes = "float inputs",
};

const clnn_op_def clnn_op_is_inf = {
    .name = "IsInf",
    .since = {10, 20},
    .min_in = 1, .max_in = 1, .max_out = 1,
    OP_ATTRS(isinf_rows),
    .attr_size = sizeof(isinf_attrs),
    .infer = logic_infer,
    .fold = logic_fold,
    .layer = &clnn_layer_logic,
    .work = op_io_work,
    .notes = "float inputs; both detect_negative and detect_positive",
};
