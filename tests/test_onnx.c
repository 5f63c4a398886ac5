/*
 * test_onnx.c - the ONNX loader. Models are built right here with the protobuf-c structs
 * generated from onnx.proto and packed with protobuf_c_message_pack, so no Python or model
 * files are needed: a small CNN with weights in raw_data and float_data, int64 shapes,
 * Constant nodes, external data, opsets 7 to 17; then hostile models (bad sizes, names,
 * types, paths, nesting) and every truncation and many byte flips of a valid model, which
 * must fail cleanly or load (the sanitizer build checks for crashes and leaks).
 *
 * With CLNN_ONNX_SEED_DIR set, every model packed here is also written there as a seed
 * corpus for fuzz/fuzz_onnx.c.
 */
#include "testutil.h"

#include "../lib/graph/graph.h"
#include "onnx.pb-c.h"

#include <sys/stat.h>
#include <unistd.h>

/* ---- building models ---------------------------------------------------------------------- */

#define MB_MAX 32

/* A model under construction; every allocation is remembered and freed by mb_free. */
typedef struct mb {
    void *allocs[1024];
    int nallocs;
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset, *opsets[1];
    Onnx__NodeProto *nodes[MB_MAX];
    Onnx__TensorProto *inits[MB_MAX];
    Onnx__ValueInfoProto *ins[MB_MAX], *outs[MB_MAX];
} mb;

static void *mb_alloc(mb *m, size_t n)
{
    assert_true(m->nallocs < (int)CLNN_ARRAY_LEN(m->allocs));
    void *p = calloc(1, n ? n : 1);
    assert_non_null(p);
    m->allocs[m->nallocs++] = p;
    return p;
}

static char *mb_str(mb *m, const char *s)
{
    char *c = mb_alloc(m, strlen(s) + 1);
    strcpy(c, s);
    return c;
}

static mb *mb_new(int64_t opset)
{
    mb *m = calloc(1, sizeof *m);
    assert_non_null(m);
    onnx__model_proto__init(&m->model);
    onnx__graph_proto__init(&m->graph);
    onnx__operator_set_id_proto__init(&m->opset);
    m->model.has_ir_version = true;
    m->model.ir_version = 8;
    m->opset.has_version = true;
    m->opset.version = opset;
    m->opsets[0] = &m->opset;
    m->model.opset_import = m->opsets;
    m->model.n_opset_import = 1;
    m->model.graph = &m->graph;
    m->graph.node = m->nodes;
    m->graph.initializer = m->inits;
    m->graph.input = m->ins;
    m->graph.output = m->outs;
    return m;
}

static void mb_free(mb *m)
{
    for (int i = 0; i < m->nallocs; i++) free(m->allocs[i]);
    free(m);
}

static Onnx__TensorProto *mb_tensor(mb *m, const char *name, int dtype, const int64_t *dims,
                                    size_t ndim)
{
    Onnx__TensorProto *t = mb_alloc(m, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = mb_str(m, name);
    t->has_data_type = true;
    t->data_type = dtype;
    t->n_dims = ndim;
    t->dims = mb_alloc(m, ndim * sizeof *dims);
    if (ndim) memcpy(t->dims, dims, ndim * sizeof *dims);
    return t;
}

/* Little-endian bytes of n elements of esize bytes (the raw_data layout). */
static void to_le(uint8_t *dst, const void *src, size_t n, size_t esize)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        uint32_t w;
        if (esize == 4) {
            memcpy(&w, (const uint8_t *)src + i * 4, 4);
            v = w;
        } else {
            memcpy(&v, (const uint8_t *)src + i * 8, 8);
        }
        for (size_t k = 0; k < esize; k++) dst[i * esize + k] = (uint8_t)(v >> (8 * k));
    }
}

static void set_raw(mb *m, Onnx__TensorProto *t, const void *data, size_t n, size_t esize)
{
    t->has_raw_data = true;
    t->raw_data.len = n * esize;
    t->raw_data.data = mb_alloc(m, n * esize);
    to_le(t->raw_data.data, data, n, esize);
}

static size_t count_of(const int64_t *dims, size_t ndim)
{
    size_t n = 1;
    for (size_t i = 0; i < ndim; i++) n *= (size_t)dims[i];
    return n;
}

static Onnx__TensorProto *ftensor(mb *m, const char *name, const int64_t *dims, size_t ndim,
                                  const float *data, bool raw)
{
    Onnx__TensorProto *t = mb_tensor(m, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dims, ndim);
    size_t n = count_of(dims, ndim);
    if (raw) {
        set_raw(m, t, data, n, 4);
    } else {
        t->n_float_data = n;
        t->float_data = mb_alloc(m, n * sizeof(float));
        memcpy(t->float_data, data, n * sizeof(float));
    }
    return t;
}

static Onnx__TensorProto *itensor(mb *m, const char *name, const int64_t *dims, size_t ndim,
                                  const int64_t *data, bool raw)
{
    Onnx__TensorProto *t = mb_tensor(m, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, dims, ndim);
    size_t n = count_of(dims, ndim);
    if (raw) {
        set_raw(m, t, data, n, 8);
    } else {
        t->n_int64_data = n;
        t->int64_data = mb_alloc(m, n * sizeof(int64_t));
        memcpy(t->int64_data, data, n * sizeof(int64_t));
    }
    return t;
}

static Onnx__TensorProto *add_init(mb *m, Onnx__TensorProto *t)
{
    assert_true(m->graph.n_initializer < MB_MAX);
    m->inits[m->graph.n_initializer++] = t;
    return t;
}

