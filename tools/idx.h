/*
 * idx.h - IDX files of unsigned bytes, the format of MNIST and Fashion-MNIST: images
 * (magic 0x00000803: count x rows x cols) and labels (magic 0x00000801: count), gzip-compressed
 * or plain. Anything else is refused with a message that says what the file holds.
 */
#ifndef CLNN_IDX_H
#define CLNN_IDX_H

#include <stddef.h>
#include <stdint.h>

#define IDX_MAGIC_LABELS 0x00000801u /* unsigned bytes, 1 dimension */
#define IDX_MAGIC_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions */

/* Limits that refuse a corrupt header before anything is allocated: at most this many items,
 * rows or columns, and this many bytes of data in all (the whole of MNIST is 47 MB). */
#define IDX_MAX_DIM (1u << 24)
#define IDX_MAX_BYTES ((size_t)1 << 30)

typedef struct idx_array {
    uint32_t magic;   /* IDX_MAGIC_IMAGES or IDX_MAGIC_LABELS */
    int ndim;         /* 3 for images, 1 for labels */
    uint32_t dims[3]; /* count, then rows and cols for images */
    size_t size;      /* bytes in data: the product of dims */
    uint8_t *data;    /* malloc'ed; free with idx_free */
} idx_array;

/* Reads path (gzip or plain, told apart by content) into *a and checks that it holds
 * `magic`, that every dimension is between 1 and IDX_MAX_DIM, that the data fit
 * IDX_MAX_BYTES and that the file holds exactly that many bytes after its header. Returns 0,
 * or -1 with a message in err (a missing file names the Debian package of Fashion-MNIST) and
 * *a zeroed. */
int idx_read(const char *path, uint32_t magic, idx_array *a, char *err, size_t errlen);

/* Reads an image file and a label file and checks that they hold the same count. Returns 0,
 * or -1 with a message in err and both arrays zeroed. */
int idx_read_pair(const char *images_path, const char *labels_path, idx_array *images,
                  idx_array *labels, char *err, size_t errlen);

/* Frees a's data and zeroes it; a zeroed array is fine. */
void idx_free(idx_array *a);

#endif
