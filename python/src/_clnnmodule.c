/*
 * _clnnmodule.c - the C half of the clnn Python module: thin objects over clnn.h's context,
 * graph and session, and the exceptions, one class per clnn_status. NumPy is not needed here:
 * inputs arrive as contiguous float32 buffers and outputs are written into writable buffers
 * (clnn/__init__.py makes both from ndarrays). The GIL is released around everything that may
 * take long (loading, session creation, runs, copies), so other Python threads go on.
 *
 * Thread safety is clnn.h's: a Context may be used by several threads at once; a Session by
 * one thread at a time (clnn/__init__.py serialises its calls with a lock).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <clnn.h>

#include <string.h>

/* ---- errors -------------------------------------------------------------------------------- */

static PyObject *error_base;
#define NSTATUS 14
static PyObject *error_class[NSTATUS];
static const char *const error_names[NSTATUS] = {
    NULL, "InvalidArgument", "OutOfHostMemory", "NoPlatform", "NoDevice", "OpenCLError",
    "BuildFailed", "IOError", "Unsupported", "InvalidModel", "ShapeMismatch",
    "OutOfDeviceMemory", "CLBlastError", "InternalError",
};

/* Raises the exception of status st with clnn's message (of this thread); NULL. */
static PyObject *raise_status(clnn_status st)
{
    PyObject *cls = (unsigned)st < NSTATUS && error_class[st] ? error_class[st] : error_base;
    PyObject *exc = PyObject_CallFunction(cls, "s", clnn_last_error());
    if (exc) {
        PyObject *code = PyLong_FromLong((long)st);
        if (code) PyObject_SetAttrString(exc, "status", code);
        Py_XDECREF(code);
        PyErr_SetObject(cls, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* ---- Context -------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    clnn_context *ctx;
} ContextObject;

static void context_dealloc(ContextObject *self)
{
    clnn_context_destroy(self->ctx);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int context_init(ContextObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"devices", "cache_dir", NULL};
    const char *devices = NULL, *cache_dir = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|zz", names, &devices, &cache_dir)) return -1;
    clnn_context_options o;
    memset(&o, 0, sizeof o);
    o.devices = devices;
    o.cache_dir = cache_dir;
    clnn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = clnn_context_create_ex(&o, &self->ctx);
    Py_END_ALLOW_THREADS
    if (st != CLNN_STATUS_OK) {
        raise_status(st);
        return -1;
    }
    return 0;
}

static PyObject *device_dict(const clnn_device_info *d, Py_ssize_t index)
{
    return Py_BuildValue(
        "{s:n,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:K,s:K,s:K,s:n,s:(nnn),s:I,s:O,s:O,"
        "s:O}",
        "index", index, "platform_index", d->platform_index, "device_index", d->device_index,
        "type", clnn_device_type_name(d->type), "platform", d->platform_name,
        "platform_version", d->platform_version, "name", d->name, "vendor", d->vendor,
        "driver_version", d->driver_version, "device_version", d->device_version,
        "opencl_c_version", d->opencl_c_version, "compute_units", d->compute_units,
        "clock_mhz", d->clock_mhz, "global_mem_bytes", (unsigned long long)d->global_mem_bytes,
        "max_alloc_bytes", (unsigned long long)d->max_alloc_bytes, "local_mem_bytes",
        (unsigned long long)d->local_mem_bytes, "max_work_group_size",
        (Py_ssize_t)d->max_work_group_size, "max_work_item_sizes",
        (Py_ssize_t)d->max_work_item_sizes[0], (Py_ssize_t)d->max_work_item_sizes[1],
        (Py_ssize_t)d->max_work_item_sizes[2], "native_vector_width_float",
        d->native_vector_width_float, "fp16", d->fp16 ? Py_True : Py_False, "fp64",
        d->fp64 ? Py_True : Py_False, "unified_memory", d->unified_memory ? Py_True : Py_False);
}

static PyObject *context_devices(ContextObject *self, PyObject *unused)
{
    (void)unused;
    size_t n = clnn_context_device_count(self->ctx);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        clnn_device_info d;
        if (clnn_context_device_info(self->ctx, i, &d) != CLNN_STATUS_OK) {
            Py_DECREF(list);
            return raise_status(CLNN_STATUS_INTERNAL);
        }
        PyObject *o = device_dict(&d, (Py_ssize_t)i);
        if (!o) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, o);
    }
    return list;
}

