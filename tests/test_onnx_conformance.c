/*
 * test_onnx_conformance.c - ONNX's own conformance cases (Debian's libonnx-testdata, under
 * $CLNN_ONNX_TESTDATA, default /usr/include/onnx/backend/test/data: node/, pytorch-converted/
 * and pytorch-operator/). Every case whose model clnn loads and prepares runs on every one of
 * its test_data_set_N folders and must match the expected outputs:
 *
 *   |got - want| <= 1e-5 + 1e-3 * |want|    (ONNX's backend tests use rtol 1e-3 as well)
 *
 * Inputs after the first, and integer ones, are bound as constants (clnn_graph_bind_input,
 * clnn_graph_bind_input_int64): the operator tests pass weights, indices and shapes as
 * inputs; clnn prepares layers with constant weights and folds shape arithmetic. A case
 * whose inputs are all bound (integer or BOOL ones) checks that fold, through a session
 * with one unused float input.
 *
 * A case is skipped only when clnn refuses the model with CLNN_STATUS_UNSUPPORTED (an
 * operator, data type or attribute outside clnn's set); the skipped cases are printed with
 * the reason. Any other failure to load or prepare fails the test, as does a wrong result.
 */
#include "testutil.h"

#include "../lib/onnx/onnx.h"

#include <dirent.h>
#include <math.h>
#include <sys/stat.h>


