#!/usr/bin/env bash
# Makes the installed static library: every object of IN.a linked into one relocatable object
# whose hidden symbols (everything but the CLNN_API functions, including protobuf-c's generated
# onnx__* code) become local, archived as OUT.a. A program that links libclnn.a then sees only
# clnn_* symbols and cannot clash with clnn's internals.
#
# usage: localize_archive.sh IN.a OUT.a
set -euo pipefail
in=$1 out=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clnn-ar.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ld -r --whole-archive "$in" -o "$tmp/clnn.o"
objcopy --localize-hidden "$tmp/clnn.o"
rm -f "$out"
ar rcs "$out" "$tmp/clnn.o"
