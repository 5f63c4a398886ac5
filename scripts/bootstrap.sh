#!/usr/bin/env bash
# Installs the Debian packages clnn needs that are missing (apt-get, through sudo when not
# root), so a fresh Debian 12 machine needs nothing by hand. Safe to run again: it only
# installs what dpkg does not already list as installed.
set -euo pipefail

packages=(
  # build (binutils: ld -r and objcopy make the installed static library)
  gcc binutils pkg-config meson ninja-build python3
  # OpenCL: the ICD loader and headers (never a vendor library), PoCL for the CPU, CLBlast
  ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd clinfo libclblast-dev
  # formats: hashing for the kernel cache, JSON (calibration, tuning database, traces)
  libxxhash-dev libjson-c-dev
  # clnn-demo (the main job): Fashion-MNIST's test images, gzip IDX files read with zlib
  zlib1g-dev dataset-fashion-mnist
  # ONNX loader: onnx.proto and protoc-c generate the parser at build time
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev
  # tests and the sanitizer build; ONNX's conformance data; PyTorch for the reference
  # networks (scripts/export_models.py runs on Debian's /usr/bin/python3)
  libcmocka-dev libclang-rt-14-dev libonnx-testdata
  # kernels run under a simulated GPU that reports races and out-of-bounds accesses
  oclgrind
  python3-numpy python3-torch python3-torchvision
  # the Python module's build and tests (a virtual environment with numpy and pytest from
  # PyPI: scripts/python_tests.sh)
  python3-dev python3-venv
)
if [ "${CLNN_BOOTSTRAP_EXTRA:-}" != "" ]; then
  read -r -a extra <<< "$CLNN_BOOTSTRAP_EXTRA"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: not root and no sudo: install ${missing[*]} by hand" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
