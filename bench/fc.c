/*
 * fc.c - `clnn-bench fc`: FC layers of a few rows (classifier heads) through each path of the
 * FC layer (lib/ops/layer_fc.c) forced in turn by CLNN_FC: clnn's GEMV, CLBlast's GEMV and
 * CLBlast's GEMM, each with bias and ReLU as the layer runs them in a network, W a constant.
 * The paths alternate within every round so drift on a shared machine hits all alike; figures
 * are medians, in GB/s of weight bytes over time and against the device's calibrated bandwidth
 * (lib/sched/calib.c).
 */
#include "bench.h"

#include "../lib/internal.h"
#include "../lib/ops/layer.h"
#include "../lib/sched/sched.h"

#include <stdlib.h>
#include <string.h>

static const int fc_shapes[][2] = {{1280, 1000}, {2048, 1000}, {4096, 4096}, {25088, 4096}};
static const char *const fc_paths[] = {"clnn-gemv", "clblast-gemv", "gemm"};
#define NPATHS 3

static void usage(FILE *f)
{
    fprintf(f, "usage: clnn-bench fc [--batch M] [--trans-b 0|1] [--rounds N] [--csv FILE]\n\n"
               "Times FC layers (K x N: 1280x1000, 2048x1000, 4096x4096, 25088x4096) at M rows\n"
               "(default 1) through clnn's GEMV, CLBlast's GEMV (one row only) and CLBlast's\n"
               "GEMM, interleaved, N rounds (default 21); W is [N,K] (--trans-b 1, default) or\n"
               "[K,N]. Prints medians in ms and GB/s (weight bytes / time) and the fraction of\n"
               "the device's calibrated bandwidth and of a copy of W timed in the same rounds.\n");
}

