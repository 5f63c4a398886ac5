/*
 * calib.c - device calibration for the cost model: achieved GFLOP/s on a mid-sized 3x3
 * convolution (clnn's own kernels), device-memory GB/s (a buffer copy), the cost of one kernel
 * launch, and host <-> device bandwidth and latency. Measured once (about a second) and
 * cached as JSON (json-c) in the kernel cache folder, keyed by the device, its driver and
 * platform and a format version; an unreadable or foreign file is measured again.
 */
#include "sched.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define CALIB_FORMAT 1
#define COPY_BYTES (16u << 20)

static double median3(double a, double b, double c)
{
    return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}

/* Seconds of fn() repeated, best-of style: median of 3 after one warm-up. */
typedef clnn_status (*bench_fn)(clnn_context *, clnn_device *, void *);
static clnn_status time_it(clnn_context *ctx, clnn_device *dev, bench_fn fn, void *arg,
                           int reps, double *secs)
{
    clnn_status st = fn(ctx, dev, arg); /* warm-up: first launches compile on some drivers */
    clFinish(dev->queue);
    double t[3];
    for (int k = 0; k < 3 && st == CLNN_STATUS_OK; k++) {
        double t0 = clnn_now();
        for (int r = 0; r < reps && st == CLNN_STATUS_OK; r++) st = fn(ctx, dev, arg);
        clFinish(dev->queue);
        t[k] = (clnn_now() - t0) / reps;
    }
    if (st == CLNN_STATUS_OK) *secs = median3(t[0], t[1], t[2]);
    return st;
}

typedef struct conv_job {
    clnn_conv *conv;
    cl_mem in, out;
} conv_job;

static clnn_status run_conv(clnn_context *ctx, clnn_device *dev, void *arg)
{
    (void)ctx, (void)dev;
    conv_job *j = arg;
    return clnn_conv_enqueue(j->conv, NULL, j->in, NULL, j->out, 0, NULL, NULL);
}

typedef struct copy_job {
    cl_mem a, b;
    size_t bytes;
    void *host;
    int kind; /* 0 device copy, 1 write, 2 read */
} copy_job;

static clnn_status run_copy(clnn_context *ctx, clnn_device *dev, void *arg)
{
    copy_job *j = arg;
    cl_int err = j->kind == 0 ? clEnqueueCopyBuffer(dev->queue, j->a, j->b, 0, 0, j->bytes, 0,
                                                    NULL, NULL)
                 : j->kind == 1 ? clEnqueueWriteBuffer(dev->queue, j->a, CL_TRUE, 0, j->bytes,
                                                       j->host, 0, NULL, NULL)
                                : clEnqueueReadBuffer(dev->queue, j->a, CL_TRUE, 0, j->bytes,
                                                      j->host, 0, NULL, NULL);
    return err == CL_SUCCESS ? CLNN_STATUS_OK : clnn_fail_cl(ctx, err, "calibration transfer");
}

static clnn_status run_fill(clnn_context *ctx, clnn_device *dev, void *arg)
{
    float zero = 0.0f;
    cl_int err = clEnqueueFillBuffer(dev->queue, *(cl_mem *)arg, &zero, sizeof zero, 0,
                                     sizeof zero, 0, NULL, NULL);
    if (err == CL_SUCCESS) err = clFinish(dev->queue);
    return err == CL_SUCCESS ? CLNN_STATUS_OK : clnn_fail_cl(ctx, err, "calibration launch");
}

