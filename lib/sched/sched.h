/*
 * sched.h - the scheduler: device calibration (calib.c), the cost model (cost.c) and the
 * placement strategies (place.c) that decide which device runs which layer.
 */
#ifndef CLNN_SCHED_H
#define CLNN_SCHED_H

#include "../graph/op.h"

/* The calibration of selected device `d`: from the context (measured already), the disk
 * cache, or measured now (about a second) and stored. */
clnn_status clnn_device_calibration(clnn_context *ctx, size_t d, clnn_calib *out);

/* How much more the devices in `use` compute together than the fastest alone (1.0 when they
 * share whatever they run on; close to n for n independent equal devices). */
clnn_status clnn_parallel_gain(clnn_context *ctx, const bool *use, double *gain);

/* Work of a node at its inferred shapes (node_work: op.h). */
node_work clnn_node_work(const clnn_graph *g, const gnode *n);

/* Predicted milliseconds of a node on a device (tuning database when it knows the layer,
 * else the roofline of the calibration); 0 for views. */
double clnn_predict_ms(clnn_context *ctx, size_t d, const clnn_calib *c, const clnn_graph *g,
                       const gnode *n);
/* Predicted milliseconds to move `bytes` from device a to device b through the host. */
double clnn_transfer_ms(const clnn_calib *a, const clnn_calib *b, double bytes);

/* A placement problem: executed nodes (graph indices, in topological order), their
 * predicted times per device and their data dependencies. */
typedef struct sched_problem {
    int n;              /* nodes */
    int ndev;
    const int *node;    /* graph node index of each */
    const double *cost; /* n x ndev predicted ms; < 0 where a device may not run the node */
    /* Edges: producer p -> consumer c moving bytes (ms per device pair via xfer). */
    int nedges;
    const int *edge_from, *edge_to;
    const double *edge_bytes;
    const clnn_calib *calib; /* per device */
} sched_problem;

/* HEFT list scheduling: device per node in *device, the predicted makespan in ms, and an
 * execution order (by predicted start) in *order. */
void clnn_heft(const sched_problem *p, int *device, int *order, double *makespan);

/* The makespan of running everything on device d (sum of its costs), or a huge value when d
 * cannot run some node. */
double clnn_single_device_ms(const sched_problem *p, int d);

#endif