/* A float32 graph input; a negative dim becomes the symbolic dimension "N". */
static Onnx__ValueInfoProto *add_input(mb *m, const char *name, const int64_t *dims,
                                       size_t ndim)
{
    Onnx__ValueInfoProto *vi = mb_alloc(m, sizeof *vi);
    Onnx__TypeProto *tp = mb_alloc(m, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = mb_alloc(m, sizeof *tt);
    Onnx__TensorShapeProto *sh = mb_alloc(m, sizeof *sh);
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    vi->name = mb_str(m, name);
    vi->type = tp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = true;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = sh;
    sh->n_dim = ndim;
    sh->dim = mb_alloc(m, ndim * sizeof *sh->dim);
    for (size_t i = 0; i < ndim; i++) {
        Onnx__TensorShapeProto__Dimension *d = mb_alloc(m, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] < 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = mb_str(m, "N");
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        sh->dim[i] = d;
    }
    assert_true(m->graph.n_input < MB_MAX);
    m->ins[m->graph.n_input++] = vi;
    return vi;
}

static void add_output(mb *m, const char *name)
{
    Onnx__ValueInfoProto *vi = mb_alloc(m, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = mb_str(m, name);
    assert_true(m->graph.n_output < MB_MAX);
    m->outs[m->graph.n_output++] = vi;
}

/* Splits "a,b,,c" into names ("" for an empty piece); NULL or "" gives none. */
static char **split(mb *m, const char *list, size_t *n)
{
    *n = 0;
    char **out = mb_alloc(m, 16 * sizeof *out);
    if (!list || !*list) return out;
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        out[*n] = mb_alloc(m, len + 1);
        memcpy(out[*n], p, len);
        (*n)++;
        p += len;
        if (!*p) break;
    }
    return out;
}

static Onnx__NodeProto *add_node(mb *m, const char *op, const char *name, const char *inputs,
                                 const char *outputs)
{
    Onnx__NodeProto *n = mb_alloc(m, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = mb_str(m, op);
    n->name = mb_str(m, name);
    n->input = split(m, inputs, &n->n_input);
    n->output = split(m, outputs, &n->n_output);
    n->attribute = mb_alloc(m, 8 * sizeof *n->attribute);
    assert_true(m->graph.n_node < MB_MAX);
    m->nodes[m->graph.n_node++] = n;
    return n;
}

static Onnx__AttributeProto *attr(mb *m, Onnx__NodeProto *n, const char *name, int type)
{
    Onnx__AttributeProto *a = mb_alloc(m, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = mb_str(m, name);
    a->has_type = true;
    a->type = type;
    assert_true(n->n_attribute < 8);
    n->attribute[n->n_attribute++] = a;
    return a;
}

static void attr_i(mb *m, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = true;
    a->i = v;
}

static void attr_f(mb *m, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = true;
    a->f = v;
}

static void attr_ints(mb *m, Onnx__NodeProto *n, const char *name, const int64_t *v, size_t k)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = k;
    a->ints = mb_alloc(m, k * sizeof *v);
    memcpy(a->ints, v, k * sizeof *v);
}

static void attr_s(mb *m, Onnx__NodeProto *n, const char *name, const char *s)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = true;
    a->s.len = strlen(s);
    a->s.data = (uint8_t *)mb_str(m, s);
}

static void attr_t(mb *m, Onnx__NodeProto *n, const char *name, Onnx__TensorProto *t)
{
    attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t = t;
}

/* Writes a seed for the fuzzer when CLNN_ONNX_SEED_DIR is set. */
static void save_seed(const uint8_t *buf, size_t len)
{
    static int seq;
    const char *dir = getenv("CLNN_ONNX_SEED_DIR");
    if (!dir || !*dir) return;
    char name[32];
    snprintf(name, sizeof name, "seed-%03d.onnx", seq++);
    char *path = tu_path(dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, len, f);
        fclose(f);
    }
    free(path);
}

/* Packs and frees the model; returns the malloc'ed bytes. */
static uint8_t *pack(mb *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(&m->model.base);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(&m->model.base, buf), *len);
    mb_free(m);
    save_seed(buf, *len);
    return buf;
}

