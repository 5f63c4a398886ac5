/*
 * test_fusion.c - what the passes fuse into Conv and Gemm epilogues (every elementwise
 * activation a definition offers, SiLU written as x * Sigmoid(x), squeeze-and-excitation
 * blocks), checked two ways: the session runs the expected number of layers, and its output
 * equals the same graph folded on the host node by node (each node through its own C
 * reference, nothing fused), so a fusion that changes a result fails.
 *
 * Tolerance: 1e-5 + 1e-4 |want| (a 3x3 convolution of 8 channels, accumulated in float on the
 * device and in double in the reference, then a transcendental activation within a few ulp).
 */
#include "layertest.h"

#include <math.h>

/* x[1,8,9,11] -> Conv 3x3 (pad 1, bias) -> c; the caller appends what follows. */
static clnn_graph *conv_graph(int opset, uint32_t seed)
{
    clnn_graph *g = lt_graph(opset);
    static const int64_t xd[] = {1, 8, 9, 11}, wd[] = {8, 8, 3, 3}, bd[] = {8};
    lt_input(g, "x", xd, 4);
    lt_constant(g, "w", wd, 4, seed, -0.3f, 0.3f);
    lt_constant(g, "b", bd, 1, seed + 1, -0.5f, 0.5f);
    static const int64_t pads[] = {1, 1, 1, 1};
    clnn_attr at[] = {CLNN_ATTR_IS("pads", pads, 4)};
    const char *in[] = {"x", "w", "b"}, *out[] = {"c"};
    assert_int_equal(clnn_graph_add_node(g, "Conv", "conv", in, 3, out, 1, at, 1), CLNN_STATUS_OK);
    return g;
}

static void add(clnn_graph *g, const char *op, const char *name, const char *const *in,
                size_t nin, const char *out, const clnn_attr *at, size_t nat)
{
    clnn_status st = clnn_graph_add_node(g, op, name, in, nin, &out, 1, at, nat);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

/* The number of layers a session of g runs. */
static size_t layers_of(const clnn_graph *g)
{
    clnn_session *s = NULL;
    clnn_status st = clnn_session_create(lt_ctx, g, NULL, &s);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    size_t n = clnn_session_layer_count(s);
    clnn_session_destroy(s);
    return n;
}

static void test_activations(void **state)
{
    (void)state;
    static const struct {
        const char *op;
        int opset;
        clnn_attr attr;
        int nattr;
    } acts[] = {
        {"Relu", 13, {0}, 0},        {"Sigmoid", 13, {0}, 0},
        {"Tanh", 13, {0}, 0},        {"HardSwish", 14, {0}, 0},
        {"Mish", 18, {0}, 0},        {"Softplus", 13, {0}, 0},
        {"Softsign", 13, {0}, 0},    {"Exp", 13, {0}, 0},
        {"Elu", 13, {.name = "alpha", .type = CLNN_ATTR_FLOAT, .f = 0.7f}, 1},
        {"Selu", 13, {0}, 0},
        {"Celu", 13, {.name = "alpha", .type = CLNN_ATTR_FLOAT, .f = 1.3f}, 1},
        {"LeakyRelu", 13, {.name = "alpha", .type = CLNN_ATTR_FLOAT, .f = 0.1f}, 1},
        {"HardSigmoid", 13, {.name = "alpha", .type = CLNN_ATTR_FLOAT, .f = 0.25f}, 1},
        {"ThresholdedRelu", 13, {.name = "alpha", .type = CLNN_ATTR_FLOAT, .f = 0.3f}, 1},
        {"Gelu", 20, {0}, 0},
        {"Gelu", 20, {.name = "approximate", .type = CLNN_ATTR_STRING, .s = "tanh"}, 1},
        {"Erf", 13, {0}, 0},         {"Abs", 13, {0}, 0},
        {"Neg", 13, {0}, 0},         {"Floor", 13, {0}, 0},
        {"Ceil", 13, {0}, 0},
    };
    int ok = 1;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(acts); i++) {
        clnn_graph *g = conv_graph(acts[i].opset, (uint32_t)i);
        const char *in[] = {"c"};
        add(g, acts[i].op, "act", in, 1, "y", &acts[i].attr, (size_t)acts[i].nattr);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        char what[96];
        snprintf(what, sizeof what, "Conv + %s fused", acts[i].op);
        assert_int_equal(layers_of(g), 1);
        ok &= lt_compare_folded(g, (uint32_t)i, -2, 2, 1e-5f, 1e-4f, what);
        clnn_graph_destroy(g);
    }
    assert_true(ok);
}

/* Clip with crossed bounds after a Conv: valid ONNX (the upper bound everywhere), so it is
 * accepted and fused like the same Clip alone. */
