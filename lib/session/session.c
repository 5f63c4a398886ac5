/*
 * session.c - sessions: create (copy the graph, infer shapes for the batch, passes, memory
 * plan, device buffers, prepare every layer once), set inputs, run, read outputs, per-layer
 * profile and verification against the C references.
 */
#include "session.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool strided_op(clnn_op op)
{
    const clnn_layer_impl *impl = clnn_layer_find(op);
    return impl && impl->strided_output;
}

static size_t images_of(const gtensor *t) { return t->ndim > 0 && t->dims[0] > 0 ? (size_t)t->dims[0] : 1; }

static clnn_status sub_buffer(clnn_session *s, size_t offset, size_t bytes, cl_mem *out)
{
    cl_buffer_region r = {offset, bytes};
    cl_int err;
    *out = clCreateSubBuffer(s->arena, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
    if (err != CL_SUCCESS)
        return clnn_fail_cl(s->ctx, err, "creating a %zu-byte view at offset %zu of the arena",
                            bytes, offset);
    return CLNN_STATUS_OK;
}

static clnn_status upload(clnn_session *s, clnn_device *dev, const void *data, size_t bytes,
                          cl_mem *out, const char *what)
{
    cl_int err;
    *out = clCreateBuffer(dev->cl_ctx, CL_MEM_READ_WRITE | (data ? CL_MEM_COPY_HOST_PTR : 0),
                          bytes, (void *)data, &err);
    if (err != CL_SUCCESS)
        return clnn_fail_cl(s->ctx, err, "allocating %zu bytes for %s on '%s'", bytes, what,
                            dev->info.name);
    return CLNN_STATUS_OK;
}

/* Device buffers: the arena with a sub-buffer per storage, graph inputs, the constants that
 * layers read on the device, and each tensor's location. */
static clnn_status allocate(clnn_session *s)
{
    clnn_device *dev = &s->ctx->devices[s->device];
    const clnn_graph *g = s->g;
    const clnn_plan *p = &s->plan;
    s->loc = calloc((size_t)g->ntensors, sizeof *s->loc);
    s->own_mems = calloc((size_t)g->ntensors, sizeof *s->own_mems);
    s->storage_mems = calloc((size_t)(p->nstorages ? p->nstorages : 1), sizeof *s->storage_mems);
    if (!s->loc || !s->own_mems || !s->storage_mems)
        return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session buffers");
    clnn_status st = CLNN_STATUS_OK;
    if (p->arena_bytes) {
        if (p->arena_bytes > dev->info.max_alloc_bytes)
            return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_DEVICE_MEMORY,
                             "the activations need %zu bytes but device '%s' allocates at most "
                             "%llu in one buffer: use a smaller batch",
                             p->arena_bytes, dev->info.name,
                             (unsigned long long)dev->info.max_alloc_bytes);
        st = upload(s, dev, NULL, p->arena_bytes, &s->arena, "the activation arena");
    }
    for (int i = 0; st == CLNN_STATUS_OK && i < p->nstorages; i++)
        st = sub_buffer(s, p->storage_offset[i], p->storage_bytes[i], &s->storage_mems[i]);
    for (int i = 0; st == CLNN_STATUS_OK && i < g->ninputs; i++) {
        int t = g->inputs[i];
        st = upload(s, dev, NULL, clnn_tensor_bytes(&g->tensors[t]), &s->own_mems[t], "an input");
    }
    /* Constants read on the device (not consumed by a layer's prepare). */
    for (int oi = 0; st == CLNN_STATUS_OK && oi < s->norder; oi++) {
        const gnode *n = &g->nodes[s->order[oi]];
        const clnn_layer_impl *impl = clnn_layer_find(n->op);
        for (int k = 0; impl && k < n->ninputs; k++) {
            int t = n->inputs[k];
            if (t < 0 || !g->tensors[t].data || (impl->host_inputs >> k & 1) || s->own_mems[t])
                continue;
            st = upload(s, dev, g->tensors[t].data, clnn_tensor_bytes(&g->tensors[t]),
                        &s->own_mems[t], "a constant");
            if (st != CLNN_STATUS_OK) break;
        }
    }
    if (st != CLNN_STATUS_OK) return st;
    for (int t = 0; t < g->ntensors; t++) {
        const plan_tensor *pt = &p->tensors[t];
        tensor_loc *l = &s->loc[t];
        const gtensor *x = &g->tensors[t];
        l->img_stride = (int)(clnn_tensor_count(x) / images_of(x));
        if (s->own_mems[t]) {
            l->mem = s->own_mems[t];
            continue;
        }
        int root = pt->root;
        if (root < 0) continue;
        if (p->tensors[root].in_concat >= 0) {
            const plan_tensor *rt = &p->tensors[root];
            int c = rt->in_concat;
            l->mem = p->tensors[c].storage >= 0 ? s->storage_mems[p->tensors[c].storage] : NULL;
            l->off = (int)rt->off;
            l->img_stride = (int)rt->img_stride;
        } else if (p->tensors[root].storage >= 0) {
            l->mem = s->storage_mems[p->tensors[root].storage];
        } else if (s->own_mems[root]) {
            l->mem = s->own_mems[root]; /* a view of a graph input */
        }
    }
    return CLNN_STATUS_OK;
}

