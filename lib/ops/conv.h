/*
 * conv.h - the convolution layer object and the descriptor each algorithm defines beside its
 * implementation (conv_direct.c, conv_1x1.c, conv_winograd.c, conv_dw.c): name, knob table,
 * default knobs, legality, kernels. conv.c validates and dispatches through the table of
 * descriptors; conv_select.c chooses the algorithm (heuristic, tuning database, predicted
 * time). lib/ops uses the tuning database's data API (lib/tune/db.h); lib/tune includes
 * nothing of lib/ops.
 */
#ifndef CLNN_CONV_H
#define CLNN_CONV_H

#include "../tune/db.h"
#include "ops.h"

#define CLNN_CONV_MAX_KERNELS 4

/* A convolution's parameters with defaults applied (stride/dilation/groups >= 1) and the
 * derived sizes. */
typedef struct conv_shape {
    clnn_conv_params p;
    int P, Q;    /* output height, width */
    int Cg, Kg;  /* channels per group */
    size_t in_count, out_count, w_count;
} conv_shape;

struct clnn_conv {
    clnn_context *ctx;
    clnn_device *dev;
    conv_shape s;
    clnn_conv_algo algo;
    clnn_knob_config knobs;
    char config[160];

    cl_kernel kernels[CLNN_CONV_MAX_KERNELS];
    clnn_buffer weights; /* packed / transformed */
    clnn_buffer bias;    /* always allocated (zeros without bias) */
    clnn_buffer work[2]; /* scratch of the algorithm */
    size_t work_bytes[2];
    int ints[16];        /* algorithm-private sizes */
    clnn_staging staging;
};

typedef struct clnn_conv_algo_def {
    clnn_conv_algo algo;
    const char *name;
    /* The tuning knobs: -D macros of the algorithm's kernels (their defaults in the kernel
     * files agree with default_knobs). */
    clnn_algo_knobs knobs;
    /* NULL if the algorithm applies, else why not. */
    const char *(*check)(const conv_shape *s);
    /* Heuristic knobs for a layer on a device (before any tuning); p is valid. */
    void (*default_knobs)(const clnn_conv_params *p, const clnn_device_info *dev,
                          clnn_knob_config *cfg);
    /* Whether a setting whose values are all in the table suits the device (work-group
     * limits, registers); *why says why not. */
    bool (*knobs_ok)(const clnn_knob_config *cfg, const clnn_device_info *dev, const char **why);
    /* Builds kernels, packs/transforms and uploads weights and bias, sizes the scratch. */
    clnn_status (*prepare)(clnn_conv *c, const float *weights, const float *bias);
    /* Enqueues the layer: input, residual (or NULL), output are validated device buffers;
     * the output is written from out_off floats with out_img_stride floats per image. */
    clnn_status (*enqueue)(clnn_conv *c, cl_command_queue q, cl_mem in, cl_mem res, cl_mem out,
                           int out_off, int out_img_stride, cl_uint nw, const cl_event *w,
                           cl_event *done);
} clnn_conv_algo_def;

extern const clnn_conv_algo_def clnn_conv_direct_def;    /* conv_direct.c */
extern const clnn_conv_algo_def clnn_conv_1x1_def;       /* conv_1x1.c */
extern const clnn_conv_algo_def clnn_conv_winograd2_def; /* conv_winograd.c */
extern const clnn_conv_algo_def clnn_conv_winograd4_def; /* conv_winograd.c */
extern const clnn_conv_algo_def clnn_conv_dw_def;        /* conv_dw.c */

/* The descriptor of an algorithm (conv.c's table), NULL for AUTO or an unknown value. */
const clnn_conv_algo_def *clnn_conv_algo_of(clnn_conv_algo algo);

/* ---- knobs, through the descriptors (conv.c) ---- */

/* The knob table of an algorithm (NULL for AUTO). */
const clnn_algo_knobs *clnn_knobs_table(clnn_conv_algo algo);
/* Index of a knob by name in the algorithm's table, or -1. */
int clnn_knob_index(clnn_conv_algo algo, const char *name);
/* Heuristic defaults for a layer on a device (before any tuning). */
void clnn_knobs_default(clnn_conv_algo algo, const clnn_conv_params *p,
                        const clnn_device_info *dev, clnn_knob_config *cfg);
/* Whether a setting is legal for the layer and device (values of the table, work-group
 * limits, registers); *why says why not. */
bool clnn_knobs_valid(clnn_conv_algo algo, const clnn_knob_config *cfg,
                      const clnn_conv_params *p, const clnn_device_info *dev, const char **why);
/* "-DNAME=v ..." for the setting (appended to sb) and a readable "NAME=v,..." form. */
void clnn_knobs_options(clnn_conv_algo algo, const clnn_knob_config *cfg, clnn_strbuf *sb);
void clnn_knobs_describe(clnn_conv_algo algo, const clnn_knob_config *cfg, char *out,
                         size_t cap);

/* Shared by the register-tiled algorithms (direct and the GEMM ones), whose knobs start
 * TK/TM, VEC, TV/TN, WGX, WGY: defaults for products of `k_cpu` rows on a CPU (`kg` per
 * group on a GPU) and `cols` columns, and the register and work-group limits. */
void clnn_tile_knobs_default(int kg, int k_cpu, long cols, const clnn_device_info *dev,
                             clnn_knob_config *cfg);
bool clnn_tile_knobs_ok(const clnn_knob_config *cfg, const clnn_device_info *dev,
                        const char **why);
int clnn_pow2_at_least(int x, int cap);

/* ---- algorithm choice (conv_select.c) ---- */

