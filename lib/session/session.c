/*
 * session.c - sessions: the schedule (which devices run what, from the cost model), the
 * executable instances that carry it out (exec.c), and the public session calls.
 *
 * Modes (clnn_schedule_mode): SINGLE puts every layer on the device predicted fastest;
 * LATENCY places layers with HEFT (lib/sched/place.c); THROUGHPUT picks, by predicted time per
 * batch, one device, a batch split across devices in proportion to their speed (one instance
 * per device, run concurrently), or pipeline stages of consecutive layers on different devices
 * (two instances, so consecutive batches of a stream overlap). A multi-device plan is used
 * only when predicted at least 10% faster than the best single device.
 */
#include "exec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GAIN_NEEDED 0.9 /* a plan must predict <= 90% of the best single device's time */
#define MIN_PARALLEL_GAIN 1.2 /* devices running together must do this much more than one */

struct clnn_session {
    clnn_context *ctx;
    int batch;
    clnn_compiled *cg;   /* the graph compiled at the session's batch */
    clnn_compiled **part; /* per instance of a batch split: compiled at its share (NULL:
                             cg, or one compiled for an earlier instance of that share) */
    int npart;
    clnn_schedule_mode mode;
    bool pipeline;
    exec_instance **inst;
    int ninst;
    int *offset;         /* per instance: first image of its share (batch split) */
    char **in_names, **out_names;
    int *in_tensor, *out_tensor; /* tensor indices (the same in every instance) */
    bool *in_set;                /* per input: given since the session was created */
    int nin, nout;
    int64_t (*in_dims)[CLNN_MAX_DIMS], (*out_dims)[CLNN_MAX_DIMS]; /* whole-batch shapes */
    char schedule[1024];
};

/* ---- the schedule ------------------------------------------------------------------------ */

typedef struct choice {
    clnn_schedule_mode mode;
    int kind;            /* 0 single/latency placement, 1 batch split, 2 pipeline */
    int *node_device;    /* per node of the optimized graph */
    int *share;          /* per device: images (batch split) */
    double predicted;    /* ms per batch */
    double single_ms;
    int single_device;
    char text[1024];
} choice;

typedef struct problem {
    const clnn_graph *g;
    const int *order;
    int norder;
    int n;          /* executed nodes */
    int *node;      /* their graph indices */
    double *cost;   /* n x ndev */
    double *launch; /* n x ndev: the part of cost that does not scale with the batch */
    int *ef, *et;
    double *eb;
    int ne;
    clnn_calib *calib;
    int ndev;
} problem;

static void free_problem(problem *p)
{
    free(p->node), free(p->cost), free(p->launch);
    free(p->ef), free(p->et), free(p->eb), free(p->calib);
    memset(p, 0, sizeof *p);
}

/* The executed node that produces tensor t (through views), or -1. */
static int producer_layer(const clnn_graph *g, int t)
{
    for (;;) {
        int p = g->tensors[t].producer;
        if (p < 0 || g->tensors[t].is_input) return -1;
        const gnode *n = &g->nodes[p];
        if (!(clnn_op_def_of(n->op)->flags & OPF_VIEW)) return p;
        t = n->inputs[0];
    }
}

static clnn_status build_problem(clnn_context *ctx, const clnn_compiled *cg, bool *allowed,
                                 const int *pin, problem *p)
{
    memset(p, 0, sizeof *p);
    p->ndev = (int)ctx->ndevices;
    p->g = cg->g;
    p->order = cg->order;
    p->norder = cg->norder;
    clnn_status st = CLNN_STATUS_OK;
    p->calib = calloc((size_t)p->ndev, sizeof *p->calib);
    p->node = malloc((size_t)(p->norder + 1) * sizeof *p->node);
    p->cost = malloc((size_t)(p->norder + 1) * p->ndev * sizeof *p->cost);
    p->launch = malloc((size_t)(p->norder + 1) * p->ndev * sizeof *p->launch);
    int cap = 4 * p->norder + 4;
    p->ef = malloc((size_t)cap * sizeof *p->ef);
    p->et = malloc((size_t)cap * sizeof *p->et);
    p->eb = malloc((size_t)cap * sizeof *p->eb);
    if (!p->calib || !p->node || !p->cost || !p->launch || !p->ef || !p->et || !p->eb)
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "scheduler");
    /* A device that cannot even run the calibration (its kernels fail to build, it runs out
     * of memory) is left out, with a warning. */
    for (int d = 0; d < p->ndev; d++) {
        if (!allowed[d]) continue;
        st = clnn_device_calibration(ctx, (size_t)d, &p->calib[d]);
        if (st != CLNN_STATUS_OK) {
            clnn_warn("device %d '%s' could not be calibrated and is left out: %s", d,
                      ctx->devices[d].info.name, clnn_last_error());
            allowed[d] = false;
            st = CLNN_STATUS_OK;
        }
    }
    bool any = false;
    for (int d = 0; d < p->ndev; d++) any |= allowed[d];
    if (!any)
        return clnn_fail(ctx, CLNN_STATUS_NO_DEVICE, "no device of the context could be calibrated "
                         "to run this graph: %s", clnn_last_error());
    int *index = malloc((size_t)(p->g->nnodes ? p->g->nnodes : 1) * sizeof *index);
    if (!index) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "scheduler");
    for (int oi = 0; oi < p->norder; oi++) {
        const gnode *n = &p->g->nodes[p->order[oi]];
        index[p->order[oi]] = -1;
        if (!clnn_layer_find(n->op)) continue;
        int i = p->n++;
        p->node[i] = p->order[oi];
        index[p->order[oi]] = i;
        node_work w = clnn_node_work(p->g, n);
        for (int d = 0; d < p->ndev; d++) {
            bool ok = allowed[d] && (pin[p->order[oi]] < 0 || pin[p->order[oi]] == d);
            p->cost[i * p->ndev + d] =
                ok ? clnn_predict_ms(ctx, (size_t)d, &p->calib[d], p->g, n) : -1.0;
            p->launch[i * p->ndev + d] = ok ? w.kernels * p->calib[d].launch_us * 1e-3 : 0;
        }
        for (int k = 0; k <= n->ninputs && p->ne < cap; k++) {
            int t = k < n->ninputs ? n->inputs[k] : n->fused.residual;
            if (t < 0 || clnn_tensor_is_const(&p->g->tensors[t])) continue;
            int src = producer_layer(p->g, t);
            if (src < 0 || index[src] < 0) continue;
            p->ef[p->ne] = index[src];
            p->et[p->ne] = i;
            p->eb[p->ne] = (double)clnn_tensor_bytes(&p->g->tensors[t]);
            p->ne++;
        }
    }
    free(index);
    return CLNN_STATUS_OK;
}

