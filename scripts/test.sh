#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (the README's second
# command). With --sanitize it does the same in build-asan/ with AddressSanitizer and
# UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

dir=build
args=()
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  args=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug)
  # PoCL and LLVM keep allocations alive until exit by design; clnn's own leaks are still
  # reported (see tests/lsan.supp).
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi
[ -f "$dir/build.ninja" ] || meson setup "$dir" "${args[@]}"
meson compile -C "$dir"
meson test -C "$dir" --print-errorlogs --num-processes 2
