/*
 * builder.c - the graph builder API: inputs, constants, nodes, outputs; plus copying and
 * small shape helpers. The ONNX loader builds through these same calls. A node's operator,
 * version, arity and attributes are checked against its definition (op.h): one parser
 * applies the operator's attribute schema into its attribute struct.
 */
#include "op.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

clnn_status clnn_graph_create(clnn_graph **graph)
{
    if (!graph) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_graph_create: NULL");
    *graph = calloc(1, sizeof **graph);
    if (!*graph) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_graph_create");
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_set_opset(clnn_graph *g, int opset)
{
    if (!g || opset < CLNN_OPSET_MIN || opset > CLNN_OPSET_MAX)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_graph_set_opset: opset %d (clnn supports %d to %d)", opset,
                         CLNN_OPSET_MIN, CLNN_OPSET_MAX);
    if (g->nnodes)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_graph_set_opset: the graph has nodes already (set the opset "
                         "first)");
    g->opset = opset;
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
    for (int i = 0; i < g->nnodes; i++) {
        free(g->nodes[i].name);
        free(g->nodes[i].inputs);
        free(g->nodes[i].outputs);
        free(g->nodes[i].attrs);
    }
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

const char *clnn_dtype_name(clnn_dtype t)
{
    switch (t) {
    case CLNN_DTYPE_FLOAT: return "FLOAT";
    case CLNN_DTYPE_INT64: return "INT64";
    case CLNN_DTYPE_BOOL: return "BOOL";
    default: return "UNDEFINED";
    }
}

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

int clnn_graph_new_tensor(clnn_graph *g, const char *name)
{
    if (clnn_graph_find_tensor(g, name) >= 0) {
        clnn_fail(NULL, CLNN_STATUS_INTERNAL, "tensor '%.200s' exists already", name);
        return -1;
    }
    return new_tensor(g, name);
}

void clnn_tensor_set_const(gtensor *t, clnn_dtype dtype, const int64_t *dims, int ndim,
                           void *data)
{
    free(t->data);
    free(t->idata);
    t->data = dtype == CLNN_DTYPE_FLOAT ? data : NULL;
    t->idata = dtype == CLNN_DTYPE_FLOAT ? NULL : data;
    t->dtype = dtype;
    t->ndim = ndim;
    if (ndim > 0) memmove(t->dims, dims, (size_t)ndim * sizeof *dims);
}

/* Graph inputs: dimensions 1..2^30 (dims[0] <= 0: the batch). Constants may be empty (a
 * dimension of 0): exporters write empty `roi` and `scales` inputs of Resize. */
static clnn_status check_dims(const char *what, const char *name, const int64_t *dims,
                              size_t ndim, bool is_input)
{
    if (ndim > CLNN_MAX_DIMS || (ndim > 0 && !dims))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "%s '%s': %zu dimensions (at most %d)", what, name, ndim,
                         CLNN_MAX_DIMS);
    for (size_t i = 0; i < ndim; i++)
        if ((is_input ? i > 0 && dims[i] < 1 : dims[i] < 0) || dims[i] > (1 << 30))
            return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                             "%s '%s': dimension %zu is %lld (must be %d..2^30)", what, name, i,
                             (long long)dims[i], is_input ? 1 : 0);
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
    return clnn_graph_add_input_typed(g, name, CLNN_DTYPE_FLOAT, dims, ndim);
}

clnn_status clnn_graph_add_input_typed(clnn_graph *g, const char *name, clnn_dtype dtype,
                                       const int64_t *dims, size_t ndim)
{
    if (!g) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "graph is NULL");
    clnn_status st = unique_name(g, name, "graph input");
    if (st == CLNN_STATUS_OK) st = check_dims("graph input", name, dims, ndim, true);
    if (st != CLNN_STATUS_OK) return st;
    int t = new_tensor(g, name);
    if (t < 0) return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    gtensor *x = &g->tensors[t];
    x->is_input = true;
    x->dtype = dtype;
    x->ndim = (int)ndim;
    if (ndim) memcpy(x->dims, dims, ndim * sizeof *dims);
    if (ndim && x->dims[0] <= 0) {
        x->batch_free = true;
        x->dims[0] = 1;
    }
    return push_index(&g->inputs, &g->ninputs, t);
}

