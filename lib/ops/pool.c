/*
 * pool.c - max / average pooling and global pooling (kernels/pool.cl), with the plain C
 * reference. Semantics follow PyTorch and ONNX: ceil mode keeps a last window only if it
 * starts inside the input or its top/left padding; average with count_include_pad divides by
 * the window clipped to the padded input, without it by the number of input elements.
 * Dilated windows (ONNX dilations) take every d-th element: they span (k - 1) * d + 1, and
 * the divisors count their taps the same way.
 */
#include "pool.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Global pooling planes from this size reduce with a work-group; smaller ones take one
 * work-item per plane (on PoCL 1.7x faster at 7x7 than the reduction; on GPUs neighbouring
 * work-items should share reads, so the reduction starts earlier there). */
#define LARGE_PLANE_CPU 256
#define LARGE_PLANE_GPU 64

static int out_size(int in, int k, int s, int pa, int pb, bool ceil_mode)
{
    long span = (long)in + pa + pb - k;
    long o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= (long)in + pa) o--;
    return (int)o;
}

/* Whether every window along an axis has a tap inside the input (a dilated one can straddle
 * it, every tap in the padding, when the input is shorter than the dilation). */
static bool taps_reach_input(int in, int k, int s, int d, int pad, int out)
{
    for (int o = 0; o < out; o++) {
        bool hit = false;
        for (int i = 0; i < k && !hit; i++) {
            const long t = (long)o * s - pad + (long)i * d;
            hit = t >= 0 && t < in;
        }
        if (!hit) return false;
    }
    return true;
}

clnn_status clnn_pool_check(const clnn_context *ctx, const clnn_pool_params *params,
                            clnn_pool_params *out, int *P, int *Q)
{
    if (!params) return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "pooling parameters are NULL");
    clnn_pool_params p = *params;
    if ((unsigned)p.kind > CLNN_POOL_GLOBAL_AVERAGE)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "pooling: unknown kind %d",
                         (int)p.kind);
    const bool global = p.kind == CLNN_POOL_GLOBAL_MAX || p.kind == CLNN_POOL_GLOBAL_AVERAGE;
    if (p.stride_h == 0) p.stride_h = 1;
    if (p.stride_w == 0) p.stride_w = 1;
    if (p.dilation_h == 0) p.dilation_h = 1;
    if (p.dilation_w == 0) p.dilation_w = 1;
    struct {
        const char *name;
        int v, min;
    } f[] = {{"batch", p.batch, 1},         {"channels", p.channels, 1},
             {"in_height", p.in_height, 1}, {"in_width", p.in_width, 1},
             {"kernel_h", global ? 1 : p.kernel_h, 1}, {"kernel_w", global ? 1 : p.kernel_w, 1},
             {"stride_h", global ? 1 : p.stride_h, 1},   {"stride_w", global ? 1 : p.stride_w, 1},
             {"dilation_h", global ? 1 : p.dilation_h, 1},
             {"dilation_w", global ? 1 : p.dilation_w, 1},
             {"pad_top", global ? 0 : p.pad_top, 0},     {"pad_left", global ? 0 : p.pad_left, 0},
             {"pad_bottom", global ? 0 : p.pad_bottom, 0}, {"pad_right", global ? 0 : p.pad_right, 0}};
    for (size_t i = 0; i < CLNN_ARRAY_LEN(f); i++) {
        if (f[i].v < f[i].min)
            return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                             "pooling: %s is %d but must be at least %d", f[i].name, f[i].v,
                             f[i].min);
        if (f[i].v > (1 << 24))
            return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                             "pooling: %s is %d, larger than clnn supports", f[i].name, f[i].v);
    }
    size_t in = 1;
    if (!clnn_mul_checked(&in, p.batch, INT_MAX) || !clnn_mul_checked(&in, p.channels, INT_MAX) ||
        !clnn_mul_checked(&in, p.in_height, INT_MAX) ||
        !clnn_mul_checked(&in, p.in_width, INT_MAX))
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "pooling: the input has more than 2^31 elements");
    if (global) {
        p.kernel_h = p.in_height;
        p.kernel_w = p.in_width;
        p.stride_h = p.stride_w = 1;
        p.dilation_h = p.dilation_w = 1;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 0;
        p.ceil_mode = false;
        *P = *Q = 1;
    } else {
        /* The span of the (dilated) window; both factors are at most 2^24. */
        const long long eh = (long long)(p.kernel_h - 1) * p.dilation_h + 1;
        const long long ew = (long long)(p.kernel_w - 1) * p.dilation_w + 1;
        if (eh > (1 << 24) || ew > (1 << 24))
            return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                             "pooling: the dilated window spans %lld x %lld, larger than clnn "
                             "supports", eh, ew);
        if (p.pad_top >= eh || p.pad_bottom >= eh || p.pad_left >= ew || p.pad_right >= ew)
            return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                             "pooling: padding (%d,%d,%d,%d) must be smaller than the window "
                             "(%lld x %lld), or a window could hold only padding",
                             p.pad_top, p.pad_left, p.pad_bottom, p.pad_right, eh, ew);
        if (eh > (long long)p.in_height + p.pad_top + p.pad_bottom ||
            ew > (long long)p.in_width + p.pad_left + p.pad_right)
            return clnn_fail(ctx, CLNN_STATUS_SHAPE_MISMATCH,
                             "pooling: the window (%lld x %lld) is larger than the padded input "
                             "(%d x %d)",
                             eh, ew, p.in_height + p.pad_top + p.pad_bottom,
                             p.in_width + p.pad_left + p.pad_right);
        *P = out_size(p.in_height, (int)eh, p.stride_h, p.pad_top, p.pad_bottom, p.ceil_mode);
        *Q = out_size(p.in_width, (int)ew, p.stride_w, p.pad_left, p.pad_right, p.ceil_mode);
        if ((p.dilation_h > 1 &&
             !taps_reach_input(p.in_height, p.kernel_h, p.stride_h, p.dilation_h, p.pad_top, *P)) ||
            (p.dilation_w > 1 &&
             !taps_reach_input(p.in_width, p.kernel_w, p.stride_w, p.dilation_w, p.pad_left, *Q)))
            return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                             "pooling: with dilations %d x %d a window holds only padding",
                             p.dilation_h, p.dilation_w);
        size_t out = in / (size_t)p.in_height / (size_t)p.in_width;
        if (!clnn_mul_checked(&out, *P, INT_MAX) || !clnn_mul_checked(&out, *Q, INT_MAX))
            return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                             "pooling: the output has more than 2^31 elements");
    }
    if (out) *out = p;
    return CLNN_STATUS_OK;
}