static clnn_status prepare_layers(clnn_session *s)
{
    clnn_device *dev = &s->ctx->devices[s->device];
    s->layers = calloc((size_t)(s->norder ? s->norder : 1), sizeof *s->layers);
    if (!s->layers) return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session layers");
    for (int oi = 0; oi < s->norder; oi++) {
        const gnode *n = &s->g->nodes[s->order[oi]];
        const clnn_layer_impl *impl = clnn_layer_find(n->op);
        if (!impl) continue; /* views */
        session_layer *L = &s->layers[s->nlayers];
        L->node = s->order[oi];
        L->impl = impl;
        L->device = s->device;
        snprintf(L->op_label, sizeof L->op_label, "%s",
                 n->fused.label[0] ? n->fused.label : clnn_op_name(n->op));
        clnn_status st = impl->prepare(s->ctx, dev, s->g, n, &L->state);
        if (st != CLNN_STATUS_OK) {
            if (L->state && impl->destroy) impl->destroy(L->state);
            L->state = NULL;
            return st;
        }
        s->nlayers++;
        const char *d = impl->describe ? impl->describe(L->state) : "";
        L->algorithm = strdup(d ? d : "");
        if (!L->algorithm) return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    }
    return CLNN_STATUS_OK;
}

static clnn_status record_names(clnn_session *s)
{
    const clnn_graph *g = s->g;
    s->nin = g->ninputs;
    s->nout = g->noutputs;
    s->in_names = calloc((size_t)s->nin, sizeof *s->in_names);
    s->out_names = calloc((size_t)s->nout, sizeof *s->out_names);
    s->in_tensor = malloc((size_t)s->nin * sizeof *s->in_tensor);
    s->out_tensor = malloc((size_t)s->nout * sizeof *s->out_tensor);
    if (!s->in_names || !s->out_names || !s->in_tensor || !s->out_tensor)
        return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    for (int i = 0; i < s->nin; i++) {
        s->in_tensor[i] = g->inputs[i];
        if (!(s->in_names[i] = strdup(g->tensors[g->inputs[i]].name)))
            return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    }
    for (int i = 0; i < s->nout; i++)
        if (!(s->out_names[i] = strdup(g->tensors[g->outputs[i]].name)))
            return clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    return CLNN_STATUS_OK;
}

clnn_status clnn_session_create(clnn_context *ctx, const clnn_graph *graph,
                                const clnn_session_options *options, clnn_session **out)
{
    if (!out) return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "clnn_session_create: session is NULL");
    *out = NULL;
    if (!ctx || !graph)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_session_create: the context and graph must not be NULL");
    clnn_session_options opt;
    memset(&opt, 0, sizeof opt);
    if (options) opt = *options;
    if (opt.batch > (1 << 20))
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "batch %d is too large", opt.batch);
    clnn_session *s = calloc(1, sizeof *s);
    if (!s) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_session_create");
    s->ctx = ctx;
    s->profiling = opt.enable_profiling;
    s->device = 0;
    clnn_status st = clnn_graph_clone(graph, &s->g);
    if (st == CLNN_STATUS_OK) st = record_names(s);
    if (st == CLNN_STATUS_OK) st = clnn_graph_infer(s->g, opt.batch, &s->order, &s->norder);
    if (st == CLNN_STATUS_OK) st = clnn_graph_optimize(s->g, !opt.disable_fusion);
    if (st == CLNN_STATUS_OK) {
        free(s->order);
        s->order = NULL;
        st = clnn_graph_infer(s->g, opt.batch, &s->order, &s->norder);
    }
    for (int i = 0; st == CLNN_STATUS_OK && i < s->nout; i++) s->out_tensor[i] = s->g->outputs[i];
    if (st == CLNN_STATUS_OK) {
        cl_uint align_bits = 1024;
        clGetDeviceInfo(ctx->devices[s->device].id, CL_DEVICE_MEM_BASE_ADDR_ALIGN,
                        sizeof align_bits, &align_bits, NULL);
        size_t align = align_bits / 8 > 256 ? align_bits / 8 : 256;
        st = clnn_plan_build(s->g, s->order, s->norder, align, strided_op, &s->plan);
    }
    if (st == CLNN_STATUS_OK) st = allocate(s);
    if (st == CLNN_STATUS_OK) st = prepare_layers(s);
    if (st != CLNN_STATUS_OK) {
        if (ctx) clnn_fail(ctx, st, "%s", clnn_last_error());
        clnn_session_destroy(s);
        return st;
    }
    *out = s;
    return CLNN_STATUS_OK;
}

