/*
 * clnn-run - runs an ONNX model with clnn: NumPy .npy float32 in and out, top-5 classes,
 * timing over iterations, a per-layer profile, the memory plan, and per-layer verification
 * against the in-library C references.
 */
#include "clnn.h"
#include "npy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clnn-run MODEL.onnx [-i [NAME=]IN.npy]... [-o [NAME=]OUT.npy]... [--device SEL]\n"
            "                [--batch N] [--iters N] [--mode MODE] [--schedule] [--trace FILE]\n"
            "                [--profile] [--verbose] [--verify]\n"
            "\n"
            "Runs MODEL on the selected devices (default $CLNN_DEVICES, else the first GPU,\n"
            "else the first device).\n"
            "  -i [NAME=]FILE  float32 C-order .npy value of graph input NAME (a bare FILE: the\n"
            "               only input of a one-input model); one -i per input. The first\n"
            "               input's first dimension sets the batch. Without any -i every input\n"
            "               gets a seeded random value.\n"
            "  -o [NAME=]FILE  writes graph output NAME (a bare FILE: the first output) as\n"
            "               float32 .npy; one -o per output wanted\n"
            "  --batch N    batch size when no input file gives it (default: the model's)\n"
            "  --iters N    runs N more batches as a stream and prints ms per batch and\n"
            "               images/s\n"
            "  --mode MODE  how layers spread over the devices: auto (default; $CLNN_SCHEDULE),\n"
            "               single, latency or throughput\n"
            "  --schedule   the schedule chosen, and per layer: device, algorithm, predicted\n"
            "               and measured ms\n"
            "  --trace FILE writes the last run as a Chrome/Perfetto trace (JSON)\n"
            "  --profile    per-layer device times (layer, op, algorithm, device, ms, share)\n"
            "  --verbose    the layers after fusion and the activation memory plan\n"
            "  --verify     recomputes every layer with the C reference on the host and prints\n"
            "               each layer's error (tells a miscompiling driver from a model problem)\n"
            "Exit status: 0 on success, 1 on any failure, 2 on bad arguments.\n");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void top5(const float *v, int classes, int image)
{
    int best[5] = {-1, -1, -1, -1, -1};
    for (int c = 0; c < classes; c++)
        for (int k = 0; k < 5; k++)
            if (best[k] < 0 || v[c] > v[best[k]]) {
                memmove(best + k + 1, best + k, (size_t)(4 - k) * sizeof best[0]);
                best[k] = c;
                break;
            }
    printf("image %d top-5:", image);
    for (int k = 0; k < 5 && k < classes; k++) printf("  %d (%.4g)", best[k], v[best[k]]);
    printf("\n");
}

#define MAX_FILES 16

/* NAME=FILE or FILE (name NULL). */
typedef struct named_file {
    const char *name;
    char *path;
} named_file;

typedef struct args {
    const char *model, *device, *trace;
    named_file in[MAX_FILES], out[MAX_FILES];
    int nin, nout;
    int batch, iters;
    clnn_schedule_mode mode;
    bool profile, verbose, verify, schedule;
} args;

