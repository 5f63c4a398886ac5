/*
 * clnn-demo - the main job a new user runs (./run.sh): classifies the 10,000 Fashion-MNIST
 * test images with the ConvNet this project trained (models/fashion_mnist_cnn.onnx) on each
 * OpenCL device alone, then on the whole machine with the default schedule, and reports the
 * accuracy, images/s and how many predictions agree with PyTorch's.
 */
#include "clnn.h"
#include "idx.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef CLNN_SOURCE_DIR
#define CLNN_SOURCE_DIR "."
#endif
#ifndef CLNN_DATA_DIR
#define CLNN_DATA_DIR "/usr/local/share/clnn"
#endif
#define MODEL_FILE "fashion_mnist_cnn.onnx"
#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"
#define CLASSES 10
/* A disagreement with PyTorch counts as a near tie when clnn's scores of the two classes are
 * closer than this share of the image's largest |score|: float32 sums in another order (and
 * Winograd convolutions) move scores by far less, but can flip a tie. */
#define NEAR_TIE 0.01
#define MAX_SHOWN 5

static const char *const class_names[CLASSES] = {
    "T-shirt/top", "trouser", "pullover", "dress", "coat",
    "sandal",      "shirt",   "sneaker",  "bag",   "ankle boot"};

typedef struct args {
    const char *model, *data, *device;
    int batch, limit;
} args;

typedef struct dataset {
    size_t count;   /* images classified (the first --limit ones) */
    size_t pixels;  /* per image (rows x cols) */
    float *images;  /* count x pixels, pixel / 255 as in training */
    uint8_t *labels;
    uint8_t *torch; /* PyTorch's predicted classes, or NULL when the file is absent */
} dataset;

/* One classification run: the scores of every image, the timed seconds and the schedule. */
typedef struct result {
    float *logits;
    double seconds;
    char schedule[512];
} result;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clnn-demo [--model FILE] [--data DIR] [--device SEL] [--batch N]\n"
            "                 [--limit N] [--help]\n"
            "\n"
            "Classifies the Fashion-MNIST test images (10,000 28x28 pictures of clothing) with\n"
            "the ConvNet clnn bundles, first on each selected OpenCL device alone, then on all of\n"
            "them at once with the default schedule. Prints accuracy, images/s and how many\n"
            "predictions agree with PyTorch's (FILE's .torch_labels next to it).\n"
            "  --model FILE  ONNX model (default: models/" MODEL_FILE " of the source tree,\n"
            "                else " CLNN_DATA_DIR "/" MODEL_FILE ")\n"
            "  --data DIR    folder of t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz\n"
            "                (default " DEFAULT_DATA ", Debian's dataset-fashion-mnist)\n"
            "  --device SEL  devices to use (default 'all'; see clnn-info --help)\n"
            "  --batch N     images per run (default 256)\n"
            "  --limit N     classify only the first N images\n"
            "Exit status: 0 on success, 1 on any failure, 2 on bad arguments.\n");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int parse_count(const char *opt, const char *v, int max, int *out)
{
    char *end;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || x < 1 || x > max) {
        fprintf(stderr, "clnn-demo: %s takes an integer from 1 to %d, not '%s'\n", opt, max,
                v ? v : "nothing");
        return 2;
    }
    *out = (int)x;
    return 0;
}

/* Returns 0 to go on, 2 on bad arguments, -1 when --help was printed. */
static int parse(int argc, char **argv, args *a)
{
    *a = (args){.data = DEFAULT_DATA, .device = "all", .batch = 256, .limit = 10000};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(s, "--model") && v) {
            a->model = v, i++;
        } else if (!strcmp(s, "--data") && v) {
            a->data = v, i++;
        } else if (!strcmp(s, "--device") && v) {
            a->device = v, i++;
        } else if (!strcmp(s, "--batch")) {
            rc = parse_count(s, v, 65536, &a->batch), i++;
        } else if (!strcmp(s, "--limit")) {
            rc = parse_count(s, v, 1 << 24, &a->limit), i++;
        } else {
            fprintf(stderr, "clnn-demo: unknown or incomplete argument '%s'\n", s);
            usage(stderr);
            return 2;
        }
        if (rc) return rc;
    }
    return 0;
}

