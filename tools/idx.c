/*
 * idx.c - reading IDX files of unsigned bytes (see idx.h). zlib's gz* functions read gzip and
 * plain files alike, so the .gz files Debian ships and decompressed copies both work. The
 * header is big-endian: a 4-byte magic (0, 0, type 0x08 = unsigned byte, number of dimensions)
 * and one 4-byte size per dimension; the data follow, row-major.
 */
#include "idx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_PACKAGE_HINT                                                                       \
    "the Fashion-MNIST files come with Debian's dataset-fashion-mnist "                       \
    "(apt-get install dataset-fashion-mnist)"

static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *magic_name(uint32_t magic)
{
    if (magic == IDX_MAGIC_IMAGES) return "images";
    if (magic == IDX_MAGIC_LABELS) return "labels";
    return "unknown data";
}

/* Fails with zlib's reason for a read error: a system error, memory, or corrupt data. */
static int read_fail(gzFile gz, const char *path, char *err, size_t n)
{
    int code;
    const char *msg = gzerror(gz, &code);
    if (code == Z_ERRNO) return fail(err, n, "cannot read '%s': %s", path, strerror(errno));
    if (code == Z_MEM_ERROR) return fail(err, n, "cannot read '%s': out of memory", path);
    /* zlib names a stream opened with gzdopen "<fd:N>": drop that, the path is given. */
    const char *colon = msg ? strstr(msg, ": ") : NULL;
    if (colon && !strncmp(msg, "<fd:", 4)) msg = colon + 2;
    return fail(err, n, "cannot read '%s': corrupt gzip data (%s)", path, msg ? msg : "?");
}

/* Reads up to n bytes (gzread takes an int length, hence the chunks). Returns the bytes read
 * and zlib's error state in *code: Z_OK, Z_BUF_ERROR when a gzip stream was cut short, or
 * another code for corrupt data or a system error. */
static size_t read_some(gzFile gz, uint8_t *buf, size_t n, int *code)
{
    size_t got = 0;
    while (got < n) {
        size_t want = n - got < (1u << 30) ? n - got : (1u << 30);
        int r = gzread(gz, buf + got, (unsigned)want);
        if (r > 0) got += (size_t)r;
        if (r <= 0 || (size_t)r < want) break;
    }
    gzerror(gz, code);
    return got;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Opens path for gz reading; open() itself reports a missing file so errno is exact. */
static gzFile open_gz(const char *path, char *err, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        fail(err, n, "cannot open '%s': %s%s%s", path, strerror(e),
             e == ENOENT ? "; " : "", e == ENOENT ? IDX_PACKAGE_HINT : "");
        return NULL;
    }
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        fail(err, n, "cannot read '%s': out of memory for zlib", path);
        return NULL;
    }
    gzbuffer(gz, 1u << 17);
    return gz;
}

/* Reads the magic and the dimensions into a and checks them against `magic` and the limits. */
static int read_header(gzFile gz, const char *path, uint32_t magic, idx_array *a, char *err,
                       size_t n)
{
    uint8_t hdr[16];
    int code;
    size_t got = read_some(gz, hdr, 4, &code);
    if (code != Z_OK && code != Z_BUF_ERROR) return read_fail(gz, path, err, n);
    if (got < 4) return fail(err, n, "'%s' is truncated: %zu bytes, too short for an IDX header",
                             path, got);
    uint32_t m = be32(hdr);
    if (m != magic) {
        if (m == IDX_MAGIC_IMAGES || m == IDX_MAGIC_LABELS)
            return fail(err, n, "'%s' holds %s (IDX magic 0x%08x) where %s (0x%08x) were expected",
                        path, magic_name(m), m, magic_name(magic), magic);
        return fail(err, n, "'%s' is not an IDX file of %s: magic 0x%08x, expected 0x%08x", path,
                    magic_name(magic), m, magic);
    }
    a->magic = m;
    a->ndim = (int)(m & 0xff);
    got = read_some(gz, hdr + 4, 4 * (size_t)a->ndim, &code);
    if (code != Z_OK && code != Z_BUF_ERROR) return read_fail(gz, path, err, n);
    if (got < 4 * (size_t)a->ndim)
        return fail(err, n, "'%s' is truncated inside its IDX header", path);
    a->size = 1;
    for (int i = 0; i < a->ndim; i++) {
        a->dims[i] = be32(hdr + 4 + 4 * i);
        if (a->dims[i] < 1 || a->dims[i] > IDX_MAX_DIM)
            return fail(err, n, "'%s': dimension %d of the IDX header is %u (allowed 1 to %u)",
                        path, i, a->dims[i], IDX_MAX_DIM);
        if (a->size > IDX_MAX_BYTES / a->dims[i])
            return fail(err, n, "'%s': the IDX header announces more than %zu MiB of data", path,
                        IDX_MAX_BYTES >> 20);
        a->size *= a->dims[i];
    }
    return 0;
}

/* Reads exactly a->size bytes of data and checks that nothing follows them. */
static int read_data(gzFile gz, const char *path, idx_array *a, char *err, size_t n)
{
    a->data = malloc(a->size);
    if (!a->data) return fail(err, n, "'%s': out of memory for %zu bytes", path, a->size);
    int code;
    size_t got = read_some(gz, a->data, a->size, &code);
    if (code != Z_OK && code != Z_BUF_ERROR) return read_fail(gz, path, err, n);
    if (got < a->size)
        return fail(err, n, "'%s' is truncated: its header announces %zu bytes of %s but %zu "
                            "follow", path, a->size, magic_name(a->magic), got);
    /* One more byte: there must be none, and reaching the end makes zlib check the gzip
     * trailer (CRC-32 and length). */
    uint8_t extra;
    got = read_some(gz, &extra, 1, &code);
    if (code == Z_BUF_ERROR)
        return fail(err, n, "'%s' is truncated: its gzip stream ends before its trailer", path);
    if (code != Z_OK) return read_fail(gz, path, err, n);
    if (got)
        return fail(err, n, "'%s' holds more bytes than its IDX header announces (%zu)", path,
                    a->size);
    return 0;
}

int idx_read(const char *path, uint32_t magic, idx_array *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    gzFile gz = open_gz(path, err, errlen);
    if (!gz) return -1;
    int rc = read_header(gz, path, magic, a, err, errlen);
    if (rc == 0) rc = read_data(gz, path, a, err, errlen);
    gzclose(gz);
    if (rc != 0) idx_free(a);
    return rc;
}

int idx_read_pair(const char *images_path, const char *labels_path, idx_array *images,
                  idx_array *labels, char *err, size_t errlen)
{
    memset(labels, 0, sizeof *labels);
    if (idx_read(images_path, IDX_MAGIC_IMAGES, images, err, errlen) != 0) return -1;
    if (idx_read(labels_path, IDX_MAGIC_LABELS, labels, err, errlen) != 0) {
        idx_free(images);
        return -1;
    }
    if (images->dims[0] != labels->dims[0]) {
        fail(err, errlen, "'%s' holds %u images but '%s' holds %u labels", images_path,
             images->dims[0], labels_path, labels->dims[0]);
        idx_free(images);
        idx_free(labels);
        return -1;
    }
    return 0;
}

void idx_free(idx_array *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}