static int parse(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            usage(stdout);
            exit(0);
        } else if ((!strcmp(s, "-i") || !strcmp(s, "-o")) && v) {
            bool in = s[1] == 'i';
            int *k = in ? &a->nin : &a->nout;
            named_file *f = in ? a->in : a->out;
            if (*k == MAX_FILES) {
                fprintf(stderr, "clnn-run: at most %d %s files\n", MAX_FILES, in ? "input" : "output");
                return 2;
            }
            /* NAME=FILE when the text before '=' names no existing file of its own. */
            const char *eq = strchr(v, '=');
            f[*k].name = NULL;
            f[*k].path = (char *)v;
            if (eq && eq != v) {
                f[*k].name = strndup(v, (size_t)(eq - v));
                f[*k].path = (char *)eq + 1;
            }
            for (int j = 0; j < *k; j++)
                if ((f[j].name && f[*k].name && !strcmp(f[j].name, f[*k].name)) ||
                    (!f[j].name && !f[*k].name)) {
                    fprintf(stderr, "clnn-run: %s given twice for %s%s%s\n", s,
                            f[*k].name ? "'" : "the ", f[*k].name ? f[*k].name : "default",
                            f[*k].name ? "'" : "");
                    return 2;
                }
            (*k)++;
            i++;
        } else if (!strcmp(s, "--device") && v) {
            a->device = v, i++;
        } else if ((!strcmp(s, "--iters") || !strcmp(s, "--batch")) && v) {
            char *end;
            long x = strtol(v, &end, 10);
            if (*end || x < 1 || x > 1000000) {
                fprintf(stderr, "clnn-run: %s takes a positive integer, not '%s'\n", s, v);
                return 2;
            }
            if (!strcmp(s, "--iters")) a->iters = (int)x;
            else a->batch = (int)x;
            i++;
        } else if (!strcmp(s, "--mode") && v) {
            const char *names[] = {"auto", "single", "latency", "throughput"};
            int m = -1;
            for (int k = 0; k < 4; k++)
                if (!strcmp(v, names[k])) m = k;
            if (m < 0) {
                fprintf(stderr, "clnn-run: --mode takes auto, single, latency or throughput, "
                                "not '%s'\n", v);
                return 2;
            }
            a->mode = (clnn_schedule_mode)m;
            i++;
        } else if (!strcmp(s, "--trace") && v) {
            a->trace = v, i++;
        } else if (!strcmp(s, "--schedule")) {
            a->schedule = true;
        } else if (!strcmp(s, "--profile")) {
            a->profile = true;
        } else if (!strcmp(s, "--verbose")) {
            a->verbose = true;
        } else if (!strcmp(s, "--verify")) {
            a->verify = true;
        } else if (s[0] == '-') {
            fprintf(stderr, "clnn-run: unknown or incomplete option '%s'\n", s);
            usage(stderr);
            return 2;
        } else if (!a->model) {
            a->model = s;
        } else {
            fprintf(stderr, "clnn-run: more than one model given ('%s')\n", s);
            return 2;
        }
    }
    if (!a->model) {
        usage(stderr);
        return 2;
    }
    return 0;
}

static void print_schedule(clnn_session *s)
{
    printf("\nschedule: %s\n", clnn_session_schedule(s));
    printf("%-32s %-22s %6s %-40s %10s %10s\n", "layer", "op", "device", "algorithm",
           "predicted", "measured");
    for (size_t i = 0; i < clnn_session_layer_count(s); i++) {
        clnn_layer_info L;
        clnn_session_layer(s, i, &L);
        printf("%-32.32s %-22.22s %6zu %-40.40s %10.3f %10.3f\n", L.name, L.op, L.device,
               L.algorithm, L.predicted_ms, L.ms);
    }
}

static void print_profile(clnn_session *s)
{
    size_t n = clnn_session_layer_count(s);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        clnn_layer_info L;
        clnn_session_layer(s, i, &L);
        total += L.ms;
    }
    printf("\n%-32s %-22s %-44s %6s %9s %6s\n", "layer", "op", "algorithm", "device", "ms",
           "share");
    for (size_t i = 0; i < n; i++) {
        clnn_layer_info L;
        clnn_session_layer(s, i, &L);
        printf("%-32.32s %-22.22s %-44.44s %6zu %9.3f %5.1f%%\n", L.name, L.op, L.algorithm,
               L.device, L.ms, total > 0 ? 100.0 * L.ms / total : 0.0);
    }
    printf("%-32s %-22s %-44s %6s %9.3f\n", "total (device time)", "", "", "", total);
}

