/*
 * test_sched.c - sessions spread over several devices: every schedule mode gives the results
 * of a single device; pinned layers run where pinned; a device whose kernel builds fail is
 * routed around; the trace is valid. Meson runs it with PoCL showing 2 and 3 devices
 * (POCL_DEVICES="pthread pthread", "pthread basic", "pthread pthread basic").
 *
 * Tolerance: 1e-4 * max(1, max |reference|): the same kernels run on every device, so only
 * the split of a batch across devices could change anything (it does not change arithmetic).
 */
#include "testutil.h"

#include "../lib/sched/sched.h"

#include <json-c/json.h>
#include <math.h>

#define N_IN (4 * 12 * 12)
#define N_OUT 5

static clnn_graph *graph;
static float *wA, *w1, *w2, *w3, *wf, *bf;

static float *rnd(size_t n, uint32_t seed, float scale)
{
    float *x = malloc(n * sizeof *x);
    tu_fill_uniform(x, n, seed, -scale, scale);
    return x;
}

static void add(clnn_graph *g, const char *op, const char *name, const char *const *in,
                size_t nin, const char *out, const clnn_attr *a, size_t na)
{
    clnn_status st = clnn_graph_add_node(g, op, name, in, nin, &out, 1, a, na);
    if (st) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

/* x -> convA (+relu) -> [conv1x1, conv3x3, maxpool] -> concat -> conv + residual(convA) + relu
 *   -> global average pool -> flatten -> gemm -> softmax */
static int setup(void **state)
{
    (void)state;
    clnn_graph_create(&graph);
    clnn_graph *g = graph;
    clnn_graph_add_input(g, "x", (int64_t[]){-1, 4, 12, 12}, 4);
    wA = rnd(8 * 4 * 9, 1, 0.3f), w1 = rnd(4 * 8, 2, 0.3f), w2 = rnd(4 * 8 * 9, 3, 0.3f);
    w3 = rnd(8 * 16 * 9, 4, 0.2f), wf = rnd(N_OUT * 8, 5, 1), bf = rnd(N_OUT, 6, 1);
    clnn_graph_add_constant(g, "wA", (int64_t[]){8, 4, 3, 3}, 4, wA);
    clnn_graph_add_constant(g, "w1", (int64_t[]){4, 8, 1, 1}, 4, w1);
    clnn_graph_add_constant(g, "w2", (int64_t[]){4, 8, 3, 3}, 4, w2);
    clnn_graph_add_constant(g, "w3", (int64_t[]){8, 16, 3, 3}, 4, w3);
    clnn_graph_add_constant(g, "wf", (int64_t[]){N_OUT, 8}, 2, wf);
    clnn_graph_add_constant(g, "bf", (int64_t[]){N_OUT}, 1, bf);
    static const int64_t pads[4] = {1, 1, 1, 1}, k3[2] = {3, 3};
    clnn_attr pad = CLNN_ATTR_IS("pads", pads, 4);
    add(g, "Conv", "convA", (const char *[]){"x", "wA"}, 2, "a", &pad, 1);
    add(g, "Relu", "reluA", (const char *[]){"a"}, 1, "ar", NULL, 0);
    add(g, "Conv", "conv1", (const char *[]){"ar", "w1"}, 2, "b1", NULL, 0);
    add(g, "Conv", "conv2", (const char *[]){"ar", "w2"}, 2, "b2", &pad, 1);
    add(g, "MaxPool", "pool", (const char *[]){"ar"}, 1, "b3",
        (clnn_attr[]){CLNN_ATTR_IS("kernel_shape", k3, 2), CLNN_ATTR_IS("pads", pads, 4)}, 2);
    add(g, "Concat", "cat", (const char *[]){"b1", "b2", "b3"}, 3, "c",
        (clnn_attr[]){CLNN_ATTR_I("axis", 1)}, 1);
    add(g, "Conv", "conv3", (const char *[]){"c", "w3"}, 2, "d", &pad, 1);
    add(g, "Add", "res", (const char *[]){"d", "ar"}, 2, "e", NULL, 0);
    add(g, "Relu", "relu3", (const char *[]){"e"}, 1, "er", NULL, 0);
    add(g, "GlobalAveragePool", "gap", (const char *[]){"er"}, 1, "p", NULL, 0);
    add(g, "Flatten", "flat", (const char *[]){"p"}, 1, "f", NULL, 0);
    add(g, "Gemm", "fc", (const char *[]){"f", "wf", "bf"}, 3, "z",
        (clnn_attr[]){CLNN_ATTR_I("transB", 1)}, 1);
    add(g, "Softmax", "prob", (const char *[]){"z"}, 1, "y", NULL, 0);
    clnn_graph_add_output(g, "y");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    clnn_graph_destroy(graph);
    free(wA), free(w1), free(w2), free(w3), free(wf), free(bf);
    return 0;
}

/* Output of `nb` images on one device (the reference). */
static void reference(const float *x, int nb, float *y)
{
    clnn_context *ctx;
    assert_int_equal(clnn_context_create("0:0", &ctx), CLNN_STATUS_OK);
    clnn_session_options o = {.batch = nb, .schedule = CLNN_SCHEDULE_SINGLE};
    clnn_session *s;
    assert_int_equal(clnn_session_create(ctx, graph, &o, &s), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_set_input(s, NULL, x, (size_t)nb * N_IN), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_get_output(s, NULL, y, (size_t)nb * N_OUT), CLNN_STATUS_OK);
    clnn_session_destroy(s);
    clnn_context_destroy(ctx);
}

static void expect_close(const float *got, const float *want, size_t n, const char *what)
{
    float scale = 1;
    for (size_t i = 0; i < n; i++) scale = fmaxf(scale, fabsf(want[i]));
    assert_true(tu_allclose(got, want, n, 1e-4f * scale, 0, what));
}

static clnn_context *all_devices(void)
{
    clnn_context *ctx;
    assert_int_equal(clnn_context_create("all", &ctx), CLNN_STATUS_OK);
    if (clnn_context_device_count(ctx) < 2)
        fail_msg("these tests need two or more devices (POCL_DEVICES=\"pthread pthread\")");
    return ctx;
}

/* Runs the graph in a mode with a forced plan; checks against one device, twice. */
static void check_mode(clnn_schedule_mode mode, const char *force, int nb, const char *expect)
{
    setenv("CLNN_TEST_SCHEDULE", force, 1);
    clnn_context *ctx = all_devices();
    clnn_session_options o = {.batch = nb, .schedule = mode, .enable_profiling = true};
    clnn_session *s;
    clnn_status st = clnn_session_create(ctx, graph, &o, &s);
    unsetenv("CLNN_TEST_SCHEDULE");
    if (st) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    print_message("%s\n", clnn_session_schedule(s));
    assert_non_null(strstr(clnn_session_schedule(s), expect));
    float *x = rnd((size_t)nb * N_IN, 7, 1), *want = malloc((size_t)nb * N_OUT * sizeof *want);
    float *got = malloc((size_t)nb * N_OUT * sizeof *got);
    reference(x, nb, want);
    for (int rep = 0; rep < 2; rep++) {
        assert_int_equal(clnn_session_set_input(s, NULL, x, (size_t)nb * N_IN), CLNN_STATUS_OK);
        st = clnn_session_run(s);
        if (st) print_error("%s\n", clnn_last_error());
        assert_int_equal(st, CLNN_STATUS_OK);
        assert_int_equal(clnn_session_get_output(s, NULL, got, (size_t)nb * N_OUT), CLNN_STATUS_OK);
        expect_close(got, want, (size_t)nb * N_OUT, expect);
    }
    /* A stream of three batches (a pipeline overlaps them). */
    float *xs = malloc(3 * (size_t)nb * N_IN * sizeof *xs), *ys = malloc(3 * (size_t)nb * N_OUT * sizeof *ys);
    for (int b = 0; b < 3; b++) memcpy(xs + (size_t)b * nb * N_IN, x, (size_t)nb * N_IN * sizeof *x);
    assert_int_equal(clnn_session_run_stream(s, 3, xs, ys), CLNN_STATUS_OK);
    for (int b = 0; b < 3; b++) expect_close(ys + (size_t)b * nb * N_OUT, want, (size_t)nb * N_OUT, "stream");
    assert_int_equal(clnn_session_verify(s), CLNN_STATUS_OK);
    for (size_t i = 0; i < clnn_session_layer_count(s); i++) {
        clnn_layer_info L;
        clnn_session_layer(s, i, &L);
        assert_true(L.max_error < 1e-4);
    }
    clnn_session_destroy(s);
    clnn_context_destroy(ctx);
    free(x), free(want), free(got), free(xs), free(ys);
}

/* A multi-device plan is measured against the best single device and the faster kept; the
 * results are right either way (which one wins depends on the machine). */
static void test_plan_check(void **state)
{
    (void)state;
    setenv("CLNN_TEST_PLAN_CHECK", "1", 1);
    check_mode(CLNN_SCHEDULE_THROUGHPUT, "split", 4, "measured");
    check_mode(CLNN_SCHEDULE_THROUGHPUT, "pipeline", 4, "measured");
    check_mode(CLNN_SCHEDULE_LATENCY, "heft", 1, "latency"); /* measured when spread */
    unsetenv("CLNN_TEST_PLAN_CHECK");
}

static void test_single(void **state)
{
    (void)state;
    check_mode(CLNN_SCHEDULE_SINGLE, "", 3, "single");
}
static void test_latency_heft(void **state)
{
    (void)state;
    check_mode(CLNN_SCHEDULE_LATENCY, "heft", 1, "HEFT");
    check_mode(CLNN_SCHEDULE_LATENCY, "heft", 3, "HEFT");
}
static void test_batch_split(void **state)
{
    (void)state;
    check_mode(CLNN_SCHEDULE_THROUGHPUT, "split", 3, "batch split");
    check_mode(CLNN_SCHEDULE_THROUGHPUT, "split", 7, "batch split");
}
static void test_pipeline(void **state)
{
    (void)state;
    check_mode(CLNN_SCHEDULE_THROUGHPUT, "pipeline", 2, "pipeline");
}

/* Layers pinned to a device run there, whatever the scheduler would pick, across copies. */
static void test_pins(void **state)
{
    (void)state;
    clnn_context *ctx = all_devices();
    size_t last = clnn_context_device_count(ctx) - 1;
    const char *names[] = {"convA", "conv2", "fc"};
    const size_t devs[] = {last, 0, last};
    clnn_session_options o = {.batch = 2, .schedule = CLNN_SCHEDULE_LATENCY, .pin_nodes = names,
                              .pin_devices = devs, .npins = 3};
    clnn_session *s;
    assert_int_equal(clnn_session_create(ctx, graph, &o, &s), CLNN_STATUS_OK);
    int seen = 0;
    for (size_t i = 0; i < clnn_session_layer_count(s); i++) {
        clnn_layer_info L;
        clnn_session_layer(s, i, &L);
        for (int k = 0; k < 3; k++)
            if (!strcmp(L.name, names[k])) {
                assert_int_equal(L.device, devs[k]);
                seen++;
            }
    }
    assert_int_equal(seen, 3);
    float *x = rnd(2 * N_IN, 8, 1), want[2 * N_OUT], got[2 * N_OUT];
    reference(x, 2, want);
    assert_int_equal(clnn_session_set_input(s, NULL, x, 2 * N_IN), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_get_output(s, NULL, got, 2 * N_OUT), CLNN_STATUS_OK);
    expect_close(got, want, 2 * N_OUT, "pinned");
    clnn_session_destroy(s);
    /* Errors: a name no layer has (a fused Relu), a device out of range. */
    const char *bad[] = {"reluA"};
    o.pin_nodes = bad;
    o.npins = 1;
    assert_int_equal(clnn_session_create(ctx, graph, &o, &s), CLNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clnn_last_error(), "reluA"));
    const size_t far[] = {99};
    o.pin_nodes = names;
    o.pin_devices = far;
    assert_int_equal(clnn_session_create(ctx, graph, &o, &s), CLNN_STATUS_INVALID_ARGUMENT);
    o.npins = 0;
    o.schedule = (clnn_schedule_mode)17;
    assert_int_equal(clnn_session_create(ctx, graph, &o, &s), CLNN_STATUS_INVALID_ARGUMENT);
    clnn_context_destroy(ctx);
    free(x);
}

