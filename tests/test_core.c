/*
 * test_core.c - status strings, error messages, device discovery and selection strings.
 */
#include "testutil.h"

#include "../lib/internal.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_status_strings(void **state)
{
    (void)state;
    const char *seen[64] = {0};
    int n = 0;
#define CHECK_(name, value, text)                                                             \
    do {                                                                                      \
        const char *s = clnn_status_string(CLNN_STATUS_##name);                               \
        assert_string_equal(s, text);                                                         \
        assert_true(strlen(s) > 0);                                                           \
        for (int i = 0; i < n; i++) assert_true(strcmp(seen[i], s) != 0);                     \
        seen[n++] = s;                                                                        \
    } while (0);
    CLNN_STATUS_LIST(CHECK_)
#undef CHECK_
    assert_int_equal(CLNN_STATUS_OK, 0);
    assert_string_equal(clnn_status_string((clnn_status)999), "unknown status");
    assert_string_equal(clnn_version(), "0.1.0");
}

static void test_invalid_arguments_record_message(void **state)
{
    (void)state;
    assert_int_equal(clnn_device_list(NULL, NULL), CLNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clnn_last_error(), "must not be NULL"));
    assert_int_equal(clnn_context_create(NULL, NULL), CLNN_STATUS_INVALID_ARGUMENT);
    clnn_context_destroy(NULL); /* no-op */
    assert_string_equal(clnn_context_last_error(NULL), "");
}

static void test_discovery(void **state)
{
    (void)state;
    clnn_device_info *devs = NULL;
    size_t n = 0;
    assert_int_equal(clnn_device_list(&devs, &n), CLNN_STATUS_OK);
    assert_true(n >= 1);
    int cpus = 0;
    for (size_t i = 0; i < n; i++) {
        const clnn_device_info *d = &devs[i];
        assert_true(strlen(d->name) > 0);
        assert_true(strlen(d->platform_name) > 0);
        assert_true(d->compute_units >= 1);
        assert_true(d->global_mem_bytes > 0);
        assert_true(d->max_work_group_size >= 1);
        assert_true(d->local_mem_bytes > 0);
        assert_true(d->max_alloc_bytes > 0 && d->max_alloc_bytes <= d->global_mem_bytes);
        if (d->type == CLNN_DEVICE_TYPE_CPU) {
            cpus++;
            assert_true(d->unified_memory);
        }
    }
    assert_true(cpus >= 1); /* the tests run on PoCL's CPU device */
    clnn_device_list_free(devs);
}

/* A synthetic machine: a GPU and a CPU on two platforms, and a second GPU. */
static clnn_device_info fake[3];

static void make_fake(void)
{
    memset(fake, 0, sizeof fake);
    fake[0].platform_index = 0;
    fake[0].device_index = 0;
    fake[0].type = CLNN_DEVICE_TYPE_GPU;
    strcpy(fake[0].name, "NVIDIA H100 80GB HBM3");
    strcpy(fake[0].vendor, "NVIDIA Corporation");
    strcpy(fake[0].platform_name, "NVIDIA CUDA");
    fake[1] = fake[0];
    fake[1].device_index = 1;
    strcpy(fake[1].name, "NVIDIA A100");
    fake[2].platform_index = 1;
    fake[2].device_index = 0;
    fake[2].type = CLNN_DEVICE_TYPE_CPU;
    strcpy(fake[2].name, "pthread-skylake-avx512");
    strcpy(fake[2].vendor, "GenuineIntel");
    strcpy(fake[2].platform_name, "Portable Computing Language");
}

static void expect_selection(const char *sel, size_t n, const size_t *want)
{
    size_t *idx = NULL, count = 0;
    clnn_status st = clnn_device_select(fake, 3, sel, &idx, &count);
    if (st != CLNN_STATUS_OK) print_error("selection '%s': %s\n", sel, clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++) assert_int_equal(idx[i], want[i]);
    free(idx);
}

static void expect_no_device(const char *sel)
{
    size_t *idx = (size_t *)1, count = 7;
    assert_int_equal(clnn_device_select(fake, 3, sel, &idx, &count), CLNN_STATUS_NO_DEVICE);
    assert_null(idx);
    assert_int_equal(count, 0);
    /* The message lists what was found and what is valid. */
    const char *msg = clnn_last_error();
    assert_non_null(strstr(msg, "NVIDIA H100 80GB HBM3"));
    assert_non_null(strstr(msg, "pthread-skylake-avx512"));
    assert_non_null(strstr(msg, "1:0"));
    assert_non_null(strstr(msg, "valid terms"));
}

static void test_selection_valid(void **state)
{
    (void)state;
    make_fake();
    expect_selection("all", 3, (size_t[]){0, 1, 2});
    expect_selection("gpu", 2, (size_t[]){0, 1});
    expect_selection("GPU", 2, (size_t[]){0, 1});
    expect_selection("cpu", 1, (size_t[]){2});
    expect_selection("default", 1, (size_t[]){0});
    expect_selection(NULL, 1, (size_t[]){0});
    expect_selection("", 1, (size_t[]){0});
    expect_selection("1:0", 1, (size_t[]){2});
    expect_selection("0:1", 1, (size_t[]){1});
    expect_selection("0:*", 2, (size_t[]){0, 1});
    expect_selection("cpu,gpu", 3, (size_t[]){2, 0, 1});
    expect_selection(" cpu , 0:0 ", 2, (size_t[]){2, 0});
    expect_selection("gpu,0:0,all", 3, (size_t[]){0, 1, 2}); /* duplicates removed */
    expect_selection("h100", 1, (size_t[]){0});
    expect_selection("nvidia", 2, (size_t[]){0, 1});         /* vendor */
    expect_selection("portable", 1, (size_t[]){2});          /* platform name */
}

