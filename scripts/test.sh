#!/usr/bin/env bash
# test.sh - set up (packages, data, build), run the whole test suite, then build
# with AddressSanitizer + UndefinedBehaviorSanitizer and run the unit tests under
# them. Exit status is non-zero if anything fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
export GAN_DATA_DIR="$PWD/data"

echo "test: full suite (Release build)" >&2
ctest --test-dir build --output-on-failure -j2

echo "test: unit tests under AddressSanitizer + UndefinedBehaviorSanitizer" >&2
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DGAN_SANITIZE=ON >/dev/null
cmake --build build-sanitize -j"$(nproc)" >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -L unit -j2
echo "test: all passed" >&2