static void test_clip_crossed(void **state)
{
    (void)state;
    clnn_graph *g = conv_graph(13, 40);
    static const int64_t scalar[1] = {0};
    float lo = 1.0f, hi = -1.0f;
    assert_int_equal(clnn_graph_add_constant(g, "lo", scalar, 0, &lo), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant(g, "hi", scalar, 0, &hi), CLNN_STATUS_OK);
    const char *in[] = {"c", "lo", "hi"};
    add(g, "Clip", "clip", in, 3, "y", NULL, 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    assert_int_equal(layers_of(g), 1);
    assert_true(lt_compare_folded(g, 41, -2, 2, 0, 0, "Conv + Clip(1, -1)"));
    clnn_graph_destroy(g);
}

/* x * Sigmoid(x) after a Conv becomes its SiLU epilogue, in either operand order; when the
 * Conv's output has a third reader it must not. */
static void test_silu(void **state)
{
    (void)state;
    for (int order = 0; order < 3; order++) {
        clnn_graph *g = conv_graph(13, 50 + (uint32_t)order);
        const char *sin[] = {"c"};
        add(g, "Sigmoid", "sig", sin, 1, "s", NULL, 0);
        const char *min[2] = {order == 1 ? "s" : "c", order == 1 ? "c" : "s"};
        add(g, "Mul", "mul", min, 2, "y", NULL, 0);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        if (order == 2) { /* the Conv's output is also a graph output: nothing fuses */
            assert_int_equal(clnn_graph_add_output(g, "c"), CLNN_STATUS_OK);
            assert_int_equal(layers_of(g), 3);
        } else {
            assert_int_equal(layers_of(g), 1);
        }
        assert_true(lt_compare_folded(g, 60, -3, 3, 1e-5f, 1e-4f, "Conv + SiLU"));
        clnn_graph_destroy(g);
    }
}

/* x * HardSigmoid(x; 1/6, 1/2) is HardSwish and x * Tanh(Softplus(x)) is Mish, as exports
 * before opset 14 / 18 write them: both go into the Conv epilogue; HardSigmoid with other
 * parameters is not HardSwish and stays. */
static void test_gates(void **state)
{
    (void)state;
    for (int v = 0; v < 3; v++) {
        clnn_graph *g = conv_graph(13, 150 + (uint32_t)v);
        const char *cin[] = {"c"};
        if (v == 1) {
            add(g, "Softplus", "sp", cin, 1, "sp", NULL, 0);
            const char *sp[] = {"sp"};
            add(g, "Tanh", "th", sp, 1, "s", NULL, 0);
        } else {
            clnn_attr at[] = {CLNN_ATTR_F("alpha", v == 0 ? 0.16666667f : 0.2f),
                              CLNN_ATTR_F("beta", 0.5f)};
            add(g, "HardSigmoid", "hs", cin, 1, "s", at, 2);
        }
        const char *min[2] = {"c", "s"};
        add(g, "Mul", "mul", min, 2, "y", NULL, 0);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        assert_int_equal(layers_of(g), v == 2 ? 3 : 1);
        assert_true(lt_compare_folded(g, 160 + (uint32_t)v, -8, 8, 1e-5f, 1e-4f,
                                      v == 1 ? "Conv + Mish" : "Conv + HardSwish"));
        clnn_graph_destroy(g);
    }
}

/* Squeeze-and-excitation as MobileNet-v3 and EfficientNet write it: GlobalAveragePool,
 * 1x1 Conv + Relu (or SiLU), 1x1 Conv + HardSigmoid (or Sigmoid), Mul with the block's
 * input. The activations fuse into the 1x1 convolutions, which with the pool become one
 * gate layer: three layers. */
static void test_squeeze_excitation(void **state)
{
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        clnn_graph *g = conv_graph(14, 70 + (uint32_t)variant);
        static const int64_t w1d[] = {4, 8, 1, 1}, b1d[] = {4}, w2d[] = {8, 4, 1, 1}, b2d[] = {8};
        lt_constant(g, "w1", w1d, 4, 71, -0.5f, 0.5f);
        lt_constant(g, "b1", b1d, 1, 72, -0.5f, 0.5f);
        lt_constant(g, "w2", w2d, 4, 73, -0.5f, 0.5f);
        lt_constant(g, "b2", b2d, 1, 74, -0.5f, 0.5f);
        const char *gin[] = {"c"};
        add(g, "GlobalAveragePool", "gap", gin, 1, "p", NULL, 0);
        const char *c1[] = {"p", "w1", "b1"}, *c2[] = {"r", "w2", "b2"};
        add(g, "Conv", "se1", c1, 3, "q", NULL, 0);
        const char *q[] = {"q"};
        if (variant == 0) {
            add(g, "Relu", "se_relu", q, 1, "r", NULL, 0);
        } else {
            add(g, "Sigmoid", "se_sig1", q, 1, "qs", NULL, 0);
            const char *m[] = {"q", "qs"};
            add(g, "Mul", "se_silu", m, 2, "r", NULL, 0);
        }
        add(g, "Conv", "se2", c2, 3, "e", NULL, 0);
        const char *e[] = {"e"};
        add(g, variant == 0 ? "HardSigmoid" : "Sigmoid", "gate", e, 1, "h", NULL, 0);
        const char *m[] = {"c", "h"};
        add(g, "Mul", "scale", m, 2, "y", NULL, 0);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        assert_int_equal(layers_of(g), 3); /* conv, the gate (lib/ops/se.c), scale */
        assert_true(lt_compare_folded(g, 75, -2, 2, 1e-5f, 1e-4f, "squeeze-and-excitation"));
        clnn_graph_destroy(g);
    }
}

