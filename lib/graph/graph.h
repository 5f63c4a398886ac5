/*
 * graph.h - the layer graph IR: typed tensors and nodes whose attributes each operator's
 * definition (op.h, lib/ops/) parses into its own struct. Built through the public builder API
 * (builder.c), which the ONNX loader also uses, so both paths share all validation. A session
 * compiles a copy once (compile.c): topological order, shape and type inference with
 * constant folding (shape.c), passes (passes.c); the memory plan (plan.c) works on the result.
 */
#ifndef CLNN_GRAPH_H
#define CLNN_GRAPH_H

#include "../internal.h"

#define CLNN_MAX_DIMS 8
#define CLNN_MAX_NODE_INPUTS 1024 /* Concat of a DenseNet block reads dozens */
#define CLNN_MAX_NODE_OUTPUTS 64  /* Split */
/* Operators clnn supports are numbered by the table in lib/ops/op_list.h. */
#define CLNN_OPSET_MIN 1
#define CLNN_OPSET_MAX 20
#define CLNN_OPSET_DEFAULT 17 /* hand-built graphs (clnn_graph_set_opset changes it) */

/* The operator numbers: OP_CONV, OP_RELU... one per line of lib/ops/op_list.h. */
#define CLNN_OP_ENUM(id, def) OP_##id,
typedef enum clnn_op {
#include "../ops/op_list.h"
    OP_COUNT
} clnn_op;
#undef CLNN_OP_ENUM

/* Element types a tensor can have (ONNX's TensorProto codes). Tensors that run on a device
 * are float32 there; an INT64 or BOOL tensor computed on a device (ArgMax) holds its exact
 * integer values as floats. */
typedef enum clnn_dtype {
    CLNN_DTYPE_UNDEFINED = 0,
    CLNN_DTYPE_FLOAT = 1,
    CLNN_DTYPE_INT64 = 7,
    CLNN_DTYPE_BOOL = 9,
} clnn_dtype;
const char *clnn_dtype_name(clnn_dtype t);

typedef struct gtensor {
    char *name;
    clnn_dtype dtype;
    int ndim;                      /* -1 until shapes are inferred (inputs: declared) */
    int64_t dims[CLNN_MAX_DIMS];
    bool batch_free;               /* input whose dims[0] is the session's batch */
    float *data;                   /* FLOAT constants: owned, product(dims) floats */
    int64_t *idata;                /* INT64 and BOOL (0/1) constants: owned */
    bool is_input, is_output;
    int producer;                  /* node index, -1 for inputs and constants */
} gtensor;

/* Whether a tensor's value is known on the host (an initializer or a folded value). */
static inline bool clnn_tensor_is_const(const gtensor *t) { return t->data || t->idata; }

/* What the passes fused into a node (Conv, Gemm): epilogue and residual input. */
typedef struct gfusion {
    clnn_activation act;
    float act_a, act_b;
    clnn_residual residual_mode;
    int residual; /* tensor index, -1 if none */
    char label[96]; /* e.g. "Conv+Add+Relu" */
} gfusion;

typedef struct gnode {
    clnn_op op;
    int version;   /* the operator's ONNX version in effect (its since-version) */
    char *name;
    int *inputs;   /* tensor indices, -1 for an absent optional input (malloc'ed) */
    int ninputs;
    int *outputs;  /* tensor indices, -1 for an unused optional output (malloc'ed) */
    int noutputs;
    void *attrs;   /* the operator's attribute struct (op.h), malloc'ed */
    uint64_t attr_set; /* bit i: attribute i of the operator's schema was given */
    gfusion fused;
    bool removed;  /* folded into a constant or dropped by a pass */
} gnode;

struct clnn_graph {
    gtensor *tensors;
    int ntensors, cap_tensors;
    gnode *nodes;
    int nnodes, cap_nodes;
    int *inputs, ninputs;   /* tensor indices */
    int *outputs, noutputs; /* tensor indices */
    int opset;              /* ONNX default-domain opset */
    int64_t model_batch;    /* the first input's declared dims[0], kept across inferences */
    int batch;              /* the batch shapes were last inferred for (0: declared) */
    /* Tensor name -> index: open addressing, slots hold index + 1 (0 = empty); built on
     * first use and kept up to date as tensors are added. */
    int *name_slots;
    int name_cap, name_count;
};