clnn_status clnn_pool_output_size(const clnn_pool_params *params, int *out_h, int *out_w)
{
    int P, Q;
    clnn_status st = clnn_pool_check(NULL, params, NULL, &P, &Q);
    if (st != CLNN_STATUS_OK) return st;
    if (out_h) *out_h = P;
    if (out_w) *out_w = Q;
    return CLNN_STATUS_OK;
}

clnn_status clnn_pool_reference(const clnn_pool_params *params, const float *input,
                                float *output)
{
    clnn_pool_params p;
    int P, Q;
    clnn_status st = clnn_pool_check(NULL, params, &p, &P, &Q);
    if (st != CLNN_STATUS_OK) return st;
    if (!input || !output)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_pool_reference: NULL buffer");
    const bool is_max = p.kind == CLNN_POOL_MAX || p.kind == CLNN_POOL_GLOBAL_MAX;
    const int H = p.in_height, W = p.in_width;
    for (long nc = 0; nc < (long)p.batch * p.channels; nc++) {
        const float *x = input + nc * H * W;
        for (int oh = 0; oh < P; oh++)
            for (int ow = 0; ow < Q; ow++) {
                int hs = oh * p.stride_h - p.pad_top, ws = ow * p.stride_w - p.pad_left;
                double acc = is_max ? -INFINITY : 0.0;
                int n = 0, rows = 0, cols = 0; /* taps inside the input; inside the padding */
                for (int i = 0; i < p.kernel_h; i++) {
                    const int h = hs + i * p.dilation_h;
                    rows += h < H + p.pad_bottom;
                    for (int j = 0; j < p.kernel_w; j++) {
                        const int w = ws + j * p.dilation_w;
                        if (i == 0) cols += w < W + p.pad_right;
                        if (h < 0 || h >= H || w < 0 || w >= W) continue;
                        double v = x[h * W + w];
                        acc = is_max ? (v > acc || isnan(v) ? v : acc) : acc + v;
                        n++;
                    }
                }
                if (!is_max) {
                    if (p.count_include_pad) n = rows * cols;
                    acc /= n;
                }
                output[(nc * P + oh) * Q + ow] = (float)acc;
            }
    }
    return CLNN_STATUS_OK;
}

/* The starts of pool2d_rows' whole vectors of v outputs in a row: from *qlo, the first
 * window starting at column >= 0, to *qhi, the last whose last load (stride * v floats from
 * the window's last column) ends inside the row. False when no vector fits. */
static bool pool_vector_span(const clnn_pool_params *p, int Q, int v, int *qlo, int *qhi)
{
    const int sw = p->stride_w, last = p->in_width - p->kernel_w + 1 - sw * v + p->pad_left;
    *qlo = (p->pad_left + sw - 1) / sw;
    *qhi = last < 0 ? -1 : (Q - v < last / sw ? Q - v : last / sw);
    return *qhi >= *qlo;
}

