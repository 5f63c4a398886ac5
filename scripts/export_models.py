#!/usr/bin/env python3
"""Exports torchvision networks with seeded weights to ONNX, with PyTorch's outputs as
references for the whole-network tests (tests/test_models.c) and the benchmarks.

usage: /usr/bin/python3 scripts/export_models.py OUTDIR [MODEL ...]
Needs Debian's python3-torch and python3-torchvision (they belong to /usr/bin/python3).
For each model M (default: googlenet resnet18 squeezenet1_1) it writes OUTDIR/M.onnx (opset
13, dynamic batch), OUTDIR/M.input.npy (batch 2, seeded uniform [-1, 1]) and
OUTDIR/M.output.npy (PyTorch's output in eval mode, fp32). Weights and batch-norm statistics
are seeded random values, so batch-norm folding is exercised with non-trivial numbers. Files
already present with the same seed are kept (a stamp file records the versions).
"""
import os
import sys

import numpy as np
import torch
import torchvision.models as tvm

SEED = 20261124
STAMP = f'seed={SEED} torch={torch.__version__} opset=13\n'


def randomize_batch_norm(net):
    """Seeded statistics and affine parameters for every BatchNorm2d of net."""
    g = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 1.5, generator=g)
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)


def build(name):
    torch.manual_seed(SEED)
    if name == 'googlenet':
        net = tvm.googlenet(weights=None, aux_logits=False, init_weights=True)
    else:
        net = getattr(tvm, name)(weights=None)
    randomize_batch_norm(net)
    return net.eval()


def export(name, outdir):
    onnx_path = os.path.join(outdir, name + '.onnx')
    stamp_path = os.path.join(outdir, name + '.stamp')
    if os.path.exists(stamp_path) and open(stamp_path).read() == STAMP and os.path.exists(onnx_path):
        print(f'{name}: up to date')
        return
    net = build(name)
    g = torch.Generator().manual_seed(SEED + 2)
    x = torch.rand(2, 3, 224, 224, generator=g) * 2 - 1
    with torch.no_grad():
        y = net(x)
    torch.onnx.export(net, x, onnx_path, opset_version=13, input_names=['input'],
                      output_names=['output'],
                      dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}})
    np.save(os.path.join(outdir, name + '.input.npy'), x.numpy().astype(np.float32))
    np.save(os.path.join(outdir, name + '.output.npy'), y.numpy().astype(np.float32))
    with open(stamp_path, 'w') as f:
        f.write(STAMP)
    print(f'{name}: exported ({os.path.getsize(onnx_path) / 1e6:.1f} MB)')


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in sys.argv[2:] or ['googlenet', 'resnet18', 'squeezenet1_1']:
        export(name, outdir)


if __name__ == '__main__':
    main()
