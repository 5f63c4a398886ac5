/*
 * layertest.h - the harness the operator suites share (test_layers.c and the suites of each
 * operator family): one-node graphs built with the public builder, a layer driven directly
 * through prepare / enqueue / reference on an out-of-order queue whose buffers hold NaN until
 * a user event opened after the enqueue lets the inputs through (a layer that ignores its
 * wait list, or returns an event that is not its last, reads or leaves NaN), and whole
 * graphs run by a session compared with the same graph folded on the host (every input a
 * constant: each node then runs through its C reference or fold).
 */
#ifndef CLNN_LAYERTEST_H
#define CLNN_LAYERTEST_H

#include "testutil.h"

#include "../lib/ops/layer.h"

/* The suite's context, its first device and an out-of-order queue on it (in order when
 * the device has none); cmocka group setup / teardown make and free them. */
extern clnn_context *lt_ctx;
extern clnn_device *lt_dev;
extern cl_context lt_cl_ctx;
extern cl_command_queue lt_queue;
int lt_setup(void **state);
int lt_teardown(void **state);

/* A graph of a given opset (0: the default). */
clnn_graph *lt_graph(int opset);
/* A float input; a constant of random values in [lo, hi). Fail the test on error. */
void lt_input(clnn_graph *g, const char *name, const int64_t *dims, size_t nd);
void lt_constant(clnn_graph *g, const char *name, const int64_t *dims, size_t nd,
                 uint32_t seed, float lo, float hi);
/* Adds the node (output "y", a graph output) and infers shapes with the declared batch. */
gnode *lt_node(clnn_graph *g, const char *op, const char *const *inputs, size_t nin,
               const clnn_attr *attrs, size_t nattrs);

typedef struct run_opts {
    float lo, hi;         /* range of the random non-constant inputs */
    bool in_place;        /* the output is input 0's buffer */
    uint32_t null_inputs; /* inputs passed as NULL (Concat inputs written in place) */
    bool no_done;         /* pass done == NULL and wait with clFinish */
    float sentinel;       /* the output buffer's contents before the run */
    uint32_t seed;
} run_opts;

/* Runs node n of g through impl on the device (*got) and through its reference (*want), both
 * malloc'ed with *count floats. */
void lt_run_node(const clnn_layer_impl *impl, const clnn_graph *g, const gnode *n,
                 const run_opts *ro, float **got, float **want, size_t *count);
/* Inputs in [-4, 4), NaN sentinel. */
run_opts lt_defaults(uint32_t seed);
/* Runs node 0 and compares; returns 1 when the device agrees with the reference (and, under
 * CLNN_TEST_SMALL, for outputs above 32768 elements without running them). */
int lt_check(const clnn_layer_impl *impl, clnn_graph *g, const run_opts *ro, float atol,
             float rtol, const char *what);
/* "[2,3,4]" of tensor t. */
const char *lt_shape_of(const clnn_graph *g, int t, char *buf, size_t cap);

/* Runs graph g (inputs random in [lo, hi), seeded) through a session on lt_ctx and compares
 * every output with the same graph folded on the host: |got - want| <= atol + rtol |want|.
 * Returns 1 when they agree, printing `what` and the first difference otherwise. Every
 * graph input must have a fixed shape. */
int lt_compare_folded(const clnn_graph *g, uint32_t seed, float lo, float hi, float atol,
                      float rtol, const char *what);

#endif