clnn_status clnn_pool_create(clnn_context *ctx, size_t device, const clnn_pool_params *params,
                             clnn_pool **out)
{
    if (!out) return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "clnn_pool_create: pool is NULL");
    *out = NULL;
    clnn_device *dev = clnn_context_device(ctx, device);
    if (!dev) return CLNN_STATUS_INVALID_ARGUMENT;
    clnn_pool_params p;
    int P, Q;
    clnn_status st = clnn_pool_check(ctx, params, &p, &P, &Q);
    if (st != CLNN_STATUS_OK) return st;
    clnn_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_pool_create");
    pool->ctx = ctx;
    pool->dev = dev;
    pool->p = p;
    pool->P = P;
    pool->Q = Q;
    pool->in_count = (size_t)p.batch * p.channels * p.in_height * p.in_width;
    pool->out_count = (size_t)p.batch * p.channels * P * Q;
    const bool global = p.kind == CLNN_POOL_GLOBAL_MAX || p.kind == CLNN_POOL_GLOBAL_AVERAGE;
    const bool is_max = p.kind == CLNN_POOL_MAX || p.kind == CLNN_POOL_GLOBAL_MAX;
    int gwg = dev->info.type == CLNN_DEVICE_TYPE_GPU ? 256 : 16;
    while ((size_t)gwg > dev->info.max_work_group_size) gwg /= 2;
    pool->gwg = gwg;
    pool->large = global && (long)p.in_height * p.in_width >=
                                (dev->info.type == CLNN_DEVICE_TYPE_GPU ? LARGE_PLANE_GPU
                                                                        : LARGE_PLANE_CPU);
    /* On CPUs undilated windows at column stride 1 or 2 run a row per work-item with vector
     * loads along it (`clnn-bench conv` pooling rows on PoCL: 1.5x to 3.2x the per-output
     * kernel); GPUs keep a work-item per output, whose neighbours' reads coalesce. */
    int pv = 0; /* the widest vector (16 floats, 8 at stride 2, at least 4) that fits a row */
    if (!global && dev->info.type == CLNN_DEVICE_TYPE_CPU && p.dilation_h == 1 &&
        p.dilation_w == 1 && (p.stride_w == 1 || p.stride_w == 2))
        for (int v = p.stride_w == 1 ? 16 : 8; v >= 4 && !pv; v /= 2)
            if (pool_vector_span(&p, Q, v, &pool->qlo, &pool->qhi)) pv = v;
    pool->rows = pv > 0;
    char opts[200];
    snprintf(opts, sizeof opts,
             "-DIS_MAX=%d -DINCLUDE_PAD=%d -DKH=%d -DKW=%d -DDH=%d -DDW=%d -DGWG=%d -DSW=%d "
             "-DPV=%d -DPV2=%d",
             is_max, p.count_include_pad ? 1 : 0, global ? 1 : p.kernel_h,
             global ? 1 : p.kernel_w, p.dilation_h, p.dilation_w, gwg, p.stride_w, pv ? pv : 8,
             pv ? 2 * pv : 16);
    const char *kname = pool->rows    ? "pool2d_rows"
                        : !global     ? "pool2d"
                        : pool->large ? "global_pool_large"
                                      : "global_pool_small";
    st = clnn_kernel_create(ctx, dev, "pool", opts, kname, &pool->kernel);
    if (st != CLNN_STATUS_OK) {
        clnn_pool_destroy(pool);
        return st;
    }
    *out = pool;
    return CLNN_STATUS_OK;
}

void clnn_pool_destroy(clnn_pool *pool)
{
    if (!pool) return;
    if (pool->kernel) clReleaseKernel(pool->kernel);
    clnn_staging_release(&pool->staging);
    free(pool);
}

size_t clnn_pool_input_count(const clnn_pool *pool) { return pool ? pool->in_count : 0; }
size_t clnn_pool_output_count(const clnn_pool *pool) { return pool ? pool->out_count : 0; }

