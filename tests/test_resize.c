/*
 * test_resize.c - Resize and Upsample (lib/ops/resize.c): the kernel against the C reference
 * over every mode, nearest_mode and coordinate_transformation_mode, on odd sizes, size-1
 * axes, upscales and downscales by non-integer factors, scales and sizes, resized batch and
 * channel axes; the reference itself against hand-computed values and against ONNX's
 * expected outputs of the conformance cases whose int64 `sizes` the conformance harness
 * cannot bind; the output shapes of axes and keep_aspect_ratio_policy; every version's form;
 * refusals naming the node.
 */
#include "layertest.h"

#include "../lib/onnx/onnx.h"

#include <math.h>

static const char *const ctms[] = {"half_pixel",           "pytorch_half_pixel",
                                   "align_corners",        "asymmetric",
                                   "tf_half_pixel_for_nn", "tf_crop_and_resize",
                                   "half_pixel_symmetric"};

/* A Resize graph of `opset` on input x of shape d (constant when xv is given, with an
 * unused input beside it): scales (nsc > 0) or sizes (nsz > 0), roi when nroi > 0. The node
 * is named `name`; returns the status of adding it and inferring. */
static clnn_status rz_build(clnn_graph **gp, int opset, const char *name, const int64_t *d,
                            int nd, const float *xv, const float *sc, int nsc, const int64_t *sz,
                            int nsz, const float *roi, int nroi, const clnn_attr *at, size_t nat)
{
    clnn_graph *g = lt_graph(opset);
    *gp = g;
    if (xv) {
        lt_input(g, "unused", &(int64_t){1}, 1);
        assert_int_equal(clnn_graph_add_constant(g, "x", d, (size_t)nd, xv), CLNN_STATUS_OK);
    } else {
        lt_input(g, "x", d, (size_t)nd);
    }
    const int64_t nsc64 = nsc, nsz64 = nsz, nroi64 = nroi;
    if (nsc > 0) assert_int_equal(clnn_graph_add_constant(g, "s", &nsc64, 1, sc), CLNN_STATUS_OK);
    if (nsz > 0)
        assert_int_equal(clnn_graph_add_constant_int64(g, "z", &nsz64, 1, sz), CLNN_STATUS_OK);
    if (nroi > 0)
        assert_int_equal(clnn_graph_add_constant(g, "r", &nroi64, 1, roi), CLNN_STATUS_OK);
    const char *ins[4] = {"x", nroi > 0 ? "r" : "", nsc > 0 ? "s" : "", "z"};
    size_t nin = nsz > 0 ? 4 : 3;
    if (opset < 11) ins[1] = "s", nin = 2;
    const char *out[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, "Resize", name, ins, nin, out, 1, at, nat);
    if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
    int *order = NULL, norder = 0;
    if (st == CLNN_STATUS_OK) st = xv ? clnn_graph_infer_fold(g, 0, true, &order, &norder)
                                      : clnn_graph_infer(g, 0, &order, &norder);
    free(order);
    return st;
}

static const gtensor *y_of(const clnn_graph *g)
{
    return &g->tensors[clnn_graph_find_tensor(g, "y")];
}