static clnn_status measure(clnn_context *ctx, clnn_device *dev, clnn_calib *c)
{
    clnn_conv_params p = {.batch = 1, .in_channels = 64, .in_height = 28, .in_width = 28,
                          .out_channels = 64, .kernel_h = 3, .kernel_w = 3, .pad_top = 1,
                          .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
    const size_t nw = 64 * 64 * 9, nx = 64 * 28 * 28;
    float *w = calloc(nw, sizeof *w);
    void *host = malloc(COPY_BYTES);
    cl_int err;
    cl_mem a = clCreateBuffer(dev->cl_ctx, CL_MEM_READ_WRITE, COPY_BYTES, NULL, &err);
    cl_mem b = clCreateBuffer(dev->cl_ctx, CL_MEM_READ_WRITE, COPY_BYTES, NULL, &err);
    clnn_conv *conv = NULL;
    clnn_status st = (!w || !host || !a || !b)
                         ? clnn_fail(ctx, CLNN_STATUS_OUT_OF_DEVICE_MEMORY, "calibration buffers")
                         : clnn_conv_create(ctx, dev->index, &p, CLNN_CONV_ALGO_AUTO, w, NULL, &conv);
    double secs = 0;
    if (st == CLNN_STATUS_OK) {
        memset(host, 0, COPY_BYTES);
        clEnqueueWriteBuffer(dev->queue, a, CL_TRUE, 0, COPY_BYTES, host, 0, NULL, NULL);
        conv_job j = {conv, a, b};
        (void)nx;
        st = time_it(ctx, dev, run_conv, &j, 4, &secs);
        c->gflops = 2.0 * 64 * 64 * 9 * 28 * 28 / secs * 1e-9;
    }
    if (st == CLNN_STATUS_OK) {
        copy_job j = {a, b, COPY_BYTES, host, 0};
        st = time_it(ctx, dev, run_copy, &j, 2, &secs);
        c->gbps = 2.0 * COPY_BYTES / secs * 1e-9;
    }
    if (st == CLNN_STATUS_OK) {
        copy_job j = {a, b, COPY_BYTES, host, 1};
        st = time_it(ctx, dev, run_copy, &j, 2, &secs);
        c->h2d_gbps = COPY_BYTES / secs * 1e-9;
    }
    if (st == CLNN_STATUS_OK) {
        copy_job j = {a, b, COPY_BYTES, host, 2};
        st = time_it(ctx, dev, run_copy, &j, 2, &secs);
        c->d2h_gbps = COPY_BYTES / secs * 1e-9;
    }
    if (st == CLNN_STATUS_OK) {
        copy_job j = {a, b, 4, host, 1};
        st = time_it(ctx, dev, run_copy, &j, 20, &secs);
        c->h2d_us = secs * 1e6;
    }
    if (st == CLNN_STATUS_OK) {
        copy_job j = {a, b, 4, host, 2};
        st = time_it(ctx, dev, run_copy, &j, 20, &secs);
        c->d2h_us = secs * 1e6;
    }
    if (st == CLNN_STATUS_OK) {
        st = time_it(ctx, dev, run_fill, &a, 20, &secs);
        c->launch_us = secs * 1e6;
    }
    clnn_conv_destroy(conv);
    if (a) clReleaseMemObject(a);
    if (b) clReleaseMemObject(b);
    free(w);
    free(host);
    return st;
}

static char *calib_path(const clnn_context *ctx, const clnn_device *dev)
{
    if (!ctx->cache_dir) return NULL;
    clnn_hasher hs, *h = &hs;
    clnn_hasher_init(h);
    int version = CALIB_FORMAT;
    clnn_hasher_add(h, &version, sizeof version);
    clnn_hasher_add_device(h, &dev->info);
    unsigned cu = dev->info.compute_units; /* PoCL's CU count is a setting (POCL_CPU_MAX_CU_NUM) */
    clnn_hasher_add(h, &cu, sizeof cu);
    char hex[33];
    clnn_hash_hex(clnn_hasher_finish(h), hex);
    size_t n = strlen(ctx->cache_dir) + 64;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/calib-%s.json", ctx->cache_dir, hex);
    return p;
}

static const char *const fields[] = {"gflops", "gbps", "launch_us", "h2d_gbps",
                                     "d2h_gbps", "h2d_us", "d2h_us"};

static double *field_of(clnn_calib *c, int i)
{
    double *f[] = {&c->gflops, &c->gbps, &c->launch_us, &c->h2d_gbps,
                   &c->d2h_gbps, &c->h2d_us, &c->d2h_us};
    return f[i];
}

/* Reads a cached calibration; false (with a warning for a damaged file) if unusable. */
static bool load(const char *path, const clnn_device *dev, clnn_calib *c)
{
    char *text = NULL;
    size_t len;
    if (clnn_read_file(path, 1 << 16, &text, &len) != 0) return false;
    json_object *root = json_tokener_parse(text);
    free(text);
    bool ok = root && json_object_is_type(root, json_type_object);
    json_object *v;
    ok = ok && json_object_object_get_ex(root, "format", &v) && json_object_get_int(v) == CALIB_FORMAT;
    ok = ok && json_object_object_get_ex(root, "device", &v) &&
         json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), dev->info.name);
    for (int i = 0; ok && i < (int)CLNN_ARRAY_LEN(fields); i++) {
        ok = json_object_object_get_ex(root, fields[i], &v) &&
             (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int));
        if (ok) *field_of(c, i) = json_object_get_double(v);
        ok = ok && *field_of(c, i) > 0 && *field_of(c, i) < 1e9;
    }
    json_object_put(root);
    if (!ok) clnn_warn("calibration file '%s' is damaged or foreign; measuring again", path);
    return ok;
}

