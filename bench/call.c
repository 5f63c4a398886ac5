/*
 * call.c - `clnn-bench call MODEL`: microseconds of one set_input + run + get_output through
 * the C API on a (tiny) model, the baseline of the Python module's per-call overhead
 * (bench/python_overhead.py). Every input gets zeros; median of 7 rounds of N calls.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int bench_call(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: clnn-bench call MODEL.onnx [CALLS]\n");
        return 2;
    }
    int calls = argc > 2 ? atoi(argv[2]) : 2000;
    if (calls < 1) calls = 2000;
    clnn_graph *g = NULL;
    clnn_context *ctx = NULL;
    clnn_session *s = NULL;
    if (clnn_graph_load_onnx(argv[1], &g) || clnn_context_create(NULL, &ctx) ||
        clnn_session_create(ctx, g, NULL, &s)) {
        fprintf(stderr, "clnn-bench call: %s\n", clnn_last_error());
        clnn_session_destroy(s), clnn_context_destroy(ctx), clnn_graph_destroy(g);
        return 1;
    }
    size_t nin = clnn_session_input_count(s), in_n[16] = {0}, out_n = 1;
    float *in[16] = {0}, *out;
    for (size_t i = 0; i < nin && i < 16; i++) {
        const int64_t *d;
        size_t nd;
        clnn_session_input_shape(s, clnn_session_input_name(s, i), &d, &nd);
        in_n[i] = 1;
        for (size_t k = 0; k < nd; k++) in_n[i] *= (size_t)d[k];
        in[i] = calloc(in_n[i], sizeof(float));
    }
    const int64_t *od;
    size_t ond;
    clnn_session_output_shape(s, NULL, &od, &ond);
    for (size_t k = 0; k < ond; k++) out_n *= (size_t)od[k];
    out = malloc(out_n * sizeof *out);
    double med[7];
    int rc = 0;
    for (int r = 0; r < 7 && !rc; r++) {
        double t0 = bench_now();
        for (int c = 0; c < calls && !rc; c++) {
            for (size_t i = 0; i < nin && !rc; i++)
                rc = clnn_session_set_input(s, clnn_session_input_name(s, i), in[i], in_n[i]);
            if (!rc) rc = clnn_session_run(s) || clnn_session_get_output(s, NULL, out, out_n);
        }
        med[r] = (bench_now() - t0) / calls * 1e6;
    }
    if (rc)
        fprintf(stderr, "clnn-bench call: %s\n", clnn_last_error());
    else {
        qsort(med, 7, sizeof med[0], cmp);
        printf("%.2f us per call (set inputs, run, get output; median of 7 x %d)\n", med[3],
               calls);
    }
    for (size_t i = 0; i < nin && i < 16; i++) free(in[i]);
    free(out);
    clnn_session_destroy(s);
    clnn_context_destroy(ctx);
    clnn_graph_destroy(g);
    return rc ? 1 : 0;
}