/* Every mode against the reference over awkward shapes. */
static void test_sweep(void **state)
{
    (void)state;
    static const struct {
        int64_t d[5]; int nd;
        float sc[5]; int64_t sz[5]; /* sizes when sz[0] > 0 */
    } c[] = {
        {{1, 3, 5, 7}, 4, {1, 1, 1.7f, 0.6f}, {0}},
        {{2, 3, 4, 5}, 4, {0}, {2, 3, 9, 2}},
        {{1, 1, 1, 6}, 4, {1, 1, 3, 0.5f}, {0}},     /* a size-1 axis upscaled */
        {{2, 2, 17, 33}, 4, {1, 1, 0.6f, 1.7f}, {0}}, /* tails off vector widths */
        {{1, 2, 2, 2}, 4, {0}, {1, 2, 1, 5}},        /* down to one element */
        {{3, 5}, 2, {2.5f, 1}, {0}},
        {{3, 2, 4}, 3, {0.7f, 2, 1}, {0}},          /* batch and channels resized */
        {{1, 2, 3, 4, 5}, 5, {1, 1, 1.5f, 0.75f, 2}, {0}},
    };
    static const struct { const char *mode, *nearest; float a; int excl; } v[] = {
        {"nearest", "round_prefer_floor", -0.75f, 0}, {"nearest", "round_prefer_ceil", -0.75f, 0},
        {"nearest", "floor", -0.75f, 0},              {"nearest", "ceil", -0.75f, 0},
        {"linear", "round_prefer_floor", -0.75f, 0},  {"cubic", "round_prefer_floor", -0.75f, 0},
        {"cubic", "round_prefer_floor", -0.5f, 1},
    };
    int ok = 1, n = 0;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++)
        for (size_t j = 0; j < CLNN_ARRAY_LEN(v); j++)
            for (size_t t = 0; t < CLNN_ARRAY_LEN(ctms); t++) {
                const int nd = c[i].nd;
                const bool sizes = c[i].sz[0] > 0, crop = t == 5;
                float roi[10];
                for (int k = 0; k < nd; k++) {
                    /* the last axis reaches outside the input: extrapolated */
                    roi[k] = k == nd - 1 ? -0.2f : k >= nd - 2 ? 0.2f : 0.0f;
                    roi[nd + k] = k == nd - 1 ? 1.1f : k >= nd - 2 ? 0.9f : 1.0f;
                }
                clnn_attr at[] = {
                    CLNN_ATTR_S("mode", v[j].mode),
                    CLNN_ATTR_S("nearest_mode", v[j].nearest),
                    CLNN_ATTR_S("coordinate_transformation_mode", ctms[t]),
                    CLNN_ATTR_F("cubic_coeff_a", v[j].a),
                    CLNN_ATTR_I("exclude_outside", v[j].excl),
                    CLNN_ATTR_F("extrapolation_value", -7.5f),
                };
                clnn_graph *g;
                clnn_status st = rz_build(&g, 19, "sweep", c[i].d, nd, NULL, c[i].sc,
                                          sizes ? 0 : nd, c[i].sz, sizes ? nd : 0, roi,
                                          crop ? 2 * nd : 0, at, CLNN_ARRAY_LEN(at));
                if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
                assert_int_equal(st, CLNN_STATUS_OK);
                run_opts ro = lt_defaults((uint32_t)(i * 100 + j * 10 + t));
                char what[160], sh[64];
                snprintf(what, sizeof what, "case %zu -> %s, %s %s a=%g excl=%d, %s", i,
                         lt_shape_of(g, clnn_graph_find_tensor(g, "y"), sh, sizeof sh),
                         v[j].mode, v[j].nearest, (double)v[j].a, v[j].excl, ctms[t]);
                ok &= lt_check(clnn_layer_find(OP_RESIZE), g, &ro, 2e-5f, 1e-5f, what);
                clnn_graph_destroy(g);
                n++;
            }
    print_message("%d Resize configurations\n", n);
    assert_true(ok);
}

