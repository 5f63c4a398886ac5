/*
 * conv.c - `clnn-bench conv`: times every applicable convolution algorithm on each layer of
 * a layer file (default bench/conv_layers.csv) beside CLBlast's ConvGemm on the same layer,
 * in the same run, and pooling layers in GB/s. Writes CSV (stdout or --csv) and optionally a
 * PNG plot through scripts/plot_bench.py. With --compare: the built-in defaults against the
 * tuning database against ConvGemm per layer (plot: scripts/plot_compare.py).
 */
#include "bench.h"

#include "../lib/ops/conv.h"
#include "../lib/tuner/search.h"

#include <clblast_c.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int bench_parse_layers(const char *path, bench_layer **out, int *count)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "clnn-bench: cannot open layer file '%s': %s\n", path, strerror(errno));
        return -1;
    }
    int cap = 16, n = 0;
    bench_layer *v = malloc((size_t)cap * sizeof *v);
    char line[1024];
    int lineno = 0;
    while (v && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '#' || *s == '\n' || *s == '\0') continue;
        bench_layer L;
        memset(&L, 0, sizeof L);
        int used = 0;
        if (sscanf(s, "%63[^,],%d,%d,%d,%d,%d,%d,%d,%d%n", L.name, &L.c, &L.h, &L.w, &L.k, &L.r,
                   &L.s, &L.stride, &L.pad, &used) != 9 ||
            L.c < 1 || L.h < 1 || L.w < 1 || L.k < 1 || L.r < 1 || L.s < 1 || L.stride < 1 ||
            L.pad < 0) {
            fprintf(stderr,
                    "clnn-bench: %s:%d: expected name,C,H,W,K,R,S,stride,pad[,groups][,source] "
                    "with positive sizes\n",
                    path, lineno);
            free(v);
            fclose(f);
            return -1;
        }
        L.groups = 1;
        const char *g = s + used;
        if (*g == ',') {
            g++;
            size_t digits = strspn(g, "0123456789");
            if (digits > 0 && (g[digits] == ',' || g[digits] == '\n' || g[digits] == '\r' ||
                               g[digits] == '\0')) {
                L.groups = digits <= 6 ? atoi(g) : 0;
                if (L.groups < 1 || L.c % L.groups || L.k % L.groups) {
                    fprintf(stderr,
                            "clnn-bench: %s:%d: groups must be >= 1 and divide C and K\n",
                            path, lineno);
                    free(v);
                    fclose(f);
                    return -1;
                }
            }
        }
        if (n == cap) {
            bench_layer *b = realloc(v, (size_t)(cap *= 2) * sizeof *v);
            if (!b) break;
            v = b;
        }
        v[n++] = L;
    }
    fclose(f);
    if (!v || n == 0) {
        fprintf(stderr, "clnn-bench: no layers in '%s'\n", path);
        free(v);
        return -1;
    }
    *out = v;
    *count = n;
    return 0;
}

clnn_conv_params bench_layer_params(const bench_layer *L, int batch)
{
    clnn_conv_params p;
    memset(&p, 0, sizeof p);
    p.batch = batch;
    p.in_channels = L->c;
    p.in_height = L->h;
    p.in_width = L->w;
    p.out_channels = L->k;
    p.kernel_h = L->r;
    p.kernel_w = L->s;
    p.stride_h = p.stride_w = L->stride;
    p.groups = L->groups > 0 ? L->groups : 1;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = L->pad;
    p.has_bias = true;
    p.activation = CLNN_ACTIVATION_RELU;
    return p;
}

double bench_time(cl_command_queue q, double min_time, int (*run)(void *), void *arg)
{
    if (run(arg) != 0) return -1; /* warm-up: first-launch compilation in some drivers */
    clFinish(q);
    double samples[64];
    int ns = 0;
    double t_total = bench_now();
    int iters = 1;
    while (ns < 64) {
        double t0 = bench_now();
        for (int i = 0; i < iters; i++)
            if (run(arg) != 0) return -1;
        clFinish(q);
        double dt = (bench_now() - t0) / iters;
        samples[ns++] = dt;
        if (dt * iters < 0.02 && iters < 1024) iters *= 2;
        if (ns >= 3 && bench_now() - t_total > min_time) break;
    }
    return bench_median(samples, ns);
}

typedef struct conv_run {
    clnn_conv *conv;
    cl_mem in, out;
} conv_run;

static int run_conv(void *arg)
{
    conv_run *r = arg;
    return clnn_conv_enqueue(r->conv, NULL, r->in, NULL, r->out, 0, NULL, NULL) == CLNN_STATUS_OK
               ? 0
               : -1;
}

