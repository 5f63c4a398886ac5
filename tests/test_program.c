/*
 * test_program.c - kernel programs: compile errors carry the build log; the in-memory and
 * on-disk caches hit, miss, reject corrupt/truncated/foreign/other-version entries, and an
 * unwritable cache directory only disables the disk cache.
 */
#include "testutil.h"

#include "internal.h"

#include <dirent.h>

static const char *GOOD =
    "#ifndef VAL\n#define VAL 1.0f\n#endif\n"
    "__kernel void add_val(__global float *x) { x[get_global_id(0)] += VAL; }\n";

typedef struct fixture {
    char *kdir, *cdir;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->kdir = tu_mkdtemp("kernels");
    f->cdir = tu_mkdtemp("cache");
    tu_write_file(f->kdir, "common.cl", "/* empty prelude */\n");
    tu_write_file(f->kdir, "good.cl", GOOD);
    tu_write_file(f->kdir, "bad.cl",
                  "__kernel void broken(__global float *x) { x[0] = nonexistent_symbol; }\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmtree(f->kdir);
    tu_rmtree(f->cdir);
    free(f->kdir);
    free(f->cdir);
    free(f);
    return 0;
}

static clnn_context *make_ctx(const fixture *f, const char *cache_dir)
{
    clnn_context_options o;
    memset(&o, 0, sizeof o);
    o.devices = "cpu";
    o.kernel_dir = f->kdir;
    o.cache_dir = cache_dir;
    o.disable_disk_cache = cache_dir == NULL;
    clnn_context *ctx = NULL;
    assert_int_equal(clnn_context_create_ex(&o, &ctx), CLNN_STATUS_OK);
    return ctx;
}

/* Runs add_val on {0,1,2,3} and checks the result is x + expected. */
static void run_good(clnn_context *ctx, const char *options, float expected)
{
    clnn_device *dev = &ctx->devices[0];
    cl_kernel k;
    assert_int_equal(clnn_kernel_create(ctx, dev, "good", options, "add_val", &k),
                     CLNN_STATUS_OK);
    float x[4] = {0, 1, 2, 3};
    cl_int err;
    cl_mem buf = clCreateBuffer(dev->cl_ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                sizeof x, x, &err);
    assert_int_equal(err, CL_SUCCESS);
    clSetKernelArg(k, 0, sizeof buf, &buf);
    size_t g = 4;
    assert_int_equal(clEnqueueNDRangeKernel(dev->queue, k, 1, NULL, &g, NULL, 0, NULL, NULL),
                     CL_SUCCESS);
    assert_int_equal(clEnqueueReadBuffer(dev->queue, buf, CL_TRUE, 0, sizeof x, x, 0, NULL,
                                         NULL),
                     CL_SUCCESS);
    for (int i = 0; i < 4; i++) assert_float_equal(x[i], (float)i + expected, 0);
    clReleaseMemObject(buf);
    clReleaseKernel(k);
}

/* The single .clbin in dir (the test makes one entry at a time). */
static char *only_entry(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *found = NULL;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 6 && strcmp(e->d_name + n - 6, ".clbin") == 0) {
            count++;
            free(found);
            found = tu_path(dir, e->d_name);
        }
        assert_null(strstr(e->d_name, ".tmp.")); /* no temporary left behind */
    }
    closedir(d);
    assert_int_equal(count, 1);
    return found;
}