static clnn_graph *load_ok(mb *m, const char *base_dir)
{
    size_t len;
    uint8_t *buf = pack(m, &len);
    clnn_graph *g = NULL;
    clnn_status st = clnn_graph_load_onnx_buffer(buf, len, base_dir, &g);
    if (st != CLNN_STATUS_OK) print_error("load: %s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    assert_non_null(g);
    free(buf);
    return g;
}

static void expect_error(const void *buf, size_t len, const char *base_dir, clnn_status want,
                         const char *text1, const char *text2)
{
    clnn_graph *g = (clnn_graph *)&g; /* must come back NULL */
    clnn_status st = clnn_graph_load_onnx_buffer(buf, len, base_dir, &g);
    const char *msg = clnn_last_error();
    if (st != want || (text1 && !strstr(msg, text1)) || (text2 && !strstr(msg, text2)))
        print_error("status %d (want %d), message '%s' (want '%s', '%s')\n", st, want, msg,
                    text1 ? text1 : "", text2 ? text2 : "");
    assert_int_equal(st, want);
    assert_null(g);
    if (text1) assert_non_null(strstr(msg, text1));
    if (text2) assert_non_null(strstr(msg, text2));
}

static void expect_model_error(mb *m, const char *base_dir, clnn_status want, const char *text1,
                               const char *text2)
{
    size_t len;
    uint8_t *buf = pack(m, &len);
    expect_error(buf, len, base_dir, want, text1, text2);
    free(buf);
}

static const gtensor *tensor(const clnn_graph *g, const char *name)
{
    int t = clnn_graph_find_tensor(g, name);
    assert_true(t >= 0);
    return &g->tensors[t];
}

static void validate(const clnn_graph *g, int batch)
{
    clnn_status st = clnn_graph_validate(g, batch);
    if (st != CLNN_STATUS_OK) print_error("validate: %s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

/* ---- the models ------------------------------------------------------------------------- */

static float w1[4 * 3 * 3 * 3], b1[4], w2[10 * 64], b2[10];

static void fill_weights(void)
{
    tu_fill_uniform(w1, CLNN_ARRAY_LEN(w1), 1, -1, 1);
    tu_fill_uniform(b1, CLNN_ARRAY_LEN(b1), 2, -1, 1);
    tu_fill_uniform(w2, CLNN_ARRAY_LEN(w2), 3, -1, 1);
    tu_fill_uniform(b2, CLNN_ARRAY_LEN(b2), 4, -1, 1);
}

static const int64_t w1_dims[] = {4, 3, 3, 3};

/* x[N,3,8,8] -> Conv 3x3 pad 1 -> Relu -> MaxPool 2x2 -> Flatten -> Gemm -> y[N,10]. W1 is
 * in raw_data, B1 in float_data (W2 and B2 the other way round). */
static mb *cnn_model(int64_t opset)
{
    mb *m = mb_new(opset);
    static const int64_t b1_dims[] = {4}, w2_dims[] = {10, 64}, b2_dims[] = {10};
    static const int64_t x_dims[] = {-1, 3, 8, 8}, k3[] = {3, 3}, pad1[] = {1, 1, 1, 1},
                         k2[] = {2, 2};
    add_init(m, ftensor(m, "W1", w1_dims, 4, w1, true));
    add_init(m, ftensor(m, "B1", b1_dims, 1, b1, false));
    add_init(m, ftensor(m, "W2", w2_dims, 2, w2, false));
    add_init(m, ftensor(m, "B2", b2_dims, 1, b2, true));
    add_input(m, "x", x_dims, 4);
    Onnx__NodeProto *n = add_node(m, "Conv", "conv1", "x,W1,B1", "c1");
    attr_ints(m, n, "kernel_shape", k3, 2);
    attr_ints(m, n, "pads", pad1, 4);
    add_node(m, "Relu", "relu1", "c1", "r1");
    n = add_node(m, "MaxPool", "pool1", "r1", "p1");
    attr_ints(m, n, "kernel_shape", k2, 2);
    attr_ints(m, n, "strides", k2, 2);
    add_node(m, "Flatten", "flat", "p1", "f1");
    n = add_node(m, "Gemm", "fc", "f1,W2,B2", "y");
    attr_i(m, n, "transB", 1);
    attr_f(m, n, "alpha", 1.0f);
    add_output(m, "y");
    return m;
}

static void test_cnn(void **state)
{
    (void)state;
    clnn_graph *g = load_ok(cnn_model(13), NULL);
    assert_int_equal(clnn_graph_node_count(g), 5);
    assert_int_equal(clnn_graph_input_count(g), 1);
    assert_string_equal(clnn_graph_input_name(g, 0), "x");
    assert_int_equal(clnn_graph_output_count(g), 1);
    assert_string_equal(clnn_graph_output_name(g, 0), "y");
    assert_int_equal(g->opset, 13);
    assert_true(tensor(g, "x")->batch_free);
    assert_memory_equal(tensor(g, "W1")->data, w1, sizeof w1);
    assert_memory_equal(tensor(g, "B1")->data, b1, sizeof b1);
    assert_memory_equal(tensor(g, "W2")->data, w2, sizeof w2);
    assert_memory_equal(tensor(g, "B2")->data, b2, sizeof b2);
    assert_int_equal(tensor(g, "W1")->ndim, 4);
    validate(g, 1);
    validate(g, 3);
    clnn_graph_destroy(g);
}

/* The same model from a file: the loader reads it and its folder is the base folder. */
static void test_file(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("onnx");
    size_t len;
    uint8_t *buf = pack(cnn_model(11), &len);
    char *path = tu_path(dir, "model.onnx");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    clnn_graph *g = NULL;
    assert_int_equal(clnn_graph_load_onnx(path, &g), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_node_count(g), 5);
    clnn_graph_destroy(g);
    char *missing = tu_path(dir, "missing.onnx");
    assert_int_equal(clnn_graph_load_onnx(missing, &g), CLNN_STATUS_IO_ERROR);
    assert_non_null(strstr(clnn_last_error(), "missing.onnx"));
    assert_null(g);
    assert_int_equal(clnn_graph_load_onnx(dir, &g), CLNN_STATUS_IO_ERROR); /* a folder */
    assert_int_equal(clnn_graph_load_onnx(NULL, &g), CLNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clnn_graph_load_onnx(path, NULL), CLNN_STATUS_INVALID_ARGUMENT);
    free(missing);
    free(path);
    free(buf);
    tu_rmtree(dir);
    free(dir);
}

/* Reshape's shape as an int64 initializer, in raw_data and in int64_data. */
static void test_reshape_int64(void **state)
{
    (void)state;
    for (int raw = 0; raw < 2; raw++) {
        mb *m = mb_new(13);
        static const int64_t x_dims[] = {1, 4, 2, 2}, s_dims[] = {2}, shape[] = {1, 16};
        add_input(m, "x", x_dims, 4);
        add_init(m, itensor(m, "shape", s_dims, 1, shape, raw));
        add_node(m, "Reshape", "", "x,shape", "y");
        add_output(m, "y");
        clnn_graph *g = load_ok(m, NULL);
        const gtensor *s = tensor(g, "shape");
        assert_non_null(s->idata);
        assert_int_equal(s->idata[0], 1);
        assert_int_equal(s->idata[1], 16);
        assert_string_equal(g->nodes[0].name, "node0"); /* unnamed: named by position */
        validate(g, 1);
        clnn_graph_destroy(g);
    }
}

/* Constant nodes: a tensor value, value_ints (a Reshape shape), value_float, value_floats. */
static void test_constant_nodes(void **state)
{
    (void)state;
    mb *m = mb_new(13);
    static const int64_t x_dims[] = {1, 4}, k_dims[] = {1, 4}, shape[] = {1, 2, 2};
    static const float k[] = {1, 2, 3, 4}, fl[] = {0.5f, 0.25f};
    add_input(m, "x", x_dims, 2);
    attr_t(m, add_node(m, "Constant", "c_k", "", "k"), "value",
           ftensor(m, "", k_dims, 2, k, true));
    add_node(m, "Add", "add", "x,k", "a");
    attr_ints(m, add_node(m, "Constant", "c_s", "", "s"), "value_ints", shape, 3);
    add_node(m, "Reshape", "reshape", "a,s", "r");
    attr_f(m, add_node(m, "Constant", "c_f", "", "f"), "value_float", 2.0f);
    add_node(m, "Mul", "mul", "r,f", "y");
    Onnx__AttributeProto *a = attr(m, add_node(m, "Constant", "c_fl", "", "fl"), "value_floats",
                                   ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = 2;
    a->floats = (float *)fl;
    attr_i(m, add_node(m, "Constant", "c_i", "", "i"), "value_int", 7);
    add_output(m, "y");
    clnn_graph *g = load_ok(m, NULL);
    assert_int_equal(clnn_graph_node_count(g), 3); /* Constants are tensors, not nodes */
    assert_memory_equal(tensor(g, "k")->data, k, sizeof k);
    assert_int_equal(tensor(g, "s")->idata[2], 2);
    assert_int_equal(tensor(g, "f")->ndim, 0);
    assert_true(tensor(g, "f")->data[0] == 2.0f);
    assert_int_equal(tensor(g, "fl")->dims[0], 2);
    assert_true(tensor(g, "fl")->data[1] == 0.25f);
    assert_int_equal(tensor(g, "i")->idata[0], 7);
    validate(g, 1);
    clnn_graph_destroy(g);
}

/* The opset reaches the builder before the nodes: Softmax's default axis changed in 13, and
 * Clip's bounds moved from attributes (before 11) to inputs. */
static void test_opsets(void **state)
{
    (void)state;
    static const int opsets[] = {7, 11, 13, 17};
    static const int64_t x_dims[] = {2, 10};
    static const float lo = 0.0f, hi = 6.0f;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(opsets); i++) {
        mb *m = mb_new(opsets[i]);
        add_input(m, "x", x_dims, 2);
        if (opsets[i] < 11) {
            Onnx__NodeProto *n = add_node(m, "Clip", "clip", "x", "c");
            attr_f(m, n, "min", lo);
            attr_f(m, n, "max", hi);
        } else {
            add_init(m, ftensor(m, "lo", NULL, 0, &lo, false));
            add_init(m, ftensor(m, "hi", NULL, 0, &hi, true));
            add_node(m, "Clip", "clip", "x,lo,hi", "c");
        }
        add_node(m, "Softmax", "softmax", "c", "y");
        add_output(m, "y");
        clnn_graph *g = load_ok(m, NULL);
        assert_int_equal(g->opset, opsets[i]);
        assert_int_equal(g->nodes[1].version >= 13, opsets[i] >= 13);
        validate(g, 1);
        clnn_graph_destroy(g);
    }
    static const int64_t refused[] = {-1, 0, 21, 100};
    char text[32];
    for (size_t i = 0; i < CLNN_ARRAY_LEN(refused); i++) {
        snprintf(text, sizeof text, "opset %lld", (long long)refused[i]);
        expect_model_error(cnn_model(refused[i]), NULL, CLNN_STATUS_UNSUPPORTED, text, NULL);
    }
    /* Only another domain imported: no default opset. */
    mb *m = cnn_model(13);
    m->opset.domain = mb_str(m, "com.microsoft");
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "default ONNX domain", NULL);
    /* "ai.onnx" is the default domain spelled out. */
    m = cnn_model(13);
    m->opset.domain = mb_str(m, "ai.onnx");
    clnn_graph_destroy(load_ok(m, NULL));
}

/* Inputs: initializers listed among them (IR < 4) are not inputs; only float32 tensors with
 * known sizes after the batch dimension. */
static void test_inputs(void **state)
{
    (void)state;
    mb *m = cnn_model(9);
    add_input(m, "W1", w1_dims, 4); /* old exporters list weights as inputs too */
    clnn_graph *g = load_ok(m, NULL);
    assert_int_equal(clnn_graph_input_count(g), 1);
    clnn_graph_destroy(g);

    static const int64_t sym1[] = {1, -1, 8, 8}, nine[] = {1, 1, 1, 1, 1, 1, 1, 1, 1},
                         zero[] = {1, 3, 0, 8};
    m = cnn_model(13);
    m->ins[0]->type->tensor_type->shape->dim[1]->value_case =
        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE__NOT_SET;
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'x'", "dimension 1");
    m = mb_new(13);
    add_input(m, "x", sym1, 4);
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'x'", "dimension 1");
    m = mb_new(13);
    add_input(m, "x", nine, 9);
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'x'", "9 dimensions");
    m = mb_new(13);
    add_input(m, "x", zero, 4);
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'x'", "empty tensors");
    m = mb_new(13);
    add_input(m, "x", sym1, 1);
    m->ins[0]->type->tensor_type->shape->dim[0]->value_case =
        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    m->ins[0]->type->tensor_type->shape->dim[0]->dim_value = -3;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'x'", "-3");
    m = cnn_model(13);
    m->ins[0]->type->tensor_type->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'x'", "UINT8");
    /* An INT64 input loads; it must be given (bound) before the graph can run. */
    m = cnn_model(13);
    m->ins[0]->type->tensor_type->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    g = load_ok(m, NULL);
    assert_int_equal(tensor(g, "x")->dtype, CLNN_DTYPE_INT64);
    clnn_compiled *cg = NULL;
    assert_int_equal(clnn_graph_compile(g, 1, true, &cg), CLNN_STATUS_UNSUPPORTED);
    assert_null(cg);
    assert_non_null(strstr(clnn_last_error(), "clnn_graph_bind_input_int64"));
    float f = 0;
    assert_int_equal(clnn_graph_bind_input(g, "x", &f, 1), CLNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clnn_last_error(), "clnn_graph_bind_input_int64"));
    int64_t iv[3] = {0};
    assert_int_equal(clnn_graph_bind_input_int64(g, "x", iv, 3), CLNN_STATUS_SHAPE_MISMATCH);
    assert_int_equal(clnn_graph_input_count(g), 1); /* nothing changed by the refusals */
    clnn_graph_destroy(g);
    m = cnn_model(13);
    m->ins[0]->type->tensor_type->shape = NULL;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'x'", "no shape");
    m = cnn_model(13);
    m->ins[0]->type = NULL;
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'x'", "not a tensor");
    m = cnn_model(13);
    m->ins[0]->name = NULL;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "graph input 0", "no name");
}

