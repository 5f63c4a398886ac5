/*
 * search_fc.c - tuning CLBlast's kernels for FC layers. CLBlast ships no parameters for most
 * devices (on PoCL its defaults run a 32 x 9216 x 4096 SGEMM at about 5 GFLOP/s), and a
 * parameter set is per device and kernel, not per shape: each kernel is tuned for all the
 * shapes that use it (the geometric mean of their times against CLBlast's own). Candidates
 * are applied with CLBlastOverrideParameters, checked against a C reference GEMM (double
 * accumulation) and timed (median of enqueue+finish runs after the checking run).
 *
 * CLBlast's C API cannot hand back its own parameters once overridden, so a kernel whose best
 * candidate does not beat CLBlast's own is left at that best candidate for the rest of the
 * run (close to CLBlast's own by construction) and not stored in the database.
 */
#include "../tune/clblast.h"
#include "search.h"

#include <clblast_c.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FC_TOLERANCE 1e-4 /* of the output's scale: float sums over K up to ~10^4 terms */
#define MIN_GAIN 0.95     /* store a kernel's parameters only when they cut time by 5% */

typedef struct fc_buf {
    clnn_tune_fc_layer s;
    cl_mem a, b, y;
    float *want, *got;
    size_t ny;
    double untuned_ms, base_ms, ms;
} fc_buf;

typedef struct fc_ctx {
    clnn_context *ctx;
    clnn_device *dev;
    const clnn_tune_options *opt;
    fc_buf *f;
    int nf;
    double t0, deadline;
    uint64_t rng;
    clnn_tune_progress prog;
    char last[320];
} fc_ctx;

static CLBlastStatusCode product(fc_ctx *F, fc_buf *f)
{
    cl_command_queue q = F->dev->queue;
    const clnn_tune_fc_layer *s = &f->s;
    /* The calls of lib/ops/layer_fc.c: GEMV for one row, else GEMM, row-major. */
    if (s->m == 1)
        return s->trans_b ? CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, (size_t)s->n,
                                         (size_t)s->k, 1.0f, f->b, 0, (size_t)s->k, f->a, 0, 1,
                                         0.0f, f->y, 0, 1, &q, NULL)
                          : CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes,
                                         (size_t)s->k, (size_t)s->n, 1.0f, f->b, 0,
                                         (size_t)s->n, f->a, 0, 1, 0.0f, f->y, 0, 1, &q, NULL);
    return CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo,
                        s->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, (size_t)s->m,
                        (size_t)s->n, (size_t)s->k, 1.0f, f->a, 0, (size_t)s->k, f->b, 0,
                        s->trans_b ? (size_t)s->k : (size_t)s->n, 0.0f, f->y, 0, (size_t)s->n,
                        &q, NULL);
}

typedef struct fc_run {
    fc_ctx *F;
    fc_buf *f;
} fc_run;

static int run_product(void *arg)
{
    fc_run *r = arg;
    return product(r->F, r->f) == CLBlastSuccess ? 0 : -1;
}

/* Runs once and checks against the reference, then times: median ms, or -1 with *why. */
static double check_and_time(fc_ctx *F, fc_buf *f, char *why, size_t cap)
{
    CLBlastStatusCode s = product(F, f);
    cl_int err = clFinish(F->dev->queue);
    if (s == CLBlastSuccess && err == CL_SUCCESS)
        err = clEnqueueReadBuffer(F->dev->queue, f->y, CL_TRUE, 0, f->ny * sizeof(float), f->got,
                                  0, NULL, NULL);
    if (s != CLBlastSuccess || err != CL_SUCCESS) {
        snprintf(why, cap, "%dx%dx%d: CLBlast status %d, OpenCL %s", f->s.m, f->s.n, f->s.k,
                 (int)s, clnn_cl_error_name(err));
        return -1;
    }
    double e = clnn_tune_max_error(f->got, f->want, f->ny, NULL);
    if (!(e <= FC_TOLERANCE)) {
        snprintf(why, cap, "%dx%dx%d: wrong result, error %.3g of the output scale", f->s.m,
                 f->s.n, f->s.k, e);
        return -1;
    }
    fc_run r = {F, f};
    double ms = clnn_tune_time(F->dev->queue, run_product, &r,
                               F->opt->min_time_s > 0 ? F->opt->min_time_s : 0.2, 0);
    if (ms < 0) snprintf(why, cap, "a timed run failed");
    return ms;
}

