#!/usr/bin/env python3
"""Checks clnn-demo end to end on the bundled Fashion-MNIST model.

usage: test_demo.py CLNN_DEMO MODEL.onnx
- The first 512 test images: exit 0, an accuracy line per run (each device alone, then the
  whole machine) with a plausible accuracy, images/s, the schedule, and the agreement line
  with PyTorch: all 512 agree, or each disagreement listed is a near tie.
- A short last batch (100 images at batch 64, padded): the same agreement.
- Failures: --data on an empty folder (names the apt-get package), --model on a missing file,
  PyTorch labels of the wrong size, labels that disagree (a device that miscomputes), bad
  arguments: each exits non-zero with a message that says what is wrong.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

demo, model = sys.argv[1], sys.argv[2]
failures = []


def check(args, code, texts, name):
    p = subprocess.run([demo] + args, capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    ok = p.returncode == code if code in (0, 2) else p.returncode not in (0, 2)
    missing = [t for t in texts if t not in out]
    if not ok or missing:
        want = 'non-zero' if code == 1 else code
        failures.append(f'{name}: exit {p.returncode} (expected {want}), missing {missing} in:\n{out}')
    return out


def check_agreement(out, n, name):
    runs = re.findall(r'accuracy (\d+\.\d+)% \((\d+) of (\d+) images\)', out)
    if len(runs) < 2:
        failures.append(f'{name}: expected an accuracy line per device and for the whole machine')
    for acc, _, total in runs:
        if int(total) != n or not 80.0 <= float(acc) <= 100.0:
            failures.append(f'{name}: implausible accuracy {acc}% of {total} images')
    agree = re.findall(r'agrees with PyTorch on (\d+) of (\d+) images', out)
    if len(agree) != len(runs):
        failures.append(f'{name}: {len(agree)} agreement lines for {len(runs)} runs')
    if any(int(a) != n for a, _ in agree):
        ties = re.findall(r'image \d+: clnn .*: (near tie|NOT a near tie)', out)
        if not ties or any(t != 'near tie' for t in ties):
            failures.append(f'{name}: disagreements with PyTorch that are not near ties')
    for text in ('images/s', 'schedule: ', 'whole machine'):
        if text not in out:
            failures.append(f'{name}: {text!r} missing')


out = check(['--limit', '512'], 0, [], 'limit 512')
check_agreement(out, 512, 'limit 512')
out = check(['--limit', '100', '--batch', '64'], 0, [], 'padded last batch')
check_agreement(out, 100, 'padded last batch')

with tempfile.TemporaryDirectory() as tmp:
    check(['--data', tmp, '--limit', '8'], 1, ['apt-get install dataset-fashion-mnist'],
          'empty data folder')
    missing = os.path.join(tmp, 'missing.onnx')
    check(['--model', missing], 1, [missing, 'No such file'], 'missing model')
    copy = os.path.join(tmp, 'copy.onnx')
    shutil.copy(model, copy)
    with open(os.path.join(tmp, 'copy.torch_labels'), 'wb') as f:
        f.write(bytes(100))
    check(['--model', copy, '--limit', '8'], 1, ['holds 100 bytes', '10000 images'],
          'short labels')
    with open(os.path.join(tmp, 'copy.torch_labels'), 'wb') as f:
        f.write(bytes([5]) * 10000)  # "sandal" for every image: far from clnn's answers
    check(['--model', copy, '--limit', '64', '--device', 'cpu'], 1,
          ['NOT a near tie', 'clnn-run MODEL --verify'], 'disagreeing labels')
check(['--batch', '0'], 2, ['integer'], 'bad --batch')
check(['--frobnicate'], 2, ['unknown'], 'unknown option')
check(['--device', 'nope', '--limit', '8'], 1, ['devices found'], 'bad device')
check(['--help'], 0, ['usage', '--limit'], 'help')

for f in failures:
    print('FAIL', f)
sys.exit(1 if failures else 0)