typedef struct clblast_run {
    const clnn_conv_params *p;
    cl_command_queue q;
    cl_mem in, w, out;
    int status;
} clblast_run;

static int run_clblast(void *arg)
{
    clblast_run *r = arg;
    const clnn_conv_params *p = r->p;
    r->status = CLBlastSconvgemm(CLBlastKernelModeCrossCorrelation, (size_t)p->in_channels,
                                 (size_t)p->in_height, (size_t)p->in_width,
                                 (size_t)p->kernel_h, (size_t)p->kernel_w,
                                 (size_t)p->pad_top, (size_t)p->pad_left,
                                 (size_t)p->stride_h, (size_t)p->stride_w, 1, 1,
                                 (size_t)p->out_channels, (size_t)p->batch, r->in, 0, r->w, 0,
                                 r->out, 0, &r->q, NULL);
    return r->status == CLBlastSuccess ? 0 : -1;
}

static cl_mem random_buffer(cl_context c, size_t count, uint32_t seed)
{
    float *h = malloc(count * sizeof *h);
    if (!h) return NULL;
    uint64_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < count; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        h[i] = (float)((s >> 40) & 0xFFFF) / 32768.0f - 1.0f;
    }
    cl_int err;
    cl_mem m = clCreateBuffer(c, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, count * sizeof *h, h,
                              &err);
    free(h);
    return err == CL_SUCCESS ? m : NULL;
}

/* One layer of the suite at one batch: its parameters, FLOP count, device buffers with
 * random contents and the weights on the host (what clnn_conv_create takes). */
typedef struct layer_data {
    clnn_conv_params p;
    double flop;
    cl_mem in, wbuf, obuf;
    float *w, *bias;
} layer_data;

/* 0 when ready; otherwise says why on stderr and returns 1 (layer_data_free still applies). */
static int layer_data_init(cl_context clctx, cl_command_queue q, const bench_layer *L, int batch,
                           layer_data *d)
{
    memset(d, 0, sizeof *d);
    d->p = bench_layer_params(L, batch);
    const clnn_conv_params *p = &d->p;
    int P, Q;
    if (clnn_conv_output_size(p, &P, &Q) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-bench conv: layer %s: %s\n", L->name, clnn_last_error());
        return 1;
    }
    d->flop = 2.0 * p->batch * p->out_channels * (p->in_channels / p->groups) * p->kernel_h *
              p->kernel_w * P * Q;
    size_t nin = (size_t)p->batch * p->in_channels * p->in_height * p->in_width;
    size_t nout = (size_t)p->batch * p->out_channels * P * Q;
    size_t nw = (size_t)p->out_channels * p->in_channels * p->kernel_h * p->kernel_w;
    d->in = random_buffer(clctx, nin, 1);
    d->wbuf = random_buffer(clctx, nw, 2);
    d->obuf = random_buffer(clctx, nout, 3);
    d->w = malloc(nw * sizeof *d->w);
    d->bias = calloc((size_t)p->out_channels, sizeof *d->bias);
    if (!d->in || !d->wbuf || !d->obuf || !d->w || !d->bias ||
        clEnqueueReadBuffer(q, d->wbuf, CL_TRUE, 0, nw * sizeof *d->w, d->w, 0, NULL, NULL) !=
            CL_SUCCESS) {
        fprintf(stderr, "clnn-bench conv: layer %s batch %d: out of memory\n", L->name, batch);
        return 1;
    }
    return 0;
}

static void layer_data_free(layer_data *d)
{
    if (d->in) clReleaseMemObject(d->in);
    if (d->wbuf) clReleaseMemObject(d->wbuf);
    if (d->obuf) clReleaseMemObject(d->obuf);
    free(d->w);
    free(d->bias);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clnn-bench conv [--device SEL] [--layers FILE] [--batch LIST]\n"
            "                       [--algo LIST] [--min-time S] [--csv FILE] [--plot FILE.png]\n"
            "                       [--no-clblast] [--no-pool] [--compare]\n"
            "\n"
            "Times each applicable convolution algorithm (direct, gemm1x1, winograd2x2,\n"
            "winograd4x4, depthwise; --algo all or a comma list) on every layer of FILE (default\n"
            "bench/conv_layers.csv: name,C,H,W,K,R,S,stride,pad) at each batch size (default\n"
            "1,32), beside CLBlast's ConvGemm on the same layer. GFLOP/s use the direct\n"
            "count 2*N*K*C*R*S*P*Q. Then pooling layers in GB/s. Prints CSV rows\n"
            "kind,layer,batch,algo,config,ms,gflops,vs_clblast and a summary of the geometric\n"
            "mean ratio of the best algorithm per layer to ConvGemm.\n"
            "\n"
            "--compare: per layer and batch, the built-in defaults (heuristic algorithm, default\n"
            "knobs, every tuning database ignored) against the tuned configuration (the\n"
            "device's tuning database, as the library uses it) against CLBlast's ConvGemm:\n"
            "rows compare,layer,batch,default_config,default_ms,tuned_config,tuned_ms,\n"
            "clblast_ms,default_gflops,tuned_gflops,clblast_gflops,tuned_vs_default,\n"
            "tuned_vs_clblast and geometric means per batch (no pooling).\n");
}

