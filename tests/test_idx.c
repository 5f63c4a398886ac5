/*
 * test_idx.c - the IDX reader of clnn-demo (tools/idx.c): small image and label files written
 * here, gzip-compressed with zlib or plain, valid and broken in each way the reader refuses.
 */
#include "testutil.h"

#include "../tools/idx.h"

#include <zlib.h>

/* Three 2x4 images and their labels. */
#define N_IMAGES 3
#define ROWS 2
#define COLS 4

typedef struct fixture {
    char *dir;
    char err[512];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->dir = tu_mkdtemp("idx");
    *state = f;
    return f->dir ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* An IDX file in memory: magic, dims, then `data_bytes` bytes counting up from 0. Returns its
 * size; buf must hold it. */
static size_t make_idx(uint8_t *buf, uint32_t magic, const uint32_t *dims, int ndim,
                       size_t data_bytes)
{
    put_be32(buf, magic);
    for (int i = 0; i < ndim; i++) put_be32(buf + 4 + 4 * i, dims[i]);
    size_t off = 4 + 4 * (size_t)ndim;
    for (size_t i = 0; i < data_bytes; i++) buf[off + i] = (uint8_t)(i % 10);
    return off + data_bytes;
}

/* Writes bytes to dir/name, through gzip when gz; returns the malloc'ed path. */
static char *write_file(const char *dir, const char *name, const uint8_t *bytes, size_t n,
                        bool gz)
{
    char *path = tu_path(dir, name);
    if (gz) {
        gzFile g = gzopen(path, "wb");
        assert_non_null(g);
        assert_int_equal(gzwrite(g, bytes, (unsigned)n), (int)n);
        assert_int_equal(gzclose(g), Z_OK);
    } else {
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(bytes, 1, n, fp), n);
        assert_int_equal(fclose(fp), 0);
    }
    return path;
}

static char *images_file(const char *dir, const char *name, bool gz, size_t cut)
{
    uint8_t buf[256];
    const uint32_t dims[3] = {N_IMAGES, ROWS, COLS};
    size_t n = make_idx(buf, IDX_MAGIC_IMAGES, dims, 3, N_IMAGES * ROWS * COLS);
    return write_file(dir, name, buf, n - cut, gz);
}

static char *labels_file(const char *dir, const char *name, uint32_t count)
{
    uint8_t buf[256];
    size_t n = make_idx(buf, IDX_MAGIC_LABELS, &count, 1, count);
    return write_file(dir, name, buf, n, true);
}

/* Reading path as `magic` fails with a message containing `text`. */
static void expect_failure(fixture *f, const char *path, uint32_t magic, const char *text)
{
    idx_array a;
    assert_int_equal(idx_read(path, magic, &a, f->err, sizeof f->err), -1);
    if (!strstr(f->err, text)) fail_msg("expected '%s' in: %s", text, f->err);
    assert_null(a.data); /* nothing to free after a failure */
    assert_int_equal(a.size, 0);
}

static void check_images(const idx_array *a)
{
    assert_int_equal(a->ndim, 3);
    assert_int_equal(a->dims[0], N_IMAGES);
    assert_int_equal(a->dims[1], ROWS);
    assert_int_equal(a->dims[2], COLS);
    assert_int_equal(a->size, N_IMAGES * ROWS * COLS);
    for (size_t i = 0; i < a->size; i++) assert_int_equal(a->data[i], i % 10);
}

static void test_valid_gzip_and_plain(void **state)
{
    fixture *f = *state;
    for (int gz = 0; gz < 2; gz++) {
        char *path = images_file(f->dir, gz ? "img.gz" : "img", gz, 0);
        idx_array a;
        assert_int_equal(idx_read(path, IDX_MAGIC_IMAGES, &a, f->err, sizeof f->err), 0);
        check_images(&a);
        idx_free(&a);
        idx_free(&a); /* a freed array is zeroed: freeing again is harmless */
        free(path);
    }
}

static void test_pair(void **state)
{
    fixture *f = *state;
    char *img = images_file(f->dir, "img.gz", true, 0);
    char *lab = labels_file(f->dir, "lab.gz", N_IMAGES);
    char *lab4 = labels_file(f->dir, "lab4.gz", N_IMAGES + 1);
    idx_array a, b;
    assert_int_equal(idx_read_pair(img, lab, &a, &b, f->err, sizeof f->err), 0);
    check_images(&a);
    assert_int_equal(b.ndim, 1);
    assert_int_equal(b.dims[0], N_IMAGES);
    assert_memory_equal(b.data, "\0\1\2", 3);
    idx_free(&a);
    idx_free(&b);
    assert_int_equal(idx_read_pair(img, lab4, &a, &b, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "holds 3 images"));
    assert_non_null(strstr(f->err, "holds 4 labels"));
    assert_null(a.data);
    assert_null(b.data);
    /* Images and labels swapped: the magic tells them apart. */
    assert_int_equal(idx_read_pair(lab, img, &a, &b, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "holds labels"));
    free(img), free(lab), free(lab4);
}