static sched_problem as_sched(const problem *p)
{
    return (sched_problem){p->n, p->ndev, p->node, p->cost, p->ne, p->ef, p->et, p->eb, p->calib};
}

/* Images per device for a batch split: greedily to the device whose share would finish
 * first; returns the predicted time of the slowest share, or -1 out of memory. */
static double split_batch(const problem *p, int batch, int *share)
{
    double *scale = calloc((size_t)p->ndev, sizeof *scale), *fixed = calloc((size_t)p->ndev, sizeof *fixed);
    if (!scale || !fixed) {
        free(scale), free(fixed);
        return -1;
    }
    for (int d = 0; d < p->ndev; d++) {
        share[d] = 0;
        bool ok = true;
        for (int i = 0; i < p->n; i++) {
            double c = p->cost[i * p->ndev + d];
            if (c < 0) ok = false;
            else {
                fixed[d] += p->launch[i * p->ndev + d];
                scale[d] += (c - p->launch[i * p->ndev + d]) / batch;
            }
        }
        if (!ok) scale[d] = -1;
    }
    for (int b = 0; b < batch; b++) {
        int best = -1;
        double best_t = 0;
        for (int d = 0; d < p->ndev; d++) {
            if (scale[d] < 0) continue;
            double t = fixed[d] + scale[d] * (share[d] + 1);
            if (best < 0 || t < best_t) best = d, best_t = t;
        }
        if (best >= 0) share[best]++;
    }
    double worst = 0;
    for (int d = 0; d < p->ndev; d++)
        if (share[d] && fixed[d] + scale[d] * share[d] > worst) worst = fixed[d] + scale[d] * share[d];
    free(scale), free(fixed);
    return worst;
}

/* Pipeline: consecutive executed nodes in stages on distinct devices; the period of a stream
 * is the slowest stage, its inputs' transfers included. Tries every split of two or three
 * stages over every ordering of devices. -1 out of memory. */
static double pipeline_plan(const problem *p, int *stage_dev_of_node)
{
    double best = 1e30;
    int nd = p->ndev, n = p->n;
    int *cut = malloc((size_t)(n + 1) * sizeof *cut);
    if (!cut) return -1;
    for (int a = 0; a < nd; a++)
        for (int b = 0; b < nd; b++) {
            if (b == a) continue;
            for (int s1 = 1; s1 < n; s1++) {
                /* Stage 1: [0, s1) on a, stage 2: [s1, n) on b. */
                double t[2] = {0, 0};
                bool ok = true;
                for (int i = 0; i < n; i++) {
                    int d = i < s1 ? a : b;
                    double c = p->cost[i * nd + d];
                    if (c < 0) ok = false;
                    t[i < s1 ? 0 : 1] += c;
                }
                if (!ok) continue;
                for (int e = 0; e < p->ne; e++)
                    if (p->ef[e] < s1 && p->et[e] >= s1)
                        t[1] += clnn_transfer_ms(&p->calib[a], &p->calib[b], p->eb[e]);
                double period = t[0] > t[1] ? t[0] : t[1];
                if (period < best) {
                    best = period;
                    for (int i = 0; i < n; i++) cut[i] = i < s1 ? a : b;
                }
            }
        }
    if (best < 1e30)
        for (int i = 0; i < n; i++) stage_dev_of_node[p->node[i]] = cut[i];
    free(cut);
    return best;
}

