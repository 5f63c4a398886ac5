/*
 * exec.c - executable instances of a graph (see exec.h): optimized graph copy, layers
 * prepared on their devices (moving to another device when a build fails or memory runs
 * out), cross-device copies, per-device memory plans and arenas, and the run itself.
 */
#include "exec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NDEV(x) ((x)->ctx->ndevices)
#define LOC(x, t, d) (&(x)->loc[(size_t)(t) * NDEV(x) + (size_t)(d)])
#define OWN(x, t, d) ((x)->own[(size_t)(t) * NDEV(x) + (size_t)(d)])

static bool strided_op(clnn_op op)
{
    const clnn_layer_impl *impl = clnn_layer_find(op);
    return impl && impl->strided_output;
}

static size_t images_of(const gtensor *t)
{
    return t->ndim > 0 && t->dims[0] > 0 ? (size_t)t->dims[0] : 1;
}

/* The root tensor whose storage t uses, and the device that produces it (-1: a graph input
 * or constant, present wherever needed). */
static int root_of(const exec_instance *x, int t)
{
    int r = x->pt[t].root;
    return r < 0 ? t : r;
}

static int device_of_root(const exec_instance *x, int r)
{
    int p = x->g->tensors[r].producer;
    return p >= 0 && !x->g->tensors[r].is_input ? x->node_device[p] : -1;
}

/* ---- preparation ----------------------------------------------------------------------- */

/* Every tensor a layer reads or writes on device d must fit one buffer of it: checked before
 * any kernel is built, as OUT_OF_DEVICE_MEMORY (the layer then tries another device). */
static clnn_status tensors_fit(const exec_instance *x, const gnode *n, int d)
{
    const clnn_device *dev = &x->ctx->devices[d];
    for (int k = 0; k < n->ninputs + n->noutputs; k++) {
        int t = k < n->ninputs ? n->inputs[k] : n->outputs[k - n->ninputs];
        if (t < 0) continue;
        const size_t bytes = clnn_tensor_bytes(&x->g->tensors[t]);
        if (bytes > dev->info.max_alloc_bytes)
            return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_DEVICE_MEMORY,
                             "tensor '%s' of layer '%s' needs %.2f GiB; device '%s' allocates at "
                             "most %.2f GiB in one buffer (a smaller batch or input helps)",
                             x->g->tensors[t].name, n->name, bytes / 1073741824.0,
                             dev->info.name, dev->info.max_alloc_bytes / 1073741824.0);
    }
    return CLNN_STATUS_OK;
}

static clnn_status prepare_layer(exec_instance *x, exec_layer *L, const bool *allowed)
{
    const gnode *n = &x->g->nodes[L->node];
    size_t nd = NDEV(x);
    clnn_status st = CLNN_STATUS_INTERNAL;
    char first_error[512] = "";
    for (size_t k = 0; k <= nd; k++) {
        /* The placed device first, then the others in order. */
        int d = k == 0 ? L->device : (int)k - 1;
        if (k > 0 && d == L->device) continue;
        if (allowed && !allowed[d]) continue;
        st = tensors_fit(x, n, d);
        if (st == CLNN_STATUS_OK)
            st = L->impl->prepare(x->ctx, &x->ctx->devices[d], x->g, n, &L->state);
        if (st == CLNN_STATUS_OK) {
            if (d != L->device)
                clnn_warn("layer '%s' (%s) could not be prepared on device %d '%s' (%s); it runs "
                          "on device %d '%s' instead",
                          n->name, L->op_label, L->device,
                          x->ctx->devices[L->device].info.name, first_error, d,
                          x->ctx->devices[d].info.name);
            L->device = d;
            x->node_device[L->node] = d;
            return CLNN_STATUS_OK;
        }
        if (L->state && L->impl->destroy) L->impl->destroy(L->state);
        L->state = NULL;
        if (k == 0) snprintf(first_error, sizeof first_error, "%.500s", clnn_last_error());
        if (st != CLNN_STATUS_BUILD_FAILED && st != CLNN_STATUS_OUT_OF_DEVICE_MEMORY) return st;
    }
    return clnn_fail(x->ctx, st, "no device can run layer '%s' (%s): %s", n->name, L->op_label,
                     first_error);
}

