/*
 * log.c - the process-wide log sink. Warnings (an unwritable cache directory, a rejected
 * cache entry) go here instead of failing the call. Level from CLNN_LOG_LEVEL (default warn).
 */
#include "../internal.h"

#include <stdlib.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static clnn_log_fn log_fn;
static void *log_user;
static int log_level = -2; /* -2: not read yet */

void clnn_set_log_callback(clnn_log_fn fn, void *user_data)
{
    pthread_mutex_lock(&log_lock);
    log_fn = fn;
    log_user = user_data;
    pthread_mutex_unlock(&log_lock);
}

static const char *level_name(clnn_log_level l)
{
    switch (l) {
    case CLNN_LOG_LEVEL_ERROR: return "error";
    case CLNN_LOG_LEVEL_WARN: return "warning";
    case CLNN_LOG_LEVEL_INFO: return "info";
    case CLNN_LOG_LEVEL_DEBUG: return "debug";
    }
    return "log";
}

static void read_level_locked(void)
{
    if (log_level != -2) return;
    clnn_env env;
    clnn_env_read(&env);
    log_level = env.log_level >= 0 ? env.log_level : CLNN_LOG_LEVEL_WARN;
    if (env.log_level < 0 && env.log_level_text)
        fprintf(stderr, "clnn: warning: CLNN_LOG_LEVEL='%s' is not one of error, warn, info, "
                        "debug; using warn\n", env.log_level_text);
}

clnn_log_level clnn_set_log_level(clnn_log_level level)
{
    pthread_mutex_lock(&log_lock);
    read_level_locked();
    clnn_log_level old = (clnn_log_level)log_level;
    log_level = (int)level;
    pthread_mutex_unlock(&log_lock);
    return old;
}

void clnn_log(clnn_log_level level, const char *fmt, ...)
{
    pthread_mutex_lock(&log_lock);
    read_level_locked();
    int threshold = log_level;
    clnn_log_fn fn = log_fn;
    void *user = log_user;
    pthread_mutex_unlock(&log_lock);
    if ((int)level > threshold) return;

    char raw[2048], buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    clnn_escape_controls(buf, sizeof buf, raw, false);
    if (fn)
        fn(level, buf, user);
    else
        fprintf(stderr, "clnn: %s: %s\n", level_name(level), buf);
}