/* The reference against values worked out by hand. */
static void expect(const char *what, const float *x, const int64_t *d, int nd, const char *mode,
                   const char *ctm, const float *sc, int nsc, const int64_t *sz, int nsz,
                   const float *roi, int nroi, const float *want, const int64_t *wd)
{
    clnn_attr at[] = {CLNN_ATTR_S("mode", mode), CLNN_ATTR_S("coordinate_transformation_mode", ctm),
                      CLNN_ATTR_F("extrapolation_value", 10)};
    clnn_graph *g;
    clnn_status st = rz_build(&g, 13, "hand", d, nd, x, sc, nsc, sz, nsz, roi, nroi, at, 3);
    if (st != CLNN_STATUS_OK) print_error("%s: %s\n", what, clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    const gtensor *y = y_of(g);
    assert_non_null(y->data);
    for (int k = 0; k < nd; k++) assert_int_equal(y->dims[k], wd[k]);
    assert_true(tu_allclose(y->data, want, clnn_tensor_count(y), 1e-6f, 1e-6f, what));
    clnn_graph_destroy(g);
}

static void test_values(void **state)
{
    (void)state;
    const float x22[] = {1, 2, 3, 4}, s22[] = {1, 1, 2, 2};
    const int64_t d22[] = {1, 1, 2, 2}, d44[] = {1, 1, 4, 4};
    /* align_corners: coordinates o / 3, so y[i][j] = 1 + j / 3 + 2 i / 3 */
    float ac[16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) ac[i * 4 + j] = 1.0f + (float)j / 3 + 2.0f * (float)i / 3;
    expect("2x2 -> 4x4 bilinear align_corners", x22, d22, 4, "linear", "align_corners", s22, 4,
           NULL, 0, NULL, 0, ac, d44);
    /* half_pixel: coordinates -0.25, 0.25, 0.75, 1.25 clamped to the edges */
    const float hp[] = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f,
                        2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
    expect("2x2 -> 4x4 bilinear half_pixel", x22, d22, 4, "linear", "half_pixel", s22, 4, NULL,
           0, NULL, 0, hp, d44);
    /* nearest x (2, 3), asymmetric, round_prefer_floor: rows at i / 2 (halves round down),
     * columns at j / 3 rounded (2/3 rounds up), clamped to the last */
    const float s23[] = {1, 1, 2, 3};
    const int64_t d46[] = {1, 1, 4, 6};
    float rep[24];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 6; j++) {
            const int jj = j / 3 + (j % 3 == 2);
            rep[i * 6 + j] = x22[(i / 2) * 2 + (jj > 1 ? 1 : jj)];
        }
    expect("2x2 nearest x (2, 3)", x22, d22, 4, "nearest", "asymmetric", s23, 4, NULL, 0, NULL, 0,
           rep, d46);
    /* downscale 0.6 align_corners: the length is 2.4, not 2: x = 3 / 1.4 */
    const float x24[] = {1, 2, 3, 4, 5, 6, 7, 8}, s06[] = {1, 1, 0.6f, 0.6f};
    const int64_t d24[] = {1, 1, 2, 4}, d12[] = {1, 1, 1, 2};
    const float dn[] = {1, 1 + 3.0f / 1.4f};
    expect("2x4 x 0.6 linear align_corners", x24, d24, 4, "linear", "align_corners", s06, 4,
           NULL, 0, NULL, 0, dn, d12);
    /* tf_crop_and_resize along [0, 1.5] of 4 values: x = 0, 2.25, 4.5 (outside) */
    const float x4[] = {0, 1, 2, 3}, roi[] = {0, 0, 1, 1.5f};
    const int64_t d14[] = {1, 4}, z13[] = {1, 3};
    const float crop[] = {0, 2.25f, 10};
    expect("tf_crop_and_resize", x4, d14, 2, "linear", "tf_crop_and_resize", NULL, 0, z13, 2,
           roi, 4, crop, z13);
    /* cubic half_pixel x 2 on 4 values [0, 1, 2, 3], o = 1: x = 0.25, taps -1 0 1 2 with
     * A = -0.75 at t = 0.25 */
    const float s2[] = {1, 2};
    const int64_t d18[] = {1, 8};
    const double A = -0.75, t = 0.25, u = 1.25, v = 0.75, z = 1.75;
    const double w0 = ((A * u - 5 * A) * u + 8 * A) * u - 4 * A;
    const double w1 = ((A + 2) * t - (A + 3)) * t * t + 1;
    const double w2 = ((A + 2) * v - (A + 3)) * v * v + 1;
    const double w3 = ((A * z - 5 * A) * z + 8 * A) * z - 4 * A;
    clnn_attr at[] = {CLNN_ATTR_S("mode", "cubic")};
    clnn_graph *g;
    assert_int_equal(rz_build(&g, 13, "cubic", d14, 2, x4, s2, 2, NULL, 0, NULL, 0, at, 1),
                     CLNN_STATUS_OK);
    const gtensor *y = y_of(g);
    assert_int_equal(y->dims[1], d18[1]);
    const double want = w0 * 0 + w1 * 0 + w2 * 1 + w3 * 2; /* index -1 reads the edge, 0 */
    assert_true(fabs(y->data[1] - want) < 1e-6);
    clnn_graph_destroy(g);
}

