/*
 * builder.c - the graph builder API: inputs, constants, nodes with their attributes checked
 * and parsed per operator, outputs; plus copying and small shape helpers. The ONNX loader
 * builds through these same calls.
 */
#include "graph.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *op_names[OP_COUNT] = {
    [OP_CONV] = "Conv",
    [OP_MAX_POOL] = "MaxPool",
    [OP_AVERAGE_POOL] = "AveragePool",
    [OP_GLOBAL_AVERAGE_POOL] = "GlobalAveragePool",
    [OP_GLOBAL_MAX_POOL] = "GlobalMaxPool",
    [OP_GEMM] = "Gemm",
    [OP_MATMUL] = "MatMul",
    [OP_RELU] = "Relu",
    [OP_CLIP] = "Clip",
    [OP_LEAKY_RELU] = "LeakyRelu",
    [OP_SIGMOID] = "Sigmoid",
    [OP_ADD] = "Add",
    [OP_MUL] = "Mul",
    [OP_CONCAT] = "Concat",
    [OP_LRN] = "LRN",
    [OP_BATCH_NORM] = "BatchNormalization",
    [OP_SOFTMAX] = "Softmax",
    [OP_FLATTEN] = "Flatten",
    [OP_RESHAPE] = "Reshape",
    [OP_IDENTITY] = "Identity",
    [OP_DROPOUT] = "Dropout",
    [OP_CONSTANT] = "Constant",
};

const char *clnn_op_name(clnn_op op)
{
    return (unsigned)op < OP_COUNT ? op_names[op] : "?";
}

clnn_status clnn_graph_create(clnn_graph **graph)
{
    if (!graph) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_graph_create: NULL");
    *graph = calloc(1, sizeof **graph);
    if (!*graph) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_graph_create");
    return CLNN_STATUS_OK;
}

void clnn_graph_destroy(clnn_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->ntensors; i++) {
        free(g->tensors[i].name);
        free(g->tensors[i].data);
        free(g->tensors[i].idata);
    }
    for (int i = 0; i < g->nnodes; i++) free(g->nodes[i].name);
    free(g->tensors);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g->name_slots);
    free(g);
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a: short keys, no need for more */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void map_insert(clnn_graph *g, int t)
{
    uint32_t mask = (uint32_t)g->name_cap - 1;
    for (uint32_t i = name_hash(g->tensors[t].name) & mask;; i = (i + 1) & mask)
        if (!g->name_slots[i]) {
            g->name_slots[i] = t + 1;
            g->name_count++;
            return;
        }
}

/* Makes the map hold every tensor with room for one more; false on allocation failure (the
 * callers then fall back to a scan). */
static bool map_ready(clnn_graph *g)
{
    if (g->name_slots && g->name_count == g->ntensors && 2 * (g->ntensors + 1) <= g->name_cap)
        return true;
    int cap = 64;
    while (cap < 4 * (g->ntensors + 1)) cap *= 2;
    int *slots = calloc((size_t)cap, sizeof *slots);
    if (!slots) return false;
    free(g->name_slots);
    g->name_slots = slots;
    g->name_cap = cap;
    g->name_count = 0;
    for (int t = 0; t < g->ntensors; t++) map_insert(g, t);
    return true;
}

int clnn_graph_find_tensor(const clnn_graph *cg, const char *name)
{
    clnn_graph *g = (clnn_graph *)cg; /* the map is a cache: lookups may build it */
    if (!map_ready(g)) {
        for (int i = 0; i < g->ntensors; i++)
            if (strcmp(g->tensors[i].name, name) == 0) return i;
        return -1;
    }
    uint32_t mask = (uint32_t)g->name_cap - 1;
    for (uint32_t i = name_hash(name) & mask; g->name_slots[i]; i = (i + 1) & mask)
        if (strcmp(g->tensors[g->name_slots[i] - 1].name, name) == 0) return g->name_slots[i] - 1;
    return -1;
}

