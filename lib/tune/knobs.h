/*
 * knobs.h - the tuning knobs of every convolution algorithm, in one table that the library
 * (defaults, validation) and the tuner (search space) share. A knob is a -D macro of the
 * algorithm's kernels; its default in the kernel file is the same as here.
 */
#ifndef CLNN_KNOBS_H
#define CLNN_KNOBS_H

#include "../internal.h"

#define CLNN_MAX_KNOBS 8
#define CLNN_MAX_KNOB_VALUES 12

typedef struct clnn_knob_def {
    const char *name;    /* the -D macro */
    const char *meaning; /* one line */
    int nvalues;
    int values[CLNN_MAX_KNOB_VALUES]; /* candidates, ascending */
} clnn_knob_def;

typedef struct clnn_algo_knobs {
    clnn_conv_algo algo;
    int nknobs;
    clnn_knob_def knobs[CLNN_MAX_KNOBS];
} clnn_algo_knobs;

/* One setting of an algorithm's knobs, in the order of its table. */
typedef struct clnn_knob_config {
    int v[CLNN_MAX_KNOBS];
} clnn_knob_config;

/* The knob table of an algorithm (NULL for AUTO). */
const clnn_algo_knobs *clnn_knobs_table(clnn_conv_algo algo);

/* Index of a knob by name in the algorithm's table, or -1. */
int clnn_knob_index(clnn_conv_algo algo, const char *name);

/* Heuristic defaults for a layer on a device (before any tuning). */
void clnn_knobs_default(clnn_conv_algo algo, const clnn_conv_params *p,
                        const clnn_device_info *dev, clnn_knob_config *cfg);

/* Whether a setting is legal for the layer and device (work-group limits, local memory,
 * divisibility); *why says why not. */
bool clnn_knobs_valid(clnn_conv_algo algo, const clnn_knob_config *cfg,
                      const clnn_conv_params *p, const clnn_device_info *dev, const char **why);

/* "-DNAME=v ..." for the setting (appended to sb) and a readable "NAME=v,..." form. */
void clnn_knobs_options(clnn_conv_algo algo, const clnn_knob_config *cfg, clnn_strbuf *sb);
void clnn_knobs_describe(clnn_conv_algo algo, const clnn_knob_config *cfg, char *out,
                         size_t cap);

#endif
