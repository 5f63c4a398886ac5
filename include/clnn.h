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

/* clnn uses the OpenCL 1.2 API, which every driver it targets offers. */
#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
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

/* "CPU", "GPU", "accelerator" or "other". */
CLNN_API const char *clnn_device_type_name(clnn_device_type type);

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


/* ------------------------------------------------------------------------------------------ */
/* Layers callable on their own: convolution and pooling (NCHW, float32)                       */
/* ------------------------------------------------------------------------------------------ */

/* Elementwise functions of the fused epilogues (and of the standalone elementwise layers):
 * y = f(x) with up to two parameters alpha and beta. ReLU6 is CLIP with alpha 0 and beta 6. */
typedef enum clnn_activation {
    CLNN_ACTIVATION_NONE = 0,
    CLNN_ACTIVATION_RELU = 1,
    CLNN_ACTIVATION_CLIP = 2,         /* min(max(x, alpha), beta) */
    CLNN_ACTIVATION_LEAKY_RELU = 3,   /* x >= 0 ? x : alpha * x */
    CLNN_ACTIVATION_SIGMOID = 4,
    CLNN_ACTIVATION_TANH = 5,
    CLNN_ACTIVATION_HARD_SIGMOID = 6, /* max(0, min(1, alpha * x + beta)) */
    CLNN_ACTIVATION_HARD_SWISH = 7,   /* x * max(0, min(1, x / 6 + 1 / 2)) */
    CLNN_ACTIVATION_SILU = 8,         /* x * sigmoid(x) */
    CLNN_ACTIVATION_MISH = 9,         /* x * tanh(softplus(x)) */
    CLNN_ACTIVATION_ELU = 10,         /* x >= 0 ? x : alpha * (exp(x) - 1) */
    CLNN_ACTIVATION_SELU = 11,        /* beta * (x > 0 ? x : alpha * (exp(x) - 1)) */
    CLNN_ACTIVATION_CELU = 12,        /* max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) */
    CLNN_ACTIVATION_SOFTPLUS = 13,    /* log(1 + exp(x)) */
    CLNN_ACTIVATION_SOFTSIGN = 14,    /* x / (1 + |x|) */
    CLNN_ACTIVATION_GELU = 15,        /* x / 2 * (1 + erf(x / sqrt(2))) */
    CLNN_ACTIVATION_GELU_TANH = 16,   /* x / 2 * (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) */
    CLNN_ACTIVATION_ABS = 17,
    CLNN_ACTIVATION_NEG = 18,
    CLNN_ACTIVATION_EXP = 19,
    CLNN_ACTIVATION_LOG = 20,
    CLNN_ACTIVATION_SQRT = 21,
    CLNN_ACTIVATION_RECIPROCAL = 22,
    CLNN_ACTIVATION_FLOOR = 23,
    CLNN_ACTIVATION_CEIL = 24,
    CLNN_ACTIVATION_ERF = 25,
    CLNN_ACTIVATION_POW = 26,         /* pow(x, alpha) */
    CLNN_ACTIVATION_THRESHOLDED_RELU = 27, /* x > alpha ? x : 0 */
    CLNN_ACTIVATION_AFFINE = 28,      /* alpha * x + beta */
    CLNN_ACTIVATION_COUNT
} clnn_activation;

/* Where an optional residual tensor (same shape as the output) is added. */
typedef enum clnn_residual {
    CLNN_RESIDUAL_NONE = 0,
    CLNN_RESIDUAL_BEFORE_ACTIVATION = 1, /* y = act(conv + bias + r)  (ResNet) */
    CLNN_RESIDUAL_AFTER_ACTIVATION = 2,  /* y = act(conv + bias) + r */
} clnn_residual;

/* A 2-D convolution: input [batch, in_channels, in_height, in_width], weights
 * [out_channels, in_channels / groups, kernel_h, kernel_w], optional bias [out_channels],
 * output [batch, out_channels, out_h, out_w] (clnn_conv_output_size). Zero-initialise; a
 * stride, dilation or groups of 0 means 1. */
