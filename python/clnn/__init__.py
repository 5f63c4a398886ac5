"""clnn for Python: CNN inference through OpenCL on every GPU and CPU, shaped like ONNX Runtime.

    import clnn
    sess = clnn.InferenceSession("resnet18.onnx")            # devices: $CLNN_DEVICES, else default
    inp = sess.get_inputs()[0]
    (scores,) = sess.run(None, {inp.name: images})             # a list of numpy arrays

Switching from ONNX Runtime is changing the import: ``InferenceSession(path_or_bytes)``,
``get_inputs()`` / ``get_outputs()`` (name, shape, type) and ``run(output_names, feed)``
behave as ``onnxruntime``'s do.

Threads: an ``InferenceSession`` may be called from several threads; its runs take turns (a
clnn session runs one batch at a time), and the GIL is released while one runs, so other
Python threads and other sessions go on. Sessions on the same devices and cache folder share
one clnn context, which is safe across threads.

Errors: every failure raises ``clnn.Error`` (or a subclass per clnn status: ``InvalidModel``,
``Unsupported``, ``InvalidArgument``, ``ShapeMismatch``, ``OutOfDeviceMemory``, ...) carrying
clnn's message, which names what went wrong and what to do; ``.status`` holds the code.
"""
import threading

import numpy as np

from . import _clnn
from ._clnn import (  # noqa: F401  (re-exported)
    BuildFailed, CLBlastError, Error, InternalError, InvalidArgument, InvalidModel, IOError,
    NoDevice, NoPlatform, OpenCLError, OutOfDeviceMemory, OutOfHostMemory, ShapeMismatch,
    Unsupported)

__version__ = _clnn.version()
__all__ = ["InferenceSession", "NodeArg", "devices", "Error", "__version__"]

_SCHEDULES = {"auto": 0, "single": 1, "latency": 2, "throughput": 3}
_ONNX_TYPES = {1: "tensor(float)", 7: "tensor(int64)", 9: "tensor(bool)"}
_NUMPY_TYPES = {1: np.float32, 7: np.int64, 9: np.bool_}


def devices():
    """Every OpenCL platform's devices, as dicts of what ``clnn-info`` prints (name, type,
    platform, vendor, driver and OpenCL versions, compute units, memory sizes, work-group
    limits, fp16/fp64, unified memory)."""
    return _clnn.devices()


class NodeArg:
    """A graph input or output: ``name``, ``shape`` (a list of ints; the batch dimension is the
    session's current batch) and ``type`` (``"tensor(float)"``...), as ONNX Runtime's."""

    __slots__ = ("name", "shape", "type")

    def __init__(self, name, shape, type_):
        self.name, self.shape, self.type = name, list(shape), type_

    def __repr__(self):
        return f"NodeArg(name={self.name!r}, type={self.type!r}, shape={self.shape!r})"


_contexts = {}
_contexts_lock = threading.Lock()


def _context(devices, cache_dir):
    key = (devices, cache_dir)
    with _contexts_lock:
        ctx = _contexts.get(key)
        if ctx is None:
            ctx = _contexts[key] = _clnn.Context(devices, cache_dir)
        return ctx


