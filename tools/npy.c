/*
 * npy.c - reading and writing NumPy .npy float32 arrays (see npy.h). The header is a Python
 * dict literal, parsed as one: keys and string values in quotes, True/False, tuples of
 * integers. It must hold 'descr' ('<f4', or '|f4'/'=f4' on little-endian hosts),
 * 'fortran_order' False and 'shape' a tuple of non-negative integers, each once. Files are
 * read only when they are regular files (a FIFO or device is refused, never waited on) and
 * written through clnn's safe writer: a temporary file renamed over a regular file, or the
 * bytes written through to a device or FIFO, so a failed write never leaves a truncated file.
 */
#include "npy.h"

#include "../lib/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* .npy files up to this size are read (the arrays clnn-run takes fit easily). */
#define NPY_MAX_FILE ((size_t)1 << 36)

static int fail(char *err, size_t n, const char *fmt, ...) CLNN_PRINTF(3, 4);
static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- the header dict ------------------------------------------------------------------------ */

typedef struct hparse {
    const char *p, *end;
} hparse;

static void skip_ws(hparse *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n')) h->p++;
}

static bool eat(hparse *h, char c)
{
    skip_ws(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return true;
    }
    return false;
}

/* A quoted string ('...' or "...", no escapes: NumPy writes none) into buf. */
static bool quoted(hparse *h, char *buf, size_t cap)
{
    skip_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return false;
    const char q = *h->p++;
    size_t n = 0;
    while (h->p < h->end && *h->p != q) {
        if (*h->p == '\\' || n + 1 >= cap) return false;
        buf[n++] = *h->p++;
    }
    if (h->p >= h->end) return false;
    h->p++;
    buf[n] = '\0';
    return true;
}

static bool word(hparse *h, const char *w)
{
    skip_ws(h);
    size_t n = strlen(w);
    if ((size_t)(h->end - h->p) < n || strncmp(h->p, w, n) != 0) return false;
    h->p += n;
    return true;
}

/* (d0, d1, ...) with an optional trailing comma. */
static int shape_tuple(hparse *h, npy_array *a, const char *path, char *err, size_t n)
{
    if (!eat(h, '(')) return fail(err, n, "%s: 'shape' is not a tuple", path);
    a->ndim = 0;
    a->count = 1;
    for (;;) {
        if (eat(h, ')')) return 0;
        skip_ws(h);
        char *end;
        errno = 0;
        long long v = strtoll(h->p, &end, 10);
        if (end == h->p || end > h->end || v < 0 || errno || v > (1ll << 40))
            return fail(err, n, "%s: malformed shape in the .npy header", path);
        if (a->ndim == NPY_MAX_DIMS)
            return fail(err, n, "%s: more than %d dimensions", path, NPY_MAX_DIMS);
        a->dims[a->ndim++] = v;
        if (v && a->count > ((size_t)1 << 40) / (size_t)v)
            return fail(err, n, "%s: the array is too large", path);
        a->count *= (size_t)v;
        h->p = end;
        if (eat(h, ',')) continue;
        skip_ws(h);
        if (h->p >= h->end || *h->p != ')')
            return fail(err, n, "%s: malformed shape in the .npy header", path);
    }
}

