/*
 * search.h - the tuner's engine, driven by `clnn-bench tune` (bench/tune.c) and the tests:
 * per convolution layer, a measured search over the algorithms and their knobs (lib/ops/conv.h),
 * and for FC layers over CLBlast's kernel parameters (clblast.h). Every candidate is checked
 * against a reference before it is timed; a candidate that fails to build or launch, or gives
 * a wrong result, is recorded as rejected and never chosen.
 */
#ifndef CLNN_TUNE_SEARCH_H
#define CLNN_TUNE_SEARCH_H

#include "../ops/conv.h"

#include <signal.h>

/* One configuration to try. */
typedef struct clnn_tune_candidate {
    clnn_conv_algo algo;
    clnn_knob_config knobs;
} clnn_tune_candidate;

/* What the search reports after each candidate (for progress bars). */
typedef struct clnn_tune_progress {
    int candidates;        /* tried on this layer or kernel, rejected ones included */
    int rejected;
    double default_ms;     /* the baseline (0 until measured) */
    double best_ms;        /* best so far (0 until measured) */
    double elapsed_s, budget_s;
    const char *last;      /* the candidate just tried, readable */
    const char *rejection; /* why it was rejected, or NULL */
} clnn_tune_progress;

typedef struct clnn_tune_options {
    double budget_s;   /* wall-clock seconds for this layer (the heuristic's default is measured
                          even when the budget is smaller) */
    double min_time_s; /* timing: repeat runs until this long (0: 0.2 s; see clnn_tune_time) */
    uint64_t seed;     /* random sampling (0: fixed default) */
    /* Layers tuned before (may be NULL): the best settings of the nearest ones of the same
     * kernel size, stride, dilation and grouping (this layer at another batch, a neighbouring
     * shape) are tried right after the defaults, so that the search starts from what worked. */
    const clnn_tune_db *prior;
    /* Test hooks: try exactly these candidates after the defaults, no search; and perturb
     * the outputs of candidate `wrong` (when not NULL) as a miscompiling driver would. */
    const clnn_tune_candidate *fixed;
    int nfixed;
    const clnn_tune_candidate *wrong;
    /* Set asynchronously (a signal): finish the current candidate and return. */
    const volatile sig_atomic_t *stop;
    void (*progress)(const clnn_tune_progress *p, void *user);
    void *user;
} clnn_tune_options;

/* Per-algorithm tolerance of a convolution against the double-precision C reference, as a
 * fraction of the output's scale max(1, max |want|) (the same as tests/test_conv.c). */
double clnn_tune_tolerance(clnn_conv_algo algo);

/* Helpers the convolution and CLBlast searches share (search.c). xorshift64*: reproducible
 * random numbers from a state; a fill with uniform values in [-1, 1) from a seed; and the
 * largest |got - want| / scale with scale = max(1, max |want|), NaN counting as infinite
 * (*where receives its index when not NULL). */
uint64_t clnn_tune_rand(uint64_t *state);
void clnn_tune_fill_random(float *x, size_t n, uint64_t seed);
double clnn_tune_max_error(const float *got, const float *want, size_t n, size_t *where);

/* Times a device workload: `run` enqueues one run on q (0 on success). After one run to
 * size them (itself the first sample when it takes 10 ms or more), samples of back-to-back
 * runs (one clFinish each, at least ~10 ms) until min_time seconds and 3 samples; returns the
 * median milliseconds per run, or -1 when a run fails.
 * When abort_ms > 0 and the first sample is slower than it, returns that sample at once (a
 * candidate that cannot win). Used by the tuner and by `clnn-bench conv --compare` alike. */
double clnn_tune_time(cl_command_queue q, int (*run)(void *), void *arg, double min_time,
                      double abort_ms);

/* Tunes one convolution (its epilogue included) on selected device `device`: the defaults of
 * every applicable algorithm, then random samples and a local search around the best, within
 * opt->budget_s. Fills *entry (complete is false when stopped through opt->stop). Fails only
 * when the layer cannot be tuned at all (invalid parameters, out of memory, or the default
 * configuration itself wrong on the device). */
clnn_status clnn_tune_conv_layer(clnn_context *ctx, size_t device, const clnn_conv_params *p,
                                 const char *name, const clnn_tune_options *opt,
                                 clnn_tune_conv *entry);

/* An FC product: Y (m x n) = A (m x k) * op(B), B being n x k when trans_b. */
typedef struct clnn_tune_fc_layer {
    int m, n, k;
    bool trans_b;
} clnn_tune_fc_layer;

/* Result of one FC shape: CLBlast's own parameters against the tuned ones, same run. */
typedef struct clnn_tune_fc_report {
    clnn_tune_fc_layer shape;
    double default_ms, tuned_ms;
} clnn_tune_fc_report;

/* Tunes CLBlast's kernels for these shapes (Xgemm and XgemmDirect with the shapes of more
 * than one row, the GEMV kernels with the one-row shapes) within opt->budget_s in all, and
 * stores the parameters that beat CLBlast's own in db. Call it before anything else in the
 * process overrides CLBlast's parameters on the device: CLBlast's own are the baseline.
 * report (nshapes entries, may be NULL) receives the per-shape times. */
clnn_status clnn_tune_clblast_layers(clnn_context *ctx, size_t device,
                                     const clnn_tune_fc_layer *shapes, int nshapes,
                                     const clnn_tune_options *opt, clnn_tune_db *db,
                                     clnn_tune_fc_report *report);

#endif
