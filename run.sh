#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs clnn's main job.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
[ -f build/build.ninja ] || meson setup build
meson compile -C build
exec build/tools/clnn-info "$@"