int bench_fc(int argc, char **argv)
{
    int batch = 1, trans_b = 1, rounds = 21;
    const char *csv = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--batch") && v) {
            batch = atoi(v), i++;
        } else if (!strcmp(a, "--trans-b") && v) {
            trans_b = atoi(v), i++;
        } else if (!strcmp(a, "--rounds") && v) {
            rounds = atoi(v), i++;
        } else if (!strcmp(a, "--csv") && v) {
            csv = v, i++;
        } else {
            fprintf(stderr, "clnn-bench fc: bad argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (batch < 1 || batch > 8 || (trans_b != 0 && trans_b != 1) || rounds < 1 || rounds > 1000) {
        fprintf(stderr, "clnn-bench fc: --batch takes 1..8, --trans-b 0 or 1, --rounds 1..1000\n");
        return 2;
    }
    clnn_context *ctx = NULL;
    if (clnn_context_create(NULL, &ctx) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-bench fc: %s\n", clnn_last_error());
        return 1;
    }
    clnn_device *dev = clnn_context_device(ctx, 0);
    clnn_calib cal;
    memset(&cal, 0, sizeof cal);
    if (clnn_device_calibration(ctx, 0, &cal) != CLNN_STATUS_OK)
        fprintf(stderr, "clnn-bench fc: no calibration: %s\n", clnn_last_error());
    FILE *out = csv ? fopen(csv, "w") : NULL;
    if (csv && !out) {
        fprintf(stderr, "clnn-bench fc: cannot write %s\n", csv);
        clnn_context_destroy(ctx);
        return 1;
    }
    printf("device: %s; calibrated bandwidth %.1f GB/s (read + written); batch %d, W [%s], "
           "%d rounds, medians\n",
           dev->info.name, cal.gbps, batch, trans_b ? "N,K" : "K,N", rounds);
    printf("%-12s %-13s %9s %8s %7s %7s\n", "K x N", "path", "ms", "GB/s", "of cal", "of copy");
    if (out) fprintf(out, "k,n,batch,trans_b,path,ms,gbps,of_calibrated,of_copy\n");
    const char *saved = getenv("CLNN_FC");
    char *saved_copy = saved ? strdup(saved) : NULL;
    int rc = 0;
    for (size_t s = 0; s < CLNN_ARRAY_LEN(fc_shapes) && rc == 0; s++) {
        const int K = fc_shapes[s][0], N = fc_shapes[s][1];
        clnn_graph *g = NULL;
        clnn_graph_create(&g);
        const int64_t ad[] = {batch, K}, wd[] = {trans_b ? N : K, trans_b ? K : N}, cd[] = {N};
        /* W a constant as in a network (the layer may transpose a [K,N] one at prepare); the
         * timed runs read the device buffers below */
        clnn_graph_add_input(g, "a", ad, 2);
        float *wv = malloc((size_t)K * N * sizeof *wv);
        if (!wv) {
            fprintf(stderr, "clnn-bench fc: out of host memory\n");
            clnn_graph_destroy(g);
            rc = 1;
            break;
        }
        for (size_t i = 0; i < (size_t)K * N; i++) wv[i] = 0.01f;
        clnn_graph_add_constant(g, "w", wd, 2, wv);
        free(wv);
        clnn_graph_add_input(g, "c", cd, 1);
        const char *ins[] = {"a", "w", "c"}, *outs[] = {"y"};
        clnn_attr at[] = {CLNN_ATTR_I("transB", trans_b)};
        clnn_status st = clnn_graph_add_node(g, "Gemm", "fc", ins, 3, outs, 1, at, 1);
        if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
        int *order = NULL, norder = 0;
        if (st == CLNN_STATUS_OK) st = clnn_graph_infer(g, 0, &order, &norder);
        free(order);
        gnode *n = &g->nodes[0];
        n->fused.act = CLNN_ACTIVATION_RELU;
        void *state[NPATHS] = {NULL, NULL, NULL};
        bool ran[NPATHS] = {false, false, false};
        for (int p = 0; p < NPATHS && st == CLNN_STATUS_OK; p++) {
            setenv("CLNN_FC", fc_paths[p], 1);
            st = clnn_layer_fc.prepare(ctx, dev, g, n, &state[p]);
            /* a forced path that does not apply falls back to GEMM: time it once */
            const char *d = st == CLNN_STATUS_OK ? clnn_layer_fc.describe(state[p]) : "";
            ran[p] = p == 0 ? strstr(d, "clnn gemv") != NULL
                     : p == 1 ? strstr(d, "sgemv") != NULL
                              : true;
        }
        /* x, W, C, y, and a copy of W: the device's bandwidth now, timed in the same rounds */
        const size_t count[5] = {(size_t)batch * K, (size_t)K * N, (size_t)N, (size_t)batch * N,
                                 (size_t)K * N};
        cl_mem buf[5] = {NULL, NULL, NULL, NULL, NULL};
        for (int i = 0; i < 5 && st == CLNN_STATUS_OK; i++) {
            cl_int err;
            buf[i] = clCreateBuffer(dev->cl_ctx, CL_MEM_READ_WRITE, count[i] * sizeof(float), NULL,
                                    &err);
            const float one = 0.01f;
            if (buf[i])
                err = clEnqueueFillBuffer(dev->queue, buf[i], &one, sizeof one, 0,
                                          count[i] * sizeof(float), 0, NULL, NULL);
            if (!buf[i] || err != CL_SUCCESS) st = CLNN_STATUS_OUT_OF_DEVICE_MEMORY;
        }
        clFinish(dev->queue);
        layer_io io;
        memset(&io, 0, sizeof io);
        io.in[0] = buf[0];
        io.in[1] = buf[1];
        io.in[2] = buf[2];
        io.out = buf[3];
        double *t = calloc((size_t)(NPATHS + 1) * (size_t)(rounds + 1), sizeof *t);
        for (int r = 0; r <= rounds && st == CLNN_STATUS_OK; r++) /* round 0 warms up */
            for (int p = 0; p <= NPATHS && st == CLNN_STATUS_OK; p++) {
                if (p < NPATHS && !ran[p]) continue;
                cl_event ev = NULL;
                const double t0 = bench_now();
                if (p == NPATHS) {
                    if (clEnqueueCopyBuffer(dev->queue, buf[1], buf[4], 0, 0,
                                            count[1] * sizeof(float), 0, NULL, NULL) !=
                        CL_SUCCESS)
                        st = CLNN_STATUS_OPENCL_ERROR;
                } else {
                    st = clnn_layer_fc.enqueue(state[p], dev->queue, &io, 0, NULL, &ev);
                }
                if (ev) clWaitForEvents(1, &ev);
                clFinish(dev->queue);
                t[(size_t)p * (rounds + 1) + r] = bench_now() - t0;
                if (ev) clReleaseEvent(ev);
            }
        if (st != CLNN_STATUS_OK) {
            fprintf(stderr, "clnn-bench fc: %dx%d: %s\n", K, N, clnn_last_error());
            rc = 1;
        }
        const double bytes = (double)K * N * sizeof(float);
        const double copy =
            rc ? 0 : 2 * bytes / bench_median(t + (size_t)NPATHS * (rounds + 1) + 1, rounds) * 1e-9;
        if (rc == 0) {
            char shape[32];
            snprintf(shape, sizeof shape, "%dx%d", K, N);
            printf("%-12s %-13s %9s %8.2f %7s %7s   read + written by a copy of W, now\n", shape,
                   "copy", "", copy, "", "");
            if (out)
                fprintf(out, "%d,%d,%d,%d,copy,,%.3f,,\n", K, N, batch, trans_b, copy);
        }
        for (int p = 0; p < NPATHS && rc == 0; p++) {
            if (!ran[p]) continue;
            const double med = bench_median(t + (size_t)p * (rounds + 1) + 1, rounds);
            const double gbps = bytes / med * 1e-9, of = cal.gbps > 0 ? gbps / cal.gbps : 0;
            const double of_copy = copy > 0 ? gbps / copy : 0;
            char shape[32];
            snprintf(shape, sizeof shape, "%dx%d", K, N);
            printf("%-12s %-13s %9.3f %8.2f %6.0f%% %6.0f%%   %s\n", shape, fc_paths[p],
                   med * 1e3, gbps, of * 100, of_copy * 100, clnn_layer_fc.describe(state[p]));
            if (out)
                fprintf(out, "%d,%d,%d,%d,%s,%.4f,%.3f,%.3f,%.3f\n", K, N, batch, trans_b,
                        fc_paths[p], med * 1e3, gbps, of, of_copy);
        }
        free(t);
        for (int i = 0; i < 5; i++)
            if (buf[i]) clReleaseMemObject(buf[i]);
        for (int p = 0; p < NPATHS; p++)
            if (state[p]) clnn_layer_fc.destroy(state[p]);
        clnn_graph_destroy(g);
        fflush(stdout);
    }
    if (saved_copy)
        setenv("CLNN_FC", saved_copy, 1);
    else
        unsetenv("CLNN_FC");
    free(saved_copy);
    if (out) fclose(out);
    printf("# GB/s: weight bytes read per second; the calibration and the copy row count bytes "
           "read + written by a device copy (the copy timed in the same rounds). The machine is "
           "shared: figures vary from run to run.\n");
    clnn_context_destroy(ctx);
    return rc;
}
