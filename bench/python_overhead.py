#!/usr/bin/env python3
"""Per-call overhead of the clnn Python module over the C API, beside ONNX Runtime's Python
per-call time on the same tiny model, interleaved in one command.

usage: python bench/python_overhead.py [MODEL.onnx] [--build BUILD_DIR] [--rounds N]
(the Python that runs it needs the clnn module (pip install ./python), numpy, and
onnxruntime for the comparison). Default model: tests/data/two_inputs.onnx (relu(a) * b + a
on [1, 3, 4]). The C baseline is `clnn-bench call MODEL`: set inputs, run, get output.
"""
import argparse
import os
import statistics
import subprocess
import time

import numpy as np

import clnn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def per_call(fn, calls):
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default=os.path.join(ROOT, "tests", "data",
                                                             "two_inputs.onnx"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=2000)
    a = ap.parse_args()
    s = clnn.InferenceSession(a.model)
    feed = {i.name: np.zeros(i.shape, np.float32) for i in s.get_inputs()}
    ort = None
    try:
        import onnxruntime
        so = onnxruntime.SessionOptions()
        so.intra_op_num_threads = 2
        ort = onnxruntime.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    except ImportError:
        print("onnxruntime is not installed: no comparison")
    # The same three C API calls straight through the extension: what a C program does,
    # plus a bare call each (measured below); the difference to run() is the module's work.
    raw = s._current
    names = [i.name for i in s.get_inputs()]
    out_name, out_shape, _ = raw.outputs()[0]
    s.run(None, feed)
    y = np.empty(out_shape, np.float32)
    arrays = [np.ascontiguousarray(feed[n]) for n in names]

    def raw_call():
        for n, x in zip(names, arrays):
            raw.set_input(n, x)
        raw.run()
        raw.get_output(out_name, y)

    c_us, py_us, raw_us, ort_us = [], [], [], []
    for _ in range(a.rounds):  # interleaved, so machine drift hits all alike
        out = subprocess.run([os.path.join(a.build, "bench", "clnn-bench"), "call", a.model,
                              str(a.calls)], check=True, capture_output=True, text=True).stdout
        c_us.append(float(out.split()[0]))
        py_us.append(per_call(lambda: s.run(None, feed), a.calls))
        raw_us.append(per_call(raw_call, a.calls))
        if ort:
            ort_us.append(per_call(lambda: ort.run(None, feed), a.calls))
    c, p, r = (statistics.median(v) for v in (c_us, py_us, raw_us))
    print(f"model {os.path.basename(a.model)}, medians of {a.rounds} interleaved rounds of "
          f"{a.calls} calls")
    print(f"  clnn C API (clnn-bench call, own process): {c:9.2f} us per call")
    print(f"  the C API calls through the extension:      {r:9.2f} us per call")
    print(f"  clnn Python InferenceSession.run:           {p:9.2f} us per call "
          f"(overhead over the C calls {p - r:+.2f} us)")
    if ort:
        print(f"  ONNX Runtime InferenceSession.run:          "
              f"{statistics.median(ort_us):9.2f} us per call")
    # The module's own work per call, with the three C calls stubbed out: deterministic,
    # unlike the run itself on a busy machine.
    class Stub:
        def set_input(self, n, x):
            pass

        def run(self):
            pass

        def get_output(self, n, y):
            pass

    real = s._sessions
    s._sessions = {k: (Stub(), ins, outs) for k, (_, ins, outs) in real.items()}
    stub_us = statistics.median(per_call(lambda: s.run(None, feed), a.calls * 10)
                                for _ in range(a.rounds))
    s._sessions = real
    print(f"  the module's own work per call (C calls stubbed): {stub_us:.2f} us")
    noop = per_call(clnn._clnn.noop, 100000)
    print(f"  a bare call into the extension: {noop:.3f} us")


if __name__ == "__main__":
    main()
