/*
 * onnx_wire.c - a nesting-depth guard run before protobuf-c sees a model. protobuf-c recurses
 * once per nested message and has no depth limit, so a small hostile file (NodeProto inside
 * AttributeProto.g inside GraphProto... thousands deep) would overflow the stack. This walks
 * the wire format, using protobuf-c's own descriptors to know which fields are messages, and
 * only skips over everything else; decoding stays with protobuf-c.
 */
#include "onnx.h"

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LENGTH = 2, WIRE_FIXED32 = 5 };

typedef enum { NEST_OK, NEST_MALFORMED, NEST_TOO_DEEP } nest_result;

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false; /* ran off the end, or longer than the 10 bytes of a 64-bit varint */
}

/* Checks the fields of one message of type `desc` spanning [p, end). */
static nest_result walk(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                        const uint8_t *end, int depth)
{
    while (p < end) {
        uint64_t tag, len;
        if (!read_varint(&p, end, &tag)) return NEST_MALFORMED;
        switch (tag & 7) {
        case WIRE_VARINT:
            if (!read_varint(&p, end, &len)) return NEST_MALFORMED;
            break;
        case WIRE_FIXED64:
        case WIRE_FIXED32: {
            size_t n = (tag & 7) == WIRE_FIXED64 ? 8 : 4;
            if ((size_t)(end - p) < n) return NEST_MALFORMED;
            p += n;
            break;
        }
        case WIRE_LENGTH: {
            if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p)) return NEST_MALFORMED;
            const ProtobufCFieldDescriptor *f =
                tag >> 3 <= UINT32_MAX
                    ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3))
                    : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (depth >= ONNX_MAX_DEPTH) return NEST_TOO_DEEP;
                nest_result r = walk(f->descriptor, p, p + len, depth + 1);
                if (r != NEST_OK) return r;
            }
            p += len;
            break;
        }
        default: /* groups (3, 4) are not used by ONNX and protobuf-c refuses them too */
            return NEST_MALFORMED;
        }
    }
    return NEST_OK;
}

clnn_status onnx_check_nesting(const uint8_t *data, size_t size)
{
    switch (walk(&onnx__model_proto__descriptor, data, data + size, 1)) {
    case NEST_OK: return CLNN_STATUS_OK;
    case NEST_TOO_DEEP:
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "not a valid ONNX model: messages nest more than %d deep",
                         ONNX_MAX_DEPTH);
    default:
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "not a valid ONNX model: malformed protobuf encoding");
    }
}
