/*
 * tune.c - `clnn-bench tune`: the kernel tuner. For each convolution layer shape (a layer
 * file, or every Conv of an ONNX model) at each batch size, it searches the algorithms and
 * their knobs by measurement (lib/tuner/search.c) within a time budget shared equally by the
 * layers (smaller batches first, their results seeding the larger), and for FC layers
 * CLBlast's kernel parameters (lib/tuner/search_fc.c). Results go to the device's tuning
 * database (lib/tune/db.c), saved after every layer: an interrupted run (Ctrl-C, SIGTERM) keeps what it measured and the
 * same command resumes it.
 */
#include "bench.h"

#include "../lib/ops/layer.h"
#include "../lib/tuner/search.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A convolution or FC layer to tune. */
typedef struct tune_job {
    char name[64];
    clnn_conv_params p;
} tune_job;

typedef struct job_list {
    tune_job *v;
    int n, cap;
    clnn_tune_fc_layer fc[64];
    char fc_names[64][64];
    int nfc;
} job_list;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clnn-bench tune [--device SEL] [--layers FILE | --model MODEL.onnx]\n"
            "                       [--batch LIST] [--budget SECONDS] [--fc] [--restart]\n"
            "                       [--out FILE] [--seed N]\n"
            "\n"
            "Tunes convolutions on one device: for each layer of FILE (default\n"
            "bench/conv_layers.csv) or each Conv of MODEL at each batch size (default 1,32), it\n"
            "measures every applicable algorithm (direct, gemm1x1, winograd2x2, winograd4x4, depthwise)\n"
            "with its default knobs, then random knob settings and a local search around the\n"
            "best. Every candidate is checked first, on a cropped copy of the layer against the\n"
            "C reference and at full size against the default configuration; one that fails to\n"
            "build or is wrong is recorded as rejected. The budget (default 1200 s) is shared\n"
            "equally by the layers (time one leaves unused goes to the rest); each starts from\n"
            "the best settings of the nearest layers tuned before it (smaller batches first).\n"
            "\n"
            "--fc tunes CLBlast's kernels for FC layers 4096x9216, 4096x4096 and 1000x2048 at\n"
            "each batch (alone, unless --layers or --model is also given); a model's Gemm and\n"
            "MatMul layers are tuned with its convolutions. FC tuning gets a quarter of the\n"
            "budget when convolutions are tuned too.\n"
            "\n"
            "Results go to the device's tuning database in the cache folder (or --out FILE),\n"
            "saved after each layer. Layers already tuned there are skipped unless --restart.\n"
            "Ctrl-C finishes the current candidate, saves and exits; the same command resumes.\n");
}

/* Batch sizes, ascending: a layer tuned at a small batch seeds it at the larger ones. */
static int parse_batches(const char *s, int *v, int max)
{
    int n = bench_parse_sizes(s, v, max);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    return n;
}

static bool add_job(job_list *L, const char *name, const clnn_conv_params *p)
{
    clnn_tune_shape key, other;
    clnn_tune_shape_of(p, &key);
    for (int i = 0; i < L->n; i++) {
        clnn_tune_shape_of(&L->v[i].p, &other);
        if (clnn_tune_shape_equal(&key, &other)) return true; /* one entry per shape */
    }
    if (L->n == L->cap) {
        int cap = L->cap ? L->cap * 2 : 32;
        tune_job *v = realloc(L->v, (size_t)cap * sizeof *v);
        if (!v) return false;
        L->v = v;
        L->cap = cap;
    }
    tune_job *j = &L->v[L->n++];
    snprintf(j->name, sizeof j->name, "%s", name);
    j->p = *p;
    return true;
}

static void add_fc(job_list *L, const char *name, int m, int n, int k, bool trans_b)
{
    for (int i = 0; i < L->nfc; i++)
        if (L->fc[i].m == m && L->fc[i].n == n && L->fc[i].k == k && L->fc[i].trans_b == trans_b)
            return;
    if (L->nfc == 64) return;
    snprintf(L->fc_names[L->nfc], sizeof L->fc_names[0], "%s", name);
    L->fc[L->nfc++] = (clnn_tune_fc_layer){m, n, k, trans_b};
}

