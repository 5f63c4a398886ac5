/*
 * plan.h - the activation memory plan (plan.c).
 */
#ifndef CLNN_PLAN_H
#define CLNN_PLAN_H

#include "graph.h"

typedef struct plan_tensor {
    int root;       /* tensor whose storage this one uses (itself for computed tensors;
                       the viewed tensor for Flatten/Reshape); -1 for constants */
    bool is_view;
    int storage;    /* index of its storage if it is a root with one, else -1 */
    int in_concat;  /* >= 0: written in place into this Concat output tensor */
    int64_t off;    /* ...at this float offset */
    int64_t img_stride; /* ...with this many floats between images */
} plan_tensor;

typedef struct clnn_plan {
    plan_tensor *tensors; /* one per graph tensor */
    int ntensors;
    int nstorages;
    size_t *storage_offset, *storage_bytes;
    size_t arena_bytes; /* the planned peak */
    size_t naive_bytes; /* one buffer per computed tensor */
} clnn_plan;

/* Plans the tensors of the nodes in `order` (execution order). `strided` tells which
 * operators can write into a slice of a Concat output. Offsets are multiples of align. */
clnn_status clnn_plan_build(const clnn_graph *g, const int *order, int n, size_t align,
                            bool (*strided)(clnn_op op), clnn_plan *plan);
void clnn_plan_free(clnn_plan *plan);

/* Bytes of a float tensor (at least 4). */
size_t clnn_tensor_bytes(const gtensor *t);

static inline size_t clnn_align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

#endif
