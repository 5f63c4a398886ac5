/*
 * session.c - sessions: the graph compiled once (lib/graph/compile.c), the schedule that
 * lib/sched/policy.c decides, the executable instances that carry it out (exec.c: one, one
 * per device for a batch split, two for a pipeline), and the public session calls.
 */
#include "exec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


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
                                  const clnn_session_options *o, const sched_choice *c,
                                  const bool *allowed, int *oom_device)
{
    int nd = (int)s->ctx->ndevices;
    exec_spec spec = {.profiling = o->enable_profiling, .node_device = c->node_device,
                      .device = c->single_device};
    int want = c->kind == SCHED_PLAN_SPLIT ? nd : c->kind == SCHED_PLAN_PIPELINE ? 2 : 1;
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
        if (c->kind == SCHED_PLAN_SPLIT) {
            if (!c->share[k]) continue;
            sp.node_device = NULL;
            sp.device = k;
            clnn_status st = compiled_at(s, graph, o, k, c->share[k], &cg);
            if (st != CLNN_STATUS_OK) return st;
        }
        clnn_status st = exec_create(s->ctx, cg, &sp, allowed, &s->inst[s->ninst], oom_device);
        if (st != CLNN_STATUS_OK) return st;
        s->offset[s->ninst++] = images;
        if (c->kind == SCHED_PLAN_SPLIT) images += c->share[k];
    }
    s->pipeline = c->kind == SCHED_PLAN_PIPELINE;
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

static size_t full_count(const clnn_session *s, int t);
static clnn_status write_input(clnn_session *s, int i, const float *data, int only,
                               bool blocking);

/* Seconds of one whole run of the session's current instances (a pipeline: its two instances
 * at once, per batch). */
static double time_plan(clnn_session *s, clnn_status *st)
{
    double t0 = clnn_now();
    for (int k = 0; k < s->ninst && *st == CLNN_STATUS_OK; k++) *st = exec_enqueue(s->inst[k]);
    for (int k = 0; k < s->ninst; k++) {
        clnn_status w = exec_wait(s->inst[k]);
        if (*st == CLNN_STATUS_OK) *st = w;
    }
    return (clnn_now() - t0) / (s->pipeline ? 2.0 : 1.0);
}