/* Every Conv (and Gemm/MatMul) of a model at a batch, after the session's passes (BatchNorm
 * folded, activations fused: the layers as a session prepares them). */
static int model_jobs(const char *path, const int *batches, int nb, job_list *L)
{
    clnn_graph *g = NULL;
    if (clnn_graph_load_onnx(path, &g) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-bench tune: %s\n", clnn_last_error());
        return -1;
    }
    int rc = 0;
    for (int b = 0; b < nb && rc == 0; b++) {
        clnn_compiled *cg = NULL;
        clnn_status st = clnn_graph_compile(g, batches[b], true, &cg);
        if (st != CLNN_STATUS_OK) {
            fprintf(stderr, "clnn-bench tune: %s at batch %d: %s\n", path, batches[b],
                    clnn_last_error());
            rc = -1;
        }
        for (int i = 0; rc == 0 && cg && i < cg->norder; i++) {
            const gnode *n = &cg->g->nodes[cg->order[i]];
            clnn_conv_params p;
            int m, nn, k;
            bool tb;
            if (n->op == OP_CONV) {
                if (clnn_node_conv_params(cg->g, n, &p) == CLNN_STATUS_OK && !add_job(L, n->name, &p))
                    rc = -1;
            } else if (clnn_node_fc_shape(cg->g, n, &m, &nn, &k, &tb)) {
                add_fc(L, n->name, m, nn, k, tb);
            }
        }
        clnn_compiled_destroy(cg);
    }
    clnn_graph_destroy(g);
    return rc;
}

/* ---- progress --------------------------------------------------------------------------- */

typedef struct progress_state {
    bool tty;
    int index, total;
    const char *layer;
    int batch;
    double run_t0, run_budget; /* whole run */
    double last_best;
    bool fc;
} progress_state;

static void fmt_time(double s, char *out, size_t cap)
{
    if (s < 0) s = 0;
    if (s >= 60)
        snprintf(out, cap, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(out, cap, "%ds", (int)s);
}

static void on_progress(const clnn_tune_progress *p, void *user)
{
    progress_state *ps = user;
    char left[32];
    fmt_time(ps->run_budget - (bench_now() - ps->run_t0), left, sizeof left);
    double speedup = p->best_ms > 0 && p->default_ms > 0 ? p->default_ms / p->best_ms : 0;
    if (ps->tty) {
        /* One line redrawn in place: layer i/n, candidates, best speedup, time left. */
        int width = 24, done = (int)(width * fmin(1.0, (bench_now() - ps->run_t0) / ps->run_budget));
        char bar[32];
        for (int i = 0; i < width; i++) bar[i] = i < done ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r\033[K[%s] %d/%d %.24s b%d: %d cand (%d rej), best %.2fx, ~%s left",
                bar, ps->index, ps->total, ps->layer, ps->batch, p->candidates, p->rejected,
                speedup, left);
        if (p->rejection) fprintf(stderr, "\n  rejected %s: %s\n", p->last, p->rejection);
    } else {
        /* Plain lines for logs: improvements and rejections only. */
        if (p->rejection)
            fprintf(stderr, "  %d/%d %s b%d: rejected %s: %s\n", ps->index, ps->total, ps->layer,
                    ps->batch, p->last, p->rejection);
        else if (p->best_ms > 0 && p->best_ms != ps->last_best)
            fprintf(stderr, "  %d/%d %s b%d: %d candidates, best %.2fx (%s), ~%s left\n",
                    ps->index, ps->total, ps->layer, ps->batch, p->candidates, speedup, p->last,
                    left);
    }
    ps->last_best = p->best_ms;
    fflush(stderr);
}

static void end_line(const progress_state *ps)
{
    if (ps->tty) fprintf(stderr, "\r\033[K");
}

/* ---- the run ------------------------------------------------------------------------------ */

static double geomean_ratio(const clnn_tune_db *db, int batch, int *count)
{
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < db->nconv; i++) {
        const clnn_tune_conv *e = &db->conv[i];
        if (e->shape.batch != batch || e->default_ms <= 0) continue;
        sum += log(e->default_ms / e->results[e->best].ms);
        n++;
    }
    *count = n;
    return n ? exp(sum / n) : 0;
}

