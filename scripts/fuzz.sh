#!/usr/bin/env bash
# fuzz.sh [SECONDS] [NAME...] - build the libFuzzer harnesses (tests/fuzz/
# fuzz_<name>.c) with clang, -fsanitize=fuzzer,address,undefined, in
# build-fuzz/, then run each for SECONDS (default 600), one after the other,
# and print executions and findings per harness. Each run starts from the
# seed corpus and the kept regressions (tests/fuzz/corpus/<name>,
# tests/fuzz/regress/<name>) and grows build-fuzz/corpus/<name>; crashes,
# leaks, timeouts and out-of-memory inputs land in build-fuzz/findings/<name>/
# (copy one to tests/fuzz/regress/<name>/ once fixed: CTest replays it).
# Exit status 1 when anything was found.
# Environment: FUZZ_NICE (default 0) niceness; FUZZ_RSS_MB (default 2048)
# memory limit per input; CC (default clang).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-600}
shift || true
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS] [NAME...]" >&2; exit 2; }

export CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (apt-get install clang)" >&2; exit 2; }
cmake -S . -B build-fuzz -DGAN_FUZZ=ON -DGAN_CUDA=OFF -DGAN_NATIVE=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
nice -n "${FUZZ_NICE:-0}" cmake --build build-fuzz -j"$(nproc)" >/dev/null

if (($# == 0)); then
  set -- $(for f in tests/fuzz/fuzz_*.c; do n=$(basename "$f" .c); echo "${n#fuzz_}"; done)
fi
found_any=0
printf '%-16s %12s %10s %9s  %s\n' harness executions exec/s findings "coverage (edges)" | tee build-fuzz/summary.txt
for name in "$@"; do
  bin=build-fuzz/tests/fuzz/fuzz_$name
  [[ -x $bin ]] || { echo "fuzz: no harness $name ($bin)" >&2; exit 2; }
  work=build-fuzz/corpus/$name findings=build-fuzz/findings/$name
  mkdir -p "$work" "$findings"
  dirs=("$work" "tests/fuzz/corpus/$name")
  [[ -d tests/fuzz/regress/$name ]] && dirs+=("tests/fuzz/regress/$name")
  log=build-fuzz/$name.log
  set +e
  OMP_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    nice -n "${FUZZ_NICE:-0}" "$bin" -max_total_time="$seconds" -timeout=30 \
    -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -print_final_stats=1 \
    -artifact_prefix="$findings/" "${dirs[@]}" >"$log" 2>&1
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  n=$(find "$findings" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  ((n > 0)) && found_any=1
  printf '%-16s %12s %10s %9s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$n" "${cov:-?}" | tee -a build-fuzz/summary.txt
  ((n > 0)) && grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/    /' || true
done
echo "fuzz: logs in build-fuzz/<name>.log, findings in build-fuzz/findings/" >&2
exit $found_any
