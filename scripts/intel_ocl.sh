#!/usr/bin/env bash
# Intel's OpenCL CPU runtime beside PoCL, without root: fetches the three wheels from PyPI
# (intel-opencl-rt, its TBB and intel-cmplr-lib-rt for libsvml) once into a cache folder,
# unpacks them, and writes an OpenCL ICD folder that lists Intel's runtime, PoCL's, or both.
#
#   scripts/intel_ocl.sh                 fetch and unpack (if missing); print the folder
#   eval "$(scripts/intel_ocl.sh --env intel)"   make only Intel's runtime visible
#   eval "$(scripts/intel_ocl.sh --env both)"    Intel's and PoCL's platforms together
#
# The folder is $CLNN_INTEL_OCL_DIR, else $XDG_CACHE_HOME/clnn/intel-opencl, else
# ~/.cache/clnn/intel-opencl (about 800 MB unpacked). Versions are pinned below.
set -euo pipefail
version=2026.2.0
tbb=2023.2.0
dir=${CLNN_INTEL_OCL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clnn/intel-opencl}
mode=""
if [ "${1:-}" = --env ]; then
  mode=${2:-intel}
  case $mode in intel|both) ;; *) echo "intel_ocl.sh: --env takes intel or both" >&2; exit 2;; esac
fi

lib_rt="$dir/intel_opencl_rt/intel_opencl_rt-$version.data/data/lib"
lib_tbb="$dir/tbb/tbb-$tbb.data/data/lib"
lib_svml="$dir/intel_cmplr_lib_rt/intel_cmplr_lib_rt-$version.data/data/lib"
if [ ! -f "$dir/.complete-$version" ]; then
  mkdir -p "$dir/wheels"
  py=$(command -v python3 || true)
  [ -n "$py" ] || { echo "intel_ocl.sh: python3 with pip is needed to fetch the wheels" >&2; exit 1; }
  "$py" -m pip download --quiet --no-deps -d "$dir/wheels" "intel-opencl-rt==$version" \
    "tbb==$tbb" "intel-cmplr-lib-rt==$version" >&2
  for w in "$dir"/wheels/*.whl; do
    name=$(basename "$w"); name=${name%%-*}
    rm -rf "${dir:?}/$name"
    mkdir -p "$dir/$name"
    "$py" -m zipfile -e "$w" "$dir/$name"
  done
  [ -f "$lib_rt/libintelocl.so" ] || { echo "intel_ocl.sh: libintelocl.so missing after unpacking" >&2; exit 1; }
  touch "$dir/.complete-$version"
fi
# ICD folders: the loader reads every .icd file of OCL_ICD_VENDORS.
mkdir -p "$dir/icd-intel" "$dir/icd-both"
echo "$lib_rt/libintelocl.so" > "$dir/icd-intel/intel.icd"
cp "$dir/icd-intel/intel.icd" "$dir/icd-both/intel.icd"
for f in /etc/OpenCL/vendors/*.icd; do [ -f "$f" ] && cp "$f" "$dir/icd-both/"; done

if [ -z "$mode" ]; then
  echo "$dir"
  exit 0
fi
echo "export OCL_ICD_VENDORS='$dir/icd-$mode'"
echo "export LD_LIBRARY_PATH='$lib_rt:$lib_tbb:$lib_svml'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
