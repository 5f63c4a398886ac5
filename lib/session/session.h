/*
 * session.h - the session object: a graph copy after passes, its memory plan, and one
 * prepared layer per executed node, on the context's devices.
 */
#ifndef CLNN_SESSION_H
#define CLNN_SESSION_H

#include "../graph/plan.h"
#include "../ops/layer.h"

typedef struct session_layer {
    int node;                 /* index in the session graph */
    const clnn_layer_impl *impl;
    void *state;
    size_t device;
    char op_label[96];
    char *algorithm;          /* owned copy of describe() */
    double ms;
    double max_error;
    cl_event start, event;    /* last run's marker before the layer and its completion
                                 (profiling) */
} session_layer;

/* Where a tensor lives on a device. */
typedef struct tensor_loc {
    cl_mem mem;       /* sub-buffer of the arena, input/constant buffer; NULL if none */
    int off;          /* floats: offset of a slice in place inside a concatenation */
    int img_stride;   /* floats between images (dense: elements per image) */
} tensor_loc;

struct clnn_session {
    clnn_context *ctx;
    clnn_graph *g;
    int *order, norder;
    clnn_plan plan;
    size_t device;           /* the device every layer runs on */
    cl_mem arena;
    cl_mem *storage_mems;    /* one sub-buffer per storage */
    cl_mem *own_mems;        /* per tensor: input buffers and uploaded constants */
    tensor_loc *loc;         /* per tensor */
    session_layer *layers;
    int nlayers;
    bool profiling;
    char **in_names, **out_names; /* the graph's names (outputs keep theirs through passes) */
    int *in_tensor, *out_tensor;
    int nin, nout;
};

#endif
