/*
 * program.c - kernel programs: source lookup (embedded or CLNN_KERNEL_DIR), compilation, and
 * the two caches in front of it.
 *
 * In memory: one entry per (device, key), owned by the context.
 * On disk:   $cache_dir/<key>.clbin, where key = XXH3-128 of the cache format version, the
 *            program source, the build options, and the device's name, vendor, driver,
 *            device version and platform name and version. An entry is a fixed header
 *            (magic, format version, key, binary length, binary checksum) and the binary.
 *            Anything that does not check out (short file, wrong magic or version, another
 *            key, a bad checksum, a binary the driver refuses) is rebuilt from source and
 *            overwritten. Entries are written to a temporary file and renamed into place.
 */
#include "../internal.h"

#include <stdatomic.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_MAGIC "CLNNPRG"
#define CACHE_HEADER_SIZE 64u
#define CACHE_MAX_FILE (512u << 20)
#define BUILD_LOG_MAX 12000
#define BASE_OPTIONS "-cl-mad-enable"

struct clnn_program_entry {
    clnn_program_entry *next;
    size_t device;
    clnn_hash128 key;
    cl_program program;
};

typedef struct cache_header {
    char magic[8];
    uint32_t format_version;
    uint32_t header_size;
    uint64_t key_lo, key_hi;
    uint64_t binary_size;
    uint64_t sum_lo, sum_hi;
    uint64_t reserved;
} cache_header;
_Static_assert(sizeof(cache_header) == CACHE_HEADER_SIZE, "cache header layout");

static const clnn_embedded_kernel *find_embedded(const char *name)
{
    for (size_t i = 0; i < clnn_embedded_kernel_count; i++)
        if (strcmp(clnn_embedded_kernels[i].name, name) == 0) return &clnn_embedded_kernels[i];
    return NULL;
}

static bool valid_kernel_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64) return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return false;
    return true;
}

/* Loads one .cl file's text into *text (malloc'ed). */
static clnn_status load_one(const clnn_context *ctx, const char *name, char **text, size_t *len)
{
    if (ctx->kernel_dir) {
        size_t n = strlen(ctx->kernel_dir) + strlen(name) + 8;
        char *path = malloc(n);
        if (!path) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "kernel source");
        snprintf(path, n, "%s/%s.cl", ctx->kernel_dir, name);
        int rc = clnn_read_file(path, 16u << 20, text, len);
        if (rc != 0) {
            clnn_status st = clnn_fail(ctx, CLNN_STATUS_IO_ERROR,
                                       "cannot read kernel source '%s' (%s): CLNN_KERNEL_DIR "
                                       "must name a folder holding clnn's kernels/*.cl, or be "
                                       "unset to use the kernels built into the library",
                                       path, strerror(rc));
            free(path);
            return st;
        }
        free(path);
        return CLNN_STATUS_OK;
    }
    const clnn_embedded_kernel *k = find_embedded(name);
    if (!k)
        return clnn_fail(ctx, CLNN_STATUS_INTERNAL, "no kernel source named '%s' is embedded",
                         name);
    *text = malloc(k->length + 1);
    if (!*text) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "kernel source");
    memcpy(*text, k->source, k->length);
    (*text)[k->length] = '\0';
    *len = k->length;
    return CLNN_STATUS_OK;
}

clnn_status clnn_kernel_source(const clnn_context *ctx, const char *name, char **source,
                               size_t *len)
{
    *source = NULL;
    *len = 0;
    if (!valid_kernel_name(name))
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "invalid kernel program name");
    char *common = NULL, *body = NULL;
    size_t clen = 0, blen = 0;
    clnn_status st = load_one(ctx, "common", &common, &clen);
    if (st == CLNN_STATUS_OK && strcmp(name, "common") != 0)
        st = load_one(ctx, name, &body, &blen);
    if (st != CLNN_STATUS_OK) {
        free(common);
        return st;
    }
    clnn_strbuf sb = {0};
    clnn_strbuf_printf(&sb, "#line 1 \"common.cl\"\n%s\n", common);
    if (body) clnn_strbuf_printf(&sb, "#line 1 \"%s.cl\"\n%s\n", name, body);
    free(common);
    free(body);
    if (sb.failed) {
        clnn_strbuf_free(&sb);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "kernel source");
    }
    *source = sb.data;
    *len = sb.len;
    return CLNN_STATUS_OK;
}

