#!/usr/bin/env bash
# test.sh [--under-load] [CTEST_ARGS...] - set up (packages, data, build), run
# the whole test suite, then build with AddressSanitizer +
# UndefinedBehaviorSanitizer and run the unit tests under them. Exit status is
# non-zero if anything fails.
#   --under-load  keep every core busy (one `yes >/dev/null` per core) while
#                 the tests run, then stop them: the tests must not depend on
#                 a quiet machine (no fixed sleeps, generous deadlines).
#   CTEST_ARGS    passed to both ctest runs, e.g. `-R 'fuzz_|atomic'` to run a
#                 few tests only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
under_load=0
if [[ ${1:-} == --under-load ]]; then under_load=1; shift; fi
ctest_args=("$@")
source scripts/setup.sh
export GAN_DATA_DIR="$PWD/data"

load_pids=()
stop_load() {
  for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${load_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  load_pids=()
}
trap stop_load EXIT
start_load() { # while the tests run (not while building)
  ((under_load)) || return 0
  for ((i = 0; i < $(nproc); i++)); do yes >/dev/null & load_pids+=($!); done
  echo "test: under load: ${#load_pids[@]} busy processes (pids ${load_pids[*]})" >&2
}

echo "test: full suite (Release build)" >&2
start_load
ctest --test-dir build --output-on-failure -j2 "${ctest_args[@]}"
stop_load

echo "test: unit tests under AddressSanitizer + UndefinedBehaviorSanitizer" >&2
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DGAN_SANITIZE=ON >/dev/null
cmake --build build-sanitize -j"$(nproc)" >/dev/null
start_load
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -L unit -j2 "${ctest_args[@]}"
stop_load
echo "test: all passed" >&2