static int ran, skipped, failed;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of a folder (malloc'ed names); returns the count. */
static int list_dir(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    *out = NULL;
    if (!d) return 0;
    int n = 0, cap = 64;
    char **v = malloc((size_t)cap * sizeof *v);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) v = realloc(v, (size_t)(cap *= 2) * sizeof *v);
        v[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(v, (size_t)n, sizeof *v, cmp_names);
    *out = v;
    return n;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Compares output i of the session with dir/output_i.pb. */
static bool check_output(clnn_session *s, const clnn_graph *g, size_t i, const char *dir,
                         const char *name)
{
    char path[4200];
    float *data;
    int64_t dims[CLNN_MAX_DIMS];
    int nd;
    snprintf(path, sizeof path, "%.4000s/output_%zu.pb", dir, i);
    if (onnx_read_tensor_file(path, &data, dims, &nd) != CLNN_STATUS_OK) {
        print_message("FAIL %s: %s\n", name, clnn_last_error());
        return false;
    }
    const int64_t *od;
    size_t ond;
    clnn_session_output_shape(s, clnn_graph_output_name(g, i), &od, &ond);
    size_t count = (size_t)clnn_shape_count(dims, nd);
    bool ok = (size_t)clnn_shape_count(od, (int)ond) == count;
    float *got = malloc((count ? count : 1) * sizeof *got);
    if (ok)
        ok = clnn_session_get_output(s, clnn_graph_output_name(g, i), got, count) == CLNN_STATUS_OK;
    else
        print_message("FAIL %s: output %zu has another size\n", name, i);
    for (size_t k = 0; ok && k < count; k++) {
        float w = data[k], v = got[k];
        if (isnan(w) ? !isnan(v) : !(fabsf(v - w) <= 1e-5f + 1e-3f * fabsf(w))) {
            print_message("FAIL %s: output %zu[%zu] = %.8g, expected %.8g\n", name, i, k, v, w);
            ok = false;
        }
    }
    free(got);
    free(data);
    return ok;
}

/* One test_data_set folder: the model loaded afresh, every input after the first bound as a
 * constant (ONNX's operator tests pass weights as inputs; clnn prepares layers with constant
 * weights), a session at the first input's batch, a run, the outputs compared. Returns 1 on
 * success, 0 on a mismatch or error, -1 when clnn refuses the model as unsupported. */
static int run_set(const char *model, const char *dir, const char *name)
{
    char path[4200];
    clnn_graph *g = NULL;
    clnn_session *s = NULL;
    float *x0 = NULL;
    size_t n0 = 0;
    int batch = 0, result = 0;
    clnn_status st = clnn_graph_load_onnx(model, &g);
    size_t nin = st == CLNN_STATUS_OK ? clnn_graph_input_count(g) : 0;
    for (size_t i = 0; st == CLNN_STATUS_OK && i < nin; i++) {
        void *data;
        clnn_dtype dtype;
        int64_t dims[CLNN_MAX_DIMS];
        int nd;
        snprintf(path, sizeof path, "%.4000s/input_%zu.pb", dir, i);
        st = onnx_read_tensor_file_typed(path, &dtype, &data, dims, &nd);
        if (st != CLNN_STATUS_OK) break;
        size_t count = (size_t)clnn_shape_count(dims, nd);
        if (i == 0 && dtype == CLNN_DTYPE_FLOAT) {
            x0 = data, n0 = count;
            batch = nd > 0 ? (int)dims[0] : 0;
            continue;
        }
        /* Inputs shift down as earlier ones become constants: the next one left is at 1
         * (at 0 when the first was integer and bound as well). */
        const char *in = clnn_graph_input_name(g, x0 ? 1 : 0);
        st = dtype == CLNN_DTYPE_FLOAT ? clnn_graph_bind_input(g, in, data, count)
                                       : clnn_graph_bind_input_int64(g, in, data, count);
        free(data);
    }
    /* Every input bound (BOOL or integer ones: And, Not, Where...): the graph folds on the
     * host, checked through a session given one unused float input. */
    static const int64_t one = 1;
    static const float zero = 0.0f;
    const bool folded = st == CLNN_STATUS_OK && nin > 0 && !x0;
    if (folded) st = clnn_graph_add_input(g, "conformance#unused", &one, 1);
    if (st == CLNN_STATUS_OK) {
        clnn_session_options o = {.batch = batch};
        st = clnn_session_create(tu_ctx, g, &o, &s);
    }
    if (st == CLNN_STATUS_OK && x0) st = clnn_session_set_input(s, NULL, x0, n0);
    if (st == CLNN_STATUS_OK && folded)
        st = clnn_session_set_input(s, "conformance#unused", &zero, 1);
    if (st == CLNN_STATUS_OK) st = clnn_session_run(s);
    if (st == CLNN_STATUS_UNSUPPORTED) {
        print_message("skip %s: %.300s\n", name, clnn_last_error());
        result = -1;
    } else if (st != CLNN_STATUS_OK) {
        print_message("FAIL %s: %s: %.300s\n", name, clnn_status_string(st), clnn_last_error());
    } else {
        result = 1;
        for (size_t i = 0; i < clnn_graph_output_count(g) && result; i++)
            result = check_output(s, g, i, dir, name);
    }
    free(x0);
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
    return result;
}

static void run_case(const char *root, const char *name)
{
    char model[4200], path[4200], label[512];
    snprintf(label, sizeof label, "%.100s/%.300s", strrchr(root, '/') ? strrchr(root, '/') + 1 : root,
             name);
    snprintf(model, sizeof model, "%.2000s/%.2000s/model.onnx", root, name);
    if (!exists(model)) return;
    snprintf(path, sizeof path, "%.2000s/%.2000s", root, name);
    char **sets;
    int nsets = list_dir(path, &sets), nrun = 0, r = 1;
    for (int i = 0; i < nsets && r == 1; i++) {
        if (strncmp(sets[i], "test_data_set_", 14) != 0) continue;
        snprintf(path, sizeof path, "%.2000s/%.2000s/%.100s", root, name, sets[i]);
        r = run_set(model, path, label);
        nrun++;
    }
    free_list(sets, nsets);
    if (r < 0)
        skipped++;
    else if (r == 1 && nrun) {
        ran++;
        print_message("pass %s (%d data set%s)\n", label, nrun, nrun > 1 ? "s" : "");
    } else {
        failed++;
    }
}

static void test_conformance(void **state)
{
    (void)state;
    const char *base = getenv("CLNN_ONNX_TESTDATA");
    if (!base || !*base) base = "/usr/include/onnx/backend/test/data";
    const char *sub[] = {"node", "pytorch-converted", "pytorch-operator"};
    for (size_t k = 0; k < CLNN_ARRAY_LEN(sub); k++) {
        char root[1024];
        snprintf(root, sizeof root, "%s/%s", base, sub[k]);
        char **cases;
        int n = list_dir(root, &cases);
        if (n == 0) fail_msg("no conformance cases in %s: install libonnx-testdata", root);
        for (int i = 0; i < n; i++) run_case(root, cases[i]);
        free_list(cases, n);
    }
    print_message("ONNX conformance: %d cases passed, %d skipped (unsupported, listed above), "
                  "%d failed\n", ran, skipped, failed);
    assert_int_equal(failed, 0);
    assert_true(ran >= 50); /* the supported operators really are covered */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_conformance)};
    return cmocka_run_group_tests_name("onnx-conformance", tests, tu_group_setup, tu_group_teardown);
}