/* Every build on the last device fails: the layers placed there move, with a warning. */
static void test_failing_device(void **state)
{
    (void)state;
    clnn_context *probe = all_devices();
    size_t last = clnn_context_device_count(probe) - 1;
    clnn_device_info info;
    assert_int_equal(clnn_context_device_info(probe, last, &info), CLNN_STATUS_OK);
    clnn_context_destroy(probe);
    char sel[32]; /* the last device as P:D, whatever platform it is on */
    snprintf(sel, sizeof sel, "%d:%d", info.platform_index, info.device_index);
    setenv("CLNN_TEST_FAIL_BUILD", sel, 1);
    clnn_context *ctx = all_devices();
    unsetenv("CLNN_TEST_FAIL_BUILD");
    const char *names[] = {"conv3"};
    const size_t devs[] = {last};
    for (int mode = 0; mode < 2; mode++) {
        clnn_session_options o = {.batch = 3,
                                  .schedule = mode ? CLNN_SCHEDULE_THROUGHPUT : CLNN_SCHEDULE_LATENCY,
                                  .pin_nodes = mode ? NULL : names,
                                  .pin_devices = mode ? NULL : devs,
                                  .npins = mode ? 0 : 1};
        setenv("CLNN_TEST_SCHEDULE", mode ? "split" : "heft", 1);
        tu_log_capture_begin();
        clnn_session *s;
        clnn_status st = clnn_session_create(ctx, graph, &o, &s);
        tu_log_capture_end();
        unsetenv("CLNN_TEST_SCHEDULE");
        if (st) print_error("%s\n", clnn_last_error());
        assert_int_equal(st, CLNN_STATUS_OK);
        /* Either its calibration or a layer's preparation met the failing builds. */
        assert_non_null(strstr(tu_log_text(), "refused by the test hook"));
        for (size_t i = 0; i < clnn_session_layer_count(s); i++) {
            clnn_layer_info L;
            clnn_session_layer(s, i, &L);
            assert_true(L.device != last);
        }
        float *x = rnd(3 * N_IN, 9, 1), want[3 * N_OUT], got[3 * N_OUT];
        reference(x, 3, want);
        assert_int_equal(clnn_session_set_input(s, NULL, x, 3 * N_IN), CLNN_STATUS_OK);
        assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
        assert_int_equal(clnn_session_get_output(s, NULL, got, 3 * N_OUT), CLNN_STATUS_OK);
        expect_close(got, want, 3 * N_OUT, "routed around a failing device");
        clnn_session_destroy(s);
        free(x);
    }
    clnn_context_destroy(ctx);
    /* No device can build: a clear error. */
    setenv("CLNN_TEST_FAIL_BUILD", "pthread", 1);
    char *saved = getenv("CLNN_TEST_FAIL_BUILD");
    (void)saved;
    clnn_context *none;
    assert_int_equal(clnn_context_create("pthread", &none), CLNN_STATUS_OK);
    unsetenv("CLNN_TEST_FAIL_BUILD");
    clnn_session *s;
    assert_int_equal(clnn_session_create(none, graph, NULL, &s), CLNN_STATUS_BUILD_FAILED);
    assert_non_null(strstr(clnn_last_error(), "no device can run layer"));
    clnn_context_destroy(none);
}