typedef struct clnn_conv_params {
    int batch, in_channels, in_height, in_width;
    int out_channels;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_top, pad_left, pad_bottom, pad_right;
    int dilation_h, dilation_w;
    int groups;
    bool has_bias;
    clnn_activation activation;
    float act_alpha, act_beta;
    clnn_residual residual;
} clnn_conv_params;

typedef enum clnn_conv_algo {
    CLNN_CONV_ALGO_AUTO = 0,       /* chosen per layer (tuning database, else a heuristic) */
    CLNN_CONV_ALGO_DIRECT = 1,     /* any shape */
    CLNN_CONV_ALGO_GEMM_1X1 = 2,   /* 1x1 kernels, stride 1 or 2, no padding, groups 1 */
    CLNN_CONV_ALGO_WINOGRAD_2X2 = 3, /* F(2x2,3x3): 3x3, stride 1, dilation 1, groups 1 */
    CLNN_CONV_ALGO_WINOGRAD_4X4 = 4, /* F(4x4,3x3): same conditions */
    CLNN_CONV_ALGO_DEPTHWISE = 5,  /* groups == input channels (any channel multiplier) */
} clnn_conv_algo;
#define CLNN_CONV_ALGO_COUNT 6

/* "direct", "gemm1x1", "winograd2x2", "winograd4x4", "depthwise", "auto". */
CLNN_API const char *clnn_conv_algo_name(clnn_conv_algo algo);

/* Checks the parameters and computes the output height and width. Fails with
 * CLNN_STATUS_INVALID_ARGUMENT (zero or negative sizes, negative padding, channels not
 * divisible by groups) or CLNN_STATUS_SHAPE_MISMATCH (a kernel larger than the padded
 * input), naming the field. */
CLNN_API clnn_status clnn_conv_output_size(const clnn_conv_params *params, int *out_h,
                                           int *out_w);

/* Whether `algo` can run this layer: CLNN_STATUS_OK, or CLNN_STATUS_UNSUPPORTED with the
 * reason in the message (e.g. Winograd on a 5x5 kernel). */
CLNN_API clnn_status clnn_conv_algo_check(const clnn_conv_params *params, clnn_conv_algo algo);

/* Plain C reference (double accumulation) of the whole layer including the epilogue. All
 * pointers are borrowed; bias may be NULL when !has_bias, residual NULL when residual is
 * CLNN_RESIDUAL_NONE. Used by the tests, the tuner and clnn-run --verify. */
CLNN_API clnn_status clnn_conv_reference(const clnn_conv_params *params, const float *input,
                                         const float *weights, const float *bias,
                                         const float *residual, float *output);

typedef struct clnn_conv clnn_conv;

/* Prepares a convolution on selected device `device` of ctx: chooses or checks the
 * algorithm, builds its programs (through the caches), uploads and transforms the weights
 * (borrowed: copied during the call). *conv is owned by the caller (clnn_conv_destroy) and
 * must not outlive ctx. Refuses an algorithm that does not apply with
 * CLNN_STATUS_UNSUPPORTED. */
CLNN_API clnn_status clnn_conv_create(clnn_context *ctx, size_t device,
                                      const clnn_conv_params *params, clnn_conv_algo algo,
                                      const float *weights, const float *bias,
                                      clnn_conv **conv);
CLNN_API void clnn_conv_destroy(clnn_conv *conv);

/* The algorithm the layer runs (never AUTO) and a short description of its knobs. */
CLNN_API clnn_conv_algo clnn_conv_algorithm(const clnn_conv *conv);
CLNN_API const char *clnn_conv_config(const clnn_conv *conv);

/* Element counts of the input and output tensors. */
CLNN_API size_t clnn_conv_input_count(const clnn_conv *conv);
CLNN_API size_t clnn_conv_output_count(const clnn_conv *conv);

/* Runs on host buffers and waits: input, residual (NULL unless the layer has one) and
 * output are borrowed; each count must equal the tensor's element count
 * (CLNN_STATUS_SHAPE_MISMATCH otherwise, and the output is not touched). */
