#!/usr/bin/env python3
"""Exports torchvision's convolutional classification networks (every one of torchvision
0.14 except the vision transformers) and its segmentation networks (FCN, DeepLabv3, LR-ASPP)
to ONNX the way a new user would (torch.onnx.export, opset 13, fixed shapes), with seeded
weights and PyTorch's outputs, for tests/test_zoo.c.

usage: /usr/bin/python3 scripts/export_zoo.py OUTDIR [--ci] [--size N] [--only M[,M...]]
                                                     [--list]
  --ci     one model of every family (the smallest), what CI runs
  --size   input height and width (default 224, 128 with --ci; AlexNet and VGG always
           take 224: ONNX export of their adaptive pooling needs it; Inception-v3 at least 75)
  --only   these models only (names as in --list)
  --list   print the models and their families, export nothing
For each model M it writes OUTDIR/M.onnx (OUTDIR/M/M.onnx with its weights in files beside
it for a model over 2 GiB), OUTDIR/M.input.npy (batch 1, seeded uniform
[-1, 1]) and OUTDIR/M.output.npy (PyTorch's output in eval mode; the segmentation networks'
'out'), and OUTDIR/zoo.txt lists the models exported, one "M family" per line, in order.
Batch-norm statistics are seeded random values (scripts/export_models.py), so folding is
exercised with non-trivial numbers. Files already there with the same stamp are kept.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision.models as tvm
import torchvision.models.segmentation as tvs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_models import SEED, randomize_batch_norm  # noqa: E402

# family -> models, smallest first (the one --ci exports).
FAMILIES = {
    'alexnet': ['alexnet'],
    'convnext': ['convnext_tiny', 'convnext_small', 'convnext_base', 'convnext_large'],
    'densenet': ['densenet121', 'densenet169', 'densenet201', 'densenet161'],
    'efficientnet': ['efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3',
                     'efficientnet_b4', 'efficientnet_b5', 'efficientnet_b6', 'efficientnet_b7'],
    'efficientnet_v2': ['efficientnet_v2_s', 'efficientnet_v2_m', 'efficientnet_v2_l'],
    'googlenet': ['googlenet'],
    'inception': ['inception_v3'],
    'mnasnet': ['mnasnet0_5', 'mnasnet0_75', 'mnasnet1_0', 'mnasnet1_3'],
    'mobilenet_v2': ['mobilenet_v2'],
    'mobilenet_v3': ['mobilenet_v3_small', 'mobilenet_v3_large'],
    'regnet_x': ['regnet_x_400mf', 'regnet_x_800mf', 'regnet_x_1_6gf', 'regnet_x_3_2gf',
                 'regnet_x_8gf', 'regnet_x_16gf', 'regnet_x_32gf'],
    'regnet_y': ['regnet_y_400mf', 'regnet_y_800mf', 'regnet_y_1_6gf', 'regnet_y_3_2gf',
                 'regnet_y_8gf', 'regnet_y_16gf', 'regnet_y_32gf', 'regnet_y_128gf'],
    'resnet': ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'],
    'resnext': ['resnext50_32x4d', 'resnext101_32x8d', 'resnext101_64x4d'],
    'shufflenet_v2': ['shufflenet_v2_x0_5', 'shufflenet_v2_x1_0', 'shufflenet_v2_x1_5',
                      'shufflenet_v2_x2_0'],
    'squeezenet': ['squeezenet1_1', 'squeezenet1_0'],
    'vgg': ['vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn'],
    'wide_resnet': ['wide_resnet50_2', 'wide_resnet101_2'],
    'fcn': ['fcn_resnet50', 'fcn_resnet101'],
    'deeplabv3': ['deeplabv3_mobilenet_v3_large', 'deeplabv3_resnet50', 'deeplabv3_resnet101'],
    'lraspp': ['lraspp_mobilenet_v3_large'],
}
SEGMENTATION = {'fcn', 'deeplabv3', 'lraspp'}
# Models whose weights pass 2 GiB: exported with external data into OUTDIR/M/M.onnx.
EXTERNAL = {'regnet_y_128gf'}


class SegmentationOut(torch.nn.Module):
    """The 'out' entry of a segmentation network's result dictionary."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)['out']