int64_t clnn_shape_count(const int64_t *dims, int ndim)
{
    if (ndim < 0) return 0;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0) return 0;
        if (dims[i] > 0 && n > INT64_MAX / dims[i]) return INT64_MAX;
        n *= dims[i];
    }
    return n;
}

const char *clnn_shape_str(const int64_t *dims, int ndim, char *buf, size_t cap)
{
    size_t n = 0;
    n += (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

static bool valid_name(const char *s) { return s && *s && strlen(s) < 4096; }

/* Appends a tensor; returns its index or -1 (message recorded). */
static int new_tensor(clnn_graph *g, const char *name)
{
    if (g->ntensors == g->cap_tensors) {
        int cap = g->cap_tensors ? 2 * g->cap_tensors : 64;
        gtensor *t = realloc(g->tensors, (size_t)cap * sizeof *t);
        if (!t) {
            clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph tensors");
            return -1;
        }
        g->tensors = t;
        g->cap_tensors = cap;
    }
    gtensor *t = &g->tensors[g->ntensors];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    if (!t->name) {
        clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph tensors");
        return -1;
    }
    t->ndim = -1;
    t->producer = -1;
    int index = g->ntensors++;
    if (g->name_slots && g->name_count == index && 2 * (index + 1) <= g->name_cap)
        map_insert(g, index); /* else the next lookup rebuilds the map */
    return index;
}

static clnn_status check_dims(const char *what, const char *name, const int64_t *dims,
                              size_t ndim, bool batch_free_ok)
{
    if (ndim > CLNN_MAX_DIMS || (ndim > 0 && !dims))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "%s '%s': %zu dimensions (at most %d)", what, name, ndim,
                         CLNN_MAX_DIMS);
    for (size_t i = 0; i < ndim; i++)
        if ((dims[i] <= 0 && !(i == 0 && batch_free_ok)) || dims[i] > (1 << 30))
            return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                             "%s '%s': dimension %zu is %lld (must be 1..2^30)", what, name, i,
                             (long long)dims[i]);
    if (clnn_shape_count(dims, (int)ndim) > ((int64_t)1 << 31))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "%s '%s' has more than 2^31 elements", what, name);
    return CLNN_STATUS_OK;
}

static clnn_status unique_name(const clnn_graph *g, const char *name, const char *what)
{
    if (!valid_name(name))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "%s: empty or over-long name", what);
    if (clnn_graph_find_tensor(g, name) >= 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "%s '%s': a tensor of that name already exists", what, name);
    return CLNN_STATUS_OK;
}

static clnn_status push_index(int **arr, int *n, int v)
{
    int *a = realloc(*arr, (size_t)(*n + 1) * sizeof *a);
    if (!a) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph");
    a[(*n)++] = v;
    *arr = a;
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_add_input(clnn_graph *g, const char *name, const int64_t *dims,
                                 size_t ndim)
{
    if (!g) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "graph is NULL");
    clnn_status st = unique_name(g, name, "graph input");
    if (st == CLNN_STATUS_OK) st = check_dims("graph input", name, dims, ndim, true);
    if (st != CLNN_STATUS_OK) return st;
    int t = new_tensor(g, name);
    if (t < 0) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    gtensor *x = &g->tensors[t];
    x->is_input = true;
    x->ndim = (int)ndim;
    if (ndim) memcpy(x->dims, dims, ndim * sizeof *dims);
    if (ndim && x->dims[0] <= 0) {
        x->batch_free = true;
        x->dims[0] = 1;
    }
    return push_index(&g->inputs, &g->ninputs, t);
}