CLNN_API clnn_status clnn_conv_run(clnn_conv *conv, const float *input, size_t input_count,
                                   const float *residual, size_t residual_count, float *output,
                                   size_t output_count);

/* Enqueues on device buffers of the layer's device (borrowed, never released): `queue` may be
 * NULL for the context's queue of that device. Waits for `wait` events; if `done` is not
 * NULL it receives an event the caller releases. Buffer sizes are checked as for run. */
CLNN_API clnn_status clnn_conv_enqueue(clnn_conv *conv, cl_command_queue queue, cl_mem input,
                                       cl_mem residual, cl_mem output, cl_uint num_wait,
                                       const cl_event *wait, cl_event *done);

/* Pooling over [batch, channels, in_height, in_width]. Global pooling ignores the window,
 * stride and padding fields and gives [batch, channels, 1, 1]. */
typedef enum clnn_pool_kind {
    CLNN_POOL_MAX = 0,
    CLNN_POOL_AVERAGE = 1,
    CLNN_POOL_GLOBAL_MAX = 2,
    CLNN_POOL_GLOBAL_AVERAGE = 3,
} clnn_pool_kind;

typedef struct clnn_pool_params {
    clnn_pool_kind kind;
    int batch, channels, in_height, in_width;
    int kernel_h, kernel_w;
    int stride_h, stride_w; /* 0 means 1 */
    int pad_top, pad_left, pad_bottom, pad_right;
    bool ceil_mode;         /* output size rounds up (a window must start inside the input
                               or its left/top padding) */
    bool count_include_pad; /* average: divide by the whole window, padding included */
    int dilation_h, dilation_w; /* 0 means 1: window taps this far apart (ONNX dilations) */
} clnn_pool_params;

CLNN_API clnn_status clnn_pool_output_size(const clnn_pool_params *params, int *out_h,
                                           int *out_w);
CLNN_API clnn_status clnn_pool_reference(const clnn_pool_params *params, const float *input,
                                         float *output);

typedef struct clnn_pool clnn_pool;
CLNN_API clnn_status clnn_pool_create(clnn_context *ctx, size_t device,
                                      const clnn_pool_params *params, clnn_pool **pool);
CLNN_API void clnn_pool_destroy(clnn_pool *pool);
CLNN_API size_t clnn_pool_input_count(const clnn_pool *pool);
CLNN_API size_t clnn_pool_output_count(const clnn_pool *pool);
CLNN_API clnn_status clnn_pool_run(clnn_pool *pool, const float *input, size_t input_count,
                                   float *output, size_t output_count);
CLNN_API clnn_status clnn_pool_enqueue(clnn_pool *pool, cl_command_queue queue, cl_mem input,
                                       cl_mem output, cl_uint num_wait, const cl_event *wait,
                                       cl_event *done);

/* The OpenCL objects behind selected device `device` (borrowed: owned by the context, never
 * release them), for zero-copy use with clnn_*_enqueue. */
CLNN_API clnn_status clnn_context_cl_handles(const clnn_context *ctx, size_t device,
                                             cl_context *cl_ctx, cl_device_id *cl_device,
                                             cl_command_queue *queue);

/* ------------------------------------------------------------------------------------------ */
/* Graphs: a network as tensors and nodes (built by hand or loaded from ONNX)                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct clnn_graph clnn_graph;

typedef enum clnn_attr_type {
    CLNN_ATTR_INT = 0,
    CLNN_ATTR_FLOAT = 1,
    CLNN_ATTR_INTS = 2,
    CLNN_ATTR_FLOATS = 3,
    CLNN_ATTR_STRING = 4,
    CLNN_ATTR_TENSOR = 5, /* a small tensor value (ConstantOfShape's `value`) */
} clnn_attr_type;

/* A node attribute, as in ONNX (kernel_shape, strides, pads, alpha, axis...). Every pointer
 * is borrowed for the duration of clnn_graph_add_node. */