/* ---- hostile models ---------------------------------------------------------------------- */

static void test_not_a_model(void **state)
{
    (void)state;
    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    static const char text[] = "ir_version: 8\ngraph { }\n";
    expect_error(junk, sizeof junk, NULL, CLNN_STATUS_INVALID_MODEL, "not a valid ONNX model",
                 NULL);
    expect_error(text, sizeof text, NULL, CLNN_STATUS_INVALID_MODEL, NULL, NULL);
    expect_error(junk, 0, NULL, CLNN_STATUS_INVALID_MODEL, "empty", NULL);
    expect_error(NULL, 4, NULL, CLNN_STATUS_INVALID_ARGUMENT, NULL, NULL);
    assert_int_equal(clnn_graph_load_onnx_buffer(junk, 4, NULL, NULL),
                     CLNN_STATUS_INVALID_ARGUMENT);
    /* A well-formed ModelProto without a graph. */
    mb *m = mb_new(13);
    m->model.graph = NULL;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "no graph", NULL);
    /* A graph without outputs, and an output nothing produces. */
    m = cnn_model(13);
    m->graph.n_output = 0;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "no outputs", NULL);
    m = cnn_model(13);
    add_output(m, "nowhere");
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'nowhere'", NULL);
}

/* Initializers whose dims and data disagree, or that clnn cannot hold. */
static void test_bad_tensors(void **state)
{
    (void)state;
    static const int64_t neg[] = {4, -3, 3, 3}, huge[] = {1LL << 40}, big2[] = {1 << 30, 4},
                         many[] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, zero[] = {4, 0};
    mb *m = cnn_model(13);
    m->inits[0]->dims = (int64_t *)neg;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'W1'", "-3");
    m = cnn_model(13);
    m->inits[0]->dims = (int64_t *)huge;
    m->inits[0]->n_dims = 1;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'W1'", "1099511627776");
    m = cnn_model(13);
    m->inits[0]->dims = (int64_t *)big2;
    m->inits[0]->n_dims = 2;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'W1'", "2^31");
    m = cnn_model(13);
    m->inits[0]->dims = (int64_t *)many;
    m->inits[0]->n_dims = 9;
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'W1'", "9 dimensions");
    m = cnn_model(13);
    m->inits[0]->dims = (int64_t *)zero;
    m->inits[0]->n_dims = 2;
    m->inits[0]->raw_data.len = 0;
    /* An empty constant loads (exporters write empty roi/scales inputs); as a Conv weight it
     * is refused when shapes are inferred. */
    clnn_graph *eg = load_ok(m, NULL);
    assert_int_equal(clnn_graph_validate(eg, 1), CLNN_STATUS_UNSUPPORTED);
    assert_non_null(strstr(clnn_last_error(), "conv1"));
    clnn_graph_destroy(eg);
    m = cnn_model(13);
    m->inits[0]->raw_data.len -= 4; /* raw_data one float short */
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'W1'", "raw_data holds 428");
    m = cnn_model(13);
    m->inits[1]->n_float_data = 5; /* one value too many */
    m->inits[1]->float_data = w1;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'B1'", "float_data holds 5");
    m = cnn_model(13);
    m->inits[1]->n_float_data = 0; /* no data at all */
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'B1'", "holds 0");
    m = cnn_model(13);
    m->inits[3]->n_float_data = 10; /* raw_data and float_data both */
    m->inits[3]->float_data = w2;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'B2'", "both");
    m = cnn_model(13);
    m->inits[0]->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'W1'", "DOUBLE");
    m = cnn_model(13);
    m->inits[0]->has_data_type = false;
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'W1'", "UNDEFINED");
    m = cnn_model(13);
    m->inits[0]->data_type = 12345;
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'W1'", "unknown");
    /* int64 with raw_data of the wrong size */
    m = mb_new(13);
    static const int64_t s_dims[] = {2}, shape[] = {1, 16};
    Onnx__TensorProto *t = add_init(m, itensor(m, "shape", s_dims, 1, shape, true));
    t->raw_data.len = 12;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'shape'", "raw_data holds 12");
    m = mb_new(13);
    t = add_init(m, itensor(m, "shape", s_dims, 1, shape, false));
    t->n_int64_data = 1;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'shape'", "int64_data holds 1");
    /* A sparse initializer. */
    m = cnn_model(13);
    Onnx__SparseTensorProto sp = ONNX__SPARSE_TENSOR_PROTO__INIT, *sps[1] = {&sp};
    sp.values = ftensor(m, "S", s_dims, 1, b1, false);
    m->graph.sparse_initializer = sps;
    m->graph.n_sparse_initializer = 1;
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'S'", "sparse");
}