static void save(const char *path, const clnn_device *dev, const clnn_calib *c)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "format", json_object_new_int(CALIB_FORMAT));
    json_object_object_add(root, "device", json_object_new_string(dev->info.name));
    json_object_object_add(root, "driver", json_object_new_string(dev->info.driver_version));
    for (int i = 0; i < (int)CLNN_ARRAY_LEN(fields); i++)
        json_object_object_add(root, fields[i], json_object_new_double(*field_of((clnn_calib *)c, i)));
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
    int rc = clnn_write_file_atomic(path, text, strlen(text));
    if (rc) clnn_warn("could not write calibration '%s': %s", path, strerror(rc));
    json_object_put(root);
}

clnn_status clnn_device_calibration(clnn_context *ctx, size_t d, clnn_calib *out)
{
    clnn_device *dev = &ctx->devices[d];
    pthread_mutex_lock(&ctx->lock);
    bool have = dev->calibrated;
    if (have) *out = dev->calib;
    pthread_mutex_unlock(&ctx->lock);
    if (have) return CLNN_STATUS_OK;
    char *path = calib_path(ctx, dev);
    clnn_calib c;
    memset(&c, 0, sizeof c);
    clnn_status st = CLNN_STATUS_OK;
    if (!path || !load(path, dev, &c)) {
        clnn_info("calibrating device '%s' for the scheduler", dev->info.name);
        st = measure(ctx, dev, &c);
        if (st == CLNN_STATUS_OK && path) save(path, dev, &c);
    }
    free(path);
    if (st != CLNN_STATUS_OK) return st;
    pthread_mutex_lock(&ctx->lock);
    dev->calib = c;
    dev->calibrated = true;
    pthread_mutex_unlock(&ctx->lock);
    *out = c;
    return CLNN_STATUS_OK;
}

/* ---- running devices together ---------------------------------------------------------- */

typedef struct par_start {
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool go;
} par_start;

typedef struct par_job {
    clnn_context *ctx;
    clnn_device *dev;
    conv_job job;
    par_start *start;
    int reps;
    clnn_status st;
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    pthread_mutex_lock(&j->start->m);
    while (!j->start->go) pthread_cond_wait(&j->start->cv, &j->start->m);
    pthread_mutex_unlock(&j->start->m);
    for (int r = 0; r < j->reps && j->st == CLNN_STATUS_OK; r++)
        j->st = run_conv(j->ctx, j->dev, &j->job);
    clFinish(j->dev->queue);
    return NULL;
}