static PyMethodDef context_methods[] = {
    {"devices", (PyCFunction)context_devices, METH_NOARGS, "The context's devices."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ContextType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "clnn._clnn.Context",
    .tp_basicsize = sizeof(ContextObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Context(devices=None, cache_dir=None): OpenCL devices and their caches "
              "(thread-safe).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)context_init,
    .tp_dealloc = (destructor)context_dealloc,
    .tp_methods = context_methods,
};

/* ---- Graph ---------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    clnn_graph *g;
} GraphObject;

static void graph_dealloc(GraphObject *self)
{
    clnn_graph_destroy(self->g);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Graph(path: str) or Graph(data: bytes-like, base_dir: str | None). */
static int graph_init(GraphObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"model", "base_dir", NULL};
    PyObject *model;
    const char *base_dir = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|z", names, &model, &base_dir)) return -1;
    clnn_status st;
    if (PyUnicode_Check(model)) {
        const char *path = PyUnicode_AsUTF8(model);
        if (!path) return -1;
        Py_BEGIN_ALLOW_THREADS
        st = clnn_graph_load_onnx(path, &self->g);
        Py_END_ALLOW_THREADS
    } else {
        Py_buffer b;
        if (PyObject_GetBuffer(model, &b, PyBUF_SIMPLE) != 0) return -1;
        Py_BEGIN_ALLOW_THREADS
        st = clnn_graph_load_onnx_buffer(b.buf, (size_t)b.len, base_dir, &self->g);
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&b);
    }
    if (st != CLNN_STATUS_OK) {
        raise_status(st);
        return -1;
    }
    return 0;
}

static PyTypeObject GraphType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "clnn._clnn.Graph",
    .tp_basicsize = sizeof(GraphObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Graph(model, base_dir=None): an ONNX model loaded from a path or bytes.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)graph_init,
    .tp_dealloc = (destructor)graph_dealloc,
};

/* ---- Session -------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    clnn_session *s;
    PyObject *context; /* kept alive: a session must not outlive its context */
} SessionObject;

static void session_dealloc(SessionObject *self)
{
    clnn_session *s = self->s;
    Py_BEGIN_ALLOW_THREADS
    clnn_session_destroy(s);
    Py_END_ALLOW_THREADS
    Py_XDECREF(self->context);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int session_init(SessionObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"context", "graph", "batch", "schedule", "profiling", NULL};
    PyObject *ctx, *graph;
    int batch = 0, schedule = 0, profiling = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!|iip", names, &ContextType, &ctx,
                                     &GraphType, &graph, &batch, &schedule, &profiling))
        return -1;
    if (schedule < 0 || schedule > CLNN_SCHEDULE_THROUGHPUT) {
        PyErr_SetString(PyExc_ValueError, "schedule must be 0..3 (auto, single, latency, "
                                          "throughput)");
        return -1;
    }
    clnn_session_options o;
    memset(&o, 0, sizeof o);
    o.batch = batch;
    o.schedule = (clnn_schedule_mode)schedule;
    o.enable_profiling = profiling;
    clnn_context *c = ((ContextObject *)ctx)->ctx;
    const clnn_graph *g = ((GraphObject *)graph)->g;
    clnn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = clnn_session_create(c, g, &o, &self->s);
    Py_END_ALLOW_THREADS
    if (st != CLNN_STATUS_OK) {
        raise_status(st);
        return -1;
    }
    Py_INCREF(ctx);
    self->context = ctx;
    return 0;
}

