/*
 * test_hostile.c - well-formed but malicious or unlucky inputs that once went wrong, each a
 * regression test: shape arithmetic that overflows, a tensor no device can hold, a pass that
 * would change a graph output, inputs never set, names with control characters, and integer
 * shape arithmetic with hostile values (division by zero, out-of-range indices, negative
 * sizes). Each must end in a status with a message naming what is wrong, never a crash, a
 * hang or a wrong answer.
 */
#include "layertest.h"

#include "../tools/npy.h"

#include <math.h>

static void add(clnn_graph *g, const char *op, const char *name, const char *const *in,
                size_t nin, const char *out, const clnn_attr *at, size_t nat)
{
    clnn_status st = clnn_graph_add_node(g, op, name, in, nin, &out, 1, at, nat);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

static void int_const(clnn_graph *g, const char *name, const int64_t *v, int64_t n)
{
    assert_int_equal(clnn_graph_add_constant_int64(g, name, &n, 1, v), CLNN_STATUS_OK);
}

/* The status and message of validating g at batch 1 (g destroyed). */
static void expect_invalid(clnn_graph *g, clnn_status want, const char *text1, const char *text2)
{
    clnn_status st = clnn_graph_validate(g, 1);
    const char *msg = clnn_last_error();
    if (st != want || !strstr(msg, text1) || (text2 && !strstr(msg, text2)))
        print_error("status %d (want %d): %s\n", st, want, msg);
    assert_int_equal(st, want);
    assert_non_null(strstr(msg, text1));
    if (text2) assert_non_null(strstr(msg, text2));
    clnn_graph_destroy(g);
}

/* A Reshape target whose product wraps around int64 used to give a negative dimension and
 * corrupt the heap further on. */
static void test_reshape_overflow(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(13);
    static const int64_t xd[] = {1, 2};
    lt_input(g, "x", xd, 2);
    static const int64_t target[] = {-1, 65535, 65537, 641, 6700417};
    int_const(g, "t", target, 5);
    const char *in[] = {"x", "t"};
    add(g, "Reshape", "rs", in, 2, "r", NULL, 0);
    const char *cin[] = {"r", "r"};
    clnn_attr ax = CLNN_ATTR_I("axis", 0);
    add(g, "Concat", "cat", cin, 2, "y", &ax, 1);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    expect_invalid(g, CLNN_STATUS_INVALID_MODEL, "'rs'", "2^31");
}

/* SAME padding with a huge dilated kernel: int overflow (UBSan) before. */
static void test_same_pads_overflow(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(13);
    static const int64_t xd[] = {1, 1, 8, 8}, wd[] = {1, 1, 1, 3};
    lt_input(g, "x", xd, 4);
    lt_constant(g, "w", wd, 4, 1, -1, 1);
    static const int64_t dil[] = {1, 65536};
    clnn_attr at[] = {CLNN_ATTR_S("auto_pad", "SAME_UPPER"), CLNN_ATTR_IS("dilations", dil, 2)};
    const char *in[] = {"x", "w"};
    add(g, "Conv", "conv", in, 2, "y", at, 2);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    expect_invalid(g, CLNN_STATUS_UNSUPPORTED, "'conv'", "padding");
}

/* A tensor larger than what the device allocates in one buffer is refused before any kernel
 * is built or memory taken. */
static void test_tensor_too_large(void **state)
{
    (void)state;
    clnn_device_info info;
    assert_int_equal(clnn_context_device_info(lt_ctx, 0, &info), CLNN_STATUS_OK);
    /* n x n floats just above the device's limit (and below 2^31 elements). */
    int64_t n = (int64_t)sqrt((double)info.max_alloc_bytes / 4.0) + 64;
    if (n * n >= ((int64_t)1 << 31)) {
        print_message("skip: device '%s' allocates %.1f GiB in one buffer: every tensor clnn "
                      "accepts (< 2^31 floats) fits\n", info.name,
                      info.max_alloc_bytes / 1073741824.0);
        skip();
    }
    clnn_graph *g = lt_graph(13);
    int64_t xd[] = {1, n, 1}, cd[] = {n};
    lt_input(g, "x", xd, 3);
    lt_constant(g, "c", cd, 1, 2, -1, 1);
    const char *in[] = {"x", "c"};
    add(g, "Add", "huge", in, 2, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    clnn_session *s = NULL;
    assert_int_equal(clnn_session_create(lt_ctx, g, NULL, &s), CLNN_STATUS_OUT_OF_DEVICE_MEMORY);
    assert_null(s);
    assert_non_null(strstr(clnn_last_error(), "'y'"));
    assert_non_null(strstr(clnn_last_error(), "allocates at most"));
    clnn_graph_destroy(g);
}

/* A Conv weight that is also a graph output must come back as given, not with the
 * BatchNormalization folded in; the Conv's result still includes it. */
static void test_pass_keeps_outputs(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(13);
    static const int64_t xd[] = {1, 3, 5, 5}, wd[] = {4, 3, 3, 3}, pd[] = {4};
    lt_input(g, "x", xd, 4);
    lt_constant(g, "w", wd, 4, 3, -1, 1);
    lt_constant(g, "scale", pd, 1, 4, 0.5f, 2.0f);
    lt_constant(g, "shift", pd, 1, 5, -1, 1);
    lt_constant(g, "mean", pd, 1, 6, -1, 1);
    lt_constant(g, "var", pd, 1, 7, 0.5f, 2.0f);
    const char *cin[] = {"x", "w"};
    add(g, "Conv", "conv", cin, 2, "c", NULL, 0);
    const char *bin[] = {"c", "scale", "shift", "mean", "var"};
    add(g, "BatchNormalization", "bn", bin, 5, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_output(g, "w"), CLNN_STATUS_OK);
    assert_true(lt_compare_folded(g, 8, -1, 1, 1e-5f, 1e-4f, "Conv+BN with its weight an output"));
    /* And the weight output equals the constant exactly. */
    clnn_session *s = NULL;
    assert_int_equal(clnn_session_create(lt_ctx, g, NULL, &s), CLNN_STATUS_OK);
    float x[75] = {0}, w[108];
    assert_int_equal(clnn_session_set_input(s, "x", x, 75), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_get_output(s, "w", w, 108), CLNN_STATUS_OK);
    const gtensor *wt = &g->tensors[clnn_graph_find_tensor(g, "w")];
    assert_memory_equal(w, wt->data, sizeof w);
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
}

/* Running with an input never set used to read whatever the buffer held. */
static void test_unset_inputs(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(13);
    static const int64_t d[] = {2, 5};
    lt_input(g, "x", d, 2);
    lt_input(g, "second", d, 2);
    lt_input(g, "third", d, 2);
    const char *in1[] = {"x", "second"}, *in2[] = {"s", "third"};
    add(g, "Add", "a1", in1, 2, "s", NULL, 0);
    add(g, "Mul", "a2", in2, 2, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    clnn_session *s = NULL;
    assert_int_equal(clnn_session_create(lt_ctx, g, NULL, &s), CLNN_STATUS_OK);
    float v[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, y[10];
    assert_int_equal(clnn_session_set_input(s, "x", v, 10), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_run(s), CLNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clnn_last_error(), "'second', 'third'"));
    assert_int_equal(clnn_session_run_stream(s, 1, v, y), CLNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clnn_session_set_input(s, "second", v, 10), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_run(s), CLNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clnn_last_error(), "'third'"));
    assert_null(strstr(clnn_last_error(), "'second'"));
    assert_int_equal(clnn_session_set_input(s, "third", v, 10), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_get_output(s, "y", y, 10), CLNN_STATUS_OK);
    for (int i = 0; i < 10; i++) assert_true(y[i] == 2 * v[i] * v[i]);
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
}

/* Concat requires its axis from version 4 (it was optional, 1, before). */
static void test_concat_axis_required(void **state)
{
    (void)state;
    for (int opset = 1; opset <= 13; opset += 12) {
        clnn_graph *g = lt_graph(opset);
        static const int64_t d[] = {1, 4};
        lt_input(g, "x", d, 2);
        const char *in[] = {"x", "x"}, *out[] = {"y"};
        clnn_status st = clnn_graph_add_node(g, "Concat", "cat", in, 2, out, 1, NULL, 0);
        assert_int_equal(st, opset == 1 ? CLNN_STATUS_OK : CLNN_STATUS_INVALID_MODEL);
        if (opset > 1) assert_non_null(strstr(clnn_last_error(), "'axis' is required"));
        clnn_graph_destroy(g);
    }
}

/* Control characters of a model's names are escaped in messages and log lines. */
static void test_escaped_names(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(13);
    static const int64_t d[] = {1, 4};
    lt_input(g, "x", d, 2);
    const char *in[] = {"x"}, *out[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, "NoSuchOp", "evil\n\x1b[31mnode", in, 1, out, 1,
                                         NULL, 0);
    assert_int_equal(st, CLNN_STATUS_UNSUPPORTED);
    const char *msg = clnn_last_error();
    assert_null(strchr(msg, '\n'));
    assert_null(strchr(msg, '\x1b'));
    assert_non_null(strstr(msg, "evil\\x0a\\x1b[31mnode"));
    clnn_graph_destroy(g);
}

/* Integer shape arithmetic on hostile values: an error naming the node, never a crash. */
static void test_hostile_shape_arithmetic(void **state)
{
    (void)state;
    static const struct {
        const char *op, *text;
        int64_t a[2], b[2];
    } cases[] = {
        {"Div", "division by zero", {6, 4}, {3, 0}},
        {"Mod", "division by zero", {6, 4}, {0, 2}},
        {"Mul", "overflow", {INT64_MAX, 2}, {2, 2}},
        {"Add", "overflow", {INT64_MAX, 0}, {1, 0}},
        {"Sub", "overflow", {INT64_MIN, 0}, {1, 0}},
        /* Once a loop of INT64_MAX multiplications (a fuzzer's timeout). */
        {"Pow", "overflow", {3, 2}, {INT64_MAX, 2}},
    };
    for (size_t i = 0; i < CLNN_ARRAY_LEN(cases); i++) {
        clnn_graph *g = lt_graph(13);
        static const int64_t xd[] = {1, 24};
        lt_input(g, "x", xd, 2);
        int_const(g, "a", cases[i].a, 2);
        int_const(g, "b", cases[i].b, 2);
        const char *in[] = {"a", "b"}, *rin[] = {"x", "s"};
        add(g, cases[i].op, "arith", in, 2, "s", NULL, 0);
        add(g, "Reshape", "rs", rin, 2, "y", NULL, 0);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        expect_invalid(g, CLNN_STATUS_INVALID_MODEL, "'arith'", cases[i].text);
    }
    /* A computed Reshape target with a negative size. */
    clnn_graph *g = lt_graph(13);
    static const int64_t xd[] = {1, 24}, a[] = {4, 6}, b[] = {-8, 0};
    lt_input(g, "x", xd, 2);
    int_const(g, "a", a, 2);
    int_const(g, "b", b, 2);
    const char *in[] = {"a", "b"}, *rin[] = {"x", "s"};
    add(g, "Add", "arith", in, 2, "s", NULL, 0);
    add(g, "Reshape", "rs", rin, 2, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    expect_invalid(g, CLNN_STATUS_INVALID_MODEL, "'rs'", "-4");
    /* ConstantOfShape of a negative or enormous shape. */
    static const int64_t neg[] = {3, -1}, big[] = {1 << 20, 1 << 20};
    for (int k = 0; k < 2; k++) {
        g = lt_graph(13);
        lt_input(g, "x", xd, 2);
        int_const(g, "shape", k ? big : neg, 2);
        const char *cin[] = {"shape"}, *ain[] = {"x", "c"};
        add(g, "ConstantOfShape", "fill", cin, 1, "c", NULL, 0);
        add(g, "Add", "use", ain, 2, "y", NULL, 0);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        expect_invalid(g, CLNN_STATUS_UNSUPPORTED, "'fill'", "2^26");
    }
    /* Range with delta 0. */
    g = lt_graph(13);
    lt_input(g, "x", xd, 2);
    static const int64_t zero = 0, ten = 10;
    static const int64_t sd[1] = {0};
    assert_int_equal(clnn_graph_add_constant_int64(g, "s0", sd, 0, &zero), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant_int64(g, "s1", sd, 0, &ten), CLNN_STATUS_OK);
    const char *rgin[] = {"s0", "s1", "s0"}, *ain[] = {"x", "r"};
    add(g, "Range", "range", rgin, 3, "r", NULL, 0);
    add(g, "Add", "use", ain, 2, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    expect_invalid(g, CLNN_STATUS_INVALID_MODEL, "'range'", "delta");
}

/* Shape arithmetic as exporters write it (Shape, Div, Cast to float and back, Concat) folds
 * into a Reshape target when the graph is compiled. */
static void test_shape_arithmetic_folds(void **state)
{
    (void)state;
    clnn_graph *g = lt_graph(13);
    static const int64_t xd[] = {3, 4, 6};
    lt_input(g, "x", xd, 3);
    static const int64_t two[] = {1, 2, 1};
    int_const(g, "two", two, 3);
    const char *sin[] = {"x"}, *din[] = {"shape", "two"}, *rin[] = {"x", "target"};
    add(g, "Shape", "shape_of", sin, 1, "shape", NULL, 0);
    add(g, "Div", "halve", din, 2, "half", NULL, 0);
    clnn_attr to_f = CLNN_ATTR_I("to", 1), to_i = CLNN_ATTR_I("to", 7);
    const char *cin[] = {"half"}, *cin2[] = {"halff"};
    add(g, "Cast", "to_float", cin, 1, "halff", &to_f, 1);
    add(g, "Cast", "to_int", cin2, 1, "halfi", &to_i, 1);
    static const int64_t minus1[] = {-1};
    int_const(g, "m1", minus1, 1);
    const char *catin[] = {"halfi", "m1"};
    clnn_attr ax = CLNN_ATTR_I("axis", 0);
    add(g, "Concat", "cat", catin, 2, "target", &ax, 1);
    add(g, "Reshape", "rs", rin, 2, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    /* [3, 2, 6, -1] of 72 elements: the last dimension is 2. */
    clnn_compiled *cg = NULL;
    assert_int_equal(clnn_graph_compile(g, 0, true, &cg), CLNN_STATUS_OK);
    const gtensor *y = &cg->g->tensors[cg->g->outputs[0]];
    assert_int_equal(y->ndim, 4);
    assert_int_equal(y->dims[0], 3);
    assert_int_equal(y->dims[1], 2);
    assert_int_equal(y->dims[2], 6);
    assert_int_equal(y->dims[3], 2);
    assert_int_equal(cg->norder, 1); /* only the Reshape view is left */
    clnn_compiled_destroy(cg);
    assert_true(lt_compare_folded(g, 9, -1, 1, 0, 0, "folded shape arithmetic"));
    clnn_graph_destroy(g);
}

/* Fuzzer findings of the .npy reader: a header cut off inside a number was read past its
 * end (the sanitizer build catches a regression). */
static void test_npy_findings(void **state)
{
    (void)state;
    static const unsigned char cut[] = "\x93NUMPY\x01\x00\x36\x00{ 'descr': '<f4' ,'fortran_order':"
                                       "False, 'shape': (2, 39";
    npy_array a;
    char err[256];
    unsigned char *copy = malloc(sizeof cut - 1); /* exactly the bytes, no NUL after them */
    memcpy(copy, cut, sizeof cut - 1);
    assert_int_equal(npy_parse(copy, sizeof cut - 1, "cut.npy", &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "cut.npy"));
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reshape_overflow),
        cmocka_unit_test(test_same_pads_overflow),
        cmocka_unit_test(test_tensor_too_large),
        cmocka_unit_test(test_pass_keeps_outputs),
        cmocka_unit_test(test_unset_inputs),
        cmocka_unit_test(test_escaped_names),
        cmocka_unit_test(test_concat_axis_required),
        cmocka_unit_test(test_hostile_shape_arithmetic),
        cmocka_unit_test(test_shape_arithmetic_folds),
        cmocka_unit_test(test_npy_findings),
    };
    return cmocka_run_group_tests(tests, lt_setup, lt_teardown);
}
