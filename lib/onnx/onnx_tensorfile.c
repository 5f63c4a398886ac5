/*
 * onnx_tensorfile.c - reads a serialized TensorProto file (the test_data_set_N/input_K.pb
 * files of ONNX's conformance data) into host floats (integers and booleans converted), through the same tensor decoding as
 * initializers.
 */
#include "onnx.h"

#include <stdlib.h>
#include <string.h>

clnn_status onnx_read_tensor_file(const char *path, float **data, int64_t *dims, int *ndim)
{
    *data = NULL;
    *ndim = 0;
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
        if (x->idata) { /* integers and booleans as floats */
            size_t n = (size_t)clnn_shape_count(x->dims, x->ndim);
            x->data = malloc((n ? n : 1) * sizeof *x->data);
            if (!x->data) st = clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "'%s'", path);
            for (size_t i = 0; x->data && i < n; i++) x->data[i] = (float)x->idata[i];
        }
    }
    if (st == CLNN_STATUS_OK) {
        gtensor *x = &g->tensors[0];
        *data = x->data; /* taken over from the graph */
        x->data = NULL;
        *ndim = x->ndim;
        memcpy(dims, x->dims, (size_t)x->ndim * sizeof *dims);
    }
    clnn_graph_destroy(g);
    onnx__tensor_proto__free_unpacked(t, NULL);
    return st;
}