typedef struct clnn_attr {
    const char *name;
    clnn_attr_type type;
    int64_t i;             /* INT */
    float f;               /* FLOAT */
    const int64_t *ints;   /* INTS (count values) */
    const float *floats;   /* FLOATS (count values) */
    size_t count;
    const char *s;         /* STRING */
    int elem_type;         /* TENSOR: ONNX element type (1 float: `floats`; 6 int32, 7 int64,
                              9 bool: `ints`), count values */
} clnn_attr;

#define CLNN_ATTR_I(n, v) ((clnn_attr){.name = (n), .type = CLNN_ATTR_INT, .i = (v)})
#define CLNN_ATTR_F(n, v) ((clnn_attr){.name = (n), .type = CLNN_ATTR_FLOAT, .f = (v)})
#define CLNN_ATTR_IS(n, arr, cnt)                                                             \
    ((clnn_attr){.name = (n), .type = CLNN_ATTR_INTS, .ints = (arr), .count = (cnt)})
#define CLNN_ATTR_S(n, str) ((clnn_attr){.name = (n), .type = CLNN_ATTR_STRING, .s = (str)})

/* Creates an empty graph owned by the caller (clnn_graph_destroy). */
CLNN_API clnn_status clnn_graph_create(clnn_graph **graph);
CLNN_API void clnn_graph_destroy(clnn_graph *graph);

/* The ONNX opset whose operator versions a hand-built graph's nodes follow (1 to 20; the
 * default is 17). Set it before adding nodes: INVALID_ARGUMENT afterwards or out of range. */
CLNN_API clnn_status clnn_graph_set_opset(clnn_graph *graph, int opset);

/* Declares a float32 graph input. dims[0] is the batch dimension: a value <= 0 means "any"
 * (the session's batch); other dimensions must be positive. `name` and `dims` are copied. */
CLNN_API clnn_status clnn_graph_add_input(clnn_graph *graph, const char *name,
                                          const int64_t *dims, size_t ndim);
/* Adds a constant tensor (weights), copying `data` (the product of dims floats). */
CLNN_API clnn_status clnn_graph_add_constant(clnn_graph *graph, const char *name,
                                             const int64_t *dims, size_t ndim,
                                             const float *data);
/* Adds an int64 constant (the shape input of Reshape, Clip bounds are float constants). */
CLNN_API clnn_status clnn_graph_add_constant_int64(clnn_graph *graph, const char *name,
                                                   const int64_t *dims, size_t ndim,
                                                   const int64_t *data);
/* Adds a node of an ONNX operator type (Conv, Relu, Gemm... see README) reading tensors
 * `inputs` and producing `outputs` (names; "" for an absent optional input). Attributes are
 * checked against the operator: an unknown operator, attribute or value is an error naming the
 * node. Names are copied. */
CLNN_API clnn_status clnn_graph_add_node(clnn_graph *graph, const char *op_type,
                                         const char *name, const char *const *inputs,
                                         size_t ninputs, const char *const *outputs,
                                         size_t noutputs, const clnn_attr *attrs,
                                         size_t nattrs);
/* Turns graph input `name` into a constant holding a copy of `data` (count floats, its whole
 * declared shape; a free first dimension becomes count / the others), e.g. for models
 * exported with their weights as inputs. */
CLNN_API clnn_status clnn_graph_bind_input(clnn_graph *graph, const char *name,
                                           const float *data, size_t count);
/* The same for an INT64 or BOOL graph input (BOOL values 0 or 1): models that take shapes,
 * indices or masks as inputs run once those are given. */
CLNN_API clnn_status clnn_graph_bind_input_int64(clnn_graph *graph, const char *name,
                                                 const int64_t *data, size_t count);
/* Marks a tensor as a graph output. */
CLNN_API clnn_status clnn_graph_add_output(clnn_graph *graph, const char *name);

/* Checks the graph: every name resolves, no cycles, every output is produced, and shapes
 * infer for the given batch (<= 0: the batch the inputs declare, or 1). Errors name the node,
 * its operator and what is wrong. */
CLNN_API clnn_status clnn_graph_validate(const clnn_graph *graph, int batch);