static clnn_hash128 program_key(const clnn_device *dev, const char *source, size_t len,
                                const char *options)
{
    clnn_hasher hs, *h = &hs;
    clnn_hasher_init(h);
    uint32_t version = CLNN_CACHE_FORMAT_VERSION;
    clnn_hasher_add(h, &version, sizeof version);
    clnn_hasher_add(h, &len, sizeof len);
    clnn_hasher_add(h, source, len);
    clnn_hasher_add_str(h, options);
    clnn_hasher_add_device(h, &dev->info);
    return clnn_hasher_finish(h);
}

static char *entry_path(const clnn_context *ctx, clnn_hash128 key)
{
    char hex[33];
    clnn_hash_hex(key, hex);
    size_t n = strlen(ctx->cache_dir) + 48;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s.clbin", ctx->cache_dir, hex);
    return p;
}

static void count(clnn_context *ctx, size_t *field)
{
    pthread_mutex_lock(&ctx->lock);
    (*field)++;
    pthread_mutex_unlock(&ctx->lock);
}

/* Tries the on-disk entry; returns a built program or NULL (and counts a reject when an entry
 * existed but could not be trusted or used). */
static cl_program load_from_disk(clnn_context *ctx, clnn_device *dev, clnn_hash128 key,
                                 const char *full_options, const char *name)
{
    if (!ctx->cache_dir) return NULL;
    char *path = entry_path(ctx, key);
    if (!path) return NULL;
    char *data = NULL;
    size_t len = 0;
    int rc = clnn_read_file(path, CACHE_MAX_FILE, &data, &len);
    if (rc == ENOENT) {
        free(path);
        return NULL;
    }
    const char *why = NULL;
    cache_header hdr;
    if (rc != 0)
        why = strerror(rc);
    else if (len < CACHE_HEADER_SIZE)
        why = "truncated header";
    else {
        memcpy(&hdr, data, sizeof hdr);
        if (memcmp(hdr.magic, CACHE_MAGIC, sizeof CACHE_MAGIC) != 0)
            why = "not a clnn cache entry";
        else if (hdr.format_version != CLNN_CACHE_FORMAT_VERSION ||
                 hdr.header_size != CACHE_HEADER_SIZE)
            why = "another cache format version";
        else if (hdr.key_lo != key.lo || hdr.key_hi != key.hi)
            why = "entry belongs to another program or device";
        else if (hdr.binary_size != len - CACHE_HEADER_SIZE || hdr.binary_size == 0)
            why = "truncated or oversized binary";
        else {
            clnn_hash128 sum = clnn_hash_bytes(data + CACHE_HEADER_SIZE, hdr.binary_size);
            if (sum.lo != hdr.sum_lo || sum.hi != hdr.sum_hi) why = "checksum mismatch";
        }
    }
    cl_program prog = NULL;
    if (!why) {
        const unsigned char *bin = (const unsigned char *)data + CACHE_HEADER_SIZE;
        size_t blen = hdr.binary_size;
        cl_int bstatus = CL_SUCCESS, err;
        prog = clCreateProgramWithBinary(dev->cl_ctx, 1, &dev->id, &blen, &bin, &bstatus, &err);
        if (err != CL_SUCCESS || bstatus != CL_SUCCESS) {
            why = "the driver refused the binary";
            if (prog) clReleaseProgram(prog);
            prog = NULL;
        } else if ((err = clBuildProgram(prog, 1, &dev->id, full_options, NULL, NULL)) !=
                   CL_SUCCESS) {
            why = "the driver could not build the binary";
            clReleaseProgram(prog);
            prog = NULL;
        }
    }
    if (why) {
        clnn_warn("kernel cache entry '%s' for program '%s' rejected (%s); rebuilding it", path,
                  name, why);
        count(ctx, &ctx->stats.disk_rejects);
    } else {
        count(ctx, &ctx->stats.disk_hits);
    }
    free(data);
    free(path);
    return prog;
}

