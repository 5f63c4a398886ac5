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

/* One storage to place in an arena: alive from position `first` to `last` (inclusive, in
 * execution order), `bytes` long; `offset` is the result. */
typedef struct clnn_plan_interval {
    int tensor; /* the caller's: which tensor it stores */
    size_t bytes, offset;
    int first, last;
} clnn_plan_interval;

/* Offsets for every interval, multiples of align, such that intervals alive at the same
 * time never overlap; *arena_bytes receives the peak. Greedy by size (largest first, each
 * at the lowest offset free for its whole lifetime), with the placed intervals indexed by
 * time so that a long chain plans in about linear time. OUT_OF_HOST_MEMORY on failure. */
clnn_status clnn_plan_offsets(clnn_plan_interval *iv, int n, size_t align, size_t *arena_bytes);

/* Bytes of a float tensor (at least 4). */
size_t clnn_tensor_bytes(const gtensor *t);

static inline size_t clnn_align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

#endif
