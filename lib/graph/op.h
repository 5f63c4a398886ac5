/*
 * op.h - operator definitions: the one table (lib/ops/op_list.h, lib/ops/op_table.c) that the
 * builder, shape inference, constant folding, the passes, the executor, the cost model, the
 * error texts and README's operator table read. Shared code never switches on operator
 * names; an operator is defined once, in its own file under lib/ops/:
 *
 *   - its ONNX name and version history, input/output arity and optional inputs;
 *   - its attribute schema (op_attr rows: type, default, range, the versions that have it),
 *     which one parser (builder.c) applies into the operator's own attribute struct;
 *   - check(): what the schema cannot say (an attribute required in some versions, values
 *     that depend on each other), run when the node is added;
 *   - infer(): output types and shapes from the inputs' (constant inputs may be read);
 *   - fold(): the outputs computed on the host when every input is known, so shape
 *     arithmetic never reaches a device (float operators without one fold through their
 *     layer's C reference);
 *   - layer: how it runs on a device (lib/ops/layer.h), NULL for views and host-only ones;
 *   - work(): a cost hint for the scheduler; activation(): what it computes when fused
 *     into a producer's epilogue; lower(): a rewrite before placement.
 */
#ifndef CLNN_OP_H
#define CLNN_OP_H

#include "graph.h"

#include <stddef.h>

typedef struct clnn_layer_impl clnn_layer_impl; /* lib/ops/layer.h */

typedef enum op_attr_kind {
    OPA_INT,    /* an int or int64_t field */
    OPA_FLOAT,  /* a float field (an INT value is accepted too) */
    OPA_INTS,   /* int64_t field[cap] and an int count field */
    OPA_FLOATS, /* float field[cap] and an int count field */
    OPA_ENUM,   /* a STRING from `choices`, stored as its index in an int field */
    OPA_SCALAR, /* a one-element TENSOR, stored as op_scalar */
    OPA_IGNORE, /* accepted and meaningless for inference (momentum, seed) */
} op_attr_kind;

typedef struct op_attr {
    const char *name;
    op_attr_kind kind;
    unsigned short offset, size;   /* the field in the operator's attribute struct */
    unsigned short count_offset;   /* INTS, FLOATS: the int receiving the count */
    unsigned short cap;            /* INTS, FLOATS: values the field holds */
    int64_t lo, hi;                /* INT, INTS: accepted range of each value */
    double def;                    /* INT, FLOAT, ENUM (an index): the default */
    const char *const *choices;    /* ENUM: NULL-terminated accepted strings */
    int since, until;              /* versions of the operator that have it (0: no bound) */
    bool required;
} op_attr;

/* A one-element TENSOR attribute (ConstantOfShape's value). */
typedef struct op_scalar {
    clnn_dtype dtype;
    double f;
    int64_t i;
} op_scalar;

/* Schema rows; trailing designated initializers (.since = 11, .required = true) may follow. */
#define OPA_AT(st, f) .offset = offsetof(st, f), .size = sizeof(((st *)0)->f)
#define A_INT(nm, st, f, d, l, h, ...)                                                         \
    {.name = nm, .kind = OPA_INT, OPA_AT(st, f), .def = (d), .lo = (l), .hi = (h), __VA_ARGS__}
#define A_FLOAT(nm, st, f, d, ...)                                                            \
    {.name = nm, .kind = OPA_FLOAT, OPA_AT(st, f), .def = (d), __VA_ARGS__}
#define A_INTS(nm, st, f, cnt, l, h, ...)                                                      \
    {.name = nm, .kind = OPA_INTS, OPA_AT(st, f), .count_offset = offsetof(st, cnt),          \
     .cap = sizeof(((st *)0)->f) / sizeof(int64_t), .lo = (l), .hi = (h), __VA_ARGS__}
#define A_FLOATS(nm, st, f, cnt, ...)                                                         \
    {.name = nm, .kind = OPA_FLOATS, OPA_AT(st, f), .count_offset = offsetof(st, cnt),        \
     .cap = sizeof(((st *)0)->f) / sizeof(float), __VA_ARGS__}
