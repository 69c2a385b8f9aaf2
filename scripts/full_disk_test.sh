#!/usr/bin/env bash
# full_disk_test.sh - writes on a really full disk: a small tmpfs (needs root
# and mount; otherwise the test says so and exits 77 = skipped; the CTest test
# test_full_disk covers the same ground everywhere with RLIMIT_FSIZE). On it:
# a run's checkpoint, `gan sample` PNG grids and IDX datasets must fail with
# one clear line when the disk is full, leave the previous file intact and
# leave no temporary file. GAN (default build/gan) picks the CLI.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
gan=$(realpath "${GAN:-build/gan}")
[[ -x $gan ]] || { echo "full_disk_test: $gan not built" >&2; exit 2; }
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
mnt=$(mktemp -d /tmp/gan-full-XXXXXX)
if ! mount -t tmpfs -o size=6m tmpfs "$mnt" 2>/dev/null; then
  rmdir "$mnt"; echo "full_disk_test: cannot mount a tmpfs (not root?): skipped" >&2; exit 77
fi
work=$(mktemp -d /tmp/gan-full-work-XXXXXX)
trap 'umount "$mnt"; rmdir "$mnt"; rm -rf "$work"' EXIT
fail=0
check() { # description, condition status
  if [[ $2 == 0 ]]; then echo "ok: $1"; else echo "FAIL: $1"; fail=$((fail + 1)); fi
}

python3 - "$work/data-images-idx3-ubyte" <<'PY'
import struct, sys, random
random.seed(1); n = 64
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack(">IIII", 0x803, n, 28, 28))
    f.write(bytes(random.getrandbits(8) for _ in range(n * 784)))
PY
printf 'image 1 28 28\nlatent 16\ngenerator\n  dense 128\n  leaky_relu 0.2\n  dense 784\n  tanh\n  reshape 1 28 28\ndiscriminator\n  flatten\n  dense 128\n  leaky_relu 0.2\n  dense 1\ntrain\n  batch_size 16\n  epochs 1000\n' >"$work/m.gan"

run=$mnt/run
"$gan" train --data "$work/data-images-idx3-ubyte" --model "$work/m.gan" --out "$run" --steps 2 \
  --threads 1 --quiet
check "a first run writes its checkpoint on the small disk" $?
cp "$run/checkpoint.safetensors" "$work/ckpt.before"
"$gan" sample "$run" --out "$mnt/grid.png" --n 16 --threads 1 && cp "$mnt/grid.png" "$work/grid.before"
"$gan" sample "$run" --out "$mnt/images.idx" --n 64 --threads 1 && cp "$mnt/images.idx" "$work/idx.before"

# fill the disk, leaving a few KB
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
rm -f "$mnt/filler"; dd if=/dev/zero of="$mnt/filler" bs=4k count=$(( $(df -k --output=avail "$mnt" | tail -1) / 4 - 2 )) 2>/dev/null
echo "disk: $(df -k --output=avail "$mnt" | tail -1) KB free"

"$gan" train --resume "$run" --steps 4 --threads 1 --quiet 2>"$work/err"; rc=$?
cat "$work/err"
check "train on a full disk fails (exit $rc)" $((rc == 0))
grep -q "$run/.*: write failed: No space left on device" "$work/err"; check "its error names the file and the cause" $?
cmp -s "$run/checkpoint.safetensors" "$work/ckpt.before"; check "the previous checkpoint is intact" $?

"$gan" sample "$run" --seed 7 --out "$mnt/grid.png" --n 16 --threads 1 2>"$work/err"; rc=$?
cat "$work/err"
check "sample PNG on a full disk fails (exit $rc)" $((rc == 0))
grep -q "grid.png.*No space left on device" "$work/err"; check "its error names the PNG and the cause" $?
cmp -s "$mnt/grid.png" "$work/grid.before"; check "the previous PNG is intact" $?

"$gan" sample "$run" --seed 7 --out "$mnt/images.idx" --n 64 --threads 1 2>"$work/err"; rc=$?
cat "$work/err"
check "sample IDX dataset on a full disk fails (exit $rc)" $((rc == 0))
cmp -s "$mnt/images.idx" "$work/idx.before"; check "the previous IDX file is intact" $?

n=$(find "$mnt" -name '*.tmp.*' | wc -l)
check "no temporary file left ($n)" $((n != 0))
rm -f "$mnt/filler"
"$gan" train --resume "$run" --steps 4 --threads 1 --quiet
check "with space again, the run resumes" $?
echo "full_disk_test: $fail failures"
((fail == 0))