clnn_status clnn_graph_add_constant_typed(clnn_graph *g, const char *name, clnn_dtype dtype,
                                          const int64_t *dims, size_t ndim, const void *data)
{
    if (!g) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "graph is NULL");
    clnn_status st = unique_name(g, name, "constant");
    if (st == CLNN_STATUS_OK) st = check_dims("constant", name, dims, ndim, false);
    if (st != CLNN_STATUS_OK) return st;
    int64_t count = clnn_shape_count(dims, (int)ndim);
    if (count > 0 && !data)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "constant '%s': data is NULL", name);
    if (dtype != CLNN_DTYPE_FLOAT && dtype != CLNN_DTYPE_INT64 && dtype != CLNN_DTYPE_BOOL)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "constant '%s': element type %d",
                         name, (int)dtype);
    const bool is_int = dtype != CLNN_DTYPE_FLOAT;
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
    x->dtype = dtype;
    x->ndim = (int)ndim;
    if (ndim) memcpy(x->dims, dims, ndim * sizeof *dims);
    if (dtype == CLNN_DTYPE_BOOL)
        for (int64_t i = 0; i < count; i++) ((int64_t *)copy)[i] = ((int64_t *)copy)[i] != 0;
    if (is_int)
        x->idata = copy;
    else
        x->data = copy;
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_add_constant(clnn_graph *g, const char *name, const int64_t *dims,
                                    size_t ndim, const float *data)
{
    return clnn_graph_add_constant_typed(g, name, CLNN_DTYPE_FLOAT, dims, ndim, data);
}

clnn_status clnn_graph_add_constant_int64(clnn_graph *g, const char *name,
                                          const int64_t *dims, size_t ndim,
                                          const int64_t *data)
{
    return clnn_graph_add_constant_typed(g, name, CLNN_DTYPE_INT64, dims, ndim, data);
}

/* Input `name` of g, checked for becoming a constant of `count` values (floats or
 * integers); its index in g->inputs in *k. */
static clnn_status bindable_input(clnn_graph *g, const char *name, bool floats, size_t count,
                                  int *k)
{
    int64_t dim0;
    *k = -1;
    for (int i = 0; i < g->ninputs; i++)
        if (!strcmp(g->tensors[g->inputs[i]].name, name)) *k = i;
    if (*k < 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "the graph has no input named '%s'",
                         name);
    gtensor *x = &g->tensors[g->inputs[*k]];
    if ((x->dtype == CLNN_DTYPE_FLOAT) != floats)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "input '%s' holds %s values: bind it with clnn_graph_bind_input%s", name,
                         clnn_dtype_name(x->dtype), floats ? "_int64" : "");
    if (x->batch_free) { /* the value fixes it: count / the other dimensions */
        const int64_t rest = clnn_shape_count(x->dims + 1, x->ndim - 1);
        if (rest <= 0 || count == 0 || count % (size_t)rest || count / (size_t)rest > (1u << 30))
            return clnn_fail(NULL, CLNN_STATUS_SHAPE_MISMATCH,
                             "input '%s' has a free first dimension: %zu values do not fill "
                             "whole rows of %lld",
                             name, count, (long long)rest);
        dim0 = (int64_t)(count / (size_t)rest);
    } else {
        dim0 = x->ndim ? x->dims[0] : 1;
    }
    size_t want = x->ndim ? (size_t)(dim0 * clnn_shape_count(x->dims + 1, x->ndim - 1)) : 1;
    if (count != want) {
        char b[128];
        return clnn_fail(NULL, CLNN_STATUS_SHAPE_MISMATCH,
                         "input '%s' has shape %s (%zu values) but %zu were given", name,
                         clnn_shape_str(x->dims, x->ndim, b, sizeof b), want, count);
    }
    return CLNN_STATUS_OK;
}

/* Input k becomes a constant holding the count values of `data` (owned now). */
static void bind_input_at(clnn_graph *g, int k, void *data, size_t count)
{
    gtensor *x = &g->tensors[g->inputs[k]];
    if (x->batch_free)
        x->dims[0] = (int64_t)(count / (size_t)clnn_shape_count(x->dims + 1, x->ndim - 1));
    if (x->dtype == CLNN_DTYPE_FLOAT)
        x->data = data;
    else
        x->idata = data;
    x->is_input = false;
    x->batch_free = false;
    memmove(g->inputs + k, g->inputs + k + 1, (size_t)(g->ninputs - k - 1) * sizeof *g->inputs);
    g->ninputs--;
    g->model_batch = 0;
}

