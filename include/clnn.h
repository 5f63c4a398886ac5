/*
 * clnn.h - public API of clnn, CNN inference through OpenCL on every GPU and CPU of a machine.
 *
 * Conventions (see README.md):
 *  - Every call that can fail returns clnn_status; CLNN_STATUS_OK (0) is success. The library
 *    never aborts or exits. A failure records a message: clnn_last_error() gives the calling
 *    thread's most recent one, clnn_context_last_error() the most recent one on a context.
 *  - Handles are opaque; every *_create has a *_destroy, and destroy(NULL) does nothing.
 *  - Outputs come last in the argument list. Ownership is stated on every pointer: "borrowed"
 *    means the library reads it during the call only (or, for OpenCL objects, never releases it);
 *    "owned by the caller" means the caller frees it with the named function.
 *
 * Thread safety: a clnn_context may be shared by threads; its program cache and queues are
 * guarded. A single op handle (clnn_conv, clnn_pool) or session must not be used by two threads
 * at once; distinct handles may run concurrently.
 */
#ifndef CLNN_H
#define CLNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CLNN_API __attribute__((visibility("default")))
#else
#define CLNN_API
#endif

#define CLNN_VERSION_MAJOR 0
#define CLNN_VERSION_MINOR 1
#define CLNN_VERSION_PATCH 0

/* ------------------------------------------------------------------------------------------ */
/* Status codes                                                                                */
/* ------------------------------------------------------------------------------------------ */

/* X(name, value, description): one list generates the enum and clnn_status_string(). */
#define CLNN_STATUS_LIST(X)                                                                   \
    X(OK, 0, "success")                                                                       \
    X(INVALID_ARGUMENT, 1, "invalid argument")                                                \
    X(OUT_OF_HOST_MEMORY, 2, "out of host memory")                                            \
    X(NO_PLATFORM, 3, "no OpenCL platform found")                                             \
    X(NO_DEVICE, 4, "no OpenCL device matches the selection")                                 \
    X(OPENCL_ERROR, 5, "an OpenCL call failed")                                               \
    X(BUILD_FAILED, 6, "an OpenCL kernel failed to build")                                    \
    X(IO_ERROR, 7, "a file could not be read or written")                                     \
    X(UNSUPPORTED, 8, "operation, algorithm or parameter not supported")                      \
    X(INVALID_MODEL, 9, "the model is malformed")                                             \
    X(SHAPE_MISMATCH, 10, "tensor shapes or buffer sizes do not match")                       \
    X(OUT_OF_DEVICE_MEMORY, 11, "out of device memory")                                       \
    X(CLBLAST_ERROR, 12, "a CLBlast call failed")                                             \
    X(INTERNAL, 13, "internal error in clnn")

typedef enum clnn_status {
#define CLNN_STATUS_ENUM_(name, value, text) CLNN_STATUS_##name = value,
    CLNN_STATUS_LIST(CLNN_STATUS_ENUM_)
#undef CLNN_STATUS_ENUM_
} clnn_status;

/* A static description of a status code ("unknown status" for values outside the enum). */
CLNN_API const char *clnn_status_string(clnn_status status);

/* The calling thread's most recent failure message, or "" if none. The string is owned by
 * the library and stays valid until the next clnn call on this thread. */
CLNN_API const char *clnn_last_error(void);

/* Version string "MAJOR.MINOR.PATCH". */
CLNN_API const char *clnn_version(void);

/* ------------------------------------------------------------------------------------------ */
/* Logging                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef enum clnn_log_level {
    CLNN_LOG_LEVEL_ERROR = 0,
    CLNN_LOG_LEVEL_WARN = 1,
    CLNN_LOG_LEVEL_INFO = 2,
    CLNN_LOG_LEVEL_DEBUG = 3,
} clnn_log_level;

/* Receives every log line at or below the configured level (CLNN_LOG_LEVEL, default warn).
 * `message` is borrowed for the duration of the call. */
typedef void (*clnn_log_fn)(clnn_log_level level, const char *message, void *user_data);

/* Replaces the process-wide log sink (NULL restores the default, which writes to stderr). */
CLNN_API void clnn_set_log_callback(clnn_log_fn fn, void *user_data);

/* Sets the process-wide log level (overrides CLNN_LOG_LEVEL); returns the previous one. */
CLNN_API clnn_log_level clnn_set_log_level(clnn_log_level level);