static clnn_status add_const(clnn_graph *g, const char *name, const int64_t *dims, size_t ndim,
                             const void *data, bool is_int)
{
    if (!g) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "graph is NULL");
    clnn_status st = unique_name(g, name, "constant");
    if (st == CLNN_STATUS_OK) st = check_dims("constant", name, dims, ndim, false);
    if (st != CLNN_STATUS_OK) return st;
    int64_t count = clnn_shape_count(dims, (int)ndim);
    if (count > 0 && !data)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "constant '%s': data is NULL", name);
    size_t esize = is_int ? sizeof(int64_t) : sizeof(float);
    void *copy = malloc((size_t)(count ? count : 1) * esize);
    if (!copy) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "constant '%s'", name);
    if (count) memcpy(copy, data, (size_t)count * esize);
    int t = new_tensor(g, name);
    if (t < 0) {
        free(copy);
        return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    }
    gtensor *x = &g->tensors[t];
    x->ndim = (int)ndim;
    if (ndim) memcpy(x->dims, dims, ndim * sizeof *dims);
    if (is_int)
        x->idata = copy;
    else
        x->data = copy;
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_add_constant(clnn_graph *g, const char *name, const int64_t *dims,
                                    size_t ndim, const float *data)
{
    return add_const(g, name, dims, ndim, data, false);
}

clnn_status clnn_graph_add_constant_int64(clnn_graph *g, const char *name,
                                          const int64_t *dims, size_t ndim,
                                          const int64_t *data)
{
    return add_const(g, name, dims, ndim, data, true);
}

clnn_status clnn_graph_bind_input(clnn_graph *g, const char *name, const float *data,
                                  size_t count)
{
    if (!g || !name || (!data && count))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_graph_bind_input: NULL argument");
    int k = -1;
    for (int i = 0; i < g->ninputs; i++)
        if (!strcmp(g->tensors[g->inputs[i]].name, name)) k = i;
    if (k < 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "the graph has no input named '%s'",
                         name);
    gtensor *x = &g->tensors[g->inputs[k]];
    if (x->batch_free)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "input '%s' has a free batch dimension: it cannot become a constant", name);
    size_t want = (size_t)clnn_shape_count(x->dims, x->ndim);
    if (count != want) {
        char b[128];
        return clnn_fail(NULL, CLNN_STATUS_SHAPE_MISMATCH,
                         "input '%s' has shape %s (%zu floats) but %zu were given", name,
                         clnn_shape_str(x->dims, x->ndim, b, sizeof b), want, count);
    }
    float *copy = malloc((want ? want : 1) * sizeof *copy);
    if (!copy) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "bind input '%s'", name);
    if (want) memcpy(copy, data, want * sizeof *copy);
    x->data = copy;
    x->is_input = false;
    memmove(g->inputs + k, g->inputs + k + 1, (size_t)(g->ninputs - k - 1) * sizeof *g->inputs);
    g->ninputs--;
    g->model_batch = 0;
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_add_output(clnn_graph *g, const char *name)
{
    if (!g || !valid_name(name))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_graph_add_output: bad argument");
    int t = clnn_graph_find_tensor(g, name);
    if (t < 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "graph output '%s' is not produced by any node or input", name);
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i] == t) return CLNN_STATUS_OK;
    g->tensors[t].is_output = true;
    return push_index(&g->outputs, &g->noutputs, t);
}

/* ---- attributes ------------------------------------------------------------------------ */

/* Which attributes an operator accepts (a NULL-terminated list of names). */
static const char *const conv_attrs[] = {"kernel_shape", "strides", "pads", "dilations", "group",
                                         "auto_pad", NULL};
static const char *const maxpool_attrs[] = {"kernel_shape", "strides", "pads", "dilations",
                                            "ceil_mode", "auto_pad", "storage_order", NULL};
static const char *const avgpool_attrs[] = {"kernel_shape", "strides", "pads", "ceil_mode",
                                            "count_include_pad", "auto_pad", NULL};
static const char *const gemm_attrs[] = {"alpha", "beta", "transA", "transB", "broadcast",
                                         NULL};