/* The --compare suite: defaults vs tuning database vs ConvGemm, each timed in this run. */
static int compare_suite(clnn_context *ctx, const bench_layer *layers, int nlayers,
                         const int *batches, int nbatches, double min_time, bool with_clblast,
                         FILE *out)
{
    const clnn_tune_db *db = clnn_tune_db_of(ctx, &ctx->devices[0]);
    fprintf(out, "# tuned: %s (%zu convolution entries)\n",
            db ? db->origin : "no tuning database: the defaults", db ? db->nconv : 0);
    fprintf(out, "kind,layer,batch,default_config,default_ms,tuned_config,tuned_ms,clblast_ms,"
                 "default_gflops,tuned_gflops,clblast_gflops,tuned_vs_default,tuned_vs_clblast\n");
    cl_context clctx;
    cl_command_queue q;
    clnn_context_cl_handles(ctx, 0, &clctx, NULL, &q);
    int rc = 0;
    for (int bi = 0; bi < nbatches; bi++) {
        double lsum[3] = {0, 0, 0}, lratio[2] = {0, 0};
        int n = 0, nclb = 0;
        for (int li = 0; li < nlayers; li++) {
            const bench_layer *L = &layers[li];
            layer_data d;
            clnn_conv *def = NULL, *tuned = NULL;
            double ms[3] = {-1, -1, -1};
            if (layer_data_init(clctx, q, L, batches[bi], &d) != 0) {
                layer_data_free(&d);
                rc = 1;
                continue;
            }
            const clnn_conv_params p = d.p;
            const double flop = d.flop;
            cl_mem in = d.in, wbuf = d.wbuf, obuf = d.obuf;
            const float *w = d.w, *bias = d.bias;
            /* Built-in defaults: create_knobs with no setting ignores every database. */
            if (clnn_conv_create_knobs(ctx, 0, &p, CLNN_CONV_ALGO_AUTO, NULL, w, bias, &def) !=
                    CLNN_STATUS_OK ||
                clnn_conv_create(ctx, 0, &p, CLNN_CONV_ALGO_AUTO, w, bias, &tuned) !=
                    CLNN_STATUS_OK) {
                fprintf(stderr, "clnn-bench conv: %s: %s\n", L->name, clnn_last_error());
                rc = 1;
                goto next;
            }
            /* Timed as the tuner times (clnn_tune_time), alternating defaults and tuned twice
             * and keeping each one's better median, so that a passing disturbance does not
             * decide a ratio. */
            conv_run rd = {def, in, obuf}, rt = {tuned, in, obuf};
            for (int round = 0; round < 2; round++)
                for (int k = 0; k < 2; k++) {
                    double t = clnn_tune_time(q, run_conv, k ? (void *)&rt : (void *)&rd,
                                              min_time / 2, 0);
                    if (t < 0 || (round && ms[k] < 0)) {
                        ms[k] = -1;
                        continue;
                    }
                    if (!round || t < ms[k]) ms[k] = t;
                }
            if (with_clblast && p.groups == 1) { /* ConvGemm has no groups */
                clblast_run cr = {&p, q, in, wbuf, obuf, 0};
                ms[2] = clnn_tune_time(q, run_clblast, &cr, min_time, 0);
            }
            if (ms[0] < 0 || ms[1] < 0) {
                fprintf(stderr, "clnn-bench conv: %s batch %d: a run failed: %s\n", L->name,
                        p.batch, clnn_last_error());
                rc = 1;
                goto next;
            }
            fprintf(out, "compare,%s,%d,\"%s\",%.4f,\"%s\",%.4f,%.4f,%.2f,%.2f,%.2f,%.3f,%.3f\n",
                    L->name, p.batch, clnn_conv_config(def), ms[0], clnn_conv_config(tuned), ms[1],
                    ms[2], flop / ms[0] * 1e-6, flop / ms[1] * 1e-6,
                    ms[2] > 0 ? flop / ms[2] * 1e-6 : 0.0, ms[0] / ms[1],
                    ms[2] > 0 ? ms[2] / ms[1] : 0.0);
            fflush(out);
            for (int k = 0; k < 2; k++) lsum[k] += log(flop / ms[k] * 1e-6);
            lratio[0] += log(ms[0] / ms[1]);
            n++;
            if (ms[2] > 0) {
                lsum[2] += log(flop / ms[2] * 1e-6);
                lratio[1] += log(ms[2] / ms[1]);
                nclb++;
            }
        next:
            clnn_conv_destroy(def);
            clnn_conv_destroy(tuned);
            layer_data_free(&d);
        }
        if (!n) continue;
        fprintf(out, "# batch %d, geometric means over %d layers: default %.1f GFLOP/s, tuned %.1f "
                     "GFLOP/s",
                batches[bi], n, exp(lsum[0] / n), exp(lsum[1] / n));
        if (nclb) fprintf(out, ", CLBlast ConvGemm %.1f GFLOP/s", exp(lsum[2] / nclb));
        fprintf(out, "; tuned/default %.3fx", exp(lratio[0] / n));
        if (nclb) fprintf(out, ", tuned/CLBlast %.2fx", exp(lratio[1] / nclb));
        fprintf(out, "\n");
        fflush(out);
    }
    return rc;
}

