/* layertest.c - see layertest.h. */
#include "layertest.h"

#include <math.h>

clnn_context *lt_ctx;
clnn_device *lt_dev;
cl_context lt_cl_ctx;
cl_command_queue lt_queue; /* out-of-order when the device allows it */
static bool own_queue;

int lt_setup(void **state)
{
    (void)state;
    if (tu_context(&lt_ctx) != CLNN_STATUS_OK) return -1;
    cl_device_id id;
    cl_command_queue in_order;
    if (clnn_context_cl_handles(lt_ctx, 0, &lt_cl_ctx, &id, &in_order) != CLNN_STATUS_OK) return -1;
    lt_dev = clnn_context_device(lt_ctx, 0);
    cl_int err;
    lt_queue = clCreateCommandQueue(lt_cl_ctx, id, CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, &err);
    own_queue = err == CL_SUCCESS;
    if (!own_queue) {
        print_message("no out-of-order lt_queue on this device (%d): testing in order\n", (int)err);
        lt_queue = in_order;
    }
    return 0;
}

int lt_teardown(void **state)
{
    (void)state;
    if (own_queue) clReleaseCommandQueue(lt_queue);
    clnn_context_destroy(lt_ctx);
    return 0;
}

/* ---- one-node graphs ------------------------------------------------------------------- */

clnn_graph *lt_graph(int opset)
{
    clnn_graph *g = NULL;
    assert_int_equal(clnn_graph_create(&g), CLNN_STATUS_OK);
    g->opset = opset;
    return g;
}

void lt_input(clnn_graph *g, const char *name, const int64_t *dims, size_t nd)
{
    clnn_status st = clnn_graph_add_input(g, name, dims, nd);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
}

/* A constant of random values in [lo, hi). */
void lt_constant(clnn_graph *g, const char *name, const int64_t *dims, size_t nd,
                     uint32_t seed, float lo, float hi)
{
    size_t n = (size_t)clnn_shape_count(dims, (int)nd);
    float *v = malloc((n ? n : 1) * sizeof *v);
    tu_fill_uniform(v, n, seed, lo, hi);
    clnn_status st = clnn_graph_add_constant(g, name, dims, nd, v);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    free(v);
}

