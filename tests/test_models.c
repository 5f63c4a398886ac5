/*
 * test_models.c - whole networks exported from PyTorch (scripts/export_models.py: GoogLeNet,
 * ResNet-18, SqueezeNet 1.1 with seeded weights) run through ONNX import and a session, and
 * compared with PyTorch's outputs at batch 2.
 *
 * Tolerance: |clnn - torch| <= 2e-3 * max |torch| over the output: float32 on both sides with
 * different summation orders over 20-60 layers, and Winograd F(4x4) (errors up to 1e-4 of
 * a layer's scale) in the 3x3 layers that choose it.
 *
 * The models folder comes from $CLNN_MODELS_DIR (meson sets it to build/models, which
 * scripts/test.sh fills). A missing model is a failure, not a skip: CI must run them all.
 */
#include "testutil.h"

#include "../tools/npy.h"

#include <math.h>


static void run_model(const char *name, double min_plan_ratio)
{
    const char *dir = getenv("CLNN_MODELS_DIR");
    if (!dir || !*dir) fail_msg("CLNN_MODELS_DIR is not set");
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    clnn_graph *g = NULL;
    clnn_status st = clnn_graph_load_onnx(path, &g);
    if (st) fail_msg("%s: %s (run scripts/export_models.py %s)", path, clnn_last_error(), dir);
    npy_array x, want;
    snprintf(path, sizeof path, "%s/%s.input.npy", dir, name);
    if (npy_read(path, &x, err, sizeof err)) fail_msg("%s", err);
    snprintf(path, sizeof path, "%s/%s.output.npy", dir, name);
    if (npy_read(path, &want, err, sizeof err)) fail_msg("%s", err);

    clnn_session_options o = {.batch = (int)x.dims[0]};
    clnn_session *s = NULL;
    st = clnn_session_create(tu_ctx, g, &o, &s);
    if (st) fail_msg("%s: %s", name, clnn_last_error());
    assert_int_equal(clnn_session_set_input(s, NULL, x.data, x.count), CLNN_STATUS_OK);
    st = clnn_session_run(s);
    if (st) fail_msg("%s: %s", name, clnn_last_error());
    float *got = malloc(want.count * sizeof *got);
    assert_int_equal(clnn_session_get_output(s, NULL, got, want.count), CLNN_STATUS_OK);
    double scale = 0, worst = 0;
    for (size_t i = 0; i < want.count; i++) scale = fmax(scale, fabs(want.data[i]));
    for (size_t i = 0; i < want.count; i++) worst = fmax(worst, fabs(got[i] - want.data[i]));
    print_message("%s: %zu layers, max |clnn - torch| = %.3g (output scale %.3g)\n", name,
                  clnn_session_layer_count(s), worst, scale);
    size_t planned, naive;
    clnn_session_memory(s, &planned, &naive);
    print_message("%s: activation memory planned %.1f MiB, naive %.1f MiB (%.2fx)\n", name,
                  planned / 1048576.0, naive / 1048576.0, (double)naive / (double)planned);
    assert_true((double)naive >= min_plan_ratio * (double)planned);
    /* Top-1 agrees for every image. */
    size_t classes = want.count / (size_t)x.dims[0];
    for (int64_t n = 0; n < x.dims[0]; n++) {
        size_t a = 0, b = 0;
        for (size_t c = 1; c < classes; c++) {
            if (got[n * classes + c] > got[n * classes + a]) a = c;
            if (want.data[n * classes + c] > want.data[n * classes + b]) b = c;
        }
        assert_int_equal(a, b);
    }
    int ok = tu_allclose(got, want.data, want.count, 2e-3f * (float)scale, 0, name);
    free(got);
    npy_free(&x);
    npy_free(&want);
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
    assert_true(ok);
}

static void test_googlenet(void **state)
{
    (void)state;
    run_model("googlenet", 3.0); /* the issue asks >= 3x on GoogLeNet */
}
static void test_resnet18(void **state)
{
    (void)state;
    run_model("resnet18", 1.0);
}
static void test_squeezenet(void **state)
{
    (void)state;
    run_model("squeezenet1_1", 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_googlenet),
        cmocka_unit_test(test_resnet18),
        cmocka_unit_test(test_squeezenet),
    };
    return cmocka_run_group_tests_name("models", tests, tu_group_setup, tu_group_teardown);
}