static clnn_status make_layers(exec_instance *x, const exec_spec *spec, const bool *allowed)
{
    const clnn_graph *g = x->g;
    x->layers = calloc((size_t)(x->norder ? x->norder : 1), sizeof *x->layers);
    x->node_device = malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *x->node_device);
    if (!x->layers || !x->node_device)
        return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session layers");
    for (int i = 0; i < g->nnodes; i++)
        x->node_device[i] = spec->node_device ? spec->node_device[i] : spec->device;
    for (int oi = 0; oi < x->norder; oi++) {
        const gnode *n = &g->nodes[x->order[oi]];
        const clnn_layer_impl *impl = clnn_layer_find(n->op);
        if (!impl) continue; /* views (compilation leaves nothing else without a layer) */
        exec_layer *L = &x->layers[x->nlayers];
        L->node = x->order[oi];
        L->impl = impl;
        L->device = x->node_device[L->node];
        if (L->device < 0 || (size_t)L->device >= NDEV(x)) L->device = 0;
        snprintf(L->op_label, sizeof L->op_label, "%s",
                 n->fused.label[0] ? n->fused.label : clnn_op_name(n->op));
        clnn_status st = prepare_layer(x, L, allowed);
        if (st != CLNN_STATUS_OK) return st;
        x->nlayers++;
        const char *d = impl->describe ? impl->describe(L->state) : "";
        if (!(L->algorithm = strdup(d ? d : "")))
            return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    }
    /* Views sit on their input's device. */
    for (int oi = 0; oi < x->norder; oi++) {
        const gnode *n = &g->nodes[x->order[oi]];
        if (clnn_layer_find(n->op)) continue;
        int p = g->tensors[n->inputs[0]].producer;
        x->node_device[x->order[oi]] = p >= 0 ? x->node_device[p] : -1;
    }
    return CLNN_STATUS_OK;
}

/* ---- structure: views, concatenations in place, copies --------------------------------- */

static clnn_status plan_structure(exec_instance *x)
{
    const clnn_graph *g = x->g;
    x->pt = calloc((size_t)g->ntensors, sizeof *x->pt);
    int *readers = calloc((size_t)g->ntensors, sizeof *readers);
    if (!x->pt || !readers) {
        free(readers);
        return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "memory plan");
    }
    for (int t = 0; t < g->ntensors; t++) {
        x->pt[t].root = g->tensors[t].data || g->tensors[t].idata ? -1 : t;
        x->pt[t].storage = -1;
        x->pt[t].in_concat = -1;
    }
    for (int oi = 0; oi < x->norder; oi++) {
        const gnode *n = &g->nodes[x->order[oi]];
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k] >= 0) readers[n->inputs[k]]++;
        if (n->fused.residual >= 0) readers[n->fused.residual]++;
        if (clnn_op_def_of(n->op)->flags & OPF_VIEW) {
            int src = n->inputs[0];
            x->pt[n->outputs[0]].root = x->pt[src].root >= 0 ? x->pt[src].root : src;
            x->pt[n->outputs[0]].is_view = true;
        }
    }
    /* Concat inputs written in place: produced on the Concat's device by a layer that writes
     * slices, read by nothing else. */
    for (int oi = 0; oi < x->norder; oi++) {
        const gnode *c = &g->nodes[x->order[oi]];
        if (c->op != OP_CONCAT || OP_A(c, axis_attrs)->resolved != 1) continue;
        const gtensor *out = &g->tensors[c->outputs[0]];
        if (out->ndim < 2) continue;
        int64_t inner = clnn_shape_count(out->dims + 2, out->ndim - 2), ch = 0;
        for (int k = 0; k < c->ninputs; k++) {
            int t = c->inputs[k];
            const gtensor *in = &g->tensors[t];
            bool dup = false;
            for (int j = 0; j < c->ninputs; j++)
                if (j != k && c->inputs[j] == t) dup = true;
            int p = in->producer;
            if (!dup && readers[t] == 1 && !in->is_output && !in->is_input && !in->data &&
                p >= 0 && strided_op(g->nodes[p].op) && x->pt[t].root == t &&
                x->node_device[p] == x->node_device[x->order[oi]]) {
                x->pt[t].in_concat = c->outputs[0];
                x->pt[t].off = ch * inner;
                x->pt[t].img_stride = out->dims[1] * inner;
            }
            ch += in->dims[1];
        }
    }
    free(readers);
    return CLNN_STATUS_OK;
}

static int layer_of_node(const exec_instance *x, int node)
{
    for (int i = 0; i < x->nlayers; i++)
        if (x->layers[i].node == node) return i;
    return -1;
}

