#!/usr/bin/env python3
"""Checks clnn-run end to end (no numpy needed: .npy files are written by hand).

usage: test_clnn_run.py CLNN_RUN MODELS_DIR
- SqueezeNet 1.1 with the exported input: exit 0, top-5 printed, the output .npy written
  and equal to PyTorch's output within 2e-3 of its scale, a profile and a verification table.
- Wrong inputs: a float64 .npy, a Fortran-order .npy, a truncated .npy, a shape that does not
  fit the model, a missing model, an unknown option: each exits non-zero with a message that
  says what is wrong.
"""
import os
import struct
import subprocess
import sys
import stat
import tempfile

run, models = sys.argv[1], sys.argv[2]
failures = []


def npy_bytes(shape, descr='<f4', fortran=False, values=None):
    shape_txt = '(' + ''.join(f'{d}, ' for d in shape).rstrip(' ') + ')'
    if len(shape) == 1:
        shape_txt = f'({shape[0]},)'
    hdr = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape_txt)
    hdr += ' ' * ((64 - (10 + len(hdr) + 1) % 64) % 64) + '\n'
    n = 1
    for d in shape:
        n *= d
    size = 8 if descr.endswith('8') else 4
    body = values if values is not None else bytes(n * size)
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode() + body


def read_npy_floats(path):
    data = open(path, 'rb').read()
    hlen = struct.unpack('<H', data[8:10])[0]
    body = data[10 + hlen:]
    return struct.unpack(f'<{len(body) // 4}f', body)


def check(args, code, text, name):
    p = subprocess.run([run] + args, capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    ok = (p.returncode == code if code == 0 else p.returncode != 0) and text in out
    if not ok:
        failures.append(f'{name}: exit {p.returncode}, expected {"0" if code == 0 else "non-zero"} '
                        f'and {text!r} in:\n{out}')
    return out


with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(models, 'squeezenet1_1.onnx')
    x = os.path.join(models, 'squeezenet1_1.input.npy')
    y = os.path.join(tmp, 'y.npy')
    out = check([model, '-i', x, '-o', y, '--profile', '--verify', '--verbose'], 0, 'top-5',
                'squeezenet run')
    for text in ('share', 'max error', 'activation memory'):
        if text not in out:
            failures.append(f'squeezenet run: {text!r} missing from the output')
    if os.path.exists(y):
        got = read_npy_floats(y)
        want = read_npy_floats(os.path.join(models, 'squeezenet1_1.output.npy'))
        scale = max(abs(v) for v in want)
        worst = max(abs(a - b) for a, b in zip(got, want))
        if len(got) != len(want) or worst > 2e-3 * scale:
            failures.append(f'squeezenet output differs from PyTorch: {worst} (scale {scale})')

    bad = {
        'f64.npy': (npy_bytes((2, 3, 224, 224), '<f8'), "'<f8'"),
        'fortran.npy': (npy_bytes((2, 3, 224, 224), fortran=True), 'Fortran'),
        'short.npy': (npy_bytes((2, 3, 224, 224))[:-100], 'fewer values'),
        'shape.npy': (npy_bytes((2, 3, 100, 100)), 'takes'),
        'magic.npy': (b'not an npy file at all', 'magic'),
    }
    for name, (data, text) in bad.items():
        path = os.path.join(tmp, name)
        open(path, 'wb').write(data)
        check([model, '-i', path], 1, text, name)
    # A 'descr' inside another value must not be taken for the key (the header is parsed as
    # the dict it is): this file is big-endian.
    hdr = ("{\"descr\": '>f4', 'fortran_order': False, 'shape': (2, 3, 224, 224), "
           "'note': \"'descr': '<f4'\", }")
    hdr += ' ' * ((64 - (10 + len(hdr) + 1) % 64) % 64) + '\n'
    path = os.path.join(tmp, 'trick.npy')
    open(path, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode() +
                           bytes(2 * 3 * 224 * 224 * 4))
    check([model, '-i', path], 1, "'>f4'", 'descr inside another value')
    # A FIFO is refused at once, never waited on.
    fifo = os.path.join(tmp, 'fifo.npy')
    os.mkfifo(fifo)
    check([model, '-i', fifo], 1, 'not a regular file', 'FIFO input')

    # Outputs: a symlink stays a symlink (its target is replaced), a device is written through
    # and never replaced, and a failed write reports the error.
    target = os.path.join(tmp, 'target.npy')
    link = os.path.join(tmp, 'link.npy')
    open(target, 'wb').write(b'old')
    os.symlink(target, link)
    check([model, '-i', x, '-o', link], 0, 'top-5', 'output through a symlink')
    if not os.path.islink(link) or os.path.getsize(target) < 4000:
        failures.append('-o through a symlink: the link was replaced or the target not written')
    if os.path.exists('/dev/full') and os.access('/dev/full', os.W_OK):
        check([model, '-i', x, '-o', '/dev/full'], 1, 'No space', 'output to /dev/full')
        check([model, '-i', x, '--trace', '/dev/full'], 1, 'No space', 'trace to /dev/full')
        if not stat.S_ISCHR(os.stat('/dev/full').st_mode):
            failures.append('/dev/full is no longer a character device')
    trace_link = os.path.join(tmp, 'trace-link.json')
    os.symlink(target, trace_link)
    check([model, '-i', x, '--trace', trace_link], 0, 'trace written', 'trace through a symlink')
    if not os.path.islink(trace_link) or not open(target).read().startswith('{'):
        failures.append('--trace through a symlink: the link was replaced or not written')

    # A model of two inputs: each named, none missing.
    two = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'two_inputs.onnx')
    va = [((i * 7) % 11) / 5.0 - 1.0 for i in range(24)]
    vb = [((i * 5) % 13) / 6.0 - 1.0 for i in range(24)]
    pa, pb, py = (os.path.join(tmp, f) for f in ('a.npy', 'b.npy', 'y2.npy'))
    open(pa, 'wb').write(npy_bytes((2, 3, 4), values=struct.pack('<24f', *va)))
    open(pb, 'wb').write(npy_bytes((2, 3, 4), values=struct.pack('<24f', *vb)))
    check([two, '-i', 'a=' + pa], 1, "input 'b' has no file", 'an input missing')
    check([two, '-i', pa], 1, 'name each one', 'a bare -i for two inputs')
    check([two, '-i', 'a=' + pa, '-i', 'c=' + pb], 1, "no input named 'c'", 'unknown input')
    check([two, '-i', 'a=' + pa, '-i', 'b=' + pb, '-o', 'y=' + py], 0, 'prepared', 'two inputs')
    if os.path.exists(py):
        got = read_npy_floats(py)
        want = [max(p, 0.0) * q + p for p, q in zip(va, vb)]
        if len(got) != 24 or max(abs(u - v) for u, v in zip(got, want)) > 1e-5:
            failures.append(f'two inputs: got {got[:4]}... want {want[:4]}...')
    check([two, '-i', 'a=' + pa, '-i', 'b=' + pb, '--iters', '3'], 0, 'iterations',
          'two inputs, --iters')

    check([os.path.join(tmp, 'missing.onnx')], 1, 'missing.onnx', 'missing model')
    check([model, '--frobnicate'], 2, 'unknown', 'unknown option')
    check([model, '--iters', 'zero'], 2, 'positive integer', 'bad --iters')
    check(['--help'], 0, 'usage', 'help')

for f in failures:
    print('FAIL', f)
sys.exit(1 if failures else 0)