static const char *const clip_attrs[] = {"min", "max", NULL};
static const char *const leaky_attrs[] = {"alpha", NULL};
static const char *const add_attrs[] = {"broadcast", "axis", NULL};
static const char *const axis_attrs[] = {"axis", NULL};
static const char *const lrn_attrs[] = {"size", "alpha", "beta", "bias", NULL};
static const char *const bn_attrs[] = {"epsilon", "momentum", "spatial", "training_mode",
                                       "is_test", "consumed_inputs", NULL};
static const char *const reshape_attrs[] = {"allowzero", NULL};
static const char *const dropout_attrs[] = {"ratio", "seed", "is_test", NULL};
static const char *const none_attrs[] = {NULL};

static const char *const *allowed_attrs(clnn_op op)
{
    switch (op) {
    case OP_CONV: return conv_attrs;
    case OP_MAX_POOL: return maxpool_attrs;
    case OP_AVERAGE_POOL: return avgpool_attrs;
    case OP_GEMM: return gemm_attrs;
    case OP_CLIP: return clip_attrs;
    case OP_LEAKY_RELU: return leaky_attrs;
    case OP_ADD:
    case OP_MUL: return add_attrs;
    case OP_CONCAT:
    case OP_SOFTMAX:
    case OP_FLATTEN: return axis_attrs;
    case OP_LRN: return lrn_attrs;
    case OP_BATCH_NORM: return bn_attrs;
    case OP_RESHAPE: return reshape_attrs;
    case OP_DROPOUT: return dropout_attrs;
    default: return none_attrs;
    }
}

typedef struct attr_ctx {
    const char *node, *op;
} attr_ctx;

static clnn_status bad_attr(const attr_ctx *c, const clnn_attr *a, const char *why)
{
    return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED, "node '%s' (%s): attribute '%s' %s",
                     c->node, c->op, a->name, why);
}

static clnn_status get_int(const attr_ctx *c, const clnn_attr *a, int64_t lo, int64_t hi,
                           int *out)
{
    if (a->type != CLNN_ATTR_INT) return bad_attr(c, a, "must be an integer");
    if (a->i < lo || a->i > hi) {
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "node '%s' (%s): attribute '%s' is %lld, outside %lld..%lld", c->node,
                         c->op, a->name, (long long)a->i, (long long)lo, (long long)hi);
    }
    *out = (int)a->i;
    return CLNN_STATUS_OK;
}

static clnn_status get_float(const attr_ctx *c, const clnn_attr *a, float *out)
{
    if (a->type == CLNN_ATTR_FLOAT)
        *out = a->f;
    else if (a->type == CLNN_ATTR_INT)
        *out = (float)a->i;
    else
        return bad_attr(c, a, "must be a float");
    return CLNN_STATUS_OK;
}

/* Reads an INTS attribute of exactly n values in [lo, hi] (2-D ops only). */
static clnn_status get_ints(const attr_ctx *c, const clnn_attr *a, size_t n, int64_t lo,
                            int64_t hi, int *out)
{
    if (a->type != CLNN_ATTR_INTS || (a->count && !a->ints))
        return bad_attr(c, a, "must be a list of integers");
    if (a->count != n) {
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "node '%s' (%s): attribute '%s' has %zu values; clnn supports 2-D "
                         "layers (%zu values)",
                         c->node, c->op, a->name, a->count, n);
    }
    for (size_t i = 0; i < n; i++) {
        if (a->ints[i] < lo || a->ints[i] > hi)
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "node '%s' (%s): attribute '%s'[%zu] is %lld, outside %lld..%lld",
                             c->node, c->op, a->name, i, (long long)a->ints[i], (long long)lo,
                             (long long)hi);
        out[i] = (int)a->ints[i];
    }
    return CLNN_STATUS_OK;
}

