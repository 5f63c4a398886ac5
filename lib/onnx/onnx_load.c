/*
 * onnx_load.c - clnn_graph_load_onnx and clnn_graph_load_onnx_buffer. The model is parsed by
 * protobuf-c (after a nesting guard), its default-domain opset is checked, and the graph is
 * built in ONNX order through the builder: initializers as constants, the remaining graph
 * inputs, the nodes (ONNX stores them topologically sorted, so every input already exists),
 * then the outputs. Any failure destroys the partial graph and names what was wrong.
 */
#include "onnx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Protobuf messages are limited to 2 GiB; bigger models keep their weights in external
 * data files. */
#define ONNX_MAX_MODEL_BYTES ((size_t)INT32_MAX)
/* Every operator's definition knows its versions up to CLNN_OPSET_MAX (lib/graph/op.h);
 * which of them clnn implements, each definition says. */
#define ONNX_OPSET_MIN CLNN_OPSET_MIN
#define ONNX_OPSET_MAX CLNN_OPSET_MAX

static bool is_default_domain(const char *d)
{
    return !*onnx_str(d) || !strcmp(d, "ai.onnx");
}

static clnn_status model_opset(const Onnx__ModelProto *m, int *opset)
{
    int64_t v = INT64_MIN;
    bool found = false;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        /* Nodes bind to the highest version imported for their domain. */
        if (!is_default_domain(o->domain)) continue;
        found = true;
        if (o->has_version && o->version > v) v = o->version;
    }
    if (found && v == INT64_MIN)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "the model imports the default ONNX domain without a version");
    if (!found && m->n_opset_import > 0)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "the model imports only operator sets of other domains (e.g. '%.100s'); "
                         "clnn runs the default ONNX domain",
                         onnx_str(m->opset_import[0]->domain));
    if (!found)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "the model imports no opset of the default ONNX domain");
    if (v < ONNX_OPSET_MIN || v > ONNX_OPSET_MAX)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "the model uses ONNX opset %lld; clnn supports opsets %d to %d",
                         (long long)v, ONNX_OPSET_MIN, ONNX_OPSET_MAX);
    *opset = (int)v;
    return CLNN_STATUS_OK;
}

static clnn_status add_initializers(clnn_graph *g, const Onnx__GraphProto *gp,
                                    const char *base_dir)
{
    if (gp->n_sparse_initializer) {
        const Onnx__SparseTensorProto *s = gp->sparse_initializer[0];
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "sparse initializer '" ONNX_NAME_FMT "' is not supported",
                         s->values ? onnx_str(s->values->name) : "");
    }
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const char *name = onnx_str(gp->initializer[i]->name);
        if (!*name)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "initializer %zu has no name", i);
        clnn_status st = onnx_add_tensor(g, gp->initializer[i], name, base_dir);
        if (st != CLNN_STATUS_OK) return st;
    }
    return CLNN_STATUS_OK;
}

/* Type and dims of a graph input (FLOAT; INT64 and BOOL ones are bound before a session):
 * each a dim_value, except that a symbolic or unknown first dimension is the batch (0 tells
 * the builder so). */
static clnn_status input_dims(const Onnx__ValueInfoProto *vi, const char *name,
                              clnn_dtype *dtype, int64_t *dims, size_t *ndim)
{
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "graph input '" ONNX_NAME_FMT "' is not a tensor", name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    int32_t et = tt->has_elem_type ? tt->elem_type : 0;
    if (et == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        *dtype = CLNN_DTYPE_FLOAT;
    else if (et == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
        *dtype = CLNN_DTYPE_INT64;
    else if (et == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL)
        *dtype = CLNN_DTYPE_BOOL;
    else
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "graph input '" ONNX_NAME_FMT "' has element type %s; clnn takes FLOAT "
                         "inputs (and INT64 or BOOL ones given as constants)",
                         name, onnx_dtype_name(et));
    if (!tt->shape)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "graph input '" ONNX_NAME_FMT "' has no shape", name);
    *ndim = tt->shape->n_dim;
    if (*ndim > CLNN_MAX_DIMS)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "graph input '" ONNX_NAME_FMT "' has %zu dimensions (at most %d)", name,
                         *ndim, CLNN_MAX_DIMS);
    for (size_t i = 0; i < *ndim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        bool known = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        if (known && d->dim_value < 0)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "graph input '" ONNX_NAME_FMT "': dimension %zu is %lld", name, i,
                             (long long)d->dim_value);
        if (known && d->dim_value == 0)
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "graph input '" ONNX_NAME_FMT "': dimension %zu is 0; clnn does not "
                             "carry empty tensors",
                             name, i);
        if (!known && i > 0)
            return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                             "graph input '" ONNX_NAME_FMT "': dimension %zu has no fixed size; "
                             "only the first (batch) dimension may be symbolic",
                             name, i);
        dims[i] = known ? d->dim_value : 0;
    }
    return CLNN_STATUS_OK;
}

