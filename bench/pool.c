/*
 * pool.c - pooling part of `clnn-bench conv`: typical pooling layers of ImageNet CNNs, timed
 * in GB/s (input plus output bytes over time).
 */
#include "bench.h"

#include <CL/cl.h>
#include <stdlib.h>
#include <string.h>

typedef struct pool_layer {
    const char *name;
    clnn_pool_kind kind;
    int c, h, w, k, stride, pad;
    bool ceil_mode, count_include_pad;
} pool_layer;

static const pool_layer pool_layers[] = {
    {"vgg_pool1_max2x2", CLNN_POOL_MAX, 64, 224, 224, 2, 2, 0, false, false},
    {"resnet_stem_max3x3s2", CLNN_POOL_MAX, 64, 112, 112, 3, 2, 1, false, false},
    {"googlenet_pool2_max3x3s2_ceil", CLNN_POOL_MAX, 192, 56, 56, 3, 2, 0, true, false},
    {"incep3a_pool_max3x3s1", CLNN_POOL_MAX, 192, 28, 28, 3, 1, 1, false, false},
    {"incepv3_avg3x3s1", CLNN_POOL_AVERAGE, 192, 35, 35, 3, 1, 1, false, false},
    {"resnet50_global_avg", CLNN_POOL_GLOBAL_AVERAGE, 2048, 7, 7, 0, 0, 0, false, false},
    {"googlenet_global_avg", CLNN_POOL_GLOBAL_AVERAGE, 1024, 7, 7, 0, 0, 0, false, false},
    {"global_max_14x14", CLNN_POOL_GLOBAL_MAX, 512, 14, 14, 0, 0, 0, false, false},
};

typedef struct pool_run {
    clnn_pool *pool;
    cl_mem in, out;
} pool_run;

static int run_pool(void *arg)
{
    pool_run *r = arg;
    return clnn_pool_enqueue(r->pool, NULL, r->in, r->out, 0, NULL, NULL) == CLNN_STATUS_OK ? 0
                                                                                          : -1;
}

int bench_pool_suite(clnn_context *ctx, FILE *out, const int *batches, int nbatches,
                     double min_time)
{
    cl_context clctx;
    cl_command_queue q;
    clnn_context_cl_handles(ctx, 0, &clctx, NULL, &q);
    int rc = 0;
    for (int bi = 0; bi < nbatches; bi++)
        for (size_t i = 0; i < sizeof pool_layers / sizeof pool_layers[0]; i++) {
            const pool_layer *L = &pool_layers[i];
            clnn_pool_params p;
            memset(&p, 0, sizeof p);
            p.kind = L->kind;
            p.batch = batches[bi];
            p.channels = L->c;
            p.in_height = L->h;
            p.in_width = L->w;
            p.kernel_h = p.kernel_w = L->k;
            p.stride_h = p.stride_w = L->stride;
            p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = L->pad;
            p.ceil_mode = L->ceil_mode;
            p.count_include_pad = L->count_include_pad;
            clnn_pool *pool = NULL;
            if (clnn_pool_create(ctx, 0, &p, &pool) != CLNN_STATUS_OK) {
                fprintf(stderr, "clnn-bench: pool %s: %s\n", L->name, clnn_last_error());
                rc = 1;
                continue;
            }
            size_t nin = clnn_pool_input_count(pool), nout = clnn_pool_output_count(pool);
            cl_int err;
            cl_mem in = clCreateBuffer(clctx, CL_MEM_READ_WRITE, nin * sizeof(float), NULL, &err);
            cl_mem ob = clCreateBuffer(clctx, CL_MEM_READ_WRITE, nout * sizeof(float), NULL, &err);
            float zero = 0.0f;
            if (in && ob) {
                clEnqueueFillBuffer(q, in, &zero, sizeof zero, 0, nin * sizeof(float), 0, NULL,
                                    NULL);
                pool_run r = {pool, in, ob};
                double t = bench_time(q, min_time, run_pool, &r);
                if (t > 0)
                    fprintf(out, "pool,%s,%d,pool,,%.4f,%.2f,\n", L->name, p.batch, t * 1e3,
                            (double)(nin + nout) * sizeof(float) / t * 1e-9);
                else {
                    fprintf(stderr, "clnn-bench: pool %s: %s\n", L->name, clnn_last_error());
                    rc = 1;
                }
            } else {
                fprintf(stderr, "clnn-bench: pool %s: out of device memory\n", L->name);
                rc = 1;
            }
            if (in) clReleaseMemObject(in);
            if (ob) clReleaseMemObject(ob);
            clnn_pool_destroy(pool);
            fflush(out);
        }
    fprintf(out, "# pool rows: the gflops column holds GB/s (input + output bytes)\n");
    return rc;
}