int bench_conv(int argc, char **argv)
{
    const char *device = "default", *layers_path = NULL, *csv_path = NULL, *plot = NULL;
    int batches[8] = {1, 32}, nbatches = 2;
    bool algo_on[CLNN_CONV_ALGO_COUNT] = {false, true, true, true, true, true};
    bool with_clblast = true, with_pool = true, compare = false;
    double min_time = 0.5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--device") && v) {
            device = v, i++;
        } else if (!strcmp(a, "--layers") && v) {
            layers_path = v, i++;
        } else if (!strcmp(a, "--csv") && v) {
            csv_path = v, i++;
        } else if (!strcmp(a, "--plot") && v) {
            plot = v, i++;
        } else if (!strcmp(a, "--min-time") && v) {
            min_time = atof(v), i++;
            if (!(min_time > 0 && min_time < 600)) {
                fprintf(stderr, "clnn-bench conv: --min-time must be in (0, 600) seconds\n");
                return 2;
            }
        } else if (!strcmp(a, "--batch") && v) {
            nbatches = bench_parse_sizes(v, batches, 8), i++;
            if (nbatches < 1) {
                fprintf(stderr, "clnn-bench conv: --batch takes a comma list of sizes 1..4096\n");
                return 2;
            }
        } else if (!strcmp(a, "--algo") && v) {
            i++;
            if (strcmp(v, "all") != 0) {
                memset(algo_on, 0, sizeof algo_on);
                char buf[256];
                snprintf(buf, sizeof buf, "%s", v);
                for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
                    int found = 0;
                    for (int k = 1; k < CLNN_CONV_ALGO_COUNT; k++)
                        if (!strcmp(t, clnn_conv_algo_name((clnn_conv_algo)k)))
                            algo_on[k] = true, found = 1;
                    if (!found) {
                        fprintf(stderr, "clnn-bench conv: unknown algorithm '%s' (direct, "
                                        "gemm1x1, winograd2x2, winograd4x4, depthwise, all)\n", t);
                        return 2;
                    }
                }
            }
        } else if (!strcmp(a, "--no-clblast")) {
            with_clblast = false;
        } else if (!strcmp(a, "--no-pool")) {
            with_pool = false;
        } else if (!strcmp(a, "--compare")) {
            compare = true;
        } else {
            fprintf(stderr, "clnn-bench conv: unknown or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    bench_layer *layers = NULL;
    int nlayers = 0;
    if (bench_parse_layers(layers_path ? layers_path : bench_default_layers(), &layers,
                           &nlayers) != 0)
        return 1;
    clnn_context *ctx = NULL;
    if (clnn_context_create(device, &ctx) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-bench conv: %s\n", clnn_last_error());
        free(layers);
        return 1;
    }
    FILE *out = stdout;
    if (csv_path && !(out = fopen(csv_path, "w"))) {
        fprintf(stderr, "clnn-bench conv: cannot write '%s': %s\n", csv_path, strerror(errno));
        clnn_context_destroy(ctx);
        free(layers);
        return 1;
    }
    clnn_device_info info;
    clnn_context_device_info(ctx, 0, &info);
    cl_context clctx;
    cl_command_queue q;
    clnn_context_cl_handles(ctx, 0, &clctx, NULL, &q);
    fprintf(out, "# clnn-bench conv on '%s' (%s, driver %s)\n", info.name, info.platform_name,
            info.driver_version);
    int rc = 0;
    if (compare) {
        rc = compare_suite(ctx, layers, nlayers, batches, nbatches, min_time, with_clblast, out);
        with_pool = false;
        nbatches = 0; /* the per-algorithm suite is not run */
    } else {
        fprintf(out, "kind,layer,batch,algo,config,ms,gflops,vs_clblast\n");
    }
    fflush(out);

    for (int bi = 0; bi < nbatches; bi++) {
        double log_ratio_sum = 0, log_best_sum = 0;
        int nratio = 0;
        for (int li = 0; li < nlayers; li++) {
            const bench_layer *L = &layers[li];
            layer_data d;
            if (layer_data_init(clctx, q, L, batches[bi], &d) != 0) {
                layer_data_free(&d);
                rc = 1;
                continue;
            }
            const clnn_conv_params p = d.p;
            const double flop = d.flop;
            cl_mem in = d.in, wbuf = d.wbuf, obuf = d.obuf;
            const float *w = d.w, *bias = d.bias;

            double clblast_ms = -1;
            if (with_clblast && p.groups == 1) { /* ConvGemm has no groups */
                clnn_conv_params pc = p;
                clblast_run cr = {&pc, q, in, wbuf, obuf, 0};
                double t = bench_time(q, min_time, run_clblast, &cr);
                if (t < 0) {
                    fprintf(stderr, "clnn-bench conv: CLBlast ConvGemm failed on %s (status %d)\n",
                            L->name, cr.status);
                } else {
                    clblast_ms = t * 1e3;
                    fprintf(out, "conv,%s,%d,clblast_convgemm,,%.4f,%.2f,1.000\n", L->name,
                            p.batch, clblast_ms, flop / t * 1e-9);
                }
            }
            double best_ms = -1;
            for (int a = 1; a < CLNN_CONV_ALGO_COUNT; a++) {
                if (!algo_on[a] || clnn_conv_algo_check(&p, (clnn_conv_algo)a) != CLNN_STATUS_OK)
                    continue;
                clnn_conv *conv = NULL;
                if (clnn_conv_create(ctx, 0, &p, (clnn_conv_algo)a, w, bias, &conv) !=
                    CLNN_STATUS_OK) {
                    fprintf(stderr, "clnn-bench conv: %s on %s: %s\n",
                            clnn_conv_algo_name((clnn_conv_algo)a), L->name, clnn_last_error());
                    rc = 1;
                    continue;
                }
                conv_run r = {conv, in, obuf};
                double t = bench_time(q, min_time, run_conv, &r);
                if (t < 0) {
                    fprintf(stderr, "clnn-bench conv: %s on %s: %s\n",
                            clnn_conv_algo_name((clnn_conv_algo)a), L->name, clnn_last_error());
                    rc = 1;
                } else {
                    double ms = t * 1e3;
                    fprintf(out, "conv,%s,%d,%s,\"%s\",%.4f,%.2f,%.3f\n", L->name, p.batch,
                            clnn_conv_algo_name((clnn_conv_algo)a), clnn_conv_config(conv), ms,
                            flop / t * 1e-9, clblast_ms > 0 ? clblast_ms / ms : 0.0);
                    if (best_ms < 0 || ms < best_ms) best_ms = ms;
                }
                fflush(out);
                clnn_conv_destroy(conv);
            }
            if (best_ms > 0 && clblast_ms > 0) {
                log_ratio_sum += log(clblast_ms / best_ms);
                nratio++;
            }
            if (best_ms > 0) log_best_sum += log(flop / (best_ms * 1e-3) * 1e-9);
            layer_data_free(&d);
        }
        fprintf(out, "# batch %d: best algorithm per layer, geometric mean %.1f GFLOP/s",
                batches[bi], exp(log_best_sum / nlayers));
        if (nratio)
            fprintf(out, ", %.2fx CLBlast ConvGemm over %d layers", exp(log_ratio_sum / nratio),
                    nratio);
        fprintf(out, "\n");
        fflush(out);
    }
    if (with_pool) rc |= bench_pool_suite(ctx, out, batches, nbatches, min_time);
    if (out != stdout) fclose(out);
    clnn_context_destroy(ctx);
    free(layers);
    if (plot) {
        if (!csv_path) {
            fprintf(stderr, "clnn-bench conv: --plot needs --csv\n");
            return 2;
        }
        rc |= bench_plot(compare ? "plot_compare.py" : "plot_bench.py", csv_path, plot);
    }
    return rc;
}