def build(name, family):
    torch.manual_seed(SEED)
    if family in SEGMENTATION:
        net = SegmentationOut(getattr(tvs, name)(weights=None, weights_backbone=None))
    elif name == 'googlenet':
        net = tvm.googlenet(weights=None, aux_logits=False, init_weights=True)
    elif name == 'inception_v3':
        net = tvm.inception_v3(weights=None, aux_logits=False, init_weights=True)
    else:
        net = getattr(tvm, name)(weights=None)
    randomize_batch_norm(net)
    return net.eval()


def export(name, family, outdir, size):
    if family in ('alexnet', 'vgg'):
        # their adaptive pooling (6x6, 7x7) exports only for the 224 input's feature map
        size = 224
    elif name == 'inception_v3':
        size = max(size, 75)
    stamp = f'seed={SEED} torch={torch.__version__} opset=13 size={size}\n'
    onnx_path = os.path.join(outdir, name + '.onnx')
    if name in EXTERNAL:
        # over protobuf's 2 GiB: torch writes each weight to its own file beside the model,
        # so such a model gets a folder of its own
        os.makedirs(os.path.join(outdir, name), exist_ok=True)
        onnx_path = os.path.join(outdir, name, name + '.onnx')
    stamp_path = os.path.join(outdir, name + '.stamp')
    if (os.path.exists(stamp_path) and open(stamp_path).read() == stamp and
            os.path.exists(onnx_path)):
        print(f'{name}: up to date')
        return
    net = build(name, family)
    g = torch.Generator().manual_seed(SEED + 2)
    x = torch.rand(1, 3, size, size, generator=g) * 2 - 1
    with torch.no_grad():
        y = net(x)
        torch.onnx.export(net, x, onnx_path, opset_version=13, input_names=['input'],
                          output_names=['output'])
    np.save(os.path.join(outdir, name + '.input.npy'), x.numpy().astype(np.float32))
    np.save(os.path.join(outdir, name + '.output.npy'), y.numpy().astype(np.float32))
    with open(stamp_path, 'w') as f:
        f.write(stamp)
    where = os.path.dirname(onnx_path)
    files = os.listdir(where) if name in EXTERNAL else [name + '.onnx']
    size_mb = sum(os.path.getsize(os.path.join(where, f)) for f in files) / 1e6
    print(f'{name}: exported ({size_mb:.1f} MB)', flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('outdir')
    ap.add_argument('--ci', action='store_true')
    ap.add_argument('--size', type=int)
    ap.add_argument('--only')
    ap.add_argument('--list', action='store_true')
    a = ap.parse_args()
    models = [(m, f) for f, ms in FAMILIES.items() for m in (ms[:1] if a.ci else ms)]
    if a.only:
        want = a.only.split(',')
        known = {m for ms in FAMILIES.values() for m in ms}
        bad = [m for m in want if m not in known]
        if bad:
            sys.exit(f'export_zoo.py: unknown model(s) {", ".join(bad)}; --list shows them')
        models = [(m, f) for f, ms in FAMILIES.items() for m in ms if m in want]
    if a.list:
        for m, f in models:
            print(m, f)
        return
    size = a.size or (128 if a.ci else 224)
    if size < 32:
        sys.exit('export_zoo.py: --size must be at least 32')
    os.makedirs(a.outdir, exist_ok=True)
    for m, f in models:
        export(m, f, a.outdir, size)
    with open(os.path.join(a.outdir, 'zoo.txt'), 'w') as f:
        for m, fam in models:
            f.write(f'{m} {fam}\n')


if __name__ == '__main__':
    main()
