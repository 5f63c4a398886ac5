/*
 * env.c - the one place where clnn reads environment variables (each is documented in
 * README.md's table). Everything else receives a clnn_env snapshot.
 */
#include "../internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *nonempty(const char *name)
{
    const char *v = getenv(name);
    return (v && *v) ? v : NULL;
}

void clnn_env_read(clnn_env *env)
{
    memset(env, 0, sizeof *env);
    env->devices = nonempty("CLNN_DEVICES");
    env->cache_dir = nonempty("CLNN_CACHE_DIR");
    env->kernel_dir = nonempty("CLNN_KERNEL_DIR");
    env->xdg_cache_home = nonempty("XDG_CACHE_HOME");
    env->home = nonempty("HOME");
    env->fail_build_device = nonempty("CLNN_TEST_FAIL_BUILD");
    env->schedule = nonempty("CLNN_SCHEDULE");
    env->fc = nonempty("CLNN_FC");
    env->force_plan = nonempty("CLNN_TEST_SCHEDULE");
    const char *pc = nonempty("CLNN_TEST_PLAN_CHECK");
    env->check_forced_plan = pc && strcmp(pc, "0") != 0;

    env->log_level = -1;
    env->log_level_text = nonempty("CLNN_LOG_LEVEL");
    if (env->log_level_text) {
        static const char *names[] = {"error", "warn", "info", "debug"};
        for (int i = 0; i < 4; i++)
            if (strcasecmp(env->log_level_text, names[i]) == 0) env->log_level = i;
        if (strcasecmp(env->log_level_text, "warning") == 0) env->log_level = 1;
    }

    const char *bt = nonempty("CLNN_BUILD_THREADS");
    if (bt) {
        char *end;
        long v = strtol(bt, &end, 10);
        env->build_threads = (*end == '\0' && v > 0 && v <= 64) ? (int)v : -1;
        env->build_threads_text = bt;
    }
}
