/*
 * onnx_tensor.c - a TensorProto (initializer or Constant value) becomes a graph constant:
 * float32 or int64 values from raw_data (fixed-width little-endian), from the typed repeated
 * field (float_data / int64_data) or from an external file. The byte count must match the
 * dims exactly; anything else is refused with the tensor named.
 */
#include "onnx.h"

#include <stdlib.h>
#include <string.h>

/* Values ready for the builder: `data` points into the message or at `owned`. */
typedef struct tensor_data {
    const void *data;
    void *owned;
} tensor_data;

const char *onnx_dtype_name(int32_t v)
{
    const ProtobufCEnumValue *e =
        protobuf_c_enum_descriptor_get_value(&onnx__tensor_proto__data_type__descriptor, v);
    return e ? e->name : "unknown";
}

/* Copies the dims and counts the elements. The builder checks each dimension again, but the
 * count is bounded here already because it sizes the byte comparisons below. */
static clnn_status tensor_shape(const Onnx__TensorProto *t, const char *name, int64_t *dims,
                                size_t *count)
{
    if (t->n_dims > CLNN_MAX_DIMS)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "tensor '" ONNX_NAME_FMT "' has %zu dimensions (at most %d)", name,
                         t->n_dims, CLNN_MAX_DIMS);
    uint64_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        int64_t d = t->dims[i];
        if (d < 0 || d > ((int64_t)1 << 30))
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "tensor '" ONNX_NAME_FMT "': dimension %zu is %lld", name, i,
                             (long long)d);
        n *= (uint64_t)d; /* at most 2^31 * 2^30: no overflow */
        if (n > ((uint64_t)1 << 31))
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "tensor '" ONNX_NAME_FMT "' has more than 2^31 elements", name);
        dims[i] = d;
    }
    *count = (size_t)n;
    return CLNN_STATUS_OK;
}

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* Little-endian elements of esize bytes as host values: borrowed where the host is
 * little-endian and src aligned (the common case, which saves a copy of every weight),
 * else converted into an owned copy. */
static clnn_status from_le(const uint8_t *src, size_t nbytes, size_t esize, const char *name,
                           tensor_data *d)
{
    bool le = host_is_little_endian();
    if (le && (uintptr_t)src % esize == 0) {
        d->data = src;
        return CLNN_STATUS_OK;
    }
    uint8_t *dst = malloc(nbytes ? nbytes : 1);
    if (!dst)
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "tensor '" ONNX_NAME_FMT "'",
                         name);
    for (size_t i = 0; i < nbytes; i += esize)
        for (size_t k = 0; k < esize; k++) dst[i + k] = src[i + (le ? k : esize - 1 - k)];
    d->data = d->owned = dst;
    return CLNN_STATUS_OK;
}

static clnn_status external_values(const Onnx__TensorProto *t, const char *name,
                                   const char *base_dir, size_t nbytes, size_t esize,
                                   tensor_data *d)
{
    uint8_t *buf;
    clnn_status st = onnx_read_external(t, name, base_dir, nbytes, &buf);
    if (st != CLNN_STATUS_OK) return st;
    st = from_le(buf, nbytes, esize, name, d);
    if (d->data == buf)
        d->owned = buf;
    else
        free(buf);
    return st;
}

/* Finds the tensor's values in whichever field holds them and checks their size. */
static clnn_status tensor_values(const Onnx__TensorProto *t, const char *name,
                                 const char *base_dir, size_t count, bool is_int,
                                 tensor_data *d)
{
    size_t esize = is_int ? sizeof(int64_t) : sizeof(float);
    size_t nbytes = count * esize;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return external_values(t, name, base_dir, nbytes, esize, d);
    const char *field = is_int ? "int64_data" : "float_data";
    size_t ntyped = is_int ? t->n_int64_data : t->n_float_data;
    if (t->has_raw_data && ntyped)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "tensor '" ONNX_NAME_FMT "' holds both raw_data and %s", name, field);
    if (t->has_raw_data) {
        if (t->raw_data.len != nbytes)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "tensor '" ONNX_NAME_FMT "': raw_data holds %zu bytes, its dims "
                             "need %zu",
                             name, t->raw_data.len, nbytes);
        return from_le(t->raw_data.data, nbytes, esize, name, d);
    }
    if (ntyped != count)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "tensor '" ONNX_NAME_FMT "': %s holds %zu values, its dims need %zu",
                         name, field, ntyped, count);
    d->data = is_int ? (const void *)t->int64_data : (const void *)t->float_data;
    return CLNN_STATUS_OK;
}

clnn_status onnx_add_tensor(clnn_graph *g, const Onnx__TensorProto *t, const char *name,
                            const char *base_dir)
{
    int32_t dt = t->has_data_type ? t->data_type : ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED;
    bool is_int = dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    if (dt != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && !is_int)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "tensor '" ONNX_NAME_FMT "': data type %s is not supported (clnn "
                         "takes FLOAT and INT64 tensors)",
                         name, onnx_dtype_name(dt));
    int64_t dims[CLNN_MAX_DIMS];
    size_t count = 0;
    clnn_status st = tensor_shape(t, name, dims, &count);
    if (st != CLNN_STATUS_OK) return st;
    tensor_data d = {NULL, NULL};
    st = tensor_values(t, name, base_dir, count, is_int, &d);
    if (st == CLNN_STATUS_OK)
        st = is_int ? clnn_graph_add_constant_int64(g, name, dims, t->n_dims, d.data)
                    : clnn_graph_add_constant(g, name, dims, t->n_dims, d.data);
    free(d.owned);
    return st;
}