/* Names: duplicates, empty, dangling, and a node using a later node's output (a cycle or an
 * unsorted graph, which ONNX forbids). */
static void test_bad_names(void **state)
{
    (void)state;
    mb *m = cnn_model(13);
    m->inits[1]->name = mb_str(m, "W1");
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'W1'", "already exists");
    m = cnn_model(13);
    add_input(m, "x", w1_dims, 4);
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'x'", "already exists");
    m = cnn_model(13);
    m->nodes[1]->output[0] = mb_str(m, "c1"); /* Relu writes its own input */
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'relu1'", "'c1'");
    m = cnn_model(13);
    m->nodes[1]->output[0] = mb_str(m, "B2"); /* overwrites an initializer */
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'relu1'", "'B2'");
    m = cnn_model(13);
    m->nodes[2]->input[0] = mb_str(m, "nothing");
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'pool1'", "'nothing'");
    m = cnn_model(13);
    m->nodes[0]->input[0] = mb_str(m, "r1"); /* conv reads relu's output: a cycle */
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'conv1'", "'r1'");
    m = cnn_model(13);
    m->inits[2]->name = mb_str(m, "");
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "initializer 2", "no name");
    m = cnn_model(13);
    m->outs[0]->name = NULL;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "graph output 0", "no name");
    m = cnn_model(13);
    m->nodes[3]->output[0] = mb_str(m, "");
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'flat'", "output 0");
    m = cnn_model(13);
    m->nodes[3]->n_output = 0;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'flat'", NULL);
    m = cnn_model(13);
    m->nodes[3]->op_type = NULL;
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'flat'", "operator type");
}