/* ONNX's conformance cases with int64 sizes, run here through a session. */
static void test_conformance_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *name, *mode, *ctm, *nearest;
        int64_t sz[4];
        int opset;
        float roi[8];
    } c[] = {
        {"downsample_sizes_cubic", "cubic", "half_pixel", "round_prefer_floor", {1, 1, 3, 3}, 13, {0}},
        {"downsample_sizes_linear_pytorch_half_pixel", "linear", "pytorch_half_pixel",
         "round_prefer_floor", {1, 1, 3, 1}, 13, {0}},
        {"downsample_sizes_nearest", "nearest", "half_pixel", "round_prefer_floor", {1, 1, 1, 3}, 13, {0}},
        {"downsample_sizes_nearest_tf_half_pixel_for_nn", "nearest", "tf_half_pixel_for_nn",
         "round_prefer_floor", {1, 1, 3, 2}, 11, {0}},
        {"tf_crop_and_resize", "linear", "tf_crop_and_resize", "round_prefer_floor", {1, 1, 3, 3}, 13,
         {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f}},
        {"upsample_sizes_cubic", "cubic", "half_pixel", "round_prefer_floor", {1, 1, 9, 10}, 13, {0}},
        {"upsample_sizes_nearest", "nearest", "half_pixel", "round_prefer_floor", {1, 1, 7, 8}, 13, {0}},
        {"upsample_sizes_nearest_ceil_half_pixel", "nearest", "half_pixel", "ceil", {1, 1, 8, 8}, 13, {0}},
        {"upsample_sizes_nearest_floor_align_corners", "nearest", "align_corners", "floor",
         {1, 1, 8, 8}, 13, {0}},
        {"upsample_sizes_nearest_round_prefer_ceil_asymmetric", "nearest", "asymmetric",
         "round_prefer_ceil", {1, 1, 8, 8}, 13, {0}},
    };
    const char *base = getenv("CLNN_ONNX_TESTDATA");
    if (!base || !*base) base = "/usr/include/onnx/backend/test/data";
    int ok = 1, ran = 0;
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++) {
        char path[1024];
        float *x, *want;
        int64_t xd[CLNN_MAX_DIMS], wd[CLNN_MAX_DIMS];
        int xnd, wnd;
        snprintf(path, sizeof path, "%s/node/test_resize_%s/test_data_set_0/input_0.pb", base,
                 c[i].name);
        if (onnx_read_tensor_file(path, &x, xd, &xnd) != CLNN_STATUS_OK) {
            print_message("no %s: not checked\n", path);
            continue;
        }
        snprintf(path, sizeof path, "%s/node/test_resize_%s/test_data_set_0/output_0.pb", base,
                 c[i].name);
        assert_int_equal(onnx_read_tensor_file(path, &want, wd, &wnd), CLNN_STATUS_OK);
        const bool crop = c[i].roi[6] != 0;
        clnn_attr at[] = {
            CLNN_ATTR_S("mode", c[i].mode), CLNN_ATTR_S("coordinate_transformation_mode", c[i].ctm),
            CLNN_ATTR_S("nearest_mode", c[i].nearest), CLNN_ATTR_F("extrapolation_value", 10)};
        clnn_graph *g;
        assert_int_equal(rz_build(&g, c[i].opset, c[i].name, xd, xnd, NULL, NULL, 0, c[i].sz, 4,
                                  c[i].roi, crop ? 8 : 0, at, CLNN_ARRAY_LEN(at)),
                         CLNN_STATUS_OK);
        const size_t nx = (size_t)clnn_shape_count(xd, xnd), nw = (size_t)clnn_shape_count(wd, wnd);
        float *got = malloc(nw * sizeof *got);
        clnn_session *s = NULL;
        assert_int_equal(clnn_session_create(lt_ctx, g, NULL, &s), CLNN_STATUS_OK);
        assert_int_equal(clnn_session_set_input(s, "x", x, nx), CLNN_STATUS_OK);
        assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
        assert_int_equal(clnn_session_get_output(s, "y", got, nw), CLNN_STATUS_OK);
        ok &= tu_allclose(got, want, nw, 1e-5f, 1e-3f, c[i].name); /* the conformance tolerance */
        ran++;
        clnn_session_destroy(s);
        clnn_graph_destroy(g);
        free(got);
        free(x);
        free(want);
    }
    print_message("%d conformance cases with sizes checked\n", ran);
    assert_true(ok);
}

