/*
 * sched.h - the scheduler: device calibration (calib.c), the cost model (cost.c), the
 * placement strategies (place.c: HEFT; policy.c: batch split, pipeline) and the policy that
 * decides a session's schedule (policy.c).
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
    const double *launch;    /* n x ndev: the part of cost that does not scale with the
                                batch (launches); NULL: none */
} sched_problem;

/* HEFT list scheduling: device per node in *device, the predicted makespan in ms, and an
 * execution order (by predicted start) in *order. */
void clnn_heft(const sched_problem *p, int *device, int *order, double *makespan);

/* The makespan of running everything on device d (sum of its costs), or a huge value when d
 * cannot run some node. */
double clnn_single_device_ms(const sched_problem *p, int d);

/* Images per device for a batch split: each image to the device whose share would finish
 * first (cost minus launch scales with the batch). Returns the predicted time of the slowest
 * share, 1e30 when no device can run every node, -1 out of memory. */
double clnn_sched_split_batch(const sched_problem *p, int batch, int *share);
/* A pipeline of two stages: executed nodes [0, cut) on one device and [cut, n) on another,
 * over every cut and ordered pair of devices; the period of a stream is the slower stage,
 * transfers into the second included. Returns the best period with device[i] per node, 1e30
 * when there is none (one node, one device), -1 out of memory. */
double clnn_sched_pipeline(const sched_problem *p, int *device);

typedef enum sched_plan {
    SCHED_PLAN_ONE,      /* one instance: every layer on one device, or placed by HEFT */
    SCHED_PLAN_SPLIT,    /* one instance per device, each a share of the batch */
    SCHED_PLAN_PIPELINE, /* two instances alternating, stages on two devices */
} sched_plan;

/* A session's schedule. */
typedef struct sched_choice {
    clnn_schedule_mode mode;
    sched_plan kind;
    int *node_device;    /* per node of the compiled graph (NULL: all on single_device) */
    int *share;          /* per device: images (SPLIT) */
    double predicted;    /* ms per batch */
    double single_ms;    /* the best single device's predicted ms */
    int single_device;
    char text[1024];
} sched_choice;

/* Decides the schedule of compiled graph cg: mode from the options (or CLNN_SCHEDULE),
 * devices `allowed` (those that cannot be calibrated are cleared), layers pinned by `pin`
 * (per node, -1 free; `pinned` when any is). The caller frees with clnn_sched_choice_free. */
clnn_status clnn_sched_decide(clnn_context *ctx, const clnn_compiled *cg,
                              const clnn_session_options *o, bool *allowed, const int *pin,
                              bool pinned, sched_choice *c);
void clnn_sched_choice_free(sched_choice *c);

#endif
