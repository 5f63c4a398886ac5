/*
 * context.c - clnn_context: the selected devices, one OpenCL context and in-order queue per
 * device (devices may come from different platforms), and the program caches' settings.
 */
#include "../internal.h"
#include "../tune/clblast.h"
#include "../tune/db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Resolves the cache directory and checks that it can be written; NULL disables the disk
 * cache (with a warning saying why and how to fix it). */
static char *resolve_cache_dir(const clnn_context_options *opt, const clnn_env *env)
{
    if (opt->disable_disk_cache) return NULL;
    char *dir = NULL;
    if (opt->cache_dir && *opt->cache_dir)
        dir = strdup(opt->cache_dir);
    else if (env->cache_dir)
        dir = strdup(env->cache_dir);
    else if (env->xdg_cache_home || env->home) {
        const char *base = env->xdg_cache_home ? env->xdg_cache_home : env->home;
        const char *suffix = env->xdg_cache_home ? "/clnn" : "/.cache/clnn";
        size_t n = strlen(base) + strlen(suffix) + 1;
        dir = malloc(n);
        if (dir) snprintf(dir, n, "%s%s", base, suffix);
    } else {
        clnn_warn("neither CLNN_CACHE_DIR, XDG_CACHE_HOME nor HOME is set: compiled kernels "
                  "are not cached on disk (set CLNN_CACHE_DIR to enable the cache)");
        return NULL;
    }
    if (!dir) return NULL;

    int rc = clnn_mkdir_p(dir);
    if (rc == 0) {
        size_t n = strlen(dir) + 32;
        char *probe = malloc(n);
        if (!probe) {
            free(dir);
            return NULL;
        }
        snprintf(probe, n, "%s/.probe.XXXXXX", dir);
        int fd = mkstemp(probe);
        if (fd < 0)
            rc = errno;
        else {
            close(fd);
            unlink(probe);
        }
        free(probe);
    }
    if (rc != 0) {
        clnn_warn("kernel cache directory '%s' is not writable (%s): compiled kernels are not "
                  "cached on disk; set CLNN_CACHE_DIR to a writable directory",
                  dir, strerror(rc));
        free(dir);
        return NULL;
    }
    return dir;
}

static clnn_status open_device(clnn_context *ctx, clnn_device *dev)
{
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)dev->platform,
                                     0};
    dev->cl_ctx = clCreateContext(props, 1, &dev->id, NULL, NULL, &err);
    if (err != CL_SUCCESS)
        return clnn_fail_cl(ctx, err, "clCreateContext for device '%s'", dev->info.name);
    dev->queue = clCreateCommandQueue(dev->cl_ctx, dev->id, CL_QUEUE_PROFILING_ENABLE, &err);
    if (err != CL_SUCCESS)
        return clnn_fail_cl(ctx, err, "clCreateCommandQueue for device '%s'", dev->info.name);
    return CLNN_STATUS_OK;
}

clnn_status clnn_context_create(const char *devices, clnn_context **ctx)
{
    clnn_context_options opt;
    memset(&opt, 0, sizeof opt);
    opt.devices = devices;
    return clnn_context_create_ex(&opt, ctx);
}

