/*
 * search.c - the convolution tuner's engine: for one layer, measure the defaults of every
 * applicable algorithm, then random valid knob settings and a local search (one knob moved to
 * a neighbouring value at a time) around the best, within a time budget.
 *
 * Each candidate is checked before it is timed, twice: (a) on a cropped copy of the layer
 * (same channels, kernel, stride, dilation, groups and padding; batch 1 or 2; a map of
 * 2 * stride * kernel + 3 so borders and tails are exercised) against the C reference, which
 * a full-size reference could not afford (a VGG layer at batch 32 is over 100 GFLOP); (b) at
 * full size against the default configuration's output on the same device. Timing is the
 * median of enqueue+finish wall-clock runs after the checking run (the warm-up).
 */
#include "search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double clnn_tune_tolerance(clnn_conv_algo algo)
{
    switch (algo) {
    case CLNN_CONV_ALGO_WINOGRAD_2X2: return 5e-5;
    case CLNN_CONV_ALGO_WINOGRAD_4X4: return 5e-4; /* transforms scale values up to 8x */
    default: return 2e-5;
    }
}

uint64_t clnn_tune_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static double uniform01(uint64_t *s) { return (double)(clnn_tune_rand(s) >> 11) * 0x1.0p-53; }

void clnn_tune_fill_random(float *x, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) x[i] = (float)(uniform01(&s) * 2.0 - 1.0);
}

double clnn_tune_max_error(const float *got, const float *want, size_t n, size_t *where)
{
    double scale = 1.0, err = 0.0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    if (where) *where = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]) / scale;
        if (!(e <= err)) { /* also catches NaN */
            err = isnan(e) ? INFINITY : e;
            if (where) *where = i;
            if (isinf(err)) break;
        }
    }
    return err;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Everything one layer's search holds. */
typedef struct layer_ctx {
    clnn_context *ctx;
    size_t device;
    clnn_device *dev;
    const clnn_tune_options *opt;
    clnn_conv_params p, crop;
    conv_shape s;
    size_t nin, nout, nw, crop_in, crop_out;
    float *w, *bias, *x_crop, *r_crop, *want_crop, *got_crop;
    float *default_out, *got_out;
    cl_mem in, out, res;
    clnn_conv_algo heuristic;
    double t0;
    /* candidates tried, for "not twice" */
    clnn_tune_candidate *seen;
    int nseen, cap_seen;
    double cost_avg; /* seconds per candidate, for the budget */
    int ncost;
    clnn_tune_conv *e;
    clnn_tune_progress prog;
    char last[192];
    uint64_t rng;
} layer_ctx;

static bool seen_before(layer_ctx *L, const clnn_tune_candidate *c)
{
    for (int i = 0; i < L->nseen; i++)
        if (L->seen[i].algo == c->algo && !memcmp(&L->seen[i].knobs, &c->knobs, sizeof c->knobs))
            return true;
    return false;
}

static void remember(layer_ctx *L, const clnn_tune_candidate *c)
{
    if (L->nseen == L->cap_seen) {
        int cap = L->cap_seen ? L->cap_seen * 2 : 64;
        clnn_tune_candidate *v = realloc(L->seen, (size_t)cap * sizeof *v);
        if (!v) return; /* only costs a repeat */
        L->seen = v;
        L->cap_seen = cap;
    }
    L->seen[L->nseen++] = *c;
}

static void reject(layer_ctx *L, const clnn_tune_candidate *c, const char *fmt, ...)
    CLNN_PRINTF(3, 4);
