/*
 * onnx_node.c - one NodeProto into the graph. Constant nodes become constant tensors (the
 * builder has no Constant operator); every other node goes to clnn_graph_add_node with its
 * INT, FLOAT, INTS, FLOATS and STRING attributes translated to clnn_attr, and the builder
 * checks the operator, its arity, its attributes and that every input exists already. TENSOR
 * attributes are decoded as initializers are (lib/onnx/onnx_tensor.c).
 */
#include "onnx.h"

#include <stdlib.h>
#include <string.h>

#define AT(x) ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##x

static const char *attr_type_name(int v)
{
    const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value(
        &onnx__attribute_proto__attribute_type__descriptor, v);
    return e ? e->name : "unknown";
}

/* The attribute's type. IR version 1 files could leave it unset; then the field holding a
 * value tells. */
static int attr_type(const Onnx__AttributeProto *a)
{
    if (a->has_type && a->type != AT(UNDEFINED)) return a->type;
    if (a->has_f) return AT(FLOAT);
    if (a->has_i) return AT(INT);
    if (a->has_s) return AT(STRING);
    if (a->t) return AT(TENSOR);
    if (a->g) return AT(GRAPH);
    if (a->n_floats) return AT(FLOATS);
    if (a->n_ints) return AT(INTS);
    return AT(UNDEFINED);
}

/* Translates one attribute; a STRING value is copied NUL-terminated into *str because
 * protobuf-c keeps it as counted bytes, and a TENSOR's decoded values land there too (the
 * caller frees it). */
static clnn_status convert_attr(const char *node, const char *op, const Onnx__AttributeProto *a,
                                clnn_attr *out, char **str)
{
    const char *name = onnx_str(a->name);
    if (!*name)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '" ONNX_NAME_FMT "' (" ONNX_NAME_FMT "): attribute without a name",
                         node, op);
    if (*onnx_str(a->ref_attr_name))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '" ONNX_NAME_FMT "' (" ONNX_NAME_FMT "): attribute '" ONNX_NAME_FMT
                         "' refers to a function attribute outside a function",
                         node, op, name);
    memset(out, 0, sizeof *out);
    out->name = name;
    int type = attr_type(a);
    switch (type) {
    case AT(INT): out->type = CLNN_ATTR_INT, out->i = a->i; break;
    case AT(FLOAT): out->type = CLNN_ATTR_FLOAT, out->f = a->f; break;
    case AT(INTS): out->type = CLNN_ATTR_INTS, out->ints = a->ints, out->count = a->n_ints; break;
    case AT(FLOATS):
        out->type = CLNN_ATTR_FLOATS, out->floats = a->floats, out->count = a->n_floats;
        break;
    case AT(STRING):
        *str = malloc(a->s.len + 1);
        if (!*str) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "attribute");
        if (a->s.len) memcpy(*str, a->s.data, a->s.len);
        (*str)[a->s.len] = '\0';
        out->type = CLNN_ATTR_STRING, out->s = *str;
        break;
    case AT(TENSOR): {
        /* Decoded like an initializer (no external data), its values copied out. */
        if (!a->t)
            return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                             "node '" ONNX_NAME_FMT "' (" ONNX_NAME_FMT "): tensor attribute '"
                             ONNX_NAME_FMT "' has no value", node, op, name);
        clnn_graph *scratch = NULL;
        clnn_status st = clnn_graph_create(&scratch);
        if (st == CLNN_STATUS_OK) st = onnx_add_tensor(scratch, a->t, name, NULL);
        if (st == CLNN_STATUS_OK) {
            gtensor *v = &scratch->tensors[0];
            out->type = CLNN_ATTR_TENSOR;
            out->elem_type = (int)v->dtype;
            out->count = (size_t)clnn_shape_count(v->dims, v->ndim);
            if (v->data) {
                out->floats = v->data;
                *str = (char *)v->data;
                v->data = NULL;
            } else {
                out->ints = v->idata;
                *str = (char *)v->idata;
                v->idata = NULL;
            }
        }
        clnn_graph_destroy(scratch);
        return st;
    }
    default:
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "node '" ONNX_NAME_FMT "' (" ONNX_NAME_FMT "): attribute '" ONNX_NAME_FMT
                         "' of type %s is not supported",
                         node, op, name, attr_type_name(type));
    }
    return CLNN_STATUS_OK;
}

