#!/usr/bin/env bash
# Runs the kernel suites under Oclgrind (Debian's oclgrind), a simulator that presents a GPU
# (32 KiB of local memory, separate memory, work-items run as a GPU may run them) and checks
# every kernel launch for data races on local and global memory, out-of-bounds accesses and
# OpenCL API misuse. PoCL runs a work-group's items one after another between barriers, so a
# missing barrier passes there and fails on a GPU; this run finds it. The suites keep to their
# small cases (CLNN_TEST_SMALL=1). Any report fails the run; the count is printed.
#
# usage: scripts/oclgrind_tests.sh [BUILD_DIR] [SUITE...]   (default: every kernel suite)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  suites=()
  for s in conv pool layers fusion layout reduce resize convtranspose conv3d pad norm logic matmul; do
    [ -x "$build/tests/test_$s" ] && suites+=("$s")
  done
fi
command -v oclgrind >/dev/null || { echo "oclgrind_tests.sh: install Debian's oclgrind" >&2; exit 1; }
log=$(mktemp -d "${TMPDIR:-/tmp}/clnn-oclgrind.XXXXXX")
export CLNN_TEST_SMALL=1 CLNN_DEVICES=all CLNN_LOG_LEVEL=error
export CLNN_CACHE_DIR=${CLNN_CACHE_DIR:-$build/oclgrind-cache}
total=0 failed=0
for s in "${suites[@]}"; do
  t0=$(date +%s)
  rc=0
  oclgrind --data-races --check-api "$build/tests/test_$s" > "$log/$s.log" 2>&1 || rc=$?
  # Oclgrind's diagnostics: invalid accesses, races, API errors, divergence.
  n=$(grep -cE "Invalid (read|write)|data race|OpenCL runtime error|divergence|Uninitialized" \
        "$log/$s.log" || true)
  total=$((total + n))
  printf "%-16s %4d s  exit %d  %d Oclgrind report(s)\n" "$s" $(( $(date +%s) - t0 )) "$rc" "$n"
  if [ "$rc" != 0 ] || [ "$n" != 0 ]; then
    failed=1
    grep -E -m 20 "Invalid (read|write)|data race|OpenCL runtime error|divergence|FAIL|ERROR" \
      "$log/$s.log" || tail -20 "$log/$s.log"
  fi
done
echo "Oclgrind: ${#suites[@]} suites, $total report(s)"
rm -rf "$log"
exit $failed
