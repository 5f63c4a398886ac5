#!/usr/bin/env bash
# Multi-device scheduling on PoCL's CPU devices, each limited to one thread (one core):
# GoogLeNet throughput at batch 32 and latency at batch 1, two devices against one, measured
# in the same command with clnn-run --iters.
#
# usage: bench/sched.sh [BUILD_DIR] [MODEL]
# PoCL 3.1 (Debian 12) runs every "pthread" device on one shared pool of worker threads
# (POCL_MAX_PTHREAD_COUNT; newer PoCL has POCL_CPU_MAX_CU_NUM per device), so two "pthread"
# devices of one thread share one core. "pthread basic" gives two devices with a core each:
# "basic" runs its commands in the thread that submits them (clnn's per-device thread).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
model=${2:-$build/models/googlenet.onnx}
[ -f "$model" ] || /usr/bin/python3 "$root/scripts/export_models.py" "$build/models" googlenet >/dev/null
run() { # DEVICES MODE BATCH ITERS
  POCL_DEVICES="$1" POCL_MAX_PTHREAD_COUNT=1 POCL_CPU_MAX_CU_NUM=1 \
    "$build/tools/clnn-run" "$model" --device all --mode "$2" --batch "$3" --iters "$4" --schedule |
    awk '/images\/s/ {v=$(NF-1)} /^schedule:/ {sub(/^schedule: /, ""); s=$0} END {print v "\t" s}'
}
printf "%-14s %-11s %5s %10s  %s\n" devices mode batch images/s schedule
for b in 32 1; do
  iters=$(( b == 1 ? 20 : 3 ))
  mode=$([ "$b" = 1 ] && echo latency || echo throughput)
  one=$(run pthread single "$b" "$iters")
  printf "%-14s %-11s %5s %10s  %s\n" pthread single "$b" "${one%%	*}" "${one#*	}"
  for devs in "pthread pthread" "pthread basic"; do
    r=$(run "$devs" "$mode" "$b" "$iters")
    printf "%-14s %-11s %5s %10s  %s\n" "$devs" "$mode" "$b" "${r%%	*}" "${r#*	}"
    awk -v a="${r%%	*}" -v o="${one%%	*}" -v d="$devs" -v m="$mode" -v b="$b" \
      'BEGIN {printf "  -> %s %s batch %s: %.2fx one device\n", d, m, b, a / o}'
  done
done