static void store_to_disk(clnn_context *ctx, clnn_device *dev, clnn_hash128 key, cl_program prog)
{
    (void)dev;
    if (!ctx->cache_dir) return;
    size_t bsize = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof bsize, &bsize, NULL) !=
            CL_SUCCESS ||
        bsize == 0 || bsize > CACHE_MAX_FILE - CACHE_HEADER_SIZE)
        return; /* the driver gives no binary: the program still works, just uncached */
    unsigned char *buf = malloc(CACHE_HEADER_SIZE + bsize);
    if (!buf) return;
    unsigned char *bin = buf + CACHE_HEADER_SIZE;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS) {
        free(buf);
        return;
    }
    cache_header hdr;
    memset(&hdr, 0, sizeof hdr);
    memcpy(hdr.magic, CACHE_MAGIC, sizeof CACHE_MAGIC);
    hdr.format_version = CLNN_CACHE_FORMAT_VERSION;
    hdr.header_size = CACHE_HEADER_SIZE;
    hdr.key_lo = key.lo;
    hdr.key_hi = key.hi;
    hdr.binary_size = bsize;
    clnn_hash128 sum = clnn_hash_bytes(bin, bsize);
    hdr.sum_lo = sum.lo;
    hdr.sum_hi = sum.hi;
    memcpy(buf, &hdr, sizeof hdr);
    char *path = entry_path(ctx, key);
    int rc = path ? clnn_write_file_atomic(path, buf, CACHE_HEADER_SIZE + bsize) : ENOMEM;
    if (rc != 0)
        clnn_warn("could not write kernel cache entry '%s': %s", path ? path : "?",
                  strerror(rc));
    else
        count(ctx, &ctx->stats.disk_writes);
    free(path);
    free(buf);
}

static clnn_status build_from_source(clnn_context *ctx, clnn_device *dev, const char *name,
                                     const char *source, size_t len, const char *full_options,
                                     cl_program *out)
{
    *out = NULL;
    if (dev->fail_builds)
        return clnn_fail(ctx, CLNN_STATUS_BUILD_FAILED,
                         "building kernel program '%s' for device '%s' failed: refused by the "
                         "test hook CLNN_TEST_FAIL_BUILD",
                         name, dev->info.name);
    cl_int err;
    const char *src = source;
    cl_program prog = clCreateProgramWithSource(dev->cl_ctx, 1, &src, &len, &err);
    if (err != CL_SUCCESS)
        return clnn_fail_cl(ctx, err, "clCreateProgramWithSource('%s')", name);
    count(ctx, &ctx->stats.builds);
    err = clBuildProgram(prog, 1, &dev->id, full_options, NULL, NULL);
    if (err != CL_SUCCESS) {
        size_t log_len = 0;
        char *log = NULL;
        if (clGetProgramBuildInfo(prog, dev->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_len) ==
                CL_SUCCESS &&
            (log = malloc(log_len + 1)) != NULL) {
            if (clGetProgramBuildInfo(prog, dev->id, CL_PROGRAM_BUILD_LOG, log_len, log,
                                      NULL) != CL_SUCCESS)
                log_len = 0;
            log[log_len] = '\0';
            if (log_len > BUILD_LOG_MAX) strcpy(log + BUILD_LOG_MAX, "\n[log truncated]");
        }
        clReleaseProgram(prog);
        clnn_status st = clnn_fail(ctx, CLNN_STATUS_BUILD_FAILED,
                                   "building kernel program '%s' with options '%s' for device "
                                   "'%s' (driver %s) failed: %s (%d)\n--- build log ---\n%s",
                                   name, full_options, dev->info.name, dev->info.driver_version,
                                   clnn_cl_error_name(err), (int)err,
                                   log && *log ? log : "(the driver gave no log)");
        free(log);
        return st;
    }
    *out = prog;
    return CLNN_STATUS_OK;
}

