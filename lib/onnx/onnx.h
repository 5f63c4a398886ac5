/*
 * onnx.h - pieces of the ONNX loader shared by its files. The loader parses with protobuf-c
 * (structs generated from onnx.proto at build time) and builds the graph only through the
 * public builder calls, so a loaded model gets the same checks as a hand-built one.
 */
#ifndef CLNN_ONNX_H
#define CLNN_ONNX_H

#include "../graph/graph.h"
#include "onnx.pb-c.h"

/* Deepest message nesting accepted. protobuf-c unpacks nested messages recursively with no
 * limit of its own, so a few hundred kilobytes of nesting overflow the stack; real models
 * nest about ten deep (subgraphs of If/Loop a few more). */
#define ONNX_MAX_DEPTH 64

/* The bytes every name in a message is cut to, so hostile names cannot flood the log. */
#define ONNX_NAME_FMT "%.200s"

/* ---- onnx_wire.c --------------------------------------------------------------------------- */
/* Walks the serialized ModelProto without decoding it and checks that messages nest at most
 * ONNX_MAX_DEPTH deep. INVALID_MODEL (with a message) when deeper or not wire-format. */
clnn_status onnx_check_nesting(const uint8_t *data, size_t size);

/* ---- onnx_tensor.c ------------------------------------------------------------------------- */
/* "FLOAT", "DOUBLE"... for a TensorProto.DataType value ("unknown" outside the enum). */
const char *onnx_dtype_name(int32_t v);
/* Adds a float32 or int64 TensorProto (raw_data, typed fields or external data resolved
 * against base_dir, which may be NULL) to g as the constant `name`. Other data types are
 * CLNN_STATUS_UNSUPPORTED; a data size that does not match the dims is INVALID_MODEL. */
clnn_status onnx_add_tensor(clnn_graph *g, const Onnx__TensorProto *t, const char *name,
                            const char *base_dir);

/* ---- onnx_external.c ----------------------------------------------------------------------- */
/* Reads the external data of tensor `name`: exactly `nbytes` bytes from the file its
 * "location" entry names inside base_dir, at "offset", "length" bytes long. The file must
 * resolve (symlinks followed) to a regular file inside base_dir. *out is malloc'ed. */
clnn_status onnx_read_external(const Onnx__TensorProto *t, const char *name,
                               const char *base_dir, size_t nbytes, uint8_t **out);

/* ---- onnx_node.c --------------------------------------------------------------------------- */
/* Adds NodeProto `index` of the graph: a Constant becomes a constant tensor, every other
 * default-domain operator goes to clnn_graph_add_node with its attributes translated. */
clnn_status onnx_add_node(clnn_graph *g, const Onnx__NodeProto *n, size_t index,
                          const char *base_dir);

/* ---- onnx_tensorfile.c --------------------------------------------------------------------- */
/* Reads a file holding one serialized TensorProto as floats (integers converted): *data (malloc'ed, the caller frees)
 * and its shape (dims must hold CLNN_MAX_DIMS). */
clnn_status onnx_read_tensor_file(const char *path, float **data, int64_t *dims, int *ndim);
/* The same keeping the element type: *data holds floats for FLOAT, int64s for INT64 and
 * BOOL (0/1). */
clnn_status onnx_read_tensor_file_typed(const char *path, clnn_dtype *dtype, void **data,
                                        int64_t *dims, int *ndim);

/* A string field of a message; protobuf-c leaves absent ones NULL. */
static inline const char *onnx_str(const char *s) { return s ? s : ""; }

#endif
