/*
 * bench.h - shared pieces of clnn-bench's subcommands.
 */
#ifndef CLNN_BENCH_H
#define CLNN_BENCH_H

#include "clnn.h"

#include <stdio.h>

/* One line of a layer file: name,C,H,W,K,R,S,stride,pad[,groups][,source] (groups: a
 * field of digits only; 1 when absent). */
typedef struct bench_layer {
    char name[64];
    int c, h, w, k, r, s, stride, pad, groups;
} bench_layer;

/* Subcommand entry points: argv[0] is the subcommand name. Return the exit status. */
int bench_startup(int argc, char **argv);
int bench_startup_child(int argc, char **argv);
int bench_conv(int argc, char **argv);
int bench_tune(int argc, char **argv);
int bench_chain(int argc, char **argv);
int bench_call(int argc, char **argv);
int bench_fc(int argc, char **argv);

/* A comma list of sizes in 1..4096 ("1,32") into v (at most max); the count, or -1 when
 * malformed or longer. */
int bench_parse_sizes(const char *s, int *v, int max);

/* Reads a layer file; on error prints why and returns -1. *layers is malloc'ed. */
int bench_parse_layers(const char *path, bench_layer **layers, int *count);
/* The layer as a convolution with bias and ReLU at the given batch. */
clnn_conv_params bench_layer_params(const bench_layer *layer, int batch);
/* bench/conv_layers.csv of the source tree, or of the installed data folder. */
const char *bench_default_layers(void);
/* Median seconds per call of run(arg) (which enqueues on q and returns 0), after a warm-up
 * call, over at least 3 samples and min_time seconds; -1 if run fails. */
double bench_time(cl_command_queue q, double min_time, int (*run)(void *), void *arg);
double bench_now(void);
/* The pooling part of `clnn-bench conv`: returns non-zero on failure. */
int bench_pool_suite(clnn_context *ctx, FILE *out, const int *batches, int nbatches,
                     double min_time);
/* Runs a plotting script of scripts/ (plot_bench.py, plot_compare.py) on a CSV; non-zero on
 * failure. */
int bench_plot(const char *script, const char *csv, const char *png);

/* Path of the running executable (for re-running itself in a child). */
const char *bench_self_path(void);
/* Median of n doubles (sorts them). */
double bench_median(double *v, int n);

#endif