static void test_selection_invalid(void **state)
{
    (void)state;
    make_fake();
    expect_no_device("accelerator");
    expect_no_device("2:0");
    expect_no_device("0:5");
    expect_no_device("1:*x");
    expect_no_device("radeon");
    expect_no_device("gpu,radeon");
    expect_no_device("cpu,");
    expect_no_device(",");
    expect_no_device("0:-1");
    size_t *idx, count;
    assert_int_equal(clnn_device_select(fake, 3, "cpu", NULL, &count),
                     CLNN_STATUS_INVALID_ARGUMENT);
    char longsel[5000];
    memset(longsel, 'a', sizeof longsel - 1);
    longsel[sizeof longsel - 1] = '\0';
    assert_int_equal(clnn_device_select(fake, 3, longsel, &idx, &count),
                     CLNN_STATUS_INVALID_ARGUMENT);
    /* A machine with no CPU: "default" falls back to the first device. */
    clnn_device_info gpu_only[1] = {fake[0]};
    assert_int_equal(clnn_device_select(gpu_only, 1, "cpu", &idx, &count),
                     CLNN_STATUS_NO_DEVICE);
}

static void test_context_on_real_devices(void **state)
{
    (void)state;
    clnn_context *ctx = NULL;
    assert_int_equal(clnn_context_create("cpu", &ctx), CLNN_STATUS_OK);
    assert_true(clnn_context_device_count(ctx) >= 1);
    clnn_device_info info;
    assert_int_equal(clnn_context_device_info(ctx, 0, &info), CLNN_STATUS_OK);
    assert_int_equal(info.type, CLNN_DEVICE_TYPE_CPU);
    assert_int_equal(clnn_context_device_info(ctx, 99, &info), CLNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clnn_context_last_error(ctx), "out of range"));
    clnn_context_destroy(ctx);

    /* No match is an error that names the devices found. */
    ctx = (clnn_context *)1;
    assert_int_equal(clnn_context_create("no-such-device-anywhere", &ctx),
                     CLNN_STATUS_NO_DEVICE);
    assert_null(ctx);
    assert_non_null(strstr(clnn_last_error(), "no-such-device-anywhere"));
    assert_non_null(strstr(clnn_last_error(), "devices found"));
}

static void test_context_env_selection(void **state)
{
    (void)state;
    char *saved = getenv("CLNN_DEVICES") ? strdup(getenv("CLNN_DEVICES")) : NULL;
    setenv("CLNN_DEVICES", "bogus-device", 1);
    clnn_context *ctx = NULL;
    assert_int_equal(clnn_context_create(NULL, &ctx), CLNN_STATUS_NO_DEVICE);
    assert_non_null(strstr(clnn_last_error(), "CLNN_DEVICES"));
    /* An explicit selection overrides the variable. */
    assert_int_equal(clnn_context_create("cpu", &ctx), CLNN_STATUS_OK);
    clnn_context_destroy(ctx);
    setenv("CLNN_DEVICES", "0:0", 1);
    assert_int_equal(clnn_context_create(NULL, &ctx), CLNN_STATUS_OK);
    clnn_context_destroy(ctx);
    if (saved) {
        setenv("CLNN_DEVICES", saved, 1);
        free(saved);
    } else {
        unsetenv("CLNN_DEVICES");
    }
}

/* Files are read only when regular (a FIFO is refused at once, never waited on) and written
 * without ever replacing what is not a regular file. */
static void test_files(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("files");
    char *fifo = tu_path(dir, "fifo"), *file = tu_path(dir, "file"), *link = tu_path(dir, "link");
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(clnn_read_file(fifo, 1 << 20, &data, &len), EISDIR);
    assert_int_equal(clnn_read_file(dir, 1 << 20, &data, &len), EISDIR);
    assert_null(data);
    /* A new file, then a replacement keeping its mode. */
    assert_int_equal(clnn_write_file_atomic(file, "one", 3), 0);
    assert_int_equal(chmod(file, 0600), 0);
    assert_int_equal(clnn_write_file_atomic(file, "second", 6), 0);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(clnn_read_file(file, 1 << 20, &data, &len), 0);
    assert_int_equal(len, 6);
    assert_string_equal(data, "second");
    free(data);
    assert_int_equal(clnn_read_file(file, 3, &data, &len), EFBIG);
    /* A symlink stays one; its target gets the bytes. */
    assert_int_equal(symlink(file, link), 0);
    assert_int_equal(clnn_write_file_atomic(link, "third!!", 7), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_size, 7);
    /* Devices are written through, and their errors reported. */
    assert_int_equal(clnn_write_file_atomic("/dev/null", "x", 1), 0);
    if (access("/dev/full", W_OK) == 0) {
        assert_int_equal(clnn_write_file_atomic("/dev/full", "x", 1), ENOSPC);
        assert_int_equal(stat("/dev/full", &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    }
    assert_int_equal(clnn_write_file_atomic(dir, "x", 1), EISDIR);
    unlink(link), unlink(file), unlink(fifo);
    tu_rmtree(dir);
    free(dir), free(fifo), free(file), free(link);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_invalid_arguments_record_message),
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_selection_valid),
        cmocka_unit_test(test_selection_invalid),
        cmocka_unit_test(test_context_on_real_devices),
        cmocka_unit_test(test_context_env_selection),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