static const char *mode_name(clnn_schedule_mode m)
{
    switch (m) {
    case CLNN_SCHEDULE_SINGLE: return "single";
    case CLNN_SCHEDULE_LATENCY: return "latency";
    case CLNN_SCHEDULE_THROUGHPUT: return "throughput";
    default: return "auto";
    }
}

static clnn_schedule_mode resolve_mode(clnn_context *ctx, clnn_schedule_mode m, int batch)
{
    if (m == CLNN_SCHEDULE_AUTO) {
        clnn_env env;
        clnn_env_read(&env);
        if (env.schedule) {
            const char *names[] = {"auto", "single", "latency", "throughput"};
            bool known = false;
            for (int i = 0; i < 4; i++)
                if (!strcasecmp(env.schedule, names[i])) m = (clnn_schedule_mode)i, known = true;
            if (!known)
                clnn_warn("CLNN_SCHEDULE='%s' is not auto, single, latency or throughput; using "
                          "auto", env.schedule);
        }
    }
    if (m == CLNN_SCHEDULE_AUTO)
        m = ctx->ndevices == 1 ? CLNN_SCHEDULE_SINGLE
            : batch <= 1       ? CLNN_SCHEDULE_LATENCY
                               : CLNN_SCHEDULE_THROUGHPUT;
    return m;
}

