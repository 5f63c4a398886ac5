/*
 * test_zoo.c - torchvision's model zoo (scripts/export_zoo.py: every convolutional
 * classification network of torchvision 0.14 and its segmentation networks, seeded weights,
 * torch.onnx.export at opset 13) through ONNX import and a session at batch 1, compared with
 * PyTorch's outputs:
 *
 *   max |clnn - torch| <= 1e-3 * max |torch|    (over the whole output)
 *
 * float32 on both sides, different summation orders over up to ~300 layers.
 *
 * The models are those $CLNN_ZOO_DIR/zoo.txt lists ("name family" per line); meson sets the
 * folder to build/zoo, which scripts/test.sh fills with one model of every family
 * (export_zoo.py --ci) and scripts/zoo.sh with the whole zoo. Every model is run, the
 * failures do not stop the others; a markdown table (model, family, runs, max error, output
 * scale, what went wrong) goes to the test log and to $CLNN_ZOO_REPORT when it is set. Any
 * model that is refused or does not match fails the test, as does a missing or empty list.
 */
#include "testutil.h"

#include "../tools/npy.h"

#include <math.h>
#include <time.h>


typedef struct zoo_row {
    char name[64], family[32];
    bool ran, ok;
    double err, scale, seconds;
    char why[320];
} zoo_row;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void run_one(const char *dir, zoo_row *r)
{
    char path[1200], err[512];
    double t0 = now_s();
    clnn_graph *g = NULL;
    clnn_session *s = NULL;
    npy_array x = {0}, want = {0};
    float *got = NULL;
    bool have_x = false, have_want = false;
    snprintf(path, sizeof path, "%s/%s.onnx", dir, r->name);
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    else /* a model over 2 GiB: its folder, the weights in files beside it */
        snprintf(path, sizeof path, "%s/%s/%s.onnx", dir, r->name, r->name);
    clnn_status st = clnn_graph_load_onnx(path, &g);
    if (st) snprintf(r->why, sizeof r->why, "load: %s", clnn_last_error());
    if (!st) {
        snprintf(path, sizeof path, "%s/%s.input.npy", dir, r->name);
        have_x = npy_read(path, &x, err, sizeof err) == 0;
        snprintf(path, sizeof path, "%s/%s.output.npy", dir, r->name);
        have_want = have_x && npy_read(path, &want, err, sizeof err) == 0;
        if (!have_x || !have_want) {
            snprintf(r->why, sizeof r->why, "%.300s", err);
            st = CLNN_STATUS_IO_ERROR;
        }
    }
    if (!st) {
        clnn_session_options o = {.batch = (int)x.dims[0]};
        st = clnn_session_create(tu_ctx, g, &o, &s);
        if (st) snprintf(r->why, sizeof r->why, "session: %s", clnn_last_error());
    }
    if (!st) {
        st = clnn_session_set_input(s, NULL, x.data, x.count);
        if (!st) st = clnn_session_run(s);
        if (st) snprintf(r->why, sizeof r->why, "run: %s", clnn_last_error());
    }
    if (!st) {
        got = malloc((want.count ? want.count : 1) * sizeof *got);
        st = got ? clnn_session_get_output(s, NULL, got, want.count) : CLNN_STATUS_OUT_OF_HOST_MEMORY;
        if (st) snprintf(r->why, sizeof r->why, "output: %s", clnn_last_error());
    }
    if (!st) {
        r->ran = true;
        for (size_t i = 0; i < want.count; i++) r->scale = fmax(r->scale, fabs(want.data[i]));
        for (size_t i = 0; i < want.count; i++) {
            double d = fabs((double)got[i] - want.data[i]);
            if (!(d <= r->err)) r->err = isnan(d) ? INFINITY : fmax(r->err, d);
        }
        r->ok = r->err <= 1e-3 * r->scale && r->scale > 0;
        if (!r->ok)
            snprintf(r->why, sizeof r->why, "max error %.3g is over 1e-3 of the output scale",
                     r->err);
    }
    /* the table's cells stay one line */
    for (char *p = r->why; *p; p++)
        if (*p == '\n' || *p == '|') *p = ' ';
    r->seconds = now_s() - t0;
    free(got);
    if (have_x) npy_free(&x);
    if (have_want) npy_free(&want);
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
}

static void report(FILE *f, const zoo_row *rows, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) ok += rows[i].ok;
    fprintf(f, "%d of %d models run and match PyTorch (max |clnn - torch| <= 1e-3 of the "
               "output's scale).\n\n", ok, n);
    fprintf(f, "| model | family | runs | max error | output scale | error / scale | seconds "
               "| note |\n|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        const zoo_row *r = &rows[i];
        if (r->ran)
            fprintf(f, "| %s | %s | %s | %.3g | %.3g | %.2g | %.1f | %s |\n", r->name, r->family,
                    r->ok ? "yes" : "wrong", r->err, r->scale, r->err / r->scale, r->seconds,
                    r->why);
        else
            fprintf(f, "| %s | %s | no | | | | %.1f | %s |\n", r->name, r->family, r->seconds,
                    r->why);
    }
}

static void test_zoo(void **state)
{
    (void)state;
    const char *dir = getenv("CLNN_ZOO_DIR");
    if (!dir || !*dir) fail_msg("CLNN_ZOO_DIR is not set");
    char path[1100];
    snprintf(path, sizeof path, "%s/zoo.txt", dir);
    FILE *list = fopen(path, "r");
    if (!list) fail_msg("%s: no model list (run /usr/bin/python3 scripts/export_zoo.py %s --ci)",
                        path, dir);
    zoo_row *rows = NULL;
    int n = 0, cap = 0;
    char line[256];
    while (fgets(line, sizeof line, list)) {
        zoo_row r = {0};
        if (sscanf(line, "%63s %31s", r.name, r.family) != 2) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            rows = realloc(rows, (size_t)cap * sizeof *rows);
            assert_non_null(rows);
        }
        rows[n++] = r;
    }
    fclose(list);
    if (n == 0) fail_msg("%s lists no models", path);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        run_one(dir, &rows[i]);
        ok += rows[i].ok;
        print_message("%-30s %s  err %.3g scale %.3g  %.1f s  %s\n", rows[i].name,
                      rows[i].ok ? "ok   " : rows[i].ran ? "WRONG" : "NO   ", rows[i].err,
                      rows[i].scale, rows[i].seconds, rows[i].why);
    }
    report(stdout, rows, n);
    const char *out = getenv("CLNN_ZOO_REPORT");
    if (out && *out) {
        FILE *f = fopen(out, "w");
        if (!f) fail_msg("cannot write %s", out);
        report(f, rows, n);
        fclose(f);
    }
    free(rows);
    assert_int_equal(ok, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoo),
    };
    return cmocka_run_group_tests_name("zoo", tests, tu_group_setup, tu_group_teardown);
}