static cl_program memory_lookup(clnn_context *ctx, size_t device, clnn_hash128 key)
{
    cl_program p = NULL;
    pthread_mutex_lock(&ctx->lock);
    for (clnn_program_entry *e = ctx->programs; e; e = e->next)
        if (e->device == device && e->key.lo == key.lo && e->key.hi == key.hi) {
            p = e->program;
            ctx->stats.memory_hits++;
            break;
        }
    pthread_mutex_unlock(&ctx->lock);
    return p;
}

/* Inserts prog unless another thread got there first; returns the program to use. */
static cl_program memory_insert(clnn_context *ctx, size_t device, clnn_hash128 key,
                                cl_program prog)
{
    pthread_mutex_lock(&ctx->lock);
    for (clnn_program_entry *e = ctx->programs; e; e = e->next)
        if (e->device == device && e->key.lo == key.lo && e->key.hi == key.hi) {
            cl_program existing = e->program;
            pthread_mutex_unlock(&ctx->lock);
            clReleaseProgram(prog);
            return existing;
        }
    clnn_program_entry *e = malloc(sizeof *e);
    if (e) {
        e->next = ctx->programs;
        e->device = device;
        e->key = key;
        e->program = prog;
        ctx->programs = e;
    }
    pthread_mutex_unlock(&ctx->lock);
    if (!e) clReleaseProgram(prog);
    return e ? prog : NULL;
}

clnn_status clnn_program_get(clnn_context *ctx, clnn_device *dev, const char *name,
                             const char *options, cl_program *program)
{
    if (!ctx || !dev || !program)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "clnn_program_get: NULL argument");
    *program = NULL;
    char *source = NULL;
    size_t len = 0;
    clnn_status st = clnn_kernel_source(ctx, name, &source, &len);
    if (st != CLNN_STATUS_OK) return st;

    clnn_strbuf opts = {0};
    clnn_strbuf_printf(&opts, "%s%s%s", BASE_OPTIONS, options && *options ? " " : "",
                       options ? options : "");
    if (opts.failed) {
        free(source);
        clnn_strbuf_free(&opts);
        return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "build options");
    }
    clnn_hash128 key = program_key(dev, source, len, opts.data);
    cl_program prog = memory_lookup(ctx, dev->index, key);
    if (!prog) {
        if (!dev->fail_builds) prog = load_from_disk(ctx, dev, key, opts.data, name);
        if (!prog) {
            st = build_from_source(ctx, dev, name, source, len, opts.data, &prog);
            if (st == CLNN_STATUS_OK) store_to_disk(ctx, dev, key, prog);
        }
        if (st == CLNN_STATUS_OK && !(prog = memory_insert(ctx, dev->index, key, prog)))
            st = clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "program cache");
    }
    free(source);
    clnn_strbuf_free(&opts);
    if (st == CLNN_STATUS_OK) *program = prog;
    return st;
}

/* ---- parallel builds ------------------------------------------------------------------- */

typedef struct build_job {
    clnn_context *ctx;
    clnn_program_request *reqs;
    size_t n, next;
    pthread_mutex_t lock;
    char first_error[4096];
    bool failed;
} build_job;

