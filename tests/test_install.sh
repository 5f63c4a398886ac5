#!/usr/bin/env bash
# test_install.sh - checks what `meson install` gives a user: installs BUILDDIR into a temporary
# folder (--destdir), checks the library (shared and static), header, clnn.pc, tools and data
# are there, then builds examples/classify.c outside the tree with pkg-config (against the
# shared library, then with --static against libclnn.a) and runs both on the installed
# Fashion-MNIST model, and runs the installed clnn-demo on a few images.
#
# usage: test_install.sh BUILDDIR   (meson test runs it as 'install', after building)
set -euo pipefail

build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clnn-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --no-rebuild: meson test has built everything, and a second ninja inside a test would race.
dest=$tmp/dest
meson install -C "$build" --destdir "$dest" --no-rebuild >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "meson install failed"; }

opt() { meson introspect "$build" --buildoptions |
  python3 -c "import json, sys
v = [o['value'] for o in json.load(sys.stdin) if o['name'] == '$1'][0]
print(','.join(v) if isinstance(v, list) else v)"; }
prefix=$(opt prefix)
libdir=$dest$prefix/$(opt libdir)
share=$dest$prefix/$(opt datadir)/clnn
for f in "$dest$prefix/include/clnn.h" "$libdir/libclnn.a" "$libdir/pkgconfig/clnn.pc" \
         "$share/fashion_mnist_cnn.onnx" "$share/fashion_mnist_cnn.torch_labels" \
         "$share/conv_layers.csv"; do
  [ -f "$f" ] || fail "not installed: ${f#"$dest"}"
done
compgen -G "$libdir/libclnn.so*" >/dev/null || fail "libclnn.so not installed in ${libdir#"$dest"}"
# Only the API is visible: every global symbol either library defines is clnn_*.
for lib in "$libdir/libclnn.a" "$(compgen -G "$libdir/libclnn.so.*.*" | head -n 1)"; do
  [ "${lib%.a}" != "$lib" ] && syms=$(nm -g --defined-only "$lib") || syms=$(nm -D --defined-only "$lib")
  bad=$(echo "$syms" | awk 'NF == 3 && $3 !~ /^clnn_/ {print $3}' | head -n 5)
  [ -z "$bad" ] || fail "$(basename "$lib") exports internal symbols: $bad"
done
for t in clnn-info clnn-run clnn-demo clnn-bench; do
  [ -x "$dest$prefix/$(opt bindir)/$t" ] || fail "tool not installed: $t"
done

# A sanitizer build's library needs the sanitizer runtime in the programs that link it.
sanitize=$(opt b_sanitize)
cflags=(-std=c11)
[ "$sanitize" = none ] || cflags+=("-fsanitize=$sanitize")

# pkg-config reads the installed clnn.pc; the sysroot maps its /usr/local/... into destdir.
export PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
cp "$src/examples/classify.c" "$tmp/"
cd "$tmp"
# shellcheck disable=SC2046  # pkg-config's output is meant to be split into arguments
cc "${cflags[@]}" -Wall -Wextra -Werror classify.c $(pkg-config --cflags --libs clnn) -o classify ||
  fail "classify.c does not build with $(pkg-config --cflags --libs clnn)"
readelf -d classify | grep -q 'NEEDED.*libclnn\.so' || fail "classify is not linked to libclnn.so"

# Static: a folder holding only libclnn.a, searched first, makes -lclnn take the archive;
# every symbol it needs must come from pkg-config --static's list.
mkdir static && ln -s "$libdir/libclnn.a" static/
# shellcheck disable=SC2046
cc "${cflags[@]}" classify.c $(pkg-config --cflags clnn) -Lstatic \
  $(pkg-config --static --libs clnn) -o classify-static ||
  fail "classify.c does not link statically with $(pkg-config --static --libs clnn)"
if readelf -d classify-static | grep -q 'NEEDED.*libclnn'; then
  fail "classify-static still needs libclnn.so"
fi

# Run both on an all-zero input, then on test image 0 (pixel / 255), whose class must be
# PyTorch's prediction (the first byte of the .torch_labels file).
model=$share/fashion_mnist_cnn.onnx
for exe in ./classify ./classify-static; do
  out=$(LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$exe" "$model") || fail "$exe $model: $out"
  grep -q '^top class [0-9] of 10, score ' <<<"$out" || fail "$exe printed no class: $out"
done
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
if [ -f "$images" ]; then
  python3 - "$images" image0.raw <<'EOF'
import array, gzip, sys
data = gzip.open(sys.argv[1]).read()[16:16 + 784]
array.array('f', [b / 255.0 for b in data]).tofile(open(sys.argv[2], 'wb'))
EOF
  want=$(od -An -tu1 -N1 "$share/fashion_mnist_cnn.torch_labels" | tr -d ' ')
  out=$(LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ./classify "$model" image0.raw) || fail "classify image 0: $out"
  grep -q "^top class $want of 10" <<<"$out" || fail "image 0: PyTorch says $want, classify: $out"
  echo "image 0: $out (PyTorch: class $want)"

  # The installed demo with the installed model and PyTorch labels beside it.
  out=$("$dest$prefix/$(opt bindir)/clnn-demo" --model "$model" --limit 256 2>&1) ||
    fail "installed clnn-demo: $out"
  grep -q 'agrees with PyTorch on [0-9]* of 256 images' <<<"$out" ||
    fail "installed clnn-demo: $out"
else
  echo "SKIP: $images missing (apt-get install dataset-fashion-mnist): image 0 not checked"
fi
echo "install: ok"