/* One copy per (root tensor, reading device) where the root lives on another device. */
static clnn_status plan_copies(exec_instance *x)
{
    const clnn_graph *g = x->g;
    int cap = 16;
    x->copies = calloc((size_t)cap, sizeof *x->copies);
    if (!x->copies) return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "copies");
    for (int i = 0; i < x->nlayers; i++) {
        const exec_layer *L = &x->layers[i];
        const gnode *n = &g->nodes[L->node];
        int reads[CLNN_MAX_NODE_INPUTS + 1], nr = 0;
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k] >= 0 && !(L->impl->host_inputs >> k & 1)) reads[nr++] = n->inputs[k];
        if (n->fused.residual >= 0) reads[nr++] = n->fused.residual;
        for (int k = 0; k < nr; k++) {
            int r = root_of(x, reads[k]);
            if (x->pt[reads[k]].root < 0) continue; /* constant */
            if (n->op == OP_CONCAT && x->pt[r].in_concat == n->outputs[0]) continue;
            int src = device_of_root(x, r);
            if (src < 0 || src == L->device) continue;
            bool have = false;
            for (int c = 0; c < x->ncopies; c++)
                if (x->copies[c].tensor == r && x->copies[c].dst == L->device) have = true;
            if (have) continue;
            if (x->ncopies == cap) {
                exec_copy *m = realloc(x->copies, (size_t)(cap *= 2) * sizeof *m);
                if (!m) return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "copies");
                x->copies = m;
            }
            exec_copy *cp = &x->copies[x->ncopies++];
            memset(cp, 0, sizeof *cp);
            cp->tensor = r;
            cp->src = src;
            cp->dst = L->device;
            cp->bytes = clnn_tensor_bytes(&g->tensors[r]);
            cp->after = layer_of_node(x, g->tensors[r].producer);
            cp->before = i;
            cp->host = malloc(cp->bytes);
            if (!cp->host) return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "copies");
            clnn_calib a, b;
            if (clnn_device_calibration(x->ctx, (size_t)src, &a) == CLNN_STATUS_OK &&
                clnn_device_calibration(x->ctx, (size_t)cp->dst, &b) == CLNN_STATUS_OK)
                cp->predicted_ms = clnn_transfer_ms(&a, &b, (double)cp->bytes);
        }
    }
    return CLNN_STATUS_OK;
}

/* ---- memory plan per device ------------------------------------------------------------ */

typedef clnn_plan_interval interval;

/* Command positions: each layer i has position 3i+1, writes before it 3i, reads after 3i+2. */
static clnn_status plan_device(exec_instance *x, int d, size_t align)
{
    const clnn_graph *g = x->g;
    exec_device *D = &x->dev[d];
    interval *iv = calloc((size_t)g->ntensors, sizeof *iv);
    int *slot = malloc((size_t)g->ntensors * sizeof *slot);
    if (!iv || !slot) {
        free(iv), free(slot);
        return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "memory plan");
    }
    for (int t = 0; t < g->ntensors; t++) slot[t] = -1;
    int n = 0;
    const int end = 3 * x->nlayers + 3;
    /* Storages: roots produced here (not written into a concat), and copies into here. */
    for (int i = 0; i < x->nlayers; i++) {
        const exec_layer *L = &x->layers[i];
        int t = g->nodes[L->node].outputs[0];
        if (L->device != d || x->pt[t].in_concat >= 0) continue;
        iv[n] = (interval){t, clnn_tensor_bytes(&g->tensors[t]), 0, 3 * i + 1, 3 * i + 1};
        D->naive_bytes += iv[n].bytes;
        slot[t] = n++;
    }
    for (int c = 0; c < x->ncopies; c++) {
        const exec_copy *cp = &x->copies[c];
        if (cp->dst != d) continue;
        iv[n] = (interval){cp->tensor, cp->bytes, 0, 3 * cp->before, 3 * cp->before};
        D->naive_bytes += cp->bytes;
        slot[cp->tensor] = n++;
    }
    /* Lifetimes: every read on this device of a tensor with that root, reads leaving it,
     * concat slices written early, and graph outputs (to the end). */
    for (int i = 0; i < x->nlayers; i++) {
        const exec_layer *L = &x->layers[i];
        const gnode *nd = &g->nodes[L->node];
        if (L->device == d) {
            for (int k = 0; k <= nd->ninputs; k++) {
                int t = k < nd->ninputs ? nd->inputs[k] : nd->fused.residual;
                if (t < 0 || x->pt[t].root < 0) continue;
                int r = root_of(x, t), s = slot[r];
                if (s >= 0 && iv[s].last < 3 * i + 1) iv[s].last = 3 * i + 1;
            }
            int t = nd->outputs[0];
            if (x->pt[t].in_concat >= 0) {
                D->naive_bytes += clnn_tensor_bytes(&g->tensors[t]);
                int s = slot[x->pt[t].in_concat];
                if (s >= 0 && iv[s].first > 3 * i + 1) iv[s].first = 3 * i + 1;
            }
        }
    }
    for (int c = 0; c < x->ncopies; c++) {
        const exec_copy *cp = &x->copies[c];
        int s = cp->src == d ? slot[cp->tensor] : -1;
        if (s >= 0 && iv[s].last < 3 * cp->after + 2) iv[s].last = 3 * cp->after + 2;
    }
    for (int t = 0; t < g->ntensors; t++)
        if (g->tensors[t].is_output && x->pt[t].root >= 0) {
            int s = slot[root_of(x, t)];
            if (s >= 0) iv[s].last = end;
        }
    if (clnn_plan_offsets(iv, n, align, &D->arena_bytes) != CLNN_STATUS_OK) {
        free(iv), free(slot);
        return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "memory plan");
    }
    clnn_status st = CLNN_STATUS_OK;
    clnn_device *dev = &x->ctx->devices[d];
    D->storage = calloc((size_t)(n ? n : 1), sizeof *D->storage);
    if (!D->storage) st = clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "memory plan");
    if (st == CLNN_STATUS_OK && D->arena_bytes) {
        cl_int err;
        if (D->arena_bytes > dev->info.max_alloc_bytes)
            st = clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_DEVICE_MEMORY,
                           "the activations need %zu bytes on device '%s', which allocates at "
                           "most %llu in one buffer: use a smaller batch or more devices",
                           D->arena_bytes, dev->info.name,
                           (unsigned long long)dev->info.max_alloc_bytes);
        else {
            D->arena = clCreateBuffer(dev->cl_ctx, CL_MEM_READ_WRITE, D->arena_bytes, NULL, &err);
            if (err != CL_SUCCESS)
                st = clnn_fail_cl(x->ctx, err, "allocating %zu bytes of activations on '%s'",
                                  D->arena_bytes, dev->info.name);
        }
    }
    for (int s = 0; st == CLNN_STATUS_OK && s < n; s++) {
        cl_buffer_region r = {iv[s].offset, iv[s].bytes};
        cl_int err;
        D->storage[s] =
            clCreateSubBuffer(D->arena, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
        if (err != CL_SUCCESS)
            st = clnn_fail_cl(x->ctx, err, "a %zu-byte view at %zu of the activations",
                              iv[s].bytes, iv[s].offset);
        D->nstorage = s + 1;
        LOC(x, iv[s].tensor, d)->mem = D->storage[s];
    }
    free(iv);
    free(slot);
    return st;
}

