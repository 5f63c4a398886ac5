/*
 * exec.h - one executable copy of a graph at one batch size, its layers placed on one or more
 * devices (exec.c). A session holds one instance, or several: one per device for a batch
 * split, two for a pipeline (so consecutive batches overlap).
 *
 * Per device: an in-order queue runs that device's layers in execution order; an arena holds
 * its activations (memory plan per device); graph inputs and the constants its layers read
 * are uploaded to it. During a run one host thread per device enqueues that device's part
 * and waits for it. A tensor produced on device A and read on device B is copied once: read
 * into host memory on A's queue right after its producer; B's thread waits for that read,
 * then writes the bytes on B's queue right before its first reader there. Devices thus run
 * concurrently, whatever thread their driver executes commands in.
 */
#ifndef CLNN_EXEC_H
#define CLNN_EXEC_H

#include "../graph/plan.h"
#include "../ops/layer.h"
#include "../sched/sched.h"

typedef struct exec_layer {
    int node;
    const clnn_layer_impl *impl;
    void *state;
    int device;
    char op_label[96];
    char *algorithm;
    double predicted_ms, ms, max_error;
    cl_event start, event; /* last run (profiling): marker before, completion */
    double host_start;     /* host time when enqueued (trace alignment) */
} exec_layer;

typedef struct exec_copy {
    int tensor;          /* the root tensor moved */
    int src, dst;        /* devices */
    size_t bytes;
    void *host;          /* staging */
    int after, before;   /* layer indices: producer on src, first reader on dst */
    cl_event read_ev, write_ev;
    bool posted;         /* the read is enqueued (or will never be): guarded by copy_lock */
    double predicted_ms;
} exec_copy;

/* Where a tensor lives on a device. */
typedef struct tensor_loc {
    cl_mem mem;     /* NULL if the tensor is not on that device */
    int off;        /* floats: a slice in place inside a concatenation */
    int img_stride; /* floats between images */
} tensor_loc;

typedef struct exec_device {
    bool used;
    cl_mem arena;
    cl_mem *storage; /* one sub-buffer per storage of this device's plan */
    int nstorage;
    size_t arena_bytes, naive_bytes;
    cl_event first;  /* the first command of the last run (trace alignment) */
    double first_host;
} exec_device;

/* The thread that enqueues and waits for one device's part of a run. */
typedef struct exec_worker {
    struct exec_instance *x;
    int device;
    pthread_t thread;
    bool running;
    clnn_status status;
    char error[1024];
} exec_worker;

typedef struct exec_instance {
    clnn_context *ctx;
    const clnn_graph *g;     /* the compiled graph (borrowed from the session) */
    int batch;
    const int *order;        /* every live node, topological (borrowed) */
    int norder;
    exec_layer *layers;      /* executed nodes in execution order */
    int nlayers;
    int *node_device;        /* per graph node: device (views: their input's) */
    plan_tensor *pt;         /* per tensor: root / view / concat in place */
    exec_copy *copies;
    int ncopies;
    exec_device *dev;        /* per selected device */
    exec_worker *workers;    /* per selected device, during a run */
    pthread_mutex_t copy_lock;
    pthread_cond_t copy_cv;  /* a copy's read was posted */
    tensor_loc *loc;         /* ntensors x ndev */
    cl_mem *own;             /* ntensors x ndev: graph inputs and constants */
    bool profiling;
    int run_limit;           /* > 0: a run stops after this many layers (verification) */
    double predicted_ms;
} exec_instance;

/* What an instance is built from. */
typedef struct exec_spec {
    bool profiling;
    /* Per node of the compiled graph, the device; NULL: all on `device`. */
    const int *node_device;
    int device;
} exec_spec;

/* Builds an instance of a compiled graph (borrowed: it must outlive the instance), its
 * layers placed and prepared. Layers whose preparation fails on their device with a build
 * error or out of memory move to the next-best device (warning); `allowed` marks devices that
 * may be used (NULL: all). When a device cannot hold the activations, the status is
 * OUT_OF_DEVICE_MEMORY and *oom_device names it (else -1). */
clnn_status exec_create(clnn_context *ctx, const clnn_compiled *cg, const exec_spec *spec,
                        const bool *allowed, exec_instance **out, int *oom_device);
void exec_destroy(exec_instance *x);

/* Starts a whole run (one thread per device enqueues its part and waits for it) / waits for
 * the run to end. */
clnn_status exec_enqueue(exec_instance *x);
clnn_status exec_wait(exec_instance *x);
/* Writes graph input t (count floats) to every device that reads it; blocking or not. */
clnn_status exec_write_input(exec_instance *x, int t, const float *data, bool blocking);
/* Reads tensor t densely into data (blocking). */
clnn_status exec_read_tensor(exec_instance *x, int t, float *data);
/* Re-runs layer by layer, checking each against its C reference (max_error). */
clnn_status exec_verify(exec_instance *x);
/* Per-layer device times of the last run (profiling). */
void exec_collect_profile(exec_instance *x);

#endif
