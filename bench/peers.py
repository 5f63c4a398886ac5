#!/usr/bin/env python3
"""Whole networks through clnn beside ONNX Runtime and OpenVINO, in one process and one
command: the same ONNX file, the same input, the same number of threads; each network timed
after a warm-up, the three runtimes interleaved round by round (so that machine drift hits all
alike), medians reported, outputs checked to agree. Writes a table (ms and the ratio of each
peer's time to clnn's: above 1 means clnn is faster), a CSV and a PNG plot.

usage: python bench/peers.py [--models DIR] [--nets a,b,...] [--batch 1] [--rounds 5]
                             [--iters 10] [--threads 2] [--devices SEL] [--csv F] [--png F]

The Python that runs it needs clnn's module (pip install ./python), numpy, and the peers from
PyPI: onnxruntime, openvino (matplotlib for the plot); bench/venv.sh makes such a virtual
environment. Networks: MODEL.onnx files of --models (scripts/export_zoo.py writes the
torchvision zoo into build/zoo; default: every model found there).
"""
import argparse
import csv
import glob
import os
import statistics
import sys
import time

import numpy as np

import clnn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def timed(fn, iters):
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters * 1e3


def runners(path, x, threads, devices):
    """name -> (run(), output()) for every runtime that loads the model."""
    out = {}
    s = clnn.InferenceSession(path, devices=devices, batch=x.shape[0])
    name = s.get_inputs()[0].name
    out["clnn"] = lambda: s.run(None, {name: x})[0]
    try:
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        o = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        oname = o.get_inputs()[0].name
        out["onnxruntime"] = lambda: o.run(None, {oname: x})[0]
    except ImportError:
        pass
    try:
        import openvino as ov
        core = ov.Core()
        core.set_property("CPU", {"INFERENCE_NUM_THREADS": threads})
        model = core.read_model(path)
        model.reshape({model.inputs[0]: list(x.shape)})
        comp = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        req = comp.create_infer_request()
        out["openvino"] = lambda: req.infer({0: x})[comp.outputs[0]].copy()
    except ImportError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=os.path.join(ROOT, "build", "zoo"))
    ap.add_argument("--nets", default="")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--devices", default=None)
    ap.add_argument("--csv", default=None)
    ap.add_argument("--png", default=None)
    a = ap.parse_args()
    if a.nets:
        paths = [os.path.join(a.models, n + ".onnx") for n in a.nets.split(",")]
    else:
        paths = sorted(glob.glob(os.path.join(a.models, "*.onnx")))
    rows = []
    for path in paths:
        net = os.path.basename(path)[:-5]
        shape_file = path[:-5] + ".input.npy"
        if os.path.exists(shape_file):
            base = np.load(shape_file)
            x = np.repeat(base[:1], a.batch, axis=0).astype(np.float32)
        else:
            x = np.random.default_rng(0).random((a.batch, 3, 224, 224), dtype=np.float32)
        try:
            rs = runners(path, x, a.threads, a.devices)
        except clnn.Error as e:
            print(f"{net}: clnn cannot run it: {str(e).splitlines()[0][:160]}", flush=True)
            continue
        outs = {k: f() for k, f in rs.items()}  # warm-up, and the outputs to compare
        ref = outs.get("onnxruntime", outs["clnn"])
        scale = max(1.0, float(np.abs(ref).max()))
        agree = {k: float(np.abs(v.reshape(ref.shape) - ref).max()) / scale for k, v in outs.items()}
        ms = {k: [] for k in rs}
        for _ in range(a.rounds):
            for k, f in rs.items():
                ms[k].append(timed(f, a.iters))
        med = {k: statistics.median(v) for k, v in ms.items()}
        row = {"net": net, "batch": a.batch, **{k + "_ms": med[k] for k in med},
               **{k + "_err": agree[k] for k in agree}}
        rows.append(row)
        ratios = "  ".join(f"{k} {med[k]:8.2f} ms ({med[k] / med['clnn']:.2f}x)" for k in med
                           if k != "clnn")
        print(f"{net:28s} batch {a.batch}: clnn {med['clnn']:8.2f} ms  {ratios}  "
              f"(max |diff| / scale: "
              f"{max(v for k, v in agree.items() if k != 'onnxruntime'):.1e})", flush=True)
    if not rows:
        sys.exit("no network ran")
    for peer in ("onnxruntime", "openvino"):
        r = [row[peer + "_ms"] / row["clnn_ms"] for row in rows if peer + "_ms" in row]
        if r:
            geo = float(np.exp(np.mean(np.log(r))))
            print(f"{peer}: geometric mean of its time over clnn's {geo:.2f} over {len(r)} "
                  f"networks (min {min(r):.2f}, max {max(r):.2f})")
    if a.csv:
        keys = sorted({k for row in rows for k in row}, key=lambda k: (k != "net", k))
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, keys)
            w.writeheader()
            w.writerows(rows)
    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(rows)), 4))
        idx = np.arange(len(rows))
        for i, peer in enumerate(("onnxruntime", "openvino")):
            v = [row.get(peer + "_ms", np.nan) / row["clnn_ms"] for row in rows]
            ax.bar(idx + (i - 0.5) * 0.4, v, 0.4, label=peer)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(idx)
        ax.set_xticklabels([row["net"] for row in rows], rotation=70, ha="right", fontsize=7)
        ax.set_ylabel("peer time / clnn time (above 1: clnn faster)")
        ax.set_title(f"batch {a.batch}, {a.threads} threads")
        ax.legend()
        fig.tight_layout()
        fig.savefig(a.png, dpi=120)


if __name__ == "__main__":
    main()
