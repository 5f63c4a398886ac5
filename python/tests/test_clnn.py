"""pytest suite of the clnn Python module (python/): outputs against clnn-run's and PyTorch's,
every error path, conversions of inputs, threads, and a long loop that must not grow.

Environment: CLNN_BUILD_DIR (default ../build: clnn-run and the exported networks in
build/models), CLNN_DEVICES and CLNN_CACHE_DIR as for the C tests.
"""
import json
import os
import resource
import subprocess
import tempfile
import threading

import numpy as np
import pytest

import clnn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("CLNN_BUILD_DIR", os.path.join(ROOT, "build"))
MNIST = os.path.join(ROOT, "models", "fashion_mnist_cnn.onnx")
MODELS = os.environ.get("CLNN_MODELS_DIR", os.path.join(BUILD, "models"))
CLNN_RUN = os.path.join(BUILD, "tools", "clnn-run")
DEVICES = os.environ.get("CLNN_DEVICES") or "cpu"


def session(path=MNIST, **kw):
    return clnn.InferenceSession(path, devices=DEVICES, **kw)


def images(n, seed=1):
    return np.random.default_rng(seed).random((n, 1, 28, 28), dtype=np.float32)


def clnn_run(model, x):
    with tempfile.TemporaryDirectory() as tmp:
        i, o = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy")
        np.save(i, x)
        subprocess.run([CLNN_RUN, model, "-i", i, "-o", o, "--device", DEVICES], check=True,
                       capture_output=True)
        return np.load(o)


# ---- results ------------------------------------------------------------------------------

def test_mnist_equals_clnn_run():
    s = session()
    x = images(5)
    (y,) = s.run(None, {"image": x})
    assert y.shape == (5, 10) and y.dtype == np.float32
    np.testing.assert_array_equal(y, clnn_run(MNIST, x))


@pytest.mark.parametrize("name", ["squeezenet1_1", "resnet18"])
def test_torchvision_equals_pytorch(name):
    model = os.path.join(MODELS, name + ".onnx")
    if not os.path.exists(model):
        pytest.skip(f"{model} is not exported (scripts/export_models.py)")
    x = np.load(os.path.join(MODELS, name + ".input.npy"))
    want = np.load(os.path.join(MODELS, name + ".output.npy"))
    s = session(model)
    (y,) = s.run(["output"], {s.get_inputs()[0].name: x})
    scale = max(1.0, float(np.abs(want).max()))
    assert np.abs(y - want).max() <= 2e-3 * scale
    np.testing.assert_array_equal(y, clnn_run(model, x))


def test_inputs_outputs_and_batch_from_input():
    s = session()
    (i,), (o,) = s.get_inputs(), s.get_outputs()
    assert (i.name, i.type, i.shape) == ("image", "tensor(float)", [1, 1, 28, 28])
    assert (o.name, o.type) == ("logits", "tensor(float)")
    # The batch comes from the input; a new batch prepares that one too.
    for n in (3, 7, 3):
        (y,) = s.run(None, {"image": images(n)})
        assert y.shape == (n, 10)
    assert s.get_inputs()[0].shape[0] == 3
    # Each image's result does not depend on the batch it came in.
    x = images(7, seed=3)
    (y7,) = s.run(None, {"image": x})
    (y1,) = s.run(None, {"image": x[2:3]})
    np.testing.assert_allclose(y7[2:3], y1, rtol=1e-5, atol=1e-5)


def test_model_from_bytes_and_batch_option():
    data = open(MNIST, "rb").read()
    s = clnn.InferenceSession(data, devices=DEVICES, batch=4)
    assert s.get_inputs()[0].shape == [4, 1, 28, 28]
    x = images(4)
    np.testing.assert_array_equal(s.run(None, {"image": x})[0], session().run(None, {"image": x})[0])


def test_conversions():
    """Any dtype, order or stride becomes C-ordered float32 with the same values."""
    s = session()
    x = images(2, seed=5)
    (want,) = s.run(None, {"image": x})
    variants = [
        x.astype(np.float64),
        np.asfortranarray(x),
        np.repeat(x, 2, axis=3)[:, :, :, ::2],  # strided view
        x.tolist(),                               # nested lists
    ]
    for v in variants:
        np.testing.assert_array_equal(s.run(None, {"image": v})[0], want)
    ints = (x * 255).astype(np.uint8)
    (a,) = s.run(None, {"image": ints})
    (b,) = s.run(None, {"image": ints.astype(np.float32)})
    np.testing.assert_array_equal(a, b)