static clnn_status decide(clnn_context *ctx, const clnn_compiled *cg,
                          const clnn_session_options *o, bool *allowed, const int *pin,
                          bool pinned, choice *c)
{
    memset(c, 0, sizeof *c);
    const clnn_graph *graph = cg->g;
    const int batch = cg->batch;
    c->mode = resolve_mode(ctx, o->schedule, batch);
    int nd = (int)ctx->ndevices;
    int usable = 0, only = 0;
    for (int d = 0; d < nd; d++)
        if (!allowed || allowed[d]) usable++, only = d;
    if (usable == 0)
        return clnn_fail(ctx, CLNN_STATUS_NO_DEVICE, "no device of the context can run this graph");
    for (int i = 0; pinned && allowed && i < graph->nnodes; i++)
        if (pin[i] >= 0 && !allowed[pin[i]])
            return clnn_fail(ctx, CLNN_STATUS_OUT_OF_DEVICE_MEMORY,
                             "layer '%s' is pinned to device %d, which cannot hold the session",
                             graph->nodes[i].name, pin[i]);
    problem p;
    clnn_status st = CLNN_STATUS_OK;
    if (usable == 1 && !pinned) {
        /* Nothing to decide: no calibration needed. */
        c->kind = 0;
        c->single_device = only;
        c->node_device = NULL;
        snprintf(c->text, sizeof c->text, "%s: every layer on device %d '%s'", mode_name(c->mode),
                 only, ctx->devices[only].info.name);
        return CLNN_STATUS_OK;
    }
    st = build_problem(ctx, cg, allowed, pin, &p);
    if (st != CLNN_STATUS_OK) {
        free_problem(&p);
        return st;
    }
    sched_problem sp = as_sched(&p);
    c->node_device = malloc((size_t)(p.g->nnodes ? p.g->nnodes : 1) * sizeof *c->node_device);
    c->share = calloc((size_t)nd, sizeof *c->share);
    int *heft_dev = malloc((size_t)(p.n ? p.n : 1) * sizeof *heft_dev);
    int *heft_order = malloc((size_t)(p.n ? p.n : 1) * sizeof *heft_order);
    if (!c->node_device || !c->share || !heft_dev || !heft_order) {
        free(heft_dev), free(heft_order), free_problem(&p);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "scheduler");
    }
    /* The best single device (pinned layers stay pinned). */
    c->single_ms = 1e30;
    for (int d = 0; d < nd; d++) {
        if (allowed && !allowed[d]) continue;
        double t = 0;
        for (int i = 0; i < p.n; i++) {
            double cost = p.cost[i * nd + d];
            t += cost >= 0 ? cost : p.cost[i * nd + pin[p.node[i]]];
        }
        if (t < c->single_ms) c->single_ms = t, c->single_device = d;
    }
    for (int i = 0; i < p.g->nnodes; i++) c->node_device[i] = pin[i] >= 0 ? pin[i] : c->single_device;
    c->predicted = c->single_ms;
    snprintf(c->text, sizeof c->text, "%s: every layer%s on device %d '%s', predicted %.2f ms",
             mode_name(c->mode), pinned ? " not pinned" : "", c->single_device,
             ctx->devices[c->single_device].info.name, c->single_ms);

    clnn_env env;
    clnn_env_read(&env);
    const char *force = env.force_plan ? env.force_plan : "";
    /* Devices that share what they run on gain nothing from running together: then every
     * multi-device plan is predicted no better than one device. */
    double gain = 1.0;
    if (!*force && c->mode != CLNN_SCHEDULE_SINGLE &&
        clnn_parallel_gain(ctx, allowed, &gain) == CLNN_STATUS_OK && gain < MIN_PARALLEL_GAIN) {
        snprintf(c->text, sizeof c->text,
                 "%s: every layer%s on device %d '%s', predicted %.2f ms (the devices together "
                 "ran only %.2fx one of them: they share hardware)",
                 mode_name(c->mode), pinned ? " not pinned" : "", c->single_device,
                 ctx->devices[c->single_device].info.name, c->single_ms, gain);
        if (!pinned) {
            free(heft_dev), free(heft_order);
            free_problem(&p);
            return CLNN_STATUS_OK;
        }
    }
    if (c->mode == CLNN_SCHEDULE_LATENCY) {
        double makespan;
        clnn_heft(&sp, heft_dev, heft_order, &makespan);
        if (makespan <= GAIN_NEEDED * c->single_ms || pinned || !strcmp(force, "heft")) {
            for (int i = 0; i < p.n; i++) c->node_device[p.node[i]] = heft_dev[i];
            int used[16] = {0};
            for (int i = 0; i < p.n; i++)
                if (heft_dev[i] < 16) used[heft_dev[i]]++;
            int len = snprintf(c->text, sizeof c->text,
                               "latency: HEFT over %d layers, predicted %.2f ms (best single "
                               "device %.2f ms); layers per device:",
                               p.n, makespan, c->single_ms);
            for (int d = 0; d < nd && d < 16 && len < (int)sizeof c->text; d++)
                len += snprintf(c->text + len, sizeof c->text - (size_t)len, " %d:%d", d, used[d]);
            c->predicted = makespan;
        } else {
            size_t l = strlen(c->text);
            snprintf(c->text + l, sizeof c->text - l,
                     " (HEFT predicted %.2f ms: not worth the transfers)", makespan);
        }
    } else if (c->mode == CLNN_SCHEDULE_THROUGHPUT && !pinned && batch > 1) {
        double split = split_batch(&p, batch, c->share);
        int *pipe = malloc((size_t)(p.g->nnodes ? p.g->nnodes : 1) * sizeof *pipe);
        double period = pipe ? pipeline_plan(&p, pipe) : -1;
        if (split < 0 || period < 0) {
            free(pipe), free(heft_dev), free(heft_order);
            free_problem(&p);
            return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "scheduler");
        }
        bool force_split = !strcmp(force, "split"), force_pipe = !strcmp(force, "pipeline");
        if (force_split) { /* the test hook splits evenly, so every device takes part */
            int ok = 0;
            for (int d = 0; d < nd; d++) ok += allowed[d];
            for (int d = 0, k = 0; d < nd; d++)
                c->share[d] = allowed[d] ? batch / ok + (k++ < batch % ok) : 0;
        }
        if (force_pipe && period >= 1e30) force_pipe = false; /* a one-layer graph */
        if (force_split ||
            (!force_pipe && split <= GAIN_NEEDED * c->single_ms && split <= period)) {
            c->kind = 1;
            c->predicted = split;
            int len = snprintf(c->text, sizeof c->text,
                               "throughput: batch split, predicted %.2f ms per batch of %d (best "
                               "single device %.2f ms); images per device:",
                               split, batch, c->single_ms);
            for (int d = 0; d < nd && len < (int)sizeof c->text; d++)
                if (c->share[d])
                    len += snprintf(c->text + len, sizeof c->text - (size_t)len, " %d:%d", d,
                                    c->share[d]);
        } else if (force_pipe || period <= GAIN_NEEDED * c->single_ms) {
            c->kind = 2;
            c->predicted = period;
            memcpy(c->node_device, pipe, (size_t)p.g->nnodes * sizeof *pipe);
            int first = pipe[p.node[0]], cut = 0;
            while (cut < p.n && pipe[p.node[cut]] == first) cut++;
            snprintf(c->text, sizeof c->text,
                     "throughput: pipeline, layers 0-%d on device %d, %d-%d on device %d, "
                     "predicted %.2f ms per batch in a stream (best single device %.2f ms)",
                     cut - 1, first, cut, p.n - 1, pipe[p.node[p.n - 1]], period, c->single_ms);
        } else {
            size_t l = strlen(c->text);
            snprintf(c->text + l, sizeof c->text - l,
                     " (batch split predicted %.2f ms, pipeline %.2f ms: not worth it)", split,
                     period);
        }
        free(pipe);
    }
    free(heft_dev), free(heft_order);
    free_problem(&p);
    return CLNN_STATUS_OK;
}

/* ---- session creation -------------------------------------------------------------------- */

/* Names from the graph as given (passes may rewire an output to another tensor), tensors
 * and shapes from the optimized graph g. */