#define A_ENUM(nm, st, f, ch, d, ...)                                                         \
    {.name = nm, .kind = OPA_ENUM, OPA_AT(st, f), .choices = (ch), .def = (d), __VA_ARGS__}
#define A_SCALAR(nm, st, f, ...) {.name = nm, .kind = OPA_SCALAR, OPA_AT(st, f), __VA_ARGS__}
#define A_IGNORE(nm, ...) {.name = nm, .kind = OPA_IGNORE, __VA_ARGS__}
#define OP_ATTRS(rows) .attrs = (rows), .nattrs = (int)(sizeof(rows) / sizeof((rows)[0]))

/* Work of a node at its inferred shapes (the cost model's input). */
typedef struct node_work {
    double flops;  /* arithmetic (direct-convolution count for Conv) */
    double bytes;  /* device memory traffic: inputs, weights, output */
    int kernels;   /* launches */
} node_work;

enum op_flags {
    OPF_VIEW = 1 << 0,        /* output 0 is input 0's storage with another shape */
    OPF_HOST_ONLY = 1 << 1,   /* computed on the host only: its inputs must be known */
    OPF_SHAPE_ONLY = 1 << 2,  /* reads only input 0's shape (Shape, Size): always folds */
    OPF_ANY_TYPE = 1 << 3,    /* moves values without arithmetic: integer tensors held as
                                 floats on a device pass through unchanged */
    OPF_REMOVABLE = 1 << 4,   /* output 0 equals input 0 at inference (Identity, Dropout) */
    OPF_INTERNAL = 1 << 5,    /* made by a pass only (a fused block): models cannot name it,
                                 the operator list and README's table leave it out */
    OPF_BOOL_IN = 1 << 6,     /* reads BOOL tensors computed on a device (exact 0 / 1
                                 floats there): the logical operators, Equal */
};

typedef struct clnn_op_def {
    const char *name;      /* ONNX operator type */
    int since[12];         /* its ONNX since-versions up to CLNN_OPSET_MAX, ascending */
    int first;             /* the lowest since-version clnn implements (0: since[0]) */
    int last_opset;        /* removed from ONNX after this opset (0: still there) */
    short min_in, max_in, min_out, max_out;
    uint32_t optional_in;  /* bit i: input i may be absent ("") */
    const op_attr *attrs;
    int nattrs;
    size_t attr_size;      /* sizeof the attribute struct (0: none) */
    unsigned flags;        /* op_flags */
    clnn_status (*check)(gnode *n);
    clnn_status (*infer)(clnn_graph *g, gnode *n);
    clnn_status (*fold)(clnn_graph *g, gnode *n);
    const clnn_layer_impl *layer;
    node_work (*work)(const clnn_graph *g, const gnode *n);
    bool (*activation)(const gnode *n, clnn_activation *act, float *a, float *b);
    /* A pass hook: rewrites node `node` into others before placement (Split into Slices),
     * or settles what inference leaves (Dropout's mask). */
    clnn_status (*lower)(clnn_graph *g, int node);
    const char *notes;     /* README: what clnn supports of it, when not everything */
} clnn_op_def;

/* The definition of an operator. */
const clnn_op_def *clnn_op_def_of(clnn_op op);
/* ONNX operator type name of an op ("Conv"...). */
const char *clnn_op_name(clnn_op op);
/* The operator of an ONNX type name; false if clnn has none. */
bool clnn_op_lookup(const char *name, clnn_op *op);
/* "Abs, Add, ArgMax, ..." (every operator of the table, sorted; static storage). */
const char *clnn_op_supported_list(void);
/* The version of `def` a model of `opset` uses; an error naming `node` when the operator
 * does not exist in that opset or clnn does not implement that version. */
clnn_status clnn_op_version(const clnn_op_def *def, int opset, const char *node, int *version);

/* ---- helpers for definitions (shape.c) ---------------------------------------------------- */

#define OP_A(n, type) ((const type *)(n)->attrs)

