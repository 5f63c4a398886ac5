/*
 * trace.c - the last run of a session as a Chrome / Perfetto trace (Trace Event Format,
 * JSON written with json-c): one track per device queue and one per device's transfers,
 * layers and copies as complete ("X") events with their algorithm and predicted time.
 *
 * Device timestamps come from OpenCL profiling, one clock per device. They are put on the
 * host's clock with one offset per device: the host time at which the device's first command
 * of the run was enqueued, minus that command's CL_PROFILING_COMMAND_QUEUED time.
 */
#include "exec.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

typedef struct clock_map {
    bool known;
    double offset_us; /* host us = device ns / 1000 + offset_us */
} clock_map;

static bool event_span(cl_event start, cl_profiling_info from, cl_event end, cl_ulong *t0,
                       cl_ulong *t1)
{
    return start && end &&
           clGetEventProfilingInfo(start, from, sizeof *t0, t0, NULL) == CL_SUCCESS &&
           clGetEventProfilingInfo(end, CL_PROFILING_COMMAND_END, sizeof *t1, t1, NULL) ==
               CL_SUCCESS;
}

static void add_event(json_object *arr, const char *name, const char *cat, int tid, double ts,
                      double dur, json_object *args)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "name", json_object_new_string(name));
    json_object_object_add(e, "cat", json_object_new_string(cat));
    json_object_object_add(e, "ph", json_object_new_string("X"));
    json_object_object_add(e, "pid", json_object_new_int(1));
    json_object_object_add(e, "tid", json_object_new_int(tid));
    json_object_object_add(e, "ts", json_object_new_double(ts));
    json_object_object_add(e, "dur", json_object_new_double(dur > 0 ? dur : 0));
    if (args) json_object_object_add(e, "args", args);
    json_object_array_add(arr, e);
}

static void add_track_name(json_object *arr, int tid, const char *name)
{
    json_object *e = json_object_new_object(), *args = json_object_new_object();
    json_object_object_add(e, "name", json_object_new_string("thread_name"));
    json_object_object_add(e, "ph", json_object_new_string("M"));
    json_object_object_add(e, "pid", json_object_new_int(1));
    json_object_object_add(e, "tid", json_object_new_int(tid));
    json_object_object_add(args, "name", json_object_new_string(name));
    json_object_object_add(e, "args", args);
    json_object_array_add(arr, e);
}

clnn_status clnn_trace_write(clnn_context *ctx, exec_instance *const *inst, int ninst,
                             const char *path)
{
    size_t nd = ctx->ndevices;
    bool profiled = false;
    for (int k = 0; k < ninst; k++) profiled |= inst[k]->profiling;
    if (!profiled)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "the session was created without enable_profiling: no trace to write");
    json_object *arr = json_object_new_array();
    double base = -1;
    for (int k = 0; k < ninst; k++) {
        const exec_instance *x = inst[k];
        clock_map *cm = calloc(nd, sizeof *cm);
        if (!cm) {
            json_object_put(arr);
            return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "trace");
        }
        for (size_t d = 0; d < nd; d++) {
            cl_ulong q = 0;
            if (x->dev[d].first && clGetEventProfilingInfo(x->dev[d].first, CL_PROFILING_COMMAND_QUEUED,
                                                           sizeof q, &q, NULL) == CL_SUCCESS) {
                cm[d].known = true;
                cm[d].offset_us = x->dev[d].first_host * 1e6 - (double)q * 1e-3;
                if (base < 0 || x->dev[d].first_host * 1e6 < base) base = x->dev[d].first_host * 1e6;
            }
            char name[320];
            snprintf(name, sizeof name, "%sdevice %zu queue: %s", ninst > 1 ? "" : "", d,
                     ctx->devices[d].info.name);
            if (k == 0) {
                add_track_name(arr, (int)(2 * d), name);
                snprintf(name, sizeof name, "device %zu transfers", d);
                add_track_name(arr, (int)(2 * d + 1), name);
            }
        }
        if (base < 0) base = 0;
        for (int i = 0; i < x->nlayers; i++) {
            const exec_layer *L = &x->layers[i];
            cl_ulong t0, t1;
            if (!cm[L->device].known ||
                !event_span(L->start ? L->start : L->event,
                            L->start ? CL_PROFILING_COMMAND_END : CL_PROFILING_COMMAND_START,
                            L->event, &t0, &t1))
                continue;
            json_object *args = json_object_new_object();
            json_object_object_add(args, "op", json_object_new_string(L->op_label));
            json_object_object_add(args, "algorithm", json_object_new_string(L->algorithm ? L->algorithm : ""));
            json_object_object_add(args, "instance", json_object_new_int(k));
            double ts = (double)t0 * 1e-3 + cm[L->device].offset_us - base;
            add_event(arr, x->g->nodes[L->node].name, "layer", 2 * L->device, ts,
                      (double)(t1 - t0) * 1e-3, args);
        }
        for (int c = 0; c < x->ncopies; c++) {
            const exec_copy *cp = &x->copies[c];
            char name[600];
            snprintf(name, sizeof name, "copy %.500s %d->%d", x->g->tensors[cp->tensor].name,
                     cp->src, cp->dst);
            cl_event evs[2] = {cp->read_ev, cp->write_ev};
            int devs[2] = {cp->src, cp->dst};
            for (int j = 0; j < 2; j++) {
                cl_ulong t0, t1;
                if (!cm[devs[j]].known || !event_span(evs[j], CL_PROFILING_COMMAND_START, evs[j], &t0, &t1))
                    continue;
                json_object *args = json_object_new_object();
                json_object_object_add(args, "bytes", json_object_new_int64((int64_t)cp->bytes));
                json_object_object_add(args, "stage", json_object_new_string(j ? "write" : "read"));
                add_event(arr, name, "transfer", 2 * devs[j] + 1,
                          (double)t0 * 1e-3 + cm[devs[j]].offset_us - base,
                          (double)(t1 - t0) * 1e-3, args);
            }
        }
        free(cm);
    }
    json_object *root = json_object_new_object();
    json_object_object_add(root, "traceEvents", arr);
    json_object_object_add(root, "displayTimeUnit", json_object_new_string("ms"));
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    int rc = clnn_write_file_atomic(path, text, strlen(text));
    json_object_put(root);
    if (rc) return clnn_fail(ctx, CLNN_STATUS_IO_ERROR, "cannot write trace '%s': %s", path, strerror(rc));
    return CLNN_STATUS_OK;
}