void clnn_session_destroy(clnn_session *s)
{
    if (!s) return;
    for (int i = 0; i < s->nlayers; i++) {
        session_layer *L = &s->layers[i];
        if (L->state && L->impl->destroy) L->impl->destroy(L->state);
        if (L->event) clReleaseEvent(L->event);
        if (L->start) clReleaseEvent(L->start);
        free(L->algorithm);
    }
    free(s->layers);
    if (s->storage_mems)
        for (int i = 0; i < s->plan.nstorages; i++)
            if (s->storage_mems[i]) clReleaseMemObject(s->storage_mems[i]);
    if (s->own_mems && s->g)
        for (int t = 0; t < s->g->ntensors; t++)
            if (s->own_mems[t]) clReleaseMemObject(s->own_mems[t]);
    if (s->arena) clReleaseMemObject(s->arena);
    free(s->storage_mems);
    free(s->own_mems);
    free(s->loc);
    for (int i = 0; i < s->nin && s->in_names; i++) free(s->in_names[i]);
    for (int i = 0; i < s->nout && s->out_names; i++) free(s->out_names[i]);
    free(s->in_names);
    free(s->out_names);
    free(s->in_tensor);
    free(s->out_tensor);
    clnn_plan_free(&s->plan);
    free(s->order);
    clnn_graph_destroy(s->g);
    free(s);
}

/* Finds a graph input (is_input) or output by name; NULL name: the first one. */
static int find_io(const clnn_session *s, const char *name, bool input)
{
    int n = input ? s->nin : s->nout;
    char **names = input ? s->in_names : s->out_names;
    int *tensors = input ? s->in_tensor : s->out_tensor;
    for (int i = 0; i < n; i++)
        if (!name || strcmp(names[i], name) == 0) return tensors[i];
    return -1;
}

static clnn_status io_shape(const clnn_session *s, const char *name, bool input,
                            const int64_t **dims, size_t *ndim)
{
    if (!s || !dims || !ndim) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "NULL argument");
    int t = find_io(s, name, input);
    if (t < 0)
        return clnn_fail(s->ctx, CLNN_STATUS_INVALID_ARGUMENT, "the graph has no %s named '%s'",
                         input ? "input" : "output", name ? name : "");
    *dims = s->g->tensors[t].dims;
    *ndim = (size_t)s->g->tensors[t].ndim;
    return CLNN_STATUS_OK;
}

clnn_status clnn_session_input_shape(const clnn_session *s, const char *name,
                                     const int64_t **dims, size_t *ndim)
{
    return io_shape(s, name, true, dims, ndim);
}

clnn_status clnn_session_output_shape(const clnn_session *s, const char *name,
                                      const int64_t **dims, size_t *ndim)
{
    return io_shape(s, name, false, dims, ndim);
}

clnn_status clnn_session_set_input(clnn_session *s, const char *name, const float *data,
                                   size_t count)
{
    if (!s || !data) return clnn_fail(s ? s->ctx : NULL, CLNN_STATUS_INVALID_ARGUMENT,
                                      "clnn_session_set_input: NULL argument");
    int t = find_io(s, name, true);
    if (t < 0)
        return clnn_fail(s->ctx, CLNN_STATUS_INVALID_ARGUMENT, "the graph has no input named '%s'",
                         name ? name : "");
    const gtensor *x = &s->g->tensors[t];
    if (count != clnn_tensor_count(x)) {
        char b[128];
        return clnn_fail(s->ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "input '%s' takes %zu floats (shape %s) but %zu were given", x->name,
                         clnn_tensor_count(x), clnn_shape_str(x->dims, x->ndim, b, sizeof b),
                         count);
    }
    clnn_device *dev = &s->ctx->devices[s->device];
    cl_int err = clEnqueueWriteBuffer(dev->queue, s->own_mems[t], CL_TRUE, 0,
                                      count * sizeof(float), data, 0, NULL, NULL);
    if (err != CL_SUCCESS) return clnn_fail_cl(s->ctx, err, "writing input '%s'", x->name);
    return CLNN_STATUS_OK;
}