def test_profile_schedule_trace_verify(tmp_path):
    s = session(profiling=True)
    s.run(None, {"image": images(2)})
    layers = s.profile()
    assert layers and {"name", "op", "algorithm", "device", "predicted_ms", "ms"} <= set(layers[0])
    assert sum(L["ms"] for L in layers) > 0
    assert "single" in s.schedule() or "device" in s.schedule()
    trace = tmp_path / "t.json"
    s.write_trace(trace)
    assert json.load(open(trace))["traceEvents"]
    assert all(L["max_error"] < 1e-4 for L in s.verify())


def test_devices():
    d = clnn.devices()
    assert d and {"name", "type", "platform", "vendor", "compute_units", "global_mem_bytes",
                  "max_work_group_size", "fp16"} <= set(d[0])
    assert clnn.__version__.count(".") == 2


def test_example_fashion_mnist():
    """examples/classify_fashion_mnist.py: the bundled model's 90.69% on the test set."""
    data = "/usr/share/datasets/fashion-mnist"
    if not os.path.exists(os.path.join(data, "t10k-images-idx3-ubyte.gz")):
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    import sys
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples",
                                                       "classify_fashion_mnist.py"),
                          "--devices", DEVICES, "--batch", "1000"],
                         check=True, capture_output=True, text=True).stdout
    assert "accuracy 90.69% (9069 of 10000)" in out, out
    assert "images/s" in out


# ---- errors ---------------------------------------------------------------------------------

def test_errors():
    with pytest.raises(clnn.IOError) as e:
        session("/nonexistent/model.onnx")
    assert "nonexistent" in str(e.value) and e.value.status == 7
    with pytest.raises(clnn.InvalidModel):
        clnn.InferenceSession(b"not a model", devices=DEVICES)
    with pytest.raises(clnn.NoDevice) as e:
        clnn.InferenceSession(MNIST, devices="no-such-device")
    assert "devices found" in str(e.value)
    with pytest.raises(clnn.InvalidArgument):
        session(schedule="fastest")
    with pytest.raises(clnn.InvalidArgument):
        session(batch=0)
    s = session()
    with pytest.raises(clnn.InvalidArgument, match="no input named 'x'"):
        s.run(None, {"x": images(1)})
    with pytest.raises(clnn.InvalidArgument, match="not given: image"):
        s.run(None, {})
    with pytest.raises(clnn.ShapeMismatch, match="takes"):
        s.run(None, {"image": np.zeros((1, 1, 28, 27))})
    with pytest.raises(clnn.InvalidArgument, match="float32"):
        s.run(None, {"image": np.array([["a"] * 28] * 28, dtype=object)[None, None]})
    with pytest.raises(clnn.InvalidArgument, match="no output named"):
        s.run(["nope"], {"image": images(1)})
    with pytest.raises(clnn.InvalidArgument, match="scalar"):
        s.run(None, {"image": np.float32(1.0)})
    with pytest.raises(clnn.InvalidArgument, match="complex"):
        s.run(None, {"image": np.zeros((1, 1, 28, 28), dtype=np.complex64)})
    with pytest.raises(clnn.InvalidArgument, match="batch 0"):
        s.run(None, {"image": np.zeros((0, 1, 28, 28))})
    # Every error class is a clnn.Error; the session still works afterwards.
    assert issubclass(clnn.OutOfDeviceMemory, clnn.Error) and issubclass(clnn.IOError, OSError)
    assert s.run(None, {"image": images(1)})[0].shape == (1, 10)


# ---- threads and memory --------------------------------------------------------------------

def test_threads():
    """Threads on one session and on sessions of their own: the same answers as alone."""
    shared = session()
    x = images(4, seed=11)
    (want,) = shared.run(None, {"image": x})
    out, errors = [], []

    def work(own):
        try:
            s = session() if own else shared
            for _ in range(10):
                out.append(s.run(None, {"image": x})[0])
        except Exception as e:  # reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert len(out) == 60
    for y in out:
        np.testing.assert_array_equal(y, want)


def test_no_growth():
    """1000 runs after a warm-up add no more than 2 MB to the resident set."""
    s = session()
    x = images(2)
    for _ in range(100):
        s.run(None, {"image": x})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(1000):
        s.run(None, {"image": x})
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before <= 2048, f"max RSS grew by {after - before} KiB"