static void to_entry(const clnn_clblast_kernel *k, const size_t *v, clnn_tune_clblast *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->kernel, sizeof e->kernel, "%s", k->name);
    e->nparams = k->nparams;
    for (int i = 0; i < k->nparams; i++) {
        snprintf(e->names[i], sizeof e->names[i], "%s", k->params[i].name);
        e->values[i] = v[i];
    }
}

static void describe(const clnn_clblast_kernel *k, const size_t *v, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s", k->name);
    for (int i = 0; i < k->nparams && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s=%zu", i ? "," : " ", k->params[i].name, v[i]);
}

static bool uses(const clnn_clblast_kernel *k, const fc_buf *f) { return k->one_row == (f->s.m == 1); }

/* Applies a candidate and measures the kernel's shapes: the geometric mean of their time
 * against the kernel's baseline, or -1 when rejected (why in F->prog.rejection). */
static double evaluate(fc_ctx *F, const clnn_clblast_kernel *k, const size_t *v, double *ms)
{
    clnn_tune_clblast e;
    to_entry(k, v, &e);
    describe(k, v, F->last, sizeof F->last);
    F->prog.candidates++;
    static char why[256];
    double logsum = 0;
    int n = 0;
    int s = clnn_clblast_override(F->dev->id, &e);
    if (s != 0) snprintf(why, sizeof why, "CLBlastOverrideParameters: CLBlast status %d", s);
    for (int i = 0; s == 0 && i < F->nf; i++) {
        if (!uses(k, &F->f[i])) continue;
        ms[i] = check_and_time(F, &F->f[i], why, sizeof why);
        if (ms[i] < 0) {
            s = -1;
            break;
        }
        logsum += log(ms[i] / F->f[i].base_ms);
        n++;
    }
    double score = s == 0 && n ? exp(logsum / n) : -1;
    if (score < 0) {
        F->prog.rejected++;
        F->prog.rejection = why;
        clnn_debug("tuner: rejected %s: %s", F->last, why);
    }
    F->prog.elapsed_s = clnn_now() - F->t0;
    F->prog.last = F->last;
    if (F->opt->progress) F->opt->progress(&F->prog, F->opt->user);
    F->prog.rejection = NULL;
    return score;
}

/* A random legal parameter set, or false after many tries. */
static bool sample(fc_ctx *F, const clnn_clblast_kernel *k, size_t *v)
{
    for (int attempt = 0; attempt < 2000; attempt++) {
        for (int i = 0; i < k->nparams; i++)
            v[i] = (size_t)k->params[i].values[clnn_tune_rand(&F->rng) % (uint64_t)k->params[i].nvalues];
        if (!k->check(v, &F->dev->info)) return true;
    }
    return false;
}

/* Starting points that usually do well: CPUs like wide vectors and no local-memory staging
 * (their "local" memory is ordinary memory), GPUs 16x16 or 8x8 thread tiles staged in local
 * memory. Invalid ones on a device are skipped. */
static int seeds(const clnn_clblast_kernel *k, const clnn_device_info *dev, size_t out[][CLNN_TUNE_MAX_PARAMS])
{
    const bool gpu = dev->type == CLNN_DEVICE_TYPE_GPU;
    static const size_t xgemm_cpu[][16] = {
        {0, 1, 32, 2, 8, 8, 64, 8, 8, 64, 0, 0, 0, 0, 4, 4},
        {0, 1, 16, 2, 8, 8, 64, 8, 8, 64, 0, 0, 0, 0, 8, 8},
        {0, 1, 32, 8, 8, 8, 32, 8, 8, 64, 0, 0, 0, 0, 4, 8},
    };
    static const size_t xgemm_gpu[][16] = {
        {0, 1, 32, 2, 16, 16, 64, 8, 8, 64, 1, 1, 0, 0, 4, 4},
        {0, 1, 32, 2, 8, 8, 64, 8, 8, 64, 1, 1, 0, 0, 4, 4},
    };
    static const size_t direct_cpu[][10] = {
        {2, 8, 8, 8, 8, 1, 1, 4, 4, 32},
        {8, 8, 8, 8, 8, 0, 0, 8, 8, 64},
    };
    static const size_t direct_gpu[][10] = {{2, 16, 16, 16, 16, 1, 1, 2, 2, 32}};
    const size_t *src = NULL;
    int n = 0, width = k->nparams;
    if (!strcmp(k->name, "Xgemm"))
        src = gpu ? xgemm_gpu[0] : xgemm_cpu[0], n = gpu ? 2 : 3;
    else if (!strcmp(k->name, "XgemmDirect"))
        src = gpu ? direct_gpu[0] : direct_cpu[0], n = gpu ? 1 : 2;
    int kept = 0;
    for (int i = 0; i < n; i++) {
        const size_t *v = src + (size_t)i * (size_t)width;
        if (k->check(v, dev)) continue;
        memcpy(out[kept++], v, (size_t)width * sizeof *v);
    }
    return kept;
}

typedef struct tried_set {
    size_t (*v)[CLNN_TUNE_MAX_PARAMS];
    int n, cap;
} tried_set;

static bool tried_has(const tried_set *t, const size_t *v, int np)
{
    for (int i = 0; i < t->n; i++)
        if (!memcmp(t->v[i], v, (size_t)np * sizeof *v)) return true;
    return false;
}

static void tried_add(tried_set *t, const size_t *v, int np)
{
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 32;
        void *p = realloc(t->v, (size_t)cap * sizeof *t->v);
        if (!p) return;
        t->v = p;
        t->cap = cap;
    }
    memset(t->v[t->n], 0, sizeof t->v[0]);
    memcpy(t->v[t->n++], v, (size_t)np * sizeof *v);
}

