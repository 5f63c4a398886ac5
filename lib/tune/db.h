/*
 * db.h - the tuning database: per device, the best convolution algorithm and knobs for each
 * layer shape the tuner (clnn-bench tune) measured, the measured times of every algorithm
 * tried, the candidates it rejected, and CLBlast kernel parameters for FC layers. It is data:
 * one JSON file per device in the cache folder (tune-<hash>.json), plus the files of data/tune/
 * embedded in the library. Every value read is checked against the algorithm's knob table
 * and legality (clnn_tune_algo_knobs, clnn_tune_algo_refuses) and CLBlast's parameter
 * constraints (clblast.h); a damaged, foreign or newer file is ignored with a warning.
 *
 * Lookup for a device: its own file -> another file in the cache folder of the same vendor and
 * device type (e.g. another driver version) -> the shipped databases (same device first, then
 * same vendor and type) -> built-in defaults (the heuristic and default knobs of lib/ops).
 *
 * The database is data only: it stores, checks and finds entries; which algorithm a layer
 * runs is decided in lib/ops/conv_select.c. It includes nothing of lib/ops: what it needs to
 * know of the algorithms to check a file is the two functions at the end, which lib/ops
 * defines.
 */
#ifndef CLNN_TUNE_DB_H
#define CLNN_TUNE_DB_H

#include "knobs.h"

#define CLNN_TUNE_FORMAT 1          /* bump when the file layout changes */
#define CLNN_TUNE_MAX_REJECTS 16    /* rejected candidates kept per layer (all are counted) */
#define CLNN_TUNE_MAX_PARAMS 20     /* CLBlast parameters of one kernel */
#define CLNN_TUNE_MAX_FC_SHAPES 24  /* FC shapes measured per CLBlast kernel */
#define CLNN_TUNE_MAX_FILE (64u << 20)

/* What selects a convolution's best configuration: the shape, not the epilogue. Strides,
 * dilations and groups are >= 1 (defaults applied). */
typedef struct clnn_tune_shape {
    int batch, c, h, w, k, r, s;
    int stride_h, stride_w, pad_t, pad_l, pad_b, pad_r, dil_h, dil_w, groups;
} clnn_tune_shape;

void clnn_tune_shape_of(const clnn_conv_params *p, clnn_tune_shape *shape);
/* The shape as convolution parameters (no bias, no activation). */
void clnn_tune_shape_params(const clnn_tune_shape *shape, clnn_conv_params *p);
bool clnn_tune_shape_equal(const clnn_tune_shape *a, const clnn_tune_shape *b);
/* Multiply-adds x 2 of the layer (direct count). */
double clnn_tune_shape_flops(const clnn_tune_shape *shape);

/* The best setting found for one algorithm on one layer. */
typedef struct clnn_tune_result {
    clnn_conv_algo algo;
    clnn_knob_config knobs;
    double ms;  /* median of the timed runs */
    int tried;  /* candidates of this algorithm measured */
} clnn_tune_result;

/* A candidate the tuner refused: it failed to build or launch, or gave a wrong result. */
typedef struct clnn_tune_reject {
    clnn_conv_algo algo;
    clnn_knob_config knobs;
    char reason[160];
} clnn_tune_reject;

typedef struct clnn_tune_conv {
    clnn_tune_shape shape;
    char name[64];     /* the layer's name when the tuner knew one, else "" */
    int best;          /* index into results */
    int nresults;
    clnn_tune_result results[CLNN_CONV_ALGO_COUNT];
    double default_ms; /* heuristic algorithm with default knobs, same run (0: unknown) */
    bool complete;     /* false: the tuner was interrupted on this layer (it resumes it) */
    int nrejects, rejects_total;
    clnn_tune_reject rejects[CLNN_TUNE_MAX_REJECTS];
} clnn_tune_conv;

/* CLBlast parameters of one kernel ("Xgemm", "XgemvFast"...) and what they gave. */
typedef struct clnn_tune_fc_shape {
    int m, n, k;
    bool trans_b;
    double ms, default_ms; /* tuned, and CLBlast's own parameters, same run */
} clnn_tune_fc_shape;

typedef struct clnn_tune_clblast {
    char kernel[32];
    int nparams;
    char names[CLNN_TUNE_MAX_PARAMS][16];
    size_t values[CLNN_TUNE_MAX_PARAMS];
    int nshapes;
    clnn_tune_fc_shape shapes[CLNN_TUNE_MAX_FC_SHAPES];
} clnn_tune_clblast;

struct clnn_tune_db {
    char vendor[128], device[256], driver[128];
    clnn_device_type type;
    char origin[512]; /* file path, "built-in: <name>", or "" while being built */
    clnn_tune_conv *conv;
    size_t nconv, cap_conv;
    clnn_tune_clblast *clblast;
    size_t nclblast, cap_clblast;
};