/* Graph inputs and device-read constants, uploaded to each device that reads them. */
static clnn_status upload_inputs(exec_instance *x)
{
    const clnn_graph *g = x->g;
    for (int i = 0; i < x->nlayers; i++) {
        const exec_layer *L = &x->layers[i];
        const gnode *n = &g->nodes[L->node];
        clnn_device *dev = &x->ctx->devices[L->device];
        for (int k = 0; k <= n->ninputs; k++) {
            int t = k < n->ninputs ? n->inputs[k] : n->fused.residual;
            if (t < 0 || (k < n->ninputs && (L->impl->host_inputs >> k & 1))) continue;
            int r = x->pt[t].root < 0 ? t : root_of(x, t);
            const gtensor *rt = &g->tensors[r];
            if (!rt->is_input && !clnn_tensor_is_const(rt)) continue;
            if (OWN(x, r, L->device)) continue;
            /* Integer constants are held as floats on devices. */
            float *conv = NULL;
            const size_t count = clnn_tensor_count(rt);
            if (rt->idata) {
                conv = malloc((count ? count : 1) * sizeof *conv);
                if (!conv) return clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "constants");
                for (size_t k2 = 0; k2 < count; k2++) conv[k2] = (float)rt->idata[k2];
            }
            const float *host = rt->data ? rt->data : conv;
            cl_int err;
            OWN(x, r, L->device) = clCreateBuffer(
                dev->cl_ctx, CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0),
                clnn_tensor_bytes(rt), (void *)host, &err);
            free(conv);
            if (err != CL_SUCCESS)
                return clnn_fail_cl(x->ctx, err, "%s '%s' on device '%s'",
                                    host ? "constant" : "input", rt->name, dev->info.name);
        }
    }
    /* Graph outputs that are graph inputs need a buffer too. */
    for (int i = 0; i < g->ninputs; i++) {
        int t = g->inputs[i];
        bool anywhere = false;
        for (size_t d = 0; d < NDEV(x); d++) anywhere |= OWN(x, t, d) != NULL;
        if (anywhere) continue;
        cl_int err;
        OWN(x, t, 0) = clCreateBuffer(x->ctx->devices[0].cl_ctx, CL_MEM_READ_WRITE,
                                      clnn_tensor_bytes(&g->tensors[t]), NULL, &err);
        if (err != CL_SUCCESS) return clnn_fail_cl(x->ctx, err, "input '%s'", g->tensors[t].name);
    }
    return CLNN_STATUS_OK;
}

/* Every tensor's location on every device where it is present. */
static void fill_locations(exec_instance *x)
{
    const clnn_graph *g = x->g;
    for (int t = 0; t < g->ntensors; t++) {
        const gtensor *tt = &g->tensors[t];
        int r = x->pt[t].root;
        for (size_t d = 0; d < NDEV(x); d++) {
            tensor_loc *l = LOC(x, t, d);
            int dense = (int)(clnn_tensor_count(tt) / images_of(tt));
            if (r < 0) { /* constant */
                l->mem = OWN(x, t, d);
                l->img_stride = dense;
                continue;
            }
            const tensor_loc *rl = LOC(x, r, d);
            cl_mem mem = OWN(x, r, d) ? OWN(x, r, d) : rl->mem;
            l->img_stride = dense;
            if (x->pt[r].in_concat >= 0 && device_of_root(x, r) == (int)d) {
                mem = LOC(x, x->pt[r].in_concat, d)->mem;
                l->off = (int)x->pt[r].off;
                l->img_stride = (int)x->pt[r].img_stride;
            }
            if (t != r) l->mem = mem;
            else if (!l->mem) l->mem = mem;
        }
    }
}

