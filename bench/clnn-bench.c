/*
 * clnn-bench - benchmarks and the kernel tuner. Speed is measured here, never in tests; every
 * figure is printed beside a baseline measured in the same run.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand commands[] = {
    {"startup", bench_startup,
     "time context creation + building every embedded kernel, cold vs warm disk cache"},
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
