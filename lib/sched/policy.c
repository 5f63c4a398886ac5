/*
 * policy.c - what runs where: the schedule a session takes, decided from the cost model
 * (cost.c) and the devices' calibrations (calib.c). Modes (clnn_schedule_mode): SINGLE puts
 * every layer on the device predicted fastest; LATENCY places layers with HEFT (place.c);
 * THROUGHPUT picks, by predicted time per batch, one device, a batch split across devices in
 * proportion to their speed (one instance per device, run concurrently), or a pipeline of
 * two stages of consecutive layers on different devices (two instances, so consecutive
 * batches of a stream overlap). A multi-device plan is taken only when predicted at least
 * 10% faster than the best single device, and only between devices that measured a gain
 * running together (clnn_parallel_gain).
 */
#include "sched.h"

#include "../graph/plan.h"
#include "../ops/layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GAIN_NEEDED 0.9 /* a plan must predict <= 90% of the best single device's time */
#define MIN_PARALLEL_GAIN 1.2 /* devices running together must do this much more than one */

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
    return (sched_problem){p->n, p->ndev, p->node, p->cost, p->ne, p->ef, p->et, p->eb, p->calib,
                           p->launch};
}

double clnn_sched_split_batch(const sched_problem *p, int batch, int *share)
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
                const double fix = p->launch ? p->launch[i * p->ndev + d] : 0;
                fixed[d] += fix;
                scale[d] += (c - fix) / batch;
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

double clnn_sched_pipeline(const sched_problem *p, int *device)
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
                for (int e = 0; e < p->nedges; e++)
                    if (p->edge_from[e] < s1 && p->edge_to[e] >= s1)
                        t[1] += clnn_transfer_ms(&p->calib[a], &p->calib[b], p->edge_bytes[e]);
                double period = t[0] > t[1] ? t[0] : t[1];
                if (period < best) {
                    best = period;
                    for (int i = 0; i < n; i++) cut[i] = i < s1 ? a : b;
                }
            }
        }
    if (best < 1e30)
        for (int i = 0; i < n; i++) device[i] = cut[i];
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

clnn_status clnn_sched_decide(clnn_context *ctx, const clnn_compiled *cg,
                              const clnn_session_options *o, bool *allowed, const int *pin,
                              bool pinned, sched_choice *c)
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
        c->kind = SCHED_PLAN_ONE;
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
        double split = clnn_sched_split_batch(&sp, batch, c->share);
        int *pipe = malloc((size_t)(p.g->nnodes ? p.g->nnodes : 1) * sizeof *pipe);
        int *stage = malloc((size_t)(p.n ? p.n : 1) * sizeof *stage);
        double period = pipe && stage ? clnn_sched_pipeline(&sp, stage) : -1;
        if (period >= 0 && period < 1e30) {
            for (int i = 0; i < p.g->nnodes; i++) pipe[i] = c->single_device;
            for (int i = 0; i < p.n; i++) pipe[p.node[i]] = stage[i];
        }
        free(stage);
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
            c->kind = SCHED_PLAN_SPLIT;
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
            c->kind = SCHED_PLAN_PIPELINE;
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


void clnn_sched_choice_free(sched_choice *c)
{
    free(c->node_device);
    free(c->share);
    c->node_device = NULL;
    c->share = NULL;
}
