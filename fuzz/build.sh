#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz (clang, ASan + UBSan, the whole library
# instrumented for coverage with -fsanitize=fuzzer-no-link) and runs them for a bounded time:
#   fuzz_onnx     the ONNX loader; seeds: every model tests/test_onnx.c builds (valid and
#                 hostile, written under CLNN_ONNX_SEED_DIR) and the small models of
#                 Debian's libonnx-testdata
#   fuzz_builder  the graph builder API and compilation (inference, folding, passes); seeds:
#                 a few byte programs below, the fuzzer grows them
#   fuzz_npy      clnn-run's .npy reader; seeds: .npy files written here
#
#   fuzz/build.sh                         build and refresh the corpora
#   fuzz/build.sh run [SECONDS [TARGETS]] ... then fuzz each target (default all three) for
#                                         SECONDS (default 300) on one core;
#                                         FUZZ_ONNX_VALIDATE=1 also validates loaded models
#
# Findings land in build-fuzz/fuzz-artifacts/TARGET/ (crash-*, leak-*, timeout-*); replay one
# with build-fuzz/fuzz/TARGET FILE. The exit status is non-zero when a target found one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLNN_FUZZ_BUILD:-$root/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
  # werror off: clang warns about things gcc does not, and this build only hunts crashes.
  CC=clang meson setup "$build" "$root" -Dfuzz=true -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false \
    -Dc_args=-fsanitize=fuzzer-no-link
fi
ninja -C "$build" -j "${JOBS:-2}" fuzz/fuzz_onnx fuzz/fuzz_builder fuzz/fuzz_npy tests/test_onnx

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp}
for t in fuzz_onnx fuzz_builder fuzz_npy; do mkdir -p "$build/corpus/$t" "$build/fuzz-artifacts/$t"; done
CLNN_ONNX_SEED_DIR=$build/corpus/fuzz_onnx "$build/tests/test_onnx" > "$build/fuzz-seeds.log" 2>&1 ||
  { cat "$build/fuzz-seeds.log"; exit 1; }
# Real exporter output where Debian's libonnx-testdata is installed (optional).
testdata=/usr/share/libonnx-testdata/data
if [ -d "$testdata" ]; then
  find "$testdata" -name model.onnx -size -64k | while read -r f; do
    n=${f#"$testdata"/}
    cp "$f" "$build/corpus/fuzz_onnx/testdata-${n//\//_}"
  done
fi
# Builder programs: opset, inputs, constants, then nodes (see fuzz_builder.c).
printf '\x0d\x01\x00\x02\x01\x04\x04\x08\x03\x02\x01\x02\x30\x01\x00\x01\x00' > "$build/corpus/fuzz_builder/seed-1"
printf '\x11\x02\x02\x02\x01\x03\x02\x02\x01\x04\x05\x01\x02\x03\x04\x05\x08\x10\x02\x00\x01\x01\x02\x00\x02' > "$build/corpus/fuzz_builder/seed-2"
/usr/bin/python3 - "$build/corpus/fuzz_npy" <<'PY'
import os, struct, sys
out = sys.argv[1]
for i, (shape, dt) in enumerate([((2, 3), '<f4'), ((1,), '<f4'), ((), '<f4'), ((2, 2), '>f4')]):
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (dt, repr(tuple(shape)))
    hdr += ' ' * ((64 - (10 + len(hdr) + 1) % 64) % 64) + '\n'
    n = 1
    for d in shape:
        n *= d
    open(os.path.join(out, 'seed-%d.npy' % i), 'wb').write(
        b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode() + bytes(4 * n))
PY
for t in fuzz_onnx fuzz_builder fuzz_npy; do echo "fuzz: $t: $(ls "$build/corpus/$t" | wc -l) inputs"; done

if [ "${1:-}" = run ]; then
  secs=${2:-300}
  targets=${3:-fuzz_onnx fuzz_builder fuzz_npy}
  cd "$build"
  found=0
  for t in $targets; do
    dict=()
    [ "$t" = fuzz_onnx ] && dict=(-dict="$root/fuzz/onnx.dict")
    echo "fuzz: running $t for $secs s"
    # -jobs=1: one fuzzing process (the machine's cores are shared), its log in fuzz-0.log.
    "$build/fuzz/$t" -max_total_time="$secs" -jobs=1 -workers=1 -max_len=16384 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
      -artifact_prefix="$build/fuzz-artifacts/$t/" "$build/corpus/$t" || found=1
    [ -f fuzz-0.log ] && mv fuzz-0.log "fuzz-$t.log"
  done
  exit $found
fi