/* Operators and attributes clnn does not take. */
static void test_bad_nodes(void **state)
{
    (void)state;
    mb *m = cnn_model(13);
    m->nodes[1]->domain = mb_str(m, "com.microsoft");
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'relu1'", "com.microsoft");
    m = cnn_model(13);
    m->nodes[1]->op_type = mb_str(m, "FusedGelu");
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'relu1'", "FusedGelu");
    m = cnn_model(13);
    attr_t(m, m->nodes[0], "weights", ftensor(m, "t", NULL, 0, b1, false));
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'conv1'", "'weights'");
    m = cnn_model(13);
    Onnx__GraphProto sub = ONNX__GRAPH_PROTO__INIT;
    attr(m, m->nodes[1], "body", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH)->g = &sub;
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'relu1'", "GRAPH");
    m = cnn_model(13);
    attr(m, m->nodes[1], "names", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'relu1'", "STRINGS");
    m = cnn_model(13);
    attr_i(m, m->nodes[1], "", 1);
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'relu1'", "without a name");
    m = cnn_model(13);
    attr(m, m->nodes[1], "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->ref_attr_name =
        mb_str(m, "outer");
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'relu1'", "function");
    m = cnn_model(13);
    attr_s(m, m->nodes[0], "auto_pad", "SIDEWAYS");
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'conv1'", "auto_pad");
    m = cnn_model(13);
    attr_s(m, m->nodes[0], "auto_pad", "NOTSET"); /* a valid STRING attribute */
    clnn_graph_destroy(load_ok(m, NULL));
    /* Attributes without a type (IR version 1) are typed by the field holding the value. */
    m = cnn_model(13);
    m->nodes[4]->attribute[0]->has_type = false;
    m->nodes[4]->attribute[1]->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
    clnn_graph_destroy(load_ok(m, NULL));
}

static void test_bad_constants(void **state)
{
    (void)state;
    static const int64_t x_dims[] = {1, 4};
    static const float v[] = {1, 2};
    mb *m = mb_new(13);
    add_input(m, "x", x_dims, 2);
    Onnx__NodeProto *n = add_node(m, "Constant", "c", "x", "k");
    attr_f(m, n, "value_float", 1.0f);
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'c'", "no inputs");
    m = mb_new(13);
    n = add_node(m, "Constant", "c", "", "k");
    attr_f(m, n, "value_float", 1.0f);
    attr_i(m, n, "value_int", 1);
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'c'", "2 attributes");
    m = mb_new(13);
    attr_s(m, add_node(m, "Constant", "c", "", "k"), "value_string", "hi");
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'c'", "value_string");
    m = mb_new(13);
    attr(m, add_node(m, "Constant", "c", "", "k"), "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'c'", "'value'");
    m = mb_new(13);
    attr(m, add_node(m, "Constant", "c", "", "k"), "value_floats",
         ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    /* An empty value is a valid (empty) constant: the model then fails for having no
     * outputs, not for the constant. */
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "no outputs", NULL);
    m = mb_new(13);
    static const int64_t two[] = {2};
    Onnx__TensorProto *t = ftensor(m, "", two, 1, v, false);
    t->dims = (int64_t *)x_dims; /* 2 values for 4 */
    t->n_dims = 2;
    attr_t(m, add_node(m, "Constant", "c", "", "k"), "value", t);
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'k'", "float_data holds 2");
    m = mb_new(13);
    t = ftensor(m, "", x_dims, 1, v, false);
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__STRING;
    attr_t(m, add_node(m, "Constant", "c", "", "k"), "value", t);
    expect_model_error(m, NULL, CLNN_STATUS_UNSUPPORTED, "'k'", "STRING");
    m = mb_new(13);
    attr_f(m, add_node(m, "Constant", "c", "", "x"), "value_float", 1.0f);
    add_input(m, "x", x_dims, 2); /* inputs come before nodes: the Constant collides */
    expect_model_error(m, NULL, CLNN_STATUS_INVALID_MODEL, "'x'", "already exists");
}

/* Messages nested far deeper than any model (Node in Attribute.g in Graph ...): protobuf-c
 * would recurse until the stack overflows, so the loader refuses them first. */
static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7) p[n++] = (uint8_t)(v | 0x80);
    p[n++] = (uint8_t)v;
    return n;
}