clnn_status clnn_graph_bind_input(clnn_graph *g, const char *name, const float *data,
                                  size_t count)
{
    if (!g || !name || (!data && count))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_graph_bind_input: NULL argument");
    int k;
    clnn_status st = bindable_input(g, name, true, count, &k);
    if (st != CLNN_STATUS_OK) return st;
    float *copy = malloc((count ? count : 1) * sizeof *copy);
    if (!copy) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "bind input '%s'", name);
    if (count) memcpy(copy, data, count * sizeof *copy);
    bind_input_at(g, k, copy, count);
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_bind_input_int64(clnn_graph *g, const char *name, const int64_t *data,
                                        size_t count)
{
    if (!g || !name || (!data && count))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_graph_bind_input_int64: NULL argument");
    int k;
    clnn_status st = bindable_input(g, name, false, count, &k);
    if (st != CLNN_STATUS_OK) return st;
    const clnn_dtype dt = g->tensors[g->inputs[k]].dtype;
    for (size_t i = 0; dt == CLNN_DTYPE_BOOL && i < count; i++)
        if (data[i] != 0 && data[i] != 1)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                             "input '%s' is BOOL but value %zu is %lld (0 or 1 expected)", name,
                             i, (long long)data[i]);
    int64_t *copy = malloc((count ? count : 1) * sizeof *copy);
    if (!copy) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "bind input '%s'", name);
    if (count) memcpy(copy, data, count * sizeof *copy);
    bind_input_at(g, k, copy, count);
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

/* ---- attributes: one parser for every operator's schema -------------------------------- */

typedef struct attr_ctx {
    const char *node, *op;
    int version;
} attr_ctx;

static clnn_status bad_attr(const attr_ctx *c, const clnn_attr *a, const char *why)
{
    return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED, "node '%s' (%s): attribute '%s' %s",
                     c->node, c->op, a->name, why);
}

static bool has_version(const op_attr *r, int version)
{
    return (!r->since || version >= r->since) && (!r->until || version < r->until);
}

static void store_int(void *field, size_t size, int64_t v)
{
    if (size == sizeof(int64_t))
        *(int64_t *)field = v;
    else
        *(int *)field = (int)v;
}

static clnn_status check_int(const attr_ctx *c, const clnn_attr *a, const op_attr *r,
                             int64_t v, const char *index)
{
    if (v >= r->lo && v <= r->hi) return CLNN_STATUS_OK;
    return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                     "node '%s' (%s): attribute '%s'%s is %lld, outside %lld..%lld", c->node,
                     c->op, a->name, index, (long long)v, (long long)r->lo, (long long)r->hi);
}

