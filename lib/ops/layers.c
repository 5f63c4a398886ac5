/*
 * layers.c - small helpers every layer uses.
 */
#include "layer.h"

const gtensor *clnn_node_input(const clnn_graph *g, const gnode *n, int i)
{
    return i < n->ninputs && n->inputs[i] >= 0 ? &g->tensors[n->inputs[i]] : NULL;
}

const gtensor *clnn_node_output(const clnn_graph *g, const gnode *n)
{
    return &g->tensors[n->outputs[0]];
}

size_t clnn_tensor_count(const gtensor *t) { return (size_t)clnn_shape_count(t->dims, t->ndim); }