/* Built from the innermost message outwards, each header written just before its body. */
static uint8_t *nested_model(int depth, size_t *len)
{
    size_t cap = (size_t)depth * 3 * 12 + 64, start = cap;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    static const int fields[] = {6, 5, 1}; /* Attribute.g, Node.attribute, Graph.node */
    for (int i = 0; i < 3 * depth + 1; i++) {
        int field = i == 3 * depth ? 7 : fields[i % 3]; /* Model.graph outermost */
        uint8_t head[16];
        size_t k = 0;
        head[k++] = (uint8_t)(field << 3 | 2);
        k += put_varint(head + k, cap - start);
        start -= k;
        memcpy(buf + start, head, k);
    }
    *len = cap - start;
    memmove(buf, buf + start, *len);
    return buf;
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = nested_model(30000, &len);
    expect_error(buf, len, NULL, CLNN_STATUS_INVALID_MODEL, "nest", NULL);
    free(buf);
    buf = nested_model(5, &len); /* shallow: parses, then fails for want of an opset */
    expect_error(buf, len, NULL, CLNN_STATUS_INVALID_MODEL, "opset", NULL);
    free(buf);
}

/* Every prefix of a valid model, and byte flips at every offset: each load fails cleanly or
 * gives a graph (which validate may accept or refuse, but must not crash on). */
static void load_any(const uint8_t *buf, size_t len)
{
    clnn_graph *g = NULL;
    clnn_status st = clnn_graph_load_onnx_buffer(buf, len, NULL, &g);
    if (st == CLNN_STATUS_OK) {
        assert_non_null(g);
        (void)clnn_graph_validate(g, 1);
    } else {
        assert_null(g);
        assert_true(clnn_last_error()[0] != '\0');
    }
    clnn_graph_destroy(g);
}

static void test_truncate_and_flip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = pack(cnn_model(13), &len);
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    for (size_t n = 0; n < len; n++) {
        memcpy(copy, buf, n); /* a fresh allocation per length would be as good */
        load_any(copy, n);
    }
    /* Every single-bit flip, all bits, and zero (which ends varints and empties tags). */
    for (size_t i = 0; i < len; i++) {
        for (int f = 0; f < 10; f++) {
            memcpy(copy, buf, len);
            copy[i] = (uint8_t)(f < 8 ? copy[i] ^ (1 << f) : f == 8 ? ~copy[i] : 0);
            load_any(copy, len);
        }
    }
    free(copy);
    free(buf);
}

/* ---- external data ----------------------------------------------------------------------- */

