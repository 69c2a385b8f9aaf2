#!/bin/sh
# install_example.sh BUILD SOURCE - install the build into a temporary
# prefix, build docs/examples/train_minimal.c against it with
# `pkg-config --cflags --libs gan` (libgan.so), run it for a few steps on
# 256 random 28x28 images and check what it wrote. Run by CTest as
# test_install_example. Also checks that the man page and the shell
# completion are installed.
set -eu
build=$1 src=$2
prefix=$(mktemp -d "${TMPDIR:-/tmp}/gan_install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
data="$prefix/random-images-idx3-ubyte"
{ printf '\000\000\010\003\000\000\001\000\000\000\000\034\000\000\000\034'
  head -c 200704 /dev/urandom; } > "$data"
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(dirname "$(find "$prefix" -name gan.pc | head -n 1)")
export PKG_CONFIG_PATH="$pc"
test -f "$prefix/include/gan.h"
# the man page and completion, generated from the tables --help prints
test -s "$prefix/share/man/man1/gan.1"
grep -q -F 'batch\-size' "$prefix/share/man/man1/gan.1"
grep -q -- '--batch-size' "$prefix/share/bash-completion/completions/gan"
grep -q '^#compdef gan' "$prefix/share/zsh/site-functions/_gan"
flags=$(pkg-config --cflags --libs gan)
# EXAMPLE_CFLAGS: the sanitizer build's -fsanitize flags (its libgan.so needs the runtime first)
${CC:-cc} -std=c11 -Wall -Wextra -Werror ${EXAMPLE_CFLAGS:-} "$src/docs/examples/train_minimal.c" $flags \
    -o "$prefix/train_minimal"
# the program uses the installed shared library, not the build tree's
libdir=$(pkg-config --variable=libdir gan)
LD_LIBRARY_PATH="$libdir" ldd "$prefix/train_minimal" | grep -q "$libdir/libgan.so"
LD_LIBRARY_PATH="$libdir" "$prefix/train_minimal" "$data" "$prefix/run" 12 > "$prefix/out.txt"
grep -q "trained 12 steps" "$prefix/out.txt"
grep -q '"step": 12,' "$prefix/run/log.jsonl"
test -s "$prefix/run/final.png"
test -s "$prefix/run/checkpoint.safetensors"
echo "ok: train_minimal built with pkg-config against $prefix and trained 12 steps"
