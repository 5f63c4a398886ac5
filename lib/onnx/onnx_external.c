/*
 * onnx_external.c - external tensor data (TensorProto.data_location = EXTERNAL): the bytes
 * live in a file next to the model, named by "location" with an optional "offset" and
 * "length". A model is untrusted input, so the file must stay inside the model's folder:
 * no absolute paths, no "..", and a symlink may not lead out of it.
 */
#include "onnx.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct ext_ref {
    const char *location;
    uint64_t offset, length;
    bool has_length;
} ext_ref;

/* A decimal string of at most 19 digits (no sign, no spaces) into *v. */
static bool parse_u64(const char *s, uint64_t *v)
{
    size_t n = strlen(s);
    if (n == 0 || n > 19 || strspn(s, "0123456789") != n) return false;
    *v = strtoull(s, NULL, 10);
    return true;
}

static clnn_status parse_entries(const Onnx__TensorProto *t, const char *name, ext_ref *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < t->n_external_data; i++) {
        const char *key = onnx_str(t->external_data[i]->key);
        const char *value = onnx_str(t->external_data[i]->value);
        bool ok = true;
        if (!strcmp(key, "location")) {
            r->location = value;
        } else if (!strcmp(key, "offset")) {
            ok = parse_u64(value, &r->offset);
        } else if (!strcmp(key, "length")) {
            ok = parse_u64(value, &r->length);
            r->has_length = true;
        } /* "checksum" and unknown keys are informative only */
        if (!ok)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "tensor '" ONNX_NAME_FMT "': external data %s '" ONNX_NAME_FMT
                             "' is not a decimal number",
                             name, key, value);
    }
    if (!r->location || !*r->location)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "tensor '" ONNX_NAME_FMT "': external data without a location", name);
    return CLNN_STATUS_OK;
}

/* A location must be a relative path without ".." components. */
static bool location_is_safe(const char *loc)
{
    if (loc[0] == '/' || strlen(loc) >= PATH_MAX) return false;
    for (const char *p = loc; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') return false;
        p += n;
        if (*p == '/') p++;
    }
    return true;
}

/* Resolves base_dir/location with every symlink followed into a malloc'ed path, which must
 * lie inside the resolved base_dir (a lexical check alone would let a symlink escape). */
static clnn_status resolve_inside(const char *base_dir, const char *loc, const char *name,
                                  char **resolved)
{
    *resolved = NULL;
    char joined[2 * PATH_MAX];
    if (strlen(base_dir) >= PATH_MAX)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "model folder path too long");
    snprintf(joined, sizeof joined, "%s/%s", base_dir, loc);
    char *base = realpath(base_dir, NULL);
    char *file = base ? realpath(joined, NULL) : NULL;
    clnn_status st = CLNN_STATUS_OK;
    if (!file) {
        st = clnn_fail(NULL, CLNN_STATUS_IO_ERROR,
                       "tensor '" ONNX_NAME_FMT "': external data file '" ONNX_NAME_FMT
                       "' in '" ONNX_NAME_FMT "': %s",
                       name, loc, base_dir, strerror(errno));
    } else {
        size_t n = strlen(base);
        bool inside = !strcmp(base, "/") || (!strncmp(file, base, n) && file[n] == '/');
        if (!inside)
            st = clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                           "tensor '" ONNX_NAME_FMT "': external data file '" ONNX_NAME_FMT
                           "' resolves outside the model's folder",
                           name, loc);
    }
    free(base);
    if (st == CLNN_STATUS_OK)
        *resolved = file;
    else
        free(file);
    return st;
}

/* Reads exactly n bytes at offset; false on an error or a file that ends early. */
static bool read_at(int fd, uint8_t *buf, size_t n, uint64_t offset)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(offset + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        got += (size_t)r;
    }
    return true;
}

/* Checks offset and length against the file and the tensor, then reads the bytes. */
static clnn_status read_range(int fd, const ext_ref *r, const char *name, size_t nbytes,
                              uint8_t **out)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        return clnn_fail(NULL, CLNN_STATUS_IO_ERROR,
                         "tensor '" ONNX_NAME_FMT "': external data '" ONNX_NAME_FMT
                         "' is not a regular file",
                         name, r->location);
    uint64_t size = (uint64_t)sb.st_size;
    uint64_t length = r->has_length ? r->length : size - (r->offset <= size ? r->offset : size);
    if (r->offset > size || length > size - r->offset)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "tensor '" ONNX_NAME_FMT "': external data offset %llu + length %llu "
                         "lies beyond the end of '" ONNX_NAME_FMT "' (%llu bytes)",
                         name, (unsigned long long)r->offset, (unsigned long long)length,
                         r->location, (unsigned long long)size);
    if (length != nbytes)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "tensor '" ONNX_NAME_FMT "': external data holds %llu bytes, its "
                         "dims need %zu",
                         name, (unsigned long long)length, nbytes);
    *out = malloc(nbytes ? nbytes : 1);
    if (!*out)
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "tensor '" ONNX_NAME_FMT "'",
                         name);
    if (!read_at(fd, *out, nbytes, r->offset)) {
        free(*out);
        *out = NULL;
        return clnn_fail(NULL, CLNN_STATUS_IO_ERROR,
                         "tensor '" ONNX_NAME_FMT "': reading external data '" ONNX_NAME_FMT
                         "' failed",
                         name, r->location);
    }
    return CLNN_STATUS_OK;
}

clnn_status onnx_read_external(const Onnx__TensorProto *t, const char *name,
                               const char *base_dir, size_t nbytes, uint8_t **out)
{
    *out = NULL;
    if (!base_dir)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "tensor '" ONNX_NAME_FMT "' has external data, but the model was "
                         "loaded from memory without a base folder",
                         name);
    ext_ref r;
    clnn_status st = parse_entries(t, name, &r);
    if (st != CLNN_STATUS_OK) return st;
    if (!location_is_safe(r.location))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "tensor '" ONNX_NAME_FMT "': external data location '" ONNX_NAME_FMT
                         "' must be a relative path inside the model's folder (no '..')",
                         name, r.location);
    char *path;
    st = resolve_inside(base_dir, r.location, name, &path);
    if (st != CLNN_STATUS_OK) return st;
    /* O_NONBLOCK: a FIFO planted under the name must not hang the open; fstat rejects it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    free(path);
    if (fd < 0)
        return clnn_fail(NULL, CLNN_STATUS_IO_ERROR,
                         "tensor '" ONNX_NAME_FMT "': opening external data '" ONNX_NAME_FMT
                         "': %s",
                         name, r.location, strerror(errno));
    st = read_range(fd, &r, name, nbytes, out);
    close(fd);
    return st;
}