static void default_attrs(clnn_op op, gattrs *a, int opset)
{
    memset(a, 0, sizeof *a);
    a->strides[0] = a->strides[1] = 1;
    a->dilations[0] = a->dilations[1] = 1;
    a->groups = 1;
    a->alpha = 1.0f;
    a->beta = 1.0f;
    a->epsilon = 1e-5f;
    a->axis = 1;
    a->lrn_alpha = 1e-4f;
    a->lrn_beta = 0.75f;
    a->lrn_bias = 1.0f;
    if (op == OP_LEAKY_RELU) a->alpha = 0.01f;
    if (op == OP_SOFTMAX) {
        a->softmax_opset13 = opset == 0 || opset >= 13;
        a->axis = a->softmax_opset13 ? -1 : 1;
    }
}

static clnn_status parse_attr(clnn_op op, const attr_ctx *c, const clnn_attr *at, gattrs *a,
                              bool *has_kernel)
{
    const char *n = at->name;
    int v = 0;
    clnn_status st = CLNN_STATUS_OK;
    if (!strcmp(n, "kernel_shape")) {
        st = get_ints(c, at, 2, 1, 1 << 16, a->kernel);
        *has_kernel = true;
    } else if (!strcmp(n, "strides")) {
        st = get_ints(c, at, 2, 1, 1 << 16, a->strides);
    } else if (!strcmp(n, "pads")) {
        int p[4];
        st = get_ints(c, at, 4, 0, 1 << 16, p);
        /* ONNX order: begin of each axis, then end of each axis. */
        a->pads[0] = p[0], a->pads[1] = p[1], a->pads[2] = p[2], a->pads[3] = p[3];
    } else if (!strcmp(n, "dilations")) {
        st = get_ints(c, at, 2, 1, 1 << 16, a->dilations);
        if (st == CLNN_STATUS_OK && op == OP_MAX_POOL && (a->dilations[0] != 1 || a->dilations[1] != 1))
            st = bad_attr(c, at, "other than 1 is not supported for pooling");
    } else if (!strcmp(n, "group")) {
        st = get_int(c, at, 1, 1 << 24, &a->groups);
    } else if (!strcmp(n, "auto_pad")) {
        if (at->type != CLNN_ATTR_STRING || !at->s) return bad_attr(c, at, "must be a string");
        if (!strcmp(at->s, "SAME_UPPER"))
            a->auto_pad_same_upper = true;
        else if (!strcmp(at->s, "SAME_LOWER"))
            a->auto_pad_same_lower = true;
        else if (strcmp(at->s, "NOTSET") != 0 && strcmp(at->s, "VALID") != 0)
            return bad_attr(c, at, "must be NOTSET, VALID, SAME_UPPER or SAME_LOWER");
    } else if (!strcmp(n, "ceil_mode")) {
        st = get_int(c, at, 0, 1, &v);
        a->ceil_mode = v;
    } else if (!strcmp(n, "count_include_pad")) {
        st = get_int(c, at, 0, 1, &v);
        a->count_include_pad = v;
    } else if (!strcmp(n, "storage_order")) {
        st = get_int(c, at, 0, 0, &v);
    } else if (!strcmp(n, "alpha")) {
        st = op == OP_LRN ? get_float(c, at, &a->lrn_alpha) : get_float(c, at, &a->alpha);
    } else if (!strcmp(n, "beta")) {
        st = op == OP_LRN ? get_float(c, at, &a->lrn_beta) : get_float(c, at, &a->beta);
    } else if (!strcmp(n, "bias")) {
        st = get_float(c, at, &a->lrn_bias);
    } else if (!strcmp(n, "size")) {
        st = get_int(c, at, 1, 1 << 16, &a->lrn_size);
    } else if (!strcmp(n, "transA")) {
        st = get_int(c, at, 0, 1, &v);
        a->trans_a = v;
    } else if (!strcmp(n, "transB")) {
        st = get_int(c, at, 0, 1, &v);
        a->trans_b = v;
    } else if (!strcmp(n, "broadcast")) {
        st = get_int(c, at, 0, 1, &v); /* opset < 7 semantics: numpy-style is what we do */
    } else if (!strcmp(n, "min")) {
        st = get_float(c, at, &a->clip_min);
        a->has_clip_min = true;
    } else if (!strcmp(n, "max")) {
        st = get_float(c, at, &a->clip_max);
        a->has_clip_max = true;
    } else if (!strcmp(n, "axis")) {
        st = get_int(c, at, -CLNN_MAX_DIMS, CLNN_MAX_DIMS - 1, &a->axis);
        if (op == OP_ADD || op == OP_MUL)
            st = bad_attr(c, at, "(legacy broadcast axis) is not supported");
    } else if (!strcmp(n, "epsilon")) {
        st = get_float(c, at, &a->epsilon);
        if (st == CLNN_STATUS_OK && !(a->epsilon >= 0)) st = bad_attr(c, at, "must be >= 0");
    } else if (!strcmp(n, "momentum") || !strcmp(n, "ratio") || !strcmp(n, "seed") ||
               !strcmp(n, "consumed_inputs")) {
        /* meaningless for inference */
    } else if (!strcmp(n, "is_test")) {
        st = get_int(c, at, 0, 1, &v);
    } else if (!strcmp(n, "spatial")) {
        st = get_int(c, at, 1, 1, &v);
    } else if (!strcmp(n, "training_mode")) {
        st = get_int(c, at, 0, 0, &v);
    } else if (!strcmp(n, "allowzero")) {
        st = get_int(c, at, 0, 1, &v);
        a->allowzero = v;
    }
    (void)has_kernel;
    return st;
}

