#!/usr/bin/env python3
"""Trains the model clnn bundles: a small ConvNet on Fashion-MNIST, seeded and deterministic,
and exports it to ONNX with PyTorch's test-set predictions beside it (clnn-demo compares
clnn's predictions with them).

usage: /usr/bin/python3 scripts/train_fashion_mnist.py [--data DIR] [--out DIR] [--epochs N]
Needs Debian's python3-torch and python3-numpy (they belong to /usr/bin/python3) and the
Fashion-MNIST IDX files of Debian's dataset-fashion-mnist (default /usr/share/datasets/
fashion-mnist). Writes OUT/fashion_mnist_cnn.onnx (opset 13, input "image" [N,1,28,28],
output "logits" [N,10], dynamic batch), OUT/fashion_mnist_cnn.torch_labels (10,000 bytes:
PyTorch's predicted class of each test image, in file order) and OUT/README.md.

Input normalisation: pixel / 255 (uint8 -> float32 in [0, 1]), nothing else; clnn-demo does
exactly the same. Network: conv 3x3 1->8 (pad 1), ReLU, max pool 2, conv 3x3 8->16 (pad 1),
ReLU, max pool 2, flatten, fully connected 784->10.
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

SEED = 20240601
THREADS = 2  # fixed so that the run (and its floating-point sums) repeats on any machine
BATCH = 64
LR = 3e-3  # peak learning rate; cosine decay to 0 over the run


def read_idx(path, magic):
    """An IDX file (gzip) as a uint8 array; refuses a wrong magic or a short file."""
    with gzip.open(path, 'rb') as f:
        data = f.read()
    got, = struct.unpack('>I', data[:4])
    if got != magic:
        sys.exit(f'{path}: magic 0x{got:08x}, expected 0x{magic:08x}')
    ndim = magic & 0xff
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        sys.exit(f'{path}: {body.size} bytes of data, header says {dims}')
    return body.reshape(dims)


def load(data_dir, split):
    prefix = 'train' if split == 'train' else 't10k'
    try:
        images = read_idx(os.path.join(data_dir, f'{prefix}-images-idx3-ubyte.gz'), 0x803)
        labels = read_idx(os.path.join(data_dir, f'{prefix}-labels-idx1-ubyte.gz'), 0x801)
    except FileNotFoundError as e:
        sys.exit(f'{e}\nFashion-MNIST is missing: apt-get install dataset-fashion-mnist')
    # The normalisation clnn-demo repeats: x / 255, no mean or deviation.
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def train(net, x, y, epochs):
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    steps = epochs * ((len(x) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(SEED + 1)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        t0 = time.time()
        net.train()
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f'epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f} ({time.time() - t0:.1f} s)',
              flush=True)


def predict(net, x):
    net.eval()
    with torch.no_grad():
        return torch.cat([net(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])


def write_readme(out, accuracy, epochs, params):
    text = f"""# The bundled model: Fashion-MNIST ConvNet

`fashion_mnist_cnn.onnx` classifies 28x28 grey images of clothing into the 10 classes of
Fashion-MNIST (0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt,
7 sneaker, 8 bag, 9 ankle boot). `clnn-demo` (what `./run.sh` runs) classifies the 10,000
test images with it on every OpenCL device.

- Network: conv 3x3 1->8 (padding 1), ReLU, max pool 2, conv 3x3 8->16 (padding 1), ReLU,
  max pool 2, flatten, fully connected 784->10 ({params:,} parameters).
- Input `image` [N, 1, 28, 28] float32, output `logits` [N, 10] (no softmax); ONNX opset 13
  with a dynamic batch dimension.
- Input normalisation: pixel / 255 (uint8 to float32 in [0, 1]), nothing else; clnn-demo
  does exactly the same.
- Trained by this project, not downloaded: Debian's Fashion-MNIST (`apt-get install
  dataset-fashion-mnist`, IDX files in `/usr/share/datasets/fashion-mnist`), {epochs}
  epochs of Adam (peak learning rate {LR} with cosine decay, batch {BATCH}) on the 60,000
  training images, seed {SEED}, {THREADS} threads, deterministic algorithms, PyTorch
  {torch.__version__} (Debian's python3-torch).
- PyTorch test accuracy (10,000 test images): **{100 * accuracy:.2f}%**.

Files:

- `fashion_mnist_cnn.onnx`: the trained network.
- `fashion_mnist_cnn.torch_labels`: 10,000 bytes, PyTorch's predicted class of each test image
  in the order of `t10k-images-idx3-ubyte.gz`; clnn-demo counts how many of clnn's
  predictions agree with them.

`meson install` copies both to `<prefix>/share/clnn` (default `/usr/local/share/clnn`), where
an installed clnn-demo finds them when the source tree's copies are gone.

Reproduce (under a minute on 2 cores; the same PyTorch build writes the same files byte for
byte):

```sh
/usr/bin/python3 scripts/train_fashion_mnist.py
```
"""
    with open(os.path.join(out, 'README.md'), 'w') as f:
        f.write(text)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--out', default=os.path.join(here, '..', 'models'))
    ap.add_argument('--epochs', type=int, default=12)
    a = ap.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    x_train, y_train = load(a.data, 'train')
    x_test, y_test = load(a.data, 'test')

    net = FashionCNN()
    t0 = time.time()
    train(net, x_train, y_train, a.epochs)
    pred = predict(net, x_test)
    accuracy = (pred == y_test).float().mean().item()
    print(f'trained in {time.time() - t0:.0f} s; PyTorch test accuracy {100 * accuracy:.2f}%')

    os.makedirs(a.out, exist_ok=True)
    onnx_path = os.path.join(a.out, 'fashion_mnist_cnn.onnx')
    torch.onnx.export(net.eval(), x_test[:2], onnx_path, opset_version=13,
                      input_names=['image'], output_names=['logits'],
                      dynamic_axes={'image': {0: 'N'}, 'logits': {0: 'N'}})
    with open(os.path.join(a.out, 'fashion_mnist_cnn.torch_labels'), 'wb') as f:
        f.write(pred.numpy().astype(np.uint8).tobytes())
    write_readme(a.out, accuracy, a.epochs, sum(p.numel() for p in net.parameters()))
    print(f'wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), the labels and README.md')


if __name__ == '__main__':
    main()