clnn_status clnn_context_create_ex(const clnn_context_options *options, clnn_context **out)
{
    if (!out)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_context_create: the output pointer is NULL");
    *out = NULL;
    clnn_context_options opt;
    memset(&opt, 0, sizeof opt);
    if (options) opt = *options;
    clnn_env env;
    clnn_env_read(&env);
    const char *selection = opt.devices ? opt.devices : env.devices;

    clnn_device_info *infos = NULL;
    size_t ninfos = 0, *picked = NULL, npicked = 0;
    clnn_status st = clnn_device_list(&infos, &ninfos);
    if (st != CLNN_STATUS_OK) return st;
    st = clnn_device_select(infos, ninfos, selection, &picked, &npicked);
    if (st != CLNN_STATUS_OK) {
        if (!opt.devices && env.devices) {
            /* Say where the selection came from. */
            char *msg = strdup(clnn_last_error());
            clnn_fail(NULL, st, "CLNN_DEVICES: %s", msg ? msg : "invalid selection");
            free(msg);
        }
        clnn_device_list_free(infos);
        return st;
    }

    clnn_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        free(picked);
        clnn_device_list_free(infos);
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_context_create");
    }
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->devices = calloc(npicked, sizeof *ctx->devices);
    ctx->ndevices = ctx->devices ? npicked : 0;
    if (!ctx->devices) {
        st = clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_context_create");
        goto fail;
    }

    /* Map the chosen infos back to OpenCL ids (enumeration order is stable). */
    cl_platform_id plats[32];
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(32, plats, &np);
    if (err != CL_SUCCESS) {
        st = clnn_fail_cl(NULL, err, "clGetPlatformIDs");
        goto fail;
    }
    for (size_t i = 0; i < npicked; i++) {
        clnn_device *dev = &ctx->devices[i];
        dev->info = infos[picked[i]];
        dev->index = i;
        cl_device_id ids[64];
        cl_uint nd = 0;
        int pi = dev->info.platform_index;
        err = ((cl_uint)pi < np)
                  ? clGetDeviceIDs(plats[pi], CL_DEVICE_TYPE_ALL, 64, ids, &nd)
                  : CL_INVALID_PLATFORM;
        if (err != CL_SUCCESS || (cl_uint)dev->info.device_index >= nd) {
            st = clnn_fail_cl(NULL, err != CL_SUCCESS ? err : CL_INVALID_DEVICE,
                              "re-enumerating device %d:%d", pi, dev->info.device_index);
            goto fail;
        }
        dev->platform = plats[pi];
        dev->id = ids[dev->info.device_index];
        pthread_mutex_init(&dev->queue_lock, NULL);
        if (env.fail_build_device) {
            char pd[32];
            snprintf(pd, sizeof pd, "%d:%d", pi, dev->info.device_index);
            dev->fail_builds = !strcmp(env.fail_build_device, pd) ||
                               clnn_contains_nocase(dev->info.name, env.fail_build_device);
        }
        st = open_device(NULL, dev);
        if (st != CLNN_STATUS_OK) goto fail;
    }

    ctx->cache_dir = resolve_cache_dir(&opt, &env);
    const char *kdir = opt.kernel_dir ? opt.kernel_dir : env.kernel_dir;
    if (kdir) {
        ctx->kernel_dir = strdup(kdir);
        if (!ctx->kernel_dir) {
            st = clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_context_create");
            goto fail;
        }
    }
    free(picked);
    clnn_device_list_free(infos);
    *out = ctx;
    return CLNN_STATUS_OK;

fail:
    free(picked);
    clnn_device_list_free(infos);
    clnn_context_destroy(ctx);
    return st;
}

void clnn_context_destroy(clnn_context *ctx)
{
    if (!ctx) return;
    for (size_t i = 0; i < ctx->ndevices; i++)
        if (ctx->devices[i].queue) clFinish(ctx->devices[i].queue);
    clnn_clblast_context_done(ctx);
    clnn_program_cache_clear(ctx);
    for (size_t i = 0; i < ctx->ndevices; i++) {
        clnn_device *dev = &ctx->devices[i];
        if (dev->queue) clReleaseCommandQueue(dev->queue);
        if (dev->cl_ctx) clReleaseContext(dev->cl_ctx);
        if (dev->id) pthread_mutex_destroy(&dev->queue_lock);
        clnn_tune_db_free(dev->tune_db);
    }
    free(ctx->devices);
    free(ctx->cache_dir);
    free(ctx->kernel_dir);
    free(ctx->error);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

const char *clnn_context_last_error(const clnn_context *ctx)
{
    if (!ctx) return "";
    return ctx->error ? ctx->error : "";
}

size_t clnn_context_device_count(const clnn_context *ctx) { return ctx ? ctx->ndevices : 0; }

clnn_status clnn_context_device_info(const clnn_context *ctx, size_t index,
                                     clnn_device_info *info)
{
    if (!ctx || !info)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_context_device_info: NULL argument");
    if (index >= ctx->ndevices)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_context_device_info: device index %zu out of range (the "
                         "context has %zu devices)",
                         index, ctx->ndevices);
    *info = ctx->devices[index].info;
    return CLNN_STATUS_OK;
}

const char *clnn_context_cache_dir(const clnn_context *ctx)
{
    return ctx ? ctx->cache_dir : NULL;
}

void clnn_context_cache_stats(const clnn_context *ctx, clnn_cache_stats *stats)
{
    if (!stats) return;
    memset(stats, 0, sizeof *stats);
    if (!ctx) return;
    clnn_context *c = (clnn_context *)ctx;
    pthread_mutex_lock(&c->lock);
    *stats = c->stats;
    pthread_mutex_unlock(&c->lock);
}
