/*
 * op_util.c - device buffers, argument setting, launches and host staging shared by the
 * layer implementations.
 */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

clnn_status clnn_buffer_reserve(clnn_context *ctx, clnn_device *dev, clnn_buffer *buf,
                                size_t bytes, const char *what)
{
    if (bytes == 0) bytes = 4;
    if (buf->mem && buf->bytes >= bytes) return CLNN_STATUS_OK;
    clnn_buffer_release(buf);
    if (bytes > dev->info.max_alloc_bytes)
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_DEVICE_MEMORY,
                         "%s needs %zu bytes in one buffer but device '%s' allows at most "
                         "%llu: use a smaller batch or another device",
                         what, bytes, dev->info.name,
                         (unsigned long long)dev->info.max_alloc_bytes);
    cl_int err;
    buf->mem = clCreateBuffer(dev->cl_ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (err != CL_SUCCESS) {
        buf->mem = NULL;
        return clnn_fail_cl(ctx, err, "allocating %zu bytes for %s on '%s'", bytes, what,
                            dev->info.name);
    }
    buf->bytes = bytes;
    return CLNN_STATUS_OK;
}

clnn_status clnn_buffer_upload(clnn_context *ctx, clnn_device *dev, clnn_buffer *buf,
                               const void *data, size_t bytes, const char *what)
{
    clnn_status st = clnn_buffer_reserve(ctx, dev, buf, bytes, what);
    if (st != CLNN_STATUS_OK) return st;
    cl_int err = clEnqueueWriteBuffer(dev->queue, buf->mem, CL_TRUE, 0, bytes, data, 0, NULL,
                                      NULL);
    if (err != CL_SUCCESS) return clnn_fail_cl(ctx, err, "uploading %s", what);
    return CLNN_STATUS_OK;
}

void clnn_buffer_release(clnn_buffer *buf)
{
    if (buf->mem) clReleaseMemObject(buf->mem);
    buf->mem = NULL;
    buf->bytes = 0;
}

clnn_status clnn_check_mem(clnn_context *ctx, cl_mem mem, size_t bytes, const char *what)
{
    if (!mem)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "%s buffer is NULL", what);
    size_t have = 0;
    cl_int err = clGetMemObjectInfo(mem, CL_MEM_SIZE, sizeof have, &have, NULL);
    if (err != CL_SUCCESS) return clnn_fail_cl(ctx, err, "querying the size of the %s buffer", what);
    if (have < bytes)
        return clnn_fail(ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "%s buffer holds %zu bytes but the layer needs %zu (%zu floats)", what,
                         have, bytes, bytes / sizeof(float));
    return CLNN_STATUS_OK;
}

clnn_status clnn_set_args(clnn_context *ctx, cl_kernel k, const char *name,
                          const clnn_arg *args, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].value);
        if (err != CL_SUCCESS)
            return clnn_fail_cl(ctx, err, "clSetKernelArg(%s, %zu)", name, i);
    }
    return CLNN_STATUS_OK;
}

clnn_status clnn_launch(clnn_context *ctx, cl_command_queue q, cl_kernel k, const char *name,
                        cl_uint dims, const size_t *global, const size_t *local,
                        cl_uint num_wait, const cl_event *wait, cl_event *done)
{
    size_t g[3];
    for (cl_uint i = 0; i < dims; i++) {
        g[i] = local ? clnn_round_up(global[i], local[i]) : global[i];
        if (g[i] == 0) g[i] = local ? local[i] : 1;
    }
    cl_int err = clEnqueueNDRangeKernel(q, k, dims, NULL, g, local, num_wait,
                                        num_wait ? wait : NULL, done);
    if (err != CL_SUCCESS)
        return clnn_fail_cl(ctx, err, "launching kernel %s (global %zu x %zu x %zu, local %zu x "
                                      "%zu x %zu)",
                            name, g[0], dims > 1 ? g[1] : 1, dims > 2 ? g[2] : 1,
                            local ? local[0] : 0, local && dims > 1 ? local[1] : 0,
                            local && dims > 2 ? local[2] : 0);
    return CLNN_STATUS_OK;
}

clnn_device *clnn_context_device(clnn_context *ctx, size_t index)
{
    if (!ctx) {
        clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "the context is NULL");
        return NULL;
    }
    if (index >= ctx->ndevices) {
        clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                  "device index %zu out of range: the context has %zu device(s)", index,
                  ctx->ndevices);
        return NULL;
    }
    return &ctx->devices[index];
}

clnn_status clnn_context_cl_handles(const clnn_context *ctx, size_t device, cl_context *cl_ctx,
                                    cl_device_id *cl_device, cl_command_queue *queue)
{
    clnn_device *dev = clnn_context_device((clnn_context *)ctx, device);
    if (!dev) return CLNN_STATUS_INVALID_ARGUMENT;
    if (cl_ctx) *cl_ctx = dev->cl_ctx;
    if (cl_device) *cl_device = dev->id;
    if (queue) *queue = dev->queue;
    return CLNN_STATUS_OK;
}

clnn_status clnn_staged_run(clnn_context *ctx, clnn_device *dev, clnn_staging *st, void *op,
                            clnn_enqueue_fn fn, const float *const *inputs,
                            const size_t *in_counts, int nin, float *output, size_t out_count)
{
    cl_mem mems[3] = {NULL, NULL, NULL};
    clnn_status s;
    for (int i = 0; i < nin; i++) {
        if (!inputs[i]) continue;
        s = clnn_buffer_upload(ctx, dev, &st->in[i], inputs[i], in_counts[i] * sizeof(float),
                               "staged input");
        if (s != CLNN_STATUS_OK) return s;
        mems[i] = st->in[i].mem;
    }
    s = clnn_buffer_reserve(ctx, dev, &st->out, out_count * sizeof(float), "staged output");
    if (s != CLNN_STATUS_OK) return s;
    s = fn(op, dev->queue, mems, st->out.mem, 0, NULL, NULL);
    if (s != CLNN_STATUS_OK) return s;
    cl_int err = clEnqueueReadBuffer(dev->queue, st->out.mem, CL_TRUE, 0,
                                     out_count * sizeof(float), output, 0, NULL, NULL);
    if (err != CL_SUCCESS) return clnn_fail_cl(ctx, err, "reading the output back");
    return CLNN_STATUS_OK;
}

void clnn_staging_release(clnn_staging *st)
{
    for (int i = 0; i < 3; i++) clnn_buffer_release(&st->in[i]);
    clnn_buffer_release(&st->out);
}

const char *clnn_float_literal(float v, char buf[40])
{
    if (isnan(v))
        snprintf(buf, 40, "NAN");
    else if (isinf(v))
        snprintf(buf, 40, "%sINFINITY", v < 0 ? "-" : "");
    else
        snprintf(buf, 40, "%af", (double)v);
    return buf;
}