/* The squeeze-and-excitation gate layer over awkward shapes: channel counts off every vector
 * width, one channel, maps of one pixel and of many, batch 3, convolutions without bias, the
 * activations MobileNet-v3 / EfficientNet / RegNet-Y use; and a block whose pooled vector is
 * also a graph output, which stays as it is. */
static void test_squeeze_excitation_shapes(void **state)
{
    (void)state;
    static const struct {
        int n, c, r, h, w;
        const char *act, *gate;
        bool bias, leak;
    } cases[] = {
        {1, 7, 3, 13, 11, "Relu", "HardSigmoid", true, false},
        {3, 16, 8, 1, 1, "Relu", "Sigmoid", false, false},
        {1, 1, 1, 5, 5, "HardSwish", "HardSigmoid", true, false},
        {2, 96, 24, 9, 7, "Relu", "Sigmoid", true, false},
        {1, 600, 150, 7, 7, "Relu", "Sigmoid", true, false},
        {1, 33, 5, 17, 3, "Relu", "HardSigmoid", true, true},
    };
    for (size_t k = 0; k < CLNN_ARRAY_LEN(cases); k++) {
        clnn_graph *g = lt_graph(14);
        const int64_t xd[] = {cases[k].n, cases[k].c, cases[k].h, cases[k].w};
        const int64_t w1d[] = {cases[k].r, cases[k].c, 1, 1}, b1d[] = {cases[k].r};
        const int64_t w2d[] = {cases[k].c, cases[k].r, 1, 1}, b2d[] = {cases[k].c};
        lt_input(g, "x", xd, 4);
        lt_constant(g, "w1", w1d, 4, 100 + (uint32_t)k, -0.5f, 0.5f);
        lt_constant(g, "w2", w2d, 4, 110 + (uint32_t)k, -0.5f, 0.5f);
        lt_constant(g, "b1", b1d, 1, 120 + (uint32_t)k, -0.5f, 0.5f);
        lt_constant(g, "b2", b2d, 1, 130 + (uint32_t)k, -0.5f, 0.5f);
        const char *gin[] = {"x"}, *c1[] = {"p", "w1", "b1"}, *c2[] = {"r", "w2", "b2"};
        add(g, "GlobalAveragePool", "gap", gin, 1, "p", NULL, 0);
        add(g, "Conv", "se1", c1, cases[k].bias ? 3 : 2, "q", NULL, 0);
        const char *q[] = {"q"}, *e[] = {"e"}, *m[] = {"h", "x"};
        add(g, cases[k].act, "act", q, 1, "r", NULL, 0);
        add(g, "Conv", "se2", c2, cases[k].bias ? 3 : 2, "e", NULL, 0);
        add(g, cases[k].gate, "gate", e, 1, "h", NULL, 0);
        add(g, "Mul", "scale", m, 2, "y", NULL, 0);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        if (cases[k].leak) assert_int_equal(clnn_graph_add_output(g, "p"), CLNN_STATUS_OK);
        assert_int_equal(layers_of(g), cases[k].leak ? 4 : 2);
        assert_true(lt_compare_folded(g, 140 + (uint32_t)k, -2, 2, 1e-5f, 1e-4f,
                                      "squeeze-and-excitation gate"));
        clnn_graph_destroy(g);
    }
    /* The fused operator is internal: a model cannot name it. */
    clnn_graph *g = lt_graph(14);
    static const int64_t xd[] = {1, 2, 3, 3};
    lt_input(g, "x", xd, 4);
    const char *in[] = {"x", "x", "", "x", ""}, *out[] = {"y"};
    assert_int_equal(clnn_graph_add_node(g, "clnn.SqueezeExcitation", "se", in, 5, out, 1, NULL, 0),
                     CLNN_STATUS_UNSUPPORTED);
    clnn_graph_destroy(g);
}

