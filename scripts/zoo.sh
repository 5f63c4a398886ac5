#!/usr/bin/env bash
# The whole torchvision zoo through clnn (tests/test_zoo.c): exports every model of
# scripts/export_zoo.py (or those named) into a folder, runs them and writes the table.
#   scripts/zoo.sh [--dir DIR] [--size N] [MODEL ...]
# DIR defaults to build/zoo-full (about 12 GB for all 74 models at 224x224); the table goes to
# DIR/report.md. Needs the main build (scripts/test.sh once). Exit status non-zero when any
# model is refused or does not match PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/zoo-full
export_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --size) export_args+=(--size "$2"); shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "zoo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -gt 0 ]; then
  export_args+=(--only "$(IFS=,; echo "$*")")
fi
[ -x build/tests/test_zoo ] || { echo "zoo.sh: build/tests/test_zoo is missing: run scripts/test.sh first" >&2; exit 2; }
/usr/bin/python3 scripts/export_zoo.py "$dir" "${export_args[@]}"
CLNN_ZOO_DIR="$dir" CLNN_ZOO_REPORT="$dir/report.md" CLNN_CACHE_DIR="$PWD/build/test-cache" \
  CLNN_LOG_LEVEL=error build/tests/test_zoo