clnn_status exec_create(clnn_context *ctx, const clnn_compiled *cg, const exec_spec *spec,
                        const bool *allowed, exec_instance **out, int *oom_device)
{
    *out = NULL;
    *oom_device = -1;
    exec_instance *x = calloc(1, sizeof *x);
    if (!x) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    x->ctx = ctx;
    x->batch = cg->batch;
    x->profiling = spec->profiling;
    pthread_mutex_init(&x->copy_lock, NULL);
    pthread_cond_init(&x->copy_cv, NULL);
    x->g = cg->g;
    x->order = cg->order;
    x->norder = cg->norder;
    clnn_status st = CLNN_STATUS_OK;
    size_t nd = ctx->ndevices;
    if (st == CLNN_STATUS_OK) {
        x->dev = calloc(nd, sizeof *x->dev);
        x->workers = calloc(nd, sizeof *x->workers);
        x->loc = calloc((size_t)x->g->ntensors * nd, sizeof *x->loc);
        x->own = calloc((size_t)x->g->ntensors * nd, sizeof *x->own);
        if (!x->dev || !x->workers || !x->loc || !x->own)
            st = clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "session");
    }
    if (st == CLNN_STATUS_OK) st = make_layers(x, spec, allowed);
    if (st == CLNN_STATUS_OK) st = plan_structure(x);
    if (st == CLNN_STATUS_OK) st = plan_copies(x);
    for (size_t d = 0; st == CLNN_STATUS_OK && d < nd; d++) {
        for (int i = 0; i < x->nlayers; i++) x->dev[x->layers[i].device].used = true;
        if (!x->dev[d].used) continue;
        cl_uint bits = 1024;
        clGetDeviceInfo(ctx->devices[d].id, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof bits, &bits, NULL);
        st = plan_device(x, (int)d, bits / 8 > 256 ? bits / 8 : 256);
        if (st == CLNN_STATUS_OUT_OF_DEVICE_MEMORY) *oom_device = (int)d;
    }
    if (st == CLNN_STATUS_OK) st = upload_inputs(x);
    if (st == CLNN_STATUS_OK) fill_locations(x);
    if (st != CLNN_STATUS_OK) {
        exec_destroy(x);
        return st;
    }
    *out = x;
    return CLNN_STATUS_OK;
}

static void release_run_events(exec_instance *x)
{
    for (int c = 0; c < x->ncopies; c++) {
        exec_copy *cp = &x->copies[c];
        if (cp->read_ev) clReleaseEvent(cp->read_ev);
        if (cp->write_ev) clReleaseEvent(cp->write_ev);
        cp->read_ev = cp->write_ev = NULL;
    }
    for (int i = 0; i < x->nlayers; i++) {
        exec_layer *L = &x->layers[i];
        if (L->start) clReleaseEvent(L->start);
        if (L->event) clReleaseEvent(L->event);
        L->start = L->event = NULL;
    }
    for (size_t d = 0; x->dev && d < NDEV(x); d++) {
        if (x->dev[d].first) clReleaseEvent(x->dev[d].first);
        x->dev[d].first = NULL;
    }
}

void exec_destroy(exec_instance *x)
{
    if (!x) return;
    if (x->workers) exec_wait(x);
    for (size_t d = 0; x->dev && d < NDEV(x); d++)
        if (x->dev[d].used) clFinish(x->ctx->devices[d].queue);
    release_run_events(x);
    for (int i = 0; i < x->nlayers; i++) {
        exec_layer *L = &x->layers[i];
        if (L->state && L->impl->destroy) L->impl->destroy(L->state);
        free(L->algorithm);
    }
    free(x->layers);
    for (int c = 0; c < x->ncopies; c++) free(x->copies[c].host);
    free(x->copies);
    for (size_t d = 0; x->dev && d < NDEV(x); d++) {
        exec_device *D = &x->dev[d];
        for (int s = 0; s < D->nstorage; s++)
            if (D->storage[s]) clReleaseMemObject(D->storage[s]);
        free(D->storage);
        if (D->arena) clReleaseMemObject(D->arena);
    }
    if (x->own && x->g)
        for (size_t i = 0; i < (size_t)x->g->ntensors * NDEV(x); i++)
            if (x->own[i]) clReleaseMemObject(x->own[i]);
    free(x->own);
    free(x->loc);
    free(x->dev);
    free(x->workers);
    pthread_mutex_destroy(&x->copy_lock);
    pthread_cond_destroy(&x->copy_cv);
    free(x->pt);
    free(x->node_device);
    free(x);
}

/* ---- running --------------------------------------------------------------------------- */