/* The trace is JSON with layer events on every device used and transfer events. */
static void test_trace(void **state)
{
    (void)state;
    setenv("CLNN_TEST_SCHEDULE", "heft", 1);
    clnn_context *ctx = all_devices();
    const char *names[] = {"convA", "conv3"};
    const size_t devs[] = {1, 0};
    clnn_session_options o = {.batch = 2, .schedule = CLNN_SCHEDULE_LATENCY,
                              .enable_profiling = true, .pin_nodes = names, .pin_devices = devs,
                              .npins = 2};
    clnn_session *s;
    assert_int_equal(clnn_session_create(ctx, graph, &o, &s), CLNN_STATUS_OK);
    unsetenv("CLNN_TEST_SCHEDULE");
    float *x = rnd(2 * N_IN, 10, 1);
    assert_int_equal(clnn_session_set_input(s, NULL, x, 2 * N_IN), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_run(s), CLNN_STATUS_OK);
    char *dir = tu_mkdtemp("trace"), *path = tu_path(dir, "t.json");
    assert_int_equal(clnn_session_write_trace(s, path), CLNN_STATUS_OK);
    json_object *root = json_object_from_file(path);
    assert_non_null(root);
    json_object *events;
    assert_true(json_object_object_get_ex(root, "traceEvents", &events));
    int layers_on[2] = {0, 0}, transfers = 0;
    for (size_t i = 0; i < json_object_array_length(events); i++) {
        json_object *e = json_object_array_get_idx(events, i), *cat, *tid, *dur;
        if (!json_object_object_get_ex(e, "cat", &cat)) continue;
        json_object_object_get_ex(e, "tid", &tid);
        assert_true(json_object_object_get_ex(e, "dur", &dur));
        assert_true(json_object_get_double(dur) >= 0);
        if (!strcmp(json_object_get_string(cat), "layer")) {
            int t = json_object_get_int(tid);
            if (t == 0 || t == 2) layers_on[t / 2]++;
        } else if (!strcmp(json_object_get_string(cat), "transfer")) {
            transfers++;
        }
    }
    assert_true(layers_on[0] > 0 && layers_on[1] > 0);
    assert_true(transfers >= 2);
    json_object_put(root);
    /* Without profiling there is nothing to write. */
    clnn_session_destroy(s);
    o.enable_profiling = false;
    o.npins = 0;
    assert_int_equal(clnn_session_create(ctx, graph, &o, &s), CLNN_STATUS_OK);
    assert_int_equal(clnn_session_write_trace(s, path), CLNN_STATUS_INVALID_ARGUMENT);
    clnn_session_destroy(s);
    tu_rmtree(dir);
    free(dir), free(path), free(x);
    clnn_context_destroy(ctx);
}