class InferenceSession:
    """A model prepared on OpenCL devices.

    ``path_or_bytes``: an ONNX file's path, or its bytes (external data files then resolve
    nowhere). ``devices``: a clnn selection string (``"gpu"``, ``"cpu"``, ``"all"``, ``"0:1"``,
    a name...; None: ``$CLNN_DEVICES``, else the first GPU, else the first device).
    ``schedule``: ``"auto"``, ``"single"``, ``"latency"`` or ``"throughput"`` (how layers
    spread over several devices). ``batch``: the batch prepared first (None: the model's);
    a run with another batch prepares that one too (the batch comes from the first input, as
    in clnn-run). ``cache_dir``: the kernel cache folder (None: ``$CLNN_CACHE_DIR``, else
    ``~/.cache/clnn``). ``profiling``: keep per-layer device times (``profile()``).
    """

    def __init__(self, path_or_bytes, devices=None, schedule="auto", batch=None,
                 cache_dir=None, profiling=False):
        if schedule not in _SCHEDULES:
            raise InvalidArgument(f"schedule must be one of {', '.join(_SCHEDULES)}, "
                                  f"not {schedule!r}")
        if batch is not None and (not isinstance(batch, int) or batch < 1):
            raise InvalidArgument(f"batch must be a positive int, not {batch!r}")
        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            self._graph = _clnn.Graph(bytes(path_or_bytes))
        else:
            self._graph = _clnn.Graph(str(path_or_bytes))
        self._ctx = _context(devices, cache_dir)
        self._schedule = _SCHEDULES[schedule]
        self._profiling = bool(profiling)
        self._lock = threading.Lock()
        self._sessions = {}
        self._current, self._inputs, self._outputs = self._prepare(batch or 0)

    def _prepare(self, batch):
        """The session for a batch, with its inputs' and outputs' metadata (read once)."""
        e = self._sessions.get(batch)
        if e is None:
            s = _clnn.Session(self._ctx, self._graph, batch, self._schedule, self._profiling)
            e = (s, s.inputs(), {n: (tuple(shape), t) for n, shape, t in s.outputs()})
            if batch == 0:  # the model's own batch: remember it under its number too
                self._sessions.setdefault(e[1][0][1][0], e)
            self._sessions[batch] = e
        return e

    def get_inputs(self):
        """The graph inputs as NodeArg (name, shape, type)."""
        return [NodeArg(n, shape, _ONNX_TYPES[1]) for n, shape, _ in self._inputs]

    def get_outputs(self):
        """The graph outputs as NodeArg (name, shape, type)."""
        return [NodeArg(n, list(shape), _ONNX_TYPES.get(t, "tensor(float)"))
                for n, (shape, t) in self._outputs.items()]

    def run(self, output_names, input_feed, run_options=None):
        """Runs the model. ``input_feed``: {input name: array-like}; every input must be
        given. Arrays of any dtype, memory order or stride are converted to C-ordered float32
        (a copy only when needed); anything that cannot be is refused. Returns a list of
        numpy arrays, one per name of ``output_names`` (None: every output, in order)."""
        del run_options  # accepted for compatibility with ONNX Runtime; nothing to set
        if not isinstance(input_feed, dict):
            raise InvalidArgument("input_feed must be a dict {input name: array}")
        names = [n for n, _, _ in self._inputs]
        unknown = [k for k in input_feed if k not in names]
        if unknown:
            raise InvalidArgument(f"the model has no input named {unknown[0]!r} "
                                  f"(its inputs: {', '.join(names)})")
        missing = [n for n in names if n not in input_feed]
        if missing:
            raise InvalidArgument(f"input{'s' if len(missing) > 1 else ''} not given: "
                                  f"{', '.join(missing)}")
        arrays = {}
        for n in names:
            v = input_feed[n]
            if np.iscomplexobj(v):
                raise InvalidArgument(f"input {n!r} is complex; clnn takes real values")
            try:
                a = np.asarray(v, dtype=np.float32)
            except (TypeError, ValueError) as e:
                raise InvalidArgument(f"input {n!r} cannot be converted to float32: {e}") \
                    from None
            if a.ndim == 0:
                raise InvalidArgument(f"input {n!r} is a scalar; it needs a batch dimension")
            arrays[n] = np.ascontiguousarray(a)
        first = arrays[names[0]]
        if first.shape[0] < 1:
            raise InvalidArgument(f"input {names[0]!r} holds no images (batch 0)")
        with self._lock:
            s, ins, outs = self._prepare(int(first.shape[0]))
            self._current, self._inputs, self._outputs = s, ins, outs
            for n, shape, _ in ins:
                a = arrays[n]
                if a.shape != tuple(shape):
                    raise ShapeMismatch(f"input {n!r} has shape {a.shape} but the "
                                        f"model takes {tuple(shape)}")
                s.set_input(n, a)
            s.run()
            wanted = list(outs) if output_names is None else list(output_names)
            result = []
            for n in wanted:
                if n not in outs:
                    raise InvalidArgument(f"the model has no output named {n!r} "
                                          f"(its outputs: {', '.join(outs)})")
                shape, t = outs[n]
                y = np.empty(shape, dtype=np.float32)
                s.get_output(n, y)
                result.append(y if t == 1 else y.astype(_NUMPY_TYPES.get(t, np.float32)))
            return result

    def schedule(self):
        """The schedule clnn chose: which devices run what, predicted and measured times."""
        return self._current.schedule()

    def profile(self):
        """Per layer of the last run, as dicts: name, op (after fusion), algorithm, device,
        predicted_ms and ms (device time; needs ``profiling=True``), max_error (after
        ``verify()``)."""
        return self._current.layers()

    def verify(self):
        """Recomputes every layer of the last input with clnn's C references on the host;
        ``profile()`` then holds each layer's max_error."""
        with self._lock:
            self._current.verify()
        return self.profile()

    def write_trace(self, path):
        """Writes the last run as a Chrome/Perfetto trace (JSON) to ``path``."""
        with self._lock:
            self._current.write_trace(str(path))

    def get_providers(self):
        """ONNX Runtime's name for where a session runs: clnn runs on OpenCL."""
        return ["OpenCLExecutionProvider"]