static void write_bytes(const char *dir, const char *name, const void *data, size_t n)
{
    char *p = tu_path(dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    free(p);
}

/* Moves W1 of the CNN to external data: key/value pairs, NULL-terminated. */
static mb *external_model(const char *const *kv)
{
    mb *m = cnn_model(13);
    Onnx__TensorProto *t = m->inits[0];
    t->has_raw_data = false;
    t->has_data_location = true;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->external_data = mb_alloc(m, 8 * sizeof *t->external_data);
    for (size_t i = 0; kv[2 * i]; i++) {
        Onnx__StringStringEntryProto *e = mb_alloc(m, sizeof *e);
        onnx__string_string_entry_proto__init(e);
        e->key = mb_str(m, kv[2 * i]);
        e->value = mb_str(m, kv[2 * i + 1]);
        t->external_data[t->n_external_data++] = e;
    }
    return m;
}

static void external_fail(const char *dir, const char *const *kv, clnn_status want,
                          const char *text)
{
    expect_model_error(external_model(kv), dir, want, "'W1'", text);
}

static void test_external(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("onnx-ext"), *outside = tu_mkdtemp("onnx-out");
    uint8_t file[16 + sizeof w1];
    memset(file, 0xab, 16);
    to_le(file + 16, w1, CLNN_ARRAY_LEN(w1), 4);
    write_bytes(dir, "w.bin", file, sizeof file);
    write_bytes(dir, "exact.bin", file + 16, sizeof w1);
    char *sub = tu_path(dir, "data");
    assert_int_equal(mkdir(sub, 0700), 0);
    write_bytes(sub, "w.bin", file + 16, sizeof w1);
    write_bytes(outside, "secret.bin", file + 16, sizeof w1);
    char *secret = tu_path(outside, "secret.bin"), *evil = tu_path(dir, "evil.bin");
    char *good_link = tu_path(dir, "link.bin"), *fifo = tu_path(dir, "fifo");
    assert_int_equal(symlink(secret, evil), 0);
    assert_int_equal(symlink("exact.bin", good_link), 0);
    assert_int_equal(mkfifo(fifo, 0600), 0);

    const char *at16[] = {"location", "w.bin", "offset", "16", "length", "432", NULL};
    const char *rest[] = {"location", "w.bin", "offset", "16", "checksum", "x", NULL};
    const char *whole[] = {"location", "exact.bin", NULL};
    const char *in_sub[] = {"location", "data/w.bin", NULL};
    const char *link[] = {"location", "./link.bin", NULL};
    const char *const *good[] = {at16, rest, whole, in_sub, link};
    for (size_t i = 0; i < CLNN_ARRAY_LEN(good); i++) {
        clnn_graph *g = load_ok(external_model(good[i]), dir);
        assert_memory_equal(tensor(g, "W1")->data, w1, sizeof w1);
        validate(g, 1);
        clnn_graph_destroy(g);
    }
    /* From a file: the model's folder is the base. */
    size_t len;
    uint8_t *buf = pack(external_model(at16), &len);
    write_bytes(dir, "model.onnx", buf, len);
    free(buf);
    char *model = tu_path(dir, "model.onnx");
    clnn_graph *g = NULL;
    assert_int_equal(clnn_graph_load_onnx(model, &g), CLNN_STATUS_OK);
    clnn_graph_destroy(g);

    external_fail(NULL, at16, CLNN_STATUS_INVALID_ARGUMENT, "base folder");
    const char *up[] = {"location", "../x", NULL}, *abs[] = {"location", "/etc/passwd", NULL};
    const char *mid[] = {"location", "data/../../x", NULL}, *dotdot[] = {"location", "..", NULL};
    external_fail(dir, up, CLNN_STATUS_INVALID_MODEL, "'../x'");
    external_fail(dir, abs, CLNN_STATUS_INVALID_MODEL, "'/etc/passwd'");
    external_fail(dir, mid, CLNN_STATUS_INVALID_MODEL, "relative path");
    external_fail(dir, dotdot, CLNN_STATUS_INVALID_MODEL, "relative path");
    const char *sym[] = {"location", "evil.bin", NULL};
    external_fail(dir, sym, CLNN_STATUS_INVALID_MODEL, "outside");
    const char *none[] = {"offset", "0", NULL}, *empty[] = {"location", "", NULL};
    external_fail(dir, none, CLNN_STATUS_INVALID_MODEL, "without a location");
    external_fail(dir, empty, CLNN_STATUS_INVALID_MODEL, "without a location");
    const char *missing[] = {"location", "nope.bin", NULL};
    external_fail(dir, missing, CLNN_STATUS_IO_ERROR, "nope.bin");
    const char *folder[] = {"location", "data", NULL}, *pipe[] = {"location", "fifo", NULL};
    external_fail(dir, folder, CLNN_STATUS_IO_ERROR, "regular file");
    external_fail(dir, pipe, CLNN_STATUS_IO_ERROR, "regular file");
    const char *past[] = {"location", "w.bin", "offset", "449", NULL};
    const char *over[] = {"location", "w.bin", "offset", "16", "length", "436", NULL};
    const char *huge[] = {"location", "w.bin", "offset", "9999999999999999999", NULL};
    const char *shrt[] = {"location", "w.bin", "offset", "20", NULL};
    const char *lenmis[] = {"location", "w.bin", "offset", "0", "length", "16", NULL};
    external_fail(dir, past, CLNN_STATUS_INVALID_MODEL, "beyond");
    external_fail(dir, over, CLNN_STATUS_INVALID_MODEL, "beyond");
    external_fail(dir, huge, CLNN_STATUS_INVALID_MODEL, "beyond");
    external_fail(dir, shrt, CLNN_STATUS_INVALID_MODEL, "holds 428 bytes");
    external_fail(dir, lenmis, CLNN_STATUS_INVALID_MODEL, "holds 16 bytes");
    const char *neg[] = {"location", "w.bin", "offset", "-1", NULL};
    const char *junk[] = {"location", "w.bin", "length", "12abc", NULL};
    const char *blank[] = {"location", "w.bin", "offset", "", NULL};
    const char *toolong[] = {"location", "w.bin", "offset", "00000000000000000016", NULL};
    external_fail(dir, neg, CLNN_STATUS_INVALID_MODEL, "decimal");
    external_fail(dir, junk, CLNN_STATUS_INVALID_MODEL, "decimal");
    external_fail(dir, blank, CLNN_STATUS_INVALID_MODEL, "decimal");
    external_fail(dir, toolong, CLNN_STATUS_INVALID_MODEL, "decimal");
    char *nodir = tu_path(dir, "no-such-folder");
    external_fail(nodir, at16, CLNN_STATUS_IO_ERROR, "w.bin");

    free(nodir);
    free(model);
    free(secret);
    free(evil);
    free(good_link);
    free(fifo);
    free(sub);
    tu_rmtree(dir);
    tu_rmtree(outside);
    free(dir);
    free(outside);
}

int main(void)
{
    fill_weights();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cnn),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_reshape_int64),
        cmocka_unit_test(test_constant_nodes),
        cmocka_unit_test(test_opsets),
        cmocka_unit_test(test_inputs),
        cmocka_unit_test(test_not_a_model),
        cmocka_unit_test(test_bad_tensors),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_bad_nodes),
        cmocka_unit_test(test_bad_constants),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_truncate_and_flip),
        cmocka_unit_test(test_external),
    };
    return cmocka_run_group_tests_name("onnx", tests, NULL, NULL);
}
