#!/usr/bin/env python3
"""Classifies the 10,000 Fashion-MNIST test images (Debian's dataset-fashion-mnist) with the
bundled ConvNet through clnn's Python module, and prints the accuracy and images/s.

usage: python examples/classify_fashion_mnist.py [--devices SEL] [--batch N] [--data DIR]
(pip install ./python first; the model's inputs are 28x28 pixels / 255, as it was trained).
"""
import argparse
import gzip
import os
import time

import numpy as np

import clnn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def idx(path):
    """An IDX file (the MNIST format: magic, dims, big-endian sizes, uint8 values)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = np.frombuffer(data, ">u4", ndim, 4).astype(int)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default=None, help="clnn device selection (default: $CLNN_DEVICES)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "fashion_mnist_cnn.onnx"))
    a = ap.parse_args()
    images = idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz"))
    labels = idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz"))
    x = (images.astype(np.float32) / 255.0)[:, None, :, :]
    sess = clnn.InferenceSession(a.model, devices=a.devices, batch=a.batch)
    name = sess.get_inputs()[0].name
    # Warm-up: the full batch and the last, shorter one (each batch size is prepared once).
    sess.run(None, {name: x[:a.batch]})
    if len(x) % a.batch:
        sess.run(None, {name: x[:len(x) % a.batch]})
    t0 = time.perf_counter()
    predicted = np.concatenate([sess.run(None, {name: x[i:i + a.batch]})[0].argmax(axis=1)
                                for i in range(0, len(x), a.batch)])
    seconds = time.perf_counter() - t0
    correct = int((predicted == labels).sum())
    print(f"{len(x)} images, {sess.schedule()}")
    print(f"accuracy {100.0 * correct / len(x):.2f}% ({correct} of {len(x)})")
    print(f"{len(x) / seconds:.0f} images/s ({seconds:.3f} s, batch {a.batch})")


if __name__ == "__main__":
    main()