/* Writes one given attribute into the struct at `base` as its schema row says. */
static clnn_status parse_attr(const attr_ctx *c, const op_attr *r, const clnn_attr *a,
                              unsigned char *base)
{
    void *field = base + r->offset;
    switch (r->kind) {
    case OPA_INT: {
        if (a->type != CLNN_ATTR_INT) return bad_attr(c, a, "must be an integer");
        clnn_status st = check_int(c, a, r, a->i, "");
        if (st == CLNN_STATUS_OK) store_int(field, r->size, a->i);
        return st;
    }
    case OPA_FLOAT:
        if (a->type == CLNN_ATTR_FLOAT)
            *(float *)field = a->f;
        else if (a->type == CLNN_ATTR_INT)
            *(float *)field = (float)a->i;
        else
            return bad_attr(c, a, "must be a float");
        return CLNN_STATUS_OK;
    case OPA_INTS: {
        if (a->type != CLNN_ATTR_INTS || (a->count && !a->ints))
            return bad_attr(c, a, "must be a list of integers");
        if (a->count > r->cap)
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "node '%s' (%s): attribute '%s' has %zu values; clnn takes at most "
                             "%u",
                             c->node, c->op, a->name, a->count, (unsigned)r->cap);
        for (size_t i = 0; i < a->count; i++) {
            char idx[32];
            snprintf(idx, sizeof idx, "[%zu]", i);
            clnn_status st = check_int(c, a, r, a->ints[i], idx);
            if (st != CLNN_STATUS_OK) return st;
            ((int64_t *)field)[i] = a->ints[i];
        }
        *(int *)(base + r->count_offset) = (int)a->count;
        return CLNN_STATUS_OK;
    }
    case OPA_FLOATS:
        if (a->type != CLNN_ATTR_FLOATS || (a->count && !a->floats))
            return bad_attr(c, a, "must be a list of floats");
        if (a->count > r->cap)
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "node '%s' (%s): attribute '%s' has %zu values; clnn takes at most "
                             "%u",
                             c->node, c->op, a->name, a->count, (unsigned)r->cap);
        if (a->count) memcpy(field, a->floats, a->count * sizeof(float));
        *(int *)(base + r->count_offset) = (int)a->count;
        return CLNN_STATUS_OK;
    case OPA_ENUM: {
        if (a->type != CLNN_ATTR_STRING || !a->s) return bad_attr(c, a, "must be a string");
        for (int i = 0; r->choices[i]; i++)
            if (!strcmp(r->choices[i], a->s)) {
                *(int *)field = i;
                return CLNN_STATUS_OK;
            }
        char list[256];
        size_t len = 0;
        list[0] = '\0';
        for (int i = 0; r->choices[i] && len < sizeof list; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                    r->choices[i]);
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "node '%s' (%s): attribute '%s' is '%.64s'; clnn supports %s", c->node,
                         c->op, a->name, a->s, list);
    }
    case OPA_SCALAR: {
        op_scalar *v = field;
        if (a->type != CLNN_ATTR_TENSOR) return bad_attr(c, a, "must be a tensor");
        if (a->count != 1) return bad_attr(c, a, "must hold exactly one value");
        if (a->elem_type == CLNN_DTYPE_FLOAT && a->floats) {
            v->dtype = CLNN_DTYPE_FLOAT;
            v->f = a->floats[0];
            v->i = 0;
        } else if ((a->elem_type == 6 || a->elem_type == CLNN_DTYPE_INT64 ||
                    a->elem_type == CLNN_DTYPE_BOOL) && a->ints) {
            v->dtype = a->elem_type == CLNN_DTYPE_BOOL ? CLNN_DTYPE_BOOL : CLNN_DTYPE_INT64;
            v->i = a->elem_type == CLNN_DTYPE_BOOL ? a->ints[0] != 0 : a->ints[0];
            v->f = (double)v->i;
        } else {
            return bad_attr(c, a, "has an element type clnn does not carry (FLOAT, INT32, "
                                  "INT64 and BOOL are)");
        }
        return CLNN_STATUS_OK;
    }
    case OPA_IGNORE: return CLNN_STATUS_OK;
    }
    return CLNN_STATUS_INTERNAL;
}

/* Defaults of every schema row the version has. */
static void default_attrs(const clnn_op_def *def, int version, unsigned char *base)
{
    for (int i = 0; i < def->nattrs; i++) {
        const op_attr *r = &def->attrs[i];
        if (!has_version(r, version)) continue;
        void *field = base + r->offset;
        switch (r->kind) {
        case OPA_INT: store_int(field, r->size, (int64_t)r->def); break;
        case OPA_FLOAT: *(float *)field = (float)r->def; break;
        case OPA_ENUM: *(int *)field = (int)r->def; break;
        default: break; /* lists start empty (calloc), scalars at 0 */
        }
    }
}

/* Parses `attrs` for a node of `def` at `version` into a new attribute struct. */
static clnn_status parse_attrs(const clnn_op_def *def, const attr_ctx *c, const clnn_attr *attrs,
                               size_t nattrs, void **out, uint64_t *set)
{
    *out = NULL;
    *set = 0;
    unsigned char *base = calloc(1, def->attr_size ? def->attr_size : 1);
    if (!base) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '%s'", c->node);
    default_attrs(def, c->version, base);
    for (size_t i = 0; i < nattrs; i++) {
        const clnn_attr *a = &attrs[i];
        clnn_status st = CLNN_STATUS_OK;
        int row = -1, other = -1;
        if (!a->name)
            st = clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "node '%s' (%s): attribute "
                           "without a name", c->node, c->op);
        for (int k = 0; st == CLNN_STATUS_OK && k < def->nattrs; k++)
            if (!strcmp(def->attrs[k].name, a->name)) {
                if (has_version(&def->attrs[k], c->version))
                    row = k;
                else
                    other = k;
            }
        if (st == CLNN_STATUS_OK && row < 0)
            st = other >= 0 ? clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                                        "node '%s' (%s): attribute '%.64s' is not part of "
                                        "version %d of the operator",
                                        c->node, c->op, a->name, c->version)
                            : clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                                        "node '%s' (%s): unsupported attribute '%.64s'",
                                        c->node, c->op, a->name);
        if (st == CLNN_STATUS_OK && (*set >> row & 1))
            st = clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                           "node '%s' (%s): attribute '%s' is given twice", c->node, c->op,
                           a->name);
        if (st == CLNN_STATUS_OK) st = parse_attr(c, &def->attrs[row], a, base);
        if (st != CLNN_STATUS_OK) {
            free(base);
            return st;
        }
        *set |= 1ull << row;
    }
    for (int k = 0; k < def->nattrs; k++)
        if (def->attrs[k].required && has_version(&def->attrs[k], c->version) &&
            !(*set >> k & 1)) {
            free(base);
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "node '%s' (%s): attribute '%s' is required", c->node, c->op,
                             def->attrs[k].name);
        }
    *out = base;
    return CLNN_STATUS_OK;
}

