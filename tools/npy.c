/*
 * npy.c - reading and writing NumPy .npy float32 arrays (see npy.h). The header is a Python
 * dict literal; only the forms NumPy writes are accepted: 'descr' '<f4' (or '|f4'/'=f4' on
 * little-endian hosts), 'fortran_order' False, 'shape' a tuple of non-negative integers.
 */
#include "npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The value text after 'key': in the header dict, or NULL. */
static const char *dict_value(const char *hdr, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(hdr, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

static int parse_header(const char *hdr, npy_array *a, const char *path, char *err, size_t n)
{
    const char *d = dict_value(hdr, "descr");
    if (!d) return fail(err, n, "%s: the .npy header has no 'descr'", path);
    if (strncmp(d, "'<f4'", 5) != 0 && strncmp(d, "'|f4'", 5) != 0 && strncmp(d, "'=f4'", 5) != 0) {
        char got[32] = {0};
        sscanf(d, "'%30[^']", got);
        return fail(err, n,
                    "%s: holds dtype '%s' but clnn reads little-endian float32 ('<f4'); "
                    "convert it with numpy: a.astype(numpy.float32)",
                    path, got);
    }
    const char *f = dict_value(hdr, "fortran_order");
    if (!f) return fail(err, n, "%s: the .npy header has no 'fortran_order'", path);
    if (strncmp(f, "False", 5) != 0)
        return fail(err, n, "%s: is in Fortran order; save it in C order "
                            "(numpy.ascontiguousarray)", path);
    const char *s = dict_value(hdr, "shape");
    if (!s || *s != '(') return fail(err, n, "%s: the .npy header has no 'shape' tuple", path);
    s++;
    a->ndim = 0;
    a->count = 1;
    for (;;) {
        while (*s == ' ') s++;
        if (*s == ')') break;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 0 || errno || v > (1ll << 40))
            return fail(err, n, "%s: malformed shape in the .npy header", path);
        if (a->ndim == NPY_MAX_DIMS)
            return fail(err, n, "%s: more than %d dimensions", path, NPY_MAX_DIMS);
        a->dims[a->ndim++] = v;
        if (v && a->count > ((size_t)1 << 40) / (size_t)v)
            return fail(err, n, "%s: the array is too large", path);
        a->count *= (size_t)v;
        s = end;
        while (*s == ' ') s++;
        if (*s == ',') s++;
        else if (*s != ')') return fail(err, n, "%s: malformed shape in the .npy header", path);
    }
    return 0;
}

int npy_read(const char *path, npy_array *a, char *err, size_t n)
{
    memset(a, 0, sizeof *a);
    FILE *fp = fopen(path, "rb");
    if (!fp) return fail(err, n, "cannot open '%s': %s", path, strerror(errno));
    unsigned char pre[12];
    int rc = -1;
    char *hdr = NULL;
    size_t got = fread(pre, 1, 10, fp);
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        fail(err, n, "'%s' is not a NumPy .npy file (bad magic)", path);
        goto out;
    }
    size_t hlen;
    if (pre[6] == 1) {
        hlen = pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, fp) != 2) {
            fail(err, n, "'%s': truncated .npy header", path);
            goto out;
        }
        hlen = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        fail(err, n, "'%s': .npy format version %d.%d is not supported", path, pre[6], pre[7]);
        goto out;
    }
    if (hlen > (1u << 20) || !(hdr = malloc(hlen + 1)) || fread(hdr, 1, hlen, fp) != hlen) {
        fail(err, n, "'%s': truncated or oversized .npy header", path);
        goto out;
    }
    hdr[hlen] = '\0';
    if (parse_header(hdr, a, path, err, n) != 0) goto out;
    a->data = malloc((a->count ? a->count : 1) * sizeof(float));
    if (!a->data) {
        fail(err, n, "'%s': out of memory for %zu floats", path, a->count);
        goto out;
    }
    if (fread(a->data, sizeof(float), a->count, fp) != a->count) {
        fail(err, n, "'%s': the file holds fewer values than its shape says", path);
        goto out;
    }
    if (fgetc(fp) != EOF) {
        fail(err, n, "'%s': the file holds more bytes than its shape says", path);
        goto out;
    }
    rc = 0;
out:
    free(hdr);
    fclose(fp);
    if (rc) npy_free(a);
    return rc;
}

int npy_write(const char *path, const float *data, const int64_t *dims, int ndim, char *err,
              size_t n)
{
    char shape[256] = "(";
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        size_t l = strlen(shape);
        snprintf(shape + l, sizeof shape - l, "%lld,%s", (long long)dims[i],
                 i + 1 < ndim ? " " : "");
        count *= (size_t)dims[i];
    }
    strncat(shape, ")", sizeof shape - strlen(shape) - 1);
    char hdr[512];
    int len = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                       shape);
    /* Pad with spaces so that magic + length + header is a multiple of 64, ending in \n. */
    int total = 10 + len + 1;
    int pad = (64 - total % 64) % 64;
    FILE *fp = fopen(path, "wb");
    if (!fp) return fail(err, n, "cannot write '%s': %s", path, strerror(errno));
    unsigned hl = (unsigned)(len + pad + 1);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 255),
                             (unsigned char)(hl >> 8)};
    bool ok = fwrite(pre, 1, 10, fp) == 10 && fwrite(hdr, 1, (size_t)len, fp) == (size_t)len;
    for (int i = 0; ok && i < pad; i++) ok = fputc(' ', fp) != EOF;
    ok = ok && fputc('\n', fp) != EOF && fwrite(data, sizeof(float), count, fp) == count;
    if (fclose(fp) != 0) ok = false;
    if (!ok) return fail(err, n, "writing '%s' failed: %s", path, strerror(errno));
    return 0;
}

void npy_free(npy_array *a)
{
    free(a->data);
    a->data = NULL;
}
