/*
 * ops.h - what the layer implementations (lib/ops/) share: device buffers, kernel launches,
 * staging buffers for the host-pointer entry points, and the layer structures.
 */
#ifndef CLNN_OPS_H
#define CLNN_OPS_H

#include "../internal.h"

/* A device buffer the op owns, grown on demand. */
typedef struct clnn_buffer {
    cl_mem mem;
    size_t bytes;
} clnn_buffer;

/* Makes sure *buf holds at least `bytes` (reallocating without keeping contents). */
clnn_status clnn_buffer_reserve(clnn_context *ctx, clnn_device *dev, clnn_buffer *buf,
                                size_t bytes, const char *what);
/* Allocates a buffer and copies `bytes` from host memory into it. */
clnn_status clnn_buffer_upload(clnn_context *ctx, clnn_device *dev, clnn_buffer *buf,
                               const void *data, size_t bytes, const char *what);
void clnn_buffer_release(clnn_buffer *buf);

/* Checks that a caller's cl_mem holds at least `bytes`; `what` names it in the message. */
clnn_status clnn_check_mem(clnn_context *ctx, cl_mem mem, size_t bytes, const char *what);

/* Sets kernel arguments in order; every value is passed by address with its size. */
typedef struct clnn_arg {
    size_t size;
    const void *value;
} clnn_arg;
#define CLNN_ARG(v) ((clnn_arg){sizeof(v), &(v)})
#define CLNN_LOCAL_ARG(bytes) ((clnn_arg){(bytes), NULL})
clnn_status clnn_set_args(clnn_context *ctx, cl_kernel k, const char *name,
                          const clnn_arg *args, size_t n);

/* Enqueues an NDRange; global sizes are rounded up to multiples of the local sizes (when
 * given). `name` names the kernel in an error message. */
clnn_status clnn_launch(clnn_context *ctx, cl_command_queue q, cl_kernel k, const char *name,
                        cl_uint dims, const size_t *global, const size_t *local,
                        cl_uint num_wait, const cl_event *wait, cl_event *done);

/* The selected device `index`, or NULL after recording an INVALID_ARGUMENT failure. */
clnn_device *clnn_context_device(clnn_context *ctx, size_t index);

/* Rounds x up to a multiple of m (m > 0). */
static inline size_t clnn_round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }
static inline int clnn_div_up(int x, int m) { return (x + m - 1) / m; }

/* *acc *= v with an overflow check against `limit`; false (and *acc = 0) on overflow or a
 * negative v. */
static inline bool clnn_mul_checked(size_t *acc, long long v, size_t limit)
{
    if (v < 0 || (v > 0 && *acc > limit / (size_t)v)) {
        *acc = 0;
        return false;
    }
    *acc *= (size_t)v;
    return true;
}

/* Runs a host-pointer entry point through staging buffers: uploads `nin` inputs, enqueues
 * `fn`, waits and downloads the output. */
typedef clnn_status (*clnn_enqueue_fn)(void *op, cl_command_queue q, cl_mem *inputs,
                                       cl_mem output, cl_uint nw, const cl_event *w,
                                       cl_event *done);
typedef struct clnn_staging {
    clnn_buffer in[3];
    clnn_buffer out;
} clnn_staging;
clnn_status clnn_staged_run(clnn_context *ctx, clnn_device *dev, clnn_staging *st, void *op,
                            clnn_enqueue_fn fn, const float *const *inputs,
                            const size_t *in_counts, int nin, float *output, size_t out_count);
void clnn_staging_release(clnn_staging *st);

/* An OpenCL C literal for v: hexadecimal float ("0x1.8p+2f", exact), or INFINITY / NAN,
 * for -D options. Returns buf. */
const char *clnn_float_literal(float v, char buf[40]);

/* The reference activation (conv_ref.c), shared by every C reference. */
float clnn_ref_activate(float x, clnn_activation act, float a, float b);

#endif
