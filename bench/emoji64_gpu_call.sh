#!/bin/bash
# emoji64_gpu_call.sh - one call on the lent GPU machine for issue 14's emoji screen: build `gan`
# with CUDA, run bench/emoji64_variants.sh on the 64 px emoji pack with the runs given and, beside
# them, build everything and run the CUDA tests (GAN_TEST_REQUIRE_CUDA=1 ctest -L cuda). Made for
# the device's copy of the tree, which has no registry and no libstb-dev.
#
#   bash bench/emoji64_gpu_call.sh LIMIT "NAME:train flags" ["NAME:train flags" ...]
#
# LIMIT: seconds from the start of this script after which the trainings get SIGINT (leave about
# 40 s for scoring). Three full-width 64 px resnets for 80 epochs take about 480 s of an H100.
# Prepared on this machine first, in the git-ignored .cache/ (carry ".cache/gpu" and ".cache/xz"):
#   build/gan data prepare data/emoji --resolution 64 --out .cache/e64.ganpack
#   mkdir -p .cache/xz .cache/gpu/stb/stb && xz -T1 -6 -c .cache/e64.ganpack > .cache/xz/e64.ganpack.xz
#   build/gan classifier train --data .cache/e64.ganpack --cache .cache/gpu/evc   # ~10 min, lenet-v1
#   cp /usr/include/stb/stb_image*.h .cache/gpu/stb/stb/
# Environment: CTEST=0 skips the tests; GAN=path uses that binary instead of building one, and
# then runs no tests unless CTEST=1 (with DEVICE=cpu: a check of this script without a GPU).
# Writes to $OUT (few files, as the device returns only a handful): summary.md, ctest.log,
# gpu.txt, and res.tgz with every run's log.jsonl, the scores' JSON and the sample grids.
set -u
[ $# -ge 2 ] || { echo "usage: bash bench/emoji64_gpu_call.sh LIMIT NAME:FLAGS..." >&2; exit 2; }
LIMIT=$1; shift
: "${OUT:?set OUT to the results folder}"
T0=$(date +%s)
el() { echo $(( $(date +%s) - T0 )); }
R=$(mktemp -d /tmp/emoji64.XXXXXX)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$OUT/gpu.txt" 2> /dev/null ||
    echo "no GPU (nvidia-smi failed)" > "$OUT/gpu.txt"
xz -dc .cache/xz/e64.ganpack.xz > "$R/e64.ganpack" || exit 1
export OPENBLAS_CORETYPE=Haswell GAN_EVAL_CACHE=$PWD/.cache/gpu/evc
if [ -n "${GAN:-}" ]; then CTEST=${CTEST:-0}
elif ! { CMAKE_INCLUDE_PATH=$PWD/.cache/gpu/stb cmake -S . -B build-gpu -G Ninja \
        -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA=ON > "$R/configure.log" 2>&1 &&
       cmake --build build-gpu -j16 --target gan > "$R/build.log" 2>&1; }; then
    tail -30 "$R/configure.log" "$R/build.log"; exit 1
else GAN=build-gpu/gan
fi
echo "built gan at $(el)s on $(cat "$OUT/gpu.txt")"
( LIMIT=$(( LIMIT - $(el) )) bash bench/emoji64_variants.sh "$GAN" "$R/e64.ganpack" "$R/runs" \
      "$@" > "$R/variants.log" 2>&1
  echo "trainings and scores done at $(el)s" >> "$R/variants.log" ) &
if [ "${CTEST:-1}" = 1 ]; then # the CUDA build in build-gpu, all of it
    ( cmake --build build-gpu -j12 > "$R/build_all.log" 2>&1 &&
      cd build-gpu && GAN_TEST_REQUIRE_CUDA=1 timeout 300 ctest -L cuda --output-on-failure \
          > "$OUT/ctest.log" 2>&1
      echo "ctest rc $? at $(el)s" >> "$OUT/ctest.log" ) &
fi
wait
echo "all done at $(el)s"
tail -4 "$OUT/ctest.log" 2>/dev/null
cp "$R/runs/summary.md" "$OUT/" 2>/dev/null && cat "$OUT/summary.md" || tail -20 "$R/variants.log"
tar czf "$OUT/res.tgz" --exclude='*.safetensors' --exclude='*.npy' --exclude='*.ganpack' -C "$R" .
rm -rf "$R"