clnn_status clnn_pool_enqueue_at(clnn_pool *pool, cl_command_queue q, cl_mem in, cl_mem out,
                                 int out_off, int out_img_stride, cl_uint nw,
                                 const cl_event *w, cl_event *done)
{
    const clnn_pool_params *p = &pool->p;
    const int C = p->channels, H = p->in_height, W = p->in_width, P = pool->P, Q = pool->Q;
    clnn_status st;
    if (pool->rows) {
        clnn_arg a[] = {CLNN_ARG(in),          CLNN_ARG(out),         CLNN_ARG(C),
                        CLNN_ARG(H),           CLNN_ARG(W),           CLNN_ARG(P),
                        CLNN_ARG(Q),           CLNN_ARG(p->stride_h), CLNN_ARG(p->pad_top),
                        CLNN_ARG(p->pad_left), CLNN_ARG(p->pad_bottom), CLNN_ARG(p->pad_right),
                        CLNN_ARG(out_off),     CLNN_ARG(out_img_stride),
                        CLNN_ARG(pool->qlo),   CLNN_ARG(pool->qhi)};
        st = clnn_set_args(pool->ctx, pool->kernel, "pool2d_rows", a, CLNN_ARRAY_LEN(a));
        size_t g[2] = {(size_t)P, (size_t)p->batch * C};
        if (st == CLNN_STATUS_OK)
            st = clnn_launch(pool->ctx, q, pool->kernel, "pool2d_rows", 2, g, NULL, nw, w, done);
        return st;
    }
    if (p->kind == CLNN_POOL_MAX || p->kind == CLNN_POOL_AVERAGE) {
        clnn_arg a[] = {CLNN_ARG(in),          CLNN_ARG(out),        CLNN_ARG(C),
                        CLNN_ARG(H),           CLNN_ARG(W),          CLNN_ARG(P),
                        CLNN_ARG(Q),           CLNN_ARG(p->stride_h), CLNN_ARG(p->stride_w),
                        CLNN_ARG(p->pad_top),  CLNN_ARG(p->pad_left), CLNN_ARG(p->pad_bottom),
                        CLNN_ARG(p->pad_right), CLNN_ARG(out_off),   CLNN_ARG(out_img_stride)};
        st = clnn_set_args(pool->ctx, pool->kernel, "pool2d", a, CLNN_ARRAY_LEN(a));
        size_t g[3] = {(size_t)Q, (size_t)P, (size_t)p->batch * C};
        if (st == CLNN_STATUS_OK)
            st = clnn_launch(pool->ctx, q, pool->kernel, "pool2d", 3, g, NULL, nw, w, done);
        return st;
    }
    const int HW = H * W;
    clnn_arg a[] = {CLNN_ARG(in), CLNN_ARG(out),     CLNN_ARG(C),
                    CLNN_ARG(HW), CLNN_ARG(out_off), CLNN_ARG(out_img_stride)};
    const char *name = pool->large ? "global_pool_large" : "global_pool_small";
    st = clnn_set_args(pool->ctx, pool->kernel, name, a, CLNN_ARRAY_LEN(a));
    if (st != CLNN_STATUS_OK) return st;
    size_t planes = (size_t)p->batch * C;
    if (pool->large) {
        size_t local = (size_t)pool->gwg, g = planes * local;
        return clnn_launch(pool->ctx, q, pool->kernel, name, 1, &g, &local, nw, w, done);
    }
    return clnn_launch(pool->ctx, q, pool->kernel, name, 1, &planes, NULL, nw, w, done);
}

clnn_status clnn_pool_enqueue(clnn_pool *pool, cl_command_queue queue, cl_mem input,
                              cl_mem output, cl_uint num_wait, const cl_event *wait,
                              cl_event *done)
{
    if (!pool) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_pool_enqueue: pool is NULL");
    if (num_wait && !wait)
        return clnn_fail(pool->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_pool_enqueue: num_wait is %u but wait is NULL", num_wait);
    clnn_status st = clnn_check_mem(pool->ctx, input, pool->in_count * sizeof(float), "input");
    if (st == CLNN_STATUS_OK)
        st = clnn_check_mem(pool->ctx, output, pool->out_count * sizeof(float), "output");
    if (st != CLNN_STATUS_OK) return st;
    return clnn_pool_enqueue_at(pool, queue ? queue : pool->dev->queue, input, output, 0,
                                pool->p.channels * pool->P * pool->Q, num_wait, wait, done);
}

static clnn_status staged(void *op, cl_command_queue q, cl_mem *in, cl_mem out, cl_uint nw,
                          const cl_event *w, cl_event *done)
{
    return clnn_pool_enqueue(op, q, in[0], out, nw, w, done);
}

clnn_status clnn_pool_run(clnn_pool *pool, const float *input, size_t input_count,
                          float *output, size_t output_count)
{
    if (!pool) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_pool_run: pool is NULL");
    if (!input || !output)
        return clnn_fail(pool->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_pool_run: input and output must not be NULL");
    if (input_count != pool->in_count || output_count != pool->out_count)
        return clnn_fail(pool->ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "pooling takes %zu input and gives %zu output elements, but the "
                         "buffers hold %zu and %zu",
                         pool->in_count, pool->out_count, input_count, output_count);
    const float *ins[1] = {input};
    size_t counts[1] = {input_count};
    return clnn_staged_run(pool->ctx, pool->dev, &pool->staging, pool, staged, ins, counts, 1,
                           output, output_count);
}