static double time_one(exec_instance *x, clnn_status *st)
{
    double t0 = clnn_now();
    *st = exec_enqueue(x);
    clnn_status w = exec_wait(x);
    if (*st == CLNN_STATUS_OK) *st = w;
    return clnn_now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The promise of a multi-device plan is to beat the best single device: measured here, on
 * zero inputs, the plan and that device alternating (the median of 4 runs each after one
 * warm-up), and the plan kept only if faster. What the single device measured against its
 * prediction corrects the cost model of that device (cost.c). */
#define PLAN_CHECK_RUNS 5
static clnn_status confirm_plan(clnn_session *s, const sched_choice *c, const bool *allowed)
{
    int devices = 0;
    for (size_t d = 0; d < s->ctx->ndevices; d++)
        for (int k = 0; k < s->ninst; k++)
            if (s->inst[k]->dev[d].used) {
                devices++;
                break;
            }
    if (devices < 2) return CLNN_STATUS_OK;
    exec_spec spec = {.device = c->single_device};
    exec_instance *one = NULL;
    int oom = -1;
    clnn_status st = exec_create(s->ctx, s->cg, &spec, allowed, &one, &oom);
    if (st != CLNN_STATUS_OK) return st;
    /* Zero inputs everywhere (the user's inputs come later and mark themselves set). */
    for (int i = 0; i < s->nin && st == CLNN_STATUS_OK; i++) {
        float *zeros = calloc(full_count(s, s->in_tensor[i]) + 1, sizeof *zeros);
        if (!zeros) st = clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "plan check");
        if (st == CLNN_STATUS_OK) st = exec_write_input(one, s->in_tensor[i], zeros, true);
        if (st == CLNN_STATUS_OK) st = write_input(s, i, zeros, -1, true);
        free(zeros);
    }
    double tp[PLAN_CHECK_RUNS], to[PLAN_CHECK_RUNS];
    for (int r = 0; r < PLAN_CHECK_RUNS && st == CLNN_STATUS_OK; r++) {
        tp[r] = time_plan(s, &st);
        if (st == CLNN_STATUS_OK) to[r] = time_one(one, &st);
    }
    if (st != CLNN_STATUS_OK) {
        exec_destroy(one);
        return st;
    }
    qsort(tp + 1, PLAN_CHECK_RUNS - 1, sizeof *tp, cmp_double);
    qsort(to + 1, PLAN_CHECK_RUNS - 1, sizeof *to, cmp_double);
    const double plan_ms = 1e3 * (tp[2] + tp[3]) / 2, one_ms = 1e3 * (to[2] + to[3]) / 2;
    if (c->single_ms > 0 && c->single_ms < 1e20) {
        pthread_mutex_lock(&s->ctx->lock);
        s->ctx->devices[c->single_device].cost_scale = one_ms / c->single_ms;
        pthread_mutex_unlock(&s->ctx->lock);
    }
    size_t len = strlen(s->schedule);
    if (one_ms <= plan_ms) {
        /* The single device wins: it becomes the session's one instance. */
        for (int i = 0; i < s->ninst; i++) exec_destroy(s->inst[i]);
        for (int i = 0; i < s->npart; i++) clnn_compiled_destroy(s->part[i]), s->part[i] = NULL;
        s->inst[0] = one;
        s->offset[0] = 0;
        s->ninst = 1;
        s->pipeline = false;
        snprintf(s->schedule + len, sizeof s->schedule - len,
                 "; measured %.2f ms against %.2f ms on device %d alone: device %d alone kept",
                 plan_ms, one_ms, c->single_device, c->single_device);
    } else {
        exec_destroy(one);
        snprintf(s->schedule + len, sizeof s->schedule - len,
                 "; measured %.2f ms against %.2f ms on device %d alone: plan kept", plan_ms,
                 one_ms, c->single_device);
    }
    return CLNN_STATUS_OK;
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
        sched_choice c;
        st = clnn_sched_decide(ctx, s->cg, &o, allowed, pin, pinned, &c);
        if (st != CLNN_STATUS_OK) {
            clnn_sched_choice_free(&c);
            break;
        }
        s->mode = c.mode;
        snprintf(s->schedule, sizeof s->schedule, "%s", c.text);
        int oom = -1;
        st = make_instances(s, graph, &o, &c, allowed, &oom);
        clnn_env env;
        clnn_env_read(&env);
        /* Forced plans (the test hook) are what a test wants to run, measured or not, and
         * pinned layers stay where the caller put them. */
        if (st == CLNN_STATUS_OK && !o.skip_plan_check && !pinned &&
            (!env.force_plan || env.check_forced_plan))
            st = confirm_plan(s, &c, allowed);
        clnn_sched_choice_free(&c);
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

size_t clnn_session_input_count(const clnn_session *s) { return s ? (size_t)s->nin : 0; }
size_t clnn_session_output_count(const clnn_session *s) { return s ? (size_t)s->nout : 0; }

const char *clnn_session_input_name(const clnn_session *s, size_t i)
{
    return s && i < (size_t)s->nin ? s->in_names[i] : NULL;
}

const char *clnn_session_output_name(const clnn_session *s, size_t i)
{
    return s && i < (size_t)s->nout ? s->out_names[i] : NULL;
}

int clnn_session_output_elem_type(const clnn_session *s, const char *name)
{
    if (!s) return 0;
    int i = find_io(s, name, false);
    return i < 0 ? 0 : (int)io_tensor(s, s->out_tensor[i])->dtype;
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
