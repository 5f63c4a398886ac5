#!/usr/bin/env bash
# Builds the Python module against BUILD_DIR's libclnn (a wheel into BUILD_DIR/wheels, then
# installed into a virtual environment BUILD_DIR/pyenv with numpy and pytest from PyPI) and
# runs its pytest suite (python/tests), with the networks of build/models.
#
# usage: scripts/python_tests.sh [BUILD_DIR]    (default build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
py=${CLNN_PYTHON:-python3}
env=$build/pyenv
[ -x "$env/bin/python" ] || "$py" -m venv "$env"
"$env/bin/python" -m pip install --quiet --upgrade pip numpy pytest
export CLNN_BUILD_DIR=$build
rm -rf "$build/wheels"
"$env/bin/python" -m pip wheel --quiet --no-deps -w "$build/wheels" "$root/python"
"$env/bin/python" -m pip install --quiet --force-reinstall --no-deps "$build"/wheels/clnn-*.whl
echo "python: $(ls "$build"/wheels) installed into $env"
export CLNN_MODELS_DIR=${CLNN_MODELS_DIR:-$root/build/models}
export CLNN_CACHE_DIR=${CLNN_CACHE_DIR:-$build/test-cache}
cd "$root"
exec "$env/bin/python" -m pytest -q python/tests
