/*
 * onnx_tensor.c - a TensorProto (initializer or Constant value) becomes a graph constant:
 * values from raw_data (fixed-width little-endian), from the typed repeated field or from an
 * external file, converted to what clnn carries (FLOAT, INT64, BOOL). The byte count must match the
 * dims exactly; anything else is refused with the tensor named.
 */
#include "onnx.h"

#include <math.h>
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

/* How each ONNX element type is stored and what clnn carries it as. Integer types (and
 * BOOL) become INT64, FLOAT16 becomes FLOAT; both are exact. */
typedef enum typed_field { F_FLOAT, F_INT32, F_INT64, F_UINT64 } typed_field;
typedef struct elem_type {
    int32_t onnx;
    size_t esize;    /* bytes of one value in raw_data */
    typed_field field;
    bool is_signed;
    clnn_dtype carried;
} elem_type;

#define DT(x) ONNX__TENSOR_PROTO__DATA_TYPE__##x
static const elem_type elem_types[] = {
    {DT(FLOAT), 4, F_FLOAT, true, CLNN_DTYPE_FLOAT},
    {DT(FLOAT16), 2, F_INT32, false, CLNN_DTYPE_FLOAT},
    {DT(INT64), 8, F_INT64, true, CLNN_DTYPE_INT64},
    {DT(INT32), 4, F_INT32, true, CLNN_DTYPE_INT64},
    {DT(INT16), 2, F_INT32, true, CLNN_DTYPE_INT64},
    {DT(INT8), 1, F_INT32, true, CLNN_DTYPE_INT64},
    {DT(UINT8), 1, F_INT32, false, CLNN_DTYPE_INT64},
    {DT(UINT16), 2, F_INT32, false, CLNN_DTYPE_INT64},
    {DT(UINT32), 4, F_UINT64, false, CLNN_DTYPE_INT64},
    {DT(BOOL), 1, F_INT32, false, CLNN_DTYPE_BOOL},
};

static float half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float f;
    if (exp == 0) {
        f = ldexpf((float)man, -24); /* zero and subnormals */
    } else if (exp == 31) {
        f = man ? NAN : INFINITY;
    } else {
        f = ldexpf((float)(man | 0x400), (int)exp - 25);
    }
    return sign ? -f : f;
}

/* Finds the tensor's values in whichever field holds them, checks their size and converts
 * them to what clnn carries: floats, or int64s for every integer type and BOOL. *out is
 * malloc'ed. */
static clnn_status tensor_values(const Onnx__TensorProto *t, const char *name,
                                 const char *base_dir, size_t count, const elem_type *et,
                                 void **out)
{
    static const char *const field_names[] = {"float_data", "int32_data", "int64_data",
                                              "uint64_data"};
    const size_t nbytes = count * et->esize;
    tensor_data raw = {NULL, NULL};
    clnn_status st = CLNN_STATUS_OK;
    size_t ntyped = et->field == F_FLOAT   ? t->n_float_data
                    : et->field == F_INT32 ? t->n_int32_data
                    : et->field == F_INT64 ? t->n_int64_data
                                           : t->n_uint64_data;
    const char *field = field_names[et->field];
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        st = external_values(t, name, base_dir, nbytes, et->esize, &raw);
    } else if (t->has_raw_data && ntyped) {
        st = clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                       "tensor '" ONNX_NAME_FMT "' holds both raw_data and %s", name, field);
    } else if (t->has_raw_data) {
        if (t->raw_data.len != nbytes)
            st = clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                           "tensor '" ONNX_NAME_FMT "': raw_data holds %zu bytes, its dims "
                           "need %zu",
                           name, t->raw_data.len, nbytes);
        else
            st = from_le(t->raw_data.data, nbytes, et->esize, name, &raw);
    } else if (ntyped != count) {
        st = clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                       "tensor '" ONNX_NAME_FMT "': %s holds %zu values, its dims need %zu", name,
                       field, ntyped, count);
    }
    if (st != CLNN_STATUS_OK) {
        free(raw.owned);
        return st;
    }
    const bool to_float = et->carried == CLNN_DTYPE_FLOAT;
    void *dst = malloc((count ? count : 1) * (to_float ? sizeof(float) : sizeof(int64_t)));
    if (!dst) {
        free(raw.owned);
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "tensor '" ONNX_NAME_FMT "'", name);
    }
    const uint8_t *r = raw.data;
    for (size_t i = 0; i < count; i++) {
        int64_t v = 0;
        if (r) {
            const uint8_t *e = r + i * et->esize;
            switch (et->esize) {
            case 1: v = et->is_signed ? (int8_t)e[0] : e[0]; break;
            case 2: {
                uint16_t u;
                memcpy(&u, e, 2);
                v = et->is_signed ? (int16_t)u : u;
                break;
            }
            case 4: {
                uint32_t u;
                memcpy(&u, e, 4);
                if (et->field == F_FLOAT) {
                    memcpy(&((float *)dst)[i], &u, 4);
                    continue;
                }
                v = et->is_signed ? (int32_t)u : (int64_t)u;
                break;
            }
            default: memcpy(&v, e, 8); break;
            }
        } else {
            switch (et->field) {
            case F_FLOAT: ((float *)dst)[i] = t->float_data[i]; continue;
            case F_INT32: v = t->int32_data[i]; break;
            case F_INT64: v = t->int64_data[i]; break;
            case F_UINT64: v = (int64_t)t->uint64_data[i]; break;
            }
        }
        if (et->onnx == DT(FLOAT16))
            ((float *)dst)[i] = half_to_float((uint16_t)v);
        else if (to_float)
            ((float *)dst)[i] = (float)v;
        else
            ((int64_t *)dst)[i] = et->carried == CLNN_DTYPE_BOOL ? v != 0 : v;
    }
    free(raw.owned);
    *out = dst;
    return CLNN_STATUS_OK;
}

clnn_status onnx_add_tensor(clnn_graph *g, const Onnx__TensorProto *t, const char *name,
                            const char *base_dir)
{
    int32_t dt = t->has_data_type ? t->data_type : ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED;
    const elem_type *et = NULL;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(elem_types); i++)
        if (elem_types[i].onnx == dt) et = &elem_types[i];
    if (!et)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "tensor '" ONNX_NAME_FMT "': data type %s is not supported (clnn "
                         "carries FLOAT and FLOAT16 as FLOAT, the integer types up to 32 bits "
                         "and INT64 as INT64, and BOOL)",
                         name, onnx_dtype_name(dt));
    int64_t dims[CLNN_MAX_DIMS];
    size_t count = 0;
    clnn_status st = tensor_shape(t, name, dims, &count);
    if (st != CLNN_STATUS_OK) return st;
    void *data = NULL;
    st = tensor_values(t, name, base_dir, count, et, &data);
    if (st == CLNN_STATUS_OK)
        st = clnn_graph_add_constant_typed(g, name, et->carried, dims, t->n_dims, data);
    free(data);
    return st;
}
