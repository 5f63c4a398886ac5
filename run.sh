#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs clnn's main job.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
[ -f build/build.ninja ] || meson setup build
meson compile -C build
# The main job: classify Fashion-MNIST's 10,000 test images on each device, then on all of
# them (clnn-demo --help lists the options, which pass through).
exec build/tools/clnn-demo "$@"