/* HEFT on synthetic problems: two independent chains spread over two equal devices; a chain
 * whose transfers cost more than they save stays on one device; a node one device cannot run
 * goes to the other. */
static void test_heft_unit(void **state)
{
    (void)state;
    clnn_calib fast = {.gflops = 100, .gbps = 10, .launch_us = 1, .h2d_gbps = 10,
                       .d2h_gbps = 10, .h2d_us = 10, .d2h_us = 10};
    clnn_calib calib[2] = {fast, fast};
    int node[4] = {0, 1, 2, 3}, dev[4], order[4];
    double makespan;
    /* 0 -> 1 and 2 -> 3, 1 ms each, tiny edges. */
    double cost[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    int ef[2] = {0, 2}, et[2] = {1, 3};
    double eb[2] = {4, 4};
    sched_problem p = {4, 2, node, cost, 2, ef, et, eb, calib, NULL};
    clnn_heft(&p, dev, order, &makespan);
    assert_true(dev[0] == dev[1] && dev[2] == dev[3] && dev[0] != dev[2]);
    assert_true(makespan < 2.2 && makespan > 1.9);
    assert_true(clnn_single_device_ms(&p, 0) > 3.9);
    /* A chain with 1 GB edges: everything on one device. */
    int ef2[3] = {0, 1, 2}, et2[3] = {1, 2, 3};
    double eb2[3] = {1e9, 1e9, 1e9};
    sched_problem q = {4, 2, node, cost, 3, ef2, et2, eb2, calib, NULL};
    clnn_heft(&q, dev, order, &makespan);
    assert_true(dev[0] == dev[1] && dev[1] == dev[2] && dev[2] == dev[3]);
    for (int i = 0; i < 4; i++) assert_int_equal(order[i], i); /* a chain runs in order */
    /* Device 0 cannot run node 2. */
    cost[4] = -1;
    clnn_heft(&q, dev, order, &makespan);
    assert_int_equal(dev[2], 1);
    assert_true(clnn_single_device_ms(&q, 0) > 1e20);
    /* Transfers are priced by both ends. */
    assert_true(clnn_transfer_ms(&calib[0], &calib[1], 1e9) > 150);
}

/* The batch split gives a device twice as fast twice the images (launch costs apart), and
 * none to a device that cannot run a node; the pipeline cuts a chain where its two stages
 * balance, and not at all on one device. */
static void test_split_pipeline_unit(void **state)
{
    (void)state;
    clnn_calib c = {.gflops = 100, .gbps = 10, .launch_us = 1, .h2d_gbps = 10, .d2h_gbps = 10,
                    .h2d_us = 10, .d2h_us = 10};
    clnn_calib calib[3] = {c, c, c};
    int node[4] = {0, 1, 2, 3}, share[3], dev[4];
    /* Per node and device: device 0 takes 3 ms, device 1 6 ms, device 2 cannot run node 2. */
    double cost[12] = {3, 6, 1, 3, 6, 1, 3, 6, -1, 3, 6, 1};
    double launch[12] = {0};
    int ef[3] = {0, 1, 2}, et[3] = {1, 2, 3};
    double eb[3] = {4, 4, 4};
    sched_problem p = {4, 3, node, cost, 3, ef, et, eb, calib, launch};
    double ms = clnn_sched_split_batch(&p, 12, share);
    assert_int_equal(share[0], 8);
    assert_int_equal(share[1], 4);
    assert_int_equal(share[2], 0);
    assert_true(fabs(ms - 8 * 12.0 / 12) < 1e-9); /* 8 images of 12 ms / 12 per image */
    /* A fixed launch part does not scale: a device with a high fixed cost takes fewer. */
    for (int i = 0; i < 4; i++) launch[i * 3 + 0] = 2.5; /* device 0: 10 of its 12 ms fixed */
    clnn_sched_split_batch(&p, 12, share);
    assert_true(share[0] < 8);
    /* Pipeline on two equal devices: the chain of four 3 ms nodes cuts in the middle. */
    double cost2[8] = {3, 3, 3, 3, 3, 3, 3, 3};
    sched_problem q = {4, 2, node, cost2, 3, ef, et, eb, calib, NULL};
    double period = clnn_sched_pipeline(&q, dev);
    assert_true(period > 6 && period < 6.1);
    assert_true(dev[0] == dev[1] && dev[2] == dev[3] && dev[1] != dev[2]);
    /* One device: no pipeline. */
    sched_problem one = {4, 1, node, cost2, 3, ef, et, eb, calib, NULL};
    assert_true(clnn_sched_pipeline(&one, dev) >= 1e30);
}

int main(void)
{
    /* The cross-platform run needs two OpenCL platforms (scripts/test.sh --intel shows
     * Intel's CPU runtime beside PoCL); without them it is a skip, with the reason. */
    const char *need = getenv("CLNN_TEST_NEED_PLATFORMS");
    if (need && atoi(need) > 1) {
        clnn_device_info *d = NULL;
        size_t n = 0;
        int platforms = 0;
        if (clnn_device_list(&d, &n) == CLNN_STATUS_OK)
            for (size_t i = 0; i < n; i++)
                if (d[i].platform_index + 1 > platforms) platforms = d[i].platform_index + 1;
        clnn_device_list_free(d);
        if (platforms < atoi(need)) {
            printf("skip: %d OpenCL platform(s) visible, this run needs %s (see "
                   "scripts/intel_ocl.sh)\n", platforms, need);
            return 77;
        }
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single),     cmocka_unit_test(test_latency_heft),
        cmocka_unit_test(test_batch_split), cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_pins),       cmocka_unit_test(test_failing_device),
        cmocka_unit_test(test_trace),      cmocka_unit_test(test_heft_unit),
        cmocka_unit_test(test_split_pipeline_unit), cmocka_unit_test(test_plan_check),
    };
    return cmocka_run_group_tests_name("sched", tests, setup, teardown);
}
