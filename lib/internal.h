/*
 * internal.h - declarations shared by the modules of libclnn (not installed).
 *
 * core/  status strings, error messages, logging, environment, hashing, files
 * cl/    device discovery and selection, contexts and queues, programs and their caches
 */
#ifndef CLNN_INTERNAL_H
#define CLNN_INTERNAL_H

#include "clnn.h"

#include <CL/cl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#define CLNN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CLNN_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- core/error.c ------------------------------------------------------------------------ */

/* Records a failure message (printf-style) for the calling thread and, if ctx is not NULL,
 * on the context; returns `status` so callers can `return clnn_fail(...)`. */
clnn_status clnn_fail(const clnn_context *ctx, clnn_status status, const char *fmt, ...)
    CLNN_PRINTF(3, 4);
/* Same for a failed OpenCL call: the message names the call and the CL error code. Maps
 * CL_OUT_OF_RESOURCES / CL_MEM_OBJECT_ALLOCATION_FAILURE to OUT_OF_DEVICE_MEMORY. */
clnn_status clnn_fail_cl(const clnn_context *ctx, cl_int err, const char *fmt, ...)
    CLNN_PRINTF(3, 4);
/* Forgets the calling thread's last message (called at the start of API entry points that
 * may succeed after internal failures, e.g. a rejected cache entry). */
void clnn_clear_error(void);
/* Copies msg into dst (cap bytes) with control characters (newlines too unless
 * keep_newlines) written as \xNN; returns the length. Every message and log line goes
 * through it, so names from a model cannot forge lines. */
size_t clnn_escape_controls(char *dst, size_t cap, const char *msg, bool keep_newlines);
/* "CL_INVALID_VALUE" and the like. */
const char *clnn_cl_error_name(cl_int err);

/* ---- core/log.c ---------------------------------------------------------------------------- */
void clnn_log(clnn_log_level level, const char *fmt, ...) CLNN_PRINTF(2, 3);
#define clnn_warn(...) clnn_log(CLNN_LOG_LEVEL_WARN, __VA_ARGS__)
#define clnn_info(...) clnn_log(CLNN_LOG_LEVEL_INFO, __VA_ARGS__)
#define clnn_debug(...) clnn_log(CLNN_LOG_LEVEL_DEBUG, __VA_ARGS__)

/* ---- core/env.c: the one place that reads environment variables --------------------------- */
typedef struct clnn_env {
    const char *devices;    /* CLNN_DEVICES */
    const char *cache_dir;  /* CLNN_CACHE_DIR */
    const char *kernel_dir; /* CLNN_KERNEL_DIR */
    const char *xdg_cache_home;
    const char *home;
    int log_level;          /* CLNN_LOG_LEVEL, -1 if unset or invalid */
    const char *log_level_text;
    int build_threads;      /* CLNN_BUILD_THREADS, 0 if unset, -1 if invalid */
    const char *build_threads_text;
    const char *fail_build_device; /* CLNN_TEST_FAIL_BUILD: test hook, substring of a device
                                      name or "P:D" */
    const char *schedule;   /* CLNN_SCHEDULE: auto, single, latency, throughput */
    const char *fc;         /* CLNN_FC: auto, gemm, clblast-gemv, clnn-gemv (layer_fc.c) */
    bool check_forced_plan; /* CLNN_TEST_PLAN_CHECK: test hook, a forced plan is measured
                               against one device like any other */
    const char *force_plan; /* CLNN_TEST_SCHEDULE: test hook, heft / split / pipeline taken
                               whatever the prediction */
} clnn_env;
/* A snapshot of the environment (strings borrowed from the environment). */
void clnn_env_read(clnn_env *env);

/* ---- core/util.c --------------------------------------------------------------------------- */
typedef struct clnn_hash128 {
    uint64_t lo, hi;
} clnn_hash128;
/* Streaming 128-bit hash (XXH3) over several pieces; the state lives in the caller (no
 * allocation, so a key can never silently degrade to a constant). */
typedef struct clnn_hasher {
    XXH3_state_t state;
} clnn_hasher;
void clnn_hasher_init(clnn_hasher *h);
void clnn_hasher_add(clnn_hasher *h, const void *data, size_t len);
void clnn_hasher_add_str(clnn_hasher *h, const char *s); /* adds the length too */
clnn_hash128 clnn_hasher_finish(clnn_hasher *h);
/* Adds what identifies a device's compiler and hardware to a hash: name, vendor, driver and
 * device version, platform name and version (clnn_device_info). */
void clnn_hasher_add_device(clnn_hasher *h, const clnn_device_info *info);
clnn_hash128 clnn_hash_bytes(const void *data, size_t len);
void clnn_hash_hex(clnn_hash128 h, char out[33]);

/* mkdir -p; returns 0 or an errno value. */
int clnn_mkdir_p(const char *path);
/* Reads a whole regular file into a malloc'ed buffer (NUL-terminated, length in *len).
 * Returns 0 or an errno value: EISDIR for anything not a regular file (a FIFO is never
 * waited on), EFBIG above `max_bytes`. */
int clnn_read_file(const char *path, size_t max_bytes, char **data, size_t *len);
/* Writes a whole file safely. A new name or a regular file: a temporary file in the same
 * folder renamed onto it (readers never see a part; on failure the old file is intact). A
 * symlink stays a symlink (the regular file it names is replaced). A device or FIFO is
 * written through, never replaced. 0 or an errno value. */
