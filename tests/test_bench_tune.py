#!/usr/bin/env python3
"""Checks `clnn-bench tune`, `clnn-bench conv --compare` and clnn-info's database line end to
end on two tiny layers (seconds of budget; no timing is judged).

usage: test_bench_tune.py CLNN_BENCH CLNN_INFO
- tune writes the device's database into the cache folder: valid JSON, format 1, the device's
  key, one complete entry per layer and batch, each with a winner whose time is no worse than
  the default's; clnn-info then names that file and its entry count.
- The same command again tunes nothing (resumed: complete layers are skipped); --restart
  tunes them again.
- SIGINT during a run: exit 0, "interrupted" said, what was measured is saved, and the next
  run tunes only what is left.
- conv --compare prints a row per layer and batch with the defaults, the tuned configuration
  (the database's) and their ratio, and the geometric mean.
- Bad input: --budget 0, --batch x, --layers and --model together, an unknown option, a
  device that does not exist, a damaged database (refused unless --restart): a message and a
  non-zero exit, the damaged file left as it was.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

bench, info = sys.argv[1], sys.argv[2]
failures = []

LAYERS = """# name,C,H,W,K,R,S,stride,pad,source
tiny_3x3,8,12,12,16,3,3,1,1,test
tiny_1x1,16,7,7,24,1,1,1,0,test
"""
SLOW = LAYERS + "".join(f"more_{i},{8 + i},20,20,16,3,3,1,1,test\n" for i in range(8))


def run(args, env, code=0, text='', name=''):
    p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    out = p.stdout + p.stderr
    ok = (p.returncode == code if code == 0 else p.returncode != 0) and text in out
    if not ok:
        failures.append(f'{name}: exit {p.returncode}, expected {"0" if code == 0 else "non-zero"}'
                        f' and {text!r} in:\n{out}')
    return out


def database(cache):
    files = [f for f in os.listdir(cache) if f.startswith('tune-') and f.endswith('.json')]
    if len(files) != 1:
        failures.append(f'expected one tune-*.json in the cache folder, found {files}')
        return None, None
    path = os.path.join(cache, files[0])
    with open(path) as f:
        return path, json.load(f)


with tempfile.TemporaryDirectory() as tmp:
    cache = os.path.join(tmp, 'cache')
    env = dict(os.environ, CLNN_CACHE_DIR=cache)
    layers = os.path.join(tmp, 'tiny.csv')
    with open(layers, 'w') as f:
        f.write(LAYERS)
    tune = [bench, 'tune', '--layers', layers, '--batch', '2,1', '--budget', '8']

    out = run(tune, env, 0, 'tuned', 'first run')
    path, db = database(cache)
    if db is not None:
        if db.get('format') != 1 or 'device' not in db:
            failures.append(f'database key: {db.get("format")}, {db.get("device")}')
        conv = db.get('conv', [])
        if len(conv) != 4:
            failures.append(f'expected 4 entries (2 layers x 2 batches), found {len(conv)}')
        for e in conv:
            ms = {name: r['ms'] for name, r in e.get('algorithms', {}).items()}
            if not e.get('complete') or e.get('best') not in ms:
                failures.append(f'entry {e.get("layer")}: not complete or no winner: {e}')
            elif ms[e['best']] > e['default_ms'] * 1.0001:
                failures.append(f'entry {e.get("layer")}: winner slower than the default: {e}')
        listing = run([info], env, 0, path, 'clnn-info names the database')
        if '4 convolution entries' not in listing:
            failures.append(f'clnn-info lacks the entry count:\n{listing}')

    run(tune, env, 0, '0 to tune', 'second run resumes')
    run(tune + ['--restart'], env, 0, '4 to tune', '--restart tunes again')

    # Interrupted: more layers with a long budget, SIGINT after the first ones.
    slow = os.path.join(tmp, 'slow.csv')
    with open(slow, 'w') as f:
        f.write(SLOW)
    cache2 = os.path.join(tmp, 'cache2')
    env2 = dict(os.environ, CLNN_CACHE_DIR=cache2)
    cmd = [bench, 'tune', '--layers', slow, '--batch', '1', '--budget', '600']
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env2)
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None:
        done = [f for f in os.listdir(cache2) if f.startswith('tune-')] if os.path.isdir(cache2) else []
        if done:  # the first layer is saved: stop the run
            break
        time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    o, e = p.communicate(timeout=600)
    if p.returncode != 0 or 'interrupted' not in e:
        failures.append(f'SIGINT: exit {p.returncode}, expected 0 and "interrupted":\n{o}{e}')
    _, db2 = database(cache2)
    saved = len([c for c in db2.get('conv', []) if c.get('complete')]) if db2 else 0
    if not 1 <= saved < 10:
        failures.append(f'after SIGINT, {saved} complete entries saved (expected 1..9)')
    run(cmd[:-1] + ['1'], env2, 0, f'{10 - saved} to tune', 'resume after SIGINT')

    # The comparison uses the first database.
    out = run([bench, 'conv', '--compare', '--layers', layers, '--batch', '1,2', '--min-time',
               '0.02', '--no-clblast'], env, 0, 'tuned/default', 'conv --compare')
    rows = [line for line in out.splitlines() if line.startswith('compare,')]
    if len(rows) != 4 or not all(len(r.split(',')) >= 13 for r in rows):
        failures.append(f'conv --compare: expected 4 rows of 13 columns:\n{out}')
    if path and path not in out:
        failures.append(f'conv --compare does not name the database {path}:\n{out}')

    # Bad input.
    run([bench, 'tune', '--budget', '0'], env, 1, 'budget', 'budget 0')
    run([bench, 'tune', '--batch', 'x'], env, 1, 'batch', 'batch x')
    run([bench, 'tune', '--layers', layers, '--model', 'm.onnx'], env, 1, 'not both',
        'layers and model')
    run([bench, 'tune', '--frobnicate'], env, 1, 'unknown', 'unknown option')
    run([bench, 'tune', '--layers', layers, '--device', 'no-such-device'], env, 1,
        'devices found', 'no such device')
    run([bench, 'tune', '--layers', os.path.join(tmp, 'missing.csv')], env, 1, 'missing.csv',
        'missing layer file')
    if path:
        with open(path, 'w') as f:
            f.write('{"format": 1, "device": ')
        run(tune, env, 1, '--restart', 'damaged database refused')
        with open(path) as f:
            if f.read() != '{"format": 1, "device": ':
                failures.append('the damaged database was changed without --restart')
        run(tune + ['--restart'], env, 0, 'replacing the unusable database',
            'damaged database replaced with --restart')

if failures:
    print('\n\n'.join(failures))
    sys.exit(1)
print('clnn-bench tune, conv --compare and clnn-info: all checks passed')