static int parse_header(const char *hdr, size_t len, npy_array *a, const char *path, char *err,
                        size_t n)
{
    hparse h = {hdr, hdr + len};
    bool seen_descr = false, seen_order = false, seen_shape = false;
    if (!eat(&h, '{')) return fail(err, n, "%s: the .npy header is not a dict", path);
    while (!eat(&h, '}')) {
        char key[64], val[64];
        if (!quoted(&h, key, sizeof key) || !eat(&h, ':'))
            return fail(err, n, "%s: malformed .npy header", path);
        bool *seen = !strcmp(key, "descr")           ? &seen_descr
                     : !strcmp(key, "fortran_order") ? &seen_order
                     : !strcmp(key, "shape")         ? &seen_shape
                                                     : NULL;
        if (!seen) return fail(err, n, "%s: unknown key '%s' in the .npy header", path, key);
        if (*seen) return fail(err, n, "%s: key '%s' twice in the .npy header", path, key);
        *seen = true;
        if (seen == &seen_descr) {
            if (!quoted(&h, val, sizeof val))
                return fail(err, n, "%s: 'descr' is not a string", path);
            if (strcmp(val, "<f4") && strcmp(val, "|f4") && strcmp(val, "=f4"))
                return fail(err, n,
                            "%s: holds dtype '%s' but clnn reads little-endian float32 ('<f4'); "
                            "convert it with numpy: a.astype(numpy.float32)",
                            path, val);
        } else if (seen == &seen_order) {
            if (word(&h, "True"))
                return fail(err, n, "%s: is in Fortran order; save it in C order "
                                    "(numpy.ascontiguousarray)", path);
            if (!word(&h, "False"))
                return fail(err, n, "%s: 'fortran_order' is not True or False", path);
        } else if (shape_tuple(&h, a, path, err, n) != 0) {
            return -1;
        }
        if (!eat(&h, ',')) {
            if (!eat(&h, '}')) return fail(err, n, "%s: malformed .npy header", path);
            break;
        }
    }
    skip_ws(&h);
    if (h.p != h.end) return fail(err, n, "%s: bytes after the .npy header dict", path);
    if (!seen_descr || !seen_order || !seen_shape)
        return fail(err, n, "%s: the .npy header lacks '%s'", path,
                    !seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape");
    return 0;
}

/* ---- files ----------------------------------------------------------------------------------- */

int npy_parse(const void *data, size_t size, const char *path, npy_array *a, char *err,
              size_t n)
{
    memset(a, 0, sizeof *a);
    const unsigned char *b = data;
    size_t hlen = 0, start = 0;
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return fail(err, n, "'%s' is not a NumPy .npy file (bad magic)", path);
    if (b[6] == 1) {
        hlen = b[8] | (size_t)b[9] << 8;
        start = 10;
    } else if ((b[6] == 2 || b[6] == 3) && size >= 12) {
        hlen = b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        start = 12;
    } else {
        return fail(err, n, "'%s': .npy format version %d.%d is not supported", path, b[6], b[7]);
    }
    if (hlen > (1u << 20) || start + hlen > size)
        return fail(err, n, "'%s': truncated or oversized .npy header", path);
    /* The header parsed from a NUL-terminated copy: strtoll must not run past it. */
    char *hdr = malloc(hlen + 1);
    if (!hdr) return fail(err, n, "'%s': out of memory", path);
    memcpy(hdr, b + start, hlen);
    hdr[hlen] = '\0';
    int prc = parse_header(hdr, hlen, a, path, err, n);
    free(hdr);
    if (prc != 0) return -1;
    const size_t body = size - start - hlen;
    if (body != a->count * sizeof(float))
        return fail(err, n, "'%s': the file holds %s values than its shape says (%zu bytes for "
                    "%zu)", path, body < a->count * sizeof(float) ? "fewer" : "more", body,
                    a->count * sizeof(float));
    a->data = malloc((a->count ? a->count : 1) * sizeof(float));
    if (!a->data) return fail(err, n, "'%s': out of memory for %zu floats", path, a->count);
    if (a->count) memcpy(a->data, b + start + hlen, a->count * sizeof(float));
    return 0;
}

int npy_read(const char *path, npy_array *a, char *err, size_t n)
{
    memset(a, 0, sizeof *a);
    char *file = NULL;
    size_t size = 0;
    int e = clnn_read_file(path, NPY_MAX_FILE, &file, &size);
    if (e == EISDIR) return fail(err, n, "cannot read '%s': not a regular file", path);
    if (e) return fail(err, n, "cannot read '%s': %s", path, strerror(e));
    int rc = npy_parse(file, size, path, a, err, n);
    free(file);
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
    const size_t total = 10 + (size_t)len + 1, pad = (64 - total % 64) % 64;
    const size_t hl = (size_t)len + pad + 1, bytes = 10 + hl + count * sizeof(float);
    unsigned char *buf = malloc(bytes);
    if (!buf) return fail(err, n, "writing '%s': out of memory", path);
    const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                   (unsigned char)(hl & 255), (unsigned char)(hl >> 8)};
    memcpy(buf, pre, 10);
    memcpy(buf + 10, hdr, (size_t)len);
    memset(buf + 10 + len, ' ', pad);
    buf[10 + hl - 1] = '\n';
    if (count) memcpy(buf + 10 + hl, data, count * sizeof(float));
    int e = clnn_write_file_atomic(path, buf, bytes);
    free(buf);
    if (e) return fail(err, n, "writing '%s' failed: %s", path, strerror(e));
    return 0;
}

void npy_free(npy_array *a)
{
    free(a->data);
    a->data = NULL;
}