static clnn_status add_inputs(clnn_graph *g, const Onnx__GraphProto *gp)
{
    for (size_t i = 0; i < gp->n_input; i++) {
        const char *name = onnx_str(gp->input[i]->name);
        if (!*name)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "graph input %zu has no name", i);
        /* Models before IR version 4 list every initializer among the inputs as well. */
        int t = clnn_graph_find_tensor(g, name);
        if (t >= 0 && !g->tensors[t].is_input) continue;
        int64_t dims[CLNN_MAX_DIMS];
        size_t ndim = 0;
        clnn_dtype dtype = CLNN_DTYPE_FLOAT;
        clnn_status st = input_dims(gp->input[i], name, &dtype, dims, &ndim);
        if (st == CLNN_STATUS_OK) st = clnn_graph_add_input_typed(g, name, dtype, dims, ndim);
        if (st != CLNN_STATUS_OK) return st;
    }
    return CLNN_STATUS_OK;
}

static clnn_status add_outputs(clnn_graph *g, const Onnx__GraphProto *gp)
{
    if (gp->n_output == 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "the graph declares no outputs");
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *name = onnx_str(gp->output[i]->name);
        if (!*name)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "graph output %zu has no name", i);
        clnn_status st = clnn_graph_add_output(g, name);
        if (st != CLNN_STATUS_OK) return st;
    }
    return CLNN_STATUS_OK;
}

static clnn_status build_graph(const Onnx__ModelProto *m, const char *base_dir,
                               clnn_graph **out)
{
    const Onnx__GraphProto *gp = m->graph;
    if (!gp) return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "the ONNX model has no graph");
    int opset = 0;
    clnn_status st = model_opset(m, &opset);
    clnn_graph *g = NULL;
    if (st == CLNN_STATUS_OK) st = clnn_graph_create(&g);
    if (st != CLNN_STATUS_OK) return st;
    g->opset = opset; /* before any node: the builder's defaults depend on it */
    st = add_initializers(g, gp, base_dir);
    if (st == CLNN_STATUS_OK) st = add_inputs(g, gp);
    for (size_t i = 0; st == CLNN_STATUS_OK && i < gp->n_node; i++)
        st = onnx_add_node(g, gp->node[i], i, base_dir);
    if (st == CLNN_STATUS_OK) st = add_outputs(g, gp);
    if (st != CLNN_STATUS_OK) {
        clnn_graph_destroy(g);
        return st;
    }
    *out = g;
    return CLNN_STATUS_OK;
}

clnn_status clnn_graph_load_onnx_buffer(const void *data, size_t size, const char *base_dir,
                                        clnn_graph **graph)
{
    if (graph) *graph = NULL;
    if (!graph || (!data && size))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_graph_load_onnx_buffer: NULL argument");
    if (size == 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "not a valid ONNX model: it is empty");
    if (size > ONNX_MAX_MODEL_BYTES)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "not a valid ONNX model: %zu bytes, over the 2 GiB protobuf limit", size);
    clnn_status st = onnx_check_nesting(data, size);
    if (st != CLNN_STATUS_OK) return st;
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, data);
    if (!m)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "not a valid ONNX model: the protobuf does not parse as a ModelProto");
    st = build_graph(m, base_dir, graph);
    onnx__model_proto__free_unpacked(m, NULL);
    return st;
}

/* The folder of a file path ("." when it names none), malloc'ed. */
static char *parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return clnn_strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir) {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return dir;
}

clnn_status clnn_graph_load_onnx(const char *path, clnn_graph **graph)
{
    if (graph) *graph = NULL;
    if (!graph || !path)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_graph_load_onnx: NULL argument");
    char *data;
    size_t len;
    int err = clnn_read_file(path, ONNX_MAX_MODEL_BYTES, &data, &len);
    if (err == EFBIG)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "ONNX model '%s' is over the 2 GiB protobuf limit (large models keep "
                         "weights in external data files)",
                         path);
    if (err)
        return clnn_fail(NULL, CLNN_STATUS_IO_ERROR, "reading ONNX model '%s': %s", path,
                         strerror(err));
    char *dir = parent_dir(path);
    clnn_status st = dir ? clnn_graph_load_onnx_buffer(data, len, dir, graph)
                         : clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "model path");
    free(dir);
    free(data);
    return st;
}