bool op_attr_given(const gnode *n, const char *name)
{
    const clnn_op_def *def = clnn_op_def_of(n->op);
    for (int k = 0; k < def->nattrs; k++)
        if (!strcmp(def->attrs[k].name, name) && (n->attr_set >> k & 1)) return true;
    return false;
}

/* ---- nodes ----------------------------------------------------------------------------- */

static bool grow_nodes(clnn_graph *g)
{
    if (g->nnodes < g->cap_nodes) return true;
    int cap = g->cap_nodes ? 2 * g->cap_nodes : 64;
    gnode *nn = realloc(g->nodes, (size_t)cap * sizeof *nn);
    if (!nn) return false;
    g->nodes = nn;
    g->cap_nodes = cap;
    return true;
}

int clnn_graph_append_node(clnn_graph *g, clnn_op op, int version, const char *name,
                           const int *inputs, int ninputs, const int *outputs, int noutputs,
                           const void *attrs)
{
    const clnn_op_def *def = clnn_op_def_of(op);
    gnode n;
    memset(&n, 0, sizeof n);
    n.op = op;
    n.version = version;
    n.fused.residual = -1;
    n.name = strdup(name);
    n.inputs = malloc((size_t)(ninputs ? ninputs : 1) * sizeof *n.inputs);
    n.outputs = malloc((size_t)(noutputs ? noutputs : 1) * sizeof *n.outputs);
    n.attrs = calloc(1, def->attr_size ? def->attr_size : 1);
    if (!n.name || !n.inputs || !n.outputs || !n.attrs || !grow_nodes(g)) {
        free(n.name), free(n.inputs), free(n.outputs), free(n.attrs);
        clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "graph nodes");
        return -1;
    }
    if (attrs && def->attr_size)
        memcpy(n.attrs, attrs, def->attr_size);
    else
        default_attrs(def, version, n.attrs);
    if (ninputs) memcpy(n.inputs, inputs, (size_t)ninputs * sizeof *inputs);
    if (noutputs) memcpy(n.outputs, outputs, (size_t)noutputs * sizeof *outputs);
    n.ninputs = ninputs;
    n.noutputs = noutputs;
    for (int i = 0; i < noutputs; i++)
        if (outputs[i] >= 0) g->tensors[outputs[i]].producer = g->nnodes;
    g->nodes[g->nnodes] = n;
    return g->nnodes++;
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
    if (!clnn_op_lookup(op_type, &op))
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "node '%s': operator '%.64s' is not supported by clnn (supported: %s; "
                         "constants through clnn_graph_add_constant)",
                         name, op_type, clnn_op_supported_list());
    const clnn_op_def *def = clnn_op_def_of(op);
    const int opset = g->opset > 0 ? g->opset : CLNN_OPSET_DEFAULT;
    int version;
    clnn_status vst = clnn_op_version(def, opset, name, &version);
    if (vst != CLNN_STATUS_OK) return vst;
    attr_ctx c = {name, def->name, version};
    if (ninputs > CLNN_MAX_NODE_INPUTS || noutputs > CLNN_MAX_NODE_OUTPUTS ||
        (int)ninputs < def->min_in || (int)ninputs > def->max_in ||
        (int)noutputs < (def->min_out ? def->min_out : 1) || (int)noutputs > def->max_out)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '%s' (%s): %zu inputs and %zu outputs; the operator takes "
                         "%d..%d inputs and %d..%d outputs",
                         name, c.op, ninputs, noutputs, def->min_in, def->max_in,
                         def->min_out ? def->min_out : 1, def->max_out);

    /* Inputs must already exist (producers come first, as in ONNX's topological order);
     * "" marks an absent optional input. */
    int in_idx[CLNN_MAX_NODE_INPUTS], out_idx[CLNN_MAX_NODE_OUTPUTS];
    for (size_t i = 0; i < ninputs; i++) {
        if (!inputs[i] || !*inputs[i]) {
            if (!(def->optional_in >> (i < 31 ? i : 31) & 1))
                return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                                 "node '%s' (%s): input %zu is empty but required", name, c.op, i);
            in_idx[i] = -1;
            continue;
        }
        int t = clnn_graph_find_tensor(g, inputs[i]);
        if (t < 0)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "node '%s' (%s): input '%.200s' is not produced by any earlier "
                             "node, input or constant",
                             name, c.op, inputs[i]);
        in_idx[i] = t;
    }
    for (size_t i = 0; i < noutputs; i++) {
        if (!outputs[i] || !*outputs[i]) {
            if (i == 0)
                return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                                 "node '%s' (%s): output 0 has no name", name, c.op);
            continue;
        }
        clnn_status st = unique_name(g, outputs[i], "node output");
        for (size_t k = 0; st == CLNN_STATUS_OK && k < i; k++)
            if (outputs[k] && !strcmp(outputs[k], outputs[i]))
                return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                                 "node '%s' (%s): outputs %zu and %zu share the name '%.200s'",
                                 name, c.op, k, i, outputs[i]);
        if (st != CLNN_STATUS_OK)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "node '%s' (%s): output '%.200s' is already defined (a tensor may "
                             "have one producer)",
                             name, c.op, outputs[i]);
    }

    void *parsed;
    uint64_t set;
    clnn_status st = parse_attrs(def, &c, attrs, nattrs, &parsed, &set);
    if (st != CLNN_STATUS_OK) return st;
    gnode probe;
    memset(&probe, 0, sizeof probe);
    probe.op = op;
    probe.version = version;
    probe.name = (char *)name;
    probe.inputs = in_idx;
    probe.ninputs = (int)ninputs;
    probe.noutputs = (int)noutputs;
    probe.attrs = parsed;
    probe.attr_set = set;
    probe.fused.residual = -1;
    if (def->check) st = def->check(&probe);
    if (st != CLNN_STATUS_OK) {
        free(parsed);
        return st;
    }
    int first_new = g->ntensors;
    for (size_t i = 0; i < noutputs; i++) {
        out_idx[i] = -1;
        if (!outputs[i] || !*outputs[i]) continue;
        out_idx[i] = new_tensor(g, outputs[i]);
        if (out_idx[i] < 0) {
            free(parsed);
            for (int t = g->ntensors - 1; t >= first_new; t--) free(g->tensors[t].name);
            g->ntensors = first_new;
            return CLNN_STATUS_OUT_OF_HOST_MEMORY;
        }
    }
    int index = clnn_graph_append_node(g, op, version, name, in_idx, (int)ninputs, out_idx,
                                       (int)noutputs, parsed);
    free(parsed);
    if (index < 0) {
        for (int t = g->ntensors - 1; t >= first_new; t--) free(g->tensors[t].name);
        g->ntensors = first_new;
        g->name_count = 0; /* rebuilt on the next lookup */
        free(g->name_slots);
        g->name_slots = NULL;
        return CLNN_STATUS_OUT_OF_HOST_MEMORY;
    }
    g->nodes[index].attr_set = set;
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
    c->batch = g->batch;
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
        const gnode *s = &g->nodes[i];
        gnode *d = &c->nodes[i];
        const size_t asz = clnn_op_def_of(s->op)->attr_size;
        *d = *s;
        d->name = strdup(s->name);
        d->inputs = malloc((size_t)(s->ninputs ? s->ninputs : 1) * sizeof *d->inputs);
        d->outputs = malloc((size_t)(s->noutputs ? s->noutputs : 1) * sizeof *d->outputs);
        d->attrs = malloc(asz ? asz : 1);
        c->nnodes = i + 1;
        ok = d->name && d->inputs && d->outputs && d->attrs;
        if (!ok) break;
        if (s->ninputs) memcpy(d->inputs, s->inputs, (size_t)s->ninputs * sizeof *d->inputs);
        if (s->noutputs) memcpy(d->outputs, s->outputs, (size_t)s->noutputs * sizeof *d->outputs);
        if (asz) memcpy(d->attrs, s->attrs, asz);
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
