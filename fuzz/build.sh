#!/usr/bin/env bash
# Builds the libFuzzer target of the ONNX loader in build-fuzz: clang, ASan + UBSan, the
# whole library instrumented for coverage (-fsanitize=fuzzer-no-link), fuzz_onnx linked with
# -fsanitize=fuzzer. The seed corpus is every model tests/test_onnx.c builds (valid and
# hostile), written by that suite under CLNN_ONNX_SEED_DIR, plus the small models of
# Debian's libonnx-testdata when it is installed.
#
#   fuzz/build.sh                 build and refresh the corpus
#   fuzz/build.sh run [SECONDS [FLAGS...]]
#                                 ... then fuzz for SECONDS (default 600) on one core, with
#                                 extra libFuzzer FLAGS; FUZZ_ONNX_VALIDATE=1 also validates
#
# Findings land in build-fuzz/fuzz-artifacts/ (crash-*, leak-*, timeout-*); replay one with
# build-fuzz/lib/fuzz_onnx FILE.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLNN_FUZZ_BUILD:-$root/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
  # werror off: clang warns about things gcc does not, and this build only hunts crashes.
  CC=clang meson setup "$build" "$root" -Dfuzz=true -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false \
    -Dc_args=-fsanitize=fuzzer-no-link
fi
ninja -C "$build" -j "${JOBS:-2}" lib/fuzz_onnx tests/test_onnx

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp}
corpus=$build/fuzz-corpus
mkdir -p "$corpus" "$build/fuzz-artifacts"
CLNN_ONNX_SEED_DIR=$corpus "$build/tests/test_onnx" > "$build/fuzz-seeds.log" 2>&1 ||
  { cat "$build/fuzz-seeds.log"; exit 1; }
# Real exporter output where Debian's libonnx-testdata is installed (optional).
testdata=/usr/share/libonnx-testdata/data
if [ -d "$testdata" ]; then
  find "$testdata" -name model.onnx -size -64k | while read -r f; do
    n=${f#"$testdata"/}
    cp "$f" "$corpus/testdata-${n//\//_}"
  done
fi
echo "fuzz: $(ls "$corpus" | wc -l) inputs in $corpus"

if [ "${1:-}" = run ]; then
  secs=${2:-600}
  shift $(($# < 2 ? $# : 2))
  cd "$build"
  # -jobs=1: one fuzzing process (the machine's cores are shared), its log in fuzz-0.log.
  exec "$build/lib/fuzz_onnx" -max_total_time="$secs" -jobs=1 -workers=1 \
    -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$root/fuzz/onnx.dict" -artifact_prefix="$build/fuzz-artifacts/" "$@" "$corpus"
fi