/* ------------------------------------------------------------------------------------------ */
/* Devices                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef enum clnn_device_type {
    CLNN_DEVICE_TYPE_CPU = 1,
    CLNN_DEVICE_TYPE_GPU = 2,
    CLNN_DEVICE_TYPE_ACCELERATOR = 4,
    CLNN_DEVICE_TYPE_OTHER = 8,
} clnn_device_type;

/* What clnn knows of one OpenCL device. Plain data; copy freely. */
typedef struct clnn_device_info {
    int platform_index; /* position of the platform in clGetPlatformIDs */
    int device_index;   /* position of the device within its platform */
    clnn_device_type type;
    char platform_name[128];
    char platform_version[128];
    char name[256];
    char vendor[128];
    char driver_version[128];
    char device_version[128];   /* "OpenCL 3.0 ..." */
    char opencl_c_version[128]; /* "OpenCL C 1.2 ..." */
    unsigned compute_units;
    unsigned clock_mhz;
    uint64_t global_mem_bytes;
    uint64_t max_alloc_bytes;
    uint64_t local_mem_bytes;
    bool local_mem_is_global; /* CL_GLOBAL: "local" memory is emulated in global memory (CPUs) */
    size_t max_work_group_size;
    size_t max_work_item_sizes[3];
    unsigned preferred_vector_width_float;
    unsigned native_vector_width_float;
    unsigned preferred_vector_width_half;
    bool fp16;
    bool fp64;
    bool unified_memory; /* host and device share memory (CPUs, integrated GPUs) */
} clnn_device_info;

/* Enumerates every device of every OpenCL platform. On success *devices is an array of
 * *count entries owned by the caller (free with clnn_device_list_free). Fails with
 * CLNN_STATUS_NO_PLATFORM when no OpenCL platform is installed (the message names a fix). */
CLNN_API clnn_status clnn_device_list(clnn_device_info **devices, size_t *count);
CLNN_API void clnn_device_list_free(clnn_device_info *devices);

/* Resolves a selection string against a device list. Grammar: comma-separated terms, each
 * one of
 *   all              every device
 *   gpu | cpu | accelerator
 *   P:D              platform index P, device index D ("P:*" for every device of P)
 *   default          the first GPU, else the first device
 *   any other text   devices whose name, vendor or platform name contains it (any case)
 * Duplicates are removed; order follows the terms. NULL or "" means "default". On success
 * *indices (owned by the caller, free()) holds *count positions into `devices`. A term that
 * matches nothing fails with CLNN_STATUS_NO_DEVICE and a message listing the devices found. */
CLNN_API clnn_status clnn_device_select(const clnn_device_info *devices, size_t ndevices,
                               const char *selection, size_t **indices, size_t *count);

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct clnn_context clnn_context;

/* Options for clnn_context_create_ex. Zero-initialise, then set what you need. */
typedef struct clnn_context_options {
    const char *devices;    /* selection string; NULL: $CLNN_DEVICES, else "default" */
    const char *cache_dir;  /* NULL: $CLNN_CACHE_DIR, else $XDG_CACHE_HOME/clnn or ~/.cache/clnn */
    bool disable_disk_cache;/* keep compiled programs in memory only */
    const char *kernel_dir; /* NULL: $CLNN_KERNEL_DIR, else the kernels embedded in the library */
} clnn_context_options;

/* Creates a context on the selected devices: one OpenCL context and in-order queue per
 * device, an in-memory program cache and the on-disk cache. *ctx is owned by the caller
 * (clnn_context_destroy). An unwritable cache directory only disables the disk cache (a
 * warning is logged). */
CLNN_API clnn_status clnn_context_create(const char *devices, clnn_context **ctx);
CLNN_API clnn_status clnn_context_create_ex(const clnn_context_options *options, clnn_context **ctx);
CLNN_API void clnn_context_destroy(clnn_context *ctx);

/* Most recent failure message recorded on this context ("" if none). Owned by the context;
 * valid until the next failing call on it. */
CLNN_API const char *clnn_context_last_error(const clnn_context *ctx);

CLNN_API size_t clnn_context_device_count(const clnn_context *ctx);
/* Copies the information of selected device `index` into *info. */
CLNN_API clnn_status clnn_context_device_info(const clnn_context *ctx, size_t index,
                                     clnn_device_info *info);
/* The cache directory in use, or NULL if the disk cache is disabled. Owned by the context. */
CLNN_API const char *clnn_context_cache_dir(const clnn_context *ctx);

/* Builds (or loads from the caches) every kernel program embedded in the library on every
 * selected device, in parallel where possible. Sessions build only what they need; this call
 * exists for warm-up and for the start-up benchmark. */
CLNN_API clnn_status clnn_context_build_all(clnn_context *ctx);

/* Statistics of the program cache since the context was created. */
typedef struct clnn_cache_stats {
    size_t memory_hits;  /* found in the in-memory cache */
    size_t disk_hits;    /* loaded from a valid on-disk binary */
    size_t disk_rejects; /* on-disk entries found corrupt, truncated, foreign or unusable */
    size_t builds;       /* compiled from source */
    size_t disk_writes;  /* binaries written to disk */
} clnn_cache_stats;
CLNN_API void clnn_context_cache_stats(const clnn_context *ctx, clnn_cache_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_H */