static void layer_io_of(const exec_instance *x, const exec_layer *L, layer_io *io)
{
    const gnode *n = &x->g->nodes[L->node];
    memset(io, 0, sizeof *io);
    for (int k = 0; k < n->ninputs; k++) {
        int t = n->inputs[k];
        if (t < 0 || (L->impl->host_inputs >> k & 1)) continue;
        if (n->op == OP_CONCAT && x->pt[t].root >= 0 && x->pt[root_of(x, t)].in_concat == n->outputs[0])
            continue; /* written in place by its producer */
        io->in[k] = LOC(x, t, L->device)->mem;
    }
    if (n->fused.residual >= 0) io->residual = LOC(x, n->fused.residual, L->device)->mem;
    const tensor_loc *o = LOC(x, n->outputs[0], L->device);
    io->out = o->mem;
    io->out_off = o->off;
    io->out_img_stride = o->img_stride;
}

/* The read half of a copy, on the source device's queue; the destination's worker waits for
 * it on the host (see device_worker). */
static clnn_status enqueue_read(exec_instance *x, exec_copy *cp)
{
    clnn_device *src = &x->ctx->devices[cp->src];
    const tensor_loc *l = LOC(x, cp->tensor, cp->src);
    cl_int err = clEnqueueReadBuffer(src->queue, l->mem, CL_FALSE, 0, cp->bytes, cp->host, 0,
                                     NULL, &cp->read_ev);
    if (err == CL_SUCCESS) err = clFlush(src->queue);
    pthread_mutex_lock(&x->copy_lock);
    cp->posted = true;
    pthread_cond_broadcast(&x->copy_cv);
    pthread_mutex_unlock(&x->copy_lock);
    if (err != CL_SUCCESS)
        return clnn_fail_cl(x->ctx, err, "copying '%s' from device %d",
                            x->g->tensors[cp->tensor].name, cp->src);
    return CLNN_STATUS_OK;
}

/* The write half: waits (on the host) for the read to be enqueued and done, then writes the
 * staged bytes on the destination's queue. Waiting here rather than through a user event set
 * from a completion callback keeps drivers that run commands inside such callbacks (PoCL's
 * "basic") from deadlocking. */
static clnn_status enqueue_write(exec_instance *x, exec_copy *cp)
{
    pthread_mutex_lock(&x->copy_lock);
    while (!cp->posted) pthread_cond_wait(&x->copy_cv, &x->copy_lock);
    cl_event ev = cp->read_ev;
    pthread_mutex_unlock(&x->copy_lock);
    cl_int status = CL_COMPLETE;
    if (!ev)
        return clnn_fail(x->ctx, CLNN_STATUS_INTERNAL, "copying '%s': device %d failed before it",
                         x->g->tensors[cp->tensor].name, cp->src);
    cl_int err = clWaitForEvents(1, &ev);
    clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL);
    if (err != CL_SUCCESS || status < 0)
        return clnn_fail_cl(x->ctx, err != CL_SUCCESS ? err : status,
                            "reading '%s' from device %d", x->g->tensors[cp->tensor].name,
                            cp->src);
    clnn_device *dst = &x->ctx->devices[cp->dst];
    err = clEnqueueWriteBuffer(dst->queue, LOC(x, cp->tensor, cp->dst)->mem, CL_FALSE, 0,
                               cp->bytes, cp->host, 0, NULL, &cp->write_ev);
    if (err != CL_SUCCESS)
        return clnn_fail_cl(x->ctx, err, "copying '%s' to device %d",
                            x->g->tensors[cp->tensor].name, cp->dst);
    return CLNN_STATUS_OK;
}

/* Enqueues device d's part of a run, in layer order, and waits for it: one worker thread per
 * device, so a driver that executes commands in the submitting thread (PoCL's "basic", some
 * CPU runtimes) still runs beside the other devices. */
static void *device_worker(void *arg)
{
    exec_worker *w = arg;
    exec_instance *x = w->x;
    const int d = w->device;
    clnn_device *dev = &x->ctx->devices[d];
    clnn_status st = CLNN_STATUS_OK;
    pthread_mutex_lock(&dev->queue_lock);
    const int limit = x->run_limit > 0 ? x->run_limit : x->nlayers;
    for (int i = 0; i < limit && st == CLNN_STATUS_OK; i++) {
        exec_layer *L = &x->layers[i];
        if (L->device != d) continue;
        for (int c = 0; c < x->ncopies && st == CLNN_STATUS_OK; c++)
            if (x->copies[c].before == i) st = enqueue_write(x, &x->copies[c]);
        if (st != CLNN_STATUS_OK) break;
        layer_io io;
        layer_io_of(x, L, &io);
        L->host_start = clnn_now();
        if (x->profiling &&
            clEnqueueMarkerWithWaitList(dev->queue, 0, NULL, &L->start) != CL_SUCCESS)
            L->start = NULL;
        exec_device *D = &x->dev[d];
        if (x->profiling && !D->first && L->start) {
            clRetainEvent(L->start);
            D->first = L->start;
            D->first_host = L->host_start;
        }
        st = L->impl->enqueue(L->state, dev->queue, &io, 0, NULL, x->profiling ? &L->event : NULL);
        if (st != CLNN_STATUS_OK) {
            st = clnn_fail(x->ctx, st, "running layer '%s' (%s) on device %d: %s",
                           x->g->nodes[L->node].name, L->op_label, d, clnn_last_error());
            break;
        }
        for (int c = 0; c < x->ncopies && st == CLNN_STATUS_OK; c++)
            if (x->copies[c].after == i) st = enqueue_read(x, &x->copies[c]);
    }
    if (st != CLNN_STATUS_OK) {
        /* Release the devices waiting for copies this one will never send. */
        pthread_mutex_lock(&x->copy_lock);
        for (int c = 0; c < x->ncopies; c++)
            if (x->copies[c].src == d) x->copies[c].posted = true;
        pthread_cond_broadcast(&x->copy_cv);
        pthread_mutex_unlock(&x->copy_lock);
    }
    cl_int err = clFinish(dev->queue);
    pthread_mutex_unlock(&dev->queue_lock);
    if (st == CLNN_STATUS_OK && err != CL_SUCCESS)
        st = clnn_fail_cl(x->ctx, err, "waiting for device %d", d);
    w->status = st;
    if (st != CLNN_STATUS_OK) snprintf(w->error, sizeof w->error, "%s", clnn_last_error());
    return NULL;
}

