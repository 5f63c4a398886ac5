/*
 * npy.h - NumPy .npy files of float32 in C order (format versions 1.0, 2.0 and 3.0 read;
 * 1.0 written). Anything else is refused with a message saying what the file holds.
 */
#ifndef CLNN_NPY_H
#define CLNN_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 8

typedef struct npy_array {
    int ndim;
    int64_t dims[NPY_MAX_DIMS];
    size_t count;
    float *data; /* malloc'ed */
} npy_array;

/* Parses the bytes of a .npy file (`path` names it in messages) into *a. Returns 0, or -1
 * with a message in err. */
int npy_parse(const void *data, size_t size, const char *path, npy_array *a, char *err,
              size_t errlen);
/* Reads path (a regular file) into *a. Returns 0, or -1 with a message in err. */
int npy_read(const char *path, npy_array *a, char *err, size_t errlen);
/* Writes count floats of the given shape. Returns 0, or -1 with a message in err. */
int npy_write(const char *path, const float *data, const int64_t *dims, int ndim, char *err,
              size_t errlen);
void npy_free(npy_array *a);

#endif