static clnn_status record_names(clnn_session *s, const clnn_graph *given, const clnn_graph *g)
{
    s->nin = g->ninputs;
    s->nout = g->noutputs;
    s->in_names = calloc((size_t)s->nin + 1, sizeof *s->in_names);
    s->out_names = calloc((size_t)s->nout + 1, sizeof *s->out_names);
    s->in_tensor = malloc(((size_t)s->nin + 1) * sizeof *s->in_tensor);
    s->out_tensor = malloc(((size_t)s->nout + 1) * sizeof *s->out_tensor);
    s->in_dims = calloc((size_t)s->nin + 1, sizeof *s->in_dims);
    s->in_set = calloc((size_t)s->nin + 1, sizeof *s->in_set);
    s->out_dims = calloc((size_t)s->nout + 1, sizeof *s->out_dims);
    if (!s->in_names || !s->out_names || !s->in_tensor || !s->out_tensor || !s->in_dims ||
        !s->out_dims || !s->in_set)
        return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    for (int i = 0; i < s->nin; i++) {
        if (!(s->in_names[i] = strdup(given->tensors[given->inputs[i]].name)))
            return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
        memcpy(s->in_dims[i], g->tensors[g->inputs[i]].dims, sizeof s->in_dims[i]);
    }
    for (int i = 0; i < s->nout; i++) {
        if (!(s->out_names[i] = strdup(given->tensors[given->outputs[i]].name)))
            return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
        memcpy(s->out_dims[i], g->tensors[g->outputs[i]].dims, sizeof s->out_dims[i]);
    }
    return CLNN_STATUS_OK;
}

/* Pinned node names -> device per node of the optimized graph (-1: free). */
static clnn_status resolve_pins(clnn_session *s, const clnn_session_options *o, int **pin,
                                bool *any)
{
    const clnn_graph *g = s->cg->g;
    clnn_status st = CLNN_STATUS_OK;
    *any = false;
    *pin = malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof **pin);
    if (!*pin) st = clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "pins");
    for (int i = 0; st == CLNN_STATUS_OK && i < g->nnodes; i++) (*pin)[i] = -1;
    for (size_t k = 0; st == CLNN_STATUS_OK && k < o->npins; k++) {
        const char *name = o->pin_nodes ? o->pin_nodes[k] : NULL;
        size_t d = o->pin_devices ? o->pin_devices[k] : (size_t)-1;
        if (!name || d >= s->ctx->ndevices) {
            st = clnn_fail(s->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                           "pin %zu: a node name and a device index below %zu are needed", k,
                           s->ctx->ndevices);
            break;
        }
        int found = -1;
        for (int i = 0; i < g->nnodes; i++)
            if (!g->nodes[i].removed && !strcmp(g->nodes[i].name, name) &&
                clnn_layer_find(g->nodes[i].op))
                found = i;
        if (found < 0) {
            st = clnn_fail(s->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                           "pin: no executed layer is named '%s' (fused nodes take the name of "
                           "the Conv or Gemm they joined; see clnn-run --verbose)",
                           name);
            break;
        }
        (*pin)[found] = (int)d;
        *any = true;
    }
    return st;
}

/* The graph compiled at `batch`: the session's, or one compiled for a batch split share
 * (kept in part[k], reused by later instances of the same share). */
static clnn_status compiled_at(clnn_session *s, const clnn_graph *graph,
                               const clnn_session_options *o, int k, int batch,
                               const clnn_compiled **out)
{
    *out = s->cg;
    if (batch == s->cg->batch) return CLNN_STATUS_OK;
    for (int i = 0; i < k; i++)
        if (s->part[i] && s->part[i]->batch == batch) {
            *out = s->part[i];
            return CLNN_STATUS_OK;
        }
    clnn_status st = clnn_graph_compile(graph, batch, !o->disable_fusion, &s->part[k]);
    *out = s->part[k];
    return st;
}

static clnn_status make_instances(clnn_session *s, const clnn_graph *graph,
                                  const clnn_session_options *o, const choice *c,
                                  const bool *allowed, int *oom_device)
{
    int nd = (int)s->ctx->ndevices;
    exec_spec spec = {.profiling = o->enable_profiling, .node_device = c->node_device,
                      .device = c->single_device};
    int want = c->kind == 1 ? nd : c->kind == 2 ? 2 : 1;
    s->inst = calloc((size_t)want, sizeof *s->inst);
    s->offset = calloc((size_t)want, sizeof *s->offset);
    s->part = calloc((size_t)want, sizeof *s->part);
    s->npart = want;
    if (!s->inst || !s->offset || !s->part)
        return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    int images = 0;
    for (int k = 0; k < want; k++) {
        exec_spec sp = spec;
        const clnn_compiled *cg = s->cg;
        if (c->kind == 1) {
            if (!c->share[k]) continue;
            sp.node_device = NULL;
            sp.device = k;
            clnn_status st = compiled_at(s, graph, o, k, c->share[k], &cg);
            if (st != CLNN_STATUS_OK) return st;
        }
        clnn_status st = exec_create(s->ctx, cg, &sp, allowed, &s->inst[s->ninst], oom_device);
        if (st != CLNN_STATUS_OK) return st;
        s->offset[s->ninst++] = images;
        if (c->kind == 1) images += c->share[k];
    }
    s->pipeline = c->kind == 2;
    return CLNN_STATUS_OK;
}

static void drop_instances(clnn_session *s)
{
    for (int i = 0; i < s->ninst; i++) exec_destroy(s->inst[i]);
    for (int i = 0; s->part && i < s->npart; i++) clnn_compiled_destroy(s->part[i]);
    free(s->part);
    free(s->inst);
    free(s->offset);
    s->inst = NULL;
    s->offset = NULL;
    s->part = NULL;
    s->npart = 0;
    s->ninst = 0;
}