/* Input i (NULL when absent or beyond ninputs) and output i. */
const gtensor *op_in(const clnn_graph *g, const gnode *n, int i);
gtensor *op_out(const clnn_graph *g, const gnode *n, int i);
/* Records "node 'NAME' (OP): <message>" and returns st. */
clnn_status op_fail(const gnode *n, clnn_status st, const char *fmt, ...) CLNN_PRINTF(3, 4);
/* Sets output i's type and shape after checking it: every dimension >= 0, at most
 * CLNN_MAX_DIMS, fewer than 2^31 elements. */
clnn_status op_set_out(clnn_graph *g, const gnode *n, int i, clnn_dtype dtype,
                       const int64_t *dims, int ndim);
/* Output i takes input j's type and shape. */
clnn_status op_same_as(clnn_graph *g, const gnode *n, int i, int j);
/* Input i must have this rank (what: "input", "weight"...). */
clnn_status op_need_rank(const clnn_graph *g, const gnode *n, int i, int rank, const char *what);
/* Input i must be float32. */
clnn_status op_need_float(const clnn_graph *g, const gnode *n, int i);
/* The values of integer constant input i (INT64 or BOOL; a FLOAT constant holding integers
 * is refused), at most cap of them; count in *count. Fails naming the input when it is not
 * a constant (say what it is for in `what`). */
clnn_status op_const_ints(const clnn_graph *g, const gnode *n, int i, const char *what,
                          int64_t *vals, int cap, int *count);
/* The values of float constant input i. */
clnn_status op_const_floats(const clnn_graph *g, const gnode *n, int i, const char *what,
                            float *vals, int cap, int *count);
/* axis in [-rank, rank) normalised to [0, rank); -1 if outside. */
int op_norm_axis(int64_t axis, int rank);
/* Whether attribute `name` of the node's schema was given. */
bool op_attr_given(const gnode *n, const char *name);
/* The default cost hint: one launch, one operation per output element, every input and
 * output read or written once. */
node_work op_io_work(const clnn_graph *g, const gnode *n);
/* numpy broadcasting of two shapes into out (rank *nd); false if they do not broadcast. */
bool op_broadcast(const int64_t *a, int na, const int64_t *b, int nb, int64_t *out, int *nd);

/* Checked arithmetic for sizes computed from model numbers: false on overflow. */
static inline bool op_mul_ok(int64_t a, int64_t b, int64_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}
static inline bool op_add_ok(int64_t a, int64_t b, int64_t *r)
{
    return !__builtin_add_overflow(a, b, r);
}

/* ---- host values of constants (fold implementations) -------------------------------------- */
/* Allocates the value of output i (its inferred shape and type) and returns it: floats for
 * FLOAT, int64s for INT64 and BOOL. NULL on allocation failure (message recorded). */
void *op_out_alloc(clnn_graph *g, const gnode *n, int i);
/* Element size on the host of a tensor's values (4 for FLOAT, 8 otherwise). */
static inline size_t op_host_esize(const gtensor *t) { return t->dtype == CLNN_DTYPE_FLOAT ? 4 : 8; }
static inline const void *op_host_data(const gtensor *t)
{
    return t->data ? (const void *)t->data : (const void *)t->idata;
}

/* ---- what the passes (passes.c) ask of particular operators -------------------------------- */
/* After inference: the first reduced axis when node n is a ReduceMean with keepdims that
 * reduces exactly the trailing axes [first, ndim) of its input; -1 otherwise (reduce.c). */
int clnn_reduce_mean_trailing(const clnn_graph *g, const gnode *n);
/* Appends a LayerNormalization node (opset 17: axis, epsilon) reading x, scale and bias
 * (-1: none) and writing y; returns its index or -1 (norm.c). */
int clnn_layer_norm_append(clnn_graph *g, const char *name, int x, int scale, int bias, int y,
                           int axis, float epsilon);
/* Appends the fused squeeze-and-excitation gate (se.c) reading inputs {x, w1, b1, w2, b2}
 * (b1, b2 may be -1) and writing out; returns its index, -1 on allocation failure, -2 when
 * the block is one the layer does not take (too many channels for local memory). */
int clnn_squeeze_excite_append(clnn_graph *g, const char *name, const int *inputs, int out,
                               clnn_activation act1, float a1, float b1, clnn_activation act2,
                               float a2, float b2);

#endif