static clnn_status add_operator(clnn_graph *g, const Onnx__NodeProto *n, const char *node,
                                const char *op)
{
    size_t na = n->n_attribute;
    clnn_attr *attrs = calloc(na ? na : 1, sizeof *attrs);
    char **strs = calloc(na ? na : 1, sizeof *strs);
    clnn_status st = CLNN_STATUS_OK;
    if (!attrs || !strs)
        st = clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "node '" ONNX_NAME_FMT "'", node);
    for (size_t i = 0; st == CLNN_STATUS_OK && i < na; i++)
        st = convert_attr(node, op, n->attribute[i], &attrs[i], &strs[i]);
    if (st == CLNN_STATUS_OK)
        st = clnn_graph_add_node(g, op, node, (const char *const *)n->input, n->n_input,
                                 (const char *const *)n->output, n->n_output, attrs, na);
    for (size_t i = 0; strs && i < na; i++) free(strs[i]);
    free(strs);
    free(attrs);
    return st;
}

/* A Constant node: exactly one of value (a tensor), value_float(s), value_int(s). */
static clnn_status add_constant_node(clnn_graph *g, const Onnx__NodeProto *n, const char *node,
                                     const char *base_dir)
{
    if (n->n_input || n->n_output != 1 || !*onnx_str(n->output[0]))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '" ONNX_NAME_FMT "' (Constant) must have no inputs and one named "
                         "output",
                         node);
    if (n->n_attribute != 1)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '" ONNX_NAME_FMT "' (Constant) has %zu attributes; it needs "
                         "exactly one value",
                         node, n->n_attribute);
    const Onnx__AttributeProto *a = n->attribute[0];
    const char *out = n->output[0], *name = onnx_str(a->name);
    int64_t len[1];
    if (!strcmp(name, "value") && a->t) return onnx_add_tensor(g, a->t, out, base_dir);
    if (!strcmp(name, "value_float") && a->has_f)
        return clnn_graph_add_constant(g, out, NULL, 0, &a->f);
    if (!strcmp(name, "value_int") && a->has_i)
        return clnn_graph_add_constant_int64(g, out, NULL, 0, &a->i);
    if (!strcmp(name, "value_floats")) {
        len[0] = (int64_t)a->n_floats;
        return clnn_graph_add_constant(g, out, len, 1, a->floats);
    }
    if (!strcmp(name, "value_ints")) {
        len[0] = (int64_t)a->n_ints;
        return clnn_graph_add_constant_int64(g, out, len, 1, a->ints);
    }
    return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                     "node '" ONNX_NAME_FMT "' (Constant): attribute '" ONNX_NAME_FMT "' without "
                     "a value, or not supported (value, value_float(s), value_int(s) are)",
                     node, name);
}

clnn_status onnx_add_node(clnn_graph *g, const Onnx__NodeProto *n, size_t index,
                          const char *base_dir)
{
    /* An unnamed node is named by its position in the ONNX graph, and the builder gets that
     * name too, so every message calls it the same. */
    char autoname[32];
    const char *node = onnx_str(n->name);
    if (!*node) {
        snprintf(autoname, sizeof autoname, "node%zu", index);
        node = autoname;
    }
    const char *op = onnx_str(n->op_type);
    if (!*op)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '" ONNX_NAME_FMT "' has no operator type", node);
    const char *domain = onnx_str(n->domain);
    if (*domain && strcmp(domain, "ai.onnx") != 0)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "node '" ONNX_NAME_FMT "' (" ONNX_NAME_FMT "): operator domain '"
                         ONNX_NAME_FMT "' is not supported (only the default ONNX domain is)",
                         node, op, domain);
    if (!strcmp(op, "Constant")) return add_constant_node(g, n, node, base_dir);
    return add_operator(g, n, node, op);
}
