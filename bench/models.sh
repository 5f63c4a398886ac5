#!/usr/bin/env bash
# Whole-network throughput: clnn-run --iters on GoogLeNet and ResNet-18 at batch 1 and 32,
# beside PyTorch on the same machine in the same run (../shared/bench/peer_torch.py, or
# bench/peer_torch.py if copied there). Prints images/s for both and the ratio.
#
# usage: bench/models.sh [BUILD_DIR] [DEVICE_SEL] [TORCH_DEVICE (cpu|cuda)]
# The models come from scripts/export_models.py (BUILD_DIR/models). PyTorch gets as many
# threads as the machine has cores (OMP_NUM_THREADS), as PoCL does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
device=${2:-}
torch_dev=${3:-cpu}
models=(googlenet resnet18)
batches=(1 32)
peer=$root/../shared/bench/peer_torch.py
[ -f "$peer" ] || peer=$root/bench/peer_torch.py

/usr/bin/python3 "$root/scripts/export_models.py" "$build/models" "${models[@]}" >/dev/null
declare -A clnn
for m in "${models[@]}"; do
  for b in "${batches[@]}"; do
    iters=$(( b == 1 ? 20 : 3 ))
    out=$("$build/tools/clnn-run" "$build/models/$m.onnx" --batch "$b" --iters "$iters" \
          ${device:+--device "$device"})
    clnn[$m,$b]=$(echo "$out" | sed -n 's/.* \([0-9.]*\) images\/s$/\1/p')
    echo "$out" | grep -E "^model|iterations" >&2
  done
done
empty=$(mktemp)
torch_out=$(OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)} /usr/bin/python3 "$peer" "$empty" "$torch_dev" "$(IFS=,; echo "${batches[*]}")" \
            "$(IFS=,; echo "${models[*]}")")
rm -f "$empty"
echo "$torch_out" | head -1
printf "%-10s %5s %12s %12s %8s\n" model batch clnn_img/s torch_img/s ratio
for m in "${models[@]}"; do
  for b in "${batches[@]}"; do
    t=$(echo "$torch_out" | awk -F, -v m="$m" -v b="$b" '$1=="model" && $2==m && $3==b {print $5}' | sed 's/ img\/s//')
    c=${clnn[$m,$b]}
    printf "%-10s %5s %12s %12s %8s\n" "$m" "$b" "$c" "$t" "$(awk -v c="$c" -v t="$t" 'BEGIN{printf "%.2f", (t>0)?c/t:0}')"
  done
done