/* [(name, shape tuple, elem type)] of the inputs (1) or outputs (0). */
static PyObject *io_list(SessionObject *self, int input)
{
    size_t n = input ? clnn_session_input_count(self->s) : clnn_session_output_count(self->s);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        const char *name = input ? clnn_session_input_name(self->s, i)
                                 : clnn_session_output_name(self->s, i);
        const int64_t *dims;
        size_t nd;
        clnn_status st = input ? clnn_session_input_shape(self->s, name, &dims, &nd)
                               : clnn_session_output_shape(self->s, name, &dims, &nd);
        if (st != CLNN_STATUS_OK) {
            Py_DECREF(list);
            return raise_status(st);
        }
        PyObject *shape = PyTuple_New((Py_ssize_t)nd);
        for (size_t k = 0; shape && k < nd; k++)
            PyTuple_SET_ITEM(shape, (Py_ssize_t)k, PyLong_FromLongLong(dims[k]));
        int type = input ? 1 : clnn_session_output_elem_type(self->s, name);
        PyObject *t = shape ? Py_BuildValue("(sNi)", name, shape, type) : NULL;
        if (!t) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    return list;
}

static PyObject *session_inputs(SessionObject *self, PyObject *u)
{
    (void)u;
    return io_list(self, 1);
}

static PyObject *session_outputs(SessionObject *self, PyObject *u)
{
    (void)u;
    return io_list(self, 0);
}

/* set_input(name, buffer): a C-contiguous float32 buffer of the input's element count. */
static PyObject *session_set_input(SessionObject *self, PyObject *args)
{
    const char *name;
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "sy*", &name, &b)) return NULL;
    if (b.len % (Py_ssize_t)sizeof(float)) {
        PyBuffer_Release(&b);
        PyErr_SetString(PyExc_ValueError, "the input buffer does not hold whole float32 values");
        return NULL;
    }
    clnn_status st;
    clnn_session *s = self->s;
    Py_BEGIN_ALLOW_THREADS
    st = clnn_session_set_input(s, name, b.buf, (size_t)b.len / sizeof(float));
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    if (st != CLNN_STATUS_OK) return raise_status(st);
    Py_RETURN_NONE;
}

static PyObject *session_run(SessionObject *self, PyObject *u)
{
    (void)u;
    clnn_status st;
    clnn_session *s = self->s;
    Py_BEGIN_ALLOW_THREADS
    st = clnn_session_run(s);
    Py_END_ALLOW_THREADS
    if (st != CLNN_STATUS_OK) return raise_status(st);
    Py_RETURN_NONE;
}

/* get_output(name, writable buffer of the output's float32 count). */
static PyObject *session_get_output(SessionObject *self, PyObject *args)
{
    const char *name;
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "sw*", &name, &b)) return NULL;
    clnn_status st;
    clnn_session *s = self->s;
    Py_BEGIN_ALLOW_THREADS
    st = clnn_session_get_output(s, name, b.buf, (size_t)b.len / sizeof(float));
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    if (st != CLNN_STATUS_OK) return raise_status(st);
    Py_RETURN_NONE;
}

static PyObject *session_schedule(SessionObject *self, PyObject *u)
{
    (void)u;
    return PyUnicode_FromString(clnn_session_schedule(self->s));
}

static PyObject *session_layers(SessionObject *self, PyObject *u)
{
    (void)u;
    size_t n = clnn_session_layer_count(self->s);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        clnn_layer_info L;
        if (clnn_session_layer(self->s, i, &L) != CLNN_STATUS_OK) {
            Py_DECREF(list);
            return raise_status(CLNN_STATUS_INTERNAL);
        }
        PyObject *d = Py_BuildValue("{s:s,s:s,s:s,s:n,s:d,s:d,s:d}", "name", L.name, "op", L.op,
                                    "algorithm", L.algorithm, "device", (Py_ssize_t)L.device,
                                    "predicted_ms", L.predicted_ms, "ms", L.ms, "max_error",
                                    L.max_error);
        if (!d) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, d);
    }
    return list;
}

static PyObject *session_write_trace(SessionObject *self, PyObject *args)
{
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path)) return NULL;
    clnn_status st;
    clnn_session *s = self->s;
    Py_BEGIN_ALLOW_THREADS
    st = clnn_session_write_trace(s, path);
    Py_END_ALLOW_THREADS
    if (st != CLNN_STATUS_OK) return raise_status(st);
    Py_RETURN_NONE;
}

static PyObject *session_verify(SessionObject *self, PyObject *u)
{
    (void)u;
    clnn_status st;
    clnn_session *s = self->s;
    Py_BEGIN_ALLOW_THREADS
    st = clnn_session_verify(s);
    Py_END_ALLOW_THREADS
    if (st != CLNN_STATUS_OK) return raise_status(st);
    Py_RETURN_NONE;
}