/* Runs the calibration convolution on every device in `use` at once and compares the total
 * throughput with the fastest device alone. Devices can share what they run on (PoCL 3.1's
 * "pthread" devices share one pool of worker threads), which no per-device measurement
 * shows. Measured once per context and set of devices. */
clnn_status clnn_parallel_gain(clnn_context *ctx, const bool *use, double *gain)
{
    uint64_t mask = 0;
    int n = 0;
    for (size_t d = 0; d < ctx->ndevices && d < 64; d++)
        if (use[d]) mask |= 1ull << d, n++;
    *gain = 1.0;
    if (n < 2) return CLNN_STATUS_OK;
    pthread_mutex_lock(&ctx->lock);
    bool known = ctx->gain_mask == mask && ctx->gain > 0;
    if (known) *gain = ctx->gain;
    pthread_mutex_unlock(&ctx->lock);
    if (known) return CLNN_STATUS_OK;

    clnn_conv_params p = {.batch = 1, .in_channels = 64, .in_height = 28, .in_width = 28,
                          .out_channels = 64, .kernel_h = 3, .kernel_w = 3, .pad_top = 1,
                          .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
    float *w = calloc(64 * 64 * 9, sizeof *w);
    par_job *jobs = calloc((size_t)n, sizeof *jobs);
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    clnn_status st = w && jobs && tids ? CLNN_STATUS_OK
                                       : clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "gain");
    int k = 0;
    double best_alone = 1e30;
    for (size_t d = 0; st == CLNN_STATUS_OK && d < ctx->ndevices && d < 64; d++) {
        if (!use[d]) continue;
        par_job *j = &jobs[k++];
        j->ctx = ctx;
        j->dev = &ctx->devices[d];
        j->reps = 12;
        cl_int err;
        size_t bytes = 64 * 28 * 28 * sizeof(float);
        j->job.in = clCreateBuffer(j->dev->cl_ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
        j->job.out = clCreateBuffer(j->dev->cl_ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
        st = clnn_conv_create(ctx, d, &p, CLNN_CONV_ALGO_AUTO, w, NULL, &j->job.conv);
        double secs = 0;
        if (st == CLNN_STATUS_OK) st = time_it(ctx, j->dev, run_conv, &j->job, j->reps, &secs);
        if (st == CLNN_STATUS_OK && secs * j->reps < best_alone) best_alone = secs * j->reps;
    }
    /* Best of three: a trial can lose its overlap to a driver thread waking up late. */
    for (int trial = 0; trial < 3 && st == CLNN_STATUS_OK; trial++) {
        par_start start = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
        int started = 0;
        for (int i = 0; i < n; i++) {
            jobs[i].start = &start;
            if (pthread_create(&tids[i], NULL, par_worker, &jobs[i]) != 0) break;
            started++;
        }
        pthread_mutex_lock(&start.m);
        start.go = true;
        pthread_cond_broadcast(&start.cv);
        pthread_mutex_unlock(&start.m);
        double t0 = clnn_now();
        for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
        double together = clnn_now() - t0;
        /* n runs' worth of work in `together`, against one device's run time. */
        if (started == n && together > 0 && n * best_alone / together > *gain)
            *gain = n * best_alone / together;
        for (int i = 0; i < started; i++)
            if (jobs[i].st != CLNN_STATUS_OK) st = jobs[i].st;
    }
    for (int i = 0; i < k; i++) {
        clnn_conv_destroy(jobs[i].job.conv);
        if (jobs[i].job.in) clReleaseMemObject(jobs[i].job.in);
        if (jobs[i].job.out) clReleaseMemObject(jobs[i].job.out);
    }
    free(w), free(jobs), free(tids);
    if (st == CLNN_STATUS_OK) {
        clnn_info("devices together run %.2fx the fastest one alone", *gain);
        pthread_mutex_lock(&ctx->lock);
        ctx->gain_mask = mask;
        ctx->gain = *gain;
        pthread_mutex_unlock(&ctx->lock);
    }
    return st;
}