static void *build_worker(void *arg)
{
    build_job *job = arg;
    for (;;) {
        pthread_mutex_lock(&job->lock);
        size_t i = job->next++;
        pthread_mutex_unlock(&job->lock);
        if (i >= job->n) break;
        clnn_program_request *r = &job->reqs[i];
        r->status = clnn_program_get(job->ctx, r->dev, r->name, r->options, &r->program);
        if (r->status != CLNN_STATUS_OK) {
            pthread_mutex_lock(&job->lock);
            if (!job->failed) {
                job->failed = true;
                snprintf(job->first_error, sizeof job->first_error, "%s", clnn_last_error());
            }
            pthread_mutex_unlock(&job->lock);
        }
    }
    return NULL;
}

clnn_status clnn_program_get_many(clnn_context *ctx, clnn_program_request *reqs, size_t n)
{
    if (n == 0) return CLNN_STATUS_OK;
    clnn_env env;
    clnn_env_read(&env);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = cpus > 0 ? (size_t)cpus : 1;
    if (threads > 8) threads = 8; /* the default: online CPUs, at most 8 */
    if (env.build_threads > 0) {
        threads = (size_t)env.build_threads;
    } else if (env.build_threads < 0) {
        static atomic_bool warned;
        if (!atomic_exchange(&warned, true))
            clnn_warn("CLNN_BUILD_THREADS='%.40s' is not a whole number from 1 to 64; using %zu "
                      "threads", env.build_threads_text, threads);
    }
    if (threads > n) threads = n;

    build_job job;
    memset(&job, 0, sizeof job);
    job.ctx = ctx;
    job.reqs = reqs;
    job.n = n;
    pthread_mutex_init(&job.lock, NULL);
    pthread_t tids[8];
    size_t started = 0;
    for (size_t t = 1; t < threads; t++) {
        if (pthread_create(&tids[started], NULL, build_worker, &job) != 0) break;
        started++;
    }
    build_worker(&job); /* the calling thread works too */
    for (size_t t = 0; t < started; t++) pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&job.lock);
    for (size_t i = 0; i < n; i++)
        if (reqs[i].status != CLNN_STATUS_OK)
            return clnn_fail(ctx, reqs[i].status, "%s", job.first_error);
    return CLNN_STATUS_OK;
}

void clnn_program_cache_clear(clnn_context *ctx)
{
    clnn_program_entry *e = ctx->programs;
    while (e) {
        clnn_program_entry *next = e->next;
        clReleaseProgram(e->program);
        free(e);
        e = next;
    }
    ctx->programs = NULL;
}

clnn_status clnn_kernel_create(clnn_context *ctx, clnn_device *dev, const char *program_name,
                               const char *options, const char *kernel_name, cl_kernel *kernel)
{
    *kernel = NULL;
    cl_program prog;
    clnn_status st = clnn_program_get(ctx, dev, program_name, options, &prog);
    if (st != CLNN_STATUS_OK) return st;
    cl_int err;
    *kernel = clCreateKernel(prog, kernel_name, &err);
    if (err != CL_SUCCESS)
        return clnn_fail_cl(ctx, err, "clCreateKernel('%s' in program '%s')", kernel_name,
                            program_name);
    return CLNN_STATUS_OK;
}

clnn_status clnn_context_build_all(clnn_context *ctx)
{
    if (!ctx)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_context_build_all: NULL");
    size_t per = clnn_embedded_kernel_count;
    clnn_program_request *reqs = calloc(per * ctx->ndevices + 1, sizeof *reqs);
    if (!reqs) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_context_build_all");
    size_t n = 0;
    for (size_t d = 0; d < ctx->ndevices; d++)
        for (size_t k = 0; k < per; k++) {
            if (strcmp(clnn_embedded_kernels[k].name, "common") == 0) continue;
            reqs[n].dev = &ctx->devices[d];
            reqs[n].name = clnn_embedded_kernels[k].name;
            reqs[n].options = "";
            n++;
        }
    clnn_status st = clnn_program_get_many(ctx, reqs, n);
    free(reqs);
    return st;
}