clnn_status clnn_session_create(clnn_context *ctx, const clnn_graph *graph,
                                const clnn_session_options *options, clnn_session **out)
{
    if (!out) return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "clnn_session_create: session is NULL");
    *out = NULL;
    if (!ctx || !graph)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_session_create: the context and graph must not be NULL");
    clnn_session_options o;
    memset(&o, 0, sizeof o);
    if (options) o = *options;
    if (o.batch > (1 << 20))
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "batch %d is too large", o.batch);
    if ((unsigned)o.schedule > CLNN_SCHEDULE_THROUGHPUT)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "unknown schedule mode %d", (int)o.schedule);
    clnn_session *s = calloc(1, sizeof *s);
    if (!s) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_session_create");
    s->ctx = ctx;
    /* Compiled once, at the batch the option gives, else the one the graph declares. */
    clnn_status st = clnn_graph_compile(graph, o.batch, !o.disable_fusion, &s->cg);
    if (st == CLNN_STATUS_OK) {
        const clnn_graph *g0 = s->cg->g;
        s->batch = s->cg->batch;
        st = record_names(s, graph, g0);
        for (int i = 0; st == CLNN_STATUS_OK && i < s->nin; i++) s->in_tensor[i] = g0->inputs[i];
        for (int i = 0; st == CLNN_STATUS_OK && i < s->nout; i++) s->out_tensor[i] = g0->outputs[i];
    }
    int *pin = NULL;
    bool pinned = false;
    if (st == CLNN_STATUS_OK) st = resolve_pins(s, &o, &pin, &pinned);
    bool *allowed = calloc(ctx->ndevices, sizeof *allowed);
    if (st == CLNN_STATUS_OK && !allowed)
        st = clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    for (size_t d = 0; allowed && d < ctx->ndevices; d++) allowed[d] = true;
    /* Decide, build; a device that cannot hold its activations is left out and the schedule
     * decided again. */
    while (st == CLNN_STATUS_OK) {
        choice c;
        st = decide(ctx, s->cg, &o, allowed, pin, pinned, &c);
        if (st != CLNN_STATUS_OK) {
            free(c.node_device);
            free(c.share);
            break;
        }
        s->mode = c.mode;
        snprintf(s->schedule, sizeof s->schedule, "%s", c.text);
        int oom = -1;
        st = make_instances(s, graph, &o, &c, allowed, &oom);
        free(c.node_device);
        free(c.share);
        if (st == CLNN_STATUS_OUT_OF_DEVICE_MEMORY && oom >= 0 && allowed[oom]) {
            clnn_warn("device %d '%s' cannot hold the session's activations (%s); scheduling "
                      "without it",
                      oom, ctx->devices[oom].info.name, clnn_last_error());
            drop_instances(s);
            allowed[oom] = false;
            st = CLNN_STATUS_OK;
            continue;
        }
        break;
    }
    free(pin);
    free(allowed);
    if (st != CLNN_STATUS_OK) {
        clnn_fail(ctx, st, "%s", clnn_last_error());
        clnn_session_destroy(s);
        return st;
    }
    *out = s;
    return CLNN_STATUS_OK;
}

void clnn_session_destroy(clnn_session *s)
{
    if (!s) return;
    drop_instances(s);
    clnn_compiled_destroy(s->cg);
    for (int i = 0; i < s->nin && s->in_names; i++) free(s->in_names[i]);
    for (int i = 0; i < s->nout && s->out_names; i++) free(s->out_names[i]);
    free(s->in_names), free(s->out_names), free(s->in_tensor), free(s->out_tensor);
    free(s->in_dims), free(s->out_dims), free(s->in_set);
    free(s);
}

/* ---- inputs, outputs, runs ----------------------------------------------------------------- */

static int find_io(const clnn_session *s, const char *name, bool input)
{
    int n = input ? s->nin : s->nout;
    char **names = input ? s->in_names : s->out_names;
    for (int i = 0; i < n; i++)
        if (!name || !strcmp(names[i], name)) return i;
    return -1;
}

/* The tensor as the whole session sees it (instance 0's shape with the full batch). */
static const gtensor *io_tensor(const clnn_session *s, int t) { return &s->inst[0]->g->tensors[t]; }

static size_t full_count(const clnn_session *s, int t)
{
    const gtensor *x = io_tensor(s, t);
    size_t per = clnn_tensor_count(x) / (size_t)(x->dims[0] > 0 ? x->dims[0] : 1);
    return s->ninst > 1 && !s->pipeline ? per * (size_t)s->batch : clnn_tensor_count(x);
}

static clnn_status io_shape(const clnn_session *s, const char *name, bool input,
                            const int64_t **dims, size_t *ndim)
{
    if (!s || !dims || !ndim) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "NULL argument");
    int i = find_io(s, name, input);
    if (i < 0)
        return clnn_fail(s->ctx, CLNN_STATUS_INVALID_ARGUMENT, "the graph has no %s named '%s'",
                         input ? "input" : "output", name ? name : "");
    int t = input ? s->in_tensor[i] : s->out_tensor[i];
    *dims = input ? s->in_dims[i] : s->out_dims[i];
    *ndim = (size_t)io_tensor(s, t)->ndim;
    return CLNN_STATUS_OK;
}

