#!/usr/bin/env python3
"""Plots a `clnn-bench conv --compare` CSV: GFLOP/s per layer of the built-in defaults, the
tuned configuration and CLBlast's ConvGemm, one panel per batch size, with the geometric
means in each panel's title.

usage: plot_compare.py COMPARE.csv OUT.png   (needs python3-matplotlib)
Rows: compare,layer,batch,default_config,default_ms,tuned_config,tuned_ms,clblast_ms,
default_gflops,tuned_gflops,clblast_gflops,tuned_vs_default,tuned_vs_clblast; '#' lines are
comments.
"""
import csv
import math
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

SERIES = [('default_gflops', 'defaults (heuristic, default knobs)'),
          ('tuned_gflops', 'tuned (database)'),
          ('clblast_gflops', 'CLBlast ConvGemm')]


def geomean(values):
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else 0.0


def main():
    src, dst = sys.argv[1], sys.argv[2]
    rows = list(csv.reader(line for line in open(src) if not line.startswith('#')))
    header, rows = rows[0], [r for r in rows[1:] if r and r[0] == 'compare']
    if not rows:
        sys.exit('plot_compare.py: no compare rows in ' + src)
    col = {name: i for i, name in enumerate(header)}
    batches = sorted({int(r[col['batch']]) for r in rows})
    fig, axes = plt.subplots(len(batches), 1, squeeze=False,
                             figsize=(max(8, 0.7 * len(rows) / len(batches)), 4.2 * len(batches)))
    for ax, batch in zip(axes[:, 0], batches):
        mine = [r for r in rows if int(r[col['batch']]) == batch]
        layers = [r[col['layer']] for r in mine]
        width = 0.8 / len(SERIES)
        for i, (key, label) in enumerate(SERIES):
            ys = [float(r[col[key]]) for r in mine]
            ax.bar([j + i * width for j in range(len(layers))], ys, width, label=label)
        ratio_d = geomean([float(r[col['tuned_vs_default']]) for r in mine])
        ratio_c = geomean([float(r[col['tuned_vs_clblast']]) for r in mine])
        ax.set_title(f'batch {batch}: tuned {ratio_d:.2f}x the defaults, '
                     f'{ratio_c:.1f}x CLBlast ConvGemm (geometric means)')
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(layers))])
        ax.set_xticklabels(layers, rotation=45, ha='right', fontsize=8)
        ax.set_ylabel('GFLOP/s (direct count)')
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(dst, dpi=100)


if __name__ == '__main__':
    main()
