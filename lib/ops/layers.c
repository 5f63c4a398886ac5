/*
 * layers.c - the operator -> layer table of the session executor.
 */
#include "layer.h"

const clnn_layer_impl *clnn_layer_find(clnn_op op)
{
    switch (op) {
    case OP_CONV: return &clnn_layer_conv;
    case OP_MAX_POOL:
    case OP_AVERAGE_POOL:
    case OP_GLOBAL_AVERAGE_POOL:
    case OP_GLOBAL_MAX_POOL: return &clnn_layer_pool;
    case OP_GEMM:
    case OP_MATMUL: return &clnn_layer_fc;
    case OP_RELU:
    case OP_CLIP:
    case OP_LEAKY_RELU:
    case OP_SIGMOID: return &clnn_layer_act;
    case OP_ADD:
    case OP_MUL: return &clnn_layer_binary;
    case OP_BATCH_NORM: return &clnn_layer_bn;
    case OP_LRN: return &clnn_layer_lrn;
    case OP_SOFTMAX: return &clnn_layer_softmax;
    case OP_CONCAT: return &clnn_layer_concat;
    default: return NULL;
    }
}

const gtensor *clnn_node_input(const clnn_graph *g, const gnode *n, int i)
{
    return i < n->ninputs && n->inputs[i] >= 0 ? &g->tensors[n->inputs[i]] : NULL;
}

const gtensor *clnn_node_output(const clnn_graph *g, const gnode *n)
{
    return &g->tensors[n->outputs[0]];
}

size_t clnn_tensor_count(const gtensor *t) { return (size_t)clnn_shape_count(t->dims, t->ndim); }
