/*
 * test_tune.c - the tuning database and the tuner: save/load round trip, the lookup order
 * (own file, same vendor and type, shipped, defaults), nearest shapes, damaged files ignored
 * with a warning, convolutions following the database, the cost model using its times, the
 * search on a tiny layer (rejected candidates never chosen), and CLBlast parameters applied to
 * FC layers. Every database here lives in a temporary cache folder of its own.
 */
#include "testutil.h"

#include "../lib/graph/graph.h"
#include "../lib/sched/sched.h"
#include "../lib/tune/clblast.h"
#include "../lib/tuner/search.h"

#include <math.h>
#include <unistd.h>

static clnn_device_info dev_info; /* the test device */

static int setup(void **state)
{
    (void)state;
    clnn_context *ctx;
    if (tu_context(&ctx) != CLNN_STATUS_OK) {
        print_error("no OpenCL context for the tests: %s\n", clnn_last_error());
        return -1;
    }
    clnn_context_device_info(ctx, 0, &dev_info);
    clnn_context_destroy(ctx);
    return 0;
}

/* A context on the test device whose cache folder is `dir`. */
static clnn_context *context_in(const char *dir)
{
    clnn_context_options opt;
    memset(&opt, 0, sizeof opt);
    const char *sel = getenv("CLNN_DEVICES");
    opt.devices = sel && *sel ? sel : "cpu";
    opt.cache_dir = dir;
    clnn_context *ctx = NULL;
    assert_int_equal(clnn_context_create_ex(&opt, &ctx), CLNN_STATUS_OK);
    return ctx;
}

static clnn_conv_params conv3x3(int batch, int c, int hw, int k)
{
    clnn_conv_params p;
    memset(&p, 0, sizeof p);
    p.batch = batch, p.in_channels = c, p.in_height = p.in_width = hw, p.out_channels = k;
    p.kernel_h = p.kernel_w = 3;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    return p;
}

static clnn_knob_config knobs5(int a, int b, int c, int d, int e)
{
    clnn_knob_config k;
    memset(&k, 0, sizeof k);
    k.v[0] = a, k.v[1] = b, k.v[2] = c, k.v[3] = d, k.v[4] = e;
    return k;
}

/* An entry whose best is `algo` with `knobs` at `ms`. */
static clnn_tune_conv entry_for(const clnn_conv_params *p, clnn_conv_algo algo,
                                clnn_knob_config knobs, double ms)
{
    clnn_tune_conv e;
    memset(&e, 0, sizeof e);
    clnn_tune_shape_of(p, &e.shape);
    snprintf(e.name, sizeof e.name, "test layer");
    e.nresults = 1;
    e.results[0] = (clnn_tune_result){algo, knobs, ms, 3};
    e.best = 0;
    e.default_ms = ms * 1.5;
    e.complete = true;
    return e;
}

static clnn_tune_db *new_db(const clnn_device_info *info)
{
    clnn_tune_db *db = NULL;
    assert_int_equal(clnn_tune_db_new(info, &db), CLNN_STATUS_OK);
    return db;
}

/* Saves db as the own file of `info` in dir; returns the path (malloc'ed). */
static char *save_own(const clnn_tune_db *db, const char *dir, const clnn_device_info *info)
{
    char *path = clnn_tune_db_path(dir, info);
    assert_non_null(path);
    assert_int_equal(clnn_tune_db_save(db, path), CLNN_STATUS_OK);
    return path;
}

/* Runs a conv on random data and checks it against the reference. */
static void check_conv_runs(clnn_conv *conv, const clnn_conv_params *p, float tol)
{
    int P, Q;
    assert_int_equal(clnn_conv_output_size(p, &P, &Q), CLNN_STATUS_OK);
    size_t nin = clnn_conv_input_count(conv), nout = clnn_conv_output_count(conv);
    size_t nw = (size_t)p->out_channels * p->in_channels * p->kernel_h * p->kernel_w;
    float *x = malloc(nin * 4), *w = malloc(nw * 4), *want = malloc(nout * 4), *got = malloc(nout * 4);
    tu_fill_uniform(x, nin, 1, -1, 1);
    tu_fill_uniform(w, nw, 2, -1, 1);
    assert_int_equal(clnn_conv_reference(p, x, w, NULL, NULL, want), CLNN_STATUS_OK);
    (void)w;
    free(w);
    assert_int_equal(clnn_conv_run(conv, x, nin, NULL, 0, got, nout), CLNN_STATUS_OK);
    assert_true(tu_allclose(got, want, nout, tol, tol, clnn_conv_config(conv)));
    free(x), free(want), free(got);
}

static clnn_conv *make_conv(clnn_context *ctx, const clnn_conv_params *p, clnn_conv_algo algo)
{
    size_t nw = (size_t)p->out_channels * p->in_channels * p->kernel_h * p->kernel_w;
    float *w = malloc(nw * 4);
    tu_fill_uniform(w, nw, 2, -1, 1);
    clnn_conv *conv = NULL;
    clnn_status st = clnn_conv_create(ctx, 0, p, algo, w, NULL, &conv);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    free(w);
    return conv;
}