static int save(const clnn_tune_db *db, const char *path)
{
    if (clnn_tune_db_save(db, path) == CLNN_STATUS_OK) return 0;
    fprintf(stderr, "clnn-bench tune: %s\n", clnn_last_error());
    return -1;
}

int bench_tune(int argc, char **argv)
{
    const char *device = NULL, *layers_path = NULL, *model = NULL, *out_path = NULL;
    int batches[8] = {1, 32}, nbatches = 2;
    double budget = 1200;
    bool fc = false, restart = false;
    uint64_t seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--device") && v) {
            device = v, i++;
        } else if (!strcmp(a, "--layers") && v) {
            layers_path = v, i++;
        } else if (!strcmp(a, "--model") && v) {
            model = v, i++;
        } else if (!strcmp(a, "--out") && v) {
            out_path = v, i++;
        } else if (!strcmp(a, "--batch") && v) {
            nbatches = parse_batches(v, batches, 8), i++;
            if (nbatches < 1) {
                fprintf(stderr, "clnn-bench tune: --batch takes a comma list of up to 8 sizes "
                                "in 1..4096, e.g. 1,32\n");
                return 2;
            }
        } else if (!strcmp(a, "--budget") && v) {
            char *end;
            budget = strtod(v, &end), i++;
            if (*end || !(budget >= 1 && budget <= 1e6)) {
                fprintf(stderr, "clnn-bench tune: --budget takes seconds in [1, 1000000]\n");
                return 2;
            }
        } else if (!strcmp(a, "--seed") && v) {
            seed = strtoull(v, NULL, 10), i++;
        } else if (!strcmp(a, "--fc")) {
            fc = true;
        } else if (!strcmp(a, "--restart")) {
            restart = true;
        } else {
            fprintf(stderr, "clnn-bench tune: unknown or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (layers_path && model) {
        fprintf(stderr, "clnn-bench tune: give --layers or --model, not both\n");
        return 2;
    }

    job_list jobs;
    memset(&jobs, 0, sizeof jobs);
    const bool conv_wanted = layers_path || model || !fc;
    if (model) {
        if (model_jobs(model, batches, nbatches, &jobs) != 0) {
            free(jobs.v);
            return 1;
        }
    } else if (conv_wanted) {
        bench_layer *layers = NULL;
        int nlayers = 0;
        if (bench_parse_layers(layers_path ? layers_path : bench_default_layers(), &layers,
                               &nlayers) != 0)
            return 1;
        for (int b = 0; b < nbatches; b++)
            for (int i = 0; i < nlayers; i++) {
                clnn_conv_params p = bench_layer_params(&layers[i], batches[b]);
                if (clnn_conv_output_size(&p, NULL, NULL) != CLNN_STATUS_OK) {
                    fprintf(stderr, "clnn-bench tune: layer %s: %s\n", layers[i].name,
                            clnn_last_error());
                    free(layers), free(jobs.v);
                    return 1;
                }
                add_job(&jobs, layers[i].name, &p);
            }
        free(layers);
    }
    if (fc) {
        static const int shapes[3][2] = {{4096, 9216}, {4096, 4096}, {1000, 2048}};
        static const char *names[3] = {"fc_4096x9216", "fc_4096x4096", "fc_1000x2048"};
        for (int b = 0; b < nbatches; b++)
            for (int i = 0; i < 3; i++) add_fc(&jobs, names[i], batches[b], shapes[i][0], shapes[i][1], true);
    }

    clnn_context *ctx = NULL;
    if (clnn_context_create(device, &ctx) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-bench tune: %s\n", clnn_last_error());
        free(jobs.v);
        return 1;
    }
    int rc = 0;
    clnn_tune_db *db = NULL;
    char *path = NULL;
    clnn_device_info info;
    clnn_context_device_info(ctx, 0, &info);
    if (clnn_context_device_count(ctx) != 1) {
        fprintf(stderr, "clnn-bench tune: the selection gives %zu devices; tune one at a time "
                        "(e.g. --device 0:0, as clnn-info lists them)\n",
                clnn_context_device_count(ctx));
        rc = 1;
        goto out;
    }
    path = out_path ? strdup(out_path) : clnn_tune_db_path(clnn_context_cache_dir(ctx), &info);
    if (!path) {
        fprintf(stderr, "clnn-bench tune: no cache folder to keep the database in (see the "
                        "warning above): set CLNN_CACHE_DIR or give --out FILE\n");
        rc = 1;
        goto out;
    }
    if (access(path, F_OK) == 0) {
        char why[512];
        if (!clnn_tune_db_load_file(path, &info, &db, why, sizeof why) ||
            !clnn_tune_db_is_for(db, &info)) {
            if (db) snprintf(why, sizeof why, "it belongs to '%s', driver %s", db->device, db->driver);
            clnn_tune_db_free(db);
            db = NULL;
            if (!restart) {
                fprintf(stderr, "clnn-bench tune: the database '%s' is unusable (%s); rerun with "
                                "--restart to replace it\n", path, why);
                rc = 1;
                goto out;
            }
            fprintf(stderr, "clnn-bench tune: replacing the unusable database '%s' (%s)\n", path,
                    why);
        }
    }
    if (!db && clnn_tune_db_new(&info, &db) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-bench tune: %s\n", clnn_last_error());
        rc = 1;
        goto out;
    }

    /* Layers left to do, and the budget split. */
    int todo = 0;
    bool *skip = calloc((size_t)jobs.n + 1, sizeof *skip);
    if (!skip) {
        rc = 1;
        goto out;
    }
    for (int i = 0; i < jobs.n; i++) {
        clnn_tune_shape key;
        clnn_tune_shape_of(&jobs.v[i].p, &key);
        const clnn_tune_conv *e = clnn_tune_db_find(db, &key);
        skip[i] = e && e->complete && !restart;
        todo += !skip[i];
    }
    const double fc_budget = jobs.nfc == 0 ? 0 : (todo ? budget / 4 : budget);
    const double conv_budget = budget - fc_budget;
    fprintf(stderr, "clnn-bench tune: '%s' (%s, driver %s)\n  %d convolution layer shape(s), "
                    "%d to tune, %d FC shape(s); budget %.0f s; database %s\n",
            info.name, info.platform_name, info.driver_version, jobs.n, todo, jobs.nfc, budget,
            path);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    struct sigaction old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    progress_state ps = {.tty = isatty(STDERR_FILENO), .total = todo, .run_t0 = bench_now(),
                         .run_budget = budget};
    const double t_start = bench_now();
    /* Every layer counts the same in a geometric mean, so each gets an equal share of what is
     * left (recomputed as layers finish early or late: a search that converges gives its rest
     * to the others). Big layers make up with fewer, longer candidates and with the seeds of
     * the layers tuned before them (the same layer at a smaller batch comes first). */
    int done = 0;
    for (int i = 0; i < jobs.n && !stop_requested && rc == 0; i++) {
        if (skip[i]) continue;
        double left = conv_budget - (bench_now() - t_start);
        int n_left = 0;
        for (int j = i; j < jobs.n; j++) n_left += !skip[j];
        double slice = left / n_left;
        if (slice < 1) slice = 1;
        clnn_tune_options opt = {.budget_s = slice, .seed = seed + (uint64_t)i + 1, .prior = db,
                                 .stop = &stop_requested, .progress = on_progress, .user = &ps};
        ps.index = ++done;
        ps.layer = jobs.v[i].name;
        ps.batch = jobs.v[i].p.batch;
        ps.last_best = 0;
        ps.fc = false;
        clnn_tune_conv *entry = malloc(sizeof *entry);
        const double t_layer = bench_now();
        clnn_status st = entry ? clnn_tune_conv_layer(ctx, 0, &jobs.v[i].p, jobs.v[i].name, &opt,
                                                      entry)
                               : CLNN_STATUS_OUT_OF_HOST_MEMORY;
        end_line(&ps);
        if (st == CLNN_STATUS_OK) st = clnn_tune_db_put(db, entry);
        if (st != CLNN_STATUS_OK) {
            fprintf(stderr, "clnn-bench tune: layer %s batch %d: %s\n", jobs.v[i].name,
                    jobs.v[i].p.batch, clnn_last_error());
            rc = 1;
        } else {
            const clnn_tune_result *r = &entry->results[entry->best];
            char k[128];
            clnn_knobs_describe(r->algo, &r->knobs, k, sizeof k);
            int tried = entry->rejects_total;
            for (int j = 0; j < entry->nresults; j++) tried += entry->results[j].tried;
            fprintf(stderr, "[%d/%d] %s b%d: default %.3f ms, tuned %.3f ms (%.2fx) %s %s; "
                            "%d candidates, %d rejected, %.0f s%s\n",
                    done, todo, jobs.v[i].name, jobs.v[i].p.batch, entry->default_ms, r->ms,
                    entry->default_ms / r->ms, clnn_conv_algo_name(r->algo), k, tried,
                    entry->rejects_total, bench_now() - t_layer,
                    entry->complete ? "" : " (interrupted: resumed next time)");
            if (save(db, path) != 0) rc = 1;
        }
        free(entry);
    }
    free(skip);

    if (jobs.nfc && !stop_requested && rc == 0) {
        double left = budget - (bench_now() - t_start);
        if (left < fc_budget) left = fc_budget; /* the convolutions overran: FC keeps its share */
        clnn_tune_options opt = {.budget_s = left, .seed = seed + 1000, .stop = &stop_requested,
                                 .progress = on_progress, .user = &ps};
        ps.index = 1;
        ps.total = 1;
        ps.layer = "CLBlast FC";
        ps.batch = 0;
        ps.fc = true;
        clnn_tune_fc_report report[64];
        fprintf(stderr, "tuning CLBlast for %d FC shape(s), %.0f s\n", jobs.nfc, left);
        clnn_status st = clnn_tune_clblast_layers(ctx, 0, jobs.fc, jobs.nfc, &opt, db, report);
        end_line(&ps);
        if (st != CLNN_STATUS_OK) {
            fprintf(stderr, "clnn-bench tune: FC layers: %s\n", clnn_last_error());
            rc = 1;
        } else {
            double lsum = 0;
            printf("# CLBlast on '%s': FC layers, CLBlast's own parameters vs tuned, same run\n",
                   info.name);
            printf("fc,m,n,k,trans_b,default_ms,tuned_ms,speedup\n");
            for (int j = 0; j < jobs.nfc; j++) {
                const clnn_tune_fc_report *r = &report[j];
                printf("%s,%d,%d,%d,%d,%.4f,%.4f,%.3f\n", jobs.fc_names[j], r->shape.m,
                       r->shape.n, r->shape.k, r->shape.trans_b, r->default_ms, r->tuned_ms,
                       r->default_ms / r->tuned_ms);
                lsum += log(r->default_ms / r->tuned_ms);
            }
            printf("# FC geometric mean: tuned %.2fx CLBlast's own parameters over %d shapes\n",
                   exp(lsum / jobs.nfc), jobs.nfc);
            for (size_t e = 0; e < db->nclblast; e++) {
                printf("# %s:", db->clblast[e].kernel);
                for (int j = 0; j < db->clblast[e].nparams; j++)
                    printf(" %s=%zu", db->clblast[e].names[j], db->clblast[e].values[j]);
                printf("\n");
            }
            if (save(db, path) != 0) rc = 1;
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    /* Summary over everything the database holds for these batches. */
    printf("# tuning database %s: %zu convolution entries, %zu CLBlast kernels; %.0f s this run\n",
           path, db->nconv, db->nclblast, bench_now() - t_start);
    for (int b = 0; b < nbatches; b++) {
        int n = 0;
        double g = geomean_ratio(db, batches[b], &n);
        if (n) printf("# batch %d: tuned %.2fx the defaults (geometric mean over %d layers)\n",
                      batches[b], g, n);
    }
    if (stop_requested)
        fprintf(stderr, "clnn-bench tune: interrupted; what was measured is saved in %s. Run "
                        "the same command again to resume.\n", path);
out:
    clnn_tune_db_free(db);
    free(path);
    clnn_context_destroy(ctx);
    free(jobs.v);
    return rc;
}