/* ---- builder.c ------------------------------------------------------------------------- */
/* Finds a tensor by name, or -1. */
int clnn_graph_find_tensor(const clnn_graph *g, const char *name);
/* Deep copy (sessions work on their own copy). */
clnn_status clnn_graph_clone(const clnn_graph *g, clnn_graph **out);
/* Total elements of a shape (0 for ndim < 0 or a negative dimension; INT64_MAX when the
 * product overflows). */
int64_t clnn_shape_count(const int64_t *dims, int ndim);
/* A printable "[1,64,56,56]" into buf. */
const char *clnn_shape_str(const int64_t *dims, int ndim, char *buf, size_t cap);
/* Appends a tensor named `name` (unique) with no shape yet; its index or -1 (message
 * recorded). Passes use it for the tensors they create. */
int clnn_graph_new_tensor(clnn_graph *g, const char *name);
/* Appends a node of operator `op` (attributes copied from `attrs`, the operator's attribute
 * struct, or its defaults when NULL) reading and writing existing tensor indices; passes
 * create nodes with it. Returns the node index or -1 (message recorded). */
int clnn_graph_append_node(clnn_graph *g, clnn_op op, int version, const char *name,
                           const int *inputs, int ninputs, const int *outputs, int noutputs,
                           const void *attrs);
/* clnn_graph_add_input with an element type: INT64 and BOOL inputs must be bound
 * (clnn_graph_bind_input_int64) before a session; compilation refuses them otherwise. */
clnn_status clnn_graph_add_input_typed(clnn_graph *g, const char *name, clnn_dtype dtype,
                                       const int64_t *dims, size_t ndim);
/* Adds a constant of any carried type (data: floats for FLOAT, int64s for INT64 and BOOL),
 * copying it. */
clnn_status clnn_graph_add_constant_typed(clnn_graph *g, const char *name, clnn_dtype dtype,
                                          const int64_t *dims, size_t ndim, const void *data);
/* Gives tensor t a constant value (taking ownership of data: floats for FLOAT, int64s for
 * INT64 and BOOL) with the given shape and type. */
void clnn_tensor_set_const(gtensor *t, clnn_dtype dtype, const int64_t *dims, int ndim,
                           void *data);

/* ---- shape.c --------------------------------------------------------------------------- */
/* Resolves the execution order (topological, every node whose inputs are ready, in the
 * order they were added), infers every tensor's type and shape for the batch and, with
 * `fold`, replaces each node whose inputs are all known on the host by its constant result.
 * *order (malloc'ed) lists the live nodes. On error the message names the node, its
 * operator and the problem. */
clnn_status clnn_graph_infer_fold(clnn_graph *g, int batch, bool fold, int **order,
                                  int *norder);
/* The same without folding (a graph as built). */
clnn_status clnn_graph_infer(clnn_graph *g, int batch, int **order, int *norder);

/* ---- passes.c -------------------------------------------------------------------------- */
/* Removes Identity/Dropout and lowers multi-output nodes; with `fuse`, folds
 * BatchNormalization into Conv and moves activations and residual Adds into Conv/Gemm
 * epilogues. Shapes must be inferred before. No pass changes what a graph output or any
 * other reader of a tensor sees. */
clnn_status clnn_graph_optimize(clnn_graph *g, bool fuse);

/* ---- compile.c ------------------------------------------------------------------------- */
/* A graph compiled for one batch: the copy the scheduler and every device instance share. */
typedef struct clnn_compiled {
    clnn_graph *g;    /* owned */
    int *order;       /* live nodes in execution order */
    int norder;
    int batch;
} clnn_compiled;
/* Copies `graph` and compiles it: order, inference with constant folding, passes (fusion
 * unless !fuse), inference again. */
clnn_status clnn_graph_compile(const clnn_graph *graph, int batch, bool fuse,
                               clnn_compiled **out);
void clnn_compiled_destroy(clnn_compiled *c);

#endif