/* ---- the database as data ---------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tune-rt");
    clnn_tune_db *db = new_db(&dev_info);
    clnn_conv_params p = conv3x3(2, 16, 12, 24);
    clnn_tune_conv e = entry_for(&p, CLNN_CONV_ALGO_WINOGRAD_2X2, knobs5(4, 2, 3, 2, 2), 0.125);
    e.results[1] = (clnn_tune_result){CLNN_CONV_ALGO_DIRECT, knobs5(8, 16, 1, 1, 1), 0.25, 7};
    e.nresults = 2;
    e.nrejects = 1;
    e.rejects_total = 5;
    e.rejects[0] = (clnn_tune_reject){CLNN_CONV_ALGO_DIRECT, knobs5(1, 1, 1, 1, 1), "too slow"};
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    clnn_tune_clblast cb = {"Xgemv", 2, {"WGS1", "WPT1"}, {64, 2}, 1,
                            {{1, 100, 200, true, 0.5, 1.5}}};
    assert_int_equal(clnn_tune_db_put_clblast(db, &cb), CLNN_STATUS_OK);
    char *path = save_own(db, dir, &dev_info);

    clnn_tune_db *back = NULL;
    char why[256];
    if (!clnn_tune_db_load_file(path, &dev_info, &back, why, sizeof why)) print_error("%s\n", why);
    assert_non_null(back);
    assert_true(clnn_tune_db_is_for(back, &dev_info));
    assert_int_equal(back->nconv, 1);
    const clnn_tune_conv *r = clnn_tune_db_find(back, &e.shape);
    assert_non_null(r);
    assert_string_equal(r->name, "test layer");
    assert_int_equal(r->results[r->best].algo, CLNN_CONV_ALGO_WINOGRAD_2X2);
    assert_memory_equal(&r->results[r->best].knobs, &e.results[0].knobs, sizeof e.results[0].knobs);
    assert_true(fabs(r->results[r->best].ms - 0.125) < 1e-9);
    assert_int_equal(r->nresults, 2);
    assert_int_equal(r->results[1].tried, 7);
    assert_int_equal(r->nrejects, 1);
    assert_int_equal(r->rejects_total, 5);
    assert_string_equal(r->rejects[0].reason, "too slow");
    assert_int_equal(back->nclblast, 1);
    assert_string_equal(back->clblast[0].kernel, "Xgemv");
    assert_int_equal(back->clblast[0].values[0], 64);
    assert_true(back->clblast[0].shapes[0].trans_b);
    /* Writing what was read gives the same text. */
    char *a = clnn_tune_db_to_json(db), *b = clnn_tune_db_to_json(back);
    assert_string_equal(a, b);
    free(a), free(b);
    clnn_tune_db_free(back);
    clnn_tune_db_free(db);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* ---- which database a device uses -------------------------------------------------------- */

static void test_lookup_order(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tune-order");
    clnn_conv_params p = conv3x3(1, 8, 10, 8);
    /* Another driver of the same device: found through vendor and type. */
    clnn_device_info other = dev_info;
    snprintf(other.driver_version, sizeof other.driver_version, "0.0-other-driver");
    clnn_tune_db *db = new_db(&other);
    clnn_tune_conv e = entry_for(&p, CLNN_CONV_ALGO_DIRECT, knobs5(2, 4, 1, 1, 1), 1.0);
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    char *other_path = save_own(db, dir, &other);
    clnn_tune_db_free(db);
    /* A device of another vendor: never used here. */
    clnn_device_info foreign = dev_info;
    snprintf(foreign.vendor, sizeof foreign.vendor, "Some Other Vendor");
    db = new_db(&foreign);
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    char *foreign_path = save_own(db, dir, &foreign);
    clnn_tune_db_free(db);

    clnn_tune_db *got = clnn_tune_db_open(dir, &dev_info);
    assert_non_null(got);
    assert_string_equal(got->origin, other_path);
    clnn_tune_db_free(got);

    /* The device's own file wins. */
    db = new_db(&dev_info);
    e = entry_for(&p, CLNN_CONV_ALGO_DIRECT, knobs5(4, 8, 1, 1, 1), 1.0);
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    char *own = save_own(db, dir, &dev_info);
    clnn_tune_db_free(db);
    got = clnn_tune_db_open(dir, &dev_info);
    assert_non_null(got);
    assert_string_equal(got->origin, own);
    clnn_tune_db_free(got);

    /* No file: the shipped databases, when one is for this device's vendor and type. */
    unlink(own), unlink(other_path);
    got = clnn_tune_db_open(dir, &dev_info);
    const bool shipped = got != NULL;
    if (got) {
        assert_non_null(strstr(got->origin, "built-in: "));
        clnn_tune_db_free(got);
    }
    got = clnn_tune_db_open(NULL, &dev_info); /* no cache folder: shipped only */
    assert_true((got != NULL) == shipped);
    clnn_tune_db_free(got);
    /* Nothing for a vendor no database knows: built-in defaults. */
    got = clnn_tune_db_open(dir, &foreign);
    assert_non_null(got); /* its own file is there */
    clnn_tune_db_free(got);
    unlink(foreign_path);
    assert_null(clnn_tune_db_open(dir, &foreign));
    if (!shipped) print_message("no shipped database matches '%s': that step was not seen\n",
                                dev_info.name);
    free(own), free(other_path), free(foreign_path);
    tu_rmtree(dir);
    free(dir);
}

static void test_nearest(void **state)
{
    (void)state;
    clnn_tune_db *db = new_db(&dev_info);
    clnn_conv_params p = conv3x3(1, 64, 28, 64);
    assert_int_equal(clnn_tune_db_put(db, &(clnn_tune_conv){0}) == CLNN_STATUS_OK, 1);
    db->nconv = 0; /* (the empty entry above only exercised growth) */
    clnn_tune_conv e = entry_for(&p, CLNN_CONV_ALGO_DIRECT, knobs5(4, 8, 2, 1, 1), 1.0);
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    clnn_conv_params q1 = conv3x3(1, 64, 30, 48); /* close: same class */
    clnn_conv_params q2 = conv3x3(1, 64, 28, 64);
    q2.kernel_h = q2.kernel_w = 5; /* another kernel size */
    clnn_conv_params q3 = conv3x3(64, 2, 224, 2048); /* same class, far away */
    clnn_tune_shape s;
    double d;
    clnn_tune_shape_of(&q1, &s);
    assert_ptr_equal(clnn_tune_db_nearest(db, &s, &d), &db->conv[0]);
    assert_true(d > 0 && d < 1);
    clnn_tune_shape_of(&q2, &s);
    assert_null(clnn_tune_db_nearest(db, &s, &d));
    clnn_tune_shape_of(&q3, &s);
    assert_null(clnn_tune_db_nearest(db, &s, &d));
    clnn_tune_db_free(db);
}