clnn_status exec_enqueue(exec_instance *x)
{
    exec_wait(x); /* a run still in flight finishes first */
    release_run_events(x);
    for (int c = 0; c < x->ncopies; c++) x->copies[c].posted = false;
    clnn_status st = CLNN_STATUS_OK;
    for (size_t d = 0; st == CLNN_STATUS_OK && d < NDEV(x); d++) {
        exec_worker *w = &x->workers[d];
        if (!x->dev[d].used) continue;
        w->x = x;
        w->device = (int)d;
        w->status = CLNN_STATUS_OK;
        if (pthread_create(&w->thread, NULL, device_worker, w) != 0) {
            st = clnn_fail(x->ctx, CLNN_STATUS_INTERNAL, "cannot start a thread for device %zu", d);
            pthread_mutex_lock(&x->copy_lock);
            for (int c = 0; c < x->ncopies; c++)
                if (x->copies[c].src == (int)d) x->copies[c].posted = true;
            pthread_cond_broadcast(&x->copy_cv);
            pthread_mutex_unlock(&x->copy_lock);
            break;
        }
        w->running = true;
    }
    if (st != CLNN_STATUS_OK) exec_wait(x);
    return st;
}

clnn_status exec_wait(exec_instance *x)
{
    clnn_status st = CLNN_STATUS_OK;
    char first[1024] = "";
    for (size_t d = 0; d < NDEV(x); d++) {
        exec_worker *w = &x->workers[d];
        if (!w->running) continue;
        pthread_join(w->thread, NULL);
        w->running = false;
        if (w->status != CLNN_STATUS_OK && st == CLNN_STATUS_OK) {
            st = w->status;
            snprintf(first, sizeof first, "%s", w->error);
        }
    }
    if (st != CLNN_STATUS_OK) return clnn_fail(x->ctx, st, "%s", first);
    for (int c = 0; c < x->ncopies; c++) {
        cl_int s = CL_COMPLETE;
        if (x->copies[c].write_ev)
            clGetEventInfo(x->copies[c].write_ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s,
                           NULL);
        if (s < 0)
            return clnn_fail_cl(x->ctx, s, "copying '%s' between devices",
                                x->g->tensors[x->copies[c].tensor].name);
    }
    return CLNN_STATUS_OK;
}

clnn_status exec_write_input(exec_instance *x, int t, const float *data, bool blocking)
{
    size_t bytes = clnn_tensor_count(&x->g->tensors[t]) * sizeof(float);
    for (size_t d = 0; d < NDEV(x); d++) {
        if (!OWN(x, t, d)) continue;
        clnn_device *dev = &x->ctx->devices[d];
        pthread_mutex_lock(&dev->queue_lock);
        cl_int err = clEnqueueWriteBuffer(dev->queue, OWN(x, t, d), blocking ? CL_TRUE : CL_FALSE,
                                          0, bytes, data, 0, NULL, NULL);
        pthread_mutex_unlock(&dev->queue_lock);
        if (err != CL_SUCCESS)
            return clnn_fail_cl(x->ctx, err, "writing input '%s'", x->g->tensors[t].name);
    }
    return CLNN_STATUS_OK;
}