/* axes and keep_aspect_ratio_policy (version 18): output shapes. */
static void test_aspect(void **state)
{
    (void)state;
    const int64_t d[] = {1, 2, 4, 6}, sz[] = {5, 5}, axes[] = {2, -1};
    static const struct { const char *policy; int64_t h, w; } c[] = {
        {"stretch", 5, 5},
        {"not_larger", 3, 5},  /* 5/6: 4 * 5/6 = 3.33 */
        {"not_smaller", 5, 8}, /* 5/4: 6 * 5/4 = 7.5 rounds up */
    };
    for (size_t i = 0; i < CLNN_ARRAY_LEN(c); i++) {
        clnn_attr at[] = {CLNN_ATTR_S("mode", "linear"), CLNN_ATTR_IS("axes", axes, 2),
                          CLNN_ATTR_S("keep_aspect_ratio_policy", c[i].policy)};
        clnn_graph *g;
        assert_int_equal(rz_build(&g, 18, "aspect", d, 4, NULL, NULL, 0, sz, 2, NULL, 0, at, 3),
                         CLNN_STATUS_OK);
        const gtensor *y = y_of(g);
        assert_int_equal(y->dims[1], 2);
        assert_int_equal(y->dims[2], c[i].h);
        assert_int_equal(y->dims[3], c[i].w);
        run_opts ro = lt_defaults((uint32_t)i);
        assert_true(lt_check(clnn_layer_find(OP_RESIZE), g, &ro, 2e-5f, 1e-5f, c[i].policy));
        clnn_graph_destroy(g);
    }
    /* scales over axes: one scale each */
    const float sc[] = {1.5f, 0.5f};
    const int64_t ax2[] = {1, 3};
    clnn_attr at[] = {CLNN_ATTR_S("mode", "cubic"), CLNN_ATTR_IS("axes", ax2, 2)};
    clnn_graph *g;
    assert_int_equal(rz_build(&g, 18, "axes", d, 4, NULL, sc, 2, NULL, 0, NULL, 0, at, 2),
                     CLNN_STATUS_OK);
    const gtensor *y = y_of(g);
    assert_int_equal(y->dims[1], 3);
    assert_int_equal(y->dims[2], 4);
    assert_int_equal(y->dims[3], 3);
    run_opts ro = lt_defaults(9);
    assert_true(lt_check(clnn_layer_find(OP_RESIZE), g, &ro, 2e-5f, 1e-5f, "axes"));
    clnn_graph_destroy(g);
}

/* sizes computed from the input's shape (Shape, Slice, Concat) are folded into a constant
 * before the Resize is inferred; the session agrees with the host-folded graph. */