/* The model path: --model, else the source tree's copy, else the installed one. */
static int find_model(const args *a, char *path, size_t n)
{
    if (a->model) {
        snprintf(path, n, "%s", a->model);
        if (access(path, R_OK) == 0) return 0;
        fprintf(stderr, "clnn-demo: cannot read the model '%s' given with --model: %s\n", path,
                strerror(errno));
        return -1;
    }
    const char *dirs[] = {CLNN_SOURCE_DIR "/models", CLNN_DATA_DIR};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, n, "%s/%s", dirs[i], MODEL_FILE);
        if (access(path, R_OK) == 0) return 0;
    }
    fprintf(stderr,
            "clnn-demo: cannot find the bundled model %s in %s or %s: pass --model FILE, or\n"
            "make it with /usr/bin/python3 scripts/train_fashion_mnist.py\n",
            MODEL_FILE, dirs[0], dirs[1]);
    return -1;
}

/* Reads PyTorch's predictions (one byte per test image) from beside the model. A missing file
 * only skips the comparison; a file of the wrong size is an error. */
static int load_torch_labels(const char *model, size_t total, dataset *d)
{
    char path[4096];
    size_t len = strlen(model);
    if (len > 5 && !strcmp(model + len - 5, ".onnx")) len -= 5;
    snprintf(path, sizeof path, "%.*s.torch_labels", (int)len, model);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        printf("PyTorch's predictions %s not found: agreement with PyTorch not checked\n", path);
        return 0;
    }
    uint8_t *buf = malloc(total + 1);
    size_t got = buf ? fread(buf, 1, total + 1, fp) : 0;
    fclose(fp);
    if (got != total) {
        fprintf(stderr, "clnn-demo: '%s' %s %zu bytes but the test set has %zu images\n", path,
                buf ? "holds" : "(out of memory) read", got, total);
        free(buf);
        return -1;
    }
    d->torch = buf;
    return 0;
}

/* Reads the test set, keeps the first `limit` images as floats (pixel / 255, the training
 * normalisation) and checks labels against the class count. */
static int load_data(const args *a, const char *model, dataset *d)
{
    char img[4096], lab[4096], err[1024];
    snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte.gz", a->data);
    snprintf(lab, sizeof lab, "%s/t10k-labels-idx1-ubyte.gz", a->data);
    idx_array im, lb;
    if (idx_read_pair(img, lab, &im, &lb, err, sizeof err) != 0) {
        fprintf(stderr, "clnn-demo: %s\n", err);
        return -1;
    }
    int rc = 0;
    d->count = im.dims[0] < (uint32_t)a->limit ? im.dims[0] : (size_t)a->limit;
    d->pixels = (size_t)im.dims[1] * im.dims[2];
    d->images = malloc(d->count * d->pixels * sizeof *d->images);
    d->labels = malloc(d->count);
    if (!d->images || !d->labels) {
        fprintf(stderr, "clnn-demo: out of memory for %zu images\n", d->count);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < d->count * d->pixels; i++)
        d->images[i] = (float)im.data[i] / 255.0f;
    for (size_t i = 0; rc == 0 && i < d->count; i++) {
        d->labels[i] = lb.data[i];
        if (lb.data[i] >= CLASSES) {
            fprintf(stderr, "clnn-demo: '%s': label %zu is %u, not a class 0-9\n", lab, i,
                    lb.data[i]);
            rc = -1;
        }
    }
    if (rc == 0) {
        printf("Fashion-MNIST: %zu of %u test images (%ux%u) from %s\n", d->count, im.dims[0],
               im.dims[1], im.dims[2], a->data);
        rc = load_torch_labels(model, im.dims[0], d);
    }
    idx_free(&im);
    idx_free(&lb);
    return rc;
}

static void dataset_free(dataset *d)
{
    free(d->images);
    free(d->labels);
    free(d->torch);
}

/* A [=====>    ] 45% bar redrawn with \r when stderr is a terminal, else a line per quarter. */
static void progress(size_t done, size_t total, int *last)
{
    int pct = (int)(100 * done / total);
    fflush(stdout); /* keep the report's lines before the bar when both go to one place */
    if (isatty(STDERR_FILENO)) {
        if (pct == *last) return;
        char bar[41];
        int fill = pct * 40 / 100;
        for (int i = 0; i < 40; i++) bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[40] = '\0';
        fprintf(stderr, "\r  [%s] %3d%%%s", bar, pct, done == total ? "\n" : "");
    } else {
        if (pct / 25 == *last / 25) return;
        fprintf(stderr, "  classified %zu of %zu images\n", done, total);
    }
    *last = pct;
}