static bool stopped(const fc_ctx *F) { return F->opt->stop && *F->opt->stop; }

/* Tunes one kernel until `deadline`; stores it in db if it beats the baseline. */
static clnn_status tune_kernel(fc_ctx *F, const clnn_clblast_kernel *k, double deadline,
                               clnn_tune_db *db)
{
    char why[256];
    int used = 0;
    for (int i = 0; i < F->nf; i++) {
        if (!uses(k, &F->f[i])) continue;
        F->f[i].base_ms = check_and_time(F, &F->f[i], why, sizeof why);
        if (F->f[i].base_ms < 0)
            return clnn_fail(F->ctx, CLNN_STATUS_CLBLAST_ERROR,
                             "tuner: CLBlast fails before tuning %s: %s", k->name, why);
        used++;
    }
    if (!used) return CLNN_STATUS_OK;
    const int np = k->nparams;
    size_t best[CLNN_TUNE_MAX_PARAMS], cand[CLNN_TUNE_MAX_PARAMS];
    double best_score = -1, ms[64], best_ms[64];
    tried_set tried = {0};
    double avg = 0;
    int count = 0;
    size_t seed_v[4][CLNN_TUNE_MAX_PARAMS];
    int nseed = seeds(k, &F->dev->info, seed_v);
    int phase_random = 0;
    const double start = clnn_now();
    while (!stopped(F) && clnn_now() + avg <= deadline) {
        /* seeds, then random samples for half the time, then neighbours of the best */
        bool have = false;
        if (count < nseed) {
            memcpy(cand, seed_v[count], (size_t)np * sizeof *cand);
            have = !tried_has(&tried, cand, np);
        }
        const bool local = best_score > 0 && clnn_now() > start + (deadline - start) / 2 &&
                           phase_random++ % 3 != 0;
        for (int attempt = 0; !have && attempt < 50; attempt++) {
            if (local) {
                memcpy(cand, best, (size_t)np * sizeof *cand);
                int i = (int)(clnn_tune_rand(&F->rng) % (uint64_t)np);
                const clnn_clblast_param *p = &k->params[i];
                int cur = 0;
                for (int j = 0; j < p->nvalues; j++)
                    if ((size_t)p->values[j] == cand[i]) cur = j;
                int j = cur + ((clnn_tune_rand(&F->rng) & 1) ? 1 : -1);
                if (j < 0 || j >= p->nvalues) continue;
                cand[i] = (size_t)p->values[j];
                if (k->check(cand, &F->dev->info)) continue;
            } else if (!sample(F, k, cand)) {
                break;
            }
            have = !tried_has(&tried, cand, np);
        }
        if (!have) break; /* the space is exhausted */
        tried_add(&tried, cand, np);
        double t = clnn_now();
        double score = evaluate(F, k, cand, ms);
        avg = (avg * count + (clnn_now() - t)) / (count + 1);
        count++;
        if (score > 0 && (best_score < 0 || score < best_score)) {
            best_score = score;
            memcpy(best, cand, (size_t)np * sizeof *best);
            memcpy(best_ms, ms, sizeof ms);
            F->prog.best_ms = score; /* relative: 1.0 is CLBlast's own */
        }
    }
    free(tried.v);
    if (best_score < 0) return CLNN_STATUS_OK; /* nothing legal measured: CLBlast's own stays */
    clnn_tune_clblast e;
    to_entry(k, best, &e);
    /* Leave CLBlast on the best candidate: the next kernels are measured against it. */
    clnn_clblast_override(F->dev->id, &e);
    describe(k, best, F->last, sizeof F->last);
    clnn_info("tuner: %s best %.3fx of CLBlast's own time: %s", k->name, best_score, F->last);
    if (best_score > MIN_GAIN) return CLNN_STATUS_OK;
    for (int i = 0; i < F->nf && e.nshapes < CLNN_TUNE_MAX_FC_SHAPES; i++) {
        if (!uses(k, &F->f[i])) continue;
        clnn_tune_fc_shape *s = &e.shapes[e.nshapes++];
        s->m = F->f[i].s.m, s->n = F->f[i].s.n, s->k = F->f[i].s.k;
        s->trans_b = F->f[i].s.trans_b;
        s->ms = best_ms[i];
        s->default_ms = F->f[i].untuned_ms;
    }
    return clnn_tune_db_put_clblast(db, &e);
}