static bool parse_op(const char *type, clnn_op *op)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (strcmp(op_names[i], type) == 0) {
            *op = (clnn_op)i;
            return true;
        }
    return false;
}

/* Input and output counts each operator accepts. */
static void arity(clnn_op op, int *in_min, int *in_max, int *out_max)
{
    *out_max = 1;
    switch (op) {
    case OP_CONV: *in_min = 2, *in_max = 3; break;
    case OP_GEMM: *in_min = 2, *in_max = 3; break;
    case OP_MATMUL:
    case OP_ADD:
    case OP_MUL: *in_min = *in_max = 2; break;
    case OP_CLIP: *in_min = 1, *in_max = 3; break;
    case OP_CONCAT: *in_min = 1, *in_max = CLNN_MAX_NODE_INPUTS; break;
    case OP_BATCH_NORM: *in_min = *in_max = 5; break;
    case OP_RESHAPE: *in_min = *in_max = 2; break;
    case OP_DROPOUT: *in_min = 1, *in_max = 3, *out_max = 2; break;
    case OP_MAX_POOL: *in_min = *in_max = 1; break;
    case OP_CONSTANT: *in_min = *in_max = 0; break;
    default: *in_min = *in_max = 1; break;
    }
}

clnn_status clnn_graph_add_node(clnn_graph *g, const char *op_type, const char *name,
                                const char *const *inputs, size_t ninputs,
                                const char *const *outputs, size_t noutputs,
                                const clnn_attr *attrs, size_t nattrs)
{
    if (!g || !op_type || (ninputs && !inputs) || (noutputs && !outputs) || (nattrs && !attrs))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_graph_add_node: NULL argument");
    char autoname[32];
    if (!name || !*name) {
        snprintf(autoname, sizeof autoname, "node%d", g->nnodes);
        name = autoname;
    }
    if (strlen(name) > 4096)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "node name longer than 4096");
    clnn_op op;
    if (!parse_op(op_type, &op) || op == OP_CONSTANT)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "node '%s': operator '%.64s' is not supported by clnn (supported: "
                         "Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Gemm, "
                         "MatMul, Relu, Clip, LeakyRelu, Sigmoid, Add, Mul, Concat, LRN, "
                         "BatchNormalization, Softmax, Flatten, Reshape, Identity, Dropout; "
                         "constants through clnn_graph_add_constant)",
                         name, op_type);
    attr_ctx c = {name, op_names[op]};
    int in_min, in_max, out_max;
    arity(op, &in_min, &in_max, &out_max);
    if ((op == OP_BATCH_NORM || op == OP_MAX_POOL) && noutputs > 1 && (int)ninputs >= in_min)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "node '%s' (%s): %zu outputs; clnn computes only the first (%s is not "
                         "supported)",
                         name, c.op, noutputs,
                         op == OP_MAX_POOL ? "the Indices output" : "training mode");
    if ((int)ninputs < in_min || (int)ninputs > in_max || noutputs < 1 || (int)noutputs > out_max)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '%s' (%s): %zu inputs and %zu outputs; the operator takes "
                         "%d..%d inputs and 1..%d outputs",
                         name, c.op, ninputs, noutputs, in_min, in_max, out_max);

    gnode n;
    memset(&n, 0, sizeof n);
    n.op = op;
    default_attrs(op, &n.a, g->opset);
    n.fused.residual = -1;
    bool has_kernel = false;
    const char *const *allowed = allowed_attrs(op);
    for (size_t i = 0; i < nattrs; i++) {
        const clnn_attr *at = &attrs[i];
        if (!at->name) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "attribute without a name");
        bool ok = false;
        for (const char *const *p = allowed; *p; p++)
            if (!strcmp(*p, at->name)) ok = true;
        if (!ok)
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "node '%s' (%s): unsupported attribute '%.64s'", name, c.op,
                             at->name);
        clnn_status st = parse_attr(op, &c, at, &n.a, &has_kernel);
        if (st != CLNN_STATUS_OK) return st;
    }
    if ((op == OP_MAX_POOL || op == OP_AVERAGE_POOL) && !has_kernel)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '%s' (%s): attribute 'kernel_shape' is required", name, c.op);
    if (op == OP_LRN && n.a.lrn_size == 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '%s' (LRN): attribute 'size' is required", name);
    if (op == OP_CONV && !has_kernel) n.a.kernel[0] = n.a.kernel[1] = 0; /* from the weights */

    /* Inputs must already exist (producers come first, as in ONNX's topological order);
     * "" marks an absent optional input. */
    n.ninputs = (int)ninputs;
    for (size_t i = 0; i < ninputs; i++) {
        if (!inputs[i] || !*inputs[i]) {
            if (i == 0 || (op != OP_CONV && op != OP_GEMM && op != OP_CLIP && op != OP_DROPOUT))
                return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                                 "node '%s' (%s): input %zu is empty but required", name, c.op, i);
            n.inputs[i] = -1;
            continue;
        }
        int t = clnn_graph_find_tensor(g, inputs[i]);
        if (t < 0)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "node '%s' (%s): input '%.200s' is not produced by any earlier "
                             "node, input or constant",
                             name, c.op, inputs[i]);
        n.inputs[i] = t;
    }
    n.noutputs = (int)noutputs;
    for (size_t i = 0; i < noutputs; i++) {
        if (!outputs[i] || !*outputs[i]) {
            if (i == 0)
                return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                                 "node '%s' (%s): output 0 has no name", name, c.op);
            n.outputs[i] = -1;
            continue;
        }
        clnn_status st = unique_name(g, outputs[i], "node output");
        if (st != CLNN_STATUS_OK)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "node '%s' (%s): output '%.200s' is already defined (a tensor may "
                             "have one producer)",
                             name, c.op, outputs[i]);
    }
    if (noutputs == 2 && outputs[1] && *outputs[1] && !strcmp(outputs[0], outputs[1]))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "node '%s': both outputs share a name",
                         name);
    n.name = strdup(name);
    if (!n.name) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph node");
    if (g->nnodes == g->cap_nodes) {
        int cap = g->cap_nodes ? 2 * g->cap_nodes : 64;
        gnode *nn = realloc(g->nodes, (size_t)cap * sizeof *nn);
        if (!nn) {
            free(n.name);
            return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph nodes");
        }
        g->nodes = nn;
        g->cap_nodes = cap;
    }
    for (size_t i = 0; i < noutputs; i++) {
        if (!outputs[i] || !*outputs[i]) continue;
        int t = new_tensor(g, outputs[i]);
        if (t < 0) {
            free(n.name);
            return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        }
        g->tensors[t].producer = g->nnodes;
        n.outputs[i] = t;
    }
    g->nodes[g->nnodes++] = n;
    return CLNN_STATUS_OK;
}