static void reject(layer_ctx *L, const clnn_tune_candidate *c, const char *fmt, ...)
{
    clnn_tune_conv *e = L->e;
    char reason[sizeof e->rejects[0].reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (e->nrejects < CLNN_TUNE_MAX_REJECTS) {
        clnn_tune_reject *r = &e->rejects[e->nrejects++];
        r->algo = c->algo;
        r->knobs = c->knobs;
        memcpy(r->reason, reason, sizeof reason);
    }
    e->rejects_total++;
    L->prog.rejected++;
    L->prog.rejection = e->nrejects > 0 ? e->rejects[e->nrejects - 1].reason : NULL;
    clnn_debug("tuner: rejected %s: %s", L->last, reason);
}

static void describe(const clnn_tune_candidate *c, char *out, size_t cap)
{
    char k[128];
    clnn_knobs_describe(c->algo, &c->knobs, k, sizeof k);
    snprintf(out, cap, "%s %s", clnn_conv_algo_name(c->algo), k);
}

double clnn_tune_time(cl_command_queue q, int (*run)(void *), void *arg, double min_time,
                      double abort_ms)
{
    /* One run sizes the samples: a single launch and wait costs tens of microseconds on some
     * drivers, which would swamp small layers; back-to-back runs measure the layer. */
    double a = clnn_now();
    if (run(arg) != 0 || clFinish(q) != CL_SUCCESS) return -1;
    double one = clnn_now() - a;
    int iters = one > 0 ? (int)ceil(0.01 / one) : 256;
    if (iters < 1) iters = 1;
    if (iters > 256) iters = 256;
    double t[64];
    int n = 0;
    double start = clnn_now();
    if (iters == 1) {
        /* A run of 10 ms or more is a sample by itself (callers warm up before timing). */
        t[n++] = one * 1e3;
        if (abort_ms > 0 && t[0] > abort_ms) return t[0];
        start = a;
    }
    while (n < 64) {
        a = clnn_now();
        for (int i = 0; i < iters; i++)
            if (run(arg) != 0) return -1;
        if (clFinish(q) != CL_SUCCESS) return -1;
        t[n++] = (clnn_now() - a) * 1e3 / iters;
        if (n == 1 && abort_ms > 0 && t[0] > abort_ms) return t[0];
        if (n >= 3 && clnn_now() - start >= min_time) break;
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

typedef struct conv_job {
    clnn_conv *conv;
    cl_mem in, res, out;
} conv_job;

static int run_conv(void *arg)
{
    conv_job *j = arg;
    return clnn_conv_enqueue(j->conv, NULL, j->in, j->res, j->out, 0, NULL, NULL) ==
                   CLNN_STATUS_OK
               ? 0
               : -1;
}

/* Times a candidate; stops early when it is far slower than the best so far. */
static double time_conv(layer_ctx *L, clnn_conv *conv, double best_ms)
{
    conv_job j = {conv, L->in, L->res, L->out};
    const double min_time = L->opt->min_time_s > 0 ? L->opt->min_time_s : 0.2;
    return clnn_tune_time(L->dev->queue, run_conv, &j, min_time, best_ms > 0 ? 1.5 * best_ms : 0);
}

static clnn_tune_result *result_of(clnn_tune_conv *e, clnn_conv_algo algo)
{
    for (int i = 0; i < e->nresults; i++)
        if (e->results[i].algo == algo) return &e->results[i];
    if (e->nresults >= CLNN_CONV_ALGO_COUNT) return NULL;
    clnn_tune_result *r = &e->results[e->nresults++];
    memset(r, 0, sizeof *r);
    r->algo = algo;
    return r;
}

static double best_ms(const clnn_tune_conv *e)
{
    return e->nresults ? e->results[e->best].ms : 0;
}

static void report(layer_ctx *L)
{
    L->prog.best_ms = best_ms(L->e);
    L->prog.default_ms = L->e->default_ms;
    L->prog.elapsed_s = clnn_now() - L->t0;
    L->prog.last = L->last;
    if (L->opt->progress) L->opt->progress(&L->prog, L->opt->user);
    L->prog.rejection = NULL;
}

/* Checks and times one candidate; returns its ms, or -1 when rejected. The full-size output
 * of the first candidate (the heuristic's default) becomes the reference of the others. */
static double evaluate(layer_ctx *L, const clnn_tune_candidate *c, bool is_default)
{
    double started = clnn_now();
    remember(L, c);
    describe(c, L->last, sizeof L->last);
    L->prog.candidates++;
    clnn_tune_conv *e = L->e;
    const char *why = NULL;
    double ms = -1;
    clnn_conv *crop = NULL, *full = NULL;
    const float *bias = L->p.has_bias ? L->bias : NULL;
    if (clnn_conv_algo_check(&L->p, c->algo) != CLNN_STATUS_OK) {
        reject(L, c, "the algorithm does not apply: %s", clnn_last_error());
        goto done;
    }
    if (!clnn_knobs_valid(c->algo, &c->knobs, &L->p, &L->dev->info, &why)) {
        reject(L, c, "invalid knobs: %s", why);
        goto done;
    }
    /* (a) the cropped layer against the C reference */
    clnn_status st = clnn_conv_create_knobs(L->ctx, L->device, &L->crop, c->algo, &c->knobs,
                                            L->w, bias, &crop);
    if (st == CLNN_STATUS_OK)
        st = clnn_conv_run(crop, L->x_crop, L->crop_in, L->r_crop, L->r_crop ? L->crop_out : 0,
                           L->got_crop, L->crop_out);
    if (st != CLNN_STATUS_OK) {
        reject(L, c, "fails to build or run: %s", clnn_last_error());
        goto done;
    }
    if (L->opt->wrong && L->opt->wrong->algo == c->algo &&
        !memcmp(&L->opt->wrong->knobs, &c->knobs, sizeof c->knobs))
        L->got_crop[L->crop_out / 2] += 1.0f;
    size_t at;
    double tol = clnn_tune_tolerance(c->algo);
    double err = clnn_tune_max_error(L->got_crop, L->want_crop, L->crop_out, &at);
    if (!(err <= tol)) {
        reject(L, c, "wrong on the cropped layer: error %.3g of the output scale at %zu "
                     "(tolerance %.1g)", err, at, tol);
        goto done;
    }
    /* (b) full size against the default configuration; this run is also the warm-up */
    st = clnn_conv_create_knobs(L->ctx, L->device, &L->p, c->algo, &c->knobs, L->w, bias, &full);
    if (st == CLNN_STATUS_OK)
        st = clnn_conv_enqueue(full, NULL, L->in, L->res, L->out, 0, NULL, NULL);
    cl_int err_cl = st == CLNN_STATUS_OK ? clFinish(L->dev->queue) : CL_SUCCESS;
    float *dst = is_default ? L->default_out : L->got_out;
    if (st == CLNN_STATUS_OK && err_cl == CL_SUCCESS)
        err_cl = clEnqueueReadBuffer(L->dev->queue, L->out, CL_TRUE, 0, L->nout * sizeof(float),
                                     dst, 0, NULL, NULL);
    if (st != CLNN_STATUS_OK || err_cl != CL_SUCCESS) {
        reject(L, c, "fails at full size: %s",
               st != CLNN_STATUS_OK ? clnn_last_error() : clnn_cl_error_name(err_cl));
        goto done;
    }
    if (!is_default) {
        tol += clnn_tune_tolerance(L->heuristic);
        err = clnn_tune_max_error(dst, L->default_out, L->nout, &at);
        if (!(err <= tol)) {
            reject(L, c, "differs from the default configuration at full size: %.3g of the "
                         "output scale at %zu (tolerance %.1g)", err, at, tol);
            goto done;
        }
    }
    ms = time_conv(L, full, best_ms(e));
    if (ms < 0) {
        reject(L, c, "a timed run failed: %s", clnn_last_error());
        goto done;
    }
    clnn_tune_result *r = result_of(e, c->algo);
    if (r) {
        r->tried++;
        if (r->ms <= 0 || ms < r->ms) {
            r->ms = ms;
            r->knobs = c->knobs;
        }
        if (e->nresults == 1 || ms < best_ms(e)) e->best = (int)(r - e->results);
    }
    if (is_default && c->algo == L->heuristic) e->default_ms = ms;
done:
    clnn_conv_destroy(crop);
    clnn_conv_destroy(full);
    double cost = clnn_now() - started;
    L->cost_avg = (L->cost_avg * L->ncost + cost) / (L->ncost + 1);
    L->ncost++;
    report(L);
    return ms;
}

static bool stopped(const layer_ctx *L) { return L->opt->stop && *L->opt->stop; }

/* Whether another candidate fits in the budget (its cost estimated from the average). */
static bool time_left(const layer_ctx *L)
{
    return !stopped(L) && clnn_now() - L->t0 + L->cost_avg <= L->opt->budget_s;
}

/* A random valid setting of `algo`: half the time near the default (each knob moved by at
 * most one step), else uniform over the table. */
static bool sample(layer_ctx *L, clnn_conv_algo algo, clnn_tune_candidate *c)
{
    const clnn_algo_knobs *t = clnn_knobs_table(algo);
    clnn_knob_config def;
    clnn_knobs_default(algo, &L->s.p, &L->dev->info, &def);
    for (int attempt = 0; attempt < 200; attempt++) {
        c->algo = algo;
        memset(&c->knobs, 0, sizeof c->knobs);
        bool near = uniform01(&L->rng) < 0.5;
        for (int i = 0; i < t->nknobs; i++) {
            const clnn_knob_def *k = &t->knobs[i];
            int idx = (int)(clnn_tune_rand(&L->rng) % (uint64_t)k->nvalues);
            if (near) {
                int d = 0;
                for (int j = 0; j < k->nvalues; j++)
                    if (k->values[j] == def.v[i]) d = j;
                idx = d + (int)(clnn_tune_rand(&L->rng) % 3) - 1;
                if (idx < 0) idx = 0;
                if (idx >= k->nvalues) idx = k->nvalues - 1;
            }
            c->knobs.v[i] = k->values[idx];
        }
        const char *why;
        if (clnn_knobs_valid(algo, &c->knobs, &L->s.p, &L->dev->info, &why) && !seen_before(L, c))
            return true;
    }
    return false;
}

/* Picks an algorithm for a random sample, favouring the fast ones: weight (best / ms)^2 over
 * the algorithms within 2.5x of the best. */
static clnn_conv_algo pick_algo(layer_ctx *L)
{
    const clnn_tune_conv *e = L->e;
    double wsum = 0, w[CLNN_CONV_ALGO_COUNT];
    for (int i = 0; i < e->nresults; i++) {
        double ratio = best_ms(e) / e->results[i].ms;
        w[i] = ratio >= 0.4 ? ratio * ratio : 0;
        wsum += w[i];
    }
    double u = uniform01(&L->rng) * wsum;
    for (int i = 0; i < e->nresults; i++) {
        if (u < w[i]) return e->results[i].algo;
        u -= w[i];
    }
    return e->results[e->best].algo;
}

static void shuffle(layer_ctx *L, clnn_tune_candidate *v, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(clnn_tune_rand(&L->rng) % (uint64_t)(i + 1));
        clnn_tune_candidate tmp = v[i];
        v[i] = v[j], v[j] = tmp;
    }
}

/* Local search: tries the neighbours of the best setting (one knob one or two steps away) in
 * random order, moving to any that is faster; returns when none is (a local optimum) or time
 * is up. */
static void climb(layer_ctx *L)
{
    for (;;) {
        const clnn_tune_result *b = &L->e->results[L->e->best];
        const clnn_algo_knobs *t = clnn_knobs_table(b->algo);
        clnn_tune_candidate nb[CLNN_MAX_KNOBS * 4];
        int dist[CLNN_MAX_KNOBS * 4];
        int n = 0;
        for (int i = 0; i < t->nknobs; i++) {
            int cur = 0;
            for (int j = 0; j < t->knobs[i].nvalues; j++)
                if (t->knobs[i].values[j] == b->knobs.v[i]) cur = j;
            static const int steps[] = {-1, 1, -2, 2};
            for (int d = 0; d < 4; d++) {
                int j = cur + steps[d];
                if (j < 0 || j >= t->knobs[i].nvalues) continue;
                clnn_tune_candidate c = {b->algo, b->knobs};
                c.knobs.v[i] = t->knobs[i].values[j];
                const char *why;
                if (clnn_knobs_valid(c.algo, &c.knobs, &L->s.p, &L->dev->info, &why) &&
                    !seen_before(L, &c)) {
                    dist[n] = abs(steps[d]);
                    nb[n++] = c;
                }
            }
        }
        /* one-step moves first, in random order within each distance */
        int n1 = 0;
        for (int i = 0; i < n; i++)
            if (dist[i] == 1) {
                clnn_tune_candidate tc = nb[i];
                int td = dist[i];
                nb[i] = nb[n1], dist[i] = dist[n1];
                nb[n1] = tc, dist[n1] = td;
                n1++;
            }
        shuffle(L, nb, n1);
        shuffle(L, nb + n1, n - n1);
        bool moved = false;
        const double before = best_ms(L->e);
        for (int i = 0; i < n && !moved; i++) {
            if (!time_left(L)) return;
            evaluate(L, &nb[i], false);
            moved = best_ms(L->e) < before;
        }
        if (!moved) return;
    }
}

/* The winner is the minimum of many noisy measurements, which flatters it. Time it again
 * beside the default, alternating; unless it is still at least 2% faster, the default stays
 * (a database entry should never make a layer slower). */
static void confirm(layer_ctx *L)
{
    clnn_tune_conv *e = L->e;
    clnn_tune_result *b = &e->results[e->best];
    clnn_knob_config def;
    clnn_knobs_default(L->heuristic, &L->p, &L->dev->info, &def);
    if (b->algo == L->heuristic && !memcmp(&b->knobs, &def, sizeof def)) return;
    const float *bias = L->p.has_bias ? L->bias : NULL;
    clnn_conv *c[2] = {NULL, NULL};
    if (clnn_conv_create_knobs(L->ctx, L->device, &L->p, L->heuristic, &def, L->w, bias, &c[0]) ||
        clnn_conv_create_knobs(L->ctx, L->device, &L->p, b->algo, &b->knobs, L->w, bias, &c[1])) {
        clnn_conv_destroy(c[0]);
        return;
    }
    double ms[2] = {INFINITY, INFINITY};
    const double min_time = L->opt->min_time_s > 0 ? L->opt->min_time_s : 0.2;
    for (int round = 0; round < 2; round++)
        for (int k = 0; k < 2; k++) {
            conv_job j = {c[k], L->in, L->res, L->out};
            double t = clnn_tune_time(L->dev->queue, run_conv, &j, min_time, 0);
            if (t > 0 && t < ms[k]) ms[k] = t;
        }
    clnn_conv_destroy(c[0]);
    clnn_conv_destroy(c[1]);
    if (!isfinite(ms[0]) || !isfinite(ms[1])) return;
    e->default_ms = ms[0];
    b->ms = ms[1];
    if (ms[1] < 0.98 * ms[0]) return;
    clnn_tune_result *r = result_of(e, L->heuristic);
    r->knobs = def;
    r->ms = ms[0];
    e->best = (int)(r - e->results);
    clnn_debug("tuner: %s is not faster than the default when timed again (%.4f vs %.4f ms)",
               L->last, ms[1], ms[0]);
}

#define MAX_SEEDS 6  /* seed candidates tried per layer */
#define EXPLORE_MIN_ROOM 40 /* candidates the budget must afford for a random phase first */
#define SEED_POOL 16 /* nearest entries they are drawn from */

/* Tries the best settings of the entries of opt->prior nearest to this layer: first those of
 * the same kernel size, stride, dilation and grouping (whose programs are often built
 * already), then the others; each entry's winner first, then its other algorithms' best, up
 * to MAX_SEEDS candidates. A device's good work-group shapes and tiles tend to carry over
 * between layers, which matters when every new candidate costs a kernel compile. */
static void try_seeds(layer_ctx *L)
{
    const clnn_tune_db *db = L->opt->prior;
    if (!db || db->nconv == 0) return;
    clnn_tune_shape key;
    clnn_tune_shape_of(&L->p, &key);
    size_t pool[SEED_POOL];
    double dist[SEED_POOL];
    int npool = 0;
    for (size_t i = 0; i < db->nconv; i++) {
        const clnn_tune_shape *t = &db->conv[i].shape;
        if (clnn_tune_shape_equal(t, &key)) continue;
        double d = clnn_tune_shape_distance(t, &key);
        if (!isfinite(d)) d = 1000 + clnn_tune_shape_gap(t, &key); /* other classes last */
        /* insertion into the sorted pool, dropping the farthest when full */
        int at = npool < SEED_POOL ? npool++ : SEED_POOL;
        while (at > 0 && dist[at - 1] > d) {
            if (at < SEED_POOL) pool[at] = pool[at - 1], dist[at] = dist[at - 1];
            at--;
        }
        if (at < SEED_POOL) pool[at] = i, dist[at] = d;
    }
    int tried = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < npool && tried < MAX_SEEDS; i++) {
            const clnn_tune_conv *e = &db->conv[pool[i]];
            for (int r = 0; r < e->nresults && tried < MAX_SEEDS; r++) {
                if ((pass == 0) != (r == e->best)) continue;
                clnn_tune_candidate c = {e->results[r].algo, e->results[r].knobs};
                const char *why;
                if (clnn_conv_algo_check(&L->p, c.algo) != CLNN_STATUS_OK ||
                    !clnn_knobs_valid(c.algo, &c.knobs, &L->p, &L->dev->info, &why) ||
                    seen_before(L, &c))
                    continue;
                if (!time_left(L)) return;
                evaluate(L, &c, false);
                tried++;
            }
        }
    clnn_clear_error();
}

static clnn_status setup(layer_ctx *L, const clnn_conv_params *p)
{
    clnn_status st = clnn_conv_shape_init(L->ctx, p, &L->s);
    if (st != CLNN_STATUS_OK) return st;
    L->p = L->s.p;
    L->heuristic = clnn_conv_heuristic(&L->s, &L->dev->info);
    /* The cropped copy: same everything but batch and map size (tails stay exercised). */
    L->crop = L->p;
    L->crop.batch = L->p.batch > 1 ? 2 : 1;
    int eff_h = (L->p.kernel_h - 1) * L->p.dilation_h + 1, eff_w = (L->p.kernel_w - 1) * L->p.dilation_w + 1;
    int ch = 2 * L->p.stride_h * eff_h + 3, cw = 2 * L->p.stride_w * eff_w + 3;
    if (L->crop.in_height > ch) L->crop.in_height = ch;
    if (L->crop.in_width > cw) L->crop.in_width = cw;
    conv_shape cs;
    st = clnn_conv_shape_init(L->ctx, &L->crop, &cs);
    if (st != CLNN_STATUS_OK) return st;
    L->nin = L->s.in_count, L->nout = L->s.out_count, L->nw = L->s.w_count;
    L->crop_in = cs.in_count, L->crop_out = cs.out_count;
    const bool res = L->p.residual != CLNN_RESIDUAL_NONE;
    float *x = malloc(L->nin * sizeof *x), *r = res ? malloc(L->nout * sizeof *r) : NULL;
    L->w = malloc(L->nw * sizeof *L->w);
    L->bias = malloc((size_t)L->p.out_channels * sizeof *L->bias);
    L->x_crop = malloc(L->crop_in * sizeof *L->x_crop);
    L->r_crop = res ? malloc(L->crop_out * sizeof *L->r_crop) : NULL;
    L->want_crop = malloc(L->crop_out * sizeof *L->want_crop);
    L->got_crop = malloc(L->crop_out * sizeof *L->got_crop);
    L->default_out = malloc(L->nout * sizeof *L->default_out);
    L->got_out = malloc(L->nout * sizeof *L->got_out);
    if (!x || (res && (!r || !L->r_crop)) || !L->w || !L->bias || !L->x_crop || !L->want_crop ||
        !L->got_crop || !L->default_out || !L->got_out) {
        free(x), free(r);
        return clnn_fail(L->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY,
                         "tuner: host memory for a layer of %zu inputs and %zu outputs", L->nin,
                         L->nout);
    }
    clnn_tune_fill_random(x, L->nin, 1);
    clnn_tune_fill_random(L->w, L->nw, 2);
    clnn_tune_fill_random(L->bias, (size_t)L->p.out_channels, 3);
    clnn_tune_fill_random(L->x_crop, L->crop_in, 4);
    if (res) {
        clnn_tune_fill_random(r, L->nout, 5);
        clnn_tune_fill_random(L->r_crop, L->crop_out, 6);
    }
    st = clnn_conv_reference(&L->crop, L->x_crop, L->w, L->p.has_bias ? L->bias : NULL, L->r_crop,
                             L->want_crop);
    cl_int err = CL_SUCCESS;
    if (st == CLNN_STATUS_OK) {
        cl_context cc = L->dev->cl_ctx;
        L->in = clCreateBuffer(cc, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, L->nin * sizeof *x,
                               x, &err);
        if (err == CL_SUCCESS)
            L->out = clCreateBuffer(cc, CL_MEM_READ_WRITE, L->nout * sizeof(float), NULL, &err);
        if (err == CL_SUCCESS && res)
            L->res = clCreateBuffer(cc, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                    L->nout * sizeof *r, r, &err);
        if (err != CL_SUCCESS)
            st = clnn_fail_cl(L->ctx, err, "tuner: device buffers for a layer of %zu outputs",
                              L->nout);
    }
    free(x), free(r);
    return st;
}

static void teardown(layer_ctx *L)
{
    free(L->w), free(L->bias), free(L->x_crop), free(L->r_crop), free(L->want_crop);
    free(L->got_crop), free(L->default_out), free(L->got_out), free(L->seen);
    if (L->in) clReleaseMemObject(L->in);
    if (L->out) clReleaseMemObject(L->out);
    if (L->res) clReleaseMemObject(L->res);
}

clnn_status clnn_tune_conv_layer(clnn_context *ctx, size_t device, const clnn_conv_params *p,
                                 const char *name, const clnn_tune_options *opt,
                                 clnn_tune_conv *entry)
{
    if (!entry || !opt)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "tuner: NULL entry or options");
    memset(entry, 0, sizeof *entry);
    layer_ctx L;
    memset(&L, 0, sizeof L);
    L.ctx = ctx;
    L.device = device;
    L.dev = clnn_context_device(ctx, device);
    if (!L.dev) return CLNN_STATUS_INVALID_ARGUMENT;
    L.opt = opt;
    L.e = entry;
    L.rng = opt->seed ? opt->seed : 0x2545F4914F6CDD1Dull;
    L.t0 = clnn_now();
    L.prog.budget_s = opt->budget_s;
    clnn_status st = setup(&L, p);
    if (st != CLNN_STATUS_OK) {
        teardown(&L);
        return st;
    }
    clnn_tune_shape_of(&L.p, &entry->shape);
    snprintf(entry->name, sizeof entry->name, "%s", name ? name : "");

    /* The heuristic's default first: the reference of the full-size checks and the baseline. */
    clnn_tune_candidate c = {L.heuristic, {{0}}};
    clnn_knobs_default(c.algo, &L.p, &L.dev->info, &c.knobs);
    if (evaluate(&L, &c, true) < 0) {
        st = clnn_fail(ctx, CLNN_STATUS_INTERNAL,
                       "tuner: the default configuration (%s) is rejected on '%s': %s; this "
                       "device cannot be tuned until that is fixed",
                       L.last, L.dev->info.name,
                       entry->nrejects ? entry->rejects[0].reason : "unknown");
        teardown(&L);
        return st;
    }
    for (int a = 1; a < CLNN_CONV_ALGO_COUNT && time_left(&L); a++) {
        if (a == (int)L.heuristic || clnn_conv_algo_check(&L.p, (clnn_conv_algo)a) != CLNN_STATUS_OK)
            continue;
        c.algo = (clnn_conv_algo)a;
        clnn_knobs_default(c.algo, &L.p, &L.dev->info, &c.knobs);
        evaluate(&L, &c, false);
    }
    clnn_clear_error(); /* algorithms that do not apply are not failures of the search */
    try_seeds(&L);
    if (opt->fixed) {
        for (int i = 0; i < opt->nfixed && !stopped(&L); i++) evaluate(&L, &opt->fixed[i], false);
    } else {
        /* With room for many candidates, explore a third of the budget at random first; with
         * room for few (where each costs a kernel compile, as on PoCL), go straight to the
         * local search from the best so far. Then alternate local searches with a few more
         * random samples (a way out of a local optimum). */
        double room = L.cost_avg > 0 ? (opt->budget_s - (clnn_now() - L.t0)) / L.cost_avg : 0;
        while (room >= EXPLORE_MIN_ROOM && time_left(&L) &&
               clnn_now() - L.t0 < opt->budget_s / 3) {
            if (!sample(&L, pick_algo(&L), &c)) break;
            evaluate(&L, &c, false);
        }
        int stale = 0;
        while (time_left(&L) && stale < 4) {
            int before = L.prog.candidates;
            climb(&L);
            for (int i = 0; i < 3 && time_left(&L); i++)
                if (sample(&L, pick_algo(&L), &c)) evaluate(&L, &c, false);
            stale = L.prog.candidates == before ? stale + 1 : 0;
        }
    }
    if (!stopped(&L)) confirm(&L);
    entry->complete = !stopped(&L);
    teardown(&L);
    return CLNN_STATUS_OK;
}