/* Adds the node (output "y", a graph output) and infers shapes with the declared batch. */
gnode *lt_node(clnn_graph *g, const char *op, const char *const *inputs, size_t nin,
                   const clnn_attr *attrs, size_t nattrs)
{
    const char *out[] = {"y"};
    clnn_status st = clnn_graph_add_node(g, op, "n0", inputs, nin, out, 1, attrs, nattrs);
    if (st == CLNN_STATUS_OK) st = clnn_graph_add_output(g, "y");
    int *order = NULL, norder = 0;
    if (st == CLNN_STATUS_OK) st = clnn_graph_infer(g, 0, &order, &norder);
    if (st != CLNN_STATUS_OK) print_error("%s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    assert_int_equal(norder, 1);
    free(order);
    return &g->nodes[0];
}

/* ---- running a layer ------------------------------------------------------------------- */



/* A buffer that holds NaN until the gate opens, then `data` (*ev: the write). A layer that
 * does not wait for its wait list reads NaN. */
cl_mem lt_buffer_with(const float *data, size_t n, cl_event gate, cl_event *ev)
{
    cl_int err;
    size_t bytes = (n ? n : 1) * sizeof(float);
    cl_mem m = clCreateBuffer(lt_cl_ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
    assert_int_equal(err, CL_SUCCESS);
    float nan = NAN;
    cl_event filled;
    assert_int_equal(clEnqueueFillBuffer(lt_queue, m, &nan, sizeof nan, 0, bytes, 0, NULL, &filled),
                     CL_SUCCESS);
    assert_int_equal(clWaitForEvents(1, &filled), CL_SUCCESS); /* not clFinish: gated writes */
    clReleaseEvent(filled);
    assert_int_equal(clEnqueueWriteBuffer(lt_queue, m, CL_FALSE, 0, n * sizeof(float), data, 1,
                                          &gate, ev),
                     CL_SUCCESS);
    return m;
}

/* Runs node n of g through impl on the device (*got) and through its reference (*want), both
 * malloc'ed with *count floats. */
void lt_run_node(const clnn_layer_impl *impl, const clnn_graph *g, const gnode *n,
                     const run_opts *ro, float **got, float **want, size_t *count)
{
    const size_t nout = clnn_tensor_count(clnn_node_output(g, n));
    float *host[CLNN_MAX_NODE_INPUTS] = {0}, *owned[CLNN_MAX_NODE_INPUTS] = {0};
    for (int k = 0; k < n->ninputs; k++) {
        const gtensor *t = clnn_node_input(g, n, k);
        if (!t) continue;
        if (t->data) {
            host[k] = t->data;
            continue;
        }
        size_t c = clnn_tensor_count(t);
        owned[k] = host[k] = malloc((c ? c : 1) * sizeof(float));
        if (t->idata) { /* integer constants reach a device as floats */
            for (size_t i = 0; i < c; i++) host[k][i] = (float)t->idata[i];
            continue;
        }
        tu_fill_uniform(host[k], c, ro->seed * 31u + (uint32_t)k, ro->lo, ro->hi);
        if (t->dtype == CLNN_DTYPE_BOOL) /* 0 / 1, as a device holds BOOL */
            for (size_t i = 0; i < c; i++) host[k][i] = host[k][i] >= 0.5f * (ro->lo + ro->hi);
    }
    void *state = NULL;
    clnn_status st = impl->prepare(lt_ctx, lt_dev, g, n, &state);
    if (st != CLNN_STATUS_OK) print_error("prepare: %s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    if (impl->describe) assert_non_null(impl->describe(state));

    layer_io io;
    memset(&io, 0, sizeof io);
    cl_event wait[CLNN_MAX_NODE_INPUTS + 2];
    cl_uint nw = 0;
    cl_int err;
    cl_event gate = clCreateUserEvent(lt_cl_ctx, &err);
    assert_int_equal(err, CL_SUCCESS);
    cl_mem mems[CLNN_MAX_NODE_INPUTS] = {0};
    for (int k = 0; k < n->ninputs; k++) {
        if (!host[k] || (impl->host_inputs >> k & 1) || (ro->null_inputs >> k & 1)) continue;
        mems[k] = lt_buffer_with(host[k], clnn_tensor_count(clnn_node_input(g, n, k)), gate,
                              &wait[nw++]);
        io.in[k] = mems[k];
    }
    float *init = malloc(nout * sizeof *init);
    for (size_t i = 0; i < nout; i++) init[i] = ro->sentinel;
    cl_mem out = NULL;
    if (ro->in_place) {
        io.out = io.in[0];
    } else {
        out = lt_buffer_with(init, nout, gate, &wait[nw++]);
        io.out = out;
    }
    /* Dense: one image's floats (layers without strided_output ignore it). */
    const gtensor *yt = clnn_node_output(g, n);
    const size_t imgs = yt->ndim > 0 && yt->dims[0] > 0 ? (size_t)yt->dims[0] : 1;
    io.out_img_stride = (int)(nout / imgs);
    wait[nw++] = gate;
    cl_event done = NULL;
    st = impl->enqueue(state, lt_queue, &io, nw, wait, ro->no_done ? NULL : &done);
    if (st != CLNN_STATUS_OK) print_error("enqueue: %s\n", clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    assert_int_equal(clSetUserEventStatus(gate, CL_COMPLETE), CL_SUCCESS);
    float *y = malloc(nout * sizeof *y);
    if (ro->no_done) {
        assert_int_equal(clFinish(lt_queue), CL_SUCCESS);
        assert_int_equal(clEnqueueReadBuffer(lt_queue, io.out, CL_TRUE, 0, nout * sizeof *y, y, 0,
                                             NULL, NULL),
                         CL_SUCCESS);
    } else {
        assert_non_null(done);
        assert_int_equal(clEnqueueReadBuffer(lt_queue, io.out, CL_TRUE, 0, nout * sizeof *y, y, 1,
                                             &done, NULL),
                         CL_SUCCESS);
        clReleaseEvent(done);
    }
    assert_int_equal(clFinish(lt_queue), CL_SUCCESS);
    float *ref = malloc(nout * sizeof *ref);
    st = impl->reference(g, n, (const float *const *)host, NULL, ref);
    assert_int_equal(st, CLNN_STATUS_OK);

    impl->destroy(state);
    for (cl_uint i = 0; i < nw; i++) clReleaseEvent(wait[i]);
    for (int k = 0; k < n->ninputs; k++) {
        if (mems[k]) clReleaseMemObject(mems[k]);
        free(owned[k]);
    }
    if (out) clReleaseMemObject(out);
    free(init);
    *got = y;
    *want = ref;
    *count = nout;
}

run_opts lt_defaults(uint32_t seed)
{
    return (run_opts){.lo = -4.0f, .hi = 4.0f, .sentinel = NAN, .seed = seed};
}

/* Runs and compares; returns 1 when the device agrees with the reference. */
int lt_check(const clnn_layer_impl *impl, clnn_graph *g, const run_opts *ro, float atol,
                 float rtol, const char *what)
{
    /* Under a simulator (CLNN_TEST_SMALL) the big cases are left to the native runs. */
    if (tu_small() && clnn_tensor_count(clnn_node_output(g, &g->nodes[0])) > (1u << 15)) return 1;
    float *got, *want;
    size_t n;
    lt_run_node(impl, g, &g->nodes[0], ro, &got, &want, &n);
    int ok = tu_allclose(got, want, n, atol, rtol, what);
    free(got);
    free(want);
    return ok;
}

const char *lt_shape_of(const clnn_graph *g, int t, char *buf, size_t cap)
{
    return clnn_shape_str(g->tensors[t].dims, g->tensors[t].ndim, buf, cap);
}


int lt_compare_folded(const clnn_graph *g, uint32_t seed, float lo, float hi, float atol,
                      float rtol, const char *what)
{
    const size_t nin = clnn_graph_input_count(g), nout = clnn_graph_output_count(g);
    float **x = calloc(nin ? nin : 1, sizeof *x);
    size_t *xn = calloc(nin ? nin : 1, sizeof *xn);
    clnn_graph *folded = NULL;
    assert_int_equal(clnn_graph_clone(g, &folded), CLNN_STATUS_OK);
    /* The folded copy keeps one unused input so that it is a graph at all. */
    static const int64_t one = 1;
    assert_int_equal(clnn_graph_add_input(folded, "lt#unused", &one, 1), CLNN_STATUS_OK);
    for (size_t i = 0; i < nin; i++) {
        const gtensor *t = &g->tensors[g->inputs[i]];
        xn[i] = clnn_tensor_count(t);
        x[i] = malloc((xn[i] ? xn[i] : 1) * sizeof **x);
        tu_fill_uniform(x[i], xn[i], seed * 17u + (uint32_t)i, lo, hi);
        assert_int_equal(clnn_graph_bind_input(folded, t->name, x[i], xn[i]), CLNN_STATUS_OK);
    }
    clnn_compiled *cg = NULL;
    clnn_status st = clnn_graph_compile(folded, 0, false, &cg);
    if (st != CLNN_STATUS_OK) print_error("%s: folding: %s\n", what, clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    clnn_session *s = NULL;
    st = clnn_session_create(lt_ctx, g, NULL, &s);
    if (st != CLNN_STATUS_OK) print_error("%s: session: %s\n", what, clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    for (size_t i = 0; i < nin; i++)
        assert_int_equal(clnn_session_set_input(s, clnn_graph_input_name(g, i), x[i], xn[i]),
                         CLNN_STATUS_OK);
    st = clnn_session_run(s);
    if (st != CLNN_STATUS_OK) print_error("%s: run: %s\n", what, clnn_last_error());
    assert_int_equal(st, CLNN_STATUS_OK);
    int ok = 1;
    for (size_t i = 0; i < nout && ok; i++) {
        const gtensor *w = &cg->g->tensors[cg->g->outputs[i]];
        const size_t n = clnn_tensor_count(w);
        float *want = malloc((n ? n : 1) * sizeof *want), *got = malloc((n ? n : 1) * sizeof *got);
        for (size_t k = 0; k < n; k++) want[k] = w->data ? w->data[k] : (float)w->idata[k];
        assert_true(w->data || w->idata);
        st = clnn_session_get_output(s, clnn_graph_output_name(g, i), got, n);
        if (st != CLNN_STATUS_OK) print_error("%s: output: %s\n", what, clnn_last_error());
        assert_int_equal(st, CLNN_STATUS_OK);
        ok = tu_allclose(got, want, n, atol, rtol, what);
        free(want);
        free(got);
    }
    clnn_session_destroy(s);
    clnn_compiled_destroy(cg);
    clnn_graph_destroy(folded);
    for (size_t i = 0; i < nin; i++) free(x[i]);
    free(x);
    free(xn);
    return ok;
}
