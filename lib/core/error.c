/*
 * error.c - status strings and failure messages.
 *
 * Every failing call records a message: per thread (clnn_last_error) and, when a context is
 * known, on the context (clnn_context_last_error). Messages carry the OpenCL error name and,
 * for kernel builds, the compiler log.
 */
#include "../internal.h"

#include <stdlib.h>
#include <string.h>

#define CLNN_TLS_ERROR_SIZE 16384

static _Thread_local char tls_error[CLNN_TLS_ERROR_SIZE];

const char *clnn_status_string(clnn_status status)
{
    switch (status) {
#define CLNN_STATUS_CASE_(name, value, text)                                                  \
    case CLNN_STATUS_##name:                                                                  \
        return text;
        CLNN_STATUS_LIST(CLNN_STATUS_CASE_)
#undef CLNN_STATUS_CASE_
    }
    return "unknown status";
}

const char *clnn_last_error(void) { return tls_error; }

const char *clnn_version(void) { return "0.1.0"; }

void clnn_clear_error(void) { tls_error[0] = '\0'; }

/* Copies msg into dst (cap bytes) with control characters written as \xNN, so text from a
 * model (names) cannot forge lines or terminal sequences; newlines are kept where the message
 * is a compiler log (keep_newlines). */
size_t clnn_escape_controls(char *dst, size_t cap, const char *msg, bool keep_newlines)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p && n + 5 < cap; p++) {
        if ((*p < 0x20 && !(keep_newlines && (*p == '\n' || *p == '\t'))) || *p == 0x7f)
            n += (size_t)snprintf(dst + n, cap - n, "\\x%02x", *p);
        else
            dst[n++] = (char)*p;
    }
    if (cap) dst[n < cap ? n : cap - 1] = '\0';
    return n;
}

static void record(const clnn_context *cctx, const char *raw, bool keep_newlines)
{
    const char *msg = tls_error;
    char *tmp = malloc(CLNN_TLS_ERROR_SIZE); /* raw may be tls_error itself */
    if (tmp) {
        clnn_escape_controls(tmp, CLNN_TLS_ERROR_SIZE, raw, keep_newlines);
        memcpy(tls_error, tmp, strlen(tmp) + 1);
        free(tmp);
    } else if (raw != tls_error) {
        snprintf(tls_error, sizeof tls_error, "%s", raw);
    }
    if (cctx) {
        /* The context's message is guarded by its lock; the cast is the one place where a
         * const context is written, and only its error slot. */
        clnn_context *ctx = (clnn_context *)cctx;
        char *copy = strdup(msg);
        pthread_mutex_lock(&ctx->lock);
        free(ctx->error);
        ctx->error = copy; /* NULL on allocation failure: the thread message still holds it */
        pthread_mutex_unlock(&ctx->lock);
    }
}

static clnn_status vfail(const clnn_context *ctx, clnn_status status, const char *fmt,
                         va_list ap)
{
    char stackbuf[1024];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(stackbuf, sizeof stackbuf, fmt, ap);
    if (n >= (int)sizeof stackbuf) {
        size_t cap = (size_t)n + 1;
        if (cap > CLNN_TLS_ERROR_SIZE) cap = CLNN_TLS_ERROR_SIZE;
        char *big = malloc(cap);
        if (big) {
            vsnprintf(big, cap, fmt, ap2);
            record(ctx, big, status == CLNN_STATUS_BUILD_FAILED);
            free(big);
            va_end(ap2);
            return status;
        }
    }
    va_end(ap2);
    record(ctx, stackbuf, status == CLNN_STATUS_BUILD_FAILED);
    return status;
}