clnn_status clnn_session_input_shape(const clnn_session *s, const char *name,
                                     const int64_t **dims, size_t *ndim)
{
    return io_shape(s, name, true, dims, ndim);
}

clnn_status clnn_session_output_shape(const clnn_session *s, const char *name,
                                      const int64_t **dims, size_t *ndim)
{
    return io_shape(s, name, false, dims, ndim);
}

/* Writes input i to every instance (its share of the images), blocking or not. */
static clnn_status write_input(clnn_session *s, int i, const float *data, int only, bool blocking)
{
    int t = s->in_tensor[i];
    const gtensor *x = io_tensor(s, t);
    size_t per = clnn_tensor_count(x) / (size_t)(x->dims[0] > 0 ? x->dims[0] : 1);
    for (int k = 0; k < s->ninst; k++) {
        if (only >= 0 && k != only) continue;
        const float *part = s->pipeline ? data : data + (size_t)s->offset[k] * per;
        clnn_status st = exec_write_input(s->inst[k], t, part, blocking);
        if (st != CLNN_STATUS_OK) return st;
    }
    return CLNN_STATUS_OK;
}

clnn_status clnn_session_set_input(clnn_session *s, const char *name, const float *data,
                                   size_t count)
{
    if (!s || !data)
        return clnn_fail(s ? s->ctx : NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_session_set_input: NULL argument");
    int i = find_io(s, name, true);
    if (i < 0)
        return clnn_fail(s->ctx, CLNN_STATUS_INVALID_ARGUMENT, "the graph has no input named '%s'",
                         name ? name : "");
    size_t want = full_count(s, s->in_tensor[i]);
    if (count != want) {
        const int64_t *d = s->in_dims[i];
        size_t nd = (size_t)io_tensor(s, s->in_tensor[i])->ndim;
        char b[128];
        return clnn_fail(s->ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "input '%s' takes %zu floats (shape %s) but %zu were given", s->in_names[i],
                         want, clnn_shape_str(d, (int)nd, b, sizeof b), count);
    }
    clnn_status st = write_input(s, i, data, s->pipeline ? 0 : -1, true);
    if (st == CLNN_STATUS_OK) s->in_set[i] = true;
    return st;
}

/* Every input but `except` must have been given (OpenCL leaves an unwritten buffer
 * undefined): the message names each one missing. */
static clnn_status check_inputs_set(clnn_session *s, int except)
{
    char names[512] = "";
    size_t len = 0;
    int missing = 0;
    for (int i = 0; i < s->nin; i++) {
        if (s->in_set[i] || i == except) continue;
        if (len < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s'%.100s'",
                                    missing ? ", " : "", s->in_names[i]);
        missing++;
    }
    if (!missing) return CLNN_STATUS_OK;
    return clnn_fail(s->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                     "%d input%s not set: %s (clnn_session_set_input before running)", missing,
                     missing > 1 ? "s are" : " is", names);
}

static clnn_status run_instances(clnn_session *s, int only)
{
    clnn_status st = CLNN_STATUS_OK;
    for (int k = 0; k < s->ninst && st == CLNN_STATUS_OK; k++)
        if (only < 0 || k == only) st = exec_enqueue(s->inst[k]);
    for (int k = 0; k < s->ninst; k++)
        if (only < 0 || k == only) {
            clnn_status w = exec_wait(s->inst[k]);
            if (st == CLNN_STATUS_OK) st = w;
            if (st == CLNN_STATUS_OK && s->inst[k]->profiling) exec_collect_profile(s->inst[k]);
        }
    return st;
}

clnn_status clnn_session_run(clnn_session *s)
{
    if (!s) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_session_run: NULL");
    clnn_status st = check_inputs_set(s, -1);
    if (st != CLNN_STATUS_OK) return st;
    st = run_instances(s, s->pipeline ? 0 : -1);
    if (st != CLNN_STATUS_OK) return clnn_fail(s->ctx, st, "%s", clnn_last_error());
    return CLNN_STATUS_OK;
}

static clnn_status read_output(clnn_session *s, int i, float *data, int only)
{
    int t = s->out_tensor[i];
    const gtensor *x = io_tensor(s, t);
    size_t per = clnn_tensor_count(x) / (size_t)(x->dims[0] > 0 ? x->dims[0] : 1);
    for (int k = 0; k < s->ninst; k++) {
        if (only >= 0 && k != only) continue;
        float *part = s->pipeline ? data : data + (size_t)s->offset[k] * per;
        clnn_status st = exec_read_tensor(s->inst[k], t, part);
        if (st != CLNN_STATUS_OK) return st;
    }
    return CLNN_STATUS_OK;
}

clnn_status clnn_session_get_output(clnn_session *s, const char *name, float *data,
                                    size_t count)
{
    if (!s || !data)
        return clnn_fail(s ? s->ctx : NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_session_get_output: NULL argument");
    int i = find_io(s, name, false);
    if (i < 0)
        return clnn_fail(s->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "the graph has no output named '%s'", name ? name : "");
    size_t want = full_count(s, s->out_tensor[i]);
    if (count != want)
        return clnn_fail(s->ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "output '%s' has %zu floats but the buffer holds %zu", s->out_names[i],
                         want, count);
    return read_output(s, i, data, s->pipeline ? 0 : -1);
}

clnn_status clnn_session_run_stream(clnn_session *s, size_t nbatches, const float *inputs,
                                    float *outputs)
{
    if (!s || (nbatches && (!inputs || !outputs)))
        return clnn_fail(s ? s->ctx : NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_session_run_stream: NULL argument");
    size_t in_n = full_count(s, s->in_tensor[0]), out_n = full_count(s, s->out_tensor[0]);
    /* The stream feeds the first input; the others keep what was set. */
    clnn_status st = check_inputs_set(s, 0);
    if (st != CLNN_STATUS_OK) return st;
    if (!s->pipeline) {
        for (size_t b = 0; b < nbatches && st == CLNN_STATUS_OK; b++) {
            st = write_input(s, 0, inputs + b * in_n, -1, true);
            if (st == CLNN_STATUS_OK) st = run_instances(s, -1);
            if (st == CLNN_STATUS_OK) st = read_output(s, 0, outputs + b * out_n, -1);
        }
        return st;
    }
    /* Two instances alternate: while one runs batch b's first stage, the other finishes batch
     * b-1's second stage on the other device. */
    for (size_t b = 0; b < nbatches + 2 && st == CLNN_STATUS_OK; b++) {
        int k = (int)(b % 2);
        if (b >= 2) { /* instance k last ran batch b-2: collect it */
            st = exec_wait(s->inst[k]);
            if (st == CLNN_STATUS_OK) st = read_output(s, 0, outputs + (b - 2) * out_n, k);
        }
        if (st == CLNN_STATUS_OK && b < nbatches) {
            st = write_input(s, 0, inputs + b * in_n, k, false);
            if (st == CLNN_STATUS_OK) st = exec_enqueue(s->inst[k]);
        }
    }
    if (st != CLNN_STATUS_OK) {
        for (int k = 0; k < s->ninst; k++) exec_wait(s->inst[k]);
        return clnn_fail(s->ctx, st, "%s", clnn_last_error());
    }
    return CLNN_STATUS_OK;
}

/* ---- introspection ----------------------------------------------------------------------- */

size_t clnn_session_layer_count(const clnn_session *s)
{
    return s && s->ninst ? (size_t)s->inst[0]->nlayers : 0;
}

clnn_status clnn_session_layer(const clnn_session *s, size_t i, clnn_layer_info *info)
{
    if (!s || !info || i >= clnn_session_layer_count(s))
        return clnn_fail(s ? s->ctx : NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_session_layer: bad argument");
    const exec_instance *x = s->inst[0];
    const exec_layer *L = &x->layers[i];
    info->name = x->g->nodes[L->node].name;
    info->op = L->op_label;
    info->algorithm = L->algorithm ? L->algorithm : "";
    info->device = (size_t)L->device;
    info->ms = L->ms;
    info->max_error = L->max_error;
    info->predicted_ms = 0;
    clnn_calib c;
    if (s->ctx->devices[L->device].calibrated &&
        clnn_device_calibration(s->ctx, (size_t)L->device, &c) == CLNN_STATUS_OK)
        info->predicted_ms = clnn_predict_ms(s->ctx, (size_t)L->device, &c, x->g,
                                             &x->g->nodes[L->node]);
    return CLNN_STATUS_OK;
}

const char *clnn_session_schedule(const clnn_session *s) { return s ? s->schedule : ""; }

void clnn_session_memory(const clnn_session *s, size_t *planned, size_t *naive)
{
    size_t p = 0, n = 0;
    for (int k = 0; s && k < s->ninst; k++)
        for (size_t d = 0; d < s->ctx->ndevices; d++) {
            p += s->inst[k]->dev[d].arena_bytes;
            n += s->inst[k]->dev[d].naive_bytes;
        }
    if (planned) *planned = p;
    if (naive) *naive = n;
}

clnn_status clnn_session_verify(clnn_session *s)
{
    if (!s) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_session_verify: NULL");
    for (int k = 0; k < s->ninst; k++) {
        clnn_status st = exec_verify(s->inst[k]);
        if (st != CLNN_STATUS_OK) return st;
    }
    return CLNN_STATUS_OK;
}

/* The trace writer needs the instances: trace.c. */
clnn_status clnn_trace_write(clnn_context *ctx, exec_instance *const *inst, int ninst,
                             const char *path);

clnn_status clnn_session_write_trace(const clnn_session *s, const char *path)
{
    if (!s || !path)
        return clnn_fail(s ? s->ctx : NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_session_write_trace: NULL argument");
    return clnn_trace_write(s->ctx, s->inst, s->ninst, path);
}