int clnn_write_file_atomic(const char *path, const void *data, size_t len);
/* strdup that returns NULL on NULL. */
char *clnn_strdup(const char *s);
/* Case-insensitive substring test. */
bool clnn_contains_nocase(const char *haystack, const char *needle);
/* Appends printf output to a growing heap string; returns false on allocation failure. */
typedef struct clnn_strbuf {
    char *data;
    size_t len, cap;
    bool failed;
} clnn_strbuf;
void clnn_strbuf_printf(clnn_strbuf *sb, const char *fmt, ...) CLNN_PRINTF(2, 3);
void clnn_strbuf_free(clnn_strbuf *sb);
/* Monotonic time in seconds. */
double clnn_now(void);

/* ---- kernels (generated by scripts/embed_kernels.py) --------------------------------------- */
typedef struct clnn_embedded_kernel {
    const char *name; /* file name without .cl */
    const unsigned char *source;
    size_t length;
} clnn_embedded_kernel;
extern const clnn_embedded_kernel clnn_embedded_kernels[];
extern const size_t clnn_embedded_kernel_count;

/* ---- cl/device.c --------------------------------------------------------------------------- */
/* Fills `info` for one device. */
clnn_status clnn_query_device(cl_platform_id platform, cl_device_id device, int pi, int di,
                              clnn_device_info *info);

/* ---- cl/context.c -------------------------------------------------------------------------- */
typedef struct clnn_program_entry clnn_program_entry; /* in-memory cache entry */
typedef struct clnn_tune_db clnn_tune_db;             /* lib/tune/db.h */

/* What a device achieves, measured once by a short micro-benchmark (lib/sched/calib.c) and
 * cached with the device's other data in the kernel cache folder. */
typedef struct clnn_calib {
    double gflops;            /* a mid-sized 3x3 convolution, direct-convolution FLOP count */
    double gbps;              /* device memory: bytes read + written per second */
    double launch_us;         /* one kernel launch through completion */
    double h2d_gbps, d2h_gbps; /* host <-> device transfer bandwidth */
    double h2d_us, d2h_us;    /* latency of a tiny transfer */
} clnn_calib;

typedef struct clnn_device {
    clnn_device_info info;
    cl_platform_id platform;
    cl_device_id id;
    cl_context cl_ctx;
    cl_command_queue queue;
    size_t index; /* position in the context */
    bool fail_builds; /* test hook: every build on this device fails */
    bool calibrated;  /* calib holds a measurement (guarded by the context lock) */
    double cost_scale; /* measured / predicted time of whole sessions on this device (plan
                          checks), 0 until measured; the cost model multiplies by it */
    clnn_calib calib;
    /* Held by whoever enqueues to and waits on `queue` during session runs: some drivers
     * (PoCL's "basic") run commands in the threads that submit or wait, and deadlock when two
     * threads do so at once. */
    pthread_mutex_t queue_lock;
    /* The tuning database the device uses (lib/tune/db.c), loaded on first use; NULL means
     * built-in defaults. Guarded by the context lock until loaded, read-only afterwards. */
    clnn_tune_db *tune_db;
    bool tune_loaded;
    bool clblast_applied; /* its CLBlast parameters were given to CLBlast */
} clnn_device;

/* A measured choice between CLBlast's GEMM, CLBlast's GEMV and clnn's GEMV for FC layers of
 * a few rows (lib/ops/layer_fc.c). */
typedef struct clnn_fc_choice {
    size_t device;
    int m, n, k;
    bool trans_b, epilogue;
    bool rows; /* clnn's GEMV reads W by rows (transB, or a constant transposed) */
    int path;  /* layer_fc.c's fc_path */
} clnn_fc_choice;

struct clnn_context {
    clnn_device *devices;
    size_t ndevices;
    char *cache_dir;  /* NULL if the disk cache is disabled */
    char *kernel_dir; /* NULL: embedded kernels */

    pthread_mutex_t lock; /* guards the program cache, the statistics and the error */
    clnn_program_entry *programs;
    clnn_cache_stats stats;
    char *error;
    clnn_fc_choice fc_choices[64];
    int nfc_choices;
    bool clblast_user;  /* its FC layers ran CLBlast (lib/tune/clblast.c counts such contexts) */
    uint64_t gain_mask; /* clnn_parallel_gain: the devices measured together, and the gain */
    double gain;
};

/* ---- cl/program.c -------------------------------------------------------------------------- */
/* Concatenated source of one program: kernels/common.cl then kernels/<name>.cl, from the
 * kernel directory if set, else embedded. *source is malloc'ed. */
clnn_status clnn_kernel_source(const clnn_context *ctx, const char *name, char **source,
                               size_t *len);

/* Returns the program `name` built with `options` for `dev`: from the in-memory cache, else
 * from a valid disk entry, else compiled from source (then stored on disk). The program is
 * owned by the context and lives as long as it. On a compile error the status is
 * CLNN_STATUS_BUILD_FAILED and the message holds the build log. */
clnn_status clnn_program_get(clnn_context *ctx, clnn_device *dev, const char *name,
                             const char *options, cl_program *program);

/* One request for clnn_program_get_many. */
typedef struct clnn_program_request {
    clnn_device *dev;
    const char *name;
    const char *options;
    cl_program program; /* out */
    clnn_status status; /* out */
} clnn_program_request;
/* Resolves several requests, compiling on a few threads at once; returns the first failure
 * (every request has its own status). */
clnn_status clnn_program_get_many(clnn_context *ctx, clnn_program_request *reqs, size_t n);

/* Releases every cached program (context destruction). */
void clnn_program_cache_clear(clnn_context *ctx);

/* Creates a kernel object from a cached program. */
clnn_status clnn_kernel_create(clnn_context *ctx, clnn_device *dev, const char *program_name,
                               const char *options, const char *kernel_name, cl_kernel *kernel);

/* Cache file format version: bump whenever the layout of a cache entry changes. */
#define CLNN_CACHE_FORMAT_VERSION 1u

#endif /* CLNN_INTERNAL_H */