CLNN_API size_t clnn_graph_input_count(const clnn_graph *graph);
CLNN_API size_t clnn_graph_output_count(const clnn_graph *graph);
CLNN_API size_t clnn_graph_node_count(const clnn_graph *graph);
/* Name of input / output i (owned by the graph), or NULL when out of range. */
CLNN_API const char *clnn_graph_input_name(const clnn_graph *graph, size_t i);
CLNN_API const char *clnn_graph_output_name(const clnn_graph *graph, size_t i);

/* Loads an ONNX model (opsets 1 to 20). Weights come from initializers (raw_data or typed
 * fields) and from external data files in the model's folder (never outside it). An
 * unsupported operator, data type or attribute is an error naming the node. *graph is owned
 * by the caller. */
CLNN_API clnn_status clnn_graph_load_onnx(const char *path, clnn_graph **graph);
/* The same from memory; external data paths resolve against base_dir (NULL: none allowed). */
CLNN_API clnn_status clnn_graph_load_onnx_buffer(const void *data, size_t size,
                                                 const char *base_dir, clnn_graph **graph);

/* The ONNX operators clnn supports (default domain), sorted by name. */
typedef struct clnn_operator_info {
    const char *name;     /* "Conv" */
    int versions[12];     /* the ONNX since-versions clnn implements, ascending */
    int nversions;
    const char *runs;     /* "device", "device (view)" (no kernel: the input's storage),
                             "removed" (by the passes) or "host" (computed when a session is
                             created; its inputs must be known then) */
    const char *notes;    /* what is supported when not everything ("" otherwise) */
} clnn_operator_info;
CLNN_API size_t clnn_operator_count(void);
/* Operator i (sorted by name); INVALID_ARGUMENT when i is out of range. */
CLNN_API clnn_status clnn_operator_get(size_t i, clnn_operator_info *info);

/* ------------------------------------------------------------------------------------------ */
/* Sessions: a graph prepared on devices, run many times                                       */
/* ------------------------------------------------------------------------------------------ */

typedef struct clnn_session clnn_session;

/* How a session spreads a graph over the context's devices. */
typedef enum clnn_schedule_mode {
    CLNN_SCHEDULE_AUTO = 0,       /* $CLNN_SCHEDULE, else: one device selected -> SINGLE;
                                     batch 1 -> LATENCY; larger batches -> THROUGHPUT */
    CLNN_SCHEDULE_SINGLE = 1,     /* every layer on the device predicted fastest */
    CLNN_SCHEDULE_LATENCY = 2,    /* list scheduling (HEFT) of the layer graph over devices */
    CLNN_SCHEDULE_THROUGHPUT = 3, /* batch split across devices, pipeline stages, or one
                                     device, whichever is predicted fastest */
} clnn_schedule_mode;

typedef struct clnn_session_options {
    int batch;               /* <= 0: the batch the graph declares, or 1 */
    bool enable_profiling;   /* collect per-layer device times (clnn_session_layer) */
    bool disable_fusion;     /* run every node on its own (debugging) */
    clnn_schedule_mode schedule;
    /* Layers pinned to a device: node names (borrowed during create) and selected-device
     * indices, npins of each. */
    const char *const *pin_nodes;
    const size_t *pin_devices;
    size_t npins;
    /* A plan over several devices is measured against the best single device when the
     * session is created (a few runs of each on zero inputs) and kept only if faster;
     * true skips that check. */
    bool skip_plan_check;
} clnn_session_options;

/* Binds a graph to the context's devices: passes (BN folding, fusion, concat in place),
 * memory plan, every layer prepared once (kernel builds through the caches, weight
 * transforms). The graph is copied: it may be destroyed afterwards. *session is owned by the
 * caller and must not outlive ctx. options may be NULL. */
CLNN_API clnn_status clnn_session_create(clnn_context *ctx, const clnn_graph *graph,
                                         const clnn_session_options *options,
                                         clnn_session **session);
CLNN_API void clnn_session_destroy(clnn_session *session);