static int run(const args *a)
{
    int rc = 1;
    clnn_graph *g = NULL;
    clnn_context *ctx = NULL;
    clnn_session *s = NULL;
    npy_array ins[MAX_FILES] = {{0}};
    float *out = NULL;
    char err[1024];

    if (clnn_graph_load_onnx(a->model, &g) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
        goto done;
    }
    const size_t ngin = clnn_graph_input_count(g);
    /* Which file feeds which graph input: by name, or a bare file for a one-input model. */
    int file_of[MAX_FILES];
    for (size_t i = 0; i < MAX_FILES; i++) file_of[i] = -1;
    if (ngin > MAX_FILES) {
        fprintf(stderr, "clnn-run: the model has %zu inputs (clnn-run takes at most %d)\n", ngin,
                MAX_FILES);
        goto done;
    }
    for (int k = 0; k < a->nin; k++) {
        int gi = -1;
        if (!a->in[k].name) {
            if (ngin != 1) {
                fprintf(stderr, "clnn-run: the model has %zu inputs: name each one "
                                "(-i NAME=FILE)\n", ngin);
                goto done;
            }
            gi = 0;
        }
        for (size_t i = 0; a->in[k].name && i < ngin; i++)
            if (!strcmp(clnn_graph_input_name(g, i), a->in[k].name)) gi = (int)i;
        if (gi < 0) {
            fprintf(stderr, "clnn-run: the model has no input named '%s'\n", a->in[k].name);
            goto done;
        }
        if (file_of[gi] >= 0) {
            fprintf(stderr, "clnn-run: input '%s' is given twice\n", clnn_graph_input_name(g, gi));
            goto done;
        }
        file_of[gi] = k;
    }
    for (size_t i = 0; a->nin && i < ngin; i++)
        if (file_of[i] < 0) {
            fprintf(stderr, "clnn-run: input '%s' has no file: give every input "
                            "(-i %s=FILE.npy), or none for seeded random values\n",
                    clnn_graph_input_name(g, i), clnn_graph_input_name(g, i));
            goto done;
        }
    int batch = a->batch;
    for (size_t i = 0; a->nin && i < ngin; i++) {
        const char *path = a->in[file_of[i]].path;
        if (npy_read(path, &ins[i], err, sizeof err) != 0) {
            fprintf(stderr, "clnn-run: %s\n", err);
            goto done;
        }
        if (i > 0) continue;
        if (ins[0].ndim < 1 || ins[0].dims[0] < 1) {
            fprintf(stderr, "clnn-run: '%s' has no batch dimension\n", path);
            goto done;
        }
        if (batch && batch != ins[0].dims[0]) {
            fprintf(stderr, "clnn-run: --batch %d but '%s' holds %lld images\n", batch, path,
                    (long long)ins[0].dims[0]);
            goto done;
        }
        batch = (int)ins[0].dims[0];
    }
    if (clnn_context_create(a->device, &ctx) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
        goto done;
    }
    clnn_session_options opt = {.batch = batch, .schedule = a->mode,
                                .enable_profiling = a->profile || a->schedule || a->trace};
    double t0 = now();
    if (clnn_session_create(ctx, g, &opt, &s) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
        goto done;
    }
    double t_prepare = now() - t0;
    const int64_t *idims, *odims;
    size_t ind, ond;
    clnn_session_input_shape(s, NULL, &idims, &ind);
    clnn_session_output_shape(s, NULL, &odims, &ond);
    size_t icount = 1, ocount = 1;
    for (size_t i = 0; i < ind; i++) icount *= (size_t)idims[i];
    for (size_t i = 0; i < ond; i++) ocount *= (size_t)odims[i];
    uint64_t r = 88172645463325252ull;
    for (size_t k = 0; k < ngin; k++) {
        const char *name = clnn_graph_input_name(g, k);
        const int64_t *d;
        size_t nd, count = 1;
        clnn_session_input_shape(s, name, &d, &nd);
        for (size_t i = 0; i < nd; i++) count *= (size_t)d[i];
        npy_array *in = &ins[k];
        if (a->nin) {
            bool same = (size_t)in->ndim == nd;
            for (size_t i = 0; same && i < nd; i++) same = in->dims[i] == d[i];
            if (!same) {
                fprintf(stderr, "clnn-run: '%s' has shape (", a->in[file_of[k]].path);
                for (int i = 0; i < in->ndim; i++)
                    fprintf(stderr, "%s%lld", i ? "," : "", (long long)in->dims[i]);
                fprintf(stderr, ") but input '%s' takes (", name);
                for (size_t i = 0; i < nd; i++) fprintf(stderr, "%s%lld", i ? "," : "", (long long)d[i]);
                fprintf(stderr, ")\n");
                goto done;
            }
        } else {
            in->data = malloc((count ? count : 1) * sizeof(float));
            if (!in->data) goto done;
            for (size_t i = 0; i < count; i++) {
                r ^= r << 13, r ^= r >> 7, r ^= r << 17;
                in->data[i] = (float)((r >> 40) & 0xFFFF) / 32768.0f - 1.0f;
            }
            if (k == 0) printf("no input given: using seeded random inputs\n");
        }
        if (clnn_session_set_input(s, name, in->data, count) != CLNN_STATUS_OK) {
            fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
            goto done;
        }
    }
    if (clnn_session_run(s) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
        goto done;
    }
    out = malloc(ocount * sizeof *out);
    if (!out || clnn_session_get_output(s, NULL, out, ocount) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-run: %s\n", out ? clnn_last_error() : "out of memory");
        goto done;
    }
    clnn_device_info dev;
    clnn_context_device_info(ctx, 0, &dev);
    printf("model %s: %zu layers after fusion on '%s', batch %d, prepared in %.2f s\n", a->model,
           clnn_session_layer_count(s), dev.name, batch ? batch : (int)idims[0], t_prepare);
    if (ond == 2 && odims[1] > 1) {
        int show = odims[0] < 4 ? (int)odims[0] : 4;
        for (int i = 0; i < show; i++) top5(out + (size_t)i * odims[1], (int)odims[1], i);
        if (odims[0] > show) printf("(top-5 of the first %d of %lld images)\n", show, (long long)odims[0]);
    }
    for (int k = 0; k < a->nout; k++) {
        const char *name = a->out[k].name;
        const int64_t *d = odims;
        size_t nd = ond, count = ocount;
        float *data = out, *other = NULL;
        if (name) {
            if (clnn_session_output_shape(s, name, &d, &nd) != CLNN_STATUS_OK) {
                fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
                goto done;
            }
            count = 1;
            for (size_t i = 0; i < nd; i++) count *= (size_t)d[i];
            data = other = malloc((count ? count : 1) * sizeof *other);
            if (!other || clnn_session_get_output(s, name, other, count) != CLNN_STATUS_OK) {
                fprintf(stderr, "clnn-run: %s\n", other ? clnn_last_error() : "out of memory");
                free(other);
                goto done;
            }
        }
        int w = npy_write(a->out[k].path, data, d, (int)nd, err, sizeof err);
        free(other);
        if (w != 0) {
            fprintf(stderr, "clnn-run: %s\n", err);
            goto done;
        }
    }
    if (a->verbose) {
        size_t planned, naive;
        clnn_session_memory(s, &planned, &naive);
        printf("activation memory: planned peak %.2f MiB, naive sum %.2f MiB (%.2fx smaller)\n",
               planned / 1048576.0, naive / 1048576.0, planned ? (double)naive / planned : 0.0);
        for (size_t i = 0; i < clnn_session_layer_count(s); i++) {
            clnn_layer_info L;
            clnn_session_layer(s, i, &L);
            printf("  %-32s %-22s %s\n", L.name, L.op, L.algorithm);
        }
    }
    if (a->iters) {
        /* A stream of batches (the same input each time), so pipelined schedules overlap. */
        float *stream = malloc((size_t)a->iters * icount * sizeof *stream);
        float *outs = malloc((size_t)a->iters * ocount * sizeof *outs);
        if (!stream || !outs) {
            free(stream), free(outs);
            fprintf(stderr, "clnn-run: out of memory for %d batches\n", a->iters);
            goto done;
        }
        for (int i = 0; i < a->iters; i++)
            memcpy(stream + (size_t)i * icount, ins[0].data, icount * sizeof *stream);
        double t1 = now();
        clnn_status st = clnn_session_run_stream(s, (size_t)a->iters, stream, outs);
        double per = (now() - t1) / a->iters;
        free(stream), free(outs);
        if (st != CLNN_STATUS_OK) {
            fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
            goto done;
        }
        printf("%d iterations: %.3f ms per batch, %.1f images/s\n", a->iters, per * 1e3,
               (double)idims[0] / per);
    }
    if (a->schedule || a->trace) {
        /* One more run, for the measured times and the trace. */
        if (clnn_session_run(s) != CLNN_STATUS_OK) {
            fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
            goto done;
        }
        if (a->schedule) print_schedule(s);
        if (a->trace) {
            if (clnn_session_write_trace(s, a->trace) != CLNN_STATUS_OK) {
                fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
                goto done;
            }
            printf("trace written to %s (open it in https://ui.perfetto.dev or "
                   "chrome://tracing)\n", a->trace);
        }
    }
    if (a->profile) print_profile(s);
    if (a->verify) {
        if (clnn_session_verify(s) != CLNN_STATUS_OK) {
            fprintf(stderr, "clnn-run: %s\n", clnn_last_error());
            goto done;
        }
        printf("\n%-32s %-22s %12s\n", "layer", "op", "max error");
        double worst = 0;
        for (size_t i = 0; i < clnn_session_layer_count(s); i++) {
            clnn_layer_info L;
            clnn_session_layer(s, i, &L);
            printf("%-32.32s %-22.22s %12.3g%s\n", L.name, L.op, L.max_error,
                   L.max_error > 1e-3 ? "  <-- differs from the reference" : "");
            if (!(L.max_error <= worst)) worst = L.max_error;
        }
        printf("worst layer error %.3g of its output's scale (winograd4x4 stays below 1e-3)\n",
               worst);
    }
    rc = 0;
done:
    free(out);
    for (int i = 0; i < MAX_FILES; i++) npy_free(&ins[i]);
    clnn_session_destroy(s);
    clnn_context_destroy(ctx);
    clnn_graph_destroy(g);
    return rc;
}

int main(int argc, char **argv)
{
    args a;
    int rc = parse(argc, argv, &a);
    if (rc == 0) rc = run(&a);
    for (int k = 0; k < a.nin; k++) free((char *)a.in[k].name);
    for (int k = 0; k < a.nout; k++) free((char *)a.out[k].name);
    return rc;
}