static void reference(const clnn_tune_fc_layer *s, const float *a, const float *b, float *y)
{
    for (int m = 0; m < s->m; m++)
        for (int j = 0; j < s->n; j++) {
            double acc = 0;
            if (s->trans_b) {
                const float *bj = b + (size_t)j * s->k, *am = a + (size_t)m * s->k;
                for (int q = 0; q < s->k; q++) acc += (double)am[q] * bj[q];
            } else {
                for (int q = 0; q < s->k; q++)
                    acc += (double)a[(size_t)m * s->k + q] * b[(size_t)q * s->n + j];
            }
            y[(size_t)m * s->n + j] = (float)acc;
        }
}

clnn_status clnn_tune_clblast_layers(clnn_context *ctx, size_t device,
                                     const clnn_tune_fc_layer *shapes, int nshapes,
                                     const clnn_tune_options *opt, clnn_tune_db *db,
                                     clnn_tune_fc_report *report)
{
    clnn_device *dev = clnn_context_device(ctx, device);
    if (!dev) return CLNN_STATUS_INVALID_ARGUMENT;
    if (!opt || !db || nshapes < 1 || nshapes > 64)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "tuner: FC tuning needs options, a database and 1 to 64 shapes");
    clnn_clblast_context_uses(ctx);
    fc_ctx F;
    memset(&F, 0, sizeof F);
    F.ctx = ctx, F.dev = dev, F.opt = opt;
    F.t0 = clnn_now();
    F.rng = opt->seed ? opt->seed : 0x9E3779B97F4A7C15ull;
    F.prog.budget_s = opt->budget_s;
    F.f = calloc((size_t)nshapes, sizeof *F.f);
    if (!F.f) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "tuner: FC shapes");
    F.nf = nshapes;
    clnn_status st = CLNN_STATUS_OK;
    char why[256];
    for (int i = 0; i < nshapes && st == CLNN_STATUS_OK; i++) {
        fc_buf *f = &F.f[i];
        f->s = shapes[i];
        if (f->s.m < 1 || f->s.n < 1 || f->s.k < 1 || (double)f->s.n * f->s.k > 1e9 ||
            (double)f->s.m * f->s.k > 1e9) {
            st = clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "tuner: FC shape %dx%dx%d is out "
                           "of range", f->s.m, f->s.n, f->s.k);
            break;
        }
        size_t na = (size_t)f->s.m * f->s.k, nb = (size_t)f->s.n * f->s.k;
        f->ny = (size_t)f->s.m * f->s.n;
        float *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b);
        f->want = malloc(f->ny * sizeof *f->want);
        f->got = malloc(f->ny * sizeof *f->got);
        cl_int err = CL_SUCCESS;
        if (!a || !b || !f->want || !f->got) {
            st = clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "tuner: FC buffers");
        } else {
            clnn_tune_fill_random(a, na, 10 + (uint64_t)i);
            clnn_tune_fill_random(b, nb, 20 + (uint64_t)i);
            reference(&f->s, a, b, f->want);
            f->a = clCreateBuffer(dev->cl_ctx, CL_MEM_COPY_HOST_PTR, na * 4, a, &err);
            if (err == CL_SUCCESS)
                f->b = clCreateBuffer(dev->cl_ctx, CL_MEM_COPY_HOST_PTR, nb * 4, b, &err);
            /* y starts as zeros: CLBlast's GEMV reads y even with beta 0 (0 * NaN garbage
             * would be NaN) */
            memset(f->got, 0, f->ny * sizeof *f->got);
            if (err == CL_SUCCESS)
                f->y = clCreateBuffer(dev->cl_ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                      f->ny * 4, f->got, &err);
            if (err != CL_SUCCESS) st = clnn_fail_cl(ctx, err, "tuner: FC device buffers");
        }
        free(a), free(b);
    }
    /* CLBlast's own parameters: the baseline of the whole run. */
    for (int i = 0; i < F.nf && st == CLNN_STATUS_OK; i++) {
        F.f[i].untuned_ms = check_and_time(&F, &F.f[i], why, sizeof why);
        if (F.f[i].untuned_ms < 0)
            st = clnn_fail(ctx, CLNN_STATUS_CLBLAST_ERROR,
                           "tuner: CLBlast with its own parameters fails: %s", why);
    }
    int nk = 0;
    const clnn_clblast_kernel *ks[8];
    for (size_t i = 0; i < clnn_clblast_kernel_count; i++) {
        bool any = false;
        for (int j = 0; j < F.nf; j++) any |= uses(&clnn_clblast_kernels[i], &F.f[j]);
        if (any) ks[nk++] = &clnn_clblast_kernels[i];
    }
    for (int i = 0; i < nk && st == CLNN_STATUS_OK && !stopped(&F); i++) {
        /* The rest of the budget, shared by the kernels left; GEMM kernels weigh double. */
        double left = opt->budget_s - (clnn_now() - F.t0), w = 0, wi = ks[i]->one_row ? 1 : 2;
        for (int j = i; j < nk; j++) w += ks[j]->one_row ? 1 : 2;
        F.prog.candidates = F.prog.rejected = 0;
        F.prog.best_ms = 0;
        F.prog.default_ms = 1.0;
        st = tune_kernel(&F, ks[i], clnn_now() + (left > 0 ? left * wi / w : 0), db);
    }
    /* The result with every tuned kernel in place, beside the baseline. */
    for (int i = 0; i < F.nf && st == CLNN_STATUS_OK; i++) {
        F.f[i].ms = check_and_time(&F, &F.f[i], why, sizeof why);
        if (report) {
            report[i].shape = F.f[i].s;
            report[i].default_ms = F.f[i].untuned_ms;
            report[i].tuned_ms = F.f[i].ms;
        }
        for (size_t e = 0; e < db->nclblast; e++)
            for (int j = 0; j < db->clblast[e].nshapes; j++) {
                clnn_tune_fc_shape *s = &db->clblast[e].shapes[j];
                if (s->m == F.f[i].s.m && s->n == F.f[i].s.n && s->k == F.f[i].s.k &&
                    s->trans_b == F.f[i].s.trans_b && F.f[i].ms > 0)
                    s->ms = F.f[i].ms;
            }
    }
    for (int i = 0; i < F.nf; i++) {
        if (F.f[i].a) clReleaseMemObject(F.f[i].a);
        if (F.f[i].b) clReleaseMemObject(F.f[i].b);
        if (F.f[i].y) clReleaseMemObject(F.f[i].y);
        free(F.f[i].want), free(F.f[i].got);
    }
    free(F.f);
    return st;
}