/* Damaged, foreign, newer and out-of-range files are ignored with a warning. */
static void test_bad_files(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tune-bad");
    clnn_conv_params p = conv3x3(1, 8, 10, 8);
    clnn_tune_db *db = new_db(&dev_info);
    clnn_tune_conv e = entry_for(&p, CLNN_CONV_ALGO_DIRECT, knobs5(2, 4, 1, 1, 1), 1.0);
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    char *good = clnn_tune_db_to_json(db);
    char *path = clnn_tune_db_path(dir, &dev_info);
    clnn_device_info other = dev_info;
    snprintf(other.name, sizeof other.name, "another device");
    clnn_tune_db_free(db);
    db = new_db(&other);
    clnn_tune_db_put(db, &e);
    char *foreign = clnn_tune_db_to_json(db);
    clnn_tune_db_free(db);

    char *replaced[6];
    const char *needle[6][2] = {
        {"\"format\": 1", "\"format\": 2"},  /* newer format */
        {"\"TK\": 2", "\"TK\": 5"},          /* a knob value outside its table */
        {"\"ms\": 1.0000", "\"ms\": -3"},    /* a negative time */
        {"\"best\": \"direct\"", "\"best\": \"magic\""},
        {"\"groups\": 1", "\"groups\": 3"},  /* channels not divisible */
        {"\"C\": 8", "\"C\": 99999999999"},  /* out of range */
    };
    for (int i = 0; i < 6; i++) {
        const char *at = strstr(good, needle[i][0]);
        assert_non_null(at);
        size_t n = strlen(good) + 64;
        replaced[i] = malloc(n);
        snprintf(replaced[i], n, "%.*s%s%s", (int)(at - good), good, needle[i][1],
                 at + strlen(needle[i][0]));
    }
    char truncated[256];
    snprintf(truncated, sizeof truncated, "%.200s", good);
    const char *texts[] = {"garbage {{{", truncated, foreign, replaced[0], replaced[1],
                           replaced[2], replaced[3], replaced[4], replaced[5], "", "[1, 2]"};
    const char *why[] = {"JSON", "JSON", "written for", "newer", "TK=5", "ms", "magic",
                         "divisible", "C", "JSON", "object"};
    for (size_t i = 0; i < CLNN_ARRAY_LEN(texts); i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(texts[i], f);
        fclose(f);
        tu_log_capture_begin();
        clnn_tune_db *got = clnn_tune_db_open(dir, &dev_info);
        tu_log_capture_end();
        if (!strstr(tu_log_text(), "ignoring tuning database") || !strstr(tu_log_text(), why[i]))
            print_error("case %zu: log '%s' lacks '%s'\n", i, tu_log_text(), why[i]);
        assert_non_null(strstr(tu_log_text(), "ignoring tuning database"));
        assert_non_null(strstr(tu_log_text(), why[i]));
        /* Never trusted: whatever is used is not that file. */
        assert_true(!got || strcmp(got->origin, path) != 0);
        clnn_tune_db_free(got);
    }
    for (int i = 0; i < 6; i++) free(replaced[i]);
    free(good), free(foreign), free(path);
    tu_rmtree(dir);
    free(dir);
}

/* ---- the library follows the database ---------------------------------------------------- */

