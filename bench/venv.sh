#!/usr/bin/env bash
# The benchmarks' virtual environment: the peers clnn is compared with (ONNX Runtime and
# OpenVINO from PyPI, for benchmarking only: never a dependency of the library or its tests),
# numpy, matplotlib, and clnn's Python module built against BUILD_DIR. Prints its python.
#
# usage: bench/venv.sh [BUILD_DIR]   then   $(bench/venv.sh) bench/peers.py ...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
env=$build/bench-venv
[ -x "$env/bin/python" ] || "${CLNN_PYTHON:-python3}" -m venv "$env" >&2
"$env/bin/python" -m pip install --quiet --upgrade pip numpy matplotlib onnxruntime openvino >&2
CLNN_BUILD_DIR=$build "$env/bin/python" -m pip install --quiet --force-reinstall --no-deps \
  "$root/python" >&2
echo "$env/bin/python"
