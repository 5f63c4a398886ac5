/*
 * bench.h - shared pieces of clnn-bench's subcommands.
 */
#ifndef CLNN_BENCH_H
#define CLNN_BENCH_H

#include "clnn.h"

#include <stdio.h>

/* Subcommand entry points: argv[0] is the subcommand name. Return the exit status. */
int bench_startup(int argc, char **argv);
int bench_startup_child(int argc, char **argv);

/* Path of the running executable (for re-running itself in a child). */
const char *bench_self_path(void);
/* Median of n doubles (sorts them). */
double bench_median(double *v, int n);

#endif