/* Reads t as device `want` holds it (its copy there), else where it was produced. */
static clnn_status read_tensor_on(exec_instance *x, int t, int want, float *data)
{
    const gtensor *tt = &x->g->tensors[t];
    size_t count = clnn_tensor_count(tt);
    if (tt->data) {
        memcpy(data, tt->data, count * sizeof(float));
        return CLNN_STATUS_OK;
    }
    if (tt->idata) { /* a folded integer output, returned as floats */
        for (size_t i = 0; i < count; i++) data[i] = (float)tt->idata[i];
        return CLNN_STATUS_OK;
    }
    int r = root_of(x, t), d = want >= 0 && LOC(x, t, want)->mem ? want : device_of_root(x, r);
    if (d < 0)
        for (size_t k = 0; k < NDEV(x) && d < 0; k++)
            if (OWN(x, r, k)) d = (int)k;
    if (d < 0 || !LOC(x, t, d)->mem)
        return clnn_fail(x->ctx, CLNN_STATUS_INTERNAL, "tensor '%s' has no buffer", tt->name);
    const tensor_loc *l = LOC(x, t, d);
    clnn_device *dev = &x->ctx->devices[d];
    cl_command_queue q = dev->queue;
    size_t images = images_of(tt), per = count / images;
    cl_int err = CL_SUCCESS;
    pthread_mutex_lock(&dev->queue_lock);
    if ((size_t)l->img_stride == per && l->off == 0)
        err = clEnqueueReadBuffer(q, l->mem, CL_TRUE, 0, count * sizeof(float), data, 0, NULL, NULL);
    else
        for (size_t i = 0; i < images && err == CL_SUCCESS; i++)
            err = clEnqueueReadBuffer(q, l->mem, CL_TRUE,
                                      ((size_t)l->off + i * (size_t)l->img_stride) * sizeof(float),
                                      per * sizeof(float), data + i * per, 0, NULL, NULL);
    pthread_mutex_unlock(&dev->queue_lock);
    if (err != CL_SUCCESS) return clnn_fail_cl(x->ctx, err, "reading tensor '%s'", tt->name);
    return CLNN_STATUS_OK;
}

clnn_status exec_read_tensor(exec_instance *x, int t, float *data)
{
    return read_tensor_on(x, t, -1, data);
}

void exec_collect_profile(exec_instance *x)
{
    for (int i = 0; i < x->nlayers; i++) {
        exec_layer *L = &x->layers[i];
        cl_ulong t0 = 0, t1 = 0;
        cl_event first = L->start ? L->start : L->event;
        cl_profiling_info from = L->start ? CL_PROFILING_COMMAND_END : CL_PROFILING_COMMAND_START;
        if (L->event && clGetEventProfilingInfo(first, from, sizeof t0, &t0, NULL) == CL_SUCCESS &&
            clGetEventProfilingInfo(L->event, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) ==
                CL_SUCCESS)
            L->ms = (double)(t1 - t0) * 1e-6;
    }
}

/* Verification: the run replayed one layer at a time (intermediate storage is shared, so each
 * layer is checked right after it ran), its inputs read back, its C reference computed on
 * the host and compared relative to the output's scale. */
clnn_status exec_verify(exec_instance *x)
{
    clnn_status st = CLNN_STATUS_OK;
    bool saved = x->profiling;
    const int total = x->nlayers;
    x->profiling = false;
    for (int i = 0; i < total && st == CLNN_STATUS_OK; i++) {
        exec_layer *L = &x->layers[i];
        const gnode *n = &x->g->nodes[L->node];
        /* Runs layers 0..i (copies between devices included), then checks layer i. */
        x->run_limit = i + 1;
        st = exec_enqueue(x);
        if (st == CLNN_STATUS_OK) st = exec_wait(x);
        x->run_limit = 0;
        float *in[CLNN_MAX_NODE_INPUTS] = {0}, *res = NULL, *want = NULL, *got = NULL;
        for (int k = 0; k < n->ninputs && st == CLNN_STATUS_OK; k++) {
            if (n->inputs[k] < 0) continue;
            in[k] = malloc(clnn_tensor_bytes(&x->g->tensors[n->inputs[k]]));
            /* As the layer's device holds it: the producer's copy may be reused by now. */
            st = in[k] ? read_tensor_on(x, n->inputs[k], L->device, in[k])
                       : clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "verify");
        }
        if (st == CLNN_STATUS_OK && n->fused.residual >= 0) {
            res = malloc(clnn_tensor_bytes(&x->g->tensors[n->fused.residual]));
            st = res ? read_tensor_on(x, n->fused.residual, L->device, res)
                     : clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "verify");
        }
        size_t count = clnn_tensor_count(&x->g->tensors[n->outputs[0]]);
        if (st == CLNN_STATUS_OK) {
            want = malloc(count * sizeof *want);
            got = malloc(count * sizeof *got);
            if (!want || !got) st = clnn_fail(x->ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "verify");
        }
        if (st == CLNN_STATUS_OK) st = exec_read_tensor(x, n->outputs[0], got);
        if (st == CLNN_STATUS_OK)
            st = L->impl->reference(x->g, n, (const float *const *)in, res, want);
        if (st == CLNN_STATUS_OK) {
            double scale = 1.0, err = 0.0;
            for (size_t j = 0; j < count; j++) scale = fmax(scale, fabs(want[j]));
            for (size_t j = 0; j < count; j++) {
                double e = fabs((double)got[j] - want[j]);
                if (!(e <= err)) err = isnan(e) ? INFINITY : e;
            }
            L->max_error = err / scale;
        }
        for (int k = 0; k < CLNN_MAX_NODE_INPUTS; k++) free(in[k]);
        free(res), free(want), free(got);
    }
    x->profiling = saved;
    return st;
}
