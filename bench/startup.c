/*
 * startup.c - `clnn-bench startup`: the time from nothing to a context with every embedded
 * kernel program built, cold (empty clnn cache) and warm (clnn's disk cache filled).
 *
 * Each start runs in a fresh child process so nothing stays in memory between them. The
 * driver's own caches are kept out of the main comparison: PoCL's kernel cache is pointed at
 * an empty folder for the cold and warm starts (POCL_CACHE_DIR), so the warm start gains only
 * from clnn's; a last start keeps PoCL's cache too (what a user sees: PoCL also compiles at
 * first launch, and CLBlast builds its kernels without a disk cache of its own).
 */
#include "bench.h"

#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs one start in a child; returns its seconds (or < 0 on failure) and the number of
 * programs compiled from source and loaded from disk. */
static double run_child(const char *cache_dir, const char *pocl_dir, const char *device,
                        const char *threads, const char *model, int *builds, int *disk_hits)
{
    int pipefd[2];
    if (pipe(pipefd) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(pipefd[0]);
        dup2(pipefd[1], STDOUT_FILENO);
        setenv("CLNN_CACHE_DIR", cache_dir, 1);
        setenv("POCL_CACHE_DIR", pocl_dir, 1);
        if (threads) setenv("CLNN_BUILD_THREADS", threads, 1);
        execl(bench_self_path(), "clnn-bench", "startup-child", device, model, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    char buf[256] = {0};
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(pipefd[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    double secs = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
        sscanf(buf, "%lf %d %d", &secs, builds, disk_hits) == 3)
        return secs;
    return -1;
}

/* One start: a context and every embedded program; or, with a model, a context, the model's
 * session (only the programs it needs) and its first run. */
int bench_startup_child(int argc, char **argv)
{
    const char *device = argc > 1 ? argv[1] : NULL;
    const char *model = argc > 2 ? argv[2] : NULL;
    clnn_graph *g = NULL;
    if (model && clnn_graph_load_onnx(model, &g) != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-bench startup: %s\n", clnn_last_error());
        return 1;
    }
    double t0 = clnn_now();
    clnn_context *ctx = NULL;
    clnn_session *sess = NULL;
    clnn_status st = clnn_context_create(device, &ctx);
    if (st == CLNN_STATUS_OK && !model) st = clnn_context_build_all(ctx);
    if (st == CLNN_STATUS_OK && model) {
        st = clnn_session_create(ctx, g, NULL, &sess);
        if (st == CLNN_STATUS_OK) st = clnn_session_run(sess);
    }
    if (st != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-bench startup: %s\n", clnn_last_error());
        clnn_session_destroy(sess);
        clnn_context_destroy(ctx);
        clnn_graph_destroy(g);
        return 1;
    }
    double t = clnn_now() - t0;
    clnn_cache_stats s;
    clnn_context_cache_stats(ctx, &s);
    clnn_session_destroy(sess);
    clnn_context_destroy(ctx);
    clnn_graph_destroy(g);
    printf("%.6f %zu %zu\n", t, s.builds, s.disk_hits);
    return 0;
}

int bench_startup(int argc, char **argv)
{
    const char *device = "cpu", *model = NULL;
    int repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model = argv[++i];
        else {
            printf("usage: clnn-bench startup [--device SEL] [--repeat N] [--model FILE.onnx]\n\n"
                   "Times creating a context and building every embedded kernel program in a\n"
                   "fresh process: cold (empty kernel cache, one build thread and the default\n"
                   "number), then warm (programs loaded from clnn's disk cache). PoCL's own\n"
                   "cache is emptied for every start. Prints CSV and the warm/cold ratio.\n"
                   "With --model: a session of the model (only the programs it needs) and its\n"
                   "first run instead of every program.\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (repeat < 1 || repeat > 100) {
        fprintf(stderr, "clnn-bench startup: --repeat must be 1..100\n");
        return 2;
    }
    char tmpl[] = "/tmp/clnn-startup-XXXXXX";
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "clnn-bench startup: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    char cache[512], pocl[512];
    double cold1[100], coldn[100], warm[100], warm_all[100];
    int builds = 0, hits = 0, nprog = 0;
    int rc = 0;
    printf("kind,run,seconds,programs_compiled,programs_from_disk\n");
    for (int i = 0; i < repeat && rc == 0; i++) {
        /* cold, one build thread */
        snprintf(cache, sizeof cache, "%s/cold1-%d", tmpl, i);
        snprintf(pocl, sizeof pocl, "%s/pocl-c1-%d", tmpl, i);
        cold1[i] = run_child(cache, pocl, device, "1", model, &builds, &hits);
        printf("cold_1thread,%d,%.4f,%d,%d\n", i, cold1[i], builds, hits);
        /* cold, default threads; this cache then serves the warm starts */
        snprintf(cache, sizeof cache, "%s/cold-%d", tmpl, i);
        snprintf(pocl, sizeof pocl, "%s/pocl-c-%d", tmpl, i);
        coldn[i] = run_child(cache, pocl, device, NULL, model, &builds, &hits);
        printf("cold_parallel,%d,%.4f,%d,%d\n", i, coldn[i], builds, hits);
        nprog = builds;
        /* warm: clnn's cache filled, the driver's cache empty; warm_all: both filled (what a
         * user sees on a second start, PoCL keeping its own cache by default). */
        char pocl_warm[512];
        snprintf(pocl_warm, sizeof pocl_warm, "%s/pocl-w-%d", tmpl, i);
        warm[i] = run_child(cache, pocl_warm, device, NULL, model, &builds, &hits);
        printf("warm,%d,%.4f,%d,%d\n", i, warm[i], builds, hits);
        warm_all[i] = run_child(cache, pocl, device, NULL, model, &builds, &hits);
        printf("warm_all_caches,%d,%.4f,%d,%d\n", i, warm_all[i], builds, hits);
        if (cold1[i] < 0 || coldn[i] < 0 || warm[i] < 0 || warm_all[i] < 0) rc = 1;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0) fprintf(stderr, "clnn-bench startup: could not remove %s\n", tmpl);
    if (rc) {
        fprintf(stderr, "clnn-bench startup: a measured start failed (see above)\n");
        return 1;
    }
    double c1 = bench_median(cold1, repeat), cn = bench_median(coldn, repeat),
           w = bench_median(warm, repeat), wa = bench_median(warm_all, repeat);
    printf("# %d programs; median of %d: cold %.3f s (1 build thread %.3f s), warm %.3f s "
           "(%.1fx faster than cold), warm with the driver's cache too %.3f s (%.1fx); "
           "parallel build %.2fx one thread\n",
           nprog, repeat, cn, c1, w, w > 0 ? cn / w : 0, wa, wa > 0 ? cn / wa : 0,
           cn > 0 ? c1 / cn : 0);
    return 0;
}