static PyMethodDef session_methods[] = {
    {"inputs", (PyCFunction)session_inputs, METH_NOARGS, "[(name, shape, elem_type)]"},
    {"outputs", (PyCFunction)session_outputs, METH_NOARGS, "[(name, shape, elem_type)]"},
    {"set_input", (PyCFunction)session_set_input, METH_VARARGS, "set_input(name, buffer)"},
    {"run", (PyCFunction)session_run, METH_NOARGS, "Runs the graph (GIL released)."},
    {"get_output", (PyCFunction)session_get_output, METH_VARARGS, "get_output(name, buffer)"},
    {"schedule", (PyCFunction)session_schedule, METH_NOARGS, "The schedule chosen."},
    {"layers", (PyCFunction)session_layers, METH_NOARGS, "Per-layer information."},
    {"write_trace", (PyCFunction)session_write_trace, METH_VARARGS, "write_trace(path)"},
    {"verify", (PyCFunction)session_verify, METH_NOARGS, "Each layer against its reference."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SessionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "clnn._clnn.Session",
    .tp_basicsize = sizeof(SessionObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Session(context, graph, batch=0, schedule=0, profiling=False): a graph "
              "prepared on the context's devices; one thread at a time.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)session_init,
    .tp_dealloc = (destructor)session_dealloc,
    .tp_methods = session_methods,
};

/* ---- module -------------------------------------------------------------------------------- */

static PyObject *mod_devices(PyObject *self, PyObject *u)
{
    (void)self, (void)u;
    clnn_device_info *d = NULL;
    size_t n = 0;
    clnn_status st = clnn_device_list(&d, &n);
    if (st != CLNN_STATUS_OK) return raise_status(st);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *o = device_dict(&d[i], (Py_ssize_t)i);
        if (!o) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, o);
    }
    clnn_device_list_free(d);
    return list;
}

static PyObject *mod_version(PyObject *self, PyObject *u)
{
    (void)self, (void)u;
    return PyUnicode_FromString(clnn_version());
}

/* A call that does nothing but cross into C and back, for the overhead measurement. */
static PyObject *mod_noop(PyObject *self, PyObject *u)
{
    (void)self, (void)u;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"devices", mod_devices, METH_NOARGS, "Every OpenCL device of every platform."},
    {"version", mod_version, METH_NOARGS, "The library's version."},
    {"noop", mod_noop, METH_NOARGS, "Nothing (call overhead)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_clnn", "clnn's C extension (use the clnn package).", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__clnn(void)
{
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyType_Ready(&ContextType) < 0 || PyType_Ready(&GraphType) < 0 ||
        PyType_Ready(&SessionType) < 0)
        return NULL;
    Py_INCREF(&ContextType);
    Py_INCREF(&GraphType);
    Py_INCREF(&SessionType);
    PyModule_AddObject(m, "Context", (PyObject *)&ContextType);
    PyModule_AddObject(m, "Graph", (PyObject *)&GraphType);
    PyModule_AddObject(m, "Session", (PyObject *)&SessionType);
    error_base = PyErr_NewExceptionWithDoc("clnn.Error", "A clnn call failed; .status holds "
                                           "its clnn_status code.", NULL, NULL);
    if (!error_base) return NULL;
    Py_INCREF(error_base);
    PyModule_AddObject(m, "Error", error_base);
    for (int i = 1; i < NSTATUS; i++) {
        char qual[64];
        snprintf(qual, sizeof qual, "clnn.%s", error_names[i]);
        PyObject *bases = i == 7 ? PyTuple_Pack(2, error_base, PyExc_OSError)
                          : i == 1 ? PyTuple_Pack(2, error_base, PyExc_ValueError)
                          : i == 2 ? PyTuple_Pack(2, error_base, PyExc_MemoryError)
                                   : PyTuple_Pack(1, error_base);
        error_class[i] = bases ? PyErr_NewException(qual, bases, NULL) : NULL;
        Py_XDECREF(bases);
        if (!error_class[i]) return NULL;
        Py_INCREF(error_class[i]);
        PyModule_AddObject(m, error_names[i], error_class[i]);
    }
    return m;
}
