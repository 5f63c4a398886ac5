/*
 * onnx_tensorfile.c - reads a serialized TensorProto file (the test_data_set_N/input_K.pb
 * files of ONNX's conformance data) with its element type, through the same tensor decoding as initializers.
 */
#include "onnx.h"

#include <stdlib.h>
#include <string.h>

clnn_status onnx_read_tensor_file_typed(const char *path, clnn_dtype *dtype, void **data,
                                       int64_t *dims, int *ndim)
{
    *data = NULL;
    *ndim = 0;
    *dtype = CLNN_DTYPE_UNDEFINED;
    char *bytes = NULL;
    size_t len = 0;
    int rc = clnn_read_file(path, (size_t)1 << 31, &bytes, &len);
    if (rc != 0)
        return clnn_fail(NULL, CLNN_STATUS_IO_ERROR, "cannot read tensor file '%s': %s", path,
                         strerror(rc));
    Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, len, (const uint8_t *)bytes);
    free(bytes);
    if (!t)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL, "'%s' is not a serialized TensorProto",
                         path);
    clnn_graph *g = NULL;
    clnn_status st = clnn_graph_create(&g);
    if (st == CLNN_STATUS_OK) st = onnx_add_tensor(g, t, "tensor", NULL);
    if (st == CLNN_STATUS_OK) {
        gtensor *x = &g->tensors[0];
        *dtype = x->dtype;
        if (x->idata) {
            *data = x->idata; /* taken over from the graph */
            x->idata = NULL;
        } else {
            *data = x->data;
            x->data = NULL;
        }
        *ndim = x->ndim;
        memcpy(dims, x->dims, (size_t)x->ndim * sizeof *dims);
    }
    clnn_graph_destroy(g);
    onnx__tensor_proto__free_unpacked(t, NULL);
    return st;
}

clnn_status onnx_read_tensor_file(const char *path, float **data, int64_t *dims, int *ndim)
{
    clnn_dtype dtype;
    void *v;
    *data = NULL;
    clnn_status st = onnx_read_tensor_file_typed(path, &dtype, &v, dims, ndim);
    if (st != CLNN_STATUS_OK || dtype == CLNN_DTYPE_FLOAT) {
        *data = v;
        return st;
    }
    /* integers and booleans as floats */
    size_t n = (size_t)clnn_shape_count(dims, *ndim);
    float *f = malloc((n ? n : 1) * sizeof *f);
    if (!f) st = clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "'%s'", path);
    for (size_t i = 0; f && i < n; i++) f[i] = (float)((const int64_t *)v)[i];
    free(v);
    *data = f;
    return st;
}