size_t clnn_graph_input_count(const clnn_graph *g) { return g ? (size_t)g->ninputs : 0; }
size_t clnn_graph_output_count(const clnn_graph *g) { return g ? (size_t)g->noutputs : 0; }
size_t clnn_graph_node_count(const clnn_graph *g) { return g ? (size_t)g->nnodes : 0; }

const char *clnn_graph_input_name(const clnn_graph *g, size_t i)
{
    return g && i < (size_t)g->ninputs ? g->tensors[g->inputs[i]].name : NULL;
}

const char *clnn_graph_output_name(const clnn_graph *g, size_t i)
{
    return g && i < (size_t)g->noutputs ? g->tensors[g->outputs[i]].name : NULL;
}

clnn_status clnn_graph_clone(const clnn_graph *g, clnn_graph **out)
{
    *out = NULL;
    clnn_graph *c = calloc(1, sizeof *c);
    if (!c) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph copy");
    c->opset = g->opset; /* the name map is rebuilt on first use */
    c->model_batch = g->model_batch;
    c->tensors = calloc((size_t)(g->ntensors ? g->ntensors : 1), sizeof *c->tensors);
    c->nodes = calloc((size_t)(g->nnodes ? g->nnodes : 1), sizeof *c->nodes);
    c->inputs = malloc((size_t)(g->ninputs ? g->ninputs : 1) * sizeof(int));
    c->outputs = malloc((size_t)(g->noutputs ? g->noutputs : 1) * sizeof(int));
    bool ok = c->tensors && c->nodes && c->inputs && c->outputs;
    for (int i = 0; ok && i < g->ntensors; i++) {
        const gtensor *s = &g->tensors[i];
        gtensor *d = &c->tensors[i];
        *d = *s;
        d->name = NULL, d->data = NULL, d->idata = NULL;
        c->ntensors = i + 1;
        size_t cnt = (size_t)clnn_shape_count(s->dims, s->ndim);
        d->name = strdup(s->name);
        ok = d->name != NULL;
        if (ok && s->data) {
            d->data = malloc((cnt ? cnt : 1) * sizeof(float));
            ok = d->data != NULL;
            if (ok && cnt) memcpy(d->data, s->data, cnt * sizeof(float));
        }
        if (ok && s->idata) {
            d->idata = malloc((cnt ? cnt : 1) * sizeof(int64_t));
            ok = d->idata != NULL;
            if (ok && cnt) memcpy(d->idata, s->idata, cnt * sizeof(int64_t));
        }
    }
    c->cap_tensors = c->ntensors;
    for (int i = 0; ok && i < g->nnodes; i++) {
        c->nodes[i] = g->nodes[i];
        c->nodes[i].name = strdup(g->nodes[i].name);
        ok = c->nodes[i].name != NULL;
        c->nnodes = i + 1;
    }
    c->cap_nodes = c->nnodes;
    if (ok) {
        if (g->ninputs) memcpy(c->inputs, g->inputs, (size_t)g->ninputs * sizeof(int));
        if (g->noutputs) memcpy(c->outputs, g->outputs, (size_t)g->noutputs * sizeof(int));
        c->ninputs = g->ninputs;
        c->noutputs = g->noutputs;
    }
    if (!ok) {
        clnn_graph_destroy(c);
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph copy");
    }
    *out = c;
    return CLNN_STATUS_OK;
}