static void test_shape_sizes(void **state)
{
    (void)state;
    const int64_t d[] = {1, 3, 5, 7}, zero = 0, two = 2, hw[] = {9, 4}, n1 = 1, n2 = 2;
    clnn_graph *g = lt_graph(13);
    lt_input(g, "x", d, 4);
    assert_int_equal(clnn_graph_add_constant_int64(g, "b", &n1, 1, &zero), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant_int64(g, "e", &n1, 1, &two), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant_int64(g, "hw", &n2, 1, hw), CLNN_STATUS_OK);
    const char *i_sh[] = {"x"}, *o_sh[] = {"sh"}, *i_sl[] = {"sh", "b", "e"}, *o_sl[] = {"nc"};
    const char *i_ct[] = {"nc", "hw"}, *o_ct[] = {"sz"}, *i_rz[] = {"x", "", "", "sz"};
    const char *o_rz[] = {"y"};
    clnn_attr cat_axis[] = {CLNN_ATTR_I("axis", 0)};
    clnn_attr at[] = {CLNN_ATTR_S("mode", "linear"),
                      CLNN_ATTR_S("coordinate_transformation_mode", "pytorch_half_pixel")};
    assert_int_equal(clnn_graph_add_node(g, "Shape", "shape", i_sh, 1, o_sh, 1, NULL, 0), 0);
    assert_int_equal(clnn_graph_add_node(g, "Slice", "slice", i_sl, 3, o_sl, 1, NULL, 0), 0);
    assert_int_equal(clnn_graph_add_node(g, "Concat", "cat", i_ct, 2, o_ct, 1, cat_axis, 1), 0);
    assert_int_equal(clnn_graph_add_node(g, "Resize", "rz", i_rz, 4, o_rz, 1, at, 2), 0);
    assert_int_equal(clnn_graph_add_output(g, "y"), 0);
    assert_true(lt_compare_folded(g, 5, -3, 3, 2e-5f, 1e-5f, "sizes from shapes"));
    int *order, norder;
    assert_int_equal(clnn_graph_infer_fold(g, 0, true, &order, &norder), CLNN_STATUS_OK);
    free(order);
    const gtensor *y = y_of(g);
    const int64_t want[] = {1, 3, 9, 4};
    for (int k = 0; k < 4; k++) assert_int_equal(y->dims[k], want[k]);
    clnn_graph_destroy(g);
}