static char *slurp(const char *path, size_t *len)
{
    char *data;
    assert_int_equal(clnn_read_file(path, 1u << 30, &data, len), 0);
    return data;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (len) assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void expect_stats(clnn_context *ctx, size_t mem, size_t disk, size_t rejects,
                         size_t builds, size_t writes)
{
    clnn_cache_stats s;
    clnn_context_cache_stats(ctx, &s);
    assert_int_equal(s.memory_hits, mem);
    assert_int_equal(s.disk_hits, disk);
    assert_int_equal(s.disk_rejects, rejects);
    assert_int_equal(s.builds, builds);
    assert_int_equal(s.disk_writes, writes);
}

static void test_cache_miss_then_hits(void **state)
{
    fixture *f = *state;
    clnn_context *ctx = make_ctx(f, f->cdir);
    assert_string_equal(clnn_context_cache_dir(ctx), f->cdir);
    run_good(ctx, "", 1.0f);
    expect_stats(ctx, 0, 0, 0, 1, 1); /* miss: built and written */
    run_good(ctx, "", 1.0f);
    expect_stats(ctx, 1, 0, 0, 1, 1); /* in-memory hit */
    clnn_context_destroy(ctx);

    ctx = make_ctx(f, f->cdir);
    run_good(ctx, "", 1.0f);
    expect_stats(ctx, 0, 1, 0, 0, 0); /* disk hit, nothing compiled */
    /* Other build options are another program. */
    run_good(ctx, "-DVAL=2.0f", 2.0f);
    expect_stats(ctx, 0, 1, 0, 1, 1);
    clnn_context_destroy(ctx);
}

/* Writes `bytes` over the entry, then checks a new context rejects it, rebuilds, gives the
 * right result and leaves a valid entry behind. */
static void expect_rejected(const fixture *f, const char *path, const char *bytes, size_t len)
{
    spit(path, bytes, len);
    tu_log_capture_begin();
    clnn_context *ctx = make_ctx(f, f->cdir);
    run_good(ctx, "", 1.0f);
    expect_stats(ctx, 0, 0, 1, 1, 1);
    clnn_context_destroy(ctx);
    tu_log_capture_end();
    assert_non_null(strstr(tu_log_text(), "rejected"));
    ctx = make_ctx(f, f->cdir);
    run_good(ctx, "", 1.0f);
    expect_stats(ctx, 0, 1, 0, 0, 0);
    clnn_context_destroy(ctx);
}

static void test_cache_rejects_bad_entries(void **state)
{
    fixture *f = *state;
    clnn_context *ctx = make_ctx(f, f->cdir);
    run_good(ctx, "", 1.0f);
    clnn_context_destroy(ctx);
    char *path = only_entry(f->cdir);
    size_t len;
    char *good = slurp(path, &len);
    assert_true(len > 64);
    char *bad = malloc(len);

    /* A flipped byte in the binary. */
    memcpy(bad, good, len);
    bad[len / 2 + 32] ^= 0x5a;
    expect_rejected(f, path, bad, len);
    /* Truncated: inside the binary, inside the header, empty. */
    expect_rejected(f, path, good, len - 7);
    expect_rejected(f, path, good, 20);
    expect_rejected(f, path, good, 0);
    /* Not a cache entry at all. */
    memset(bad, 'x', len);
    expect_rejected(f, path, bad, len);
    /* A newer format version. */
    memcpy(bad, good, len);
    uint32_t v = CLNN_CACHE_FORMAT_VERSION + 1;
    memcpy(bad + 8, &v, sizeof v);
    expect_rejected(f, path, bad, len);
    /* Foreign: a valid entry of another program stored under this program's name. */
    ctx = make_ctx(f, NULL);
    clnn_context_destroy(ctx);
    {
        char *odir = tu_mkdtemp("other");
        clnn_context *o = make_ctx(f, odir);
        run_good(o, "-DVAL=3.0f", 3.0f);
        clnn_context_destroy(o);
        char *opath = only_entry(odir);
        size_t olen;
        char *other = slurp(opath, &olen);
        expect_rejected(f, path, other, olen);
        free(other);
        free(opath);
        tu_rmtree(odir);
        free(odir);
    }
    free(bad);
    free(good);
    free(path);
}

static void test_build_error_has_log(void **state)
{
    fixture *f = *state;
    clnn_context *ctx = make_ctx(f, f->cdir);
    cl_program p = NULL;
    assert_int_equal(clnn_program_get(ctx, &ctx->devices[0], "bad", "", &p),
                     CLNN_STATUS_BUILD_FAILED);
    assert_null(p);
    const char *msg = clnn_context_last_error(ctx);
    assert_non_null(strstr(msg, "'bad'"));
    assert_non_null(strstr(msg, "build log"));
    assert_non_null(strstr(msg, "nonexistent_symbol")); /* the compiler's own words */
    assert_string_equal(clnn_last_error(), msg);
    /* Invalid build options are a build failure too, with the options named. */
    assert_int_equal(clnn_program_get(ctx, &ctx->devices[0], "good", "-DVAL=(", &p),
                     CLNN_STATUS_BUILD_FAILED);
    /* A program that does not exist in the kernel folder. */
    assert_int_equal(clnn_program_get(ctx, &ctx->devices[0], "missing", "", &p),
                     CLNN_STATUS_IO_ERROR);
    assert_non_null(strstr(clnn_last_error(), "CLNN_KERNEL_DIR"));
    assert_int_equal(clnn_program_get(ctx, &ctx->devices[0], "../etc", "", &p),
                     CLNN_STATUS_INVALID_ARGUMENT);
    clnn_context_destroy(ctx);
}

static void test_unwritable_cache_dir(void **state)
{
    fixture *f = *state;
    /* A path below a regular file can never be created, even by root. */
    tu_write_file(f->cdir, "plainfile", "x");
    char *file = tu_path(f->cdir, "plainfile");
    char *dir = tu_path(file, "cache");
    tu_log_capture_begin();
    clnn_context *ctx = make_ctx(f, dir);
    tu_log_capture_end();
    assert_null(clnn_context_cache_dir(ctx));
    assert_non_null(strstr(tu_log_text(), "not writable"));
    assert_non_null(strstr(tu_log_text(), "CLNN_CACHE_DIR"));
    run_good(ctx, "", 1.0f); /* still works, from source */
    expect_stats(ctx, 0, 0, 0, 1, 0);
    clnn_context_destroy(ctx);
    free(dir);
    free(file);
}

static void test_embedded_kernels_build(void **state)
{
    (void)state;
    clnn_context_options o;
    memset(&o, 0, sizeof o);
    o.devices = "cpu";
    clnn_context *ctx = NULL;
    assert_int_equal(clnn_context_create_ex(&o, &ctx), CLNN_STATUS_OK);
    /* An invalid CLNN_BUILD_THREADS is named in a warning, and the default taken. */
    setenv("CLNN_BUILD_THREADS", "abc", 1);
    tu_log_capture_begin();
    assert_int_equal(clnn_context_build_all(ctx), CLNN_STATUS_OK);
    tu_log_capture_end();
    unsetenv("CLNN_BUILD_THREADS");
    assert_non_null(strstr(tu_log_text(), "CLNN_BUILD_THREADS='abc'"));
    clnn_cache_stats s;
    clnn_context_cache_stats(ctx, &s);
    assert_int_equal(s.builds + s.disk_hits + s.memory_hits,
                     (clnn_embedded_kernel_count - 1) * clnn_context_device_count(ctx));
    clnn_context_destroy(ctx);
    assert_true(clnn_embedded_kernel_count >= 1);
}

static void test_fail_build_hook(void **state)
{
    fixture *f = *state;
    setenv("CLNN_TEST_FAIL_BUILD", "pthread", 1);
    clnn_context *ctx = make_ctx(f, f->cdir);
    unsetenv("CLNN_TEST_FAIL_BUILD");
    cl_program p;
    clnn_status st = clnn_program_get(ctx, &ctx->devices[0], "good", "", &p);
    if (strstr(ctx->devices[0].info.name, "pthread")) {
        assert_int_equal(st, CLNN_STATUS_BUILD_FAILED);
        assert_non_null(strstr(clnn_last_error(), "CLNN_TEST_FAIL_BUILD"));
    }
    clnn_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cache_miss_then_hits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_rejects_bad_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_error_has_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_cache_dir, setup, teardown),
        cmocka_unit_test(test_embedded_kernels_build),
        cmocka_unit_test_setup_teardown(test_fail_build_hook, setup, teardown),
    };
    return cmocka_run_group_tests_name("program", tests, NULL, NULL);
}