static void test_truncated(void **state)
{
    fixture *f = *state;
    for (int gz = 0; gz < 2; gz++) {
        char *data_cut = images_file(f->dir, gz ? "d.gz" : "d", gz, 5);
        expect_failure(f, data_cut, IDX_MAGIC_IMAGES, "its header announces 24 bytes");
        char *header_cut = images_file(f->dir, gz ? "h.gz" : "h", gz, 24 + 6);
        expect_failure(f, header_cut, IDX_MAGIC_IMAGES, "truncated inside its IDX header");
        free(data_cut), free(header_cut);
    }
    /* A gzip stream cut short (not a short file that was then compressed). */
    char *whole = images_file(f->dir, "whole.gz", true, 0);
    uint8_t buf[512];
    FILE *fp = fopen(whole, "rb");
    assert_non_null(fp);
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    char *cut = write_file(f->dir, "cut.gz", buf, n - 12, false);
    expect_failure(f, cut, IDX_MAGIC_IMAGES, "truncated");
    free(whole), free(cut);
}

static void test_extra_bytes_and_bad_crc(void **state)
{
    fixture *f = *state;
    uint8_t buf[256];
    const uint32_t dims[3] = {N_IMAGES, ROWS, COLS};
    size_t n = make_idx(buf, IDX_MAGIC_IMAGES, dims, 3, N_IMAGES * ROWS * COLS + 7);
    char *longer = write_file(f->dir, "long.gz", buf, n, true);
    expect_failure(f, longer, IDX_MAGIC_IMAGES, "more bytes than its IDX header announces");
    /* A wrong CRC-32 in the gzip trailer (the 8th to 5th bytes from the end). */
    char *good = images_file(f->dir, "crc.gz", true, 0);
    uint8_t gzbytes[512];
    FILE *fp = fopen(good, "rb");
    assert_non_null(fp);
    size_t m = fread(gzbytes, 1, sizeof gzbytes, fp);
    fclose(fp);
    gzbytes[m - 8] ^= 0xff;
    char *bad = write_file(f->dir, "badcrc.gz", gzbytes, m, false);
    expect_failure(f, bad, IDX_MAGIC_IMAGES, "corrupt gzip data (incorrect data check)");
    free(longer), free(good), free(bad);
}

static void test_bad_magic(void **state)
{
    fixture *f = *state;
    const uint8_t text[] = "this is not an IDX file at all";
    char *path = write_file(f->dir, "text.gz", text, sizeof text, true);
    expect_failure(f, path, IDX_MAGIC_IMAGES, "is not an IDX file of images: magic 0x74686973");
    char *lab = labels_file(f->dir, "lab.gz", 2);
    expect_failure(f, lab, IDX_MAGIC_IMAGES, "holds labels (IDX magic 0x00000801)");
    char *tiny = write_file(f->dir, "tiny", text, 2, false);
    expect_failure(f, tiny, IDX_MAGIC_LABELS, "too short for an IDX header");
    free(path), free(lab), free(tiny);
}

static void test_oversized_dims(void **state)
{
    fixture *f = *state;
    uint8_t buf[64];
    /* Each of these is refused from the header alone, before any allocation. */
    const uint32_t cases[][3] = {
        {100000, 100000, 100000}, /* 10^15 bytes: over IDX_MAX_BYTES */
        {IDX_MAX_DIM + 1, 1, 1},  /* one dimension over the limit */
        {0xffffffffu, 28, 28},    /* a negative count read as unsigned */
        {10, 0, 28},              /* an empty dimension */
    };
    const char *texts[] = {"more than 1024 MiB", "dimension 0", "dimension 0", "dimension 1"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = make_idx(buf, IDX_MAGIC_IMAGES, cases[i], 3, 16);
        char *path = write_file(f->dir, "big.gz", buf, n, true);
        expect_failure(f, path, IDX_MAGIC_IMAGES, texts[i]);
        free(path);
    }
}

static void test_missing(void **state)
{
    fixture *f = *state;
    char *path = tu_path(f->dir, "t10k-images-idx3-ubyte.gz");
    expect_failure(f, path, IDX_MAGIC_IMAGES, "No such file or directory");
    expect_failure(f, path, IDX_MAGIC_IMAGES, "apt-get install dataset-fashion-mnist");
    idx_array a, b;
    assert_int_equal(idx_read_pair(path, path, &a, &b, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "dataset-fashion-mnist"));
    /* A folder is not a file: refused with the system's reason, not as a missing dataset. */
    expect_failure(f, f->dir, IDX_MAGIC_IMAGES, "cannot read");
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_gzip_and_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extra_bytes_and_bad_crc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_dims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
    };
    return cmocka_run_group_tests_name("idx", tests, NULL, NULL);
}