/* Upsample 7 (scales attribute) and 9, Resize 10 and 13: the same repeat of each element. */
static void test_versions(void **state)
{
    (void)state;
    const int64_t d[] = {1, 2, 3, 4};
    const int64_t dy[] = {1, 2, 6, 12};
    float x[24], sc[] = {1, 1, 2, 3};
    for (int i = 0; i < 24; i++) x[i] = (float)i;
    for (int form = 0; form < 5; form++) {
        clnn_graph *g = lt_graph(form == 0 ? 7 : form == 1 ? 9 : form == 2 ? 10 : 13);
        lt_input(g, "unused", &(int64_t){1}, 1);
        assert_int_equal(clnn_graph_add_constant(g, "x", d, 4, x), CLNN_STATUS_OK);
        assert_int_equal(clnn_graph_add_constant(g, "s", &(int64_t){4}, 1, sc), CLNN_STATUS_OK);
        const char *ins13[] = {"x", "", "s"}, *ins[] = {"x", "s"}, *out[] = {"y"};
        const float fsc[] = {1, 1, 2, 3};
        clnn_attr at[] = {CLNN_ATTR_S("mode", "nearest"),
                          {.name = "scales", .type = CLNN_ATTR_FLOATS, .floats = fsc, .count = 4},
                          CLNN_ATTR_S("coordinate_transformation_mode", "asymmetric"),
                          CLNN_ATTR_S("nearest_mode", "floor")};
        clnn_status st;
        if (form == 0)
            st = clnn_graph_add_node(g, "Upsample", "up7", ins, 1, out, 1, at, 2);
        else if (form == 1)
            st = clnn_graph_add_node(g, "Upsample", "up9", ins, 2, out, 1, at, 1);
        else if (form == 2)
            st = clnn_graph_add_node(g, "Resize", "r10", ins, 2, out, 1, at, 1);
        else if (form == 3)
            st = clnn_graph_add_node(g, "Resize", "r13", ins13, 3, out, 1, at + 2, 2);
        else /* Resize 13 asymmetric round_prefer_floor: 2/3 rounds up */
            st = clnn_graph_add_node(g, "Resize", "r13", ins13, 3, out, 1, at + 2, 1);
        if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
        assert_int_equal(st, CLNN_STATUS_OK);
        assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
        int *order = NULL, norder;
        st = clnn_graph_infer_fold(g, 0, true, &order, &norder);
        if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
        assert_int_equal(st, CLNN_STATUS_OK);
        free(order);
        const gtensor *y = y_of(g);
        for (int k = 0; k < 4; k++) assert_int_equal(y->dims[k], dy[k]);
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 12; j++) {
                    int jj = j / 3;
                    if (form == 4 && j % 3 == 2) jj = jj + 1 > 3 ? 3 : jj + 1;
                    if (y->data[(c * 6 + i) * 12 + j] != x[(c * 3 + i / 2) * 4 + jj])
                        fail_msg("form %d: y[%d,%d,%d] = %g", form, c, i, j,
                                 (double)y->data[(c * 6 + i) * 12 + j]);
                }
        clnn_graph_destroy(g);
    }
    /* Upsample 9 and Resize 10 linear: asymmetric, against the kernel */
    for (int form = 0; form < 2; form++) {
        clnn_graph *g = lt_graph(form ? 10 : 9);
        lt_input(g, "x", d, 4);
        const float s2[] = {1, 1, 1.5f, 2.5f};
        assert_int_equal(clnn_graph_add_constant(g, "s", &(int64_t){4}, 1, s2), CLNN_STATUS_OK);
        const char *ins[] = {"x", "s"};
        clnn_attr at[] = {CLNN_ATTR_S("mode", "linear")};
        lt_node(g, form ? "Resize" : "Upsample", ins, 2, at, 1);
        run_opts ro = lt_defaults(3);
        assert_true(lt_check(clnn_layer_find(OP_RESIZE), g, &ro, 2e-5f, 1e-5f, "linear v9/10"));
        clnn_graph_destroy(g);
    }
}

/* Bad models are errors naming the node. */
static void refused(clnn_status st, clnn_graph **g, const char *name, const char *text)
{
    if (st == CLNN_STATUS_OK) print_error("%s was accepted\n", name);
    assert_int_not_equal(st, CLNN_STATUS_OK);
    if (!strstr(clnn_last_error(), name) || (text && !strstr(clnn_last_error(), text)))
        print_error("message: %s\n", clnn_last_error());
    assert_non_null(strstr(clnn_last_error(), name));
    if (text) assert_non_null(strstr(clnn_last_error(), text));
    clnn_graph_destroy(*g);
}

