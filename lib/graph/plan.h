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

/* Bytes of a float tensor (at least 4). */
size_t clnn_tensor_bytes(const gtensor *t);

static inline size_t clnn_align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

#endif