/* Shape of a graph input or output for this session (dims owned by the session, valid as
 * long as it). name NULL means the first input / output. */
CLNN_API clnn_status clnn_session_input_shape(const clnn_session *s, const char *name,
                                              const int64_t **dims, size_t *ndim);
CLNN_API clnn_status clnn_session_output_shape(const clnn_session *s, const char *name,
                                               const int64_t **dims, size_t *ndim);

/* The session's graph inputs and outputs: counts, names (owned by the session; NULL when i
 * is out of range) and element types as ONNX numbers them (1 FLOAT; an output computed as
 * integers, e.g. by ArgMax, reports 7 INT64 or 9 BOOL: its values come back as exact
 * floats from clnn_session_get_output; 0 when the name is unknown). */
CLNN_API size_t clnn_session_input_count(const clnn_session *s);
CLNN_API size_t clnn_session_output_count(const clnn_session *s);
CLNN_API const char *clnn_session_input_name(const clnn_session *s, size_t i);
CLNN_API const char *clnn_session_output_name(const clnn_session *s, size_t i);
CLNN_API int clnn_session_output_elem_type(const clnn_session *s, const char *name);

/* Copies an input (count must equal the input's element count) to the device. */
CLNN_API clnn_status clnn_session_set_input(clnn_session *s, const char *name,
                                            const float *data, size_t count);
/* Runs the whole graph and waits for it. Every input must have been set (once is enough:
 * it keeps its value); CLNN_STATUS_INVALID_ARGUMENT names those that were not. */
CLNN_API clnn_status clnn_session_run(clnn_session *s);
/* Runs nbatches batches back to back: `inputs` holds nbatches consecutive values of the
 * first graph input (each as clnn_session_set_input takes it), `outputs` receives nbatches
 * consecutive values of the first graph output; any other input must have been set. A
 * pipelined session overlaps consecutive batches across its devices. Both pointers are
 * borrowed for the call. */
CLNN_API clnn_status clnn_session_run_stream(clnn_session *s, size_t nbatches,
                                             const float *inputs, float *outputs);
/* Copies an output of the last run into data (count must equal its element count). */
CLNN_API clnn_status clnn_session_get_output(clnn_session *s, const char *name, float *data,
                                             size_t count);

/* One executed layer of the session (after fusion), for profiles and verification. */
typedef struct clnn_layer_info {
    const char *name;      /* the node's name (owned by the session) */
    const char *op;        /* operator after fusion, e.g. "Conv+Relu" */
    const char *algorithm; /* e.g. "winograd4x4 TM=16,...", or "" */
    size_t device;         /* selected-device index */
    double predicted_ms;   /* the cost model's prediction on that device */
    double ms;             /* device time of the last run (profiling on), else 0 */
    double max_error;      /* clnn_session_verify: max |device - reference| / scale */
} clnn_layer_info;
CLNN_API size_t clnn_session_layer_count(const clnn_session *s);
CLNN_API clnn_status clnn_session_layer(const clnn_session *s, size_t i, clnn_layer_info *info);

/* A readable summary of the schedule the session chose (mode, devices, predicted time),
 * owned by the session. */
CLNN_API const char *clnn_session_schedule(const clnn_session *s);

/* Writes the last run as a Chrome / Perfetto trace (JSON: one track per device queue and one
 * per transfer). The session needs enable_profiling. */
CLNN_API clnn_status clnn_session_write_trace(const clnn_session *s, const char *path);

/* Activation memory of the plan: the peak the plan allocates and the sum a naive allocation
 * (one buffer per intermediate tensor) would need, in bytes. */
CLNN_API void clnn_session_memory(const clnn_session *s, size_t *planned_bytes,
                                  size_t *naive_bytes);

/* Runs every layer once more, reads its inputs and output back, recomputes the layer with
 * the in-library C reference on the host and records the error in max_error (see
 * clnn_session_layer). Slow; for telling a miscompiling driver from a model problem. */
CLNN_API clnn_status clnn_session_verify(clnn_session *s);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_H */