static void test_refusals(void **state)
{
    (void)state;
    const int64_t d[] = {1, 1, 4, 4}, sz[] = {1, 1, 8, 8}, negsz[] = {1, 1, -8, 8};
    const float zero[] = {1, 1, 0, 2}, neg[] = {1, 1, -2, 2}, three[] = {1, 2, 2}, ok[] = {1, 1, 2, 2};
    const float nan[] = {1, 1, NAN, 2};
    clnn_attr lin[] = {CLNN_ATTR_S("mode", "linear")};
    clnn_graph *g;
    refused(rz_build(&g, 13, "zero_scale", d, 4, NULL, zero, 4, NULL, 0, NULL, 0, lin, 1), &g,
            "zero_scale", "scale");
    refused(rz_build(&g, 13, "neg_scale", d, 4, NULL, neg, 4, NULL, 0, NULL, 0, lin, 1), &g,
            "neg_scale", "scale");
    refused(rz_build(&g, 13, "nan_scale", d, 4, NULL, nan, 4, NULL, 0, NULL, 0, lin, 1), &g,
            "nan_scale", "scale");
    refused(rz_build(&g, 13, "both", d, 4, NULL, ok, 4, sz, 4, NULL, 0, lin, 1), &g, "both",
            "both");
    refused(rz_build(&g, 13, "neither", d, 4, NULL, NULL, 0, NULL, 0, NULL, 0, lin, 1), &g,
            "neither", "neither");
    refused(rz_build(&g, 13, "count", d, 4, NULL, three, 3, NULL, 0, NULL, 0, lin, 1), &g,
            "count", "3 scales");
    refused(rz_build(&g, 13, "neg_size", d, 4, NULL, NULL, 0, negsz, 4, NULL, 0, lin, 1), &g,
            "neg_size", "sizes");
    refused(rz_build(&g, 13, "size_count", d, 4, NULL, NULL, 0, sz, 3, NULL, 0, lin, 1), &g,
            "size_count", "3 sizes");
    clnn_attr crop[] = {CLNN_ATTR_S("coordinate_transformation_mode", "tf_crop_and_resize")};
    refused(rz_build(&g, 13, "no_roi", d, 4, NULL, ok, 4, NULL, 0, NULL, 0, crop, 1), &g,
            "no_roi", "roi");
    refused(rz_build(&g, 13, "roi_count", d, 4, NULL, ok, 4, NULL, 0, ok, 4, crop, 1), &g,
            "roi_count", "roi");
    clnn_attr cubic[] = {CLNN_ATTR_S("mode", "cubic")};
    refused(rz_build(&g, 10, "cubic10", d, 4, NULL, ok, 4, NULL, 0, NULL, 0, cubic, 1), &g,
            "cubic10", "cubic");
    clnn_attr aa[] = {CLNN_ATTR_I("antialias", 1)};
    refused(rz_build(&g, 18, "antialias", d, 4, NULL, ok, 4, NULL, 0, NULL, 0, aa, 1), &g,
            "antialias", "antialias");
    clnn_attr sym[] = {CLNN_ATTR_S("coordinate_transformation_mode", "half_pixel_symmetric")};
    refused(rz_build(&g, 18, "sym18", d, 4, NULL, ok, 4, NULL, 0, NULL, 0, sym, 1), &g, "sym18",
            "19");
    const int64_t rep[] = {2, 2};
    clnn_attr axes[] = {CLNN_ATTR_IS("axes", rep, 2)};
    refused(rz_build(&g, 18, "rep_axes", d, 4, NULL, ok, 2, NULL, 0, NULL, 0, axes, 1), &g,
            "rep_axes", "axis");
    clnn_attr mode[] = {CLNN_ATTR_S("mode", "bicubic")};
    refused(rz_build(&g, 13, "bad_mode", d, 4, NULL, ok, 4, NULL, 0, NULL, 0, mode, 1), &g,
            "bad_mode", NULL);
    const float tiny[] = {1, 1, 0.1f, 1};
    refused(rz_build(&g, 13, "empty", d, 4, NULL, tiny, 4, NULL, 0, NULL, 0, lin, 1), &g, "empty",
            "empty");
    /* scales computed at run time */
    g = lt_graph(13);
    lt_input(g, "x", d, 4);
    lt_input(g, "s", &(int64_t){4}, 1);
    const char *ins[] = {"x", "", "s"}, *out[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, "Resize", "runtime", ins, 3, out, 1, NULL, 0);
    int *order = NULL, norder;
    if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
    if (st == CLNN_STATUS_OK) st = clnn_graph_infer(g, 0, &order, &norder);
    free(order);
    assert_int_equal(st, CLNN_STATUS_UNSUPPORTED);
    refused(st, &g, "runtime", "scales");
    /* Upsample 7 without scales */
    g = lt_graph(7);
    lt_input(g, "x", d, 4);
    st = clnn_graph_add_node(g, "Upsample", "up_noscales", ins, 1, out, 1, NULL, 0);
    refused(st, &g, "up_noscales", "scales");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),   cmocka_unit_test(test_conformance_sizes),
        cmocka_unit_test(test_sweep),    cmocka_unit_test(test_aspect),
        cmocka_unit_test(test_versions), cmocka_unit_test(test_shape_sizes),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, lt_setup, lt_teardown);
}