/* The io of layer L. */
static void layer_io_of(const clnn_session *s, const session_layer *L, layer_io *io)
{
    const gnode *n = &s->g->nodes[L->node];
    memset(io, 0, sizeof *io);
    for (int k = 0; k < n->ninputs; k++) {
        int t = n->inputs[k];
        if (t < 0 || (L->impl->host_inputs >> k & 1)) continue;
        /* A concat input written in place is skipped by the concat layer. */
        if (n->op == OP_CONCAT && s->plan.tensors[t].in_concat == n->outputs[0]) continue;
        io->in[k] = s->loc[t].mem;
    }
    if (n->fused.residual >= 0) io->residual = s->loc[n->fused.residual].mem;
    const tensor_loc *o = &s->loc[n->outputs[0]];
    io->out = o->mem;
    io->out_off = o->off;
    io->out_img_stride = o->img_stride;
}

clnn_status clnn_session_run(clnn_session *s)
{
    if (!s) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_session_run: NULL");
    clnn_device *dev = &s->ctx->devices[s->device];
    for (int i = 0; i < s->nlayers; i++) {
        session_layer *L = &s->layers[i];
        layer_io io;
        layer_io_of(s, L, &io);
        if (L->event) clReleaseEvent(L->event);
        if (L->start) clReleaseEvent(L->start);
        L->event = L->start = NULL;
        /* A layer may be several kernels: a marker before it times them all. */
        if (s->profiling && clEnqueueMarkerWithWaitList(dev->queue, 0, NULL, &L->start) != CL_SUCCESS)
            L->start = NULL;
        clnn_status st = L->impl->enqueue(L->state, dev->queue, &io, 0, NULL,
                                          s->profiling ? &L->event : NULL);
        if (st != CLNN_STATUS_OK) {
            clFinish(dev->queue);
            return clnn_fail(s->ctx, st, "running node '%s' (%s): %s",
                             s->g->nodes[L->node].name, L->op_label, clnn_last_error());
        }
    }
    cl_int err = clFinish(dev->queue);
    if (err != CL_SUCCESS) return clnn_fail_cl(s->ctx, err, "waiting for the session's run");
    if (s->profiling)
        for (int i = 0; i < s->nlayers; i++) {
            session_layer *L = &s->layers[i];
            cl_ulong t0 = 0, t1 = 0;
            cl_event first = L->start ? L->start : L->event;
            cl_profiling_info from = L->start ? CL_PROFILING_COMMAND_END : CL_PROFILING_COMMAND_START;
            if (L->event && clGetEventProfilingInfo(first, from, sizeof t0, &t0, NULL) == CL_SUCCESS &&
                clGetEventProfilingInfo(L->event, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) ==
                    CL_SUCCESS)
                L->ms = (double)(t1 - t0) * 1e-6;
        }
    return CLNN_STATUS_OK;
}

/* Reads tensor t (dense) from the device into host memory. */
static clnn_status read_tensor(clnn_session *s, int t, float *data)
{
    const gtensor *x = &s->g->tensors[t];
    size_t count = clnn_tensor_count(x);
    if (x->data) {
        memcpy(data, x->data, count * sizeof(float));
        return CLNN_STATUS_OK;
    }
    const tensor_loc *l = &s->loc[t];
    if (!l->mem) return clnn_fail(s->ctx, CLNN_STATUS_INTERNAL, "tensor '%s' has no buffer", x->name);
    clnn_device *dev = &s->ctx->devices[s->device];
    size_t images = images_of(x), per = count / images;
    cl_int err = CL_SUCCESS;
    if ((size_t)l->img_stride == per && l->off == 0) {
        err = clEnqueueReadBuffer(dev->queue, l->mem, CL_TRUE, 0, count * sizeof(float), data, 0,
                                  NULL, NULL);
    } else {
        for (size_t i = 0; i < images && err == CL_SUCCESS; i++)
            err = clEnqueueReadBuffer(dev->queue, l->mem, CL_TRUE,
                                      ((size_t)l->off + i * (size_t)l->img_stride) * sizeof(float),
                                      per * sizeof(float), data + i * per, 0, NULL, NULL);
    }
    if (err != CL_SUCCESS) return clnn_fail_cl(s->ctx, err, "reading tensor '%s'", x->name);
    return CLNN_STATUS_OK;
}