static int index_of_max(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

/* The session must take [batch, 1, rows, cols] and give [batch, CLASSES]. */
static int check_shapes(clnn_session *s, const dataset *d)
{
    const int64_t *in, *out;
    size_t nin, nout;
    clnn_session_input_shape(s, NULL, &in, &nin);
    clnn_session_output_shape(s, NULL, &out, &nout);
    size_t per_image = 1;
    for (size_t i = 1; i < nin; i++) per_image *= (size_t)in[i];
    if (per_image != d->pixels || nout != 2 || out[1] != CLASSES) {
        fprintf(stderr,
                "clnn-demo: the model takes %zu values per image and gives %lld scores, but\n"
                "Fashion-MNIST has %zu pixels per image and %d classes\n",
                per_image, nout == 2 ? (long long)out[1] : -1ll, d->pixels, CLASSES);
        return -1;
    }
    return 0;
}

/* Classifies images [first, first + n) with a session of `batch` images; a short last batch
 * is padded with zero images whose scores are dropped. */
static int classify_batch(clnn_session *s, const dataset *d, size_t first, size_t n,
                          size_t batch, float *pad, float *scores, float *logits)
{
    const float *in = d->images + first * d->pixels;
    if (n < batch) {
        memcpy(pad, in, n * d->pixels * sizeof *pad);
        memset(pad + n * d->pixels, 0, (batch - n) * d->pixels * sizeof *pad);
        in = pad;
    }
    if (clnn_session_set_input(s, NULL, in, batch * d->pixels) != CLNN_STATUS_OK ||
        clnn_session_run(s) != CLNN_STATUS_OK ||
        clnn_session_get_output(s, NULL, scores, batch * CLASSES) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-demo: %s\n", clnn_last_error());
        return -1;
    }
    memcpy(logits + first * CLASSES, scores, n * CLASSES * sizeof *scores);
    return 0;
}

/* Runs every image through s: one warm-up batch, then the timed loop (wall clock). */
static int classify_all(clnn_session *s, const dataset *d, size_t batch, result *r)
{
    float *pad = malloc(batch * d->pixels * sizeof *pad);
    float *scores = malloc(batch * CLASSES * sizeof *scores);
    int rc = pad && scores ? 0 : -1;
    if (rc) fprintf(stderr, "clnn-demo: out of memory for a batch of %zu\n", batch);
    size_t warm = d->count < batch ? d->count : batch;
    if (rc == 0) rc = classify_batch(s, d, 0, warm, batch, pad, scores, r->logits);
    double t0 = now();
    int last = -1;
    for (size_t first = 0; rc == 0 && first < d->count; first += batch) {
        size_t n = d->count - first < batch ? d->count - first : batch;
        rc = classify_batch(s, d, first, n, batch, pad, scores, r->logits);
        if (rc == 0) progress(first + n, d->count, &last);
    }
    r->seconds = now() - t0;
    free(pad);
    free(scores);
    return rc;
}

/* The session's batch: --batch, or fewer when fewer images are classified. */
static size_t batch_of(const args *a, const dataset *d)
{
    return d->count < (size_t)a->batch ? d->count : (size_t)a->batch;
}

/* Creates a context on `selection` and a session with `mode`, and classifies the dataset. */
static int run_on(const clnn_graph *g, const char *selection, clnn_schedule_mode mode,
                  const args *a, const dataset *d, result *r)
{
    clnn_context *ctx = NULL;
    clnn_session *s = NULL;
    size_t batch = batch_of(a, d);
    clnn_session_options opt = {.batch = (int)batch, .schedule = mode};
    int rc = 0;
    if (clnn_context_create(selection, &ctx) != CLNN_STATUS_OK ||
        clnn_session_create(ctx, g, &opt, &s) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-demo: %s\n", clnn_last_error());
        rc = -1;
    }
    if (rc == 0) rc = check_shapes(s, d);
    if (rc == 0) rc = classify_all(s, d, batch, r);
    if (rc == 0) snprintf(r->schedule, sizeof r->schedule, "%s", clnn_session_schedule(s));
    clnn_session_destroy(s);
    clnn_context_destroy(ctx);
    return rc;
}

/* Prints one disagreement with clnn's scores of both classes; returns whether it is a near
 * tie. */
static int show_disagreement(size_t image, const float *v, int ours, int theirs, bool print)
{
    double scale = 1.0;
    for (int c = 0; c < CLASSES; c++) scale = fmax(scale, fabs(v[c]));
    double margin = (double)v[ours] - v[theirs];
    int near = margin <= NEAR_TIE * scale;
    if (print)
        printf("    image %zu: clnn %d %s (score %.4f), PyTorch %d %s (clnn's score %.4f): %s\n",
               image, ours, class_names[ours], v[ours], theirs, class_names[theirs], v[theirs],
               near ? "near tie" : "NOT a near tie");
    return near;
}

/* Accuracy, images/s and agreement with PyTorch. Returns -1 when clnn and PyTorch disagree
 * on an image where they should not (a miscomputing device). */
static int report(const dataset *d, const result *r)
{
    size_t correct = 0, agree = 0, far = 0, shown = 0;
    for (size_t i = 0; i < d->count; i++)
        correct += index_of_max(r->logits + i * CLASSES, CLASSES) == d->labels[i];
    printf("  accuracy %.2f%% (%zu of %zu images)\n", 100.0 * correct / d->count, correct,
           d->count);
    printf("  %.0f images/s (%.3f s for %zu images, after one warm-up batch)\n",
           d->count / r->seconds, r->seconds, d->count);
    if (!d->torch) return 0;
    for (size_t i = 0; i < d->count; i++) {
        const float *v = r->logits + i * CLASSES;
        int ours = index_of_max(v, CLASSES);
        if (ours == d->torch[i]) {
            agree++;
            continue;
        }
        if (shown == 0) printf("  disagreements with PyTorch (near ties can flip between two\n"
                               "  correct float32 implementations):\n");
        far += !show_disagreement(i, v, ours, d->torch[i], shown < MAX_SHOWN);
        shown++;
    }
    printf("  agrees with PyTorch on %zu of %zu images\n", agree, d->count);
    if (far == 0) return 0;
    fprintf(stderr,
            "clnn-demo: %zu predictions differ from PyTorch's by more than a near tie: the\n"
            "device may miscompute; check it with clnn-run MODEL --verify --device SEL\n", far);
    return -1;
}

/* Classifies on each selected device alone, then on all of them at once. A device that
 * disagrees with PyTorch does not stop the others: the status says so at the end. */
static int run_all(const clnn_graph *g, const args *a, const dataset *d, float *logits)
{
    clnn_device_info *devs = NULL;
    size_t ndev = 0, *sel = NULL, nsel = 0;
    if (clnn_device_list(&devs, &ndev) != CLNN_STATUS_OK ||
        clnn_device_select(devs, ndev, a->device, &sel, &nsel) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-demo: %s\n", clnn_last_error());
        clnn_device_list_free(devs);
        return -1;
    }
    int rc = 0, disagree = 0;
    result r = {.logits = logits};
    for (size_t i = 0; rc == 0 && i < nsel; i++) {
        const clnn_device_info *dev = &devs[sel[i]];
        char one[32];
        snprintf(one, sizeof one, "%d:%d", dev->platform_index, dev->device_index);
        printf("\n[%zu/%zu] device %s '%s' alone, batch %zu\n", i + 1, nsel, one, dev->name,
               batch_of(a, d));
        rc = run_on(g, one, CLNN_SCHEDULE_SINGLE, a, d, &r);
        if (rc == 0) disagree |= report(d, &r);
    }
    if (rc == 0) {
        printf("\nwhole machine: '%s' (%zu device%s), batch %zu, default schedule\n",
               a->device, nsel, nsel == 1 ? "" : "s", batch_of(a, d));
        rc = run_on(g, a->device, CLNN_SCHEDULE_AUTO, a, d, &r);
    }
    if (rc == 0) {
        printf("  schedule: %s\n", r.schedule);
        disagree |= report(d, &r);
    }
    free(sel);
    clnn_device_list_free(devs);
    return rc ? rc : disagree;
}

int main(int argc, char **argv)
{
    args a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    char model[4096];
    dataset d = {0};
    clnn_graph *g = NULL;
    float *logits = NULL;
    rc = find_model(&a, model, sizeof model);
    if (rc == 0) rc = load_data(&a, model, &d);
    if (rc == 0 && clnn_graph_load_onnx(model, &g) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-demo: %s\n", clnn_last_error());
        rc = -1;
    }
    if (rc == 0) {
        printf("model: %s\n", model);
        logits = malloc(d.count * CLASSES * sizeof *logits);
        if (!logits) fprintf(stderr, "clnn-demo: out of memory for %zu scores\n", d.count);
        rc = logits ? run_all(g, &a, &d, logits) : -1;
    }
    free(logits);
    clnn_graph_destroy(g);
    dataset_free(&d);
    return rc == 0 ? 0 : 1;
}
