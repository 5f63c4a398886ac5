/*
 * chain.c - `clnn-bench chain`: how session creation scales with the number of nodes. A
 * chain of N Relu nodes on a [1, 16] input is built with the builder, then a session is
 * created (compilation, placement, memory plan, N layers prepared) and run once; each phase
 * is timed, for N from the list given (default 10000, 20000, 50000, 100000).
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: clnn-bench chain [--nodes N,N,...] [--device SEL]\n"
               "Times building, preparing and running a chain of N Relu nodes.\n");
}

static int one(clnn_context *ctx, int n)
{
    clnn_graph *g = NULL;
    double t0 = bench_now();
    int64_t d[2] = {1, 16};
    int rc = clnn_graph_create(&g) || clnn_graph_add_input(g, "t0", d, 2);
    char a[32], b[32] = "t0";
    for (int i = 0; i < n && !rc; i++) {
        snprintf(a, sizeof a, "t%d", i);
        snprintf(b, sizeof b, "t%d", i + 1);
        const char *in[] = {a}, *out[] = {b};
        rc = clnn_graph_add_node(g, "Relu", NULL, in, 1, out, 1, NULL, 0) != CLNN_STATUS_OK;
    }
    if (!rc) rc = clnn_graph_add_output(g, b) != CLNN_STATUS_OK;
    double t1 = bench_now();
    clnn_session *s = NULL;
    if (!rc) rc = clnn_session_create(ctx, g, NULL, &s) != CLNN_STATUS_OK;
    double t2 = bench_now();
    float x[16] = {0}, y[16];
    if (!rc)
        rc = clnn_session_set_input(s, NULL, x, 16) || clnn_session_run(s) ||
             clnn_session_get_output(s, NULL, y, 16);
    double t3 = bench_now();
    if (rc)
        fprintf(stderr, "clnn-bench chain: %d nodes: %s\n", n, clnn_last_error());
    else
        printf("%8d nodes: build %6.2f s, session create %6.2f s, first run %6.2f s\n", n,
               t1 - t0, t2 - t1, t3 - t2);
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
    return rc;
}

int bench_chain(int argc, char **argv)
{
    int sizes[16] = {10000, 20000, 50000, 100000}, nsizes = 4;
    const char *sel = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--nodes") && i + 1 < argc) {
            char *end;
            nsizes = 0;
            for (const char *p = argv[++i]; *p && nsizes < 16; p = *end ? end + 1 : end) {
                long v = strtol(p, &end, 10);
                if (end == p || v < 1 || v > 10000000 || (*end && *end != ',')) {
                    fprintf(stderr, "clnn-bench chain: --nodes takes N,N,... (1..10000000)\n");
                    return 2;
                }
                sizes[nsizes++] = (int)v;
            }
        } else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            sel = argv[++i];
        } else {
            usage(!strcmp(argv[i], "--help") ? stdout : stderr);
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    clnn_context *ctx = NULL;
    if (clnn_context_create(sel, &ctx) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-bench chain: %s\n", clnn_last_error());
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < nsizes && !rc; i++) rc = one(ctx, sizes[i]);
    clnn_context_destroy(ctx);
    return rc ? 1 : 0;
}
