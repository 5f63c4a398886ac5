/*
 * knobs.h - the vocabulary of tuning knobs that the tuning database (db.h) stores and the
 * convolution algorithms (lib/ops/conv_*.c) define. A knob is a -D macro of an algorithm's
 * kernels; each algorithm's table (names, candidate values, defaults, legality) lives beside
 * its implementation, in its clnn_conv_algo_def (lib/ops/conv.h).
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
    int nknobs;
    clnn_knob_def knobs[CLNN_MAX_KNOBS];
} clnn_algo_knobs;

/* One setting of an algorithm's knobs, in the order of its table. */
typedef struct clnn_knob_config {
    int v[CLNN_MAX_KNOBS];
} clnn_knob_config;

#endif
