/*
 * layer_small.h - what the small layers (layer_eltwise.c, layer_norm.c, layer_softmax.c,
 * layer_concat.c) share: launch geometry and error messages that name the node.
 */
#ifndef CLNN_LAYER_SMALL_H
#define CLNN_LAYER_SMALL_H

#include "layer.h"

#include <limits.h>

/* Work-items along launch dimension 0 per group, and the granularity a short dimension 0 is
 * rounded to: memory-bound kernels, so only enough for PoCL's vectoriser (CPU) or a few warps
 * (GPU). */
#define SMALL_LOCAL_CPU 64
#define SMALL_LOCAL_GPU 256
#define SMALL_GRAIN_CPU 8
#define SMALL_GRAIN_GPU 32
/* Launch dimensions 1 and 2 hold at most this many work-groups each (CUDA's grid limit,
 * which NVIDIA's OpenCL inherits); beyond it kernels take a split row index (SPLIT_ROWS). */
#define SMALL_MAX_GROUPS_YZ 65535

/* The local size along dimension 0 for an extent of `extent` work-items on `dev`. */
static inline size_t small_local(const clnn_device *dev, size_t extent)
{
    const bool gpu = dev->info.type == CLNN_DEVICE_TYPE_GPU;
    size_t l = gpu ? SMALL_LOCAL_GPU : SMALL_LOCAL_CPU;
    size_t grain = gpu ? SMALL_GRAIN_GPU : SMALL_GRAIN_CPU;
    size_t e = clnn_round_up(extent ? extent : 1, grain);
    if (e < l) l = e;
    if (l > dev->info.max_work_group_size) l = dev->info.max_work_group_size;
    if (l > dev->info.max_work_item_sizes[0]) l = dev->info.max_work_item_sizes[0];
    return l ? l : 1;
}

/* Global sizes of launch dimensions 1 and 2 holding `rows` rows as
 * id(1) + size(1) * id(2) (the split form; the kernel checks r < rows). */
static inline void small_split(size_t rows, size_t *g1, size_t *g2)
{
    *g1 = rows == 0 ? 1 : rows > SMALL_MAX_GROUPS_YZ ? SMALL_MAX_GROUPS_YZ : rows;
    *g2 = (rows + *g1 - 1) / *g1;
    if (*g2 == 0) *g2 = 1;
}

/* Re-records the calling thread's last failure prefixed with the node; returns st. */
static inline clnn_status small_fail(const clnn_context *ctx, const char *node, const char *op,
                                     clnn_status st)
{
    return clnn_fail(ctx, st, "node '%s' (%s): %s", node, op, clnn_last_error());
}

/* Kernels index with int: refuses tensors of 2^31 floats or more. */
static inline clnn_status small_count_ok(const clnn_context *ctx, const char *node,
                                         const char *op, size_t count)
{
    if (count <= (size_t)INT_MAX) return CLNN_STATUS_OK;
    return clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED,
                     "node '%s' (%s): %zu elements; clnn supports fewer than 2^31 per tensor",
                     node, op, count);
}

/* Checks that a device buffer of a layer holds `count` floats. */
static inline clnn_status small_check(clnn_context *ctx, const char *node, const char *op,
                                      cl_mem mem, size_t count, const char *what)
{
    clnn_status st = clnn_check_mem(ctx, mem, count * sizeof(float), what);
    return st == CLNN_STATUS_OK ? st : small_fail(ctx, node, op, st);
}

#endif
