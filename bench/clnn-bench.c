/*
 * clnn-bench - benchmarks and the kernel tuner. Speed is measured here, never in tests; every
 * figure is printed beside a baseline measured in the same run.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand commands[] = {
    {"startup", bench_startup,
     "time context creation + building every embedded kernel, cold vs warm disk cache"},
    {"conv", bench_conv,
     "time convolution algorithms and pooling per layer beside CLBlast's ConvGemm"},
    {"fc", bench_fc, "FC layers of a few rows: clnn's GEMV vs CLBlast's GEMV and GEMM, GB/s"},
    {"chain", bench_chain, "session creation time of a chain of N nodes"},
    {"call", bench_call, "microseconds of one run through the C API (Python overhead baseline)"},
    {"tune", bench_tune,
     "search algorithms, knobs and CLBlast parameters per layer; write the tuning database"},
    {"startup-child", bench_startup_child, NULL}, /* internal: one measured start */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: clnn-bench COMMAND [options]   (clnn-bench COMMAND --help for more)\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].summary)
            fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    if (n <= 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

const char *bench_self_path(void) { return "/proc/self/exe"; }

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *bench_default_layers(void)
{
    static const char *candidates[] = {CLNN_SOURCE_DIR "/bench/conv_layers.csv",
                                       CLNN_DATA_DIR "/conv_layers.csv"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access(candidates[i], R_OK) == 0) return candidates[i];
    return candidates[0];
}

int bench_parse_sizes(const char *s, int *v, int max)
{
    int n = 0;
    while (*s && n < max) {
        char *end;
        long x = strtol(s, &end, 10);
        if (end == s || x < 1 || x > 4096) return -1;
        v[n++] = (int)x;
        if (*end && *end != ',') return -1;
        s = *end == ',' ? end + 1 : end;
    }
    return *s ? -1 : n; /* more than max sizes */
}

int bench_plot(const char *name, const char *csv, const char *png)
{
    char script[1024];
    snprintf(script, sizeof script, "%s/scripts/%s", CLNN_SOURCE_DIR, name);
    if (access(script, R_OK) != 0) snprintf(script, sizeof script, "%s/%s", CLNN_DATA_DIR, name);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s'", script, csv, png);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "clnn-bench: plotting failed (%s); it needs python3-matplotlib\n", cmd);
    return rc != 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "clnn-bench: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
