/*
 * clblast.h - the CLBlast kernels clnn tunes for FC layers (Xgemm and XgemmDirect for
 * several rows, the GEMV kernels for one row), their parameters with the values searched,
 * and the constraints CLBlast's kernels need. The tuner (clnn-bench tune --fc) searches these
 * sets; the database loader checks stored parameters against them.
 */
#ifndef CLNN_TUNE_CLBLAST_H
#define CLNN_TUNE_CLBLAST_H

#include "db.h"

typedef struct clnn_clblast_param {
    const char *name;
    int nvalues;
    int values[8]; /* ascending */
} clnn_clblast_param;

typedef struct clnn_clblast_kernel {
    const char *name; /* CLBlast's kernel name, as CLBlastOverrideParameters takes it */
    bool one_row;     /* used by CLBlastSgemv (batch 1), else by CLBlastSgemm */
    int nparams;
    clnn_clblast_param params[CLNN_TUNE_MAX_PARAMS];
    /* NULL when legal, else why not; v holds one value per parameter in table order. */
    const char *(*check)(const size_t *v, const clnn_device_info *dev);
} clnn_clblast_kernel;

extern const clnn_clblast_kernel clnn_clblast_kernels[];
extern const size_t clnn_clblast_kernel_count;

/* The kernel of that name, or NULL. */
const clnn_clblast_kernel *clnn_clblast_kernel_find(const char *name);

/* Whether a stored parameter set is legal on the device: exactly the kernel's parameter
 * names, each value in its list, and the kernel's constraints. NULL, or why not. */
const char *clnn_clblast_entry_check(const clnn_tune_clblast *e, const clnn_device_info *dev);

/* CLBlast keeps what it compiles for a cl_context in a process-wide cache that outlives the
 * context (and frees it from a static destructor at exit, after the driver may be gone). A
 * context whose FC layers run on CLBlast is counted (clnn_clblast_context_uses, from the FC
 * layer); when the last counted context is destroyed (clnn_clblast_context_done) the cache is
 * cleared, so creating and destroying contexts does not grow the process. While several
 * contexts live, the cache keeps what each compiled until the last one goes. */
void clnn_clblast_context_uses(clnn_context *ctx);
void clnn_clblast_context_done(clnn_context *ctx);

/* Applies a parameter set with CLBlastOverrideParameters; returns CLBlast's status (0 is
 * success). Records no error: callers say what failed. */
int clnn_clblast_override(cl_device_id device, const clnn_tune_clblast *e);

#endif