/* LayerNormalization written out as exports before opset 17 do (ReduceMean, Sub, Pow 2,
 * ReduceMean, Add eps, Sqrt, Div, then Mul scale and Add bias or neither) runs as one layer
 * over the trailing axes; a pattern whose intermediate is read elsewhere stays as it is. */
static void test_layer_norm_pattern(void **state)
{
    (void)state;
    static const struct {
        int64_t dims[4];
        int nd, naxes, opset;
        bool affine, leak;
    } cases[] = {
        {{2, 5, 37}, 3, 1, 13, true, false},    /* ConvNeXt's channels-last LayerNorm */
        {{1, 3, 4, 9}, 4, 2, 13, false, false}, /* two trailing axes, no affine part */
        {{3, 1, 6}, 3, 1, 18, true, false},     /* ReduceMean 18: axes as an input */
        {{2, 4, 7}, 3, 1, 13, true, true},      /* x - mean is an output too: no fusion */
    };
    for (size_t c = 0; c < CLNN_ARRAY_LEN(cases); c++) {
        clnn_graph *g = lt_graph(cases[c].opset);
        const int nd = cases[c].nd, na = cases[c].naxes;
        lt_input(g, "x", cases[c].dims, (size_t)nd);
        int64_t axes[2] = {-1, -2};
        if (na == 2) axes[0] = -2, axes[1] = -1;
        const int64_t one = 1, ad = na, pd = 0;
        const float two = 2.0f, eps = 1e-5f;
        assert_int_equal(clnn_graph_add_constant(g, "two", &pd, 0, &two), CLNN_STATUS_OK);
        assert_int_equal(clnn_graph_add_constant(g, "eps", &one, 1, &eps), CLNN_STATUS_OK);
        clnn_attr at[] = {CLNN_ATTR_IS("axes", axes, (size_t)na)};
        const bool input_form = cases[c].opset >= 18;
        if (input_form)
            assert_int_equal(clnn_graph_add_constant_int64(g, "axes", &ad, 1, axes), CLNN_STATUS_OK);
        const char *m1[] = {"x", "axes"}, *sb[] = {"x", "m"}, *pw[] = {"d", "two"};
        const char *m2[] = {"p", "axes"}, *ad_[] = {"v", "eps"}, *sq[] = {"ve"};
        const char *dv[] = {"d", "s"};
        add(g, "ReduceMean", "mean", m1, input_form ? 2 : 1, "m", at, input_form ? 0 : 1);
        add(g, "Sub", "sub", sb, 2, "d", NULL, 0);
        add(g, "Pow", "pow", pw, 2, "p", NULL, 0);
        add(g, "ReduceMean", "var", m2, input_form ? 2 : 1, "v", at, input_form ? 0 : 1);
        add(g, "Add", "addeps", ad_, 2, "ve", NULL, 0);
        add(g, "Sqrt", "sqrt", sq, 1, "s", NULL, 0);
        add(g, "Div", "div", dv, 2, cases[c].affine ? "n" : "y", NULL, 0);
        if (cases[c].affine) {
            const int64_t *last = &cases[c].dims[nd - 1];
            lt_constant(g, "gamma", last, 1, 80 + (uint32_t)c, 0.5f, 1.5f);
            lt_constant(g, "beta", last, 1, 90 + (uint32_t)c, -0.5f, 0.5f);
            const char *mu[] = {"gamma", "n"}, *ab[] = {"nm", "beta"};
            add(g, "Mul", "scale", mu, 2, "nm", NULL, 0);
            add(g, "Add", "bias", ab, 2, "y", NULL, 0);
        }
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        if (cases[c].leak) assert_int_equal(clnn_graph_add_output(g, "d"), CLNN_STATUS_OK);
        const size_t layers = layers_of(g);
        if (cases[c].leak)
            assert_true(layers >= 7);
        else
            assert_int_equal(layers, 1);
        assert_true(lt_compare_folded(g, 85 + (uint32_t)c, -3, 3, 1e-5f, 1e-4f,
                                      "decomposed LayerNormalization"));
        clnn_graph_destroy(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_clip_crossed),
        cmocka_unit_test(test_silu),
        cmocka_unit_test(test_gates),
        cmocka_unit_test(test_squeeze_excitation),
        cmocka_unit_test(test_layer_norm_pattern),
        cmocka_unit_test(test_squeeze_excitation_shapes),
    };
    return cmocka_run_group_tests(tests, lt_setup, lt_teardown);
}