static void test_conv_follows_database(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tune-auto");
    clnn_conv_params p = conv3x3(1, 16, 12, 24);
    clnn_tune_db *db = new_db(&dev_info);
    /* The heuristic would run this layer direct: the database says Winograd with odd knobs. */
    clnn_tune_conv e = entry_for(&p, CLNN_CONV_ALGO_WINOGRAD_2X2, knobs5(4, 2, 3, 2, 2), 0.5);
    e.results[1] = (clnn_tune_result){CLNN_CONV_ALGO_DIRECT, knobs5(2, 4, 3, 2, 1), 0.9, 2};
    e.nresults = 2;
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    char *path = save_own(db, dir, &dev_info);
    clnn_tune_db_free(db);

    clnn_context *ctx = context_in(dir);
    clnn_conv *conv = make_conv(ctx, &p, CLNN_CONV_ALGO_AUTO);
    assert_int_equal(clnn_conv_algorithm(conv), CLNN_CONV_ALGO_WINOGRAD_2X2);
    assert_string_equal(clnn_conv_config(conv), "winograd2x2 TM=4,VEC=2,TN=3,WGX=2,WGY=2");
    check_conv_runs(conv, &p, 1e-4f);
    clnn_conv_destroy(conv);
    /* An explicit algorithm takes the database's knobs for it. */
    conv = make_conv(ctx, &p, CLNN_CONV_ALGO_DIRECT);
    assert_string_equal(clnn_conv_config(conv), "direct TK=2,VEC=4,TV=3,WGX=2,WGY=1,UNROLL=0");
    check_conv_runs(conv, &p, 1e-4f);
    clnn_conv_destroy(conv);
    /* ... or its defaults when the database has none. */
    conv = make_conv(ctx, &p, CLNN_CONV_ALGO_WINOGRAD_4X4);
    clnn_knob_config def;
    clnn_knobs_default(CLNN_CONV_ALGO_WINOGRAD_4X4, &p, &dev_info, &def);
    char want[160], kd[128];
    clnn_knobs_describe(CLNN_CONV_ALGO_WINOGRAD_4X4, &def, kd, sizeof kd);
    snprintf(want, sizeof want, "winograd4x4 %s", kd);
    assert_string_equal(clnn_conv_config(conv), want);
    clnn_conv_destroy(conv);
    /* A near shape takes the entry's setting; one whose setting does not apply (Winograd on
     * a dilated layer of the same class is impossible, so: a 1x1 entry for a padded 1x1
     * layer) falls back to the defaults. */
    clnn_conv_params near = conv3x3(1, 16, 14, 24);
    conv = make_conv(ctx, &near, CLNN_CONV_ALGO_AUTO);
    assert_int_equal(clnn_conv_algorithm(conv), CLNN_CONV_ALGO_WINOGRAD_2X2);
    check_conv_runs(conv, &near, 1e-4f);
    clnn_conv_destroy(conv);
    /* The cost model's time for exactly this shape and batch, nothing for another batch. */
    assert_true(fabs(clnn_conv_predicted_ms(ctx, 0, &p) - 0.5) < 1e-9);
    clnn_conv_params b2 = p;
    b2.batch = 2;
    assert_true(clnn_conv_predicted_ms(ctx, 0, &b2) < 0);
    clnn_context_destroy(ctx);

    /* 1x1 entry (GEMM) and a padded 1x1 layer of the same class: the setting does not apply. */
    clnn_conv_params one = conv3x3(1, 16, 12, 24);
    one.kernel_h = one.kernel_w = 1;
    one.pad_top = one.pad_left = one.pad_bottom = one.pad_right = 0;
    db = new_db(&dev_info);
    e = entry_for(&one, CLNN_CONV_ALGO_GEMM_1X1, knobs5(4, 2, 3, 2, 2), 0.5);
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    free(path);
    path = save_own(db, dir, &dev_info);
    clnn_tune_db_free(db);
    ctx = context_in(dir);
    clnn_conv_params padded = one;
    padded.pad_top = padded.pad_left = padded.pad_bottom = padded.pad_right = 1;
    conv = make_conv(ctx, &padded, CLNN_CONV_ALGO_AUTO);
    assert_int_equal(clnn_conv_algorithm(conv), CLNN_CONV_ALGO_DIRECT);
    clnn_conv_destroy(conv);
    conv = make_conv(ctx, &one, CLNN_CONV_ALGO_AUTO);
    assert_string_equal(clnn_conv_config(conv), "gemm1x1 TM=4,VEC=2,TN=3,WGX=2,WGY=2");
    clnn_conv_destroy(conv);
    clnn_context_destroy(ctx);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* A winner other than direct and other than the heuristic's pick stands only with a margin
 * of CLNN_CONV_SELECT_MARGIN over direct in the entry's times; else the heuristic's
 * algorithm runs (the entry's knobs for it, else its defaults). */
static void test_choice_needs_margin(void **state)
{
    (void)state;
    clnn_conv_params p = conv3x3(1, 16, 12, 24); /* the heuristic runs it direct */
    conv_shape s;
    assert_int_equal(clnn_conv_shape_init(NULL, &p, &s), CLNN_STATUS_OK);
    assert_int_equal(clnn_conv_heuristic(&s, &dev_info), CLNN_CONV_ALGO_DIRECT);
    const clnn_knob_config wk = knobs5(4, 2, 3, 2, 2), dk = knobs5(2, 4, 3, 2, 1);
    clnn_conv_algo algo;
    clnn_knob_config cfg;

    /* Winograd 8% ahead of direct: within the noise, direct runs with its tuned knobs. */
    clnn_tune_conv e = entry_for(&p, CLNN_CONV_ALGO_WINOGRAD_2X2, wk, 0.50);
    e.results[1] = (clnn_tune_result){CLNN_CONV_ALGO_DIRECT, dk, 0.54, 2};
    e.nresults = 2;
    assert_true(clnn_conv_entry_choice(&e, &s, &dev_info, CLNN_CONV_ALGO_AUTO, &algo, &cfg));
    assert_int_equal(algo, CLNN_CONV_ALGO_DIRECT);
    assert_memory_equal(&cfg, &dk, sizeof cfg);
    /* An explicit request still gets the entry's knobs for it. */
    assert_true(clnn_conv_entry_choice(&e, &s, &dev_info, CLNN_CONV_ALGO_WINOGRAD_2X2, &algo,
                                       &cfg));
    assert_int_equal(algo, CLNN_CONV_ALGO_WINOGRAD_2X2);
    assert_memory_equal(&cfg, &wk, sizeof cfg);
    /* 12% ahead: Winograd stands. */
    e.results[1].ms = 0.56;
    assert_true(clnn_conv_entry_choice(&e, &s, &dev_info, CLNN_CONV_ALGO_AUTO, &algo, &cfg));
    assert_int_equal(algo, CLNN_CONV_ALGO_WINOGRAD_2X2);
    assert_memory_equal(&cfg, &wk, sizeof cfg);
    /* No direct time recorded: no margin known, the heuristic with its default knobs. */
    e.nresults = 1;
    clnn_knob_config def;
    clnn_knobs_default(CLNN_CONV_ALGO_DIRECT, &p, &dev_info, &def);
    assert_true(clnn_conv_entry_choice(&e, &s, &dev_info, CLNN_CONV_ALGO_AUTO, &algo, &cfg));
    assert_int_equal(algo, CLNN_CONV_ALGO_DIRECT);
    assert_memory_equal(&cfg, &def, sizeof cfg);

    /* The heuristic's own pick needs no margin (a 1x1 layer: GEMM 4% ahead of direct). */
    clnn_conv_params one = p;
    one.kernel_h = one.kernel_w = 1;
    one.pad_top = one.pad_left = one.pad_bottom = one.pad_right = 0;
    conv_shape s1;
    assert_int_equal(clnn_conv_shape_init(NULL, &one, &s1), CLNN_STATUS_OK);
    e = entry_for(&one, CLNN_CONV_ALGO_GEMM_1X1, wk, 0.50);
    e.results[1] = (clnn_tune_result){CLNN_CONV_ALGO_DIRECT, dk, 0.52, 2};
    e.nresults = 2;
    assert_true(clnn_conv_entry_choice(&e, &s1, &dev_info, CLNN_CONV_ALGO_AUTO, &algo, &cfg));
    assert_int_equal(algo, CLNN_CONV_ALGO_GEMM_1X1);

    /* Where the heuristic picks F(4x4) too, a Winograd winner 4% ahead of direct (F(2x2) or
     * F(4x4) itself) falls back to direct with the entry's knobs for it: Winograd must win
     * clearly. */
    clnn_conv_params big = conv3x3(1, 128, 16, 64);
    conv_shape sb;
    assert_int_equal(clnn_conv_shape_init(NULL, &big, &sb), CLNN_STATUS_OK);
    assert_int_equal(clnn_conv_heuristic(&sb, &dev_info), CLNN_CONV_ALGO_WINOGRAD_4X4);
    const clnn_knob_config w4 = knobs5(8, 4, 1, 2, 1);
    e = entry_for(&big, CLNN_CONV_ALGO_WINOGRAD_2X2, wk, 0.50);
    e.results[1] = (clnn_tune_result){CLNN_CONV_ALGO_DIRECT, dk, 0.52, 2};
    e.results[2] = (clnn_tune_result){CLNN_CONV_ALGO_WINOGRAD_4X4, w4, 0.53, 2};
    e.nresults = 3;
    assert_true(clnn_conv_entry_choice(&e, &sb, &dev_info, CLNN_CONV_ALGO_AUTO, &algo, &cfg));
    assert_int_equal(algo, CLNN_CONV_ALGO_DIRECT);
    assert_memory_equal(&cfg, &dk, sizeof cfg);
    e = entry_for(&big, CLNN_CONV_ALGO_WINOGRAD_4X4, w4, 0.50);
    e.results[1] = (clnn_tune_result){CLNN_CONV_ALGO_DIRECT, dk, 0.52, 2};
    e.nresults = 2;
    assert_true(clnn_conv_entry_choice(&e, &sb, &dev_info, CLNN_CONV_ALGO_AUTO, &algo, &cfg));
    assert_int_equal(algo, CLNN_CONV_ALGO_DIRECT);
    e.results[1].ms = 0.60; /* 20% ahead: it stands */
    assert_true(clnn_conv_entry_choice(&e, &sb, &dev_info, CLNN_CONV_ALGO_AUTO, &algo, &cfg));
    assert_int_equal(algo, CLNN_CONV_ALGO_WINOGRAD_4X4);
    assert_memory_equal(&cfg, &w4, sizeof cfg);
    /* no direct time recorded: direct with its default knobs */
    e.nresults = 1;
    clnn_knob_config dbig;
    clnn_knobs_default(CLNN_CONV_ALGO_DIRECT, &big, &dev_info, &dbig);
    assert_true(clnn_conv_entry_choice(&e, &sb, &dev_info, CLNN_CONV_ALGO_AUTO, &algo, &cfg));
    assert_int_equal(algo, CLNN_CONV_ALGO_DIRECT);
    assert_memory_equal(&cfg, &dbig, sizeof cfg);

    /* Through a saved file: the layer runs direct, and the cost model prices what runs. */
    char *dir = tu_mkdtemp("tune-margin");
    clnn_tune_db *db = new_db(&dev_info);
    e = entry_for(&p, CLNN_CONV_ALGO_WINOGRAD_2X2, wk, 0.50);
    e.results[1] = (clnn_tune_result){CLNN_CONV_ALGO_DIRECT, dk, 0.54, 2};
    e.nresults = 2;
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    char *path = save_own(db, dir, &dev_info);
    clnn_tune_db_free(db);
    clnn_context *ctx = context_in(dir);
    clnn_conv *conv = make_conv(ctx, &p, CLNN_CONV_ALGO_AUTO);
    assert_string_equal(clnn_conv_config(conv), "direct TK=2,VEC=4,TV=3,WGX=2,WGY=1,UNROLL=0");
    check_conv_runs(conv, &p, 1e-4f);
    clnn_conv_destroy(conv);
    assert_true(fabs(clnn_conv_predicted_ms(ctx, 0, &p) - 0.54) < 1e-9);
    clnn_context_destroy(ctx);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* The scheduler's cost model prices a Conv node at the database's time. */
static void test_predict_uses_database(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tune-cost");
    clnn_conv_params p = conv3x3(1, 4, 8, 6);
    clnn_tune_db *db = new_db(&dev_info);
    clnn_tune_conv e = entry_for(&p, CLNN_CONV_ALGO_DIRECT, knobs5(2, 4, 1, 1, 1), 0.0421);
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    char *path = save_own(db, dir, &dev_info);
    clnn_tune_db_free(db);

    clnn_graph *g;
    assert_int_equal(clnn_graph_create(&g), CLNN_STATUS_OK);
    int64_t in_dims[4] = {1, 4, 8, 8}, w_dims[4] = {6, 4, 3, 3};
    float w[6 * 4 * 9] = {0};
    int64_t pads[4] = {1, 1, 1, 1}, ks[2] = {3, 3};
    clnn_attr attrs[] = {CLNN_ATTR_IS("pads", pads, 4), CLNN_ATTR_IS("kernel_shape", ks, 2)};
    const char *ins[] = {"x", "w"}, *outs[] = {"y"};
    assert_int_equal(clnn_graph_add_input(g, "x", in_dims, 4), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant(g, "w", w_dims, 4, w), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_node(g, "Conv", "c", ins, 2, outs, 1, attrs, 2), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    int *order = NULL, n = 0;
    assert_int_equal(clnn_graph_infer(g, 1, &order, &n), CLNN_STATUS_OK);
    clnn_context *ctx = context_in(dir);
    clnn_calib calib = {100, 10, 5, 5, 5, 10, 10};
    assert_true(fabs(clnn_predict_ms(ctx, 0, &calib, g, &g->nodes[0]) - 0.0421) < 1e-9);
    free(order);
    assert_int_equal(clnn_graph_infer(g, 3, &order, &n), CLNN_STATUS_OK); /* another batch */
    assert_true(fabs(clnn_predict_ms(ctx, 0, &calib, g, &g->nodes[0]) - 0.0421) > 1e-6);
    free(order);
    clnn_context_destroy(ctx);
    clnn_graph_destroy(g);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* ---- the tuner ----------------------------------------------------------------------------- */

static void test_rejected_never_chosen(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tune-reject");
    clnn_context *ctx = context_in(dir);
    clnn_conv_params p = conv3x3(1, 8, 9, 8);
    p.has_bias = true;
    p.activation = CLNN_ACTIVATION_RELU;
    const clnn_tune_candidate fixed[] = {
        {CLNN_CONV_ALGO_DIRECT, knobs5(5, 4, 1, 1, 1)},   /* not a value of TK's table */
        {CLNN_CONV_ALGO_DIRECT, knobs5(32, 16, 4, 1, 1)}, /* register tile too large */
        {CLNN_CONV_ALGO_GEMM_1X1, knobs5(4, 4, 1, 1, 1)}, /* does not apply to 3x3 */
        {CLNN_CONV_ALGO_DIRECT, knobs5(1, 1, 1, 1, 1)},   /* "miscompiled" by the hook */
        {CLNN_CONV_ALGO_DIRECT, knobs5(2, 4, 2, 2, 1)},   /* fine */
    };
    clnn_tune_options opt = {.budget_s = 30, .min_time_s = 0.02, .fixed = fixed, .nfixed = 5,
                             .wrong = &fixed[3]};
    clnn_tune_conv e;
    assert_int_equal(clnn_tune_conv_layer(ctx, 0, &p, "tiny", &opt, &e), CLNN_STATUS_OK);
    assert_true(e.complete);
    assert_int_equal(e.nrejects, 4);
    assert_int_equal(e.rejects_total, 4);
    const char *reasons[] = {"invalid knobs", "register tile", "does not apply", "wrong"};
    for (int i = 0; i < 4; i++) {
        if (!strstr(e.rejects[i].reason, reasons[i]))
            print_error("reject %d: '%s'\n", i, e.rejects[i].reason);
        assert_non_null(strstr(e.rejects[i].reason, reasons[i]));
        for (int r = 0; r < e.nresults; r++)
            assert_false(e.results[r].algo == e.rejects[i].algo &&
                         !memcmp(&e.results[r].knobs, &e.rejects[i].knobs, sizeof e.rejects[i].knobs));
    }
    assert_true(e.default_ms > 0);
    clnn_context_destroy(ctx);
    tu_rmtree(dir);
    free(dir);
}

static void test_search_tiny_layer(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tune-search");
    clnn_context *ctx = context_in(dir);
    clnn_conv_params p = conv3x3(2, 6, 11, 10);
    clnn_tune_options opt = {.budget_s = 4, .min_time_s = 0.02, .seed = 7};
    clnn_tune_conv e;
    assert_int_equal(clnn_tune_conv_layer(ctx, 0, &p, "tiny", &opt, &e), CLNN_STATUS_OK);
    assert_true(e.complete);
    assert_true(e.nresults >= 2); /* direct and both Winograds apply */
    assert_true(e.results[e.best].ms > 0 && e.default_ms > 0);
    assert_true(e.results[e.best].ms <= e.default_ms * 1.0001 ||
                e.results[e.best].ms < e.default_ms); /* never worse than the default */
    clnn_tune_db *db = new_db(&dev_info);
    assert_int_equal(clnn_tune_db_put(db, &e), CLNN_STATUS_OK);
    char *path = save_own(db, dir, &dev_info);
    clnn_tune_db_free(db);
    clnn_context_destroy(ctx);

    /* A new context finds the entry; the layer runs what the selection policy makes of it
     * (the tuner's winner, or direct where a Winograd winner lacks the margin: which one
     * depends on this run's timings), correctly. */
    ctx = context_in(dir);
    clnn_conv *conv = make_conv(ctx, &p, CLNN_CONV_ALGO_AUTO);
    conv_shape s;
    assert_int_equal(clnn_conv_shape_init(NULL, &p, &s), CLNN_STATUS_OK);
    clnn_conv_algo algo;
    clnn_knob_config cfg;
    assert_true(clnn_conv_entry_choice(&e, &s, &dev_info, CLNN_CONV_ALGO_AUTO, &algo, &cfg));
    char want[160], kd[128];
    clnn_knobs_describe(algo, &cfg, kd, sizeof kd);
    snprintf(want, sizeof want, "%s %s", clnn_conv_algo_name(algo), kd);
    assert_string_equal(clnn_conv_config(conv), want);
    check_conv_runs(conv, &p, 1e-3f);
    clnn_conv_destroy(conv);
    clnn_context_destroy(ctx);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* The best settings of layers tuned before (the same layer at another batch) are tried right
 * after the defaults; ones that do not apply to the layer are skipped. */
static void test_seeds_tried(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tune-seeds");
    clnn_context *ctx = context_in(dir);
    clnn_conv_params p = conv3x3(2, 8, 9, 8), at1 = conv3x3(1, 8, 9, 8);
    clnn_tune_db *prior = new_db(&dev_info);
    clnn_tune_conv seed = entry_for(&at1, CLNN_CONV_ALGO_DIRECT, knobs5(2, 4, 2, 2, 1), 1.0);
    seed.nresults = 2; /* and a result that cannot apply here (a 1x1 GEMM on a 3x3) */
    seed.results[1] = (clnn_tune_result){CLNN_CONV_ALGO_GEMM_1X1, knobs5(4, 4, 1, 1, 1), 2.0, 1};
    assert_int_equal(clnn_tune_db_put(prior, &seed), CLNN_STATUS_OK);
    const clnn_tune_candidate none[1] = {{CLNN_CONV_ALGO_DIRECT, knobs5(1, 1, 1, 1, 1)}};
    for (int with = 0; with < 2; with++) {
        /* no search beyond the defaults and the seeds: a fixed list of no candidates */
        clnn_tune_options opt = {.budget_s = 30, .min_time_s = 0.02, .fixed = none, .nfixed = 0,
                                 .prior = with ? prior : NULL};
        clnn_tune_conv e;
        assert_int_equal(clnn_tune_conv_layer(ctx, 0, &p, "seeded", &opt, &e), CLNN_STATUS_OK);
        const clnn_tune_result *direct = clnn_tune_entry_result(&e, CLNN_CONV_ALGO_DIRECT);
        assert_non_null(direct);
        assert_int_equal(direct->tried, with ? 2 : 1); /* the default, then the seed */
        assert_int_equal(e.rejects_total, 0);          /* the 1x1 seed was not even tried */
        assert_null(clnn_tune_entry_result(&e, CLNN_CONV_ALGO_GEMM_1X1));
    }
    clnn_tune_db_free(prior);
    clnn_context_destroy(ctx);
    tu_rmtree(dir);
    free(dir);
}

/* ---- CLBlast ------------------------------------------------------------------------------- */

static void test_clblast_constraints(void **state)
{
    (void)state;
    clnn_device_info gpu = dev_info;
    gpu.max_work_group_size = 1024;
    gpu.local_mem_bytes = 48 << 10;
    /* The H100's best Xgemm parameters (CLBlast's tuner) are legal. */
    clnn_tune_clblast e = {"Xgemm", 16,
                           {"GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB",
                            "NDIMC", "NWG", "SA", "SB", "STRM", "STRN", "VWM", "VWN"},
                           {0, 1, 32, 2, 16, 16, 64, 8, 8, 64, 1, 1, 0, 0, 4, 4}, 0, {{0}}};
    assert_null(clnn_clblast_entry_check(&e, &gpu));
    e.values[6] = 32; /* MWG 32 is not a multiple of MDIMC * VWM = 64 */
    assert_non_null(strstr(clnn_clblast_entry_check(&e, &gpu), "MWG"));
    e.values[6] = 64;
    e.values[15] = 3; /* not a searched value */
    assert_non_null(clnn_clblast_entry_check(&e, &gpu));
    e.values[15] = 4;
    e.nparams = 15; /* incomplete */
    assert_non_null(clnn_clblast_entry_check(&e, &gpu));
    clnn_tune_clblast f = {"XgemvFast", 3, {"VW2", "WGS2", "WPT2"}, {4, 64, 2}, 0, {{0}}};
    assert_non_null(strstr(clnn_clblast_entry_check(&f, &gpu), "WPT"));
    clnn_tune_clblast g = {"NoSuchKernel", 1, {"X"}, {1}, 0, {{0}}};
    assert_non_null(clnn_clblast_entry_check(&g, &gpu));
}

/* Runs Y = X W^T + b through a session and compares with a plain product. */
static void check_fc(clnn_context *ctx, int batch, int k, int n)
{
    clnn_graph *g;
    assert_int_equal(clnn_graph_create(&g), CLNN_STATUS_OK);
    int64_t xd[2] = {-1, k}, wd[2] = {n, k}, bd[1] = {n};
    float *w = malloc((size_t)n * k * 4), *b = malloc((size_t)n * 4);
    float *x = malloc((size_t)batch * k * 4), *y = malloc((size_t)batch * n * 4);
    float *want = malloc((size_t)batch * n * 4);
    tu_fill_uniform(w, (size_t)n * k, 1, -1, 1);
    tu_fill_uniform(b, (size_t)n, 2, -1, 1);
    tu_fill_uniform(x, (size_t)batch * k, 3, -1, 1);
    clnn_attr attrs[] = {CLNN_ATTR_I("transB", 1)};
    const char *ins[] = {"x", "w", "b"}, *outs[] = {"y"};
    assert_int_equal(clnn_graph_add_input(g, "x", xd, 2), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant(g, "w", wd, 2, w), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_constant(g, "b", bd, 1, b), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_node(g, "Gemm", "fc", ins, 3, outs, 1, attrs, 1), CLNN_STATUS_OK);
    assert_int_equal(clnn_graph_add_output(g, "y"), CLNN_STATUS_OK);
    clnn_session_options so = {.batch = batch};
    clnn_session *s;
    clnn_status st = clnn_session_create(ctx, g, &so, &s);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    assert_int_equal(clnn_session_set_input(s, NULL, x, (size_t)batch * k), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_get_output(s, NULL, y, (size_t)batch * n), CLNN_STATUS_OK);
    for (int i = 0; i < batch; i++)
        for (int j = 0; j < n; j++) {
            double acc = b[j];
            for (int q = 0; q < k; q++) acc += (double)x[(size_t)i * k + q] * w[(size_t)j * k + q];
            want[(size_t)i * n + j] = (float)acc;
        }
    assert_true(tu_allclose(y, want, (size_t)batch * n, 1e-4f, 1e-4f, "FC with tuned CLBlast"));
    clnn_session_destroy(s);
    clnn_graph_destroy(g);
    free(w), free(b), free(x), free(y), free(want);
}

/* Last: CLBlast's parameters are process-wide once overridden. */
static void test_clblast_applied(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tune-clblast");
    clnn_tune_db *db = new_db(&dev_info);
    clnn_tune_clblast direct = {"XgemmDirect", 10,
                                {"KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD", "PADA", "PADB",
                                 "VWMD", "VWND", "WGD"},
                                {2, 8, 8, 8, 8, 1, 1, 2, 2, 16}, 0, {{0}}};
    clnn_tune_clblast gemv = {"Xgemv", 2, {"WGS1", "WPT1"}, {32, 2}, 0, {{0}}};
    assert_null(clnn_clblast_entry_check(&direct, &dev_info));
    assert_int_equal(clnn_tune_db_put_clblast(db, &direct), CLNN_STATUS_OK);
    assert_int_equal(clnn_tune_db_put_clblast(db, &gemv), CLNN_STATUS_OK);
    char *path = save_own(db, dir, &dev_info);
    clnn_tune_db_free(db);
    clnn_context *ctx = context_in(dir);
    tu_log_capture_begin();
    check_fc(ctx, 3, 40, 24);
    check_fc(ctx, 1, 40, 24);
    tu_log_capture_end();
    if (strstr(tu_log_text(), "refused")) print_error("%s\n", tu_log_text());
    assert_null(strstr(tu_log_text(), "refused"));
    assert_non_null(strstr(tu_log_text(), "CLBlast XgemmDirect: tuned parameters"));
    clnn_context_destroy(ctx);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* The knob validation reads a device's limits: on devices from a CPU to a small GPU (and
 * Oclgrind's simulated one) every default setting is valid, and every setting of the knob
 * tables beyond a limit is refused, so neither the heuristic nor the tuner offers one. */
static void test_knobs_respect_device_limits(void **state)
{
    (void)state;
    static const struct {
        clnn_device_type type;
        size_t wg, items[3];
        unsigned vec;
    } devs[] = {
        {CLNN_DEVICE_TYPE_CPU, 4096, {4096, 4096, 4096}, 16},
        {CLNN_DEVICE_TYPE_CPU, 8192, {8192, 8192, 8192}, 1}, /* Intel's CPU runtime */
        {CLNN_DEVICE_TYPE_GPU, 1024, {1024, 1024, 64}, 1},   /* NVIDIA */
        {CLNN_DEVICE_TYPE_GPU, 256, {256, 256, 256}, 4},     /* Oclgrind, AMD */
        {CLNN_DEVICE_TYPE_GPU, 32, {32, 8, 8}, 4},           /* a small embedded GPU */
    };
    static const clnn_conv_algo algos[] = {CLNN_CONV_ALGO_DIRECT, CLNN_CONV_ALGO_GEMM_1X1,
                                           CLNN_CONV_ALGO_WINOGRAD_2X2,
                                           CLNN_CONV_ALGO_WINOGRAD_4X4};
    long checked = 0, refused = 0;
    for (size_t d = 0; d < CLNN_ARRAY_LEN(devs); d++) {
        clnn_device_info info;
        memset(&info, 0, sizeof info);
        info.type = devs[d].type;
        info.max_work_group_size = devs[d].wg;
        for (int k = 0; k < 3; k++) info.max_work_item_sizes[k] = devs[d].items[k];
        info.native_vector_width_float = devs[d].vec;
        for (size_t a = 0; a < CLNN_ARRAY_LEN(algos); a++) {
            clnn_conv_params p;
            memset(&p, 0, sizeof p);
            p.batch = 1, p.in_channels = 64, p.in_height = p.in_width = 28, p.out_channels = 64;
            p.kernel_h = p.kernel_w = algos[a] == CLNN_CONV_ALGO_GEMM_1X1 ? 1 : 3;
            p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = p.kernel_h / 2;
            clnn_knob_config cfg;
            const char *why;
            clnn_knobs_default(algos[a], &p, &info, &cfg);
            if (!clnn_knobs_valid(algos[a], &cfg, &p, &info, &why))
                fail_msg("device %zu, %s: the default is refused (%s)", d,
                         clnn_conv_algo_name(algos[a]), why);
            /* Every work-group shape of the table around the default. */
            const clnn_algo_knobs *t = clnn_knobs_table(algos[a]);
            for (int x = 0; x < t->knobs[3].nvalues; x++)
                for (int y = 0; y < t->knobs[4].nvalues; y++) {
                    cfg.v[3] = t->knobs[3].values[x];
                    cfg.v[4] = t->knobs[4].values[y];
                    bool over = (size_t)cfg.v[3] * cfg.v[4] > info.max_work_group_size ||
                                (size_t)cfg.v[3] > info.max_work_item_sizes[0] ||
                                (size_t)cfg.v[4] > info.max_work_item_sizes[1];
                    bool ok = clnn_knobs_valid(algos[a], &cfg, &p, &info, &why);
                    if (over && ok)
                        fail_msg("device %zu, %s: work-group %dx%d is beyond the device and "
                                 "was accepted", d, clnn_conv_algo_name(algos[a]), cfg.v[3],
                                 cfg.v[4]);
                    checked++;
                    refused += over;
                }
        }
    }
    print_message("%ld work-group settings checked against device limits, %ld refused\n",
                  checked, refused);
    assert_true(refused > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_lookup_order),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_conv_follows_database),
        cmocka_unit_test(test_choice_needs_margin),
        cmocka_unit_test(test_predict_uses_database),
        cmocka_unit_test(test_rejected_never_chosen),
        cmocka_unit_test(test_search_tiny_layer),
        cmocka_unit_test(test_seeds_tried),
        cmocka_unit_test(test_clblast_constraints),
        cmocka_unit_test(test_clblast_applied),
        cmocka_unit_test(test_knobs_respect_device_limits),
    };
    return cmocka_run_group_tests_name("tune", tests, setup, NULL);
}