clnn_status clnn_session_get_output(clnn_session *s, const char *name, float *data,
                                    size_t count)
{
    if (!s || !data) return clnn_fail(s ? s->ctx : NULL, CLNN_STATUS_INVALID_ARGUMENT,
                                      "clnn_session_get_output: NULL argument");
    int t = find_io(s, name, false);
    if (t < 0)
        return clnn_fail(s->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "the graph has no output named '%s'", name ? name : "");
    const gtensor *x = &s->g->tensors[t];
    if (count != clnn_tensor_count(x))
        return clnn_fail(s->ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "output '%s' has %zu floats but the buffer holds %zu", name ? name : x->name,
                         clnn_tensor_count(x), count);
    return read_tensor(s, t, data);
}

size_t clnn_session_layer_count(const clnn_session *s) { return s ? (size_t)s->nlayers : 0; }

clnn_status clnn_session_layer(const clnn_session *s, size_t i, clnn_layer_info *info)
{
    if (!s || !info || i >= (size_t)s->nlayers)
        return clnn_fail(s ? s->ctx : NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_session_layer: bad argument");
    const session_layer *L = &s->layers[i];
    info->name = s->g->nodes[L->node].name;
    info->op = L->op_label;
    info->algorithm = L->algorithm ? L->algorithm : "";
    info->device = L->device;
    info->ms = L->ms;
    info->max_error = L->max_error;
    return CLNN_STATUS_OK;
}

void clnn_session_memory(const clnn_session *s, size_t *planned, size_t *naive)
{
    if (planned) *planned = s ? s->plan.arena_bytes : 0;
    if (naive) *naive = s ? s->plan.naive_bytes : 0;
}

/* Verification: every layer's inputs as the device computed them, the layer's C reference on
 * the host, and the error of the device output against it, relative to the output's scale. */
clnn_status clnn_session_verify(clnn_session *s)
{
    if (!s) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_session_verify: NULL");
    clnn_status st = clnn_session_run(s);
    if (st != CLNN_STATUS_OK) return st;
    /* With the arena shared between tensors, intermediate values are overwritten during a
     * run: replay layer by layer and check each right after it ran. */
    clnn_device *dev = &s->ctx->devices[s->device];
    for (int i = 0; i < s->nlayers && st == CLNN_STATUS_OK; i++) {
        session_layer *L = &s->layers[i];
        const gnode *n = &s->g->nodes[L->node];
        float *in[CLNN_MAX_NODE_INPUTS] = {0}, *res = NULL, *want = NULL, *got = NULL;
        for (int k = 0; k < n->ninputs && st == CLNN_STATUS_OK; k++) {
            if (n->inputs[k] < 0) continue;
            in[k] = malloc(clnn_tensor_bytes(&s->g->tensors[n->inputs[k]]));
            st = in[k] ? read_tensor(s, n->inputs[k], in[k])
                       : clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "verify");
        }
        if (st == CLNN_STATUS_OK && n->fused.residual >= 0) {
            res = malloc(clnn_tensor_bytes(&s->g->tensors[n->fused.residual]));
            st = res ? read_tensor(s, n->fused.residual, res)
                     : clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "verify");
        }
        const gtensor *o = &s->g->tensors[n->outputs[0]];
        size_t count = clnn_tensor_count(o);
        if (st == CLNN_STATUS_OK) {
            want = malloc(count * sizeof *want);
            got = malloc(count * sizeof *got);
            if (!want || !got) st = clnn_fail(s->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "verify");
        }
        if (st == CLNN_STATUS_OK) {
            layer_io io;
            layer_io_of(s, L, &io);
            st = L->impl->enqueue(L->state, dev->queue, &io, 0, NULL, NULL);
            if (st == CLNN_STATUS_OK) clFinish(dev->queue);
        }
        if (st == CLNN_STATUS_OK) st = read_tensor(s, n->outputs[0], got);
        if (st == CLNN_STATUS_OK)
            st = L->impl->reference(s->g, n, (const float *const *)in, res, want);
        if (st == CLNN_STATUS_OK) {
            double scale = 1.0, err = 0.0;
            for (size_t j = 0; j < count; j++) scale = fmax(scale, fabs(want[j]));
            for (size_t j = 0; j < count; j++) {
                double e = fabs((double)got[j] - want[j]);
                if (!(e <= err)) err = isnan(e) ? INFINITY : e; /* NaN counts as infinite */
            }
            L->max_error = err / scale;
        }
        for (int k = 0; k < CLNN_MAX_NODE_INPUTS; k++) free(in[k]);
        free(res), free(want), free(got);
    }
    return st;
}
