/*
 * graph.h - the layer graph IR: tensors and nodes, with every operator's attributes parsed
 * into one struct per node. Built through the public builder API (builder.c), which the ONNX
 * loader also uses, so both paths share all validation. Shape inference (shape.c), passes
 * (passes.c) and the memory plan (plan.c) work on it.
 */
#ifndef CLNN_GRAPH_H
#define CLNN_GRAPH_H

#include "../internal.h"

#define CLNN_MAX_DIMS 8
#define CLNN_MAX_NODE_INPUTS 16 /* Concat may have many; more is refused */

typedef enum clnn_op {
    OP_CONV,
    OP_MAX_POOL,
    OP_AVERAGE_POOL,
    OP_GLOBAL_AVERAGE_POOL,
    OP_GLOBAL_MAX_POOL,
    OP_GEMM,
    OP_MATMUL,
    OP_RELU,
    OP_CLIP,
    OP_LEAKY_RELU,
    OP_SIGMOID,
    OP_ADD,
    OP_MUL,
    OP_CONCAT,
    OP_LRN,
    OP_BATCH_NORM,
    OP_SOFTMAX,
    OP_FLATTEN,
    OP_RESHAPE,
    OP_IDENTITY,
    OP_DROPOUT,
    OP_CONSTANT,
    OP_COUNT
} clnn_op;

/* ONNX operator type name of an op ("Conv"...). */
const char *clnn_op_name(clnn_op op);

typedef struct gtensor {
    char *name;
    int ndim;                      /* -1 until shapes are inferred (inputs: declared) */
    int64_t dims[CLNN_MAX_DIMS];
    bool batch_free;               /* input whose dims[0] is the session's batch */
    float *data;                   /* float constants: owned, product(dims) floats */
    int64_t *idata;                /* int64 constants (shapes for Reshape): owned */
    bool is_input, is_output;
    int producer;                  /* node index, -1 for inputs and constants */
} gtensor;

/* Attributes of every operator, parsed and checked by the builder. */
typedef struct gattrs {
    /* Conv, pools */
    int kernel[2], strides[2], pads[4] /* top, left, bottom, right */, dilations[2];
    int groups;
    bool auto_pad_same_upper, auto_pad_same_lower; /* resolved during shape inference */
    bool ceil_mode, count_include_pad;
    /* Gemm */
    float alpha, beta;
    bool trans_a, trans_b;
    /* Clip (opset < 11 bounds), LeakyRelu alpha; LRN */
    float clip_min, clip_max;
    bool has_clip_min, has_clip_max;
    int lrn_size;
    float lrn_alpha, lrn_beta, lrn_bias;
    /* BatchNormalization */
    float epsilon;
    /* Concat, Softmax, Flatten */
    int axis;
    int softmax_opset13; /* 1: softmax over `axis` only; 0: flattened to 2-D from axis */
    /* Reshape: the target shape (from the shape input, read at build time) */
    int64_t shape[CLNN_MAX_DIMS];
    int shape_ndim;
    bool allowzero;
} gattrs;

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
    char *name;
    int inputs[CLNN_MAX_NODE_INPUTS]; /* tensor indices, -1 for an absent optional input */
    int ninputs;
    int outputs[2];
    int noutputs;
    gattrs a;
    gfusion fused;
    bool removed; /* dropped by a pass */
} gnode;

struct clnn_graph {
    gtensor *tensors;
    int ntensors, cap_tensors;
    gnode *nodes;
    int nnodes, cap_nodes;
    int *inputs, ninputs;   /* tensor indices */
    int *outputs, noutputs; /* tensor indices */
    int opset;              /* ONNX default-domain opset (0: builder, latest semantics) */
    int64_t model_batch;    /* the first input's declared dims[0], kept across inferences */
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
/* Total elements of a shape (0 for ndim < 0; saturates on overflow to INT64_MAX). */
int64_t clnn_shape_count(const int64_t *dims, int ndim);
/* A printable "[1,64,56,56]" into buf. */
const char *clnn_shape_str(const int64_t *dims, int ndim, char *buf, size_t cap);

/* ---- shape.c --------------------------------------------------------------------------- */
/* The convolution / pooling parameters of a Conv or pool node whose shapes are inferred
 * (fused epilogue included for Conv). */
clnn_status clnn_node_conv_params(const clnn_graph *g, const gnode *n, clnn_conv_params *p);
clnn_status clnn_node_pool_params(const clnn_graph *g, const gnode *n, clnn_pool_params *p);

/* Resolves names, checks structure (cycles, dangling inputs, outputs produced), infers every
 * tensor's shape for the batch and orders nodes topologically into *order (malloc'ed, only
 * nodes not removed). On error the message names the node, op and problem. */
clnn_status clnn_graph_infer(clnn_graph *g, int batch, int **order, int *norder);

/* ---- passes.c -------------------------------------------------------------------------- */
/* Removes Identity/Dropout; with `fuse`, folds BatchNormalization into Conv and moves
 * activations and residual Adds into Conv/Gemm epilogues. Shapes must be inferred before. */
clnn_status clnn_graph_optimize(clnn_graph *g, bool fuse);

#endif
