#!/usr/bin/env python3
"""Plots a clnn-bench conv CSV: GFLOP/s per layer and algorithm, one panel per batch size.

usage: plot_bench.py BENCH.csv OUT.png   (needs python3-matplotlib)
Rows: kind,layer,batch,algo,config,ms,gflops,vs_clblast; '#' lines are comments. Only conv
rows are plotted (pool rows hold GB/s).
"""
import csv
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def main():
    src, dst = sys.argv[1], sys.argv[2]
    rows = [r for r in csv.reader(l for l in open(src) if not l.startswith('#'))]
    header, rows = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    data = {}  # batch -> algo -> layer -> gflops
    layers = []
    for r in rows:
        if r[col['kind']] != 'conv':
            continue
        batch, algo, layer = int(r[col['batch']]), r[col['algo']], r[col['layer']]
        data.setdefault(batch, {}).setdefault(algo, {})[layer] = float(r[col['gflops']])
        if layer not in layers:
            layers.append(layer)
    if not data:
        sys.exit('plot_bench.py: no conv rows in ' + src)
    fig, axes = plt.subplots(len(data), 1, figsize=(max(8, len(layers) * 0.7), 4 * len(data)),
                             squeeze=False)
    for ax, batch in zip(axes[:, 0], sorted(data)):
        algos = sorted(data[batch])
        width = 0.8 / len(algos)
        for i, algo in enumerate(algos):
            xs = [j + i * width for j, l in enumerate(layers) if l in data[batch][algo]]
            ys = [data[batch][algo][l] for l in layers if l in data[batch][algo]]
            ax.bar(xs, ys, width, label=algo)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(layers))])
        ax.set_xticklabels(layers, rotation=45, ha='right', fontsize=8)
        ax.set_ylabel('GFLOP/s (direct count)')
        ax.set_title(f'batch {batch}')
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(dst, dpi=100)


if __name__ == '__main__':
    main()