/* The built-in default algorithm (a heuristic from `clnn-bench conv` on PoCL). */
clnn_conv_algo clnn_conv_heuristic(const conv_shape *s, const clnn_device_info *dev);

/* A database entry's non-direct winner stands only when it beat direct by this fraction in
 * the entry's own times (CLNN_CONV_SELECT_MARGIN: 0.10 = 10%). */
#define CLNN_CONV_SELECT_MARGIN 0.10

/* The configuration a database entry gives a layer: `want` is the requested algorithm
 * (AUTO: the entry's choice, under the margin rule of README: Tuning); true with *algo and
 * *cfg set when the entry decides, false when its setting does not apply to the layer or
 * device (the built-in defaults then do). */
bool clnn_conv_entry_choice(const clnn_tune_conv *e, const conv_shape *s,
                            const clnn_device_info *dev, clnn_conv_algo want,
                            clnn_conv_algo *algo, clnn_knob_config *cfg);

/* The configuration the device's database gives a layer: `*algo` is the requested algorithm
 * (AUTO: the database's choice) and receives the one to run; true with `cfg` set when the
 * database (the exact shape, else the nearest valid one) decides, false when the built-in
 * defaults apply (then *algo is left as requested). Never records an error. */
bool clnn_conv_choose(clnn_context *ctx, size_t device, const clnn_conv_params *p,
                      clnn_conv_algo *algo, clnn_knob_config *cfg);

/* Predicted milliseconds of the layer as clnn_conv_choose configures it: the time the tuner
 * measured for that configuration (same batch and shape, on this hardware), or -1 when the
 * database does not know it. */
double clnn_conv_predicted_ms(clnn_context *ctx, size_t device, const clnn_conv_params *p);

/* Uploads the bias (zeros: one float, when the layer has none) into c->bias. */
clnn_status clnn_conv_upload_bias(clnn_conv *c, const float *bias);

/* Validates params and fills the shape. */
clnn_status clnn_conv_shape_init(const clnn_context *ctx, const clnn_conv_params *params,
                                 conv_shape *s);

/* Build options of the fused epilogue: -DACT=.. -DACT_A=.. -DACT_B=.. -DRESIDUAL=..
 * -DHAS_BIAS=.. */
void clnn_conv_epilogue_options(const clnn_conv_params *p, clnn_strbuf *sb);

/* clnn_conv_enqueue writing into a slice: out + out_off, out_img_stride floats per image
 * (buffers are not checked: the session executor sized them). */
clnn_status clnn_conv_enqueue_at(clnn_conv *c, cl_command_queue q, cl_mem in, cl_mem res,
                                 cl_mem out, int out_off, int out_img_stride, cl_uint nw,
                                 const cl_event *w, cl_event *done);

/* Creates a conv with explicit knobs (tuner); cfg NULL uses the defaults. */
clnn_status clnn_conv_create_knobs(clnn_context *ctx, size_t device,
                                   const clnn_conv_params *params, clnn_conv_algo algo,
                                   const clnn_knob_config *cfg, const float *weights,
                                   const float *bias, clnn_conv **conv);

/* The batched GEMM shared by the 1x1 and Winograd algorithms (gemm.c):
 * C[b] (M x N) = A[b] (M x Kd) * B[b] (Kd x N), A packed by clnn_gemm_pack_a. */
typedef struct clnn_gemm {
    cl_kernel kernel;
    int TM, VEC, TN, WGX, WGY;
    int epilogue; /* 0: raw C[b][m][n]; 1: convolution output with bias/act/residual */
} clnn_gemm;
/* Knobs of the GEMM-based algorithms (1x1 and the Winograd products: one kernel): TM, VEC,
 * TN, WGX, WGY. */
#define CLNN_GEMM_KNOBS                                                                       \
    {"TM", "output channels per work-item", 8, {1, 2, 4, 8, 12, 16, 24, 32}},                 \
        {"VEC", "columns per vector", 5, {1, 2, 4, 8, 16}},                                   \
        {"TN", "vectors per work-item", 4, {1, 2, 3, 4}},                                     \
        {"WGX", "work-items per group along columns", 8, {1, 2, 4, 8, 16, 32, 64, 128}},      \
        {"WGY", "work-items per group along channels", 4, {1, 2, 4, 8}},
clnn_status clnn_gemm_prepare(clnn_conv *c, clnn_gemm *g, const clnn_knob_config *knobs,
                              int epilogue);
/* Packs row-major A (M x Kd, leading dim lda) into [ceil(M/TM)][Kd][TM], zero rows padded;
 * `dst` holds clnn_gemm_packed_count() floats. */
size_t clnn_gemm_packed_count(int TM, int M, int Kd);
void clnn_gemm_pack_a(int TM, int M, int Kd, const float *a, size_t lda, float *dst);
typedef struct clnn_gemm_args {
    int batch, M, N, Kd;
    cl_mem A;
    int a_stride; /* floats between batches of packed A (0: shared) */
    cl_mem B;
    int ldb, b_stride;
    int b_extent; /* floats in B's buffer: batch * b_stride at least */
    cl_mem C;
    int c_off, ldc, c_stride;
    cl_mem bias, residual; /* epilogue 1 */
    int res_stride;        /* floats per batch entry of the (dense) residual */
} clnn_gemm_args;
clnn_status clnn_gemm_enqueue(clnn_conv *c, clnn_gemm *g, cl_command_queue q,
                              const clnn_gemm_args *a, cl_uint nw, const cl_event *w,
                              cl_event *done);
void clnn_gemm_release(clnn_gemm *g);

#endif