clnn_status clnn_fail(const clnn_context *ctx, clnn_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

clnn_status clnn_fail_cl(const clnn_context *ctx, cl_int err, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    clnn_status st = CLNN_STATUS_OPENCL_ERROR;
    const char *hint = "";
    if (err == CL_OUT_OF_RESOURCES || err == CL_MEM_OBJECT_ALLOCATION_FAILURE ||
        err == CL_INVALID_BUFFER_SIZE) {
        st = CLNN_STATUS_OUT_OF_DEVICE_MEMORY;
        hint = " (the device ran out of memory: use a smaller batch or another device)";
    } else if (err == CL_OUT_OF_HOST_MEMORY) {
        st = CLNN_STATUS_OUT_OF_HOST_MEMORY;
    }
    return clnn_fail(ctx, st, "%s failed: %s (%d)%s", what, clnn_cl_error_name(err), (int)err,
                     hint);
}

const char *clnn_cl_error_name(cl_int err)
{
    switch (err) {
#define C(x)                                                                                  \
    case x:                                                                                   \
        return #x;
        C(CL_SUCCESS) C(CL_DEVICE_NOT_FOUND) C(CL_DEVICE_NOT_AVAILABLE)
        C(CL_COMPILER_NOT_AVAILABLE) C(CL_MEM_OBJECT_ALLOCATION_FAILURE) C(CL_OUT_OF_RESOURCES)
        C(CL_OUT_OF_HOST_MEMORY) C(CL_PROFILING_INFO_NOT_AVAILABLE) C(CL_MEM_COPY_OVERLAP)
        C(CL_IMAGE_FORMAT_MISMATCH) C(CL_IMAGE_FORMAT_NOT_SUPPORTED) C(CL_BUILD_PROGRAM_FAILURE)
        C(CL_MAP_FAILURE) C(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        C(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST) C(CL_COMPILE_PROGRAM_FAILURE)
        C(CL_LINKER_NOT_AVAILABLE) C(CL_LINK_PROGRAM_FAILURE) C(CL_DEVICE_PARTITION_FAILED)
        C(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) C(CL_INVALID_VALUE) C(CL_INVALID_DEVICE_TYPE)
        C(CL_INVALID_PLATFORM) C(CL_INVALID_DEVICE) C(CL_INVALID_CONTEXT)
        C(CL_INVALID_QUEUE_PROPERTIES) C(CL_INVALID_COMMAND_QUEUE) C(CL_INVALID_HOST_PTR)
        C(CL_INVALID_MEM_OBJECT) C(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) C(CL_INVALID_IMAGE_SIZE)
        C(CL_INVALID_SAMPLER) C(CL_INVALID_BINARY) C(CL_INVALID_BUILD_OPTIONS)
        C(CL_INVALID_PROGRAM) C(CL_INVALID_PROGRAM_EXECUTABLE) C(CL_INVALID_KERNEL_NAME)
        C(CL_INVALID_KERNEL_DEFINITION) C(CL_INVALID_KERNEL) C(CL_INVALID_ARG_INDEX)
        C(CL_INVALID_ARG_VALUE) C(CL_INVALID_ARG_SIZE) C(CL_INVALID_KERNEL_ARGS)
        C(CL_INVALID_WORK_DIMENSION) C(CL_INVALID_WORK_GROUP_SIZE) C(CL_INVALID_WORK_ITEM_SIZE)
        C(CL_INVALID_GLOBAL_OFFSET) C(CL_INVALID_EVENT_WAIT_LIST) C(CL_INVALID_EVENT)
        C(CL_INVALID_OPERATION) C(CL_INVALID_GL_OBJECT) C(CL_INVALID_BUFFER_SIZE)
        C(CL_INVALID_MIP_LEVEL) C(CL_INVALID_GLOBAL_WORK_SIZE) C(CL_INVALID_PROPERTY)
        C(CL_INVALID_IMAGE_DESCRIPTOR) C(CL_INVALID_COMPILER_OPTIONS)
        C(CL_INVALID_LINKER_OPTIONS) C(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef C
    case -1001:
        return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
        return "unknown OpenCL error";
    }
}