/* An empty database keyed to a device. *db is freed with clnn_tune_db_free. */
clnn_status clnn_tune_db_new(const clnn_device_info *dev, clnn_tune_db **db);
void clnn_tune_db_free(clnn_tune_db *db);

/* Parses and checks a database text (NUL-terminated) for use on `dev`: format, key fields,
 * every shape, algorithm, knob value (clnn_tune_algo_refuses on dev) and CLBlast parameter. On
 * failure returns false and says why in `why` (the database is not returned). `origin` is
 * recorded in the database. A database of another device parses fine: compare its key. */
bool clnn_tune_db_parse(const char *text, const char *origin, const clnn_device_info *dev,
                        clnn_tune_db **db, char *why, size_t why_cap);
/* Reads and parses a file; false with `why` when missing, unreadable or invalid. */
bool clnn_tune_db_load_file(const char *path, const clnn_device_info *dev, clnn_tune_db **db,
                            char *why, size_t why_cap);
/* The JSON text of a database (malloc'ed), or NULL when out of memory. */
char *clnn_tune_db_to_json(const clnn_tune_db *db);
/* Writes the database atomically (temporary file, then rename). */
clnn_status clnn_tune_db_save(const clnn_tune_db *db, const char *path);

/* The device's own file in `cache_dir` (malloc'ed): tune-<hash of vendor, name, driver>.json. */
char *clnn_tune_db_path(const char *cache_dir, const clnn_device_info *dev);
/* Whether the database was written for exactly this device and driver. */
bool clnn_tune_db_is_for(const clnn_tune_db *db, const clnn_device_info *dev);
/* Whether it was written for this device (vendor and name), whatever the driver: its
 * measured times describe this hardware. */
bool clnn_tune_db_same_device(const clnn_tune_db *db, const clnn_device_info *dev);

/* The entry of exactly this shape, or NULL. */
const clnn_tune_conv *clnn_tune_db_find(const clnn_tune_db *db, const clnn_tune_shape *shape);
/* How far apart two shapes are: the sum of |log2| ratios of batch, channels, height, width
 * and output channels (gap); the distance for carrying a configuration over is the gap when
 * both have the same kernel size, stride, dilation and grouping, else INFINITY. */
double clnn_tune_shape_gap(const clnn_tune_shape *a, const clnn_tune_shape *b);
double clnn_tune_shape_distance(const clnn_tune_shape *a, const clnn_tune_shape *b);
/* The tuned shape nearest to `shape` (sum of |log2| ratios of batch, channels, height,
 * width and output channels) among entries of the same kernel size, stride, dilation and
 * grouping, within a bounded distance; NULL if none. */
const clnn_tune_conv *clnn_tune_db_nearest(const clnn_tune_db *db, const clnn_tune_shape *shape,
                                           double *distance);
/* Adds an entry or replaces the one of the same shape (copied). */
clnn_status clnn_tune_db_put(clnn_tune_db *db, const clnn_tune_conv *entry);
/* Adds CLBlast parameters or replaces those of the same kernel (copied). */
clnn_status clnn_tune_db_put_clblast(clnn_tune_db *db, const clnn_tune_clblast *entry);
/* The result of an algorithm in an entry, or NULL. */
const clnn_tune_result *clnn_tune_entry_result(const clnn_tune_conv *e, clnn_conv_algo algo);

/* Finds the database a device uses (the lookup order above); NULL when none applies.
 * `cache_dir` may be NULL (only the shipped databases are then searched). */
clnn_tune_db *clnn_tune_db_open(const char *cache_dir, const clnn_device_info *dev);

/* The database of a context's device, loaded once (thread-safe) and owned by the context;
 * NULL when the device uses the built-in defaults. */
const clnn_tune_db *clnn_tune_db_of(clnn_context *ctx, clnn_device *dev);

/* Applies the database's CLBlast parameters on the device (CLBlastOverrideParameters, once
 * per context and device; failures are warnings: CLBlast keeps its own parameters). */
void clnn_tune_apply_clblast(clnn_context *ctx, clnn_device *dev);

/* Databases shipped with the library (data/tune/, embedded at build time). */
typedef struct clnn_embedded_db {
    const char *name; /* file name without .json */
    const unsigned char *data; /* NUL-terminated text */
    size_t length;
} clnn_embedded_db;
extern const clnn_embedded_db clnn_embedded_tune_dbs[];
extern const size_t clnn_embedded_tune_db_count;

/* What the database asks of the convolution algorithms to check a file, defined beside them
 * (lib/ops/conv_select.c): the knob table of an algorithm (NULL for AUTO or an unknown
 * value), and NULL when `algo` applies to the layer and, cfg not NULL, its setting is legal on
 * the device, else why not. */
const clnn_algo_knobs *clnn_tune_algo_knobs(clnn_conv_algo algo);
const char *clnn_tune_algo_refuses(const clnn_conv_params *p, clnn_conv_algo algo,
                                   const clnn_knob_config *cfg, const clnn_device_info *dev);

#endif
